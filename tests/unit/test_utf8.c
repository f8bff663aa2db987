#include <string.h>

#include "check_util.h"
#include "utf8.h"

static size_t at(const char *s)
{
	return gm_utf8_invalid_at(s, strlen(s));
}

START_TEST(valid_text)
{
	ck_assert_uint_eq(at(""), 0);
	ck_assert_uint_eq(at("plain ascii, longer than eight bytes"), 36);
	ck_assert_uint_eq(at("caf\xc3\xa9"), 5);                 /* é */
	ck_assert_uint_eq(at("\xe2\x82\xac 12"), 6);             /* € */
	ck_assert_uint_eq(at("\xf0\x9f\x9b\x92 cart"), 9);       /* U+1F6D2 */
	ck_assert_uint_eq(at("\xf4\x8f\xbf\xbf"), 4);            /* U+10FFFF */
}
END_TEST

START_TEST(invalid_text)
{
	ck_assert_uint_eq(at("abc\xff"), 3);
	ck_assert_uint_eq(at("\xc0\xaf"), 0);             /* overlong '/' */
	ck_assert_uint_eq(at("\xe0\x80\xaf"), 0);         /* overlong */
	ck_assert_uint_eq(at("ok\xed\xa0\x80"), 2);       /* surrogate */
	ck_assert_uint_eq(at("\xf4\x90\x80\x80"), 0);     /* above U+10FFFF */
	ck_assert_uint_eq(at("abcdefgh\xc3"), 8);         /* truncated */
	ck_assert_uint_eq(at("\xc3(x"), 0);               /* bad continuation */
	ck_assert_uint_eq(at("12345678\x80"), 8);         /* lone continuation */
}
END_TEST

START_TEST(ascii_prefix)
{
	/* every position, inside and after the eight-byte words */
	char buf[40];
	memset(buf, 'a', sizeof buf);
	ck_assert_uint_eq(gm_utf8_ascii_prefix(buf, 0), 0);
	ck_assert_uint_eq(gm_utf8_ascii_prefix(buf, sizeof buf), sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++) {
		const char odd[] = { 0, '\x80', '\xc3', '\xff' };
		for (size_t k = 0; k < sizeof odd; k++) {
			buf[i] = odd[k];
			ck_assert_uint_eq(gm_utf8_ascii_prefix(buf, sizeof buf), i);
		}
		buf[i] = '\x7f';   /* DEL is ASCII */
		ck_assert_uint_eq(gm_utf8_ascii_prefix(buf, sizeof buf), sizeof buf);
		buf[i] = 'a';
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("utf8");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, valid_text);
	tcase_add_test(tc, invalid_text);
	tcase_add_test(tc, ascii_prefix);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

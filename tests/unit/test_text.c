#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "text.h"

/* Pieces added by length, as strings and formatted come out in order,
 * NUL-terminated, across several growths; a zeroed text is empty. */
START_TEST(pieces_in_order)
{
	struct gm_text t = { 0 };
	ck_assert_ptr_null(t.p);
	gm_text_add(&t, "ab\0c", 4);
	ck_assert_uint_eq(t.n, 4);
	ck_assert(!memcmp(t.p, "ab\0c", 5));
	gm_text_str(&t, "-");
	gm_text_printf(&t, "%d:%s", 42, "x");
	ck_assert_uint_eq(t.n, 9);
	ck_assert(!memcmp(t.p, "ab\0c-42:x", 10));
	for (int i = 0; i < 1000; i++)
		gm_text_printf(&t, "%03d", i);
	ck_assert_uint_eq(t.n, 9 + 3000);
	ck_assert_str_eq(t.p + 9 + 3 * 999, "999");
	ck_assert_int_eq(t.p[t.n], 0);
	free(t.p);
}
END_TEST

/* Bytes from outside as a message shows them: printable ASCII kept,
 * the rest and the chosen ones \xHH, cut before an escape would pass
 * the limit, never in one. */
START_TEST(escaped_bytes)
{
	char out[32];
	bool cut;
	size_t n = gm_escape_bytes(out, 0, 31, "a\nb\\c\xc3", 6, "\\", &cut);
	ck_assert_str_eq(out, "a\\x0ab\\x5cc\\xc3");
	ck_assert_uint_eq(n, strlen(out));
	ck_assert(!cut);
	n = gm_escape_bytes(out, 0, 31, "a\\", 2, "", &cut);
	ck_assert_str_eq(out, "a\\");
	n = gm_escape_bytes(out, 0, 6, "abc\x01d", 5, "", &cut);
	ck_assert_str_eq(out, "abc");  /* \x01 would pass 6 */
	ck_assert(cut);
	n = gm_escape_bytes(out, n, 7, "\x7f", 1, "", NULL);
	ck_assert_str_eq(out, "abc\\x7f");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("text");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, pieces_in_order);
	tcase_add_test(tc, escaped_bytes);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

#include <string.h>

#include "check_util.h"
#include "mem.h"

/* A block grown keeps its bytes, and the rest reads zero: from none,
 * from under a huge page (copied) and from huge pages (moved where the
 * system can), twice. */
START_TEST(xremap_keeps_and_zeroes)
{
	size_t sizes[] = { 4096, (size_t)2 << 20, (size_t)6 << 20, (size_t)16 << 20 };
	unsigned char *p = gm_xremap(NULL, 0, sizes[0]);
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		size_t n = sizes[k];
		size_t bad = 0;
		for (size_t i = 0; i < n; i++)
			bad += p[i] != (i < (k ? sizes[k - 1] : 0) ? (unsigned char)(i * 7 + 1) : 0);
		ck_assert_uint_eq(bad, 0);
		for (size_t i = 0; i < n; i++)
			p[i] = (unsigned char)(i * 7 + 1);
		if (k + 1 < sizeof sizes / sizeof *sizes)
			p = gm_xremap(p, n, sizes[k + 1]);
	}
	gm_unmap(p, sizes[3]);
}
END_TEST

/* A block grown to hold more: unchanged while it can, then doubled (the
 * first size at least) until it does, its bytes kept. */
START_TEST(xmap_grow_doubles)
{
	size_t cap = 0;
	unsigned char *p = gm_xmap_grow(NULL, &cap, 10, 4096);
	ck_assert_uint_eq(cap, 4096);
	memset(p, 0xab, cap);
	ck_assert(gm_xmap_grow(p, &cap, 4096, 4096) == p);
	ck_assert_uint_eq(cap, 4096);
	p = gm_xmap_grow(p, &cap, 4097, 4096);
	ck_assert_uint_eq(cap, 8192);
	p = gm_xmap_grow(p, &cap, (size_t)5 << 20, 4096);
	ck_assert_uint_eq(cap, (size_t)8 << 20);
	size_t bad = 0;
	for (size_t i = 0; i < cap; i++)
		bad += p[i] != (i < 4096 ? 0xab : 0);
	ck_assert_uint_eq(bad, 0);
	gm_unmap(p, cap);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("mem");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, xremap_keeps_and_zeroes);
	tcase_add_test(tc, xmap_grow_doubles);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

#include <stdlib.h>

#include "check_util.h"
#include "../../gm-rfm/rfm.h"

/* The scores of values[0..n) with bins B, as a string of digits. */
static const char *scores_of(const uint64_t *values, size_t n, unsigned bins)
{
	static char out[64];
	uint8_t s[64];
	rfm_score(values, n, bins, s, NULL);
	for (size_t i = 0; i < n; i++)
		out[i] = (char)('0' + s[i]);
	out[n] = 0;
	return out;
}

/* 1 + floor(B * below(v) / n): ten distinct values fill five bins two
 * by two, in any input order. */
START_TEST(distinct)
{
	uint64_t v[10] = { 9, 0, 8, 1, 7, 2, 6, 3, 5, 4 };
	ck_assert_str_eq(scores_of(v, 10, 5), "5151424233");
}
END_TEST

/* A tied group takes the score of its first member: 2 has 2 below
 * (score 2) though its third place (4 below) would score 3; 3 has 5
 * below: 1 + floor(25 / 10) = 3. Equal values score the same. */
START_TEST(ties_at_cuts)
{
	uint64_t v[10] = { 1, 1, 2, 2, 2, 3, 3, 4, 5, 5 };
	ck_assert_str_eq(scores_of(v, 10, 5), "1122233455");
}
END_TEST

/* One customer: nothing below, score 1; all equal: all score 1. */
START_TEST(one_and_all_equal)
{
	uint64_t one[1] = { 42 };
	ck_assert_str_eq(scores_of(one, 1, 5), "1");
	uint64_t same[6] = { 7, 7, 7, 7, 7, 7 };
	ck_assert_str_eq(scores_of(same, 6, 5), "111111");
}
END_TEST

/* More bins than customers: scores skip, never pass B. */
START_TEST(more_bins_than_customers)
{
	uint64_t v[3] = { 30, 10, 20 };
	ck_assert_str_eq(scores_of(v, 3, 9), "714");
	ck_assert_str_eq(scores_of(v, 3, 2), "211");
}
END_TEST

/* Keys that differ only in high bytes sort by them (the radix passes
 * skip no byte that differs); a larger value never scores lower. */
START_TEST(wide_keys_monotonic)
{
	enum { N = 40 };
	uint64_t v[N];
	uint8_t s[N];
	for (size_t i = 0; i < N; i++)
		v[i] = ((uint64_t)(i * 7919 % N) << 56) | (i % 3);
	rfm_score(v, N, 5, s, NULL);
	for (size_t i = 0; i < N; i++)
		for (size_t j = 0; j < N; j++) {
			if (v[i] < v[j])
				ck_assert_uint_le(s[i], s[j]);
			if (v[i] == v[j])
				ck_assert_uint_eq(s[i], s[j]);
		}
	size_t below = 0;
	for (size_t j = 0; j < N; j++)
		below += v[j] < v[0];
	ck_assert_uint_eq(s[0], 1 + 5 * below / N);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rfm_score");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, distinct);
	tcase_add_test(tc, ties_at_cuts);
	tcase_add_test(tc, one_and_all_equal);
	tcase_add_test(tc, more_bins_than_customers);
	tcase_add_test(tc, wide_keys_monotonic);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

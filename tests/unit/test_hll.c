#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "hash.h"
#include "hll.h"

/* The i-th item of hash stream s. 0 to 2: random hashes (gm_hash_u64
 * is a bijection, so they are distinct); 3: small integers from 0, all
 * in register 0 and in neighbouring slots; 4: one register, and the
 * same low 16 bits (so one probe chain); 5: user ids through gm_hash(). */
#define STREAMS 6
static uint64_t item(int s, uint64_t i)
{
	char key[32];
	switch (s) {
	case 3:
		return i;
	case 4:
		return 0xabcULL << 52 | (i * 0x9e3779b97f4a7c15ULL & 0xfffffffffULL) << 16 | 0x1234;
	case 5:
		return gm_hash(key, (size_t)snprintf(key, sizeof key, "u%07llu",
			(unsigned long long)i));
	default:
		return gm_hash_u64((uint64_t)(s + 1) << 40 | i);
	}
}

/* Memory while exact: at most 22 bytes a item beyond a 32-byte table,
 * and never more than the registers. */
static void check_memory(const struct gm_hll *h)
{
	size_t bytes = h->cap * sizeof *h->slot;
	ck_assert_ptr_null(h->reg);
	ck_assert_uint_le(bytes, h->n * 22 > 32 ? h->n * 22 : 32);
	ck_assert_uint_le(bytes, GM_HLL_REGISTERS);
}

START_TEST(exact_up_to_the_switch)
{
	for (int s = 0; s < STREAMS; s++) {
		struct gm_hll h = GM_HLL_INIT;
		ck_assert_uint_eq(gm_hll_count(&h), 0);
		for (uint64_t n = 1; n <= GM_HLL_EXACT; n++) {
			gm_hll_add(&h, item(s, n - 1));
			/* every item so far again: duplicates change nothing */
			for (uint64_t i = 0; i < n; i++)
				gm_hll_add(&h, item(s, i));
			ck_assert_msg(gm_hll_count(&h) == n, "stream %d: %llu items counted as %llu",
				s, (unsigned long long)n, (unsigned long long)gm_hll_count(&h));
			check_memory(&h);
		}
		/* one more: dense, its table given back, and more than the
		 * exact range */
		gm_hll_add(&h, item(s, GM_HLL_EXACT));
		ck_assert_ptr_nonnull(h.reg);
		ck_assert_ptr_null(h.slot);
		ck_assert_uint_ge(gm_hll_count(&h), GM_HLL_EXACT + 1);
		/* emptied, it counts exactly again, and keeps no registers */
		gm_hll_clear(&h);
		ck_assert_ptr_null(h.reg);
		ck_assert_uint_eq(gm_hll_count(&h), 0);
		for (uint64_t i = 0; i < 100; i++)
			gm_hll_add(&h, item(s, i + 1000));
		ck_assert_uint_eq(gm_hll_count(&h), 100);
		gm_hll_free(&h);
		ck_assert_ptr_null(h.slot);
	}
}
END_TEST

START_TEST(clear_keeps_a_small_table_only)
{
	struct gm_hll h = GM_HLL_INIT;
	for (uint64_t i = 0; i < 10; i++)
		gm_hll_add(&h, item(0, i));
	uint64_t *table = h.slot;
	gm_hll_clear(&h);
	ck_assert_ptr_eq(h.slot, table);   /* reused, not allocated again */
	ck_assert_uint_eq(gm_hll_count(&h), 0);
	gm_hll_add(&h, item(0, 3));
	ck_assert_uint_eq(gm_hll_count(&h), 1);
	for (uint64_t i = 0; i < 300; i++)
		gm_hll_add(&h, item(0, i));
	gm_hll_clear(&h);
	ck_assert_uint_le(h.cap, GM_HLL_KEEP);
	gm_hll_free(&h);
}
END_TEST

/* A sketch of items lo..hi-1 of stream s. */
static void fill(struct gm_hll *h, int s, uint64_t lo, uint64_t hi)
{
	for (uint64_t i = lo; i < hi; i++)
		gm_hll_add(h, item(s, i));
}

/* dst = [a, b) merged with src = [c, d) of stream s: the merged count
 * is that of the union, exactly while it is small; a dense result has
 * the registers of the union added one by one; src is unchanged. */
static void check_merge(int s, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	struct gm_hll dst = GM_HLL_INIT, src = GM_HLL_INIT, all = GM_HLL_INIT;
	fill(&dst, s, a, b);
	fill(&src, s, c, d);
	fill(&all, s, a, b);
	fill(&all, s, c, d);
	uint64_t src_count = gm_hll_count(&src);
	gm_hll_merge(&dst, &src);
	ck_assert_uint_eq(gm_hll_count(&src), src_count);
	uint64_t lo = a < c ? a : c, hi = b > d ? b : d;
	uint64_t n = b <= a ? d - c : d <= c ? b - a : hi - lo;   /* overlapping or one empty */
	if (n <= GM_HLL_EXACT) {
		ck_assert_ptr_null(dst.reg);
		ck_assert_msg(gm_hll_count(&dst) == n, "[%llu,%llu) + [%llu,%llu): %llu",
			(unsigned long long)a, (unsigned long long)b, (unsigned long long)c,
			(unsigned long long)d, (unsigned long long)gm_hll_count(&dst));
	} else {
		ck_assert_ptr_nonnull(dst.reg);
		ck_assert_ptr_nonnull(all.reg);
		ck_assert(memcmp(dst.reg, all.reg, GM_HLL_REGISTERS) == 0);
		ck_assert_uint_eq(gm_hll_count(&dst), gm_hll_count(&all));
	}
	gm_hll_free(&dst);
	gm_hll_free(&src);
	gm_hll_free(&all);
}

START_TEST(merges)
{
	for (int s = 0; s < STREAMS; s++) {
		check_merge(s, 0, 0, 0, 0);            /* empty + empty */
		check_merge(s, 0, 0, 0, 50);           /* empty + small */
		check_merge(s, 0, 50, 0, 0);           /* small + empty */
		check_merge(s, 0, 200, 100, 300);      /* small + small, small union */
		check_merge(s, 0, 300, 84, 384);       /* union of exactly GM_HLL_EXACT */
		check_merge(s, 0, 300, 85, 385);       /* one more: dense */
		check_merge(s, 0, 300, 200, 500);      /* small + small, large union */
		check_merge(s, 0, 1000, 990, 1100);    /* dense + small */
		check_merge(s, 0, 100, 50, 1050);      /* small + dense */
		check_merge(s, 0, 1000, 500, 3000);    /* dense + dense */
		check_merge(s, 0, 0, 0, 2000);         /* empty + dense */
	}
	/* a sketch merged with itself is unchanged */
	struct gm_hll h = GM_HLL_INIT;
	fill(&h, 0, 0, 100);
	gm_hll_merge(&h, &h);
	ck_assert_uint_eq(gm_hll_count(&h), 100);
	gm_hll_free(&h);
}
END_TEST

/* Beyond the exact range, within 3 standard errors (1.04 / sqrt(4096)
 * each) of the truth, for fixed streams: the figures are deterministic. */
START_TEST(estimate_within_three_sigma)
{
	const double sigma = 1.04 / sqrt(GM_HLL_REGISTERS);
	const uint64_t sizes[] = { 1000, 100000 };
	for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
		for (int s = 0; s < STREAMS; s++) {
			if (s == 3 || s == 4)
				continue;   /* not random: no estimate is meant for them */
			struct gm_hll h = GM_HLL_INIT;
			fill(&h, s, 0, sizes[k]);
			double n = (double)sizes[k], got = (double)gm_hll_count(&h);
			ck_assert_msg(fabs(got - n) <= 3 * sigma * n, "stream %d: %.0f counted as %.0f",
				s, n, got);
			gm_hll_free(&h);
		}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("hll");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, exact_up_to_the_switch);
	tcase_add_test(tc, clear_keeps_a_small_table_only);
	tcase_add_test(tc, merges);
	tcase_add_test(tc, estimate_within_three_sigma);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

#include <stdio.h>
#include <stdlib.h>

#include "check_util.h"
#include "hash.h"
#include "../../gm-rfm/rfm.h"

enum { N = 300000 };

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static gm_str id_of(char *buf, size_t n, const char *fmt, size_t i)
{
	return (gm_str){ buf, (size_t)snprintf(buf, n, fmt, i) };
}

/* The customer index doubles ten times over N customers, its slots
 * moved by their tags; every customer met again, in the reverse order,
 * is found, not made again: customers stay N. Among them, ids whose
 * hashes share their top 28 bits (a slot's whole tag, so the same place
 * at every size) and many that share a place at some size. */
START_TEST(found_across_doublings)
{
	char b1[32], b2[32];
	uint64_t *top = malloc(N * sizeof *top);
	for (size_t i = 0; i < N; i++) {
		gm_str u = id_of(b1, sizeof b1, "c%06zu", i);
		top[i] = gm_hash(u.p, u.n) >> 36;
	}
	qsort(top, N, sizeof *top, u64_cmp);
	size_t same = 0;
	for (size_t i = 1; i < N; i++)
		same += top[i] == top[i - 1];
	free(top);
	ck_assert_uint_gt(same, 10);

	struct rfm_opts o = { .has_as_of = true, .as_of = 20000, .window_ms = -1, .bins = 5,
		.grid = rfm_grid_builtin("rfm") };
	struct rfm_out out = { 0 };
	struct rfm *m = rfm_new(&o, &out);
	const char *why = NULL;
	int64_t ts = (int64_t)19990 * 86400000;
	for (size_t i = 0; i < N; i++)
		ck_assert(rfm_txn(m, id_of(b1, sizeof b1, "a%zu", i), id_of(b2, sizeof b2, "c%06zu", i),
			ts, 100, &why));
	for (size_t i = N; i-- > 0;)
		ck_assert(rfm_txn(m, id_of(b1, sizeof b1, "b%zu", i), id_of(b2, sizeof b2, "c%06zu", i),
			ts + 1, 250, &why));
	ck_assert(rfm_txn(m, id_of(b1, sizeof b1, "a%zu", 7), id_of(b2, sizeof b2, "c%06zu", 8),
		ts, 100, &why));
	ck_assert(rfm_finish(m));
	const struct rfm_counts *k = rfm_counts(m);
	ck_assert_uint_eq(k->customers, N);
	ck_assert_uint_eq(k->transactions, 2 * N);
	ck_assert_uint_eq(k->duplicates, 1);
	rfm_free(m);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rfm_index");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, found_across_doublings);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

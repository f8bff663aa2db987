#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "hash.h"
#include "idset.h"

/* Ids that differ in one byte, in their length, or not at all: each
 * added once, found after, whatever the growth in between. */
START_TEST(adds_once_and_finds)
{
	struct gm_idset *s = gm_idset_new();
	char id[32];
	for (int i = 0; i < 100000; i++) {
		int n = snprintf(id, sizeof id, "e%010d", i);
		ck_assert(gm_idset_add(s, id, (size_t)n));
		ck_assert(!gm_idset_add(s, id, (size_t)n));
	}
	ck_assert_uint_eq(gm_idset_size(s), 100000);
	for (int i = 0; i < 100000; i++) {
		int n = snprintf(id, sizeof id, "e%010d", i);
		gm_idset_prefetch(s, id, (size_t)n);
		ck_assert(gm_idset_has(s, id, (size_t)n));
		ck_assert(!gm_idset_has(s, id, (size_t)n - 1));  /* a prefix is another id */
	}
	ck_assert(!gm_idset_has(s, "e", 1));
	ck_assert(gm_idset_add(s, "", 0));   /* the empty id is an id */
	ck_assert(!gm_idset_add(s, "", 0));
	ck_assert(gm_idset_add(s, "a\0b", 3));
	ck_assert(gm_idset_add(s, "a\0c", 3));
	ck_assert_uint_eq(gm_idset_size(s), 100003);
	/* Given its hash, an id is the same id. */
	gm_idset_prefetch_hashed(s, gm_hash("e0000000007", 11));
	ck_assert(!gm_idset_add_hashed(s, "e0000000007", 11, gm_hash("e0000000007", 11)));
	ck_assert(gm_idset_add_hashed(s, "f1", 2, gm_hash("f1", 2)));
	ck_assert(!gm_idset_add(s, "f1", 2));
	ck_assert(gm_idset_has(s, "f1", 2));
	ck_assert_uint_eq(gm_idset_size(s), 100004);
	gm_idset_free(s);
}
END_TEST

/* Ids of a small alphabet (NUL and 0xff among it), 0 to 299 bytes, so
 * that many share long prefixes, one is a prefix of another, and the
 * log's lengths take two bytes. */
struct tid {
	char b[300];
	size_t n;
};

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static int tid_cmp(const void *a, const void *b)
{
	const struct tid *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->b, y->b, n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Whether ids[j], or an equal id beside it in the sorted ids, was
 * added. */
static bool added_as(const struct tid *ids, const bool *added, int n, int j)
{
	int lo = j, hi = j;
	while (lo > 0 && !tid_cmp(&ids[lo - 1], &ids[j]))
		lo--;
	while (hi + 1 < n && !tid_cmp(&ids[hi + 1], &ids[j]))
		hi++;
	for (int k = lo; k <= hi; k++)
		if (added[k])
			return true;
	return false;
}

/* Ids added in ascending order (with repeats), then, from a point that
 * varies, in any order: each add and look answers as a plain list of
 * the ids added does, before and after the set leaves its ordered log
 * for the table. */
START_TEST(ordered_then_any)
{
	enum { N = 1500 };
	static const char alpha[] = { 'a', 'b', '\0', (char)0xff };
	static struct tid ids[N];
	static bool added[N];
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < N; i++) {
			size_t n = rnd(&x) % 7 == 0 ? rnd(&x) % 300 : rnd(&x) % 12;
			for (size_t k = 0; k < n; k++)
				ids[i].b[k] = alpha[rnd(&x) % 4];
			ids[i].n = n;
		}
		qsort(ids, N, sizeof ids[0], tid_cmp);
		memset(added, 0, sizeof added);
		struct gm_idset *s = gm_idset_new();
		int order_until = round == 0 ? N : (int)(rnd(&x) % N);
		size_t count = 0;
		for (int i = 0; i < N; i++) {
			int j = i < order_until ? i : (int)(rnd(&x) % N);
			bool was = added_as(ids, added, N, j);
			if (round % 3 == 1 && i == order_until)
				/* a look, not an add, leaves the order */
				ck_assert(gm_idset_has(s, ids[j].b, ids[j].n) == was);
			ck_assert(gm_idset_add(s, ids[j].b, ids[j].n) == !was);
			count += !was;
			added[j] = true;
			if (rnd(&x) % 5 == 0)  /* the same id again, at once */
				ck_assert(!gm_idset_add(s, ids[j].b, ids[j].n));
		}
		ck_assert_uint_eq(gm_idset_size(s), count);
		for (int j = 0; j < N; j++)
			ck_assert(gm_idset_has(s, ids[j].b, ids[j].n) == added_as(ids, added, N, j));
		gm_idset_free(s);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("idset");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, adds_once_and_finds);
	tcase_add_test(tc, ordered_then_any);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "hash.h"
#include "map.h"

START_TEST(put_get_evict)
{
	struct gm_map *m = gm_map_new(sizeof(long), 1000);
	char key[32];
	bool created;
	for (long i = 0; i < 1000; i++) {
		int n = snprintf(key, sizeof key, "u%ld", i);
		long *v = gm_map_put(m, key, n, &created);
		ck_assert(created);
		*v = i;
	}
	ck_assert_uint_eq(gm_map_size(m), 1000);
	/* touch u0 so that it is not the least recently used */
	ck_assert_int_eq(*(long *)gm_map_get(m, "u0", 2), 0);
	long *v = gm_map_put(m, "new", 3, &created);
	ck_assert(created);
	ck_assert_int_eq(*v, 0);
	ck_assert_uint_eq(gm_map_evicted(m), 1);
	ck_assert_ptr_null(gm_map_get(m, "u1", 2));      /* evicted */
	ck_assert_ptr_nonnull(gm_map_get(m, "u0", 2));
	for (long i = 2; i < 1000; i++) {
		int n = snprintf(key, sizeof key, "u%ld", i);
		long *x = gm_map_get(m, key, n);
		ck_assert_ptr_nonnull(x);
		ck_assert_int_eq(*x, i);
	}
	v = gm_map_put(m, "u5", 2, &created);
	ck_assert(!created);
	ck_assert_int_eq(*v, 5);
	char long_key[GM_MAP_KEY_MAX + 1];
	memset(long_key, 'k', sizeof long_key);
	ck_assert_ptr_null(gm_map_put(m, long_key, sizeof long_key, &created));
	gm_map_free(m);
}
END_TEST

START_TEST(churn_keeps_every_live_key)
{
	/* Many evictions through a small map: every key still held is found
	 * with its value (the index shifts stay consistent). */
	struct gm_map *m = gm_map_new(sizeof(long), 257);
	char key[32];
	bool created;
	for (long i = 0; i < 200000; i++) {
		int n = snprintf(key, sizeof key, "%lx", i * 2654435761UL);
		*(long *)gm_map_put(m, key, n, &created) = i;
	}
	ck_assert_uint_eq(gm_map_size(m), 257);
	for (long i = 200000 - 257; i < 200000; i++) {
		int n = snprintf(key, sizeof key, "%lx", i * 2654435761UL);
		long *x = gm_map_get(m, key, n);
		ck_assert_ptr_nonnull(x);
		ck_assert_int_eq(*x, i);
	}
	ck_assert_uint_eq(gm_map_evicted(m), 200000 - 257);
	gm_map_free(m);
}
END_TEST

/* Keys whose hashes share their low 6 bits: they collide in a fresh
 * map's index of 64 slots, at home slot `home`. */
static void colliding_keys(char keys[][16], int n, unsigned home)
{
	int found = 0;
	for (long i = 0; found < n; i++) {
		int len = snprintf(keys[found], 16, "c%ld", i);
		if ((gm_hash(keys[found], len) & 63) == home)
			found++;
	}
}

START_TEST(remove_in_probe_runs)
{
	/* Home slots 63 too, so that the run wraps round the index end. */
	static const unsigned homes[] = { 5, 63 };
	for (size_t h = 0; h < sizeof homes / sizeof *homes; h++) {
		char keys[6][16];
		colliding_keys(keys, 6, homes[h]);
		for (int gone = 0; gone < 6; gone++) {
			struct gm_map *m = gm_map_new(sizeof(long), 20);
			bool created;
			for (long i = 0; i < 6; i++)
				*(long *)gm_map_put(m, keys[i], strlen(keys[i]), &created) = i;
			ck_assert(gm_map_remove(m, keys[gone], strlen(keys[gone])));
			ck_assert(!gm_map_remove(m, keys[gone], strlen(keys[gone])));
			ck_assert_uint_eq(gm_map_size(m), 5);
			for (long i = 0; i < 6; i++) {
				long *v = gm_map_get(m, keys[i], strlen(keys[i]));
				if (i == gone) {
					ck_assert_ptr_null(v);
				} else {
					ck_assert_ptr_nonnull(v);
					ck_assert_int_eq(*v, i);
				}
			}
			/* Put back, it is new and found with the others. */
			long *v = gm_map_put(m, keys[gone], strlen(keys[gone]), &created);
			ck_assert(created);
			ck_assert_int_eq(*v, 0);
			*v = gone;
			for (long i = 0; i < 6; i++)
				ck_assert_int_eq(*(long *)gm_map_get(m, keys[i], strlen(keys[i])), i);
			ck_assert_uint_eq(gm_map_evicted(m), 0);
			gm_map_free(m);
		}
	}
	struct gm_map *m = gm_map_new(8, 1);
	char long_key[GM_MAP_KEY_MAX + 1];
	memset(long_key, 'k', sizeof long_key);
	ck_assert(!gm_map_remove(m, "x", 1));
	ck_assert(!gm_map_remove(m, long_key, sizeof long_key));
	ck_assert_ptr_null(gm_map_peek(m, long_key, sizeof long_key));
	gm_map_free(m);
}
END_TEST

START_TEST(remove_then_put_reuses_records)
{
	/* A map of 4 that removes as much as it puts: a new key takes a
	 * removed record, so nothing is evicted and the records stay 4 (a
	 * fifth would lie past the memory the map took). */
	struct gm_map *m = gm_map_new(4096, 4);
	char key[32];
	bool created;
	for (int i = 0; i < 3; i++) {
		int n = snprintf(key, sizeof key, "keep%d", i);
		memset(gm_map_put(m, key, n, &created), 'k', 4096);
	}
	for (int i = 0; i < 5000; i++) {
		int n = snprintf(key, sizeof key, "k%d", i);
		unsigned char *v = gm_map_put(m, key, n, &created);
		ck_assert(created);
		/* A reused record is zeroed: one assertion a record, where
		 * one a byte made 20 million, minutes under the sanitizers. */
		static const unsigned char zero[4096];
		ck_assert_msg(memcmp(v, zero, 4096) == 0, "record of %s not zeroed", key);
		memset(v, 'x', 4096);
		ck_assert_uint_eq(gm_map_size(m), 4);
		ck_assert(gm_map_remove(m, key, n));
		ck_assert_uint_eq(gm_map_size(m), 3);
	}
	ck_assert_uint_eq(gm_map_evicted(m), 0);
	for (int i = 0; i < 3; i++) {
		int n = snprintf(key, sizeof key, "keep%d", i);
		unsigned char *v = gm_map_get(m, key, n);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(v[4095], 'k');
	}
	/* At the cap, eviction takes the least recently used still. */
	gm_map_put(m, "a", 1, &created);
	gm_map_get(m, "keep0", 5);
	gm_map_put(m, "b", 1, &created);
	ck_assert_uint_eq(gm_map_evicted(m), 1);
	ck_assert_ptr_null(gm_map_peek(m, "keep1", 5));
	ck_assert_ptr_nonnull(gm_map_peek(m, "keep0", 5));
	ck_assert_uint_eq(gm_map_size(m), 4);
	gm_map_free(m);
}
END_TEST

/* The keys of a walk, joined with spaces. */
static void walk(struct gm_map *m, bool oldest_first, char *out, size_t cap)
{
	struct gm_map_iter it;
	const char *k;
	size_t kl;
	size_t n = 0;
	out[0] = 0;
	gm_map_iter_init(&it, m, oldest_first);
	while (gm_map_iter_next(&it, &k, &kl))
		n += snprintf(out + n, cap - n, "%s%.*s", n ? " " : "", (int)kl, k);
}

START_TEST(iterate_both_ways_removing)
{
	struct gm_map *m = gm_map_new(sizeof(long), 100);
	char key[8], got[256];
	bool created;
	for (long i = 0; i < 8; i++) {
		int n = snprintf(key, sizeof key, "k%ld", i);
		*(long *)gm_map_put(m, key, n, &created) = i;
	}
	gm_map_get(m, "k2", 2);           /* k2 becomes the newest */
	walk(m, true, got, sizeof got);
	ck_assert_str_eq(got, "k0 k1 k3 k4 k5 k6 k7 k2");
	walk(m, false, got, sizeof got);
	ck_assert_str_eq(got, "k2 k7 k6 k5 k4 k3 k1 k0");
	walk(m, true, got, sizeof got);   /* a walk changed no recency */
	ck_assert_str_eq(got, "k0 k1 k3 k4 k5 k6 k7 k2");

	/* Oldest first, removing the odd values with the walk's removal. */
	struct gm_map_iter it;
	const char *k;
	size_t kl;
	long *v, seen = 0;
	gm_map_iter_init(&it, m, true);
	while ((v = gm_map_iter_next(&it, &k, &kl))) {
		ck_assert_int_eq(*v, k[1] - '0');
		seen++;
		if (*v % 2)
			gm_map_iter_remove(&it);
	}
	ck_assert_int_eq(seen, 8);
	gm_map_iter_remove(&it);          /* at the end: nothing */
	ck_assert_uint_eq(gm_map_size(m), 4);
	walk(m, true, got, sizeof got);
	ck_assert_str_eq(got, "k0 k4 k6 k2");

	/* Newest first, removing each with gm_map_remove(): the last one
	 * returned may go that way too; a second removal does nothing. */
	seen = 0;
	gm_map_iter_init(&it, m, false);
	while ((v = gm_map_iter_next(&it, &k, &kl))) {
		seen++;
		ck_assert(gm_map_remove(m, k, kl));
		gm_map_iter_remove(&it);
	}
	ck_assert_int_eq(seen, 4);
	ck_assert_uint_eq(gm_map_size(m), 0);
	walk(m, false, got, sizeof got);
	ck_assert_str_eq(got, "");
	/* Emptied, the map works as new. */
	*(long *)gm_map_put(m, "z", 1, &created) = 9;
	ck_assert(created);
	walk(m, true, got, sizeof got);
	ck_assert_str_eq(got, "z");
	gm_map_free(m);
}
END_TEST

struct evicted_seen {
	char keys[64];
	long sum;
	int n;
};

static void on_evict(void *ctx, const char *key, size_t klen, void *value)
{
	struct evicted_seen *e = ctx;
	size_t at = strlen(e->keys);
	snprintf(e->keys + at, sizeof e->keys - at, "%s%.*s", at ? " " : "", (int)klen, key);
	e->sum += *(long *)value;
	e->n++;
}

START_TEST(evict_callback_and_peek)
{
	struct gm_map *m = gm_map_new(sizeof(long), 3);
	struct evicted_seen seen = { "", 0, 0 };
	gm_map_on_evict(m, on_evict, &seen);
	bool created;
	*(long *)gm_map_put(m, "a", 1, &created) = 10;
	*(long *)gm_map_put(m, "b", 1, &created) = 20;
	*(long *)gm_map_put(m, "c", 1, &created) = 30;
	/* A peek is no use: "a" stays the least recently used. */
	ck_assert_int_eq(*(long *)gm_map_peek(m, "a", 1), 10);
	ck_assert_ptr_null(gm_map_peek(m, "x", 1));
	long *v = gm_map_put(m, "d", 1, &created);
	ck_assert(created);
	ck_assert_int_eq(*v, 0);          /* the record reused, zeroed after */
	ck_assert_str_eq(seen.keys, "a");
	ck_assert_int_eq(seen.sum, 10);
	/* A get is a use: "b" is kept, "c" goes. */
	gm_map_get(m, "b", 1);
	gm_map_put(m, "e", 1, &created);
	ck_assert_str_eq(seen.keys, "a c");
	ck_assert_int_eq(seen.sum, 40);
	/* A removal is not an eviction. */
	ck_assert(gm_map_remove(m, "b", 1));
	gm_map_put(m, "f", 1, &created);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_uint_eq(gm_map_evicted(m), 2);
	/* A walk calls nothing; without a callback eviction is silent. */
	gm_map_on_evict(m, NULL, NULL);
	gm_map_put(m, "g", 1, &created);
	ck_assert_int_eq(seen.n, 2);
	ck_assert_uint_eq(gm_map_evicted(m), 3);
	gm_map_free(m);
}
END_TEST

/* A place stays its entry's while it lives, whatever else comes and
 * goes; once the entry is removed the place holds nothing, until a new
 * key takes it. */
/* A value's pointer stays its entry's while the entry lives: 100k puts
 * after it (the index doubled eleven times) neither move nor touch it. */
START_TEST(pointers_stay_while_entries_live)
{
	struct gm_map *m = gm_map_new(sizeof(uint64_t), (size_t)1 << 20);
	bool created;
	uint64_t *first = gm_map_put(m, "first", 5, &created);
	*first = 0x1234567890abcdefULL;
	char key[16];
	for (int i = 0; i < 100000; i++) {
		int n = snprintf(key, sizeof key, "k%d", i);
		*(uint64_t *)gm_map_put(m, key, (size_t)n, &created) = (uint64_t)i;
	}
	ck_assert_ptr_eq(gm_map_get(m, "first", 5), first);
	ck_assert_uint_eq(*first, 0x1234567890abcdefULL);
	gm_map_free(m);
}
END_TEST

START_TEST(places_stay_and_are_reused)
{
	struct gm_map *m = gm_map_new(16, 8);
	bool created;
	void *a = gm_map_put(m, "alpha", 5, &created);
	uint32_t pa = gm_map_place(m, a);
	uint32_t pb = gm_map_place(m, gm_map_put(m, "beta", 4, &created));
	ck_assert_uint_ne(pa, pb);
	char key[16];
	for (int i = 0; i < 5; i++) {
		int n = snprintf(key, sizeof key, "k%d", i);
		gm_map_put(m, key, n, &created);
	}
	gm_map_get(m, "beta", 4);
	const char *k;
	size_t kl;
	ck_assert_ptr_eq(gm_map_at(m, pa, &k, &kl), a);
	ck_assert_uint_eq(kl, 5);
	ck_assert(!memcmp(k, "alpha", 5));
	ck_assert_ptr_null(gm_map_at(m, 7, &k, &kl));   /* never used */
	gm_map_prefetch_at(m, pb);   /* a load, no change: of a place */
	gm_map_prefetch_at(m, 7);    /* never used */
	gm_map_prefetch_at(m, UINT32_MAX);
	ck_assert_ptr_eq(gm_map_at(m, pa, &k, &kl), a);
	gm_map_prefetch_hashed(m, gm_hash("beta", 4));   /* hashed once: the same entry */
	gm_map_prefetch_entry_hashed(m, gm_hash("beta", 4));
	gm_map_prefetch_entry_hashed(m, gm_hash("none", 4));   /* no such key */
	ck_assert_ptr_eq(gm_map_put_hashed(m, "beta", 4, gm_hash("beta", 4), &created),
		gm_map_at(m, pb, &k, &kl));
	ck_assert(!created);
	void *d = gm_map_put_hashed(m, "delta", 5, gm_hash("delta", 5), &created);
	ck_assert(created);
	ck_assert_ptr_eq(gm_map_peek(m, "delta", 5), d);
	ck_assert(gm_map_remove(m, "alpha", 5));
	ck_assert_ptr_null(gm_map_at(m, pa, &k, &kl));
	void *g = gm_map_put(m, "gamma", 5, &created);
	ck_assert_uint_eq(gm_map_place(m, g), pa);
	ck_assert_ptr_eq(gm_map_at(m, pa, &k, &kl), g);
	ck_assert(!memcmp(k, "gamma", 5));
	gm_map_free(m);
}
END_TEST

START_TEST(short_keys)
{
	/* A map of 8-byte keys: keys up to 8 bytes work as in any map,
	 * longer ones are refused, values stay 8-byte aligned and whole,
	 * and eviction at the cap still takes the least recently used. */
	struct gm_map *m = gm_map_new_keys(3 * sizeof(uint64_t), 100, sizeof(uint64_t));
	bool created;
	for (uint64_t i = 0; i < 100; i++) {
		uint64_t *v = gm_map_put(m, (const char *)&i, sizeof i, &created);
		ck_assert(created);
		ck_assert_uint_eq((uintptr_t)v % 8, 0);
		v[0] = i;
		v[1] = ~i;
		v[2] = i * 3;
	}
	ck_assert_ptr_nonnull(gm_map_put(m, "abc", 3, &created));   /* evicts 0 */
	ck_assert(created);
	ck_assert_uint_eq(gm_map_evicted(m), 1);
	uint64_t zero = 0;
	ck_assert_ptr_null(gm_map_peek(m, (const char *)&zero, sizeof zero));
	for (uint64_t i = 1; i < 100; i++) {
		uint64_t *v = gm_map_peek(m, (const char *)&i, sizeof i);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(v[0], i);
		ck_assert_uint_eq(v[1], ~i);
		ck_assert_uint_eq(v[2], i * 3);
		const char *key;
		size_t klen;
		ck_assert_ptr_eq(gm_map_at(m, gm_map_place(m, v), &key, &klen), v);
		ck_assert_uint_eq(klen, sizeof i);
		ck_assert(!memcmp(key, &i, sizeof i));
	}
	ck_assert_ptr_null(gm_map_put(m, "123456789", 9, &created));
	ck_assert_ptr_null(gm_map_get(m, "123456789", 9));
	ck_assert(!gm_map_remove(m, "123456789", 9));
	ck_assert(gm_map_remove(m, "abc", 3));
	ck_assert_uint_eq(gm_map_size(m), 99);
	gm_map_free(m);
}
END_TEST

START_TEST(hash_keys)
{
	/* A map whose 8-byte keys are hashes: churn through its cap keeps
	 * every live key; keys whose low bits are all alike (not hashes:
	 * one probe run) are still each found; a key of another length is
	 * hashed as in any map. */
	struct gm_map *m = gm_map_new_hashes(sizeof(uint64_t), 257);
	bool created;
	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t k = gm_hash_u64(i);
		*(uint64_t *)gm_map_put(m, (const char *)&k, sizeof k, &created) = i;
		ck_assert(created);
		if (i % 3 == 0)
			ck_assert(gm_map_remove(m, (const char *)&k, sizeof k));
	}
	size_t live = 0;
	for (uint64_t i = 0; i < 20000; i++) {
		uint64_t k = gm_hash_u64(i);
		uint64_t *v = gm_map_peek(m, (const char *)&k, sizeof k);
		if (v) {
			ck_assert_uint_eq(*v, i);
			live++;
		}
	}
	ck_assert_uint_eq(live, 257);
	ck_assert_uint_eq(gm_map_size(m), 257);
	gm_map_free(m);

	m = gm_map_new_hashes(sizeof(uint64_t), 1000);
	for (uint64_t i = 0; i < 200; i++) {
		uint64_t k = i << 40;
		*(uint64_t *)gm_map_put(m, (const char *)&k, sizeof k, &created) = i;
	}
	*(uint64_t *)gm_map_put(m, "abc", 3, &created) = 7;
	for (uint64_t i = 0; i < 200; i += 2) {
		uint64_t k = i << 40;
		ck_assert(gm_map_remove(m, (const char *)&k, sizeof k));
	}
	for (uint64_t i = 1; i < 200; i += 2) {
		uint64_t k = i << 40;
		uint64_t *v = gm_map_get(m, (const char *)&k, sizeof k);
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(*v, i);
	}
	ck_assert_uint_eq(*(uint64_t *)gm_map_get(m, "abc", 3), 7);
	ck_assert_uint_eq(gm_map_size(m), 101);
	gm_map_free(m);
}
END_TEST

START_TEST(hash_is_stable)
{
	ck_assert(gm_hash("u0000001", 8) != gm_hash("u0000002", 8));
	ck_assert(gm_hash("", 0) != gm_hash("\0", 1));
	ck_assert_uint_eq(gm_hash("abc", 3), gm_hash("abc", 3));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("map");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, put_get_evict);
	tcase_add_test(tc, churn_keeps_every_live_key);
	tcase_add_test(tc, remove_in_probe_runs);
	tcase_add_test(tc, remove_then_put_reuses_records);
	tcase_add_test(tc, iterate_both_ways_removing);
	tcase_add_test(tc, evict_callback_and_peek);
	tcase_add_test(tc, places_stay_and_are_reused);
	tcase_add_test(tc, pointers_stay_while_entries_live);
	tcase_add_test(tc, short_keys);
	tcase_add_test(tc, hash_keys);
	tcase_add_test(tc, hash_is_stable);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

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
	tcase_add_test(tc, hash_is_stable);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

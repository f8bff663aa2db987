#include <stdio.h>

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

static Suite *suite(void)
{
	Suite *s = suite_create("idset");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, adds_once_and_finds);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

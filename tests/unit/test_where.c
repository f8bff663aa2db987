#include <string.h>

#include "calendar.h"
#include "check_util.h"
#include "where.h"

/* A prefix once, a number per row; a prefix too long loses its start,
 * never its end or the number. */
START_TEST(prefix_and_number)
{
	struct gm_where w;
	gm_where_init(&w, "%s:", "wh/fact_sales.ndjson");
	ck_assert_str_eq(gm_where_at(&w, 9), "wh/fact_sales.ndjson:9");
	ck_assert_str_eq(gm_where_at(&w, 18446744073709551615u), "wh/fact_sales.ndjson:18446744073709551615");
	ck_assert_str_eq(gm_where_at(&w, 10), "wh/fact_sales.ndjson:10");
	char long_path[2000];
	memset(long_path, 'd', sizeof long_path - 1);
	long_path[sizeof long_path - 1] = '\0';
	gm_where_init(&w, "%s/t.ndjson:", long_path);
	const char *at = gm_where_at(&w, 12345);
	ck_assert_uint_lt(strlen(at), sizeof w.s);
	size_t n = strlen(at);
	ck_assert_str_eq(at + n - strlen("/t.ndjson:12345"), "/t.ndjson:12345");
}
END_TEST

/* Dates as the warehouse writes them, and what is no date. */
START_TEST(dates)
{
	int32_t day;
	ck_assert(parse_day("2026-11-02", 10, &day));
	ck_assert_int_eq(day, day_of_civil(2026, 11, 2));
	ck_assert_int_eq(day_of_date_key(20261102), day);
	ck_assert_int_eq(day_of_date_key(date_key_of_day(-1)), -1);
	ck_assert(!parse_day("2026-02-30", 10, &day));
	ck_assert(!parse_day("2026-11-2", 9, &day));
	ck_assert(!parse_day("2026-11-02T", 11, &day));
	ck_assert(!parse_day("2026/11/02", 10, &day));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("where");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, prefix_and_number);
	tcase_add_test(tc, dates);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

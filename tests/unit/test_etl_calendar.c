#include "check_util.h"
#include "calendar.h"

/* Day numbers and civil dates agree both ways over four centuries, leap
 * days and the year 2000 included, and before 1970. */
START_TEST(civil_round_trip)
{
	for (int32_t day = day_of_civil(1899, 1, 1); day < day_of_civil(2301, 1, 1); day++) {
		struct civil c = civil_of_day(day);
		ck_assert_int_eq(day_of_civil(c.year, c.month, c.day), day);
	}
	ck_assert_int_eq(day_of_civil(1970, 1, 1), 0);
	ck_assert_int_eq(day_of_civil(2000, 3, 1) - day_of_civil(2000, 2, 28), 2);
	ck_assert_int_eq(day_of_civil(2100, 3, 1) - day_of_civil(2100, 2, 28), 1);
	ck_assert_int_eq(day_of_ts(-1), -1);  /* 1969-12-31T23:59:59.999Z */
	ck_assert_int_eq(date_key_of_day(day_of_civil(2026, 11, 2)), 20261102);
	char buf[11];
	format_day(day_of_civil(2026, 3, 9), buf);
	ck_assert_str_eq(buf, "2026-03-09");
}
END_TEST

/* ISO weeks where they are hard: the first Thursday decides the year. */
START_TEST(iso_weeks)
{
	static const struct { int y, m, d, iy, iw, dow; } cases[] = {
		{ 2026, 11, 2, 2026, 45, 1 },   /* a Monday */
		{ 2026, 11, 1, 2026, 44, 7 },   /* a Sunday: the week before */
		{ 2021, 1, 3, 2020, 53, 7 },    /* the 53rd week of the year before */
		{ 2024, 12, 30, 2025, 1, 1 },   /* the first week of the year after */
		{ 2026, 1, 1, 2026, 1, 4 },     /* a Thursday: week 1 */
		{ 2027, 1, 1, 2026, 53, 5 },    /* a Friday: still the old year's */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int32_t day = day_of_civil(cases[i].y, cases[i].m, cases[i].d);
		int y, w;
		iso_week(day, &y, &w);
		ck_assert_int_eq(y, cases[i].iy);
		ck_assert_int_eq(w, cases[i].iw);
		ck_assert_int_eq(iso_weekday(day), cases[i].dow);
	}
}
END_TEST

/* Periods: a week from its Monday, a month from its first, and the
 * ones before and after across a year's end. */
START_TEST(periods)
{
	int32_t d = day_of_civil(2026, 1, 1);  /* a Thursday */
	ck_assert_int_eq(period_start(G_DAY, d), d);
	ck_assert_int_eq(period_start(G_WEEK, d), day_of_civil(2025, 12, 29));
	ck_assert_int_eq(period_start(G_MONTH, d + 40), day_of_civil(2026, 2, 1));
	ck_assert_int_eq(period_prev(G_MONTH, d), day_of_civil(2025, 12, 1));
	ck_assert_int_eq(period_next(G_MONTH, day_of_civil(2025, 12, 1)), d);
	ck_assert_int_eq(period_prev(G_WEEK, day_of_civil(2025, 12, 29)), day_of_civil(2025, 12, 22));
	ck_assert_int_eq(period_next(G_DAY, d), d + 1);
	ck_assert_str_eq(grain_names[G_MONTH], "month");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("etl_calendar");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, civil_round_trip);
	tcase_add_test(tc, iso_weeks);
	tcase_add_test(tc, periods);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

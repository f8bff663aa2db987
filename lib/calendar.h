/* calendar: days as numbers (days since 1970-01-01, UTC), and the
 * periods of the warehouse: the day, its ISO week (Monday first) and
 * its month. gm-etl's tables and gm-rfm's snapshots date by it. */
#ifndef GM_CALENDAR_H
#define GM_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum grain { G_DAY, G_WEEK, G_MONTH, G_NGRAINS };

/* "day", "week", "month". */
extern const char *const grain_names[G_NGRAINS];

struct civil {
	int year, month, day;  /* month 1-12, day 1-31 */
};

/* The day of ms since the epoch (UTC; floor, so before 1970 too). */
int32_t day_of_ts(int64_t ms);

struct civil civil_of_day(int32_t day);
int32_t day_of_civil(int year, int month, int day);

/* YYYYMMDD. */
int32_t date_key_of_day(int32_t day);

/* The day of a date key, YYYYMMDD (a valid one: the warehouse's). */
int32_t day_of_date_key(int32_t key);

/* "YYYY-MM-DD" into buf (11 bytes: 10 and a NUL); returns 10. */
size_t format_day(int32_t day, char *buf);

/* The day of the date s[0..n), "YYYY-MM-DD" (UTC), as RFC 3339 has
 * them; false when it is not one. */
bool parse_day(const char *s, size_t n, int32_t *day);

/* 1 Monday ... 7 Sunday. */
int iso_weekday(int32_t day);

/* The ISO year and week (1-53) of day. */
void iso_week(int32_t day, int *year, int *week);

/* The first day of the period of grain g holding day; the first day
 * of the period before the one starting at start, and after it. */
int32_t period_start(enum grain g, int32_t day);
int32_t period_prev(enum grain g, int32_t start);
int32_t period_next(enum grain g, int32_t start);

#endif

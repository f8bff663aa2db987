/* calendar: day numbers, ISO weeks and periods; the civil-date
 * arithmetic is ts.c's. See calendar.h. */
#include "calendar.h"

#include <stdio.h>
#include <string.h>

#include "ts.h"

const char *const grain_names[G_NGRAINS] = { "day", "week", "month" };

int32_t day_of_ts(int64_t ms)
{
	int64_t d = ms / 86400000;
	return (int32_t)(d - (ms % 86400000 < 0));
}

int32_t day_of_civil(int y, int m, int d)
{
	return (int32_t)gm_days_from_civil(y, m, d);
}

struct civil civil_of_day(int32_t day)
{
	struct civil c;
	gm_civil_from_days(day, &c.year, &c.month, &c.day);
	return c;
}

int32_t date_key_of_day(int32_t day)
{
	struct civil c = civil_of_day(day);
	return c.year * 10000 + c.month * 100 + c.day;
}

int32_t day_of_date_key(int32_t key)
{
	return day_of_civil(key / 10000, key / 100 % 100, key % 100);
}

bool parse_day(const char *s, size_t n, int32_t *day)
{
	/* Its midnight, as a time: the time parser's checks of the date. */
	char ts[32];
	int64_t ms;
	if (n != 10)
		return false;
	memcpy(ts, s, 10);
	memcpy(ts + 10, "T00:00:00Z", 10);
	if (!gm_ts_parse(ts, 20, &ms))
		return false;
	*day = day_of_ts(ms);
	return true;
}

size_t format_day(int32_t day, char *buf)
{
	struct civil c = civil_of_day(day);
	unsigned y = (unsigned)c.year % 10000;
	const unsigned v[3] = { y, (unsigned)c.month, (unsigned)c.day };
	char *p = buf;
	for (int i = 0; i < 3; i++) {
		if (i)
			*p++ = '-';
		for (int d = i ? 10 : 1000; d; d /= 10)
			*p++ = (char)('0' + v[i] / d % 10);
	}
	*p = '\0';
	return 10;
}

int iso_weekday(int32_t day)
{
	/* 1970-01-01 was a Thursday, weekday 4. */
	int w = (int)((day + 3) % 7);
	return (w < 0 ? w + 7 : w) + 1;
}

void iso_week(int32_t day, int *year, int *week)
{
	/* The week's Thursday decides its year. */
	int32_t thursday = day - iso_weekday(day) + 4;
	*year = civil_of_day(thursday).year;
	*week = (thursday - day_of_civil(*year, 1, 1)) / 7 + 1;
}

int32_t period_start(enum grain g, int32_t day)
{
	switch (g) {
	case G_WEEK:
		return day - iso_weekday(day) + 1;
	case G_MONTH: {
		struct civil c = civil_of_day(day);
		return day_of_civil(c.year, c.month, 1);
	}
	default:
		return day;
	}
}

int32_t period_prev(enum grain g, int32_t start)
{
	return g == G_DAY ? start - 1 : g == G_WEEK ? start - 7 : period_start(G_MONTH, start - 1);
}

int32_t period_next(enum grain g, int32_t start)
{
	if (g != G_MONTH)
		return start + (g == G_DAY ? 1 : 7);
	struct civil c = civil_of_day(start);
	return c.month == 12 ? day_of_civil(c.year + 1, 1, 1) : day_of_civil(c.year, c.month + 1, 1);
}

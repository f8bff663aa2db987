/* ts: RFC 3339 timestamps <-> milliseconds since the Unix epoch (UTC). */
#ifndef GM_TS_H
#define GM_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses "YYYY-MM-DDTHH:MM:SS[.fff...](Z|+hh:mm|-hh:mm)" (also 't',
 * 'z' and a space for 'T') into milliseconds since the epoch, UTC.
 * Fractions beyond milliseconds are truncated. Years 0001-9999 only.
 * Returns false on anything else, including impossible dates. */
bool gm_ts_parse(const char *s, size_t n, int64_t *ms);

/* Formats ms as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf, which must hold
 * GM_TS_LEN bytes (no NUL is written). Returns GM_TS_LEN. */
#define GM_TS_LEN 24
size_t gm_ts_format(int64_t ms, char *buf);

/* Milliseconds since the epoch for a proleptic Gregorian date and time. */
int64_t gm_ts_from_civil(int y, int mon, int d, int h, int mi, int s);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1-12),
 * and back: the one civil-date arithmetic (400-year eras) of libgm,
 * which calendar.h's day numbers use too. */
int64_t gm_days_from_civil(int y, int m, int d);
void gm_civil_from_days(int64_t days, int *y, int *m, int *d);

#endif

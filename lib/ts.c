/* ts: RFC 3339 timestamps; see ts.h. Civil-date arithmetic after the
 * well-known days-from-civil method (400-year eras). */
#include "ts.h"

#include <stdint.h>
#include <string.h>

#include "number.h"

int64_t gm_days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void gm_civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int64_t gm_ts_from_civil(int y, int mon, int d, int h, int mi, int s)
{
	return ((gm_days_from_civil(y, mon, d) * 24 + h) * 60 + mi) * 60000LL + s * 1000LL;
}

/* n decimal digits at s into *v; false if any is not a digit. */
static bool digits(const char *s, int n, int *v)
{
	int x = 0;
	for (int i = 0; i < n; i++) {
		unsigned c = (unsigned char)s[i] - '0';
		if (c > 9)
			return false;
		x = x * 10 + (int)c;
	}
	*v = x;
	return true;
}

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The eight bytes at p, unaligned, the first lowest. */
static inline uint64_t load8(const char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

/* The bytes of w where mask has 0xFF are all digits: high nibble 3, and
 * still 3 with 6 added (no byte carries into the next: a byte whose
 * high nibble is 3 stays below 0x46). */
static inline bool all_digits(uint64_t w, uint64_t mask)
{
	const uint64_t hi = 0xF0F0F0F0F0F0F0F0ULL & mask, three = 0x3030303030303030ULL & mask;
	return (w & hi) == three && ((w + (0x0606060606060606ULL & mask)) & hi) == three;
}

/* Of a word of digits (where they are), byte i the number that bytes
 * i and i + 1 make: at most 99, so no byte carries into another. */
static inline uint64_t pairs(uint64_t w)
{
	uint64_t v = w & 0x0F0F0F0F0F0F0F0FULL;
	return v * 10 + (v >> 8);
}

#define BYTE(w, i) ((int)(((w) >> (8 * (i))) & 0xFF))

/* The time of a date and time read, less offset_min minutes, into
 * *ms; false for one that cannot be (a field out of its range, a day
 * past its month's end). */
static inline bool to_ms(int y, int mo, int d, int h, int mi, int sec, int frac, int offset_min,
	int64_t *ms)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	/* The date of the last call's time and its day number (one per
	 * thread): times mostly come in order, many a day. */
	static _Thread_local int last_date = -1;
	static _Thread_local int64_t last_days;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60)
		return false;
	if (d > mdays[mo - 1] + (mo == 2 && leap(y)))
		return false;
	if (sec == 60) /* a leap second folds into the next one's start */
		sec = 59;
	int date = (y << 9) | (mo << 5) | d;
	if (date != last_date) {
		last_days = gm_days_from_civil(y, mo, d);
		last_date = date;
	}
	*ms = ((last_days * 24 + h) * 60 + mi) * 60000LL + sec * 1000LL + frac -
		offset_min * 60000LL;
	return true;
}

bool gm_ts_parse(const char *s, size_t n, int64_t *ms)
{
	if (n == 24) {
		/* As the tools write times, "YYYY-MM-DDTHH:MM:SS.mmmZ": its
		 * separators and digits checked three words at a time. */
		uint64_t a = load8(s), b = load8(s + 8), c = load8(s + 16);
		if ((a & 0xFF0000FF00000000ULL) == 0x2D00002D00000000ULL &&     /* - - */
		    (b & 0x0000FF0000FF0000ULL) == 0x00003A0000540000ULL &&     /* T : */
		    (c & 0xFF000000FF0000FFULL) == 0x5A0000002E00003AULL &&     /* : . Z */
		    all_digits(a, 0x00FFFF00FFFFFFFFULL) && all_digits(b, 0xFFFF00FFFF00FFFFULL) &&
		    all_digits(c, 0x00FFFFFF00FFFF00ULL)) {
			uint64_t pa = pairs(a), pb = pairs(b), pc = pairs(c);
			return to_ms(BYTE(pa, 0) * 100 + BYTE(pa, 2), BYTE(pa, 5), BYTE(pb, 0),
				BYTE(pb, 3), BYTE(pb, 6), BYTE(pc, 1),
				BYTE(pc, 4) * 10 + (BYTE(c, 6) & 0xF), 0, ms);
		}
	}
	if (n < 20 || s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':')
		return false;
	if (s[10] != 'T' && s[10] != 't' && s[10] != ' ')
		return false;
	/* "YYYY-MM-", "DDTHH:MM" and "MM:SS" + 2 (bytes 12 to 19, n >= 20):
	 * their digits checked a word at a time. */
	uint64_t a = load8(s), b = load8(s + 8), c = load8(s + 12);
	if (!all_digits(a, 0x00FFFF00FFFFFFFFULL) ||
	    !all_digits(b, 0xFFFF00FFFF00FFFFULL) || !all_digits(c, 0x00FFFF0000000000ULL))
		return false;
	a = pairs(a), b = pairs(b), c = pairs(c);
	size_t i = 19;
	int frac = 0;
	if (i < n && s[i] == '.') {
		size_t start = ++i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (i - start < 3)
				frac = frac * 10 + (s[i] - '0');
		if (i == start)
			return false;
		for (size_t k = i - start; k < 3; k++)
			frac *= 10;
	}
	int offset_min = 0;
	if (i + 1 == n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int oh, om;
		if (!digits(s + i + 1, 2, &oh) || !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		offset_min = (oh * 60 + om) * (s[i] == '-' ? -1 : 1);
		i += 6;
	} else {
		return false;
	}
	return to_ms(BYTE(a, 0) * 100 + BYTE(a, 2), BYTE(a, 5), BYTE(b, 0), BYTE(b, 3),
		BYTE(b, 6), BYTE(c, 5), frac, offset_min, ms);
}

size_t gm_ts_format(int64_t ms, char *buf)
{
	/* Consecutive timestamps mostly fall on the same day: its
	 * "YYYY-MM-DDT" is kept from the last call (one per thread). */
	static _Thread_local int64_t last_day = INT64_MIN;
	static _Thread_local char date[11];
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	if (days != last_day) {
		int y, mo, d;
		gm_civil_from_days(days, &y, &mo, &d);
		if (y < 0 || y > 9999)
			y = y < 0 ? 0 : 9999;
		gm_format_2digits(date, (unsigned)y / 100);
		gm_format_2digits(date + 2, (unsigned)y % 100);
		date[4] = '-';
		gm_format_2digits(date + 5, (unsigned)mo);
		date[7] = '-';
		gm_format_2digits(date + 8, (unsigned)d);
		date[10] = 'T';
		last_day = days;
	}
	memcpy(buf, date, sizeof date);
	/* The time of day in 32 bits, each field one division by a
	 * constant (a multiplication) of the one before. */
	uint32_t rem = (uint32_t)(ms - days * 86400000);
	uint32_t s = rem / 1000, milli = rem - s * 1000;
	uint32_t mi = s / 60, h = mi / 60;
	gm_format_2digits(buf + 11, h);
	buf[13] = ':';
	gm_format_2digits(buf + 14, mi - h * 60);
	buf[16] = ':';
	gm_format_2digits(buf + 17, s - mi * 60);
	buf[19] = '.';
	buf[20] = (char)('0' + milli / 100);
	gm_format_2digits(buf + 21, milli % 100);
	buf[23] = 'Z';
	return GM_TS_LEN;
}

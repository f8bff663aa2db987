/* number: whole numbers, byte sizes and durations as a command line
 * writes them, and whole numbers written as text. */
#ifndef GM_NUMBER_H
#define GM_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Parses a non-negative decimal integer (no sign, no suffix) into *out.
 * Returns false on anything else or overflow. */
bool gm_parse_u64(const char *s, unsigned long long *out);

/* Parses a byte size with an optional k, M or G suffix (powers of 1024).
 * Returns false on a malformed or zero value. */
bool gm_parse_size(const char *s, size_t *out);

/* Parses a duration: a number with an optional ms, s, m, h or d suffix
 * (seconds when none) into milliseconds, at most GM_DURATION_MAX.
 * Returns false on error. */
bool gm_parse_duration(const char *s, long long *ms);
#define GM_DURATION_MAX 9000000000000000LL

/* The two decimal digits of v (below 100) at p. */
static inline void gm_format_2digits(char *p, unsigned v)
{
	static const char pairs[200] =
		"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
		"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
		"8081828384858687888990919293949596979899";
	memcpy(p, pairs + 2 * v, 2);
}

/* How many decimal digits v has (1 for 0). */
static inline unsigned gm_digits_u64(uint64_t v)
{
	static const uint64_t pow10[20] = {
		1ULL, 10ULL, 100ULL, 1000ULL, 10000ULL, 100000ULL, 1000000ULL,
		10000000ULL, 100000000ULL, 1000000000ULL, 10000000000ULL,
		100000000000ULL, 1000000000000ULL, 10000000000000ULL,
		100000000000000ULL, 1000000000000000ULL, 10000000000000000ULL,
		100000000000000000ULL, 1000000000000000000ULL,
		10000000000000000000ULL,
	};
	/* v | 1 has as many digits as v (no power of ten past 1 is odd)
	 * and a bit set. Its bit length times log10(2) (1233 / 4096) is
	 * its digits or one less: the table settles which. */
	uint64_t u = v | 1;
	unsigned t = (unsigned)(64 - __builtin_clzll(u)) * 1233 >> 12;
	return t + (u >= pow10[t]);
}

/* Writes v in decimal (a minus first when negative) into buf, which
 * has room for GM_I64_LEN bytes; no NUL. Returns the length. What ids,
 * keys and records are built with, where snprintf() would cost ten
 * times more. Inline, and with no other object of libgm to link, so that
 * the writer, ts.c and money.c (which scripts/gen-keys links alone)
 * write digits straight where they go. */
#define GM_I64_LEN 20
static inline size_t gm_format_u64(uint64_t v, char *buf)
{
	/* The length first, then the digits backwards from the end, two a
	 * division (times in ms have 13): no copy from a scratch buffer. */
	size_t n = gm_digits_u64(v);
	char *p = buf + n;
	while (v >= 100) {
		p -= 2;
		gm_format_2digits(p, (unsigned)(v % 100));
		v /= 100;
	}
	if (v >= 10)
		gm_format_2digits(p - 2, (unsigned)v);
	else
		p[-1] = (char)('0' + v);
	return n;
}

static inline size_t gm_format_i64(int64_t v, char *buf)
{
	if (v >= 0)
		return gm_format_u64((uint64_t)v, buf);
	buf[0] = '-';
	return 1 + gm_format_u64(0 - (uint64_t)v, buf + 1);
}

/* Writes v as 16 lowercase hex digits, leading zeros kept, into buf; no
 * NUL. What ids made of a hash are (printf's "%016llx", at a tenth of
 * its cost). */
static inline void gm_format_hex64(uint64_t v, char *buf)
{
	for (int i = 15; i >= 0; i--, v >>= 4)
		buf[i] = "0123456789abcdef"[v & 15];
}

/* a + b, held at INT64_MAX or INT64_MIN where it would overflow: for
 * counts that must not wrap (units of stock) however absurd the input. */
static inline int64_t gm_add_saturating(int64_t a, int64_t b)
{
	int64_t r;
	if (__builtin_add_overflow(a, b, &r))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return r;
}

#endif

/* jscan: the scanners of JSON's plain strings and numbers that the
 * parser's fast path (event.c) and the row reader (row.c) share: what
 * they take is valid JSON, and anything else they leave to a full
 * parser. */
#ifndef GM_JSCAN_H
#define GM_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "event.h"
#include "swar.h"

/* A string with no escape and no control character, p at its opening
 * quote: sets *s to its content and returns the byte after its closing
 * quote, or returns NULL. A byte above 0x7F among those it read (all
 * in the line) makes *high nonzero: the line's UTF-8 is checked after. */
static inline __attribute__((always_inline)) const char *gm_jscan_string(const char *p,
	const char *end, gm_str *s, unsigned *high)
{
	const char *q = p + 1;
#ifdef __SSE2__
	/* Sixteen bytes at a time where the line has them (most strings
	 * end in the first sixteen): a quote, a backslash, or a byte at
	 * most 0x1F, unsigned. */
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
		control = _mm_set1_epi8(0x1F);
	for (; q + 16 <= end; q += 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)q);
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(w, quote),
			_mm_cmpeq_epi8(w, backslash)), _mm_cmpeq_epi8(_mm_min_epu8(w, control), w));
		unsigned m = (unsigned)_mm_movemask_epi8(hit);
		*high |= (unsigned)_mm_movemask_epi8(w);
		if (m) {
			q += __builtin_ctz(m);
			goto found;
		}
	}
#endif
	/* Eight bytes at a time: the lowest flagged byte of a word is the
	 * first one of interest (swar.h's tests only err upwards). */
	for (; q + 8 <= end; q += 8) {
		uint64_t w = gm_swar_load(q);
		uint64_t m = gm_swar_is(w, '"') | gm_swar_is(w, '\\') | gm_swar_below(w, 0x20);
		*high |= gm_swar_high(w) != 0;
		if (m) {
			q += __builtin_ctzll(m) / 8;
			goto found;
		}
	}
	while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20) {
		*high |= (unsigned char)*q >> 7;
		q++;
	}
	if (q >= end)
		return NULL;
found:
	if (*q != '"')
		return NULL;
	*s = (gm_str){ p + 1, (size_t)(q - p - 1) };
	return q + 1;
}

/* A plain string, p at its opening quote: gm_jscan_string() with no
 * byte above 0x7F either (what the in-order path and the row reader
 * take as it is: no UTF-8 to check); NULL for anything else. */
static inline __attribute__((always_inline)) const char *gm_jscan_plain(const char *p,
	const char *end, gm_str *s)
{
	unsigned high = 0;
	if (p >= end || *p != '"')
		return NULL;
	const char *q = gm_jscan_string(p, end, s, &high);
	return high ? NULL : q;
}

static inline const char *gm_jscan_digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* A number by JSON's grammar, from p: returns its end, or NULL. */
static inline const char *gm_jscan_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		p = gm_jscan_digits(p + 1, end);
	else
		return NULL;
	if (p < end && *p == '.') {
		const char *d = p + 1;
		if ((p = gm_jscan_digits(d, end)) == d)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		const char *d = p;
		if ((p = gm_jscan_digits(d, end)) == d)
			return NULL;
	}
	return p;
}

/* p past the n bytes of key (a record's expected `,"name":`, compared
 * in place), or NULL when other bytes, or the end, come first. */
static inline __attribute__((always_inline)) const char *gm_jscan_past(const char *p,
	const char *end, const char *key, size_t n)
{
	return (size_t)(end - p) >= n && gm_swar_same(p, key, n) ? p + n : NULL;
}

/* Whether word (n bytes: true, false, null) comes at p. */
static inline bool gm_jscan_literal(const char *p, const char *end, const char *word, size_t n)
{
	return (size_t)(end - p) >= n && !memcmp(p, word, n);
}

/* The n + 4 bytes of a record's key `,"name":` after its first value,
 * name being n bytes, into out: what gm_jscan_past() compares with. */
static inline void gm_jscan_key_put(char *out, const char *name, size_t n)
{
	out[0] = ',';
	out[1] = '"';
	memcpy(out + 2, name, n);
	out[n + 2] = '"';
	out[n + 3] = ':';
}

#endif

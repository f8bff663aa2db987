/* utf8: strict validation; see utf8.h. ASCII is checked eight bytes at
 * a time; other sequences by the table of well-formed byte sequences of
 * the Unicode standard (chapter 3, table 3-7). */
#include "utf8.h"

#include <stdint.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "swar.h"

size_t gm_utf8_invalid_at(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		if (i + 8 <= len) {
			if (!gm_swar_high(gm_swar_load(p + i))) {
				i += 8;
				continue;
			}
		}
		unsigned c = p[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t need;
		unsigned lo = 0x80, hi = 0xBF;
		if (c >= 0xC2 && c <= 0xDF)
			need = 1;
		else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0;      /* no overlongs */
			else if (c == 0xED)
				hi = 0x9F;      /* no surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F;      /* nothing above U+10FFFF */
		} else
			return i;
		if (i + need >= len)   /* truncated sequence */
			return i;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return i;
		for (size_t k = 2; k <= need; k++)
			if ((p[i + k] & 0xC0) != 0x80)
				return i;
		i += need + 1;
	}
	return len;
}

size_t gm_utf8_ascii_prefix(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
#ifdef __SSE2__
	/* Sixteen bytes at a time where SSE2 is (x86-64 always): a byte's
	 * high bit is set when it is not ASCII or, in the compare, NUL.
	 * The words below find which byte. */
	const __m128i zero = _mm_setzero_si128();
	/* Sixty-four at a time first: one test for four loads, the high
	 * bits of all four together and a NUL among their least bytes. */
	for (; i + 64 <= len; i += 64) {
		const __m128i *q = (const __m128i *)(const void *)(p + i);
		__m128i w0 = _mm_loadu_si128(q), w1 = _mm_loadu_si128(q + 1),
			w2 = _mm_loadu_si128(q + 2), w3 = _mm_loadu_si128(q + 3);
		__m128i high = _mm_or_si128(_mm_or_si128(w0, w1), _mm_or_si128(w2, w3));
		__m128i least = _mm_min_epu8(_mm_min_epu8(w0, w1), _mm_min_epu8(w2, w3));
		if (_mm_movemask_epi8(_mm_or_si128(high, _mm_cmpeq_epi8(least, zero))))
			break;
	}
	for (; i + 16 <= len; i += 16) {
		__m128i w = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		if (_mm_movemask_epi8(_mm_or_si128(w, _mm_cmpeq_epi8(w, zero))))
			break;
	}
#endif
	for (; i + 8 <= len; i += 8) {
		uint64_t w = gm_swar_load(p + i);
		if (gm_swar_high(w) | gm_swar_below(w, 1))  /* not ASCII, or NUL */
			break;
	}
	while (i < len && p[i] - 1u < 0x7f)
		i++;
	return i;
}

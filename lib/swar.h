/* swar: eight bytes at a time in a 64-bit word ("SIMD within a
 * register"), for the scanners of event.c and utf8.c. */
#ifndef GM_SWAR_H
#define GM_SWAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define GM_SWAR_ONES 0x0101010101010101ULL
#define GM_SWAR_HIGHS 0x8080808080808080ULL

/* The eight bytes at p, unaligned. */
static inline uint64_t gm_swar_load(const void *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

/* Nonzero when a byte of w is below n (n <= 128; a byte >= 0x80 never
 * counts). The lowest flagged byte is the first such byte; flags above
 * it may be false. */
static inline uint64_t gm_swar_below(uint64_t w, unsigned n)
{
	return (w - GM_SWAR_ONES * n) & ~w & GM_SWAR_HIGHS;
}

/* Nonzero when a byte of w is c, as gm_swar_below(). */
static inline uint64_t gm_swar_is(uint64_t w, unsigned char c)
{
	return gm_swar_below(w ^ (GM_SWAR_ONES * c), 1);
}

/* Nonzero when a byte of w is not ASCII (>= 0x80). */
static inline uint64_t gm_swar_high(uint64_t w)
{
	return w & GM_SWAR_HIGHS;
}

/* a[0..n) equals b[0..n): a word or two for short strings (names),
 * without a call. */
static inline bool gm_swar_same(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		/* Word by word, the last one ending at the end. */
		for (size_t i = 0; i + 8 < n; i += 8)
			if (gm_swar_load(a + i) != gm_swar_load(b + i))
				return false;
		return gm_swar_load(a + n - 8) == gm_swar_load(b + n - 8);
	}
	if (n >= 4) {
		uint32_t w[4];
		memcpy(&w[0], a, 4);
		memcpy(&w[1], b, 4);
		memcpy(&w[2], a + n - 4, 4);
		memcpy(&w[3], b + n - 4, 4);
		return w[0] == w[1] && w[2] == w[3];
	}
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

#endif

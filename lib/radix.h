/* radix: a stable sort of records by a 64-bit key, a byte at a time
 * from the least significant: a pass for each byte in which the keys
 * differ, no comparisons, for the millions of ids and values the batch
 * tools put in order. */
#ifndef GM_RADIX_H
#define GM_RADIX_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Sorts a[0..n), records of size bytes whose key is the uint64_t at
 * byte key_at of each, stably by key, with b[0..n) for room; returns
 * the array that holds the result, a or b. Inline, so that where it
 * is used size and key_at are constants and a record moves as one. */
static inline void *gm_radix_sort(void *a, void *b, size_t n, size_t size, size_t key_at)
{
	size_t count[8][256] = { { 0 } };
	unsigned char *from = a, *to = b;
	for (size_t i = 0; i < n; i++) {
		uint64_t k;
		memcpy(&k, from + i * size + key_at, sizeof k);
		for (int d = 0; d < 8; d++)
			count[d][(k >> (8 * d)) & 0xff]++;
	}
	for (int d = 0; n && d < 8; d++) {
		uint64_t k0;
		memcpy(&k0, from + key_at, sizeof k0);
		if (count[d][(k0 >> (8 * d)) & 0xff] == n)
			continue;  /* every key has that byte */
		size_t at = 0;
		for (int v = 0; v < 256; v++) {
			size_t c = count[d][v];
			count[d][v] = at;
			at += c;
		}
		for (size_t i = 0; i < n; i++) {
			uint64_t k;
			memcpy(&k, from + i * size + key_at, sizeof k);
			memcpy(to + count[d][(k >> (8 * d)) & 0xff]++ * size, from + i * size, size);
		}
		unsigned char *t = from;
		from = to;
		to = t;
	}
	return from;
}

#endif

/* hash: eight bytes at a time, multiply and fold; see hash.h. */
#include "hash.h"

#include <string.h>

#define K1 0x9e3779b97f4a7c15ULL
#define K2 0xbf58476d1ce4e5b9ULL

uint64_t gm_hash_u64(uint64_t x)
{
	x ^= x >> 30;
	x *= K2;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t gm_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = K1 ^ (n * K2);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ gm_hash_u64(w)) * K1;
		s += 8;
		n -= 8;
	}
	/* The last 0 to 7 bytes, little-endian, as memcpy() into a zeroed
	 * word would give them, by fixed-size loads: a memcpy() of n bytes
	 * is a call. Overlapping loads repeat a byte in its own place. */
	uint64_t tail = 0;
	if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		tail = a | (uint64_t)b << (8 * (n - 4));
	} else if (n > 0) {
		tail = s[0] | (uint64_t)s[n / 2] << (8 * (n / 2)) | (uint64_t)s[n - 1] << (8 * (n - 1));
	}
	h = (h ^ gm_hash_u64(tail ^ (uint64_t)n << 56)) * K1;
	return gm_hash_u64(h);
}

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
	uint64_t tail = 0;
	memcpy(&tail, s, n);
	h = (h ^ gm_hash_u64(tail ^ (uint64_t)n << 56)) * K1;
	return gm_hash_u64(h);
}

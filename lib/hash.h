/* hash: a fast 64-bit hash of byte strings, for maps and sketches. Not
 * cryptographic; stable across runs and machines (little-endian reads). */
#ifndef GM_HASH_H
#define GM_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The hash of p[0..n). */
uint64_t gm_hash(const void *p, size_t n);

/* Mixes a 64-bit value into a well-spread one. */
uint64_t gm_hash_u64(uint64_t x);

#endif

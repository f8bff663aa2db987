/* hll: a HyperLogLog sketch of distinct items in fixed memory (4 KiB,
 * 4096 registers: about 1.6% standard error; small counts are exact in
 * practice, by linear counting). Sketches of the same size merge. */
#ifndef GM_HLL_H
#define GM_HLL_H

#include <stdint.h>

#define GM_HLL_BITS 12
#define GM_HLL_REGISTERS (1u << GM_HLL_BITS)

struct gm_hll {
	uint8_t reg[GM_HLL_REGISTERS];
};

/* Empties the sketch. */
void gm_hll_clear(struct gm_hll *h);

/* Adds an item given by its 64-bit hash (gm_hash()). */
void gm_hll_add(struct gm_hll *h, uint64_t hash);

/* Adds every item of src to dst. */
void gm_hll_merge(struct gm_hll *dst, const struct gm_hll *src);

/* The estimated number of distinct items added. */
uint64_t gm_hll_count(const struct gm_hll *h);

#endif

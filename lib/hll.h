/* hll: the number of distinct items, exact while they are few, then
 * estimated in bounded memory: HyperLogLog (Flajolet et al., 2007) that
 * starts sparse, as HyperLogLog++ does (Heule, Nunkesser and Hall, 2013).
 *
 * Exact range: up to GM_HLL_EXACT (384) distinct items, a sketch keeps
 * their 64-bit hashes (gm_hash()) in a table and its count is exact. Two
 * of 384 distinct items share a 64-bit hash with odds of about
 * 384^2 / 2^65, 4e-15: negligible beside any other error.
 *
 * Beyond it: the 385th distinct item turns the sketch dense, 4096
 * one-byte registers set from the hashes held, and the count becomes an
 * estimate, about 1.6% standard error (1.04 / sqrt(4096)). Measured
 * by tests/helpers/hll-error over 1000 random streams of each size,
 * the root mean square of the relative error is 1.1% to 1.3% up to
 * 3,000 items (linear counting), 1.4% to 1.8% up to 9,500, up to 3%
 * from 10,000 to 12,000, where the raw estimate takes over from linear
 * counting and runs up to 2.4% high on average (HyperLogLog++ corrects
 * that bias with empirical tables; this does not), and 1.5% to 1.6%
 * from 13,000 on. A dense count is never below 385, since the sketch
 * holds more.
 *
 * Memory: the struct, 24 bytes, plus, while exact, a table of 8-byte
 * slots: 4 of them for up to 3 items, doubling whenever it would be
 * more than 3/4 full, to 512 (4 KiB) for 384, so 11 to 22 bytes per
 * item; once dense, 4 KiB of registers instead. Never more than 4 KiB
 * and 24 bytes, and the allocator's own few bytes a block.
 *
 * A zeroed struct gm_hll (GM_HLL_INIT) is an empty sketch. The memory
 * it comes to hold is its own: gm_hll_free() gives it back. Running out
 * of memory ends the process (status 1), as the gm_x allocators do. */
#ifndef GM_HLL_H
#define GM_HLL_H

#include <stdbool.h>
#include <stdint.h>

#define GM_HLL_EXACT 384
#define GM_HLL_BITS 12
#define GM_HLL_REGISTERS (1u << GM_HLL_BITS)

struct gm_hll {
	uint64_t *slot;   /* while exact: cap slots, the hashes held and 0s */
	uint8_t *reg;     /* once dense: GM_HLL_REGISTERS registers; else NULL */
	uint32_t n;       /* while exact: the items held */
	uint16_t cap;     /* while exact: slots (a power of two), 0 for none */
	bool zero;        /* while exact: the hash 0 is held (not in a slot) */
};

#define GM_HLL_INIT { 0 }

/* Empties the sketch for reuse. A table of up to GM_HLL_KEEP slots is
 * kept, so that a recycled sketch of few items allocates nothing; a
 * bigger one, and the registers, are freed, so that an empty sketch
 * holds at most 512 bytes. */
#define GM_HLL_KEEP 64
void gm_hll_clear(struct gm_hll *h);

/* Frees what the sketch holds; it is then empty, and may be used again. */
void gm_hll_free(struct gm_hll *h);

/* Adds an item given by its 64-bit hash (gm_hash()). */
void gm_hll_add(struct gm_hll *h, uint64_t hash);

/* Adds every item of src to dst (src is unchanged; it may be dst). The
 * result is exact when the union has at most GM_HLL_EXACT items (both
 * are exact then); otherwise it is dense, with the registers that
 * adding src's items to dst one by one would have given. */
void gm_hll_merge(struct gm_hll *dst, const struct gm_hll *src);

/* The number of distinct items added: exact up to GM_HLL_EXACT, an
 * estimate beyond. */
uint64_t gm_hll_count(const struct gm_hll *h);

#endif

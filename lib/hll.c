/* hll: an open-addressing set of hashes, then HyperLogLog registers with
 * linear counting for their small range; see hll.h.
 *
 * The set is a table of 8-byte slots, 0 marking an empty one (the hash
 * 0 itself is kept aside, in zero), probed linearly from a hash's low
 * bits; a register's index is taken from its top bits. A sorted array
 * would hold a few more items in the same memory, but every insertion
 * moves half of it: a sketch on its way to dense would pay quadratic
 * time. */
#include "hll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* The biggest table, GM_HLL_EXACT items at 3/4 full, takes no more
 * memory than the registers that replace it. */
_Static_assert(GM_HLL_EXACT * 4 / 3 * sizeof(uint64_t) <= GM_HLL_REGISTERS,
	"the exact set outgrows the registers");

static void reg_add(uint8_t *reg, uint64_t hash)
{
	uint32_t idx = hash >> (64 - GM_HLL_BITS);
	uint64_t rest = hash << GM_HLL_BITS | (1ULL << (GM_HLL_BITS - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	if (rank > reg[idx])
		reg[idx] = rank;
}

/* The slot of x (not 0) in a table of cap slots (a power of two, with
 * an empty one): where x is, or the empty slot where it would go. */
static uint64_t *probe(uint64_t *slot, uint32_t cap, uint64_t x)
{
	uint32_t mask = cap - 1, i = (uint32_t)x & mask;
	while (slot[i] && slot[i] != x)
		i = (i + 1) & mask;
	return &slot[i];
}

/* Whether an exact sketch holds x. */
static bool held(const struct gm_hll *h, uint64_t x)
{
	if (!x)
		return h->zero;
	return h->cap && *probe(h->slot, h->cap, x);
}

/* Whether the table takes one more hash and stays at most 3/4 full, so
 * that a probe stays within a cache line or two. */
static bool room(const struct gm_hll *h)
{
	return (h->n - h->zero + 1) * 4 <= h->cap * 3u;
}

/* Adds x, not held, to an exact sketch of fewer than GM_HLL_EXACT
 * items, doubling its table from 4 slots when it has no room. */
static void put(struct gm_hll *h, uint64_t x)
{
	if (!x) {
		h->zero = true;
		h->n++;
		return;
	}
	if (!room(h)) {
		uint32_t cap = h->cap ? h->cap * 2u : 4;
		uint64_t *slot = gm_xcalloc(cap, sizeof *slot);
		for (uint32_t i = 0; i < h->cap; i++)
			if (h->slot[i])
				*probe(slot, cap, h->slot[i]) = h->slot[i];
		free(h->slot);
		h->slot = slot;
		h->cap = (uint16_t)cap;
	}
	*probe(h->slot, h->cap, x) = x;
	h->n++;
}

/* Sets registers from an exact sketch's items. */
static void reg_add_all(uint8_t *reg, const struct gm_hll *h)
{
	for (uint32_t i = 0; i < h->cap; i++)
		if (h->slot[i])
			reg_add(reg, h->slot[i]);
	if (h->zero)
		reg_add(reg, 0);
}

/* Turns an exact sketch dense: the registers are those its items would
 * have set one by one. */
static void densify(struct gm_hll *h)
{
	uint8_t *reg = gm_xcalloc(GM_HLL_REGISTERS, 1);
	reg_add_all(reg, h);
	free(h->slot);
	*h = (struct gm_hll){ .reg = reg };
}

void gm_hll_clear(struct gm_hll *h)
{
	free(h->reg);
	h->reg = NULL;
	if (h->cap > GM_HLL_KEEP) {
		free(h->slot);
		h->slot = NULL;
		h->cap = 0;
	} else if (h->n) {
		memset(h->slot, 0, h->cap * sizeof *h->slot);
	}
	h->n = 0;
	h->zero = false;
}

void gm_hll_free(struct gm_hll *h)
{
	free(h->reg);
	free(h->slot);
	*h = (struct gm_hll)GM_HLL_INIT;
}

void gm_hll_add(struct gm_hll *h, uint64_t hash)
{
	if (h->reg) {
		reg_add(h->reg, hash);
		return;
	}
	if (hash && h->cap) {   /* the usual case, in one probe */
		uint64_t *s = probe(h->slot, h->cap, hash);
		if (*s)
			return;
		if (h->n < GM_HLL_EXACT && room(h)) {
			*s = hash;
			h->n++;
			return;
		}
	} else if (held(h, hash)) {
		return;
	}
	if (h->n == GM_HLL_EXACT) {
		densify(h);
		reg_add(h->reg, hash);
	} else {
		put(h, hash);
	}
}

void gm_hll_merge(struct gm_hll *dst, const struct gm_hll *src)
{
	if (src == dst)
		return;
	if (src->reg) {
		if (!dst->reg)
			densify(dst);
		for (uint32_t i = 0; i < GM_HLL_REGISTERS; i++)
			if (src->reg[i] > dst->reg[i])
				dst->reg[i] = src->reg[i];
		return;
	}
	if (!dst->reg) {
		uint32_t n = dst->n;
		for (uint32_t i = 0; i < src->cap; i++)
			n += src->slot[i] && !held(dst, src->slot[i]);
		n += src->zero && !dst->zero;
		if (n <= GM_HLL_EXACT) {   /* the union is exact too */
			for (uint32_t i = 0; i < src->cap; i++)
				if (src->slot[i] && !held(dst, src->slot[i]))
					put(dst, src->slot[i]);
			if (src->zero && !dst->zero)
				put(dst, 0);
			return;
		}
		densify(dst);
	}
	reg_add_all(dst->reg, src);
}

/* 2^-r, exactly, built from its exponent bits (r is at most 53 here):
 * ldexp() for each of 4096 registers cost more than the rest. */
static double inverse_pow2(unsigned r)
{
	uint64_t bits = (uint64_t)(1023 - r) << 52;
	double d;
	memcpy(&d, &bits, sizeof d);
	return d;
}

uint64_t gm_hll_count(const struct gm_hll *h)
{
	if (!h->reg)
		return h->n;
	const double m = GM_HLL_REGISTERS;
	double sum = 0;
	unsigned zeros = 0;
	for (uint32_t i = 0; i < GM_HLL_REGISTERS; i++) {
		sum += inverse_pow2(h->reg[i]);
		zeros += h->reg[i] == 0;
	}
	double alpha = 0.7213 / (1 + 1.079 / m);
	double e = alpha * m * m / sum;
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);   /* linear counting */
	/* a dense sketch holds more than GM_HLL_EXACT items: an estimate
	 * below that is wrong for sure */
	uint64_t count = (uint64_t)llround(e);
	return count > GM_HLL_EXACT ? count : GM_HLL_EXACT + 1;
}

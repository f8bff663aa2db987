/* hll: HyperLogLog (Flajolet et al., 2007) with linear counting for
 * small cardinalities; see hll.h. */
#include "hll.h"

#include <math.h>
#include <string.h>

void gm_hll_clear(struct gm_hll *h)
{
	memset(h->reg, 0, sizeof h->reg);
}

void gm_hll_add(struct gm_hll *h, uint64_t hash)
{
	uint32_t idx = hash >> (64 - GM_HLL_BITS);
	uint64_t rest = hash << GM_HLL_BITS | (1ULL << (GM_HLL_BITS - 1));
	uint8_t rank = (uint8_t)(__builtin_clzll(rest) + 1);
	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}

void gm_hll_merge(struct gm_hll *dst, const struct gm_hll *src)
{
	for (uint32_t i = 0; i < GM_HLL_REGISTERS; i++)
		if (src->reg[i] > dst->reg[i])
			dst->reg[i] = src->reg[i];
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
	return (uint64_t)llround(e);
}

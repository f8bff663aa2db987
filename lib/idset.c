/* idset: open addressing over fingerprints, linear probing, at most
 * three quarters full (a probe that misses reads about eight slots
 * then, two or three cache lines side by side, where half full took
 * twice the memory, each page of it zeroed by the system once: 50M ids
 * in 1 GiB, not 2); see idset.h. The slots are mapped with gm_xmap(): on huge
 * pages, a probe of a set larger than the cache misses the cache, not
 * the TLB too. */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "mem.h"

struct fp {
	uint64_t a, b;  /* a == 0 && b == 0: an empty slot */
};

struct gm_idset {
	struct fp *slot;
	size_t mask, n;
};

/* A multiply that folds the 128-bit product: the mixing step of the
 * second hash. */
static uint64_t fold_mul(uint64_t x, uint64_t y)
{
	unsigned __int128 p = (unsigned __int128)x * y;
	return (uint64_t)p ^ (uint64_t)(p >> 64);
}

/* Two hashes of unrelated construction, so that the pair is as good as
 * 128 bits: gm_hash() (xor, mix, multiply per word), and a folded
 * 128-bit multiply per word, with constants of its own; both take the
 * id eight bytes at a time, where a byte-wise hash cost a multiply a
 * byte. */
static uint64_t second_hash(const char *id, size_t n)
{
	uint64_t h = 0x2d358dccaa6c78a5ULL ^ n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, id, 8);
		h = fold_mul(h ^ w, 0x8bb84b93962eacc9ULL);
		id += 8;
		n -= 8;
	}
	uint64_t tail = 0;
	memcpy(&tail, id, n);
	h = fold_mul(h ^ tail ^ 0x4b33a62ed433d4a3ULL, 0x8bb84b93962eacc9ULL);
	return fold_mul(h, 0x4f1bbcdcbfa53e0bULL);
}

/* The fingerprint of id[0..n), whose gm_hash() is h. */
static struct fp fingerprint(const char *id, size_t n, uint64_t h)
{
	struct fp f = { h, second_hash(id, n) };
	if (!f.a && !f.b)
		f.b = 1;
	return f;
}

struct gm_idset *gm_idset_new(void)
{
	struct gm_idset *s = gm_xcalloc(1, sizeof *s);
	s->mask = 1023;
	s->slot = gm_xmap((s->mask + 1) * sizeof *s->slot);
	return s;
}

void gm_idset_free(struct gm_idset *s)
{
	if (!s)
		return;
	gm_unmap(s->slot, (s->mask + 1) * sizeof *s->slot);
	free(s);
}

static size_t find(const struct gm_idset *s, struct fp f)
{
	size_t i = f.a & s->mask;
	while ((s->slot[i].a || s->slot[i].b) && (s->slot[i].a != f.a || s->slot[i].b != f.b))
		i = (i + 1) & s->mask;
	return i;
}

static void grow(struct gm_idset *s)
{
	struct fp *old = s->slot;
	size_t oldn = s->mask + 1;
	s->mask = oldn * 2 - 1;
	s->slot = gm_xmap((s->mask + 1) * sizeof *s->slot);
	/* The old slots are given back a huge page at a time as they are
	 * placed again, not all at the end: at no time are both tables
	 * held whole. */
	const size_t part = ((size_t)2 << 20) / sizeof *old;
	for (size_t from = 0; from < oldn; from += part) {
		size_t to = from + part < oldn ? from + part : oldn;
		for (size_t i = from; i < to; i++)
			if (old[i].a || old[i].b)
				s->slot[find(s, old[i])] = old[i];
		gm_release(old + from, (to - from) * sizeof *old);
	}
	gm_unmap(old, oldn * sizeof *old);
}

bool gm_idset_add(struct gm_idset *s, const char *id, size_t n)
{
	return gm_idset_add_hashed(s, id, n, gm_hash(id, n));
}

bool gm_idset_add_hashed(struct gm_idset *s, const char *id, size_t n, uint64_t h)
{
	struct fp f = fingerprint(id, n, h);
	size_t i = find(s, f);
	if (s->slot[i].a || s->slot[i].b)
		return false;
	s->slot[i] = f;
	if (++s->n * 4 > (s->mask + 1) * 3)
		grow(s);
	return true;
}

void gm_idset_prefetch(const struct gm_idset *s, const char *id, size_t n)
{
	gm_idset_prefetch_hashed(s, gm_hash(id, n));
}

void gm_idset_prefetch_hashed(const struct gm_idset *s, uint64_t h)
{
	/* The slot comes from the first hash alone. */
	__builtin_prefetch(&s->slot[h & s->mask]);
}

bool gm_idset_has(const struct gm_idset *s, const char *id, size_t n)
{
	size_t i = find(s, fingerprint(id, n, gm_hash(id, n)));
	return s->slot[i].a || s->slot[i].b;
}

size_t gm_idset_size(const struct gm_idset *s)
{
	return s->n;
}

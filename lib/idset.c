/* idset: ids in ascending order as a log, then open addressing over
 * fingerprints, linear probing, at most three quarters full (a probe
 * that misses reads about eight slots then, two or three cache lines
 * side by side, where half full took twice the memory, each page of it
 * zeroed by the system once: 50M ids in 1 GiB, not 2); see idset.h.
 * The slots are mapped with gm_xmap(): on huge pages, a probe of a set
 * larger than the cache misses the cache, not the TLB too. */
#include "idset.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "mem.h"

struct fp {
	uint64_t a, b;  /* a == 0 && b == 0: an empty slot */
};

/* While every id has come in ascending order (bytes, then length), the
 * set is their log, each id as the length it shares with the one
 * before and the rest (front coding, as sorted tables of keys store
 * them): ids of a sequence take three or four bytes, written in order,
 * where a slot is 16 bytes anywhere in a table of gigabytes. An id
 * after the last is new, the last again a duplicate; the first id
 * before it turns the log into the table (to_table()). */
struct gm_idset {
	struct fp *slot;   /* NULL while in order */
	size_t mask, n;
	char *log;         /* the ids in order, front-coded */
	size_t loglen, logcap;
	char *last;        /* the last id of the log */
	size_t lastlen, lastcap;
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
	return gm_xcalloc(1, sizeof(struct gm_idset));
}

static void free_log(struct gm_idset *s)
{
	gm_unmap(s->log, s->logcap);
	free(s->last);
	s->log = s->last = NULL;
	s->loglen = s->logcap = s->lastlen = s->lastcap = 0;
}

void gm_idset_free(struct gm_idset *s)
{
	if (!s)
		return;
	if (s->slot)
		gm_unmap(s->slot, (s->mask + 1) * sizeof *s->slot);
	free_log(s);
	free(s);
}

/* How many bytes a[0..an) and b[0..bn) share from the start. */
static size_t shared(const char *a, size_t an, const char *b, size_t bn)
{
	size_t n = an < bn ? an : bn, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x, y;
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		if (x != y)
			return i + (size_t)__builtin_ctzll(x ^ y) / 8;  /* little-endian */
	}
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* Where id[0..n) falls against the log's last id: > 0 after it, 0 the
 * same, < 0 before; *same is the length they share. */
static int against_last(const struct gm_idset *s, const char *id, size_t n, size_t *same)
{
	size_t k = *same = shared(id, n, s->last, s->lastlen);
	if (k < n && k < s->lastlen)
		return (unsigned char)id[k] < (unsigned char)s->last[k] ? -1 : 1;
	return n < s->lastlen ? -1 : n > s->lastlen;
}

static size_t put_varint(char *p, size_t v)
{
	size_t k = 0;
	for (; v >= 0x80; v >>= 7)
		p[k++] = (char)((v & 0x7f) | 0x80);
	p[k++] = (char)v;
	return k;
}

static size_t get_varint(const char *p, size_t *v)
{
	size_t k = 0, x = 0;
	for (unsigned sh = 0;; sh += 7) {
		unsigned char b = (unsigned char)p[k++];
		x |= (size_t)(b & 0x7f) << sh;
		if (b < 0x80)
			break;
	}
	*v = x;
	return k;
}

/* Appends id[0..n), after the last id, which shares same bytes with
 * it. */
static void log_append(struct gm_idset *s, const char *id, size_t n, size_t same)
{
	/* two varints of at most 10 bytes, and the rest */
	s->log = gm_xmap_grow(s->log, &s->logcap, s->loglen + 20 + n - same, (size_t)16 << 10);
	char *p = s->log + s->loglen;
	p += put_varint(p, same);
	p += put_varint(p, n - same);
	memcpy(p, id + same, n - same);
	s->loglen = (size_t)(p - s->log) + n - same;
	s->last = gm_grow(s->last, &s->lastcap, n ? n : 1, 1, 64);
	memcpy(s->last + same, id + same, n - same);
	s->lastlen = n;
	s->n++;
}

static size_t find(const struct gm_idset *s, struct fp f);

/* The log's ids placed in a table of the size adds would have grown it
 * to, the log given back. */
static void to_table(struct gm_idset *s)
{
	size_t cap = 1024;
	while (s->n * 4 > cap * 3)
		cap *= 2;
	s->mask = cap - 1;
	s->slot = gm_xmap_slots(cap * sizeof *s->slot);
	char *id = gm_xrealloc(NULL, s->lastcap ? s->lastcap : 1);  /* as long as the longest */
	for (size_t at = 0, n = 0; at < s->loglen;) {
		size_t same, rest;
		at += get_varint(s->log + at, &same);
		at += get_varint(s->log + at, &rest);
		memcpy(id + same, s->log + at, rest);
		at += rest;
		n = same + rest;
		struct fp f = fingerprint(id, n, gm_hash(id, n));
		s->slot[find(s, f)] = f;
	}
	free(id);
	free_log(s);
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

/* The log's add of id[0..n): 1 added, 0 there already, -1 turned into
 * the table, where it is to be added. */
static int log_add(struct gm_idset *s, const char *id, size_t n)
{
	size_t same = 0;
	int c = s->n ? against_last(s, id, n, &same) : 1;
	if (c > 0) {
		log_append(s, id, n, same);
		return 1;
	}
	if (c == 0)
		return 0;
	to_table(s);
	return -1;
}

bool gm_idset_add(struct gm_idset *s, const char *id, size_t n)
{
	return gm_idset_add_hashed(s, id, n, 0);
}

bool gm_idset_add_hashed(struct gm_idset *s, const char *id, size_t n, uint64_t h)
{
	if (!s->slot) {
		int c = log_add(s, id, n);
		if (c >= 0)
			return c;
	}
	/* The log needs no hash: the id is hashed only for the table (a
	 * real hash of 0 made again is the same). */
	if (!h)
		h = gm_hash(id, n);
	struct fp f = fingerprint(id, n, h);
	size_t i = find(s, f);
	if (s->slot[i].a || s->slot[i].b)
		return false;
	s->slot[i] = f;
	if (++s->n * 4 > (s->mask + 1) * 3)
		grow(s);
	return true;
}

uint64_t gm_idset_prefetch(const struct gm_idset *s, const char *id, size_t n)
{
	if (!s->slot)
		return 0;
	uint64_t h = gm_hash(id, n);
	gm_idset_prefetch_hashed(s, h);
	return h;
}

void gm_idset_prefetch_hashed(const struct gm_idset *s, uint64_t h)
{
	/* The slot comes from the first hash alone; the log's end is in
	 * the cache. */
	if (s->slot)
		__builtin_prefetch(&s->slot[h & s->mask]);
}

bool gm_idset_has(struct gm_idset *s, const char *id, size_t n)
{
	if (!s->slot) {
		size_t same;
		int c = s->n ? against_last(s, id, n, &same) : 1;
		if (c >= 0)
			return c == 0;
		to_table(s);
	}
	size_t i = find(s, fingerprint(id, n, gm_hash(id, n)));
	return s->slot[i].a || s->slot[i].b;
}

size_t gm_idset_size(const struct gm_idset *s)
{
	return s->n;
}

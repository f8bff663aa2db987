/* map: linear-probing index over an array of records, with a doubly
 * linked LRU list beside them; see map.h. Removal (eviction or
 * gm_map_remove) shifts the following probe run back, so the index needs
 * no tombstones; the removed record goes on a free list, linked through
 * its LRU links, for the next new key.
 *
 * The map is usually far bigger than the caches, and most lookups in a
 * stream are of new keys, so the layout keeps cache misses few:
 *
 *   - an index slot holds the low 32 bits of its key's hash beside the
 *     record number: a probe passes other keys' slots without reading
 *     their records, and a new key touches only its slot;
 *   - a record holds the entry's key and its value together, so a key
 *     found has its value in the next cache lines;
 *   - the LRU links are an array of their own, 8 bytes a record: a use
 *     moves the entry to the front touching its neighbours' links, in
 *     a block 1/10 the records' size, not their records;
 *   - the records are one block from gm_xmap(), sized for max_entries
 *     but taken from the system only as records are appended (huge
 *     pages where there are some); the index doubles to keep at most
 *     half its slots used.
 *
 * The index position is taken from those 32 bits, so the index has at
 * most 2^32 slots and the map at most 2^31 entries. */
#include "map.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "hash.h"

#define NONE UINT32_MAX
#define FREE UINT8_MAX
#define MAX_ENTRIES ((size_t)1 << 31)

struct slot {
	uint32_t hash;         /* the key's hash, low 32 bits */
	uint32_t record;       /* record number + 1; 0: the slot is empty */
};

/* A record's place in the recency list: head is the most recent; on
 * the free list, next links it. Apart from the records, so that moving
 * an entry to the front touches its neighbours' 8 bytes, not their
 * records. */
struct link {
	uint32_t prev, next;
};

struct entry {             /* the head of a record; the value follows */
	uint32_t hash;
	uint8_t klen;          /* FREE: the record is on the free list */
	char key[];            /* room for the map's key_max bytes */
};

struct gm_map {
	size_t value_size, max;
	size_t key_max;        /* the longest key taken */
	bool hashes;           /* keys of 8 bytes are hashes already (gm_map_new_hashes()) */
	size_t value_at;       /* where a record's value begins: after key_max, 8-byte aligned */
	size_t stride;         /* bytes per record, a multiple of 8 */
	unsigned char *records;   /* max records */
	struct link *links;       /* max links, one per record */
	size_t n;                 /* records ever used: live or free */
	size_t live;              /* entries in the map */
	uint32_t free;            /* the free list of records; NONE: empty */
	struct slot *index;
	size_t index_cap;         /* a power of two, at least twice live */
	uint32_t head, tail;
	uint64_t evicted;
	gm_map_evict_fn *on_evict;
	void *evict_ctx;
};

/* The hash a key is placed by: an 8-byte key's own bits in a map of
 * hashes, else gm_hash()'s. */
static inline uint64_t key_hash(const struct gm_map *m, const char *key, size_t klen)
{
	if (m->hashes && klen == sizeof(uint64_t)) {
		uint64_t h;
		memcpy(&h, key, sizeof h);
		return h;
	}
	return gm_hash(key, klen);
}

static struct entry *entry(const struct gm_map *m, uint32_t e)
{
	return (struct entry *)(m->records + (size_t)e * m->stride);
}

static struct link *link(const struct gm_map *m, uint32_t e)
{
	return &m->links[e];
}

static void *value(const struct gm_map *m, uint32_t e)
{
	return m->records + (size_t)e * m->stride + m->value_at;
}

/* Moves every slot to a new, empty index of index_cap slots. */
static void reindex(struct gm_map *m, size_t index_cap)
{
	struct slot *old = m->index;
	size_t old_cap = m->index_cap, mask = index_cap - 1;
	m->index = gm_xmap_slots(index_cap * sizeof *m->index);
	m->index_cap = index_cap;
	for (size_t j = 0; j < old_cap; j++) {
		if (!old[j].record)
			continue;
		size_t i = old[j].hash & mask;
		while (m->index[i].record)
			i = (i + 1) & mask;
		m->index[i] = old[j];
	}
	gm_unmap(old, old_cap * sizeof *old);
}

struct gm_map *gm_map_new(size_t value_size, size_t max_entries)
{
	return gm_map_new_keys(value_size, max_entries, GM_MAP_KEY_MAX);
}

struct gm_map *gm_map_new_keys(size_t value_size, size_t max_entries, size_t key_max)
{
	struct gm_map *m = gm_xcalloc(1, sizeof *m);
	m->value_size = value_size;
	m->key_max = key_max < 1 ? 1 : key_max > GM_MAP_KEY_MAX ? GM_MAP_KEY_MAX : key_max;
	m->value_at = (offsetof(struct entry, key) + m->key_max + 7) & ~(size_t)7;
	m->stride = (m->value_at + value_size + 7) & ~(size_t)7;
	m->max = max_entries < 1 ? 1 : max_entries > MAX_ENTRIES ? MAX_ENTRIES : max_entries;
	m->head = m->tail = m->free = NONE;
	m->records = gm_xmap(m->max * m->stride);
	m->links = gm_xmap(m->max * sizeof *m->links);
	reindex(m, 64);
	return m;
}

struct gm_map *gm_map_new_hashes(size_t value_size, size_t max_entries)
{
	struct gm_map *m = gm_map_new_keys(value_size, max_entries, sizeof(uint64_t));
	m->hashes = true;
	return m;
}

void gm_map_free(struct gm_map *m)
{
	if (!m)
		return;
	gm_unmap(m->records, m->max * m->stride);
	gm_unmap(m->links, m->max * sizeof *m->links);
	gm_unmap(m->index, m->index_cap * sizeof *m->index);
	free(m);
}

size_t gm_map_size(const struct gm_map *m)
{
	return m->live;
}

uint64_t gm_map_evicted(const struct gm_map *m)
{
	return m->evicted;
}

static void unlink_lru(struct gm_map *m, uint32_t e)
{
	struct link *x = link(m, e);
	if (x->prev != NONE)
		link(m, x->prev)->next = x->next;
	else
		m->head = x->next;
	if (x->next != NONE)
		link(m, x->next)->prev = x->prev;
	else
		m->tail = x->prev;
}

static void push_front(struct gm_map *m, uint32_t e)
{
	struct link *x = link(m, e);
	x->prev = NONE;
	x->next = m->head;
	if (m->head != NONE)
		link(m, m->head)->prev = e;
	m->head = e;
	if (m->tail == NONE)
		m->tail = e;
}

/* The index slot of key, or of the empty slot where it would go. */
static size_t slot_of(const struct gm_map *m, uint32_t h, const char *key, size_t klen)
{
	size_t mask = m->index_cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct slot s = m->index[i];
		if (!s.record)
			return i;
		if (s.hash == h) {
			const struct entry *x = entry(m, s.record - 1);
			if (x->klen == klen && !memcmp(x->key, key, klen))
				return i;
		}
	}
}

/* Makes entry e the most recently used; returns its value. */
static void *touch(struct gm_map *m, uint32_t e)
{
	if (m->head != e) {
		unlink_lru(m, e);
		push_front(m, e);
	}
	return value(m, e);
}

void *gm_map_get(struct gm_map *m, const char *key, size_t klen)
{
	if (klen > m->key_max)
		return NULL;
	struct slot s = m->index[slot_of(m, (uint32_t)key_hash(m, key, klen), key, klen)];
	return s.record ? touch(m, s.record - 1) : NULL;
}

void gm_map_prefetch(const struct gm_map *m, const char *key, size_t klen)
{
	gm_map_prefetch_hashed(m, key_hash(m, key, klen));
}

void gm_map_prefetch_hashed(const struct gm_map *m, uint64_t h)
{
	__builtin_prefetch(&m->index[(uint32_t)h & (m->index_cap - 1)]);
}

/* Empties index slot i, shifting back the slots of the probe run after
 * it that may move. */
static void index_remove(struct gm_map *m, size_t i)
{
	size_t mask = m->index_cap - 1;
	m->index[i].record = 0;
	for (size_t j = (i + 1) & mask; m->index[j].record; j = (j + 1) & mask) {
		size_t home = m->index[j].hash & mask;
		/* Move it back to i if i lies between its home and j. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->index[i] = m->index[j];
			m->index[j].record = 0;
			i = j;
		}
	}
}

/* The index slot of live entry e. */
static size_t slot_of_entry(const struct gm_map *m, uint32_t e)
{
	size_t mask = m->index_cap - 1, i = entry(m, e)->hash & mask;
	while (m->index[i].record != e + 1)
		i = (i + 1) & mask;
	return i;
}

/* Takes live entry e, at index slot i, out of the index and the LRU
 * list. */
static void take_out(struct gm_map *m, uint32_t e, size_t i)
{
	index_remove(m, i);
	unlink_lru(m, e);
	m->live--;
}

/* Puts record e, taken out, on the free list. */
static void release(struct gm_map *m, uint32_t e)
{
	entry(m, e)->klen = FREE;
	link(m, e)->next = m->free;
	m->free = e;
}

/* Frees the least recently used entry, after the eviction callback has
 * seen it; returns its number for reuse. */
static uint32_t evict(struct gm_map *m)
{
	uint32_t e = m->tail;
	take_out(m, e, slot_of_entry(m, e));
	m->evicted++;
	if (m->on_evict) {
		struct entry *x = entry(m, e);
		m->on_evict(m->evict_ctx, x->key, x->klen, value(m, e));
	}
	return e;
}

void *gm_map_put(struct gm_map *m, const char *key, size_t klen, bool *created)
{
	return gm_map_put_hashed(m, key, klen, key_hash(m, key, klen), created);
}

void *gm_map_put_hashed(struct gm_map *m, const char *key, size_t klen, uint64_t hash,
	bool *created)
{
	if (klen > m->key_max)
		return NULL;
	uint32_t h = (uint32_t)hash;
	size_t i = slot_of(m, h, key, klen);
	if (m->index[i].record) {
		*created = false;
		return touch(m, m->index[i].record - 1);
	}
	uint32_t e;
	bool fresh = false;     /* never used: zero from the system */
	if (m->live == m->max) {
		e = evict(m);
		i = slot_of(m, h, key, klen);
	} else {
		if ((m->live + 1) * 2 > m->index_cap) {
			reindex(m, m->index_cap * 2);
			i = slot_of(m, h, key, klen);
		}
		if (m->free != NONE) {
			e = m->free;
			m->free = link(m, e)->next;
		} else {
			e = (uint32_t)m->n++;
			fresh = true;
		}
	}
	m->live++;
	struct entry *x = entry(m, e);
	x->hash = h;
	x->klen = (uint8_t)klen;
	memcpy(x->key, key, klen);
	m->index[i] = (struct slot){ h, e + 1 };
	push_front(m, e);
	*created = true;
	void *v = value(m, e);
	if (!fresh)
		memset(v, 0, m->value_size);
	return v;
}

void *gm_map_peek(const struct gm_map *m, const char *key, size_t klen)
{
	if (klen > m->key_max)
		return NULL;
	struct slot s = m->index[slot_of(m, (uint32_t)key_hash(m, key, klen), key, klen)];
	return s.record ? value(m, s.record - 1) : NULL;
}

bool gm_map_remove(struct gm_map *m, const char *key, size_t klen)
{
	if (klen > m->key_max)
		return false;
	size_t i = slot_of(m, (uint32_t)key_hash(m, key, klen), key, klen);
	uint32_t e = m->index[i].record;
	if (!e)
		return false;
	take_out(m, e - 1, i);
	release(m, e - 1);
	return true;
}

uint32_t gm_map_place(const struct gm_map *m, const void *value)
{
	return (uint32_t)(((const unsigned char *)value - m->value_at - m->records) / m->stride);
}

void *gm_map_at(const struct gm_map *m, uint32_t place, const char **key, size_t *klen)
{
	if (place >= m->n)
		return NULL;
	struct entry *x = entry(m, place);
	if (x->klen == FREE)
		return NULL;
	*key = x->key;
	*klen = x->klen;
	return value(m, place);
}

void gm_map_prefetch_at(const struct gm_map *m, uint32_t place)
{
	if (place >= m->n)
		return;
	/* The lines from the record's head to 64 bytes into its value. */
	const char *x = (const char *)entry(m, place), *end = x + m->value_at + 63;
	for (; x < end; x += 64)
		__builtin_prefetch(x);
	__builtin_prefetch(end);
}

void gm_map_prefetch_entry_hashed(const struct gm_map *m, uint64_t h)
{
	/* The key's first slot only: one further along its probe run
	 * would be a read that can miss, for a hint. */
	struct slot s = m->index[(uint32_t)h & (m->index_cap - 1)];
	if (s.record && s.hash == (uint32_t)h)
		gm_map_prefetch_at(m, s.record - 1);
}

void gm_map_on_evict(struct gm_map *m, gm_map_evict_fn *fn, void *ctx)
{
	m->on_evict = fn;
	m->evict_ctx = ctx;
}

void gm_map_iter_init(struct gm_map_iter *it, struct gm_map *m, bool oldest_first)
{
	it->m = m;
	it->next = oldest_first ? m->tail : m->head;
	it->last = NONE;
	it->oldest_first = oldest_first;
}

void *gm_map_iter_next(struct gm_map_iter *it, const char **key, size_t *klen)
{
	uint32_t e = it->next;
	it->last = e;
	if (e == NONE)
		return NULL;
	/* The next one is found now, so that e may be removed. */
	struct entry *x = entry(it->m, e);
	it->next = it->oldest_first ? link(it->m, e)->prev : link(it->m, e)->next;
	*key = x->key;
	*klen = x->klen;
	return value(it->m, e);
}

void gm_map_iter_remove(struct gm_map_iter *it)
{
	uint32_t e = it->last;
	if (e == NONE || entry(it->m, e)->klen == FREE)
		return;
	take_out(it->m, e, slot_of_entry(it->m, e));
	release(it->m, e);
	it->last = NONE;
}

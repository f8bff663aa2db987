/* map: linear-probing index over an entry array, with a doubly linked
 * LRU list through the entries; see map.h. Removal (eviction) shifts the
 * following probe run back, so the index needs no tombstones. */
#include "map.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hash.h"

#define NONE UINT32_MAX

struct entry {
	uint64_t hash;
	uint32_t prev, next;   /* LRU list: head is the most recent */
	uint8_t klen;
	char key[GM_MAP_KEY_MAX];
};

struct gm_map {
	size_t value_size, max;
	struct entry *entries;
	unsigned char *values;
	size_t n, cap;         /* entries used, allocated */
	uint32_t *index;       /* slot -> entry, NONE when empty */
	size_t index_cap;      /* a power of two, at least twice cap */
	uint32_t head, tail;
	uint64_t evicted;
};

static void reindex(struct gm_map *m)
{
	free(m->index);
	m->index = gm_xrealloc(NULL, m->index_cap * sizeof *m->index);
	for (size_t i = 0; i < m->index_cap; i++)
		m->index[i] = NONE;
	for (size_t e = 0; e < m->n; e++) {
		size_t i = m->entries[e].hash & (m->index_cap - 1);
		while (m->index[i] != NONE)
			i = (i + 1) & (m->index_cap - 1);
		m->index[i] = (uint32_t)e;
	}
}

struct gm_map *gm_map_new(size_t value_size, size_t max_entries)
{
	struct gm_map *m = gm_xcalloc(1, sizeof *m);
	m->value_size = value_size;
	m->max = max_entries < 1 ? 1 : max_entries > NONE - 1 ? NONE - 1 : max_entries;
	m->head = m->tail = NONE;
	m->index_cap = 64;
	reindex(m);
	return m;
}

void gm_map_free(struct gm_map *m)
{
	if (!m)
		return;
	free(m->entries);
	free(m->values);
	free(m->index);
	free(m);
}

size_t gm_map_size(const struct gm_map *m)
{
	return m->n;
}

uint64_t gm_map_evicted(const struct gm_map *m)
{
	return m->evicted;
}

static void unlink_lru(struct gm_map *m, uint32_t e)
{
	struct entry *x = &m->entries[e];
	if (x->prev != NONE)
		m->entries[x->prev].next = x->next;
	else
		m->head = x->next;
	if (x->next != NONE)
		m->entries[x->next].prev = x->prev;
	else
		m->tail = x->prev;
}

static void push_front(struct gm_map *m, uint32_t e)
{
	struct entry *x = &m->entries[e];
	x->prev = NONE;
	x->next = m->head;
	if (m->head != NONE)
		m->entries[m->head].prev = e;
	m->head = e;
	if (m->tail == NONE)
		m->tail = e;
}

/* The index slot of key, or of the empty slot where it would go. */
static size_t slot_of(const struct gm_map *m, uint64_t h, const char *key, size_t klen)
{
	size_t i = h & (m->index_cap - 1);
	for (;; i = (i + 1) & (m->index_cap - 1)) {
		uint32_t e = m->index[i];
		if (e == NONE)
			return i;
		const struct entry *x = &m->entries[e];
		if (x->hash == h && x->klen == klen && !memcmp(x->key, key, klen))
			return i;
	}
}

/* Makes entry e the most recently used; returns its value. */
static void *touch(struct gm_map *m, uint32_t e)
{
	if (m->head != e) {
		unlink_lru(m, e);
		push_front(m, e);
	}
	return m->values + (size_t)e * m->value_size;
}

void *gm_map_get(struct gm_map *m, const char *key, size_t klen)
{
	if (klen > GM_MAP_KEY_MAX)
		return NULL;
	uint32_t e = m->index[slot_of(m, gm_hash(key, klen), key, klen)];
	return e == NONE ? NULL : touch(m, e);
}

/* Takes entry e's slot out of the index, shifting back the entries of
 * the probe run after it that may move. */
static void index_remove(struct gm_map *m, size_t i)
{
	size_t mask = m->index_cap - 1;
	m->index[i] = NONE;
	for (size_t j = (i + 1) & mask; m->index[j] != NONE; j = (j + 1) & mask) {
		size_t home = m->entries[m->index[j]].hash & mask;
		/* Move it back to i if i lies between its home and j. */
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->index[i] = m->index[j];
			m->index[j] = NONE;
			i = j;
		}
	}
}

/* Frees the least recently used entry; returns its number for reuse. */
static uint32_t evict(struct gm_map *m)
{
	uint32_t e = m->tail;
	struct entry *x = &m->entries[e];
	index_remove(m, slot_of(m, x->hash, x->key, x->klen));
	unlink_lru(m, e);
	m->evicted++;
	return e;
}

void *gm_map_put(struct gm_map *m, const char *key, size_t klen, bool *created)
{
	if (klen > GM_MAP_KEY_MAX)
		return NULL;
	uint64_t h = gm_hash(key, klen);
	size_t i = slot_of(m, h, key, klen);
	if (m->index[i] != NONE) {
		*created = false;
		return touch(m, m->index[i]);
	}
	uint32_t e;
	if (m->n == m->max) {
		e = evict(m);
		i = slot_of(m, h, key, klen);
	} else {
		if (m->n == m->cap) {
			size_t cap = m->cap ? m->cap * 2 : 64;
			if (cap > m->max)
				cap = m->max;
			m->entries = gm_xrealloc(m->entries, cap * sizeof *m->entries);
			m->values = gm_xrealloc(m->values, cap * m->value_size);
			m->cap = cap;
			if (m->index_cap < cap * 2) {
				while (m->index_cap < cap * 2)
					m->index_cap *= 2;
				reindex(m);
				i = slot_of(m, h, key, klen);
			}
		}
		e = (uint32_t)m->n++;
	}
	struct entry *x = &m->entries[e];
	x->hash = h;
	x->klen = (uint8_t)klen;
	memcpy(x->key, key, klen);
	m->index[i] = e;
	push_front(m, e);
	*created = true;
	void *v = m->values + (size_t)e * m->value_size;
	memset(v, 0, m->value_size);
	return v;
}

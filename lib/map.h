/* map: string keys (ids) to fixed-size values, with a hard cap on the
 * number of entries: at the cap, the least recently used entry is evicted
 * to make room, and an eviction callback sees it go (a session evicted
 * is closed and written, not dropped). Entries can be removed, and
 * walked from either end of the recency order (a table written at the
 * end or at a checkpoint). Per-key state in the stream tools lives here,
 * so that its memory is bounded whatever the input. */
#ifndef GM_MAP_H
#define GM_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keys longer than this are refused (ids are short); a map made by
 * gm_map_new_keys() refuses those longer than its own limit. */
#define GM_MAP_KEY_MAX 64

struct gm_map;

/* A map of values of value_size bytes, holding at most max_entries
 * (at most 2^31). Memory grows with use up to about max_entries *
 * (value_size + 112) bytes, removals included: a removed entry's record
 * is reused by the next new key. Dies (status 1) only when memory is
 * exhausted. Values are 8-byte aligned. */
struct gm_map *gm_map_new(size_t value_size, size_t max_entries);

/* As gm_map_new(), for keys of at most key_max bytes (1 to
 * GM_MAP_KEY_MAX): each record has room for key_max, not
 * GM_MAP_KEY_MAX, so that a map of short keys (8-byte hashes) takes
 * about max_entries * (value_size + key_max + 48) bytes, and a key
 * longer than key_max is refused as one over GM_MAP_KEY_MAX is. */
struct gm_map *gm_map_new_keys(size_t value_size, size_t max_entries, size_t key_max);

/* As gm_map_new_keys() with key_max 8, for keys that are 64-bit hashes
 * already (of a label set, of an id): a key's own bits place it, where
 * another map hashes it again at each look (a tenth of gm-notify's
 * engine went to hashing its keys). Keys whose bits are not well mixed
 * (counters, dates) belong in another map: they would crowd the table. */
struct gm_map *gm_map_new_hashes(size_t value_size, size_t max_entries);
void gm_map_free(struct gm_map *m);

/* The value for key, or NULL when absent; the entry becomes the most
 * recently used. The pointer stays valid while the entry lives: records
 * never move, and an entry goes only when removed, or evicted by a put
 * into a full map. */
void *gm_map_get(struct gm_map *m, const char *key, size_t klen);

/* The value for key without making it the most recently used, or NULL:
 * a look that does not count as a use. Valid as gm_map_get()'s. */
void *gm_map_peek(const struct gm_map *m, const char *key, size_t klen);

/* The value for key, made (zeroed, *created set) when absent, evicting
 * the least recently used entry when the map is full. NULL when klen is
 * over GM_MAP_KEY_MAX. The pointer is valid as gm_map_get()'s. */
void *gm_map_put(struct gm_map *m, const char *key, size_t klen, bool *created);

/* Removes key; returns true when it was there. The eviction callback is
 * not called: the caller knows what it removes. */
bool gm_map_remove(struct gm_map *m, const char *key, size_t klen);

/* Called with each entry the map evicts under its cap, from within the
 * gm_map_put() that makes room, before the entry's memory is reused: the
 * key (klen bytes, not NUL-terminated) and value are still readable, and
 * the entry is no longer in the map. The callback may read the map
 * (gm_map_peek), not change it. Not called by gm_map_remove(). */
typedef void gm_map_evict_fn(void *ctx, const char *key, size_t klen, void *value);

/* Sets the eviction callback (NULL: none, the default). */
void gm_map_on_evict(struct gm_map *m, gm_map_evict_fn *fn, void *ctx);

/* A walk over the entries, oldest (least recently used) first or newest
 * first. It changes no recency. The entry last returned may be removed
 * with gm_map_iter_remove() (or gm_map_remove()) and the walk goes on;
 * any other removal, and any gm_map_put() or gm_map_get(), ends the
 * walk's validity. The fields are the map's: the struct is public only
 * so that a walk lives on the stack. */
struct gm_map_iter {
	struct gm_map *m;
	uint32_t next, last;    /* record numbers; UINT32_MAX: none */
	bool oldest_first;
};

void gm_map_iter_init(struct gm_map_iter *it, struct gm_map *m, bool oldest_first);

/* The next entry's value (its key in *key, *klen, not NUL-terminated),
 * or NULL at the end. */
void *gm_map_iter_next(struct gm_map_iter *it, const char **key, size_t *klen);

/* Removes the entry gm_map_iter_next() last returned, as gm_map_remove()
 * (no eviction callback). Nothing happens when there is none, or when it
 * was removed already. */
void gm_map_iter_remove(struct gm_map_iter *it);

/* An entry's place: a number that stays the entry's while it lives, so
 * that a queue of work on entries (timers) can hold 4 bytes, not a key,
 * and come back with no lookup. value is a live value of m. */
uint32_t gm_map_place(const struct gm_map *m, const void *value);

/* The value at place (its key in *key, *klen), or NULL when no entry is
 * there. A place is reused after its entry goes: the caller checks that
 * the entry it finds is the one it meant. Changes no recency. */
void *gm_map_at(const struct gm_map *m, uint32_t place, const char **key, size_t *klen);

/* Starts loading the record at place (its key and the first 64 bytes
 * of its value), so that a walk of places out of their order (a sorted one)
 * hides the cache miss of each behind the work on those before it;
 * changes nothing, and a place with no entry is allowed. */
void gm_map_prefetch_at(const struct gm_map *m, uint32_t place);

/* Starts loading the index slot where a get or put of key begins, so
 * that work done meanwhile hides the cache miss; changes nothing. */
void gm_map_prefetch(const struct gm_map *m, const char *key, size_t klen);

/* gm_map_prefetch() and gm_map_put() for a caller that keeps the key's
 * hash h, gm_hash(key, klen) (hash.h), from the one to the other: the
 * key is hashed once, not twice. h must be that hash (in a map of
 * gm_map_new_hashes(), an 8-byte key's own bits). */
void gm_map_prefetch_hashed(const struct gm_map *m, uint64_t h);
void *gm_map_put_hashed(struct gm_map *m, const char *key, size_t klen, uint64_t h,
	bool *created);

/* The second step of a prefetch, once gm_map_prefetch_hashed()'s
 * slot has come: starts loading the record that slot holds when it is
 * of hash h (its key and the first 64 bytes of its value), so that a
 * put or get of a key found there soon after misses the cache at
 * neither. Reads the slot; changes nothing. */
void gm_map_prefetch_entry_hashed(const struct gm_map *m, uint64_t h);

/* Entries held, and entries evicted so far (a removal is no eviction). */
size_t gm_map_size(const struct gm_map *m);
uint64_t gm_map_evicted(const struct gm_map *m);

#endif

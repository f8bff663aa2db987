/* map: string keys (ids) to fixed-size values, with a hard cap on the
 * number of entries: at the cap, the least recently used entry is evicted
 * to make room. Per-key state in the stream tools lives here, so that
 * its memory is bounded whatever the input. */
#ifndef GM_MAP_H
#define GM_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Keys longer than this are refused (ids are short). */
#define GM_MAP_KEY_MAX 64

struct gm_map;

/* A map of values of value_size bytes, holding at most max_entries
 * (at most 2^31). Memory grows with use up to about max_entries *
 * (value_size + 112) bytes. Dies (status 1) only when memory is
 * exhausted. */
struct gm_map *gm_map_new(size_t value_size, size_t max_entries);
void gm_map_free(struct gm_map *m);

/* The value for key, or NULL when absent; the entry becomes the most
 * recently used. The pointer stays valid until the next put. */
void *gm_map_get(struct gm_map *m, const char *key, size_t klen);

/* The value for key, made (zeroed, *created set) when absent, evicting
 * the least recently used entry when the map is full. NULL when klen is
 * over GM_MAP_KEY_MAX. The pointer stays valid until the next put. */
void *gm_map_put(struct gm_map *m, const char *key, size_t klen, bool *created);

/* Starts loading the index slot where a get or put of key begins, so
 * that work done meanwhile hides the cache miss; changes nothing. */
void gm_map_prefetch(const struct gm_map *m, const char *key, size_t klen);

/* Called with each entry evicted under the cap, before its memory is
 * reused: key and value are still readable. Not called by removal. */
typedef void gm_map_evict_fn(void *ctx, const char *key, size_t klen, void *value);
void gm_map_on_evict(struct gm_map *m, gm_map_evict_fn *fn, void *ctx);

/* Removes key; true when it was there. */
bool gm_map_remove(struct gm_map *m, const char *key, size_t klen);

/* The value for key without making it the most recently used, or NULL. */
void *gm_map_peek(const struct gm_map *m, const char *key, size_t klen);

/* A walk over the entries, oldest (least recently used) first or newest
 * first, changing no recency. The entry last returned may be removed
 * with gm_map_iter_remove() and the walk goes on; a put or get ends it. */
struct gm_map_iter {
	struct gm_map *m;
	uint32_t at, next;
	bool oldest_first;
};
void gm_map_iter_init(struct gm_map_iter *it, struct gm_map *m, bool oldest_first);
/* The next entry's value (its key in *key, *klen), or NULL at the end. */
void *gm_map_iter_next(struct gm_map_iter *it, const char **key, size_t *klen);
void gm_map_iter_remove(struct gm_map_iter *it);

/* Entries held, and entries evicted so far. */
size_t gm_map_size(const struct gm_map *m);
uint64_t gm_map_evicted(const struct gm_map *m);

#endif

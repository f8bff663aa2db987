/* names: strings (countries, categories, segments, products) as small
 * numbers, 0, 1, 2, ... in the order they are first met, and back, so
 * that a table keyed by them is an array and a name is stored once. */
#ifndef GM_NAMES_H
#define GM_NAMES_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Zero-initialised it is not ready: gm_names_init() it. */
struct gm_names {
	struct gm_map *ids;  /* name -> uint32_t */
	gm_str *name;        /* by number: copies, NUL-terminated */
	size_t n, cap;
};

/* An empty set of names. Dies (status 1) only when memory is exhausted,
 * as gm_names_id() does. */
void gm_names_init(struct gm_names *ns);
void gm_names_free(struct gm_names *ns);

/* The number of s, given it when new; UINT32_MAX when s is longer than
 * GM_MAP_KEY_MAX (map.h: a name is at most 64 bytes). */
uint32_t gm_names_id(struct gm_names *ns, gm_str s);

/* The number of s, or UINT32_MAX when it has none. */
uint32_t gm_names_find(const struct gm_names *ns, gm_str s);

#endif

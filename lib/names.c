/* names: see names.h. */
#include "names.h"

#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "mem.h"
#include "swar.h"

/* The first names are found by a look at each, before the map: most
 * sets are a handful (five countries, ten categories). */
#define LOOK_FIRST 16

void gm_names_init(struct gm_names *ns)
{
	*ns = (struct gm_names){ .ids = gm_map_new(sizeof(uint32_t), (size_t)1 << 31) };
}

void gm_names_free(struct gm_names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free((char *)ns->name[i].p);
	free(ns->name);
	gm_map_free(ns->ids);
	*ns = (struct gm_names){ 0 };
}

static uint32_t look(const struct gm_names *ns, gm_str s)
{
	for (size_t i = 0; i < ns->n && i < LOOK_FIRST; i++)
		if (ns->name[i].n == s.n && gm_swar_same(ns->name[i].p, s.p, s.n))
			return (uint32_t)i;
	return UINT32_MAX;
}

uint32_t gm_names_id(struct gm_names *ns, gm_str s)
{
	uint32_t i = look(ns, s);
	if (i != UINT32_MAX)
		return i;
	bool created;
	uint32_t *id = gm_map_put(ns->ids, s.p, s.n, &created);
	if (!id)
		return UINT32_MAX;
	if (created) {
		ns->name = gm_grow(ns->name, &ns->cap, ns->n + 1, sizeof *ns->name, 64);
		ns->name[ns->n] = (gm_str){ gm_xstrndup(s.p, s.n), s.n };
		*id = (uint32_t)ns->n++;
	}
	return *id;
}

uint32_t gm_names_find(const struct gm_names *ns, gm_str s)
{
	uint32_t i = look(ns, s);
	if (i != UINT32_MAX || ns->n <= LOOK_FIRST)
		return i;
	const uint32_t *id = gm_map_peek(ns->ids, s.p, s.n);
	return id ? *id : UINT32_MAX;
}

/* seen: see seen.h. */
#include "seen.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "map.h"
#include "mem.h"

/* An id's entry: its timer only. */
struct id {
	int64_t due;
};

struct seen {
	struct seen_options o;
	struct gm_store *ids;
	uint64_t duplicates;
};

struct gm_store_spec seen_store_spec(const struct seen_options *o)
{
	return (struct gm_store_spec){
		.name = "seen", .version = 1, .value_size = sizeof(struct id),
		.max_entries = o->max_ids, .due_at = GM_STORE_DUE(struct id, due),
	};
}

struct seen *seen_new(const struct seen_options *o, struct gm_store *ids)
{
	struct seen *s = gm_xcalloc(1, sizeof *s);
	s->o = *o;
	s->ids = ids;
	return s;
}

void seen_free(struct seen *s)
{
	free(s);
}

uint64_t seen_duplicates(const struct seen *s)
{
	return s->duplicates;
}

enum seen_got seen_check(struct seen *s, const struct gm_event *ev, gm_str product,
	struct gm_store_at at)
{
	/* type, id and product, each with its length, so that no two
	 * different triples hash the same bytes. */
	uint64_t h = gm_hash_u64((uint64_t)ev->type);
	h = gm_hash_u64(h ^ gm_hash(ev->id.p, ev->id.n) ^ ev->id.n);
	h = gm_hash_u64(h ^ gm_hash(product.p, product.n) ^ product.n);
	char key[16];
	for (int i = 15; i >= 0; i--, h >>= 4)
		key[i] = "0123456789abcdef"[h & 15];
	enum gm_store_got got;
	struct id *entry = gm_store_update(s->ids, key, sizeof key, at, &got);
	if (!entry || got == GM_STORE_APPLIED)
		return SEEN_KEPT;
	/* Remembered until its record's time plus keep_for, by event time:
	 * an id whose timer has not fired yet (the watermark is behind by
	 * the lateness) but whose time is past is forgotten all the same. */
	if (got == GM_STORE_FOUND && ev->ts < entry->due) {
		s->duplicates++;
		return SEEN_BEFORE;
	}
	int64_t until = ev->ts <= GM_STORE_NEVER - 1 - s->o.keep_for ? ev->ts + s->o.keep_for
		: GM_STORE_NEVER - 1;
	gm_store_wake_at(s->ids, entry, until);
	return SEEN_NEW;
}

void seen_due(struct seen *s, const char *key, size_t klen)
{
	gm_store_remove(s->ids, key, klen);
}

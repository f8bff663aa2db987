/* seen: the ids of the records that moved stock, remembered for a while,
 * so that a record that comes twice within that while (a producer's
 * retry, a message sent again) moves it once (see gm-inventory(1)).
 *
 * An id is a state store entry keyed by 16 hex digits of a 64-bit hash
 * of the kind of record, its id and, for a sale, its product (a
 * transaction re-keyed into sales is one sale per product), with one
 * timer: its record's time plus keep_for, when it is forgotten. Two
 * different ids share a key with a chance of about n^2 / 2^65 among n
 * remembered at once. */
#ifndef GM_INVENTORY_SEEN_H
#define GM_INVENTORY_SEEN_H

#include <stdint.h>

#include "event.h"
#include "store.h"

struct seen_options {
	int64_t keep_for;          /* ms of event time an id is remembered */
	size_t max_ids;            /* the store's cap */
};

struct seen;

/* The state store of the ids (gm_streams_store()). */
struct gm_store_spec seen_store_spec(const struct seen_options *o);

/* Ids in store (made from seen_store_spec(o); not owned). */
struct seen *seen_new(const struct seen_options *o, struct gm_store *ids);
void seen_free(struct seen *s);

enum seen_got {
	SEEN_NEW,          /* first time: remembered from now on */
	SEEN_BEFORE,       /* another record with this id came before */
	SEEN_KEPT,         /* this very record came before (a Kafka replay:
	                      gm_store_update()) */
};

/* Whether the record of type ev->type and id ev->id (with product, for
 * a sale; else an empty string) was seen, remembering it when not. at:
 * the record's place. */
enum seen_got seen_check(struct seen *s, const struct gm_event *ev, gm_str product,
	struct gm_store_at at);

/* The timer of an id came (its store's spec.due): it is forgotten. */
void seen_due(struct seen *s, const char *key, size_t klen);

/* Records skipped as seen before, for the summary. */
uint64_t seen_duplicates(const struct seen *s);

#endif

/* stock: each product's units on hand, its low-stock alerts and its
 * inventory_status records (see gm-inventory(1)).
 *
 * A product's level is set by a catalog record (a product record: the
 * first makes it known, a later one is a stock count) and moved by
 * restocks and sales, each by exactly its quantity, in order of their
 * time: each waits in the product's entry until the watermark passes it.
 * A product sold or restocked before its catalog record is tracked from
 * 0 as unknown: no alerts until the catalog names it.
 *
 * Alerts do not flap: low_stock fires once when on_hand falls to or
 * below the reorder point, out_of_stock once when it falls to or below
 * 0; neither fires again until on_hand rises above the reorder point
 * times (1 + hysteresis), which resolves those that fired.
 *
 * Each product is a state store entry keyed by product_id, with one
 * timer: the earlier of its first waiting record's time and the end of
 * the window (tumbling, by event time) of its first change since its
 * last inventory_status record, when the next one is written. */
#ifndef GM_INVENTORY_STOCK_H
#define GM_INVENTORY_STOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "store.h"
#include "writer.h"

/* The longest names a product keeps: longer ones are refused
 * (stock_refuses()). */
#define STOCK_NAME_MAX 63
#define STOCK_CATEGORY_MAX 23

struct stock_options {
	int64_t window;            /* ms: the status records' windows */
	int64_t reorder_point;     /* for products whose catalog has none */
	int64_t hysteresis_ppm;    /* re-arm above reorder point * (1 + this
	                              / 1,000,000): exact, in whole units */
	size_t max_products;       /* the store's cap */
};

struct stock;

/* The state store the products live in (gm_streams_store()). */
struct gm_store_spec stock_store_spec(const struct stock_options *o);

/* Stock over products (made from stock_store_spec(o); not owned),
 * inventory_status records to status, alerts to alerts. */
struct stock *stock_new(const struct stock_options *o, struct gm_store *products,
	const struct gm_output *status, const struct gm_output *alerts);
void stock_free(struct stock *s);

/* Why stock cannot keep ev's product (a product_id, name or category
 * longer than it keeps), or NULL. */
const char *stock_refuses(const struct gm_event *ev);

/* Where a change comes from: its record's place (for the store), its
 * event time, its partition's watermark and number, the record's
 * identity (the subject of the alerts it fires), and whether it is a
 * replay (it changes the state, writes no alert). */
struct stock_from {
	struct gm_store_at at;
	int64_t ts;
	int64_t watermark;         /* of the record's partition */
	int32_t partition;
	gm_str trigger;
	bool replay;
};

/* Whether product has an entry, and how many new products there is room
 * for: a level must never be lost, so that at the cap a record with a
 * new product is refused (the caller rejects it) where another store
 * would evict. */
bool stock_holds(struct stock *s, gm_str product);
size_t stock_room(const struct stock *s);

/* A catalog record (a stock count) or a move of product's level by
 * delta (a restock: +quantity; a sale: -quantity, counted as sold)
 * waits in the product's entry until the watermark passes its time;
 * then the product's records apply in order of time (at one time: counts,
 * restocks, sales), so that its level and alerts are those of its
 * records in order, whatever order they came in. At most 16 wait: one
 * more applies the first early (stock_hurried()). A catalog record
 * names the product (known from when it applies), sets its reorder
 * point (or the default) and its level to ev->stock as of its time: the
 * moves after it that applied before it (a record that came later than
 * the watermark: of its product's latest 8; see stock_counts_late())
 * are added to it, and those before it that come after it leave the
 * level alone. A count no newer than the one the level is from changes
 * nothing (the same count fed again does not undo the moves since).
 * category is the record's, kept for an unknown product; the names are
 * taken as they come. Nothing when the entry holds the record already
 * (a replay of a Kafka record: gm_store_update()). */
void stock_catalog(struct stock *s, const struct gm_event *ev, const struct stock_from *from);
void stock_move(struct stock *s, gm_str product, gm_str category, int64_t delta,
	const struct stock_from *from);

/* Counts that came after more of their product's later moves than it
 * keeps: their level leaves out the ones forgotten. For the summary. */
uint64_t stock_counts_late(const struct stock *s);

/* Records applied before the watermark passed them (more than 16 of a
 * product waiting), for the summary. */
uint64_t stock_hurried(const struct stock *s);

/* The timer of a product came (its store's spec.due): its records up to
 * due apply, and its inventory_status record is written when its
 * window has ended. */
void stock_due(struct stock *s, const char *key, size_t klen, void *value, int64_t due,
	const char *label);

/* The end of event time for partition (a finite input): for each of its
 * products, in order of product_id, what waits applies and its pending
 * status records are written, or, with none owed, one as of the window
 * holding newest. */
void stock_end(struct stock *s, int32_t partition, const char *label, int64_t newest);

#endif

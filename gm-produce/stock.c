/* stock: see stock.h.
 *
 * The deliveries on their way wait in a queue in order of arrival: each
 * is ordered at the time of a transaction or of a delivery, which come
 * in order of time, and arrives a fixed lead time later. */
#include "stock.h"

#include <math.h>
#include <stdlib.h>

#include "mem.h"
#include "rtype.h"

/* Sizing, from d, the units a day the shop is expected to sell: */
#define REORDER_HOURS 4     /* the reorder point: 4 h of d, twice the lead
                               time, so that a delivery usually comes
                               before the product sells out */
#define COVER_HOURS 12      /* the start: half a day of d above it, */
#define STOCK_FLOOR (2 * SHOP_BULK_MAX)  /* and two amount anomalies' adds,
                               so that a product of the long tail that
                               meets one does not run low */

struct level {
	int64_t on_hand;
	int32_t stock;            /* at the start, and after each delivery */
	int32_t reorder_point;
};

struct due {
	int64_t ts;
	uint64_t product;
};

struct stock {
	const struct shop *shop;
	uint64_t products;
	struct level *levels;
	uint64_t *ordered;        /* a bit per product: a delivery on its way */
	struct due *queue;        /* a ring of cap (a power of two) */
	size_t cap, head, n;
	uint64_t delivered;
	int64_t max_quantity;     /* of a delivery (gm-events(5)) */
};

struct stock *stock_new(const struct shop *shop)
{
	struct stock *st = gm_xcalloc(1, sizeof *st);
	const struct model *m = shop_model(shop);
	st->shop = shop;
	st->products = m->products;
	st->levels = gm_xcalloc(m->products, sizeof *st->levels);
	st->ordered = gm_xcalloc((m->products + 63) / 64, sizeof *st->ordered);
	st->max_quantity = gm_rtype_field(&gm_rtype_restock, "quantity")->hi;
	/* Both are at most the record's largest stock, which fits 32 bits. */
	double max_stock = (double)gm_rtype_field(&gm_rtype_product, "stock")->hi;
	for (uint64_t id = 0; id < m->products; id++) {
		double d = shop_daily_units(shop, id);
		double rp = fmax(1, ceil(d * REORDER_HOURS / 24));
		double start = fmin(max_stock, rp + ceil(d * COVER_HOURS / 24) + STOCK_FLOOR);
		struct level *l = &st->levels[id];
		l->stock = (int32_t)start;
		l->reorder_point = (int32_t)fmin(rp, start - 1);
		l->on_hand = l->stock;
	}
	return st;
}

void stock_free(struct stock *st)
{
	if (!st)
		return;
	free(st->levels);
	free(st->ordered);
	free(st->queue);
	free(st);
}

void stock_product(const struct stock *st, uint64_t id, struct catalog_product *p)
{
	const struct model *m = shop_model(st->shop);
	struct product mp;
	model_product(m, id, &mp);
	p->id = id;
	p->category = mp.category;
	p->price = mp.price;
	p->stock = st->levels[id].stock;
	p->reorder_point = st->levels[id].reorder_point;
	p->name_len = model_product_name(m, id, p->name);
}

static void push(struct stock *st, int64_t ts, uint64_t product)
{
	if (st->n == st->cap) {
		/* Doubled, the ring unwrapped into its first half. */
		size_t cap = st->cap ? 2 * st->cap : 256;
		struct due *q = gm_xrealloc(NULL, cap * sizeof *q);
		for (size_t i = 0; i < st->n; i++)
			q[i] = st->queue[(st->head + i) & (st->cap - 1)];
		free(st->queue);
		st->queue = q;
		st->cap = cap;
		st->head = 0;
	}
	st->queue[(st->head + st->n++) & (st->cap - 1)] = (struct due){ ts, product };
}

/* A product at or below its reorder point orders a delivery at ts,
 * unless one is on its way. */
static void reorder(struct stock *st, uint64_t product, int64_t ts)
{
	const struct level *l = &st->levels[product];
	uint64_t bit = 1ULL << (product % 64), *word = &st->ordered[product / 64];
	if (l->on_hand > l->reorder_point || (*word & bit))
		return;
	*word |= bit;
	push(st, ts + STOCK_LEAD_TIME, product);
}

void stock_sell(struct stock *st, const struct shop_event *ev)
{
	for (int i = 0; i < ev->nitems; i++) {
		const struct cart_line *line = &ev->items[i];
		st->levels[line->product].on_hand -= line->quantity;
		reorder(st, line->product, ev->ts);
	}
}

bool stock_deliver(struct stock *st, int64_t until, struct restock *r)
{
	if (st->n == 0 || st->queue[st->head].ts > until)
		return false;
	struct due d = st->queue[st->head];
	st->head = (st->head + 1) & (st->cap - 1);
	st->n--;
	st->ordered[d.product / 64] &= ~(1ULL << (d.product % 64));
	struct level *l = &st->levels[d.product];
	/* Back to the starting stock; from far below it (an oversold
	 * product), as much as one delivery may bring, and another order. */
	int64_t quantity = l->stock - l->on_hand;
	if (quantity > st->max_quantity)
		quantity = st->max_quantity;
	l->on_hand += quantity;
	*r = (struct restock){ ++st->delivered, d.ts, d.product, quantity };
	reorder(st, d.product, d.ts);
	return true;
}

/* stock: the shop's catalog and the stock it sells from, for --catalog.
 * Each product's starting stock and reorder point are sized from what
 * the shop is expected to sell of it in a day (shop_daily_units()), so
 * that the popular products run low within a day and the long tail
 * does not. Transactions take their items' units from the stock, which
 * may go below zero (the shop sells what it has not got: oversold). A
 * product at or below its reorder point with no delivery on its way
 * orders one, which arrives STOCK_LEAD_TIME later with the units that
 * bring the product back to its starting stock. gm-produce(1) gives the
 * rules. Deterministic: the same shop and the same transactions give
 * the same catalog and deliveries. Memory: 16 bytes and a bit per
 * product, and 16 bytes per delivery on its way. */
#ifndef GM_PRODUCE_STOCK_H
#define GM_PRODUCE_STOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"
#include "shop.h"

#define STOCK_LEAD_TIME (2 * 3600 * 1000)   /* ms of event time */

/* A product as the catalog has it. */
struct catalog_product {
	uint64_t id;
	int category;
	int64_t price;            /* cents: the shop's selling price */
	int64_t stock;            /* units at the start */
	int64_t reorder_point;
	char name[MODEL_NAME_MAX];
	size_t name_len;
};

/* A supplier's delivery. */
struct restock {
	uint64_t seq;             /* 1, 2, ... in order of arrival: restock_id */
	int64_t ts;               /* its arrival */
	uint64_t product;
	int64_t quantity;
};

struct stock;

/* The stock of the shop's products, each at its starting stock. Dies
 * (status 1) only when memory is exhausted. */
struct stock *stock_new(const struct shop *shop);
void stock_free(struct stock *st);

/* Product id (below the shop's number of products) of the catalog. */
void stock_product(const struct stock *st, uint64_t id, struct catalog_product *p);

/* A transaction, ev: its items' units leave the stock at ev->ts, and
 * the products it takes to their reorder point order a delivery. Events
 * come in order of time. */
void stock_sell(struct stock *st, const struct shop_event *ev);

/* The next delivery that arrives at or before until (event time, not
 * before the last transaction's): true with it in *r, its units added to
 * the stock; false when none is due by then. */
bool stock_deliver(struct stock *st, int64_t until, struct restock *r);

#endif

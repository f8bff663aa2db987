/* rekey: a transaction as the stock sees it, one line per product, and
 * the sale records that re-key it by product_id (see gm-inventory(1),
 * Scaling out): instances in a group, each holding some products, read
 * a product's sales, restocks and catalog from one partition. */
#ifndef GM_INVENTORY_REKEY_H
#define GM_INVENTORY_REKEY_H

#include <stdint.h>

#include "event.h"
#include "writer.h"

/* One product's line: the quantities of its lines summed, the category
 * and unit price of its first. */
struct rekey_line {
	gm_str product_id, category;
	int64_t quantity;
	int64_t unit_price;        /* cents */
	size_t first;              /* its first line's place in the items */
};

/* The lines of the transaction last given, kept between calls. */
struct rekey {
	struct rekey_line *lines;
	size_t n, cap;
};

/* The products of transaction ev, each once, in order of product_id,
 * into r->lines[0..r->n) (valid until the next call; they point into
 * ev). Dies (status 1) only when memory is exhausted. */
void rekey_lines(struct rekey *r, const struct gm_event *ev);

/* Writes to out a sale record per product of transaction ev (through
 * r's lines), keyed by product_id. */
void rekey_write(struct rekey *r, const struct gm_output *out, const struct gm_event *ev);

void rekey_free(struct rekey *r);

#endif

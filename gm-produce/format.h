/* format: a shop event as one line of NDJSON, in the shape gm-events(5)
 * documents. The events have a fixed shape and no string that needs
 * escaping (ids, and names from the model's tables), so the line is
 * put together from literal pieces and numbers, with no general JSON
 * writer in the way: that is most of gm-produce's speed. */
#ifndef GM_PRODUCE_FORMAT_H
#define GM_PRODUCE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>

#include "shop.h"
#include "stock.h"

/* Room enough for any event: a transaction of MAX_CART lines is far
 * below it. */
#define FORMAT_MAX 4096

/* Writes ev into buf (FORMAT_MAX bytes), without a newline, with the
 * ground-truth fields when truth is set: "anomaly", and on a session's
 * last event "session_end". Returns the length. */
size_t format_event(char *buf, const struct shop_event *ev, bool truth);

/* Writes p's product record, counted at ts, into buf (FORMAT_MAX
 * bytes), without a newline; returns the length. */
size_t format_product(char *buf, const struct catalog_product *p, int64_t ts);

/* Writes r's restock record into buf (FORMAT_MAX bytes), without a
 * newline; returns the length. */
size_t format_restock(char *buf, const struct restock *r);

/* Writes "<prefix><v, zero-padded to width digits>" into buf (32 bytes
 * are enough) and returns the length: the ids of users, sessions,
 * products and events. */
size_t format_id(char *buf, char prefix, int width, uint64_t v);

#endif

/* stream: what the page's last three sections show of the stream
 * tools' records (gm-report(1), DATA): the newest alerts and the counts
 * of all of them, each product's latest stock, the sessions of each
 * day. It sees records as values, never a file or a server
 * (stream_load.c reads), in any order, and keeps what the page needs:
 * 500 alerts, a count a kind and severity, an entry a product and one
 * a day, and the ids of the alerts and sessions seen.
 *
 * An alert or a session whose id was seen before (a replay of the same
 * output) counts once, the first time, as a PostgreSQL table keyed by
 * that id holds it once. */
#ifndef GM_REPORT_STREAM_H
#define GM_REPORT_STREAM_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "writer.h"

/* The alerts the page lists, at most: the newest. */
#define STREAM_ALERT_ROWS 500
/* The (kind, severity) pairs counted apart, at most; the alerts of
 * further pairs, and of a kind longer than STREAM_KIND_MAX bytes, are
 * counted under the kind STREAM_OTHER_KINDS. */
#define STREAM_ALERT_PAIRS 1000
#define STREAM_KIND_MAX 48
#define STREAM_OTHER_KINDS "(other kinds)"
/* The products kept, at most; a record of one more is refused. */
#define STREAM_MAX_PRODUCTS 10000000

struct stream;

/* An empty set of sections. Dies (status 1) only when memory is
 * exhausted, as every call that adds to it. */
struct stream *stream_new(void);
void stream_free(struct stream *s);  /* NULL is allowed */

/* An alert record's fields (gm-events(5)); resolved: its status is
 * "resolved" (absent or "firing": false). Read during the call only. */
struct stream_alert {
	gm_str id;
	int64_t ts;  /* ms since 1970 */
	gm_str kind, severity, source, summary;
	bool resolved;
};

/* Counts the alert by kind, severity (one of gm-events(5)'s three
 * words) and status, and keeps it while it is among the
 * STREAM_ALERT_ROWS newest: by ts, and of equal ts by id, the smaller
 * first (bytes). */
void stream_alert(struct stream *s, const struct stream_alert *a);

/* An inventory_status record: product's units on_hand and status at
 * ts, of category (.p NULL: none). The product's record of the latest
 * ts is kept; of equal ts, the one given last. Strings are copied.
 * False, with why, for a product id longer than the 64 bytes kept, or
 * one more than STREAM_MAX_PRODUCTS products. */
bool stream_inventory(struct stream *s, gm_str product, int64_t ts, gm_str category,
	int64_t on_hand, gm_str status, const char **why);

/* A session record: id, its start (ms since 1970), cart_adds,
 * converted, transactions and revenue (cents), added to the UTC day of
 * its start. False, with why, when a day's sums would pass 2^63 - 1. */
bool stream_session(struct stream *s, gm_str id, int64_t start, int64_t cart_adds,
	bool converted, int64_t transactions, int64_t cents, const char **why);

/* What s holds, for the summary line: alerts (each id once), products,
 * sessions (each id once) and days, and records seen again by their id. */
struct stream_counts {
	uint64_t alerts, products, sessions, days, duplicates;
};
struct stream_counts stream_counts(const struct stream *s);

/* Writes the members "alerts", "inventory" and "sessions" of the page's
 * data (gm-report(1), DATA) into the object w is building: from s, or
 * null each when s is NULL (no --stream given). s stays as it was. */
void stream_write(const struct stream *s, struct gm_writer *w);

#endif

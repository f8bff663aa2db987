/* model: what gm-report shows, built from the warehouse's rows and
 * written as the page's data (gm-report(1), DATA): the sales of each
 * day, country, segment and category, each customer's days of purchase,
 * the categories' funnels, the top products, the RFM snapshots and
 * their migrations. It sees rows as values, never a warehouse or a file
 * (load.c reads, page.c writes), and keeps money in cents, so that every
 * figure the page adds up is exact.
 *
 * The rows come in this order: the segments of the latest snapshot
 * (report_segment_of), then the sales (report_sale, a transaction's
 * lines one after another), then the rest in any order, the top
 * products' after report_top_products(). */
#ifndef GM_REPORT_MODEL_H
#define GM_REPORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "writer.h"

/* The top products the page lists, at most, by revenue over the whole
 * period. */
#define REPORT_TOP_PRODUCTS 100

struct report;

/* An empty model. Dies (status 1) only when memory is exhausted, as
 * every call that adds to it. */
struct report *report_new(void);
void report_free(struct report *r);  /* NULL is allowed */

/* The latest customer_segments snapshot, as_of (days since 1970), whose
 * rows follow: user's segment. */
void report_snapshot_day(struct report *r, int32_t as_of);
void report_segment_of(struct report *r, gm_str user, gm_str segment);

/* A fact_sales line: its transaction's id, day (days since 1970),
 * buyer and country, and its own product, category, quantity and
 * amount. The lines of a transaction come one after another; a
 * transaction id seen again after others is a damaged warehouse: false,
 * with why. */
bool report_sale(struct report *r, gm_str txn, int32_t day, gm_str user, gm_str country,
	gm_str product, gm_str category, int64_t quantity, int64_t cents, const char **why);

/* dim_geography's region of country. */
void report_region(struct report *r, gm_str country, gm_str region);

/* The top products, once every sale is in: at most
 * REPORT_TOP_PRODUCTS by the revenue of their lines, of equal revenue
 * by id; sorted by id, *n of them, valid while r is. Their
 * product_performance rows and names come next. */
const gm_str *report_top_products(struct report *r, size_t *n);

/* A product_performance row of grain "day", on day: of the whole
 * category when product is "*" (the category's funnel that day), kept
 * for its product when that is a top one, else ignored. */
void report_perf_day(struct report *r, int32_t day, gm_str category, gm_str product,
	int64_t views, int64_t cart_adds, int64_t cart_removes, int64_t orders, int64_t units,
	int64_t cents);

/* dim_product's name of product. */
void report_product_name(struct report *r, gm_str product, gm_str name);

/* A segment_summary row; has_* false for a null (or absent) field. */
struct report_summary {
	int32_t as_of;
	gm_str segment;
	int64_t customers;
	gm_str share, avg_recency_days, avg_frequency, revenue_share;  /* JSON numbers; .p NULL: null */
	bool has_avg_monetary;
	int64_t avg_monetary, revenue;  /* cents */
};
void report_summary(struct report *r, const struct report_summary *s);

/* A segment_migration row. */
void report_migration(struct report *r, int32_t as_of, int32_t since, gm_str from, gm_str to,
	int64_t customers);

/* Writes the page's data (gm-report(1), DATA) as members of the object
 * w is building, all but the stream tools' (stream.h): generated (ms
 * since 1970) and the warehouse's name for display. The model stays as
 * it was. */
void report_write(struct report *r, struct gm_writer *w, int64_t generated, const char *warehouse);

/* What the model holds, for the summary line. */
struct report_counts {
	uint64_t lines, transactions, customers, days;
};
struct report_counts report_counts(const struct report *r);

#endif

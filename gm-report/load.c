/* load: the warehouse's tables into the model, in the order model.h
 * asks, each read through lib/warehouse (any backend) and decoded as
 * its type, so that a damaged row is reported where it is and stops the
 * run: a page of wrong numbers is worse than none. */
#include "load.h"

#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cli.h"
#include "mem.h"
#include "rtype.h"

#define AT GM_RFIELD_AT
#define MAX_FIELDS 32

/* One table's read: its rows decoded one after another. */
struct read {
	struct gm_wh_scan *scan;
	struct gm_parser *ps;
	union gm_rvalue v[MAX_FIELDS];
	bool has[MAX_FIELDS];
	struct gm_wh_row row;
	bool failed;
};

static bool read_open(struct read *rd, struct gm_wh *wh, struct gm_parser *ps,
	const struct gm_rtype *t, const struct gm_wh_filter *f)
{
	*rd = (struct read){ .ps = ps };
	rd->scan = gm_wh_scan_open(wh, t, f);
	return rd->scan != NULL;
}

/* The next row; false at the end, or after a message on a bad one. */
static bool read_next(struct read *rd)
{
	switch (gm_wh_scan_row(rd->scan, rd->ps, rd->v, rd->has, &rd->row)) {
	case GM_WH_ROW:
		return true;
	case GM_WH_BAD:
		gm_error(rd->row.where, "%s", rd->row.why);
		rd->failed = true;
		return false;
	default:
		return false;
	}
}

/* Ends the read: false when it failed (reported). */
static bool read_close(struct read *rd)
{
	return gm_wh_scan_close(rd->scan) && !rd->failed;
}


static gm_str number_or_null(const struct read *rd, size_t at)
{
	return rd->has[at] ? rd->v[at].s : (gm_str){ NULL, 0 };
}

/* segment_summary, every snapshot; *latest: the newest as_of_key, 0
 * when there is none. */
static bool load_summaries(struct gm_wh *wh, struct gm_parser *ps, struct report *r,
	int64_t *latest)
{
	const struct gm_rtype *t = &gm_rtype_segment_summary;
	struct read rd;
	if (!read_open(&rd, wh, ps, t, NULL))
		return false;
	*latest = 0;
	const size_t as_of_key = AT(t, "as_of_key"), segment = AT(t, "segment"),
		customers = AT(t, "customers"), share = AT(t, "share"),
		recency = AT(t, "avg_recency_days"), frequency = AT(t, "avg_frequency"),
		revenue_share = AT(t, "revenue_share"), avg_monetary = AT(t, "avg_monetary"),
		revenue = AT(t, "revenue");
	while (read_next(&rd)) {
		int64_t key = rd.v[as_of_key].i;
		if (key > *latest)
			*latest = key;
		struct report_summary s = {
			.as_of = day_of_date_key((int32_t)key),
			.segment = rd.v[segment].s,
			.customers = rd.v[customers].i,
			.share = number_or_null(&rd, share),
			.avg_recency_days = number_or_null(&rd, recency),
			.avg_frequency = number_or_null(&rd, frequency),
			.revenue_share = number_or_null(&rd, revenue_share),
			.has_avg_monetary = rd.has[avg_monetary],
			.avg_monetary = rd.v[avg_monetary].i,
			.revenue = rd.v[revenue].i,
		};
		report_summary(r, &s);
	}
	return read_close(&rd);
}

/* customer_segments of the snapshot of as_of_key latest. */
static bool load_segments(struct gm_wh *wh, struct gm_parser *ps, struct report *r,
	int64_t latest)
{
	const struct gm_rtype *t = &gm_rtype_customer_segment;
	struct gm_wh_filter f = { .range_field = "as_of_key", .lo = latest, .hi = latest };
	struct read rd;
	if (!read_open(&rd, wh, ps, t, &f))
		return false;
	report_snapshot_day(r, day_of_date_key((int32_t)latest));
	const size_t key = AT(t, "as_of_key"), user = AT(t, "user_id"), segment = AT(t, "segment");
	while (read_next(&rd))
		if (rd.v[key].i == latest)  /* a folder gives every snapshot */
			report_segment_of(r, rd.v[user].s, rd.v[segment].s);
	return read_close(&rd);
}

static bool load_sales(struct gm_wh *wh, struct gm_parser *ps, struct report *r)
{
	const struct gm_rtype *t = &gm_rtype_fact_sales;
	struct gm_wh_filter f = { .group_field = "transaction_id" };
	struct read rd;
	if (!read_open(&rd, wh, ps, t, &f))
		return false;
	const size_t txn = AT(t, "transaction_id"), ts = AT(t, "ts"), user = AT(t, "user_id"),
		country = AT(t, "country"), product = AT(t, "product_id"), category = AT(t, "category"),
		quantity = AT(t, "quantity"), amount = AT(t, "amount");
	const char *why;
	while (read_next(&rd))
		if (!report_sale(r, rd.v[txn].s, day_of_ts(rd.v[ts].i), rd.v[user].s, rd.v[country].s,
				rd.v[product].s, rd.v[category].s, rd.v[quantity].i, rd.v[amount].i, &why)) {
			gm_error(rd.row.where, "%s", why);
			rd.failed = true;
			break;
		}
	return read_close(&rd);
}

static bool load_geography(struct gm_wh *wh, struct gm_parser *ps, struct report *r)
{
	const struct gm_rtype *t = &gm_rtype_dim_geography;
	struct read rd;
	if (!read_open(&rd, wh, ps, t, NULL))
		return false;
	const size_t country = AT(t, "country"), region = AT(t, "region");
	while (read_next(&rd))
		report_region(r, rd.v[country].s, rd.v[region].s);
	return read_close(&rd);
}

static int by_bytes(const void *a, const void *b)
{
	return gm_str_cmp(*(const gm_str *)a, *(const gm_str *)b);
}

/* product_performance's rows of grain "day" of the categories (product
 * "*") and of the n top products: one read, which a server narrows to
 * those products. */
static bool load_perf(struct gm_wh *wh, struct gm_parser *ps, struct report *r,
	const gm_str *top, size_t n)
{
	const struct gm_rtype *t = &gm_rtype_product_performance;
	gm_str *products = gm_xcalloc(n + 1, sizeof *products);
	products[0] = (gm_str){ "*", 1 };
	memcpy(products + 1, top, n * sizeof *top);
	qsort(products, n + 1, sizeof *products, by_bytes);
	struct gm_wh_filter f = { .in_field = "product_id", .in = products, .nin = n + 1 };
	struct read rd;
	bool ok = read_open(&rd, wh, ps, t, &f);
	const size_t grain = AT(t, "grain"), start = AT(t, "period_start"),
		category = AT(t, "category"), product = AT(t, "product_id"), views = AT(t, "views"),
		adds = AT(t, "cart_adds"), removes = AT(t, "cart_removes"), orders = AT(t, "orders"),
		units = AT(t, "units"), revenue = AT(t, "revenue");
	while (ok && read_next(&rd)) {
		gm_str g = rd.v[grain].s;
		if (g.n != 3 || memcmp(g.p, "day", 3))
			continue;
		int32_t d;
		if (!parse_day(rd.v[start].s.p, rd.v[start].s.n, &d)) {
			gm_error(rd.row.where, "period_start is not a date");
			rd.failed = true;
			break;
		}
		report_perf_day(r, d, rd.v[category].s, rd.v[product].s, rd.v[views].i, rd.v[adds].i,
			rd.v[removes].i, rd.v[orders].i, rd.v[units].i, rd.v[revenue].i);
	}
	ok = ok && read_close(&rd);
	free(products);
	return ok;
}

static bool load_names(struct gm_wh *wh, struct gm_parser *ps, struct report *r,
	const gm_str *products, size_t n)
{
	const struct gm_rtype *t = &gm_rtype_dim_product;
	struct gm_wh_filter f = { .in_field = "product_id", .in = products, .nin = n };
	struct read rd;
	if (!read_open(&rd, wh, ps, t, &f))
		return false;
	const size_t product = AT(t, "product_id"), name = AT(t, "name");
	while (read_next(&rd))
		if (rd.has[name])
			report_product_name(r, rd.v[product].s, rd.v[name].s);
	return read_close(&rd);
}

static bool load_migrations(struct gm_wh *wh, struct gm_parser *ps, struct report *r)
{
	const struct gm_rtype *t = &gm_rtype_segment_migration;
	struct read rd;
	if (!read_open(&rd, wh, ps, t, NULL))
		return false;
	const size_t as_of = AT(t, "as_of_key"), since = AT(t, "since_key"),
		from = AT(t, "from_segment"), to = AT(t, "to_segment"), customers = AT(t, "customers");
	while (read_next(&rd))
		report_migration(r, day_of_date_key((int32_t)rd.v[as_of].i),
			day_of_date_key((int32_t)rd.v[since].i), rd.v[from].s, rd.v[to].s,
			rd.v[customers].i);
	return read_close(&rd);
}

bool report_load(struct gm_wh *wh, struct report *r)
{
	struct gm_parser *ps = gm_parser_new();
	int64_t latest = 0;
	size_t ntop = 0;
	bool ok = load_summaries(wh, ps, r, &latest) &&
		(!latest || load_segments(wh, ps, r, latest)) &&
		load_sales(wh, ps, r) &&
		load_geography(wh, ps, r);
	const gm_str *top = ok ? report_top_products(r, &ntop) : NULL;
	ok = ok && load_perf(wh, ps, r, top, ntop) && (!ntop || load_names(wh, ps, r, top, ntop)) &&
		load_migrations(wh, ps, r);
	gm_parser_free(ps);
	return ok;
}

/* load: the warehouse's tables into the model, in the order model.h
 * asks, each read through lib/warehouse (any backend) and decoded as
 * its type, so that a damaged row is reported where it is and stops the
 * run: a page of wrong numbers is worse than none. */
#include "load.h"

#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cli.h"
#include "rtype.h"
#include "ts.h"

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

static int32_t day_of_key(int64_t key)
{
	return day_of_civil((int)(key / 10000), (int)(key / 100 % 100), (int)(key % 100));
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
	while (read_next(&rd)) {
		int64_t key = rd.v[AT(t, "as_of_key")].i;
		if (key > *latest)
			*latest = key;
		size_t avg_monetary = AT(t, "avg_monetary");
		struct report_summary s = {
			.as_of = day_of_key(key),
			.segment = rd.v[AT(t, "segment")].s,
			.customers = rd.v[AT(t, "customers")].i,
			.share = number_or_null(&rd, AT(t, "share")),
			.avg_recency_days = number_or_null(&rd, AT(t, "avg_recency_days")),
			.avg_frequency = number_or_null(&rd, AT(t, "avg_frequency")),
			.revenue_share = number_or_null(&rd, AT(t, "revenue_share")),
			.has_avg_monetary = rd.has[avg_monetary],
			.avg_monetary = rd.v[avg_monetary].i,
			.revenue = rd.v[AT(t, "revenue")].i,
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
	report_snapshot_day(r, day_of_key(latest));
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
		country = AT(t, "country"), category = AT(t, "category"),
		quantity = AT(t, "quantity"), amount = AT(t, "amount");
	const char *why;
	while (read_next(&rd))
		if (!report_sale(r, rd.v[txn].s, day_of_ts(rd.v[ts].i), rd.v[user].s, rd.v[country].s,
				rd.v[category].s, rd.v[quantity].i, rd.v[amount].i, &why)) {
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
	while (read_next(&rd))
		report_region(r, rd.v[AT(t, "country")].s, rd.v[AT(t, "region")].s);
	return read_close(&rd);
}

static int32_t day_of_period(gm_str s)
{
	int64_t ms;
	char buf[32];
	/* period_start is a date: its midnight, as a time. */
	if (s.n != 10)
		return INT32_MIN;
	memcpy(buf, s.p, 10);
	memcpy(buf + 10, "T00:00:00Z", 11);
	return gm_ts_parse(buf, 20, &ms) ? day_of_ts(ms) : INT32_MIN;
}

/* product_performance of grain "day": with products NULL, every row
 * (the categories' funnels, the products' revenue); else the rows of
 * those n products (sorted), again. */
static bool load_perf(struct gm_wh *wh, struct gm_parser *ps, struct report *r,
	const gm_str *products, size_t n)
{
	const struct gm_rtype *t = &gm_rtype_product_performance;
	static const gm_str day = { "day", 3 };
	struct gm_wh_filter f = { .in_field = "grain", .in = &day, .nin = 1 };
	if (products)
		f = (struct gm_wh_filter){ .in_field = "product_id", .in = products, .nin = n };
	struct read rd;
	if (!read_open(&rd, wh, ps, t, &f))
		return false;
	const size_t grain = AT(t, "grain"), start = AT(t, "period_start"),
		category = AT(t, "category"), product = AT(t, "product_id");
	while (read_next(&rd)) {
		gm_str g = rd.v[grain].s;
		if (g.n != 3 || memcmp(g.p, "day", 3))
			continue;
		int32_t d = day_of_period(rd.v[start].s);
		if (d == INT32_MIN) {
			gm_error(rd.row.where, "period_start is not a date");
			rd.failed = true;
			break;
		}
		int64_t orders = rd.v[AT(t, "orders")].i, units = rd.v[AT(t, "units")].i,
			cents = rd.v[AT(t, "revenue")].i;
		if (products)
			report_product_day(r, d, rd.v[category].s, rd.v[product].s, orders, units, cents);
		else
			report_perf_day(r, d, rd.v[category].s, rd.v[product].s, rd.v[AT(t, "views")].i,
				rd.v[AT(t, "cart_adds")].i, rd.v[AT(t, "cart_removes")].i, orders, units, cents);
	}
	return read_close(&rd);
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
	while (read_next(&rd))
		report_migration(r, day_of_key(rd.v[AT(t, "as_of_key")].i),
			day_of_key(rd.v[AT(t, "since_key")].i), rd.v[AT(t, "from_segment")].s,
			rd.v[AT(t, "to_segment")].s, rd.v[AT(t, "customers")].i);
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
		load_geography(wh, ps, r) &&
		load_perf(wh, ps, r, NULL, 0);
	const gm_str *top = ok ? report_top_products(r, &ntop) : NULL;
	ok = ok && (!ntop || (load_perf(wh, ps, r, top, ntop) && load_names(wh, ps, r, top, ntop))) &&
		load_migrations(wh, ps, r);
	gm_parser_free(ps);
	return ok;
}

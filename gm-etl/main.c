/* gm-etl: the nightly batch. Reads raw events and the catalog (NDJSON
 * files, gzip or not, or stdin) and loads them into the warehouse: the
 * facts as they come, then every derived table recomputed for the
 * periods, customers and products the run touched, committed at once.
 * The rules are model.c's; the tables' keeping is lib/warehouse.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cli.h"
#include "counts.h"
#include "event.h"
#include "finish.h"
#include "model.h"
#include "rejects.h"
#include "rtype.h"
#include "sink.h"
#include "source.h"
#include "warehouse.h"

static const char usage[] =
	"usage: gm-etl [-hnqu] [-w WAREHOUSE] [--lookback DURATION] [-l LATE]\n"
	"              [--retry-for DURATION] [--strict] [--rejects FILE]\n"
	"              [--max-line BYTES] [FILE...]\n";

enum { OPT_LOOKBACK = 0x2000 };

#define DEFAULT_LOOKBACK_MS (3LL * 86400000)

/* Where the model's rows go: each table of the run, begun when its
 * first row comes. */
struct run {
	struct gm_wh *wh;
	struct gm_wh_table *tables[16];
	const struct gm_rtype *types[16];
	size_t ntables;
	bool failed;
};

static struct gm_wh_table *table_for(struct run *r, const struct gm_rtype *t)
{
	for (size_t i = 0; i < r->ntables; i++)
		if (r->types[i] == t)
			return r->tables[i];
	bool fact = false;
	for (size_t i = 0; i < sizeof etl_fact_types / sizeof *etl_fact_types; i++)
		fact |= etl_fact_types[i] == t;
	struct gm_wh_table *tb = gm_wh_begin(r->wh, t, fact ? GM_WH_LOADED : GM_WH_BY_ID);
	if (!tb) {
		r->failed = true;
		exit(GM_EXIT_FAIL);
	}
	r->types[r->ntables] = t;
	r->tables[r->ntables++] = tb;
	return tb;
}

static struct gm_writer *row_begin(void *ctx, const struct gm_rtype *t)
{
	return gm_wh_writer(table_for(ctx, t));
}

static void row_put(void *ctx, const struct gm_rtype *t, const char *id, size_t n)
{
	struct run *r = ctx;
	if (!gm_wh_put(table_for(r, t), id, n))
		r->failed = true;
}

/* Gives the model the stored rows of table t that f asks for (NULL:
 * all); false after a message when the table cannot be read or holds a
 * row that is not one of t. */
static bool read_stored(struct gm_wh *wh, struct etl *m, struct gm_parser *ps,
	const struct gm_rtype *t, const struct gm_wh_filter *f)
{
	struct gm_wh_scan *s = gm_wh_scan_open(wh, t, f);
	if (!s)
		return false;
	const char *row, *where, *why;
	size_t len;
	bool ok = true;
	while (ok && gm_wh_scan_next(s, &row, &len, &where)) {
		const struct gm_event *ev = gm_parse(ps, row, len, &why);
		if (ev && (ev->type_name.n != strlen(t->name) ||
			memcmp(ev->type_name.p, t->name, ev->type_name.n))) {
			ev = NULL;
			why = "a row of another table";
		}
		if (!ev || !etl_stored(m, t, ev, &why)) {
			gm_error(where, "%s", why);
			ok = false;
		}
	}
	ok = gm_wh_scan_close(s) && ok;
	if (ok && !etl_stored_end(m, t, &why)) {
		gm_error(gm_wh_name(wh), "%s: %s", t->name, why);
		ok = false;
	}
	return ok;
}

static void summary(const struct etl_counts *k, bool dry_run)
{
	fprintf(stderr, "gm-etl: %s%llu transactions (%llu lines), %llu views, %llu cart events, "
		"%llu catalog records; %llu duplicates, %llu late, %llu already loaded; %llu days",
		dry_run ? "would load " : "loaded ",
		(unsigned long long)k->transactions, (unsigned long long)k->lines,
		(unsigned long long)k->views, (unsigned long long)k->carts,
		(unsigned long long)k->products, (unsigned long long)k->duplicates,
		(unsigned long long)k->late, (unsigned long long)k->replaced,
		(unsigned long long)k->days);
	for (size_t i = 0; i < sizeof k->rows / sizeof *k->rows; i++)
		fprintf(stderr, "%s %s %llu", i ? "," : "; rows:", etl_derived_types[i]->name,
			(unsigned long long)k->rows[i]);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		GM_BASE_LONG_OPTIONS,
		GM_INPUT_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		{ "warehouse", required_argument, 0, 'w' },
		{ "dry-run", no_argument, 0, 'n' },
		{ "lookback", required_argument, 0, OPT_LOOKBACK },
		{ "late", required_argument, 0, 'l' },
		{ 0 }
	};
	struct gm_common c;
	const char *spec = NULL, *late_out = NULL;
	bool dry_run = false;
	struct etl_opts o = { .lookback_ms = DEFAULT_LOOKBACK_MS };
	int opt;

	gm_cli_init(argv[0]);
	gm_common_init(&c);
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS GM_INPUT_SHORT_OPTIONS "w:nl:",
			longopts, usage)) != -1) {
		if (gm_common_option(&c, opt, optarg, usage))
			continue;
		switch (opt) {
		case 'w': spec = optarg; break;
		case 'n': dry_run = true; break;
		case 'l': late_out = optarg; break;
		case OPT_LOOKBACK:
			o.lookback_ms = strcmp(optarg, "all") == 0 ? -1
				: gm_opt_duration(usage, "--lookback", optarg, true, GM_DURATION_MAX);
			break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	if (c.group)
		gm_usage_error(usage, "-G goes with Kafka topics, which gm-etl does not read yet");

	gm_rejects_open(c.rejects, c.strict);
	struct gm_wh *wh = gm_wh_open(&c, spec, dry_run);
	if (!wh)
		return GM_EXIT_FAIL;
	struct run run = { .wh = wh };
	struct etl_out out = { row_begin, row_put, &run };
	struct etl *m = etl_new(&o, &out);
	struct gm_parser *ps = gm_parser_new();
	int status = GM_EXIT_OK;
	if (!read_stored(wh, m, ps, &gm_rtype_etl_state, NULL))
		status = GM_EXIT_FAIL;

	struct gm_source *src = NULL;
	struct gm_sink *late = NULL;
	if (status == GM_EXIT_OK) {
		src = gm_source_open(&c, argv + optind, (size_t)(argc - optind), NULL, 0, false);
		late = late_out ? gm_sink_open(&c, late_out) : NULL;
		if (!src || (late_out && !late))
			status = GM_EXIT_FAIL;
	}
	struct gm_record r;
	const struct gm_event *ev;
	enum gm_next st;
	while (status == GM_EXIT_OK && (st = gm_source_next_event(src, ps, &r, &ev, -1)) != GM_NEXT_END) {
		if (st == GM_NEXT_ERROR)
			break;
		const char *why;
		switch (etl_load(m, ev, &why)) {
		case ETL_REFUSED:
			if (!gm_source_reject(src, &r, why))
				status = GM_EXIT_FAIL;
			break;
		case ETL_LATE:
			gm_counts.late++;
			if (late) {
				gm_str key = gm_event_key(ev);
				gm_sink_emit_event(late, gm_rtype_of(ev->type)->late_topic, key.p, key.n, ev);
			}
			break;
		default:
			break;
		}
		if (run.failed)
			status = GM_EXIT_FAIL;
	}
	if (gm_stopping() && status == GM_EXIT_OK) {
		/* A signal: nothing is committed, the warehouse stays as it was. */
		gm_warn(NULL, "stopped by a signal: nothing loaded");
		status = GM_EXIT_FAIL;
	}
	/* The stored facts the run's periods and customers need, and the
	 * products it touched. */
	int32_t lo, hi;
	if (status == GM_EXIT_OK && etl_range(m, &lo, &hi)) {
		gm_str *users;
		struct gm_wh_filter days = { .range_field = "date_key",
			.lo = date_key_of_day(lo), .hi = date_key_of_day(hi) };
		struct gm_wh_filter sales = days;
		sales.in_field = "user_id";
		sales.nin = etl_customers(m, &users);
		sales.in = users;
		sales.group_field = "transaction_id";
		for (size_t i = 0; status == GM_EXIT_OK && i < sizeof etl_fact_types / sizeof *etl_fact_types; i++)
			if (!read_stored(wh, m, ps, etl_fact_types[i],
					etl_fact_types[i] == &gm_rtype_fact_sales ? &sales : &days))
				status = GM_EXIT_FAIL;
		free(users);
	}
	if (status == GM_EXIT_OK && !read_stored(wh, m, ps, &gm_rtype_dim_product, NULL))
		status = GM_EXIT_FAIL;
	if (status == GM_EXIT_OK) {
		etl_finish(m);
		if (run.failed || !gm_wh_commit(wh))
			status = GM_EXIT_FAIL;
	}
	if (status == GM_EXIT_OK && !c.quiet)
		summary(etl_counts(m), dry_run);
	etl_free(m);
	gm_parser_free(ps);
	gm_wh_close(wh);
	struct gm_sink *sinks[1] = { late };
	return gm_finish(&c, status, sinks, 1, src);
}

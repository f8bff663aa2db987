/* gm-rfm: customers scored by recency, frequency and money, and put in
 * segments, as of a day. Reads transactions and fact_sales rows (NDJSON
 * files, gzip or not, or stdin; a bounded range of Kafka topics; or
 * gm-etl's warehouse's dim_customer, where its totals are the measures,
 * or fact_sales) and writes the day's snapshot,
 * customer_segment, segment_summary, rfm_cuts and, against an earlier
 * day's, segment_migration, into the warehouse (committed at once, the
 * day's rows there before replaced) and as records (-o). The rules are
 * rfm.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cli.h"
#include "counts.h"
#include "event.h"
#include "finish.h"
#include "mem.h"
#include "progress.h"
#include "rejects.h"
#include "rfm.h"
#include "row.h"
#include "rtype.h"
#include "sink.h"
#include "source.h"
#include "warehouse.h"
#include "writer.h"
#include "stats.h"

static const char usage[] =
	"usage: gm-rfm [-hnqu] [-w WAREHOUSE] [-o OUTPUT] [--as-of DATE] [--window DURATION]\n"
	"              [--from auto|fact_sales|dim_customer] [--bins N] [--segments rfm|FILE]\n"
	"              [--compare DATE] [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"              [-b BROKERS] [-X KEY=VALUE]... [-t TOPIC]... [-e]\n"
	"              [--retry-for DURATION] [--stats OUT] [--stats-every DURATION]\n"
	"              [FILE...]\n";

#define MAX_GRID_FILE (1u << 20)

enum { OPT_AS_OF = 0x2000, OPT_WINDOW, OPT_FROM, OPT_BINS, OPT_SEGMENTS, OPT_COMPARE };

/* The warehouse's table that --from names: dim_customer where its
 * totals are the measures, else fact_sales (auto); or one of them. */
enum from { FROM_AUTO, FROM_FACTS, FROM_CUSTOMERS };

/* What the warehouse's input was, for the line after the summary. */
struct input {
	const struct gm_rtype *table;  /* NULL: files or Kafka */
	uint64_t rows;
	char why[400];  /* why not dim_customer, when fact_sales */
};

/* Where the model's rows go: the warehouse's tables (each begun when
 * its slice comes, before its rows) and the sink, a row built once for
 * both. */
struct run {
	struct gm_wh *wh;
	struct gm_sink *sink;
	struct gm_writer *row;
	struct gm_wh_table *tables[4];
	const struct gm_rtype *types[4];
	size_t ntables;
	bool failed;
};

static struct gm_writer *row_begin(void *ctx, const struct gm_rtype *t)
{
	struct run *r = ctx;
	gm_writer_reset(r->row);
	return r->row;
}

static struct gm_wh_table *table_for(struct run *r, const struct gm_rtype *t)
{
	for (size_t i = 0; i < r->ntables; i++)
		if (r->types[i] == t)
			return r->tables[i];
	struct gm_wh_table *tb = gm_wh_begin(r->wh, t, GM_WH_BY_ID);
	if (!tb)
		exit(GM_EXIT_FAIL);
	r->types[r->ntables] = t;
	r->tables[r->ntables++] = tb;
	return tb;
}

static void row_put(void *ctx, const struct gm_rtype *t, const char *id, size_t n)
{
	struct run *r = ctx;
	size_t len;
	const char *row = gm_writer_data(r->row, &len);
	if (r->wh) {
		struct gm_wh_table *tb = table_for(r, t);
		gm_w_record(gm_wh_writer(tb), row, len - 1);
		if (!gm_wh_put(tb, id, n))
			r->failed = true;
	}
	/* No type of the warehouse has a topic (rtype.h): kafka: sends
	 * each to the topic of its table's name. */
	if (r->sink && !gm_sink_emit_raw(r->sink, t->table, NULL, 0, row, len - 1))
		r->failed = true;
}

static void row_replace(void *ctx, const struct gm_rtype *t, const char *prefix, size_t n)
{
	struct run *r = ctx;
	if (r->wh && !gm_wh_replace(table_for(r, t), prefix, n))
		r->failed = true;
}

/* A DATE option's day: YYYY-MM-DD (UTC). */
static int32_t opt_day(const char *opt, const char *arg)
{
	int32_t day;
	if (!parse_day(arg, strlen(arg), &day))
		gm_usage_error(usage, "%s: \"%s\" is not a date YYYY-MM-DD", opt, arg);
	return day;
}

/* The grid --segments names: a built-in, or a file's. NULL after a
 * message when the file cannot be read or holds a bad line. */
static struct rfm_grid *grid_file(const char *path, unsigned bins)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		gm_error(path, "cannot open: %s", strerror(errno));
		return NULL;
	}
	char *text = gm_xcalloc(1, MAX_GRID_FILE + 1);
	size_t n = fread(text, 1, MAX_GRID_FILE + 1, f);
	bool bad = ferror(f);
	fclose(f);
	struct rfm_grid *g = NULL;
	if (bad)
		gm_error(path, "cannot read: %s", strerror(errno));
	else if (n > MAX_GRID_FILE)
		gm_error(path, "larger than %u bytes", MAX_GRID_FILE);
	else
		g = rfm_grid_parse(text, n, path, bins);
	free(text);
	return g;
}

/* The places of the fields a fact_sales row gives the model, looked up
 * once, not for every row. */
struct sale_at {
	size_t txn, line, user, ts, amount;
};

static struct sale_at sale_at(void)
{
	const struct gm_rtype *t = &gm_rtype_fact_sales;
	return (struct sale_at){ GM_RFIELD_AT(t, "transaction_id"), GM_RFIELD_AT(t, "line"), GM_RFIELD_AT(t, "user_id"),
		GM_RFIELD_AT(t, "ts"), GM_RFIELD_AT(t, "amount") };
}

/* Gives the model a fact_sales row; for files, refusing what it refuses
 * through the source (src), for the warehouse, as a damaged row. */
static bool take_sale(struct rfm *m, const struct sale_at *at, const union gm_rvalue *v,
	const char **why)
{
	return rfm_line(m, v[at->txn].s, v[at->line].i, v[at->user].s, v[at->ts].i, v[at->amount].i,
		why);
}

/* Reads the warehouse's fact_sales of the days the run needs. */
static bool read_facts(struct gm_wh *wh, struct rfm *m, struct gm_parser *ps,
	const struct rfm_opts *o, struct input *in)
{
	struct gm_wh_filter f = { .group_field = "transaction_id" };
	if (o->has_as_of) {
		f.range_field = "date_key";
		f.lo = 10101;
		if (o->window_ms >= 0)
			f.lo = date_key_of_day(day_of_ts((int64_t)o->as_of * 86400000 - o->window_ms));
		f.hi = date_key_of_day(o->as_of - 1);
	}
	struct gm_wh_scan *s = gm_wh_scan_open(wh, &gm_rtype_fact_sales, &f);
	if (!s)
		return false;
	const char *why;
	bool ok = true;
	union gm_rvalue v[16];
	bool has[16];
	struct gm_wh_row r;
	enum gm_wh_got got;
	const size_t date_key = GM_RFIELD_AT(&gm_rtype_fact_sales, "date_key");
	const struct sale_at at = sale_at();
	while (ok && (got = gm_wh_scan_row(s, ps, v, has, &r)) != GM_WH_END) {
		if (got == GM_WH_BAD) {
			gm_error(r.where, "%s", r.why);  /* a damaged warehouse */
			ok = false;
			break;
		}
		/* A folder gives every day, a server only those asked for: the
		 * others are not read, so that the counts do not depend on
		 * where the warehouse is. */
		if (f.range_field && (v[date_key].i < f.lo || v[date_key].i > f.hi))
			continue;
		gm_counts_add(&gm_counts.in, 1);
		in->rows++;
		if (!take_sale(m, &at, v, &why)) {
			gm_error(r.where, "%s", why);
			ok = false;
		}
	}
	return gm_wh_scan_close(s) && ok;
}

enum got { GOT_ALL, GOT_UNSOUND, GOT_FAILED };

/* Reads the warehouse's dim_customer into the model, each row a
 * customer's totals. A bad row is rejected (rejects.h); then, unless
 * forced (--from dim_customer), which reads on, and as soon as a row's
 * totals are not its measures, or when there is no row: GOT_UNSOUND,
 * in->why saying why, and the model is no use. GOT_FAILED after a
 * message. */
static enum got read_customers(struct gm_wh *wh, struct rfm *m, struct gm_parser *ps,
	bool forced, struct input *in)
{
	const struct gm_rtype *t = &gm_rtype_dim_customer;
	struct gm_wh_scan *s = gm_wh_scan_open(wh, t, NULL);
	if (!s)
		return GOT_FAILED;
	const size_t user = GM_RFIELD_AT(t, "user_id"), last = GM_RFIELD_AT(t, "last_purchase"),
		orders = GM_RFIELD_AT(t, "orders"), ltv = GM_RFIELD_AT(t, "lifetime_value");
	union gm_rvalue v[16];
	bool has[16];
	struct gm_wh_row r;
	enum gm_wh_got row;
	enum got got = GOT_ALL;
	in->table = t;
	while (got == GOT_ALL && (row = gm_wh_scan_row(s, ps, v, has, &r)) != GM_WH_END) {
		gm_counts_add(&gm_counts.in, 1);
		in->rows++;
		const char *why = r.why, *where = r.where;
		enum rfm_take take = row == GM_WH_BAD ? RFM_REFUSED
			: rfm_customer(m, v[user].s, v[last].i, v[orders].i, v[ltv].i, &why);
		if (take == RFM_REFUSED) {
			if (!gm_reject(where, why, r.text, r.len))
				got = GOT_FAILED;  /* --strict */
			else if (!forced) {
				snprintf(in->why, sizeof in->why, "%s holds a bad row", where);
				got = GOT_UNSOUND;
			}
		} else if (take == RFM_UNSOUND && forced) {
			gm_error(where, "--from dim_customer: %s", why);
			got = GOT_FAILED;
		} else if (take == RFM_UNSOUND) {
			snprintf(in->why, sizeof in->why, "%s: %s", where, why);
			got = GOT_UNSOUND;
		}
	}
	if (!gm_wh_scan_close(s))
		return GOT_FAILED;
	if (got == GOT_ALL && !in->rows && !forced) {
		snprintf(in->why, sizeof in->why, "it holds no row");
		got = GOT_UNSOUND;
	}
	return got;
}

/* Reads the warehouse's table that from says into *m: dim_customer
 * when its totals are the measures, and otherwise fact_sales, into a
 * new model in the place of *m (made of o and out) when dim_customer's
 * rows were begun. False after a message. */
static bool read_warehouse(struct gm_wh *wh, struct rfm **m, struct gm_parser *ps,
	const struct rfm_opts *o, const struct rfm_out *out, enum from from, struct input *in)
{
	if (from == FROM_FACTS)
		snprintf(in->why, sizeof in->why, "--from fact_sales");
	else if (!rfm_totals_sound(o))
		snprintf(in->why, sizeof in->why, "--window");  /* auto: forced is a usage error */
	else {
		enum got got = read_customers(wh, *m, ps, from == FROM_CUSTOMERS, in);
		if (got != GOT_UNSOUND)
			return got == GOT_ALL;
		rfm_free(*m);
		*m = rfm_new(o, out);
	}
	in->table = &gm_rtype_fact_sales;
	in->rows = 0;
	return read_facts(wh, *m, ps, o, in);
}

/* Reads the records of src into the model; the exit status so far. */
static int read_source(struct gm_source *src, struct rfm *m, struct gm_parser *ps,
	bool quiet, uint64_t *ignored)
{
	struct gm_record r;
	const struct gm_event *ev;
	enum gm_next st;
	int status = GM_EXIT_OK;
	struct gm_progress *progress = gm_progress_new("records", quiet);
	union gm_rvalue v[16];
	bool has[16];
	char reason[200];
	const struct sale_at at = sale_at();
	struct gm_row_reader facts;
	gm_row_reader_init(&facts, &gm_rtype_fact_sales);
	while (status == GM_EXIT_OK && (st = gm_source_next(src, &r, -1)) != GM_NEXT_END) {
		if (st == GM_NEXT_ERROR) {
			status = GM_EXIT_FAIL;
			break;
		}
		if (progress) {
			uint64_t done, total;
			gm_source_progress(src, &done, &total);
			gm_progress_tick(progress, gm_counts.in, done, total);
		}
		const char *why = NULL;
		bool refused = false;
		/* A row as gm-etl writes it is read without the parser. */
		if (gm_row_read(&facts, r.data, r.len, v, has))
			refused = !take_sale(m, &at, v, &why);
		else if (!(ev = gm_parse(ps, r.data, r.len, &why)))
			refused = true;
		else if (ev->type == GM_TRANSACTION)
			refused = !rfm_txn(m, ev->id, ev->user_id, ev->ts, ev->items_amount, &why);
		else if (ev->rtype == &gm_rtype_fact_sales) {
			refused = !gm_rtype_decode(&gm_rtype_fact_sales, ev, v, has, reason, sizeof reason);
			if (refused)
				why = reason;
			else
				refused = !take_sale(m, &at, v, &why);
		} else
			++*ignored;
		if (refused && !gm_source_reject(src, &r, why))
			status = GM_EXIT_FAIL;
	}
	gm_progress_end(progress);
	return status;
}

/* Reads the customer_segments snapshot of day since into the model's
 * comparison; false after a message when it cannot be read or holds
 * no row of that day. */
static bool read_snapshot(struct gm_wh *wh, struct rfm *m, struct gm_parser *ps, int32_t since)
{
	const struct gm_rtype *t = &gm_rtype_customer_segment;
	int32_t key = date_key_of_day(since);
	struct gm_wh_filter f = { .range_field = "as_of_key", .lo = key, .hi = key };
	struct gm_wh_scan *s = gm_wh_scan_open(wh, t, &f);
	if (!s)
		return false;
	bool ok = true;
	uint64_t rows = 0;
	union gm_rvalue v[16];
	bool has[16];
	struct gm_wh_row r;
	enum gm_wh_got got;
	const size_t as_of_key = GM_RFIELD_AT(t, "as_of_key"), user_id = GM_RFIELD_AT(t, "user_id"),
		segment = GM_RFIELD_AT(t, "segment");
	rfm_compare_begin(m, since);
	while (ok && (got = gm_wh_scan_row(s, ps, v, has, &r)) != GM_WH_END) {
		if (got == GM_WH_BAD) {
			gm_error(r.where, "%s", r.why);
			ok = false;
		} else if (v[as_of_key].i == key) {
			rfm_compare_row(m, v[user_id].s, v[segment].s);
			rows++;
		}
	}
	ok = gm_wh_scan_close(s) && ok;
	if (ok && !rows) {
		char d[11];
		format_day(since, d);
		gm_error(gm_wh_name(wh), "--compare: no customer_segments snapshot of %s", d);
		return false;
	}
	if (ok)
		rfm_compare_end(m);
	return ok;
}

static void summary(const struct rfm_counts *k, uint64_t ignored, bool has_day, int32_t as_of,
	bool dry_run)
{
	char d[11] = "none";
	if (has_day)
		format_day(as_of, d);
	fprintf(stderr, "gm-rfm: %llu transactions, %llu duplicates, %llu outside the window, "
		"%llu other records; %llu customers as of %s; %s",
		(unsigned long long)k->transactions, (unsigned long long)k->duplicates,
		(unsigned long long)k->outside, (unsigned long long)ignored,
		(unsigned long long)k->customers, d, dry_run ? "would write" : "rows:");
	static const struct gm_rtype *const types[4] = { &gm_rtype_customer_segment,
		&gm_rtype_segment_summary, &gm_rtype_rfm_cuts, &gm_rtype_segment_migration };
	for (size_t i = 0; i < 4; i++)
		fprintf(stderr, "%s %s %llu", i ? "," : "", types[i]->name,
			(unsigned long long)k->rows[i]);
	fputc('\n', stderr);
}

/* The line after the summary: the warehouse's table read, and why not
 * dim_customer when it was fact_sales. */
static void input_line(const struct input *in)
{
	if (!in->table)
		return;
	fprintf(stderr, "gm-rfm: input: %s, %llu rows", in->table->name,
		(unsigned long long)in->rows);
	if (in->table == &gm_rtype_fact_sales)
		fprintf(stderr, "; not dim_customer: %s", in->why);
	fputc('\n', stderr);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		GM_BASE_LONG_OPTIONS,
		GM_INPUT_LONG_OPTIONS,
		GM_KAFKA_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		{ "warehouse", required_argument, 0, 'w' },
		{ "output", required_argument, 0, 'o' },
		{ "dry-run", no_argument, 0, 'n' },
		{ "as-of", required_argument, 0, OPT_AS_OF },
		{ "window", required_argument, 0, OPT_WINDOW },
		{ "from", required_argument, 0, OPT_FROM },
		{ "bins", required_argument, 0, OPT_BINS },
		{ "segments", required_argument, 0, OPT_SEGMENTS },
		{ "compare", required_argument, 0, OPT_COMPARE },
		{ 0 }
	};
	struct gm_common c;
	const char *spec = NULL, *out = NULL, *segments = "rfm";
	bool dry_run = false, compare = false;
	enum from from = FROM_AUTO;
	const char *from_arg = NULL;
	int32_t since = 0;
	struct rfm_opts o = { .window_ms = -1, .bins = 5 };
	int opt;

	gm_cli_init(argv[0]);
	gm_common_init(&c);
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS GM_INPUT_SHORT_OPTIONS
			GM_KAFKA_SHORT_OPTIONS "w:o:n", longopts, usage)) != -1) {
		if (gm_common_option(&c, opt, optarg, usage))
			continue;
		switch (opt) {
		case 'w': spec = optarg; break;
		case 'o': out = optarg; break;
		case 'n': dry_run = true; break;
		case OPT_AS_OF:
			o.has_as_of = true;
			o.as_of = opt_day("--as-of", optarg);
			break;
		case OPT_WINDOW:
			o.window_ms = strcmp(optarg, "all") == 0 ? -1
				: gm_opt_duration(usage, "--window", optarg, false, GM_DURATION_MAX);
			break;
		case OPT_FROM:
			from_arg = optarg;
			if (!strcmp(optarg, "auto"))
				from = FROM_AUTO;
			else if (!strcmp(optarg, "fact_sales"))
				from = FROM_FACTS;
			else if (!strcmp(optarg, "dim_customer"))
				from = FROM_CUSTOMERS;
			else
				gm_usage_error(usage, "--from: \"%s\" is none of auto, fact_sales, dim_customer", optarg);
			break;
		case OPT_BINS:
			o.bins = (unsigned)gm_opt_count(usage, "--bins", optarg, 2, RFM_MAX_BINS);
			break;
		case OPT_SEGMENTS: segments = optarg; break;
		case OPT_COMPARE:
			compare = true;
			since = opt_day("--compare", optarg);
			break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	if (c.group)
		gm_usage_error(usage, "-G: gm-rfm is a batch that reads a bounded range, not a consumer group");
	size_t nfiles = (size_t)(argc - optind);
	gm_input_check(&c, nfiles, usage);
	gm_stats_start(&c, usage);
	if (c.ntopics > 0 && !c.exit_eof)
		gm_usage_error(usage, "-t needs -e: gm-rfm is a batch, which reads the topics to their ends and stops");
	if (o.window_ms >= 0 && !o.has_as_of)
		gm_usage_error(usage, "--window needs --as-of: the window ends at the as-of day");
	if (compare && !spec)
		gm_usage_error(usage, "--compare needs -w: the earlier snapshot is the warehouse's");
	const struct rfm_grid *builtin = rfm_grid_builtin(segments);
	if (builtin && builtin->bins != o.bins)
		gm_usage_error(usage, "--segments %s is written for --bins %u; give --segments FILE for other bins",
			segments, builtin->bins);
	struct rfm_grid *own = builtin ? NULL : grid_file(segments, o.bins);
	if (!builtin && !own)
		return GM_EXIT_FAIL;
	o.grid = builtin ? builtin : own;
	bool from_wh = spec && nfiles == 0 && c.ntopics == 0;
	if (from != FROM_AUTO && !from_wh)
		gm_usage_error(usage, "--from %s: the warehouse's tables are the input with -w and neither FILE nor -t", from_arg);
	if (from == FROM_CUSTOMERS && !rfm_totals_sound(&o))
		gm_usage_error(usage, "--from dim_customer: its totals are of all history, not of a --window");

	gm_rejects_open(c.rejects, c.strict);
	/* The input first: a Kafka cluster that cannot be reached exits 75
	 * before the warehouse is touched. */
	struct gm_source *src = NULL;
	if (!from_wh && !(src = gm_source_open(&c, argv + optind, nfiles, c.topics, c.ntopics, false))) {
		rfm_grid_free(own);
		return GM_EXIT_FAIL;
	}
	int status = GM_EXIT_OK;
	if (c.ntopics > 0 && !gm_source_range(src, NULL, 0))
		status = GM_EXIT_TEMPFAIL;  /* or worse: gm_source_close() says */
	struct gm_wh *wh = NULL;
	if (status == GM_EXIT_OK && spec && !(wh = gm_wh_open(&c, spec, dry_run)))
		status = GM_EXIT_FAIL;
	struct run run = { .wh = wh, .row = gm_writer_mem() };
	if (status == GM_EXIT_OK && !dry_run && (out || !spec) && !(run.sink = gm_sink_open(&c, out)))
		status = GM_EXIT_FAIL;
	if (dry_run)
		run.wh = NULL;  /* rows are counted, written nowhere */
	struct rfm_out rout = { row_begin, row_put, row_replace, &run };
	struct rfm *m = rfm_new(&o, &rout);
	struct gm_parser *ps = gm_parser_new();
	uint64_t ignored = 0;
	struct input in = { 0 };
	if (status == GM_EXIT_OK)
		status = from_wh ? (read_warehouse(wh, &m, ps, &o, &rout, from, &in) ? GM_EXIT_OK : GM_EXIT_FAIL)
			: read_source(src, m, ps, c.quiet, &ignored);
	/* An input that could not be read whole writes nothing. */
	if (src) {
		status = gm_exit_worse(status, gm_source_close(src));
		src = NULL;
	}
	if (gm_stopping() && status == GM_EXIT_OK) {
		gm_warn(NULL, "stopped by a signal: nothing written");
		status = GM_EXIT_FAIL;
	}
	bool has_day = false;
	if (status == GM_EXIT_OK && (has_day = rfm_finish(m))) {
		rfm_write(m);
		if (compare && !read_snapshot(wh, m, ps, since))
			status = GM_EXIT_FAIL;
	}
	if (run.failed)
		status = GM_EXIT_FAIL;
	if (status == GM_EXIT_OK && wh) {
		if (!gm_wh_commit(wh))
			status = GM_EXIT_FAIL;
		else if (!dry_run && !run.sink)
			for (size_t i = 0; i < run.ntables; i++)
				gm_counts_add(&gm_counts.out, gm_wh_count(run.tables[i]));
	}
	if (status == GM_EXIT_OK && !c.quiet) {
		summary(rfm_counts(m), ignored, has_day, has_day ? rfm_as_of(m) : 0, dry_run);
		input_line(&in);
	}
	rfm_free(m);
	rfm_grid_free(own);
	gm_parser_free(ps);
	gm_writer_close(run.row);
	gm_wh_close(wh);
	struct gm_sink *sinks[1] = { run.sink };
	return gm_finish(&c, status, sinks, 1, src);
}

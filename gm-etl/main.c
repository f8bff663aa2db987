/* gm-etl: the nightly batch. Reads raw events and the catalog (NDJSON
 * files, gzip or not, or stdin; or a bounded range of Kafka topics, from
 * the offsets the warehouse's state holds to their ends when the run
 * begins) and loads them into the warehouse: the
 * facts as they come, then every derived table recomputed for the
 * periods, customers and products the run touched, committed at once.
 * The rules are model.c's; the tables' keeping is lib/warehouse.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "calendar.h"
#include "cli.h"
#include "counts.h"
#include "event.h"
#include "finish.h"
#include "mem.h"
#include "model.h"
#include "progress.h"
#include "rejects.h"
#include "row.h"
#include "rtype.h"
#include "sink.h"
#include "source.h"
#include "warehouse.h"
#include "writer.h"
#include "stats.h"

static const char usage[] =
	"usage: gm-etl [-hnqu] [-w WAREHOUSE] [--lookback DURATION] [-l LATE]\n"
	"              [--max-records N] [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"              [-b BROKERS] [-X KEY=VALUE]... [-t TOPIC]... [-e]\n"
	"              [--retry-for DURATION] [--stats OUT] [--stats-every DURATION]\n"
	"              [FILE...]\n";

enum { OPT_LOOKBACK = 0x2000, OPT_MAX_RECORDS };

/* What one run holds in memory grows with the records it reads (their
 * ids, about 40 bytes each, and what they touch): this bounds it. */
#define DEFAULT_MAX_RECORDS 50000000ULL

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

static bool is_fact(const struct gm_rtype *t)
{
	bool fact = false;
	for (size_t i = 0; i < sizeof etl_fact_types / sizeof *etl_fact_types; i++)
		fact |= etl_fact_types[i] == t;
	return fact;
}

static struct gm_wh_table *table_for(struct run *r, const struct gm_rtype *t)
{
	for (size_t i = 0; i < r->ntables; i++)
		if (r->types[i] == t)
			return r->tables[i];
	struct gm_wh_table *tb = gm_wh_begin(r->wh, t, is_fact(t) ? GM_WH_LOADED : GM_WH_BY_ID);
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
	union gm_rvalue v[GM_ROW_MAX_FIELDS];
	bool has[GM_ROW_MAX_FIELDS];
	struct gm_wh_row r;
	enum gm_wh_got got;
	bool ok = true;
	while (ok && (got = gm_wh_scan_row(s, ps, v, has, &r)) != GM_WH_END) {
		const char *why = r.why;
		if (got == GM_WH_BAD || !etl_stored(m, t, v, has, &why)) {
			gm_error(r.where, "%s", why);
			ok = false;
		}
	}
	ok = gm_wh_scan_close(s) && ok;
	if (ok)
		etl_stored_end(m, t);
	return ok;
}

/* The state's Kafka offsets, {"TOPIC":{"PARTITION":NEXT_OFFSET,...},...},
 * as a table: *n entries, sorted as gm_kconsumer_offsets() sorts them,
 * whose topics live in *tree (yajl_tree_free() it). NULL json: none.
 * False after a message when the object is not of that shape. */
static bool offsets_parse(const struct gm_wh *wh, const char *json, yajl_val *tree,
	struct gm_koffset **out, size_t *n)
{
	*tree = NULL;
	*out = NULL;
	*n = 0;
	if (!json)
		return true;
	char why[128] = "";
	size_t cap = 0;
	yajl_val top = *tree = yajl_tree_parse(json, why, sizeof why);
	bool ok = YAJL_IS_OBJECT(top);
	for (size_t i = 0; ok && i < top->u.object.len; i++) {
		yajl_val parts = top->u.object.values[i];
		ok = YAJL_IS_OBJECT(parts);
		for (size_t j = 0; ok && j < parts->u.object.len; j++) {
			unsigned long long p;
			yajl_val off = parts->u.object.values[j];
			ok = gm_parse_u64(parts->u.object.keys[j], &p) && p <= INT32_MAX
				&& YAJL_IS_INTEGER(off) && YAJL_GET_INTEGER(off) >= 0;
			if (!ok)
				break;
			*out = gm_grow(*out, &cap, *n + 1, sizeof **out, 16);
			(*out)[(*n)++] = (struct gm_koffset){
				.topic = top->u.object.keys[i],
				.partition = (int32_t)p,
				.offset = YAJL_GET_INTEGER(off),
			};
		}
	}
	if (ok)
		qsort(*out, *n, sizeof **out, gm_koffset_cmp);
	else
		gm_error(gm_wh_name(wh), "etl_state: offsets: not {\"TOPIC\":{\"PARTITION\":OFFSET}}%s%s",
			*why ? ": " : "", why);
	return ok;
}

/* The offsets to store after a run that read topics[0..ntopics) to
 * read[0..nread): those, and the stored ones of other topics, which
 * stay for a run that reads them again. Sorted (one text for the same
 * offsets); *n set; the topics are the arrays'. */
static struct gm_koffset *offsets_next(const struct gm_koffset *stored, size_t nstored,
	const struct gm_koffset *read, size_t nread, const char *const *topics,
	size_t ntopics, size_t *n)
{
	struct gm_koffset *o = gm_xcalloc(nstored + nread + 1, sizeof *o);
	memcpy(o, read, nread * sizeof *o);
	*n = nread;
	for (size_t i = 0; i < nstored; i++) {
		bool was_read = false;
		for (size_t t = 0; t < ntopics; t++)
			was_read |= strcmp(stored[i].topic, topics[t]) == 0;
		if (!was_read)
			o[(*n)++] = stored[i];
	}
	qsort(o, *n, sizeof *o, gm_koffset_cmp);
	return o;
}

/* Whether two sorted tables of offsets say the same. */
static bool offsets_same(const struct gm_koffset *a, size_t na,
	const struct gm_koffset *b, size_t nb)
{
	if (na != nb)
		return false;
	for (size_t i = 0; i < na; i++)
		if (gm_koffset_cmp(&a[i], &b[i]) || a[i].offset != b[i].offset)
			return false;
	return true;
}

/* Sets o[0..n), sorted, as the offsets the model stores with its state. */
static void offsets_store(struct etl *m, const struct gm_koffset *o, size_t n)
{
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(o[i].topic, o[i - 1].topic)) {
			if (i > 0)
				gm_w_obj_end(w);
			gm_w_key(w, o[i].topic);
			gm_w_obj_begin(w);
		}
		char p[16];
		snprintf(p, sizeof p, "%d", (int)o[i].partition);
		gm_w_key(w, p);
		gm_w_i64(w, o[i].offset);
	}
	if (n > 0)
		gm_w_obj_end(w);
	gm_w_obj_end(w);
	size_t len;
	const char *json = gm_writer_data(w, &len);
	etl_set_offsets(m, json, len);
	gm_writer_close(w);
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
		GM_KAFKA_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		{ "warehouse", required_argument, 0, 'w' },
		{ "dry-run", no_argument, 0, 'n' },
		{ "lookback", required_argument, 0, OPT_LOOKBACK },
		{ "max-records", required_argument, 0, OPT_MAX_RECORDS },
		{ "late", required_argument, 0, 'l' },
		{ 0 }
	};
	struct gm_common c;
	const char *spec = NULL, *late_out = NULL;
	bool dry_run = false;
	unsigned long long max_records = DEFAULT_MAX_RECORDS;
	struct etl_opts o = { .lookback_ms = DEFAULT_LOOKBACK_MS };
	int opt;

	gm_cli_init(argv[0]);
	gm_common_init(&c);
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS GM_INPUT_SHORT_OPTIONS
			GM_KAFKA_SHORT_OPTIONS "w:nl:",
			longopts, usage)) != -1) {
		if (gm_common_option(&c, opt, optarg, usage))
			continue;
		switch (opt) {
		case 'w': spec = optarg; break;
		case 'n': dry_run = true; break;
		case 'l': late_out = optarg; break;
		case OPT_MAX_RECORDS:
			max_records = gm_opt_count(usage, "--max-records", optarg, 1, UINT64_MAX / 2);
			break;
		case OPT_LOOKBACK:
			o.lookback_ms = strcmp(optarg, "all") == 0 ? -1
				: gm_opt_duration(usage, "--lookback", optarg, true, GM_DURATION_MAX);
			break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	if (c.group)
		gm_usage_error(usage, "-G: gm-etl keeps its Kafka offsets in the warehouse, not in a consumer group");
	size_t nfiles = (size_t)(argc - optind);
	gm_input_check(&c, nfiles, usage);
	gm_stats_start(&c, usage);
	if (c.ntopics > 0 && !c.exit_eof)
		gm_usage_error(usage, "-t needs -e: gm-etl is a batch, which reads the topics to their ends and stops");

	gm_rejects_open(c.rejects, c.strict);
	/* The input first: a Kafka cluster that cannot be reached exits 75
	 * before the warehouse is touched. */
	struct gm_source *src = gm_source_open(&c, argv + optind, nfiles, c.topics, c.ntopics, false);
	if (!src)
		return GM_EXIT_FAIL;
	struct gm_wh *wh = gm_wh_open(&c, spec, dry_run);
	if (!wh) {
		gm_source_close(src);
		return GM_EXIT_FAIL;
	}
	struct run run = { .wh = wh };
	struct etl_out out = { row_begin, row_put, &run };
	struct etl *m = etl_new(&o, &out);
	struct gm_parser *ps = gm_parser_new();
	int status = GM_EXIT_OK;
	if (!read_stored(wh, m, ps, &gm_rtype_etl_state, NULL))
		status = GM_EXIT_FAIL;

	/* Kafka: from the offsets the state holds to the topics' ends. */
	yajl_val stored_tree = NULL;
	struct gm_koffset *stored = NULL;
	size_t nstored = 0;
	if (status == GM_EXIT_OK && c.ntopics > 0) {
		if (!offsets_parse(wh, etl_offsets(m), &stored_tree, &stored, &nstored))
			status = GM_EXIT_FAIL;
		else if (!gm_source_range(src, stored, nstored))
			status = GM_EXIT_TEMPFAIL;  /* or worse: gm_source_close() says */
	}
	/* Opened once the range is known: tests/sh/etl-kafka.sh holds a run
	 * there, on a FIFO, to produce records while it reads. */
	struct gm_sink *late = NULL;
	if (status == GM_EXIT_OK && late_out && !(late = gm_sink_open(&c, late_out)))
		status = GM_EXIT_FAIL;
	struct gm_record r;
	const struct gm_event *ev;
	enum gm_next st;
	struct gm_progress *progress = gm_progress_new("records", c.quiet);
	while (status == GM_EXIT_OK && (st = gm_source_next_event(src, ps, &r, &ev, -1)) != GM_NEXT_END) {
		if (progress) {
			uint64_t done, total;
			gm_source_progress(src, &done, &total);
			gm_progress_tick(progress, gm_counts.in, done, total);
		}
		if (st == GM_NEXT_RECORD && gm_counts.in > max_records) {
			gm_error(NULL, "more than %llu records in one run (--max-records): "
				"nothing loaded; load the input in parts", max_records);
			status = GM_EXIT_FAIL;
			break;
		}
		if (st == GM_NEXT_ERROR) {
			status = GM_EXIT_FAIL;
			break;
		}
		const char *why;
		switch (etl_load(m, ev, &why)) {
		case ETL_REFUSED:
			if (!gm_source_reject(src, &r, why))
				status = GM_EXIT_FAIL;
			break;
		case ETL_LATE:
			gm_counts_add(&gm_counts.late, 1);
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
	gm_progress_end(progress);
	if (status == GM_EXIT_OK && c.ntopics > 0) {
		/* The offsets go with the data, in the same commit; the
		 * same as stored, they are not written again. Taken before
		 * the source closes, which frees them. */
		size_t nread, nnext;
		const struct gm_koffset *read = gm_source_offsets(src, &nread);
		struct gm_koffset *next = offsets_next(stored, nstored, read, nread,
			c.topics, c.ntopics, &nnext);
		if (!offsets_same(stored, nstored, next, nnext))
			offsets_store(m, next, nnext);
		free(next);
	}
	/* An input that could not be read whole (a file missing, a gzip
	 * cut short) loads nothing: the next run loads it whole. */
	if (src) {
		status = gm_exit_worse(status, gm_source_close(src));
		src = NULL;
	}
	/* Every fact is put (model.h): their tables are written out and
	 * synced while the rest is computed. */
	for (size_t i = 0; i < run.ntables; i++)
		if (is_fact(run.types[i]))
			gm_wh_done(run.tables[i]);
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
		else if (!dry_run)
			for (size_t i = 0; i < run.ntables; i++)
				gm_counts_add(&gm_counts.out, gm_wh_count(run.tables[i]));
	}
	if (status == GM_EXIT_OK && !c.quiet)
		summary(etl_counts(m), dry_run);
	free(stored);
	yajl_tree_free(stored_tree);
	etl_free(m);
	gm_parser_free(ps);
	gm_wh_close(wh);
	struct gm_sink *sinks[1] = { late };
	return gm_finish(&c, status, sinks, 1, src);
}

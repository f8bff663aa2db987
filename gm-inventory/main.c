/* gm-inventory: stock levels. Reads the catalog (product records),
 * restocks, and transactions or their re-keyed sales (NDJSON files,
 * stdin or Kafka), keeps each product's units on hand, and writes
 * inventory_status records per window and low_stock and out_of_stock
 * alerts that fire once and resolve, to NDJSON, Kafka or PostgreSQL.
 * With --rekey it is instead the step that re-keys transactions into
 * sales by product_id, for instances in a group. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "event.h"
#include "finish.h"
#include "number.h"
#include "rekey.h"
#include "rtype.h"
#include "seen.h"
#include "sink.h"
#include "source.h"
#include "stock.h"
#include "stream.h"

static const char usage[] =
	"usage: gm-inventory [-hqu] [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"                    [-G GROUP] [-b BROKERS] [-X KEY=VALUE]... [-t TOPIC]... [-e]\n"
	"                    [-o OUT] [-a ALERTS] [--retry-for DURATION]\n"
	"                    [--stats OUT] [--stats-every DURATION]\n"
	"                    [--state FILE] [-w SIZE] [--lateness DURATION]\n"
	"                    [--idle DURATION] [--reorder-point N] [--hysteresis F]\n"
	"                    [--dedup-for DURATION] [--max-products N] [--max-ids N]\n"
	"                    [--final] [--rekey] [FILE...]\n";

enum {
	OPT_REORDER = 0x2000, OPT_HYSTERESIS, OPT_DEDUP_FOR, OPT_MAX_PRODUCTS, OPT_MAX_IDS,
	OPT_REKEY,
};

struct options {
	struct gm_common c;
	struct gm_stream_options s;
	struct stock_options stock;
	struct seen_options seen;
	bool rekey;               /* --rekey */
	bool stock_options_given; /* any of the options --rekey has no use for */
};

struct app {
	const struct options *o;
	struct gm_streams *run;
	struct stock *stock;
	struct seen *seen;
	struct gm_output sales;   /* --rekey */
	struct rekey lines;       /* of the transaction at hand */
	uint64_t ids_evicted;
};

/* ---- options ---- */

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		GM_STREAM_LONG_OPTIONS,
		{ "reorder-point", required_argument, 0, OPT_REORDER },
		{ "hysteresis", required_argument, 0, OPT_HYSTERESIS },
		{ "dedup-for", required_argument, 0, OPT_DEDUP_FOR },
		{ "max-products", required_argument, 0, OPT_MAX_PRODUCTS },
		{ "max-ids", required_argument, 0, OPT_MAX_IDS },
		GM_STREAM_FINAL_OPTION,
		{ "rekey", no_argument, 0, OPT_REKEY },
		{ 0 }
	};
	memset(o, 0, sizeof *o);
	gm_common_init(&o->c);
	gm_stream_options_init(&o->s);
	o->stock = (struct stock_options){
		.reorder_point = 10, .hysteresis_ppm = 200000, .max_products = 1000000,
	};
	o->seen = (struct seen_options){ .keep_for = 3600000, .max_ids = 1000000 };
	int opt;
	while ((opt = gm_getopt(argc, argv, GM_STREAM_SHORT_OPTIONS, longopts, usage)) != -1) {
		if (opt == 'a' || opt == 'w' || opt == GM_OPT_STATE)
			o->stock_options_given = true;
		if (gm_stream_option(&o->c, &o->s, opt, optarg, usage))
			continue;
		o->stock_options_given |= opt != OPT_REKEY;
		switch (opt) {
		case OPT_REORDER:
			o->stock.reorder_point = (int64_t)gm_opt_count(usage, "--reorder-point", optarg,
				0, 1000000000);
			break;
		case OPT_HYSTERESIS:
			o->stock.hysteresis_ppm = (int64_t)llround(gm_opt_number(usage, "--hysteresis",
				optarg, 0, 100) * 1000000);
			break;
		case OPT_DEDUP_FOR:
			o->seen.keep_for = gm_opt_duration(usage, "--dedup-for", optarg, true,
				GM_DURATION_MAX / 4);
			break;
		case OPT_MAX_PRODUCTS:
			o->stock.max_products = gm_opt_count(usage, "--max-products", optarg, 1, 100000000);
			break;
		case OPT_MAX_IDS:
			o->seen.max_ids = gm_opt_count(usage, "--max-ids", optarg, 1, 1000000000);
			break;
		case OPT_REKEY: o->rekey = true; break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	gm_stream_options_done(&o->s, &o->c, argc - optind, usage);
	if (o->s.late)
		gm_usage_error(usage, "%s", "-l: gm-inventory takes every record, however late: none is written there");
	if (o->rekey && o->s.final)
		gm_usage_error(usage, "%s", "--rekey keeps no state: --final does not go with it");
	if (o->rekey && o->stock_options_given)
		gm_usage_error(usage, "%s", "--rekey keeps no stock: -a, -w, --state and the stock options do not go with it");
	o->stock.window = o->s.window.size;
}

/* ---- the stream ---- */

/* Whether the stock has room for the products of e that it does not
 * hold yet (a level is never evicted: see stock.h). */
static bool room_for(struct app *a, const struct gm_event *ev)
{
	size_t room = stock_room(a->stock), fresh = 0;
	size_t lines = ev->type == GM_TRANSACTION ? a->lines.n : 1;
	if (room >= lines)     /* far from the cap: no lookups */
		return true;
	if (ev->type != GM_TRANSACTION)
		return stock_holds(a->stock, ev->product_id);
	for (size_t i = 0; i < a->lines.n && fresh <= room; i++)
		fresh += !stock_holds(a->stock, a->lines.lines[i].product_id);
	return fresh <= room;
}

static bool inventory_event(struct app *a, struct gm_stream_event *e)
{
	const struct gm_event *ev = e->ev;
	const char *why = stock_refuses(ev);
	if (why)
		return gm_stream_reject(e, why);
	/* In a group each instance holds some products: a transaction's
	 * items belong to several. */
	if (ev->type == GM_TRANSACTION && a->o->c.group)
		return gm_stream_reject(e, "a transaction read in a group: its products are held by several instances; re-key transactions with gm-inventory --rekey and read sales");
	if (ev->type == GM_TRANSACTION)
		rekey_lines(&a->lines, ev);
	if (!room_for(a, ev))
		return gm_stream_reject(e, "more products than --max-products: raise it, then feed this record again");
	int32_t number = gm_stream_number(e->stream);
	struct stock_from from = {
		.at = e->at, .ts = ev->ts, .watermark = gm_streams_watermark(a->run, number),
		.partition = number, .trigger = ev->id,
		.replay = e->replay,
	};
	gm_str none = { "", 0 };
	if (ev->type == GM_PRODUCT) {
		char trigger[sizeof "catalog@" + GM_I64_LEN];
		memcpy(trigger, "catalog@", 8);
		from.trigger = (gm_str){ trigger, 8 + gm_format_i64(ev->ts, trigger + 8) };
		stock_catalog(a->stock, ev, &from);
		return true;
	}
	if (seen_check(a->seen, ev, ev->type == GM_SALE ? ev->product_id : none, e->at) != SEEN_NEW)
		return true;
	switch (ev->type) {
	case GM_RESTOCK:
		stock_move(a->stock, ev->product_id, none, ev->quantity, &from);
		break;
	case GM_SALE:
		stock_move(a->stock, ev->product_id, ev->category, -ev->quantity, &from);
		break;
	default:   /* GM_TRANSACTION */
		for (size_t i = 0; i < a->lines.n; i++)
			stock_move(a->stock, a->lines.lines[i].product_id, a->lines.lines[i].category,
				-a->lines.lines[i].quantity, &from);
	}
	return true;
}

static bool event(void *ctx, struct gm_stream_event *e)
{
	struct app *a = ctx;
	if (e->kept)
		return true;
	if (a->o->rekey) {
		if (!e->replay)
			rekey_write(&a->lines, &a->sales, e->ev);
		return true;
	}
	return inventory_event(a, e);
}

static void product_due(void *ctx, int32_t partition, const char *key, size_t klen,
	void *value, int64_t when)
{
	struct app *a = ctx;
	stock_due(a->stock, key, klen, value, when, gm_streams_label(a->run, partition));
}

static void id_due(void *ctx, int32_t partition, const char *key, size_t klen, void *value,
	int64_t when)
{
	seen_due(((struct app *)ctx)->seen, key, klen);
}

static void id_evicted(void *ctx, const char *key, size_t klen, void *value)
{
	((struct app *)ctx)->ids_evicted++;
}

static void end(void *ctx, int32_t number, int64_t newest)
{
	struct app *a = ctx;
	if (a->stock)
		stock_end(a->stock, number, gm_streams_label(a->run, number), newest);
}

/* What the run could not keep exactly, said once at the end. */
static void report(const struct app *a)
{
	if (a->stock && stock_hurried(a->stock))
		gm_warn(NULL, "%llu sales, restocks or counts applied before the watermark passed them (a product had more than 16 waiting)",
			(unsigned long long)stock_hurried(a->stock));
	if (a->stock && stock_counts_late(a->stock))
		gm_warn(NULL, "%llu stock counts came after more than 8 later sales or restocks of their product: their level leaves out the older of those",
			(unsigned long long)stock_counts_late(a->stock));
	if (a->seen && seen_duplicates(a->seen))
		gm_warn(NULL, "%llu records skipped: their transaction_id or restock_id came before",
			(unsigned long long)seen_duplicates(a->seen));
	if (a->ids_evicted)
		gm_warn(NULL, "%llu ids forgotten before --dedup-for under --max-ids: a duplicate of one would count again",
			(unsigned long long)a->ids_evicted);
}

int main(int argc, char **argv)
{
	struct options o;
	gm_cli_init(argv[0]);
	parse_options(argc, argv, &o);

	struct app a = { .o = &o };
	struct gm_source *src;
	struct gm_sink *sinks[3];
	if (!gm_stream_open(&o.c, &o.s, argv + optind, argc - optind, &src, sinks))
		return GM_EXIT_FAIL;

	/* No windows of the stream's: a product's next status record is its
	 * entry's timer (stock.h); the lateness makes the watermark, and a
	 * record however old still moves stock. */
	const struct gm_stream_tool tool = {
		.name = "gm-inventory", .event = event,
		.types = o.rekey ? GM_STREAM_TYPE(GM_TRANSACTION)
			: GM_STREAM_TYPE(GM_PRODUCT) | GM_STREAM_TYPE(GM_RESTOCK)
			| GM_STREAM_TYPE(GM_TRANSACTION) | GM_STREAM_TYPE(GM_SALE),
		.window = { 0, 0, o.s.window.lateness }, .ctx = &a,
		.takes_late = true, .end = end,
		/* A topic read ahead leaves a stock count to correct for the
		 * later moves that came first (stock.h): keep them close. */
		.step = o.s.window.lateness > 1000 ? o.s.window.lateness : 1000,
	};
	const struct gm_stream_io io = {
		.c = &o.c, .src = src, .topics = o.c.topics,
		.sinks = { sinks[0], sinks[1] }, .nsinks = 2, .late = sinks[2],
		.state_file = o.s.state, .idle_ms = o.s.idle_ms,
		.final = gm_stream_final(&o.s, &o.c),
	};
	a.run = gm_streams_new(&tool, &io);
	int status = GM_EXIT_OK;
	if (o.rekey) {
		a.sales = gm_streams_output(a.run, sinks[0], gm_rtype_sale.topic, false);
		status = gm_streams_run(a.run);
	} else {
		struct gm_store_spec products = stock_store_spec(&o.stock);
		products.due = product_due;
		products.ctx = &a;
		struct gm_store_spec ids = seen_store_spec(&o.seen);
		ids.due = id_due;
		ids.evicted = id_evicted;
		ids.ctx = &a;
		struct gm_store *product_store, *id_store;
		if ((product_store = gm_streams_store(a.run, &products, &status))
		    && (id_store = gm_streams_store(a.run, &ids, &status))) {
			const struct gm_output status_out = gm_streams_output(a.run, sinks[0],
				gm_rtype_inventory_status.topic, false);
			const struct gm_output alert_out = gm_streams_output(a.run, sinks[1],
				gm_rtype_alert.topic, true);
			a.stock = stock_new(&o.stock, product_store, &status_out, &alert_out);
			a.seen = seen_new(&o.seen, id_store);
			status = gm_streams_run(a.run);
			report(&a);
		}
	}
	status = gm_exit_worse(status, gm_streams_free(a.run));
	stock_free(a.stock);
	seen_free(a.seen);
	rekey_free(&a.lines);
	return gm_finish(&o.c, status, sinks, 3, src);
}

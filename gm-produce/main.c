/* gm-produce: a seeded, realistic event generator. It writes the shop's
 * product views, cart events and transactions as NDJSON (stdout or a
 * file) or to Kafka, flat out or at a rate, deterministically for a
 * seed: the same options give the same bytes, whatever the rate. With
 * --catalog, it writes the catalog too, keeps the stock the shop sells
 * from, and writes the supplier's deliveries among the events. */
#include <math.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "finish.h"
#include "format.h"
#include "rtype.h"
#include "shop.h"
#include "sink.h"
#include "stock.h"
#include "ts.h"
#include "stats.h"

static const char usage[] =
	"usage: gm-produce [-hqu] [-s SEED] [-n COUNT] [-d DURATION] [-r RATE]\n"
	"                  [--start TIME] [--event-rate N] [--users N] [--products N]\n"
	"                  [--anomaly-rate FRACTION] [--truth] [--daily-cycle]\n"
	"                  [--catalog OUT] [-o OUT] [-b BROKERS] [-X KEY=VALUE]...\n"
	"                  [--retry-for DURATION] [--stats OUT] [--stats-every DURATION]\n"
	"                  [--transactions-topic T]\n"
	"                  [--views-topic T] [--carts-topic T]\n";

enum {
	OPT_START = 0x2000, OPT_EVENT_RATE, OPT_USERS, OPT_PRODUCTS,
	OPT_ANOMALY_RATE, OPT_TRUTH, OPT_DAILY, OPT_TX_TOPIC, OPT_VIEW_TOPIC,
	OPT_CART_TOPIC, OPT_CATALOG,
};

/* The stock of --catalog takes 16 bytes a product (stock.h). */
#define CATALOG_MAX_PRODUCTS 100000000

struct options {
	struct gm_common c;
	struct shop_options shop;
	unsigned long long count;   /* 0: no limit */
	long long duration_ms;      /* of event time; 0: no limit */
	double rate;                /* events per second of real time; 0: flat out */
	bool event_rate_given;
	bool truth;
	const char *out;
	const char *catalog;        /* --catalog: where the product records go */
	const char *topic[4];       /* by gm_type */
};

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		GM_BASE_LONG_OPTIONS,
		GM_KAFKA_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		{ "seed", required_argument, 0, 's' },
		{ "count", required_argument, 0, 'n' },
		{ "duration", required_argument, 0, 'd' },
		{ "rate", required_argument, 0, 'r' },
		{ "output", required_argument, 0, 'o' },
		{ "start", required_argument, 0, OPT_START },
		{ "event-rate", required_argument, 0, OPT_EVENT_RATE },
		{ "users", required_argument, 0, OPT_USERS },
		{ "products", required_argument, 0, OPT_PRODUCTS },
		{ "anomaly-rate", required_argument, 0, OPT_ANOMALY_RATE },
		{ "truth", no_argument, 0, OPT_TRUTH },
		{ "daily-cycle", no_argument, 0, OPT_DAILY },
		{ "transactions-topic", required_argument, 0, OPT_TX_TOPIC },
		{ "views-topic", required_argument, 0, OPT_VIEW_TOPIC },
		{ "carts-topic", required_argument, 0, OPT_CART_TOPIC },
		{ "catalog", required_argument, 0, OPT_CATALOG },
		{ 0 }
	};
	*o = (struct options){ 0 };
	struct gm_common *c = &o->c;
	gm_common_init(c);
	o->shop.seed = 1;
	o->shop.users = 10000000;
	o->shop.products = 250000;
	o->shop.event_rate = 500;
	o->shop.anomaly_rate = 0.01;
	o->shop.start = (int64_t)time(NULL) * 1000;
	o->rate = 500;
	for (enum gm_type t = GM_TRANSACTION; t <= GM_CART_EVENT; t++)
		o->topic[t] = gm_rtype_of(t)->topic;

	int opt;
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS GM_KAFKA_SHORT_OPTIONS
		"s:n:d:r:o:", longopts, usage)) != -1) {
		if (gm_common_option(c, opt, optarg, usage))
			continue;
		switch (opt) {
		case 's': o->shop.seed = gm_opt_count(usage, "--seed", optarg, 0, UINT64_MAX); break;
		case 'n': o->count = gm_opt_count(usage, "--count", optarg, 0, UINT64_MAX); break;
		case 'd': o->duration_ms = gm_opt_duration(usage, "--duration", optarg, false, GM_DURATION_MAX); break;
		case 'r': o->rate = gm_opt_number(usage, "--rate", optarg, 0, 1e9); break;
		case 'o': o->out = optarg; break;
		case OPT_START:
			if (!gm_ts_parse(optarg, strlen(optarg), &o->shop.start))
				gm_usage_error(usage, "--start: expected an RFC 3339 time like 2026-11-24T00:00:00Z, got %s", optarg);
			break;
		case OPT_EVENT_RATE:
			o->shop.event_rate = gm_opt_number(usage, "--event-rate", optarg, 1e-6, 1e9);
			o->event_rate_given = true;
			break;
		case OPT_USERS: o->shop.users = gm_opt_count(usage, "--users", optarg, 1, UINT64_MAX); break;
		case OPT_PRODUCTS:
			/* Cart lines keep product ids in 32 bits. */
			o->shop.products = gm_opt_count(usage, "--products", optarg, 1, UINT32_MAX);
			break;
		case OPT_ANOMALY_RATE: o->shop.anomaly_rate = gm_opt_number(usage, "--anomaly-rate", optarg, 0, 1); break;
		case OPT_TRUTH: o->truth = true; break;
		case OPT_DAILY: o->shop.daily_cycle = true; break;
		case OPT_TX_TOPIC: o->topic[GM_TRANSACTION] = optarg; break;
		case OPT_VIEW_TOPIC: o->topic[GM_PRODUCT_VIEW] = optarg; break;
		case OPT_CART_TOPIC: o->topic[GM_CART_EVENT] = optarg; break;
		case OPT_CATALOG: o->catalog = optarg; break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	if (optind < argc)
		gm_usage_error(usage, "unexpected argument: %s", argv[optind]);
	gm_stats_start(c, usage);
	if (o->catalog && o->shop.products > CATALOG_MAX_PRODUCTS)
		gm_usage_error(usage, "--catalog: at most %d products, not %llu", CATALOG_MAX_PRODUCTS,
			(unsigned long long)o->shop.products);
	/* --count and --duration together spread the events over the span. */
	if (o->count && o->duration_ms && !o->event_rate_given)
		o->shop.event_rate = o->count / (o->duration_ms / 1000.0);
}

/* Sleeps until `target` seconds on the monotonic clock. */
static void sleep_until(double target)
{
	double now = gm_now_seconds();
	if (now >= target)
		return;
	double d = target - now;
	struct timespec ts = { (time_t)d, (long)((d - floor(d)) * 1e9) };
	nanosleep(&ts, NULL); /* a signal cuts it short: the loop checks */
}

/* The catalog, one product record per product, counted at ts. False
 * when the sink failed. */
static bool write_catalog(struct gm_sink *sink, const struct stock *st, uint64_t products,
	int64_t ts)
{
	struct catalog_product p;
	char line[FORMAT_MAX], key[32];
	for (uint64_t id = 0; id < products && !gm_stopping(); id++) {
		stock_product(st, id, &p);
		size_t len = format_product(line, &p, ts);
		size_t klen = format_id(key, 'p', 6, id);
		if (!gm_sink_emit_raw(sink, gm_rtype_product.topic, key, klen, line, len))
			return false;
	}
	return true;
}

/* The deliveries that arrive at or before until. False when the sink
 * failed. */
static bool write_restocks(struct gm_sink *sink, struct stock *st, int64_t until)
{
	struct restock r;
	char line[FORMAT_MAX], key[32];
	while (st && stock_deliver(st, until, &r)) {
		size_t len = format_restock(line, &r);
		size_t klen = format_id(key, 'p', 6, r.product);
		if (!gm_sink_emit_raw(sink, gm_rtype_restock.topic, key, klen, line, len))
			return false;
	}
	return true;
}

/* Two specs of one output: opened once, so that its records interleave
 * whole (the catalog then comes first). */
static bool same_output(const char *a, const char *b)
{
	return !strcmp(a ? a : "-", b ? b : "-");
}

int main(int argc, char **argv)
{
	struct options o;
	gm_cli_init(argv[0]);
	parse_options(argc, argv, &o);

	struct gm_sink *sinks[2] = { gm_sink_open(&o.c, o.out), NULL };
	struct gm_sink *sink = sinks[0];
	if (!sink)
		return GM_EXIT_FAIL;
	if (o.catalog) {
		sinks[1] = same_output(o.catalog, o.out) ? sink : gm_sink_open(&o.c, o.catalog);
		if (!sinks[1]) {
			gm_close_io(sinks, 1, NULL);
			return GM_EXIT_FAIL;
		}
	}
	struct shop *shop = shop_new(&o.shop);
	struct stock *stock = o.catalog ? stock_new(shop) : NULL;
	int64_t end_ts = o.duration_ms ? o.shop.start + o.duration_ms : INT64_MAX;
	/* Pacing: check the clock every `batch` events, about every ms. */
	unsigned long long batch = o.rate > 1000 ? (unsigned long long)(o.rate / 1000) : 1;
	bool failed = stock && !write_catalog(sinks[1], stock, o.shop.products, o.shop.start);
	double t0 = gm_now_seconds();   /* -r paces the events, not the catalog */
	struct shop_event ev;
	char line[FORMAT_MAX], key[32];

	for (unsigned long long n = 0; !failed && (!o.count || n < o.count); n++) {
		if (gm_stopping())
			break;
		shop_next(shop, &ev);
		/* A delivery comes before the events of its millisecond. */
		if (!write_restocks(sink, stock, ev.ts < end_ts ? ev.ts : end_ts - 1)) {
			failed = true;
			break;
		}
		if (ev.ts >= end_ts)
			break;
		size_t len = format_event(line, &ev, o.truth);
		size_t klen = format_id(key, 'u', 7, ev.user);
		if (!gm_sink_emit_raw(sink, o.topic[ev.type], key, klen, line, len)) {
			failed = true;
			break;
		}
		if (stock && ev.type == GM_TRANSACTION)
			stock_sell(stock, &ev);
		if (o.rate > 0 && (n + 1) % batch == 0) {
			double target = t0 + (n + 1) / o.rate;
			if (gm_now_seconds() < target) {
				gm_sink_poll(sink);
				sleep_until(target);
			}
		}
	}
	stock_free(stock);
	shop_free(shop);
	return gm_finish(&o.c, failed ? GM_EXIT_FAIL : GM_EXIT_OK, sinks, o.catalog ? 2 : 1, NULL);
}

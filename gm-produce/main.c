/* gm-produce: a seeded, realistic event generator. It writes the shop's
 * product views, cart events and transactions as NDJSON (stdout or a
 * file) or to Kafka, flat out or at a rate, deterministically for a
 * seed: the same options give the same bytes, whatever the rate. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "counts.h"
#include "shop.h"
#include "sink.h"
#include "ts.h"

static const char usage[] =
	"usage: gm-produce [-hqu] [-s SEED] [-n COUNT] [-d DURATION] [-r RATE]\n"
	"                  [--start TIME] [--event-rate N] [--users N] [--products N]\n"
	"                  [--anomaly-rate FRACTION] [--truth] [--daily-cycle]\n"
	"                  [-o OUT] [-b BROKERS] [-X KEY=VALUE]...\n"
	"                  [--transactions-topic T] [--views-topic T] [--carts-topic T]\n";

enum {
	OPT_START = 0x2000, OPT_EVENT_RATE, OPT_USERS, OPT_PRODUCTS,
	OPT_ANOMALY_RATE, OPT_TRUTH, OPT_DAILY, OPT_TX_TOPIC, OPT_VIEW_TOPIC,
	OPT_CART_TOPIC,
};

struct options {
	struct gm_common c;
	struct shop_options shop;
	unsigned long long count;   /* 0: no limit */
	long long duration_ms;      /* of event time; 0: no limit */
	double rate;                /* events per second of real time; 0: flat out */
	bool event_rate_given;
	bool truth;
	const char *out;
	const char *topic[4];       /* by gm_type */
};

/* Formats "<prefix><number, at least width digits>" to end at buf + 32;
 * returns where it starts. */
static char *format_id(char buf[32], char prefix, int width, uint64_t v)
{
	char *end = buf + 32, *p = end;
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	while (end - p < width)
		*--p = '0';
	*--p = prefix;
	return p;
}

static void put_id(struct gm_writer *w, char prefix, int width, uint64_t v)
{
	char buf[32];
	char *p = format_id(buf, prefix, width, v);
	gm_w_str(w, p, buf + 32 - p);
}

/* A name from one of the model's tables. */
static void put_name(struct gm_writer *w, const char *name)
{
	gm_w_str(w, name, strlen(name));
}

/* The fields every event starts with; the type is written with its id
 * key already, e.g. "{\"type\":\"product_view\",\"event_id\":". */
#define PUT_HEAD(w, ev, type, id_key, id_prefix) do { \
	gm_w_obj_begin(w); \
	GM_W_KEY(w, "type"); \
	gm_w_str(w, type, sizeof type - 1); \
	GM_W_KEY(w, id_key); \
	put_id(w, id_prefix, 10, (ev)->seq); \
	GM_W_KEY(w, "ts"); \
	gm_w_ts(w, (ev)->ts); \
	GM_W_KEY(w, "user_id"); \
	put_id(w, 'u', 7, (ev)->user); \
	GM_W_KEY(w, "session_id"); \
	put_id(w, 's', 9, (ev)->session); \
} while (0)

static void put_event(struct gm_writer *w, const struct shop_event *ev, bool truth)
{
	switch (ev->type) {
	case GM_PRODUCT_VIEW:
		PUT_HEAD(w, ev, "product_view", "event_id", 'e');
		GM_W_KEY(w, "product_id");
		put_id(w, 'p', 6, ev->product);
		GM_W_KEY(w, "category");
		put_name(w, category_name[ev->category]);
		GM_W_KEY(w, "country");
		put_name(w, country_name[ev->country]);
		GM_W_KEY(w, "duration_ms");
		gm_w_i64(w, ev->duration_ms);
		break;
	case GM_CART_EVENT:
		PUT_HEAD(w, ev, "cart_event", "event_id", 'e');
		GM_W_KEY(w, "product_id");
		put_id(w, 'p', 6, ev->product);
		GM_W_KEY(w, "category");
		put_name(w, category_name[ev->category]);
		GM_W_KEY(w, "action");
		put_name(w, ev->add ? "add" : "remove");
		GM_W_KEY(w, "quantity");
		gm_w_i64(w, ev->quantity);
		GM_W_KEY(w, "unit_price");
		gm_w_money(w, ev->unit_price);
		break;
	default:
		PUT_HEAD(w, ev, "transaction", "transaction_id", 't');
		GM_W_KEY(w, "country");
		put_name(w, country_name[ev->country]);
		GM_W_KEY(w, "payment_method");
		put_name(w, payment_name[ev->payment]);
		GM_W_KEY(w, "items");
		gm_w_arr_begin(w);
		for (int i = 0; i < ev->nitems; i++) {
			const struct cart_line *l = &ev->items[i];
			gm_w_obj_begin(w);
			GM_W_KEY(w, "product_id");
			put_id(w, 'p', 6, l->product);
			GM_W_KEY(w, "category");
			put_name(w, category_name[l->category]);
			GM_W_KEY(w, "quantity");
			gm_w_i64(w, l->quantity);
			GM_W_KEY(w, "unit_price");
			gm_w_money(w, l->unit_price);
			gm_w_obj_end(w);
		}
		gm_w_arr_end(w);
		GM_W_KEY(w, "total_amount");
		gm_w_money(w, ev->total);
		break;
	}
	if (truth) {
		GM_W_KEY(w, "anomaly");
		put_name(w, anomaly_name[ev->anomaly]);
	}
	gm_w_end(w);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		GM_BASE_LONG_OPTIONS,
		GM_KAFKA_LONG_OPTIONS,
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
		{ 0 }
	};
	struct gm_common *c = &o->c;
	gm_common_init(c);
	memset(&o->shop, 0, sizeof o->shop);
	o->shop.seed = 1;
	o->shop.users = 10000000;
	o->shop.products = 250000;
	o->shop.event_rate = 500;
	o->shop.anomaly_rate = 0.01;
	o->shop.start = (int64_t)time(NULL) * 1000;
	o->rate = 500;
	o->topic[GM_TRANSACTION] = "transactions";
	o->topic[GM_PRODUCT_VIEW] = "product_views";
	o->topic[GM_CART_EVENT] = "cart_events";

	int opt;
	while ((opt = getopt_long(argc, argv, GM_BASE_SHORT_OPTIONS GM_KAFKA_SHORT_OPTIONS
		"s:n:d:r:o:", longopts, NULL)) != -1) {
		if (gm_common_option(c, opt, optarg, usage))
			continue;
		switch (opt) {
		case 's': o->shop.seed = gm_opt_count(usage, "--seed", optarg, 0, UINT64_MAX); break;
		case 'n': o->count = gm_opt_count(usage, "--count", optarg, 0, UINT64_MAX); break;
		case 'd': o->duration_ms = gm_opt_duration(usage, "--duration", optarg, false); break;
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
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	if (optind < argc)
		gm_usage_error(usage, "unexpected argument: %s", argv[optind]);
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

int main(int argc, char **argv)
{
	struct options o;
	gm_cli_init(argv[0]);
	parse_options(argc, argv, &o);

	struct gm_sink *sink = gm_sink_open(&o.c, o.out);
	if (!sink)
		return GM_EXIT_FAIL;
	struct shop *shop = shop_new(&o.shop);
	int64_t end_ts = o.duration_ms ? o.shop.start + o.duration_ms : INT64_MAX;
	/* Pacing: check the clock every `batch` events, about every ms. */
	unsigned long long batch = o.rate > 1000 ? (unsigned long long)(o.rate / 1000) : 1;
	double t0 = gm_now_seconds();
	bool failed = false;
	struct shop_event ev;

	for (unsigned long long n = 0; !o.count || n < o.count; n++) {
		if (gm_stopping())
			break;
		shop_next(shop, &ev);
		if (ev.ts >= end_ts)
			break;
		put_event(gm_sink_writer(sink), &ev, o.truth);
		char key[32];
		char *k = format_id(key, 'u', 7, ev.user);
		if (!gm_sink_emit(sink, o.topic[ev.type], k, key + 32 - k)) {
			failed = true;
			break;
		}
		if (o.rate > 0 && (n + 1) % batch == 0) {
			double target = t0 + (n + 1) / o.rate;
			if (gm_now_seconds() < target) {
				gm_writer_flush(gm_sink_writer(sink));
				sleep_until(target);
			}
		}
	}
	shop_free(shop);
	int status = gm_sink_close(sink);
	if (failed && status == GM_EXIT_OK)
		status = GM_EXIT_FAIL;
	if (!o.c.quiet)
		gm_counts_summary();
	free(o.c.props);
	return status;
}

/* gm-txmon: the transaction monitor. Reads transactions (NDJSON files,
 * stdin or Kafka), writes revenue metrics per event-time window, country
 * and category, and explainable anomaly alerts, to NDJSON, Kafka or
 * PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "detect.h"
#include "event.h"
#include "finish.h"
#include "metrics.h"
#include "money.h"
#include "rtype.h"
#include "sink.h"
#include "source.h"
#include "stream.h"

static const char usage[] =
	"usage: gm-txmon [-hqu] [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"                [-G GROUP] [-b BROKERS] [-X KEY=VALUE]... [-t TOPIC]... [-e]\n"
	"                [-o OUT] [-a ALERTS] [-l LATE] [--retry-for DURATION]\n"
	"                [--stats OUT] [--stats-every DURATION]\n"
	"                [--state FILE] [-w SIZE] [--slide SIZE]\n"
	"                [--lateness DURATION] [--idle DURATION] [--z-threshold Z]\n"
	"                [--min-ratio R] [--min-history N] [--high-value AMOUNT]\n"
	"                [--velocity N/DURATION] [--max-users N] [--user-ttl DURATION]\n"
	"                [FILE...]\n";

enum {
	OPT_SLIDE = 0x2000, OPT_Z, OPT_RATIO, OPT_HISTORY, OPT_HIGH, OPT_VELOCITY,
	OPT_MAX_USERS, OPT_TTL,
};

struct options {
	struct gm_common c;
	struct gm_stream_options s;
	struct detect_options detect;
};

struct txmon {
	struct gm_streams *run;
	struct gm_output metrics;   /* sales metrics to -o */
	struct detector *detector;
};

/* ---- options ---- */

static void parse_velocity(const char *arg, struct detect_options *d)
{
	char *slash = strchr(arg, '/');
	unsigned long long n;
	char count[32];
	if (!slash || (size_t)(slash - arg) >= sizeof count)
		gm_usage_error(usage, "--velocity: expected N/DURATION like 3/60s, got %s", arg);
	memcpy(count, arg, slash - arg);
	count[slash - arg] = 0;
	if (!gm_parse_u64(count, &n) || n < 2 || n > VELOCITY_MAX)
		gm_usage_error(usage, "--velocity: N from 2 to %d, got %s", VELOCITY_MAX, count);
	d->velocity_count = (int)n;
	d->velocity_period = gm_opt_duration(usage, "--velocity", slash + 1, false, GM_DURATION_MAX);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		GM_STREAM_LONG_OPTIONS,
		{ "slide", required_argument, 0, OPT_SLIDE },
		{ "z-threshold", required_argument, 0, OPT_Z },
		{ "min-ratio", required_argument, 0, OPT_RATIO },
		{ "min-history", required_argument, 0, OPT_HISTORY },
		{ "high-value", required_argument, 0, OPT_HIGH },
		{ "velocity", required_argument, 0, OPT_VELOCITY },
		{ "max-users", required_argument, 0, OPT_MAX_USERS },
		{ "user-ttl", required_argument, 0, OPT_TTL },
		{ 0 }
	};
	memset(o, 0, sizeof *o);
	gm_common_init(&o->c);
	gm_stream_options_init(&o->s);
	o->detect = (struct detect_options){
		.z_threshold = 4.0, .min_ratio = 8.0, .min_history = 3,
		.high_value = 1000000, .velocity_count = 3, .velocity_period = 60000,
		.max_users = 200000, .user_ttl = 30LL * 86400000,
	};
	int opt;
	while ((opt = gm_getopt(argc, argv, GM_STREAM_SHORT_OPTIONS, longopts, usage)) != -1) {
		if (gm_stream_option(&o->c, &o->s, opt, optarg, usage))
			continue;
		switch (opt) {
		case OPT_SLIDE: o->s.window.slide = gm_opt_duration(usage, "--slide", optarg, false, GM_DURATION_MAX); break;
		case OPT_Z: o->detect.z_threshold = gm_opt_number(usage, "--z-threshold", optarg, 0, 1e6); break;
		case OPT_RATIO: o->detect.min_ratio = gm_opt_number(usage, "--min-ratio", optarg, 0, 1e6); break;
		case OPT_HISTORY:
			o->detect.min_history = (int)gm_opt_count(usage, "--min-history", optarg, 0, 1000000);
			break;
		case OPT_HIGH: {
			int64_t cents;
			if (!gm_money_parse(optarg, strlen(optarg), &cents) || cents <= 0)
				gm_usage_error(usage, "--high-value: expected an amount in dollars, got %s", optarg);
			o->detect.high_value = cents;
			break;
		}
		case OPT_VELOCITY: parse_velocity(optarg, &o->detect); break;
		case OPT_MAX_USERS:
			o->detect.max_users = gm_opt_count(usage, "--max-users", optarg, 1, 100000000);
			break;
		case OPT_TTL: o->detect.user_ttl = gm_opt_duration(usage, "--user-ttl", optarg, false, GM_DURATION_MAX); break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	gm_stream_options_done(&o->s, &o->c, argc - optind, usage);
	if (o->s.window.slide > o->s.window.size || o->s.window.size % o->s.window.slide)
		gm_usage_error(usage, "--slide must divide the window size");
	if (o->s.window.size / o->s.window.slide > 64)
		gm_usage_error(usage, "--slide: at most 64 windows may overlap");
}

/* ---- windows ---- */

static void window_open(void *ctx, const struct gm_stream *s, int64_t start,
	int64_t end, void *state)
{
	metrics_open(state);
}

static void window_close(void *ctx, const struct gm_stream *s, int64_t start,
	int64_t end, void *state)
{
	const struct txmon *t = ctx;
	metrics_write(state, start, end, gm_stream_partition(s), &t->metrics);
}

/* One transaction: its windows, then the rules. */
static bool transaction(void *ctx, struct gm_stream_event *e)
{
	struct txmon *t = ctx;
	/* The user's state is likely out of cache: it is fetched while the
	 * windows are updated (which write nothing out), then used. */
	detect_prefetch(t->detector, e->ev);
	struct metrics_tx m;
	metrics_prepare(&m, e->ev);
	void *states[64];
	size_t n = gm_stream_windows(e, states);
	for (size_t i = 0; i < n; i++)
		if (!metrics_fits(states[i], &m))
			return gm_stream_reject(e,
				"its window's revenue would pass the largest total (" GM_MONEY_MAX_TOTAL_TEXT ")");
	for (size_t i = 0; i < n; i++)
		metrics_add(states[i], &m);
	if (!e->kept)
		detect(t->detector, e->ev, e->at, e->replay ? DETECT_LEARN_ONLY : DETECT_ALERT);
	return true;
}

int main(int argc, char **argv)
{
	struct options o;
	gm_cli_init(argv[0]);
	parse_options(argc, argv, &o);

	struct txmon t = { 0 };
	struct gm_source *src;
	struct gm_sink *sinks[3];
	if (!gm_stream_open(&o.c, &o.s, argv + optind, argc - optind, &src, sinks))
		return GM_EXIT_FAIL;

	const struct gm_stream_tool tool = {
		.name = "gm-txmon", .types = GM_STREAM_TYPE(GM_TRANSACTION), .event = transaction,
		.window = o.s.window, .window_state = sizeof(struct window_cells),
		.window_open = window_open, .window_close = window_close,
		.window_release = metrics_release, .ctx = &t,
	};
	const struct gm_stream_io io = {
		.c = &o.c, .src = src, .topics = o.c.topics,
		.sinks = { sinks[0], sinks[1] }, .nsinks = 2,
		.late = sinks[2], .late_topic = gm_rtype_transaction.late_topic,
		.state_file = o.s.state, .idle_ms = o.s.idle_ms,
	};
	t.run = gm_streams_new(&tool, &io);
	t.metrics = gm_streams_output(t.run, sinks[0], gm_rtype_sales_metric.topic, false);
	const struct gm_store_spec spec = detect_store_spec(&o.detect);
	int status;
	struct gm_store *users = gm_streams_store(t.run, &spec, &status);
	if (users) {
		const struct gm_output alerts = gm_streams_output(t.run, sinks[1], gm_rtype_alert.topic,
			true);
		t.detector = detect_new(&o.detect, &alerts, users);
		status = gm_streams_run(t.run);
	}
	/* The stores' changelog is written before the input closes, so
	 * they go first: freeing the run is safe once its consumer's hooks
	 * are off, which gm_kconsumer_close() does first thing anyway. */
	status = gm_exit_worse(status, gm_streams_free(t.run));
	detect_free(t.detector);
	return gm_finish(&o.c, status, sinks, 3, src);
}

/* gm-session: sessions and carts. Reads product views, cart events and
 * transactions (NDJSON files, stdin or Kafka), writes a session record
 * per session closed, session metrics per event-time window and
 * country, and cart_abandoned and cart_recovered alerts, to NDJSON,
 * Kafka or PostgreSQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cart.h"
#include "cli.h"
#include "event.h"
#include "finish.h"
#include "mem.h"
#include "metrics.h"
#include "rtype.h"
#include "session.h"
#include "sink.h"
#include "source.h"
#include "stream.h"

static const char usage[] =
	"usage: gm-session [-hqu] [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"                  [-G GROUP] [-b BROKERS] [-X KEY=VALUE]... [-t TOPIC]... [-e]\n"
	"                  [-o OUT] [-a ALERTS] [-l LATE] [--retry-for DURATION]\n"
	"                  [--stats OUT] [--stats-every DURATION]\n"
	"                  [--state FILE] [-w SIZE] [--lateness DURATION]\n"
	"                  [--idle DURATION] [--gap DURATION] [--max-session DURATION]\n"
	"                  [--by-client-session] [--abandon-after DURATION]\n"
	"                  [--recover-within DURATION] [--max-users N] [--final]\n"
	"                  [FILE...]\n";

enum {
	OPT_GAP = 0x2000, OPT_MAX_SESSION, OPT_BY_CLIENT, OPT_ABANDON, OPT_RECOVER,
	OPT_MAX_USERS,
};

#define MAX_CELLS 1000000   /* metric cells open at once */

struct options {
	struct gm_common c;
	struct gm_stream_options s;
	struct session_options session;
	struct cart_options cart;
};

struct app {
	const struct options *o;
	struct gm_streams *run;
	struct sessions *sessions;
	struct carts *carts;
	struct metrics *metrics;
	uint64_t carts_evicted, cells_evicted;
};

/* ---- options ---- */

static void parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		GM_STREAM_LONG_OPTIONS,
		{ "gap", required_argument, 0, OPT_GAP },
		{ "max-session", required_argument, 0, OPT_MAX_SESSION },
		{ "by-client-session", no_argument, 0, OPT_BY_CLIENT },
		{ "abandon-after", required_argument, 0, OPT_ABANDON },
		{ "recover-within", required_argument, 0, OPT_RECOVER },
		{ "max-users", required_argument, 0, OPT_MAX_USERS },
		GM_STREAM_FINAL_OPTION,
		{ 0 }
	};
	memset(o, 0, sizeof *o);
	gm_common_init(&o->c);
	gm_stream_options_init(&o->s);
	o->session = (struct session_options){
		.gap = 30 * 60000, .max_session = 24 * 3600000LL, .max_users = 500000,
	};
	o->cart = (struct cart_options){
		.abandon_after = 3600000, .recover_within = 24 * 3600000LL, .max_users = 500000,
	};
	int opt;
	while ((opt = gm_getopt(argc, argv, GM_STREAM_SHORT_OPTIONS, longopts, usage)) != -1) {
		if (gm_stream_option(&o->c, &o->s, opt, optarg, usage))
			continue;
		switch (opt) {
		case OPT_GAP:
			o->session.gap = gm_opt_duration(usage, "--gap", optarg, false, GM_DURATION_MAX / 4);
			break;
		case OPT_MAX_SESSION:
			o->session.max_session = gm_opt_duration(usage, "--max-session", optarg, false,
				GM_DURATION_MAX / 4);
			break;
		case OPT_BY_CLIENT: o->session.by_client = true; break;
		case OPT_ABANDON:
			o->cart.abandon_after = gm_opt_duration(usage, "--abandon-after", optarg, false,
				GM_DURATION_MAX / 4);
			break;
		case OPT_RECOVER:
			o->cart.recover_within = gm_opt_duration(usage, "--recover-within", optarg, false,
				GM_DURATION_MAX / 4);
			break;
		case OPT_MAX_USERS:
			o->session.max_users = o->cart.max_users =
				gm_opt_count(usage, "--max-users", optarg, 1, 100000000);
			break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	gm_stream_options_done(&o->s, &o->c, argc - optind, usage);
}

/* ---- the rules' ends ---- */

static const char *user_country(void *ctx, const char *user, size_t ulen, int64_t ts)
{
	return sessions_country(((struct app *)ctx)->sessions, user, ulen, ts);
}

static void tally_add(void *ctx, const struct part *p, const struct tally *t)
{
	metrics_add(((struct app *)ctx)->metrics, p, t);
}

/* The partition things happen in, as tally.h has it. */
static struct part part_of(const struct app *a, int32_t number)
{
	return (struct part){ number, gm_streams_label(a->run, number) };
}

/* ---- the stream ---- */

static bool event(void *ctx, struct gm_stream_event *e)
{
	struct app *a = ctx;
	const struct gm_event *ev = e->ev;
	/* Late, or taken by an earlier run (kept: a replay, not sent late
	 * again): nothing to apply. */
	if (e->late || e->kept)
		return true;
	const char *why = session_refuses(ev);
	if (why)
		return gm_stream_reject(e, why);
	const struct part p = part_of(a, gm_stream_number(e->stream));
	sessions_event(a->sessions, ev, e->at, &p);
	if (ev->type != GM_PRODUCT_VIEW)
		carts_event(a->carts, ev, e->at);
	return true;
}

/* The stores' timers (spec.due), each its rules'. */
static void user_due(void *ctx, int32_t partition, const char *key, size_t klen, void *value,
	int64_t when)
{
	struct app *a = ctx;
	const struct part p = part_of(a, partition);
	sessions_due(a->sessions, key, klen, value, when, &p);
}

static void cart_due(void *ctx, int32_t partition, const char *key, size_t klen, void *value,
	int64_t when)
{
	struct app *a = ctx;
	const struct part p = part_of(a, partition);
	carts_due(a->carts, key, klen, value, when, &p);
}

static void cell_due(void *ctx, int32_t partition, const char *key, size_t klen, void *value,
	int64_t when)
{
	struct app *a = ctx;
	const struct part p = part_of(a, partition);
	metrics_due(a->metrics, key, klen, value, &p);
}

/* A user evicted under --max-users: their sessions are written. */
static void user_evicted(void *ctx, const char *key, size_t klen, void *value)
{
	struct app *a = ctx;
	const struct part p = part_of(a, sessions_partition(value));
	sessions_evicted(a->sessions, key, klen, value, gm_streams_watermark(a->run, p.number), &p);
}

static void cart_evicted(void *ctx, const char *key, size_t klen, void *value)
{
	((struct app *)ctx)->carts_evicted++;
}

static void cell_evicted(void *ctx, const char *key, size_t klen, void *value)
{
	((struct app *)ctx)->cells_evicted++;
}

/* What the run could not keep exactly, said once at the end. */
static void report(const struct app *a)
{
	if (a->carts_evicted)
		gm_warn(NULL, "%llu carts forgotten under --max-users: their abandonment was not watched",
			(unsigned long long)a->carts_evicted);
	if (a->carts && carts_hurried(a->carts))
		gm_warn(NULL, "%llu cart events applied before the watermark passed them (a user sent more within the lateness than a cart holds waiting)",
			(unsigned long long)carts_hurried(a->carts));
	if (a->carts && carts_overfull(a->carts))
		gm_warn(NULL, "%llu products not counted: beyond the 16 a cart holds, or the 4 of a transaction kept for a recovery",
			(unsigned long long)carts_overfull(a->carts));
	if (a->carts && carts_superseded(a->carts))
		gm_warn(NULL, "%llu abandoned carts stopped waiting for their recovery: a third was abandoned meanwhile",
			(unsigned long long)carts_superseded(a->carts));
	if (a->cells_evicted)
		gm_warn(NULL, "%llu session metric cells lost: more than %d open at once",
			(unsigned long long)a->cells_evicted, MAX_CELLS);
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

	/* No windows of the stream's: the metrics' windows are store
	 * entries (metrics.h); the lateness makes the watermark. */
	const struct gm_stream_tool tool = {
		.name = "gm-session", .event = event,
		.types = GM_STREAM_TYPE(GM_PRODUCT_VIEW) | GM_STREAM_TYPE(GM_CART_EVENT)
			| GM_STREAM_TYPE(GM_TRANSACTION),
		.window = { 0, 0, o.s.window.lateness }, .ctx = &a,
		/* A topic read ahead by more than a gap would open sessions
		 * beyond what a user's entry holds, and by much more than the
		 * lateness would have cart events wait beyond what it holds. */
		.step = o.session.gap < (o.s.window.lateness > 60000 ? o.s.window.lateness : 60000) ?
			o.session.gap : (o.s.window.lateness > 60000 ? o.s.window.lateness : 60000),
	};
	const struct gm_stream_io io = {
		.c = &o.c, .src = src, .topics = o.c.topics,
		.sinks = { sinks[0], sinks[1] }, .nsinks = 2, .late = sinks[2],
		.state_file = o.s.state, .idle_ms = o.s.idle_ms,
		/* Kept state (--state, -G) goes on in the next run, unless
		 * this one is the last. */
		.final = gm_stream_final(&o.s, &o.c),
	};
	a.run = gm_streams_new(&tool, &io);
	/* In this order (stream.h): a cart event applies while the session
	 * it is in is open, for its country; the timers of both tally into
	 * the metrics, whose own timers fire after theirs. */
	struct gm_store_spec users = sessions_store_spec(&o.session);
	users.evicted = user_evicted;
	users.due = user_due;
	users.ctx = &a;
	struct gm_store_spec carts = carts_store_spec(&o.cart);
	carts.evicted = cart_evicted;
	carts.due = cart_due;
	carts.ctx = &a;
	struct gm_store_spec cells = metrics_store_spec(MAX_CELLS);
	cells.evicted = cell_evicted;
	cells.due = cell_due;
	cells.ctx = &a;
	int status;
	struct gm_store *user_store, *cart_store, *cell_store;
	if ((cart_store = gm_streams_store(a.run, &carts, &status))
	    && (user_store = gm_streams_store(a.run, &users, &status))
	    && (cell_store = gm_streams_store(a.run, &cells, &status))) {
		const struct gm_output session_out = gm_streams_output(a.run, sinks[0],
			gm_rtype_session.topic, false);
		const struct gm_output metrics_out = gm_streams_output(a.run, sinks[0],
			gm_rtype_session_metric.topic, false);
		const struct gm_output alert_out = gm_streams_output(a.run, sinks[1],
			gm_rtype_alert.topic, true);
		const struct tally_output tally = { tally_add, &a };
		a.metrics = metrics_new(o.s.window.size, cell_store, &metrics_out);
		a.sessions = sessions_new(&o.session, user_store, &session_out, &tally);
		const struct cart_country country = { user_country, &a };
		a.carts = carts_new(&o.cart, cart_store, &alert_out, &tally, &country);
		status = gm_streams_run(a.run);
		report(&a);
	}
	status = gm_exit_worse(status, gm_streams_free(a.run));
	sessions_free(a.sessions);
	carts_free(a.carts);
	metrics_free(a.metrics);
	return gm_finish(&o.c, status, sinks, 3, src);
}

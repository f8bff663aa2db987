/* gm-txmon: the transaction monitor. Reads transactions (NDJSON files,
 * stdin or Kafka), writes revenue metrics per event-time window, country
 * and category, and explainable anomaly alerts, to NDJSON, Kafka or
 * PostgreSQL. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "counts.h"
#include "detect.h"
#include "event.h"
#include "metrics.h"
#include "money.h"
#include "rejects.h"
#include "sink.h"
#include "source.h"
#include "window.h"

static const char usage[] =
	"usage: gm-txmon [-hqu] [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"                [-G GROUP] [-b BROKERS] [-X KEY=VALUE]... [-t TOPIC]... [-e]\n"
	"                [-o OUT] [-a ALERTS] [-l LATE] [--retry-for DURATION]\n"
	"                [-w SIZE] [--slide SIZE]\n"
	"                [--lateness DURATION] [--idle DURATION] [--z-threshold Z]\n"
	"                [--min-ratio R] [--min-history N] [--high-value AMOUNT]\n"
	"                [--velocity N/DURATION] [--max-users N] [--user-ttl DURATION]\n"
	"                [FILE...]\n";

enum {
	OPT_SLIDE = 0x2000, OPT_LATENESS, OPT_IDLE, OPT_Z, OPT_RATIO, OPT_HISTORY,
	OPT_HIGH, OPT_VELOCITY, OPT_MAX_USERS, OPT_TTL,
};

#define MAX_TOPICS 16
#define MAX_STREAMS 1024   /* Kafka partitions one instance may hold */
#define MAX_IDLE_MS 86400000

struct options {
	struct gm_common c;
	const char *topics[MAX_TOPICS];
	size_t ntopics;
	bool exit_eof;
	const char *out, *alerts, *late;
	struct gm_window_spec window;
	long long idle_ms;
	struct detect_options detect;
};

/* Windows per input partition: each partition has its own event time.
 * A Kafka partition's stream outlives its windows: when the partition
 * comes back to this instance, what it learnt of it is still known. */
struct stream {
	char partition[264];   /* "topic/N" (topic names have at most 249
	                          bytes), or "" for files */
	size_t topic_len;      /* of the topic at the start of partition */
	int32_t number;        /* the partition's, -1 for files */
	struct gm_windows *w;  /* NULL while the partition is not ours */
	int64_t read_to;       /* an earlier holder wrote the alerts and late
	                          copies of the records before this offset */
	int64_t learned_to;    /* the rules learnt the records before it */
};

struct txmon {
	struct options *o;
	struct gm_source *src;
	struct gm_sink *out, *alerts, *late;
	struct stream streams[MAX_STREAMS];
	size_t nstreams;
	struct stream *closing;    /* the stream whose window is closing */
	struct detector *detector;
	bool window_closed;        /* since the last checkpoint */
	int64_t checkpoint_at;     /* gm_now_coarse_ms() of the last one */
	bool failed;               /* a sink refused a record */
	bool warned_late;
};

/* How often, at most, the windows' progress is checkpointed when one
 * closes (Kafka in a group). */
#define CHECKPOINT_EVERY_MS 1000

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
		GM_BASE_LONG_OPTIONS,
		GM_INPUT_LONG_OPTIONS,
		GM_KAFKA_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		{ "topic", required_argument, 0, 't' },
		{ "exit-eof", no_argument, 0, 'e' },
		{ "output", required_argument, 0, 'o' },
		{ "alerts", required_argument, 0, 'a' },
		{ "late", required_argument, 0, 'l' },
		{ "window", required_argument, 0, 'w' },
		{ "slide", required_argument, 0, OPT_SLIDE },
		{ "lateness", required_argument, 0, OPT_LATENESS },
		{ "idle", required_argument, 0, OPT_IDLE },
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
	o->window = (struct gm_window_spec){ 60000, 0, 5000 };
	o->idle_ms = 10000;
	o->detect = (struct detect_options){
		.z_threshold = 4.0, .min_ratio = 8.0, .min_history = 3,
		.high_value = 1000000, .velocity_count = 3, .velocity_period = 60000,
		.max_users = 200000, .user_ttl = 30LL * 86400000,
	};
	int opt;
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS GM_INPUT_SHORT_OPTIONS
		GM_KAFKA_SHORT_OPTIONS "t:eo:a:l:w:", longopts, usage)) != -1) {
		if (gm_common_option(&o->c, opt, optarg, usage))
			continue;
		switch (opt) {
		case 't':
			if (o->ntopics == MAX_TOPICS)
				gm_usage_error(usage, "at most %d topics", MAX_TOPICS);
			o->topics[o->ntopics++] = optarg;
			break;
		case 'e': o->exit_eof = true; break;
		case 'o': o->out = optarg; break;
		case 'a': o->alerts = optarg; break;
		case 'l': o->late = optarg; break;
		case 'w': o->window.size = gm_opt_duration(usage, "-w", optarg, false, GM_DURATION_MAX); break;
		case OPT_SLIDE: o->window.slide = gm_opt_duration(usage, "--slide", optarg, false, GM_DURATION_MAX); break;
		case OPT_LATENESS: o->window.lateness = gm_opt_duration(usage, "--lateness", optarg, true, GM_DURATION_MAX); break;
		case OPT_IDLE: o->idle_ms = gm_opt_duration(usage, "--idle", optarg, true, MAX_IDLE_MS); break;
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
	if (!o->window.slide)
		o->window.slide = o->window.size;
	if (o->window.slide > o->window.size || o->window.size % o->window.slide)
		gm_usage_error(usage, "--slide must divide the window size");
	if (o->window.size / o->window.slide > 64)
		gm_usage_error(usage, "--slide: at most 64 windows may overlap");
	gm_input_check(&o->c, o->ntopics, o->exit_eof, argc - optind, usage);
}

/* ---- outputs ---- */

static struct gm_writer *metric_begin(void *ctx)
{
	return gm_sink_writer(((struct txmon *)ctx)->out);
}

static void metric_emit(void *ctx, const char *id, size_t len)
{
	struct txmon *t = ctx;
	if (!gm_sink_emit(t->out, "sales_metrics", id, len))
		t->failed = true;
}

static struct gm_writer *alert_begin(void *ctx)
{
	struct txmon *t = ctx;
	return gm_sink_writer(t->alerts);
}

static void alert_emit(void *ctx, const char *key, size_t klen)
{
	struct txmon *t = ctx;
	if (!gm_sink_emit(t->alerts, "alerts", key, klen))
		t->failed = true;
	/* An alert is news: it goes out now, not with the next batch. */
	gm_sink_poll(t->alerts);
}

static void window_closed(void *ctx, int64_t start, int64_t end, void *state)
{
	struct txmon *t = ctx;
	const struct metrics_output out = { metric_begin, metric_emit, t };
	const char *partition = t->closing && t->closing->partition[0] ? t->closing->partition : NULL;
	metrics_write(state, start, end, partition, &out);
	t->window_closed = true;
}

static struct gm_windows *windows_new(struct txmon *t)
{
	return gm_windows_new(&t->o->window, sizeof(struct window_cells), metrics_open,
		window_closed, t);
}

/* The stream of a partition (topic NULL: files), made when new. */
static struct stream *stream_named(struct txmon *t, const char *topic, int32_t number)
{
	if (!topic) {
		topic = "";
		number = -1;
	}
	size_t len = strlen(topic);
	for (size_t i = 0; i < t->nstreams; i++) {
		struct stream *s = &t->streams[i];
		if (s->number == number && s->topic_len == len && !memcmp(s->partition, topic, len))
			return s;
	}
	if (t->nstreams == MAX_STREAMS)
		gm_die(GM_EXIT_FAIL, NULL, "more than %d input partitions", MAX_STREAMS);
	struct stream *s = &t->streams[t->nstreams++];
	if (number >= 0)
		snprintf(s->partition, sizeof s->partition, "%s/%d", topic, (int)number);
	s->topic_len = len;
	s->number = number;
	return s;
}

/* The stream of r's partition, with its windows. Called for every
 * transaction: it compares, and formats only a new stream's name. */
static struct stream *stream_for(struct txmon *t, const struct gm_record *r)
{
	struct stream *s = stream_named(t, r->topic, r->partition);
	if (!s->w)
		s->w = windows_new(t);
	return s;
}

/* Closes every window of every stream: at the end, or when idle. */
static void close_all(struct txmon *t)
{
	for (size_t i = 0; i < t->nstreams; i++) {
		if (!t->streams[i].w)
			continue;
		t->closing = &t->streams[i];
		gm_windows_close_all(t->streams[i].w);
	}
}

/* The note committed with a partition's offset: the end time up to
 * which its windows are written, and the offset up to which its alerts
 * and late copies are. */
#define NOTE_PRINT "gm-txmon/1 closed_until=%" PRId64 " read_to=%" PRId64
#define NOTE_SCAN "gm-txmon/1 closed_until=%" SCNd64 " read_to=%" SCNd64

static bool parse_note(const char *note, int64_t *closed_until, int64_t *read_to)
{
	int end = 0;
	return sscanf(note, NOTE_SCAN "%n", closed_until, read_to, &end) == 2
		&& note[end] == 0;
}

/* Makes all output durable; then, for Kafka in a group, accepts each
 * partition's records up to the oldest one in an open window, with a
 * note of what is written. Without open windows, the input read so far
 * is accepted (Kafka without a group and files keep nothing). */
static void checkpoint(struct txmon *t)
{
	t->checkpoint_at = gm_now_coarse_ms();
	t->window_closed = false;
	bool ok = gm_sink_flush(t->out);
	if (t->alerts != t->out)
		ok = gm_sink_flush(t->alerts) && ok;
	if (t->late)
		ok = gm_sink_flush(t->late) && ok;
	if (!ok)
		return;
	for (size_t i = 0; i < t->nstreams; i++) {
		const struct stream *s = &t->streams[i];
		if (!s->w || s->number < 0)
			continue;
		char topic[256], note[96];
		memcpy(topic, s->partition, s->topic_len);
		topic[s->topic_len] = 0;
		snprintf(note, sizeof note, NOTE_PRINT, gm_windows_closed_until(s->w),
			s->read_to > s->learned_to ? s->read_to : s->learned_to);
		gm_source_accept_partition(t->src, topic, s->number,
			gm_windows_first_pos(s->w), note);
	}
}

/* The assign hook: partitions given to this instance. Each starts at its
 * committed offset, the oldest record of a window still open, and its
 * note says which windows are written, and up to where the alerts. */
static void on_assign(void *ctx, const struct gm_kpartition *p, size_t n)
{
	struct txmon *t = ctx;
	for (size_t i = 0; i < n; i++) {
		struct stream *s = stream_named(t, p[i].topic, p[i].partition);
		int64_t closed_until = INT64_MIN, read_to = 0;
		if (p[i].note && !parse_note(p[i].note, &closed_until, &read_to)) {
			gm_warn("kafka", "%s [%d]: the committed note \"%s\" is not gm-txmon's; its windows start afresh",
				p[i].topic, (int)p[i].partition, p[i].note);
			closed_until = INT64_MIN;
			read_to = 0;
		}
		gm_windows_free(s->w, metrics_release);
		s->w = windows_new(t);
		if (closed_until != INT64_MIN)
			gm_windows_resume(s->w, closed_until);
		s->read_to = read_to;
	}
}

/* The revoke hook: partitions leaving this instance. Their progress is
 * checkpointed, and their open windows dropped unwritten: the next
 * holder reads their records again and writes them whole. */
static void on_revoke(void *ctx, const struct gm_kpartition *p, size_t n)
{
	struct txmon *t = ctx;
	checkpoint(t);
	for (size_t i = 0; i < n; i++) {
		struct stream *s = stream_named(t, p[i].topic, p[i].partition);
		gm_windows_free(s->w, metrics_release);
		s->w = NULL;
	}
}

static void late_record(struct txmon *t, const struct gm_record *r, const struct gm_event *ev)
{
	gm_counts.late++;
	if (t->late) {
		if (!gm_sink_emit_raw(t->late, "late_transactions", ev->user_id.p, ev->user_id.n, r->data, r->len))
			t->failed = true;
	} else if (!t->warned_late) {
		char where[512];
		gm_warn(gm_record_where(r, where, sizeof where),
			"late transaction (its window has closed): counted; keep late ones with -l");
		t->warned_late = true;
	}
}

/* One transaction: its windows, then the rules. A record that an
 * earlier holder of its partition handled, read again to rebuild the
 * open windows, writes no alert and no late copy; the rules learn from
 * it, unless this instance has already. */
static void transaction(struct txmon *t, struct stream *s, const struct gm_record *r,
	const struct gm_event *ev)
{
	int64_t pos = 0;
	bool handled = false, learnt = false;
	if (r->topic) {
		pos = r->offset;
		handled = pos < s->read_to;
		learnt = pos < s->learned_to;
		if (!learnt)
			s->learned_to = pos + 1;
	}
	/* The user's state is likely out of cache: it is fetched while the
	 * windows are updated (which write nothing out), then used. Alerts
	 * still come before the late record. */
	if (!learnt)
		detect_prefetch(t->detector, ev);
	struct metrics_tx m;
	metrics_prepare(&m, ev);
	void *states[64];
	size_t n = gm_windows_for(s->w, ev->ts, pos, states);
	for (size_t i = 0; i < n; i++) {
		if (metrics_fits(states[i], &m))
			continue;
		if (!gm_source_reject(t->src, r,
		    "its window's revenue would pass the largest total (" GM_MONEY_MAX_TOTAL_TEXT ")"))
			t->failed = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		metrics_add(states[i], &m);
	if (!learnt)
		detect(t->detector, ev, handled ? DETECT_LEARN_ONLY : DETECT_ALERT);
	if (n == 0 && !handled)
		late_record(t, r, ev);
	t->closing = s;
	gm_windows_advance(s->w, ev->ts);
}

/* Closes the outputs that opened, each once (-o, -a and -l may share
 * one), then the input; returns the worst of their statuses. */
static int close_io(struct txmon *t)
{
	int status = GM_EXIT_OK;
	if (t->late && t->late != t->out && t->late != t->alerts)
		status = gm_exit_worse(status, gm_sink_close(t->late));
	if (t->alerts && t->alerts != t->out)
		status = gm_exit_worse(status, gm_sink_close(t->alerts));
	status = gm_exit_worse(status, gm_sink_close(t->out));
	return gm_exit_worse(status, gm_source_close(t->src));
}

int main(int argc, char **argv)
{
	struct options o;
	gm_cli_init(argv[0]);
	parse_options(argc, argv, &o);

	struct txmon t = { .o = &o };
	gm_rejects_open(o.c.rejects, o.c.strict);
	struct gm_source *src = gm_source_open(&o.c, argv + optind, argc - optind,
		o.topics, o.ntopics, o.ntopics > 0 && !o.exit_eof);
	if (!src)
		return GM_EXIT_FAIL;
	t.src = src;
	bool resumable = gm_source_resumable(src);
	/* An output named twice (-o - -a -) is opened once, so that its
	 * records interleave whole. */
	const char *out_spec = o.out ? o.out : "-";
	t.out = gm_sink_open(&o.c, out_spec);
	t.alerts = o.alerts && strcmp(o.alerts, out_spec) ? gm_sink_open(&o.c, o.alerts) : t.out;
	t.late = !o.late ? NULL : !strcmp(o.late, out_spec) ? t.out
		: o.alerts && !strcmp(o.late, o.alerts) ? t.alerts : gm_sink_open(&o.c, o.late);
	if (!t.out || !t.alerts || (o.late && !t.late)) {
		close_io(&t);   /* a consumer leaves its group at once */
		return GM_EXIT_FAIL;
	}
	const struct gm_alert_output alert_out = { alert_begin, alert_emit, &t };
	t.detector = detect_new(&o.detect, &alert_out);
	gm_source_on_rebalance(src, on_assign, on_revoke, &t);

	struct gm_parser *ps = gm_parser_new();
	struct gm_record r;
	const struct gm_event *ev;
	enum gm_next st;
	int status = GM_EXIT_OK;
	int idle = o.idle_ms > 0 ? (int)o.idle_ms : -1;
	/* A consumer in a group waits in short slices, to checkpoint the
	 * windows that closed before the input paused. */
	int wait = idle;
	if (resumable && (wait < 0 || wait > CHECKPOINT_EVERY_MS))
		wait = CHECKPOINT_EVERY_MS;
	long long waited = 0;  /* ms without input */
	while ((st = gm_source_next_event(src, ps, &r, &ev, wait)) != GM_NEXT_END && !t.failed) {
		if (st == GM_NEXT_ERROR)
			break;
		if (st == GM_NEXT_IDLE) {
			bool idle_now = idle >= 0 && waited < idle && waited + wait >= idle;
			waited += wait;
			if (idle_now)
				close_all(&t);
			if (idle_now || t.window_closed)
				checkpoint(&t);
			continue;
		}
		waited = 0;
		if (ev->type != GM_TRANSACTION)
			continue;
		transaction(&t, stream_for(&t, &r), &r, ev);
		if (t.window_closed && resumable
		    && gm_now_coarse_ms() - t.checkpoint_at >= CHECKPOINT_EVERY_MS)
			checkpoint(&t);
	}
	/* The end of the input closes every window. A stop, or a failure,
	 * of a consumer in a group leaves them to the next run, which reads
	 * their records again from the committed offsets. */
	if (!resumable || (st == GM_NEXT_END && !gm_stopping()))
		close_all(&t);
	if (t.failed)
		status = GM_EXIT_FAIL;
	else
		checkpoint(&t);
	status = gm_exit_worse(status, close_io(&t));
	if (!gm_rejects_close())
		status = GM_EXIT_FAIL;
	for (size_t i = 0; i < t.nstreams; i++)
		gm_windows_free(t.streams[i].w, metrics_release);
	detect_free(t.detector);
	gm_parser_free(ps);
	if (!o.c.quiet)
		gm_counts_summary();
	free(o.c.props);
	return status;
}

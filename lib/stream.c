/* stream: see stream.h. */
#include "stream.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "counts.h"
#include "kafka.h"
#include "finish.h"
#include "mem.h"
#include "rejects.h"
#include "rtype.h"
#include "stats.h"

struct gm_stream {
	struct gm_streams *run;
	char partition[264];   /* "topic/N" (topic names have at most 249
	                          bytes), or "" for files */
	size_t topic_len;      /* of the topic at the start of partition */
	char label[264];       /* gm_streams_label()'s */
	int32_t number;        /* the partition's, -1 for files */
	uint32_t topic;        /* the topic's index in io.topics */
	struct gm_windows *w;  /* NULL while the partition is not ours, or
	                          when the tool has no windows */
	bool ours;
	int64_t read_to;       /* an earlier run wrote what the records
	                          before this offset cause */
	int64_t seen_to;       /* the records before it were handled here */
	int64_t kept_to;       /* the stores hold the records before it */
	int64_t newest;        /* the newest event time seen, and the */
	int64_t watermark;     /* watermark: INT64_MIN before any */
	int64_t record_newest; /* newest of the records (idle_clock()) */
	int64_t fired_to;      /* the timers of its partition number fired up
	                          to here: an older record is late */
	int64_t clock;         /* gm_now_coarse_ms() of its last record, or
	                          of its assignment */
	bool paused;           /* ahead of its siblings (keep_in_step()) */
};

/* A store kept with the run's checkpoints. */
struct kept_store {
	struct gm_store *store;
	char *snapshot;        /* its --state file, or NULL */
	gm_store_due_fn *due;  /* its spec's */
	void *ctx;
};

/* The watermarks of the streams, kept beside a snapshot (a tool with
 * timers, without a group), by watermark_key(). */
struct kept_watermark {
	int64_t newest, watermark;
};

/* An output of the run (gm_streams_output()). */
struct output {
	struct gm_streams *st;
	struct gm_sink *sink;
	const char *topic;
	bool now;
};

struct gm_streams {
	struct gm_stream_tool tool;
	struct gm_stream_io io;   /* io.sinks ends with io.late, if any */
	bool resumable;        /* Kafka in a group */
	struct gm_stream **streams;
	size_t nstreams, cap;
	size_t last;           /* the stream of the previous event */
	struct kept_store *stores;
	size_t nstores, stores_cap;
	bool wrote;            /* windows closed or timers fired since the
	                          last checkpoint */
	int64_t checkpoint_at; /* gm_now_coarse_ms() of the last one */
	bool failed;
	bool warned_late;
	struct gm_store *watermarks;   /* see kept_watermark, or NULL */
	bool several_topics;   /* io.topics has more than one */
	size_t npaused;        /* streams paused (keep_in_step()) */
	struct output outputs[GM_STREAM_MAX_OUTPUTS];
	size_t noutputs;
};

/* How often, at most, progress is checkpointed while windows close
 * (Kafka in a group). */
#define CHECKPOINT_EVERY_MS 1000

/* ---- streams ---- */

static void window_opened(void *ctx, int64_t start, int64_t end, void *state)
{
	struct gm_stream *s = ctx;
	if (s->run->tool.window_open)
		s->run->tool.window_open(s->run->tool.ctx, s, start, end, state);
}

static void window_closed(void *ctx, int64_t start, int64_t end, void *state)
{
	struct gm_stream *s = ctx;
	s->run->tool.window_close(s->run->tool.ctx, s, start, end, state);
	s->run->wrote = true;
}

/* Gives s fresh windows (its old ones, if any, dropped unwritten). */
static void windows_renew(struct gm_stream *s)
{
	struct gm_streams *st = s->run;
	gm_windows_free(s->w, st->tool.window_release);
	s->w = st->tool.window.size > 0 ? gm_windows_new(&st->tool.window, st->tool.window_state,
		window_opened, window_closed, s) : NULL;
}

static bool is_partition(const struct gm_stream *s, const char *topic, size_t len,
	int32_t number)
{
	return s->number == number && s->topic_len == len && !memcmp(s->partition, topic, len);
}

/* The stream of a partition (topic NULL: files), made when new. Records
 * come in runs of one partition: the previous event's is tried first. */
/* A stream's key among the kept watermarks: its partition, "-" for
 * files. */
static const char *watermark_key(const struct gm_stream *s)
{
	return s->partition[0] ? s->partition : "-";
}

static struct gm_stream *stream_named(struct gm_streams *st, const char *topic,
	int32_t number)
{
	if (!topic) {
		topic = "";
		number = -1;
	}
	size_t len = strlen(topic);
	if (st->nstreams && is_partition(st->streams[st->last], topic, len, number))
		return st->streams[st->last];
	for (size_t i = 0; i < st->nstreams; i++) {
		if (is_partition(st->streams[i], topic, len, number)) {
			st->last = i;
			return st->streams[i];
		}
	}
	st->streams = gm_grow(st->streams, &st->cap, st->nstreams + 1, sizeof *st->streams, 16);
	struct gm_stream *s = gm_xcalloc(1, sizeof *s);
	s->run = st;
	if (number >= 0) {
		snprintf(s->partition, sizeof s->partition, "%s/%d", topic, (int)number);
		snprintf(s->label, sizeof s->label, "%s/%d",
			st->io.topics && st->io.topics[0] ? st->io.topics[0] : topic, (int)number);
	}
	s->topic_len = len;
	s->number = number;
	for (size_t i = 0; st->io.topics && st->io.topics[i]; i++)
		if (!strcmp(st->io.topics[i], topic))
			s->topic = (uint32_t)i;
	s->newest = s->watermark = s->record_newest = s->fired_to = INT64_MIN;
	const struct kept_watermark *kw = st->watermarks ?
		gm_store_get(st->watermarks, watermark_key(s), strlen(watermark_key(s))) : NULL;
	if (kw) {
		s->newest = s->record_newest = kw->newest;
		s->watermark = kw->watermark;
	}
	st->last = st->nstreams;
	st->streams[st->nstreams++] = s;
	return s;
}

const char *gm_stream_partition(const struct gm_stream *s)
{
	return s->partition[0] ? s->partition : NULL;
}

int32_t gm_stream_number(const struct gm_stream *s)
{
	return s->number;
}


/* ---- the watermark and timers ---- */

/* Fires the timers of s's entries at or before until, store by store. */
static void fire(struct gm_streams *st, struct gm_stream *s, int64_t until)
{
	for (size_t i = 0; i < st->nstores; i++) {
		const struct kept_store *k = &st->stores[i];
		if (k->due && gm_store_fire(k->store, s->number, until, k->due, k->ctx) > 0)
			st->wrote = true;
	}
}

/* Whether a store of the run has timers (a tool with them has a
 * watermark, late records and kept watermarks without windows). */
static bool has_timers(const struct gm_streams *st)
{
	for (size_t i = 0; i < st->nstores; i++)
		if (st->stores[i].due)
			return true;
	return false;
}

/* Whether stream o may still bring records older than its siblings':
 * assigned, not paused (it is ahead), not at its end, and not quiet for
 * idle_ms while the others go on. */
static bool holds_back(const struct gm_streams *st, const struct gm_stream *o, int64_t now)
{
	if (!o->ours || o->paused || (st->io.idle_ms > 0 && now - o->clock >= st->io.idle_ms))
		return false;
	char topic[256];
	memcpy(topic, o->partition, o->topic_len);
	topic[o->topic_len] = 0;
	return !gm_source_at_end(st->io.src, topic, o->number);
}

/* The watermark the timers of s's partition number go by. With several
 * input topics, a user's records come from that partition of each, and
 * a topic read ahead of the others must not close what a slower one's
 * records still belong in: it is the least of the streams' of that
 * number that hold back. */
static int64_t task_watermark(const struct gm_streams *st, const struct gm_stream *s)
{
	if (!st->several_topics)
		return s->watermark;
	int64_t w = s->watermark, now = gm_now_coarse_ms();
	for (size_t i = 0; i < st->nstreams; i++) {
		const struct gm_stream *o = st->streams[i];
		if (o != s && o->number == s->number && holds_back(st, o, now) && o->watermark < w)
			w = o->watermark;
	}
	return w;
}

/* Keeps the topics of partition number in step: a stream whose newest
 * record is more than a step of event time ahead of the slowest sibling
 * that holds back is paused until that one catches up, so that a
 * backlog read topic by topic does not make one topic's users hold
 * hours of open sessions, or close them before the others' records
 * came. The step is the tool's, or the lateness and at least
 * STEP_MIN_MS. */
#define STEP_MIN_MS 60000
#define PAUSED_WAIT_MS 20

static void keep_in_step(struct gm_streams *st, int32_t number)
{
	int64_t now = gm_now_coarse_ms(), slowest = INT64_MAX;
	int64_t step = st->tool.step > 0 ? st->tool.step
		: st->tool.window.lateness > STEP_MIN_MS ? st->tool.window.lateness : STEP_MIN_MS;
	for (size_t i = 0; i < st->nstreams; i++) {
		const struct gm_stream *o = st->streams[i];
		if (o->number == number && holds_back(st, o, now) && o->record_newest < slowest)
			slowest = o->record_newest;
	}
	for (size_t i = 0; i < st->nstreams; i++) {
		struct gm_stream *o = st->streams[i];
		if (!o->ours || o->number != number)
			continue;
		/* Paused beyond a step ahead, resumed within half a step: not
		 * at every record (a pause drops what was fetched). */
		int64_t limit = o->paused ? step / 2 : step;
		bool ahead = slowest != INT64_MAX && o->record_newest != INT64_MIN
			&& (slowest == INT64_MIN || o->record_newest - slowest > limit);
		if (ahead != o->paused) {
			char topic[256];
			memcpy(topic, o->partition, o->topic_len);
			topic[o->topic_len] = 0;
			gm_source_pause_partition(st->io.src, topic, o->number, ahead);
			o->paused = ahead;
			st->npaused += ahead ? 1 : -1;
		}
	}
}

const char *gm_streams_label(const struct gm_streams *st, int32_t number)
{
	for (size_t i = 0; number >= 0 && i < st->nstreams; i++)
		if (st->streams[i]->number == number)
			return st->streams[i]->label;
	return NULL;
}

int64_t gm_streams_watermark(const struct gm_streams *st, int32_t number)
{
	for (size_t i = 0; i < st->nstreams; i++)
		if (st->streams[i]->number == number && st->streams[i]->ours)
			return task_watermark(st, st->streams[i]);
	return INT64_MIN;
}

/* s has seen an event at ts: its watermark moves, the timers it passed
 * fire, then the windows it passed close. */
static void advance(struct gm_streams *st, struct gm_stream *s, int64_t ts)
{
	if (ts > s->newest) {
		s->newest = ts;
		int64_t lateness = st->tool.window.lateness;
		int64_t w = ts >= INT64_MIN + lateness ? ts - lateness : INT64_MIN;
		if (w > s->watermark) {
			s->watermark = w;
			w = task_watermark(st, s);
			if (w > INT64_MIN) {
				fire(st, s, w);
				for (size_t i = 0; st->several_topics && i < st->nstreams; i++)
					if (st->streams[i]->number == s->number && st->streams[i]->fired_to < w)
						st->streams[i]->fired_to = w;
			}
		}
	}
	if (s->w)
		gm_windows_advance(s->w, ts);
}

/* The input has been idle for idle_ms: event time is taken to go on with
 * the clock, from the newest record's, so that the timers of a quiet
 * input still fire (a tool without windows; one with windows has had
 * them all closed). */
static void idle_clock(struct gm_streams *st, long long idle_ms)
{
	for (size_t i = 0; i < st->nstreams; i++) {
		struct gm_stream *s = st->streams[i];
		if (!s->ours || s->w || s->record_newest == INT64_MIN)
			continue;
		int64_t now = s->record_newest <= INT64_MAX - idle_ms ? s->record_newest + idle_ms : INT64_MAX;
		if (now > s->newest)
			advance(st, s, now);
	}
}

/* Closes every window of every stream: when idle, and, after every
 * timer fired (the end of event time), at the end of the input. */
/* Whether streams[i] is the first of ours with its partition number,
 * with the newest event time of those in *newest. */
static bool first_of_number(const struct gm_streams *st, size_t i, int64_t *newest)
{
	const struct gm_stream *s = st->streams[i];
	*newest = INT64_MIN;
	for (size_t j = 0; j < st->nstreams; j++) {
		const struct gm_stream *o = st->streams[j];
		if (o->number != s->number || !o->ours)
			continue;
		if (j < i)
			return false;
		if (o->newest > *newest)
			*newest = o->newest;
	}
	return s->ours;
}

static void close_all(struct gm_streams *st, bool end)
{
	/* The tool's end, once per partition, before its timers fire. */
	int64_t newest;
	for (size_t i = 0; end && st->io.final && st->tool.end && i < st->nstreams; i++)
		if (first_of_number(st, i, &newest) && newest != INT64_MIN)
			st->tool.end(st->tool.ctx, st->streams[i]->number, newest);
	for (size_t i = 0; i < st->nstreams; i++) {
		struct gm_stream *s = st->streams[i];
		if (end && st->io.final && s->ours)
			fire(st, s, GM_STORE_NEVER);
		if (s->w)
			gm_windows_close_all(s->w);
	}
}

/* ---- checkpoints ---- */

#define NOTE_VERSION "1"

/* Reads a note of this tool; false when it is not one. */
static bool parse_note(const struct gm_streams *st, const char *note,
	int64_t *closed_until, int64_t *read_to)
{
	size_t n = strlen(st->tool.name);
	int end = 0;
	return !strncmp(note, st->tool.name, n)
		&& sscanf(note + n, "/" NOTE_VERSION " closed_until=%" SCNd64 " read_to=%" SCNd64 "%n",
			closed_until, read_to, &end) == 2
		&& note[n + end] == 0;
}

/* Makes all output durable, saves the stores; then, for Kafka in a
 * group, accepts each partition's records up to the oldest one in an
 * open window, with a note of what is written. */
static void checkpoint(struct gm_streams *st)
{
	st->checkpoint_at = gm_now_coarse_ms();
	st->wrote = false;
	bool ok = true;
	for (size_t i = 0; i < st->io.nsinks; i++)
		if (!gm_sink_listed_before(st->io.sinks, i))
			ok = gm_sink_flush(st->io.sinks[i]) && ok;
	if (!ok)
		return;
	/* The stores hold every record read so far: so says their mark. */
	for (size_t i = 0; i < st->nstreams; i++) {
		const struct gm_stream *s = st->streams[i];
		for (size_t k = 0; s->ours && s->number >= 0 && k < st->nstores; k++)
			gm_store_mark(st->stores[k].store, s->number, s->topic,
				s->read_to > s->seen_to ? s->read_to : s->seen_to);
	}
	for (size_t i = 0; i < st->nstores; i++)
		ok = gm_store_checkpoint(st->stores[i].store) && ok;
	for (size_t i = 0; ok && i < st->nstores; i++)
		ok = gm_store_seal(st->stores[i].store);
	if (!ok) {
		st->failed = true;
		return;
	}
	for (size_t i = 0; i < st->nstreams; i++) {
		const struct gm_stream *s = st->streams[i];
		if (!s->ours || s->number < 0)
			continue;
		char topic[256], note[160];
		memcpy(topic, s->partition, s->topic_len);
		topic[s->topic_len] = 0;
		snprintf(note, sizeof note, "%s/" NOTE_VERSION " closed_until=%" PRId64 " read_to=%" PRId64,
			st->tool.name, s->w ? gm_windows_closed_until(s->w) : s->watermark,
			s->read_to > s->seen_to ? s->read_to : s->seen_to);
		gm_source_accept_partition(st->io.src, topic, s->number,
			s->w ? gm_windows_first_pos(s->w) : INT64_MAX, note);
	}
}

/* The assign hook: partitions given to this instance. Each starts at its
 * committed offset, the oldest record of a window still open; its note
 * says which windows are written, and up to where the rest; its stores'
 * entries come from their changelogs. */
static void on_assign(void *ctx, const struct gm_kpartition *p, size_t n)
{
	struct gm_streams *st = ctx;
	for (size_t i = 0; i < n; i++) {
		struct gm_stream *s = stream_named(st, p[i].topic, p[i].partition);
		int64_t closed_until = INT64_MIN, read_to = 0;
		if (p[i].note && !parse_note(st, p[i].note, &closed_until, &read_to)) {
			gm_warn("kafka", "%s [%d]: the committed note \"%s\" is not %s's; its windows start afresh",
				p[i].topic, (int)p[i].partition, p[i].note, st->tool.name);
			closed_until = INT64_MIN;
			read_to = 0;
		}
		windows_renew(s);
		if (s->w && closed_until != INT64_MIN)
			gm_windows_resume(s->w, closed_until);
		/* Without windows, the note keeps the watermark. */
		s->newest = s->watermark = s->record_newest = s->fired_to = INT64_MIN;
		if (!s->w && closed_until != INT64_MIN) {
			int64_t lateness = st->tool.window.lateness;
			s->watermark = closed_until;
			s->newest = closed_until <= INT64_MAX - lateness ? closed_until + lateness : INT64_MAX;
		}
		s->ours = true;
		s->read_to = read_to;
		s->seen_to = 0;
		s->clock = gm_now_coarse_ms();
		/* A partition paused before it went away comes back paused. */
		if (s->paused) {
			gm_source_pause_partition(st->io.src, p[i].topic, p[i].partition, false);
			st->npaused--;
		}
		s->paused = false;
		/* One restore per partition number, whatever its topics. */
		bool restored = false;
		for (size_t k = 0; k < st->nstreams; k++)
			restored |= st->streams[k] != s && st->streams[k]->ours
				&& st->streams[k]->number == p[i].partition;
		for (size_t k = 0; !restored && k < st->nstores; k++)
			if (!gm_store_restore(st->stores[k].store, p[i].partition))
				st->failed = true;
		/* The state may hold more than the commit says (a commit
		 * refused in a rebalance, a crash between the two): the
		 * records it holds are replays, and kept. */
		/* Kept: held by every store (each knows its own, too). */
		s->kept_to = st->nstores > 0 ? INT64_MAX : -1;
		for (size_t k = 0; k < st->nstores; k++) {
			int64_t m = gm_store_marked(st->stores[k].store, p[i].partition, s->topic);
			if (m < s->kept_to)
				s->kept_to = m;
		}
		if (s->kept_to > s->read_to)
			s->read_to = s->kept_to;
	}
}

/* The revoke hook: partitions leaving this instance. Their progress is
 * checkpointed, then their open windows and stored entries dropped. */
static void on_revoke(void *ctx, const struct gm_kpartition *p, size_t n)
{
	struct gm_streams *st = ctx;
	if (!st->failed)
		checkpoint(st);
	for (size_t i = 0; i < n; i++) {
		struct gm_stream *s = stream_named(st, p[i].topic, p[i].partition);
		gm_windows_free(s->w, st->tool.window_release);
		s->w = NULL;
		s->ours = false;
		/* A pause outlives the assignment: undone for its next holder. */
		if (s->paused) {
			gm_source_pause_partition(st->io.src, p[i].topic, p[i].partition, false);
			st->npaused--;
			s->paused = false;
		}
		for (size_t k = 0; k < st->nstores; k++)
			gm_store_forget(st->stores[k].store, p[i].partition);
	}
}

/* ---- the run ---- */

struct gm_streams *gm_streams_new(const struct gm_stream_tool *tool,
	const struct gm_stream_io *io)
{
	struct gm_streams *st = gm_xcalloc(1, sizeof *st);
	st->tool = *tool;
	st->io = *io;
	/* The late records are output like the others: flushed with them. */
	if (io->late)
		st->io.sinks[st->io.nsinks++] = io->late;
	st->resumable = gm_source_resumable(io->src);
	st->several_topics = io->topics && io->topics[0] && io->topics[1];
	gm_source_on_rebalance(io->src, on_assign, on_revoke, st);
	return st;
}

struct gm_store *gm_streams_store(struct gm_streams *st,
	const struct gm_store_spec *spec, int *status)
{
	struct kept_store k = { gm_store_new(spec), NULL, spec->due, spec->ctx };
	bool ok = true;
	*status = GM_EXIT_FAIL;
	size_t ntopics = 0;
	while (st->io.topics && st->io.topics[ntopics])
		ntopics++;
	if (ntopics > GM_STORE_TOPICS) {
		gm_error(NULL, "a tool that keeps state reads at most %d topics, not %zu",
			GM_STORE_TOPICS, ntopics);
		gm_store_free(k.store);
		return NULL;
	}
	if (st->resumable) {
		ok = gm_store_use_changelog(k.store, st->io.c, st->io.topics[0], status);
	} else if (st->io.state_file) {
		size_t n = strlen(st->io.state_file) + strlen(spec->name) + 2;
		k.snapshot = gm_xcalloc(1, n);
		snprintf(k.snapshot, n, st->nstores ? "%s.%s" : "%s", st->io.state_file, spec->name);
	}
	if (!ok) {
		gm_store_close(k.store);
		gm_store_free(k.store);
		free(k.snapshot);
		return NULL;
	}
	*status = GM_EXIT_OK;
	st->stores = gm_grow(st->stores, &st->stores_cap, st->nstores + 1, sizeof *st->stores, 4);
	st->stores[st->nstores++] = k;
	return k.store;
}

void gm_streams_fail(struct gm_streams *st)
{
	st->failed = true;
}

static struct gm_writer *output_begin(void *ctx)
{
	return gm_sink_writer(((struct output *)ctx)->sink);
}

static void output_emit(void *ctx, const char *key, size_t klen)
{
	struct output *o = ctx;
	if (!gm_sink_emit(o->sink, o->topic, key, klen))
		o->st->failed = true;
	if (o->now)
		gm_sink_poll(o->sink);
}

struct gm_output gm_streams_output(struct gm_streams *st, struct gm_sink *sink,
	const char *topic, bool now)
{
	if (st->noutputs == GM_STREAM_MAX_OUTPUTS)
		gm_die(GM_EXIT_FAIL, NULL, "stream: more than %d outputs", GM_STREAM_MAX_OUTPUTS);
	struct output *o = &st->outputs[st->noutputs++];
	*o = (struct output){ st, sink, topic, now };
	return (struct gm_output){ output_begin, output_emit, o };
}

size_t gm_stream_windows(struct gm_stream_event *e, void **states)
{
	struct gm_stream *s = e->stream;
	e->nwindows = s->w ? gm_windows_for(s->w, e->ev->ts, e->at.offset < 0 ? 0 : e->at.offset, states) : 0;
	return e->nwindows;
}

bool gm_stream_reject(struct gm_stream_event *e, const char *reason)
{
	if (!gm_source_reject(e->stream->run->io.src, e->r, reason))
		e->stream->run->failed = true;
	return false;
}

static void late_record(struct gm_streams *st, const struct gm_stream_event *e)
{
	gm_counts_add(&gm_counts.late, 1);
	if (st->io.late) {
		const struct gm_rtype *rt = e->ev->rtype;
		const char *topic = st->io.late_topic ? st->io.late_topic
			: rt && rt->late_topic ? rt->late_topic : "late_events";
		gm_str key = gm_event_key(e->ev);
		if (!gm_sink_emit_event(st->io.late, topic, key.p, key.n, e->ev))
			st->failed = true;
	} else if (!st->warned_late) {
		char where[512];
		gm_warn(gm_record_where(e->r, where, sizeof where),
			e->stream->w ? "late %s (its window has closed): counted; keep late ones with -l"
			: "late %s (older than the newest time seen less the lateness): counted; keep late ones with -l",
			gm_type_name(e->ev->type));
		st->warned_late = true;
	}
}

/* One event of the tool's type, through the tool, then the windows. */
static void event(struct gm_streams *st, const struct gm_record *r,
	const struct gm_event *ev)
{
	struct gm_stream *s = stream_named(st, r->topic, r->partition);
	if (!s->ours) {   /* files, or Kafka without a group */
		s->ours = true;
		windows_renew(s);
	}
	struct gm_stream_event e = { .r = r, .ev = ev, .stream = s, .at = GM_STORE_AT_NONE };
	if (r->topic) {
		e.at = (struct gm_store_at){ r->partition, r->offset, s->topic };
		e.replay = r->offset < s->read_to;
		e.kept = r->offset < s->kept_to;
		if (r->offset >= s->seen_to)
			s->seen_to = r->offset + 1;
	}
	e.late = !s->w && !st->tool.takes_late && (ev->ts < s->watermark || ev->ts < s->fired_to);
	if (ev->ts > s->record_newest)
		s->record_newest = ev->ts;
	if (st->several_topics) {
		s->clock = gm_now_coarse_ms();
		keep_in_step(st, s->number);
	}
	if (!st->tool.event(st->tool.ctx, &e))
		return;
	if ((s->w ? e.nwindows == 0 : e.late) && !e.replay && (s->w || has_timers(st)))
		late_record(st, &e);
	advance(st, s, ev->ts);
}

/* With a snapshot and timers, the streams' watermarks are kept too:
 * loaded before the first record, saved with the stores. */
static bool keep_watermarks(struct gm_streams *st)
{
	if (!st->io.state_file || !has_timers(st) || st->resumable)
		return true;
	static const struct gm_store_spec spec = {
		.name = "watermarks", .version = 1, .value_size = sizeof(struct kept_watermark),
		.max_entries = 1 << 20,
	};
	int status;
	st->watermarks = gm_streams_store(st, &spec, &status);
	return st->watermarks != NULL;
}

static void save_watermarks(struct gm_streams *st)
{
	for (size_t i = 0; st->watermarks && i < st->nstreams; i++) {
		const struct gm_stream *s = st->streams[i];
		enum gm_store_got got;
		struct kept_watermark *kw = gm_store_update(st->watermarks, watermark_key(s),
			strlen(watermark_key(s)), GM_STORE_AT_NONE, &got);
		if (kw)
			*kw = (struct kept_watermark){ s->newest, s->watermark };
	}
}

int gm_streams_run(struct gm_streams *st)
{
	if (!keep_watermarks(st))
		return GM_EXIT_FAIL;
	/* Snapshots are loaded now, the tool ready: loading may evict
	 * entries under a smaller cap, which the tool's hooks then see. */
	for (size_t i = 0; i < st->nstores; i++)
		if (st->stores[i].snapshot && !gm_store_load(st->stores[i].store, st->stores[i].snapshot))
			return GM_EXIT_FAIL;
	struct gm_parser *ps = gm_parser_new();
	struct gm_record r;
	const struct gm_event *ev;
	enum gm_next next;
	long long idle_ms = st->io.idle_ms;
	int idle = idle_ms > 0 ? (int)idle_ms : -1;
	/* A consumer in a group waits in short slices, to checkpoint the
	 * windows that closed before the input paused. */
	int wait = idle;
	if (st->resumable && (wait < 0 || wait > CHECKPOINT_EVERY_MS))
		wait = CHECKPOINT_EVERY_MS;
	long long waited = 0;  /* ms without input */
	const int slice = wait;
	st->checkpoint_at = gm_now_coarse_ms();
	/* While a topic is paused, the wait is short: a sibling's end,
	 * which resumes it, shows only when no record comes. */
	while ((wait = st->npaused > 0 && (slice < 0 || slice > PAUSED_WAIT_MS) ? PAUSED_WAIT_MS : slice,
		next = gm_source_next_event(st->io.src, ps, &r, &ev, wait)) != GM_NEXT_END
	       && !st->failed) {
		if (next == GM_NEXT_ERROR)
			break;
		if (next == GM_NEXT_IDLE) {
			bool idle_now = idle >= 0 && waited < idle && waited + wait >= idle;
			waited += wait;
			if (idle_now)
				close_all(st, false);
			if (idle >= 0 && waited >= idle)
				idle_clock(st, waited);
			/* A sibling at its end, or gone quiet, no longer holds
			 * back a paused stream. */
			for (size_t i = 0; st->several_topics && i < st->nstreams; i++)
				keep_in_step(st, st->streams[i]->number);
			if (idle_now || st->wrote)
				checkpoint(st);
			continue;
		}
		waited = 0;
		if (!(st->tool.types & GM_STREAM_TYPE(ev->type)))
			continue;
		event(st, &r, ev);
		if (st->wrote && st->resumable
		    && gm_now_coarse_ms() - st->checkpoint_at >= CHECKPOINT_EVERY_MS)
			checkpoint(st);
	}
	gm_parser_free(ps);
	/* The end of the input closes every window. A stop, or a failure,
	 * of a consumer in a group leaves them to the next run, which reads
	 * their records again from the committed offsets. */
	/* A last run over no records still ends what a snapshot kept. */
	if (st->io.final && !st->resumable)
		stream_named(st, NULL, -1)->ours = true;
	if (!st->resumable || (next == GM_NEXT_END && !gm_stopping()))
		close_all(st, true);
	if (st->failed)
		return GM_EXIT_FAIL;
	checkpoint(st);
	if (st->failed)
		return GM_EXIT_FAIL;
	/* A snapshot holds what a whole input taught: none is written for
	 * a run that failed or was stopped before the end. */
	if (next == GM_NEXT_END && !gm_stopping())
		save_watermarks(st);
	if (next == GM_NEXT_END && !gm_stopping())
		for (size_t i = 0; i < st->nstores; i++)
			if (st->stores[i].snapshot && !gm_store_save(st->stores[i].store, st->stores[i].snapshot))
				return GM_EXIT_FAIL;
	return GM_EXIT_OK;
}

int gm_streams_free(struct gm_streams *st)
{
	if (!st)
		return GM_EXIT_OK;
	int status = GM_EXIT_OK;
	for (size_t i = 0; i < st->nstreams; i++) {
		gm_windows_free(st->streams[i]->w, st->tool.window_release);
		free(st->streams[i]);
	}
	free(st->streams);
	for (size_t i = 0; i < st->nstores; i++) {
		status = gm_exit_worse(status, gm_store_close(st->stores[i].store));
		gm_store_free(st->stores[i].store);
		free(st->stores[i].snapshot);
	}
	free(st->stores);
	free(st);
	return status;
}

/* ---- the options ---- */

void gm_stream_options_init(struct gm_stream_options *so)
{
	memset(so, 0, sizeof *so);
	so->window = (struct gm_window_spec){ 60000, 0, 5000 };
	so->idle_ms = 10000;
}

bool gm_stream_option(struct gm_common *c, struct gm_stream_options *so, int opt,
	const char *arg, const char *usage)
{
	if (gm_common_option(c, opt, arg, usage))
		return true;
	switch (opt) {
	case 'o': so->out = arg; return true;
	case 'a': so->alerts = arg; return true;
	case 'l': so->late = arg; return true;
	case 'w':
		so->window.size = gm_opt_duration(usage, "-w", arg, false, GM_DURATION_MAX);
		return true;
	case GM_OPT_LATENESS:
		so->window.lateness = gm_opt_duration(usage, "--lateness", arg, true, GM_DURATION_MAX);
		return true;
	case GM_OPT_IDLE:
		so->idle_ms = gm_opt_duration(usage, "--idle", arg, true, GM_STREAM_MAX_IDLE_MS);
		return true;
	case GM_OPT_STATE: so->state = arg; return true;
	case GM_OPT_FINAL: so->final = true; return true;
	default: return false;
	}
}

bool gm_stream_final(const struct gm_stream_options *so, const struct gm_common *c)
{
	return so->final || (!so->state && !c->group);
}

void gm_stream_options_done(struct gm_stream_options *so, const struct gm_common *c,
	size_t nfiles, const char *usage)
{
	if (!so->window.slide)
		so->window.slide = so->window.size;
	gm_input_check(c, nfiles, usage);
	if (so->state && c->group)
		gm_usage_error(usage, "--state goes without -G: a consumer group keeps its state in Kafka");
	gm_stats_start(c, usage);
}

/* The outputs, as gm_stream_open() says; those opened are in sinks,
 * the others NULL, when one cannot be. */
static bool outputs_open(const struct gm_common *c, const struct gm_stream_options *so,
	struct gm_sink *sinks[3])
{
	const char *out = so->out ? so->out : "-";
	sinks[0] = gm_sink_open(c, out);
	sinks[1] = !so->alerts || !strcmp(so->alerts, out) ? sinks[0] : gm_sink_open(c, so->alerts);
	sinks[2] = !so->late ? NULL : !strcmp(so->late, out) ? sinks[0]
		: so->alerts && !strcmp(so->late, so->alerts) ? sinks[1] : gm_sink_open(c, so->late);
	return sinks[0] && sinks[1] && (!so->late || sinks[2]);
}

bool gm_stream_open(const struct gm_common *c, const struct gm_stream_options *so,
	char **files, int nfiles, struct gm_source **src, struct gm_sink *sinks[3])
{
	gm_rejects_open(c->rejects, c->strict);
	*src = gm_source_open(c, files, nfiles, c->topics, c->ntopics,
		gm_input_follow(c, false, NULL));
	sinks[0] = sinks[1] = sinks[2] = NULL;
	if (!*src)
		return false;
	if (outputs_open(c, so, sinks))
		return true;
	gm_close_io(sinks, 3, *src);
	*src = NULL;
	return false;
}

/* stream: the loop of a resumable keyed stream tool.
 *
 * A stream tool reads events (files, stdin or Kafka), keeps per-key
 * state and event-time windows, and writes records to sinks. This module
 * does what every such tool must do, the same way, so that the tool
 * keeps only its rules and its wiring:
 *
 *   - reading: events of the tool's type go to its event function, each
 *     with the stream of its input partition ("topic/N"; files and stdin
 *     are one stream); bad records are rejected on the way (source.h);
 *   - windows (when the tool has them): each stream has its own, with
 *     its own event time (window.h); the tool finds an event's windows
 *     with gm_stream_windows(), and its window callbacks get the stream
 *     whose window opens or closes; after the event function the
 *     stream's watermark moves, and an event no window held is late: it
 *     goes to the late sink (-l), or is counted with one warning;
 *   - checkpoints, at least a second apart while windows close or timers
 *     fire, when the input pauses, at rebalances and at the end: the sinks are made
 *     durable, then the state stores saved (store.h), then, for Kafka in
 *     a group, each partition's offset is accepted up to the oldest
 *     record still in an open window, with a note "TOOL/1
 *     closed_until=T read_to=O": the windows ending at or before T are
 *     written, and so is whatever the records before offset O caused;
 *   - rebalances: a partition given to this instance takes up its
 *     windows from its note, and its stores' entries from their
 *     changelogs, with the mark of how far into the partition they go
 *     (gm_store_mark()): records before it are kept (e->kept), even if
 *     the committed offset is older; a partition taken away is checkpointed, then its open
 *     windows and its entries are forgotten, for its next holder, which
 *     reads their records again and writes them whole;
 *   - the replay: records read again from before a note's read_to come
 *     to the tool with replay set: they rebuild windows and state, but
 *     the tool writes nothing else for them (no alerts, no late copies;
 *     the windows they fall in are written when they close, as always,
 *     since those were not written yet);
 *   - the watermark: each stream's is the newest event time it has seen
 *     less window.lateness. As it moves, the timers of the stream's
 *     entries in the run's stores that it passed fire (each store's
 *     spec.due), store by store in the order they were added, each in order of time, and
 *     only then do the windows it passed close. With several input
 *     topics (co-partitioned: a key's records in partition N of each),
 *     timers go by the least watermark of partition N's streams, but
 *     for one at its end or quiet for idle_ms while the others go on;
 *     and a stream read more than tool.step ahead of the slowest is
 *     paused until it catches up (slower than one topic, for a backlog:
 *     a pause drops what was fetched): a timer may still add
 *     to a window that ends after the timer's time. A tool without
 *     windows has the watermark still: an event older than it is late
 *     (e->late; unless the tool takes late records, tool.takes_late),
 *     and its note keeps the watermark for the next run;
 *   - idle input (idle_ms without a record) closes every window; for a
 *     tool without windows, event time is then taken to go on with the
 *     clock from the newest record's, so that the watermark moves and
 *     timers fire while the input is quiet (a record that comes after
 *     may then be late). The end of a finite input closes every window;
 *     when io->final, it also fires every timer, as if event time had
 *     run out; else the timers wait in the kept state for the next run
 *     (with a snapshot, the streams' watermarks are kept beside it, in
 *     state_file.watermarks), which goes on as one run would have; a stop (a signal) or a failure of a
 *     consumer in a group leaves the open windows to the next run,
 *     which reads their records again from the committed offsets.
 *
 * So a stream tool killed with -9 and restarted, or joined by another
 * instance, writes what one uninterrupted run writes: windows, and,
 * with its per-key state in a gm_streams_store(), what the state
 * decides too (alerts, sessions). Its sinks must tolerate the records
 * written between the last checkpoint and the kill being written again
 * (same ids: PostgreSQL upserts them; NDJSON and Kafka carry them
 * twice). */
#ifndef GM_STREAM_H
#define GM_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <getopt.h>

#include "cli.h"
#include "event.h"
#include "sink.h"
#include "source.h"
#include "store.h"
#include "window.h"

struct gm_stream;    /* one input partition's: its windows, its progress */
struct gm_streams;   /* the run: every stream, the stores, the outputs */

/* One event, as the tool's event function gets it. */
struct gm_stream_event {
	const struct gm_record *r;   /* as read (where, raw bytes) */
	const struct gm_event *ev;   /* parsed and valid */
	struct gm_stream *stream;
	struct gm_store_at at;       /* where it is, for gm_store_update() */
	bool replay;                 /* what it causes was written by an
	                                earlier run: learn, write nothing */
	bool kept;                   /* the run's stores already hold what
	                                it changes (their changelogs' mark,
	                                gm_store_mark()): change nothing in
	                                them (a replay too) */
	bool late;                   /* a tool without windows: the event is
	                                older than its stream's watermark;
	                                the tool must not apply it (the run
	                                sends it to the late output) */
	size_t nwindows;             /* set by gm_stream_windows() */
};

/* A window callback: a window of stream s opens (its state fresh or
 * recycled, to prepare) or closes (to be written). */
typedef void gm_stream_window_fn(void *ctx, const struct gm_stream *s,
	int64_t start, int64_t end, void *state);

/* An event type, for gm_stream_tool.types. */
#define GM_STREAM_TYPE(t) (1u << (t))

/* What the tool gives. */
struct gm_stream_tool {
	const char *name;            /* the tool's, in offset notes */
	unsigned types;              /* the events it wants: GM_STREAM_TYPE()
	                                of each, or'd; the others are skipped
	                                (neither the tool's nor late) */
	/* One event. Returns true when taken; false when the tool rejected
	 * it with gm_stream_reject(): then no watermark moves for it. */
	bool (*event)(void *ctx, struct gm_stream_event *e);
	/* Windows: none when window.size is 0. */
	struct gm_window_spec window;
	size_t window_state;         /* bytes of a window's state */
	gm_stream_window_fn *window_open, *window_close;
	void (*window_release)(void *state);   /* frees what a state holds */
	void *ctx;                   /* given to the functions above */
	/* Several input topics: how far in event time one may be read ahead
	 * of the others before it is paused (ms); 0: the lateness, at least
	 * a minute. A tool whose state grows with it sets its own. */
	int64_t step;
	/* A tool without windows whose state must take every record, however
	 * old (a stock level): none is late to it (e->late stays false, none
	 * goes to the late output); its timers still go by the watermark. */
	bool takes_late;
	/* The end of event time for partition number (-1: files), at the end
	 * of a finite input with io->final, before its timers fire: what the
	 * tool writes at the end (newest: the newest event time of the
	 * partition's streams). NULL: nothing. */
	void (*end)(void *ctx, int32_t number, int64_t newest);
};

/* Where the run reads and writes. */
struct gm_stream_io {
	const struct gm_common *c;   /* must outlive the run */
	struct gm_source *src;
	const char *const *topics;   /* the source's Kafka topics, NULL-
	                                terminated, or NULL: the first sizes
	                                the stores' changelogs; with stores,
	                                at most GM_STORE_TOPICS */
	struct gm_sink *sinks[4];    /* made durable at checkpoints: at most
	                                three (the run adds late); one sink
	                                may appear twice */
	size_t nsinks;
	struct gm_sink *late;        /* late records, whole, or NULL; made
	                                durable with the sinks (it may be
	                                one of them) */
	const char *late_topic;      /* its topic, or NULL: the late topic
	                                of each record's type (rtype.h) */
	const char *state_file;      /* --state: stores' snapshot, or NULL */
	long long idle_ms;           /* close every window after this long
	                                without input; 0: never */
	bool final;                  /* the end of the input is the end of
	                                event time: every timer fires. Else
	                                the timers wait in the kept state
	                                (a changelog, or state_file with the
	                                watermarks) for the next run */
};

/* A run of tool over io. Takes the source's rebalance hooks. Dies
 * (status 1) only when memory is exhausted. */
struct gm_streams *gm_streams_new(const struct gm_stream_tool *tool,
	const struct gm_stream_io *io);

/* A state store saved with the run's checkpoints: in a changelog when
 * the source is a Kafka consumer in a group (the first topic's
 * partitions), else in a snapshot when io->state_file was given (loaded
 * when the run starts, saved when the whole input was read: the first
 * store in state_file, a later one in state_file.NAME), else nowhere.
 * Call before gm_streams_run(). Returns NULL after
 * gm_error() when it cannot be kept, with *status the exit status to
 * end with (GM_EXIT_TEMPFAIL: Kafka unreachable). */
struct gm_store *gm_streams_store(struct gm_streams *st,
	const struct gm_store_spec *spec, int *status);

/* Loads the stores' snapshots, if any, then reads the input to its end
 * (or a stop, or a failure) and checkpoints at the end as described
 * above. Returns GM_EXIT_OK, or GM_EXIT_FAIL when a snapshot cannot be
 * read, a sink refused a record (gm_streams_fail()), a store could not
 * be saved, or an input error (the source's close gives its status). */
int gm_streams_run(struct gm_streams *st);

/* The output (writer.h) of records of one kind to topic of sink (one of
 * io's): a record the sink refuses fails the run (gm_streams_fail());
 * with now, each goes out at once, not with the next batch (an alert is
 * news). Valid as long as the run; at most GM_STREAM_MAX_OUTPUTS. */
#define GM_STREAM_MAX_OUTPUTS 8
struct gm_output gm_streams_output(struct gm_streams *st, struct gm_sink *sink,
	const char *topic, bool now);

/* Says that a sink refused a record: the run stops at the next record,
 * and no checkpoint accepts anything more. */
void gm_streams_fail(struct gm_streams *st);

/* Frees the run, its streams (windows released unwritten) and stores
 * (each closed: the worst of their statuses is returned). The source
 * and sinks are the caller's. NULL gives GM_EXIT_OK. */
int gm_streams_free(struct gm_streams *st);

/* The states of the open windows of e's stream that hold e's time, in
 * states[0..n), n returned (at most 64) and kept in e->nwindows; 0:
 * the event is late (the run sends it to the late output after the
 * event function, unless it is a replay). */
size_t gm_stream_windows(struct gm_stream_event *e, void **states);

/* Rejects e for reason (gm_source_reject()); returns false, for the
 * event function to return. Under --strict the run then fails. */
bool gm_stream_reject(struct gm_stream_event *e, const char *reason);

/* The stream's partition as "topic/N", or NULL for files. */
const char *gm_stream_partition(const struct gm_stream *s);

/* Its partition's number, -1 for files. */
int32_t gm_stream_number(const struct gm_stream *s);

/* How records name partition number (-1: files: NULL): "TOPIC/N" with
 * the first input topic, which all of the number's streams share, so
 * that what timers write does not depend on which topic's record moved
 * the watermark. NULL when no stream of that number was seen. */
const char *gm_streams_label(const struct gm_streams *st, int32_t number);

/* The watermark the timers of partition number (-1: files) go by: with
 * several input topics, the least of its streams' (see the top);
 * INT64_MIN when none. For what happens outside a stream's event, such
 * as an eviction. */
int64_t gm_streams_watermark(const struct gm_streams *st, int32_t number);

/* ---- the options of a stream tool ----
 * Every stream tool takes cli.h's base, input (with -t and -e), Kafka
 * and output groups, and these, with the same meaning: -o OUT, -a ALERTS, -l LATE (the
 * outputs), --state FILE (the snapshot of its stores without a group),
 * -w SIZE (its windows), --lateness DURATION and --idle DURATION.
 * GM_STREAM_SHORT_OPTIONS (first in gm_getopt()'s letters) and
 * GM_STREAM_LONG_OPTIONS (in its table) hold all of them; the tool adds
 * its own. */
#define GM_STREAM_MAX_IDLE_MS 86400000

enum { GM_OPT_LATENESS = 0x1800, GM_OPT_IDLE, GM_OPT_STATE, GM_OPT_FINAL };

/* --final, for a tool with timers (stores whose entries wait for event
 * time): in its table after GM_STREAM_LONG_OPTIONS; see
 * gm_stream_final(). */
#define GM_STREAM_FINAL_OPTION { "final", no_argument, 0, GM_OPT_FINAL }

#define GM_STREAM_SHORT_OPTIONS GM_BASE_SHORT_OPTIONS GM_INPUT_SHORT_OPTIONS \
	GM_KAFKA_SHORT_OPTIONS "o:a:l:w:"
#define GM_STREAM_LONG_OPTIONS \
	GM_BASE_LONG_OPTIONS, \
	GM_INPUT_LONG_OPTIONS, \
	GM_KAFKA_LONG_OPTIONS, \
	GM_OUTPUT_LONG_OPTIONS, \
	{ "output", required_argument, 0, 'o' }, \
	{ "alerts", required_argument, 0, 'a' }, \
	{ "late", required_argument, 0, 'l' }, \
	{ "window", required_argument, 0, 'w' }, \
	{ "lateness", required_argument, 0, GM_OPT_LATENESS }, \
	{ "idle", required_argument, 0, GM_OPT_IDLE }, \
	{ "state", required_argument, 0, GM_OPT_STATE }

struct gm_stream_options {
	const char *out, *alerts, *late, *state;
	struct gm_window_spec window;  /* -w (size) and --lateness; slide
	                                  is the tool's (0: the size) */
	long long idle_ms;
	bool final;                    /* --final */
};

/* The defaults: 1-minute windows, 5 s of lateness, 10 s idle. */
void gm_stream_options_init(struct gm_stream_options *so);

/* Takes opt if it is one of the shared options (true): cli.h's into c
 * (gm_common_option()), the stream group's into so; a bad value is a
 * usage error (exit 2). */
bool gm_stream_option(struct gm_common *c, struct gm_stream_options *so, int opt,
	const char *arg, const char *usage);

/* After every option: the windows' slide is their size unless the tool
 * set one; files and topics not both, -G and -e only with topics,
 * --state not with -G (a group keeps its state in Kafka): usage errors.
 * Then starts the stats records (gm_stats_start()). */
void gm_stream_options_done(struct gm_stream_options *so, const struct gm_common *c,
	size_t nfiles, const char *usage);

/* Whether the end of the run's input is the end of event time
 * (gm_stream_io.final): with --final, or when nothing is kept for a
 * next run (neither --state nor -G). */
bool gm_stream_final(const struct gm_stream_options *so, const struct gm_common *c);

/* Opens what a stream tool reads and writes, as its options say: the
 * rejects file, the source (files[0..nfiles), or c's topics: a
 * consumer that follows them unless -e) and the outputs into sinks: [0]
 * -o (stdout when not given), [1] -a (-o's when not given), [2] -l
 * (NULL when not given), a spec named twice opened once, so that its
 * records interleave whole. Returns false after gm_error() when one
 * cannot be opened, with everything opened closed again (a consumer
 * leaves its group at once): the tool then exits GM_EXIT_FAIL. */
bool gm_stream_open(const struct gm_common *c, const struct gm_stream_options *so,
	char **files, int nfiles, struct gm_source **src, struct gm_sink *sinks[3]);

#endif

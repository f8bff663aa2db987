/* source: where records come from, files or Kafka, behind one interface.
 * Too-long lines and oversized messages are handled here: reported,
 * counted and kept (gm_reject). Every record read counts in gm_counts.in;
 * blank lines are skipped and not counted. */
#ifndef GM_SOURCE_H
#define GM_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "kafka.h"

struct gm_record {
	const char *data;   /* the record without newline; valid until next */
	size_t len;
	size_t raw_len;     /* the record as it came, what rejects keep
	                       (gm_source_reject): len, and the CR of a
	                       CRLF line */
	const char *key;    /* Kafka key, or NULL */
	size_t klen;
	const char *file;   /* file input: the name, and the line */
	uint64_t lineno;
	const char *topic;  /* Kafka input: topic, partition, offset; else NULL */
	int32_t partition;
	int64_t offset;
};

/* Formats where a record came from, "file:line" or "topic[p]@offset",
 * into buf (NUL-terminated, truncated to n). Returns buf. */
char *gm_record_where(const struct gm_record *r, char *buf, size_t n);

struct gm_source;
struct gm_parser;
struct gm_event;

/* Opens files in order (none: stdin; "-": stdin), or, when ntopics > 0,
 * a Kafka consumer of those topics (with c->group when set). A file that
 * cannot be opened is reported when reached, and makes the run fail.
 * follow: keep waiting at the end of the input instead of ending there
 * (a daemon). Kafka waits at the end of its partitions. Files are
 * followed as tail -F follows them, each in turn, until a signal: at
 * its end a file is waited for to grow, a last line without its
 * newline until that comes; a file truncated (a warning says so) is
 * read again from its start; a name that comes to name another file
 * (rotated) has the file open read to its end, then the new one opened;
 * a file not there yet is waited for (a warning says so once), and one
 * that cannot be opened otherwise is reported and makes the run fail.
 * Line numbers go on as a file grows, and start again from 1 in a
 * truncated or new file. stdin, when it is a regular file, is followed
 * so too, its name aside; a pipe or a terminal still ends at its end.
 * Kafka is connected to at once, retrying
 * for c->retry_ms: if no broker answers, this exits with
 * GM_EXIT_TEMPFAIL after the message. Returns NULL after gm_error(). */
struct gm_source *gm_source_open(const struct gm_common *c,
	char *const *files, size_t nfiles,
	const char *const *topics, size_t ntopics, bool follow);

/* Makes s, opened on Kafka topics without a group and not read yet,
 * read a bounded range of them (gm_kconsumer_range): each partition
 * from the offset from[0..nfrom) gives it (none: its first record) to
 * its end as it is now; then the source ends. A batch that keeps its
 * own offsets (gm-etl keeps them in its warehouse) stores
 * gm_source_offsets() with what it made of the records, in one commit,
 * and starts its next run there: no consumer group. from is only read
 * during the call. Returns false after gm_error() (files, a group, or
 * the cluster did not tell the partitions' ends); gm_source_close()
 * then returns the status, GM_EXIT_TEMPFAIL when the cluster did not
 * answer in time. */
bool gm_source_range(struct gm_source *s, const struct gm_koffset *from, size_t nfrom);

/* For a source given a range: every partition of its topics with the
 * offset its next range starts at, past the records returned so far
 * (see gm_kconsumer_offsets()); *n set. Owned by s, valid until
 * gm_source_close(). Otherwise NULL and 0. */
const struct gm_koffset *gm_source_offsets(const struct gm_source *s, size_t *n);

enum gm_next {
	GM_NEXT_RECORD,  /* *r holds a record */
	GM_NEXT_IDLE,    /* nothing arrived within idle_ms */
	GM_NEXT_END,     /* end of input, or a signal asked to stop */
	GM_NEXT_ERROR,   /* fatal input error, reported: stop; the exit
	                    status is gm_source_close()'s (1, or 75) */
};

/* The next record. idle_ms (-1: for ever) bounds the wait for input on
 * Kafka, a pipe, a terminal or a followed file; a regular file not
 * followed never idles. In strict mode a too-long record returns
 * GM_NEXT_ERROR. */
enum gm_next gm_source_next(struct gm_source *s, struct gm_record *r,
	int idle_ms);

/* The next valid event, for the tools' read loop: reads records as
 * gm_source_next() does and parses each with ps (event.h). A record that
 * fails is rejected where it came from (rejects.h: reported, counted,
 * kept) and skipped; under --strict it ends the run: GM_NEXT_ERROR, and
 * gm_source_close() then returns GM_EXIT_FAIL. On GM_NEXT_RECORD, *r
 * holds the record and *ev its event, valid until the next call. */
enum gm_next gm_source_next_event(struct gm_source *s, struct gm_parser *ps,
	struct gm_record *r, const struct gm_event **ev, int idle_ms);

/* Rejects r, a record this source returned, for reason: a tool's own
 * rule that refuses a valid event goes the way of a bad record
 * (rejects.h): reported at r's place, counted, kept whole as it came.
 * Returns true to go on; false under --strict, and gm_source_close()
 * then returns GM_EXIT_FAIL. */
bool gm_source_reject(struct gm_source *s, const struct gm_record *r,
	const char *reason);

/* Every record returned so far has been accepted by the sink (Kafka:
 * offsets stored, committed periodically and at close). */
void gm_source_accept(struct gm_source *s);

/* Kafka in a group: the records returned so far from one partition,
 * those before offset before, are accepted, and note goes with the
 * offset (see gm_kconsumer_accept_partition). Otherwise does nothing. */
void gm_source_accept_partition(struct gm_source *s, const char *topic,
	int32_t partition, int64_t before, const char *note);

/* For a Kafka source: gm_kconsumer_pause() and gm_kconsumer_at_end();
 * otherwise nothing, and false. */
void gm_source_pause_partition(struct gm_source *s, const char *topic, int32_t partition,
	bool pause);
bool gm_source_at_end(const struct gm_source *s, const char *topic, int32_t partition);

/* True when the source is a Kafka consumer in a group: its partitions
 * come and go by the rebalance hooks, and accepted offsets are kept for
 * the next run. */
bool gm_source_resumable(const struct gm_source *s);

/* Sets the Kafka rebalance hooks (see gm_kconsumer_on_rebalance). */
void gm_source_on_rebalance(struct gm_source *s, gm_assign_fn *assign,
	gm_revoke_fn *revoke, void *ctx);

/* How far file input is: *done bytes read of *total, the sizes of the
 * regular files given (stdin's too, when it is one) when the source was
 * opened; *total is 0 when it cannot be known (a pipe, Kafka). */
void gm_source_progress(const struct gm_source *s, uint64_t *done, uint64_t *total);

/* Closes; returns the exit status this input contributes: GM_EXIT_OK,
 * GM_EXIT_FAIL (a file could not be read) or GM_EXIT_TEMPFAIL. */
int gm_source_close(struct gm_source *s);

#endif

/* sink: where records go, NDJSON (stdout or a file), Kafka or PostgreSQL,
 * behind one interface. A tool builds each record with the writer calls
 * on gm_sink_writer() and hands it over with gm_sink_emit(); or hands
 * over a record it has, whole, or with the event it parsed from it.
 *
 * Each backend is one table of operations in sink.c (struct backend:
 * open, writer, emit, emit_raw, emit_event, flush, poll, close), and
 * sink.c's schemes[] maps how an output spec starts ("kafka:",
 * "postgresql://", ...) to it. Adding a backend (mongodb://, a folder)
 * is its operations, usually over a module of its own as kafka.h and
 * pg.h are, and one entry in schemes[] per spelling of its scheme; the
 * message refusing unknown schemes names it from there, and gm(7) and
 * the tools' pages list it. */
#ifndef GM_SINK_H
#define GM_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "writer.h"

struct gm_sink;
struct gm_source;
struct gm_event;

/* Opens a sink. spec: NULL or "-" is stdout; "kafka:" sends each record
 * to the topic its emitter names; "kafka:TOPIC" sends every record to
 * TOPIC; "postgresql://..." or "postgres://..." (a URI given to libpq as
 * it is) or "pg:CONNINFO" (a libpq conninfo string; "pg:" alone leaves
 * it all to the PG* environment variables) writes each record as a row
 * of the table its type maps to (see pg.h); anything else is a file
 * path. Kafka and PostgreSQL are connected to at once, retrying for
 * c->retry_ms while the server cannot be reached: if it stays so, this
 * exits with GM_EXIT_TEMPFAIL after the message (nothing has been read
 * yet, so nothing is lost). A spec of another URI scheme ("mongodb://...",
 * and "kafka://..." or "pg://...", which are not "kafka:" and "pg:") is
 * refused, not taken for a file name: exits with GM_EXIT_USAGE.
 * Otherwise returns NULL after gm_error() on failure. */
struct gm_sink *gm_sink_open(const struct gm_common *c, const char *spec);

/* As gm_sink_open(), for the tool's reports on itself (stats.h), not
 * its output: their records count in neither gm_counts.out nor
 * .undelivered (a failure still makes flush and close fail). NDJSON
 * and Kafka take them; a PostgreSQL spec, which has no table for them,
 * is a usage error (status 2) naming the option opt. */
struct gm_sink *gm_sink_open_internal(const struct gm_common *c, const char *spec,
	const char *opt);

/* The writer on which to build the next record (begin ... gm_w_end). */
struct gm_writer *gm_sink_writer(struct gm_sink *s);

/* Hands over the record just built. topic is the record type's default
 * topic (used for Kafka unless the spec named one); key may be NULL.
 * Counts gm_counts.out when the record is delivered: at once for NDJSON;
 * for Kafka when the broker acknowledges it; for PostgreSQL when its batch
 * commits. A record that fails counts in gm_counts.undelivered instead.
 * Returns false once the sink has failed. A record PostgreSQL has no
 * table or column for is reported and not delivered; the sink goes on,
 * and gm_sink_close() will return GM_EXIT_FAIL. */
bool gm_sink_emit(struct gm_sink *s, const char *topic,
	const char *key, size_t klen);

/* Hands over a record given whole (no trailing newline). */
bool gm_sink_emit_raw(struct gm_sink *s, const char *topic,
	const char *key, size_t klen, const char *data, size_t len);

/* Hands over the record ev was parsed from (ev->raw, ev->rawlen: ev as
 * gm_parse() returned it, valid during the call), as gm_sink_emit_raw()
 * does, with the same counts, refusals and messages; but PostgreSQL
 * builds its row from ev instead of parsing the bytes again. NDJSON and
 * Kafka write the bytes. */
bool gm_sink_emit_event(struct gm_sink *s, const char *topic,
	const char *key, size_t klen, const struct gm_event *ev);

/* Makes everything emitted so far durable: NDJSON written out, Kafka
 * acknowledged, PostgreSQL committed. Returns false on failure
 * (reported). */
bool gm_sink_flush(struct gm_sink *s);

/* Hands over what is buffered without waiting for it to be delivered:
 * NDJSON is written out, Kafka batches go to librdkafka (whose delivery
 * reports are served). PostgreSQL batches keep their own pace. For a
 * tool about to wait, or a record that must not wait (an alert). */
void gm_sink_poll(struct gm_sink *s);

/* Flushes the sink and, when that succeeds, accepts the source: the one
 * call that keeps offsets behind what the sink holds. */
bool gm_checkpoint(struct gm_source *src, struct gm_sink *s);

/* True when sinks[i] is also one of sinks[0..i): a sink that two
 * options name (gm-txmon's -o - -a -) is flushed and closed once, at its
 * first place in a list. */
bool gm_sink_listed_before(struct gm_sink *const *sinks, size_t i);

/* Flushes and closes; returns GM_EXIT_OK, GM_EXIT_FAIL (a record was
 * not delivered or written) or GM_EXIT_TEMPFAIL (Kafka unreachable, or
 * PostgreSQL unreachable for longer than --retry-for). */
int gm_sink_close(struct gm_sink *s);

#endif

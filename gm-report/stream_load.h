/* stream_load: the stream tools' records (gm-events(5): alert,
 * inventory_status, session) read into the stream sections
 * (stream.h), from NDJSON files or from their PostgreSQL tables. */
#ifndef GM_REPORT_STREAM_LOAD_H
#define GM_REPORT_STREAM_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "stream.h"

/* Checks a --stream spec before anything is read: PostgreSQL (pg.h's
 * gm_pg_conninfo()) or a file, as stream_load() takes them; a spec of
 * another URI scheme ("scheme://") is a usage error (status 2) whose
 * message names the scheme only (what follows may hold a password). */
void stream_source_check(const char *spec, const char *usage);

/* Reads sources[0..n), in their order, into s. A PostgreSQL spec: its
 * tables alerts, inventory_status and sessions, read back as records
 * (pg.h) in one transaction, through cursors; the server tried for
 * c->retry_ms. Anything else: an NDJSON file, "-" standard input,
 * gzip or not (source.h). Records of type alert, inventory_status and
 * session are given to s; those of other types only counted, in
 * *other. A record that is not one of its type (a file's line, a
 * table's row) goes the way of every bad record (rejects.h:
 * gm_rejects_open() first): reported "file:line: why" (a row as
 * "SERVER: TABLE row N: why"), counted, kept; the run goes on, unless
 * --strict. Every record read counts in gm_counts.in. Returns the exit
 * status: GM_EXIT_OK; GM_EXIT_FAIL for a file that could not be read, a
 * table that could not be read, a bad record under --strict or a stop
 * by a signal (reported), when nothing is to be written; or
 * GM_EXIT_TEMPFAIL when a server could not be reached. */
int stream_load(struct stream *s, const struct gm_common *c, char *const *sources, size_t n,
	uint64_t *other);

#endif

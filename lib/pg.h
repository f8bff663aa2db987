/* pg: the PostgreSQL sink. Each record goes, by its "type", to the table
 * the registry below names for it, as one row whose columns are the
 * record's top-level fields. Rows are batched in memory as COPY text and
 * sent with COPY, one transaction per batch; a batch that meets rows
 * already there (a replay) is upserted by its key instead, through a
 * temporary staging table, the last row of a key winning. So the same
 * input twice changes nothing, and an overlapping replay neither fails
 * nor doubles.
 *
 * While a batch fills, the rows of its first table stream to the server
 * in an open COPY, so that the server works while the next records are
 * parsed; nothing is committed before gm_pg_flush(). A batch stays in
 * memory until committed: when the connection breaks, the sink reconnects
 * (capped exponential backoff with jitter, 100 ms doubling to 5 s) and
 * sends the whole batch again, for up to retry_ms from the first failure.
 *
 * The registry below is made from the record types' descriptors
 * (rtype.h). The tables are those of scripts/schema.sql, embedded at
 * build time and run at connect when the database does not agree with
 * the registry (a table or column missing, a column of another type or
 * nullability): it creates missing tables and upgrades those an earlier
 * version made. Messages go through gm_error() and gm_warn() under the
 * "postgresql" location; they name the server by database, host and
 * port, never by the conninfo, which may hold a password. */
#ifndef GM_PG_H
#define GM_PG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "rtype.h"

/* ---- the table registry ---- */

/* How a column's value is taken from its field: the field's kind
 * (rtype.h), whose checks it gets (all of its descriptor's, for a
 * registry column; by kind and required, an integer within 64 bits, for
 * a table made by hand), and, where PostgreSQL would refuse what the
 * field's checks let through, checks of its own, so that COPY never
 * meets a value PostgreSQL would refuse. */
enum gm_pg_kind {
	GM_PG_TEXT = GM_RK_STRING,    /* text; NUL and lone surrogates refused */
	GM_PG_TIME = GM_RK_TIME,      /* written back in UTC */
	GM_PG_MONEY = GM_RK_MONEY,    /* a single amount, to the cent */
	GM_PG_TOTAL = GM_RK_TOTAL,    /* a sum of amounts (numeric(19,2)) */
	GM_PG_BIGINT = GM_RK_INT,     /* written as given */
	GM_PG_BOOL = GM_RK_BOOL,
	GM_PG_OBJECT = GM_RK_OBJECT,  /* jsonb; what jsonb refuses refused */
	GM_PG_ARRAY = GM_RK_ARRAY,    /* the same */
	GM_PG_NUMBER = GM_RK_NUMBER,  /* written as given (double precision) */
	GM_PG_LABELS = GM_RK_LABELS,  /* jsonb, as GM_PG_OBJECT */
	GM_PG_RECORD = GM_RK_NKINDS,  /* no field: the whole record as given,
	                                 as jsonb */
};

struct gm_pg_column {
	const char *name;     /* the column */
	const char *field;    /* the record's top-level field (NULL: RECORD) */
	unsigned char flen;   /* strlen(field) */
	enum gm_pg_kind kind;
	const char *sqltype;  /* as PostgreSQL's format_type() writes it */
	bool required;        /* NOT NULL; else absent or null gives NULL */
	const struct gm_rfield *desc;  /* the field's descriptor (rtype.h),
	                          whose checks the value passes; NULL for a
	                          table made by hand: only kind and required */
};

struct gm_pg_table {
	const char *type;     /* the record type, as in "type" */
	const char *name;     /* the table */
	const struct gm_pg_column *columns;  /* columns[0] is the key */
	size_t ncolumns;
};

/* Room for every record type that names a table (a constructor dies
 * when there are more). */
#define GM_PG_MAX_TABLES 32

/* Every table, in the order of gm_rtypes (rtype.h), as scripts/schema.sql
 * makes them: one per record type whose descriptor names a table, its
 * columns the descriptor's fields that have a sqltype, in their order,
 * with record_column, if any, after record_after's column (or last).
 * Built from the descriptors before main()
 * runs; read-only after that. */
extern const struct gm_pg_table *const gm_pg_tables;
extern size_t gm_pg_ntables;

/* The registry entry for records of type name[0..n), or NULL. */
const struct gm_pg_table *gm_pg_table_for(const char *name, size_t n);

/* ---- rows ---- */

/* A growable byte buffer; zero-initialise it, free(p) when done. */
struct gm_pg_buf {
	char *p;
	size_t len, cap;
};

/* Appends to buf the COPY text row of ev for table t: its columns in
 * order, tab-separated, newline-terminated, with backslash, tab, newline
 * and CR escaped, and \N for an absent or null optional field. buf grows
 * with realloc (out of memory is fatal, status 1) and is meant to be
 * reused, so that rows cost no malloc once it is large enough. When a
 * required field is missing, a field has the wrong JSON type, or a value
 * is one PostgreSQL would refuse (a NUL character, a number beyond its
 * limits, ...), appends nothing and returns false with a one-line reason
 * in why (NUL-terminated, truncated to whyn bytes). */
bool gm_pg_row(const struct gm_pg_table *t, const struct gm_event *ev,
	struct gm_pg_buf *buf, char *why, size_t whyn);

/* ---- the sink ---- */

struct gm_pg;

/* How a spec names PostgreSQL: a libpq URI ("postgresql://",
 * "postgres://"), or "pg:" and a libpq conninfo. NULL-terminated. */
extern const char *const gm_pg_schemes[];

/* The conninfo spec names (a URI as it is, a conninfo without its
 * "pg:"; borrowed from spec), or NULL when spec names no PostgreSQL. */
const char *gm_pg_conninfo(const char *spec);

/* Connects to the server named by conninfo, any libpq connection string
 * or URI ("" leaves everything to the PG* environment variables and
 * ~/.pgpass, as libpq does), creates the tables that are missing or
 * upgrades those of an earlier version (saying so with gm_warn()), and
 * prepares the staging tables. Warns once when conninfo holds a
 * password, since it came from the command line, where others can see
 * it. While the server cannot be reached (no answer, or it is starting
 * or stopping) it retries, with backoff, for retry_ms. Returns the sink,
 * which owns a copy of conninfo; or NULL after gm_error(), with *status
 * set to GM_EXIT_TEMPFAIL when the server stayed unreachable and
 * GM_EXIT_FAIL otherwise (refused login, unknown database, bad
 * conninfo, a schema error, an upgrade refused: old rows lack a value
 * a column now requires). */
struct gm_pg *gm_pg_open(const char *conninfo, long long retry_ms,
	int *status);

/* Adds one record (NDJSON without its newline; copied, so the caller's
 * bytes may change afterwards) to the batch of its type's table. A record
 * that is not valid JSON, whose type has no table, or that gm_pg_row()
 * refuses, is reported and returns false; the sink goes on, and
 * gm_pg_close() will return GM_EXIT_FAIL. When the batch reaches 10,000
 * rows or 8 MiB, flushes it; when that fails, returns false and the sink
 * has failed (gm_pg_failed()). Once failed, does nothing and returns
 * false. */
bool gm_pg_add(struct gm_pg *pg, const char *record, size_t len);

/* The same for a record already parsed: ev as gm_parse() returned it
 * (its fields, and ev->raw for a column of the whole record, are read
 * during the call only). Adds the row gm_pg_add() would add for the
 * bytes ev was parsed from, or refuses it the same way, without parsing
 * them again. */
bool gm_pg_add_event(struct gm_pg *pg, const struct gm_event *ev);

/* Commits every row added so far in one transaction, retrying through
 * reconnects as described above. Returns true when committed (or when
 * there was nothing to commit). On failure the error is reported, the
 * sink has failed, and the batch is dropped: its rows were not written. */
bool gm_pg_flush(struct gm_pg *pg);

/* True once a flush has failed; every later call then does nothing. */
bool gm_pg_failed(const struct gm_pg *pg);

/* Flushes (unless failed), disconnects and frees. Returns GM_EXIT_OK
 * when every record added was committed; GM_EXIT_TEMPFAIL when the
 * server stayed unreachable for retry_ms; GM_EXIT_FAIL when a record
 * was refused or a flush failed otherwise. NULL gives GM_EXIT_OK. */
int gm_pg_close(struct gm_pg *pg);

/* ---- retention ---- */

/* Deletes the rows of t whose column (a time column of t: anything
 * else is a programming error, which dies) is before before_ms (ms
 * since the epoch), in one statement, the time sent as a parameter:
 * for a client that keeps a table from growing forever (gm-metrics
 * --retention) on a handle of its own, with no batch pending. Retries
 * through reconnects as gm_pg_flush() does. Returns true with *deleted
 * (may be NULL) the count; on failure, reports it, the handle has
 * failed (gm_pg_close() then returns GM_EXIT_TEMPFAIL when the server
 * stayed unreachable, else GM_EXIT_FAIL) and *deleted is 0. */
bool gm_pg_delete_before(struct gm_pg *pg, const struct gm_pg_table *t, const char *column,
	int64_t before_ms, long long *deleted);

/* ---- one transaction ----
 *
 * For a client whose whole run is one transaction on the sink's
 * connection (the warehouse, lib/wh_pg.c), instead of gm_pg_add(): it
 * takes a lock, begins, reads through cursors, stages rows in its
 * tables' staging tables, merges them into the tables and commits, all
 * or nothing. Nothing is retried, since a transaction cannot go on over
 * another connection: a call that fails reports it with gm_error(),
 * naming the server, and returns false (NULL); the sink has then failed
 * (gm_pg_close() returns GM_EXIT_TEMPFAIL when the connection was lost,
 * else GM_EXIT_FAIL) and every later call does nothing and returns
 * false. Closing the sink before gm_pg_commit() rolls
 * everything back, as the server does for a client that dies. */

/* The server as messages name it: database "DB" on HOST:PORT (never a
 * password), or "postgresql" when libpq could not say. */
const char *gm_pg_name(const struct gm_pg *pg);

/* Tries to take the session-level advisory lock key (held until the
 * connection ends): *got is false when another session holds it.
 * Returns false on failure. */
bool gm_pg_try_lock(struct gm_pg *pg, long long key, bool *got);

/* Releases the session-level advisory lock key, so that it is free
 * when this returns: the server releases it too when the connection
 * ends, but only once it has seen the end, after the client has gone
 * on (a run that starts at once may find it still held). Returns false
 * on failure. */
bool gm_pg_unlock(struct gm_pg *pg, long long key);

/* BEGIN; the transaction gm_pg_commit() ends. */
bool gm_pg_begin(struct gm_pg *pg);

/* COPYs rows, COPY text rows of table t as gm_pg_row() makes them, into
 * t's staging table (a temporary table, emptied at commit), after those
 * staged before. */
bool gm_pg_stage(struct gm_pg *pg, const struct gm_pg_table *t,
	const struct gm_pg_buf *rows);

/* Upserts the rows staged for t into t: a row whose key t holds replaces
 * it (unless it is equal: then the row is not rewritten), the last
 * staged of a key winning. */
bool gm_pg_merge(struct gm_pg *pg, const struct gm_pg_table *t);

/* Deletes the rows of t whose key starts with prefix (a NUL-terminated
 * string, compared byte for byte: no character is a wildcard) and whose
 * key no row staged for t has, so that the merge that follows leaves
 * that slice of t holding only the rows staged. Call it after staging
 * every row of t, before gm_pg_merge(). */
bool gm_pg_trim(struct gm_pg *pg, const struct gm_pg_table *t, const char *prefix);

/* COMMIT: every change since gm_pg_begin() at once. */
bool gm_pg_commit(struct gm_pg *pg);

/* A query's rows, fetched through a cursor in batches, so that a large
 * result is never held whole. */
struct gm_pg_cursor;

/* Opens a cursor, in the transaction, for sql (a SELECT) with
 * parameters params[0..nparams) as text ($1 ...; NULL for NULL). NULL on
 * failure. */
struct gm_pg_cursor *gm_pg_cursor_open(struct gm_pg *pg, const char *sql, int nparams,
	const char *const *params);

/* Moves to the next row: false at the end, or on failure (then
 * gm_pg_cursor_close() returns false). */
bool gm_pg_cursor_next(struct gm_pg_cursor *c);

/* Column col of the current row, as text, NUL-terminated, *len bytes;
 * NULL for SQL NULL. Valid until the next gm_pg_cursor_next(). */
const char *gm_pg_cursor_value(const struct gm_pg_cursor *c, int col, size_t *len);

/* Closes the cursor and frees c; false when it met a failure. NULL is
 * allowed. */
bool gm_pg_cursor_close(struct gm_pg_cursor *c);

/* ---- a table read back ---- */

/* A table of the registry read back through a cursor, row by row, as
 * the records it holds: what a file of them would say, so that a
 * reader of records reads a table as it reads a file. */
struct gm_pg_rows;

/* Starts reading t's rows, in the transaction (gm_pg_begin() first):
 * SELECT its columns FROM it, then tail (NULL: nothing), SQL that
 * narrows or orders them (WHERE ..., ORDER BY ...) with the parameters
 * params[0..nparams) as text ($1 ...): a value that came from input
 * goes there, never into tail. null_absent: a column that is NULL is
 * left out of the record, as a tool leaves out an optional field (which
 * gm_parse() refuses as null); else it is written null. NULL on
 * failure, as gm_pg_cursor_open(). */
struct gm_pg_rows *gm_pg_rows_open(struct gm_pg *pg, const struct gm_pg_table *t,
	const char *tail, int nparams, const char *const *params, bool null_absent);

/* The next row as a record, NDJSON without its newline: "type" (t's
 * record type), then each column under its name: a time as RFC 3339 UTC
 * with milliseconds, an amount in dollars, a boolean, text as a string,
 * numbers and JSON as PostgreSQL writes them. *row and *where (the row's
 * place for messages, "SERVER: TABLE row N") are valid until the next
 * call. False at the end, or on failure: a fetch that failed, or a value
 * that is not what its column holds (reported with gm_error() at the
 * row's place); gm_pg_rows_close() then returns false. */
bool gm_pg_rows_next(struct gm_pg_rows *r, const char **row, size_t *len, const char **where);

/* Ends the read and frees r; false when it failed. NULL is allowed. */
bool gm_pg_rows_close(struct gm_pg_rows *r);

#endif

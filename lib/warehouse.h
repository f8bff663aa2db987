/* warehouse: tables of records, kept by key, that a batch tool reads and
 * rewrites: gm-etl's star schema, gm-rfm's segments. A table holds
 * records of one type (rtype.h), each identified by its descriptor's id
 * field, and is named as its descriptor's table (a file, a collection,
 * a PostgreSQL table: customer_segments holds customer_segment). A run
 * reads what it needs (gm_wh_scan), puts rows (an upsert by id: a row
 * of an id already there replaces it), may replace slices
 * (gm_wh_replace: the rows of ids that start with a prefix, those it
 * did not put removed), and commits: every table it put rows in or
 * replaced a slice of changes at once, or none does.
 *
 * Each backend is one table of operations (struct wh_backend,
 * warehouse_backend.h) in a file of its own, chosen by how the spec
 * starts; a folder (wh_dir.c) is the one with no server:
 *   DIR   one NDJSON file per table, DIR/TABLE.ndjson. A run holds an
 *         exclusive flock(2) on DIR/.lock, so that two runs never
 *         overlap. Rows put go to a new file beside the old
 *         (DIR/.TABLE.new); the commit writes each changed table whole
 *         to DIR/.TABLE.tmp (the old rows and the new, as the table's
 *         order says: enum gm_wh_order; an old row of a slice replaced
 *         left out unless put again), fsyncs it, writes the list of
 *         renames to DIR/.commit, by the files' names in DIR, since a
 *         later run may name DIR by another path (fsynced: the commit
 *         point), renames them over the tables, fsyncs DIR and removes
 *         DIR/.commit. A
 *         run that finds DIR/.commit (the last one died after its commit
 *         point) does the renames first; a run that died before it left
 *         only dot files, which the next run removes. So a table is
 *         always as before a run or as after it, and all of a run's
 *         tables change together, their slices' rows removed with the
 *         rest.
 *   postgresql://URI, postgres://URI, pg:CONNINFO (wh_pg.c)
 *         one table per type, the type's name (scripts/schema.sql,
 *         made at connect as by the PostgreSQL sink, pg.h). A run is
 *         one transaction, begun at open: rows put are COPYed into
 *         temporary staging tables, and the commit, table by table,
 *         DELETEs the rows of its slices whose ids were not staged (a
 *         prefix compared as the ids' first characters, never through
 *         LIKE, sent as a parameter), upserts the staged rows by id, and
 *         COMMITs. A run that dies before COMMIT changes nothing (the
 *         server rolls it back, deletes and all); after it, all is
 *         done. The lock is the session advisory lock
 *         7163183785426855010 of the database (pg_try_advisory_lock),
 *         which a run that committed releases before it disconnects,
 *         and the server when the run's connection ends, however it
 *         ends.
 *   mongodb://HOST[:PORT][,...][/DB][?OPTIONS] (or mongodb+srv://)
 *         (wh_mongo.c) a collection per table in DB (globalmart_dw when
 *         the URI names none), a document per row: its fields, under the
 *         _id gm_mongo_id() makes from its id (mongo.h); indexed on the
 *         id field, and on date_key, as_of_key, user_id and
 *         (transaction_id, line) where the table has them. A table with transaction_id and line
 *         reads in that order, a transaction's lines together; others
 *         in any order. Numbers read back by value (25.00 as 25, 1.0000
 *         as 1). There are no multi-document transactions to lean on
 *         (CongoDB has none, a standalone mongod neither), so a run
 *         stages: each row put is upserted into _gm_staging as
 *         {"type":"_gm_staged","table","id","seq","row"} under an _id of
 *         its table and id. The commit stages each slice to replace as
 *         {"type":"_gm_replace","table","field","prefix"} (field: the
 *         table's id field) under an _id of ':', its table, ':' and its
 *         prefix, writes the staged documents, then the marker
 *         _gm_commit "commit" with the count of rows (the commit point);
 *         then deletes every row of each staged slice (by an anchored
 *         regular expression on the id field, every character escaped),
 *         upserts the staged rows into their tables page by page
 *         (unordered bulk batches; the same row again changes nothing),
 *         removes the marker and empties _gm_staging (in that order: a
 *         marker left over part of the staging would have the next run
 *         delete the slices and put back part of their rows). A run
 *         that finds the marker (the last one died after its commit
 *         point: before, during or after the deletes or the upserts)
 *         does the deletes and the upserts again first, which leaves
 *         each slice holding exactly the staged rows however often it
 *         is done; one that finds staged documents and no marker (the
 *         last run died before its commit point, or once its commit was
 *         done) drops them, as does a run that fails before its commit
 *         point when it closes. So after a crash, the next run leaves each table as
 *         before the crashed run or as after it; between the commit
 *         point and the end of the upserts, a reader that takes no lock
 *         sees some tables changed and not others, and a slice replaced
 *         emptied of rows that come back.
 *         The lock is the document _gm_lock "warehouse", inserted by a
 *         run ({"type","prog","host","pid","started"}) and removed when
 *         it ends; an insert meeting one fails on both servers, and the
 *         run exits 75. A lock left by a run that died is taken over by
 *         the next run on the same host (gethostname(2): hosts that
 *         share a warehouse need distinct names) when no process of its
 *         pid is alive; a pid reused since only delays that. A lock of
 *         another host is never judged stale: remove it by hand once
 *         its run is known to be over (in mongosh,
 *         db._gm_lock.deleteMany({})). A server unreachable for the
 *         retry time when the run opens it: exit 75, nothing changed. */
#ifndef GM_WAREHOUSE_H
#define GM_WAREHOUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "event.h"
#include "rtype.h"
#include "writer.h"

struct gm_wh;

/* The folder used when no spec is given. */
#define GM_WH_DEFAULT "warehouse"

/* Opens the warehouse spec names (NULL: GM_WH_DEFAULT) and takes its
 * lock. A folder is made if missing (its parent must exist); a commit
 * an earlier run left half done is finished first (see the top); a
 * server's tables are made if missing, even in a dry run. A lock that
 * another run holds is waited for, with a warning, and a server that
 * does not answer retried, each for c->retry_ms (--retry-for); then it
 * reports it and exits GM_EXIT_TEMPFAIL (75: cron tries again later).
 * A spec of a scheme no backend handles is a usage error (exit 2).
 * Returns NULL after gm_error() on any other failure. dry_run: nothing
 * is ever written, gm_wh_commit() included; the lock is still taken,
 * so that what is read is consistent. */
struct gm_wh *gm_wh_open(const struct gm_common *c, const char *spec, bool dry_run);

/* As gm_wh_open(), for a process that outlives a warehouse it cannot
 * have now (gm-report --listen, reading it again): where gm_wh_open()
 * exits 75 (another run holds the lock, the server stays unreachable),
 * this returns NULL after the same message, *tempfail set; after any
 * other failure NULL, *tempfail false. wait_lock false: a lock held is
 * not waited for (the process tries again by itself later). A spec of
 * a scheme no backend handles still exits 2. */
struct gm_wh *gm_wh_try_open(const struct gm_common *c, const char *spec, bool dry_run,
	bool wait_lock, bool *tempfail);

/* Releases the lock and frees wh; rows put and not committed are
 * dropped (a folder removes its new files). NULL is allowed. */
void gm_wh_close(struct gm_wh *wh);

/* The name that messages use for wh: the folder's path, the
 * PostgreSQL server's database, host and port, or mongodb://HOSTS/DB
 * (never a user, password or options). */
const char *gm_wh_name(const struct gm_wh *wh);

/* ---- reading ---- */

/* A read of one table's rows as they were when the run began (rows put
 * by this run are not seen). */
struct gm_wh_scan;

/* Which rows a read needs: those whose integer field range_field lies
 * in [lo, hi], and those whose string field in_field is one of in[0..nin)
 * (sorted, as gm_str_cmp() orders). A NULL field leaves its part out; a
 * NULL filter, or one with neither, asks for every row. A backend may
 * give more rows than asked (a folder gives all), never fewer: the
 * reader applies its own rules to each. */
struct gm_wh_filter {
	const char *range_field;
	int64_t lo, hi;
	const char *in_field;
	const gm_str *in;
	size_t nin;
	const char *group_field;  /* NULL, or a string field whose rows of
	                  one value must come one after another (the lines
	                  of a transaction): a server sorts by it; a folder
	                  gives rows in the order its table keeps, which
	                  holds such rows together when they were put
	                  together (GM_WH_LOADED) */
};

/* Starts reading the table of type t (t->id must be set), the rows f
 * asks for (a field f names that t has not is an error). A table that
 * does not exist yet reads as empty. Returns NULL after gm_error() when
 * it cannot be read. */
struct gm_wh_scan *gm_wh_scan_open(struct gm_wh *wh, const struct gm_rtype *t,
	const struct gm_wh_filter *f);

/* The next row, as NDJSON text without its newline, valid until the next
 * call; *where is "FILE:LINE" for messages. Returns false at the end, or
 * on a read error (reported with gm_error(); gm_wh_scan_close() then
 * returns false). */
bool gm_wh_scan_next(struct gm_wh_scan *s, const char **row, size_t *len,
	const char **where);

/* A row gm_wh_scan_row() read: its text (for rejects.h), where it is,
 * and, when it is bad, why. */
struct gm_wh_row {
	const char *text;   /* NDJSON without its newline, valid until the next call */
	size_t len;
	const char *where;  /* "FILE:LINE", as gm_wh_scan_next()'s */
	const char *why;    /* GM_WH_BAD: why; NULL otherwise */
	char reason[200];   /* room for why */
};

enum gm_wh_got {
	GM_WH_END,   /* no more rows, or a read error: gm_wh_scan_close() says which */
	GM_WH_ROW,   /* a row of the table's type, decoded */
	GM_WH_BAD,   /* a row that is not one of it: another type, a field
	                missing or of the wrong type, or not JSON at all */
};

/* The next row of s, decoded as a row of the type s reads
 * (gm_wh_scan_open()'s t) into v and has, t->nfields entries each, as
 * gm_rtype_decode() decodes it: by row.h's reader when it is written as
 * the tools write rows, else parsed with ps first. r describes the
 * row, whatever came of it but the end. What to do with a bad row
 * (stop, reject) is the caller's. */
enum gm_wh_got gm_wh_scan_row(struct gm_wh_scan *s, struct gm_parser *ps,
	union gm_rvalue *v, bool *has, struct gm_wh_row *r);

/* Ends the read; false when it met a read error. NULL is allowed. */
bool gm_wh_scan_close(struct gm_wh_scan *s);

/* ---- writing ---- */

/* The order a table's rows keep. */
enum gm_wh_order {
	GM_WH_LOADED,  /* the rows there, in their order, a row put again
	                  in the place of the old one of its id; then the
	                  rows put for the first time, in the order put:
	                  fact tables, large, loaded as events came; the
	                  same rows put again leave the same table */
	GM_WH_BY_ID,   /* ascending by id (bytes): rows must be put so, and
	                  the table stays so; the tables derived from facts,
	                  so that the same warehouse is the same bytes */
};

struct gm_wh_table;

/* Starts putting rows in the table of type t (t->id set) for this run;
 * one call per table and run. Returns NULL after gm_error(). */
struct gm_wh_table *gm_wh_begin(struct gm_wh *wh, const struct gm_rtype *t,
	enum gm_wh_order order);

/* The writer on which to build the next row, a whole record with its
 * "type" and id (gm_w_obj_begin ... gm_w_end). */
struct gm_writer *gm_wh_writer(struct gm_wh_table *t);

/* Puts the row just built, whose id is id[0..n) (as in the row). A
 * GM_WH_BY_ID table refuses an id not above the last one put (a bug in
 * the caller: reported, and the commit fails). Returns false once the
 * table has failed (reported). */
bool gm_wh_put(struct gm_wh_table *t, const char *id, size_t n);

/* Says that the run puts no more rows in t, so that a backend may
 * finish it while the run goes on: the folder writes out what is left
 * of a table written around the page cache and syncs it in the
 * background (gm_writer_finish_behind()), the commit then finding it
 * done. Optional; nothing more may be put in t. */
void gm_wh_done(struct gm_wh_table *t);

/* Makes the run replace a slice of t: at the commit, the rows of t
 * whose id starts with prefix[0..n) (bytes; no character is special)
 * and that this run did not put are removed, in the same commit as the
 * rows put (see the top for each backend), so that after it the rows
 * of that slice are exactly those the run put, none if it put none.
 * Call it any time before gm_wh_commit(); a table may have several
 * slices (the same prefix twice is one), and n 0 is the whole table.
 * The prefix is copied. A prefix holding a NUL byte, which no server's
 * text holds, is refused: reported, and the table fails as a row out of
 * order fails it. Returns false once the table has failed. In a dry
 * run, nothing is removed. */
bool gm_wh_replace(struct gm_wh_table *t, const char *prefix, size_t n);

/* Rows put in t so far. */
uint64_t gm_wh_count(const struct gm_wh_table *t);

/* Makes every row put in every table of the run durable, all tables at
 * once (see the top). Returns false after gm_error() on failure, and
 * then no table has changed, unless it failed past its commit point
 * (MongoDB's upserts): then the next run finishes it when it opens. In
 * a dry run, does nothing and returns true. */
bool gm_wh_commit(struct gm_wh *wh);

#endif

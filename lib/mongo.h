/* mongo: a MongoDB client for warehouse tables (gm-etl's backend, later
 * gm-rfm's and gm-metrics'), through libmongoc.
 *
 * Rows are JSON objects (NDJSON records without their newline), each
 * stored whole as one document under a deterministic _id made from the
 * row's key string (gm_mongo_id()): an ObjectId, because CongoDB, the
 * server the tests run, refuses any other _id (SERVICES.md), and a real
 * mongod takes it as well. Rows are replaced by that _id with upsert,
 * in unordered bulk batches, so that writing the same rows again (a
 * replay, a re-run) leaves the collection as it was, on both servers.
 *
 * Numbers are read back by value, not by BSON type: a server may send
 * an integer as int32, int64 or double (CongoDB does all three), so an
 * integral value within 2^53 is written as an integer, any other as the
 * shortest decimal that reads back as the same double.
 *
 * While the server cannot be reached (no answer, a broken connection,
 * no server selectable), every call retries with capped exponential
 * backoff and jitter (100 ms doubling to 5 s) for retry_ms from the
 * first failure, then gives up with GM_EXIT_TEMPFAIL. Messages go
 * through gm_error() and gm_warn() under the "mongodb" location, naming
 * the database and its hosts, never the URI, which may hold a password.
 *
 * One handle is for one thread. */
#ifndef GM_MONGO_H
#define GM_MONGO_H

#include <stdbool.h>
#include <stddef.h>

struct gm_mongo;

/* Connects to the server of uri (mongodb:// or mongodb+srv://), using
 * the database the URI's path names or, when it names none, db. When
 * the URI names a user and no password, the password is taken from the
 * environment variable GM_MONGO_PASSWORD, if set; a password in the URI
 * itself is warned about once (it came from a command line or a file
 * others may read). Sets connectTimeoutMS and serverSelectionTimeoutMS
 * from retry_ms (2 s to 10 s) unless the URI gives them. Waits until the
 * server answers a ping, retrying as above. batch is the number of rows
 * a bulk write sends (0: 1000). Returns the handle; or NULL after
 * gm_error(), with *status GM_EXIT_TEMPFAIL when the server stayed
 * unreachable and GM_EXIT_FAIL otherwise (a bad URI, a refused login). */
struct gm_mongo *gm_mongo_open(const char *uri, const char *db,
	long long retry_ms, size_t batch, int *status);

/* The _id of the row whose key is key[0..n): 12 bytes, the 64-bit
 * gm_hash() of the key followed by 32 bits of the gm_hash() of the key
 * and one 0xff byte. The same key gives the same id on every run and
 * machine. */
void gm_mongo_id(const char *key, size_t n, unsigned char id[12]);

/* Adds the row json[0..jlen), a JSON object without an "_id" field,
 * keyed by key[0..klen), to the batch of collection coll (a
 * NUL-terminated name, copied): it will replace the document of that
 * key, or be inserted. The batch is written when it holds `batch` rows,
 * when a row for another collection comes, and by gm_mongo_flush(). A
 * row that is not such an object is reported (gm_record_error(), "where"
 * naming the collection) and refused: returns false, nothing else
 * changes, and gm_mongo_close() will return GM_EXIT_FAIL. Also returns
 * false when a write this call made failed (gm_mongo_failed()). */
bool gm_mongo_upsert(struct gm_mongo *m, const char *coll, const char *key,
	size_t klen, const char *json, size_t jlen);

/* Writes the rows added and not yet written, retrying the whole batch
 * through reconnects (replacing by _id, a batch sent twice is written
 * once). True when written or when there was none; false after
 * gm_error() when the write failed: the handle has failed, and the
 * batch is dropped. */
bool gm_mongo_flush(struct gm_mongo *m);

/* Documents chosen by one field, as gm_mongo_find() and
 * gm_mongo_delete() take them. field NULL: every document. Otherwise
 * documents whose field is within [min, max] (either may be NULL: no
 * bound) and, when nin > 0, equal to one of in[0..nin). Bounds and
 * values are JSON scalars as text ("20261101", "\"u1\"", "12.5"),
 * compared as MongoDB compares them (a number with a number, a string
 * with a string). */
struct gm_mongo_filter {
	const char *field;
	const char *min, *max;
	const char *const *in;
	size_t nin;
};

/* Writes the pending batch (as gm_mongo_flush()), then calls each(ctx,
 * line, len) with every document of coll that f (NULL: all) chooses,
 * in the order of their _id, as one JSON object without
 * its _id and without a newline (line valid during the call only;
 * numbers as said above). each returns false to stop early. Retries as
 * above until the first document has been handed over, not after.
 * Returns true when every document chosen was handed over (or each
 * stopped); false after gm_error() when the read failed, a bound or
 * value is not a JSON scalar (GM_EXIT_FAIL), or a document holds a BSON
 * type with no JSON form (a binary, a date, ...). The handle fails only
 * when the server stayed unreachable. */
bool gm_mongo_find(struct gm_mongo *m, const char *coll,
	const struct gm_mongo_filter *f,
	bool (*each)(void *ctx, const char *line, size_t len), void *ctx);

/* A read of coll as a cursor, for a caller that pulls documents one by
 * one (a scan) rather than taking them in a callback. */
struct gm_mongo_cursor;

/* Writes the pending batch (as gm_mongo_flush()), then starts reading
 * the documents of coll that any of any[0..nany) chooses (nany 0: all;
 * a filter whose field is NULL chooses all), ordered by the fields
 * sort[0..nsort) ascending (nsort 0: by _id). Nothing is asked of the
 * server until the first gm_mongo_cursor_next(). One cursor per handle
 * at a time; while it is open the handle takes other calls, but one
 * that has to reconnect ends the cursor (its next call then fails) if
 * it has handed a document over. Returns NULL after gm_error() when the
 * batch could not be written or a bound or value is not a JSON scalar
 * (or a cursor is open already). */
struct gm_mongo_cursor *gm_mongo_cursor_open(struct gm_mongo *m, const char *coll,
	const struct gm_mongo_filter *any, size_t nany, const char *const *sort, size_t nsort);

/* The next document, as gm_mongo_find() hands one over, in *line and
 * *len (valid until the next call on c). Returns 1; 0 at the end; -1
 * after gm_error() when the read failed (retried as gm_mongo_find()
 * says, until the first document) or a document has no JSON form. */
int gm_mongo_cursor_next(struct gm_mongo_cursor *c, const char **line, size_t *len);

/* Ends the read and frees c; false when it had failed. NULL is allowed. */
bool gm_mongo_cursor_close(struct gm_mongo_cursor *c);

/* Deletes the documents of coll that f chooses (NULL or field NULL:
 * all), writing the pending batch first; sets *deleted (may be NULL)
 * to their count. False after gm_error() on failure, as
 * gm_mongo_flush(). */
bool gm_mongo_delete(struct gm_mongo *m, const char *coll,
	const struct gm_mongo_filter *f, long long *deleted);

/* Deletes the documents of coll whose string field starts with
 * prefix[0..n) (which holds no NUL byte), matched by an anchored regular
 * expression in which every character stands for itself; as
 * gm_mongo_delete() otherwise. */
bool gm_mongo_delete_prefix(struct gm_mongo *m, const char *coll, const char *field,
	const char *prefix, size_t n, long long *deleted);

/* Creates, unless it exists, the ascending index of coll on
 * fields[0..n) (named as MongoDB names it: "f1_1_f2_1"). Not unique: a
 * row's uniqueness is its _id. False after gm_error() on failure. */
bool gm_mongo_index(struct gm_mongo *m, const char *coll,
	const char *const *fields, size_t n);

/* ---- named documents: watermarks and locks ----
 * One small JSON object per name in coll, whose _id is gm_mongo_id() of
 * the name. */

/* Stores doc[0..len) (a JSON object without "_id") under name,
 * replacing what was there. False after gm_error() on failure (a doc
 * that is no such object: GM_EXIT_FAIL, the handle does not fail). */
bool gm_mongo_put(struct gm_mongo *m, const char *coll, const char *name,
	const char *doc, size_t len);

/* The document stored under name, as gm_mongo_find() writes one: 1 and
 * *doc set to it (NUL-terminated, malloc'd, the caller frees it); 0 and
 * *doc NULL when there is none; -1 after gm_error() on failure. */
int gm_mongo_get(struct gm_mongo *m, const char *coll, const char *name,
	char **doc);

/* Takes the lock name by inserting doc (what says who holds it, a JSON
 * object without "_id") under it: an insert of an _id already there
 * fails with a duplicate key error on a real mongod and on CongoDB
 * alike (which enforces no other unique index). Returns 1 when taken;
 * 0 when held, with *holder (may be NULL) set as gm_mongo_get() sets
 * *doc, to what the holder stored; -1 after gm_error() on failure. A
 * lock outlives a crash of its holder: whoever judges it stale (by what
 * its holder stored) removes it with gm_mongo_unlock(). An insert
 * retried after a broken connection may find the lock its first try
 * took: then 0, and *holder is doc. */
int gm_mongo_lock(struct gm_mongo *m, const char *coll, const char *name,
	const char *doc, size_t len, char **holder);

/* Removes the document (lock or other) stored under name, if any.
 * False after gm_error() on failure. */
bool gm_mongo_unlock(struct gm_mongo *m, const char *coll, const char *name);

/* ---- asking the server ----
 * For a client that watches a server rather than writes to it
 * (gm-metrics): each call tries once, says nothing, and a server that
 * does not answer fails only that call. */

/* The database of the warehouse when a URI names none (warehouse.h). */
#define GM_MONGO_WAREHOUSE_DB "globalmart_dw"

/* A handle on uri as gm_mongo_open() makes one (its database, password
 * and warning the same; connectTimeoutMS and serverSelectionTimeoutMS
 * 2 s unless the URI gives them), without connecting: the first call
 * does. NULL after gm_error() when uri is not a MongoDB URI. Close it
 * with gm_mongo_close(). */
struct gm_mongo *gm_mongo_open_idle(const char *uri, const char *db);

/* Runs the command {name: arg} (arg NULL: {name: 1}) once on m's
 * database, and puts into values[i] the number at the dotted path
 * paths[i] of the reply ("connections.current"), of any numeric BSON
 * type, or NaN when the reply has none there. Returns 1 when the server
 * ran it; 0 when it refused it (an unknown command, a collection that
 * does not exist), -1 when it could not be reached (the next call
 * connects again), both with the reason in why (NUL-terminated,
 * truncated to whyn bytes, the password cut out). */
int gm_mongo_command_values(struct gm_mongo *m, const char *name, const char *arg,
	const char *const *paths, double *values, size_t n, char *why, size_t whyn);

/* The database as messages may name it: "mongodb://HOSTS/DB" (the
 * hosts of the URI, or its SRV name), without user, password or
 * options. Owned by m. */
const char *gm_mongo_name(const struct gm_mongo *m);

/* True once a write has failed or the server stayed unreachable; every
 * later call then does nothing and returns false (or -1). */
bool gm_mongo_failed(const struct gm_mongo *m);

/* Flushes (unless failed), disconnects and frees. Returns GM_EXIT_OK
 * when every row added was written; GM_EXIT_TEMPFAIL when the server
 * stayed unreachable for retry_ms; GM_EXIT_FAIL when a row was refused
 * or a write failed otherwise. NULL gives GM_EXIT_OK. */
int gm_mongo_close(struct gm_mongo *m);

#endif

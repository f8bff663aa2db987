/* store: per-key state that survives a crash and a rebalance.
 *
 * A store maps string keys (ids, at most GM_MAP_KEY_MAX bytes) to values
 * of a fixed size, bounded like a gm_map (the least recently used key is
 * evicted at the cap). The value is the tool's own struct, saved as its
 * bytes: it must hold no pointers, and a tool that changes its layout
 * changes spec.version, so that state saved by another layout is not
 * read as this one (it is skipped, with a warning, and the keys start
 * afresh).
 *
 * Each entry also remembers where its last change came from: the input
 * partition and the offset of the record that made it. A record read
 * again after a restart (the input is replayed from the committed
 * offsets, which may lie before what the saved state holds) is then
 * known as already applied (GM_STORE_APPLIED), and the tool skips it:
 * learning twice from one record is the error a replay must not make.
 * Records of one key must therefore all come from one partition number,
 * as Kafka's keyed partitioning gives (gm-produce keys by user_id), of
 * at most GM_STORE_TOPICS input topics.
 *
 * Where the state is kept:
 *   - a changelog (Kafka in a consumer group, as Kafka Streams does): at
 *     every checkpoint the entries changed since the last one are sent,
 *     oldest first, to the changelog topic, keyed by the entry's key, to
 *     the partition of the input partition they came from; an entry
 *     removed or evicted is sent as a tombstone (no value). Before the
 *     offsets of a checkpoint are committed, the changelog is flushed,
 *     so what a committed offset covers is always in it. Each
 *     checkpoint ends, per partition, with a mark (below). A partition
 *     given to this instance is restored by reading its changelog
 *     partition from the beginning to its end, taking a checkpoint's
 *     entries only once its mark is read: a checkpoint cut short by a
 *     crash is not taken, and the keys it wrote are written again at the
 *     next checkpoint, or deleted. A partition taken away is forgotten
 *     without tombstones. The topic is made compacted, with as many
 *     partitions as the input, when it does not exist.
 *   - a snapshot file (files, or Kafka without a group): loaded at the
 *     start, written whole at the end, atomically (a new file renamed
 *     over the old, after fsync), so that a crash leaves the last
 *     complete one.
 *
 * Timers: an entry may have one, an event time at which the tool wants
 * to see the entry again (a session's end, a cart's abandonment), kept
 * in the value itself (spec.due_at), so that it is saved and restored
 * with it. gm_store_fire() hands over the entries of an input partition
 * whose time has come, in order of time and then of key, so that every
 * run sees them in the same order; the stream module calls it as the
 * partition's watermark moves (stream.h).
 *
 * The mark is a message under a key no entry has (it starts with a NUL
 * byte): how far into the input the state goes (gm_store_mark()), sent
 * for every partition at every checkpoint.
 *
 * Costs: an entry takes value_size + 112 bytes in memory (the map's)
 * plus 48 bytes of bookkeeping, and 24 more while its timer is set; in
 * the changelog a change is one message of klen + value_size + 36 bytes
 * per checkpoint that saw the key change, however often it changed in
 * between, and each checkpoint adds a mark of 55 bytes per partition. */
#ifndef GM_STORE_H
#define GM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

/* An entry of input partition whose timer has come (gm_store_fire()):
 * due is its time; value is valid until the next call on the store. */
typedef void gm_store_due_fn(void *ctx, int32_t partition, const char *key, size_t klen,
	void *value, int64_t due);

struct gm_store_spec {
	const char *name;     /* short, [a-z0-9_-]: names the changelog topic
	                         ("GROUP-NAME-changelog") and the snapshot */
	uint32_t version;     /* of the value's layout */
	size_t value_size;
	size_t max_entries;   /* the cap (see gm_map_new) */
	size_t due_at;        /* timers (below): GM_STORE_DUE(struct, member)
	                         of the value's int64_t that holds the
	                         entry's timer; 0: the store has none */
	/* Called with an entry evicted under the cap, before it goes (its
	 * tombstone sent), as gm_map_on_evict() says: a tool closes and
	 * writes what it held. NULL: evicted entries just go. */
	void (*evicted)(void *ctx, const char *key, size_t klen, void *value);
	/* What an entry's timer does when it comes: the stream module fires
	 * it (gm_store_fire(), stream.h). NULL: the store has no timers
	 * to fire. */
	gm_store_due_fn *due;
	void *ctx;            /* given to evicted and due */
};

/* A member for gm_store_spec.due_at: its offset plus one. */
#define GM_STORE_DUE(type, member) (offsetof(type, member) + 1)
#define GM_STORE_NEVER INT64_MAX   /* a timer that is not set */

/* Where a change comes from: the input partition (-1 for files), the
 * record's offset in it (-1 when it has none: files) and which of the
 * input topics it is (their index: a tool reading views, cart events
 * and transactions from three co-partitioned topics has a user's
 * records come from partition N of each). An entry keeps an offset per
 * topic, for at most GM_STORE_TOPICS topics. */
#define GM_STORE_TOPICS 4
struct gm_store_at {
	int32_t partition;
	int64_t offset;
	uint32_t topic;
};
#define GM_STORE_AT_NONE ((struct gm_store_at){ -1, -1, 0 })

struct gm_store;

/* A new, empty store, kept nowhere until gm_store_use_changelog() or
 * gm_store_load(). Dies (status 1) only when memory is exhausted. */
struct gm_store *gm_store_new(const struct gm_store_spec *spec);

/* Frees the store; saves nothing. NULL is ignored. */
void gm_store_free(struct gm_store *st);

enum gm_store_got {
	GM_STORE_NEW,      /* the key was absent: its value is zeroed */
	GM_STORE_FOUND,    /* the key's value, to update with the record */
	GM_STORE_APPLIED,  /* the key's value already holds this record's
	                      change (a replay after a restart): skip it */
	GM_STORE_REFUSED,  /* the key is longer than GM_MAP_KEY_MAX: NULL */
};

/* The value of key, to be changed by the record at `at`, which the
 * entry then remembers; the entry becomes the most recently used and is
 * saved at the next checkpoint. When the entry already holds a change
 * from at's partition and topic at or after at's offset, or the store's
 * mark says it holds that record (entry or not: it may have been
 * removed since), returns the value untouched (or NULL) with
 * GM_STORE_APPLIED. At the cap, the least recently used entry is evicted
 * (a tombstone in the changelog). The pointer stays valid until the next
 * call on the store. */
void *gm_store_update(struct gm_store *st, const char *key, size_t klen,
	struct gm_store_at at, enum gm_store_got *got);

/* Starts loading where an update of key begins, so that work done
 * meanwhile hides the cache miss; changes nothing. */
void gm_store_prefetch(const struct gm_store *st, const char *key, size_t klen);

/* The value of key, or NULL, for reading only: it changes nothing and
 * saves nothing (the entry does become the most recently used). */
const void *gm_store_get(struct gm_store *st, const char *key, size_t klen);

/* Removes key (a tombstone in the changelog); true when it was there. */
bool gm_store_remove(struct gm_store *st, const char *key, size_t klen);

/* Entries held, and entries evicted under the cap so far. */
size_t gm_store_size(const struct gm_store *st);
uint64_t gm_store_evicted(const struct gm_store *st);

/* Calls fn on every entry, oldest first, to read (at the end of a run,
 * or to report); fn must not change the store. Recency is unchanged. */
void gm_store_each(struct gm_store *st,
	void (*fn)(void *ctx, const char *key, size_t klen, const void *value),
	void *ctx);

/* ---- timers ---- */

/* Sets the timer of the entry whose value (as gm_store_update()
 * returned it, still valid) holds it at spec.due_at, to due
 * (GM_STORE_NEVER: none). Write the timer through this call only. */
void gm_store_wake_at(struct gm_store *st, void *value, int64_t due);

/* Calls fn with every entry of input partition (-1: files) whose timer
 * is at or before until, in order of time and then of key bytes; the
 * timer is cleared (GM_STORE_NEVER) and the entry marked changed before
 * the call. fn may set the entry's timer again (a time at or before
 * until fires in this same call), remove it, and update or remove other
 * entries; value is valid until fn's next call on the store. Returns
 * how many were fired. */
size_t gm_store_fire(struct gm_store *st, int32_t partition, int64_t until,
	gm_store_due_fn *fn, void *ctx);

/* ---- keeping it ---- */

/* Keeps the store in the changelog topic GROUP-NAME-changelog of the
 * Kafka cluster c names (c->group set; c must outlive the store), made
 * compacted, with as many partitions as input_topic, when absent (one
 * with fewer is an error). Returns false after gm_error(), with *status
 * GM_EXIT_TEMPFAIL when no broker answered within c->retry_ms,
 * GM_EXIT_FAIL otherwise. */
bool gm_store_use_changelog(struct gm_store *st, const struct gm_common *c,
	const char *input_topic, int *status);

/* Changelog: reads the partition's changelog from its beginning to its
 * end into the store (the last change of a key winning, a tombstone
 * removing it; a checkpoint's changes only once its mark is read), for
 * an input partition just given to this instance; then queues the
 * restored entries' timers, and makes the keys of a checkpoint cut
 * short be written again (or deleted) at the next checkpoint. Returns
 * false after gm_error() when it cannot be read. */
bool gm_store_restore(struct gm_store *st, int32_t partition);

/* Forgets every entry of the partition (no tombstones): it was taken
 * away, and its next holder restores them from the changelog. */
void gm_store_forget(struct gm_store *st, int32_t partition);

/* How far the state holds the input: the next checkpoint records in the
 * changelog that the entries hold the changes of every record of input
 * partition and topic before offset read_to; a restore reads it back
 * (gm_store_marked()). So an instance that restores the state knows
 * which records it must not apply again, even when the committed
 * offsets are older than the changelog (a commit refused in a
 * rebalance, a crash between the two), and even for entries removed
 * since (which gm_store_update() cannot know as applied). */
void gm_store_mark(struct gm_store *st, int32_t partition, uint32_t topic, int64_t read_to);

/* After gm_store_restore(partition): the read_to last recorded for its
 * topic, or -1. */
int64_t gm_store_marked(const struct gm_store *st, int32_t partition, uint32_t topic);

/* Saves what changed since the last checkpoint: to the changelog, then
 * waits until the brokers have it all. Without a changelog does
 * nothing. Returns false after gm_error() on failure: the caller then
 * seals nothing and commits no offsets. */
bool gm_store_checkpoint(struct gm_store *st);

/* Ends the checkpoint: sends the marks (gm_store_mark()) and waits
 * until the brokers have them. Call once every store of the run has
 * saved its changes (gm_store_checkpoint()), so that a crash before
 * leaves every store at the checkpoint before, and one while the marks
 * go out leaves them a mark apart at most: a record before a store's
 * own mark is GM_STORE_APPLIED for it. Returns false after gm_error(). */
bool gm_store_seal(struct gm_store *st);

/* Snapshot: loads path into the empty store. A file that does not exist
 * is an empty state (true). A file that is not a snapshot of this store
 * (name, version, value size), or that is cut short, is refused: false
 * after gm_error(). */
bool gm_store_load(struct gm_store *st, const char *path);

/* Snapshot: writes every entry, oldest first, to path atomically.
 * Returns false after gm_error(); the old file is then untouched. */
bool gm_store_save(struct gm_store *st, const char *path);

/* Closes the changelog producer (after a last checkpoint, if the caller
 * wants one) and returns its exit status contribution, as
 * gm_kproducer_close(). GM_EXIT_OK without a changelog. */
int gm_store_close(struct gm_store *st);

#endif

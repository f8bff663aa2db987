/* offsets: where gm-notify is in the Kafka partitions it reads, so that
 * what it commits covers only alerts whose notifications are settled
 * (delivered or dead-lettered: group_unsettled()).
 *
 * An alert record's mark (group.h) is its partition's slot here and its
 * offset. A commit accepts each partition up to its first record not
 * settled, with a note naming the records after it that are not settled
 * either, up to where the partition was read. Whoever reads the
 * partition next (another member after a rebalance, or this one after a
 * restart) starts at that first record and skips the records before the
 * note's end that the note does not name: they were notified already.
 * So a rebalance or a kill -9 neither loses an alert nor notifies one
 * twice. A note holds at most OFFSETS_NOTE_MAX of them; past that the
 * rest of the partition counts as not settled (read again). */
#ifndef GM_NOTIFY_OFFSETS_H
#define GM_NOTIFY_OFFSETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "group.h"
#include "kafka.h"
#include "source.h"   /* struct gm_record */

#define OFFSETS_NOTE_MAX 200

struct offsets;

/* Empty; dies only when memory is exhausted. */
struct offsets *offsets_new(void);

/* Frees o; NULL is ignored. */
void offsets_free(struct offsets *o);

/* The mark of rec, a record just read: its partition's slot and its
 * offset; GROUP_NO_MARK for a file's record. Notes the partition as read
 * up to rec and as held by this reader. */
uint64_t offsets_mark(struct offsets *o, const struct gm_record *rec);

/* Whether rec, a record just read, is one the note of its partition's
 * commit says was settled by the reader before: to be skipped. */
bool offsets_settled(struct offsets *o, const struct gm_record *rec);

/* Partitions given to this reader, with their committed notes: what
 * offsets_settled() skips. A note this version cannot read is warned of
 * and skips nothing. */
void offsets_assigned(struct offsets *o, const struct gm_kpartition *parts, size_t n);

/* Whether mark is of one of parts. */
bool offsets_in(const struct offsets *o, uint64_t mark, const struct gm_kpartition *parts,
	size_t n);

/* How a commit accepts a partition's records before offset before,
 * with note (NULL: none): gm_source_accept_partition()'s arguments. */
typedef void offsets_accept_fn(void *ctx, const char *topic, int32_t partition, int64_t before,
	const char *note);

/* Accepts through accept, for each partition this reader holds, its
 * records up to its first not settled in e, with the note of those after
 * it not settled either, when that changed since the last commit. */
void offsets_commit(struct offsets *o, const struct group_engine *e, offsets_accept_fn *accept,
	void *ctx);

/* Partitions taken from this reader: no longer committed for. */
void offsets_revoked(struct offsets *o, const struct gm_kpartition *parts, size_t n);

#endif

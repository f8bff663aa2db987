/* idset: a set of ids (byte strings): the ids a batch run has loaded,
 * so that a record seen twice counts once. While the ids come in
 * ascending order (bytes, then length: as a sequence of fixed width
 * does, and the rows of a table sorted by id), they are kept as a log,
 * each in the bytes it does not share with the one before (a few bytes
 * an id of a sequence, written in order), and compared exactly. The
 * first id out of order (an add or a look) turns the log into a table
 * of 128-bit fingerprints in slots of 16 bytes, whatever an id's
 * length, from 4/3 to 8/3 slots an id as the table doubles (21 to 43
 * bytes an id). Two ids share a fingerprint with a chance of about
 * n^2 / 2^129 (n = 10^9 ids: one in 10^20), which this accepts as
 * never. */
#ifndef GM_IDSET_H
#define GM_IDSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gm_idset;

/* An empty set. Dies (status 1) only when memory is exhausted, as every
 * add that grows it. */
struct gm_idset *gm_idset_new(void);
void gm_idset_free(struct gm_idset *s);  /* NULL is allowed */

/* Adds id[0..n); true when it was not there yet. */
bool gm_idset_add(struct gm_idset *s, const char *id, size_t n);

/* Starts loading where id[0..n) would be, so that an add or a look
 * soon after finds it in the cache (the table is larger than the
 * cache: each look is a miss); changes nothing. Returns the hash to
 * give gm_idset_add_hashed() for it: gm_hash(id, n) when the set is the
 * table, 0 while it is the log, which needs none (the id is hashed only
 * when that pays). */
uint64_t gm_idset_prefetch(const struct gm_idset *s, const char *id, size_t n);

/* gm_idset_prefetch() and gm_idset_add() for a caller that keeps the
 * id's hash h, gm_hash(id, n) (hash.h), from the one to the other:
 * the id is hashed once, not twice. h is that hash, or 0 to have it
 * made when the set needs it (gm_idset_prefetch()'s, while the set was
 * the log: adds made since may have turned it into the table). */
void gm_idset_prefetch_hashed(const struct gm_idset *s, uint64_t h);
bool gm_idset_add_hashed(struct gm_idset *s, const char *id, size_t n, uint64_t h);

/* Whether id[0..n) is there. A look before the last id added turns
 * an ordered set into the table, as an add would. */
bool gm_idset_has(struct gm_idset *s, const char *id, size_t n);

/* The number of ids. */
size_t gm_idset_size(const struct gm_idset *s);

#endif

/* busy: which users are shopping, or have just shopped, in event time.
 * A person keeps one session at a time and pauses between them; the shop
 * asks here before giving a new session to a user. Entries whose time
 * has passed are reused, so the table holds only the users of the open
 * sessions and of the last cooldown period. */
#ifndef GM_PRODUCE_BUSY_H
#define GM_PRODUCE_BUSY_H

#include <stdbool.h>
#include <stdint.h>

struct busy;

struct busy *busy_new(void);
void busy_free(struct busy *b);

/* When user is free at event time now, marks them busy until further
 * notice and returns true; returns false when they are busy. */
bool busy_claim(struct busy *b, uint64_t user, int64_t now);

/* Marks user busy until the given event time (INT64_MAX: until told
 * otherwise), e.g. the end of their session plus a pause. now lets the
 * table reuse entries that have expired. */
void busy_until(struct busy *b, uint64_t user, int64_t until, int64_t now);

#endif

/* busy: what the shop remembers of its recent customers, in event time:
 * who is shopping or has just shopped (a person keeps one session at a
 * time and pauses between them), and how many purchases each made lately
 * (anomalies that need a history pick customers who have one). An entry
 * lives until its user's memory ends; then its slot is reused, so the
 * table holds only the users of the last RETAIN period, whatever the
 * number of users. */
#ifndef GM_PRODUCE_BUSY_H
#define GM_PRODUCE_BUSY_H

#include <stdbool.h>
#include <stdint.h>

struct busy;

/* pause: how long, in ms of event time, a user starts no session after
 * one ended; retain: how long after that they are still remembered. */
struct busy *busy_new(int64_t pause, int64_t retain);
void busy_free(struct busy *b);

/* When user is free at event time now, marks them busy until further
 * notice, sets *purchases to their recent purchases and returns true;
 * returns false when they are busy. */
bool busy_claim(struct busy *b, uint64_t user, int64_t now, int *purchases);

/* Starts fetching user's entry into the cache, for a claim soon. */
void busy_prefetch(const struct busy *b, uint64_t user);

/* The user's session ended at now, with purchases more purchases: busy
 * until now + pause, remembered until now + pause + retain. Calls come
 * in time order: now never goes back, here or in busy_claim(). */
void busy_release(struct busy *b, uint64_t user, int64_t now, int purchases);

#endif

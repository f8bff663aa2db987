/* deliver: gm-notify's delivery, apart from the engine that decides
 * what to send. Each integration (a receiver's email, Slack, webhook,
 * SMS or file config) has a worker thread that delivers its
 * notifications in order, one at a time, so that a slow or paused
 * endpoint holds up only its own: it waits for the receiver's rate
 * limit (a token bucket shared by the receiver's integrations), makes an
 * attempt (send.h), and on an answer that may pass waits and tries
 * again: the delay the server asked for (Retry-After, at least the first
 * backoff), which pauses every config of the receiver, or else a capped
 * exponential backoff with jitter, until the receiver's retry_for from
 * the first attempt has gone by (a wait that would end past it gives up
 * at once). What comes of each notification goes back to the caller's
 * thread, which owns the engine, the log and the dead-letter file. */
#ifndef GM_NOTIFY_DELIVER_H
#define GM_NOTIFY_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "note.h"

struct deliver_opts {
	long long retry_for_ms;    /* for receivers whose retry_for is -1 */
	long long timeout_ms;      /* one attempt's limit (send_options) */
	long long backoff_ms;      /* the first wait after a failed attempt */
	long long backoff_max_ms;  /* the longest */
};

/* What came of one notification. */
struct deliver_result {
	struct note *note;         /* as pushed; the caller's again, to free() */
	bool delivered;            /* false: given up on (why says why) */
	unsigned attempts;
	char why[256];             /* the last failure, when not delivered */
};

struct deliver;

/* Delivery for the receivers of c (the caller's, live as long as this).
 * Dies only when memory or threads are exhausted. */
struct deliver *deliver_new(const struct conf *c, const struct deliver_opts *o);

/* Queues n (from note_share() or note_dup(); taken) for its integration, behind the
 * ones queued before it. */
void deliver_push(struct deliver *d, struct note *n);

/* Moves up to max results into out, oldest first; returns how many
 * (0 when none is ready). Never waits. */
size_t deliver_take(struct deliver *d, struct deliver_result *out, size_t max);

/* Waits until a result is ready or until the monotonic clock
 * (clock.h's gm_now_ms) reaches until_ms, whichever is first. */
void deliver_wait(struct deliver *d, int64_t until_ms);

/* Notifications pushed whose results have not been taken. */
size_t deliver_pending(const struct deliver *d);

/* Stops the workers: each ends its attempt in progress (within the
 * timeout), reports what came of it, and gives up waiting. Returns when
 * all have stopped; the results stay to be taken. The notifications
 * left in the queues stay there, undelivered: the engine's log has them
 * in flight, for the next run. Later pushes are queued, never sent. */
void deliver_stop(struct deliver *d);

/* deliver_stop(), then frees d, with the notifications still queued and
 * the results not taken. NULL is ignored. */
void deliver_free(struct deliver *d);

#endif

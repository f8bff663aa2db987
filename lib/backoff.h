/* backoff: the waits between tries at a server that does not answer, as
 * DESIGN.md has every tool wait: capped exponential backoff with jitter,
 * 100 ms doubling to 5 s, each wait drawn from the upper half of the
 * current step, for at most a retry time from the first failure. A
 * signal that asks the run to stop (gm_stopping()) ends the waiting. */
#ifndef GM_BACKOFF_H
#define GM_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

struct gm_backoff {
	long long retry_ms;  /* how long to keep trying after a first failure */
	double began;        /* gm_now_seconds() at the first failure; 0: none */
	long long step_ms;
	long long max_ms;    /* the longest wait: 5 s, or gm_backoff_cap()'s */
	uint64_t rng;
};

/* Ready to count failures, for retry_ms (<= 0: no retry at all). */
void gm_backoff_init(struct gm_backoff *b, long long retry_ms);

/* Caps each wait at max_ms (> 0), for what is free again any moment
 * rather than down (a lock another run holds): a wait of 5 s would
 * mostly be lost. */
void gm_backoff_cap(struct gm_backoff *b, long long max_ms);

/* Records a failed try. Returns true when it is the first since
 * gm_backoff_init(): the caller says once that it is retrying. */
bool gm_backoff_failed(struct gm_backoff *b);

/* Sleeps until the next try and returns true; or returns false at once
 * when the retry time is up or a signal asked the run to stop. */
bool gm_backoff_wait(struct gm_backoff *b);

/* Seconds since the first failure; 0 while there was none. */
double gm_backoff_elapsed(const struct gm_backoff *b);

#endif

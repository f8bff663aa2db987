/* clock: the monotonic clock, as the tools read it for rates, pacing
 * and timeouts (never for event time, which records carry); and the
 * wall clock, for what a tool stamps with the time it runs. */
#ifndef GM_CLOCK_H
#define GM_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* CLOCK_MONOTONIC in seconds. */
double gm_now_seconds(void);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t gm_now_ms(void);

/* CLOCK_MONOTONIC_COARSE in milliseconds: a few nanoseconds a call, a
 * few milliseconds coarse; for checks on every record. */
int64_t gm_now_coarse_ms(void);

/* A condition whose timed waits read CLOCK_MONOTONIC, as gm_now_ms()
 * does, so that a change of the wall clock moves no deadline. */
void gm_cond_init(pthread_cond_t *cv);

/* ms, a gm_now_ms() time, as pthread_cond_timedwait() takes it for a
 * condition made by gm_cond_init(). */
struct timespec gm_mono_at(int64_t ms);

/* CLOCK_REALTIME in milliseconds since 1970 (UTC). */
int64_t gm_wall_ms(void);

#endif

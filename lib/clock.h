/* clock: the monotonic clock, as the tools read it for rates, pacing
 * and timeouts (never for event time, which records carry); and the
 * wall clock, for what a tool stamps with the time it runs. */
#ifndef GM_CLOCK_H
#define GM_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in seconds. */
double gm_now_seconds(void);

/* CLOCK_MONOTONIC in milliseconds. */
int64_t gm_now_ms(void);

/* CLOCK_MONOTONIC_COARSE in milliseconds: a few nanoseconds a call, a
 * few milliseconds coarse; for checks on every record. */
int64_t gm_now_coarse_ms(void);

/* CLOCK_REALTIME in milliseconds since 1970 (UTC). */
int64_t gm_wall_ms(void);

#endif

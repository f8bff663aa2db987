/* backoff: see backoff.h. */
#include "backoff.h"

#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"

#define FIRST_MS 100
#define MAX_MS 5000

void gm_backoff_init(struct gm_backoff *b, long long retry_ms)
{
	b->retry_ms = retry_ms > 0 ? retry_ms : 0;
	b->began = 0;
	b->step_ms = FIRST_MS;
	b->max_ms = MAX_MS;
	/* Jitter differs between processes and handles, so that clients
	 * that failed together do not come back together. */
	b->rng = ((uint64_t)time(NULL) << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)b;
	if (!b->rng)
		b->rng = 1;
}

void gm_backoff_cap(struct gm_backoff *b, long long max_ms)
{
	if (max_ms < 2)
		max_ms = 2;  /* a wait of half a step is never 0 ms */
	b->max_ms = max_ms;
	if (b->step_ms > max_ms)
		b->step_ms = max_ms;
}

bool gm_backoff_failed(struct gm_backoff *b)
{
	if (b->began > 0)
		return false;
	b->began = gm_now_seconds();
	return true;
}

bool gm_backoff_wait(struct gm_backoff *b)
{
	double left_ms = (b->began - gm_now_seconds()) * 1e3 + (double)b->retry_ms;
	if (left_ms <= 0 || gm_stopping())
		return false;
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	double wait = (double)(b->step_ms / 2 + (long long)(b->rng % (uint64_t)(b->step_ms / 2 + 1)));
	if (wait > left_ms)
		wait = left_ms;
	long long ms = (long long)wait;
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);  /* a signal cuts it short: the next call sees it */
	b->step_ms = b->step_ms * 2 > b->max_ms ? b->max_ms : b->step_ms * 2;
	return !gm_stopping();
}

double gm_backoff_elapsed(const struct gm_backoff *b)
{
	return b->began > 0 ? gm_now_seconds() - b->began : 0;
}

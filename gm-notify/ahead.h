/* ahead: the alerts of files or stdin read, parsed and copied out
 * (intake.h) in a thread of their own, in batches, while the main
 * thread runs the engine: reading was a fifth of the main thread's time,
 * and the machine's second core idle for it. Kafka is read by the main
 * thread: its rebalance callbacks run in the read and touch the engine.
 *
 * The thread owns the source from ahead_start() to ahead_stop(): it
 * rejects what intake_read() refuses (gm_source_reject()), and adds to
 * gm_counts' in and rejected, which nothing else writes then. */
#ifndef GM_NOTIFY_AHEAD_H
#define GM_NOTIFY_AHEAD_H

#include <stddef.h>

#include "note.h"
#include "source.h"

/* Alerts in the order read; their strings are the batch's until
 * ahead_done(). end says how the reading stood after the last:
 *   GM_NEXT_RECORD  more to come (the batch filled, or the input paused)
 *   GM_NEXT_END     the input ended, or a signal asked to stop
 *   GM_NEXT_ERROR   a fatal input error, reported (gm_source_next_event())
 * after which no batch comes. */
struct ahead_batch {
	const struct note_alert *alerts;
	size_t n;
	enum gm_next end;
};

struct ahead;

/* Starts reading src, which the thread owns until ahead_stop(). idle_ms
 * bounds each wait for input, so that a stop is seen that soon. Dies when
 * the thread cannot start. */
struct ahead *ahead_start(struct gm_source *src, int idle_ms);

/* The next batch, waiting at most wait_ms for one (0: only one already
 * there); NULL when none came. Batches come in the order read; the one
 * returned is the caller's until ahead_done(). */
const struct ahead_batch *ahead_next(struct ahead *a, int wait_ms);

/* Gives back the batch ahead_next() returned, to be filled again. */
void ahead_done(struct ahead *a);

/* Stops the reading (at most idle_ms later when it waits for input),
 * waits for the thread and frees a; the source is the caller's again.
 * NULL is ignored. */
void ahead_stop(struct ahead *a);

#endif

/* stats: a tool's reports on itself, for gm-metrics. With --stats OUT
 * (a file, "-" or "kafka:TOPIC") a thread of its own writes a `stats`
 * record (gm-events(5)) every --stats-every (default 10 s): the counts
 * of counts.h, the tool's own values (gm_stats_value()), its name and an instance id; and the
 * run's end writes a last one, marked final, whose counts are those of
 * the summary line. The main thread pays nothing for it but what it
 * already does: counts and values are stored with relaxed atomics
 * that the stats thread only reads. */
#ifndef GM_STATS_H
#define GM_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "cli.h"

#define GM_STATS_EVERY_MS 10000
#define GM_STATS_MAX_VALUES 16
#define GM_STAT_NAME_MAX 48

/* One number the tool reports beside its counts, by its name: a count
 * since the start when the name ends in "_total" (notifications_total),
 * which never goes down; else a level now (open_sessions,
 * consumer_lag), as Prometheus names its counters and gauges. */
struct gm_stat {
	char name[GM_STAT_NAME_MAX];
	_Atomic int64_t value;
	_Atomic bool set;        /* given a value yet: only those are written */
};

/* Starts the reports when c->stats names an output; --stats-every
 * without --stats is a usage error (status 2, with usage). Opens the
 * output at once as gm_sink_open() does (Kafka: waits for a broker for
 * --retry-for, then exits 75; a file that cannot be opened exits 1);
 * PostgreSQL is refused (status 2): stats have no table
 * (gm_sink_open_internal()). Call once,
 * after the options and before reading. Without --stats, nothing. */
void gm_stats_start(const struct gm_common *c, const char *usage);

/* The value called name (copied; cut to GM_STAT_NAME_MAX - 1 bytes),
 * made at its first call, for the main thread to set with gm_stat_set(); a value
 * never set is left out of the records. At most GM_STATS_MAX_VALUES
 * names: a later one shares a static slot that is never written.
 * Usable whether or not --stats was given. */
struct gm_stat *gm_stats_value(const char *name);

static inline void gm_stat_set(struct gm_stat *g, int64_t v)
{
	atomic_store_explicit(&g->value, v, memory_order_relaxed);
	atomic_store_explicit(&g->set, true, memory_order_relaxed);
}

/* The end of the reports: stops the thread, writes the last record
 * (final) with the counts as they are now, flushes and closes the
 * output. gm_finish() calls it once the outputs and the input are
 * closed, so that the record's counts are the summary's. Returns
 * GM_EXIT_OK, or the output's failure (gm_sink_close()). Without
 * --stats, GM_EXIT_OK. */
int gm_stats_finish(void);

#endif

/* finish: the end of every gm tool's run, in one order: the outputs
 * closed (flushed, delivered, committed), then the input (a Kafka
 * consumer commits and leaves its group), then the rejects file, then
 * the last stats record; the exit status the worst of all; the summary
 * line. */
#ifndef GM_FINISH_H
#define GM_FINISH_H

#include <stddef.h>

#include "cli.h"

struct gm_sink;
struct gm_source;

/* Closes the n sinks, the last listed first (list them in the order
 * they were opened), then src. A sink listed twice, as when two options
 * name one output (gm-txmon's -o - -a -), is closed once, at its first
 * place in the list. NULL sinks, and a NULL src, are skipped. Returns
 * the worst of the statuses of gm_sink_close() and gm_source_close()
 * (gm_exit_worse()). A tool that could not open all it needs calls this
 * alone; others call gm_finish(). */
int gm_close_io(struct gm_sink *const *sinks, size_t n, struct gm_source *src);

/* The end of a run whose status so far is status: gm_close_io(), then
 * gm_rejects_close() (a failed write to the rejects file is status 1),
 * then gm_stats_finish() (the last stats record), then, unless
 * c->quiet, gm_counts_summary(); frees c->props. Returns
 * the exit status of the run, the worst of all these. */
int gm_finish(struct gm_common *c, int status, struct gm_sink *const *sinks,
	size_t n, struct gm_source *src);

#endif

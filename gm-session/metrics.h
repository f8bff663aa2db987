/* metrics: session metrics per tumbling event-time window and country
 * (and "*", all countries), as session_metric records (gm-events(5)).
 *
 * The counts come from the rules' tallies, each in the window of its
 * time. A window's cells are state store entries, keyed by partition,
 * window and country, saved with the rules' state at each checkpoint,
 * so that what was tallied before a crash is not lost with the windows
 * (the tallies come from timers, which a replay of the input does not
 * fire again). Each cell's timer is its window's end: when the
 * watermark passes it, the cell is written and forgotten. */
#ifndef GM_SESSION_METRICS_H
#define GM_SESSION_METRICS_H

#include <stdint.h>

#include "store.h"
#include "tally.h"
#include "writer.h"

struct metrics;

/* The state store of the cells (gm_streams_store()); max_cells its cap. */
struct gm_store_spec metrics_store_spec(size_t max_cells);

/* Metrics over windows of window ms, in cells (made from
 * metrics_store_spec(); not owned), written to out. */
struct metrics *metrics_new(int64_t window, struct gm_store *cells,
	const struct gm_output *out);
void metrics_free(struct metrics *m);

/* Adds t to its country's cell and to "*" of the window holding t->at,
 * in partition p (the tally_output of the rules). */
void metrics_add(struct metrics *m, const struct part *p, const struct tally *t);

/* A cell's timer came (its store's spec.due): it is written, as of
 * partition p, and forgotten. */
void metrics_due(struct metrics *m, const char *key, size_t klen, void *value,
	const struct part *p);

#endif

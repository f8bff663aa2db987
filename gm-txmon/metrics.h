/* metrics: revenue per event-time window, per country and per category,
 * with the totals over each ("*"). A window's state holds one cell per
 * (country, category) seen; a transaction adds its total to its
 * country's cells and each item to its category's. */
#ifndef GM_TXMON_METRICS_H
#define GM_TXMON_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "hll.h"
#include "writer.h"

/* Names beyond these many distinct countries or categories are counted
 * under "(other)". */
#define MAX_COUNTRIES 63
#define MAX_CATEGORIES 255

struct cell {
	uint16_t country, category;   /* ids; ALL for the total over them */
	int64_t revenue;              /* cents */
	uint64_t transactions, units;
	struct gm_hll users;
};

/* A window's state (a gm_windows state block). */
struct window_cells {
	uint16_t *slot;               /* (country, category) -> cell + 1, 0: none */
	struct cell *cells;           /* kept across windows, reused */
	size_t ncells, cap;
	size_t nkept;                 /* cells[0..nkept) hold a sketch, kept
	                               * for reuse: the most cells ever taken */
	int64_t most_revenue;         /* the largest of the cells' sums */
	uint64_t most_units;
};

/* Prepares a window's state, fresh or recycled, for a new window. */
void metrics_open(struct window_cells *w);

/* Frees what a state block holds (gm_windows_free release callback). */
void metrics_release(void *state);

/* A transaction as its windows take it, worked out once for all of
 * them: its country and user, its total, and its revenue and units per
 * category (at most MAX_TX_CATEGORIES; a bigger basket folds the rest
 * into the last). */
#define MAX_TX_CATEGORIES 64
struct metrics_share {
	uint16_t id;
	int64_t revenue;
	uint64_t units;
};
struct metrics_tx {
	uint16_t country;
	uint64_t user;                /* gm_hash() of user_id */
	int64_t total;                /* total_amount, cents */
	uint64_t units;
	int64_t most;                 /* the most it adds to one cell */
	size_t ncat;
	struct metrics_share cat[MAX_TX_CATEGORIES];
};

/* Works out m from a valid transaction. */
void metrics_prepare(struct metrics_tx *m, const struct gm_event *tx);

/* False when adding m to w would take one of w's revenues past
 * GM_MONEY_MAX_TOTAL (money.h) or its units past 64 bits: an impossible
 * total, which the caller reports instead of adding m anywhere. */
bool metrics_fits(const struct window_cells *w, const struct metrics_tx *m);

/* Adds m to a window; metrics_fits() must have said it fits. */
void metrics_add(struct window_cells *w, const struct metrics_tx *m);

/* Writes a window's sales_metric records to out, keyed by metric_id,
 * in order of country then category, "*" first. partition: the Kafka
 * partition the window's records came from (put into the metric id),
 * or NULL. */
void metrics_write(struct window_cells *w, int64_t start, int64_t end,
	const char *partition, const struct gm_output *out);

#endif

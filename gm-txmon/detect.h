/* detect: explainable anomaly rules over transactions, each alert with
 * its reason code and the numbers behind it (see gm-txmon(1)):
 *
 *   amount_above_baseline  the amount is far above the user's own usual
 *                          (z-score of log amount against an EWMA
 *                          baseline, after a minimum history)
 *   high_value             the amount is above an absolute threshold
 *   velocity               too many transactions by one user in a period;
 *                          the first alert names the earlier ones too
 *   country_mismatch       a country unlike the user's usual one
 *
 * Per-user state lives in a map with a hard cap (least recently used
 * users are forgotten first) and is reset after a time to live. */
#ifndef GM_TXMON_DETECT_H
#define GM_TXMON_DETECT_H

#include <stdint.h>

#include "event.h"
#include "store.h"
#include "writer.h"

#define VELOCITY_MAX 16   /* largest --velocity count */

struct detect_options {
	double z_threshold;       /* amount_above_baseline: z at least this */
	double min_ratio;         /*   and the amount this many times the baseline */
	int min_history;          /* transactions before the user's own rules apply */
	int64_t high_value;       /* cents */
	int velocity_count;       /* this many transactions ... */
	int64_t velocity_period;  /* ... within this many ms */
	size_t max_users;
	int64_t user_ttl;         /* ms of event time */
};

/* Where alerts go: begin() gives the writer to build one on, emit()
 * hands it over keyed by user_id. */
struct alert_output {
	struct gm_writer *(*begin)(void *ctx);
	void (*emit)(void *ctx, const char *key, size_t klen);
	void *ctx;
};

struct detector;

/* The store the detector keeps its users in (gm_streams_store()). */
struct gm_store_spec detect_store_spec(const struct detect_options *o);

/* A detector keeping its per-user state in users (made from
 * detect_store_spec(o)), which it does not own. */
struct detector *detect_new(const struct detect_options *o,
	const struct alert_output *out, struct gm_store *users);
void detect_free(struct detector *d);

/* Runs the rules on one transaction at `at` and learns from it, unless
 * its user's state already holds it (a replay after a restart). With
 * write false (learn only: an earlier run wrote its alerts) the rules
 * decide the same, so the state learns the same, but no alert is
 * written. Returns the number of alerts decided. */
int detect(struct detector *d, const struct gm_event *tx, struct gm_store_at at,
	bool write);

/* Starts loading what detect() will first read of tx's user, so that
 * work done between the two hides the wait; changes nothing. */
void detect_prefetch(const struct detector *d, const struct gm_event *tx);


#endif

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
 * Per-user state lives in a state store (store.h) with a hard cap
 * (least recently used users are forgotten first), saved with the
 * run's checkpoints, and is reset after a time to live. */
#ifndef GM_TXMON_DETECT_H
#define GM_TXMON_DETECT_H

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "event.h"
#include "store.h"

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

struct detector;

/* The state store a detector keeps its users in (gm_streams_store()). */
struct gm_store_spec detect_store_spec(const struct detect_options *o);

/* A detector whose alerts go to out, each keyed by its user_id, and
 * whose users live in users (made from detect_store_spec(o); not owned). */
struct detector *detect_new(const struct detect_options *o,
	const struct gm_output *out, struct gm_store *users);
void detect_free(struct detector *d);

enum detect_mode {
	DETECT_ALERT,       /* write the alerts decided */
	DETECT_LEARN_ONLY,  /* a record whose alerts were written before
	                       (a replay): learn as DETECT_ALERT does, so
	                       that the state is the same, write nothing */
};

/* Runs the rules on the transaction read at `at`, and learns from it
 * unless an alert made it unusual; does nothing when the user's state
 * already holds it (a replay after a restart: gm_store_update()).
 * Returns the number of alerts decided: written in DETECT_ALERT mode,
 * not even built in DETECT_LEARN_ONLY mode. */
int detect(struct detector *d, const struct gm_event *tx, struct gm_store_at at,
	enum detect_mode mode);

/* Starts loading what detect() will first read of tx's user, so that
 * work done between the two hides the wait; changes nothing. */
void detect_prefetch(const struct detector *d, const struct gm_event *tx);

#endif

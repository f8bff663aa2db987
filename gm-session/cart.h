/* cart: users' carts, their abandonment and recovery (see gm-session(1)).
 *
 * A cart holds, per product, the units added less those removed, taken
 * in event-time order: cart events and transactions wait in the user's
 * entry until the watermark passes them, then apply in order of time
 * (ties: cart events first, then by id). A remove takes at most what
 * the line holds; a transaction empties the cart. A cart still holding
 * units abandon_after past its last cart event is abandoned: a
 * cart_abandoned alert. A transaction within recover_within of that
 * which buys one of the abandoned products is its recovery: a
 * cart_recovered alert. Each user's cart lives in a state store entry
 * keyed by user_id, with one timer: the next of a waiting record, the
 * abandonment, and the end of the wait for a recovery. A user with an
 * empty cart, nothing waiting and no abandonment pending is forgotten;
 * so is an abandoned cart not recovered in time. */
#ifndef GM_SESSION_CART_H
#define GM_SESSION_CART_H

#include <stdint.h>

#include "alert.h"
#include "event.h"
#include "store.h"
#include "tally.h"

struct cart_options {
	int64_t abandon_after;     /* ms */
	int64_t recover_within;    /* ms */
	size_t max_users;          /* the store's cap */
};

struct carts;

/* The state store the carts live in (gm_streams_store()). */
struct gm_store_spec carts_store_spec(const struct cart_options *o);

/* Where a cart learns its user's country when a cart event applies
 * (they have none of their own): that of the user's session holding
 * time ts, or NULL. A transaction's is its own. */
struct cart_country {
	const char *(*of)(void *ctx, const char *user, size_t ulen, int64_t ts);
	void *ctx;
};

/* Carts in store (made from carts_store_spec(o); not owned), alerting
 * to out (keyed by user_id) and tallying to tally. */
struct carts *carts_new(const struct cart_options *o, struct gm_store *store,
	const struct gm_output *out, const struct tally_output *tally,
	const struct cart_country *country);
void carts_free(struct carts *c);

/* A cart event or transaction at `at` waits in its user's entry for the
 * watermark; nothing when the entry already holds it (a replay). */
void carts_event(struct carts *c, const struct gm_event *ev, struct gm_store_at at);

/* The timer of a user's entry came (its store's spec.due). */
void carts_due(struct carts *c, const char *key, size_t klen, void *value, int64_t due,
	const struct part *p);

/* Records that had to be applied before the watermark passed them (a
 * user sending more than the entry holds within the lateness), and
 * products beyond what is kept (LINE_MAX in a cart, TX_LINES of a
 * transaction waiting, abandoned ones first): counts, for the summary. */
uint64_t carts_hurried(const struct carts *c);
uint64_t carts_overfull(const struct carts *c);

/* Abandonments that gave way to a newer one before their wait for a
 * recovery ended (a cart keeps two waiting). */
uint64_t carts_superseded(const struct carts *c);

#endif

/* cart: see cart.h. */
#include "cart.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "map.h"
#include "mem.h"
#include "money.h"
#include "session.h"

#define LINE_MAX 16            /* products in a cart */
#define WAIT_MAX 8             /* records waiting for the watermark */
#define TX_LINES 4             /* a waiting transaction's lines kept */
#define ABANDON_MAX 2          /* abandonments waiting for a recovery */

enum { W_ADD, W_REMOVE, W_TX };   /* the order of kinds at one time */

struct line {
	uint64_t product;          /* gm_hash() of its id */
	int64_t units;
	int64_t price;             /* cents, of its last cart event */
};

struct bought {
	uint64_t product;
	int64_t amount;            /* cents */
};

/* A record waiting for the watermark. */
struct waiting {
	int64_t ts;
	uint64_t order;            /* gm_hash() of its id, for ties */
	uint8_t kind;
	uint8_t nbought;
	char client[SESSION_ID_MAX + 1];
	char country[SESSION_NAME_MAX + 1];   /* W_TX: its own */
	struct line change;        /* W_ADD, W_REMOVE */
	struct bought bought[TX_LINES];  /* W_TX: the lines that may
	                              recover an abandoned cart */
};

/* A cart abandoned, waiting for its recovery until at + recover_within. */
struct abandonment {
	int64_t at;
	uint8_t nproducts;
	uint64_t products[LINE_MAX];
};

/* A user's entry: no pointers, saved as its bytes (store.h). */
struct cart {
	int64_t due;               /* the store's timer */
	int64_t abandon_at;        /* GM_STORE_NEVER: none coming */
	int64_t last_change;       /* of the last cart event applied */
	char client[SESSION_ID_MAX + 1];     /* of the last cart event */
	char country[SESSION_NAME_MAX + 1];
	uint8_t nlines, nwaiting, nabandoned;
	struct line lines[LINE_MAX];
	struct abandonment abandoned[ABANDON_MAX];   /* oldest first */
	struct waiting waiting[WAIT_MAX];    /* by time, kind, order */
};

struct carts {
	struct cart_options o;
	struct gm_store *store;
	struct gm_output out;
	struct tally_output tally;
	struct cart_country country;
	uint64_t hurried, overfull, superseded;
};

struct gm_store_spec carts_store_spec(const struct cart_options *o)
{
	return (struct gm_store_spec){
		.name = "carts", .version = 2, .value_size = sizeof(struct cart),
		.max_entries = o->max_users, .due_at = GM_STORE_DUE(struct cart, due),
	};
}

struct carts *carts_new(const struct cart_options *o, struct gm_store *store,
	const struct gm_output *out, const struct tally_output *tally,
	const struct cart_country *country)
{
	struct carts *c = gm_xcalloc(1, sizeof *c);
	c->o = *o;
	c->store = store;
	c->out = *out;
	c->tally = *tally;
	c->country = *country;
	return c;
}

void carts_free(struct carts *c)
{
	free(c);
}

uint64_t carts_hurried(const struct carts *c)
{
	return c->hurried;
}

uint64_t carts_overfull(const struct carts *c)
{
	return c->overfull;
}

uint64_t carts_superseded(const struct carts *c)
{
	return c->superseded;
}

static uint64_t hash_of(gm_str s)
{
	return gm_hash(s.p, s.n);
}

static bool earlier(const struct waiting *a, const struct waiting *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->order < b->order;
}

static struct line *line_of(struct cart *k, uint64_t product)
{
	for (size_t i = 0; i < k->nlines; i++)
		if (k->lines[i].product == product)
			return &k->lines[i];
	return NULL;
}

/* The product is in the cart, or waiting to be added. */
static bool in_cart(struct cart *k, uint64_t product)
{
	if (line_of(k, product))
		return true;
	for (size_t j = 0; j < k->nwaiting; j++)
		if (k->waiting[j].kind == W_ADD && k->waiting[j].change.product == product)
			return true;
	return false;
}

static bool in_abandonment(const struct abandonment *a, uint64_t product)
{
	for (size_t i = 0; i < a->nproducts; i++)
		if (a->products[i] == product)
			return true;
	return false;
}

static bool abandoned_product(const struct cart *k, uint64_t product)
{
	for (size_t i = 0; i < k->nabandoned; i++)
		if (in_abandonment(&k->abandoned[i], product))
			return true;
	return false;
}

static void drop_abandonment(struct cart *k, size_t i)
{
	memmove(&k->abandoned[i], &k->abandoned[i + 1], (k->nabandoned - i - 1) * sizeof *k->abandoned);
	k->nabandoned--;
}

/* The next thing due: a waiting record, the abandonment, the end of
 * the wait for a recovery. */
static int64_t next_due(const struct carts *c, const struct cart *k)
{
	int64_t due = k->nwaiting ? k->waiting[0].ts : GM_STORE_NEVER;
	if (k->abandon_at < due)
		due = k->abandon_at;
	if (k->nabandoned > 0 && k->abandoned[0].at + c->o.recover_within < due)
		due = k->abandoned[0].at + c->o.recover_within;
	return due;
}

/* ---- the record arrives: it waits ---- */

/* Adds a line to what waiting transaction w buys: a product bought on
 * two lines is one; beyond TX_LINES products, counted (carts_overfull). */
static void buy(struct carts *c, struct waiting *w, uint64_t product, int64_t amount)
{
	for (size_t i = 0; i < w->nbought; i++) {
		if (w->bought[i].product == product) {
			if (!gm_money_add(w->bought[i].amount, amount, &w->bought[i].amount))
				w->bought[i].amount = GM_MONEY_MAX_TOTAL;
			return;
		}
	}
	if (w->nbought < TX_LINES)
		w->bought[w->nbought++] = (struct bought){ product, amount };
	else
		c->overfull++;
}

static void apply(struct carts *c, const char *user, size_t ulen, struct cart *k,
	const struct waiting *w, const struct part *p);

void carts_event(struct carts *c, const struct gm_event *ev, struct gm_store_at at)
{
	enum gm_store_got got;
	struct cart *k = gm_store_update(c->store, ev->user_id.p, ev->user_id.n, at, &got);
	if (!k || got == GM_STORE_APPLIED)
		return;
	if (got == GM_STORE_NEW) {
		k->abandon_at = GM_STORE_NEVER;
		k->last_change = INT64_MIN;
	}
	struct waiting w = { .ts = ev->ts, .order = hash_of(ev->id) };
	gm_str_copy(ev->session_id, w.client, sizeof w.client);
	if (ev->type == GM_CART_EVENT) {
		w.kind = ev->action.n == 3 ? W_ADD : W_REMOVE;
		w.change = (struct line){ hash_of(ev->product_id), ev->quantity, ev->unit_price };
	} else {
		/* Its lines that may recover an abandoned cart when it applies:
		 * products abandoned first, then those in the cart or waiting
		 * to be (which an abandonment before it applies may take). */
		w.kind = W_TX;
		gm_str_copy(ev->country, w.country, sizeof w.country);
		for (int pass = 0; pass < 2; pass++) {
			for (size_t i = 0; i < ev->nitems; i++) {
				uint64_t h = hash_of(ev->items[i].product_id);
				if (abandoned_product(k, h) ? pass == 0 : pass == 1 && in_cart(k, h))
					buy(c, &w, h, ev->items[i].amount);
			}
		}
	}
	if (k->nwaiting == WAIT_MAX) {
		/* No room to wait: the oldest applies now. */
		struct waiting first = k->waiting[0];
		memmove(&k->waiting[0], &k->waiting[1], (WAIT_MAX - 1) * sizeof *k->waiting);
		k->nwaiting--;
		c->hurried++;
		const struct part p = { at.partition, NULL };
		apply(c, ev->user_id.p, ev->user_id.n, k, &first, &p);
	}
	size_t i = k->nwaiting;
	while (i > 0 && earlier(&w, &k->waiting[i - 1])) {
		k->waiting[i] = k->waiting[i - 1];
		i--;
	}
	k->waiting[i] = w;
	k->nwaiting++;
	gm_store_wake_at(c->store, k, next_due(c, k));
}

/* ---- in event time ---- */

static const char *known(const char *country)
{
	return country[0] ? country : "unknown";
}

static void tally(struct carts *c, const struct part *p, const char *country, int64_t at,
	uint32_t checkouts, uint32_t abandoned, uint32_t recovered)
{
	const struct tally t = {
		.at = at, .country = known(country),
		.checkouts = checkouts, .abandoned = abandoned, .recovered = recovered,
	};
	c->tally.add(c->tally.ctx, p, &t);
}

/* The alert of rule about the abandonment of k, at ts, with the labels
 * every cart alert has; the caller adds the numbers. */
static struct gm_writer *alert_begin(struct carts *c, const char *user, size_t ulen,
	int64_t abandoned_at, const char *rule, const char *client, const char *country,
	int64_t ts, const char *summary)
{
	country = known(country);
	char subject[GM_MAP_KEY_MAX + 32];
	int n = snprintf(subject, sizeof subject, "%.*s/%lld", (int)ulen, user,
		(long long)abandoned_at);
	const struct gm_alert_label labels[] = {
		{ "user_id", { user, ulen } },
		{ "session_id", { client, strlen(client) } },
		{ "country", { country, strlen(country) } },
	};
	const struct gm_alert a = {
		.source = "gm-session", .rule = rule, .subject = { subject, (size_t)n },
		.kind = rule, .severity = GM_ALERT_INFO, .ts = ts, .summary = summary,
		.labels = labels, .nlabels = 3,
	};
	return gm_alert_begin(&c->out, &a);
}

static void abandon(struct carts *c, const char *user, size_t ulen, struct cart *k,
	const struct part *p)
{
	int64_t at = k->abandon_at, units = 0, value = 0;
	k->abandon_at = GM_STORE_NEVER;
	if (k->nlines == 0)
		return;
	for (size_t i = 0; i < k->nlines; i++) {
		int64_t v;
		units += k->lines[i].units;
		if (!gm_money_mul(k->lines[i].price, k->lines[i].units, &v)
		    || !gm_money_add(value, v, &value))
			value = GM_MONEY_MAX_TOTAL;
	}
	/* It waits for its recovery; the oldest waiting gives way. */
	if (k->nabandoned == ABANDON_MAX) {
		drop_abandonment(k, 0);
		c->superseded++;
	}
	struct abandonment *a = &k->abandoned[k->nabandoned++];
	a->at = at;
	a->nproducts = k->nlines;
	for (size_t i = 0; i < k->nlines; i++)
		a->products[i] = k->lines[i].product;
	char summary[192];
	snprintf(summary, sizeof summary, "%.*s left %lld unit%s worth $%lld.%02lld in their cart",
		(int)ulen, user, (long long)units, units == 1 ? "" : "s",
		(long long)(value / 100), (long long)(value % 100));
	struct gm_writer *w = alert_begin(c, user, ulen, at, "cart_abandoned", k->client, k->country,
		at, summary);
	GM_W_KU64(w, "items", k->nlines);
	GM_W_KI64(w, "units", units);
	GM_W_KMONEY(w, "value", value);
	gm_alert_emit(&c->out, w, user, ulen);
	tally(c, p, k->country, at, 0, 1, 0);
}

/* Whether transaction w recovers abandonment a: it comes after, within
 * the wait, and buys one of its products; if so, the alert says so. */
static bool recovers(struct carts *c, const char *user, size_t ulen,
	const struct abandonment *a, const struct waiting *w, const struct part *p)
{
	if (w->ts <= a->at || w->ts > a->at + c->o.recover_within)
		return false;
	int64_t value = 0;
	size_t matched = 0;
	for (size_t i = 0; i < w->nbought; i++) {
		if (!in_abandonment(a, w->bought[i].product))
			continue;
		matched++;
		if (!gm_money_add(value, w->bought[i].amount, &value))
			value = GM_MONEY_MAX_TOTAL;
	}
	if (matched == 0)
		return false;
	double minutes = (double)(w->ts - a->at) / 60000.0;
	char summary[192];
	snprintf(summary, sizeof summary, "%.*s came back and bought $%lld.%02lld of their abandoned cart",
		(int)ulen, user, (long long)(value / 100), (long long)(value % 100));
	struct gm_writer *aw = alert_begin(c, user, ulen, a->at, "cart_recovered", w->client,
		w->country, w->ts, summary);
	GM_W_KMONEY(aw, "recovered_value", value);
	GM_W_KEY(aw, "minutes_to_recover");
	gm_w_double(aw, minutes);
	gm_alert_emit(&c->out, aw, user, ulen);
	tally(c, p, w->country, w->ts, 0, 0, 1);
	return true;
}

static void checkout(struct carts *c, const char *user, size_t ulen, struct cart *k,
	const struct waiting *w, const struct part *p)
{
	if (k->nlines > 0)
		tally(c, p, w->country, w->ts, 1, 0, 0);
	k->nlines = 0;
	k->abandon_at = GM_STORE_NEVER;
	/* Each abandoned cart it buys from, within its wait, is recovered. */
	for (size_t i = 0; i < k->nabandoned;) {
		const struct abandonment *a = &k->abandoned[i];
		if (!recovers(c, user, ulen, a, w, p)) {
			i++;
			continue;
		}
		drop_abandonment(k, i);
	}
}

static void change(struct carts *c, struct cart *k, const struct waiting *w)
{
	struct line *l = line_of(k, w->change.product);
	if (w->kind == W_ADD) {
		if (l) {
			l->units += w->change.units;
			l->price = w->change.price;
		} else if (k->nlines < LINE_MAX) {
			k->lines[k->nlines++] = w->change;
		} else {
			c->overfull++;
		}
	} else if (l) {
		l->units -= w->change.units < l->units ? w->change.units : l->units;
		if (l->units == 0)
			*l = k->lines[--k->nlines];
	}
	k->last_change = w->ts;
	memcpy(k->client, w->client, sizeof k->client);
	k->abandon_at = w->ts + c->o.abandon_after;
}

static void apply(struct carts *c, const char *user, size_t ulen, struct cart *k,
	const struct waiting *w, const struct part *p)
{
	if (w->kind != W_TX) {
		const char *country = c->country.of(c->country.ctx, user, ulen, w->ts);
		if (country)
			gm_str_copy((gm_str){ country, strlen(country) }, k->country, sizeof k->country);
	}
	if (w->kind == W_TX)
		checkout(c, user, ulen, k, w, p);
	else
		change(c, k, w);
}

void carts_due(struct carts *c, const char *key, size_t klen, void *value, int64_t due,
	const struct part *p)
{
	struct cart *k = value;
	for (;;) {
		int64_t next = next_due(c, k);
		if (next > due)
			break;
		/* At one time: records first, then the abandonment, then the
		 * end of the wait for a recovery (a transaction at its very
		 * end still recovers). */
		if (k->nwaiting && k->waiting[0].ts == next) {
			struct waiting w = k->waiting[0];
			memmove(&k->waiting[0], &k->waiting[1], (k->nwaiting - 1) * sizeof *k->waiting);
			k->nwaiting--;
			apply(c, key, klen, k, &w, p);
		} else if (k->abandon_at == next) {
			abandon(c, key, klen, k, p);
		} else {
			/* Not recovered in time: forgotten, and so is the cart
			 * if it has not changed since. */
			if (k->last_change <= k->abandoned[0].at - c->o.abandon_after)
				k->nlines = 0;
			drop_abandonment(k, 0);
		}
	}
	if (k->nlines == 0 && k->nwaiting == 0 && k->nabandoned == 0)
		gm_store_remove(c->store, key, klen);
	else
		gm_store_wake_at(c->store, k, next_due(c, k));
}

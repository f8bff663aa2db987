/* detect: see detect.h. */
#include "detect.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "money.h"

#define SD_FLOOR 0.5      /* log units: baskets vary; never trust less */
#define STRONG_RATIO 4.0  /* times min_ratio: far enough above, whatever z */
#define EWMA_MIN_WEIGHT 0.1
#define ID_MAX 22         /* transaction ids kept for velocity's first alert */
#define NCOUNTRIES_KEPT 3

struct recent {           /* a recent transaction of the user */
	int64_t ts;
	uint8_t idlen;        /* 0: id too long to keep */
	bool alerted;
	char id[ID_MAX];
};

struct country_count {
	uint8_t len;
	char name[11];
	uint32_t n;
};

struct user {
	int64_t last_ts;
	uint32_t n;                   /* transactions in the baseline */
	double mean, var;             /* EWMA of log(1 + dollars) */
	struct country_count country[NCOUNTRIES_KEPT];
	uint8_t next;                 /* ring position in recent */
	struct recent recent[];       /* the last velocity_count transactions */
};

struct detector {
	struct detect_options o;
	struct gm_output out;
	struct gm_store *users;
	bool write;               /* this detect() call writes its alerts */
};

/* The layout of struct user as saved state: bump it when the struct
 * changes, so that state saved by another layout is not misread. */
#define USER_VERSION 1

struct gm_store_spec detect_store_spec(const struct detect_options *o)
{
	return (struct gm_store_spec){
		.name = "users", .version = USER_VERSION,
		.value_size = sizeof(struct user) + o->velocity_count * sizeof(struct recent),
		.max_entries = o->max_users,
	};
}

struct detector *detect_new(const struct detect_options *o,
	const struct gm_output *out, struct gm_store *users)
{
	struct detector *d = gm_xcalloc(1, sizeof *d);
	d->o = *o;
	d->out = *out;
	d->users = users;
	return d;
}

void detect_free(struct detector *d)
{
	free(d);
}

/* ---- writing alerts ---- */

/* Begins the alert of rule on the transaction id (tx's, or an earlier
 * one of tx's user, at ts), with the labels of every rule: the caller
 * adds its numbers and calls finish_alert(). The same rule on the same
 * transaction is the same alert. */
static struct gm_writer *begin_alert(struct detector *d, const struct gm_event *tx,
	const char *rule, enum gm_alert_severity severity, const char *summary,
	gm_str id, int64_t ts, bool with_country,
	const char *extra_label, const char *extra_value)
{
	struct gm_alert_label labels[5] = {
		{ "reason", { rule, strlen(rule) } },
		{ "user_id", tx->user_id },
		{ "transaction_id", id },
	};
	size_t n = 3;
	if (with_country)
		labels[n++] = (struct gm_alert_label){ "country", tx->country };
	if (extra_label)
		labels[n++] = (struct gm_alert_label){ extra_label, { extra_value, strlen(extra_value) } };
	const struct gm_alert a = {
		.source = "gm-txmon", .rule = rule, .subject = id, .kind = "anomaly",
		.severity = severity, .ts = ts, .summary = summary,
		.labels = labels, .nlabels = n,
	};
	return gm_alert_begin(&d->out, &a);
}

static void finish_alert(struct detector *d, struct gm_writer *w, const struct gm_event *tx)
{
	gm_alert_emit(&d->out, w, tx->user_id.p, tx->user_id.n);
}

/* "$1234.5" for messages. */
static const char *dollars(int64_t cents, char *buf)
{
	buf[0] = '$';
	buf[1 + gm_money_format(cents, buf + 1)] = 0;
	return buf;
}

/* ---- the rules ---- */

static int amount_rules(struct detector *d, const struct gm_event *tx,
	const struct user *u, bool *unusual)
{
	int alerts = 0;
	char summary[256], a1[32], a2[32];
	if (tx->total_amount >= d->o.high_value) {
		if (d->write) {
			snprintf(summary, sizeof summary, "%.*s spent %s, at or above %s",
				(int)tx->user_id.n, tx->user_id.p, dollars(tx->total_amount, a1),
				dollars(d->o.high_value, a2));
			struct gm_writer *w = begin_alert(d, tx, "high_value", GM_ALERT_CRITICAL,
				summary, tx->id, tx->ts, true, NULL, NULL);
			GM_W_KMONEY(w, "amount", tx->total_amount);
			GM_W_KMONEY(w, "threshold", d->o.high_value);
			finish_alert(d, w, tx);
		}
		alerts++;
		*unusual = true;
	}
	if (u->n < (uint32_t)d->o.min_history)
		return alerts;
	double x = log1p(tx->total_amount / 100.0);
	double sd = sqrt(u->var);
	if (sd < SD_FLOOR)
		sd = SD_FLOOR;
	double z = (x - u->mean) / sd;
	double baseline = expm1(u->mean);
	if (baseline < 0.01)
		return alerts;  /* free orders so far: no "times the usual" */
	double ratio = (tx->total_amount / 100.0) / baseline;
	/* Far above: at least min_ratio times the usual and z at least the
	 * threshold; or, when a short or varied history makes z timid, at
	 * least STRONG_RATIO times min_ratio. */
	if (ratio < d->o.min_ratio || (z < d->o.z_threshold && ratio < STRONG_RATIO * d->o.min_ratio))
		return alerts;
	*unusual = true;
	if (!d->write)
		return alerts + 1;
	int64_t baseline_cents = (int64_t)llround(baseline * 100);
	snprintf(summary, sizeof summary, "%.*s spent %s, %.1fx their usual %s (z %.1f)",
		(int)tx->user_id.n, tx->user_id.p, dollars(tx->total_amount, a1), ratio,
		dollars(baseline_cents, a2), z);
	struct gm_writer *w = begin_alert(d, tx, "amount_above_baseline",
		z >= 2 * d->o.z_threshold ? GM_ALERT_CRITICAL : GM_ALERT_WARNING,
		summary, tx->id, tx->ts, true, NULL, NULL);
	GM_W_KMONEY(w, "amount", tx->total_amount);
	GM_W_KMONEY(w, "baseline", baseline_cents);
	GM_W_KEY(w, "ratio");
	gm_w_double(w, round(ratio * 100) / 100);
	GM_W_KEY(w, "zscore");
	gm_w_double(w, round(z * 100) / 100);
	GM_W_KU64(w, "history", u->n);
	finish_alert(d, w, tx);
	return alerts + 1;
}

/* The user's usual country: the one of at least two thirds of the
 * transactions counted, or NULL. */
static const struct country_count *usual_country(const struct user *u)
{
	uint32_t total = 0;
	const struct country_count *best = NULL;
	for (int i = 0; i < NCOUNTRIES_KEPT; i++) {
		total += u->country[i].n;
		if (u->country[i].n && (!best || u->country[i].n > best->n))
			best = &u->country[i];
	}
	return best && best->n * 3 >= total * 2 ? best : NULL;
}

static int country_rule(struct detector *d, const struct gm_event *tx,
	const struct user *u, bool *unusual)
{
	if (u->n < (uint32_t)d->o.min_history)
		return 0;
	const struct country_count *c = usual_country(u);
	if (!c || (c->len == tx->country.n && !memcmp(c->name, tx->country.p, c->len)))
		return 0;
	*unusual = true;
	if (!d->write)
		return 1;
	char summary[256], usual[16];
	memcpy(usual, c->name, c->len);
	usual[c->len] = 0;
	snprintf(summary, sizeof summary, "%.*s bought from %.*s; usually from %s (%u of %u)",
		(int)tx->user_id.n, tx->user_id.p, (int)tx->country.n, tx->country.p,
		usual, c->n, u->n);
	struct gm_writer *w = begin_alert(d, tx, "country_mismatch", GM_ALERT_WARNING,
		summary, tx->id, tx->ts, true, "usual_country", usual);
	GM_W_KMONEY(w, "amount", tx->total_amount);
	GM_W_KU64(w, "usual_count", c->n);
	GM_W_KU64(w, "history", u->n);
	finish_alert(d, w, tx);
	return 1;
}

static void velocity_alert(struct detector *d, const struct gm_event *tx,
	gm_str id, int64_t ts, int count)
{
	char summary[256];
	snprintf(summary, sizeof summary, "%.*s made %d transactions within %llds",
		(int)tx->user_id.n, tx->user_id.p, count, (long long)(d->o.velocity_period / 1000));
	/* An earlier transaction of the period may be from another country
	 * than the one completing it: its alert names no country. */
	bool earlier = id.n != tx->id.n || memcmp(id.p, tx->id.p, id.n) != 0;
	struct gm_writer *w = begin_alert(d, tx, "velocity", GM_ALERT_WARNING,
		summary, id, ts, !earlier, NULL, NULL);
	GM_W_KI64(w, "count", count);
	GM_W_KI64(w, "period_ms", d->o.velocity_period);
	finish_alert(d, w, tx);
}

/* Records tx among the user's recent transactions, then alerts when the
 * user has made velocity_count or more within the period: on this one,
 * and on the earlier ones of the period not yet alerted. */
static int velocity_rule(struct detector *d, const struct gm_event *tx,
	struct user *u, bool *unusual)
{
	int k = d->o.velocity_count;
	struct recent *r = &u->recent[u->next];
	u->next = (uint8_t)((u->next + 1) % k);
	r->ts = tx->ts;
	r->alerted = false;
	r->idlen = tx->id.n <= ID_MAX ? (uint8_t)tx->id.n : 0;
	memcpy(r->id, tx->id.p, r->idlen);
	int count = 0;
	for (int i = 0; i < k; i++)
		if (u->recent[i].idlen && llabs(u->recent[i].ts - tx->ts) <= d->o.velocity_period)
			count++;
	if (count < k)
		return 0;
	int alerts = 0;
	for (int i = 0; i < k; i++) {
		struct recent *e = &u->recent[i];
		if (!e->idlen || e->alerted || llabs(e->ts - tx->ts) > d->o.velocity_period)
			continue;
		e->alerted = true;
		if (d->write)
			velocity_alert(d, tx, (gm_str){ e->id, e->idlen }, e->ts, count);
		*unusual = true;
		alerts++;
	}
	return alerts;
}

/* Learns a usual transaction: the amount baseline and the country. */
static void learn(struct user *u, const struct gm_event *tx)
{
	double x = log1p(tx->total_amount / 100.0);
	u->n++;
	double a = 1.0 / u->n;
	if (a < EWMA_MIN_WEIGHT)
		a = EWMA_MIN_WEIGHT;
	double delta = x - u->mean;
	u->mean += a * delta;
	u->var = u->n == 1 ? 0 : (1 - a) * (u->var + a * delta * delta);
	int slot = -1, weakest = 0;
	for (int i = 0; i < NCOUNTRIES_KEPT && slot < 0; i++)
		if (u->country[i].n && u->country[i].len == tx->country.n &&
		    !memcmp(u->country[i].name, tx->country.p, tx->country.n))
			slot = i;
	if (slot < 0 && tx->country.n < sizeof u->country[0].name) {
		for (int i = 1; i < NCOUNTRIES_KEPT; i++)
			if (u->country[i].n < u->country[weakest].n)
				weakest = i;
		slot = weakest;
		u->country[slot].len = (uint8_t)tx->country.n;
		memcpy(u->country[slot].name, tx->country.p, tx->country.n);
		u->country[slot].n = 0;
	}
	if (slot >= 0)
		u->country[slot].n++;
}

void detect_prefetch(const struct detector *d, const struct gm_event *tx)
{
	gm_store_prefetch(d->users, tx->user_id.p, tx->user_id.n);
}

int detect(struct detector *d, const struct gm_event *tx, struct gm_store_at at,
	enum detect_mode mode)
{
	enum gm_store_got got;
	struct user *u = gm_store_update(d->users, tx->user_id.p, tx->user_id.n, at, &got);
	if (got == GM_STORE_APPLIED)
		return 0;   /* the user's state holds it already */
	bool created = got == GM_STORE_NEW;
	d->write = mode == DETECT_ALERT;
	if (!u) {
		/* An id longer than the map takes: no history is kept, so only
		 * the rules that need none can run. */
		bool unusual = false;
		static const struct user nobody;
		return amount_rules(d, tx, &nobody, &unusual);
	}
	if (!created && tx->ts - u->last_ts > d->o.user_ttl)
		memset(u, 0, sizeof *u + d->o.velocity_count * sizeof(struct recent));
	if (tx->ts > u->last_ts)
		u->last_ts = tx->ts;
	bool unusual = false;
	int alerts = amount_rules(d, tx, u, &unusual);
	alerts += country_rule(d, tx, u, &unusual);
	alerts += velocity_rule(d, tx, u, &unusual);
	if (!unusual)
		learn(u, tx);
	return alerts;
}

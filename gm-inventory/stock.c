/* stock: see stock.h. */
#include "stock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "hash.h"
#include "map.h"
#include "mem.h"
#include "number.h"
#include "window.h"

#define SLOT_MS (5 * 60000)    /* the sales rate's steps */
#define SLOTS 12               /* an hour of them */
#define MOVES_KEPT 8           /* the latest moves, for a count that
                                  comes after later ones */
#define WAIT_MAX 16            /* records waiting for the watermark */

enum { FIRED_LOW = 1, FIRED_OUT = 2 };

enum { W_COUNT, W_RESTOCK, W_SALE };   /* the order of kinds at one time */

/* A record waiting for the watermark to pass its time, so that a
 * product's records apply in order of time whatever order they came in
 * (from several topics, say), and its alerts with them. */
struct waiting {
	int64_t ts;
	int64_t units;             /* W_COUNT: the count; else the move */
	uint64_t trigger;          /* gm_hash() of the record's identity: its
	                              alerts' subject, and the order at one
	                              time and kind */
	int32_t reorder_point;     /* W_COUNT: the catalog's, or -1 */
	uint8_t kind;
	uint8_t replay;            /* applies, writes no alert */
};

/* A product's entry: no pointers, saved as its bytes (store.h). */
struct product {
	int64_t due;               /* the store's timer: the earliest of the
	                              first waiting record's time and
	                              status_due; GM_STORE_NEVER: none */
	int64_t status_due;        /* when its next status record is written;
	                              GM_STORE_NEVER: none pending */
	int32_t partition;         /* of its records (-1: files) */
	uint8_t known;             /* a catalog record came */
	uint8_t fired;             /* FIRED_LOW, FIRED_OUT: not re-armed yet */
	int64_t on_hand;
	int64_t reorder_point;     /* the catalog's, or the default */
	int64_t last_change;       /* of the last record that moved it */
	int64_t sold;              /* units, since its last status record */
	int64_t newest_slot;       /* of the newest sale in sold_in */
	uint32_t sold_in[SLOTS];   /* units sold per slot, the last hour */
	int64_t counted_at;        /* the time of the stock count the level
	                              is from (INT64_MIN: none): moves before
	                              it are in it */
	int64_t forgotten_to;      /* the latest time of a move no longer in
	                              moves (INT64_MIN: none) */
	struct move {              /* the latest moves, as they came */
		int64_t ts, units;
	} moves[MOVES_KEPT];
	uint8_t nmoves, next_move;
	uint8_t nwaiting;
	struct waiting waiting[WAIT_MAX];   /* by time, kind, trigger */
	char name[STOCK_NAME_MAX + 1];
	char category[STOCK_CATEGORY_MAX + 1];
};

struct stock {
	struct stock_options o;
	struct gm_store *products;
	struct gm_output status, alerts;
	uint64_t counts_late;      /* counts after more later moves than kept */
	uint64_t hurried;          /* records applied before the watermark
	                              passed them: more than WAIT_MAX waiting */
};

struct gm_store_spec stock_store_spec(const struct stock_options *o)
{
	return (struct gm_store_spec){
		.name = "stock", .version = 1, .value_size = sizeof(struct product),
		.max_entries = o->max_products, .due_at = GM_STORE_DUE(struct product, due),
	};
}

struct stock *stock_new(const struct stock_options *o, struct gm_store *products,
	const struct gm_output *status, const struct gm_output *alerts)
{
	struct stock *s = gm_xcalloc(1, sizeof *s);
	s->o = *o;
	s->products = products;
	s->status = *status;
	s->alerts = *alerts;
	return s;
}

void stock_free(struct stock *s)
{
	free(s);
}

uint64_t stock_counts_late(const struct stock *s)
{
	return s->counts_late;
}

uint64_t stock_hurried(const struct stock *s)
{
	return s->hurried;
}

bool stock_holds(struct stock *s, gm_str product)
{
	return gm_store_get(s->products, product.p, product.n) != NULL;
}

size_t stock_room(const struct stock *s)
{
	size_t n = gm_store_size(s->products);
	return n < s->o.max_products ? s->o.max_products - n : 0;
}

const char *stock_refuses(const struct gm_event *ev)
{
	if (ev->product_id.n > GM_MAP_KEY_MAX)
		return "product_id is longer than the 64 bytes gm-inventory keeps";
	if (ev->category.n > STOCK_CATEGORY_MAX)
		return "category is longer than the 23 bytes gm-inventory keeps";
	if (ev->type == GM_PRODUCT && ev->name.n > STOCK_NAME_MAX)
		return "name is longer than the 63 bytes gm-inventory keeps";
	for (size_t i = 0; i < ev->nitems; i++) {
		if (ev->items[i].product_id.n > GM_MAP_KEY_MAX)
			return "an item's product_id is longer than the 64 bytes gm-inventory keeps";
		if (ev->items[i].category.n > STOCK_CATEGORY_MAX)
			return "an item's category is longer than the 23 bytes gm-inventory keeps";
	}
	return NULL;
}

static int64_t slot_of(int64_t ts)
{
	return gm_window_start(ts, SLOT_MS) / SLOT_MS;
}

/* Where slot's units are counted: slots before 1970 too. */
static int64_t place_of(int64_t slot)
{
	int64_t r = slot % SLOTS;
	return r < 0 ? r + SLOTS : r;
}

/* ---- the sales rate ---- */

/* Counts units sold at ts in the hour's slots (older than the hour
 * before the newest sale: not counted). */
static void count_sold(struct product *p, int64_t ts, int64_t units)
{
	int64_t slot = slot_of(ts);
	if (slot > p->newest_slot) {
		int64_t gone = slot - p->newest_slot;
		for (int64_t i = 1; i <= gone && i <= SLOTS; i++)
			p->sold_in[place_of(p->newest_slot + i)] = 0;
		p->newest_slot = slot;
	} else if (slot <= p->newest_slot - SLOTS) {
		return;
	}
	uint64_t n = p->sold_in[place_of(slot)] + (uint64_t)units;
	p->sold_in[place_of(slot)] = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* Units sold in the hour's slots up to and including the one of ts. */
static uint64_t sold_last_hour(const struct product *p, int64_t ts)
{
	int64_t now = slot_of(ts);
	uint64_t n = 0;
	for (int64_t slot = p->newest_slot; slot > now - SLOTS && slot > p->newest_slot - SLOTS; slot--)
		if (slot <= now)
			n += p->sold_in[place_of(slot)];
	return n;
}

/* ---- alerts ---- */

static const char *status_of(const struct product *p)
{
	if (!p->known)
		return "unknown";
	if (p->on_hand <= 0)
		return "out";
	return p->on_hand <= p->reorder_point ? "low" : "ok";
}

/* The level above which a product's alerts re-arm: its reorder point
 * times (1 + hysteresis), floored (on_hand is whole units), in integers
 * so that 100 x 1.15 is 115, not 114.99... */
static int64_t rearm_level(const struct stock *s, const struct product *p)
{
	__int128 level = (__int128)p->reorder_point * (1000000 + s->o.hysteresis_ppm) / 1000000;
	return level > INT64_MAX ? INT64_MAX : (int64_t)level;
}

/* A record applying: its time, its identity's hash, and whether it is
 * a replay. */
struct change {
	int64_t ts;
	uint64_t trigger;
	bool replay;
};

static void alert(struct stock *s, const char *key, size_t klen, const struct product *p,
	const struct change *from, const char *kind, enum gm_alert_status status)
{
	bool out = !strcmp(kind, "out_of_stock");
	char summary[256], count[GM_I64_LEN + 1];
	count[gm_format_i64(p->on_hand, count)] = 0;
	if (status == GM_ALERT_RESOLVED)
		snprintf(summary, sizeof summary, "%.*s (%s) is back in stock: %s on hand",
			(int)klen, key, p->name, count);
	else if (out)
		snprintf(summary, sizeof summary, "%.*s (%s) is out of stock: %s on hand",
			(int)klen, key, p->name, count);
	else
		snprintf(summary, sizeof summary, "%.*s (%s) is low: %s left, reorder point %lld",
			(int)klen, key, p->name, count, (long long)p->reorder_point);
	/* The alert is about the product and the record that crossed the
	 * line: the same input, the same id. */
	char subject[GM_MAP_KEY_MAX + 1 + 16];
	memcpy(subject, key, klen);
	subject[klen] = '/';
	gm_format_hex64(from->trigger, subject + klen + 1);
	size_t tn = 16;
	const struct gm_alert_label labels[] = {
		{ "product_id", { key, klen } },
		{ "category", { p->category, strlen(p->category) } },
		{ "name", { p->name, strlen(p->name) } },
	};
	const struct gm_alert a = {
		.source = "gm-inventory", .rule = kind, .subject = { subject, klen + 1 + tn },
		.kind = kind, .severity = out ? GM_ALERT_CRITICAL : GM_ALERT_WARNING,
		.status = status, .ts = from->ts, .summary = summary,
		.labels = labels, .nlabels = sizeof labels / sizeof *labels,
	};
	struct gm_writer *w = gm_alert_begin(&s->alerts, &a);
	uint64_t rate = sold_last_hour(p, from->ts);
	GM_W_KI64(w, "on_hand", p->on_hand);
	GM_W_KI64(w, "reorder_point", p->reorder_point);
	GM_W_KU64(w, "sold_last_hour", rate);
	/* At the last hour's rate; none when nothing sold (or none left). */
	GM_W_KEY(w, "hours_left");
	if (rate > 0 && p->on_hand > 0)
		gm_w_double(w, round((double)p->on_hand / (double)rate * 10.0) / 10.0);
	else if (p->on_hand <= 0)
		gm_w_i64(w, 0);
	else
		gm_w_json(w, "null", 4);
	gm_alert_emit(&s->alerts, w, key, klen);
}

/* The alerts p's new level calls for: each fires once, and both re-arm
 * (resolved) only above the re-arm level. */
static void judge(struct stock *s, const char *key, size_t klen, struct product *p,
	const struct change *from)
{
	if (!p->known)
		return;
	if (p->fired && p->on_hand > rearm_level(s, p)) {
		if (!from->replay) {
			if (p->fired & FIRED_LOW)
				alert(s, key, klen, p, from, "low_stock", GM_ALERT_RESOLVED);
			if (p->fired & FIRED_OUT)
				alert(s, key, klen, p, from, "out_of_stock", GM_ALERT_RESOLVED);
		}
		p->fired = 0;
		return;
	}
	if (!(p->fired & FIRED_LOW) && p->on_hand <= p->reorder_point) {
		p->fired |= FIRED_LOW;
		if (!from->replay)
			alert(s, key, klen, p, from, "low_stock", GM_ALERT_FIRING);
	}
	if (!(p->fired & FIRED_OUT) && p->on_hand <= 0) {
		p->fired |= FIRED_OUT;
		if (!from->replay)
			alert(s, key, klen, p, from, "out_of_stock", GM_ALERT_FIRING);
	}
}

/* ---- status records ---- */

static void write_status(struct stock *s, const char *key, size_t klen, const struct product *p,
	int64_t start, int64_t end, int64_t sold, const char *label)
{
	struct gm_writer *w = s->status.begin(s->status.ctx);
	gm_w_obj_begin(w);
	GM_W_KLIT(w, "type", "inventory_status");
	GM_W_KSTR(w, "product_id", key, klen);
	GM_W_KTS(w, "ts", end);
	if (p->known) {
		GM_W_KCSTR(w, "name", p->name);
	}
	GM_W_KCSTR(w, "category", p->category);
	GM_W_KI64(w, "on_hand", p->on_hand);
	GM_W_KI64(w, "reorder_point", p->reorder_point);
	GM_W_KCSTR(w, "status", status_of(p));
	GM_W_KTS(w, "last_change", p->last_change);
	GM_W_KI64(w, "sold", sold);
	GM_W_KTS(w, "window_start", start);
	GM_W_KTS(w, "window_end", end);
	GM_W_KLIT(w, "source", "gm-inventory");
	if (label) {
		GM_W_KCSTR(w, "partition", label);
	}
	gm_w_end(w);
	s->status.emit(s->status.ctx, key, klen);
}

/* ---- changes ---- */

/* The entry of product, made when new (unknown, level 0); NULL when the
 * entry holds the change already. */
static struct product *entry(struct stock *s, gm_str product, const struct stock_from *from)
{
	enum gm_store_got got;
	struct product *p = gm_store_update(s->products, product.p, product.n, from->at, &got);
	if (!p || got == GM_STORE_APPLIED)
		return NULL;
	if (got == GM_STORE_NEW) {
		p->due = p->status_due = GM_STORE_NEVER;
		p->newest_slot = INT64_MIN / SLOT_MS;
		p->last_change = from->ts;
		p->reorder_point = s->o.reorder_point;   /* until a catalog says */
		p->counted_at = p->forgotten_to = INT64_MIN;
	}
	p->partition = from->partition;
	return p;
}

/* Keeps a move among the latest, for a count that comes after it. */
static void keep_move(struct product *p, int64_t ts, int64_t units)
{
	struct move *m = &p->moves[p->next_move];
	if (p->nmoves == MOVES_KEPT && m->ts > p->forgotten_to)
		p->forgotten_to = m->ts;
	*m = (struct move){ ts, units };
	p->next_move = (uint8_t)((p->next_move + 1) % MOVES_KEPT);
	if (p->nmoves < MOVES_KEPT)
		p->nmoves++;
}

/* After a change applied at event time now: its status record is due at
 * the end of the window holding now, unless one is due already. */
static void changed(struct stock *s, struct product *p, int64_t ts, int64_t now)
{
	if (ts > p->last_change)
		p->last_change = ts;
	if (p->status_due == GM_STORE_NEVER)
		p->status_due = gm_window_start(now, s->o.window) + s->o.window;
}

/* A count, by its time: the moves after it that came before it (of the
 * latest MOVES_KEPT) are added to it. One no newer than the level's
 * tells nothing new. */
static void apply_count(struct stock *s, struct product *p, const struct waiting *w)
{
	if (w->ts <= p->counted_at)
		return;
	p->known = 1;
	p->reorder_point = w->reorder_point >= 0 ? w->reorder_point : s->o.reorder_point;
	if (p->forgotten_to > w->ts)
		s->counts_late++;
	int64_t level = w->units;
	for (size_t i = 0; i < p->nmoves; i++)
		if (p->moves[i].ts > w->ts)
			level = gm_add_saturating(level, p->moves[i].units);
	p->on_hand = level;
	p->counted_at = w->ts;
}

/* A restock or a sale; one before the count the level is from (come
 * late) is in it. */
static void apply_move(struct product *p, const struct waiting *w)
{
	if (w->ts >= p->counted_at) {
		p->on_hand = gm_add_saturating(p->on_hand, w->units);
		keep_move(p, w->ts, w->units);
	}
	if (w->units < 0) {
		p->sold = gm_add_saturating(p->sold, -w->units);
		count_sold(p, w->ts, -w->units);
	}
}

/* Applies record w of p at event time now. */
static void apply(struct stock *s, const char *key, size_t klen, struct product *p,
	struct waiting w, int64_t now)
{
	if (w.kind == W_COUNT)
		apply_count(s, p, &w);
	else
		apply_move(p, &w);
	changed(s, p, w.ts, w.ts > now ? w.ts : now);
	const struct change c = { w.ts, w.trigger, w.replay };
	judge(s, key, klen, p, &c);
}

/* Applies p's first waiting record at event time now. */
static void apply_first(struct stock *s, const char *key, size_t klen, struct product *p,
	int64_t now)
{
	struct waiting w = p->waiting[0];
	memmove(&p->waiting[0], &p->waiting[1], --p->nwaiting * sizeof *p->waiting);
	apply(s, key, klen, p, w, now);
}

static bool earlier(const struct waiting *a, const struct waiting *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->kind != b->kind)
		return a->kind < b->kind;
	return a->trigger < b->trigger;
}

/* Sets the store's timer: the next of the first waiting record and the
 * status record. */
static void reschedule(struct stock *s, struct product *p)
{
	int64_t due = p->status_due;
	if (p->nwaiting > 0 && p->waiting[0].ts < due)
		due = p->waiting[0].ts;
	gm_store_wake_at(s->products, p, due);
}

/* Everything of p up to event time until, in order of time: its
 * waiting records, and its status record when its window ends (before
 * the records of its end's time, which are the next window's). */
static void advance_to(struct stock *s, const char *key, size_t klen, struct product *p,
	int64_t until, const char *label)
{
	for (;;) {
		int64_t next = p->nwaiting > 0 ? p->waiting[0].ts : GM_STORE_NEVER;
		if (p->status_due <= until && p->status_due <= next) {
			write_status(s, key, klen, p, p->status_due - s->o.window, p->status_due,
				p->sold, label);
			p->sold = 0;
			p->status_due = GM_STORE_NEVER;
		} else if (next <= until) {
			apply_first(s, key, klen, p, next);
		} else {
			break;
		}
	}
	reschedule(s, p);
}

/* A record waits in p's entry for the watermark; with WAIT_MAX waiting,
 * the first applies now, early. */
static void enqueue(struct stock *s, gm_str product, struct product *p, struct waiting w,
	const struct stock_from *from)
{
	/* Older than the watermark: what it passed has applied, what waits
	 * is newer; so it applies now, in the window of the watermark. */
	if (w.ts < from->watermark) {
		apply(s, product.p, product.n, p, w, from->watermark);
		reschedule(s, p);
		return;
	}
	if (p->nwaiting == WAIT_MAX) {
		s->hurried++;
		apply_first(s, product.p, product.n, p, from->watermark);
	}
	size_t i = p->nwaiting++;
	for (; i > 0 && earlier(&w, &p->waiting[i - 1]); i--)
		p->waiting[i] = p->waiting[i - 1];
	p->waiting[i] = w;
	reschedule(s, p);
}

void stock_catalog(struct stock *s, const struct gm_event *ev, const struct stock_from *from)
{
	struct product *p = entry(s, ev->product_id, from);
	if (!p)
		return;
	/* Its names are labels: taken as it comes. */
	gm_str_copy(ev->name, p->name, sizeof p->name);
	gm_str_copy(ev->category, p->category, sizeof p->category);
	enqueue(s, ev->product_id, p, (struct waiting){
		.ts = from->ts, .units = ev->stock, .trigger = gm_hash(from->trigger.p, from->trigger.n),
		.reorder_point = ev->has_reorder_point ? (int32_t)ev->reorder_point : -1,
		.kind = W_COUNT, .replay = from->replay,
	}, from);
}

void stock_move(struct stock *s, gm_str product, gm_str category, int64_t delta,
	const struct stock_from *from)
{
	struct product *p = entry(s, product, from);
	if (!p)
		return;
	if (!p->known && !p->category[0])
		gm_str_copy(category, p->category, sizeof p->category);
	enqueue(s, product, p, (struct waiting){
		.ts = from->ts, .units = delta, .trigger = gm_hash(from->trigger.p, from->trigger.n),
		.kind = delta < 0 ? W_SALE : W_RESTOCK, .replay = from->replay,
	}, from);
}

/* ---- the end of windows and of the input ---- */

void stock_due(struct stock *s, const char *key, size_t klen, void *value, int64_t due,
	const char *label)
{
	advance_to(s, key, klen, value, due, label);
}

/* The products a partition ends with, gathered to be written in order
 * of product_id (the store's own order is by recency, which a restart
 * may change). */
struct ending {
	int32_t partition;
	struct ended { const char *key; size_t klen; struct product *p; } *all;
	size_t n, cap;
};

static void gather(void *ctx, const char *key, size_t klen, const void *value)
{
	struct ending *e = ctx;
	const struct product *p = value;
	if (p->partition != e->partition)
		return;
	e->all = gm_grow(e->all, &e->cap, e->n + 1, sizeof *e->all, 256);
	/* Written to after the walk, not during it (gm_store_each()). */
	e->all[e->n++] = (struct ended){ key, klen, (struct product *)p };
}

static int by_key(const void *a, const void *b)
{
	const struct ended *x = a, *y = b;
	return gm_str_cmp((gm_str){ x->key, x->klen }, (gm_str){ y->key, y->klen });
}

void stock_end(struct stock *s, int32_t partition, const char *label, int64_t newest)
{
	int64_t start = gm_window_start(newest, s->o.window);
	struct ending e = { .partition = partition };
	gm_store_each(s->products, gather, &e);
	if (e.n > 1)
		qsort(e.all, e.n, sizeof *e.all, by_key);
	for (size_t i = 0; i < e.n; i++) {
		struct product *p = e.all[i].p;
		/* What waits applies and its records are written; one with
		 * nothing owed gets one of the last window. */
		bool owed = p->nwaiting > 0 || p->status_due != GM_STORE_NEVER;
		advance_to(s, e.all[i].key, e.all[i].klen, p, GM_STORE_NEVER - 1, label);
		if (!owed)
			write_status(s, e.all[i].key, e.all[i].klen, p, start, start + s->o.window, 0, label);
	}
	free(e.all);
}

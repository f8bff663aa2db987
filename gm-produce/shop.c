/* shop: the session simulation; see shop.h.
 *
 * A session is planned when it arrives: browse only, or fill a cart in
 * rounds (a few views, then add the product last viewed), take some
 * lines out again, and check out or abandon. Anomalous sessions follow
 * other plans: bulk quantities, a burst of checkouts, a foreign country.
 * Sessions live in a pool reused as they end; the heap holds pool
 * indices ordered by (next event time, arrival order). */
#include "shop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "busy.h"
#include "cli.h"
#include "mem.h"

const char *const anomaly_name[NANOMALIES] = { "none", "amount", "burst", "country" };
const char *const session_end_name[NENDS] = { "", "checkout", "abandoned", "emptied", "browsed" };

/* The session plan. The expected mix per session follows from these:
 * see shop_events_per_session(). */
#define P_BROWSE_ONLY 0.10      /* sessions that never touch the cart */
#define BROWSE_VIEWS 2.0        /* mean views of a browse-only session */
#define ROUND_VIEWS 2.28        /* mean views before each add */
#define P_REMOVE 0.03           /* an added line is taken out again */
#define P_ABANDON 0.08          /* a filled cart is left behind */
static const double adds_weight[3] = { 0.92, 0.07, 0.01 };    /* 1, 2, 3 adds */
static const double qty_weight[4] = { 0.78, 0.15, 0.05, 0.02 };/* 1..4 units */
#define MEAN_ADDS (1 * 0.92 + 2 * 0.07 + 3 * 0.01)
#define P_FAVOURITE 0.80        /* a view is in one of the user's categories */

#define BURST_MIN 5             /* checkouts in a burst */
#define BURST_MAX 7
#define BULK_MIN 50             /* units per add of an amount anomaly */
#define BULK_MAX SHOP_BULK_MAX
/* Amount and country anomalies are about a customer's usual ways, so
 * they go to customers with at least this many purchases in the shop's
 * memory; one that finds none waits for the next customer who has. */
#define MIN_HISTORY 3

/* Think times in event time, ms. */
#define GAP_THINK 8000.0         /* after looking at a product */
#define GAP_ADD 10000.0
#define GAP_CHECKOUT 30000.0
#define GAP_MIN 300
#define VIEW_DURATION 45000.0
/* A user starts no session while one is open, nor within this long
 * after one ended; a busy user drawn for a new session is drawn again,
 * up to MAX_DRAWS times. */
#define COOLDOWN (5 * 60 * 1000)
#define MAX_DRAWS 32
#define RETAIN (30 * 60 * 1000)
#define PRODUCT_CACHE 8192   /* the shop remembers purchases this long */

enum step { VIEW, ADD, REMOVE, CHECKOUT, DONE };

/* 16 bytes, so that a node's four children share a cache line. */
struct heap_entry {
	int64_t ts;           /* the session's next event */
	uint32_t idx;         /* in the pool */
	uint32_t order;       /* arrival order, modulo 2^32: see before() */
};

struct session {
	int64_t next_ts;
	uint64_t id;          /* also the arrival order */
	struct user user;
	int country;
	enum anomaly anomaly;
	enum step step;
	int history;          /* the user's recent purchases at arrival */
	int bought;           /* checkouts in this session */
	int views_left;       /* in this round */
	int adds_left;        /* rounds still to come */
	int removes_left;
	int bursts_left;      /* checkouts still to come in a burst */
	bool checkout;        /* the plan ends in a checkout */
	uint64_t last_viewed;
	int ncart;
	struct cart_line cart[MAX_CART];
};

struct shop {
	struct shop_options o;
	struct model m;
	struct rng rng;
	double arrivals_per_ms;   /* peak rate, thinned by the daily cycle */
	double arrival_clock;     /* ms, with the fraction that ts drops */
	double p_anomalous;       /* of cart sessions that check out */
	int64_t next_arrival;
	uint64_t next_user;       /* drawn early, so its memory is at hand */
	uint64_t sessions_made, events_made;
	struct session *pool;
	size_t pool_cap, pool_used;
	size_t *free_list, nfree;
	struct heap_entry *heap;  /* keys kept here: no trips to the pool */
	void *heap_block;         /* what heap points into */
	size_t nheap;
	struct cart_line bought[MAX_CART];  /* the last transaction's items */
	struct busy *busy;
	uint64_t deferred[NANOMALIES];  /* anomalies waiting for a history */
	/* Products seen lately, by id modulo PRODUCT_CACHE: popular ones
	 * come back often, and a price costs four libm calls. A fixed
	 * 192 KiB, whatever the number of products. */
	struct product product_cache[PRODUCT_CACHE];  /* id UINT64_MAX: empty */
};

/* The model's product, from the cache when there. */
static void product(struct shop *s, uint64_t id, struct product *p)
{
	struct product *c = &s->product_cache[id % PRODUCT_CACHE];
	if (c->id != id) {
		model_product(&s->m, id, c);
		c->id = id;
	}
	*p = *c;
}

/* Units per session, outside anomalies: the lines of carts checked
 * out (a remove takes out a whole line), each of the mean quantity. */
static double units_per_session(void)
{
	double quantity = 0;
	for (int i = 0; i < 4; i++)
		quantity += (i + 1) * qty_weight[i];
	return (1 - P_BROWSE_ONLY) * (1 - P_ABANDON) * MEAN_ADDS * (1 - P_REMOVE) * quantity;
}

double shop_daily_units(const struct shop *s, uint64_t product)
{
	/* An add is of the product viewed last, drawn as view() draws. */
	double chance = 0;
	for (int c = 0; c < NCATEGORIES; c++)
		chance += (P_FAVOURITE * category_weight[c] + (1 - P_FAVOURITE) / NCATEGORIES) *
			model_pick_chance(&s->m, product, c);
	double sessions = s->o.event_rate * 86400 / shop_events_per_session();
	return sessions * units_per_session() * chance;
}

const struct model *shop_model(const struct shop *s)
{
	return &s->m;
}

double shop_events_per_session(void)
{
	double cart = 1 - P_BROWSE_ONLY;
	double views = P_BROWSE_ONLY * BROWSE_VIEWS + cart * MEAN_ADDS * ROUND_VIEWS;
	double cart_events = cart * MEAN_ADDS * (1 + P_REMOVE);
	double transactions = cart * (1 - P_ABANDON);
	return views + cart_events + transactions;
}

/* ---- the heap of sessions by next event ----
 * A 4-ary heap: half the depth of a binary one, and the children of a
 * node fill one cache line (the array starts 3 entries into an aligned
 * block). Ties in time keep the arrival order. Orders are compared
 * modulo 2^32, which is exact while the sessions open at once arrived
 * within 2^31 arrivals of each other: up to an --event-rate of about
 * 10^8 (sessions stay open about two minutes). Beyond, events of the
 * same millisecond may come in another order, the same for a seed. */

#define HEAP_ARITY 4
#define HEAP_SKEW 3

static bool before(const struct heap_entry *x, const struct heap_entry *y)
{
	return x->ts < y->ts || (x->ts == y->ts && (int32_t)(x->order - y->order) < 0);
}

static void heap_push(struct shop *s, size_t idx)
{
	struct session *x = &s->pool[idx];
	struct heap_entry e = { x->next_ts, (uint32_t)idx, (uint32_t)x->id };
	size_t i = s->nheap++;
	while (i > 0) {
		size_t parent = (i - 1) / HEAP_ARITY;
		if (!before(&e, &s->heap[parent]))
			break;
		s->heap[i] = s->heap[parent];
		i = parent;
	}
	s->heap[i] = e;
}

/* Restores heap order after the top session's next event moved later,
 * or removes the top when remove is set. */
static void heap_sift_top(struct shop *s, bool remove)
{
	if (remove)
		s->heap[0] = s->heap[--s->nheap];
	else
		s->heap[0].ts = s->pool[s->heap[0].idx].next_ts;
	size_t n = s->nheap;
	if (n == 0)
		return;
	struct heap_entry e = s->heap[0];
	size_t i = 0;
	for (;;) {
		size_t first = HEAP_ARITY * i + 1;
		if (first >= n)
			break;
		size_t last = first + HEAP_ARITY < n ? first + HEAP_ARITY : n;
		size_t c = first;
		for (size_t k = first + 1; k < last; k++)
			if (before(&s->heap[k], &s->heap[c]))
				c = k;
		if (!before(&s->heap[c], &e))
			break;
		s->heap[i] = s->heap[c];
		i = c;
	}
	s->heap[i] = e;
}

/* Room for cap heap entries, keeping those there are. */
static void heap_grow(struct shop *s, size_t cap)
{
	size_t bytes = (cap + HEAP_SKEW + HEAP_ARITY) * sizeof(struct heap_entry);
	void *block = aligned_alloc(64, (bytes + 63) / 64 * 64);
	if (!block)
		gm_die(GM_EXIT_FAIL, NULL, "out of memory");
	struct heap_entry *h = (struct heap_entry *)block + HEAP_SKEW;
	if (s->nheap > 0)
		memcpy(h, s->heap, s->nheap * sizeof *h);
	free(s->heap_block);
	s->heap_block = block;
	s->heap = h;
}

static size_t session_alloc(struct shop *s)
{
	if (s->nfree > 0)
		return s->free_list[--s->nfree];
	if (s->pool_used == s->pool_cap) {
		/* Pool indices are 32 bits (struct heap_entry): its doubled
		 * size must fit. The free list and the heap grow with it. */
		if (s->pool_cap > UINT32_MAX / 2)
			gm_die(GM_EXIT_FAIL, NULL, "more than %u sessions open at once", UINT32_MAX);
		s->pool = gm_grow(s->pool, &s->pool_cap, s->pool_used + 1, sizeof *s->pool, 1024);
		s->free_list = gm_xrealloc(s->free_list, s->pool_cap * sizeof *s->free_list);
		heap_grow(s, s->pool_cap);
	}
	return s->pool_used++;
}

/* ---- planning and stepping sessions ---- */

static int64_t gap(struct shop *s, double mean)
{
	int64_t g = (int64_t)rng_exp(&s->rng, mean);
	return g < GAP_MIN ? GAP_MIN : g;
}

/* Views per round: 1 + a geometric count, mean `mean`. */
static int views_for(struct shop *s, double mean)
{
	int n = 1;
	double p_more = 1 - 1 / mean;
	while (n < 20 && rng_unit(&s->rng) < p_more)
		n++;
	return n;
}

static void plan(struct shop *s, struct session *x)
{
	x->country = x->user.country;
	x->anomaly = ANOMALY_NONE;
	x->ncart = 0;
	x->removes_left = 0;
	x->bursts_left = 0;
	x->step = VIEW;
	if (rng_unit(&s->rng) < P_BROWSE_ONLY) {
		x->views_left = views_for(s, BROWSE_VIEWS);
		x->adds_left = 0;
		x->checkout = false;
		return;
	}
	x->adds_left = 1 + rng_pick(&s->rng, adds_weight, 3);
	x->views_left = views_for(s, ROUND_VIEWS);
	x->checkout = rng_unit(&s->rng) >= P_ABANDON;
	if (!x->checkout)
		return;
	enum anomaly kind = ANOMALY_NONE;
	if (rng_unit(&s->rng) < s->p_anomalous)
		kind = (enum anomaly)(1 + rng_range(&s->rng, 0, NANOMALIES - 2));
	bool established = x->history >= MIN_HISTORY;
	if (kind == ANOMALY_NONE && established) {
		if (s->deferred[ANOMALY_AMOUNT] > 0 && s->deferred[ANOMALY_AMOUNT] >= s->deferred[ANOMALY_COUNTRY])
			kind = ANOMALY_AMOUNT;
		else if (s->deferred[ANOMALY_COUNTRY] > 0)
			kind = ANOMALY_COUNTRY;
		if (kind != ANOMALY_NONE)
			s->deferred[kind]--;
	}
	if ((kind == ANOMALY_AMOUNT || kind == ANOMALY_COUNTRY) && !established) {
		s->deferred[kind]++;
		kind = ANOMALY_NONE;
	}
	x->anomaly = kind;
	switch (x->anomaly) {
	case ANOMALY_BURST:
		x->views_left = 1;
		x->adds_left = 1;
		x->bursts_left = (int)rng_range(&s->rng, BURST_MIN, BURST_MAX);
		break;
	case ANOMALY_COUNTRY:
		x->country = (x->user.country + (int)rng_range(&s->rng, 1, NCOUNTRIES - 1)) % NCOUNTRIES;
		break;
	default:
		break;
	}
}

static void arrive(struct shop *s)
{
	size_t idx = session_alloc(s);
	struct session *x = &s->pool[idx];
	x->next_ts = s->next_arrival;
	x->id = s->sessions_made++;
	uint64_t user = s->next_user;
	x->history = 0;
	x->bought = 0;
	for (int d = 1; d < MAX_DRAWS && !busy_claim(s->busy, user, x->next_ts, &x->history); d++)
		user = model_pick_user(&s->m, &s->rng);
	model_user(&s->m, user, &x->user);
	plan(s, x);
	heap_push(s, idx);
}

/* Moves the arrival clock to the next arrival: a Poisson process at the
 * peak rate, thinned by the daily cycle when it is on. The clock keeps
 * its fraction of a millisecond, so that the mean rate is the one asked
 * for however high it is. */
static void next_arrival(struct shop *s)
{
	for (;;) {
		s->arrival_clock += rng_exp(&s->rng, 1.0 / s->arrivals_per_ms);
		int64_t t = (int64_t)floor(s->arrival_clock);
		double hour = (double)(((t % 86400000) + 86400000) % 86400000) / 3600000.0;
		if (!s->o.daily_cycle || rng_unit(&s->rng) * 1.6 < 1 + 0.6 * sin(2 * M_PI * (hour - 9) / 24)) {
			s->next_arrival = t;
			s->next_user = model_pick_user(&s->m, &s->rng);
			busy_prefetch(s->busy, s->next_user);
			return;
		}
	}
}

static int64_t quantity(struct shop *s, const struct session *x)
{
	if (x->anomaly == ANOMALY_AMOUNT)
		return rng_range(&s->rng, BULK_MIN, BULK_MAX);
	return 1 + rng_pick(&s->rng, qty_weight, 4);
}

static int live_lines(const struct session *x)
{
	int n = 0;
	for (int i = 0; i < x->ncart; i++)
		n += !x->cart[i].removed;
	return n;
}

/* What comes after the cart is filled: removes, then the checkout. */
static enum step after_adds(struct session *x)
{
	if (x->removes_left > 0 && live_lines(x) > 0)
		return REMOVE;
	return x->checkout && live_lines(x) > 0 ? CHECKOUT : DONE;
}

static void common(struct shop *s, struct session *x, struct shop_event *ev,
	enum gm_type type)
{
	memset(ev, 0, sizeof *ev);
	ev->type = type;
	ev->seq = ++s->events_made;
	ev->ts = x->next_ts;
	ev->user = x->user.id;
	ev->session = x->id;
	ev->country = x->country;
	ev->anomaly = x->anomaly;
}

static void view(struct shop *s, struct session *x, struct shop_event *ev)
{
	common(s, x, ev, GM_PRODUCT_VIEW);
	double u = rng_unit(&s->rng);
	int category = u < P_FAVOURITE ? x->user.fav[u < P_FAVOURITE / 2]
		: (int)rng_range(&s->rng, 0, NCATEGORIES - 1);
	struct product p;
	product(s, model_pick_product(&s->m, &s->rng, category), &p);
	ev->product = p.id;
	ev->category = p.category;
	ev->duration_ms = 500 + (int64_t)rng_exp(&s->rng, VIEW_DURATION);
	x->last_viewed = p.id;
	/* The next step comes after the user has looked at the product. */
	if (--x->views_left > 0) {
		x->next_ts += ev->duration_ms + gap(s, GAP_THINK);
	} else if (x->adds_left > 0) {
		x->step = ADD;
		x->next_ts += ev->duration_ms + gap(s, GAP_ADD);
	} else {
		x->step = DONE;
	}
}

static void add(struct shop *s, struct session *x, struct shop_event *ev)
{
	common(s, x, ev, GM_CART_EVENT);
	struct product p;
	product(s, x->last_viewed, &p);
	int i = 0;
	while (i < x->ncart && (x->cart[i].product != p.id || x->cart[i].removed))
		i++;
	if (i == x->ncart && x->ncart < MAX_CART) {
		x->cart[x->ncart++] = (struct cart_line){ (uint32_t)p.id, (uint8_t)p.category,
			false, 0, (int32_t)p.price };
	} else if (i == x->ncart) {
		i = 0; /* a full cart: add to the first line again */
	}
	ev->add = true;
	ev->product = p.id;
	ev->category = p.category;
	ev->quantity = quantity(s, x);
	ev->unit_price = p.price;
	x->cart[i].quantity += ev->quantity;
	if (x->anomaly == ANOMALY_NONE && rng_unit(&s->rng) < P_REMOVE)
		x->removes_left++;
	if (x->bursts_left > 0) {
		x->step = CHECKOUT;
		x->next_ts += rng_range(&s->rng, 1000, 4000);
	} else if (--x->adds_left > 0) {
		x->step = VIEW;
		x->views_left = views_for(s, ROUND_VIEWS);
		x->next_ts += gap(s, GAP_THINK);
	} else {
		x->step = after_adds(x);
		x->next_ts += gap(s, x->step == REMOVE ? GAP_ADD : GAP_CHECKOUT);
	}
}

static void take_out(struct shop *s, struct session *x, struct shop_event *ev)
{
	common(s, x, ev, GM_CART_EVENT);
	int live = live_lines(x), k = (int)rng_range(&s->rng, 0, live - 1), i = 0;
	for (;; i++)
		if (!x->cart[i].removed && k-- == 0)
			break;
	struct cart_line *l = &x->cart[i];
	l->removed = true;
	ev->add = false;
	ev->product = l->product;
	ev->category = l->category;
	ev->quantity = l->quantity;
	ev->unit_price = l->unit_price;
	x->removes_left--;
	x->step = after_adds(x);
	x->next_ts += gap(s, GAP_CHECKOUT);
}

static void checkout(struct shop *s, struct session *x, struct shop_event *ev)
{
	common(s, x, ev, GM_TRANSACTION);
	ev->payment = x->user.payment;
	int n = 0;
	for (int i = 0; i < x->ncart; i++) {
		if (x->cart[i].removed)
			continue;
		s->bought[n++] = x->cart[i];
		ev->total += (int64_t)x->cart[i].quantity * x->cart[i].unit_price;
	}
	ev->items = s->bought;
	ev->nitems = n;
	x->ncart = 0;
	x->bought++;
	if (x->bursts_left > 0 && --x->bursts_left > 0) {
		/* The next checkout of the burst: a product added straight away. */
		struct product p;
		int category = x->user.fav[rng_range(&s->rng, 0, 1)];
		product(s, model_pick_product(&s->m, &s->rng, category), &p);
		x->last_viewed = p.id;
		x->adds_left = 1;
		x->step = ADD;
		x->next_ts += rng_range(&s->rng, 1000, 4000);
	} else {
		x->step = DONE;
	}
}

struct shop *shop_new(const struct shop_options *o)
{
	struct shop *s = gm_xcalloc(1, sizeof *s);
	s->o = *o;
	model_init(&s->m, o->seed, o->users, o->products);
	rng_seed(&s->rng, o->seed);
	double sessions_per_s = o->event_rate / shop_events_per_session();
	s->arrivals_per_ms = sessions_per_s / 1000 * (o->daily_cycle ? 1.6 : 1);
	/* Choose the share of anomalous checkout sessions so that the share
	 * of anomalous transactions is anomaly_rate: an anomalous session
	 * makes (1 + burst + 1) / 3 transactions on average, a normal one
	 * at most one. */
	double a = o->anomaly_rate;
	double per_anomalous = (1 + (BURST_MIN + BURST_MAX) / 2.0 + 1) / 3;
	s->p_anomalous = a >= 1 ? 1 : a / (per_anomalous - (per_anomalous - 1) * a);
	s->next_arrival = o->start;
	s->arrival_clock = (double)o->start;
	s->busy = busy_new(COOLDOWN, RETAIN);
	for (size_t i = 0; i < PRODUCT_CACHE; i++)
		s->product_cache[i].id = UINT64_MAX;
	s->next_user = model_pick_user(&s->m, &s->rng);
	return s;
}

void shop_free(struct shop *s)
{
	if (!s)
		return;
	free(s->pool);
	free(s->free_list);
	free(s->heap_block);
	busy_free(s->busy);
	free(s);
}

void shop_next(struct shop *s, struct shop_event *ev)
{
	for (;;) {
		if (s->nheap == 0 || s->next_arrival <= s->heap[0].ts) {
			arrive(s);
			next_arrival(s);
			continue;
		}
		struct session *x = &s->pool[s->heap[0].idx];
		switch (x->step) {
		case VIEW: view(s, x, ev); break;
		case ADD: add(s, x, ev); break;
		case REMOVE: take_out(s, x, ev); break;
		case CHECKOUT: checkout(s, x, ev); break;
		case DONE: break;
		}
		if (x->step == DONE) {
			/* Only a cart session ends on a cart event or a checkout:
			 * a browse-only one ends on a view. */
			ev->end = ev->type == GM_TRANSACTION ? END_CHECKOUT
				: ev->type == GM_PRODUCT_VIEW ? END_BROWSED
				: live_lines(x) > 0 ? END_ABANDONED : END_EMPTIED;
			busy_release(s->busy, x->user.id, ev->ts, x->bought);
			s->free_list[s->nfree++] = s->heap[0].idx;
			heap_sift_top(s, true);
		} else {
			heap_sift_top(s, false);
		}
		/* The next session to step is known now: fetch it while the
		 * caller writes this event. */
		if (s->nheap > 0)
			__builtin_prefetch(&s->pool[s->heap[0].idx]);
		return;
	}
}

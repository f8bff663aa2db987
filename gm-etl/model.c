/* model: the warehouse's rules; see model.h and gm-warehouse(5).
 *
 * What is counted, and where:
 *   - the funnel (views, cart adds and removes, a product's orders,
 *     units and revenue) per product, per (category, day): struct pday
 *     in the product's entry. Weeks, months and the categories' rows are
 *     sums of days at the end, but for a category's orders, since one
 *     order can hold two products of it: struct cday, per (day, category);
 *   - sales trends per (grain, period, country, category), "*" being
 *     name 0, directly (a transaction adds to at most 4 + 2 lines cuts
 *     per grain), and their customers through a set of (cut, user);
 *   - customers, products and days by key.
 * Orders are distinct transactions: a transaction lies in one day, so
 * a count per day adds up over weeks and months; within a transaction,
 * a product or category met again in a later line is not counted again. */
#include "model.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "hash.h"
#include "idset.h"
#include "map.h"
#include "mem.h"
#include "names.h"
#include "money.h"
#include "number.h"
#include "radix.h"
#include "swar.h"
#include "ts.h"

const struct gm_rtype *const etl_fact_types[3] = {
	&gm_rtype_fact_sales, &gm_rtype_fact_product_views, &gm_rtype_fact_cart_events,
};
const struct gm_rtype *const etl_derived_types[7] = {
	&gm_rtype_dim_date, &gm_rtype_dim_customer, &gm_rtype_dim_product,
	&gm_rtype_dim_geography, &gm_rtype_product_performance, &gm_rtype_sales_trends,
	&gm_rtype_etl_state,
};
enum { T_DATE, T_CUSTOMER, T_PRODUCT, T_GEOGRAPHY, T_PERF, T_TRENDS, T_STATE };

#define STAR 0  /* the name id of "*", all countries or categories */
#define MAX_LINES 4096  /* lines of one stored transaction held together */

/* ---- names: countries and categories as small numbers ---- */

/* A set of names whose number 0 is "*", all countries or categories:
 * the name "*" in a row is that, as one cannot tell them apart. */
static void names_init(struct gm_names *ns)
{
	gm_names_init(ns);
	gm_names_id(ns, (gm_str){ "*", 1 });
}

/* ---- the accumulators ---- */

struct funnel {
	int64_t views, adds, removes, orders, units, revenue;
};

struct pday {          /* a product's funnel on one day, under one category */
	int32_t day;
	uint32_t cat;
	struct funnel f;
};

struct product {
	/* Its funnels: the newest here, in the lines a lookup of the
	 * product reads anyway (records come mostly in time order, so most
	 * count there), the older ones in days. What a fact reads and
	 * writes comes first, next to the key in the map's record: these
	 * flags, then now. */
	bool has_now;
	bool touched;          /* a record of the run has it */
	bool cat_seen;         /* a catalog record in the run */
	struct pday now;
	struct pday *days;
	size_t ndays, cap;
	/* dim_product: the row it had, and the best record of the run */
	bool has_row, row_catalog, row_priced;
	int64_t row_updated;
	char *row_by;          /* its updated_by */
	int64_t cat_ts, cat_price;
	char *cat_name, *cat_category;
	bool fact_seen, fact_priced;
	int64_t fact_ts, fact_price;
	uint32_t fact_cat;
	uint8_t fact_by_len;
	char fact_by[GM_MAP_KEY_MAX + 24];  /* a fact's id: a sale's is its
	                          transaction's, a slash and the line */
};

struct trend {
	int64_t revenue, orders, units, customers;
};

struct bought {
	int32_t day;
	uint32_t country, cat;
};

/* Lists of a customer's: the first entry in the record, the others (few
 * customers have any: 16% a second bought, 31 of 738k a second country
 * in 5M events) in an array, so that most customers cost no allocation. */
struct buyer {
	struct bought first, *rest;
	uint32_t n, cap;
};

struct country_count {
	uint32_t country;
	int64_t orders, first;
};

struct customer {
	int64_t first, last, orders, units, ltv;
	struct country_count country, *countries;  /* the first, the others */
	uint32_t ncountries, cap;
};

/* A user: a customer of the run's (orders > 0) for dim_customer, and
 * what it bought in the periods counted, for the trends' customers: one
 * entry, one lookup a transaction. */
struct person {
	struct customer c;
	struct buyer b;
};

struct etl {
	struct etl_opts o;
	struct etl_out out;
	struct etl_counts counts;
	struct gm_names countries, categories;
	struct gm_idset *loaded[3];  /* ids the run loaded, per fact table */
	struct gm_idset *stored_txns;  /* stored transactions taken */
	struct gm_map *products;     /* product_id -> struct product */
	struct gm_map *cdays;        /* (day, category) -> int64_t orders */
	struct gm_map *trends;       /* (grain, start, country, category) -> struct trend */
	struct gm_map *people;       /* user_id -> struct person */
	struct gm_map *days;         /* touched days: day -> char */
	struct gm_map *periods;      /* touched periods: (grain, start) -> char */
	bool *geo;                   /* by country id: a fact of the run's has it */
	size_t geocap;
	char *offsets;               /* the state's, stored or set */
	bool offsets_set;
	bool has_watermark, loaded_any;
	int64_t watermark, max_ts;
	int32_t lo, hi;              /* the days touched */
	int32_t last_day;            /* the last one touched */
	int32_t key_day, key;        /* date_key_of()'s last */
	/* a stored transaction, its lines gathered */
	char txn_id[GM_MAP_KEY_MAX + 1];
	size_t txn_idlen;
	struct gm_item *txn_items;
	size_t txn_n, txn_cap;
	int64_t txn_ts;
	char txn_user[GM_MAP_KEY_MAX + 1], txn_country[GM_MAP_KEY_MAX + 1];
	size_t txn_userlen, txn_countrylen;
	char *txn_strings;           /* the lines' product ids and categories */
	size_t txn_slen, txn_scap;
	/* The customers (orders > 0) in order of user_id, as places in
	 * people: sorted once for etl_customers() and dim_customer's rows;
	 * a new customer voids it. */
	uint32_t *by_user;
	size_t nby_user;
	bool by_user_ok;
	/* The places of the stored rows' fields, looked up once: by name,
	 * for every row, they were a tenth of a nightly run. */
	struct {
		size_t txn, user, country, product, category, ts, quantity, unit_price, amount;
	} sale_at;
	struct fact_at {
		size_t product, category, ts, action;  /* action: a cart event's */
	} view_at, cart_at;
	struct {
		size_t id, in_catalog, unit_price, updated, updated_by;
	} product_at;
};

static struct fact_at fact_at(const struct gm_rtype *t)
{
	return (struct fact_at){ GM_RFIELD_AT(t, "product_id"), GM_RFIELD_AT(t, "category"),
		GM_RFIELD_AT(t, "ts"), t == &gm_rtype_fact_cart_events ? GM_RFIELD_AT(t, "action") : 0 };
}

struct etl *etl_new(const struct etl_opts *o, const struct etl_out *out)
{
	struct etl *m = gm_xcalloc(1, sizeof *m);
	m->o = *o;
	m->out = *out;
	names_init(&m->countries);
	names_init(&m->categories);
	for (int i = 0; i < 3; i++)
		m->loaded[i] = gm_idset_new();
	m->stored_txns = gm_idset_new();
	const size_t unbounded = (size_t)1 << 31;
	m->products = gm_map_new(sizeof(struct product), unbounded);
	m->cdays = gm_map_new(sizeof(int64_t), unbounded);
	m->trends = gm_map_new(sizeof(struct trend), unbounded);
	m->people = gm_map_new(sizeof(struct person), unbounded);
	m->days = gm_map_new(1, unbounded);
	m->periods = gm_map_new(1, unbounded);
	m->max_ts = INT64_MIN;
	const struct gm_rtype *s = &gm_rtype_fact_sales, *d = &gm_rtype_dim_product;
	m->sale_at.txn = GM_RFIELD_AT(s, "transaction_id");
	m->sale_at.user = GM_RFIELD_AT(s, "user_id");
	m->sale_at.country = GM_RFIELD_AT(s, "country");
	m->sale_at.product = GM_RFIELD_AT(s, "product_id");
	m->sale_at.category = GM_RFIELD_AT(s, "category");
	m->sale_at.ts = GM_RFIELD_AT(s, "ts");
	m->sale_at.quantity = GM_RFIELD_AT(s, "quantity");
	m->sale_at.unit_price = GM_RFIELD_AT(s, "unit_price");
	m->sale_at.amount = GM_RFIELD_AT(s, "amount");
	m->view_at = fact_at(&gm_rtype_fact_product_views);
	m->cart_at = fact_at(&gm_rtype_fact_cart_events);
	m->product_at.id = GM_RFIELD_AT(d, "product_id");
	m->product_at.in_catalog = GM_RFIELD_AT(d, "in_catalog");
	m->product_at.unit_price = GM_RFIELD_AT(d, "unit_price");
	m->product_at.updated = GM_RFIELD_AT(d, "updated");
	m->product_at.updated_by = GM_RFIELD_AT(d, "updated_by");
	return m;
}

/* The next entry of map by place, from *at on (0 to begin), *left of
 * them not yet walked (gm_map_size() to begin); NULL at the end. Places
 * are the records' order in memory, which a walk by recency is not, and
 * the order the entries came in: what they hold was allocated in about
 * that order too. The model's maps never have an entry removed, so this
 * sees each once. */
static void *next_by_place(struct gm_map *map, uint32_t *at, size_t *left, const char **k,
	size_t *kn)
{
	for (; *left; ++*at) {
		void *v = gm_map_at(map, *at, k, kn);
		if (v) {
			--*left;
			++*at;
			return v;
		}
	}
	return NULL;
}

void etl_free(struct etl *m)
{
	if (!m)
		return;
	void *v;
	const char *k;
	size_t kn, left = gm_map_size(m->products);
	uint32_t at = 0;
	while ((v = next_by_place(m->products, &at, &left, &k, &kn))) {
		struct product *p = v;
		free(p->days);
		free(p->row_by);
		free(p->cat_name);
		free(p->cat_category);
	}
	at = 0;
	left = gm_map_size(m->people);
	while ((v = next_by_place(m->people, &at, &left, &k, &kn))) {
		free(((struct person *)v)->c.countries);
		free(((struct person *)v)->b.rest);
	}
	gm_map_free(m->products);
	gm_map_free(m->cdays);
	gm_map_free(m->trends);
	gm_map_free(m->people);
	gm_map_free(m->days);
	gm_map_free(m->periods);
	free(m->geo);
	for (int i = 0; i < 3; i++)
		gm_idset_free(m->loaded[i]);
	gm_idset_free(m->stored_txns);
	gm_names_free(&m->countries);
	gm_names_free(&m->categories);
	free(m->txn_items);
	free(m->txn_strings);
	free(m->by_user);
	free(m->offsets);
	free(m);
}

const struct etl_counts *etl_counts(const struct etl *m)
{
	return &m->counts;
}

/* ---- counting ---- */

static struct product *product_of(struct etl *m, gm_str id)
{
	bool created;
	return gm_map_put(m->products, id.p, id.n, &created);
}

/* The product's funnel of (day, category): the newest is usually it,
 * else a walk back through the older ones. A new one becomes the
 * newest. */
static struct funnel *funnel_of(struct product *p, int32_t day, uint32_t cat)
{
	if (p->has_now && p->now.day == day && p->now.cat == cat)
		return &p->now.f;
	for (size_t i = p->ndays; i-- > 0;)
		if (p->days[i].day == day && p->days[i].cat == cat)
			return &p->days[i].f;
	if (p->has_now) {
		p->days = gm_grow(p->days, &p->cap, p->ndays + 1, sizeof *p->days, 4);
		p->days[p->ndays++] = p->now;
	}
	p->now = (struct pday){ .day = day, .cat = cat };
	p->has_now = true;
	return &p->now.f;
}

/* The number of category s of a fact of product p: its newest funnel's,
 * when that is s (a product keeps its category), without a look
 * through the categories. */
static uint32_t category_of(struct etl *m, const struct product *p, gm_str s)
{
	if (p->has_now) {
		gm_str c = m->categories.name[p->now.cat];
		if (c.n == s.n && gm_swar_same(c.p, s.p, s.n))
			return p->now.cat;
	}
	return gm_names_id(&m->categories, s);
}

/* The i-th of the product's funnels, i < ndays + has_now, in no
 * particular order. */
static const struct pday *pday_at(const struct product *p, size_t i)
{
	return i < p->ndays ? &p->days[i] : &p->now;
}

struct trend_key {
	uint8_t grain;
	uint8_t pad[3];
	int32_t start;
	uint32_t country, category;
};

static struct trend *trend_of(struct etl *m, enum grain g, int32_t start, uint32_t country,
	uint32_t cat)
{
	struct trend_key k = { .grain = (uint8_t)g, .start = start, .country = country, .category = cat };
	bool created;
	return gm_map_put(m->trends, (const char *)&k, sizeof k, &created);
}

/* gm_grow() of a list's rest for its entry n (n >= 1: the first is in
 * the record), the list's cap a uint32_t to keep records small. */
static void *grow_rest(void *rest, uint32_t *cap, size_t n, size_t size)
{
	size_t c = *cap;
	rest = gm_grow(rest, &c, n, size, 2);
	*cap = (uint32_t)c;
	return rest;
}

static struct bought *bought_at(struct buyer *b, size_t i)
{
	return i ? &b->rest[i - 1] : &b->first;
}

static struct country_count *country_at(struct customer *c, size_t i)
{
	return i ? &c->countries[i - 1] : &c->country;
}

/* That user bought in country, of category cat, on day: each such
 * triple once, so that emit_trends() counts each customer once per
 * period and cut (a set per user stays small and in cache, where one
 * set of every (period, cut, user) would miss it at every line). */
static void count_buyer(struct buyer *b, int32_t day, uint32_t country, uint32_t cat)
{
	for (size_t i = b->n; i-- > 0;) {
		const struct bought *x = bought_at(b, i);
		if (x->day == day && x->country == country && x->cat == cat)
			return;
	}
	if (b->n)
		b->rest = grow_rest(b->rest, &b->cap, b->n, sizeof *b->rest);
	*bought_at(b, b->n++) = (struct bought){ day, country, cat };
}

static void touch_day(struct etl *m, int32_t day)
{
	/* Records come mostly in time order: most are of the last day. */
	if (m->loaded_any && day == m->last_day)
		return;
	m->last_day = day;
	bool created;
	gm_map_put(m->days, (const char *)&day, sizeof day, &created);
	if (!created)
		return;
	m->counts.days++;
	for (enum grain g = 0; g < G_NGRAINS; g++) {
		int32_t key[2] = { (int32_t)g, period_start(g, day) };
		gm_map_put(m->periods, (const char *)key, sizeof key, &created);
	}
	if (!m->loaded_any || day < m->lo)
		m->lo = day;
	if (!m->loaded_any || day > m->hi)
		m->hi = day;
	m->loaded_any = true;
}

static void note_geo(struct etl *m, uint32_t country)
{
	if (country >= m->geocap) {
		size_t old = m->geocap;
		m->geo = gm_grow(m->geo, &m->geocap, country + 1, sizeof *m->geo, 16);
		memset(m->geo + old, 0, (m->geocap - old) * sizeof *m->geo);
	}
	m->geo[country] = true;
}

/* A product's latest fact, for its dim_product row when it has no
 * catalog record: a priced one beats a view, then the later (ts, id). */
static void product_fact(struct product *p, int64_t ts, gm_str id, uint32_t cat,
	bool priced, int64_t price)
{
	p->touched = true;
	/* A catalog record of the run's makes the row (emit_products()): by
	 * it, or the row stays when it is a later catalog one. */
	if (p->cat_seen)
		return;
	if (p->fact_seen) {
		if (p->fact_priced != priced) {
			if (!priced)
				return;
		} else {
			gm_str by = { p->fact_by, p->fact_by_len };
			if (ts < p->fact_ts || (ts == p->fact_ts && gm_str_cmp(id, by) <= 0))
				return;
		}
	}
	p->fact_seen = true;
	p->fact_priced = priced;
	p->fact_ts = ts;
	p->fact_price = price;
	p->fact_cat = cat;
	memcpy(p->fact_by, id.p, id.n);
	p->fact_by_len = (uint8_t)id.n;
}

/* A transaction's counts: trends and the funnel when in_range, its
 * customer when customer (a customer the run touched); user_hash is
 * gm_hash() of user. When in_range, cats and prods are the lines'
 * category numbers and products (product_of()), known to fit map keys. */
static void count_txn(struct etl *m, gm_str user, uint64_t user_hash, gm_str country_s,
	int64_t ts, const struct gm_item *items, size_t n, const uint32_t *cats,
	struct product *const *prods, bool in_range, bool customer)
{
	int32_t day = day_of_ts(ts);
	uint32_t country = gm_names_id(&m->countries, country_s);
	int64_t total = 0, units = 0;
	for (size_t i = 0; i < n; i++) {
		total = gm_add_saturating(total, items[i].amount);
		units = gm_add_saturating(units, items[i].quantity);
	}
	bool created;
	struct person *who = customer || in_range
		? gm_map_put_hashed(m->people, user.p, user.n, user_hash, &created) : NULL;
	if (customer) {
		struct customer *c = &who->c;
		m->by_user_ok &= c->orders != 0;
		if (!c->orders || ts < c->first)
			c->first = ts;
		if (!c->orders || ts > c->last)
			c->last = ts;
		c->orders++;
		c->units = gm_add_saturating(c->units, units);
		c->ltv = gm_add_saturating(c->ltv, total);
		size_t j = 0;
		while (j < c->ncountries && country_at(c, j)->country != country)
			j++;
		if (j == c->ncountries) {
			if (j)
				c->countries = grow_rest(c->countries, &c->cap, j, sizeof *c->countries);
			*country_at(c, j) = (struct country_count){ country, 0, ts };
			c->ncountries++;
		}
		struct country_count *cc = country_at(c, j);
		cc->orders++;
		if (ts < cc->first)
			cc->first = ts;
	}
	if (!in_range)
		return;
	/* By day and country, all categories and each; the rest are sums
	 * of these (roll_up_trends). */
	struct trend *t = trend_of(m, G_DAY, day, country, STAR);
	t->revenue = gm_add_saturating(t->revenue, total);
	t->units = gm_add_saturating(t->units, units);
	t->orders++;
	for (size_t i = 0; i < n; i++) {
		bool again = false;
		for (size_t j = 0; j < i && !again; j++)
			again = cats[j] == cats[i];
		t = trend_of(m, G_DAY, day, country, cats[i]);
		t->revenue = gm_add_saturating(t->revenue, items[i].amount);
		t->units = gm_add_saturating(t->units, items[i].quantity);
		t->orders += !again;
	}
	for (size_t i = 0; i < n; i++)
		count_buyer(&who->b, day, country, cats[i]);
	for (size_t i = 0; i < n; i++) {
		bool again_p = false, again_c = false;
		for (size_t j = 0; j < i; j++) {
			again_c |= cats[j] == cats[i];
			again_p |= cats[j] == cats[i] && gm_str_cmp(items[j].product_id, items[i].product_id) == 0;
		}
		struct funnel *f = funnel_of(prods[i], day, cats[i]);
		f->units = gm_add_saturating(f->units, items[i].quantity);
		f->revenue = gm_add_saturating(f->revenue, items[i].amount);
		f->orders += !again_p;
		if (!again_c) {
			int64_t key = (int64_t)day << 32 | cats[i];
			bool created;
			int64_t *o = gm_map_put(m->cdays, (const char *)&key, sizeof key, &created);
			++*o;
		}
	}
}

/* ---- fact rows ---- */

/* date_key_of_day(), remembered for the last day asked: records come
 * mostly in time order. */
static int32_t date_key_of(struct etl *m, int32_t day)
{
	if (day != m->key_day || !m->key) {
		m->key_day = day;
		m->key = date_key_of_day(day);
	}
	return m->key;
}

static struct gm_writer *row_begin(struct etl *m, const struct gm_rtype *t)
{
	struct gm_writer *w = m->out.begin(m->out.ctx, t);
	gm_w_typed_begin(w, t->name);
	return w;
}

static void row_put(struct etl *m, const struct gm_rtype *t, struct gm_writer *w,
	const char *id, size_t n)
{
	gm_w_end(w);
	m->out.put(m->out.ctx, t, id, n);
}

/* The first 8 bytes of s, big-endian, zeros after a shorter one: two
 * strings whose heads differ are in the order of their heads (a byte
 * past the end of the shorter, 0, is below any byte but 0, where a
 * prefix goes first anyway); equal heads leave it to the whole strings. */
static uint64_t head8(gm_str s)
{
	uint64_t h = 0;
	for (size_t i = 0; i < 8; i++)
		h = h << 8 | (i < s.n ? (unsigned char)s.p[i] : 0);
	return h;
}

/* a and b as gm_str_cmp() orders them, given their heads. */
static int headed_cmp(uint64_t ha, gm_str a, uint64_t hb, gm_str b)
{
	if (ha != hb)
		return ha < hb ? -1 : 1;
	return gm_str_cmp(a, b);
}

static bool fits(gm_str s)
{
	return s.n <= GM_MAP_KEY_MAX;
}

/* "*" stands for all countries, categories or products in the tables. */
static bool star(gm_str s)
{
	return s.n == 1 && s.p[0] == '*';
}

static const char *too_long(const char *field)
{
	static char why[96];
	snprintf(why, sizeof why, "field \"%s\" is longer than %d bytes", field, GM_MAP_KEY_MAX);
	return why;
}

/* Is ev too late? Before the watermark less the lookback. */
static bool late(const struct etl *m, int64_t ts)
{
	return m->has_watermark && m->o.lookback_ms >= 0 && ts < m->watermark - m->o.lookback_ms;
}

static void saw_ts(struct etl *m, int64_t ts)
{
	if (ts > m->max_ts)
		m->max_ts = ts;
}

/* "TRANSACTION_ID/LINE" into sid (room for the id and 21 bytes);
 * returns its length. */
static size_t sale_id(char *sid, gm_str txn, size_t line)
{
	memcpy(sid, txn.p, txn.n);
	size_t n = txn.n;
	sid[n++] = '/';
	char digits[20];
	size_t d = 0;
	do
		digits[d++] = (char)('0' + line % 10);
	while (line /= 10);
	while (d)
		sid[n++] = digits[--d];
	return n;
}

static enum etl_take load_txn(struct etl *m, const struct gm_event *ev, const char **why)
{
	/* The id's place in the set and the customer's in the map (cache
	 * misses both) load while the checks run and the rows are built. */
	uint64_t id_hash = gm_idset_prefetch(m->loaded[0], ev->id.p, ev->id.n);
	uint64_t user_hash = gm_hash(ev->user_id.p, ev->user_id.n);
	gm_map_prefetch_hashed(m->people, user_hash);
	if (!fits(ev->id))
		return *why = too_long("transaction_id"), ETL_REFUSED;
	if (!fits(ev->user_id))
		return *why = too_long("user_id"), ETL_REFUSED;
	if (!fits(ev->country))
		return *why = too_long("country"), ETL_REFUSED;
	if (ev->nitems > MAX_LINES)
		return *why = "more than 4096 items", ETL_REFUSED;
	if (star(ev->country))
		return *why = "country \"*\" is the warehouse's name for all countries", ETL_REFUSED;
	for (size_t i = 0; i < ev->nitems; i++) {
		if (!fits(ev->items[i].product_id) || !fits(ev->items[i].category))
			return *why = too_long(!fits(ev->items[i].product_id) ? "items[].product_id" : "items[].category"), ETL_REFUSED;
		if (star(ev->items[i].product_id) || star(ev->items[i].category))
			return *why = "\"*\" is the warehouse's name for all products or categories", ETL_REFUSED;
	}
	if (late(m, ev->ts))
		return ETL_LATE;
	if (!gm_idset_add_hashed(m->loaded[0], ev->id.p, ev->id.n, id_hash))
		return ETL_DUPLICATE;
	saw_ts(m, ev->ts);
	m->counts.transactions++;
	int32_t day = day_of_ts(ev->ts);
	int32_t key = date_key_of(m, day);
	char sid[GM_MAP_KEY_MAX + 24];
	uint32_t cats[MAX_LINES];
	struct product *prods[MAX_LINES];
	for (size_t i = 0; i < ev->nitems; i++) {
		const struct gm_item *it = &ev->items[i];
		struct gm_writer *w = row_begin(m, &gm_rtype_fact_sales);
		int n = (int)sale_id(sid, ev->id, i + 1);
		GM_W_KSTR(w, "sale_id", sid, (size_t)n);
		GM_W_KSTR(w, "transaction_id", ev->id.p, ev->id.n);
		GM_W_KU64(w, "line", i + 1);
		GM_W_KI64(w, "date_key", key);
		GM_W_KTS(w, "ts", ev->ts);
		GM_W_KSTR(w, "user_id", ev->user_id.p, ev->user_id.n);
		GM_W_KSTR(w, "country", ev->country.p, ev->country.n);
		GM_W_KSTR(w, "payment_method", ev->payment_method.p, ev->payment_method.n);
		GM_W_KSTR(w, "product_id", it->product_id.p, it->product_id.n);
		GM_W_KSTR(w, "category", it->category.p, it->category.n);
		GM_W_KI64(w, "quantity", it->quantity);
		GM_W_KMONEY(w, "unit_price", it->unit_price);
		GM_W_KMONEY(w, "amount", it->amount);
		row_put(m, &gm_rtype_fact_sales, w, sid, (size_t)n);
		m->counts.lines++;
		prods[i] = product_of(m, it->product_id);
		cats[i] = category_of(m, prods[i], it->category);
		product_fact(prods[i], ev->ts, (gm_str){ sid, (size_t)n }, cats[i], true, it->unit_price);
	}
	touch_day(m, day);
	note_geo(m, gm_names_id(&m->countries, ev->country));
	count_txn(m, ev->user_id, user_hash, ev->country, ev->ts, ev->items, ev->nitems, cats, prods,
		true, true);
	return ETL_LOADED;
}

static void count_view(struct product *p, int64_t ts, uint32_t cat)
{
	funnel_of(p, day_of_ts(ts), cat)->views++;
}

static void count_cart(struct product *p, int64_t ts, uint32_t cat, bool add)
{
	struct funnel *f = funnel_of(p, day_of_ts(ts), cat);
	if (add)
		f->adds++;
	else
		f->removes++;
}

static enum etl_take load_event(struct etl *m, const struct gm_event *ev, const char **why)
{
	bool view = ev->type == GM_PRODUCT_VIEW;
	if (!fits(ev->id))
		return *why = too_long("event_id"), ETL_REFUSED;
	if (!fits(ev->product_id))
		return *why = too_long("product_id"), ETL_REFUSED;
	if (!fits(ev->category))
		return *why = too_long("category"), ETL_REFUSED;
	if (view && !fits(ev->country))
		return *why = too_long("country"), ETL_REFUSED;
	if (star(ev->product_id) || star(ev->category) || (view && star(ev->country)))
		return *why = "\"*\" is the warehouse's name for all countries, categories or products", ETL_REFUSED;
	if (late(m, ev->ts))
		return ETL_LATE;
	/* The row is built while the id's place in the set (a cache miss
	 * once the ids come out of order and the set outgrows the cache)
	 * and the product's load, and dropped if the id came before. */
	struct gm_idset *loaded = m->loaded[view ? 1 : 2];
	uint64_t id_hash = gm_idset_prefetch(loaded, ev->id.p, ev->id.n);
	uint64_t product_hash = gm_hash(ev->product_id.p, ev->product_id.n);
	gm_map_prefetch_hashed(m->products, product_hash);
	int32_t day = day_of_ts(ev->ts);
	const struct gm_rtype *t = view ? &gm_rtype_fact_product_views : &gm_rtype_fact_cart_events;
	struct gm_writer *w = row_begin(m, t);
	if (view)
		GM_W_KSTR(w, "view_id", ev->id.p, ev->id.n);
	else
		GM_W_KSTR(w, "cart_event_id", ev->id.p, ev->id.n);
	GM_W_KI64(w, "date_key", date_key_of(m, day));
	GM_W_KTS(w, "ts", ev->ts);
	GM_W_KSTR(w, "user_id", ev->user_id.p, ev->user_id.n);
	GM_W_KSTR(w, "session_id", ev->session_id.p, ev->session_id.n);
	GM_W_KSTR(w, "product_id", ev->product_id.p, ev->product_id.n);
	GM_W_KSTR(w, "category", ev->category.p, ev->category.n);
	if (view) {
		GM_W_KSTR(w, "country", ev->country.p, ev->country.n);
		GM_W_KI64(w, "duration_ms", ev->duration_ms);
	} else {
		GM_W_KSTR(w, "action", ev->action.p, ev->action.n);
		GM_W_KI64(w, "quantity", ev->quantity);
		GM_W_KMONEY(w, "unit_price", ev->unit_price);
	}
	/* The product's record loads while the set is looked at. */
	gm_map_prefetch_entry_hashed(m->products, product_hash);
	if (!gm_idset_add_hashed(loaded, ev->id.p, ev->id.n, id_hash)) {
		gm_w_drop(w);
		return ETL_DUPLICATE;
	}
	saw_ts(m, ev->ts);
	row_put(m, t, w, ev->id.p, ev->id.n);
	touch_day(m, day);
	bool created;
	struct product *p = gm_map_put_hashed(m->products, ev->product_id.p, ev->product_id.n,
		product_hash, &created);
	uint32_t cat = category_of(m, p, ev->category);
	product_fact(p, ev->ts, ev->id, cat, !view, ev->unit_price);
	if (view) {
		m->counts.views++;
		note_geo(m, gm_names_id(&m->countries, ev->country));
		count_view(p, ev->ts, cat);
	} else {
		m->counts.carts++;
		count_cart(p, ev->ts, cat, GM_STR_EQ(ev->action, "add"));
	}
	return ETL_LOADED;
}

/* A catalog record: the latest by ts, a tie to the later one. */
static enum etl_take load_product(struct etl *m, const struct gm_event *ev, const char **why)
{
	if (!fits(ev->product_id))
		return *why = too_long("product_id"), ETL_REFUSED;
	struct product *p = product_of(m, ev->product_id);
	p->touched = true;
	m->counts.products++;
	if (p->cat_seen && ev->ts < p->cat_ts)
		return ETL_LOADED;
	p->cat_seen = true;
	p->cat_ts = ev->ts;
	p->cat_price = ev->unit_price;
	free(p->cat_name);
	free(p->cat_category);
	p->cat_name = gm_xstrndup(ev->name.p, ev->name.n);
	p->cat_category = gm_xstrndup(ev->category.p, ev->category.n);
	return ETL_LOADED;
}

enum etl_take etl_load(struct etl *m, const struct gm_event *ev, const char **why)
{
	enum etl_take take;
	switch (ev->type) {
	case GM_TRANSACTION:
		take = load_txn(m, ev, why);
		break;
	case GM_PRODUCT_VIEW:
	case GM_CART_EVENT:
		take = load_event(m, ev, why);
		break;
	case GM_PRODUCT:
		return load_product(m, ev, why);
	default:
		return ETL_IGNORED;
	}
	m->counts.duplicates += take == ETL_DUPLICATE;
	m->counts.late += take == ETL_LATE;
	return take;
}

/* ---- stored rows ---- */

bool etl_range(const struct etl *m, int32_t *lo, int32_t *hi)
{
	if (!m->loaded_any)
		return false;
	/* The months around the days touched: the periods recomputed, the
	 * ones before them (growth's base) and after (whose growth moves). */
	*lo = period_prev(G_MONTH, period_start(G_MONTH, m->lo));
	*hi = period_next(G_MONTH, period_next(G_MONTH, period_start(G_MONTH, m->hi))) - 1;
	return true;
}

struct headed {
	uint64_t head;
	gm_str s;
	uint32_t place;
};

static int headed_order(const void *a, const void *b)
{
	const struct headed *x = a, *y = b;
	return headed_cmp(x->head, x->s, y->head, y->s);
}

/* h[0..n) in the order of headed_order(): a radix pass per byte of
 * the heads, least significant first (a byte the same in all of them
 * passed over), then a sort of each run of equal heads, which keys of
 * at most 8 bytes never have. */
static void sort_headed(struct headed *h, size_t n)
{
	struct headed *spare = gm_xcalloc(n + 1, sizeof *spare);
	struct headed *from = gm_radix_sort(h, spare, n, sizeof *h, offsetof(struct headed, head));
	if (from != h)
		memcpy(h, from, n * sizeof *h);
	free(spare);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && h[j].head == h[i].head)
			j++;
		if (j - i > 1)
			qsort(h + i, j - i, sizeof *h, headed_order);
		i = j;
	}
}

/* How far ahead of a walk by places gm_map_prefetch_at() loads. */
#define AHEAD 8

/* The places of map's entries that take() takes (NULL: all) in the
 * order of their keys (gm_str_cmp()), into *places (free it); returns
 * how many. A map of the model's (next_by_place()). */
static size_t places_by_key(struct gm_map *map, bool (*take)(const void *value),
	uint32_t **places)
{
	size_t left = gm_map_size(map), n = 0, kn;
	struct headed *h = gm_xcalloc(left + 1, sizeof *h);
	uint32_t at = 0;
	const char *k;
	const void *v;
	while ((v = next_by_place(map, &at, &left, &k, &kn)))
		if (!take || take(v)) {
			h[n].s = (gm_str){ k, kn };
			h[n].head = head8(h[n].s);
			h[n++].place = at - 1;
		}
	sort_headed(h, n);
	uint32_t *p = gm_xcalloc(n + 1, sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = h[i].place;
	free(h);
	*places = p;
	return n;
}

static bool is_customer(const void *person)
{
	return ((const struct person *)person)->c.orders != 0;
}

/* The customers in order of user_id (m->by_user), sorted when a new
 * one came since the last sort. */
static const uint32_t *customers_in_order(struct etl *m, size_t *n)
{
	if (!m->by_user_ok) {
		free(m->by_user);
		m->nby_user = places_by_key(m->people, is_customer, &m->by_user);
		m->by_user_ok = true;
	}
	*n = m->nby_user;
	return m->by_user;
}

size_t etl_customers(struct etl *m, gm_str **users)
{
	size_t n, bytes = 0, kn;
	const char *k;
	const uint32_t *at = customers_in_order(m, &n);
	for (size_t i = 0; i < n; i++) {
		if (i + AHEAD < n)
			gm_map_prefetch_at(m->people, at[i + AHEAD]);
		gm_map_at(m->people, at[i], &k, &kn);
		bytes += kn;
	}
	gm_str *u = gm_xcalloc(1, n * sizeof *u + bytes + 1);
	char *to = (char *)(u + n);
	for (size_t i = 0; i < n; i++) {
		if (i + AHEAD < n)
			gm_map_prefetch_at(m->people, at[i + AHEAD]);
		gm_map_at(m->people, at[i], &k, &kn);
		memcpy(to, k, kn);
		u[i] = (gm_str){ to, kn };
		to += kn;
	}
	*users = u;
	return n;
}

static bool in_range(const struct etl *m, int64_t ts)
{
	int32_t lo, hi, day = day_of_ts(ts);
	return etl_range(m, &lo, &hi) && day >= lo && day <= hi;
}

/* The stored transaction gathered so far, counted. */
static void flush_txn(struct etl *m)
{
	if (!m->txn_n)
		return;
	/* The strings moved while they grew: point the lines at them now. */
	size_t off = 0;
	for (size_t i = 0; i < m->txn_n; i++) {
		m->txn_items[i].product_id.p = m->txn_strings + off;
		off += m->txn_items[i].product_id.n;
		m->txn_items[i].category.p = m->txn_strings + off;
		off += m->txn_items[i].category.n;
	}
	gm_str user = { m->txn_user, m->txn_userlen };
	struct person *who = gm_map_peek(m->people, user.p, user.n);
	bool customer = who && who->c.orders, counted = in_range(m, m->txn_ts);
	uint32_t cats[MAX_LINES];
	struct product *prods[MAX_LINES];
	for (size_t i = 0; counted && i < m->txn_n; i++) {
		prods[i] = product_of(m, m->txn_items[i].product_id);
		cats[i] = category_of(m, prods[i], m->txn_items[i].category);
	}
	count_txn(m, user, gm_hash(user.p, user.n), (gm_str){ m->txn_country, m->txn_countrylen },
		m->txn_ts, m->txn_items, m->txn_n, cats, prods, counted, customer);
	m->txn_n = 0;
	m->txn_slen = 0;
}

static void keep_string(struct etl *m, gm_str s)
{
	m->txn_strings = gm_grow(m->txn_strings, &m->txn_scap, m->txn_slen + s.n, 1, 4096);
	memcpy(m->txn_strings + m->txn_slen, s.p, s.n);
	m->txn_slen += s.n;
}

static bool stored_sale(struct etl *m, const union gm_rvalue *v, const char **why)
{
	gm_str txn = v[m->sale_at.txn].s, user = v[m->sale_at.user].s,
		country = v[m->sale_at.country].s, product = v[m->sale_at.product].s,
		category = v[m->sale_at.category].s;
	if (!fits(txn) || !fits(user) || !fits(country) || !fits(product) || !fits(category))
		return *why = "a field longer than 64 bytes", false;
	if (gm_idset_has(m->loaded[0], txn.p, txn.n)) {
		m->counts.replaced++;
		return true;
	}
	if (m->txn_n && (txn.n != m->txn_idlen || memcmp(txn.p, m->txn_id, txn.n)))
		flush_txn(m);
	if (!m->txn_n) {
		if (!gm_idset_add(m->stored_txns, txn.p, txn.n))
			return *why = "a line of a transaction apart from its others", false;
		memcpy(m->txn_id, txn.p, txn.n);
		m->txn_idlen = txn.n;
		memcpy(m->txn_user, user.p, user.n);
		m->txn_userlen = user.n;
		memcpy(m->txn_country, country.p, country.n);
		m->txn_countrylen = country.n;
		m->txn_ts = v[m->sale_at.ts].i;
	}
	if (m->txn_n == MAX_LINES)
		return *why = "a transaction of more than 4096 lines", false;
	m->txn_items = gm_grow(m->txn_items, &m->txn_cap, m->txn_n + 1, sizeof *m->txn_items, 16);
	struct gm_item *it = &m->txn_items[m->txn_n++];
	it->product_id.n = product.n;
	it->category.n = category.n;
	it->quantity = v[m->sale_at.quantity].i;
	it->unit_price = v[m->sale_at.unit_price].i;
	it->amount = v[m->sale_at.amount].i;
	keep_string(m, product);
	keep_string(m, category);
	return true;
}

static bool stored_product(struct etl *m, const union gm_rvalue *v, const bool *has)
{
	gm_str id = v[m->product_at.id].s;
	struct product *p = fits(id) ? gm_map_peek(m->products, id.p, id.n) : NULL;
	if (!p || !p->touched)
		return true;
	p->has_row = true;
	p->row_catalog = v[m->product_at.in_catalog].b;
	p->row_priced = has[m->product_at.unit_price];
	p->row_updated = v[m->product_at.updated].i;
	gm_str by = v[m->product_at.updated_by].s;
	free(p->row_by);
	p->row_by = gm_xstrndup(by.p, by.n);
	return true;
}

bool etl_stored(struct etl *m, const struct gm_rtype *t, const union gm_rvalue *v,
	const bool *has, const char **why)
{
	if (t == &gm_rtype_etl_state) {
		m->has_watermark = true;
		m->watermark = m->max_ts = v[GM_RFIELD_AT(t, "watermark")].i;
		size_t o = GM_RFIELD_AT(t, "offsets");
		free(m->offsets);
		m->offsets = has[o] ? gm_xstrndup(v[o].s.p, v[o].s.n) : NULL;
		return true;
	}
	if (t == &gm_rtype_dim_product)
		return stored_product(m, v, has);
	if (t == &gm_rtype_fact_sales)
		return stored_sale(m, v, why);
	bool view = t == &gm_rtype_fact_product_views;
	const struct fact_at *at = view ? &m->view_at : &m->cart_at;
	gm_str id = v[0].s, product = v[at->product].s, category = v[at->category].s;
	int64_t ts = v[at->ts].i;
	if (!fits(id) || !fits(product) || !fits(category))
		return *why = "a field longer than 64 bytes", false;
	if (gm_idset_has(m->loaded[view ? 1 : 2], id.p, id.n)) {
		m->counts.replaced++;
		return true;
	}
	if (!in_range(m, ts))
		return true;
	struct product *p = product_of(m, product);
	uint32_t cat = category_of(m, p, category);
	if (view)
		count_view(p, ts, cat);
	else
		count_cart(p, ts, cat, GM_STR_EQ(v[at->action].s, "add"));
	return true;
}

void etl_stored_end(struct etl *m, const struct gm_rtype *t)
{
	if (t == &gm_rtype_fact_sales)
		flush_txn(m);
}

/* ---- the derived rows ---- */

/* Rows of one table, built in memory, put in order of id: the rows one
 * after another in a memory writer, the ids in one buffer, and where
 * each is, so that a row costs no allocation of its own. */
struct built {
	uint64_t head;        /* head8() of the id */
	size_t id_at, idlen, row_at, len;
};

struct table_rows {
	struct built *r;
	size_t n, cap;
	struct gm_writer *w;
	size_t row_at;        /* where the row being built starts */
	char *ids;
	size_t idlen, idcap;
};

static struct gm_writer *rows_begin(struct table_rows *tr, const struct gm_rtype *t)
{
	if (!tr->w)
		tr->w = gm_writer_mem();
	gm_writer_data(tr->w, &tr->row_at);
	gm_w_obj_begin(tr->w);
	GM_W_KEY(tr->w, "type");
	gm_w_cstr(tr->w, t->name);
	return tr->w;
}

static void rows_add(struct table_rows *tr, const char *id, size_t n)
{
	gm_w_end(tr->w);
	size_t end;
	gm_writer_data(tr->w, &end);
	tr->r = gm_grow(tr->r, &tr->cap, tr->n + 1, sizeof *tr->r, 256);
	tr->ids = gm_grow(tr->ids, &tr->idcap, tr->idlen + n, 1, 4096);
	memcpy(tr->ids + tr->idlen, id, n);
	tr->r[tr->n++] = (struct built){ head8((gm_str){ id, n }), tr->idlen, n, tr->row_at,
		end - 1 - tr->row_at };
	tr->idlen += n;
}

static int by_id(const void *a, const void *b, void *ids)
{
	const struct built *x = a, *y = b;
	return headed_cmp(x->head, (gm_str){ (char *)ids + x->id_at, x->idlen },
		y->head, (gm_str){ (char *)ids + y->id_at, y->idlen });
}

static bool sorted_by_id(const struct table_rows *tr)
{
	for (size_t i = 1; i < tr->n; i++)
		if (by_id(&tr->r[i - 1], &tr->r[i], tr->ids) > 0)
			return false;
	return true;
}

/* Puts the rows sorted by id, and frees them. */
static void rows_put(struct etl *m, const struct gm_rtype *t, struct table_rows *tr, int table)
{
	if (!sorted_by_id(tr))  /* rows built in order of id need no sort */
		qsort_r(tr->r, tr->n, sizeof *tr->r, by_id, tr->ids);
	size_t len;
	const char *data = tr->w ? gm_writer_data(tr->w, &len) : NULL;
	for (size_t i = 0; i < tr->n; i++) {
		struct gm_writer *w = m->out.begin(m->out.ctx, t);
		gm_w_record(w, data + tr->r[i].row_at, tr->r[i].len);
		m->out.put(m->out.ctx, t, tr->ids + tr->r[i].id_at, tr->r[i].idlen);
	}
	m->counts.rows[table] += tr->n;
	free(tr->r);
	free(tr->ids);
	if (tr->w)
		gm_writer_close(tr->w);
	memset(tr, 0, sizeof *tr);
}

/* "GRAIN/START/A/B", a derived row's id, into id (room for both names
 * and 24 bytes more); returns its length. */
static size_t join_id(char *id, const char *grain, const char *start, gm_str a, gm_str b)
{
	size_t n = strlen(grain);
	memcpy(id, grain, n);
	id[n++] = '/';
	memcpy(id + n, start, 10);
	n += 10;
	id[n++] = '/';
	memcpy(id + n, a.p, a.n);
	n += a.n;
	id[n++] = '/';
	memcpy(id + n, b.p, b.n);
	return n + b.n;
}

static const char *const day_names[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
	"Friday", "Saturday", "Sunday" };
static const char *const month_names[] = { "January", "February", "March", "April", "May",
	"June", "July", "August", "September", "October", "November", "December" };

static void emit_dates(struct etl *m)
{
	struct table_rows tr = { 0 };
	struct gm_map_iter it;
	const char *k;
	size_t kn;
	gm_map_iter_init(&it, m->days, true);
	while (gm_map_iter_next(&it, &k, &kn)) {
		int32_t day;
		memcpy(&day, k, sizeof day);
		struct civil c = civil_of_day(day);
		char date[11], week[11];
		format_day(day, date);
		format_day(period_start(G_WEEK, day), week);
		int iy, iw, dow = iso_weekday(day);
		iso_week(day, &iy, &iw);
		struct gm_writer *w = rows_begin(&tr, &gm_rtype_dim_date);
		GM_W_KSTR(w, "date", date, 10);
		GM_W_KI64(w, "date_key", date_key_of_day(day));
		GM_W_KI64(w, "day", c.day);
		GM_W_KI64(w, "day_of_week", dow);
		GM_W_KCSTR(w, "day_name", day_names[dow - 1]);
		GM_W_KSTR(w, "week_start", week, 10);
		GM_W_KI64(w, "iso_year", iy);
		GM_W_KI64(w, "iso_week", iw);
		GM_W_KI64(w, "month", c.month);
		GM_W_KCSTR(w, "month_name", month_names[c.month - 1]);
		GM_W_KI64(w, "quarter", (c.month - 1) / 3 + 1);
		GM_W_KI64(w, "year", c.year);
		GM_W_KBOOL(w, "is_weekend", dow >= 6);
		rows_add(&tr, date, 10);
	}
	rows_put(m, &gm_rtype_dim_date, &tr, T_DATE);
}

static void emit_customers(struct etl *m)
{
	/* In order of id: each row goes out as it is built. */
	size_t n, kn;
	const char *k;
	const uint32_t *at = customers_in_order(m, &n);
	for (size_t u = 0; u < n; u++) {
		/* The records load AHEAD customers before theirs (a first
		 * country is in it, the others rarely exist). */
		if (u + AHEAD < n)
			gm_map_prefetch_at(m->people, at[u + AHEAD]);
		struct customer *c = &((struct person *)gm_map_at(m->people, at[u], &k, &kn))->c;
		/* Most orders; then the earliest; then the smaller name. */
		struct country_count *best = &c->country;
		for (size_t i = 1; i < c->ncountries; i++) {
			struct country_count *x = country_at(c, i);
			if (x->orders != best->orders ? x->orders > best->orders
				: x->first != best->first ? x->first < best->first
				: gm_str_cmp(m->countries.name[x->country], m->countries.name[best->country]) < 0)
				best = x;
		}
		gm_str home = m->countries.name[best->country];
		struct gm_writer *w = row_begin(m, &gm_rtype_dim_customer);
		GM_W_KSTR(w, "user_id", k, kn);
		GM_W_KSTR(w, "home_country", home.p, home.n);
		GM_W_KTS(w, "first_purchase", c->first);
		GM_W_KTS(w, "last_purchase", c->last);
		GM_W_KI64(w, "orders", c->orders);
		GM_W_KI64(w, "units", c->units);
		GM_W_KMONEY(w, "lifetime_value", c->ltv);
		row_put(m, &gm_rtype_dim_customer, w, k, kn);
	}
	m->counts.rows[T_CUSTOMER] += n;
}

static void emit_products(struct etl *m)
{
	struct table_rows tr = { 0 };
	struct gm_map_iter it;
	const char *k;
	size_t kn;
	void *v;
	gm_map_iter_init(&it, m->products, true);
	while ((v = gm_map_iter_next(&it, &k, &kn))) {
		struct product *p = v;
		if (!p->touched)
			continue;
		/* The row it had, unless a record of the run beats it: a
		 * catalog record as late or later; a fact, over a row not
		 * from the catalog, that is priced where the row is not, or
		 * as priced and later by (ts, id). */
		bool by_catalog = p->cat_seen && (!p->has_row || !p->row_catalog || p->cat_ts >= p->row_updated);
		bool by_fact = !by_catalog && p->fact_seen && (!p->has_row || (!p->row_catalog &&
			(p->fact_priced != p->row_priced ? p->fact_priced
			: p->fact_ts != p->row_updated ? p->fact_ts > p->row_updated
			: gm_str_cmp((gm_str){ p->fact_by, p->fact_by_len },
				(gm_str){ p->row_by, strlen(p->row_by) }) >= 0)));  /* the row's own
			   fact loaded again is taken again, corrected or not */
		if (!by_catalog && !by_fact)
			continue;  /* the row it has stays */
		struct gm_writer *w = rows_begin(&tr, &gm_rtype_dim_product);
		GM_W_KSTR(w, "product_id", k, kn);
		if (by_catalog) {
			GM_W_KCSTR(w, "name", p->cat_name);
			GM_W_KCSTR(w, "category", p->cat_category);
			GM_W_KMONEY(w, "unit_price", p->cat_price);
			GM_W_KBOOL(w, "in_catalog", true);
			GM_W_KTS(w, "updated", p->cat_ts);
			GM_W_KSTR(w, "updated_by", k, kn);
		} else {
			GM_W_KSTR(w, "category", m->categories.name[p->fact_cat].p, m->categories.name[p->fact_cat].n);
			if (p->fact_priced)
				GM_W_KMONEY(w, "unit_price", p->fact_price);
			GM_W_KBOOL(w, "in_catalog", false);
			GM_W_KTS(w, "updated", p->fact_ts);
			GM_W_KSTR(w, "updated_by", p->fact_by, p->fact_by_len);
		}
		rows_add(&tr, k, kn);
	}
	rows_put(m, &gm_rtype_dim_product, &tr, T_PRODUCT);
}

static void emit_geography(struct etl *m)
{
	static const struct { const char *country, *region, *currency; } known[] = {
		{ "USA", "North America", "USD" }, { "Canada", "North America", "CAD" },
		{ "UK", "Europe", "GBP" }, { "Germany", "Europe", "EUR" }, { "France", "Europe", "EUR" },
	};
	struct table_rows tr = { 0 };
	for (size_t c = 0; c < m->geocap; c++) {
		if (!m->geo[c])
			continue;
		const char *k = m->countries.name[c].p;
		size_t kn = m->countries.name[c].n;
		struct gm_writer *w = rows_begin(&tr, &gm_rtype_dim_geography);
		GM_W_KSTR(w, "country", k, kn);
		size_t i = 0;
		while (i < sizeof known / sizeof *known &&
			(strlen(known[i].country) != kn || memcmp(known[i].country, k, kn)))
			i++;
		if (i < sizeof known / sizeof *known) {
			GM_W_KCSTR(w, "region", known[i].region);
			GM_W_KCSTR(w, "currency", known[i].currency);
		} else
			GM_W_KLIT(w, "region", "Unknown");
		rows_add(&tr, k, kn);
	}
	rows_put(m, &gm_rtype_dim_geography, &tr, T_GEOGRAPHY);
}

/* Whether the period of grain g starting at start holds a day loaded. */
static bool period_touched(const struct etl *m, enum grain g, int32_t start)
{
	int32_t key[2] = { (int32_t)g, start };
	return gm_map_peek(m->periods, (const char *)key, sizeof key) != NULL;
}

/* product_performance: the funnel per (grain, period, category,
 * product) and per (grain, period, category), for touched periods. */
struct perf {
	int32_t start;
	uint32_t cat;
	uint8_t grain;
	char start_s[11];      /* start as the row writes it */
	uint32_t start_key;    /* start_s's digits as a number: its order */
	const char *product;   /* NULL: the category's row */
	size_t plen;
	uint64_t phead;        /* head8() of the product, or of "*" */
	size_t cat_row;        /* a product's row: its category's */
	size_t to;             /* a category's row: where its next row goes */
	struct funnel f;
	int64_t rank;
};

/* The order that ranks: by (grain, period), the categories' rows
 * first, then each category's products; within a ranking, revenue down,
 * then the name up. */
static int perf_by_rank(const void *a, const void *b, void *ctx)
{
	const struct gm_names *cats = ctx;
	const struct perf *x = a, *y = b;
	if (x->grain != y->grain)
		return x->grain - y->grain;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (!x->product != !y->product)
		return !x->product ? -1 : 1;
	if (x->product && x->cat != y->cat)
		return gm_str_cmp(cats->name[x->cat], cats->name[y->cat]);
	if (x->f.revenue != y->f.revenue)
		return x->f.revenue > y->f.revenue ? -1 : 1;
	gm_str xn = x->product ? (gm_str){ x->product, x->plen } : cats->name[x->cat];
	gm_str yn = y->product ? (gm_str){ y->product, y->plen } : cats->name[y->cat];
	return gm_str_cmp(xn, yn);
}

static int perf_ptr_by_rank(const void *a, const void *b, void *ctx)
{
	return perf_by_rank(*(struct perf *const *)a, *(struct perf *const *)b, ctx);
}

/* a + "/" and b + "/" in the order of their bytes: a name's order in
 * an id that joins it to what follows with a slash. */
static int slash_cmp(gm_str a, gm_str b)
{
	size_t n = a.n < b.n ? a.n : b.n;
	int c = memcmp(a.p, b.p, n);
	if (c || a.n == b.n)
		return c;
	/* One is a prefix of the other: the shorter's slash against the
	 * longer's next byte; the same byte, and the shorter with its
	 * slash is a prefix of the longer with its own. */
	c = a.n < b.n ? '/' - (unsigned char)b.p[n] : (unsigned char)a.p[n] - '/';
	return c ? c : a.n < b.n ? -1 : 1;
}

/* What orders product_performance rows as their ids
 * ("GRAIN/START/CATEGORY/PRODUCT", join_id()) order them, without
 * writing the ids: grains and categories by rank, as the names and a
 * slash order them. A category name with a slash in it may run into
 * the product's part; then cat_rank is NULL and the category and
 * product are compared joined. */
struct perf_order {
	const struct gm_names *cats;
	int grain_rank[G_NGRAINS];
	uint32_t *cat_rank;
};

static int perf_by_id(const void *a, const void *b, void *ctx)
{
	const struct perf_order *o = ctx;
	const struct perf *x = a, *y = b;
	if (x->grain != y->grain)
		return o->grain_rank[x->grain] - o->grain_rank[y->grain];
	if (x->start_key != y->start_key)
		return x->start_key < y->start_key ? -1 : 1;
	gm_str xp = x->product ? (gm_str){ x->product, x->plen } : (gm_str){ "*", 1 };
	gm_str yp = y->product ? (gm_str){ y->product, y->plen } : (gm_str){ "*", 1 };
	if (x->cat == y->cat)
		return headed_cmp(x->phead, xp, y->phead, yp);
	if (o->cat_rank)
		return o->cat_rank[x->cat] < o->cat_rank[y->cat] ? -1 : 1;
	char xj[2 * GM_MAP_KEY_MAX + 2], yj[2 * GM_MAP_KEY_MAX + 2];
	gm_str xc = o->cats->name[x->cat], yc = o->cats->name[y->cat];
	memcpy(xj, xc.p, xc.n);
	xj[xc.n] = '/';
	memcpy(xj + xc.n + 1, xp.p, xp.n);
	memcpy(yj, yc.p, yc.n);
	yj[yc.n] = '/';
	memcpy(yj + yc.n + 1, yp.p, yp.n);
	return gm_str_cmp((gm_str){ xj, xc.n + 1 + xp.n }, (gm_str){ yj, yc.n + 1 + yp.n });
}

/* perf_by_id() of rows given by their index in rows. */
struct perf_rows {
	const struct perf *rows;
	struct perf_order *o;
};

static int perf_ix_by_id(const void *a, const void *b, void *ctx)
{
	const struct perf_rows *c = ctx;
	return perf_by_id(&c->rows[*(const size_t *)a], &c->rows[*(const size_t *)b], c->o);
}

static int cat_by_slash(const void *a, const void *b, void *ctx)
{
	const struct gm_names *cats = ctx;
	return slash_cmp(cats->name[*(const uint32_t *)a], cats->name[*(const uint32_t *)b]);
}

/* The order of perf_by_id() for the run's names; free cat_rank after. */
static void perf_order_init(struct perf_order *o, const struct gm_names *cats)
{
	o->cats = cats;
	for (int g = 0; g < G_NGRAINS; g++) {
		o->grain_rank[g] = 0;
		for (int h = 0; h < G_NGRAINS; h++)
			o->grain_rank[g] += slash_cmp((gm_str){ grain_names[h], strlen(grain_names[h]) },
				(gm_str){ grain_names[g], strlen(grain_names[g]) }) < 0;
	}
	o->cat_rank = NULL;
	for (size_t i = 0; i < cats->n; i++)
		if (memchr(cats->name[i].p, '/', cats->name[i].n))
			return;
	uint32_t *by = gm_xcalloc(cats->n, sizeof *by);
	for (size_t i = 0; i < cats->n; i++)
		by[i] = (uint32_t)i;
	qsort_r(by, cats->n, sizeof *by, cat_by_slash, (void *)cats);
	o->cat_rank = gm_xcalloc(cats->n, sizeof *o->cat_rank);
	for (size_t i = 0; i < cats->n; i++)
		o->cat_rank[by[i]] = (uint32_t)i;
	free(by);
}

/* Ranks rows[0..n), which are in order of id: within each (grain,
 * period), whose rows are together, the categories' rows by revenue,
 * and each category's products. */
static void perf_rank(struct perf *rows, size_t n, const struct gm_names *cats)
{
	struct perf **by = NULL;
	size_t cap = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && rows[j].grain == rows[i].grain && rows[j].start == rows[i].start)
			j++;
		by = gm_grow(by, &cap, j - i, sizeof *by, 256);
		for (size_t a = i; a < j; a++)
			by[a - i] = &rows[a];
		qsort_r(by, j - i, sizeof *by, perf_ptr_by_rank, (void *)cats);
		for (size_t a = 0; a < j - i;) {
			size_t b = a + 1;
			while (b < j - i && !by[b]->product == !by[a]->product &&
				(!by[a]->product || by[b]->cat == by[a]->cat))
				b++;
			for (size_t r = a; r < b; r++)
				by[r]->rank = (int64_t)(r - a + 1);
			a = b;
		}
		i = j;
	}
	free(by);
}

/* A row's key in emit_performance(): grain, start, category, and
 * UINT32_MAX for the category's row (0 for a product's, whose rows are
 * found among the product's own). */
struct perf_key {
	uint8_t grain;
	uint8_t pad[3];
	int32_t start;
	uint32_t cat, product;
};

/* Puts rows[0..n) in the order of perf_by_id() with a pass over them,
 * not a sort, when the products' rows came in the order of their ids
 * (those ordered before "*" first, up to rows[split]) and o ranks the
 * categories: each category's row, sorted by themselves, starts a
 * bucket that its products' rows fill in the order they came, with the
 * category's own row where "*" falls among them. */
static struct perf *perf_by_bucket(struct perf *rows, size_t n, size_t split,
	struct perf_order *o)
{
	size_t *cats = NULL, ncats = 0, cap = 0;
	for (size_t i = 0; i < n; i++)
		if (!rows[i].product) {
			cats = gm_grow(cats, &cap, ncats + 1, sizeof *cats, 256);
			cats[ncats++] = i;
			rows[i].to = 1;
		}
	for (size_t i = 0; i < n; i++)
		if (rows[i].product)
			rows[rows[i].cat_row].to++;
	struct perf_rows ctx = { rows, o };
	if (ncats)
		qsort_r(cats, ncats, sizeof *cats, perf_ix_by_id, &ctx);
	size_t at = 0;
	for (size_t c = 0; c < ncats; c++) {
		size_t size = rows[cats[c]].to;
		rows[cats[c]].to = at;
		at += size;
	}
	free(cats);
	struct perf *out = gm_xcalloc(n + 1, sizeof *out);
	for (size_t i = 0; i < split; i++)
		if (rows[i].product)
			out[rows[rows[i].cat_row].to++] = rows[i];
	for (size_t i = 0; i < n; i++)
		if (!rows[i].product)
			out[rows[i].to++] = rows[i];
	for (size_t i = split; i < n; i++)
		if (rows[i].product)
			out[rows[rows[i].cat_row].to++] = rows[i];
	free(rows);
	return out;
}

static void emit_performance(struct etl *m)
{
	/* Every (grain, period, category, product) of a touched period,
	 * and every (grain, period, category). */
	struct perf *rows = NULL;
	size_t n = 0, cap = 0;
	/* By bucket (perf_by_bucket()), when the categories are ranked and
	 * no product is named "*" (it would share ids with the categories'
	 * rows: those are left to the sort, in the order they come): the
	 * products are walked in order of id. */
	struct gm_map_iter it;
	const char *k;
	size_t kn;
	void *v;
	struct perf_order order;
	perf_order_init(&order, &m->categories);
	const struct product *star_p = gm_map_peek(m->products, "*", 1);
	bool by_bucket = order.cat_rank && !(star_p && (star_p->ndays || star_p->has_now));
	uint32_t *by_id = NULL;
	size_t nby_id = by_bucket ? places_by_key(m->products, NULL, &by_id) : 0;
	/* The products whose ids order before "*": by_id[0..below) */
	size_t below = 0, o = 0, split = 0;
	for (size_t hi = nby_id; below < hi;) {
		size_t mid = below + (hi - below) / 2;
		gm_map_at(m->products, by_id[mid], &k, &kn);
		if (gm_str_cmp((gm_str){ k, kn }, (gm_str){ "*", 1 }) < 0)
			below = mid + 1;
		else
			hi = mid;
	}
	/* The categories' rows by key; a product's by a look at the few
	 * periods it has (mine), which is most of the rows. */
	struct gm_map *at = gm_map_new(sizeof(size_t), (size_t)1 << 31);
	struct mine {
		struct perf_key k;
		size_t ix;            /* SIZE_MAX: a period not touched */
	} *mine = NULL;
	size_t nmine, capmine = 0;
	gm_map_iter_init(&it, m->products, true);
	for (;;) {
		if (by_bucket) {
			if (o == below)
				split = n;
			if (o == nby_id)
				break;
			if (o + AHEAD < nby_id)
				gm_map_prefetch_at(m->products, by_id[o + AHEAD]);
			v = gm_map_at(m->products, by_id[o++], &k, &kn);
		} else if (!(v = gm_map_iter_next(&it, &k, &kn)))
			break;
		struct product *p = v;
		nmine = 0;
		for (size_t i = 0; i < p->ndays + p->has_now; i++) {
			const struct pday *d = pday_at(p, i);
			for (enum grain g = 0; g < G_NGRAINS; g++) {
				struct perf_key key = { .grain = (uint8_t)g, .start = period_start(g, d->day),
					.cat = d->cat, .product = 0 };
				size_t j = 0;
				while (j < nmine && memcmp(&mine[j].k, &key, sizeof key))
					j++;
				if (j == nmine) {
					mine = gm_grow(mine, &capmine, nmine + 1, sizeof *mine, 64);
					mine[nmine].k = key;
					mine[nmine].ix = SIZE_MAX;
					if (period_touched(m, g, key.start)) {
						rows = gm_grow(rows, &cap, n + 1, sizeof *rows, 1024);
						rows[n] = (struct perf){ .start = key.start, .cat = d->cat,
							.grain = (uint8_t)g, .product = k, .plen = kn };
						mine[nmine].ix = n++;
					}
					nmine++;
				}
				if (mine[j].ix == SIZE_MAX)
					continue;
				key.product = UINT32_MAX;
				bool created;
				size_t *cx = gm_map_put(at, (const char *)&key, sizeof key, &created);
				if (created) {
					rows = gm_grow(rows, &cap, n + 1, sizeof *rows, 1024);
					*cx = n;
					rows[n++] = (struct perf){ .start = key.start, .cat = d->cat,
						.grain = (uint8_t)g };
				}
				rows[mine[j].ix].cat_row = *cx;
				for (int level = 0; level < 2; level++) {
					struct funnel *f = &rows[level ? *cx : mine[j].ix].f;
					f->views += d->f.views;
					f->adds += d->f.adds;
					f->removes += d->f.removes;
					f->units = gm_add_saturating(f->units, d->f.units);
					f->revenue = gm_add_saturating(f->revenue, d->f.revenue);
					if (!level)
						f->orders += d->f.orders;
				}
			}
		}
	}
	free(mine);
	free(by_id);
	/* A category's orders: distinct transactions, counted per day. */
	gm_map_iter_init(&it, m->cdays, true);
	while ((v = gm_map_iter_next(&it, &k, &kn))) {
		int64_t day_cat;
		memcpy(&day_cat, k, sizeof day_cat);
		for (enum grain g = 0; g < G_NGRAINS; g++) {
			struct perf_key key = { .grain = (uint8_t)g, .start = period_start(g, (int32_t)(day_cat >> 32)),
				.cat = (uint32_t)day_cat, .product = UINT32_MAX };
			size_t *ix = gm_map_peek(at, (const char *)&key, sizeof key);
			if (ix)
				rows[*ix].f.orders += *(int64_t *)v;
		}
	}
	gm_map_free(at);
	/* In the order of their ids, as the table is written; ranked. */
	int32_t last = 0;
	for (size_t i = 0; i < n; i++) {
		struct perf *r = &rows[i];
		if (i && r->start == last) {
			memcpy(r->start_s, r[-1].start_s, sizeof r->start_s);
			r->start_key = r[-1].start_key;
		} else {
			format_day(r->start, r->start_s);
			r->start_key = 0;
			for (const char *c = r->start_s; *c; c++)
				if (*c >= '0' && *c <= '9')
					r->start_key = r->start_key * 10 + (uint32_t)(*c - '0');
		}
		last = r->start;
		r->phead = head8(r->product ? (gm_str){ r->product, r->plen } : (gm_str){ "*", 1 });
	}
	if (by_bucket)
		rows = perf_by_bucket(rows, n, split, &order);
	else if (n)
		qsort_r(rows, n, sizeof *rows, perf_by_id, &order);
	free(order.cat_rank);
	perf_rank(rows, n, &m->categories);
	/* In order of id: each row goes out as it is built. */
	for (size_t i = 0; i < n; i++) {
		struct perf *r = &rows[i];
		gm_str cat = m->categories.name[r->cat];
		gm_str prod = r->product ? (gm_str){ r->product, r->plen } : (gm_str){ "*", 1 };
		const char *start = r->start_s;
		char id[16 + 2 * GM_MAP_KEY_MAX + 8];
		size_t idn = join_id(id, grain_names[r->grain], start, cat, prod);
		struct gm_writer *w = row_begin(m, &gm_rtype_product_performance);
		GM_W_KSTR(w, "perf_id", id, idn);
		GM_W_KCSTR(w, "grain", grain_names[r->grain]);
		GM_W_KSTR(w, "period_start", start, 10);
		GM_W_KSTR(w, "category", cat.p, cat.n);
		GM_W_KSTR(w, "product_id", prod.p, prod.n);
		GM_W_KI64(w, "views", r->f.views);
		GM_W_KI64(w, "cart_adds", r->f.adds);
		GM_W_KI64(w, "cart_removes", r->f.removes);
		GM_W_KI64(w, "orders", r->f.orders);
		GM_W_KI64(w, "units", r->f.units);
		GM_W_KMONEY(w, "revenue", r->f.revenue);
		GM_W_KEY(w, "view_to_cart");
		gm_w_ratio(w, r->f.adds, r->f.views);
		GM_W_KEY(w, "cart_to_purchase");
		gm_w_ratio(w, r->f.orders, r->f.adds);
		GM_W_KI64(w, "rank", r->rank);
		row_put(m, &gm_rtype_product_performance, w, id, idn);
	}
	free(rows);
	m->counts.rows[T_PERF] += n;
}

/* The trends of every grain and cut from those by day and country:
 * sums, since a transaction lies in one day and one country. */
static void roll_up_trends(struct etl *m)
{
	struct day_trend {
		struct trend_key k;
		struct trend t;
	} *days = NULL;
	size_t n = 0, cap = 0;
	struct gm_map_iter it;
	const char *k;
	size_t kn;
	void *v;
	gm_map_iter_init(&it, m->trends, true);
	while ((v = gm_map_iter_next(&it, &k, &kn))) {
		days = gm_grow(days, &cap, n + 1, sizeof *days, 256);
		memcpy(&days[n].k, k, sizeof days[n].k);
		days[n++].t = *(struct trend *)v;
	}
	for (size_t i = 0; i < n; i++) {
		struct trend_key *dk = &days[i].k;
		for (enum grain g = 0; g < G_NGRAINS; g++)
			for (int all = 0; all < 2; all++) {
				if (g == G_DAY && !all)
					continue;  /* itself */
				struct trend *t = trend_of(m, g, period_start(g, dk->start),
					all ? STAR : dk->country, dk->category);
				t->revenue = gm_add_saturating(t->revenue, days[i].t.revenue);
				t->units = gm_add_saturating(t->units, days[i].t.units);
				t->orders += days[i].t.orders;
			}
	}
	free(days);
}

/* Each customer once in every (grain, period, cut) it bought in. The
 * trends a bought (day, country, category) counts in, one per grain
 * and cut, are found once per such triple (their places in m->trends,
 * which stay while no entry goes), and a customer's are told apart by
 * a stamp per place: the customer's number, when it was counted there. */
#define CUTS (G_NGRAINS * 4)

static void count_customers(struct etl *m)
{
	struct gm_map *cuts = gm_map_new(CUTS * sizeof(uint32_t), (size_t)1 << 31);
	uint64_t *stamp = NULL;
	size_t stamps = 0, who = 0;
	struct gm_map_iter it;
	const char *k;
	size_t kn;
	void *v;
	gm_map_iter_init(&it, m->people, true);
	while ((v = gm_map_iter_next(&it, &k, &kn))) {
		struct buyer *b = &((struct person *)v)->b;
		if (!b->n)
			continue;
		who++;
		for (size_t i = 0; i < b->n; i++) {
			const struct bought *x = bought_at(b, i);
			bool created;
			uint32_t *place = gm_map_put(cuts, (const char *)x, sizeof *x, &created);
			if (created)
				for (enum grain g = 0; g < G_NGRAINS; g++)
					for (int cut = 0; cut < 4; cut++)
						place[g * 4 + cut] = gm_map_place(m->trends,
							trend_of(m, g, period_start(g, x->day),
								cut & 1 ? x->country : STAR, cut & 2 ? x->cat : STAR));
			for (size_t c = 0; c < CUTS; c++) {
				uint32_t at = place[c];
				if (at >= stamps) {
					size_t old = stamps;
					stamp = gm_grow(stamp, &stamps, (size_t)at + 1, sizeof *stamp, 1024);
					memset(stamp + old, 0, (stamps - old) * sizeof *stamp);
				}
				if (stamp[at] == who)
					continue;
				stamp[at] = who;
				const char *tk;
				size_t tkn;
				((struct trend *)gm_map_at(m->trends, at, &tk, &tkn))->customers++;
			}
		}
	}
	free(stamp);
	gm_map_free(cuts);
}

static void emit_trends(struct etl *m)
{
	roll_up_trends(m);
	count_customers(m);
	struct table_rows tr = { 0 };
	struct gm_map_iter it;
	const char *k;
	size_t kn;
	void *v;
	gm_map_iter_init(&it, m->trends, true);
	while ((v = gm_map_iter_next(&it, &k, &kn))) {
		struct trend_key key;
		memcpy(&key, k, sizeof key);
		enum grain g = key.grain;
		/* A touched period, or the one after a touched one, whose
		 * growth moves with it. */
		int32_t prev = period_prev(g, key.start);
		if (!period_touched(m, g, key.start) && !period_touched(m, g, prev))
			continue;
		struct trend *t = v, *before = NULL;
		struct trend_key pk = key;
		pk.start = prev;
		before = gm_map_peek(m->trends, (const char *)&pk, sizeof pk);
		gm_str country = m->countries.name[key.country], cat = m->categories.name[key.category];
		char start[11], id[32 + 2 * GM_MAP_KEY_MAX];
		format_day(key.start, start);
		size_t idn = join_id(id, grain_names[g], start, country, cat);
		struct gm_writer *w = rows_begin(&tr, &gm_rtype_sales_trends);
		GM_W_KSTR(w, "trend_id", id, idn);
		GM_W_KCSTR(w, "grain", grain_names[g]);
		GM_W_KSTR(w, "period_start", start, 10);
		GM_W_KSTR(w, "country", country.p, country.n);
		GM_W_KSTR(w, "category", cat.p, cat.n);
		GM_W_KMONEY(w, "revenue", t->revenue);
		GM_W_KI64(w, "orders", t->orders);
		GM_W_KI64(w, "units", t->units);
		GM_W_KI64(w, "customers", t->customers);
		GM_W_KMONEY(w, "avg_order_value", gm_money_average(t->revenue, (uint64_t)t->orders));
		GM_W_KEY(w, "growth");
		if (before && before->revenue)
			gm_w_ratio(w, (__int128)t->revenue - before->revenue, before->revenue);
		else
			gm_w_json(w, "null", 4);
		rows_add(&tr, id, idn);
	}
	rows_put(m, &gm_rtype_sales_trends, &tr, T_TRENDS);
}

const char *etl_offsets(const struct etl *m)
{
	return m->offsets;
}

void etl_set_offsets(struct etl *m, const char *json, size_t n)
{
	free(m->offsets);
	m->offsets = json ? gm_xstrndup(json, n) : NULL;
	m->offsets_set = true;
}

static void emit_state(struct etl *m)
{
	/* Nothing ever loaded: no watermark, and no offsets worth keeping
	 * (what was read was all late, duplicate or bad: read again). */
	if (m->max_ts == INT64_MIN || (!m->loaded_any && !m->offsets_set))
		return;
	struct table_rows tr = { 0 };
	struct gm_writer *w = rows_begin(&tr, &gm_rtype_etl_state);
	GM_W_KLIT(w, "state_id", "watermark");
	GM_W_KTS(w, "watermark", m->max_ts);
	if (m->offsets) {
		GM_W_KEY(w, "offsets");
		gm_w_json(w, m->offsets, strlen(m->offsets));
	}
	rows_add(&tr, "watermark", 9);
	rows_put(m, &gm_rtype_etl_state, &tr, T_STATE);
}

void etl_finish(struct etl *m)
{
	emit_dates(m);
	emit_customers(m);
	emit_products(m);
	emit_geography(m);
	emit_performance(m);
	emit_trends(m);
	emit_state(m);
}

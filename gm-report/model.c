/* model: see model.h. The sales are kept as contributions, one per
 * transaction and category (and one for all its categories), added up
 * by sorting when written: a warehouse of a year is a few million
 * lines, and a sort of records of 32 bytes beats a map of cells. The
 * buyers are kept the same way, one record per transaction and
 * category, sorted into each customer's days. */
#include "model.h"

#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "idset.h"
#include "map.h"
#include "mem.h"
#include "names.h"
#include "text.h"

#define NONE UINT32_MAX
#define ALL_CATEGORIES UINT32_MAX  /* a contribution of every category */
#define MAX_LINES 4096             /* of one transaction, as gm-etl holds them */

/* The sales of one transaction in one category (or all of them). */
struct contrib {
	int32_t day;
	uint32_t country, segment, category;
	int64_t cents, units, orders;
};

/* A customer bought in a category on a day. */
struct buy {
	uint32_t user, country;
	int32_t day;
	uint32_t category;
};

/* A user, by its number: its segment in the snapshot, or NONE, and
 * whether a sale names it. */
struct user {
	uint32_t segment;
	bool bought;
};

/* A line of the transaction being read. */
struct line {
	uint32_t category;
	int64_t quantity, cents;
};

struct perf_row {
	int32_t day;
	uint32_t category;
	int64_t views, adds, removes, orders, units, cents;
};

struct product_row {
	int32_t day;
	uint32_t product;  /* among the top: its place in top[] */
	int64_t orders, units, cents;
};

struct summary_row {
	int32_t as_of;
	char *segment;
	int64_t customers;
	char *share, *avg_recency, *avg_frequency, *revenue_share;  /* NULL: null */
	bool has_avg_monetary;
	int64_t avg_monetary, revenue;
};

struct migration_row {
	int32_t as_of, since;
	char *from, *to;
	int64_t customers;
};

struct report {
	struct gm_names users, countries, categories, segments, products;
	struct user *user;         /* by user number */
	size_t usercap;
	uint64_t buyers;
	bool has_snapshot;
	int32_t as_of;
	/* the transaction being read */
	char txn[GM_MAP_KEY_MAX];
	size_t txnlen;
	bool in_txn;
	int32_t txn_day;
	uint32_t txn_user, txn_country;
	struct line *lines;
	size_t nlines, linecap;
	struct gm_idset *txns;
	/* what the sales give */
	struct contrib *contribs;
	size_t ncontribs, contribcap;
	struct buy *buys;
	size_t nbuys, buycap;
	bool any_day;
	int32_t first_day, last_day;
	uint64_t lines_read, transactions;
	/* the rest */
	char **region;             /* by country: its region, or NULL */
	size_t regioncap;
	struct perf_row *perf;
	size_t nperf, perfcap;
	int64_t *product_cents;    /* by product: revenue of its fact_sales lines */
	size_t product_centscap;
	gm_str *top_ids;           /* the top products' ids, sorted */
	size_t ntop;
	bool top_done;
	struct product_row *product_rows;
	size_t nproduct_rows, product_rowcap;
	char **product_name;       /* by place in top[] */
	uint32_t *product_category;  /* by place in top[]: a category, or NONE */
	struct summary_row *summaries;
	size_t nsummaries, summarycap;
	struct migration_row *migrations;
	size_t nmigrations, migrationcap;
};

struct report *report_new(void)
{
	struct report *r = gm_xcalloc(1, sizeof *r);
	gm_names_init(&r->users);
	gm_names_init(&r->countries);
	gm_names_init(&r->categories);
	gm_names_init(&r->segments);
	gm_names_init(&r->products);
	r->txns = gm_idset_new();
	return r;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	gm_names_free(&r->users);
	gm_names_free(&r->countries);
	gm_names_free(&r->categories);
	gm_names_free(&r->segments);
	gm_names_free(&r->products);
	free(r->user);
	free(r->lines);
	gm_idset_free(r->txns);
	free(r->contribs);
	free(r->buys);
	for (size_t i = 0; i < r->regioncap; i++)
		free(r->region[i]);
	free(r->region);
	free(r->perf);
	free(r->product_cents);
	free(r->top_ids);
	free(r->product_rows);
	for (size_t i = 0; i < r->ntop; i++)
		free(r->product_name[i]);
	free(r->product_name);
	free(r->product_category);
	for (size_t i = 0; i < r->nsummaries; i++) {
		struct summary_row *s = &r->summaries[i];
		free(s->segment);
		free(s->share);
		free(s->avg_recency);
		free(s->avg_frequency);
		free(s->revenue_share);
	}
	free(r->summaries);
	for (size_t i = 0; i < r->nmigrations; i++) {
		free(r->migrations[i].from);
		free(r->migrations[i].to);
	}
	free(r->migrations);
	free(r);
}

static char *dup_str(gm_str s)
{
	return s.p ? gm_xstrndup(s.p, s.n) : NULL;
}

/* ---- segments and sales ---- */

void report_snapshot_day(struct report *r, int32_t as_of)
{
	r->has_snapshot = true;
	r->as_of = as_of;
}

/* The user's number, with its entry. */
static uint32_t user_id(struct report *r, gm_str user)
{
	uint32_t u = gm_names_id(&r->users, user);
	if (u != NONE && u >= r->usercap) {
		size_t old = r->usercap;
		r->user = gm_grow(r->user, &r->usercap, (size_t)u + 1, sizeof *r->user, 1024);
		for (size_t i = old; i < r->usercap; i++)
			r->user[i] = (struct user){ NONE, false };
	}
	return u;
}

void report_segment_of(struct report *r, gm_str user, gm_str segment)
{
	uint32_t u = user_id(r, user);
	if (u != NONE)
		r->user[u].segment = gm_names_id(&r->segments, segment);
}

/* The segment number of user u: its snapshot's, or "(none)". */
static uint32_t segment_of(struct report *r, uint32_t u)
{
	return r->user[u].segment != NONE ? r->user[u].segment
		: gm_names_id(&r->segments, (gm_str){ "(none)", 6 });
}

static void contribute(struct report *r, uint32_t segment, uint32_t category, int64_t cents,
	int64_t units)
{
	r->contribs = gm_grow(r->contribs, &r->contribcap, r->ncontribs + 1, sizeof *r->contribs, 1024);
	r->contribs[r->ncontribs++] = (struct contrib){ r->txn_day, r->txn_country, segment, category,
		cents, units, 1 };
}

/* The transaction read ends: one contribution per category of its
 * lines, and one of them all; a purchase of its buyer per category. */
static void end_txn(struct report *r)
{
	if (!r->in_txn)
		return;
	r->in_txn = false;
	r->transactions++;
	uint32_t seg = segment_of(r, r->txn_user);
	int64_t cents = 0, units = 0;
	for (size_t i = 0; i < r->nlines; i++) {
		const struct line *l = &r->lines[i];
		cents += l->cents;
		units += l->quantity;
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = r->lines[j].category != l->category;
		if (!first)
			continue;
		int64_t kc = 0, ku = 0;
		for (size_t j = i; j < r->nlines; j++)
			if (r->lines[j].category == l->category) {
				kc += r->lines[j].cents;
				ku += r->lines[j].quantity;
			}
		contribute(r, seg, l->category, kc, ku);
		r->buys = gm_grow(r->buys, &r->buycap, r->nbuys + 1, sizeof *r->buys, 1024);
		r->buys[r->nbuys++] = (struct buy){ r->txn_user, r->txn_country, r->txn_day, l->category };
	}
	contribute(r, seg, ALL_CATEGORIES, cents, units);
}

/* Adds cents to product's revenue. */
static void product_revenue(struct report *r, gm_str product, int64_t cents)
{
	uint32_t p = gm_names_id(&r->products, product);
	if (p >= r->product_centscap) {
		size_t old = r->product_centscap;
		r->product_cents = gm_grow(r->product_cents, &r->product_centscap, (size_t)p + 1,
			sizeof *r->product_cents, 1024);
		memset(r->product_cents + old, 0, (r->product_centscap - old) * sizeof *r->product_cents);
	}
	r->product_cents[p] += cents;
}

bool report_sale(struct report *r, gm_str txn, int32_t day, gm_str user, gm_str country,
	gm_str product, gm_str category, int64_t quantity, int64_t cents, const char **why)
{
	if (txn.n > GM_MAP_KEY_MAX || user.n > GM_MAP_KEY_MAX || country.n > GM_MAP_KEY_MAX ||
		product.n > GM_MAP_KEY_MAX || category.n > GM_MAP_KEY_MAX)
		return *why = "a field longer than 64 bytes", false;
	if (!r->in_txn || txn.n != r->txnlen || memcmp(txn.p, r->txn, txn.n)) {
		end_txn(r);
		if (!gm_idset_add(r->txns, txn.p, txn.n))
			return *why = "a line of a transaction apart from its others", false;
		memcpy(r->txn, txn.p, txn.n);
		r->txnlen = txn.n;
		r->in_txn = true;
		r->nlines = 0;
		r->txn_day = day;
		r->txn_user = user_id(r, user);
		if (r->txn_user == NONE)
			return *why = "a field longer than 64 bytes", false;
		r->buyers += !r->user[r->txn_user].bought;
		r->user[r->txn_user].bought = true;
		r->txn_country = gm_names_id(&r->countries, country);
		if (!r->any_day || day < r->first_day)
			r->first_day = day;
		if (!r->any_day || day > r->last_day)
			r->last_day = day;
		r->any_day = true;
	}
	if (r->nlines == MAX_LINES)
		return *why = "a transaction of more than 4096 lines", false;
	r->lines = gm_grow(r->lines, &r->linecap, r->nlines + 1, sizeof *r->lines, 16);
	r->lines[r->nlines++] = (struct line){ gm_names_id(&r->categories, category), quantity, cents };
	product_revenue(r, product, cents);
	r->lines_read++;
	return true;
}

/* ---- the rest of the warehouse ---- */

void report_region(struct report *r, gm_str country, gm_str region)
{
	uint32_t c = gm_names_id(&r->countries, country);
	if (c == NONE)
		return;
	if (c >= r->regioncap) {
		size_t old = r->regioncap;
		r->region = gm_grow(r->region, &r->regioncap, (size_t)c + 1, sizeof *r->region, 16);
		memset(r->region + old, 0, (r->regioncap - old) * sizeof *r->region);
	}
	free(r->region[c]);
	r->region[c] = dup_str(region);
}

/* The place of product among the top ones, or NONE. */
static uint32_t top_place(struct report *r, gm_str product)
{
	size_t lo = 0, hi = r->ntop;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = gm_str_cmp(r->top_ids[mid], product);
		if (!c)
			return (uint32_t)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

static bool is_star(gm_str s)
{
	return s.n == 1 && s.p[0] == '*';
}

void report_perf_day(struct report *r, int32_t day, gm_str category, gm_str product,
	int64_t views, int64_t cart_adds, int64_t cart_removes, int64_t orders, int64_t units,
	int64_t cents)
{
	if (is_star(product)) {
		uint32_t k = gm_names_id(&r->categories, category);
		if (k == NONE)
			return;
		r->perf = gm_grow(r->perf, &r->perfcap, r->nperf + 1, sizeof *r->perf, 256);
		r->perf[r->nperf++] = (struct perf_row){ day, k, views, cart_adds, cart_removes, orders,
			units, cents };
		return;
	}
	uint32_t p = top_place(r, product);
	if (p == NONE)
		return;
	/* A product under two categories is listed under the first met. */
	if (r->product_category[p] == NONE)
		r->product_category[p] = gm_names_id(&r->categories, category);
	r->product_rows = gm_grow(r->product_rows, &r->product_rowcap, r->nproduct_rows + 1,
		sizeof *r->product_rows, 256);
	r->product_rows[r->nproduct_rows++] = (struct product_row){ day, p, orders, units, cents };
}

static int by_revenue(const void *x, const void *y, void *ctx)
{
	const struct report *r = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	int64_t ca = r->product_cents[a], cb = r->product_cents[b];
	if (ca != cb)
		return ca > cb ? -1 : 1;
	return gm_str_cmp(r->products.name[a], r->products.name[b]);
}

static int by_product_id(const void *x, const void *y, void *ctx)
{
	const struct report *r = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	return gm_str_cmp(r->products.name[a], r->products.name[b]);
}

const gm_str *report_top_products(struct report *r, size_t *n)
{
	if (!r->top_done) {
		r->top_done = true;
		size_t all = r->products.n;
		uint32_t *order = gm_xcalloc(all ? all : 1, sizeof *order);
		for (size_t i = 0; i < all; i++)
			order[i] = (uint32_t)i;
		qsort_r(order, all, sizeof *order, by_revenue, r);
		r->ntop = all < REPORT_TOP_PRODUCTS ? all : REPORT_TOP_PRODUCTS;
		qsort_r(order, r->ntop, sizeof *order, by_product_id, r);
		r->top_ids = gm_xcalloc(r->ntop ? r->ntop : 1, sizeof *r->top_ids);
		r->product_name = gm_xcalloc(r->ntop ? r->ntop : 1, sizeof *r->product_name);
		r->product_category = gm_xcalloc(r->ntop ? r->ntop : 1, sizeof *r->product_category);
		for (size_t i = 0; i < r->ntop; i++) {
			r->top_ids[i] = r->products.name[order[i]];
			r->product_category[i] = NONE;
		}
		free(order);
	}
	*n = r->ntop;
	return r->top_ids;
}

void report_product_name(struct report *r, gm_str product, gm_str name)
{
	uint32_t p = top_place(r, product);
	if (p == NONE)
		return;
	free(r->product_name[p]);
	r->product_name[p] = dup_str(name);
}

void report_summary(struct report *r, const struct report_summary *s)
{
	r->summaries = gm_grow(r->summaries, &r->summarycap, r->nsummaries + 1, sizeof *r->summaries, 64);
	r->summaries[r->nsummaries++] = (struct summary_row){
		.as_of = s->as_of, .segment = dup_str(s->segment), .customers = s->customers,
		.share = dup_str(s->share), .avg_recency = dup_str(s->avg_recency_days),
		.avg_frequency = dup_str(s->avg_frequency), .revenue_share = dup_str(s->revenue_share),
		.has_avg_monetary = s->has_avg_monetary, .avg_monetary = s->avg_monetary,
		.revenue = s->revenue,
	};
}

void report_migration(struct report *r, int32_t as_of, int32_t since, gm_str from, gm_str to,
	int64_t customers)
{
	r->migrations = gm_grow(r->migrations, &r->migrationcap, r->nmigrations + 1,
		sizeof *r->migrations, 64);
	r->migrations[r->nmigrations++] = (struct migration_row){ as_of, since, dup_str(from),
		dup_str(to), customers };
}

/* ---- writing ---- */

/* Names sorted by bytes, and each number's place among them. */
struct sorted {
	uint32_t *order;  /* place -> number */
	uint32_t *place;  /* number -> place */
	size_t n;
};

static int by_name(const void *x, const void *y, void *ctx)
{
	const struct gm_names *ns = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	gm_str na = ns->name[a], nb = ns->name[b];
	/* "(none)" last, where the page lists it. */
	bool none_a = na.n == 6 && !memcmp(na.p, "(none)", 6);
	bool none_b = nb.n == 6 && !memcmp(nb.p, "(none)", 6);
	if (none_a != none_b)
		return none_a ? 1 : -1;
	return gm_str_cmp(na, nb);
}

static struct sorted sort_names(const struct gm_names *ns)
{
	struct sorted s = { gm_xcalloc(ns->n + 1, sizeof *s.order),
		gm_xcalloc(ns->n + 1, sizeof *s.place), ns->n };
	for (size_t i = 0; i < ns->n; i++)
		s.order[i] = (uint32_t)i;
	qsort_r(s.order, s.n, sizeof *s.order, by_name, (void *)ns);
	for (size_t i = 0; i < s.n; i++)
		s.place[s.order[i]] = (uint32_t)i;
	return s;
}

static void sorted_free(struct sorted *s)
{
	free(s->order);
	free(s->place);
}

static void write_names(struct gm_writer *w, const char *key, const struct gm_names *ns,
	const struct sorted *s)
{
	gm_w_key(w, key);
	gm_w_arr_begin(w);
	for (size_t i = 0; i < s->n; i++) {
		gm_str n = ns->name[s->order[i]];
		gm_w_str(w, n.p, n.n);
	}
	gm_w_arr_end(w);
}

static void write_day(struct gm_writer *w, int32_t day)
{
	char d[11];
	size_t n = format_day(day, d);
	gm_w_str(w, d, n);
}

/* A number in base 36, '-' before a negative one: the page's digits. */
static void put_base36(struct gm_text *t, int64_t v)
{
	char buf[16];
	char *p = buf + sizeof buf;  /* the digits backwards from the end */
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	do {
		*--p = "0123456789abcdefghijklmnopqrstuvwxyz"[u % 36];
		u /= 36;
	} while (u);
	if (v < 0)
		*--p = '-';
	gm_text_add(t, p, (size_t)(buf + sizeof buf - p));
}

/* Rows of numbers as the page's text (gm-report(1), DATA): rows apart
 * by a space, each its count of leading numbers the same as the row
 * before's, then the others, apart by commas; with none the same, the
 * first is written less the row before's first. A third of the bytes of
 * JSON arrays, for the tables that grow with the days. */
#define ROWS_MAX 8
struct rows {
	struct gm_text t;
	int64_t prev[ROWS_MAX];
	size_t width;
};

static void rows_put(struct rows *rs, const int64_t *v)
{
	size_t same = 0;
	while (same + 1 < rs->width && v[same] == rs->prev[same])
		same++;
	if (rs->t.n)
		gm_text_add(&rs->t, " ", 1);
	put_base36(&rs->t, (int64_t)same);
	for (size_t j = same; j < rs->width; j++) {
		gm_text_add(&rs->t, ",", 1);
		put_base36(&rs->t, j == 0 ? v[0] - rs->prev[0] : v[j]);
	}
	memcpy(rs->prev, v, rs->width * sizeof *v);
}

/* Writes the rows as the string member key, and frees them. */
static void rows_write(struct rows *rs, struct gm_writer *w, const char *key)
{
	gm_w_key(w, key);
	gm_w_str(w, rs->t.p ? rs->t.p : "", rs->t.n);
	free(rs->t.p);
	rs->t = (struct gm_text){ 0 };
}

/* The page's places of the names: its numbers for them. */
struct places {
	const struct sorted *countries, *segments, *categories;
};

/* A category's place; ALL_CATEGORIES, -1, after them all. */
static int64_t category_place(const struct sorted *categories, uint32_t k)
{
	return k == ALL_CATEGORIES ? -1 : (int64_t)categories->place[k];
}

/* Contributions in the page's order: by day, then the places of their
 * country, segment and category, ALL_CATEGORIES last. */
static int contrib_cmp(const void *x, const void *y, void *ctx)
{
	const struct contrib *a = x, *b = y;
	const struct places *p = ctx;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	uint32_t ca = p->countries->place[a->country], cb = p->countries->place[b->country];
	if (ca != cb)
		return ca < cb ? -1 : 1;
	uint32_t sa = p->segments->place[a->segment], sb = p->segments->place[b->segment];
	if (sa != sb)
		return sa < sb ? -1 : 1;
	uint64_t ka = (uint64_t)category_place(p->categories, a->category),
		kb = (uint64_t)category_place(p->categories, b->category);  /* -1 last */
	return (ka > kb) - (ka < kb);
}

/* The sales rows: contributions of one cell added up, in the page's
 * places; ALL_CATEGORIES written -1. */
static void write_sales(struct report *r, struct gm_writer *w, const struct places *p)
{
	if (r->ncontribs > 1)  /* an empty table is NULL, which qsort() may not be given */
		qsort_r(r->contribs, r->ncontribs, sizeof *r->contribs, contrib_cmp, (void *)p);
	struct rows rs = { .width = 7 };
	for (size_t i = 0; i < r->ncontribs;) {
		struct contrib sum = r->contribs[i++];
		while (i < r->ncontribs && !contrib_cmp(&sum, &r->contribs[i], (void *)p)) {
			sum.cents += r->contribs[i].cents;
			sum.units += r->contribs[i].units;
			sum.orders += r->contribs[i].orders;
			i++;
		}
		const int64_t v[7] = { sum.day - r->first_day, p->countries->place[sum.country],
			p->segments->place[sum.segment], category_place(p->categories, sum.category),
			sum.cents, sum.orders, sum.units };
		rows_put(&rs, v);
	}
	rows_write(&rs, w, "sales");
}

/* Buys in the order the buyers are written: by country and segment
 * group, then customer, by their first day in the group (so that it is
 * written less the customer's before), then day, then category. */
struct buy_key {
	uint32_t group_country, group_segment;
	int32_t first;
	uint32_t user;
	int32_t day;
	uint32_t category;
};

static int buy_cmp(const void *x, const void *y)
{
	const struct buy_key *a = x, *b = y;
	if (a->group_country != b->group_country)
		return a->group_country < b->group_country ? -1 : 1;
	if (a->group_segment != b->group_segment)
		return a->group_segment < b->group_segment ? -1 : 1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	if (a->user != b->user)
		return a->user < b->user ? -1 : 1;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return (a->category > b->category) - (a->category < b->category);
}

static bool same_group(const struct buy_key *a, const struct buy_key *b)
{
	return a->group_country == b->group_country && a->group_segment == b->group_segment;
}

static bool same_customer(const struct buy_key *a, const struct buy_key *b)
{
	return same_group(a, b) && a->user == b->user;
}

/* Writes the customer whose buys start at k[i] (of n): its days, each
 * less the one before (the first less prev, the first day of the
 * customer before), and each day's categories, once each. Returns the
 * place after its buys. */
static size_t put_customer(struct gm_text *enc, const struct buy_key *k, size_t i, size_t n,
	int32_t prev)
{
	const struct buy_key *c = &k[i];
	for (bool first_day = true; i < n && same_customer(c, &k[i]); first_day = false) {
		int32_t day = k[i].day;
		if (!first_day)
			gm_text_add(enc, ",", 1);
		put_base36(enc, day - prev);
		gm_text_add(enc, ":", 1);
		prev = day;
		for (size_t from = i; i < n && same_customer(c, &k[i]) && k[i].day == day; i++) {
			if (i > from && k[i].category == k[i - 1].category)
				continue;
			if (i > from)
				gm_text_add(enc, ".", 1);
			put_base36(enc, k[i].category);
		}
	}
	return i;
}

/* The buyers: per (country, segment) group, its customers' days and
 * categories in the page's encoding (gm-report(1), DATA); a customer who
 * bought in two countries is in two groups, and "same" says which
 * entries are one customer, so that the page counts them once. */
static void write_buyers(struct report *r, struct gm_writer *w, const struct places *p)
{
	struct buy_key *k = gm_xcalloc(r->nbuys + 1, sizeof *k);
	for (size_t i = 0; i < r->nbuys; i++) {
		const struct buy *b = &r->buys[i];
		k[i] = (struct buy_key){ p->countries->place[b->country],
			p->segments->place[segment_of(r, b->user)], 0, b->user,
			b->day - r->first_day, p->categories->place[b->category] };
	}
	/* Sorted with first 0, each customer's buys of a group are together,
	 * its first day first: that day is its first, then the order. */
	qsort(k, r->nbuys, sizeof *k, buy_cmp);
	for (size_t i = 0, run = 0; i < r->nbuys; i++) {
		if (!same_customer(&k[run], &k[i]))
			run = i;
		k[i].first = k[run].day;
	}
	qsort(k, r->nbuys, sizeof *k, buy_cmp);
	/* Where each user was first written: group and place in it, + 1. */
	uint64_t *first = gm_xcalloc(r->users.n + 1, sizeof *first);
	uint64_t (*same)[4] = NULL;  /* group, place, and again: one customer */
	size_t nsame = 0, samecap = 0;
	GM_W_KEY(w, "buyers");
	gm_w_arr_begin(w);
	for (size_t i = 0, group = 0; i < r->nbuys; group++) {
		const struct buy_key *g = &k[i];
		struct gm_text enc = { 0 };
		int32_t before = 0;  /* the first day of the customer before */
		for (size_t customer = 0; i < r->nbuys && same_group(g, &k[i]); customer++) {
			uint32_t user = k[i].user;
			if (first[user]) {
				same = gm_grow(same, &samecap, nsame + 1, sizeof *same, 16);
				same[nsame][0] = (first[user] - 1) >> 32;
				same[nsame][1] = (first[user] - 1) & 0xffffffffu;
				same[nsame][2] = group;
				same[nsame++][3] = customer;
			} else
				first[user] = ((uint64_t)group << 32 | customer) + 1;
			if (customer)
				gm_text_add(&enc, " ", 1);
			int32_t its_first = k[i].first;
			i = put_customer(&enc, k, i, r->nbuys, before);
			before = its_first;
		}
		gm_w_arr_begin(w);
		gm_w_u64(w, g->group_country);
		gm_w_u64(w, g->group_segment);
		gm_w_str(w, enc.p ? enc.p : "", enc.n);
		gm_w_arr_end(w);
		free(enc.p);
	}
	gm_w_arr_end(w);
	GM_W_KEY(w, "same");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < nsame; i++) {
		gm_w_arr_begin(w);
		for (int j = 0; j < 4; j++)
			gm_w_u64(w, same[i][j]);
		gm_w_arr_end(w);
	}
	gm_w_arr_end(w);
	free(same);
	free(first);
	free(k);
}

static int perf_cmp(const void *x, const void *y, void *ctx)
{
	const struct perf_row *a = x, *b = y;
	const struct sorted *categories = ctx;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	uint32_t ka = categories->place[a->category], kb = categories->place[b->category];
	return (ka > kb) - (ka < kb);
}

static int product_row_cmp(const void *x, const void *y)
{
	const struct product_row *a = x, *b = y;
	if (a->day != b->day)
		return a->day < b->day ? -1 : 1;
	return (a->product > b->product) - (a->product < b->product);
}

/* The funnels by day and category, as the page's places sort them
 * (whatever order the backend gave the rows in). */
static void write_perf(struct report *r, struct gm_writer *w, const struct sorted *categories)
{
	if (r->nperf > 1)  /* an empty table is NULL, which qsort() may not be given */
		qsort_r(r->perf, r->nperf, sizeof *r->perf, perf_cmp, (void *)categories);
	struct rows rs = { .width = 8 };
	for (size_t i = 0; i < r->nperf; i++) {
		const struct perf_row *p = &r->perf[i];
		if (!r->any_day || p->day < r->first_day || p->day > r->last_day)
			continue;  /* a day with no sale: off the page's days */
		const int64_t v[8] = { p->day - r->first_day, categories->place[p->category], p->views,
			p->adds, p->removes, p->orders, p->units, p->cents };
		rows_put(&rs, v);
	}
	rows_write(&rs, w, "perf");
}

static void write_products(struct report *r, struct gm_writer *w, const struct sorted *categories)
{
	size_t ntop;
	report_top_products(r, &ntop);
	GM_W_KEY(w, "products");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < ntop; i++) {
		gm_w_arr_begin(w);
		gm_w_str(w, r->top_ids[i].p, r->top_ids[i].n);
		gm_w_cstr(w, r->product_name[i] ? r->product_name[i] : "");
		gm_w_i64(w, r->product_category[i] == NONE ? -1
			: (int64_t)categories->place[r->product_category[i]]);
		gm_w_arr_end(w);
	}
	gm_w_arr_end(w);
	if (r->nproduct_rows > 1)  /* an empty table is NULL, which qsort() may not be given */
		qsort(r->product_rows, r->nproduct_rows, sizeof *r->product_rows, product_row_cmp);
	struct rows rs = { .width = 5 };
	for (size_t i = 0; i < r->nproduct_rows; i++) {
		const struct product_row *p = &r->product_rows[i];
		if (!r->any_day || p->day < r->first_day || p->day > r->last_day)
			continue;
		const int64_t v[5] = { p->day - r->first_day, p->product, p->orders, p->units, p->cents };
		rows_put(&rs, v);
	}
	rows_write(&rs, w, "product_days");
}

static void write_null(struct gm_writer *w)
{
	gm_w_json(w, "null", 4);
}

/* A JSON number kept as text, or null. */
static void write_number(struct gm_writer *w, const char *n)
{
	if (n)
		gm_w_json(w, n, strlen(n));
	else
		write_null(w);
}

static int summary_cmp(const void *x, const void *y)
{
	const struct summary_row *a = x, *b = y;
	if (a->as_of != b->as_of)
		return a->as_of < b->as_of ? -1 : 1;
	return strcmp(a->segment, b->segment);
}

static void write_snapshots(struct report *r, struct gm_writer *w)
{
	if (r->nsummaries > 1)  /* an empty table is NULL, which qsort() may not be given */
		qsort(r->summaries, r->nsummaries, sizeof *r->summaries, summary_cmp);
	GM_W_KEY(w, "snapshots");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < r->nsummaries;) {
		int32_t as_of = r->summaries[i].as_of;
		gm_w_obj_begin(w);
		GM_W_KEY(w, "as_of");
		write_day(w, as_of);
		GM_W_KEY(w, "rows");
		gm_w_arr_begin(w);
		for (; i < r->nsummaries && r->summaries[i].as_of == as_of; i++) {
			const struct summary_row *s = &r->summaries[i];
			gm_w_arr_begin(w);
			gm_w_cstr(w, s->segment);
			gm_w_i64(w, s->customers);
			write_number(w, s->share);
			write_number(w, s->avg_recency);
			write_number(w, s->avg_frequency);
			if (s->has_avg_monetary)
				gm_w_i64(w, s->avg_monetary);
			else
				write_null(w);
			gm_w_i64(w, s->revenue);
			write_number(w, s->revenue_share);
			gm_w_arr_end(w);
		}
		gm_w_arr_end(w);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
}

static int migration_cmp(const void *x, const void *y)
{
	const struct migration_row *a = x, *b = y;
	if (a->as_of != b->as_of)
		return a->as_of < b->as_of ? -1 : 1;
	if (a->since != b->since)
		return a->since < b->since ? -1 : 1;
	int c = strcmp(a->from, b->from);
	return c ? c : strcmp(a->to, b->to);
}

static void write_migrations(struct report *r, struct gm_writer *w)
{
	if (r->nmigrations > 1)  /* an empty table is NULL, which qsort() may not be given */
		qsort(r->migrations, r->nmigrations, sizeof *r->migrations, migration_cmp);
	GM_W_KEY(w, "migration");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < r->nmigrations;) {
		int32_t as_of = r->migrations[i].as_of, since = r->migrations[i].since;
		gm_w_obj_begin(w);
		GM_W_KEY(w, "as_of");
		write_day(w, as_of);
		GM_W_KEY(w, "since");
		write_day(w, since);
		GM_W_KEY(w, "rows");
		gm_w_arr_begin(w);
		for (; i < r->nmigrations && r->migrations[i].as_of == as_of &&
			r->migrations[i].since == since; i++) {
			const struct migration_row *m = &r->migrations[i];
			gm_w_arr_begin(w);
			gm_w_cstr(w, m->from);
			gm_w_cstr(w, m->to);
			gm_w_i64(w, m->customers);
			gm_w_arr_end(w);
		}
		gm_w_arr_end(w);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
}

void report_write(struct report *r, struct gm_writer *w, int64_t generated, const char *warehouse)
{
	end_txn(r);
	/* Every segment of the latest snapshot's summary is listed, a
	 * segment without a buyer too. */
	for (size_t i = 0; i < r->nsummaries; i++)
		if (r->has_snapshot && r->summaries[i].as_of == r->as_of)
			gm_names_id(&r->segments, (gm_str){ r->summaries[i].segment,
				strlen(r->summaries[i].segment) });
	if (!r->has_snapshot && r->transactions)
		gm_names_id(&r->segments, (gm_str){ "(none)", 6 });
	struct sorted countries = sort_names(&r->countries), categories = sort_names(&r->categories),
		segments = sort_names(&r->segments);
	GM_W_KI64(w, "version", 1);
	GM_W_KTS(w, "generated", generated);
	gm_w_kcstr(w, "warehouse", warehouse);
	GM_W_KEY(w, "days");
	gm_w_arr_begin(w);
	for (int32_t d = r->first_day; r->any_day && d <= r->last_day; d++)
		write_day(w, d);
	gm_w_arr_end(w);
	write_names(w, "countries", &r->countries, &countries);
	GM_W_KEY(w, "regions");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < countries.n; i++) {
		uint32_t c = countries.order[i];
		gm_w_cstr(w, c < r->regioncap && r->region[c] ? r->region[c] : "Unknown");
	}
	gm_w_arr_end(w);
	write_names(w, "categories", &r->categories, &categories);
	write_names(w, "segments", &r->segments, &segments);
	GM_W_KEY(w, "as_of");
	if (r->has_snapshot)
		write_day(w, r->as_of);
	else
		write_null(w);
	const struct places places = { &countries, &segments, &categories };
	write_sales(r, w, &places);
	write_buyers(r, w, &places);
	write_perf(r, w, &categories);
	write_products(r, w, &categories);
	write_snapshots(r, w);
	write_migrations(r, w);
	sorted_free(&countries);
	sorted_free(&categories);
	sorted_free(&segments);
}

struct report_counts report_counts(const struct report *r)
{
	return (struct report_counts){ r->lines_read, r->transactions + r->in_txn, r->buyers,
		r->any_day ? (uint64_t)(r->last_day - r->first_day + 1) : 0 };
}

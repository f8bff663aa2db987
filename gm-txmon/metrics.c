/* metrics: see metrics.h. */
#include "metrics.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "mem.h"
#include "money.h"
#include "ts.h"
#include "window.h"

#define ALL_COUNTRIES (MAX_COUNTRIES + 1)     /* id of "*" */
#define ALL_CATEGORIES (MAX_CATEGORIES + 1)
#define NCOLS (MAX_CATEGORIES + 2)
#define NSLOTS ((MAX_COUNTRIES + 2) * NCOLS)

/* Names seen, by id: the process-wide dictionary of countries and of
 * categories. The last id of each is "(other)". */
struct names {
	char *name[MAX_CATEGORIES + 1];
	uint16_t len[MAX_CATEGORIES + 1];
	unsigned n, max;
};

static struct names countries = { .max = MAX_COUNTRIES };
static struct names categories = { .max = MAX_CATEGORIES };

static uint16_t intern(struct names *d, gm_str s)
{
	for (unsigned i = 0; i < d->n; i++)
		if (d->len[i] == s.n && !memcmp(d->name[i], s.p, s.n))
			return (uint16_t)i;
	if (d->n == d->max - 1) {   /* full: the rest is "(other)" */
		if (!d->name[d->n]) {
			d->name[d->n] = gm_xstrdup("(other)");
			d->len[d->n] = 7;
		}
		return (uint16_t)d->n;
	}
	char *copy = gm_xrealloc(NULL, s.n + 1);
	memcpy(copy, s.p, s.n);
	copy[s.n] = 0;
	d->name[d->n] = copy;
	d->len[d->n] = (uint16_t)(s.n > 65535 ? 65535 : s.n);
	return (uint16_t)d->n++;
}

void metrics_open(struct window_cells *w)
{
	if (!w->slot)
		w->slot = gm_xcalloc(NSLOTS, sizeof *w->slot);
	memset(w->slot, 0, NSLOTS * sizeof *w->slot);
	w->ncells = 0;
	w->most_revenue = 0;
	w->most_units = 0;
}

void metrics_release(void *state)
{
	struct window_cells *w = state;
	free(w->slot);
	for (size_t i = 0; i < w->nkept; i++)
		gm_hll_free(&w->cells[i].users);
	free(w->cells);
}

static struct cell *cell(struct window_cells *w, uint16_t country, uint16_t category)
{
	uint16_t *s = &w->slot[country * NCOLS + category];
	if (*s)
		return &w->cells[*s - 1];
	w->cells = gm_grow(w->cells, &w->cap, w->ncells + 1, sizeof *w->cells, 32);
	struct cell *c = &w->cells[w->ncells++];
	*s = (uint16_t)w->ncells;
	c->country = country;
	c->category = category;
	c->revenue = 0;
	c->transactions = c->units = 0;
	if (w->ncells > w->nkept) {   /* a cell never taken before */
		c->users = (struct gm_hll)GM_HLL_INIT;
		w->nkept = w->ncells;
	} else {
		gm_hll_clear(&c->users);   /* reuses its table */
	}
	return c;
}

static void add(struct cell *c, int64_t revenue, uint64_t units, uint64_t user)
{
	c->revenue += revenue;
	c->transactions++;
	c->units += units;
	gm_hll_add(&c->users, user);
}

void metrics_prepare(struct metrics_tx *m, const struct gm_event *tx)
{
	m->ncat = 0;
	m->units = 0;
	m->most = tx->total_amount;
	for (size_t i = 0; i < tx->nitems; i++) {
		const struct gm_item *it = &tx->items[i];
		uint16_t id = intern(&categories, it->category);
		size_t k = 0;
		while (k < m->ncat && m->cat[k].id != id)
			k++;
		if (k == m->ncat) {
			if (m->ncat == MAX_TX_CATEGORIES)
				k = m->ncat - 1;   /* a huge basket: fold the rest in */
			else
				m->cat[m->ncat++] = (struct metrics_share){ id, 0, 0 };
		}
		/* No sum of a transaction's lines passes tx->items_amount,
		 * which the parser checked. */
		m->cat[k].revenue += it->amount;
		m->cat[k].units += (uint64_t)it->quantity;
		m->units += (uint64_t)it->quantity;
	}
	for (size_t k = 0; k < m->ncat; k++)
		if (m->cat[k].revenue > m->most)
			m->most = m->cat[k].revenue;
	m->country = intern(&countries, tx->country);
	m->user = gm_hash(tx->user_id.p, tx->user_id.n);
	m->total = tx->total_amount;
}

/* Whether the cell (country, category), if w has it, can take revenue
 * and units more. */
static bool cell_fits(const struct window_cells *w, uint16_t country,
	uint16_t category, int64_t revenue, uint64_t units)
{
	uint16_t s = w->slot[country * NCOLS + category];
	if (!s)
		return true;
	const struct cell *c = &w->cells[s - 1];
	int64_t sum;
	return gm_money_add(c->revenue, revenue, &sum) && c->units <= UINT64_MAX - units;
}

bool metrics_fits(const struct window_cells *w, const struct metrics_tx *m)
{
	/* Every cell holds at most the window's largest sums: far from the
	 * limit, as always but in absurd input, no cell needs a look. */
	int64_t sum;
	if (gm_money_add(w->most_revenue, m->most, &sum) && w->most_units <= UINT64_MAX - m->units)
		return true;
	if (!cell_fits(w, m->country, ALL_CATEGORIES, m->total, m->units) ||
	    !cell_fits(w, ALL_COUNTRIES, ALL_CATEGORIES, m->total, m->units))
		return false;
	for (size_t k = 0; k < m->ncat; k++)
		if (!cell_fits(w, m->country, m->cat[k].id, m->cat[k].revenue, m->cat[k].units) ||
		    !cell_fits(w, ALL_COUNTRIES, m->cat[k].id, m->cat[k].revenue, m->cat[k].units))
			return false;
	return true;
}

/* add() into the cell of (country, category), keeping the window's
 * largest sums. */
static void add_to(struct window_cells *w, uint16_t country, uint16_t category,
	int64_t revenue, uint64_t units, uint64_t user)
{
	struct cell *c = cell(w, country, category);
	add(c, revenue, units, user);
	if (c->revenue > w->most_revenue)
		w->most_revenue = c->revenue;
	if (c->units > w->most_units)
		w->most_units = c->units;
}

void metrics_add(struct window_cells *w, const struct metrics_tx *m)
{
	add_to(w, m->country, ALL_CATEGORIES, m->total, m->units, m->user);
	add_to(w, ALL_COUNTRIES, ALL_CATEGORIES, m->total, m->units, m->user);
	for (size_t k = 0; k < m->ncat; k++) {
		add_to(w, m->country, m->cat[k].id, m->cat[k].revenue, m->cat[k].units, m->user);
		add_to(w, ALL_COUNTRIES, m->cat[k].id, m->cat[k].revenue, m->cat[k].units, m->user);
	}
}

static const char *name_of(const struct names *d, uint16_t id, size_t *len)
{
	if (id > d->max) {
		*len = 1;
		return "*";
	}
	*len = d->len[id];
	return d->name[id];
}

static int by_names(const void *a, const void *b)
{
	const struct cell *x = a, *y = b;
	size_t lx, ly;
	for (int dim = 0; dim < 2; dim++) {
		const struct names *d = dim ? &categories : &countries;
		uint16_t ix = dim ? x->category : x->country, iy = dim ? y->category : y->country;
		if (ix == iy)
			continue;
		const char *nx = name_of(d, ix, &lx), *ny = name_of(d, iy, &ly);
		/* "*" first, then by name */
		if (ix > d->max || iy > d->max)
			return ix > d->max ? -1 : 1;
		int c = memcmp(nx, ny, lx < ly ? lx : ly);
		return c ? c : (lx > ly) - (lx < ly);
	}
	return 0;
}

/* Appends text to an id buffer, keeping it within bounds. */
static size_t append(char *buf, size_t at, size_t cap, const char *s, size_t n)
{
	if (at + n >= cap)
		n = at < cap - 1 ? cap - 1 - at : 0;
	memcpy(buf + at, s, n);
	return at + n;
}

void metrics_write(struct window_cells *w, int64_t start, int64_t end,
	const char *partition, const struct gm_output *out)
{
	qsort(w->cells, w->ncells, sizeof *w->cells, by_names);
	/* The window's part of the id: start/size/[partition/] */
	char prefix[GM_WINDOW_ID_MAX];
	size_t plen = gm_window_id(prefix, start, end, partition);
	for (size_t i = 0; i < w->ncells; i++) {
		const struct cell *c = &w->cells[i];
		size_t clen, glen;
		const char *country = name_of(&countries, c->country, &clen);
		const char *category = name_of(&categories, c->category, &glen);
		char id[GM_WINDOW_ID_MAX + 2 * 256];
		size_t ilen = append(id, 0, sizeof id, prefix, plen);
		ilen = append(id, ilen, sizeof id, country, clen);
		ilen = append(id, ilen, sizeof id, "/", 1);
		ilen = append(id, ilen, sizeof id, category, glen);

		struct gm_writer *wr = out->begin(out->ctx);
		gm_window_record(wr, "sales_metric", id, ilen, start, end, partition);
		GM_W_KSTR(wr, "country", country, clen);
		GM_W_KSTR(wr, "category", category, glen);
		GM_W_KMONEY(wr, "revenue", c->revenue);
		GM_W_KU64(wr, "transactions", c->transactions);
		GM_W_KU64(wr, "units", c->units);
		GM_W_KMONEY(wr, "avg_order_value",
			c->transactions ? gm_money_average(c->revenue, c->transactions) : 0);
		GM_W_KU64(wr, "distinct_users", gm_hll_count(&c->users));
		GM_W_KLIT(wr, "source", "gm-txmon");
		gm_w_end(wr);
		out->emit(out->ctx, id, ilen);
	}
}

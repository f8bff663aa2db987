/* metrics: see metrics.h. */
#include "metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "mem.h"
#include "number.h"
#include "session.h"
#include "ts.h"
#include "window.h"

/* A cell: no pointers, saved as its bytes (store.h). */
struct cell {
	int64_t due;               /* the store's timer: the window's end */
	int64_t start;
	char country[SESSION_NAME_MAX + 1];
	uint64_t sessions, converted, checkouts, abandoned, recovered, views;
	int64_t duration_ms;
};

struct metrics {
	int64_t window;
	struct gm_store *cells;
	struct gm_output out;
};

struct gm_store_spec metrics_store_spec(size_t max_cells)
{
	return (struct gm_store_spec){
		.name = "session-metrics", .version = 1, .value_size = sizeof(struct cell),
		.max_entries = max_cells, .due_at = GM_STORE_DUE(struct cell, due),
	};
}

struct metrics *metrics_new(int64_t window, struct gm_store *cells,
	const struct gm_output *out)
{
	struct metrics *m = gm_xcalloc(1, sizeof *m);
	m->window = window;
	m->cells = cells;
	m->out = *out;
	return m;
}

void metrics_free(struct metrics *m)
{
	free(m);
}

static void add_to(struct metrics *m, const struct part *p, int64_t start, const char *country,
	const struct tally *t)
{
	/* The key holds the partition: each partition's windows are its own. */
	char key[2 * GM_I64_LEN + SESSION_NAME_MAX + 2];
	size_t n = gm_format_i64(p->number, key);
	key[n++] = '/';
	n += gm_format_i64(start, key + n);
	key[n++] = '/';
	size_t clen = strlen(country);
	memcpy(key + n, country, clen);
	n += clen;
	enum gm_store_got got;
	struct cell *c = gm_store_update(m->cells, key, n,
		(struct gm_store_at){ p->number, -1, 0 }, &got);
	if (!c)
		return;
	if (got == GM_STORE_NEW) {
		c->start = start;
		gm_str_copy((gm_str){ country, clen }, c->country, sizeof c->country);
		gm_store_wake_at(m->cells, c, start + m->window);
	}
	c->sessions += t->sessions;
	c->converted += t->converted;
	c->checkouts += t->checkouts;
	c->abandoned += t->abandoned;
	c->recovered += t->recovered;
	c->views += t->views;
	c->duration_ms += t->duration_ms;
}

void metrics_add(struct metrics *m, const struct part *p, const struct tally *t)
{
	int64_t start = gm_window_start(t->at, m->window);
	add_to(m, p, start, t->country, t);
	add_to(m, p, start, "*", t);
}

static double ratio(uint64_t a, uint64_t b)
{
	return b ? (double)a / (double)b : 0;
}

void metrics_due(struct metrics *m, const char *key, size_t klen, void *value,
	const struct part *p)
{
	const struct cell *c = value;
	int64_t end = c->start + m->window;
	char id[GM_WINDOW_ID_MAX + SESSION_NAME_MAX];
	size_t n = gm_window_id(id, c->start, end, p->label);
	size_t clen = strlen(c->country);
	memcpy(id + n, c->country, clen);
	n += clen;
	struct gm_writer *w = m->out.begin(m->out.ctx);
	gm_window_record(w, "session_metric", id, n, c->start, end, p->label);
	GM_W_KCSTR(w, "country", c->country);
	GM_W_KU64(w, "sessions", c->sessions);
	GM_W_KU64(w, "converted", c->converted);
	GM_W_KU64(w, "checkouts", c->checkouts);
	GM_W_KU64(w, "abandoned_carts", c->abandoned);
	GM_W_KU64(w, "recovered_carts", c->recovered);
	GM_W_KEY(w, "conversion_rate");
	gm_w_double(w, ratio(c->converted, c->sessions));
	GM_W_KEY(w, "abandonment_rate");
	gm_w_double(w, ratio(c->abandoned, c->abandoned + c->checkouts));
	GM_W_KEY(w, "avg_duration_s");
	gm_w_double(w, c->sessions ? (double)c->duration_ms / 1000.0 / (double)c->sessions : 0);
	GM_W_KEY(w, "avg_views");
	gm_w_double(w, ratio(c->views, c->sessions));
	GM_W_KLIT(w, "source", "gm-session");
	gm_w_end(w);
	m->out.emit(m->out.ctx, id, n);
	gm_store_remove(m->cells, key, klen);
}

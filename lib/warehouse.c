/* warehouse: the interface over the backends; see warehouse.h. A
 * backend is its struct wh_backend (warehouse_backend.h) and its entry
 * in backends[]. */
#include "warehouse.h"

#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "cli.h"
#include "mem.h"
#include "row.h"
#include "warehouse_backend.h"

/* The folder last: it takes any spec. */
static const struct wh_backend *const backends[] = { &gm_wh_pg, &gm_wh_mongo, &gm_wh_dir };

static bool starts(const char *spec, const char *const *schemes)
{
	for (size_t i = 0; schemes && schemes[i]; i++)
		if (!strncmp(spec, schemes[i], strlen(schemes[i])))
			return true;
	return false;
}

/* gm_wh_open() and gm_wh_try_open(): tempfail NULL for the first. */
static struct gm_wh *open_wh(const struct gm_common *c, const char *spec, bool dry_run,
	bool wait_lock, bool *tempfail)
{
	if (!spec)
		spec = GM_WH_DEFAULT;
	const struct wh_backend *be = NULL;
	for (size_t i = 0; !be && i < sizeof backends / sizeof *backends; i++)
		if (!backends[i]->schemes || starts(spec, backends[i]->schemes))
			be = backends[i];
	/* A URI no server backend takes is a mistake, not a folder's name. */
	if (be->schemes == NULL && strstr(spec, "://")) {
		gm_error(NULL, "%.*s: not a kind of warehouse gm knows "
			"(a folder, postgresql://, postgres://, pg:, mongodb://, mongodb+srv://)",
			(int)strcspn(spec, ":"), spec);
		exit(GM_EXIT_USAGE);
	}
	struct gm_wh *wh = gm_xcalloc(1, sizeof *wh);
	wh->be = be;
	wh->c = c;
	wh->dry_run = dry_run;
	wh->tempfail = tempfail;
	wh->wait_lock = wait_lock;
	if (!be->open(wh, spec)) {
		gm_wh_close(wh);
		return NULL;
	}
	return wh;
}

struct gm_wh *gm_wh_open(const struct gm_common *c, const char *spec, bool dry_run)
{
	return open_wh(c, spec, dry_run, true, NULL);
}

struct gm_wh *gm_wh_try_open(const struct gm_common *c, const char *spec, bool dry_run,
	bool wait_lock, bool *tempfail)
{
	*tempfail = false;
	return open_wh(c, spec, dry_run, wait_lock, tempfail);
}

bool wh_tempfail(struct gm_wh *wh)
{
	if (!wh->tempfail)
		exit(GM_EXIT_TEMPFAIL);
	*wh->tempfail = true;
	return false;
}

/* Tries a lock at least every 250 ms: it is free again the moment its
 * run ends, and a reader's (gm-report's reload) ends within seconds. */
#define LOCK_POLL_MS 250

bool wh_lock(struct gm_wh *wh, int (*try_lock)(struct gm_wh *wh, char **holder))
{
	struct gm_backoff b;
	gm_backoff_init(&b, wh->wait_lock ? wh->c->retry_ms : 0);
	gm_backoff_cap(&b, LOCK_POLL_MS);
	for (;;) {
		char *holder = NULL;
		int got = try_lock(wh, &holder);
		if (got != 0) {
			free(holder);
			return got > 0;
		}
		const char *open = holder ? " (" : "", *close = holder ? ")" : "";
		if (gm_backoff_failed(&b) && b.retry_ms > 0)
			gm_warn(wh->name, "another run holds the warehouse's lock%s%s%s; "
				"waiting for up to %g s", open, holder ? holder : "", close,
				b.retry_ms / 1e3);
		if (!gm_backoff_wait(&b)) {
			/* A run stopped while it waits is stopped (status 1), not
			 * one for cron to try again. */
			bool stopped = gm_stopping();
			if (stopped)
				gm_error(wh->name, "stopped by a signal while waiting for the warehouse's lock");
			else
				gm_error(wh->name, "another run holds the warehouse's lock%s%s%s; "
					"try again later", open, holder ? holder : "", close);
			free(holder);
			return stopped ? false : wh_tempfail(wh);
		}
		free(holder);
	}
}

void gm_wh_close(struct gm_wh *wh)
{
	if (!wh)
		return;
	for (struct gm_wh_table *t = wh->tables, *next; t; t = next) {
		next = t->next;
		if (wh->dry_run)
			gm_writer_close(t->w);
		else
			wh->be->end_table(t);
		free(t->last_id);
		for (size_t i = 0; i < t->nslices; i++)
			free(t->slices[i].p);
		free(t->slices);
		free(t);
	}
	wh->be->close(wh);
	free(wh->name);
	free(wh);
}

const char *gm_wh_name(const struct gm_wh *wh)
{
	return wh->name;
}

struct gm_wh_scan {
	const struct wh_backend *be;
	const struct gm_rtype *t;
	void *scan;
	struct gm_row_reader rows;   /* t's rows as the tools write them */
};

struct gm_wh_scan *gm_wh_scan_open(struct gm_wh *wh, const struct gm_rtype *t,
	const struct gm_wh_filter *f)
{
	void *scan = wh->be->scan_open(wh, t, f);
	if (!scan)
		return NULL;
	struct gm_wh_scan *s = gm_xcalloc(1, sizeof *s);
	s->be = wh->be;
	s->t = t;
	s->scan = scan;
	gm_row_reader_init(&s->rows, t);
	return s;
}

bool gm_wh_scan_next(struct gm_wh_scan *s, const char **row, size_t *len,
	const char **where)
{
	return s->be->scan_next(s->scan, row, len, where);
}

enum gm_wh_got gm_wh_scan_row(struct gm_wh_scan *s, struct gm_parser *ps,
	union gm_rvalue *v, bool *has, struct gm_wh_row *r)
{
	r->why = NULL;
	if (!gm_wh_scan_next(s, &r->text, &r->len, &r->where))
		return GM_WH_END;
	if (gm_row_read(&s->rows, r->text, r->len, v, has))
		return GM_WH_ROW;
	const struct gm_event *ev = gm_parse(ps, r->text, r->len, &r->why);
	if (!ev)
		return GM_WH_BAD;
	if (ev->rtype != s->t) {
		r->why = "a row of another table";
		return GM_WH_BAD;
	}
	if (!gm_rtype_decode(s->t, ev, v, has, r->reason, sizeof r->reason)) {
		r->why = r->reason;
		return GM_WH_BAD;
	}
	return GM_WH_ROW;
}

bool gm_wh_scan_close(struct gm_wh_scan *s)
{
	if (!s)
		return true;
	bool ok = s->be->scan_close(s->scan);
	free(s);
	return ok;
}

struct gm_wh_table *gm_wh_begin(struct gm_wh *wh, const struct gm_rtype *t,
	enum gm_wh_order order)
{
	struct gm_wh_table *tb = gm_xcalloc(1, sizeof *tb);
	tb->wh = wh;
	tb->t = t;
	tb->order = order;
	/* In the order begun, so that a commit's work is too. */
	struct gm_wh_table **at = &wh->tables;
	while (*at)
		at = &(*at)->next;
	*at = tb;
	if (wh->dry_run) {
		tb->w = gm_writer_mem();
		return tb;
	}
	return wh->be->begin(tb) ? tb : NULL;
}

struct gm_writer *gm_wh_writer(struct gm_wh_table *t)
{
	return t->w;
}

bool gm_wh_put(struct gm_wh_table *t, const char *id, size_t n)
{
	if (t->failed)
		return false;
	if (t->done) {
		gm_error(t->t->name, "a row put after the table was done (gm_wh_done())");
		t->failed = true;
		return false;
	}
	t->count++;
	if (t->order == GM_WH_BY_ID) {
		gm_str a = { id, n }, b = { t->last_id, t->last_len };
		if (t->count > 1 && gm_str_cmp(a, b) <= 0) {
			gm_error(t->t->name, "rows put out of order (\"%.*s\" after \"%.*s\")",
				(int)(n > 64 ? 64 : n), id, (int)(b.n > 64 ? 64 : b.n), b.p);
			t->failed = true;
			return false;
		}
		t->last_id = gm_grow(t->last_id, &t->last_cap, n + 1, 1, 64);
		memcpy(t->last_id, id, n);
		t->last_len = n;
	}
	if (t->wh->dry_run)
		gm_writer_reset(t->w);
	else if (!t->wh->be->put(t, id, n))
		t->failed = true;
	return !t->failed;
}

void gm_wh_done(struct gm_wh_table *t)
{
	t->done = true;
	if (!t->wh->dry_run && !t->failed && t->wh->be->done)
		t->wh->be->done(t);
}

bool gm_wh_replace(struct gm_wh_table *t, const char *prefix, size_t n)
{
	if (t->failed)
		return false;
	/* No server's text holds a NUL: a prefix cut there would take more. */
	if (memchr(prefix, '\0', n)) {
		gm_error(t->t->name, "a slice to replace whose prefix holds a NUL byte");
		t->failed = true;
		return false;
	}
	for (size_t i = 0; i < t->nslices; i++)
		if (t->slices[i].n == n && !memcmp(t->slices[i].p, prefix, n))
			return true;
	t->slices = gm_grow(t->slices, &t->slices_cap, t->nslices + 1, sizeof *t->slices, 4);
	t->slices[t->nslices++] = (struct wh_slice){ gm_xstrndup(prefix, n), n };
	return true;
}

bool wh_replaced(const struct gm_wh_table *t, const char *id, size_t n)
{
	for (size_t i = 0; i < t->nslices; i++)
		if (t->slices[i].n <= n && !memcmp(t->slices[i].p, id, t->slices[i].n))
			return true;
	return false;
}

uint64_t gm_wh_count(const struct gm_wh_table *t)
{
	return t->count;
}

bool gm_wh_commit(struct gm_wh *wh)
{
	for (struct gm_wh_table *t = wh->tables; t; t = t->next)
		if (t->failed)
			return false;
	if (wh->dry_run)
		return true;
	return wh->be->commit(wh);
}

/* wh_pg: the warehouse in PostgreSQL, through libgm's sink (pg.h): its
 * connection, tables (scripts/schema.sql) and staging tables. See
 * warehouse.h for what it guarantees and how. Rows put are turned into
 * COPY rows as they come and sent to the staging tables a megabyte at a
 * time, so that a run never holds its facts in memory; reads go through
 * cursors, and come back as the NDJSON rows a folder holds (pg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "mem.h"
#include "pg.h"
#include "warehouse_backend.h"

/* The warehouse's lock: one per database, for every run that writes
 * it (documented in warehouse.h and scripts/schema.sql). */
#define LOCK_KEY 7163183785426855010LL
/* Staged rows sent once a table holds this many bytes of them. */
#define STAGE_BYTES (1u << 20)

struct pgwh {
	struct gm_pg *pg;
	struct gm_parser *ps;       /* reads the rows put back */
	bool committed;
};

struct pg_table {
	const struct gm_pg_table *pt;
	struct gm_pg_buf rows;      /* COPY rows not sent yet */
};

#define PG_OF(wh) (((struct pgwh *)(wh)->data)->pg)

static int pg_try_lock(struct gm_wh *wh, char **holder)
{
	struct pgwh *p = wh->data;
	(void)holder;  /* an advisory lock's holder is a backend pid, no run */
	bool got;
	if (!gm_pg_try_lock(p->pg, LOCK_KEY, &got))
		return -1;
	return got;
}

static bool pg_open(struct gm_wh *wh, const char *spec)
{
	struct pgwh *p = gm_xcalloc(1, sizeof *p);
	wh->data = p;
	int status;
	p->pg = gm_pg_open(gm_pg_conninfo(spec), wh->c->retry_ms, &status);
	if (!p->pg) {
		return status == GM_EXIT_TEMPFAIL ? wh_tempfail(wh) : false;
	}
	p->ps = gm_parser_new();
	wh->name = gm_xstrdup(gm_pg_name(p->pg));
	return wh_lock(wh, pg_try_lock) && gm_pg_begin(p->pg);
}

/* The registry entry of t, or NULL after a message. */
static const struct gm_pg_table *table_of(const struct gm_wh *wh, const struct gm_rtype *t)
{
	const struct gm_pg_table *pt = gm_pg_table_for(t->name, strlen(t->name));
	if (!pt)
		gm_error(wh->name, "no table for %s", t->name);
	return pt;
}

/* The column of pt called name, or -1 after a message. */
static int column_of(const struct gm_wh *wh, const struct gm_pg_table *pt, const char *name)
{
	for (size_t c = 0; c < pt->ncolumns; c++)
		if (!strcmp(pt->columns[c].name, name))
			return (int)c;
	gm_error(wh->name, "%s has no column %s to read by", pt->name, name);
	return -1;
}

static void put(struct gm_pg_buf *b, const char *s)
{
	size_t n = strlen(s);
	b->p = gm_grow(b->p, &b->cap, b->len + n + 1, 1, 1024);
	memcpy(b->p + b->len, s, n + 1);
	b->len += n;
}

static void put_ident(struct gm_pg_buf *b, const char *name)
{
	put(b, "\"");
	put(b, name);
	put(b, "\"");
}

/* The strings in[0..n) as a PostgreSQL array literal: each quoted, '"'
 * and '\' escaped. */
static char *array_literal(const gm_str *in, size_t n)
{
	struct gm_pg_buf b = { 0 };
	put(&b, "{");
	for (size_t i = 0; i < n; i++) {
		b.p = gm_grow(b.p, &b.cap, b.len + 2 * in[i].n + 4, 1, 1024);
		b.p[b.len++] = i ? ',' : '"';
		if (i)
			b.p[b.len++] = '"';
		for (size_t k = 0; k < in[i].n; k++) {
			if (in[i].p[k] == '"' || in[i].p[k] == '\\')
				b.p[b.len++] = '\\';
			b.p[b.len++] = in[i].p[k];
		}
		b.p[b.len++] = '"';
	}
	put(&b, "}");
	return b.p;
}

/* A scan is the table read back as records (pg.h), narrowed and
 * ordered as f asks. */
static void *pg_scan_open(struct gm_wh *wh, const struct gm_rtype *t,
	const struct gm_wh_filter *f)
{
	const struct gm_pg_table *pt = table_of(wh, t);
	if (!pt)
		return NULL;
	struct gm_pg_buf sql = { 0 };
	put(&sql, "");
	char lo[24], hi[24], *in = NULL;
	const char *params[3];
	int np = 0;
	bool ok = true;
	if (f && f->range_field && (ok = column_of(wh, pt, f->range_field) >= 0)) {
		snprintf(lo, sizeof lo, "%lld", (long long)f->lo);
		snprintf(hi, sizeof hi, "%lld", (long long)f->hi);
		params[np++] = lo;
		params[np++] = hi;
		put(&sql, "WHERE ");
		put_ident(&sql, f->range_field);
		put(&sql, " BETWEEN $1 AND $2");
	}
	if (ok && f && f->in_field && (ok = column_of(wh, pt, f->in_field) >= 0)) {
		params[np++] = in = array_literal(f->in, f->nin);
		put(&sql, np > 1 ? " OR " : "WHERE ");
		put_ident(&sql, f->in_field);
		put(&sql, np > 1 ? " = ANY($3::text[])" : " = ANY($1::text[])");
	}
	/* By bytes, as the folder's ids are ordered, whatever the
	 * database's collation. */
	if (ok && f && f->group_field && (ok = column_of(wh, pt, f->group_field) >= 0)) {
		put(&sql, " ORDER BY ");
		put_ident(&sql, f->group_field);
		put(&sql, " COLLATE \"C\", ");
		put_ident(&sql, pt->columns[0].name);
		put(&sql, " COLLATE \"C\"");
	}
	struct gm_pg_rows *rows = NULL;
	if (ok)
		rows = gm_pg_rows_open(PG_OF(wh), pt, sql.len ? sql.p : NULL, np, params, false);
	free(sql.p);
	free(in);
	return rows;
}

static bool pg_scan_next(void *scan, const char **row, size_t *len, const char **where)
{
	return gm_pg_rows_next(scan, row, len, where);
}

static bool pg_scan_close(void *scan)
{
	return gm_pg_rows_close(scan);
}

static bool pg_begin(struct gm_wh_table *t)
{
	struct pg_table *d = gm_xcalloc(1, sizeof *d);
	t->data = d;
	t->w = gm_writer_mem();
	d->pt = table_of(t->wh, t->t);
	return d->pt != NULL;
}

static bool pg_put(struct gm_wh_table *t, const char *id, size_t n)
{
	(void)id, (void)n;
	struct pg_table *d = t->data;
	struct pgwh *p = t->wh->data;
	size_t len;
	const char *row = gm_writer_data(t->w, &len), *why;
	const struct gm_event *ev = gm_parse(p->ps, row, len ? len - 1 : 0, &why);
	char reason[256];
	bool ok = ev && gm_pg_row(d->pt, ev, &d->rows, reason, sizeof reason);
	if (!ok)
		gm_error(t->wh->name, "%s: a row PostgreSQL would refuse: %s", t->t->name,
			ev ? reason : why);
	gm_writer_reset(t->w);
	if (ok && d->rows.len >= STAGE_BYTES) {
		ok = gm_pg_stage(p->pg, d->pt, &d->rows);
		d->rows.len = 0;
	}
	return ok;
}

static bool pg_commit(struct gm_wh *wh)
{
	struct pgwh *p = wh->data;
	struct gm_pg *pg = p->pg;
	bool ok = true;
	for (struct gm_wh_table *t = wh->tables; ok && t; t = t->next) {
		struct pg_table *d = t->data;
		ok = gm_pg_stage(pg, d->pt, &d->rows);
		d->rows.len = 0;
		/* Prefixes hold no NUL (gm_wh_replace()): each is a string. */
		for (size_t i = 0; ok && i < t->nslices; i++)
			ok = gm_pg_trim(pg, d->pt, t->slices[i].p);
		ok = ok && gm_pg_merge(pg, d->pt);
	}
	p->committed = ok && gm_pg_commit(pg);
	return p->committed;
}

static void pg_end_table(struct gm_wh_table *t)
{
	struct pg_table *d = t->data;
	gm_writer_close(t->w);
	t->w = NULL;
	if (d)
		free(d->rows.p);
	free(d);
}

static void pg_close(struct gm_wh *wh)
{
	struct pgwh *p = wh->data;
	if (!p)
		return;
	/* Committed: the lock released now, so that a run that starts as
	 * this one ends finds it free. Uncommitted: the server rolls back,
	 * and then releases the lock. */
	if (p->committed)
		gm_pg_unlock(p->pg, LOCK_KEY);
	gm_pg_close(p->pg);
	gm_parser_free(p->ps);
	free(p);
}

const struct wh_backend gm_wh_pg = {
	.schemes = gm_pg_schemes,
	.open = pg_open, .scan_open = pg_scan_open, .scan_next = pg_scan_next,
	.scan_close = pg_scan_close, .begin = pg_begin, .put = pg_put,
	.commit = pg_commit, .end_table = pg_end_table, .close = pg_close,
};

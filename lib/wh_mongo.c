/* wh_mongo: the warehouse in a MongoDB database, a collection per
 * table, through lib/mongo; see warehouse.h for what it guarantees and
 * how. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "mem.h"
#include "mongo.h"
#include "text.h"
#include "ts.h"
#include "warehouse_backend.h"
#include "where.h"

#define DEFAULT_DB GM_MONGO_WAREHOUSE_DB
#define STAGING "_gm_staging"
#define STAGED_TYPE "_gm_staged"
#define REPLACE_TYPE "_gm_replace"
#define MARKER_COLL "_gm_commit"
#define MARKER_NAME "commit"
#define LOCK_COLL "_gm_lock"
#define LOCK_NAME "warehouse"
/* Staged rows applied per read of the staging collection. */
#define PAGE 1000
/* The most values of an in-list a query sends; a longer list reads the
 * whole table, which a reader may be given (warehouse.h). */
#define MAX_IN 10000

/* The order of a table whose rows have both fields: a transaction's
 * lines together, as a reader of sales needs them (gm-etl). */
static const char *const txn_order[] = { "transaction_id", "line" };

/* The indexes of a table beside its id field's, those of them whose
 * fields it has: what reads choose rows by (a range of days, a list of
 * customers) and order them by. */
static const struct {
	const char *const *fields;
	size_t n;
} indexes[] = {
	{ (const char *const[]){ "date_key" }, 1 },
	{ (const char *const[]){ "as_of_key" }, 1 },
	{ (const char *const[]){ "user_id" }, 1 },
	{ txn_order, 2 },
};

struct mongo_wh {
	struct gm_mongo *m;
	char host[256];
	long long pid;
	char started[GM_TS_LEN + 1];  /* when the run opened the warehouse:
	                                 our lock's "started" */
	bool locked;
	bool opening;                 /* in open(): unreachable is wh_tempfail() */
	struct gm_writer *doc;        /* a staged row, built */
	struct gm_parser *ps;
	int64_t staged;               /* rows staged by this run: seq 0.. */
	bool staging;                 /* this run staged anything */
	bool sliced;                  /* of which slices to replace */
	bool committed;               /* past the commit point */
};

struct mongo_scan {
	struct gm_mongo_cursor *c;    /* NULL: nothing to read */
	uint64_t n;
	struct gm_where where;        /* "HOSTS/DB.TABLE:" and the row's */
};

#define MW(wh) ((struct mongo_wh *)(wh)->data)

/* ---- small documents: the lock and the commit marker ---- */

/* {"type":TYPE,"prog":...,"host":...,"pid":...,"started":...[,"rows":N]}
 * of this run, in mw->doc: the lock (rows < 0) or the commit marker.
 * Its "type" makes it a record that gm_parse() reads. */
static const char *who(struct mongo_wh *mw, int64_t rows, size_t *len)
{
	struct gm_writer *w = mw->doc;
	gm_writer_reset(w);
	gm_w_obj_begin(w);
	if (rows < 0)
		GM_W_KLIT(w, "type", LOCK_COLL);
	else
		GM_W_KLIT(w, "type", MARKER_COLL);
	GM_W_KCSTR(w, "prog", gm_prog);
	GM_W_KCSTR(w, "host", mw->host);
	GM_W_KI64(w, "pid", mw->pid);
	GM_W_KSTR(w, "started", mw->started, GM_TS_LEN);
	if (rows >= 0)
		GM_W_KI64(w, "rows", rows);
	gm_w_end(w);
	const char *p = gm_writer_data(w, len);
	*len -= 1;
	return p;
}

/* The string field key of the JSON object doc, or false. */
static bool str_field(struct gm_parser *ps, const char *doc, const char *key, gm_str *v)
{
	const char *why;
	const struct gm_event *ev = gm_parse(ps, doc, strlen(doc), &why);
	const struct gm_field *f = ev ? gm_event_field(ev, key) : NULL;
	if (!f || f->kind != GM_JSON_STRING)
		return false;
	*v = f->value;
	return true;
}

static bool int_field(struct gm_parser *ps, const char *doc, const char *key, long long *v)
{
	const char *why;
	const struct gm_event *ev = gm_parse(ps, doc, strlen(doc), &why);
	const struct gm_field *f = ev ? gm_event_field(ev, key) : NULL;
	if (!f || f->kind != GM_JSON_NUMBER)
		return false;
	char buf[32];
	gm_str_copy(f->value, buf, sizeof buf);
	char *end;
	errno = 0;
	*v = strtoll(buf, &end, 10);
	return !errno && !*end;
}

/* Whether the run that stored holder (a lock document) is over: it ran
 * on this host and its process is gone. A lock of another host is
 * never judged so: its holder may be running. */
static bool holder_gone(struct mongo_wh *mw, const char *holder, gm_str *started)
{
	gm_str host;
	long long pid;
	char h[256];
	if (!str_field(mw->ps, holder, "host", &host) ||
		strcmp(gm_str_copy(host, h, sizeof h), mw->host) ||
		!int_field(mw->ps, holder, "pid", &pid) || pid <= 0 ||
		!str_field(mw->ps, holder, "started", started))
		return false;
	/* Our own pid: an earlier process that had it is gone. */
	return pid == mw->pid || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
}

/* wh_lock()'s try: the lock inserted, or one whose holder is gone taken
 * over (once a try: a lock there again is another run's, looked at by
 * the next try). */
static int try_lock(struct gm_wh *wh, char **holder)
{
	struct mongo_wh *mw = wh->data;
	size_t len;
	for (bool took_over = false;;) {
		const char *doc = who(mw, -1, &len);
		int got = gm_mongo_lock(mw->m, LOCK_COLL, LOCK_NAME, doc, len, holder);
		if (got < 0)
			return -1;
		if (got == 0 && !*holder)
			continue;  /* released between our insert and our look */
		/* A retried insert that met the lock its first try took. */
		if (got == 1 || !strcmp(*holder, (doc = who(mw, -1, &len)))) {
			free(*holder);
			*holder = NULL;
			mw->locked = true;
			return 1;
		}
		gm_str started;
		if (took_over || !holder_gone(mw, *holder, &started))
			return 0;
		gm_warn(wh->name, "taking over the lock of a run that ended without "
			"releasing it: %s", *holder);
		/* Only that lock: a run that took it over meanwhile keeps it. */
		char *quoted = gm_xcalloc(1, started.n + 3);
		snprintf(quoted, started.n + 3, "\"%.*s\"", (int)started.n, started.p);
		const char *in[1] = { quoted };
		struct gm_mongo_filter f = { "started", NULL, NULL, in, 1 };
		bool ok = gm_mongo_delete(mw->m, LOCK_COLL, &f, NULL);
		free(quoted);
		free(*holder);
		*holder = NULL;
		if (!ok)
			return -1;
		took_over = true;
	}
}

static bool release_lock(struct mongo_wh *mw)
{
	char quoted[GM_TS_LEN + 3];
	snprintf(quoted, sizeof quoted, "\"%s\"", mw->started);
	const char *in[1] = { quoted };
	struct gm_mongo_filter f = { "started", NULL, NULL, in, 1 };
	mw->locked = !gm_mongo_delete(mw->m, LOCK_COLL, &f, NULL);
	return !mw->locked;
}

/* ---- the staging collection and the commit ---- */

/* A staged row, read back: {"type":"_gm_staged","table":T,"id":ID,
 * "seq":N,"row":ROW}. */
struct staged {
	char *table, *id, *row;
	size_t idn, rown;
};

static int staged_cmp(const void *a, const void *b)
{
	return strcmp(((const struct staged *)a)->table, ((const struct staged *)b)->table);
}

struct page {
	struct mongo_wh *mw;
	struct staged *rows;
	size_t n, cap;
	const char *wh_name;
	bool bad;
};

static bool take_staged(void *ctx, const char *line, size_t len)
{
	struct page *p = ctx;
	const char *why = "not a staged row";
	const struct gm_event *ev = gm_parse(p->mw->ps, line, len, &why);
	const struct gm_field *t = ev ? gm_event_field(ev, "table") : NULL,
		*id = ev ? gm_event_field(ev, "id") : NULL, *row = ev ? gm_event_field(ev, "row") : NULL;
	if (!t || t->kind != GM_JSON_STRING || !id || id->kind != GM_JSON_STRING ||
		!row || row->kind != GM_JSON_OBJECT) {
		gm_error(p->wh_name, STAGING ": %s: %.*s", ev ? "not a staged row" : why,
			(int)(len > 200 ? 200 : len), line);
		p->bad = true;
		return false;
	}
	p->rows = gm_grow(p->rows, &p->cap, p->n + 1, sizeof *p->rows, 64);
	p->rows[p->n++] = (struct staged){ gm_xstrndup(t->value.p, t->value.n),
		gm_xstrndup(id->value.p, id->value.n), gm_xstrndup(row->value.p, row->value.n),
		id->value.n, row->value.n };
	return true;
}

/* A slice to replace, staged: {"type":"_gm_replace","table":T,
 * "field":F,"prefix":P}, F the table's id field. */
struct slice {
	char *table, *field, *prefix;
	size_t n;
};

struct slices {
	struct mongo_wh *mw;
	struct slice *s;
	size_t n, cap;
	const char *wh_name;
	bool bad;
};

static bool take_slice(void *ctx, const char *line, size_t len)
{
	struct slices *p = ctx;
	const char *why = "not a staged slice";
	const struct gm_event *ev = gm_parse(p->mw->ps, line, len, &why);
	const struct gm_field *t = ev ? gm_event_field(ev, "table") : NULL,
		*f = ev ? gm_event_field(ev, "field") : NULL,
		*pre = ev ? gm_event_field(ev, "prefix") : NULL;
	if (!t || t->kind != GM_JSON_STRING || !f || f->kind != GM_JSON_STRING ||
		!pre || pre->kind != GM_JSON_STRING || memchr(pre->value.p, '\0', pre->value.n)) {
		gm_error(p->wh_name, STAGING ": %s: %.*s", ev ? "not a staged slice" : why,
			(int)(len > 200 ? 200 : len), line);
		p->bad = true;
		return false;
	}
	p->s = gm_grow(p->s, &p->cap, p->n + 1, sizeof *p->s, 8);
	p->s[p->n++] = (struct slice){ gm_xstrndup(t->value.p, t->value.n),
		gm_xstrndup(f->value.p, f->value.n), gm_xstrndup(pre->value.p, pre->value.n),
		pre->value.n };
	return true;
}

/* Deletes the rows of every slice staged: all of each, those the run
 * put as well, which apply() then upserts again. Done again after a
 * crash, it deletes the same rows, and the upserts that follow put the
 * same back. */
static bool delete_slices(struct gm_wh *wh, struct mongo_wh *mw)
{
	const char *in[1] = { "\"" REPLACE_TYPE "\"" };
	struct gm_mongo_filter f = { "type", NULL, NULL, in, 1 };
	struct slices p = { .mw = mw, .wh_name = wh->name };
	bool ok = gm_mongo_find(mw->m, STAGING, &f, take_slice, &p) && !p.bad;
	for (size_t i = 0; ok && i < p.n; i++)
		ok = gm_mongo_delete_prefix(mw->m, p.s[i].table, p.s[i].field, p.s[i].prefix,
			p.s[i].n, NULL);
	for (size_t i = 0; i < p.n; i++) {
		free(p.s[i].table);
		free(p.s[i].field);
		free(p.s[i].prefix);
	}
	free(p.s);
	return ok;
}

/* Stages the slices of t to replace, each under an _id of ':', its
 * table, ':' and its prefix (no table's name holds a ':', so that no
 * row's _id, its table's name, ':' and its id, is one of those). */
static bool stage_slices(struct mongo_wh *mw, const struct gm_wh_table *t)
{
	bool ok = true;
	for (size_t i = 0; ok && i < t->nslices; i++) {
		struct gm_writer *w = mw->doc;
		gm_writer_reset(w);
		gm_w_obj_begin(w);
		GM_W_KLIT(w, "type", REPLACE_TYPE);
		GM_W_KCSTR(w, "table", t->t->table);
		GM_W_KCSTR(w, "field", t->t->id);
		GM_W_KSTR(w, "prefix", t->slices[i].p, t->slices[i].n);
		gm_w_end(w);
		size_t dlen;
		const char *doc = gm_writer_data(w, &dlen);
		struct gm_text key = { 0 };
		gm_text_printf(&key, ":%s:", t->t->table);
		gm_text_add(&key, t->slices[i].p, t->slices[i].n);
		ok = gm_mongo_upsert(mw->m, STAGING, key.p, key.n, doc, dlen - 1);
		free(key.p);
		mw->staging = mw->sliced = true;
	}
	return ok;
}

/* Creates the indexes of the table called name (those of its type). */
static bool index_table(struct mongo_wh *mw, const char *name)
{
	const struct gm_rtype *t = NULL;
	for (size_t i = 0; !t && i < gm_nrtypes; i++)
		if (gm_rtypes[i]->warehouse && !strcmp(gm_rtypes[i]->table, name))
			t = gm_rtypes[i];
	if (!t || !t->id)
		return true;
	bool ok = gm_mongo_index(mw->m, name, &t->id, 1);
	for (size_t i = 0; ok && i < sizeof indexes / sizeof *indexes; i++) {
		bool has = !(indexes[i].n == 1 && !strcmp(indexes[i].fields[0], t->id));
		for (size_t j = 0; has && j < indexes[i].n; j++)
			has = gm_rtype_field(t, indexes[i].fields[j]) != NULL;
		if (has)
			ok = gm_mongo_index(mw->m, name, indexes[i].fields, indexes[i].n);
	}
	return ok;
}

/* Upserts the staged rows of seq 0..rows-1 into their tables, a page
 * at a time, table by table; each table's indexes first. */
static bool apply(struct gm_wh *wh, struct mongo_wh *mw, int64_t rows)
{
	char **done = NULL;   /* the tables indexed */
	size_t ndone = 0, cap = 0;
	bool ok = true;
	for (int64_t lo = 0; ok && lo < rows; lo += PAGE) {
		char min[24], max[24];
		snprintf(min, sizeof min, "%lld", (long long)lo);
		snprintf(max, sizeof max, "%lld", (long long)(lo + PAGE - 1));
		struct gm_mongo_filter f = { "seq", min, max, NULL, 0 };
		struct page p = { .mw = mw, .wh_name = wh->name };
		ok = gm_mongo_find(mw->m, STAGING, &f, take_staged, &p) && !p.bad;
		qsort(p.rows, p.n, sizeof *p.rows, staged_cmp);
		for (size_t i = 0; ok && i < p.n; i++) {
			struct staged *s = &p.rows[i];
			if (!ndone || strcmp(done[ndone - 1], s->table)) {
				bool seen = false;
				for (size_t j = 0; j < ndone && !seen; j++)
					seen = !strcmp(done[j], s->table);
				if (!seen) {
					ok = index_table(mw, s->table);
					done = gm_grow(done, &cap, ndone + 1, sizeof *done, 16);
					done[ndone++] = gm_xstrdup(s->table);
				}
			}
			ok = ok && gm_mongo_upsert(mw->m, s->table, s->id, s->idn, s->row, s->rown);
		}
		ok = ok && gm_mongo_flush(mw->m);
		for (size_t i = 0; i < p.n; i++) {
			free(p.rows[i].table);
			free(p.rows[i].id);
			free(p.rows[i].row);
		}
		free(p.rows);
	}
	for (size_t i = 0; i < ndone; i++)
		free(done[i]);
	free(done);
	return ok;
}

/* After the staged rows are applied: the marker removed, then the
 * staging emptied. Not the other way: emptying is no atomic step, and a
 * marker left over part of the staging would have the next run delete
 * the slices and put back only part of their rows; staged documents
 * left without a marker are dropped by the next run. */
static bool finish_commit(struct mongo_wh *mw)
{
	return gm_mongo_unlock(mw->m, MARKER_COLL, MARKER_NAME) &&
		gm_mongo_delete(mw->m, STAGING, NULL, NULL);
}

/* What an earlier run left: past its commit point (a marker), the
 * commit finished, its slices deleted again and its rows upserted
 * again; before it, what it staged dropped. */
static bool recover(struct gm_wh *wh, struct mongo_wh *mw)
{
	char *marker;
	int got = gm_mongo_get(mw->m, MARKER_COLL, MARKER_NAME, &marker);
	if (got < 0)
		return false;
	if (got == 0)
		return gm_mongo_delete(mw->m, STAGING, NULL, NULL);
	long long rows;
	bool ok = int_field(mw->ps, marker, "rows", &rows) && rows >= 0;
	if (!ok)
		gm_error(wh->name, MARKER_COLL ": a commit marker without its rows: %s", marker);
	else
		gm_warn(wh->name, "finishing the commit of a run that stopped past its commit "
			"point: %s", marker);
	free(marker);
	return ok && delete_slices(wh, mw) && apply(wh, mw, rows) && finish_commit(mw);
}

/* ---- the backend ---- */

static bool mongo_open(struct gm_wh *wh, const char *spec)
{
	struct mongo_wh *mw = gm_xcalloc(1, sizeof *mw);
	wh->data = mw;
	mw->opening = true;
	mw->doc = gm_writer_mem();
	mw->ps = gm_parser_new();
	if (gethostname(mw->host, sizeof mw->host - 1) != 0)
		snprintf(mw->host, sizeof mw->host, "unknown");
	mw->pid = (long long)getpid();
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	gm_ts_format((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, mw->started);
	int status;
	mw->m = gm_mongo_open(spec, DEFAULT_DB, wh->c->retry_ms, 0, &status);
	if (!mw->m) {
		return status == GM_EXIT_TEMPFAIL ? wh_tempfail(wh) : false;
	}
	wh->name = gm_xstrdup(gm_mongo_name(mw->m));
	if (!wh_lock(wh, try_lock))
		return false;
	/* A dry run changes nothing, not even to finish what another left. */
	if (!wh->dry_run && !recover(wh, mw))
		return false;
	mw->opening = false;
	return true;
}

static void *mongo_scan_open(struct gm_wh *wh, const struct gm_rtype *t,
	const struct gm_wh_filter *f)
{
	struct mongo_wh *mw = MW(wh);
	struct mongo_scan *s = gm_xcalloc(1, sizeof *s);
	gm_where_init(&s->where, "%s.%s:", wh->name, t->table);
	struct gm_mongo_filter any[2];
	size_t n = 0;
	char lo[24], hi[24];
	char **in = NULL;
	size_t nin = 0;
	bool asked = f && (f->range_field || f->in_field);
	if (f && f->range_field) {
		snprintf(lo, sizeof lo, "%lld", (long long)f->lo);
		snprintf(hi, sizeof hi, "%lld", (long long)f->hi);
		any[n++] = (struct gm_mongo_filter){ f->range_field, lo, hi, NULL, 0 };
	}
	if (f && f->in_field && f->nin > MAX_IN) {
		n = 0;
		asked = false;
	} else if (f && f->in_field && f->nin) {
		in = gm_xcalloc(f->nin, sizeof *in);
		for (nin = 0; nin < f->nin; nin++) {
			gm_writer_reset(mw->doc);
			gm_w_str(mw->doc, f->in[nin].p, f->in[nin].n);
			size_t len;
			const char *p = gm_writer_data(mw->doc, &len);
			in[nin] = gm_xstrndup(p, len);
		}
		any[n++] = (struct gm_mongo_filter){ f->in_field, NULL, NULL,
			(const char *const *)in, nin };
	}
	bool ordered = gm_rtype_field(t, txn_order[0]) && gm_rtype_field(t, txn_order[1]);
	/* Parts that choose nothing (an empty list) leave nothing to read. */
	if (!asked || n)
		s->c = gm_mongo_cursor_open(mw->m, t->table, any, n, ordered ? txn_order : NULL,
			ordered ? 2 : 0);
	for (size_t i = 0; i < nin; i++)
		free(in[i]);
	free(in);
	if ((!asked || n) && !s->c) {
		free(s);
		return NULL;
	}
	return s;
}

static bool mongo_scan_next(void *scan, const char **row, size_t *len, const char **where)
{
	struct mongo_scan *s = scan;
	if (!s->c || gm_mongo_cursor_next(s->c, row, len) <= 0)
		return false;
	*where = gm_where_at(&s->where, ++s->n);
	return true;
}

static bool mongo_scan_close(void *scan)
{
	struct mongo_scan *s = scan;
	bool ok = gm_mongo_cursor_close(s->c);
	free(s);
	return ok;
}

static bool mongo_begin(struct gm_wh_table *t)
{
	t->w = gm_writer_mem();
	return true;
}

/* Stages the row built on t's writer, under an _id of its table and id. */
static bool mongo_put(struct gm_wh_table *t, const char *id, size_t n)
{
	struct mongo_wh *mw = MW(t->wh);
	size_t len;
	const char *row = gm_writer_data(t->w, &len);
	len -= len && row[len - 1] == '\n';
	struct gm_writer *w = mw->doc;
	gm_writer_reset(w);
	gm_w_obj_begin(w);
	GM_W_KLIT(w, "type", STAGED_TYPE);
	GM_W_KCSTR(w, "table", t->t->table);
	GM_W_KSTR(w, "id", id, n);
	GM_W_KI64(w, "seq", mw->staged++);
	GM_W_KEY(w, "row");
	gm_w_json(w, row, len);
	gm_w_end(w);
	size_t dlen;
	const char *doc = gm_writer_data(w, &dlen);
	/* The table's name and ':' before the id: an id in two tables is
	 * two staged rows. */
	size_t tn = strlen(t->t->table), kn = tn + 1 + n;
	char *key = gm_xcalloc(1, kn + 1);
	memcpy(key, t->t->table, tn);
	key[tn] = ':';
	memcpy(key + tn + 1, id, n);
	bool ok = gm_mongo_upsert(mw->m, STAGING, key, kn, doc, dlen - 1);
	free(key);
	mw->staging = true;
	gm_writer_reset(t->w);
	return ok;
}

static bool mongo_commit(struct gm_wh *wh)
{
	struct mongo_wh *mw = MW(wh);
	for (struct gm_wh_table *t = wh->tables; t; t = t->next)
		if (!stage_slices(mw, t))
			return false;
	if (!mw->staging)
		return true;
	const char *seq = "seq";
	if (!gm_mongo_flush(mw->m) || !gm_mongo_index(mw->m, STAGING, &seq, 1))
		return false;
	size_t len;
	const char *marker = who(mw, mw->staged, &len);
	if (!gm_mongo_put(mw->m, MARKER_COLL, MARKER_NAME, marker, len))
		return false;
	mw->committed = true;
	/* Without a slice, no read of the staging for them (a recovery
	 * reads it all the same). */
	return (!mw->sliced || delete_slices(wh, mw)) && apply(wh, mw, mw->staged) &&
		finish_commit(mw);
}

static void mongo_end_table(struct gm_wh_table *t)
{
	gm_writer_close(t->w);
	t->w = NULL;
}

static void mongo_close(struct gm_wh *wh)
{
	struct mongo_wh *mw = wh->data;
	if (!mw)
		return;
	if (mw->m && !gm_mongo_failed(mw->m)) {
		/* Rows and slices staged and never committed: dropped now
		 * rather than by the next run. */
		if (mw->staging && !mw->committed)
			gm_mongo_delete(mw->m, STAGING, NULL, NULL);
		if (mw->locked)
			release_lock(mw);
	}
	int status = gm_mongo_close(mw->m);
	if (mw->opening && status == GM_EXIT_TEMPFAIL)
		wh_tempfail(wh);
	gm_writer_close(mw->doc);
	gm_parser_free(mw->ps);
	free(mw);
}

static const char *const schemes[] = { "mongodb://", "mongodb+srv://", NULL };

const struct wh_backend gm_wh_mongo = {
	.schemes = schemes,
	.open = mongo_open, .scan_open = mongo_scan_open, .scan_next = mongo_scan_next,
	.scan_close = mongo_scan_close, .begin = mongo_begin, .put = mongo_put,
	.commit = mongo_commit, .end_table = mongo_end_table, .close = mongo_close,
};

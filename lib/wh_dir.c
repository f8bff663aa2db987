/* wh_dir: the warehouse as a folder of NDJSON files, one per table;
 * see warehouse.h for what it guarantees and how. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "event.h"
#include "idset.h"
#include "mem.h"
#include "reader.h"
#include "row.h"
#include "warehouse_backend.h"
#include "where.h"

#define COMMIT_FILE ".commit"
#define LOCK_FILE ".lock"

struct dir {
	char *path;
	int lock_fd;
	bool locked;              /* the lock taken: the folder is this run's */
};

struct dir_table {
	char *new_path;           /* DIR/.TABLE.new */
	int new_fd;
	struct gm_idset *ids;     /* GM_WH_LOADED: the ids put */
};

struct dir_scan {
	struct gm_reader *r;      /* NULL: no table yet, empty */
	char *path;               /* the reader's name, which it borrows */
	size_t max_line;
	struct gm_where where;    /* "PATH:" and each row's line */
	bool failed;
};

#define DIR_OF(wh) ((struct dir *)(wh)->data)
#define TABLE_OF(t) ((struct dir_table *)(t)->data)

static char *path_of(const struct gm_wh *wh, const char *prefix, const char *table,
	const char *suffix)
{
	const char *dir = DIR_OF(wh)->path;
	size_t n = strlen(dir) + strlen(prefix) + strlen(table) + strlen(suffix) + 2;
	char *p = gm_xcalloc(1, n);
	snprintf(p, n, "%s/%s%s%s", dir, prefix, table, suffix);
	return p;
}

static bool sync_dir(const struct gm_wh *wh)
{
	int fd = open(DIR_OF(wh)->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		gm_error(DIR_OF(wh)->path, "cannot sync the folder: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* The name in DIR of a line of DIR/.commit (without its newline): its
 * last component, so that a list written with paths reads the same. */
static const char *commit_name(char *line)
{
	line[strcspn(line, "\n")] = '\0';
	const char *slash = strrchr(line, '/');
	return slash ? slash + 1 : line;
}

/* Does the renames DIR/.commit lists (pairs of lines: from, to, names
 * in DIR), those whose source is still there; then removes it. The
 * names are joined to DIR as this run names it, since the run that
 * wrote the list may have been started from another directory. */
static bool finish_commit(struct gm_wh *wh)
{
	char *path = path_of(wh, "", COMMIT_FILE, "");
	FILE *f = fopen(path, "r");
	bool ok = true;
	if (!f) {
		free(path);
		return errno == ENOENT ? true
			: (gm_error(DIR_OF(wh)->path, "cannot read %s: %s", COMMIT_FILE, strerror(errno)), false);
	}
	char from_line[4096], to_line[4096];
	while (ok && fgets(from_line, sizeof from_line, f) && fgets(to_line, sizeof to_line, f)) {
		char *from = path_of(wh, "", commit_name(from_line), ""),
			*to = path_of(wh, "", commit_name(to_line), "");
		if (rename(from, to) != 0 && errno != ENOENT) {
			gm_error(DIR_OF(wh)->path, "cannot rename %s to %s: %s", from, to, strerror(errno));
			ok = false;
		}
		free(from);
		free(to);
	}
	fclose(f);
	ok = ok && sync_dir(wh);
	if (ok && unlink(path) != 0) {
		gm_error(DIR_OF(wh)->path, "cannot remove %s: %s", COMMIT_FILE, strerror(errno));
		ok = false;
	}
	free(path);
	return ok && sync_dir(wh);
}

/* Removes the dot files of a run that died before its commit point:
 * .TABLE.new and .TABLE.tmp. Not while DIR/.commit is there: its
 * renames are still to do (they failed, or a sync did), and the .tmp
 * files are the committed tables, which the next run puts in place. */
static void remove_leftovers(struct gm_wh *wh)
{
	char *commit = path_of(wh, "", COMMIT_FILE, "");
	bool pending = access(commit, F_OK) == 0;
	free(commit);
	if (pending)
		return;
	DIR *d = opendir(DIR_OF(wh)->path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] != '.' || n < 5)
			continue;
		if (strcmp(e->d_name + n - 4, ".new") && strcmp(e->d_name + n - 4, ".tmp"))
			continue;
		char *p = path_of(wh, "", e->d_name, "");
		unlink(p);
		free(p);
	}
	closedir(d);
}

static int dir_try_lock(struct gm_wh *wh, char **holder)
{
	struct dir *d = wh->data;
	(void)holder;  /* a flock(2) tells nothing of its holder */
	if (flock(d->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 1;
	if (errno == EWOULDBLOCK)
		return 0;
	gm_error(wh->name, "cannot lock the warehouse: %s", strerror(errno));
	return -1;
}

static bool dir_open(struct gm_wh *wh, const char *spec)
{
	struct dir *d = gm_xcalloc(1, sizeof *d);
	wh->data = d;
	d->path = gm_xstrdup(spec);
	d->lock_fd = -1;
	wh->name = gm_xstrdup(spec);
	if (mkdir(spec, 0777) != 0 && errno != EEXIST) {
		gm_error(spec, "cannot make the warehouse folder: %s", strerror(errno));
		return false;
	}
	char *lock = path_of(wh, "", LOCK_FILE, "");
	d->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	free(lock);
	if (d->lock_fd < 0) {
		gm_error(spec, "cannot open its lock file: %s", strerror(errno));
		return false;
	}
	if (!wh_lock(wh, dir_try_lock))
		return false;
	d->locked = true;
	/* A dry run changes nothing, not even to finish what another left. */
	if (wh->dry_run)
		return true;
	if (!finish_commit(wh))
		return false;
	remove_leftovers(wh);
	return true;
}

/* The next row of r, blank lines passed over: GM_READ_LINE, or
 * GM_READ_EOF, or GM_READ_ERROR once it is reported (a row over the
 * warehouse's limit, a signal, or the reader's own). Every reader of the
 * folder's files reads through it, so that a row read once is a row
 * that the commit can read again. */
static enum gm_read next_row(struct gm_reader *r, size_t max_line, struct gm_line *l)
{
	enum gm_read st;
	while ((st = gm_reader_next(r, l)) == GM_READ_LINE && !l->len)
		;
	if (st == GM_READ_TOOLONG) {
		char where[600];
		snprintf(where, sizeof where, "%s:%llu", l->file, (unsigned long long)l->lineno);
		gm_error(where, "a row longer than %zu bytes", max_line);
	} else if (st == GM_READ_STOPPED)
		gm_error(l->file, "stopped by a signal");
	return st == GM_READ_LINE || st == GM_READ_EOF ? st : GM_READ_ERROR;
}

/* A reader of the folder's file at path; NULL after a message. */
static struct gm_reader *rows_open(const struct gm_wh *wh, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		gm_error(path, "cannot open: %s", strerror(errno));
		return NULL;
	}
	return gm_reader_fdopen(fd, path, wh->c->max_line);
}

static void *dir_scan_open(struct gm_wh *wh, const struct gm_rtype *t,
	const struct gm_wh_filter *f)
{
	struct dir_scan *s = gm_xcalloc(1, sizeof *s);
	s->max_line = wh->c->max_line;
	char *path = path_of(wh, "", t->table, ".ndjson");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		gm_error(path, "cannot open: %s", strerror(errno));
		free(path);
		free(s);
		return NULL;
	}
	if (fd >= 0) {
		gm_where_init(&s->where, "%s:", path);
		s->path = path;
		s->r = gm_reader_fdopen(fd, path, s->max_line);
	} else
		free(path);
	return s;
}

static bool dir_scan_next(void *scan, const char **row, size_t *len, const char **where)
{
	struct dir_scan *s = scan;
	if (!s->r || s->failed)
		return false;
	struct gm_line l;
	switch (next_row(s->r, s->max_line, &l)) {
	case GM_READ_LINE:
		*row = l.data;
		*len = l.len;
		*where = gm_where_at(&s->where, l.lineno);
		return true;
	case GM_READ_EOF:
		return false;
	default:
		s->failed = true;
		return false;
	}
}

static bool dir_scan_close(void *scan)
{
	struct dir_scan *s = scan;
	bool ok = !s->failed;
	gm_reader_close(s->r);
	free(s->path);
	free(s);
	return ok;
}

static bool dir_begin(struct gm_wh_table *t)
{
	struct dir_table *d = gm_xcalloc(1, sizeof *d);
	t->data = d;
	d->new_path = path_of(t->wh, ".", t->t->table, ".new");
	d->new_fd = open(d->new_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (d->new_fd < 0) {
		gm_error(d->new_path, "cannot create: %s", strerror(errno));
		return false;
	}
	t->w = gm_writer_fd(d->new_fd, d->new_path, false);
	char *old = path_of(t->wh, "", t->t->table, ".ndjson");
	struct stat st;
	bool first = stat(old, &st) != 0;
	free(old);
	/* A first load's new file becomes the table as it is: nothing
	 * reads it back, and it goes around the page cache. Else the
	 * commit merges it with the old. */
	if (first)
		gm_writer_direct(t->w);
	else
		gm_writer_sync_ahead(t->w);
	/* The ids put matter only where a row of the table may be put
	 * again: not in a first load. */
	if (t->order == GM_WH_LOADED && !first)
		d->ids = gm_idset_new();
	return true;
}

static bool dir_put(struct gm_wh_table *t, const char *id, size_t n)
{
	if (TABLE_OF(t)->ids)
		gm_idset_add(TABLE_OF(t)->ids, id, n);
	return true;
}

static void dir_done(struct gm_wh_table *t)
{
	gm_writer_finish_behind(t->w);
}

static void dir_end_table(struct gm_wh_table *t)
{
	struct dir_table *d = t->data;
	if (t->w)
		gm_writer_close(t->w);
	if (!d)
		return;
	if (d->new_fd >= 0)
		close(d->new_fd);
	free(d->new_path);
	gm_idset_free(d->ids);
	free(d);
}

/* What reads the ids of one file's rows: the row reader for a row as
 * the tools write it (row.h: a fraction of a parse's cost, and a line
 * it takes is valid JSON), the parser for any other. */
struct id_reader {
	struct gm_row_reader rows;  /* and its table, rows.t */
	size_t id_at;              /* the id's place among the row's values */
	bool id_string;            /* the row reader gives it as it is */
	union gm_rvalue v[GM_ROW_MAX_FIELDS];
	bool has[GM_ROW_MAX_FIELDS];
	struct gm_parser *ps;
};

static struct id_reader *id_reader_new(const struct gm_rtype *t)
{
	struct id_reader *ir = gm_xcalloc(1, sizeof *ir);
	gm_row_reader_init(&ir->rows, t);
	ir->id_at = GM_RFIELD_AT(t, t->id);
	ir->id_string = t->fields[ir->id_at].kind == GM_RK_STRING;
	ir->ps = gm_parser_new();
	return ir;
}

static void id_reader_free(struct id_reader *ir)
{
	if (!ir)
		return;
	gm_parser_free(ir->ps);
	free(ir);
}

/* The id of row l of ir's table (its descriptor's id field, a string),
 * or false with a message at its file and line. It points into l or
 * into ir, until the next row. */
static bool row_id(struct id_reader *ir, const struct gm_line *l, gm_str *id)
{
	const struct gm_rtype *t = ir->rows.t;
	if (ir->id_string && gm_row_read(&ir->rows, l->data, l->len, ir->v, ir->has) &&
		ir->has[ir->id_at]) {
		*id = ir->v[ir->id_at].s;
		return true;
	}
	const char *why;
	const struct gm_event *ev = gm_parse(ir->ps, l->data, l->len, &why);
	const struct gm_field *f = ev ? gm_event_field(ev, t->id) : NULL;
	if (f && f->kind == GM_JSON_STRING) {
		*id = f->value;
		return true;
	}
	/* The place written for the message only: snprintf() for every
	 * row was a tenth of a commit's rewrite of a table. */
	char where[600];
	snprintf(where, sizeof where, "%s:%llu", l->file, (unsigned long long)l->lineno);
	if (!ev)
		gm_error(where, "%s", why);
	else
		gm_error(where, "no string \"%s\": not a row of %s", t->id, t->name);
	return false;
}

static bool copy_file(const struct gm_wh *wh, const char *path, struct gm_writer *out);

/* A row put again: the new row for the old one of its id. */
struct again {
	char *id, *row;
	size_t idn, len;
};

static int again_cmp(const void *a, const void *b)
{
	const struct again *x = a, *y = b;
	return gm_str_cmp((gm_str){ x->id, x->idn }, (gm_str){ y->id, y->idn });
}

/* Calls fn on each row of the file at path, with its id; false after
 * a message on a read error or a row without its id. */
static bool each_row(const struct gm_wh *wh, const char *path, struct id_reader *ir,
	bool (*fn)(void *ctx, gm_str id, const char *row, size_t len), void *ctx)
{
	struct gm_reader *r = rows_open(wh, path);
	if (!r)
		return false;
	struct gm_line l;
	enum gm_read st;
	bool ok = true;
	while (ok && (st = next_row(r, wh->c->max_line, &l)) == GM_READ_LINE) {
		gm_str id;
		ok = row_id(ir, &l, &id) && fn(ctx, id, l.data, l.len);
	}
	ok = ok && st == GM_READ_EOF;
	gm_reader_close(r);
	return ok;
}

struct loaded_ctx {
	const struct gm_wh_table *t;
	struct dir_table *d;
	struct gm_idset *again_ids;    /* ids of the old file put again */
	struct again *again;
	size_t nagain, cap;
	struct gm_writer *out;
};

static bool find_again(void *ctx, gm_str id, const char *row, size_t len)
{
	struct loaded_ctx *c = ctx;
	if (gm_idset_has(c->d->ids, id.p, id.n))
		gm_idset_add(c->again_ids, id.p, id.n);
	return true;
}

static bool keep_again(void *ctx, gm_str id, const char *row, size_t len)
{
	struct loaded_ctx *c = ctx;
	if (gm_idset_has(c->again_ids, id.p, id.n)) {
		c->again = gm_grow(c->again, &c->cap, c->nagain + 1, sizeof *c->again, 64);
		c->again[c->nagain++] = (struct again){ gm_xstrndup(id.p, id.n), gm_xstrndup(row, len),
			id.n, len };
	}
	return true;
}

static bool write_old(void *ctx, gm_str id, const char *row, size_t len)
{
	struct loaded_ctx *c = ctx;
	if (gm_idset_has(c->again_ids, id.p, id.n)) {
		struct again key = { .id = (char *)id.p, .idn = id.n };
		struct again *a = bsearch(&key, c->again, c->nagain, sizeof *c->again, again_cmp);
		if (!a) {
			/* An id of the old table that the run put, yet no row of the
			 * new file has it: the file is not what was put. */
			gm_error(NULL, "%.*s: a row put is missing from its new file",
				(int)(id.n > 64 ? 64 : id.n), id.p);
			return false;
		}
		gm_w_record(c->out, a->row, a->len);
	} else if (!wh_replaced(c->t, id.p, id.n))
		gm_w_record(c->out, row, len);
	return true;
}

static bool write_first_time(void *ctx, gm_str id, const char *row, size_t len)
{
	struct loaded_ctx *c = ctx;
	if (!gm_idset_has(c->again_ids, id.p, id.n))
		gm_w_record(c->out, row, len);
	return true;
}

/* A table in load order: the old rows in their places, a row put again
 * in the place of the old one of its id (so that loading the same
 * facts twice leaves the same bytes), an old row of a slice replaced
 * and not put again left out, then the rows put for the first time, in
 * their order. Rows put again are held in memory meanwhile; a run that
 * puts none and replaces no slice copies both files as they are. */
static bool write_loaded(struct gm_wh_table *t, struct dir_table *d, const char *old_path,
	struct gm_writer *out)
{
	struct loaded_ctx c = { .t = t, .d = d, .again_ids = gm_idset_new(), .out = out };
	struct id_reader *ir = id_reader_new(t->t);
	struct gm_wh *wh = t->wh;
	bool ok = each_row(wh, old_path, ir, find_again, &c);
	if (ok && gm_idset_size(c.again_ids) == 0 && !t->nslices) {
		ok = copy_file(wh, old_path, out) && copy_file(wh, d->new_path, out);
	} else if (ok) {
		ok = each_row(wh, d->new_path, ir, keep_again, &c);
		qsort(c.again, c.nagain, sizeof *c.again, again_cmp);
		ok = ok && each_row(wh, old_path, ir, write_old, &c) &&
			each_row(wh, d->new_path, ir, write_first_time, &c);
	}
	for (size_t i = 0; i < c.nagain; i++) {
		free(c.again[i].id);
		free(c.again[i].row);
	}
	free(c.again);
	gm_idset_free(c.again_ids);
	id_reader_free(ir);
	return ok;
}

/* Writes the file at path to out as it is, line by line. */
static bool copy_file(const struct gm_wh *wh, const char *path, struct gm_writer *out)
{
	struct gm_reader *r = rows_open(wh, path);
	if (!r)
		return false;
	struct gm_line l;
	enum gm_read st;
	while ((st = next_row(r, wh->c->max_line, &l)) == GM_READ_LINE)
		gm_w_record(out, l.data, l.len);
	gm_reader_close(r);
	return st == GM_READ_EOF;
}

/* The next row of r and its id into *l and *id, *have set when there
 * is one; false after a message on a read error or a row without its
 * id. */
static bool merge_next(const struct gm_wh *wh, struct gm_reader *r, struct id_reader *ir,
	struct gm_line *l, gm_str *id, bool *have)
{
	enum gm_read st = next_row(r, wh->c->max_line, l);
	if (st != GM_READ_LINE)
		return st == GM_READ_EOF;
	return *have = row_id(ir, l, id);
}

/* Writes table t whole into DIR/.TABLE.tmp, from the old table and the
 * rows put, as its order says; fsynced. */
static bool dir_write_table(struct gm_wh *wh, struct gm_wh_table *t, const char *tmp)
{
	struct dir_table *d = t->data;
	char *old_path = path_of(wh, "", t->t->table, ".ndjson");
	int ofd = open(old_path, O_RDONLY | O_CLOEXEC);
	if (ofd < 0 && errno != ENOENT) {
		gm_error(old_path, "cannot open: %s", strerror(errno));
		free(old_path);
		return false;
	}
	/* A first load of a table is its new file as it is, in either order
	 * (rows put by id are in order). */
	if (ofd < 0) {
		free(old_path);
		return rename(d->new_path, tmp) == 0 ||
			(gm_error(tmp, "cannot rename: %s", strerror(errno)), false);
	}
	int tfd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (tfd < 0) {
		gm_error(tmp, "cannot create: %s", strerror(errno));
		if (ofd >= 0)
			close(ofd);
		free(old_path);
		return false;
	}
	struct gm_writer *out = gm_writer_fd(tfd, tmp, false);
	gm_writer_direct(out);
	struct gm_reader *old = ofd >= 0 ? gm_reader_fdopen(ofd, old_path, wh->c->max_line) : NULL;
	struct gm_reader *news = rows_open(wh, d->new_path);
	struct id_reader *ir = id_reader_new(t->t), *ir2 = id_reader_new(t->t);
	bool ok = news != NULL;
	struct gm_line ol, nl;
	if (ok && t->order == GM_WH_LOADED) {
		gm_reader_close(old);
		gm_reader_close(news);
		old = news = NULL;
		ok = write_loaded(t, d, old_path, out);
	} else if (ok) {
		/* A merge by id; a row put wins over the old of its id, and
		 * an old row of a slice replaced goes unless put again. */
		bool have_o = false, have_n = false;
		gm_str oid = { 0 }, nid = { 0 };
		for (;;) {
			if (!have_o && old && !(ok = merge_next(wh, old, ir, &ol, &oid, &have_o)))
				break;
			if (!have_n && !(ok = merge_next(wh, news, ir2, &nl, &nid, &have_n)))
				break;
			if (!have_o && !have_n)
				break;
			int c = !have_o ? 1 : !have_n ? -1 : gm_str_cmp(oid, nid);
			if (c < 0) {
				if (!wh_replaced(t, oid.p, oid.n))
					gm_w_record(out, ol.data, ol.len);
				have_o = false;
			} else {
				gm_w_record(out, nl.data, nl.len);
				have_n = false;
				have_o = have_o && c != 0;
			}
		}
	}
	id_reader_free(ir);
	id_reader_free(ir2);
	gm_reader_close(old);
	gm_reader_close(news);
	ok = gm_writer_close(out) && ok;
	if (ok && fsync(tfd) != 0) {
		gm_error(tmp, "cannot sync: %s", strerror(errno));
		ok = false;
	}
	close(tfd);
	free(old_path);
	return ok;
}

static bool dir_commit(struct gm_wh *wh)
{
	bool ok = true;
	for (struct gm_wh_table *t = wh->tables; ok && t; t = t->next) {
		struct dir_table *d = t->data;
		ok = gm_writer_close(t->w);
		t->w = NULL;
		if (ok && fsync(d->new_fd) != 0) {
			gm_error(d->new_path, "cannot sync: %s", strerror(errno));
			ok = false;
		}
		close(d->new_fd);
		d->new_fd = -1;
	}
	/* Every table whole beside the old, then the commit point. */
	FILE *list = NULL;
	char *commit = path_of(wh, "", COMMIT_FILE, ""), *pending = path_of(wh, ".", COMMIT_FILE, ".tmp");
	if (ok && !(list = fopen(pending, "w"))) {
		gm_error(pending, "cannot create: %s", strerror(errno));
		ok = false;
	}
	for (struct gm_wh_table *t = wh->tables; ok && t; t = t->next) {
		char *tmp = path_of(wh, ".", t->t->table, ".tmp");
		ok = dir_write_table(wh, t, tmp);
		fprintf(list, ".%s.tmp\n%s.ndjson\n", t->t->table, t->t->table);
		free(tmp);
	}
	if (list) {
		ok = fflush(list) == 0 && fsync(fileno(list)) == 0 && ok;
		ok = fclose(list) == 0 && ok;
		if (!ok)
			unlink(pending);
	}
	if (ok && rename(pending, commit) != 0) {
		gm_error(commit, "cannot write: %s", strerror(errno));
		ok = false;
	}
	ok = ok && sync_dir(wh);  /* which says what failed */
	free(commit);
	free(pending);
	if (!ok) {
		remove_leftovers(wh);
		return false;
	}
	return finish_commit(wh);
}

static void dir_close(struct gm_wh *wh)
{
	struct dir *d = wh->data;
	if (!d)
		return;
	/* Only under the lock: without it, the files are another run's. */
	if (!wh->dry_run && d->locked)
		remove_leftovers(wh);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	free(d->path);
	free(d);
}

const struct wh_backend gm_wh_dir = {
	.schemes = NULL,
	.open = dir_open, .scan_open = dir_scan_open, .scan_next = dir_scan_next,
	.scan_close = dir_scan_close, .begin = dir_begin, .put = dir_put,
	.done = dir_done, .commit = dir_commit, .end_table = dir_end_table, .close = dir_close,
};

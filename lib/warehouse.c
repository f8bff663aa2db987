/* warehouse: tables kept by key; see warehouse.h. One backend so far,
 * the folder; a server's is one more struct wh_backend and its entry in
 * backends[]. */
#include "warehouse.h"

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

#define COMMIT_FILE ".commit"
#define LOCK_FILE ".lock"

struct wh_backend {
	const char *prefix;  /* how a spec of this backend starts; "" any */
	bool (*open)(struct gm_wh *wh, const char *spec);
	struct gm_wh_scan *(*scan_open)(struct gm_wh *wh, const struct gm_rtype *t);
	bool (*scan_next)(struct gm_wh_scan *s, const char **row, size_t *len, const char **where);
	bool (*scan_close)(struct gm_wh_scan *s);
	bool (*begin)(struct gm_wh *wh, struct gm_wh_table *t);
	bool (*put)(struct gm_wh_table *t, const char *id, size_t n);
	bool (*commit)(struct gm_wh *wh);
	void (*close)(struct gm_wh *wh);
};

/* A row put in a GM_WH_BY_ID table: its id and where it is in the new
 * file, for the merge. */
struct put_row {
	char *id;
	size_t idlen;
};

struct gm_wh_table {
	struct gm_wh *wh;
	const struct gm_rtype *t;
	enum gm_wh_order order;
	struct gm_writer *w;      /* building rows, on the new file */
	uint64_t count;
	bool failed;
	struct gm_wh_table *next;
	/* folder */
	char *new_path;           /* DIR/.TABLE.new */
	int new_fd;
	struct gm_idset *ids;     /* GM_WH_LOADED: the ids put */
	char *last_id;            /* GM_WH_BY_ID: the last id put */
	size_t last_len;
};

struct gm_wh {
	const struct wh_backend *be;
	const struct gm_common *c;
	char *name;
	bool dry_run;
	struct gm_wh_table *tables;
	/* folder */
	char *dir;
	int lock_fd;
};

struct gm_wh_scan {
	struct gm_wh *wh;
	struct gm_reader *r;      /* NULL: no table yet, empty */
	char *path;               /* the reader's name, which it borrows */
	char where[512];
	bool failed;
};

/* ---- the folder ---- */

static char *path_of(const struct gm_wh *wh, const char *prefix, const char *table,
	const char *suffix)
{
	size_t n = strlen(wh->dir) + strlen(prefix) + strlen(table) + strlen(suffix) + 2;
	char *p = gm_xcalloc(1, n);
	snprintf(p, n, "%s/%s%s%s", wh->dir, prefix, table, suffix);
	return p;
}

static bool sync_dir(const struct gm_wh *wh)
{
	int fd = open(wh->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) != 0) {
		gm_error(wh->dir, "cannot sync the folder: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	close(fd);
	return true;
}

/* Does the renames DIR/.commit lists (pairs of lines: from, to), those
 * whose source is still there; then removes it. */
static bool finish_commit(struct gm_wh *wh)
{
	char *path = path_of(wh, "", COMMIT_FILE, "");
	FILE *f = fopen(path, "r");
	bool ok = true;
	if (!f) {
		free(path);
		return errno == ENOENT ? true
			: (gm_error(wh->dir, "cannot read %s: %s", COMMIT_FILE, strerror(errno)), false);
	}
	char from[4096], to[4096];
	while (ok && fgets(from, sizeof from, f) && fgets(to, sizeof to, f)) {
		from[strcspn(from, "\n")] = to[strcspn(to, "\n")] = '\0';
		if (rename(from, to) != 0 && errno != ENOENT) {
			gm_error(wh->dir, "cannot rename %s to %s: %s", from, to, strerror(errno));
			ok = false;
		}
	}
	fclose(f);
	ok = ok && sync_dir(wh);
	if (ok && unlink(path) != 0) {
		gm_error(wh->dir, "cannot remove %s: %s", COMMIT_FILE, strerror(errno));
		ok = false;
	}
	free(path);
	return ok && sync_dir(wh);
}

/* Removes the dot files of a run that died before its commit point:
 * .TABLE.new and .TABLE.tmp. */
static void remove_leftovers(struct gm_wh *wh)
{
	DIR *d = opendir(wh->dir);
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

static bool dir_open(struct gm_wh *wh, const char *spec)
{
	wh->dir = gm_xstrdup(spec);
	wh->name = gm_xstrdup(spec);
	if (mkdir(spec, 0777) != 0 && errno != EEXIST) {
		gm_error(spec, "cannot make the warehouse folder: %s", strerror(errno));
		return false;
	}
	char *lock = path_of(wh, "", LOCK_FILE, "");
	wh->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	free(lock);
	if (wh->lock_fd < 0) {
		gm_error(spec, "cannot open its lock file: %s", strerror(errno));
		return false;
	}
	if (flock(wh->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK) {
			gm_error(spec, "another run holds the warehouse's lock; try again later");
			exit(GM_EXIT_TEMPFAIL);
		}
		gm_error(spec, "cannot lock the warehouse: %s", strerror(errno));
		return false;
	}
	if (wh->dry_run)
		return true;
	if (!finish_commit(wh))
		return false;
	remove_leftovers(wh);
	return true;
}

static struct gm_wh_scan *dir_scan_open(struct gm_wh *wh, const struct gm_rtype *t)
{
	struct gm_wh_scan *s = gm_xcalloc(1, sizeof *s);
	s->wh = wh;
	char *path = path_of(wh, "", t->name, ".ndjson");
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno != ENOENT) {
		gm_error(path, "cannot open: %s", strerror(errno));
		free(path);
		free(s);
		return NULL;
	}
	if (fd >= 0) {
		snprintf(s->where, sizeof s->where, "%s", path);
		s->path = path;
		s->r = gm_reader_fdopen(fd, path, wh->c->max_line);
	} else
		free(path);
	return s;
}

static bool dir_scan_next(struct gm_wh_scan *s, const char **row, size_t *len,
	const char **where)
{
	if (!s->r || s->failed)
		return false;
	for (;;) {
		struct gm_line l;
		switch (gm_reader_next(s->r, &l)) {
		case GM_READ_LINE:
			if (l.len == 0)
				continue;
			snprintf(s->where, sizeof s->where, "%s:%llu", l.file,
				(unsigned long long)l.lineno);
			*row = l.data;
			*len = l.len;
			*where = s->where;
			return true;
		case GM_READ_TOOLONG:
			gm_error(s->where, "a row longer than %zu bytes", s->wh->c->max_line);
			s->failed = true;
			return false;
		case GM_READ_EOF:
			return false;
		default:
			s->failed = true;
			return false;
		}
	}
}

static bool dir_scan_close(struct gm_wh_scan *s)
{
	bool ok = !s->failed;
	gm_reader_close(s->r);
	free(s->path);
	free(s);
	return ok;
}

static bool dir_begin(struct gm_wh *wh, struct gm_wh_table *t)
{
	t->new_path = path_of(wh, ".", t->t->name, ".new");
	t->new_fd = -1;
	if (wh->dry_run) {
		t->w = gm_writer_mem();
	} else {
		t->new_fd = open(t->new_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (t->new_fd < 0) {
			gm_error(t->new_path, "cannot create: %s", strerror(errno));
			return false;
		}
		t->w = gm_writer_fd(t->new_fd, t->new_path, false);
	}
	if (t->order == GM_WH_LOADED)
		t->ids = gm_idset_new();
	return true;
}

static bool dir_put(struct gm_wh_table *t, const char *id, size_t n)
{
	if (t->wh->dry_run)
		gm_writer_reset(t->w);
	if (t->order == GM_WH_LOADED) {
		gm_idset_add(t->ids, id, n);
		return true;
	}
	gm_str a = { id, n }, b = { t->last_id, t->last_len };
	if (t->count > 1 && gm_str_cmp(a, b) <= 0) {
		gm_error(t->t->name, "rows put out of order (\"%.*s\" after \"%.*s\")",
			(int)(n > 64 ? 64 : n), id, (int)(t->last_len > 64 ? 64 : t->last_len), t->last_id);
		return false;
	}
	free(t->last_id);
	t->last_id = gm_xstrndup(id, n);
	t->last_len = n;
	return true;
}

/* The id of a row of table t (its descriptor's id field, a string), or
 * false with a message at where. */
static bool row_id(struct gm_parser *ps, const struct gm_rtype *t, const char *row,
	size_t len, const char *where, gm_str *id)
{
	const char *why;
	const struct gm_event *ev = gm_parse(ps, row, len, &why);
	if (!ev) {
		gm_error(where, "%s", why);
		return false;
	}
	const struct gm_field *f = gm_event_field(ev, t->id);
	if (!f || f->kind != GM_JSON_STRING) {
		gm_error(where, "no string \"%s\": not a row of %s", t->id, t->name);
		return false;
	}
	*id = f->value;
	return true;
}

/* Copies the rest of reader r (none: nothing) to w; false on a read
 * error (reported). */
static bool copy_rest(struct gm_reader *r, struct gm_writer *w, const char *first,
	size_t firstlen)
{
	if (first)
		gm_w_record(w, first, firstlen);
	struct gm_line l;
	enum gm_read st;
	while (r && (st = gm_reader_next(r, &l)) == GM_READ_LINE)
		if (l.len)
			gm_w_record(w, l.data, l.len);
	return !r || st == GM_READ_EOF;
}

/* Writes table t whole into DIR/.TABLE.tmp, from the old table and the
 * rows put, as its order says; fsynced. */
static bool dir_write_table(struct gm_wh *wh, struct gm_wh_table *t, const char *tmp)
{
	char *old_path = path_of(wh, "", t->t->name, ".ndjson");
	int ofd = open(old_path, O_RDONLY | O_CLOEXEC);
	if (ofd < 0 && errno != ENOENT) {
		gm_error(old_path, "cannot open: %s", strerror(errno));
		free(old_path);
		return false;
	}
	/* A first load of a table in load order is its new file as it is. */
	if (ofd < 0 && t->order == GM_WH_LOADED) {
		free(old_path);
		return rename(t->new_path, tmp) == 0 ||
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
	struct gm_reader *old = ofd >= 0 ? gm_reader_fdopen(ofd, old_path, GM_MAX_LINE) : NULL;
	int nfd = open(t->new_path, O_RDONLY | O_CLOEXEC);
	struct gm_reader *news = nfd >= 0 ? gm_reader_fdopen(nfd, t->new_path, GM_MAX_LINE) : NULL;
	struct gm_parser *ps = gm_parser_new(), *ps2 = gm_parser_new();
	bool ok = news != NULL;
	if (!news)
		gm_error(t->new_path, "cannot open: %s", strerror(errno));
	struct gm_line ol, nl;
	char where[600];
	if (ok && t->order == GM_WH_LOADED) {
		/* The old rows whose ids were not put, then the new. */
		enum gm_read st;
		while (ok && old && (st = gm_reader_next(old, &ol)) == GM_READ_LINE) {
			if (!ol.len)
				continue;
			gm_str id;
			snprintf(where, sizeof where, "%s:%llu", ol.file, (unsigned long long)ol.lineno);
			ok = row_id(ps, t->t, ol.data, ol.len, where, &id);
			if (ok && !gm_idset_has(t->ids, id.p, id.n))
				gm_w_record(out, ol.data, ol.len);
		}
		ok = ok && (!old || st == GM_READ_EOF) && copy_rest(news, out, NULL, 0);
	} else if (ok) {
		/* A merge by id; a row put wins over the old of its id. */
		bool have_o = false, have_n = false;
		gm_str oid = { 0 }, nid = { 0 };
		for (;;) {
			if (!have_o && old) {
				enum gm_read st;
				while ((st = gm_reader_next(old, &ol)) == GM_READ_LINE && !ol.len)
					;
				if (st == GM_READ_LINE) {
					snprintf(where, sizeof where, "%s:%llu", ol.file, (unsigned long long)ol.lineno);
					if (!(ok = row_id(ps, t->t, ol.data, ol.len, where, &oid)))
						break;
					have_o = true;
				} else if (st != GM_READ_EOF) {
					ok = false;
					break;
				}
			}
			if (!have_n) {
				enum gm_read st;
				while ((st = gm_reader_next(news, &nl)) == GM_READ_LINE && !nl.len)
					;
				if (st == GM_READ_LINE) {
					snprintf(where, sizeof where, "%s:%llu", nl.file, (unsigned long long)nl.lineno);
					if (!(ok = row_id(ps2, t->t, nl.data, nl.len, where, &nid)))
						break;
					have_n = true;
				} else if (st != GM_READ_EOF) {
					ok = false;
					break;
				}
			}
			if (!have_o && !have_n)
				break;
			int c = !have_o ? 1 : !have_n ? -1 : gm_str_cmp(oid, nid);
			if (c < 0) {
				gm_w_record(out, ol.data, ol.len);
				have_o = false;
			} else {
				gm_w_record(out, nl.data, nl.len);
				have_n = false;
				have_o = have_o && c != 0;
			}
		}
	}
	gm_parser_free(ps);
	gm_parser_free(ps2);
	if (old)
		gm_reader_close(old);
	if (news)
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
		ok = gm_writer_close(t->w);
		t->w = NULL;
		if (ok && fsync(t->new_fd) != 0) {
			gm_error(t->new_path, "cannot sync: %s", strerror(errno));
			ok = false;
		}
		close(t->new_fd);
		t->new_fd = -1;
	}
	/* Every table whole beside the old, then the commit point. */
	FILE *list = NULL;
	char *commit = path_of(wh, "", COMMIT_FILE, ""), *pending = path_of(wh, ".", COMMIT_FILE, ".tmp");
	if (ok && !(list = fopen(pending, "w"))) {
		gm_error(pending, "cannot create: %s", strerror(errno));
		ok = false;
	}
	for (struct gm_wh_table *t = wh->tables; ok && t; t = t->next) {
		char *tmp = path_of(wh, ".", t->t->name, ".tmp"), *final = path_of(wh, "", t->t->name, ".ndjson");
		ok = dir_write_table(wh, t, tmp);
		fprintf(list, "%s\n%s\n", tmp, final);
		free(tmp);
		free(final);
	}
	if (list) {
		ok = fflush(list) == 0 && fsync(fileno(list)) == 0 && ok;
		ok = fclose(list) == 0 && ok;
		if (!ok)
			unlink(pending);
	}
	if (ok && (rename(pending, commit) != 0 || !sync_dir(wh))) {
		gm_error(commit, "cannot write: %s", strerror(errno));
		ok = false;
	}
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
	if (!wh->dry_run && wh->lock_fd >= 0)
		remove_leftovers(wh);
	if (wh->lock_fd >= 0)
		close(wh->lock_fd);
	free(wh->dir);
}

static const struct wh_backend backend_dir = {
	.prefix = "",
	.open = dir_open, .scan_open = dir_scan_open, .scan_next = dir_scan_next,
	.scan_close = dir_scan_close, .begin = dir_begin, .put = dir_put,
	.commit = dir_commit, .close = dir_close,
};

/* ---- the interface ---- */

/* Schemes some backend will take, so that such a spec is never taken
 * for a folder's name. */
static const char *const reserved[] = { "mongodb://", "mongodb+srv://", "postgresql://",
	"postgres://", "pg:", NULL };

static const struct wh_backend *const backends[] = { &backend_dir };

struct gm_wh *gm_wh_open(const struct gm_common *c, const char *spec, bool dry_run)
{
	if (!spec)
		spec = GM_WH_DEFAULT;
	for (size_t i = 0; reserved[i]; i++)
		if (!strncmp(spec, reserved[i], strlen(reserved[i]))) {
			gm_error(NULL, "%.*s: not a warehouse this version can write to",
				(int)strlen(reserved[i]), spec);
			exit(GM_EXIT_USAGE);
		}
	const struct wh_backend *be = NULL;
	for (size_t i = 0; !be && i < sizeof backends / sizeof *backends; i++)
		if (!strncmp(spec, backends[i]->prefix, strlen(backends[i]->prefix)))
			be = backends[i];
	struct gm_wh *wh = gm_xcalloc(1, sizeof *wh);
	wh->be = be;
	wh->c = c;
	wh->dry_run = dry_run;
	wh->lock_fd = -1;
	if (!be->open(wh, spec)) {
		gm_wh_close(wh);
		return NULL;
	}
	return wh;
}

void gm_wh_close(struct gm_wh *wh)
{
	if (!wh)
		return;
	for (struct gm_wh_table *t = wh->tables, *next; t; t = next) {
		next = t->next;
		if (t->w)
			gm_writer_close(t->w);
		if (t->new_fd >= 0)
			close(t->new_fd);
		free(t->new_path);
		gm_idset_free(t->ids);
		free(t->last_id);
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

struct gm_wh_scan *gm_wh_scan_open(struct gm_wh *wh, const struct gm_rtype *t)
{
	return wh->be->scan_open(wh, t);
}

bool gm_wh_scan_next(struct gm_wh_scan *s, const char **row, size_t *len,
	const char **where)
{
	return s->wh->be->scan_next(s, row, len, where);
}

bool gm_wh_scan_close(struct gm_wh_scan *s)
{
	return !s || s->wh->be->scan_close(s);
}

struct gm_wh_table *gm_wh_begin(struct gm_wh *wh, const struct gm_rtype *t,
	enum gm_wh_order order)
{
	struct gm_wh_table *tb = gm_xcalloc(1, sizeof *tb);
	tb->wh = wh;
	tb->t = t;
	tb->order = order;
	tb->new_fd = -1;
	/* In the order begun, so that the commit's renames are too. */
	struct gm_wh_table **at = &wh->tables;
	while (*at)
		at = &(*at)->next;
	*at = tb;
	if (!wh->be->begin(wh, tb))
		return NULL;
	return tb;
}

struct gm_writer *gm_wh_writer(struct gm_wh_table *t)
{
	return t->w;
}

bool gm_wh_put(struct gm_wh_table *t, const char *id, size_t n)
{
	if (t->failed)
		return false;
	t->count++;
	if (!t->wh->be->put(t, id, n))
		t->failed = true;
	return !t->failed;
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

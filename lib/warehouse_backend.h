/* warehouse_backend: what lib/warehouse.c asks of each backend, and
 * the state it shares with them. Private to warehouse.c and the
 * backends' files (wh_dir.c, ...); tools use warehouse.h. */
#ifndef GM_WAREHOUSE_BACKEND_H
#define GM_WAREHOUSE_BACKEND_H

#include "warehouse.h"

struct gm_wh {
	const struct wh_backend *be;
	const struct gm_common *c;
	char *name;                 /* for messages; set by open(), never a password */
	bool dry_run;
	bool *tempfail;             /* gm_wh_try_open()'s; NULL: exit 75 */
	bool wait_lock;             /* wh_lock() waits c->retry_ms */
	struct gm_wh_table *tables; /* in the order begun */
	void *data;                 /* the backend's */
};

struct gm_wh_table {
	struct gm_wh *wh;
	const struct gm_rtype *t;
	enum gm_wh_order order;
	struct gm_writer *w;        /* set by begin(): where rows are built */
	uint64_t count;
	bool failed;
	bool done;                  /* gm_wh_done() */
	struct gm_wh_table *next;
	char *last_id;              /* GM_WH_BY_ID: the last id put, in a
	                               buffer reused from row to row */
	size_t last_len, last_cap;
	struct wh_slice {           /* gm_wh_replace(): the prefixes of
	                               the ids whose rows the run replaces */
		char *p;
		size_t n;
	} *slices;
	size_t nslices, slices_cap;
	void *data;                 /* the backend's */
};

/* What a backend's open() does, and its close() while open() has not
 * returned, when another run holds the lock or the server stays
 * unreachable (after its message): exits 75 for gm_wh_open(), or sets
 * gm_wh_try_open()'s *tempfail; returns false. */
bool wh_tempfail(struct gm_wh *wh);

/* Takes the warehouse's lock for open(): try_lock(wh, &holder) tries
 * once and returns 1 (taken), -1 (failed, after its message) or 0
 * (another run holds it; *holder NULL or an allocated description of
 * that run, freed here). A lock held is tried again, with a warning
 * the first time, until c->retry_ms has passed since the first try
 * (no time when gm_wh_try_open() is not to wait); then the message
 * names the holder and wh_tempfail() is returned. A signal that stops
 * the run ends the wait: false, after a message, not a tempfail. */
bool wh_lock(struct gm_wh *wh, int (*try_lock)(struct gm_wh *wh, char **holder));

/* Whether the row of t whose id is id[0..n) lies in a slice t
 * replaces (its id starts with one of t->slices). */
bool wh_replaced(const struct gm_wh_table *t, const char *id, size_t n);

/* One backend's operations. Each reports its failures with gm_error()
 * and returns false (NULL); open() exits as gm_wh_open() says, through
 * wh_tempfail(). A dry
 * run calls neither begin(), put(), end_table() nor commit(): the
 * interface builds rows in memory and drops them. put() gets rows in
 * the order their table keeps (checked before). commit() also removes,
 * in the same commit, the rows of each table's slices (t->slices) that
 * the run did not put. */
struct wh_backend {
	const char *const *schemes;  /* how its specs start; NULL: the
	                                fallback, a folder's path */
	bool (*open)(struct gm_wh *wh, const char *spec);
	void *(*scan_open)(struct gm_wh *wh, const struct gm_rtype *t,
		const struct gm_wh_filter *f);
	bool (*scan_next)(void *scan, const char **row, size_t *len, const char **where);
	bool (*scan_close)(void *scan);  /* frees scan; false if it failed */
	bool (*begin)(struct gm_wh_table *t);
	bool (*put)(struct gm_wh_table *t, const char *id, size_t n);
	void (*done)(struct gm_wh_table *t);  /* gm_wh_done(); NULL: nothing to do */
	bool (*commit)(struct gm_wh *wh);
	void (*end_table)(struct gm_wh_table *t);  /* frees t->data, closes t->w */
	void (*close)(struct gm_wh *wh);  /* frees wh->data, releases the lock */
};

extern const struct wh_backend gm_wh_dir, gm_wh_pg, gm_wh_mongo;

#endif

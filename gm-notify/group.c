/* group: the engine (see group.h). Alerts live in one record each,
 * shared by the groups they are in (a link per group, in the group's
 * list in the order they came) and the notifications in flight that
 * name them; a record goes when none of these holds it and it fires no
 * more. Groups wait in a heap by the time of their next look. */
#include "group.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hash.h"
#include "map.h"
#include "mem.h"
#include "text.h"
#include "nlog.h"
#include "number.h"

#define NONE INT64_MAX

/* The longest key of the map of alert ids, longer ids kept as 64-bit
 * hashes (id_key()): the tools' ids are such hashes, in 16 hex digits,
 * and a map of keys of 16 bytes, not the 64 a map key can be, takes 32
 * bytes a record where it took 80 (the ids of the last max_ids alerts
 * are kept: a fifth of a replay's fresh memory). */
#define ID_KEY_MAX 16

/* The engine's lists are intrusive and doubly linked: x goes at the
 * tail of head..tail, or out of it, through its fields prev and next. */
#define LIST_APPEND(head, tail, x, prev, next) do { \
		(x)->prev = (tail); \
		(x)->next = NULL; \
		if (tail) \
			(tail)->next = (x); \
		else \
			(head) = (x); \
		(tail) = (x); \
	} while (0)
#define LIST_UNLINK(head, tail, x, prev, next) do { \
		if ((x)->prev) \
			(x)->prev->next = (x)->next; \
		else \
			(head) = (x)->next; \
		if ((x)->next) \
			(x)->next->prev = (x)->prev; \
		else \
			(tail) = (x)->prev; \
		(x)->prev = (x)->next = NULL; \
	} while (0)

enum mstate { M_WAITING, M_NOTIFIED, M_RESOLVED, M_NSTATES };

/* A group's lists of links: one per state, but the waiting links held
 * back at a look are in a list of their own, so that a look that has
 * nothing to check again passes them by. A look leaves no waiting link
 * but held ones, so the held all came before the others waiting: the
 * held list, then the waiting one, is the order they came. */
enum { L_HELD = M_NSTATES, L_NLISTS };

struct group;
struct alert;

/* An alert's place in a group. */
struct link {
	struct group *g;          /* NULL once out of it */
	struct alert *a;
	struct link *prev, *next;
	enum mstate state;
	bool held;                /* waiting, and muted at its group's last look */
};

/* An alert's place in an inhibit rule's bucket of sources. */
struct inh {
	struct alert *prev, *next;
	uint64_t bucket;
	bool in;
	bool target;                /* it matches the rule's target matchers */
};

struct alert {
	uint64_t serial, fp;
	int64_t arrived, expires;   /* expires: NONE for a kind that can resolve */
	bool firing, expired;
	bool can_resolve;           /* its kind can resolve, as of e->kinds[0..kinds_checked) */
	uint16_t block;             /* its block's size class in the pool; 0: its own allocation */
	uint32_t kinds_checked;
	struct note_alert fire;     /* its strings are in the alert's block (alert_new()),
	                               as are its set, links and inh */
	struct note_alert *end;     /* the resolution (record_dup()); NULL, or its
	                               alert_id NULL, until resolved */
	struct route_label *set;    /* the label set, sorted by name, in the alert's block */
	size_t nset;
	struct link *links;         /* one per group it went to */
	size_t nlinks, nlinked;
	unsigned flights;           /* notifications in flight naming it */
	uint64_t fire_mark, end_mark;   /* the caller's, for its records (group_unsettled) */
	struct inh *inh;            /* one per inhibit rule */
	struct alert *xprev, *xnext;    /* waiting to expire, in order of arrival */
	struct alert *aprev, *anext;    /* all of them, in order of serial */
};

struct group {
	uint64_t serial, hkey;
	size_t route;               /* preorder index */
	char *key;
	struct route_label *labels; /* group labels, sorted */
	size_t nlabels;
	int64_t first_look, due, reminded;  /* reminded: NONE before the first notification */
	uint64_t seq;
	int64_t incident;
	size_t heap;                /* its place in the heap; SIZE_MAX: not there */
	bool changed, muted;
	bool recheck;               /* what held its alerts back may have ended */
	struct link *head[L_NLISTS], *tail[L_NLISTS];   /* its links by list, each in the order they joined it */
	size_t n, in_state[M_NSTATES], nheld;   /* nheld: in the held list (and in in_state[M_WAITING]) */
	size_t notified_resolvable;   /* notified links whose alert's kind can resolve */
	struct group *mprev, *mnext;    /* the muted list */
};

struct fa {
	struct alert *a;
	bool resolved;
};

struct flight {
	uint64_t id;
	size_t route;
	size_t receiver;            /* a fallback's, in c->receivers; SIZE_MAX: the route's */
	char *key;
	struct route_label *labels;
	size_t nlabels;
	enum note_kind kind;
	size_t index;
	uint64_t seq;
	int64_t incident, at;
	bool reminder;
	struct fa *alerts;
	size_t n, nfiring;
	struct flight *prev, *next;
};

/* The blocks alerts are made in: each size class (of POOL_UNIT bytes
 * more than the one before) keeps the blocks freed, reused first, and
 * new ones are cut from chunks taken POOL_CHUNK bytes at a time, so
 * that taking and freeing an alert costs no malloc() and free(), whose
 * bookkeeping on blocks long cold was a cache miss each. A chunk is
 * mapped (gm_xmap()): a huge page, one page fault where 512 small ones
 * were a tenth of taking alerts. */
#define POOL_UNIT 16
#define POOL_CLASSES 256
#define POOL_CHUNK ((size_t)2 << 20)

struct pool {
	/* The blocks freed, by class, last freed last: in arrays, not
	 * linked through the blocks, so that taking one does not wait
	 * for a cold block to say where the next is. */
	struct { void **v; size_t n, cap; } free[POOL_CLASSES + 1];
	char *at;                       /* the rest of the last chunk */
	size_t left;
	char **chunks;
	size_t nchunks, chunkcap;
};

struct group_engine {
	const struct conf *c;
	const struct silences *sil;
	struct group_opts o;
	struct group_out out;
	const struct conf_route **routes;   /* preorder */
	char **route_keys;
	size_t nroutes;
	const struct conf_route **matched;
	struct gm_map *active, *ids, *groups, *buckets, *flights;   /* flights: by id */
	char **kinds;                       /* that can resolve */
	size_t nkinds, kcap;
	struct alert *all_head, *all_tail, *x_head, *x_tail;
	struct group **heap;
	size_t nheap, heapcap;
	struct group *muted, *muted_tail;   /* groups holding back alerts */
	struct flight *f_head, *f_tail;
	int64_t now, sil_checked;
	uint64_t next_alert, next_group;
	size_t nchanged;
	struct group_stats st;
	struct note_alert *view;            /* a notification's alerts, built to send */
	size_t viewcap;
	struct link **scratch;              /* look()'s lists */
	size_t scratchcap;
	struct route_label *labels;         /* a label set or group labels being made */
	size_t labelscap;
	struct pool pool;                   /* the alerts' blocks */
};

/* ---- label sets ---- */

/* A hash of the labels v[0..n) from h: of their names and values, each
 * with its NUL (so that the bytes say where each ends), run together in
 * a buffer hashed a bufferful at a time, where a hash of each string
 * cost most of taking an alert. */
static uint64_t labels_hash(uint64_t h, const struct route_label *v, size_t n)
{
	char buf[256];
	size_t at = 0;
	for (size_t i = 0; i < 2 * n; i++) {
		const char *s = i & 1 ? v[i / 2].value : v[i / 2].name;
		size_t len = strlen(s) + 1;
		if (at + len > sizeof buf) {
			h = gm_hash_u64(h ^ gm_hash(buf, at));
			at = 0;
		}
		if (len > sizeof buf)
			h = gm_hash_u64(h ^ gm_hash(s, len));
		else {
			memcpy(buf + at, s, len);
			at += len;
		}
	}
	return gm_hash_u64(h ^ gm_hash(buf, at));
}

/* The engine's label array, with room for n. */
static struct route_label *labels_scratch(struct group_engine *e, size_t n)
{
	e->labels = gm_grow(e->labels, &e->labelscap, n, sizeof *e->labels, 16);
	return e->labels;
}

static struct route_labels set_of(const struct alert *a)
{
	return (struct route_labels){ a->set, a->nset };
}

/* ---- text as Alertmanager writes it ---- */

static void buf_quoted(struct gm_text *b, const char *s)
{
	gm_text_add(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			gm_text_add(b, "\\", 1);
		if (*s == '\n')
			gm_text_add(b, "\\n", 2);
		else
			gm_text_add(b, s, 1);
	}
	gm_text_add(b, "\"", 1);
}

/* A route's key, Alertmanager's: its parent's, "/", and its matchers
 * as {name="value",...}; the root's is {}. */
/* Alertmanager's order of a route's matchers in its key: by name, then
 * value, then operator. */
static int by_matcher(const void *x, const void *y)
{
	const struct conf_matcher *a = *(const struct conf_matcher *const *)x;
	const struct conf_matcher *b = *(const struct conf_matcher *const *)y;
	int c = strcmp(a->name, b->name);
	if (!c)
		c = strcmp(a->value, b->value);
	return c ? c : (int)a->op - (int)b->op;
}

static char *route_key(const char *parent, const struct conf_matchers *ms)
{
	static const char *const ops[] = { "=", "!=", "=~", "!~" };
	struct gm_text b = { 0 };
	if (parent) {
		gm_text_str(&b, parent);
		gm_text_str(&b, "/");
	}
	gm_text_str(&b, "{");
	const struct conf_matcher **v = gm_xcalloc(ms->n + 1, sizeof *v);
	for (size_t i = 0; i < ms->n; i++)
		v[i] = &ms->v[i];
	qsort(v, ms->n, sizeof *v, by_matcher);
	for (size_t i = 0; parent && i < ms->n; i++) {
		if (i)
			gm_text_str(&b, ",");
		gm_text_str(&b, v[i]->name);
		gm_text_str(&b, ops[v[i]->op]);
		buf_quoted(&b, v[i]->value);
	}
	free(v);
	gm_text_str(&b, "}");
	return b.p;
}

static void add_routes(struct group_engine *e, const struct conf_route *r, const char *parent)
{
	size_t i = e->nroutes++;
	e->routes[i] = r;
	e->route_keys[i] = route_key(parent, &r->matchers);
	for (size_t k = 0; k < r->nroutes; k++)
		add_routes(e, &r->routes[k], e->route_keys[i]);
}

static size_t route_index(const struct group_engine *e, const struct conf_route *r)
{
	size_t i = 0;
	while (e->routes[i] != r)
		i++;
	return i;
}

/* A group's key: its route's, ":", its labels as {a="x", b="y"}. */
static char *group_key(const char *route, const struct route_label *v, size_t n)
{
	struct gm_text b = { 0 };
	gm_text_str(&b, route);
	gm_text_str(&b, ":{");
	for (size_t i = 0; i < n; i++) {
		if (i)
			gm_text_str(&b, ", ");
		gm_text_str(&b, v[i].name);
		gm_text_str(&b, "=");
		buf_quoted(&b, v[i].value);
	}
	gm_text_str(&b, "}");
	return b.p;
}

/* ---- kinds that can resolve ---- */

static bool resolvable(const struct group_engine *e, const char *kind)
{
	for (size_t i = 0; i < e->nkinds; i++)
		if (!route_strcmp(e->kinds[i], kind))
			return true;
	return false;
}

/* Whether a's kind can resolve: kinds are only ever learnt, so the
 * answer is kept and only kinds learnt since are looked at. */
static bool alert_resolvable(const struct group_engine *e, struct alert *a)
{
	for (; !a->can_resolve && a->kinds_checked < e->nkinds; a->kinds_checked++)
		a->can_resolve = !route_strcmp(e->kinds[a->kinds_checked], a->fire.kind);
	return a->can_resolve;
}

static void count_resolvable(struct group_engine *e);

static void learn_kind(struct group_engine *e, const char *kind)
{
	if (resolvable(e, kind))
		return;
	e->kinds = gm_grow(e->kinds, &e->kcap, e->nkinds + 1, sizeof *e->kinds, 8);
	e->kinds[e->nkinds++] = gm_xstrdup(kind);
	count_resolvable(e);
}

/* ---- the heap of groups by their next look ---- */

static bool before(const struct group *a, const struct group *b)
{
	return a->due < b->due || (a->due == b->due && a->serial < b->serial);
}

static void heap_set(struct group_engine *e, size_t i, struct group *g)
{
	e->heap[i] = g;
	g->heap = i;
}

static void heap_up(struct group_engine *e, size_t i)
{
	struct group *g = e->heap[i];
	while (i > 0 && before(g, e->heap[(i - 1) / 2])) {
		heap_set(e, i, e->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(e, i, g);
}

static void heap_down(struct group_engine *e, size_t i)
{
	struct group *g = e->heap[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= e->nheap)
			break;
		if (c + 1 < e->nheap && before(e->heap[c + 1], e->heap[c]))
			c++;
		if (!before(e->heap[c], g))
			break;
		heap_set(e, i, e->heap[c]);
		i = c;
	}
	heap_set(e, i, g);
}

static void heap_remove(struct group_engine *e, struct group *g)
{
	if (g->heap == SIZE_MAX)
		return;
	size_t i = g->heap;
	struct group *last = e->heap[--e->nheap];
	g->heap = SIZE_MAX;
	if (last != g) {
		heap_set(e, i, last);
		heap_up(e, i);
		heap_down(e, last->heap);
	}
}

/* Makes g's next look at t, unless one comes sooner. */
static void schedule(struct group_engine *e, struct group *g, int64_t t)
{
	if (g->heap != SIZE_MAX) {
		if (t >= g->due)
			return;
		g->due = t;
		heap_up(e, g->heap);
		return;
	}
	g->due = t;
	e->heap = gm_grow(e->heap, &e->heapcap, e->nheap + 1, sizeof *e->heap, 64);
	e->heap[e->nheap] = g;
	g->heap = e->nheap++;
	heap_up(e, g->heap);
}

/* The first of g's looks at or after t: group_wait after it was made,
 * then every group_interval. */
static int64_t next_look(const struct group_engine *e, const struct group *g, int64_t t)
{
	if (t <= g->first_look)
		return g->first_look;
	int64_t gi = e->routes[g->route]->group_interval;
	int64_t k = (t - g->first_look + gi - 1) / gi;
	return g->first_look + k * gi;
}

static void set_changed(struct group_engine *e, struct group *g, bool changed)
{
	if (g->changed != changed)
		e->nchanged += changed ? 1 : (size_t)-1;
	g->changed = changed;
}

/* ---- groups ---- */

static void muted_remove(struct group_engine *e, struct group *g)
{
	if (!g->muted)
		return;
	LIST_UNLINK(e->muted, e->muted_tail, g, mprev, mnext);
	g->muted = false;
}

static void muted_add(struct group_engine *e, struct group *g, int64_t t)
{
	if (g->muted)
		return;
	if (!e->muted)
		e->sil_checked = t;   /* silence ends matter from now on */
	LIST_APPEND(e->muted, e->muted_tail, g, mprev, mnext);
	g->muted = true;
}

static void group_forget(struct group_engine *e, struct group *g)
{
	heap_remove(e, g);
	muted_remove(e, g);
	set_changed(e, g, false);
	gm_map_remove(e->groups, (const char *)&g->hkey, sizeof g->hkey);
	free(g->key);
	free(g->labels);
	free(g);
	e->st.groups--;
}

/* The group of route i for alert a, made at now when there is none. */
static struct group *group_for(struct group_engine *e, size_t i, const struct alert *a, int64_t now)
{
	const struct conf_route *r = e->routes[i];
	struct route_label *v = labels_scratch(e, a->nset + 1);
	size_t n = 0;
	for (size_t k = 0; k < a->nset; k++) {
		bool by = r->group_by_all;
		for (size_t j = 0; j < r->ngroup_by && !by; j++)
			by = !route_strcmp(r->group_by[j], a->set[k].name);
		if (by && *a->set[k].value)
			v[n++] = a->set[k];
	}
	uint64_t h = labels_hash(gm_hash_u64(i + 1), v, n);
	bool created;
	struct group **slot = gm_map_put(e->groups, (const char *)&h, sizeof h, &created);
	if (!created)
		return *slot;
	struct group *g = gm_xcalloc(1, sizeof *g);
	*g = (struct group){
		.serial = e->next_group++, .hkey = h, .route = i,
		.key = group_key(e->route_keys[i], v, n),
		.labels = note_labels_dup(v, n), .nlabels = n,
		.first_look = now + r->group_wait, .due = NONE, .reminded = NONE,
		.heap = SIZE_MAX,
	};
	*slot = g;
	e->st.groups++;
	return g;
}

/* Links are kept by state, so that a look walks only the waiting and
 * the resolved, not every alert its group has notified. */
static int list_of(const struct link *l)
{
	return l->state == M_WAITING && l->held ? L_HELD : (int)l->state;
}

/* Puts l, in no list, into its group's list for its state and held,
 * last, and counts it. */
static void link_in(struct group_engine *e, struct link *l)
{
	struct group *g = l->g;
	int k = list_of(l);
	LIST_APPEND(g->head[k], g->tail[k], l, prev, next);
	g->in_state[l->state]++;
	g->nheld += k == L_HELD;
	if (l->state == M_NOTIFIED && alert_resolvable(e, l->a))
		g->notified_resolvable++;
}

/* Takes l out of its group's list, uncounted. */
static void link_out(struct group_engine *e, struct link *l)
{
	struct group *g = l->g;
	int k = list_of(l);
	LIST_UNLINK(g->head[k], g->tail[k], l, prev, next);
	g->in_state[l->state]--;
	g->nheld -= k == L_HELD;
	if (l->state == M_NOTIFIED && alert_resolvable(e, l->a))
		g->notified_resolvable--;
}

static void link_add(struct group_engine *e, struct group *g, struct link *l)
{
	l->g = g;
	link_in(e, l);
	g->n++;
	l->a->nlinked++;
}

/* Moves l, in a group, to state s. */
static void link_set(struct group_engine *e, struct link *l, enum mstate s)
{
	link_out(e, l);
	l->state = s;
	link_in(e, l);
}

/* Marks waiting l held back, into the held list. */
static void link_hold(struct group_engine *e, struct link *l)
{
	link_out(e, l);
	l->held = true;
	link_in(e, l);
}

/* Takes l out of its group (which is forgotten when it has no alert
 * left and forget is set). */
static void link_drop(struct group_engine *e, struct link *l, bool forget)
{
	struct group *g = l->g;
	if (!g)
		return;
	link_out(e, l);
	l->g = NULL;
	g->n--;
	l->a->nlinked--;
	if (forget && !g->n)
		group_forget(e, g);
}

/* Counts again, in every group, the notified links whose kind can
 * resolve: for a kind just learnt to resolve (rare: once a kind). */
static void count_resolvable(struct group_engine *e)
{
	if (!e->groups)
		return;
	struct gm_map_iter it;
	const char *key;
	size_t klen;
	void *v;
	gm_map_iter_init(&it, e->groups, true);
	while ((v = gm_map_iter_next(&it, &key, &klen))) {
		struct group *g = *(struct group **)v;
		g->notified_resolvable = 0;
		for (struct link *l = g->head[M_NOTIFIED]; l; l = l->next)
			g->notified_resolvable += alert_resolvable(e, l->a);
	}
}

/* ---- alerts ---- */

static uint64_t bucket_of(const struct group_engine *e, size_t rule, const struct alert *a)
{
	const struct conf_inhibit *r = &e->c->inhibit[rule];
	uint64_t h = gm_hash_u64(rule + 1);
	for (size_t i = 0; i < r->nequal; i++) {
		const char *v = route_label_value(set_of(a), r->equal[i]);
		h = gm_hash_u64(h ^ gm_hash(v, strlen(v) + 1));
	}
	return h;
}

/* Puts firing a into the bucket of each rule it can be a source of. */
static void sources_add(struct group_engine *e, struct alert *a)
{
	for (size_t r = 0; r < e->c->ninhibit; r++) {
		if (!route_matchers_match(&e->c->inhibit[r].source, set_of(a)))
			continue;
		struct inh *x = &a->inh[r];
		x->bucket = bucket_of(e, r, a);
		bool created;
		struct alert **head = gm_map_put(e->buckets, (const char *)&x->bucket,
			sizeof x->bucket, &created);
		x->prev = NULL;
		x->next = created ? NULL : *head;
		if (x->next)
			x->next->inh[r].prev = a;
		*head = a;
		x->in = true;
	}
}

/* Takes a out of its buckets; returns whether it was in any. */
static bool sources_remove(struct group_engine *e, struct alert *a)
{
	bool was = false;
	for (size_t r = 0; r < e->c->ninhibit; r++) {
		struct inh *x = &a->inh[r];
		if (!x->in)
			continue;
		was = true;
		if (x->next)
			x->next->inh[r].prev = x->prev;
		if (x->prev)
			x->prev->inh[r].next = x->next;
		else if (x->next)
			*(struct alert **)gm_map_peek(e->buckets, (const char *)&x->bucket,
				sizeof x->bucket) = x->next;
		else
			gm_map_remove(e->buckets, (const char *)&x->bucket, sizeof x->bucket);
		x->in = false;
		x->prev = x->next = NULL;
	}
	return was;
}

static void expiry_remove(struct group_engine *e, struct alert *a)
{
	if (a->xprev || e->x_head == a)
		LIST_UNLINK(e->x_head, e->x_tail, a, xprev, xnext);
}

static void expiry_add(struct group_engine *e, struct alert *a)
{
	LIST_APPEND(e->x_head, e->x_tail, a, xprev, xnext);
}

/* A block of size bytes, zeroed up to zeroed, aligned as a pointer,
 * from e's pool, its class in *class (pool_put() takes it back); a
 * block bigger than the biggest class is an allocation of its own
 * (class 0). */
static void *pool_get(struct group_engine *e, size_t size, size_t zeroed, size_t *class)
{
	struct pool *p = &e->pool;
	size_t k = (size + POOL_UNIT - 1) / POOL_UNIT;
	if (k > POOL_CLASSES) {
		*class = 0;
		return gm_xcalloc(1, size);
	}
	*class = k;
	void *b;
	if (p->free[k].n) {
		b = p->free[k].v[--p->free[k].n];
		memset(b, 0, zeroed);
		return b;
	}
	if (p->left < k * POOL_UNIT) {
		/* The chunk's rest goes to waste: less than a block. */
		p->chunks = gm_grow(p->chunks, &p->chunkcap, p->nchunks + 1, sizeof *p->chunks, 16);
		p->at = p->chunks[p->nchunks++] = gm_xmap(POOL_CHUNK);
		p->left = POOL_CHUNK;
	}
	b = p->at;   /* never used: zeroed by gm_xmap() */
	p->at += k * POOL_UNIT;
	p->left -= k * POOL_UNIT;
	return b;
}

static void pool_put(struct group_engine *e, void *b, size_t class)
{
	if (!class) {
		free(b);
		return;
	}
	struct pool *p = &e->pool;
	p->free[class].v = gm_grow(p->free[class].v, &p->free[class].cap, p->free[class].n + 1,
		sizeof *p->free[class].v, 64);
	p->free[class].v[p->free[class].n++] = b;
}

/* The string of the copy of in that is s, a string of in (the label
 * set's own names are not: s itself). Found by address, not bytes. */
static const char *copy_of(const struct note_alert *in, const struct note_alert *copy, const char *s)
{
	if (s == in->kind)
		return copy->kind;
	if (s == in->severity)
		return copy->severity;
	if (s == in->source)
		return copy->source;
	for (size_t i = 0; i < in->nlabels; i++) {
		if (s == in->labels[i].name)
			return copy->labels[i].name;
		if (s == in->labels[i].value)
			return copy->labels[i].value;
	}
	return s;
}

/* A new alert of fire, whose label set (note_label_set(), of fire's
 * strings) is set[0..nset) and its hash fp, with room for n groups,
 * kept among e's alerts, last: one block of e's pool holds it, its
 * set, its links, its places in the inhibit buckets and the copy of
 * fire's strings, the set pointing into the copy. */
static struct alert *alert_new(struct group_engine *e, const struct note_alert *fire,
	const struct route_label *set, size_t nset, uint64_t fp, size_t n)
{
	size_t ninh = e->c->ninhibit;
	size_t head = sizeof(struct alert) + n * sizeof(struct link) + ninh * sizeof(struct inh);
	size_t at_set = head, at_strs = at_set + nset * sizeof *set;
	size_t block;
	struct alert *a = pool_get(e, at_strs + note_alert_size(fire) + 1, head, &block);
	a->block = (uint16_t)block;
	a->links = (struct link *)(a + 1);
	a->nlinks = n;
	a->inh = (struct inh *)(a->links + n);
	note_alert_put(&a->fire, (char *)a + at_strs, fire);
	a->fire.resolved = false;
	a->set = (struct route_label *)((char *)a + at_set);
	for (size_t i = 0; i < nset; i++)
		a->set[i] = (struct route_label){ copy_of(fire, &a->fire, set[i].name),
			copy_of(fire, &a->fire, set[i].value) };
	a->nset = nset;
	a->fp = fp;
	/* Whether it is a rule's target is known once: its labels stay. */
	for (size_t r = 0; r < ninh; r++)
		a->inh[r].target = route_matchers_match(&e->c->inhibit[r].target, set_of(a));
	LIST_APPEND(e->all_head, e->all_tail, a, aprev, anext);
	return a;
}

/* A copy of resolution in, in one block with its strings: a resolved
 * alert's end. */
static struct note_alert *record_dup(const struct note_alert *in)
{
	struct note_alert *r = gm_xcalloc(1, sizeof *r + note_alert_size(in) + 1);
	note_alert_put(r, r + 1, in);
	r->resolved = true;
	return r;
}

static void alert_destroy(struct group_engine *e, struct alert *a)
{
	free(a->end);
	pool_put(e, a, a->block);
}

/* Frees a when nothing holds it any more. */
static void alert_release(struct group_engine *e, struct alert *a)
{
	if (a->firing || a->nlinked || a->flights)
		return;
	expiry_remove(e, a);
	LIST_UNLINK(e->all_head, e->all_tail, a, aprev, anext);
	alert_destroy(e, a);
}

/* The groups held back by muting look again at their next look from t:
 * what held them may have ended. */
static void wake_muted(struct group_engine *e, int64_t t)
{
	if (t < e->now)
		t = e->now;
	while (e->muted) {
		struct group *g = e->muted;
		muted_remove(e, g);
		g->recheck = true;
		set_changed(e, g, true);
		schedule(e, g, next_look(e, g, t));
	}
}

/* a fires no more (resolved, expired or evicted): out of the table of
 * firing alerts and of the inhibit buckets. */
static void stop_firing(struct group_engine *e, struct alert *a, int64_t t, bool in_map)
{
	if (!a->firing)
		return;
	a->firing = false;
	e->st.firing--;
	if (in_map)
		gm_map_remove(e->active, (const char *)&a->fp, sizeof a->fp);
	expiry_remove(e, a);
	if (sources_remove(e, a))
		wake_muted(e, t);
}

static void evicted(void *ctx, const char *key, size_t klen, void *value)
{
	struct group_engine *e = ctx;
	struct alert *a = *(struct alert **)value;
	stop_firing(e, a, e->now, false);
	for (size_t i = 0; i < a->nlinks; i++)
		link_drop(e, &a->links[i], true);
	e->st.evicted++;
	alert_release(e, a);
}

static int by_arrival(const void *x, const void *y)
{
	uint64_t a = (*(struct link *const *)x)->a->serial, b = (*(struct link *const *)y)->a->serial;
	return (a > b) - (a < b);
}

/* Whether firing a is held back at t. */
static bool muted(struct group_engine *e, const struct alert *a, int64_t t)
{
	if (silences_match(e->sil, set_of(a), t))
		return true;
	for (size_t r = 0; r < e->c->ninhibit; r++) {
		const struct conf_inhibit *rule = &e->c->inhibit[r];
		if (!a->inh[r].target)
			continue;
		uint64_t b = bucket_of(e, r, a);
		struct alert **head = gm_map_peek(e->buckets, (const char *)&b, sizeof b);
		for (struct alert *s = head ? *head : NULL; s; s = s->inh[r].next)
			if (s != a && route_inhibits(rule, set_of(s), set_of(a)))
				return true;
	}
	return false;
}

/* ---- notifications ---- */

static const struct conf_receiver *receiver_of(const struct group_engine *e, size_t route)
{
	return &e->c->receivers[e->routes[route]->receiver_index];
}

static void view_of(struct note_alert *v, const struct alert *a, bool resolved)
{
	*v = resolved ? *a->end : a->fire;
	v->resolved = resolved;
	v->fired_id = resolved ? a->fire.alert_id : NULL;
	v->started = a->fire.ts;
	v->fingerprint = a->fp;
	/* The resolution's set is made from its own record, for its strings. */
	v->set = resolved ? NULL : a->set;
	v->nset = resolved ? 0 : a->nset;
}

/* How many alerts ahead a walk over an array of them starts loading
 * the next: a notification's alerts are far apart in memory. */
#define AHEAD 8

/* Starts loading the lines of a's record that a notification of it
 * reads. */
static void alert_prefetch(const struct alert *a)
{
	for (size_t at = 0; at < sizeof *a; at += 64)
		__builtin_prefetch((const char *)a + at);
}

/* Sends f through the callback. */
static void emit(struct group_engine *e, const struct flight *f)
{
	e->view = gm_grow(e->view, &e->viewcap, f->n + 1, sizeof *e->view, 16);
	for (size_t i = 0; i < f->n; i++)
		view_of(&e->view[i], f->alerts[i].a, f->alerts[i].resolved);
	const struct note n = {
		.id = f->id, .fallback = f->receiver != SIZE_MAX,
		.receiver = f->receiver != SIZE_MAX ? &e->c->receivers[f->receiver] : receiver_of(e, f->route),
		.kind = f->kind, .index = f->index, .group_key = f->key,
		.group_labels = { f->labels, f->nlabels },
		.alerts = e->view, .nalerts = f->n, .nfiring = f->nfiring,
		.reminder = f->reminder, .seq = f->seq, .incident = f->incident, .at = f->at,
	};
	e->out.notify(e->out.ctx, &n);
}

static uint64_t flight_id(const char *key, int64_t incident, uint64_t seq,
	enum note_kind k, size_t index, size_t receiver)
{
	uint64_t h = gm_hash(key, strlen(key));
	h = gm_hash_u64(h ^ (uint64_t)incident);
	h = gm_hash_u64(h ^ seq);
	h = gm_hash_u64(h ^ ((uint64_t)k << 32 | index));
	return receiver == SIZE_MAX ? h : gm_hash_u64(h ^ ((uint64_t)receiver + 1));
}

static struct flight *flight_new(struct group_engine *e, size_t route, size_t receiver,
	const char *key, const struct route_label *labels, size_t nlabels, enum note_kind k,
	size_t index, uint64_t seq, int64_t incident, int64_t at, bool reminder)
{
	struct flight *f = gm_xcalloc(1, sizeof *f);
	*f = (struct flight){
		.id = flight_id(key, incident, seq, k, index, receiver), .route = route,
		.receiver = receiver,
		.key = gm_xstrdup(key), .labels = note_labels_dup(labels, nlabels), .nlabels = nlabels,
		.kind = k, .index = index, .seq = seq, .incident = incident, .at = at,
		.reminder = reminder,
	};
	LIST_APPEND(e->f_head, e->f_tail, f, prev, next);
	bool created;
	struct flight **slot = gm_map_put(e->flights, (const char *)&f->id, sizeof f->id, &created);
	if (created)
		*slot = f;   /* an id made twice is found by the list */
	e->st.in_flight++;
	return f;
}

static void flight_add(struct flight *f, struct alert *a, bool resolved, size_t *cap)
{
	f->alerts = gm_grow(f->alerts, cap, f->n + 1, sizeof *f->alerts, 8);
	f->alerts[f->n++] = (struct fa){ a, resolved };
	f->nfiring += !resolved;
	a->flights++;
}

static void flight_free(struct group_engine *e, struct flight *f)
{
	LIST_UNLINK(e->f_head, e->f_tail, f, prev, next);
	struct flight **slot = gm_map_peek(e->flights, (const char *)&f->id, sizeof f->id);
	if (slot && *slot == f)
		gm_map_remove(e->flights, (const char *)&f->id, sizeof f->id);
	for (size_t i = 0; i < f->n; i++) {
		f->alerts[i].a->flights--;
		alert_release(e, f->alerts[i].a);
	}
	free(f->alerts);
	free(f->key);
	free(f->labels);
	free(f);
	e->st.in_flight--;
}

/* Sends g's notification of firing[0..nf) and resolved[0..nr) (a
 * reminder of firing ones when reminder) to each integration of its
 * receiver, leaving out the resolved ones where send_resolved is off. */
static void send(struct group_engine *e, struct group *g, struct link **firing, size_t nf,
	struct link **resolved, size_t nr, bool reminder, int64_t t)
{
	const struct conf_receiver *r = receiver_of(e, g->route);
	for (enum note_kind k = NOTE_EMAIL; k < NOTE_NKINDS; k++)
		for (size_t i = 0; i < note_integrations(r, k); i++) {
			bool with_resolved = note_sends_resolved(r, k, i);
			if (!nf && !(nr && with_resolved))
				continue;
			struct flight *f = flight_new(e, g->route, SIZE_MAX, g->key, g->labels, g->nlabels, k, i,
				g->seq, g->incident, t, reminder);
			size_t cap = 0;
			for (size_t j = 0; j < nf; j++) {
				if (j + AHEAD < nf)
					alert_prefetch(firing[j + AHEAD]->a);
				flight_add(f, firing[j]->a, false, &cap);
			}
			for (size_t j = 0; with_resolved && j < nr; j++)
				flight_add(f, resolved[j]->a, true, &cap);
			e->st.notes++;
			emit(e, f);
		}
}

/* g's look at t. */
static void look(struct group_engine *e, struct group *g, int64_t t)
{
	heap_remove(e, g);
	g->due = NONE;
	set_changed(e, g, false);
	bool remind_due = g->reminded != NONE && t - g->reminded >= e->routes[g->route]->repeat_interval;
	/* The engine's scratch, reused from look to look: one look at a
	 * time (the callback cannot call back in). */
	size_t need = g->in_state[M_WAITING] + g->in_state[M_RESOLVED] +
		(remind_due ? g->in_state[M_NOTIFIED] : 0) + 3;
	e->scratch = gm_grow(e->scratch, &e->scratchcap, need, sizeof *e->scratch, 64);
	struct link **firing = e->scratch;
	struct link **resolved = firing + g->in_state[M_WAITING] + 1;
	struct link **remind = resolved + g->in_state[M_RESOLVED] + 1;
	size_t nf = 0, nr = 0, nm = 0;
	bool held = false;
	for (struct link *l = g->head[M_RESOLVED]; l; l = l->next)
		resolved[nr++] = l;
	if (!g->recheck) {
		/* Held at a look before, and nothing that mutes has ended
		 * since (wake_muted() sets recheck): held still. */
		e->st.muted += g->nheld;
		held = g->nheld > 0;
	}
	for (int k = g->recheck ? L_HELD : M_WAITING;; k = M_WAITING) {
		for (struct link *l = g->head[k], *next; l; l = next) {
			next = l->next;
			if (next)
				__builtin_prefetch(next->a);   /* the walk is a walk of cache misses */
			struct alert *a = l->a;
			if (!muted(e, a, t))
				firing[nf++] = l;
			else {
				e->st.muted++;
				if (!l->held)
					link_hold(e, l);
				if (a->expired) {
					link_drop(e, l, false);
					alert_release(e, a);
				} else
					held = true;
			}
		}
		if (k == M_WAITING)
			break;
	}
	for (struct link *l = remind_due ? g->head[M_NOTIFIED] : NULL; l; l = l->next)
		if (l->a->firing && alert_resolvable(e, l->a))
			remind[nm++] = l;
	/* Each part in the order its alerts came. */
	qsort(resolved, nr, sizeof *resolved, by_arrival);
	qsort(remind, nm, sizeof *remind, by_arrival);
	g->recheck = false;
	if (nf || nr) {
		g->seq++;
		if (g->reminded == NONE)
			g->reminded = g->incident = t;
		send(e, g, firing, nf, resolved, nr, false, t);
		for (size_t i = 0; i < nf; i++)
			link_set(e, firing[i], M_NOTIFIED);
		for (size_t i = 0; i < nf + nr; i++) {
			struct link *l = i < nf ? firing[i] : resolved[i - nf];
			if (l->state == M_RESOLVED || l->a->expired) {
				struct alert *a = l->a;
				link_drop(e, l, false);
				alert_release(e, a);
			}
		}
	}
	if (remind_due) {
		if (nm) {
			g->seq++;
			send(e, g, remind, nm, NULL, 0, true, t);
		}
		g->reminded = t;
	}
	if (held)
		muted_add(e, g, t);
	if (!g->n) {
		group_forget(e, g);
		return;
	}
	/* The next reminder, when an alert can have one. */
	if (g->notified_resolvable)
		schedule(e, g, next_look(e, g, g->reminded + e->routes[g->route]->repeat_interval));
}

/* Event alert a, resolve_timeout after it came, unless its kind has
 * learnt to resolve meanwhile: it fires no more; the groups that
 * notified it, or held it back at their last look, let it go; the
 * others (their first look is yet to come) still notify it unless
 * they hold it back then. */
static void expire(struct group_engine *e, struct alert *a, int64_t t)
{
	expiry_remove(e, a);
	if (alert_resolvable(e, a))
		return;
	a->expired = true;
	e->st.expired++;
	stop_firing(e, a, t, true);
	for (size_t i = 0; i < a->nlinks; i++) {
		struct link *l = &a->links[i];
		if (!l->g)
			continue;
		if (l->state == M_NOTIFIED || l->held)
			link_drop(e, l, true);
		else
			schedule(e, l->g, next_look(e, l->g, t));
	}
	alert_release(e, a);
}

/* Does what is due before t, or at t too when inclusive. */
static void advance(struct group_engine *e, int64_t t, bool inclusive)
{
	for (;;) {
		int64_t tg = e->nheap ? e->heap[0]->due : NONE;
		int64_t tx = e->x_head ? e->x_head->expires : NONE;
		int64_t ts = e->muted ? silences_next_change(e->sil, e->sil_checked) : NONE;
		int64_t next = tg < tx ? tg : tx;
		next = ts < next ? ts : next;
		if (next == NONE || next > t || (next == t && !inclusive))
			break;
		if (next > e->now)
			e->now = next;
		if (tx == next)
			expire(e, e->x_head, e->now);
		else if (ts == next) {
			e->sil_checked = next;
			wake_muted(e, next);
		} else
			look(e, e->heap[0], e->now);
	}
	if (t > e->now)
		e->now = t;
	if (!e->muted)
		e->sil_checked = e->now;
}

/* ---- the interface ---- */

struct group_engine *group_new(const struct conf *c, const struct silences *silences,
	const struct group_opts *o, const struct group_out *out)
{
	struct group_engine *e = gm_xcalloc(1, sizeof *e);
	e->c = c;
	e->sil = silences;
	e->o = *o;
	if (!e->o.max_alerts)
		e->o.max_alerts = GROUP_MAX_ALERTS;
	if (!e->o.max_ids)
		e->o.max_ids = GROUP_MAX_IDS;
	e->out = *out;
	e->routes = gm_xcalloc(c->nroutes + 1, sizeof *e->routes);
	e->route_keys = gm_xcalloc(c->nroutes + 1, sizeof *e->route_keys);
	e->matched = gm_xcalloc(c->nroutes + 1, sizeof *e->matched);
	add_routes(e, &c->route, NULL);
	/* All but the ids are keyed by 64-bit hashes: records sized for
	 * them are a third of those sized for any key. */
	e->active = gm_map_new_hashes(sizeof(struct alert *), e->o.max_alerts);
	gm_map_on_evict(e->active, evicted, e);
	e->ids = gm_map_new_keys(1, e->o.max_ids, ID_KEY_MAX);
	/* Groups and buckets are bounded by the alerts they hold. */
	e->groups = gm_map_new_hashes(sizeof(struct group *), (size_t)1 << 31);
	e->buckets = gm_map_new_hashes(sizeof(struct alert *), (size_t)1 << 31);
	e->flights = gm_map_new_hashes(sizeof(struct flight *), (size_t)1 << 31);
	for (size_t i = 0; i < o->nresolvable; i++)
		learn_kind(e, o->resolvable[i]);
	e->now = e->sil_checked = INT64_MIN;
	return e;
}

void group_free(struct group_engine *e)
{
	if (!e)
		return;
	while (e->f_head)
		flight_free(e, e->f_head);
	/* Free the groups through their map, then the alerts. */
	struct gm_map_iter it;
	gm_map_iter_init(&it, e->groups, true);
	void *v;
	const char *key;
	size_t klen;
	while ((v = gm_map_iter_next(&it, &key, &klen))) {
		struct group *g = *(struct group **)v;
		free(g->key);
		free(g->labels);
		free(g);
	}
	for (struct alert *a = e->all_head, *next; a; a = next) {
		next = a->anext;
		alert_destroy(e, a);
	}
	for (size_t i = 0; i < e->pool.nchunks; i++)
		gm_unmap(e->pool.chunks[i], POOL_CHUNK);
	free(e->pool.chunks);
	for (size_t k = 0; k <= POOL_CLASSES; k++)
		free(e->pool.free[k].v);
	gm_map_free(e->active);
	gm_map_free(e->ids);
	gm_map_free(e->groups);
	gm_map_free(e->buckets);
	gm_map_free(e->flights);
	for (size_t i = 0; i < e->nroutes; i++)
		free(e->route_keys[i]);
	free(e->route_keys);
	free(e->routes);
	free(e->matched);
	for (size_t i = 0; i < e->nkinds; i++)
		free(e->kinds[i]);
	free(e->kinds);
	free(e->heap);
	free(e->view);
	free(e->scratch);
	free(e->labels);
	free(e);
}

/* The key under which an alert id is remembered: itself, or a hash of
 * it when it is longer than ID_KEY_MAX. */
static size_t id_key(const char *id, char *buf)
{
	size_t n = strlen(id);
	if (n <= ID_KEY_MAX) {
		memcpy(buf, id, n);
		return n;
	}
	gm_format_hex64(gm_hash(id, n), buf);
	return 16;
}

/* Remembers the id of key[0..n) (id_key()); returns false when it was
 * remembered already. */
static bool id_put(struct group_engine *e, const char *key, size_t n)
{
	bool created;
	gm_map_put(e->ids, key, n, &created);
	return created;
}

/* Remembers id; returns false when it was remembered already. */
static bool id_new(struct group_engine *e, const char *id)
{
	if (!id || !*id)
		return true;
	char key[GM_MAP_KEY_MAX];
	return id_put(e, key, id_key(id, key));
}

/* Resolved alert in, whose label set has the hash fp. */
static enum group_took resolve(struct group_engine *e, const struct note_alert *in, uint64_t fp,
	int64_t now, uint64_t mark)
{
	learn_kind(e, in->kind ? in->kind : "");
	struct alert **slot = gm_map_peek(e->active, (const char *)&fp, sizeof fp);
	if (!slot)
		return GROUP_UNMATCHED;
	struct alert *a = *slot;
	free(a->end);
	a->end = record_dup(in);
	a->end_mark = mark;
	stop_firing(e, a, now, true);
	for (size_t i = 0; i < a->nlinks; i++) {
		struct link *l = &a->links[i];
		if (!l->g)
			continue;
		if (l->state == M_WAITING) {
			/* Never notified: nothing to say of its end. */
			link_drop(e, l, true);
			continue;
		}
		link_set(e, l, M_RESOLVED);
		set_changed(e, l->g, true);
		schedule(e, l->g, next_look(e, l->g, now));
	}
	alert_release(e, a);
	return GROUP_RESOLVED;
}

/* Firing alert in, whose label set is set[0..nset) (of in's strings,
 * in e's scratch), its hash fp. The set is pointed at the alert's copy
 * of the strings: a repeat copies nothing. */
static enum group_took fire(struct group_engine *e, const struct note_alert *in,
	const struct route_label *set, size_t nset, uint64_t fp, int64_t now, uint64_t mark)
{
	if (gm_map_peek(e->active, (const char *)&fp, sizeof fp))
		return GROUP_REPEATED;
	size_t n = route_match(e->c, (struct route_labels){ set, nset }, e->matched);
	struct alert *a = alert_new(e, in, set, nset, fp, n);
	a->serial = e->next_alert++;
	a->arrived = now;
	a->expires = NONE;
	a->fire_mark = mark;
	a->end_mark = GROUP_NO_MARK;
	bool created;
	struct alert **slot = gm_map_put(e->active, (const char *)&a->fp, sizeof a->fp, &created);
	*slot = a;
	a->firing = true;
	e->st.firing++;
	sources_add(e, a);
	if (!alert_resolvable(e, a)) {
		a->expires = now + e->o.resolve_timeout;
		expiry_add(e, a);
	}
	for (size_t i = 0; i < n; i++) {
		struct group *g = group_for(e, route_index(e, e->matched[i]), a, now);
		a->links[i] = (struct link){ .a = a, .state = M_WAITING };
		link_add(e, g, &a->links[i]);
		set_changed(e, g, true);
		schedule(e, g, next_look(e, g, now));
	}
	return GROUP_FIRING;
}

enum group_took group_take(struct group_engine *e, const struct note_alert *a, int64_t now)
{
	return group_take_marked(e, a, now, GROUP_NO_MARK);
}

enum group_took group_take_marked(struct group_engine *e, const struct note_alert *a, int64_t now,
	uint64_t mark)
{
	/* The index slots the alert is looked for at, a cache miss each,
	 * load while what is due is done and its label set made. */
	char key[GM_MAP_KEY_MAX];
	size_t klen = a->alert_id && *a->alert_id ? id_key(a->alert_id, key) : 0;
	if (klen)
		gm_map_prefetch(e->ids, key, klen);
	advance(e, now, false);
	now = e->now;
	struct route_label *set = labels_scratch(e, a->nlabels + 4);
	size_t nset = note_label_set(a, set);
	uint64_t fp = labels_hash(0, set, nset);
	gm_map_prefetch(e->active, (const char *)&fp, sizeof fp);
	enum group_took took;
	if (klen && !id_put(e, key, klen))
		took = GROUP_DUPLICATE;
	else if (a->resolved)
		took = resolve(e, a, fp, now, mark);
	else
		took = fire(e, a, set, nset, fp, now, mark);
	e->st.taken[took]++;
	return took;
}

void group_tick(struct group_engine *e, int64_t now)
{
	advance(e, now, true);
}

size_t group_forget_marked(struct group_engine *e, bool (*drop)(void *ctx, uint64_t mark),
	void *ctx)
{
	size_t n = 0;
	for (struct alert *a = e->all_head, *next; a; a = next) {
		next = a->anext;
		if (a->fire_mark == GROUP_NO_MARK || !a->firing || a->flights || !drop(ctx, a->fire_mark))
			continue;
		bool notified = false;
		for (size_t i = 0; i < a->nlinks; i++)
			notified |= a->links[i].g && a->links[i].state != M_WAITING;
		if (notified)
			continue;
		for (size_t i = 0; i < a->nlinks; i++)
			link_drop(e, &a->links[i], true);
		stop_firing(e, a, e->now, true);
		if (a->fire.alert_id && *a->fire.alert_id) {
			char key[GM_MAP_KEY_MAX];
			gm_map_remove(e->ids, key, id_key(a->fire.alert_id, key));
		}
		e->st.taken[GROUP_FIRING]--;
		alert_release(e, a);
		n++;
	}
	return n;
}

void group_unsettled(const struct group_engine *e, void (*each)(void *ctx, uint64_t mark),
	void *ctx)
{
	for (const struct alert *a = e->all_head; a; a = a->anext) {
		bool fire = a->flights > 0, end = a->flights > 0;
		for (size_t i = 0; i < a->nlinks; i++)
			if (a->links[i].g) {
				fire |= a->links[i].state == M_WAITING;
				end |= a->links[i].state == M_RESOLVED;
			}
		if (fire && a->fire_mark != GROUP_NO_MARK)
			each(ctx, a->fire_mark);
		if (end && a->end_mark != GROUP_NO_MARK)
			each(ctx, a->end_mark);
	}
}

int64_t group_next(const struct group_engine *e)
{
	int64_t t = e->nheap ? e->heap[0]->due : NONE;
	if (e->x_head && e->x_head->expires < t)
		t = e->x_head->expires;
	if (e->muted) {
		int64_t s = silences_next_change(e->sil, e->sil_checked);
		t = s < t ? s : t;
	}
	return t;
}

void group_finish(struct group_engine *e)
{
	int64_t t;
	while (e->nchanged && (t = group_next(e)) != NONE)
		group_tick(e, t);
}

void group_silences_changed(struct group_engine *e, int64_t now)
{
	advance(e, now, false);
	wake_muted(e, e->now);
	e->sil_checked = e->now;
}

bool group_done(struct group_engine *e, uint64_t id, bool delivered)
{
	struct flight **slot = gm_map_peek(e->flights, (const char *)&id, sizeof id);
	struct flight *f = slot ? *slot : e->f_head;
	while (f && f->id != id)
		f = f->next;
	if (!f)
		return false;
	if (delivered)
		e->st.delivered++;
	else
		e->st.failed++;
	flight_free(e, f);
	return true;
}

size_t group_fallback(struct group_engine *e, uint64_t id, size_t fallback)
{
	struct flight **slot = gm_map_peek(e->flights, (const char *)&id, sizeof id);
	struct flight *f = slot ? *slot : e->f_head;
	while (f && f->id != id)
		f = f->next;
	if (!f)
		return 0;
	const struct conf_receiver *fb = &e->c->receivers[fallback];
	size_t most = 0;
	for (enum note_kind k = NOTE_EMAIL; k < NOTE_NKINDS; k++)
		most += note_integrations(fb, k);
	struct flight **made = gm_xcalloc(most + 1, sizeof *made);
	size_t n = 0;
	for (enum note_kind k = NOTE_EMAIL; k < NOTE_NKINDS; k++)
		for (size_t i = 0; i < note_integrations(fb, k); i++) {
			if (!f->nfiring && !note_sends_resolved(fb, k, i))
				continue;
			struct flight *c = flight_new(e, f->route, fallback, f->key, f->labels, f->nlabels,
				k, i, f->seq, f->incident, f->at, f->reminder);
			size_t cap = 0;
			for (size_t j = 0; j < f->n; j++)
				flight_add(c, f->alerts[j].a, f->alerts[j].resolved, &cap);
			made[n++] = c;
		}
	e->st.failed++;
	flight_free(e, f);
	/* Sent once all are made: the callback may report one done. */
	for (size_t i = 0; i < n; i++)
		emit(e, made[i]);
	free(made);
	return n;
}

void group_resume(struct group_engine *e)
{
	/* The callback may report one done, which frees it: step first. */
	for (struct flight *f = e->f_head, *next; f; f = next) {
		next = f->next;
		emit(e, f);
	}
}

struct group_stats group_stats(const struct group_engine *e)
{
	return e->st;
}

/* ---- the state file ----
 *
 * nlog.h's format, one record a line, the first field naming it:
 *   gm-notify-state 1
 *   clock NOW SILENCES_CHECKED NEXT_ALERT NEXT_GROUP
 *   stats (the counters of struct group_stats, in its order, to muted)
 *   kind NAME                  a kind that can resolve
 *   id ID                      an alert id remembered, oldest first
 *   alert SERIAL ARRIVED EXPIRES FIRING EXPIRED NGROUPS RECORD RESOLVED [RECORD]
 *   group SERIAL ROUTE ROUTE_KEY FIRST_LOOK DUE REMINDED SEQ INCIDENT CHANGED MUTED
 *         LABELS NMEMBERS (ALERT_SERIAL STATE HELD)...
 *   flight ID ROUTE ROUTE_KEY INTEGRATION INDEX SEQ INCIDENT AT REMINDER KEY LABELS
 *         NALERTS (ALERT_SERIAL RESOLVED)...
 * where RECORD is ALERT_ID TS KIND SEVERITY SOURCE SUMMARY LABELS NUMBERS,
 * INTEGRATION an enum note_kind, and LABELS (and NUMBERS) a count and
 * as many NAME VALUE pairs; times in ms, NONE as 9223372036854775807.
 * Alerts come in order of serial, groups and flights in the order of
 * the heap's ties and of sending. */

#define STATE_MAGIC "gm-notify-state"
#define ROUTES_LIMIT 65536   /* groups an alert of a state file may be in */
#define STATE_VERSION 1

static void put_pairs(struct nlog_out *o, const struct route_label *v, size_t n)
{
	nlog_int(o, (int64_t)n);
	for (size_t i = 0; i < n; i++) {
		nlog_str(o, v[i].name);
		nlog_str(o, v[i].value);
	}
}

static void put_record(struct nlog_out *o, const struct note_alert *a)
{
	nlog_str(o, a->alert_id);
	nlog_int(o, a->ts);
	nlog_str(o, a->kind);
	nlog_str(o, a->severity);
	nlog_str(o, a->source);
	nlog_str(o, a->summary);
	put_pairs(o, a->labels, a->nlabels);
	put_pairs(o, a->numbers, a->nnumbers);
}

static int by_serial(const void *x, const void *y)
{
	const struct group *a = *(struct group *const *)x, *b = *(struct group *const *)y;
	return a->serial < b->serial ? -1 : a->serial > b->serial;
}

bool group_save(const struct group_engine *e, const char *path)
{
	struct nlog_out o;
	if (!nlog_create(&o, path, STATE_MAGIC, STATE_VERSION))
		return false;
	nlog_str(&o, "clock");
	nlog_int(&o, e->now);
	nlog_int(&o, e->sil_checked);
	nlog_int(&o, (int64_t)e->next_alert);
	nlog_int(&o, (int64_t)e->next_group);
	nlog_end(&o);
	nlog_str(&o, "stats");
	for (int i = 0; i <= GROUP_UNMATCHED; i++)
		nlog_int(&o, (int64_t)e->st.taken[i]);
	const uint64_t counts[] = { e->st.evicted, e->st.expired, e->st.notes, e->st.delivered,
		e->st.failed, e->st.muted };
	for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
		nlog_int(&o, (int64_t)counts[i]);
	nlog_end(&o);
	for (size_t i = 0; i < e->nkinds; i++) {
		nlog_str(&o, "kind");
		nlog_str(&o, e->kinds[i]);
		nlog_end(&o);
	}
	struct gm_map_iter it;
	const char *key;
	size_t klen;
	void *v;
	gm_map_iter_init(&it, e->ids, true);
	while ((v = gm_map_iter_next(&it, &key, &klen))) {
		char id[GM_MAP_KEY_MAX + 1];
		memcpy(id, key, klen);
		id[klen] = 0;
		nlog_str(&o, "id");
		nlog_str(&o, id);
		nlog_end(&o);
	}
	for (const struct alert *a = e->all_head; a; a = a->anext) {
		nlog_str(&o, "alert");
		nlog_int(&o, (int64_t)a->serial);
		nlog_int(&o, a->arrived);
		nlog_int(&o, a->expires);
		nlog_int(&o, a->firing);
		nlog_int(&o, a->expired);
		nlog_int(&o, (int64_t)a->nlinked);
		put_record(&o, &a->fire);
		nlog_int(&o, a->end && a->end->alert_id);
		if (a->end && a->end->alert_id)
			put_record(&o, a->end);
		nlog_end(&o);
	}
	/* Groups in order of serial, so that a file says the same for the
	 * same state. */
	size_t ng = 0;
	struct group **gs = gm_xcalloc(e->st.groups + 1, sizeof *gs);
	gm_map_iter_init(&it, e->groups, true);
	while ((v = gm_map_iter_next(&it, &key, &klen)))
		gs[ng++] = *(struct group **)v;
	qsort(gs, ng, sizeof *gs, by_serial);
	for (size_t i = 0; i < ng; i++) {
		const struct group *g = gs[i];
		nlog_str(&o, "group");
		nlog_int(&o, (int64_t)g->serial);
		nlog_int(&o, (int64_t)g->route);
		nlog_str(&o, e->route_keys[g->route]);
		nlog_int(&o, g->first_look);
		nlog_int(&o, g->due);
		nlog_int(&o, g->reminded);
		nlog_int(&o, (int64_t)g->seq);
		nlog_int(&o, g->incident);
		nlog_int(&o, g->changed);
		nlog_int(&o, g->muted);
		put_pairs(&o, g->labels, g->nlabels);
		nlog_int(&o, (int64_t)g->n);
		/* The held, then the rest of the waiting: in the order they came. */
		static const int lists[] = { L_HELD, M_WAITING, M_NOTIFIED, M_RESOLVED };
		for (size_t k = 0; k < sizeof lists / sizeof *lists; k++)
		for (const struct link *l = g->head[lists[k]]; l; l = l->next) {
			nlog_int(&o, (int64_t)l->a->serial);
			nlog_int(&o, l->state);
			nlog_int(&o, l->held);
		}
		nlog_end(&o);
	}
	free(gs);
	for (const struct flight *f = e->f_head; f; f = f->next) {
		nlog_str(&o, "flight");
		char id[17];
		gm_format_hex64(f->id, id);
		id[16] = 0;
		nlog_str(&o, id);
		nlog_int(&o, (int64_t)f->route);
		nlog_str(&o, e->route_keys[f->route]);
		nlog_int(&o, f->kind);
		nlog_int(&o, (int64_t)f->index);
		nlog_int(&o, (int64_t)f->seq);
		nlog_int(&o, f->incident);
		nlog_int(&o, f->at);
		nlog_int(&o, f->reminder);
		nlog_str(&o, f->receiver != SIZE_MAX ? e->c->receivers[f->receiver].name : NULL);
		nlog_str(&o, f->key);
		put_pairs(&o, f->labels, f->nlabels);
		nlog_int(&o, (int64_t)f->n);
		for (size_t i = 0; i < f->n; i++) {
			nlog_int(&o, (int64_t)f->alerts[i].a->serial);
			nlog_int(&o, f->alerts[i].resolved);
		}
		nlog_end(&o);
	}
	return nlog_commit(&o);
}

/* A line being read: its fields from at, checked one by one. */
struct rd {
	struct nlog_in *in;
	int at;
	bool ok;
};

static const char *rd_str(struct rd *r, bool null_ok)
{
	if (!r->ok || r->at >= (int)r->in->nfield || (!null_ok && !r->in->field[r->at])) {
		r->ok = false;
		return NULL;
	}
	return r->in->field[r->at++];
}

static int64_t rd_int(struct rd *r, int64_t lo, int64_t hi)
{
	int64_t v = 0;
	const char *s = rd_str(r, false);
	if (r->ok && (!nlog_int_of(s, &v) || v < lo || v > hi))
		r->ok = false;
	return v;
}

/* n pairs, as pointers into the line's fields (valid for the line). */
static struct route_label *rd_pairs(struct rd *r, size_t *n)
{
	*n = (size_t)rd_int(r, 0, 1 << 20);
	if (!r->ok || (size_t)(r->in->nfield - r->at) < 2 * *n) {
		r->ok = false;
		return NULL;
	}
	struct route_label *v = gm_xcalloc(*n + 1, sizeof *v);
	for (size_t i = 0; i < *n; i++) {
		v[i].name = rd_str(r, false);
		v[i].value = rd_str(r, false);
	}
	return v;
}

static void rd_record(struct rd *r, struct note_alert *a, char **blob)
{
	struct note_alert in = { 0 };
	in.alert_id = rd_str(r, true);
	in.ts = rd_int(r, INT64_MIN, INT64_MAX);
	in.kind = rd_str(r, false);
	in.severity = rd_str(r, false);
	in.source = rd_str(r, false);
	in.summary = rd_str(r, true);
	struct route_label *labels = rd_pairs(r, &in.nlabels);
	struct route_label *numbers = rd_pairs(r, &in.nnumbers);
	in.labels = labels;
	in.numbers = numbers;
	if (r->ok)
		note_alert_dup(a, blob, &in);
	free(labels);
	free(numbers);
}

/* Warns of the line r reads, and skips the rest of it. */
static void warn_line(struct rd *r, const char *what)
{
	char where[4096];
	snprintf(where, sizeof where, "%s:%lu", r->in->path, r->in->line);
	gm_warn(where, "%s", what);
	r->at = (int)r->in->nfield;
}

/* The alert of serial s among as[0..n), in order of serial, or NULL. */
static struct alert *by_serial_find(struct alert **as, size_t n, int64_t s)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((int64_t)as[mid]->serial < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && (int64_t)as[lo]->serial == s ? as[lo] : NULL;
}

/* The route of index i with key key in e, or SIZE_MAX. */
static size_t rd_route(struct rd *r, const struct group_engine *e)
{
	int64_t i = rd_int(r, 0, INT64_MAX);
	const char *key = rd_str(r, false);
	if (!r->ok || (size_t)i >= e->nroutes || strcmp(e->route_keys[i], key))
		return SIZE_MAX;
	return (size_t)i;
}

static bool load_alert(struct group_engine *e, struct rd *r, struct alert ***as, size_t *nas,
	size_t *cap)
{
	struct alert a = { 0 };
	a.serial = (uint64_t)rd_int(r, 0, INT64_MAX);
	a.arrived = rd_int(r, INT64_MIN, INT64_MAX);
	a.expires = rd_int(r, INT64_MIN, INT64_MAX);
	a.firing = rd_int(r, 0, 1);
	a.expired = rd_int(r, 0, 1);
	size_t nlinks = (size_t)rd_int(r, 0, ROUTES_LIMIT);
	char *fire_blob = NULL, *end_blob = NULL;
	struct note_alert end = { 0 };
	rd_record(r, &a.fire, &fire_blob);
	bool resolved = r->ok && rd_int(r, 0, 1);
	if (resolved)
		rd_record(r, &end, &end_blob);
	bool ok = r->ok && r->at == (int)r->in->nfield &&
		!(*nas && a.serial <= (*as)[*nas - 1]->serial);
	if (!ok) {
		free(fire_blob);
		free(end_blob);
		return false;
	}
	struct route_label *set = labels_scratch(e, a.fire.nlabels + 4);
	size_t nset = note_label_set(&a.fire, set);
	struct alert *p = alert_new(e, &a.fire, set, nset, labels_hash(0, set, nset), nlinks);
	free(fire_blob);
	p->serial = a.serial;
	p->arrived = a.arrived;
	p->expires = a.expires;
	p->firing = a.firing;
	p->expired = a.expired;
	if (resolved)
		p->end = record_dup(&end);
	free(end_blob);
	p->fire_mark = p->end_mark = GROUP_NO_MARK;   /* marks are not saved */
	if (p->firing) {
		bool created;
		struct alert **slot = gm_map_put(e->active, (const char *)&p->fp, sizeof p->fp, &created);
		*slot = p;
		e->st.firing++;
		sources_add(e, p);
		if (p->expires != NONE)
			expiry_add(e, p);
	}
	*as = gm_grow(*as, cap, *nas + 1, sizeof **as, 64);
	(*as)[(*nas)++] = p;
	return true;
}

static bool load_group(struct group_engine *e, struct rd *r, struct alert **as, size_t nas)
{
	struct group g = { .heap = SIZE_MAX };
	g.serial = (uint64_t)rd_int(r, 0, INT64_MAX);
	g.route = rd_route(r, e);
	bool route_ok = g.route != SIZE_MAX;
	r->ok = r->ok || !route_ok;   /* a route gone is a warning, read on */
	g.first_look = rd_int(r, INT64_MIN, INT64_MAX);
	int64_t due = rd_int(r, INT64_MIN, INT64_MAX);
	g.reminded = rd_int(r, INT64_MIN, INT64_MAX);
	g.seq = (uint64_t)rd_int(r, 0, INT64_MAX);
	g.incident = rd_int(r, INT64_MIN, INT64_MAX);
	bool changed = rd_int(r, 0, 1), muted = rd_int(r, 0, 1);
	struct route_label *labels = rd_pairs(r, &g.nlabels);
	size_t n = (size_t)rd_int(r, 0, INT64_MAX);
	if (r->ok && (size_t)(r->in->nfield - r->at) != 3 * n)
		r->ok = false;
	if (!r->ok || !route_ok) {
		free(labels);
		if (r->ok)
			warn_line(r, "the group's route is not in the configuration: dropped");
		return r->ok;
	}
	struct group *p = gm_xcalloc(1, sizeof *p);
	*p = g;
	p->recheck = true;   /* the silences and sources may not be the saved run's */
	p->labels = note_labels_dup(labels, g.nlabels);
	free(labels);
	p->key = group_key(e->route_keys[p->route], p->labels, p->nlabels);
	p->hkey = labels_hash(gm_hash_u64(p->route + 1), p->labels, p->nlabels);
	bool created;
	struct group **slot = gm_map_put(e->groups, (const char *)&p->hkey, sizeof p->hkey, &created);
	if (!created) {
		free(p->key);
		free(p->labels);
		free(p);
		r->ok = false;
		return false;
	}
	*slot = p;
	e->st.groups++;
	for (size_t i = 0; i < n && r->ok; i++) {
		struct alert *a = by_serial_find(as, nas, rd_int(r, 0, INT64_MAX));
		enum mstate st = (enum mstate)rd_int(r, M_WAITING, M_RESOLVED);
		bool held = rd_int(r, 0, 1);
		if (!r->ok || !a || a->nlinked == a->nlinks) {
			r->ok = false;
			break;
		}
		struct link *l = &a->links[a->nlinked];
		*l = (struct link){ .a = a, .state = st, .held = held };
		link_add(e, p, l);
	}
	if (due != NONE)
		schedule(e, p, due);
	set_changed(e, p, changed);
	if (muted)
		muted_add(e, p, e->sil_checked);
	return r->ok;
}

static bool load_flight(struct group_engine *e, struct rd *r, struct alert **as, size_t nas)
{
	const char *id = rd_str(r, false);
	size_t route = rd_route(r, e);
	bool route_ok = route != SIZE_MAX;
	r->ok = r->ok || !route_ok;
	enum note_kind k = (enum note_kind)rd_int(r, NOTE_EMAIL, NOTE_FILE);
	size_t index = (size_t)rd_int(r, 0, INT64_MAX);
	uint64_t seq = (uint64_t)rd_int(r, 0, INT64_MAX);
	int64_t incident = rd_int(r, INT64_MIN, INT64_MAX);
	int64_t at = rd_int(r, INT64_MIN, INT64_MAX);
	bool reminder = rd_int(r, 0, 1);
	const char *fallback = rd_str(r, true);
	const char *key = rd_str(r, false);
	size_t nlabels;
	struct route_label *labels = rd_pairs(r, &nlabels);
	size_t n = (size_t)rd_int(r, 1, INT64_MAX);
	if (r->ok && (size_t)(r->in->nfield - r->at) != 2 * n)
		r->ok = false;
	size_t receiver = SIZE_MAX;
	for (size_t i = 0; fallback && i < e->c->nreceivers && receiver == SIZE_MAX; i++)
		if (!strcmp(e->c->receivers[i].name, fallback))
			receiver = i;
	if (fallback && receiver == SIZE_MAX)
		route_ok = false;
	const struct conf_receiver *to = receiver != SIZE_MAX ? &e->c->receivers[receiver] :
		route_ok ? receiver_of(e, route) : NULL;
	if (r->ok && route_ok && index >= note_integrations(to, k))
		route_ok = false;
	if (!r->ok || !route_ok) {
		free(labels);
		if (r->ok)
			warn_line(r, "the notification's route or integration is not in the "
				"configuration: dropped");
		return r->ok;
	}
	struct flight *f = flight_new(e, route, receiver, key, labels, nlabels, k, index, seq,
		incident, at, reminder);
	free(labels);
	char want[17];
	gm_format_hex64(f->id, want);
	want[16] = 0;
	if (strcmp(id, want))
		r->ok = false;
	size_t cap = 0;
	for (size_t i = 0; i < n && r->ok; i++) {
		struct alert *a = by_serial_find(as, nas, rd_int(r, 0, INT64_MAX));
		bool resolved = rd_int(r, 0, 1);
		if (!r->ok || !a || (resolved && !(a->end && a->end->alert_id))) {
			r->ok = false;
			break;
		}
		flight_add(f, a, resolved, &cap);
	}
	if (!r->ok)
		flight_free(e, f);
	return r->ok;
}

bool group_load(struct group_engine *e, const char *path)
{
	struct nlog_in in;
	int n = nlog_open(&in, path, STATE_MAGIC, STATE_VERSION);
	bool ok = n > 0;
	if (!n)
		return true;
	struct alert **as = NULL;
	size_t nas = 0, cap = 0;
	while (ok && (n = nlog_next(&in)) > 0) {
		struct rd r = { &in, 1, in.field[0] != NULL };
		const char *what = in.field[0] ? in.field[0] : "";
		if (!strcmp(what, "clock")) {
			e->now = rd_int(&r, INT64_MIN, INT64_MAX);
			e->sil_checked = rd_int(&r, INT64_MIN, INT64_MAX);
			e->next_alert = (uint64_t)rd_int(&r, 0, INT64_MAX);
			e->next_group = (uint64_t)rd_int(&r, 0, INT64_MAX);
		} else if (!strcmp(what, "stats")) {
			for (int i = 0; i <= GROUP_UNMATCHED; i++)
				e->st.taken[i] = (uint64_t)rd_int(&r, 0, INT64_MAX);
			uint64_t *counts[] = { &e->st.evicted, &e->st.expired, &e->st.notes,
				&e->st.delivered, &e->st.failed, &e->st.muted };
			for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
				*counts[i] = (uint64_t)rd_int(&r, 0, INT64_MAX);
		} else if (!strcmp(what, "kind"))
			learn_kind(e, rd_str(&r, false) ? in.field[1] : "");
		else if (!strcmp(what, "id"))
			id_new(e, rd_str(&r, false));
		else if (!strcmp(what, "alert"))
			r.ok = load_alert(e, &r, &as, &nas, &cap);
		else if (!strcmp(what, "group"))
			r.ok = load_group(e, &r, as, nas);
		else if (!strcmp(what, "flight"))
			r.ok = load_flight(e, &r, as, nas);
		else
			r.ok = false;
		if (!r.ok || r.at != n) {
			nlog_bad(&in, "not a line of a state file, or one that does not fit the lines before");
			ok = false;
		}
	}
	ok = ok && n == 0;
	/* Alerts whose groups are gone with their routes. */
	for (size_t i = 0; i < nas; i++)
		alert_release(e, as[i]);
	free(as);
	nlog_close(&in);
	return ok;
}

/* session: see session.h. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "map.h"
#include "mem.h"
#include "money.h"
#include "number.h"
#include "rtype.h"
#include "ts.h"

#define OPEN_MAX 2             /* open sessions per user */
#define CATEGORY_MAX 6         /* categories listed per session */
#define CLIENT_MAX 2           /* client session ids listed */

struct named {                 /* a category and its views */
	char name[SESSION_NAME_MAX + 1];
	uint32_t views;
};

struct client {                /* a client session id, first seen at ts */
	int64_t ts;
	char id[SESSION_ID_MAX + 1];
};

struct edge {                  /* the product of the first or last view
	                          or cart event; ts INT64_MIN: none yet */
	int64_t ts;
	char product[SESSION_ID_MAX + 1];
};

struct session {
	int64_t start, end;        /* first and last record */
	int64_t country_ts;        /* of the latest record with a country */
	char country[SESSION_NAME_MAX + 1];   /* "": none had one */
	int64_t first_country_ts;  /* and of the earliest */
	char first_country[SESSION_NAME_MAX + 1];
	int64_t revenue;           /* cents */
	uint32_t events, views, adds, removes, transactions;
	uint8_t ncategories, nclients;
	struct named categories[CATEGORY_MAX];
	struct client clients[CLIENT_MAX];
	struct edge landing, exit;
};

/* A user's entry: no pointers, saved as its bytes (store.h). */
struct user {
	int64_t due;               /* the store's timer: the earliest close */
	int32_t partition;         /* of its records (-1: files) */
	uint8_t nopen;
	struct session open[OPEN_MAX];   /* by start */
};

struct sessions {
	struct session_options o;
	struct gm_store *users;
	struct gm_output out;
	struct tally_output tally;
};

struct gm_store_spec sessions_store_spec(const struct session_options *o)
{
	return (struct gm_store_spec){
		.name = "sessions", .version = 2, .value_size = sizeof(struct user),
		.max_entries = o->max_users, .due_at = GM_STORE_DUE(struct user, due),
	};
}

struct sessions *sessions_new(const struct session_options *o, struct gm_store *users,
	const struct gm_output *out, const struct tally_output *tally)
{
	struct sessions *ss = gm_xcalloc(1, sizeof *ss);
	ss->o = *o;
	ss->users = users;
	ss->out = *out;
	ss->tally = *tally;
	return ss;
}

void sessions_free(struct sessions *ss)
{
	free(ss);
}

const char *session_refuses(const struct gm_event *ev)
{
	if (ev->user_id.n > GM_MAP_KEY_MAX)
		return "user_id is longer than the 64 bytes gm-session keeps";
	if (ev->product_id.n > SESSION_ID_MAX)
		return "product_id is longer than the 39 bytes gm-session keeps";
	if (ev->session_id.n > SESSION_ID_MAX)
		return "session_id is longer than the 39 bytes gm-session keeps";
	if (ev->category.n > SESSION_NAME_MAX)
		return "category is longer than the 23 bytes gm-session keeps";
	if (ev->country.n > SESSION_NAME_MAX)
		return "country is longer than the 23 bytes gm-session keeps";
	for (size_t i = 0; i < ev->nitems; i++)
		if (ev->items[i].product_id.n > SESSION_ID_MAX)
			return "an item's product_id is longer than the 39 bytes gm-session keeps";
	return NULL;
}

/* s compared with the NUL-terminated t, as memcmp orders them. */
static int compare(gm_str s, const char *t)
{
	return gm_str_cmp(s, (gm_str){ t, strlen(t) });
}

/* ---- what a record adds to a session ----
 * What a session holds is a sum, a minimum or a maximum, so that the
 * records' order does not change it (ties go to the smaller name); but
 * for its categories beyond CATEGORY_MAX, the first to come. */

static void add_category(struct session *s, gm_str name, uint32_t views)
{
	for (size_t i = 0; i < s->ncategories; i++) {
		if (!compare(name, s->categories[i].name)) {
			s->categories[i].views += views;
			return;
		}
	}
	if (s->ncategories < CATEGORY_MAX) {
		struct named *c = &s->categories[s->ncategories++];
		gm_str_copy(name, c->name, sizeof c->name);
		c->views = views;
	}
}

static void add_client(struct session *s, gm_str id, int64_t ts)
{
	for (size_t i = 0; i < s->nclients; i++) {
		if (compare(id, s->clients[i].id))
			continue;
		if (ts >= s->clients[i].ts)
			return;
		/* Seen earlier than thought: it moves up, as its time says. */
		struct client moved = s->clients[i];
		moved.ts = ts;
		for (; i > 0 && (ts < s->clients[i - 1].ts
		       || (ts == s->clients[i - 1].ts && compare(id, s->clients[i - 1].id) < 0)); i--)
			s->clients[i] = s->clients[i - 1];
		s->clients[i] = moved;
		return;
	}
	/* Kept: the earliest CLIENT_MAX, by time then id. */
	size_t at = s->nclients;
	while (at > 0 && (ts < s->clients[at - 1].ts
	       || (ts == s->clients[at - 1].ts && compare(id, s->clients[at - 1].id) < 0)))
		at--;
	if (at == CLIENT_MAX)
		return;
	size_t keep = s->nclients < CLIENT_MAX ? s->nclients : CLIENT_MAX - 1;
	memmove(&s->clients[at + 1], &s->clients[at], (keep - at) * sizeof *s->clients);
	s->clients[at].ts = ts;
	gm_str_copy(id, s->clients[at].id, sizeof s->clients[at].id);
	s->nclients = (uint8_t)(keep + 1);
}

/* The edge moves to (ts, product) when that is earlier (first) or
 * later (last). */
static void add_edge(struct edge *e, int64_t ts, gm_str product, bool first)
{
	bool take = e->ts == INT64_MIN
		|| (first ? ts < e->ts : ts > e->ts)
		|| (ts == e->ts && compare(product, e->product) < 0);
	if (take) {
		e->ts = ts;
		gm_str_copy(product, e->product, sizeof e->product);
	}
}

static void session_init(struct session *s, int64_t ts)
{
	memset(s, 0, sizeof *s);
	s->start = s->end = ts;
	s->landing.ts = s->exit.ts = INT64_MIN;
}

/* The country of the latest record that has one (ties: the larger
 * name), so that the order they came in does not matter. */
static void add_country(struct session *s, gm_str country, int64_t ts)
{
	if (country.n == 0)
		return;
	if (!s->country[0] || ts > s->country_ts
	    || (ts == s->country_ts && compare(country, s->country) > 0)) {
		gm_str_copy(country, s->country, sizeof s->country);
		s->country_ts = ts;
	}
	if (!s->first_country[0] || ts < s->first_country_ts
	    || (ts == s->first_country_ts && compare(country, s->first_country) < 0)) {
		gm_str_copy(country, s->first_country, sizeof s->first_country);
		s->first_country_ts = ts;
	}
}

static void session_add(struct session *s, const struct gm_event *ev)
{
	add_country(s, ev->country, ev->ts);
	if (ev->ts < s->start)
		s->start = ev->ts;
	if (ev->ts > s->end)
		s->end = ev->ts;
	s->events++;
	add_client(s, ev->session_id, ev->ts);
	switch (ev->type) {
	case GM_PRODUCT_VIEW:
		s->views++;
		add_category(s, ev->category, 1);
		break;
	case GM_CART_EVENT:
		if (ev->action.n == 3)  /* "add" */
			s->adds++;
		else
			s->removes++;
		break;
	default:  /* GM_TRANSACTION: its amount was checked against the largest total */
		s->transactions++;
		if (!gm_money_add(s->revenue, ev->total_amount, &s->revenue))
			s->revenue = GM_MONEY_MAX_TOTAL;
		return;
	}
	add_edge(&s->landing, ev->ts, ev->product_id, true);
	add_edge(&s->exit, ev->ts, ev->product_id, false);
}

/* b joins a. */
static void session_merge(struct session *a, const struct session *b)
{
	if (b->country[0])
		add_country(a, (gm_str){ b->country, strlen(b->country) }, b->country_ts);
	if (b->first_country[0])
		add_country(a, (gm_str){ b->first_country, strlen(b->first_country) },
			b->first_country_ts);
	if (b->start < a->start)
		a->start = b->start;
	if (b->end > a->end)
		a->end = b->end;
	a->events += b->events;
	a->views += b->views;
	a->adds += b->adds;
	a->removes += b->removes;
	a->transactions += b->transactions;
	if (!gm_money_add(a->revenue, b->revenue, &a->revenue))
		a->revenue = GM_MONEY_MAX_TOTAL;
	for (size_t i = 0; i < b->ncategories; i++)
		add_category(a, (gm_str){ b->categories[i].name, strlen(b->categories[i].name) },
			b->categories[i].views);
	for (size_t i = 0; i < b->nclients; i++)
		add_client(a, (gm_str){ b->clients[i].id, strlen(b->clients[i].id) }, b->clients[i].ts);
	if (b->landing.ts != INT64_MIN)
		add_edge(&a->landing, b->landing.ts, (gm_str){ b->landing.product, strlen(b->landing.product) }, true);
	if (b->exit.ts != INT64_MIN)
		add_edge(&a->exit, b->exit.ts, (gm_str){ b->exit.product, strlen(b->exit.product) }, false);
}

/* When s closes: its end plus the gap, or its start plus the longest. */
static int64_t closes_at(const struct sessions *ss, const struct session *s)
{
	int64_t by_gap = s->end + ss->o.gap, by_length = s->start + ss->o.max_session;
	return by_gap < by_length ? by_gap : by_length;
}

/* Whether a record at ts, of client session id, belongs in s. */
static bool belongs(const struct sessions *ss, const struct session *s, int64_t ts, gm_str id)
{
	if (ts >= closes_at(ss, s) || ts - s->start >= ss->o.max_session
	    || s->end - ts >= ss->o.max_session)
		return false;
	if (ss->o.by_client)
		return s->nclients > 0 && !compare(id, s->clients[0].id);
	return ts > s->start - ss->o.gap;
}

/* ---- closing ---- */

/* The session's id: 16 hex digits of the user, its start and, by
 * client, its client session. */
static void session_id(const struct sessions *ss, const char *user, size_t ulen,
	const struct session *s, char id[17])
{
	char key[GM_MAP_KEY_MAX + SESSION_ID_MAX + GM_I64_LEN + 2];
	memcpy(key, user, ulen);
	size_t n = ulen;
	key[n++] = '/';
	n += gm_format_i64(s->start, key + n);
	if (ss->o.by_client && s->nclients > 0) {
		size_t clen = strlen(s->clients[0].id);
		key[n++] = '/';
		memcpy(key + n, s->clients[0].id, clen);
		n += clen;
	}
	gm_format_hex64(gm_hash(key, n), id);
	id[16] = 0;
}

static int by_views(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	if (x->views != y->views)
		return x->views > y->views ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Writes s, closed at `at`, and tallies it. */
static void session_close(struct sessions *ss, const char *user, size_t ulen,
	const struct user *u, struct session *s, int64_t at, const struct part *p)
{
	char id[17];
	session_id(ss, user, ulen, s, id);
	/* Its own records say, so that nothing outside it (how long the
	 * user's entry lived) changes it. */
	const char *country = s->country[0] ? s->country : "unknown";
	struct gm_writer *w = ss->out.begin(ss->out.ctx);
	gm_w_obj_begin(w);
	GM_W_KLIT(w, "type", "session");
	GM_W_KSTR(w, "session_id", id, 16);
	GM_W_KTS(w, "ts", s->end);
	GM_W_KSTR(w, "user_id", user, ulen);
	GM_W_KTS(w, "start", s->start);
	GM_W_KTS(w, "end", s->end);
	GM_W_KI64(w, "duration_s", (s->end - s->start) / 1000);
	GM_W_KU64(w, "events", s->events);
	GM_W_KU64(w, "views", s->views);
	GM_W_KU64(w, "cart_adds", s->adds);
	GM_W_KU64(w, "cart_removes", s->removes);
	GM_W_KU64(w, "transactions", s->transactions);
	GM_W_KMONEY(w, "revenue", s->revenue);
	GM_W_KCSTR(w, "country", country);
	GM_W_KEY(w, "categories");
	qsort(s->categories, s->ncategories, sizeof *s->categories, by_views);
	gm_w_arr_begin(w);
	for (size_t i = 0; i < s->ncategories; i++) {
		gm_w_obj_begin(w);
		GM_W_KCSTR(w, "category", s->categories[i].name);
		GM_W_KU64(w, "views", s->categories[i].views);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	GM_W_KEY(w, "client_sessions");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < s->nclients; i++)
		gm_w_cstr(w, s->clients[i].id);
	gm_w_arr_end(w);
	GM_W_KBOOL(w, "converted", s->transactions > 0);
	if (s->landing.ts != INT64_MIN) {
		GM_W_KCSTR(w, "landing_product", s->landing.product);
		GM_W_KCSTR(w, "exit_product", s->exit.product);
	}
	GM_W_KLIT(w, "source", "gm-session");
	if (p->label)
		GM_W_KCSTR(w, "partition", p->label);
	gm_w_end(w);
	ss->out.emit(ss->out.ctx, user, ulen);

	const struct tally t = {
		.at = at, .country = country, .sessions = 1, .converted = s->transactions > 0,
		.duration_ms = s->end - s->start, .views = s->views,
	};
	ss->tally.add(ss->tally.ctx, p, &t);
}

/* The earliest close of u's sessions, or GM_STORE_NEVER. */
static int64_t next_close(const struct sessions *ss, const struct user *u)
{
	int64_t due = GM_STORE_NEVER;
	for (size_t i = 0; i < u->nopen; i++)
		if (closes_at(ss, &u->open[i]) < due)
			due = closes_at(ss, &u->open[i]);
	return due;
}

static void drop_open(struct user *u, size_t i)
{
	memmove(&u->open[i], &u->open[i + 1], (u->nopen - i - 1) * sizeof *u->open);
	u->nopen--;
}

/* ---- records ---- */

/* Sessions a and b of u, with ev between them, become one, unless it
 * would be longer than the longest: then false, and nothing changes. */
static bool bridge(struct sessions *ss, struct user *u, size_t a, size_t b,
	const struct gm_event *ev)
{
	struct session both = u->open[a];
	session_merge(&both, &u->open[b]);
	session_add(&both, ev);
	if (both.end - both.start >= ss->o.max_session)
		return false;
	u->open[a] = both;
	drop_open(u, b);
	return true;
}

/* ev opens a session of u of its own, in order of start. */
static void open_session(struct sessions *ss, const struct gm_event *ev, struct user *u,
	const struct part *p)
{
	if (u->nopen == OPEN_MAX) {
		/* Too many open at once: the oldest closes now. */
		session_close(ss, ev->user_id.p, ev->user_id.n, u, &u->open[0],
			closes_at(ss, &u->open[0]), p);
		drop_open(u, 0);
	}
	size_t i = u->nopen;
	while (i > 0 && u->open[i - 1].start > ev->ts) {
		u->open[i] = u->open[i - 1];
		i--;
	}
	session_init(&u->open[i], ev->ts);
	session_add(&u->open[i], ev);
	u->nopen++;
}

void sessions_event(struct sessions *ss, const struct gm_event *ev,
	struct gm_store_at at, const struct part *p)
{
	enum gm_store_got got;
	struct user *u = gm_store_update(ss->users, ev->user_id.p, ev->user_id.n, at, &got);
	if (!u || got == GM_STORE_APPLIED)
		return;
	u->partition = at.partition;
	/* The sessions it belongs in: none, one, or two it bridges. */
	size_t in[OPEN_MAX], n = 0;
	for (size_t i = 0; i < u->nopen; i++)
		if (belongs(ss, &u->open[i], ev->ts, ev->session_id))
			in[n++] = i;
	if (n == 0)
		open_session(ss, ev, u, p);
	else if (n == 1 || !bridge(ss, u, in[0], in[1], ev))
		session_add(&u->open[in[0]], ev);   /* too long together: the first */
	gm_store_wake_at(ss->users, u, next_close(ss, u));
}

const char *sessions_country(struct sessions *ss, const char *user, size_t ulen, int64_t ts)
{
	const struct user *u = gm_store_get(ss->users, user, ulen);
	for (size_t i = 0; u && i < u->nopen; i++)
		if (u->open[i].start <= ts && ts <= u->open[i].end)
			return u->open[i].first_country[0] ? u->open[i].first_country : NULL;
	return NULL;
}

void sessions_due(struct sessions *ss, const char *key, size_t klen, void *value,
	int64_t due, const struct part *p)
{
	struct user *u = value;
	for (size_t i = 0; i < u->nopen;) {
		if (closes_at(ss, &u->open[i]) <= due) {
			session_close(ss, key, klen, u, &u->open[i], closes_at(ss, &u->open[i]), p);
			drop_open(u, i);
		} else {
			i++;
		}
	}
	if (u->nopen == 0)
		gm_store_remove(ss->users, key, klen);
	else
		gm_store_wake_at(ss->users, u, next_close(ss, u));
}

int32_t sessions_partition(const void *value)
{
	return ((const struct user *)value)->partition;
}

void sessions_evicted(struct sessions *ss, const char *key, size_t klen, void *value,
	int64_t watermark, const struct part *p)
{
	struct user *u = value;
	for (size_t i = 0; i < u->nopen; i++) {
		int64_t at = closes_at(ss, &u->open[i]);
		session_close(ss, key, klen, u, &u->open[i], at < watermark ? watermark : at, p);
	}
	u->nopen = 0;
}

/* stream: see stream.h. The newest alerts are a heap whose root is the
 * oldest kept, so that an alert older than all of them costs one look;
 * products and days are maps, sorted when written. */
#include "stream.h"

#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "idset.h"
#include "map.h"
#include "mem.h"
#include "money.h"

/* An alert kept: its strings in one block, the heap's entry owning it. */
struct kept {
	int64_t ts;
	gm_str id, kind, severity, source, summary;
	bool resolved;
	char *block;
};

/* The alerts of one (kind, severity). */
struct pair {
	gm_str kind, severity;  /* copies */
	uint64_t firing, resolved;
};

struct product {
	int64_t ts, on_hand;
	gm_str category, status;  /* copies; .p NULL: none */
};

struct day {
	int32_t day;
	uint64_t sessions, carts, converted;
	int64_t transactions, cents;
};

struct stream {
	struct gm_idset *alert_ids, *session_ids;
	struct kept heap[STREAM_ALERT_ROWS];
	size_t nheap;
	struct gm_map *pair_of;  /* "kind\nseverity" -> its place in pairs */
	struct pair *pairs;
	size_t npairs, paircap, named_pairs;
	struct gm_map *products;
	struct gm_map *days;     /* the day's 4 bytes -> struct day */
	uint64_t alerts, sessions, duplicates;
};

struct stream *stream_new(void)
{
	struct stream *s = gm_xcalloc(1, sizeof *s);
	s->alert_ids = gm_idset_new();
	s->session_ids = gm_idset_new();
	/* Room for every pair named apart and those of "(other kinds)",
	 * one a severity: never full, so never evicting. */
	s->pair_of = gm_map_new(sizeof(uint32_t), (size_t)1 << 20);
	s->products = gm_map_new(sizeof(struct product), STREAM_MAX_PRODUCTS);
	/* Every day of the years 0000 to 9999 (RFC 3339's) fits. */
	s->days = gm_map_new_keys(sizeof(struct day), (size_t)1 << 22, sizeof(int32_t));
	return s;
}

void stream_free(struct stream *s)
{
	if (!s)
		return;
	gm_idset_free(s->alert_ids);
	gm_idset_free(s->session_ids);
	for (size_t i = 0; i < s->nheap; i++)
		free(s->heap[i].block);
	for (size_t i = 0; i < s->npairs; i++) {
		free((char *)s->pairs[i].kind.p);
		free((char *)s->pairs[i].severity.p);
	}
	free(s->pairs);
	gm_map_free(s->pair_of);
	struct gm_map_iter it;
	gm_map_iter_init(&it, s->products, true);
	struct product *p;
	const char *key;
	size_t klen;
	while ((p = gm_map_iter_next(&it, &key, &klen))) {
		free((char *)p->category.p);
		free((char *)p->status.p);
	}
	gm_map_free(s->products);
	gm_map_free(s->days);
	free(s);
}

/* ---- alerts ---- */

/* a comes before b in the page's order: newer, or as new with the
 * smaller id. */
static bool before(const struct kept *a, const struct kept *b)
{
	if (a->ts != b->ts)
		return a->ts > b->ts;
	return gm_str_cmp(a->id, b->id) < 0;
}

/* The heap keeps its last in the page's order at the root. */
static void sift_down(struct kept *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, last = i;
		if (l < n && before(&h[last], &h[l]))
			last = l;
		if (r < n && before(&h[last], &h[r]))
			last = r;
		if (last == i)
			return;
		struct kept t = h[i];
		h[i] = h[last];
		h[last] = t;
		i = last;
	}
}

static void sift_up(struct kept *h, size_t i)
{
	while (i > 0) {
		size_t up = (i - 1) / 2;
		if (!before(&h[up], &h[i]))
			return;
		struct kept t = h[i];
		h[i] = h[up];
		h[up] = t;
		i = up;
	}
}

/* *k holding a's fields, its strings copied into one block. */
static void keep(struct kept *k, const struct stream_alert *a)
{
	const gm_str *in[5] = { &a->id, &a->kind, &a->severity, &a->source, &a->summary };
	gm_str *out[5] = { &k->id, &k->kind, &k->severity, &k->source, &k->summary };
	size_t n = 0;
	for (size_t i = 0; i < 5; i++)
		n += in[i]->n;
	k->block = gm_xcalloc(1, n + 1);
	char *p = k->block;
	for (size_t i = 0; i < 5; i++) {
		memcpy(p, in[i]->p, in[i]->n);
		*out[i] = (gm_str){ p, in[i]->n };
		p += in[i]->n;
	}
	k->ts = a->ts;
	k->resolved = a->resolved;
}

static gm_str copy_str(gm_str s)
{
	return s.p ? (gm_str){ gm_xstrndup(s.p, s.n), s.n } : s;
}

/* The counts of the alert's kind and severity. */
static struct pair *pair_for(struct stream *s, gm_str kind, gm_str severity)
{
	bool other = kind.n > STREAM_KIND_MAX;
	char key[GM_MAP_KEY_MAX];
	/* A severity is one of three short words (gm-events(5)); one cut
	 * to its first 8 bytes keeps every key in the map's room. */
	if (severity.n > 8)
		severity.n = 8;
	for (int pass = 0; pass < 2; pass++) {
		if (other)
			kind = (gm_str){ STREAM_OTHER_KINDS, sizeof STREAM_OTHER_KINDS - 1 };
		memcpy(key, kind.p, kind.n);
		key[kind.n] = '\n';
		memcpy(key + kind.n + 1, severity.p, severity.n);
		size_t klen = kind.n + 1 + severity.n;
		uint32_t *at = gm_map_peek(s->pair_of, key, klen);
		if (at)
			return &s->pairs[*at];
		if (!other && s->named_pairs == STREAM_ALERT_PAIRS) {
			other = true;
			continue;
		}
		bool created;
		at = gm_map_put(s->pair_of, key, klen, &created);
		s->pairs = gm_grow(s->pairs, &s->paircap, s->npairs + 1, sizeof *s->pairs, 16);
		s->pairs[s->npairs] = (struct pair){
			.kind = copy_str(kind), .severity = copy_str(severity),
		};
		s->named_pairs += !other;
		*at = (uint32_t)s->npairs;
		return &s->pairs[s->npairs++];
	}
	abort();  /* the second pass always finds or makes "(other kinds)" */
}

void stream_alert(struct stream *s, const struct stream_alert *a)
{
	if (!gm_idset_add(s->alert_ids, a->id.p, a->id.n)) {
		s->duplicates++;
		return;
	}
	s->alerts++;
	struct pair *p = pair_for(s, a->kind, a->severity);
	if (a->resolved)
		p->resolved++;
	else
		p->firing++;
	struct kept k = { .ts = a->ts, .id = a->id };
	if (s->nheap < STREAM_ALERT_ROWS) {
		keep(&s->heap[s->nheap], a);
		sift_up(s->heap, s->nheap++);
	} else if (before(&k, &s->heap[0])) {
		free(s->heap[0].block);
		keep(&s->heap[0], a);
		sift_down(s->heap, s->nheap, 0);
	}
}

/* ---- products ---- */

bool stream_inventory(struct stream *s, gm_str product, int64_t ts, gm_str category,
	int64_t on_hand, gm_str status, const char **why)
{
	if (product.n > GM_MAP_KEY_MAX) {
		*why = "product_id is longer than the 64 bytes gm-report keeps";
		return false;
	}
	struct product *p = gm_map_peek(s->products, product.p, product.n);
	if (!p) {
		if (gm_map_size(s->products) == STREAM_MAX_PRODUCTS) {
			*why = "one product more than the 10000000 gm-report keeps";
			return false;
		}
		bool created;
		p = gm_map_put(s->products, product.p, product.n, &created);
		p->ts = INT64_MIN;
	}
	if (ts < p->ts)
		return true;
	free((char *)p->category.p);
	free((char *)p->status.p);
	*p = (struct product){
		.ts = ts, .on_hand = on_hand, .category = copy_str(category), .status = copy_str(status),
	};
	return true;
}

/* ---- sessions ---- */

bool stream_session(struct stream *s, gm_str id, int64_t start, int64_t cart_adds,
	bool converted, int64_t transactions, int64_t cents, const char **why)
{
	if (gm_idset_has(s->session_ids, id.p, id.n)) {
		s->duplicates++;
		return true;
	}
	int32_t d = day_of_ts(start);
	bool created;
	struct day *row = gm_map_put(s->days, (const char *)&d, sizeof d, &created);
	int64_t tx, money;
	if (transactions < 0 || __builtin_add_overflow(row->transactions, transactions, &tx) ||
			!gm_money_add(row->cents, cents, &money)) {
		if (created)
			gm_map_remove(s->days, (const char *)&d, sizeof d);
		*why = "the sums of its day would pass 2^63 - 1";
		return false;
	}
	gm_idset_add(s->session_ids, id.p, id.n);
	s->sessions++;
	row->day = d;
	row->sessions++;
	row->carts += cart_adds > 0;
	row->converted += converted;
	row->transactions = tx;
	row->cents = money;
	return true;
}

struct stream_counts stream_counts(const struct stream *s)
{
	return (struct stream_counts){
		.alerts = s->alerts, .products = gm_map_size(s->products), .sessions = s->sessions,
		.days = gm_map_size(s->days), .duplicates = s->duplicates,
	};
}

/* ---- the page's data ---- */

static int by_order(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;
	return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

static int by_pair(const void *a, const void *b)
{
	const struct pair *x = *(const struct pair *const *)a, *y = *(const struct pair *const *)b;
	int c = gm_str_cmp(x->kind, y->kind);
	return c ? c : gm_str_cmp(x->severity, y->severity);
}

static void write_alerts(const struct stream *s, struct gm_writer *w)
{
	struct kept *rows = gm_xcalloc(s->nheap + 1, sizeof *rows);
	memcpy(rows, s->heap, s->nheap * sizeof *rows);
	if (s->nheap > 1)  /* an empty table is NULL, which qsort() may not be given */
		qsort(rows, s->nheap, sizeof *rows, by_order);
	gm_w_obj_begin(w);
	GM_W_KEY(w, "rows");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < s->nheap; i++) {
		const struct kept *k = &rows[i];
		gm_w_arr_begin(w);
		gm_w_ts(w, k->ts);
		gm_w_str(w, k->kind.p, k->kind.n);
		gm_w_str(w, k->severity.p, k->severity.n);
		gm_w_str(w, k->source.p, k->source.n);
		gm_w_cstr(w, k->resolved ? "resolved" : "firing");
		gm_w_str(w, k->summary.p, k->summary.n);
		gm_w_arr_end(w);
	}
	gm_w_arr_end(w);
	free(rows);
	GM_W_KU64(w, "total", s->alerts);
	const struct pair **pairs = gm_xcalloc(s->npairs + 1, sizeof *pairs);
	for (size_t i = 0; i < s->npairs; i++)
		pairs[i] = &s->pairs[i];
	if (s->npairs > 1)  /* an empty table is NULL, which qsort() may not be given */
		qsort(pairs, s->npairs, sizeof *pairs, by_pair);
	GM_W_KEY(w, "counts");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < s->npairs; i++) {
		gm_w_arr_begin(w);
		gm_w_str(w, pairs[i]->kind.p, pairs[i]->kind.n);
		gm_w_str(w, pairs[i]->severity.p, pairs[i]->severity.n);
		gm_w_u64(w, pairs[i]->firing);
		gm_w_u64(w, pairs[i]->resolved);
		gm_w_arr_end(w);
	}
	gm_w_arr_end(w);
	free(pairs);
	gm_w_obj_end(w);
}

struct product_at {
	gm_str id;
	const struct product *p;
};

static int by_id(const void *a, const void *b)
{
	return gm_str_cmp(((const struct product_at *)a)->id, ((const struct product_at *)b)->id);
}

static void write_inventory(const struct stream *s, struct gm_writer *w)
{
	size_t n = gm_map_size(s->products), i = 0;
	struct product_at *at = gm_xcalloc(n + 1, sizeof *at);
	struct gm_map_iter it;
	gm_map_iter_init(&it, s->products, true);
	const struct product *p;
	const char *key;
	size_t klen;
	while ((p = gm_map_iter_next(&it, &key, &klen)))
		at[i++] = (struct product_at){ { key, klen }, p };
	if (n > 1)  /* an empty table is NULL, which qsort() may not be given */
		qsort(at, n, sizeof *at, by_id);
	gm_w_obj_begin(w);
	GM_W_KEY(w, "rows");
	gm_w_arr_begin(w);
	for (i = 0; i < n; i++) {
		gm_w_arr_begin(w);
		gm_w_str(w, at[i].id.p, at[i].id.n);
		const struct product *p = at[i].p;
		if (p->category.p)
			gm_w_str(w, p->category.p, p->category.n);
		else
			gm_w_json(w, "null", 4);
		gm_w_i64(w, p->on_hand);
		gm_w_str(w, p->status.p, p->status.n);
		gm_w_arr_end(w);
	}
	gm_w_arr_end(w);
	gm_w_obj_end(w);
	free(at);
}

static int by_day(const void *a, const void *b)
{
	int32_t x = (*(const struct day *const *)a)->day, y = (*(const struct day *const *)b)->day;
	return (x > y) - (x < y);
}

static void write_sessions(const struct stream *s, struct gm_writer *w)
{
	size_t n = gm_map_size(s->days), i = 0;
	const struct day **days = gm_xcalloc(n + 1, sizeof *days);
	struct gm_map_iter it;
	gm_map_iter_init(&it, s->days, true);
	const struct day *d;
	const char *key;
	size_t klen;
	while ((d = gm_map_iter_next(&it, &key, &klen)))
		days[i++] = d;
	if (n > 1)  /* an empty table is NULL, which qsort() may not be given */
		qsort(days, n, sizeof *days, by_day);
	gm_w_obj_begin(w);
	GM_W_KEY(w, "rows");
	gm_w_arr_begin(w);
	for (i = 0; i < n; i++) {
		char date[11];
		format_day(days[i]->day, date);
		gm_w_arr_begin(w);
		gm_w_cstr(w, date);
		gm_w_u64(w, days[i]->sessions);
		gm_w_u64(w, days[i]->carts);
		gm_w_u64(w, days[i]->converted);
		gm_w_i64(w, days[i]->transactions);
		gm_w_i64(w, days[i]->cents);
		gm_w_arr_end(w);
	}
	gm_w_arr_end(w);
	gm_w_obj_end(w);
	free(days);
}

void stream_write(const struct stream *s, struct gm_writer *w)
{
	GM_W_KEY(w, "alerts");
	if (s)
		write_alerts(s, w);
	else
		gm_w_json(w, "null", 4);
	GM_W_KEY(w, "inventory");
	if (s)
		write_inventory(s, w);
	else
		gm_w_json(w, "null", 4);
	GM_W_KEY(w, "sessions");
	if (s)
		write_sessions(s, w);
	else
		gm_w_json(w, "null", 4);
}

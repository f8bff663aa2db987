/* query: see query.h. Each function here is the one of page/report.js
 * whose name it gives, over the same decoded tables, in integers where
 * the page's numbers are whole; a change to one is a change to the
 * other (tests/sh/gm-report-api.sh compares them in Chromium). */
#include "query.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "calendar.h"
#include "mem.h"
#include "text.h"

/* A table of numbers (gm-report(1), DATA), decoded: n rows of width. */
struct table {
	size_t n, width;
	int64_t *v;
};

#define AT(t, i, j) ((t)->v[(size_t)(i) * (t)->width + (j)])

/* The buyers decoded (report.js, decodeBuyers): group g holds customers
 * cust_first[g] .. cust_first[g + 1] - 1, customer u its purchase days
 * pd_first[u] .. pd_first[u + 1] - 1, purchase day p is day pd_day[p]
 * with categories cat[cat_first[p] .. cat_first[p + 1] - 1]; canon[u]
 * the number (0 .. multi - 1) of a customer who is in two groups, the
 * same in each, else -1 (report.js keeps the first entry's place; a
 * number of its own keeps a request's arrays of them small). */
struct buyers {
	size_t groups, customers, days, cats;
	int32_t *group_c, *group_s;
	int32_t *cust_first, *pd_first, *pd_day, *cat_first, *cat;
	int32_t *canon;
	size_t multi;  /* the customers of two groups or more: canon's 0 .. multi-1 */
	size_t custcap, pdcap, catfirstcap, catcap;
};

/* A list of JSON values: an array's, or none. */
struct list {
	yajl_val *v;
	size_t n;
};

struct query {
	char *json;
	size_t len;
	yajl_val root;
	int32_t day0;  /* days since 1970 of the first day */
	int64_t ndays;
	struct list countries, regions, categories, segments, products, snapshots, migration;
	yajl_val alerts, inventory, sessions;  /* NULL: absent */
	struct table sales, perf, product_days;
	struct buyers b;
	/* each day's period of each grain, and the periods' labels */
	int32_t *period[G_NGRAINS];
	char (*label[G_NGRAINS])[11];
};

/* ---- decoding ---- */

static yajl_val member(yajl_val obj, const char *key)
{
	if (!YAJL_IS_OBJECT(obj))
		return NULL;
	for (size_t i = 0; i < obj->u.object.len; i++)
		if (!strcmp(obj->u.object.keys[i], key))
			return obj->u.object.values[i];
	return NULL;
}

static struct list list_of(yajl_val v)
{
	return YAJL_IS_ARRAY(v) ? (struct list){ v->u.array.values, v->u.array.len }
		: (struct list){ NULL, 0 };
}

/* A list of strings, or false. */
static bool strings(yajl_val obj, const char *key, struct list *out)
{
	yajl_val v = member(obj, key);
	if (!YAJL_IS_ARRAY(v))
		return false;
	*out = list_of(v);
	for (size_t i = 0; i < out->n; i++)
		if (!YAJL_IS_STRING(out->v[i]))
			return false;
	return true;
}

static const char *str_at(const struct list *l, size_t i)
{
	return l->v[i]->u.string;
}

static int digit36(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A' + 10;
	return -1;
}

/* A base-36 number at *p up to one of the bytes in stop (or the end);
 * false when there is none or a byte is not a digit. */
static bool number36(const char **p, const char *stop, bool sign, int64_t *out)
{
	const char *s = *p;
	bool neg = sign && *s == '-';
	s += neg;
	const char *start = s;
	uint64_t v = 0;
	for (; *s && !strchr(stop, *s); s++) {
		int d = digit36((unsigned char)*s);
		if (d < 0 || v > (UINT64_MAX - 35) / 36)
			return false;
		v = v * 36 + (uint64_t)d;
	}
	if (s == start || v > INT64_MAX)
		return false;
	*out = neg ? -(int64_t)v : (int64_t)v;
	*p = s;
	return true;
}

/* report.js, decodeRows. */
static bool decode_rows(yajl_val data, const char *key, size_t width, struct table *t)
{
	yajl_val v = member(data, key);
	if (!YAJL_IS_STRING(v))
		return false;
	const char *s = v->u.string;
	t->width = width;
	t->n = *s ? 1 : 0;
	for (const char *c = s; *c; c++)
		t->n += *c == ' ';
	t->v = gm_xcalloc(t->n * width + 1, sizeof *t->v);
	int64_t prev[8] = { 0 };
	for (size_t r = 0; r < t->n; r++) {
		int64_t same;
		if (!number36(&s, ", ", false, &same) || same < 0 || (size_t)same >= width)
			return false;
		for (size_t j = (size_t)same; j < width; j++) {
			int64_t x;
			if (*s++ != ',' || !number36(&s, ", ", true, &x))
				return false;
			prev[j] = j == 0 ? prev[0] + x : x;
		}
		memcpy(&AT(t, r, 0), prev, width * sizeof *prev);
		if (*s && *s++ != ' ')
			return false;
	}
	return !*s;
}

/* report.js, decodeBuyers. */
static bool decode_buyers(struct query *q, yajl_val data)
{
	struct buyers *b = &q->b;
	struct list groups = list_of(member(data, "buyers")), same = list_of(member(data, "same"));
	b->groups = groups.n;
	b->group_c = gm_xcalloc(groups.n + 1, sizeof *b->group_c);
	b->group_s = gm_xcalloc(groups.n + 1, sizeof *b->group_s);
	b->cust_first = gm_xcalloc(groups.n + 1, sizeof *b->cust_first);
	for (size_t g = 0; g < groups.n; g++) {
		struct list gv = list_of(groups.v[g]);
		if (gv.n != 3 || !YAJL_IS_INTEGER(gv.v[0]) || !YAJL_IS_INTEGER(gv.v[1]) ||
			!YAJL_IS_STRING(gv.v[2]))
			return false;
		long long c = YAJL_GET_INTEGER(gv.v[0]), s = YAJL_GET_INTEGER(gv.v[1]);
		if (c < 0 || (size_t)c >= q->countries.n || s < 0 || (size_t)s >= q->segments.n)
			return false;
		b->group_c[g] = (int32_t)c;
		b->group_s[g] = (int32_t)s;
		b->cust_first[g] = (int32_t)b->customers;
		const char *p = gv.v[2]->u.string;
		int64_t before = 0;  /* the first day of the customer before */
		while (*p) {
			b->pd_first = gm_grow(b->pd_first, &b->custcap, b->customers + 2,
				sizeof *b->pd_first, 1024);
			b->pd_first[b->customers++] = (int32_t)b->days;
			int64_t day = before;
			for (bool first = true;; first = false) {
				int64_t delta;
				if (!number36(&p, ":", false, &delta) || *p++ != ':')
					return false;
				day += delta;
				if (first)
					before = day;
				if (day < 0 || day >= q->ndays)
					return false;
				b->pd_day = gm_grow(b->pd_day, &b->pdcap, b->days + 2, sizeof *b->pd_day, 1024);
				b->cat_first = gm_grow(b->cat_first, &b->catfirstcap, b->days + 2,
					sizeof *b->cat_first, 1024);
				b->pd_day[b->days] = (int32_t)day;
				b->cat_first[b->days] = (int32_t)b->cats;
				for (;;) {
					int64_t k;
					if (!number36(&p, "., ", false, &k) || (size_t)k >= q->categories.n)
						return false;
					b->cat = gm_grow(b->cat, &b->catcap, b->cats + 1, sizeof *b->cat, 1024);
					b->cat[b->cats++] = (int32_t)k;
					if (*p != '.')
						break;
					p++;
				}
				b->days++;
				if (*p != ',')
					break;
				p++;
			}
			if (*p && *p++ != ' ')
				return false;
		}
	}
	b->cust_first[groups.n] = (int32_t)b->customers;
	b->pd_first = gm_grow(b->pd_first, &b->custcap, b->customers + 1, sizeof *b->pd_first, 1024);
	b->pd_first[b->customers] = (int32_t)b->days;
	b->cat_first = gm_grow(b->cat_first, &b->catfirstcap, b->days + 1, sizeof *b->cat_first,
		1024);
	b->cat_first[b->days] = (int32_t)b->cats;
	b->canon = gm_xcalloc(b->customers + 1, sizeof *b->canon);
	for (size_t u = 0; u < b->customers; u++)
		b->canon[u] = -1;
	for (size_t i = 0; i < same.n; i++) {
		struct list s = list_of(same.v[i]);
		long long v[4];
		if (s.n != 4)
			return false;
		for (int j = 0; j < 4; j++) {
			if (!YAJL_IS_INTEGER(s.v[j]) || YAJL_GET_INTEGER(s.v[j]) < 0)
				return false;
			v[j] = YAJL_GET_INTEGER(s.v[j]);
		}
		if ((size_t)v[0] >= b->groups || (size_t)v[2] >= b->groups)
			return false;
		long long first = b->cust_first[v[0]] + v[1], later = b->cust_first[v[2]] + v[3];
		if (first >= b->cust_first[v[0] + 1] || later >= b->cust_first[v[2] + 1])
			return false;
		if (b->canon[first] < 0)
			b->canon[first] = (int32_t)b->multi++;
		b->canon[later] = b->canon[first];
	}
	return true;
}

/* Each table's numbers within what they index: an answer never reads
 * past an array, whatever the data. */
static bool rows_valid(const struct query *q)
{
	const int64_t nk = (int64_t)q->categories.n;
	for (size_t i = 0; i < q->sales.n; i++) {
		const int64_t *r = &AT(&q->sales, i, 0);
		if (r[0] < 0 || r[0] >= q->ndays || r[1] < 0 || r[1] >= (int64_t)q->countries.n ||
			r[2] < 0 || r[2] >= (int64_t)q->segments.n || r[3] < -1 || r[3] >= nk)
			return false;
	}
	for (size_t i = 0; i < q->perf.n; i++) {
		const int64_t *r = &AT(&q->perf, i, 0);
		if (r[0] < 0 || r[0] >= q->ndays || r[1] < 0 || r[1] >= nk)
			return false;
	}
	for (size_t i = 0; i < q->product_days.n; i++) {
		const int64_t *r = &AT(&q->product_days, i, 0);
		if (r[0] < 0 || r[0] >= q->ndays || r[1] < 0 || r[1] >= (int64_t)q->products.n)
			return false;
	}
	for (size_t i = 0; i < q->products.n; i++) {
		struct list p = list_of(q->products.v[i]);
		if (p.n != 3 || !YAJL_IS_STRING(p.v[0]) || !YAJL_IS_STRING(p.v[1]) ||
			!YAJL_IS_INTEGER(p.v[2]) || YAJL_GET_INTEGER(p.v[2]) < -1 ||
			YAJL_GET_INTEGER(p.v[2]) >= nk)
			return false;
	}
	return true;
}

/* report.js, buildPeriods: the label of day's period of grain g. */
static void period_label(enum grain g, int32_t day, char *out)
{
	if (g == G_WEEK) {
		int year, week;
		iso_week(day, &year, &week);
		snprintf(out, 11, "%04d-W%02d", year, week);
		return;
	}
	format_day(day, out);
	if (g == G_MONTH)
		out[7] = '\0';
}

static void build_periods(struct query *q)
{
	for (int g = 0; g < G_NGRAINS; g++) {
		q->period[g] = gm_xcalloc((size_t)q->ndays + 1, sizeof *q->period[g]);
		q->label[g] = gm_xcalloc((size_t)q->ndays + 1, sizeof *q->label[g]);
		int32_t n = 0;
		for (int64_t i = 0; i < q->ndays; i++) {
			char l[11];
			period_label((enum grain)g, q->day0 + (int32_t)i, l);
			if (!n || strcmp(q->label[g][n - 1], l))
				memcpy(q->label[g][n++], l, sizeof l);
			q->period[g][i] = n - 1;
		}
	}
}

static bool section(yajl_val data, const char *key, yajl_val *out)
{
	yajl_val v = member(data, key);
	*out = YAJL_IS_OBJECT(v) ? v : NULL;
	return YAJL_IS_OBJECT(v) || YAJL_IS_NULL(v) || !v;
}

static bool decode(struct query *q, const char **what)
{
	yajl_val d = q->root;
	struct list days;
	*what = "days";
	if (!strings(d, "days", &days))
		return false;
	q->ndays = (int64_t)days.n;
	for (size_t i = 0; i < days.n; i++) {
		int32_t day;
		if (!parse_day(str_at(&days, i), strlen(str_at(&days, i)), &day) ||
			(i && day != q->day0 + (int32_t)i))
			return false;
		if (!i)
			q->day0 = day;
	}
	*what = "names";
	if (!strings(d, "countries", &q->countries) || !strings(d, "regions", &q->regions) ||
		q->regions.n != q->countries.n || !strings(d, "categories", &q->categories) ||
		!strings(d, "segments", &q->segments))
		return false;
	*what = "tables";
	if (!decode_rows(d, "sales", 7, &q->sales) || !decode_rows(d, "perf", 8, &q->perf) ||
		!decode_rows(d, "product_days", 5, &q->product_days))
		return false;
	q->products = list_of(member(d, "products"));
	if (!rows_valid(q))
		return false;
	*what = "buyers";
	if (!decode_buyers(q, d))
		return false;
	*what = "snapshots";
	q->snapshots = list_of(member(d, "snapshots"));
	q->migration = list_of(member(d, "migration"));
	for (size_t i = 0; i < q->snapshots.n; i++) {
		yajl_val s = q->snapshots.v[i];
		yajl_val as_of = member(s, "as_of");
		struct list rows = list_of(member(s, "rows"));
		int32_t day;
		if (!YAJL_IS_STRING(as_of) || !parse_day(as_of->u.string, strlen(as_of->u.string), &day))
			return false;
		for (size_t j = 0; j < rows.n; j++) {
			struct list r = list_of(rows.v[j]);
			if (r.n != 8 || !YAJL_IS_STRING(r.v[0]) || !YAJL_IS_INTEGER(r.v[1]))
				return false;
		}
	}
	*what = "migration";
	for (size_t i = 0; i < q->migration.n; i++) {
		yajl_val m = q->migration.v[i];
		if (!YAJL_IS_STRING(member(m, "as_of")) || !YAJL_IS_STRING(member(m, "since")))
			return false;
		struct list rows = list_of(member(m, "rows"));
		for (size_t j = 0; j < rows.n; j++) {
			struct list r = list_of(rows.v[j]);
			if (r.n != 3 || !YAJL_IS_STRING(r.v[0]) || !YAJL_IS_STRING(r.v[1]) ||
				!YAJL_IS_INTEGER(r.v[2]))
				return false;
		}
	}
	*what = "streams";
	if (!section(d, "alerts", &q->alerts) || !section(d, "inventory", &q->inventory) ||
		!section(d, "sessions", &q->sessions))
		return false;
	build_periods(q);
	return true;
}

struct query *query_new(const char *json, size_t n, char *err, size_t errn)
{
	struct query *q = gm_xcalloc(1, sizeof *q);
	q->json = gm_xcalloc(n + 1, 1);
	memcpy(q->json, json, n);
	q->len = n;
	char yerr[256] = "";
	q->root = yajl_tree_parse(q->json, yerr, sizeof yerr);
	const char *what = "JSON";
	if (!q->root || !decode(q, &what)) {
		snprintf(err, errn, "the page's data is damaged (%s)%s%s", what, *yerr ? ": " : "", yerr);
		query_free(q);
		return NULL;
	}
	return q;
}

void query_free(struct query *q)
{
	if (!q)
		return;
	yajl_tree_free(q->root);
	free(q->json);
	free(q->sales.v);
	free(q->perf.v);
	free(q->product_days.v);
	struct buyers *b = &q->b;
	free(b->group_c);
	free(b->group_s);
	free(b->cust_first);
	free(b->pd_first);
	free(b->pd_day);
	free(b->cat_first);
	free(b->cat);
	free(b->canon);
	for (int g = 0; g < G_NGRAINS; g++) {
		free(q->period[g]);
		free(q->label[g]);
	}
	free(q);
}

/* ---- the filter ---- */

/* report.js's filter: from and to day indices as chosen (possibly
 * beyond the data), a country, category or segment index or -1. */
struct filter {
	int64_t from, to;
	long country, category, segment;
	enum grain grain;
	int64_t limit, offset;
};

/* A 400: its message into why and the error body. */
struct answer {
	struct gm_writer *w;
	char *why;
	size_t whyn;
};

static unsigned fail(struct answer *a, unsigned status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(a->why, a->whyn, fmt, ap);
	va_end(ap);
	gm_writer_reset(a->w);
	query_error(a->w, status, a->why);
	return status;
}

void query_error(struct gm_writer *w, unsigned status, const char *message)
{
	gm_w_obj_begin(w);
	GM_W_KEY(w, "error");
	gm_w_obj_begin(w);
	GM_W_KU64(w, "status", status);
	gm_w_kcstr(w, "message", message);
	gm_w_obj_end(w);
	gm_w_obj_end(w);
}

enum param { P_FROM, P_TO, P_DAYS, P_COUNTRY, P_CATEGORY, P_SEGMENT, P_GRAIN, P_LIMIT, P_OFFSET,
	P_N };
static const char *const param_names[P_N] = { "from", "to", "days", "country", "category",
	"segment", "grain", "limit", "offset" };

/* A value as a message shows it: cut, and its bytes outside printable
 * ASCII, its '\\' and '"' as \xHH, so that nothing a request sends
 * reaches a log raw (lib/text.h). buf has n > 4 bytes. */
static const char *shown(const char *v, char *buf, size_t n)
{
	bool cut;
	size_t o = gm_escape_bytes(buf, 0, n - 4, v, strlen(v), "\\\"", &cut);
	if (cut)
		memcpy(buf + o, "...", 4);
	return buf;
}

static bool whole(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	if (!*v || strlen(v) > 18)
		return false;
	int64_t x = 0;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		x = x * 10 + (*p - '0');
	}
	if (x < lo || x > hi)
		return false;
	*out = x;
	return true;
}

static long name_index(const struct list *names, const char *v)
{
	for (size_t i = 0; i < names->n; i++)
		if (!strcmp(str_at(names, i), v))
			return (long)i;
	return -1;
}

/* The parameters into f, as the page's form gives its filter (report.js,
 * readFilter); a 400 when one is not right. */
static unsigned parse_filter(const struct query *q, const struct query_arg *args, size_t nargs,
	struct filter *f, struct answer *a)
{
	const char *given[P_N] = { 0 };
	char buf[96];
	for (size_t i = 0; i < nargs; i++) {
		int p = 0;
		while (p < P_N && strcmp(args[i].key, param_names[p]))
			p++;
		if (p == P_N)
			return fail(a, 400, "unknown parameter \"%s\"", shown(args[i].key, buf, sizeof buf));
		if (given[p])
			return fail(a, 400, "parameter \"%s\" given twice", param_names[p]);
		if (!args[i].value)
			return fail(a, 400, "parameter \"%s\" without a value", param_names[p]);
		/* empty: the default, as the page's form sends an unset control */
		given[p] = *args[i].value ? args[i].value : "";
	}
	for (int p = 0; p < P_N; p++)
		if (given[p] && !*given[p] && p != P_COUNTRY && p != P_CATEGORY && p != P_SEGMENT)
			given[p] = NULL;
	*f = (struct filter){ 0, q->ndays - 1, -1, -1, -1, G_DAY, QUERY_LIMIT_DEFAULT, 0 };
	if (given[P_DAYS] && (given[P_FROM] || given[P_TO]))
		return fail(a, 400, "days goes without from and to");
	if (given[P_DAYS]) {
		int64_t days;
		if (!whole(given[P_DAYS], 1, 36600, &days))
			return fail(a, 400, "days \"%s\": a whole number from 1 to 36600",
				shown(given[P_DAYS], buf, sizeof buf));
		f->from = q->ndays - days;
	}
	for (int p = P_FROM; p <= P_TO; p++) {
		int32_t day;
		const char *v = given[p];
		if (!v)
			continue;
		if (!parse_day(v, strlen(v), &day))
			return fail(a, 400, "%s \"%s\": not a date YYYY-MM-DD", param_names[p],
				shown(v, buf, sizeof buf));
		*(p == P_FROM ? &f->from : &f->to) = (int64_t)day - q->day0;
	}
	if (f->from > f->to && (given[P_FROM] || given[P_TO]))
		return fail(a, 400, "from is after to");
	const struct { int p; const struct list *names; long *at; } names[] = {
		{ P_COUNTRY, &q->countries, &f->country },
		{ P_CATEGORY, &q->categories, &f->category },
		{ P_SEGMENT, &q->segments, &f->segment },
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *v = given[names[i].p];
		if (!v || !*v)
			continue;
		if ((*names[i].at = name_index(names[i].names, v)) < 0)
			return fail(a, 400, "no such %s \"%s\"", param_names[names[i].p],
				shown(v, buf, sizeof buf));
	}
	/* report.js, autoGrain */
	f->grain = f->to - f->from + 1 <= 92 ? G_DAY : G_WEEK;
	if (given[P_GRAIN]) {
		int g = 0;
		while (g < G_NGRAINS && strcmp(given[P_GRAIN], grain_names[g]))
			g++;
		if (g == G_NGRAINS)
			return fail(a, 400, "grain \"%s\": day, week or month",
				shown(given[P_GRAIN], buf, sizeof buf));
		f->grain = (enum grain)g;
	}
	if (given[P_LIMIT] && !whole(given[P_LIMIT], 1, QUERY_LIMIT_MAX, &f->limit))
		return fail(a, 400, "limit \"%s\": a whole number from 1 to %d",
			shown(given[P_LIMIT], buf, sizeof buf), QUERY_LIMIT_MAX);
	if (given[P_OFFSET] && !whole(given[P_OFFSET], 0, INT32_MAX, &f->offset))
		return fail(a, 400, "offset \"%s\": a whole number from 0 to %d",
			shown(given[P_OFFSET], buf, sizeof buf), INT32_MAX);
	return 200;
}

/* ---- the model (report.js, computeModel) ---- */

/* report.js, rangeOf */
struct range {
	int64_t lo, hi, plo, phi;
	bool empty, has_prev;
};

static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static struct range range_of(int64_t n, int64_t from, int64_t to)
{
	int64_t len = to - from + 1;
	struct range r = { max64(from, 0), min64(to, n - 1), max64(from - len, 0),
		min64(from - 1, n - 1), false, false };
	r.empty = r.lo > r.hi;
	r.has_prev = len > 0 && r.plo <= r.phi;
	return r;
}

struct totals {
	int64_t cents, orders, units;
};

/* report.js, sumSales */
struct sales {
	struct totals cur, prev;
	int64_t *day_cents, *day_orders, *day_units;  /* by day */
	int64_t *country_cents, *country_orders;
	int64_t *cat_cents, *cat_orders, *cat_units;
};

static void sum_sales(const struct query *q, const struct filter *f, const struct range *r,
	struct sales *o)
{
	size_t n = (size_t)q->ndays, nc = q->countries.n, nk = q->categories.n;
	*o = (struct sales){
		.day_cents = gm_xcalloc(n + 1, sizeof(int64_t)),
		.day_orders = gm_xcalloc(n + 1, sizeof(int64_t)),
		.day_units = gm_xcalloc(n + 1, sizeof(int64_t)),
		.country_cents = gm_xcalloc(nc + 1, sizeof(int64_t)),
		.country_orders = gm_xcalloc(nc + 1, sizeof(int64_t)),
		.cat_cents = gm_xcalloc(nk + 1, sizeof(int64_t)),
		.cat_orders = gm_xcalloc(nk + 1, sizeof(int64_t)),
		.cat_units = gm_xcalloc(nk + 1, sizeof(int64_t)),
	};
	for (size_t i = 0; i < q->sales.n; i++) {
		const int64_t *s = &AT(&q->sales, i, 0);
		int64_t d = s[0], c = s[1], seg = s[2], k = s[3];
		bool in_cur = d >= r->lo && d <= r->hi;
		if (!in_cur && !(d >= r->plo && d <= r->phi))
			continue;
		if ((f->country >= 0 && c != f->country) || (f->segment >= 0 && seg != f->segment))
			continue;
		if (in_cur && k >= 0) {
			o->cat_cents[k] += s[4];
			o->cat_orders[k] += s[5];
			o->cat_units[k] += s[6];
		}
		if (k != f->category)
			continue;
		struct totals *t = in_cur ? &o->cur : &o->prev;
		t->cents += s[4];
		t->orders += s[5];
		t->units += s[6];
		if (!in_cur)
			continue;
		o->day_cents[d] += s[4];
		o->day_orders[d] += s[5];
		o->day_units[d] += s[6];
		o->country_cents[c] += s[4];
		o->country_orders[c] += s[5];
	}
}

static void sales_free(struct sales *o)
{
	free(o->day_cents);
	free(o->day_orders);
	free(o->day_units);
	free(o->country_cents);
	free(o->country_orders);
	free(o->cat_cents);
	free(o->cat_orders);
	free(o->cat_units);
}

/* report.js, countBuyers */
struct people {
	int64_t cur, prev;
	int64_t *by_country, *by_segment, *by_period;
	int64_t p0;  /* the range's first period */
};

static bool has_category(const struct buyers *b, size_t p, int64_t k)
{
	for (int32_t j = b->cat_first[p]; j < b->cat_first[p + 1]; j++)
		if (b->cat[j] == k)
			return true;
	return false;
}

static int by_pair(const void *x, const void *y)
{
	const int64_t *a = x, *b = y;
	return a[0] != b[0] ? (a[0] > b[0]) - (a[0] < b[0]) : (a[1] > b[1]) - (a[1] < b[1]);
}

static void count_buyers(const struct query *q, const struct filter *f, const struct range *r,
	struct people *o)
{
	const struct buyers *b = &q->b;
	const int32_t *of = q->period[f->grain];
	o->p0 = r->empty ? 0 : of[r->lo];
	int64_t nperiods = r->empty ? 0 : of[r->hi] - o->p0 + 1;
	o->cur = o->prev = 0;
	o->by_country = gm_xcalloc(q->countries.n + 1, sizeof *o->by_country);
	o->by_segment = gm_xcalloc(q->segments.n + 1, sizeof *o->by_segment);
	o->by_period = gm_xcalloc((size_t)nperiods + 1, sizeof *o->by_period);
	int64_t first = min64(r->lo, r->plo);
	/* A customer of two groups: merged at its first entry, counted once
	 * after: now/before/seen as bits, its segment, its periods as pairs. */
	uint8_t *multi = gm_xcalloc(b->multi + 1, 1);
	int32_t *multi_seg = gm_xcalloc(b->multi + 1, sizeof *multi_seg);
	int64_t (*pairs)[2] = NULL;
	size_t npairs = 0, paircap = 0;
	int64_t *seen = gm_xcalloc((size_t)nperiods + 1, sizeof *seen);
	for (size_t g = 0; g < b->groups; g++) {
		int32_t c = b->group_c[g], s = b->group_s[g];
		if ((f->country >= 0 && c != f->country) || (f->segment >= 0 && s != f->segment))
			continue;
		for (int32_t u = b->cust_first[g]; u < b->cust_first[g + 1]; u++) {
			bool now = false, before = false;
			int64_t last_period = -1;
			size_t nseen = 0;
			for (int32_t p = b->pd_first[u]; p < b->pd_first[u + 1]; p++) {
				int64_t d = b->pd_day[p];
				if (d > r->hi)
					break;
				if (d < first)
					continue;
				if (f->category >= 0 && !has_category(b, (size_t)p, f->category))
					continue;
				if (d >= r->lo) {
					now = true;
					int64_t qd = of[d];
					if (qd != last_period) {
						seen[nseen++] = qd;
						last_period = qd;
					}
				} else if (d >= r->plo && d <= r->phi)
					before = true;
			}
			int32_t canon = b->canon[u];
			if (canon >= 0) {
				if (!(multi[canon] & 4))
					multi_seg[canon] = s;
				multi[canon] |= 4 | (now ? 1 : 0) | (before ? 2 : 0);
				for (size_t i = 0; i < nseen; i++) {
					pairs = gm_grow(pairs, &paircap, npairs + 1, sizeof *pairs, 256);
					pairs[npairs][0] = canon;
					pairs[npairs++][1] = seen[i];
				}
				if (now)
					o->by_country[c]++;
				continue;
			}
			for (size_t i = 0; i < nseen; i++)
				o->by_period[seen[i] - o->p0]++;
			if (now) {
				o->cur++;
				o->by_country[c]++;
				o->by_segment[s]++;
			}
			if (before)
				o->prev++;
		}
	}
	if (npairs > 1)
		qsort(pairs, npairs, sizeof *pairs, by_pair);
	for (size_t i = 0; i < npairs; i++)
		if (!i || by_pair(pairs[i - 1], pairs[i]))
			o->by_period[pairs[i][1] - o->p0]++;
	for (size_t u = 0; u < b->multi; u++) {
		if (multi[u] & 1) {
			o->cur++;
			o->by_segment[multi_seg[u]]++;
		}
		if (multi[u] & 2)
			o->prev++;
	}
	free(seen);
	free(pairs);
	free(multi_seg);
	free(multi);
}

static void people_free(struct people *o)
{
	free(o->by_country);
	free(o->by_segment);
	free(o->by_period);
}

/* report.js, aovCents: cents / orders rounded half away from zero; false
 * without orders. */
static bool aov(int64_t cents, int64_t orders, int64_t *out)
{
	if (orders <= 0)
		return false;
	__int128 a = cents < 0 ? -(__int128)cents : cents;
	int64_t v = (int64_t)((2 * a + orders) / (2 * (__int128)orders));
	*out = cents < 0 ? -v : v;
	return true;
}

static void w_null(struct gm_writer *w)
{
	gm_w_json(w, "null", 4);
}

static void w_aov(struct gm_writer *w, int64_t cents, int64_t orders)
{
	int64_t v;
	if (aov(cents, orders, &v))
		gm_w_money(w, v);
	else
		w_null(w);
}

static void w_day(struct gm_writer *w, int64_t index, const struct query *q)
{
	char d[11];
	format_day(q->day0 + (int32_t)index, d);
	gm_w_str(w, d, 10);
}

static void w_filter(struct gm_writer *w, const struct query *q, const struct filter *f)
{
	GM_W_KEY(w, "filter");
	gm_w_obj_begin(w);
	GM_W_KEY(w, "from");
	if (q->ndays)
		w_day(w, f->from, q);
	else
		w_null(w);
	GM_W_KEY(w, "to");
	if (q->ndays)
		w_day(w, f->to, q);
	else
		w_null(w);
	const struct { const char *key; long at; const struct list *names; } names[] = {
		{ "country", f->country, &q->countries },
		{ "category", f->category, &q->categories },
		{ "segment", f->segment, &q->segments },
	};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		gm_w_key(w, names[i].key);
		if (names[i].at >= 0)
			gm_w_cstr(w, str_at(names[i].names, (size_t)names[i].at));
		else
			w_null(w);
	}
	gm_w_kcstr(w, "grain", grain_names[f->grain]);
	gm_w_obj_end(w);
}

/* A list's slice: total, limit, offset, and the rows' range. */
static void w_page(struct gm_writer *w, const struct filter *f, size_t total, size_t *lo,
	size_t *hi)
{
	GM_W_KU64(w, "total", total);
	GM_W_KI64(w, "limit", f->limit);
	GM_W_KI64(w, "offset", f->offset);
	*lo = (uint64_t)f->offset < total ? (size_t)f->offset : total;
	*hi = total - *lo > (size_t)f->limit ? *lo + (size_t)f->limit : total;
}

/* One KPI: its value, the previous period's and the change
 * (report.js, kpiOf). */
static void w_kpi(struct gm_writer *w, const char *key, bool money, bool has, int64_t cur,
	bool has_prev, int64_t prev)
{
	gm_w_key(w, key);
	gm_w_obj_begin(w);
	const int64_t v[2] = { cur, prev };
	const bool present[2] = { has, has_prev };
	static const char *const names[2] = { "value", "previous" };
	for (int i = 0; i < 2; i++) {
		gm_w_key(w, names[i]);
		if (!present[i])
			w_null(w);
		else if (money)
			gm_w_money(w, v[i]);
		else
			gm_w_i64(w, v[i]);
	}
	GM_W_KEY(w, "change");
	if (has && has_prev && prev != 0)
		gm_w_ratio(w, (__int128)cur - prev, prev);
	else
		w_null(w);
	gm_w_obj_end(w);
}

static void answer_kpis(const struct query *q, const struct filter *f, struct gm_writer *w)
{
	struct range r = range_of(q->ndays, f->from, f->to);
	struct sales s;
	struct people p;
	sum_sales(q, f, &r, &s);
	count_buyers(q, f, &r, &p);
	GM_W_KEY(w, "kpis");
	gm_w_obj_begin(w);
	w_kpi(w, "revenue", true, true, s.cur.cents, r.has_prev, s.prev.cents);
	w_kpi(w, "orders", false, true, s.cur.orders, r.has_prev, s.prev.orders);
	w_kpi(w, "customers", false, true, p.cur, r.has_prev, p.prev);
	int64_t a = 0, b = 0;
	bool has_a = aov(s.cur.cents, s.cur.orders, &a), has_b = aov(s.prev.cents, s.prev.orders, &b);
	w_kpi(w, "avg_order_value", true, has_a, a, r.has_prev && has_b, b);
	gm_w_obj_end(w);
	sales_free(&s);
	people_free(&p);
}

/* report.js, trendOf */
static void answer_sales_trends(const struct query *q, const struct filter *f,
	struct gm_writer *w)
{
	struct range r = range_of(q->ndays, f->from, f->to);
	struct sales s;
	struct people p;
	sum_sales(q, f, &r, &s);
	count_buyers(q, f, &r, &p);
	const int32_t *of = q->period[f->grain];
	size_t np = r.empty ? 0 : (size_t)(of[r.hi] - p.p0 + 1);
	struct totals *t = gm_xcalloc(np + 1, sizeof *t);
	for (int64_t d = r.lo; !r.empty && d <= r.hi; d++) {
		struct totals *x = &t[of[d] - p.p0];
		x->cents += s.day_cents[d];
		x->orders += s.day_orders[d];
		x->units += s.day_units[d];
	}
	size_t lo, hi;
	w_page(w, f, np, &lo, &hi);
	GM_W_KEY(w, "rows");
	gm_w_arr_begin(w);
	for (size_t i = lo; i < hi; i++) {
		gm_w_obj_begin(w);
		gm_w_kcstr(w, "period", q->label[f->grain][p.p0 + (int64_t)i]);
		GM_W_KMONEY(w, "revenue", t[i].cents);
		GM_W_KI64(w, "orders", t[i].orders);
		GM_W_KI64(w, "units", t[i].units);
		GM_W_KI64(w, "customers", p.by_period[i]);
		GM_W_KEY(w, "avg_order_value");
		w_aov(w, t[i].cents, t[i].orders);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	free(t);
	sales_free(&s);
	people_free(&p);
}

/* Rows by value, largest first, equal ones in their order: the
 * page's tables as they open (a stable sort, descending). The rows are
 * places in ctx's values, in the order the page lists them. */
static int by_value_desc(const void *x, const void *y, void *ctx)
{
	const int64_t *v = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	if (v[a] != v[b])
		return v[a] < v[b] ? 1 : -1;
	return (a > b) - (a < b);
}

static void sort_desc(size_t *rows, size_t n, const int64_t *values)
{
	if (n > 1)
		qsort_r(rows, n, sizeof *rows, by_value_desc, (void *)values);
}

static size_t *places(size_t n)
{
	size_t *p = gm_xcalloc(n + 1, sizeof *p);
	for (size_t i = 0; i < n; i++)
		p[i] = i;
	return p;
}

/* report.js, countryRows, as the table opens: revenue descending. */
static void answer_countries(const struct query *q, const struct filter *f, struct gm_writer *w)
{
	struct range r = range_of(q->ndays, f->from, f->to);
	struct sales s;
	struct people p;
	sum_sales(q, f, &r, &s);
	count_buyers(q, f, &r, &p);
	size_t *rows = places(q->countries.n), n = 0;
	for (size_t c = 0; c < q->countries.n; c++)
		if (f->country < 0 || (long)c == f->country)
			rows[n++] = c;
	sort_desc(rows, n, s.country_cents);
	size_t lo, hi;
	w_page(w, f, n, &lo, &hi);
	GM_W_KEY(w, "rows");
	gm_w_arr_begin(w);
	for (size_t i = lo; i < hi; i++) {
		size_t c = rows[i];
		gm_w_obj_begin(w);
		gm_w_kcstr(w, "country", str_at(&q->countries, c));
		gm_w_kcstr(w, "region", str_at(&q->regions, c));
		GM_W_KMONEY(w, "revenue", s.country_cents[c]);
		GM_W_KI64(w, "orders", s.country_orders[c]);
		GM_W_KEY(w, "avg_order_value");
		w_aov(w, s.country_cents[c], s.country_orders[c]);
		GM_W_KI64(w, "customers", p.by_country[c]);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	free(rows);
	sales_free(&s);
	people_free(&p);
}

/* The category funnel over the range (report.js, sumFunnel). */
struct funnel {
	int64_t *views, *adds, *removes, *orders;
};

static void sum_funnel(const struct query *q, const struct range *r, struct funnel *o)
{
	size_t nk = q->categories.n + 1;
	*o = (struct funnel){ gm_xcalloc(nk, sizeof(int64_t)), gm_xcalloc(nk, sizeof(int64_t)),
		gm_xcalloc(nk, sizeof(int64_t)), gm_xcalloc(nk, sizeof(int64_t)) };
	for (size_t i = 0; i < q->perf.n; i++) {
		const int64_t *x = &AT(&q->perf, i, 0);
		if (x[0] < r->lo || x[0] > r->hi)
			continue;
		o->views[x[1]] += x[2];
		o->adds[x[1]] += x[3];
		o->removes[x[1]] += x[4];
		o->orders[x[1]] += x[5];
	}
}

static void funnel_free(struct funnel *o)
{
	free(o->views);
	free(o->adds);
	free(o->removes);
	free(o->orders);
}

/* A ratio x / y to 4 decimals, null unless y > 0 (the page's "—"). */
static void w_share(struct gm_writer *w, int64_t x, int64_t y)
{
	if (y > 0)
		gm_w_ratio(w, x, y);
	else
		w_null(w);
}

/* report.js, categoryRows (revenue descending) and topProductRows. */
static void answer_products(const struct query *q, const struct filter *f, struct gm_writer *w)
{
	struct range r = range_of(q->ndays, f->from, f->to);
	struct sales s;
	struct funnel fu;
	sum_sales(q, f, &r, &s);
	sum_funnel(q, &r, &fu);
	size_t nk = q->categories.n;
	int64_t total = 0;
	for (size_t k = 0; k < nk; k++)
		total += s.cat_cents[k];
	size_t *rows = places(nk), n = 0;
	for (size_t k = 0; k < nk; k++)
		if (f->category < 0 || (long)k == f->category)
			rows[n++] = k;
	sort_desc(rows, n, s.cat_cents);
	GM_W_KEY(w, "categories");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		size_t k = rows[i];
		int64_t rank = 1;  /* competition ranking: 1, 2, 2, 4 */
		for (size_t j = 0; j < nk; j++)
			rank += s.cat_cents[j] > s.cat_cents[k];
		gm_w_obj_begin(w);
		gm_w_kcstr(w, "category", str_at(&q->categories, k));
		GM_W_KMONEY(w, "revenue", s.cat_cents[k]);
		GM_W_KEY(w, "share");
		w_share(w, s.cat_cents[k], total);
		GM_W_KI64(w, "orders", s.cat_orders[k]);
		GM_W_KI64(w, "units", s.cat_units[k]);
		GM_W_KI64(w, "views", fu.views[k]);
		GM_W_KI64(w, "cart_adds", fu.adds[k]);
		GM_W_KI64(w, "cart_removes", fu.removes[k]);
		GM_W_KEY(w, "view_to_cart");
		w_share(w, fu.adds[k], fu.views[k]);
		GM_W_KEY(w, "cart_to_purchase");
		w_share(w, fu.orders[k], fu.adds[k]);
		GM_W_KI64(w, "rank", rank);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	free(rows);
	funnel_free(&fu);
	sales_free(&s);

	size_t np = q->products.n;
	struct totals *t = gm_xcalloc(np + 1, sizeof *t);
	uint8_t *sold = gm_xcalloc(np + 1, 1);
	for (size_t i = 0; i < q->product_days.n; i++) {
		const int64_t *x = &AT(&q->product_days, i, 0);
		if (x[0] < r.lo || x[0] > r.hi)
			continue;
		t[x[1]].orders += x[2];
		t[x[1]].units += x[3];
		t[x[1]].cents += x[4];
		sold[x[1]] = 1;
	}
	size_t *list = places(np);
	n = 0;
	for (size_t p = 0; p < np; p++)
		if (sold[p] && (f->category < 0 ||
			YAJL_GET_INTEGER(q->products.v[p]->u.array.values[2]) == f->category))
			list[n++] = p;
	/* by revenue, then id (the products are listed by id) */
	int64_t *cents = gm_xcalloc(np + 1, sizeof *cents);
	for (size_t p = 0; p < np; p++)
		cents[p] = t[p].cents;
	sort_desc(list, n, cents);
	GM_W_KEY(w, "top_products");
	gm_w_obj_begin(w);
	size_t lo, hi;
	w_page(w, f, n, &lo, &hi);
	GM_W_KEY(w, "rows");
	gm_w_arr_begin(w);
	for (size_t i = lo; i < hi; i++) {
		size_t p = list[i];
		yajl_val *pv = q->products.v[p]->u.array.values;
		long long k = YAJL_GET_INTEGER(pv[2]);
		gm_w_obj_begin(w);
		GM_W_KU64(w, "rank", i + 1);
		gm_w_kcstr(w, "product_id", pv[0]->u.string);
		gm_w_kcstr(w, "name", pv[1]->u.string);
		gm_w_kcstr(w, "category", k >= 0 ? str_at(&q->categories, (size_t)k) : "");
		GM_W_KMONEY(w, "revenue", t[p].cents);
		GM_W_KI64(w, "units", t[p].units);
		GM_W_KI64(w, "orders", t[p].orders);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	gm_w_obj_end(w);
	free(cents);
	free(list);
	free(sold);
	free(t);
}

/* report.js, dateBounds: the range as days, unbounded on a side where it
 * reaches the data's end, for what lies outside fact_sales' days. */
struct bounds {
	bool has_lo, has_hi;
	int32_t lo, hi;
};

static struct bounds bounds_of(const struct query *q, const struct filter *f)
{
	struct bounds b = { q->ndays && f->from > 0, q->ndays && f->to < q->ndays - 1, 0, 0 };
	b.lo = q->day0 + (int32_t)f->from;
	b.hi = q->day0 + (int32_t)f->to;
	return b;
}

static bool in_bounds(const struct bounds *b, int32_t day)
{
	return (!b->has_lo || day >= b->lo) && (!b->has_hi || day <= b->hi);
}

static int32_t day_of(yajl_val v)
{
	int32_t day = INT32_MIN;
	if (YAJL_IS_STRING(v) && strlen(v->u.string) >= 10)
		parse_day(v->u.string, 10, &day);
	return day;
}

static struct list rows_of(yajl_val v)
{
	return list_of(member(v, "rows"));
}

/* A snapshot's as_of is the day after the last day it counts. */
static int32_t last_day(yajl_val snapshot)
{
	return day_of(member(snapshot, "as_of")) - 1;
}

/* report.js, rfmOf: the latest snapshot up to the range's end (index,
 * or -1). */
static long snapshot_shown(const struct query *q, const struct bounds *b)
{
	long shown = -1;
	for (size_t i = 0; i < q->snapshots.n; i++)
		if (!b->has_hi || last_day(q->snapshots.v[i]) <= b->hi)
			shown = (long)i;
	return shown;
}

static void w_raw_number(struct gm_writer *w, yajl_val v)
{
	if (YAJL_IS_NUMBER(v))
		gm_w_json(w, v->u.number.r, strlen(v->u.number.r));
	else
		w_null(w);
}

static void w_cents(struct gm_writer *w, yajl_val v)
{
	if (YAJL_IS_INTEGER(v))
		gm_w_money(w, YAJL_GET_INTEGER(v));
	else
		w_null(w);
}

static int by_name(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The distinct names of a list, sorted by bytes; n set. */
static const char **distinct(const char **names, size_t *n)
{
	if (*n > 1)
		qsort(names, *n, sizeof *names, by_name);
	size_t m = 0;
	for (size_t i = 0; i < *n; i++)
		if (!m || strcmp(names[m - 1], names[i]))
			names[m++] = names[i];
	*n = m;
	return names;
}

static void answer_segments(const struct query *q, const struct filter *f, struct gm_writer *w)
{
	struct bounds b = bounds_of(q, f);
	long shown = snapshot_shown(q, &b);
	const char *seg = f->segment >= 0 ? str_at(&q->segments, (size_t)f->segment) : NULL;
	GM_W_KEY(w, "as_of");
	if (shown >= 0)
		gm_w_cstr(w, member(q->snapshots.v[shown], "as_of")->u.string);
	else
		w_null(w);
	/* the snapshot's rows: customers descending */
	struct list rows = shown >= 0 ? rows_of(q->snapshots.v[shown]) : (struct list){ 0 };
	int64_t *customers = gm_xcalloc(rows.n + 1, sizeof *customers);
	size_t *order = places(rows.n), n = 0;
	for (size_t i = 0; i < rows.n; i++) {
		yajl_val *x = rows.v[i]->u.array.values;
		customers[i] = YAJL_GET_INTEGER(x[1]);
		if (!seg || !strcmp(x[0]->u.string, seg))
			order[n++] = i;
	}
	sort_desc(order, n, customers);
	GM_W_KEY(w, "segments");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		yajl_val *x = rows.v[order[i]]->u.array.values;
		gm_w_obj_begin(w);
		gm_w_kcstr(w, "segment", x[0]->u.string);
		GM_W_KI64(w, "customers", YAJL_GET_INTEGER(x[1]));
		static const char *const measures[3] = { "share", "avg_recency_days", "avg_frequency" };
		for (int j = 0; j < 3; j++) {
			gm_w_key(w, measures[j]);
			w_raw_number(w, x[2 + j]);
		}
		GM_W_KEY(w, "avg_monetary");
		w_cents(w, x[5]);
		GM_W_KEY(w, "revenue");
		w_cents(w, x[6]);
		GM_W_KEY(w, "revenue_share");
		w_raw_number(w, x[7]);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	free(order);
	free(customers);

	/* report.js, segmentCustomers: buyers in the range by segment */
	struct range r = range_of(q->ndays, f->from, f->to);
	struct people p;
	count_buyers(q, f, &r, &p);
	size_t *segs = places(q->segments.n);
	n = 0;
	for (size_t s = 0; s < q->segments.n; s++)
		if (f->segment >= 0 ? (long)s == f->segment : p.by_segment[s] != 0)
			segs[n++] = s;
	sort_desc(segs, n, p.by_segment);
	GM_W_KEY(w, "buyers");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < n; i++) {
		gm_w_obj_begin(w);
		gm_w_kcstr(w, "segment", str_at(&q->segments, segs[i]));
		GM_W_KI64(w, "customers", p.by_segment[segs[i]]);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	free(segs);
	people_free(&p);

	/* the snapshots in the range, each segment's customers */
	size_t nnames = 0, cap = 0;
	const char **names = NULL;
	for (size_t i = 0; i < q->snapshots.n; i++) {
		if (!in_bounds(&b, last_day(q->snapshots.v[i])))
			continue;
		struct list sr = rows_of(q->snapshots.v[i]);
		for (size_t j = 0; j < sr.n; j++) {
			const char *name = sr.v[j]->u.array.values[0]->u.string;
			if (seg && strcmp(name, seg))
				continue;
			names = gm_grow(names, &cap, nnames + 1, sizeof *names, 16);
			names[nnames++] = name;
		}
	}
	distinct(names, &nnames);
	GM_W_KEY(w, "over_time");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < q->snapshots.n; i++) {
		if (!in_bounds(&b, last_day(q->snapshots.v[i])))
			continue;
		struct list sr = rows_of(q->snapshots.v[i]);
		gm_w_obj_begin(w);
		gm_w_kcstr(w, "as_of", member(q->snapshots.v[i], "as_of")->u.string);
		GM_W_KEY(w, "customers");
		gm_w_obj_begin(w);
		for (size_t k = 0; k < nnames; k++) {
			gm_w_key(w, names[k]);
			yajl_val found = NULL;
			for (size_t j = 0; j < sr.n && !found; j++)
				if (!strcmp(sr.v[j]->u.array.values[0]->u.string, names[k]))
					found = sr.v[j]->u.array.values[1];
			w_raw_number(w, found);
		}
		gm_w_obj_end(w);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	free(names);
}

/* report.js, pickMigration and migrationOf: the migration into the
 * snapshot shown from its most recent earlier one. */
static void answer_migration(const struct query *q, const struct filter *f, struct gm_writer *w)
{
	struct bounds b = bounds_of(q, f);
	long shown = snapshot_shown(q, &b), best = -1;
	const char *as_of = shown >= 0 ? member(q->snapshots.v[shown], "as_of")->u.string : NULL;
	for (size_t i = 0; as_of && i < q->migration.n; i++) {
		yajl_val m = q->migration.v[i];
		if (!strcmp(member(m, "as_of")->u.string, as_of) && (best < 0 ||
			strcmp(member(m, "since")->u.string,
				member(q->migration.v[best], "since")->u.string) > 0))
			best = (long)i;
	}
	GM_W_KEY(w, "migration");
	if (best < 0) {
		w_null(w);
		return;
	}
	yajl_val m = q->migration.v[best];
	struct list rows = rows_of(m);
	const char *seg = f->segment >= 0 ? str_at(&q->segments, (size_t)f->segment) : NULL;
	const char **froms = gm_xcalloc(rows.n + 1, sizeof *froms);
	const char **tos = gm_xcalloc(rows.n + 1, sizeof *tos);
	size_t nf = 0, nt = 0;
	for (size_t i = 0; i < rows.n; i++) {
		yajl_val *x = rows.v[i]->u.array.values;
		froms[nf++] = x[0]->u.string;
		if (!seg || !strcmp(x[1]->u.string, seg))
			tos[nt++] = x[1]->u.string;
	}
	distinct(froms, &nf);
	distinct(tos, &nt);
	gm_w_obj_begin(w);
	gm_w_kcstr(w, "as_of", as_of);
	gm_w_kcstr(w, "since", member(m, "since")->u.string);
	GM_W_KEY(w, "to");
	gm_w_arr_begin(w);
	for (size_t j = 0; j < nt; j++)
		gm_w_cstr(w, tos[j]);
	gm_w_arr_end(w);
	GM_W_KEY(w, "rows");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < nf; i++) {
		gm_w_obj_begin(w);
		gm_w_kcstr(w, "from", froms[i]);
		GM_W_KEY(w, "customers");
		gm_w_arr_begin(w);
		for (size_t j = 0; j < nt; j++) {
			int64_t cell = 0;
			for (size_t k = 0; k < rows.n; k++) {
				yajl_val *x = rows.v[k]->u.array.values;
				if (!strcmp(x[0]->u.string, froms[i]) && !strcmp(x[1]->u.string, tos[j]))
					cell += YAJL_GET_INTEGER(x[2]);
			}
			gm_w_i64(w, cell);
		}
		gm_w_arr_end(w);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	gm_w_obj_end(w);
	free(froms);
	free(tos);
}

/* A stream section's rows as objects of the keys, the page's kept
 * (report.js, streamRows), in the order given. */
static void w_stream_rows(struct gm_writer *w, const struct filter *f, struct list rows,
	const size_t *keep, size_t n, const char *const *keys, const bool *money)
{
	size_t lo, hi;
	w_page(w, f, n, &lo, &hi);
	GM_W_KEY(w, "rows");
	gm_w_arr_begin(w);
	for (size_t i = lo; i < hi; i++) {
		struct list x = list_of(rows.v[keep[i]]);
		gm_w_obj_begin(w);
		for (size_t j = 0; keys[j]; j++) {
			gm_w_key(w, keys[j]);
			yajl_val v = j < x.n ? x.v[j] : NULL;
			if (money[j])
				w_cents(w, v);
			else if (YAJL_IS_STRING(v))
				gm_w_cstr(w, v->u.string);
			else
				w_raw_number(w, v);
		}
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
}

static int by_ts_desc(const void *x, const void *y, void *ctx)
{
	const struct list *rows = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	yajl_val va = list_of(rows->v[a]).v[0], vb = list_of(rows->v[b]).v[0];
	int c = strcmp(YAJL_IS_STRING(va) ? va->u.string : "", YAJL_IS_STRING(vb) ? vb->u.string : "");
	return c ? -c : (a > b) - (a < b);
}

enum stream_kind { S_ALERTS, S_INVENTORY, S_SESSIONS };

static void answer_stream(const struct query *q, const struct filter *f, struct gm_writer *w,
	enum stream_kind kind)
{
	static const char *const keys[3][7] = {
		{ "ts", "kind", "severity", "source", "status", "summary", NULL },
		{ "product_id", "category", "stock", "status", NULL },
		{ "day", "sessions", "carts", "converted", "transactions", "revenue", NULL },
	};
	static const bool money[3][7] = { { 0 }, { 0 }, { 0, 0, 0, 0, 0, 1 } };
	yajl_val sec = kind == S_ALERTS ? q->alerts : kind == S_INVENTORY ? q->inventory : q->sessions;
	GM_W_KBOOL(w, "available", sec != NULL);
	struct list rows = rows_of(sec);
	struct bounds b = bounds_of(q, f);
	const char *cat = f->category >= 0 ? str_at(&q->categories, (size_t)f->category) : NULL;
	size_t *keep = places(rows.n), n = 0;
	for (size_t i = 0; i < rows.n; i++) {
		struct list x = list_of(rows.v[i]);
		if (x.n < 2)
			continue;
		bool in = kind == S_INVENTORY
			? !cat || (YAJL_IS_STRING(x.v[1]) && !strcmp(x.v[1]->u.string, cat))
			: in_bounds(&b, day_of(x.v[0]));
		if (in)
			keep[n++] = i;
	}
	if (kind == S_ALERTS && n > 1)
		qsort_r(keep, n, sizeof *keep, by_ts_desc, &rows);
	w_stream_rows(w, f, rows, keep, n, keys[kind], money[kind]);
	free(keep);
	if (kind != S_ALERTS)
		return;
	yajl_val total = member(sec, "total");
	GM_W_KEY(w, "read");
	if (YAJL_IS_INTEGER(total))
		gm_w_i64(w, YAJL_GET_INTEGER(total));
	else
		gm_w_u64(w, rows.n);
	static const char *const count_keys[] = { "kind", "severity", "firing", "resolved", NULL };
	struct list counts = list_of(member(sec, "counts"));
	GM_W_KEY(w, "counts");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < counts.n; i++) {
		struct list x = list_of(counts.v[i]);
		gm_w_obj_begin(w);
		for (size_t j = 0; count_keys[j]; j++) {
			gm_w_key(w, count_keys[j]);
			yajl_val v = j < x.n ? x.v[j] : NULL;
			if (YAJL_IS_STRING(v))
				gm_w_cstr(w, v->u.string);
			else
				w_raw_number(w, v);
		}
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
}

static void answer_alerts(const struct query *q, const struct filter *f, struct gm_writer *w)
{
	answer_stream(q, f, w, S_ALERTS);
}

static void answer_inventory(const struct query *q, const struct filter *f, struct gm_writer *w)
{
	answer_stream(q, f, w, S_INVENTORY);
}

static void answer_sessions(const struct query *q, const struct filter *f, struct gm_writer *w)
{
	answer_stream(q, f, w, S_SESSIONS);
}

static const struct endpoint {
	const char *name;
	void (*answer)(const struct query *, const struct filter *, struct gm_writer *);
} endpoints[] = {
	{ "kpis", answer_kpis },
	{ "sales_trends", answer_sales_trends },
	{ "countries", answer_countries },
	{ "products", answer_products },
	{ "segments", answer_segments },
	{ "migration", answer_migration },
	{ "alerts", answer_alerts },
	{ "inventory", answer_inventory },
	{ "sessions", answer_sessions },
};

unsigned query_answer(const struct query *q, const char *endpoint, const struct query_arg *args,
	size_t nargs, struct gm_writer *w, char *why, size_t whyn)
{
	struct answer a = { w, why, whyn };
	char buf[96];
	if (whyn)
		why[0] = '\0';
	if (!strcmp(endpoint, "data")) {
		if (nargs)
			return fail(&a, 400, "data takes no parameter (it is the page's whole data)");
		gm_w_raw(w, q->json, q->len);
		return 200;
	}
	const struct endpoint *e = NULL;
	for (size_t i = 0; i < sizeof endpoints / sizeof *endpoints && !e; i++)
		if (!strcmp(endpoint, endpoints[i].name))
			e = &endpoints[i];
	if (!e)
		return fail(&a, 404, "no endpoint \"%s\" (see /openapi.json)",
			shown(endpoint, buf, sizeof buf));
	struct filter f;
	unsigned status = parse_filter(q, args, nargs, &f, &a);
	if (status != 200)
		return status;
	gm_w_obj_begin(w);
	w_filter(w, q, &f);
	e->answer(q, &f, w);
	gm_w_obj_end(w);
	return 200;
}

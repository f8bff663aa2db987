/* event: records parsed with yajl's callback parser and validated; see
 * event.h.
 *
 * One yajl handle serves every record (yajl_allow_multiple_values): a
 * line that parses to exactly one object leaves it ready for the next.
 * Any other outcome (bad JSON, truncation, a second value) replaces the
 * handle, which only happens on the error path. The callbacks collect the
 * top-level fields and the objects of an "items" array; validation then
 * looks fields up through a slot table indexed by known field names.
 * Strings point into the line unless yajl had to unescape them, in which
 * case they are copied into an arena sized to the line before parsing
 * (unescaped text is never longer than its source), so no pointer moves. */
#include "event.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "cli.h"
#include "mem.h"
#include "money.h"
#include "swar.h"
#include "ts.h"
#include "utf8.h"

/* Field names the validator knows, each with a slot (slot_name below,
 * and slot_for() to look them up). */
enum slot {
	S_TYPE, S_TS, S_TRANSACTION_ID, S_EVENT_ID, S_USER_ID, S_SESSION_ID,
	S_COUNTRY, S_PAYMENT_METHOD, S_ITEMS, S_TOTAL_AMOUNT, S_PRODUCT_ID,
	S_CATEGORY, S_ACTION, S_QUANTITY, S_UNIT_PRICE, S_DURATION_MS,
	S_ANOMALY, NSLOTS, S_NONE = NSLOTS
};

#define NAME(s) { s, sizeof s - 1 }
static const struct { const char *s; unsigned char n; } slot_name[NSLOTS] = {
	NAME("type"), NAME("ts"), NAME("transaction_id"), NAME("event_id"),
	NAME("user_id"), NAME("session_id"), NAME("country"),
	NAME("payment_method"), NAME("items"), NAME("total_amount"),
	NAME("product_id"), NAME("category"), NAME("action"), NAME("quantity"),
	NAME("unit_price"), NAME("duration_ms"), NAME("anomaly"),
};
#undef NAME

/* An item's four fields, as they came. */
enum { I_PRODUCT_ID, I_CATEGORY, I_QUANTITY, I_UNIT_PRICE, NITEM };

struct item_raw {
	struct gm_field f[NITEM];
	bool seen[NITEM];
	bool is_object;
};

#define MAX_QUANTITY 1000000

struct gm_parser {
	yajl_handle h;
	bool fast;                 /* the fast path is parsing (see below) */
	size_t fast_at;            /* its bytes consumed, as yajl counts them */
	const char *line;
	size_t len;
	char *arena;
	size_t arena_len, arena_cap;
	unsigned depth;
	unsigned values;           /* top-level values seen on this line */
	enum slot key_slot;        /* slot of the current top-level key */
	gm_str key;
	size_t nested_start;       /* offset where a top-level nested value began */
	bool in_items;             /* inside the top-level "items" array */
	enum slot item_key;        /* in an item object: I_* or S_NONE */
	struct gm_field *fields;
	size_t nfields, fields_cap;
	int slot_of[NSLOTS];       /* index into fields, or -1 */
	struct item_raw *raw_items;
	size_t nraw, raw_cap;
	struct gm_item *items;
	size_t items_cap;
	char cancel_reason[160];
	char reason[256];
	struct gm_event ev;
};

/* The slot of key k (n bytes): one switch on its first byte, then
 * compares of known length, which the compiler turns into a few word
 * loads. Called for every key of every record. */
static enum slot slot_for(const char *k, size_t n)
{
#define IS(lit) (n == sizeof lit - 1 && !memcmp(k, lit, sizeof lit - 1))
	if (n == 0)
		return S_NONE;
	switch (k[0]) {
	case 't':
		return IS("type") ? S_TYPE : IS("ts") ? S_TS
			: IS("transaction_id") ? S_TRANSACTION_ID
			: IS("total_amount") ? S_TOTAL_AMOUNT : S_NONE;
	case 'e': return IS("event_id") ? S_EVENT_ID : S_NONE;
	case 'u': return IS("user_id") ? S_USER_ID : IS("unit_price") ? S_UNIT_PRICE : S_NONE;
	case 's': return IS("session_id") ? S_SESSION_ID : S_NONE;
	case 'c': return IS("country") ? S_COUNTRY : IS("category") ? S_CATEGORY : S_NONE;
	case 'p':
		return IS("product_id") ? S_PRODUCT_ID
			: IS("payment_method") ? S_PAYMENT_METHOD : S_NONE;
	case 'i': return IS("items") ? S_ITEMS : S_NONE;
	case 'a': return IS("action") ? S_ACTION : IS("anomaly") ? S_ANOMALY : S_NONE;
	case 'q': return IS("quantity") ? S_QUANTITY : S_NONE;
	case 'd': return IS("duration_ms") ? S_DURATION_MS : S_NONE;
	default: return S_NONE;
	}
#undef IS
}

static int item_slot_for(const char *k, size_t n)
{
	switch (n) {
	case 10:
		if (!memcmp(k, "product_id", 10))
			return I_PRODUCT_ID;
		if (!memcmp(k, "unit_price", 10))
			return I_UNIT_PRICE;
		break;
	case 8:
		if (!memcmp(k, "category", 8))
			return I_CATEGORY;
		if (!memcmp(k, "quantity", 8))
			return I_QUANTITY;
		break;
	}
	return S_NONE;
}

/* Keeps a string yajl handed over: in place if it lies in the line,
 * else copied to the arena. */
static gm_str keep(struct gm_parser *ps, const unsigned char *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)ps->line;
	if (a >= lo && a + n <= lo + ps->len)
		return (gm_str){ (const char *)p, n };
	char *dst = ps->arena + ps->arena_len;
	memcpy(dst, p, n);
	ps->arena_len += n;
	return (gm_str){ dst, n };
}

static int cancel(struct gm_parser *ps, const char *fmt, const char *arg)
{
	snprintf(ps->cancel_reason, sizeof ps->cancel_reason, fmt, arg);
	return 0;
}

const char *gm_json_kind_name(enum gm_json_kind k)
{
	static const char *const names[] = { "null", "a boolean", "a number",
		"a string", "an object", "an array" };
	return names[k];
}

/* Bytes of the line parsed so far, up to the end of the current token. */
static size_t consumed(struct gm_parser *ps)
{
	return ps->fast ? ps->fast_at : yajl_get_bytes_consumed(ps->h);
}

static struct gm_field *new_field(struct gm_parser *ps)
{
	ps->fields = gm_grow(ps->fields, &ps->fields_cap, ps->nfields + 1, sizeof *ps->fields, 32);
	struct gm_field *f = &ps->fields[ps->nfields];
	if (ps->key_slot != S_NONE)
		ps->slot_of[ps->key_slot] = (int)ps->nfields;
	/* Of duplicate keys the last counts: a second "items" starts its
	 * list of items afresh. */
	if (ps->key_slot == S_ITEMS)
		ps->nraw = 0;
	ps->nfields++;
	f->key = ps->key;
	return f;
}

/* An element of the items array begins. */
static void new_item(struct gm_parser *ps, enum gm_json_kind kind)
{
	ps->raw_items = gm_grow(ps->raw_items, &ps->raw_cap, ps->nraw + 1, sizeof *ps->raw_items, 16);
	struct item_raw *it = &ps->raw_items[ps->nraw++];
	memset(it, 0, sizeof *it);
	it->is_object = kind == GM_JSON_OBJECT;
	ps->item_key = S_NONE;
}

/* A scalar value arrived at the current depth. */
static int scalar(struct gm_parser *ps, enum gm_json_kind kind, gm_str v)
{
	if (ps->depth == 0)
		return cancel(ps, "expected a JSON object, got %s", gm_json_kind_name(kind));
	if (ps->depth == 1) {
		struct gm_field *f = new_field(ps);
		f->kind = kind;
		f->value = v;
	} else if (ps->in_items && ps->depth == 2) {
		new_item(ps, kind);
	} else if (ps->in_items && ps->depth == 3 && ps->item_key != S_NONE) {
		struct item_raw *it = &ps->raw_items[ps->nraw - 1];
		it->f[ps->item_key].kind = kind;
		it->f[ps->item_key].value = v;
		it->seen[ps->item_key] = true;
	}
	return 1;
}

static int on_null(void *ctx)
{
	return scalar(ctx, GM_JSON_NULL, (gm_str){ "null", 4 });
}

static int on_bool(void *ctx, int b)
{
	return scalar(ctx, GM_JSON_BOOL, b ? (gm_str){ "true", 4 } : (gm_str){ "false", 5 });
}

static int on_number(void *ctx, const char *s, size_t n)
{
	struct gm_parser *ps = ctx;
	return scalar(ps, GM_JSON_NUMBER, keep(ps, (const unsigned char *)s, n));
}

static int on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct gm_parser *ps = ctx;
	return scalar(ps, GM_JSON_STRING, keep(ps, s, n));
}

static int on_key(void *ctx, const unsigned char *k, size_t n)
{
	struct gm_parser *ps = ctx;
	if (ps->depth == 1) {
		ps->key = keep(ps, k, n);
		ps->key_slot = slot_for(ps->key.p, n);
	} else if (ps->in_items && ps->depth == 3) {
		ps->item_key = (enum slot)item_slot_for((const char *)k, n);
	}
	return 1;
}

static int open_nested(struct gm_parser *ps, enum gm_json_kind kind)
{
	if (ps->depth == 0) {
		if (kind != GM_JSON_OBJECT)
			return cancel(ps, "expected a JSON object, got %s", gm_json_kind_name(kind));
		if (ps->values++ > 0)
			return cancel(ps, "%s", "more than one JSON value on the line");
	} else if (ps->depth == 1) {
		struct gm_field *f = new_field(ps);
		f->kind = kind;
		ps->nested_start = consumed(ps) - 1;
		ps->in_items = kind == GM_JSON_ARRAY && ps->key_slot == S_ITEMS;
	} else if (ps->in_items && ps->depth == 2) {
		new_item(ps, kind);
	}
	ps->depth++;
	return 1;
}

static int close_nested(struct gm_parser *ps)
{
	ps->depth--;
	if (ps->depth == 1) {
		struct gm_field *f = &ps->fields[ps->nfields - 1];
		size_t end = consumed(ps);
		f->value = (gm_str){ ps->line + ps->nested_start, end - ps->nested_start };
		ps->in_items = false;
	}
	if (ps->in_items && ps->depth == 3)
		ps->item_key = S_NONE; /* a nested value inside an item ended */
	return 1;
}

static int on_start_map(void *ctx)
{
	return open_nested(ctx, GM_JSON_OBJECT);
}

static int on_start_array(void *ctx)
{
	return open_nested(ctx, GM_JSON_ARRAY);
}

static int on_end(void *ctx)
{
	return close_nested(ctx);
}

static const yajl_callbacks callbacks = {
	.yajl_null = on_null,
	.yajl_boolean = on_bool,
	.yajl_number = on_number,
	.yajl_string = on_string,
	.yajl_start_map = on_start_map,
	.yajl_map_key = on_key,
	.yajl_end_map = on_end,
	.yajl_start_array = on_start_array,
	.yajl_end_array = on_end,
};

/* ---- the fast path ----
 * Almost every line is plain JSON: strings without escapes, no deep
 * nesting. The fast path parses that subset and calls the callbacks
 * above exactly as yajl would (same order, same arguments), about three
 * times faster. Whatever it does not take (an escape, a control
 * character, nesting deeper than FAST_MAX_DEPTH, a syntax error, a
 * value at the top that is not an object, a callback that cancels)
 * sends the line to yajl from the start: every error, and every unusual
 * line, is yajl's. So all the fast path accepts is valid JSON. */

#define FAST_MAX_DEPTH 16

static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* A string with no escape and no control character, p at its opening
 * quote: sets *s to its content and returns the byte after its closing
 * quote, or returns NULL. (The line's UTF-8 was checked already.) */
static const char *fast_string(const char *p, const char *end, gm_str *s)
{
	const char *q = p + 1;
	/* Eight bytes at a time: the lowest flagged byte of a word is the
	 * first one of interest (swar.h's tests only err upwards). */
	for (; q + 8 <= end; q += 8) {
		uint64_t w = gm_swar_load(q);
		uint64_t m = gm_swar_is(w, '"') | gm_swar_is(w, '\\') | gm_swar_below(w, 0x20);
		if (m) {
			q += __builtin_ctzll(m) / 8;
			goto found;
		}
	}
	while (q < end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q >= end)
		return NULL;
found:
	if (*q != '"')
		return NULL;
	*s = (gm_str){ p + 1, (size_t)(q - p - 1) };
	return q + 1;
}

static const char *digits_from(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* A number by JSON's grammar, from p: returns its end, or NULL. */
static const char *fast_number(const char *p, const char *end)
{
	if (p < end && *p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		p = digits_from(p + 1, end);
	else
		return NULL;
	if (p < end && *p == '.') {
		const char *d = p + 1;
		if ((p = digits_from(d, end)) == d)
			return NULL;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		const char *d = p;
		if ((p = digits_from(d, end)) == d)
			return NULL;
	}
	return p;
}

static bool literal(const char *p, const char *end, const char *word, size_t n)
{
	return (size_t)(end - p) >= n && !memcmp(p, word, n);
}

/* One value from p (not space); returns the byte after it, or NULL. */
static const char *fast_value(struct gm_parser *ps, const char *p,
	const char *end)
{
	if (p >= end || ps->depth > FAST_MAX_DEPTH)
		return NULL;
	gm_str s;
	switch (*p) {
	case '{':
	case '[': {
		bool object = *p == '{';
		char close = object ? '}' : ']';
		ps->fast_at = (size_t)(p + 1 - ps->line);
		if (!(object ? on_start_map(ps) : on_start_array(ps)))
			return NULL;
		p = skip_space(p + 1, end);
		if (p < end && *p == close) {
			ps->fast_at = (size_t)(p + 1 - ps->line);
			return on_end(ps) ? p + 1 : NULL;
		}
		for (;;) {
			if (object) {
				if (p >= end || *p != '"' || !(p = fast_string(p, end, &s)))
					return NULL;
				if (!on_key(ps, (const unsigned char *)s.p, s.n))
					return NULL;
				p = skip_space(p, end);
				if (p >= end || *p != ':')
					return NULL;
				p = skip_space(p + 1, end);
			}
			if (!(p = fast_value(ps, p, end)))
				return NULL;
			p = skip_space(p, end);
			if (p < end && *p == ',') {
				p = skip_space(p + 1, end);
				continue;
			}
			if (p < end && *p == close) {
				ps->fast_at = (size_t)(p + 1 - ps->line);
				return on_end(ps) ? p + 1 : NULL;
			}
			return NULL;
		}
	}
	case '"':
		if (!(p = fast_string(p, end, &s)))
			return NULL;
		return on_string(ps, (const unsigned char *)s.p, s.n) ? p : NULL;
	case 't':
		return literal(p, end, "true", 4) && on_bool(ps, 1) ? p + 4 : NULL;
	case 'f':
		return literal(p, end, "false", 5) && on_bool(ps, 0) ? p + 5 : NULL;
	case 'n':
		return literal(p, end, "null", 4) && on_null(ps) ? p + 4 : NULL;
	default: {
		const char *q = fast_number(p, end);
		return q && on_number(ps, p, (size_t)(q - p)) ? q : NULL;
	}
	}
}

/* The fast path over a whole line: true when it took the line, which
 * then holds exactly one object. */
static bool parse_fast(struct gm_parser *ps, const char *line, size_t len)
{
	const char *end = line + len, *p = skip_space(line, end);
	if (p >= end || *p != '{')
		return false;
	ps->fast = true;
	p = fast_value(ps, p, end);
	ps->fast = false;
	return p && skip_space(p, end) == end && ps->depth == 0 && ps->values == 1;
}

static void new_handle(struct gm_parser *ps)
{
	if (ps->h)
		yajl_free(ps->h);
	ps->h = yajl_alloc(&callbacks, NULL, ps);
	if (!ps->h)
		gm_die(GM_EXIT_FAIL, NULL, "out of memory");
	yajl_config(ps->h, yajl_allow_multiple_values, 1);
	yajl_config(ps->h, yajl_dont_validate_strings, 1); /* done before */
}

struct gm_parser *gm_parser_new(void)
{
	struct gm_parser *ps = gm_xcalloc(1, sizeof *ps);
	new_handle(ps);
	return ps;
}

void gm_parser_free(struct gm_parser *ps)
{
	if (!ps)
		return;
	yajl_free(ps->h);
	free(ps->arena);
	free(ps->fields);
	free(ps->raw_items);
	free(ps->items);
	free(ps);
}

const char *gm_type_name(enum gm_type t)
{
	switch (t) {
	case GM_TRANSACTION: return "transaction";
	case GM_PRODUCT_VIEW: return "product_view";
	case GM_CART_EVENT: return "cart_event";
	default: return "other";
	}
}

const struct gm_field *gm_event_field_n(const struct gm_event *ev,
	const char *key, size_t n)
{
	for (size_t i = ev->nfields; i-- > 0;)
		if (ev->fields[i].key.n == n && !memcmp(ev->fields[i].key.p, key, n))
			return &ev->fields[i];
	return NULL;
}

const struct gm_field *gm_event_field(const struct gm_event *ev, const char *key)
{
	return gm_event_field_n(ev, key, strlen(key));
}

char *gm_str_show(gm_str s, char *buf, size_t n)
{
	size_t k = 0;
	for (; k < s.n && k + 1 < n; k++)
		buf[k] = (unsigned char)s.p[k] < ' ' || s.p[k] == 0x7f ? '?' : s.p[k];
	buf[k] = 0;
	return buf;
}

/* ---- validation ---- */

static const char *fail(struct gm_parser *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static const char *fail(struct gm_parser *ps, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->reason, sizeof ps->reason, fmt, ap);
	va_end(ap);
	return ps->reason;
}

/* A value in a message: at most 40 bytes of it. */
#define SHOWN 41

static const char *wrong_kind(struct gm_parser *ps, const char *name,
	const char *want, const struct gm_field *f)
{
	return fail(ps, "field \"%s\": expected %s, got %s", name, want, gm_json_kind_name(f->kind));
}

static const struct gm_field *field(struct gm_parser *ps, enum slot s)
{
	return ps->slot_of[s] < 0 ? NULL : &ps->fields[ps->slot_of[s]];
}

/* A required non-empty string. */
static const char *need_str(struct gm_parser *ps, enum slot s, gm_str *out)
{
	const struct gm_field *f = field(ps, s);
	if (!f)
		return fail(ps, "missing field \"%s\"", slot_name[s].s);
	if (f->kind != GM_JSON_STRING)
		return wrong_kind(ps, slot_name[s].s, "a string", f);
	if (f->value.n == 0)
		return fail(ps, "field \"%s\" is empty", slot_name[s].s);
	*out = f->value;
	return NULL;
}

/* An integer in [lo, hi] from a JSON number's text. */
static const char *check_int(struct gm_parser *ps, const char *name,
	const struct gm_field *f, int64_t lo, int64_t hi, int64_t *out)
{
	if (f->kind != GM_JSON_NUMBER)
		return wrong_kind(ps, name, "an integer", f);
	const char *p = f->value.p, *end = p + f->value.n;
	bool neg = *p == '-';
	p += neg;
	uint64_t v = 0;
	bool overflow = false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			overflow = true;
		else
			v = v * 10 + (*p - '0');
	}
	char shown[SHOWN];
	if (p != end)
		return fail(ps, "field \"%s\": expected an integer, got %s", name,
			gm_str_show(f->value, shown, sizeof shown));
	if (overflow || v > (uint64_t)INT64_MAX ||
	    (neg ? -(int64_t)v : (int64_t)v) < lo || (neg ? -(int64_t)v : (int64_t)v) > hi)
		return fail(ps, "field \"%s\": %s is out of range (%" PRId64 " to %" PRId64 ")",
			name, gm_str_show(f->value, shown, sizeof shown), lo, hi);
	*out = neg ? -(int64_t)v : (int64_t)v;
	return NULL;
}

static const char *check_money(struct gm_parser *ps, const char *name,
	const struct gm_field *f, int64_t *out)
{
	if (f->kind != GM_JSON_NUMBER)
		return wrong_kind(ps, name, "a number", f);
	char shown[SHOWN];
	if (!gm_money_parse_amount(f->value.p, f->value.n, GM_MONEY_MAX_CENTS, out))
		return fail(ps, "field \"%s\": %s is out of range (0 to " GM_MONEY_MAX_CENTS_TEXT ")",
			name, gm_str_show(f->value, shown, sizeof shown));
	return NULL;
}

static const char *need_int(struct gm_parser *ps, enum slot s, int64_t lo,
	int64_t hi, int64_t *out)
{
	const struct gm_field *f = field(ps, s);
	if (!f)
		return fail(ps, "missing field \"%s\"", slot_name[s].s);
	return check_int(ps, slot_name[s].s, f, lo, hi, out);
}

static const char *need_money(struct gm_parser *ps, enum slot s, int64_t *out)
{
	const struct gm_field *f = field(ps, s);
	if (!f)
		return fail(ps, "missing field \"%s\"", slot_name[s].s);
	return check_money(ps, slot_name[s].s, f, out);
}

static const char *need_ts(struct gm_parser *ps, int64_t *out)
{
	gm_str s;
	const char *err = need_str(ps, S_TS, &s);
	if (err)
		return err;
	char shown[SHOWN];
	if (!gm_ts_parse(s.p, s.n, out))
		return fail(ps, "field \"ts\": not an RFC 3339 time: %s",
			gm_str_show(s, shown, sizeof shown));
	return NULL;
}

static const char *check_items(struct gm_parser *ps, struct gm_event *ev)
{
	const struct gm_field *f = field(ps, S_ITEMS);
	if (!f)
		return fail(ps, "missing field \"items\"");
	if (f->kind != GM_JSON_ARRAY)
		return wrong_kind(ps, "items", "an array", f);
	if (ps->nraw == 0)
		return fail(ps, "field \"items\" is empty");
	ps->items = gm_grow(ps->items, &ps->items_cap, ps->nraw, sizeof *ps->items, 16);
	static const char *const names[NITEM] = { "product_id", "category",
		"quantity", "unit_price" };
	for (size_t i = 0; i < ps->nraw; i++) {
		struct item_raw *r = &ps->raw_items[i];
		struct gm_item *it = &ps->items[i];
		if (!r->is_object)
			return fail(ps, "items[%zu]: expected an object", i);
		for (int k = 0; k < NITEM; k++) {
			bool is_str = k <= I_CATEGORY;
			if (r->seen[k] && (!is_str || (r->f[k].kind == GM_JSON_STRING && r->f[k].value.n > 0)))
				continue;
			char name[48];
			snprintf(name, sizeof name, "items[%zu].%s", i, names[k]);
			if (!r->seen[k])
				return fail(ps, "missing field \"%s\"", name);
			if (r->f[k].kind != GM_JSON_STRING)
				return wrong_kind(ps, name, "a string", &r->f[k]);
			return fail(ps, "field \"%s\" is empty", name);
		}
		const char *err = check_int(ps, "items[].quantity", &r->f[I_QUANTITY], 1,
			MAX_QUANTITY, &it->quantity);
		if (!err)
			err = check_money(ps, "items[].unit_price", &r->f[I_UNIT_PRICE], &it->unit_price);
		if (err)
			return err;
		it->product_id = r->f[I_PRODUCT_ID].value;
		it->category = r->f[I_CATEGORY].value;
		/* Valid amounts may still make an impossible total. */
		if (!gm_money_mul(it->unit_price, it->quantity, &it->amount))
			return fail(ps, "items[%zu]: quantity times unit_price is beyond the largest total"
				" (" GM_MONEY_MAX_TOTAL_TEXT ")", i);
		if (!gm_money_add(ev->items_amount, it->amount, &ev->items_amount))
			return fail(ps, "field \"items\": the lines' amounts add up to more than the largest total"
				" (" GM_MONEY_MAX_TOTAL_TEXT ")");
	}
	ev->items = ps->items;
	ev->nitems = ps->nraw;
	return NULL;
}

static const char *validate(struct gm_parser *ps, struct gm_event *ev)
{
	const char *err;
	if ((err = need_str(ps, S_TYPE, &ev->type_name)))
		return err;
	gm_str t = ev->type_name;
	if (GM_STR_EQ(t, "transaction"))
		ev->type = GM_TRANSACTION;
	else if (GM_STR_EQ(t, "product_view"))
		ev->type = GM_PRODUCT_VIEW;
	else if (GM_STR_EQ(t, "cart_event"))
		ev->type = GM_CART_EVENT;
	else {
		const struct gm_field *f = field(ps, S_TS);
		ev->type = GM_OTHER;
		ev->has_ts = f && f->kind == GM_JSON_STRING &&
			gm_ts_parse(f->value.p, f->value.n, &ev->ts);
		return NULL;
	}
	const struct gm_field *an = field(ps, S_ANOMALY);
	if (an && an->kind != GM_JSON_STRING)
		return wrong_kind(ps, "anomaly", "a string", an);
	if (an)
		ev->anomaly = an->value;
	if ((err = need_str(ps, ev->type == GM_TRANSACTION ? S_TRANSACTION_ID : S_EVENT_ID, &ev->id)) ||
	    (err = need_ts(ps, &ev->ts)) ||
	    (err = need_str(ps, S_USER_ID, &ev->user_id)) ||
	    (err = need_str(ps, S_SESSION_ID, &ev->session_id)))
		return err;
	ev->has_ts = true;
	switch (ev->type) {
	case GM_TRANSACTION:
		if ((err = need_str(ps, S_COUNTRY, &ev->country)) ||
		    (err = need_str(ps, S_PAYMENT_METHOD, &ev->payment_method)) ||
		    (err = check_items(ps, ev)) ||
		    (err = need_money(ps, S_TOTAL_AMOUNT, &ev->total_amount)))
			return err;
		break;
	case GM_PRODUCT_VIEW:
		if ((err = need_str(ps, S_PRODUCT_ID, &ev->product_id)) ||
		    (err = need_str(ps, S_CATEGORY, &ev->category)) ||
		    (err = need_str(ps, S_COUNTRY, &ev->country)) ||
		    (err = need_int(ps, S_DURATION_MS, 0, INT64_MAX / 2, &ev->duration_ms)))
			return err;
		break;
	case GM_CART_EVENT:
		if ((err = need_str(ps, S_PRODUCT_ID, &ev->product_id)) ||
		    (err = need_str(ps, S_CATEGORY, &ev->category)) ||
		    (err = need_str(ps, S_ACTION, &ev->action)) ||
		    (err = need_int(ps, S_QUANTITY, 1, MAX_QUANTITY, &ev->quantity)) ||
		    (err = need_money(ps, S_UNIT_PRICE, &ev->unit_price)))
			return err;
		char shown[SHOWN];
		if (!GM_STR_EQ(ev->action, "add") && !GM_STR_EQ(ev->action, "remove"))
			return fail(ps, "field \"action\": expected \"add\" or \"remove\", got \"%s\"",
				gm_str_show(ev->action, shown, sizeof shown));
		break;
	default:
		break;
	}
	return NULL;
}

/* Turns a yajl error into "invalid JSON at column N: what". */
static const char *json_error(struct gm_parser *ps)
{
	size_t col = yajl_get_bytes_consumed(ps->h) + 1;
	unsigned char *msg = yajl_get_error(ps->h, 0, NULL, 0);
	char what[120] = "syntax error";
	if (msg) {
		snprintf(what, sizeof what, "%s", (const char *)msg);
		yajl_free_error(ps->h, msg);
		size_t n = strlen(what);
		while (n > 0 && (what[n - 1] == '\n' || what[n - 1] == '.' || what[n - 1] == ' '))
			what[--n] = 0;
	}
	return fail(ps, "invalid JSON at column %zu: %s", col, what);
}

static bool only_space(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
			return false;
	return true;
}

/* Makes the parser ready for a line. */
static void start_line(struct gm_parser *ps, const char *line, size_t len)
{
	ps->line = line;
	ps->len = len;
	ps->arena_len = 0;
	ps->depth = 0;
	ps->values = 0;
	ps->nfields = 0;
	ps->nraw = 0;
	ps->in_items = false;
	ps->key_slot = S_NONE;
	ps->cancel_reason[0] = 0;
	memset(ps->slot_of, -1, sizeof ps->slot_of);
}

/* The event of a line parsed whole, once validated; NULL with *reason
 * set when it is not valid. */
static const struct gm_event *validated(struct gm_parser *ps,
	const char *line, size_t len, const char **reason)
{
	struct gm_event *ev = &ps->ev;
	memset(ev, 0, sizeof *ev);
	ev->raw = line;
	ev->rawlen = len;
	ev->fields = ps->fields;
	ev->nfields = ps->nfields;
	const char *err = validate(ps, ev);
	if (err) {
		*reason = err;
		return NULL;
	}
	return ev;
}

const struct gm_event *gm_parse(struct gm_parser *ps, const char *line,
	size_t len, const char **reason)
{
	/* One pass for the usual line, all ASCII; a NUL anywhere is named
	 * before invalid UTF-8 anywhere. */
	size_t plain = gm_utf8_ascii_prefix(line, len);
	if (plain == 0 && len >= 3 && !memcmp(line, "\xEF\xBB\xBF", 3)) {
		/* Editors on Windows put one before the first line. */
		*reason = fail(ps, "byte-order mark (U+FEFF) at column 1: records are UTF-8 without one");
		return NULL;
	}
	if (plain < len) {
		const char *nul = memchr(line + plain, 0, len - plain);
		if (nul) {
			*reason = fail(ps, "NUL byte at column %zu (binary data?)", (size_t)(nul - line) + 1);
			return NULL;
		}
		size_t bad = plain + gm_utf8_invalid_at(line + plain, len - plain);
		if (bad < len) {
			*reason = fail(ps, "invalid UTF-8 at column %zu", bad + 1);
			return NULL;
		}
	}
	if (ps->arena_cap < len) {
		free(ps->arena);
		ps->arena_cap = len < 4096 ? 4096 : len * 2;
		ps->arena = gm_xrealloc(NULL, ps->arena_cap);
	}
	start_line(ps, line, len);
	if (parse_fast(ps, line, len))
		return validated(ps, line, len, reason);
	start_line(ps, line, len);

	yajl_status st = yajl_parse(ps->h, (const unsigned char *)line, len);
	if (st == yajl_status_ok && ps->depth == 0 && ps->values == 1) {
		/* Complete: the handle is ready for the next line. */
	} else {
		bool flushed = false;
		if (st == yajl_status_ok && ps->depth == 0 && ps->values == 0) {
			flushed = true;
			/* A bare number waits for a delimiter: flush it. */
			st = only_space(line, len) ? yajl_status_ok : yajl_complete_parse(ps->h);
			if (st == yajl_status_ok)
				snprintf(ps->cancel_reason, sizeof ps->cancel_reason,
					"expected a JSON object, got nothing");
		}
		if (ps->cancel_reason[0])
			*reason = fail(ps, "%s", ps->cancel_reason);
		else if (st == yajl_status_error && !flushed)
			*reason = json_error(ps);
		else
			*reason = fail(ps, "invalid JSON at column %zu: the record ends before its value is complete",
				len + 1);
		new_handle(ps);
		return NULL;
	}

	return validated(ps, line, len, reason);
}

/* event: records parsed with yajl's callback parser and validated; see
 * event.h.
 *
 * Three paths, each trying a line from its start: the in-order path
 * reads a checked record written as the tools write it ("type", then
 * its descriptor's fields in order, then any fields of names no checked
 * type has, plain ASCII, no space) in place, key by expected key,
 * checking each field as it reads it; the fast path parses a subset of
 * JSON calling yajl's callbacks itself; yajl takes the rest, and says
 * what is wrong with a line. Each builds the same generic view. The
 * first two give a line up whole (the next path starts it afresh) at
 * anything they do not take, and the in-order path also at any value
 * the checks refuse, so that every refusal is the one the fast path's
 * view or yajl gives, as before the in-order path.
 *
 * One yajl handle serves every record (yajl_allow_multiple_values): a
 * line that parses to exactly one object leaves it ready for the next.
 * Any other outcome (bad JSON, truncation, a second value) replaces the
 * handle, which only happens on the error path. The callbacks collect the
 * top-level fields, the objects of an array of objects ("items") and
 * the labels of a labels object (rtype.h's GM_RK_LABELS);
 * validation then finds fields through slots: each name a checked record
 * type of rtype.h has gets one, found by a lookup the build generates
 * from the descriptors (scripts/gen-keys.c), and the checks are
 * rtype.c's, field by field in the descriptor's order.
 * Strings point into the line unless yajl had to unescape them, in which
 * case they are copied into an arena sized to the line before parsing
 * (unescaped text is never longer than its source), so no pointer moves. */
#include "event.h"

#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "cli.h"
#include "jscan.h"
#include "keys.h"
#include "mem.h"
#include "money.h"
#include "rtype.h"
#include "swar.h"
#include "ts.h"
#include "utf8.h"

/* Slots: a number for each field name of the checked types (rtype.h),
 * found by the lookup scripts/gen-keys.c generates from them: one
 * switch on a key's length and first byte, and a compare. */
#define ELEMENT_SLOTS (GM_ELEMENT_SLOTS > 0 ? GM_ELEMENT_SLOTS : 1)
#define MAX_INPUTS 16              /* record types gm_parse() checks */
#define MAX_TYPES 64               /* record types of rtype.h */
#define MAX_FIELDS 48              /* fields of one of them */
#define SLOT_NONE 0xff
enum { SLOT_TYPE, SLOT_TS };       /* the two every record may have */

/* What validate() does with a field once checked. */
enum then { KEEP_NONE, KEEP_STR, KEEP_INT, KEEP_BOOL, KEEP_ELEMENTS, KEEP_TS, KEEP_LABELS };

/* How kept() checks and keeps a field's usual value; any other value,
 * and a field of any other kind or kept elsewhere, gets rtype.c's whole
 * check. */
enum usual { USUAL_NONE, USUAL_STRING, USUAL_TS, USUAL_MONEY, USUAL_TOTAL, USUAL_INT };

/* One field of a checked type, as validate() walks it. */
struct step {
	const struct gm_rfield *f;
	unsigned char slot;
	unsigned char then;        /* enum then */
	unsigned char usual;       /* enum usual */
	unsigned short at;         /* offsetof in struct gm_event */
	unsigned short has;        /* the field's has (rtype.h), 0: none */
	unsigned short key_at;     /* its `,"name":` in keytext */
	unsigned char key_len;
};

/* A record type gm_parse() checks, with the slot of each of its fields
 * and of the fields of its array's elements. */
struct input {
	const struct gm_rtype *rt;
	size_t nlen;
	unsigned char listed[MAX_FIELDS];  /* the steps of fields with a list of values */
	unsigned char nlisted;
	struct step steps[MAX_FIELDS];
	unsigned char eslot[ELEMENT_SLOTS];
	unsigned char eusual[ELEMENT_SLOTS];  /* of the elements' fields */
	unsigned short eat[ELEMENT_SLOTS];    /* offsetof in struct gm_item */
	unsigned short ekey_at[ELEMENT_SLOTS];  /* the elements' `,"name":` */
	unsigned char ekey_len[ELEMENT_SLOTS];
};

/* A record type of rtype.h, found by its name: the lengths of its name
 * and of its fields' (a row is compared with them, not by strlen()). */
struct known {
	const struct gm_rtype *rt;
	size_t nlen;
	int input;                 /* its index in inputs, or -1 */
	unsigned char flen[MAX_FIELDS];
};

/* The elements of the array being collected, their fields as they came. */
struct item_raw {
	struct gm_field f[ELEMENT_SLOTS];
	bool seen[ELEMENT_SLOTS];
	bool is_object;
};

struct gm_parser {
	yajl_handle h;
	bool fast;                 /* the fast path is parsing (see below) */
	bool try_in_order;         /* the in-order path comes first */
	size_t in_order_taken;     /* lines it took */
	unsigned in_order_missed;  /* lines it gave up in a row */
	unsigned in_order_skipped; /* lines it let pass since */
	char *keytext;             /* `,"name":` of each field of the inputs */
	size_t keytext_len, keytext_cap;
	unsigned high;             /* it met a byte above 0x7F: nonzero */
	size_t fast_at;            /* its bytes consumed, as yajl counts them */
	const char *line;
	size_t len;
	char *arena;
	size_t arena_len, arena_cap;
	unsigned depth;
	unsigned values;           /* top-level values seen on this line */
	unsigned char key_slot;    /* slot of the current top-level key */
	gm_str key;
	size_t nested_start;       /* offset where a top-level nested value began */
	bool in_items;             /* inside a top-level array of objects */
	unsigned char item_key;    /* in an element: its key's element slot */
	bool in_labels;            /* inside a top-level labels object */
	gm_str label_key;          /* in it: the current label's name */
	struct gm_field *fields;
	size_t nfields, fields_cap;
	bool collects[GM_KEY_SLOTS];  /* the slot is an array of objects */
	struct input inputs[MAX_INPUTS];
	size_t ninputs;
	struct known known[MAX_TYPES];  /* the input types first, then the
	                             others in the order of gm_rtypes */
	size_t nknown;
	int slot_of[GM_KEY_SLOTS];  /* index into fields, or -1 */
	struct item_raw *raw_items;
	size_t nraw, raw_cap;
	struct gm_item *items;
	size_t items_cap;
	bool labels_at[GM_KEY_SLOTS];  /* the slot is a labels object */
	struct gm_label *labels;   /* the labels object's string values */
	size_t nlabels, labels_cap;
	bool label_bad;            /* one of its values is not a string: */
	gm_str bad_name;           /* the first such, its name */
	unsigned char bad_kind;    /* and its enum gm_json_kind */
	char cancel_reason[160];
	char reason[256];
	struct gm_event ev;
};

/* The slot of field name, which the lookup must know. */
static unsigned char slot_of_name(const char *name, bool of_element)
{
	size_t n = strlen(name);
	unsigned char s = of_element ? gm_element_slot(name, n) : gm_key_slot(name, n);
	if (s == SLOT_NONE)
		gm_die(GM_EXIT_FAIL, NULL, "rtype: field \"%s\" is unknown to the key lookup: rebuild", name);
	return s;
}

/* The usual check of a field that gm_parse() decodes (then). */
static unsigned char usual_of(const struct gm_rfield *f, enum then then)
{
	if (then == KEEP_STR && f->kind == GM_RK_STRING)
		return USUAL_STRING;
	if (then == KEEP_TS && f->kind == GM_RK_TIME)
		return USUAL_TS;
	if (then != KEEP_INT)
		return USUAL_NONE;
	return f->kind == GM_RK_MONEY ? USUAL_MONEY : f->kind == GM_RK_TOTAL ? USUAL_TOTAL :
		f->kind == GM_RK_INT ? USUAL_INT : USUAL_NONE;
}

/* What gm_parse() does with a field of f's once checked. */
static enum then then_of(const struct gm_rfield *f)
{
	return f->elements ? KEEP_ELEMENTS : !f->at ? KEEP_NONE :
		f->at == GM_RT_AT(struct gm_event, ts) ? KEEP_TS :
		f->kind == GM_RK_LABELS ? KEEP_LABELS :
		f->kind == GM_RK_STRING || f->kind == GM_RK_OBJECT || f->kind == GM_RK_ARRAY ? KEEP_STR :
		f->kind == GM_RK_BOOL ? KEEP_BOOL : KEEP_INT;
}

/* `,"name":` appended to ps->keytext: sets *at and *len to where and
 * how long. */
static void add_key(struct gm_parser *ps, const char *name, unsigned short *at,
	unsigned char *len)
{
	size_t n = strlen(name) + 4;
	if (n > UCHAR_MAX || ps->keytext_len + n > USHRT_MAX)
		gm_die(GM_EXIT_FAIL, NULL, "rtype: field names too long (%s)", name);
	ps->keytext = gm_grow(ps->keytext, &ps->keytext_cap, ps->keytext_len + n, 1, 512);
	gm_jscan_key_put(ps->keytext + ps->keytext_len, name, n - 4);
	*at = (unsigned short)ps->keytext_len;
	*len = (unsigned char)n;
	ps->keytext_len += n;
}

/* Gives every field of the checked record types its slot, having
 * checked that the generated lookup is the descriptors' (a build that
 * did not regenerate it would misfile fields). */
static void build_slots(struct gm_parser *ps)
{
	const char *names[GM_KEY_SLOTS + 1], *enames[ELEMENT_SLOTS + 1];
	size_t n = gm_rtype_checked_names(false, names, GM_KEY_SLOTS + 1);
	size_t en = gm_rtype_checked_names(true, enames, ELEMENT_SLOTS + 1);
	bool agree = n == GM_KEY_SLOTS && en == GM_ELEMENT_SLOTS;
	for (size_t i = 0; agree && i < n; i++)
		agree = gm_key_slot(names[i], strlen(names[i])) == i;
	for (size_t i = 0; agree && i < en; i++)
		agree = gm_element_slot(enames[i], strlen(enames[i])) == i;
	if (!agree || strcmp(names[SLOT_TYPE], "type") || strcmp(names[SLOT_TS], "ts"))
		gm_die(GM_EXIT_FAIL, NULL, "rtype: the key lookup is not the descriptors': rebuild");
	for (size_t t = 0; t < gm_nrtypes; t++) {
		const struct gm_rtype *rt = gm_rtypes[t];
		if (!rt->input)
			continue;
		if (ps->ninputs == MAX_INPUTS || rt->nfields > MAX_FIELDS)
			gm_die(GM_EXIT_FAIL, NULL, "rtype: too many checked types or fields (%s)", rt->name);
		struct input *in = &ps->inputs[ps->ninputs++];
		in->rt = rt;
		in->nlen = strlen(rt->name);
		bool array = false, labels = false;
		for (size_t i = 0; i < rt->nfields; i++) {
			const struct gm_rfield *f = &rt->fields[i];
			struct step *st = &in->steps[i];
			st->f = f;
			add_key(ps, f->name, &st->key_at, &st->key_len);
			st->slot = slot_of_name(f->name, false);
			st->at = (unsigned short)(f->at ? f->at - 1 : 0);
			st->then = (unsigned char)then_of(f);
			/* A field with has takes the whole check, which sets it:
			 * the usual path stays as short as before. */
			st->has = (unsigned short)f->has;
			st->usual = f->has ? USUAL_NONE : usual_of(f, st->then);
			if (f->one_of)
				in->listed[in->nlisted++] = (unsigned char)i;
			if (f->kind == GM_RK_LABELS) {
				/* Decoded into ev->labels, of which there is one. */
				if (labels || f->at != GM_RT_AT(struct gm_event, labels))
					gm_die(GM_EXIT_FAIL, NULL, "rtype: %s: labels not at ev->labels,"
						" or more than one labels object", rt->name);
				labels = true;
				ps->labels_at[st->slot] = true;
			}
			if (!f->elements)
				continue;
			/* One array of objects per type: the parser keeps one. */
			if (array || f->nelements > ELEMENT_SLOTS)
				gm_die(GM_EXIT_FAIL, NULL, "rtype: %s: more than one array of objects,"
					" or a name twice in one", rt->name);
			array = true;
			ps->collects[st->slot] = true;
			for (size_t e = 0; e < f->nelements; e++) {
				in->eslot[e] = slot_of_name(f->elements[e].name, true);
				add_key(ps, f->elements[e].name, &in->ekey_at[e], &in->ekey_len[e]);
				/* Only elements decoded into ev->items are kept,
				 * and check_elements() checks a list at once. */
				const struct gm_rfield *ef = &f->elements[e];
				bool decoded = f->at == GM_RT_AT(struct gm_event, items) && ef->at &&
					!ef->one_of;
				in->eusual[e] = decoded ? usual_of(ef, then_of(ef)) : USUAL_NONE;
				in->eat[e] = (unsigned short)(decoded ? ef->at - 1 : 0);
			}
		}
	}
	for (int inputs = 1; inputs >= 0; inputs--)
		for (size_t t = 0; t < gm_nrtypes; t++) {
			const struct gm_rtype *rt = gm_rtypes[t];
			if (rt->input != inputs)
				continue;
			if (ps->nknown == MAX_TYPES || rt->nfields > MAX_FIELDS)
				gm_die(GM_EXIT_FAIL, NULL, "rtype: too many types or fields (%s)", rt->name);
			struct known *k = &ps->known[ps->nknown++];
			k->rt = rt;
			k->nlen = strlen(rt->name);
			k->input = inputs ? (int)(ps->nknown - 1) : -1;
			for (size_t i = 0; i < rt->nfields; i++) {
				size_t n = strlen(rt->fields[i].name);
				if (n > UCHAR_MAX)
					gm_die(GM_EXIT_FAIL, NULL, "rtype: %s: a field's name is too long", rt->name);
				k->flen[i] = (unsigned char)n;
			}
		}
}

/* Keeps a string yajl handed over: in place if it lies in the line,
 * else copied to the arena. What the fast path hands over always lies
 * in the line. */
static inline __attribute__((always_inline)) gm_str keep(struct gm_parser *ps,
	const unsigned char *p, size_t n)
{
	uintptr_t a = (uintptr_t)p, lo = (uintptr_t)ps->line;
	if (ps->fast || (a >= lo && a + n <= lo + ps->len))
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

/* Bytes of the line parsed so far, up to the end of the current token. */
static size_t consumed(struct gm_parser *ps)
{
	return ps->fast ? ps->fast_at : yajl_get_bytes_consumed(ps->h);
}

/* A field of key key, whose slot is slot. */
static inline __attribute__((always_inline)) struct gm_field *add_field(struct gm_parser *ps,
	unsigned char slot, gm_str key)
{
	if (ps->nfields == ps->fields_cap)
		ps->fields = gm_grow(ps->fields, &ps->fields_cap, ps->nfields + 1, sizeof *ps->fields, 32);
	struct gm_field *f = &ps->fields[ps->nfields];
	if (slot != SLOT_NONE) {
		ps->slot_of[slot] = (int)ps->nfields;
		/* Of duplicate keys the last counts: a second "items" starts
		 * its list of elements afresh. */
		if (ps->collects[slot])
			ps->nraw = 0;
		if (ps->labels_at[slot]) {
			ps->nlabels = 0;
			ps->label_bad = false;
		}
	}
	ps->nfields++;
	f->key = key;
	return f;
}

/* A field of the current key. */
static inline __attribute__((always_inline)) struct gm_field *new_field(struct gm_parser *ps)
{
	return add_field(ps, ps->key_slot, ps->key);
}

/* An element of the items array begins. */
static void new_item(struct gm_parser *ps, enum gm_json_kind kind)
{
	ps->raw_items = gm_grow(ps->raw_items, &ps->raw_cap, ps->nraw + 1, sizeof *ps->raw_items, 16);
	struct item_raw *it = &ps->raw_items[ps->nraw++];
	memset(it->seen, 0, sizeof it->seen);
	it->is_object = kind == GM_JSON_OBJECT;
	ps->item_key = SLOT_NONE;
}

/* The labels object's current label holds a value of kind kind. Of
 * the values that are not strings the first is named. */
static void new_label(struct gm_parser *ps, enum gm_json_kind kind, gm_str v)
{
	if (kind != GM_JSON_STRING) {
		if (!ps->label_bad) {
			ps->label_bad = true;
			ps->bad_name = ps->label_key;
			ps->bad_kind = (unsigned char)kind;
		}
		return;
	}
	if (ps->nlabels == ps->labels_cap)
		ps->labels = gm_grow(ps->labels, &ps->labels_cap, ps->nlabels + 1, sizeof *ps->labels, 16);
	ps->labels[ps->nlabels++] = (struct gm_label){ ps->label_key, v };
}

/* A scalar value of the record's object arrived. */
static inline __attribute__((always_inline)) void top_scalar(struct gm_parser *ps,
	enum gm_json_kind kind, gm_str v)
{
	struct gm_field *f = new_field(ps);
	f->kind = kind;
	f->value = v;
}

/* A scalar value arrived at the current depth. */
static inline __attribute__((always_inline)) int scalar(struct gm_parser *ps,
	enum gm_json_kind kind, gm_str v)
{
	if (ps->depth == 0)
		return cancel(ps, "expected a JSON object, got %s", gm_json_kind_name(kind));
	if (ps->depth == 1) {
		top_scalar(ps, kind, v);
	} else if (ps->in_labels && ps->depth == 2) {
		new_label(ps, kind, v);
	} else if (ps->in_items && ps->depth == 2) {
		new_item(ps, kind);
	} else if (ps->in_items && ps->depth == 3 && ps->item_key != SLOT_NONE) {
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

static inline __attribute__((always_inline)) int number(struct gm_parser *ps,
	const char *s, size_t n)
{
	return scalar(ps, GM_JSON_NUMBER, keep(ps, (const unsigned char *)s, n));
}

static int on_number(void *ctx, const char *s, size_t n)
{
	return number(ctx, s, n);
}

/* The callbacks the fast path calls for nearly every token are inlined
 * there; yajl calls them through the table below. */
static inline __attribute__((always_inline)) int on_string(void *ctx,
	const unsigned char *s, size_t n)
{
	struct gm_parser *ps = ctx;
	return scalar(ps, GM_JSON_STRING, keep(ps, s, n));
}

/* A key of the record's object arrived. */
static inline __attribute__((always_inline)) void top_key(struct gm_parser *ps, gm_str k)
{
	ps->key = k;
	ps->key_slot = gm_key_slot(k.p, k.n);
}

static inline __attribute__((always_inline)) int on_key(void *ctx,
	const unsigned char *k, size_t n)
{
	struct gm_parser *ps = ctx;
	if (ps->depth == 1) {
		top_key(ps, keep(ps, k, n));
	} else if (ps->in_labels && ps->depth == 2) {
		ps->label_key = keep(ps, k, n);
	} else if (ps->in_items && ps->depth == 3) {
		ps->item_key = gm_element_slot((const char *)k, n);
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
		ps->in_items = kind == GM_JSON_ARRAY && ps->key_slot != SLOT_NONE &&
			ps->collects[ps->key_slot];
		ps->in_labels = kind == GM_JSON_OBJECT && ps->key_slot != SLOT_NONE &&
			ps->labels_at[ps->key_slot];
	} else if (ps->in_labels && ps->depth == 2) {
		new_label(ps, kind, (gm_str){ NULL, 0 });
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
		ps->in_labels = false;
	}
	if (ps->in_items && ps->depth == 3)
		ps->item_key = SLOT_NONE; /* a nested value inside an item ended */
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

static inline __attribute__((always_inline)) const char *skip_space(const char *p,
	const char *end)
{
	/* Records as the tools write them have no space: one compare. */
	if (p < end && (unsigned char)*p > ' ')
		return p;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

/* p past byte c, which may come after space; NULL when another byte,
 * or the end, comes first. */
static inline __attribute__((always_inline)) const char *past(const char *p,
	const char *end, char c)
{
	if (p < end && *p == c)
		return p + 1;
	p = skip_space(p, end);
	return p < end && *p == c ? p + 1 : NULL;
}

static const char *fast_value(struct gm_parser *ps, const char *p,
	const char *end);

/* A member's value from p (not space), a string or a number without a
 * call (nearly every value is one); returns the byte after it, or NULL.
 * top: a member of the record's object, at depth 1. */
static inline __attribute__((always_inline)) const char *fast_member(struct gm_parser *ps,
	const char *p, const char *end, bool top)
{
	if (*p == '"') {
		gm_str s;
		if (!(p = gm_jscan_string(p, end, &s, &ps->high)))
			return NULL;
		if (top)
			top_scalar(ps, GM_JSON_STRING, s);
		return top || on_string(ps, (const unsigned char *)s.p, s.n) ? p : NULL;
	}
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		const char *q = gm_jscan_number(p, end);
		if (q && top)
			top_scalar(ps, GM_JSON_NUMBER, (gm_str){ p, (size_t)(q - p) });
		return q && (top || number(ps, p, (size_t)(q - p))) ? q : NULL;
	}
	return fast_value(ps, p, end);
}

/* An object (object) or an array from p, at its opening bracket;
 * returns the byte after it, or NULL. top: the record's object, whose
 * keys and values are known to be at depth 1, taken without asking. */
static inline __attribute__((always_inline)) const char *fast_container(struct gm_parser *ps,
	const char *p, const char *end, bool object, bool top)
{
	char close = object ? '}' : ']';
	gm_str s;
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
			if (p >= end || *p != '"' || !(p = gm_jscan_string(p, end, &s, &ps->high)))
				return NULL;
			if (top)
				top_key(ps, s);
			else if (!on_key(ps, (const unsigned char *)s.p, s.n))
				return NULL;
			if (!(p = past(p, end, ':')))
				return NULL;
			p = skip_space(p, end);
		}
		if (p >= end || !(p = fast_member(ps, p, end, top)))
			return NULL;
		if (p < end && *p == ',') {
			p++;
		} else {
			p = skip_space(p, end);
			if (p < end && *p == close) {
				ps->fast_at = (size_t)(p + 1 - ps->line);
				return on_end(ps) ? p + 1 : NULL;
			}
			if (p >= end || *p != ',')
				return NULL;
			p++;
		}
		/* A key's quote, no space, comes next in the usual record:
		 * one compare. */
		if (!object || p >= end || *p != '"')
			p = skip_space(p, end);
	}
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
		return fast_container(ps, p, end, true, false);
	case '[':
		return fast_container(ps, p, end, false, false);
	case '"':
		if (!(p = gm_jscan_string(p, end, &s, &ps->high)))
			return NULL;
		return on_string(ps, (const unsigned char *)s.p, s.n) ? p : NULL;
	case 't':
		return gm_jscan_literal(p, end, "true", 4) && on_bool(ps, 1) ? p + 4 : NULL;
	case 'f':
		return gm_jscan_literal(p, end, "false", 5) && on_bool(ps, 0) ? p + 5 : NULL;
	case 'n':
		return gm_jscan_literal(p, end, "null", 4) && on_null(ps) ? p + 4 : NULL;
	default: {
		const char *q = gm_jscan_number(p, end);
		return q && number(ps, p, (size_t)(q - p)) ? q : NULL;
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
	p = fast_container(ps, p, end, true, true);
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
	ps->try_in_order = true;
	build_slots(ps);
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
	free(ps->labels);
	free(ps->keytext);
	free(ps);
}

const char *gm_type_name(enum gm_type t)
{
	const struct gm_rtype *rt = gm_rtype_of(t);
	return rt ? rt->name : "other";
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

gm_str gm_event_key(const struct gm_event *ev)
{
	const struct gm_field *f = ev->rtype && ev->rtype->key ? gm_event_field(ev, ev->rtype->key) : NULL;
	return f && f->kind == GM_JSON_STRING ? f->value : (gm_str){ "", 0 };
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

static const struct gm_field *field(struct gm_parser *ps, unsigned char s)
{
	return ps->slot_of[s] < 0 ? NULL : &ps->fields[ps->slot_of[s]];
}

/* Checks v, the value of field f, and keeps it, when it is the
 * usual good value of its kind (u): a non-empty string, a time, an
 * amount, an integer in range. False when rtype.c's whole check must
 * say, though the value may still be good. What nearly every field of
 * nearly every record takes: inline, reading only lo and hi of the
 * descriptor. It goes at offset at of base; a time at ts of ev. */
static inline __attribute__((always_inline)) bool kept(unsigned char u,
	const struct gm_rfield *f, const struct gm_field *v, char *base, size_t at,
	struct gm_event *ev)
{
	if (!v)
		return false;
	gm_str s = v->value;
	int64_t i;
	bool overflow;
	switch (u) {
	case USUAL_STRING:
		if (v->kind != GM_JSON_STRING || s.n == 0)
			return false;
		memcpy(base + at, &s, sizeof s);
		return true;
	case USUAL_TS:
		if (v->kind != GM_JSON_STRING || s.n == 0 || !gm_ts_parse(s.p, s.n, &ev->ts))
			return false;
		ev->has_ts = true;
		return true;
	case USUAL_MONEY:
	case USUAL_TOTAL:
		if (v->kind != GM_JSON_NUMBER || !gm_money_parse_amount(s.p, s.n,
			u == USUAL_MONEY ? GM_MONEY_MAX_CENTS : GM_MONEY_MAX_TOTAL, &i))
			return false;
		break;
	case USUAL_INT:
		if (v->kind != GM_JSON_NUMBER || !gm_rint_parse(s, &i, &overflow) ||
		    i < f->lo || i > f->hi)
			return false;
		break;
	default:
		return false;
	}
	memcpy(base + at, &i, sizeof i);
	return true;
}

/* Puts a decoded value where its field's at says, in base. */
static void store(void *base, const struct gm_rfield *f, const union gm_rvalue *v)
{
	char *p = (char *)base + f->at - 1;
	switch (f->kind) {
	case GM_RK_STRING:
	case GM_RK_OBJECT:
	case GM_RK_ARRAY:
		memcpy(p, &v->s, sizeof v->s);
		break;
	case GM_RK_BOOL:
		memcpy(p, &v->b, sizeof v->b);
		break;
	default:
		memcpy(p, &v->i, sizeof v->i);
	}
}

/* The elements of array f, each an object whose fields are checked as
 * f->elements says; decoded into ev->items when f is at items, with each
 * line's amount and their sum. */
static const char *check_elements(struct gm_parser *ps, const struct input *in,
	const struct gm_rfield *f, struct gm_event *ev)
{
	bool decode = f->at == GM_RT_AT(struct gm_event, items);
	if (decode)
		ps->items = gm_grow(ps->items, &ps->items_cap, ps->nraw, sizeof *ps->items, 16);
	for (size_t i = 0; i < ps->nraw; i++) {
		struct item_raw *r = &ps->raw_items[i];
		if (!r->is_object)
			return fail(ps, "%s[%zu]: expected an object", f->name, i);
		for (size_t e = 0; e < f->nelements; e++) {
			const struct gm_rfield *ef = &f->elements[e];
			unsigned char s = in->eslot[e];
			union gm_rvalue v;
			const struct gm_field *fv = r->seen[s] ? &r->f[s] : NULL;
			if (kept(in->eusual[e], ef, fv, (char *)&ps->items[i], in->eat[e], NULL))
				continue;
			enum gm_rcheck c = gm_rfield_check_value(ef, fv, false, f->name, i, &v,
				ps->reason, sizeof ps->reason);
			if (c == GM_RCHECK_BAD)
				return ps->reason;
			if (c == GM_RCHECK_OK && ef->one_of &&
			    !gm_rfield_allowed(ef, v.s, ps->reason, sizeof ps->reason))
				return ps->reason;
			if (c == GM_RCHECK_OK && decode && ef->at)
				store(&ps->items[i], ef, &v);
		}
		if (!decode)
			continue;
		struct gm_item *it = &ps->items[i];
		/* Valid amounts may still make an impossible total. */
		if (!gm_money_mul(it->unit_price, it->quantity, &it->amount))
			return fail(ps, "%s[%zu]: quantity times unit_price is beyond the largest total"
				" (" GM_MONEY_MAX_TOTAL_TEXT ")", f->name, i);
		if (!gm_money_add(ev->items_amount, it->amount, &ev->items_amount))
			return fail(ps, "field \"%s\": the lines' amounts add up to more than the largest total"
				" (" GM_MONEY_MAX_TOTAL_TEXT ")", f->name);
	}
	if (decode) {
		ev->items = ps->items;
		ev->nitems = ps->nraw;
	}
	return NULL;
}

/* The record's fields are "type" and then k's, in k's order, once
 * each: a row as the tools write it. (The first is "type" when the
 * others are k's: the record has one.) */
static bool in_order(const struct gm_parser *ps, const struct known *k)
{
	const struct gm_rfield *f = k->rt->fields;
	if (ps->nfields != k->rt->nfields + 1)
		return false;
	for (size_t i = 0; i < k->rt->nfields; i++) {
		gm_str key = ps->fields[i + 1].key;
		if (key.n != k->flen[i] || !gm_swar_same(key.p, f[i].name, key.n))
			return false;
	}
	return true;
}

/* The check of step st's field, fv (NULL: absent), whose value it
 * keeps in ev: NULL, or the refusal. validate() and the in-order path
 * both take each step so. */
static inline __attribute__((always_inline)) const char *check_step(struct gm_parser *ps,
	const struct input *in, const struct step *st, const struct gm_field *fv,
	struct gm_event *ev)
{
	char *base = (char *)ev;
	union gm_rvalue v;
	if (kept(st->usual, st->f, fv, base, st->at, ev))
		return NULL;
	enum gm_rcheck c = gm_rfield_check(st->f, fv, false, NULL, 0, &v,
		ps->reason, sizeof ps->reason);
	if (c == GM_RCHECK_BAD)
		return ps->reason;
	if (c == GM_RCHECK_ABSENT)
		return NULL;
	switch (st->then) {
	case KEEP_STR:
		memcpy(base + st->at, &v.s, sizeof v.s);
		break;
	case KEEP_INT:
		memcpy(base + st->at, &v.i, sizeof v.i);
		break;
	case KEEP_BOOL:
		memcpy(base + st->at, &v.b, sizeof v.b);
		break;
	case KEEP_TS:
		ev->ts = v.i;
		ev->has_ts = true;
		break;
	case KEEP_ELEMENTS: {
		const char *err = check_elements(ps, in, st->f, ev);
		if (err)
			return err;
		break;
	}
	case KEEP_LABELS:
		if (ps->label_bad) {
			gm_rfield_label_refused(st->f, ps->bad_name, (enum gm_json_kind)ps->bad_kind,
				ps->reason, sizeof ps->reason);
			return ps->reason;
		}
		ev->labels = ps->labels;
		ev->nlabels = ps->nlabels;
		break;
	default:
		break;
	}
	if (st->has) {
		bool given = true;
		memcpy(base + st->has - 1, &given, sizeof given);
	}
	return NULL;
}

/* Values outside a field's list come last, after every other check:
 * NULL, or the refusal. */
static const char *check_listed(struct gm_parser *ps, const struct input *in)
{
	for (size_t i = 0; i < in->nlisted; i++) {
		const struct step *st = &in->steps[in->listed[i]];
		const struct gm_field *fv = field(ps, st->slot);
		if (fv && !gm_rfield_allowed(st->f, fv->value, ps->reason, sizeof ps->reason))
			return ps->reason;
	}
	return NULL;
}

static const char *validate(struct gm_parser *ps, struct gm_event *ev)
{
	union gm_rvalue v;
	if (gm_rfield_check(&gm_rfield_type, field(ps, SLOT_TYPE), false, NULL, 0, &v,
		ps->reason, sizeof ps->reason) != GM_RCHECK_OK)
		return ps->reason;
	gm_str t = ev->type_name = v.s;
	const struct known *k = ps->known, *kend = ps->known + ps->nknown;
	while (k < kend && !(k->nlen == t.n && gm_swar_same(k->rt->name, t.p, t.n)))
		k++;
	if (k == kend || k->input < 0) {
		const struct gm_field *f = field(ps, SLOT_TS);
		ev->type = GM_OTHER;
		ev->rtype = k < kend ? k->rt : NULL;
		ev->in_order = k < kend && in_order(ps, k);
		ev->has_ts = f && f->kind == GM_JSON_STRING &&
			gm_ts_parse(f->value.p, f->value.n, &ev->ts);
		return NULL;
	}
	const struct input *in = &ps->inputs[k->input];
	const struct gm_rtype *rt = in->rt;
	ev->type = rt->type;
	ev->rtype = rt;
	for (const struct step *st = in->steps, *last = st + rt->nfields; st < last; st++) {
		const char *err = check_step(ps, in, st, field(ps, st->slot), ev);
		if (err)
			return err;
	}
	return check_listed(ps, in);
}

/* ev all zero. A memset() of a size it knows GCC makes a rep stos,
 * whose start alone was a tenth of the in-order path's time (and a
 * loop of stores it turns into one): the size hidden, it calls the C
 * library's. */
static inline __attribute__((always_inline)) void zero_event(struct gm_event *ev)
{
	size_t n = sizeof *ev;
	__asm__("" : "+r"(n));
	memset(ev, 0, n);
}

/* ---- the in-order path ----
 * gm-produce writes a source event, a product, a restock or a sale as
 * "type" and then the fields of its type's descriptor in order, leaving
 * out optional ones, with no space and plain ASCII strings; the stream
 * tools write an alert so, its numbers after. The in-order path reads
 * such a line step by step, comparing each expected key `,"name":` in
 * place (no key is looked up) and checking each value as soon as it is
 * read, by validate()'s check_step(); then any fields of names no
 * checked type has. It builds the same generic view the other paths
 * would (the fields, their slots, the raw items, the labels), so that
 * what they give and it gives is the same. Anything else (a space, an
 * escape, a byte above 0x7F, another order, a key it does not expect, a
 * value it does not read, one the checks refuse) and it gives up: the
 * line goes to the other paths from the start, so every message stays
 * theirs. Lines it gives up one after another it tries only now and
 * then (in_order_worth()). */

/* A string or a number, p at its first byte: its kind and value, and
 * the byte after it; NULL for anything else. */
static inline __attribute__((always_inline)) const char *in_order_value(const char *p,
	const char *end, enum gm_json_kind *kind, gm_str *v)
{
	const char *q;
	if (p < end && *p == '"') {
		*kind = GM_JSON_STRING;
		return gm_jscan_plain(p, end, v);
	}
	if (!(q = gm_jscan_number(p, end)))
		return NULL;
	*kind = GM_JSON_NUMBER;
	*v = (gm_str){ p, (size_t)(q - p) };
	return q;
}

/* An element of an in-order container, p at its first byte: kept as
 * the callbacks keep it; the byte after it, or NULL. */
typedef const char *in_order_element_fn(struct gm_parser *ps, const struct input *in,
	const struct step *st, const char *p, const char *end);

/* The container of step st (its key key), p at its open byte: a field
 * of kind kind whose value is the container's text, its elements read
 * by element(), comma-separated, up to the close byte; the byte after
 * it, or NULL. */
static inline __attribute__((always_inline)) const char *in_order_container(
	struct gm_parser *ps, const struct input *in, const struct step *st, gm_str key,
	const char *p, const char *end, enum gm_json_kind kind, char open, char close,
	in_order_element_fn *element)
{
	const char *start = p;
	if (p >= end || *p++ != open)
		return NULL;
	size_t at = ps->nfields;
	add_field(ps, st->slot, key)->kind = kind;
	if (p < end && *p == close)
		p++;
	else
		for (;;) {
			if (!(p = element(ps, in, st, p, end)) || p >= end)
				return NULL;
			if (*p == close) {
				p++;
				break;
			}
			if (*p++ != ',')
				return NULL;
		}
	ps->fields[at].value = (gm_str){ start, (size_t)(p - start) };
	return p;
}

/* An object of the array of objects of step st: into ps->raw_items as
 * the callbacks put it, its fields in its elements' order. */
static const char *in_order_item(struct gm_parser *ps, const struct input *in,
	const struct step *st, const char *p, const char *end)
{
	const struct gm_rfield *f = st->f;
	if (p >= end || *p++ != '{')
		return NULL;
	new_item(ps, GM_JSON_OBJECT);
	struct item_raw *it = &ps->raw_items[ps->nraw - 1];
	bool first = true;
	for (size_t e = 0; e < f->nelements; e++) {
		/* The first key has no comma before it. */
		const char *ekey = ps->keytext + in->ekey_at[e] + first;
		const char *q = gm_jscan_past(p, end, ekey, in->ekey_len[e] - first);
		if (!q) {
			if (f->elements[e].required)
				return NULL;
			continue;
		}
		unsigned char s = in->eslot[e];
		enum gm_json_kind kind;
		if (!(p = in_order_value(q, end, &kind, &it->f[s].value)))
			return NULL;
		it->f[s].kind = kind;
		it->seen[s] = true;
		first = false;
	}
	return p < end && *p == '}' ? p + 1 : NULL;
}

/* A label of the labels object: a plain string's name and value into
 * ps->labels as the callbacks put them (a value not a string gives up:
 * its message is the other paths'). */
static const char *in_order_label(struct gm_parser *ps, const struct input *in,
	const struct step *st, const char *p, const char *end)
{
	(void)in;
	(void)st;
	gm_str name, value;
	if (!(p = gm_jscan_plain(p, end, &name)) || p >= end || *p++ != ':' ||
	    !(p = gm_jscan_plain(p, end, &value)))
		return NULL;
	ps->label_key = name;
	new_label(ps, GM_JSON_STRING, value);
	return p;
}

/* The fields after the descriptor's, p at the byte after them: each
 * a key no checked type has (an alert's numbers: "count", "value"),
 * a string or a number, kept as the callbacks keep it; the byte
 * after them, or NULL. */
static const char *in_order_rest(struct gm_parser *ps, const char *p, const char *end)
{
	while (p < end && *p == ',') {
		gm_str key;
		if (!(p = gm_jscan_plain(p + 1, end, &key)) || p >= end || *p++ != ':' ||
		    gm_key_slot(key.p, key.n) != SLOT_NONE)
			return NULL;
		struct gm_field *f = add_field(ps, SLOT_NONE, key);
		if (!(p = in_order_value(p, end, &f->kind, &f->value)))
			return NULL;
	}
	return p;
}

/* The event of line read by the in-order path, or NULL when it gives
 * up (the parser then wants start_line() again). */
static const struct gm_event *parse_in_order(struct gm_parser *ps, const char *line,
	size_t len)
{
	const char *p = line, *end = line + len;
	gm_str t;
	if (len < 10 || !gm_swar_same(p, "{\"type\":\"", 9) || !(p = gm_jscan_plain(p + 8, end, &t)))
		return NULL;
	const struct input *in = ps->inputs, *iend = ps->inputs + ps->ninputs;
	while (in < iend && !(in->nlen == t.n && gm_swar_same(in->rt->name, t.p, t.n)))
		in++;
	if (in == iend)
		return NULL;
	struct gm_event *ev = &ps->ev;
	zero_event(ev);
	ev->raw = line;
	ev->rawlen = len;
	ev->type_name = t;
	ev->type = in->rt->type;
	ev->rtype = in->rt;
	struct gm_field *tf = add_field(ps, SLOT_TYPE, (gm_str){ line + 2, 4 });
	tf->kind = GM_JSON_STRING;
	tf->value = t;
	for (const struct step *st = in->steps, *last = st + in->rt->nfields; st < last; st++) {
		const struct gm_field *fv = NULL;
		const char *q = gm_jscan_past(p, end, ps->keytext + st->key_at, st->key_len);
		if (q) {
			gm_str key = { p + 2, (size_t)st->key_len - 4 };
			if (st->then == KEEP_ELEMENTS) {
				p = in_order_container(ps, in, st, key, q, end, GM_JSON_ARRAY,
					'[', ']', in_order_item);
			} else if (st->then == KEEP_LABELS) {
				p = in_order_container(ps, in, st, key, q, end, GM_JSON_OBJECT,
					'{', '}', in_order_label);
			} else {
				struct gm_field *nf = add_field(ps, st->slot, key);
				p = in_order_value(q, end, &nf->kind, &nf->value);
			}
			if (!p)
				return NULL;
			fv = &ps->fields[ps->nfields - 1];
		} else if (st->f->required) {
			return NULL;
		}
		if (check_step(ps, in, st, fv, ev))
			return NULL;
	}
	if (!(p = in_order_rest(ps, p, end)) || p + 1 != end || *p != '}' ||
	    check_listed(ps, in))
		return NULL;
	ev->fields = ps->fields;
	ev->nfields = ps->nfields;
	ps->in_order_taken++;
	return ev;
}

/* Lines the in-order path gives up, one after another (another
 * writer's order, or gm-produce --truth's, which writes "anomaly"
 * last), would each be read twice: after IN_ORDER_MISSES in a row it
 * tries one line in IN_ORDER_EVERY, until it takes one. */
#define IN_ORDER_MISSES 16
#define IN_ORDER_EVERY 64

/* Whether the in-order path is to try the next line. */
static inline bool in_order_worth(struct gm_parser *ps)
{
	return ps->try_in_order && (ps->in_order_missed < IN_ORDER_MISSES ||
		++ps->in_order_skipped % IN_ORDER_EVERY == 0);
}

void gm_parser_set_in_order(struct gm_parser *ps, bool on)
{
	ps->try_in_order = on;
	ps->in_order_missed = 0;
	ps->in_order_skipped = 0;
}

size_t gm_parser_in_order_taken(const struct gm_parser *ps)
{
	return ps->in_order_taken;
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
	ps->in_labels = false;
	ps->nlabels = 0;
	ps->label_bad = false;
	ps->key_slot = SLOT_NONE;
	ps->cancel_reason[0] = 0;
	ps->high = 0;
	memset(ps->slot_of, -1, sizeof ps->slot_of);
}

/* The event of a line parsed whole, once validated; NULL with *reason
 * set when it is not valid. */
static const struct gm_event *validated(struct gm_parser *ps,
	const char *line, size_t len, const char **reason)
{
	struct gm_event *ev = &ps->ev;
	zero_event(ev);
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
	/* The fast path first: a line it takes whose strings hold no byte
	 * above 0x7F is all ASCII without a NUL (outside strings such a
	 * byte is not JSON; in them a NUL is a control character, which it
	 * does not take), and needs no look at its UTF-8. */
	start_line(ps, line, len);
	if (in_order_worth(ps)) {
		const struct gm_event *ev = parse_in_order(ps, line, len);
		if (ev) {
			ps->in_order_missed = 0;
			return ev;
		}
		ps->in_order_missed += ps->in_order_missed < IN_ORDER_MISSES;
		start_line(ps, line, len);
	}
	bool fast = parse_fast(ps, line, len);
	if (fast && !ps->high)
		return validated(ps, line, len, reason);
	/* Any other line's bytes are looked at first: a NUL anywhere is
	 * named before invalid UTF-8 anywhere, both before anything else. */
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
	if (fast)
		return validated(ps, line, len, reason);
	if (ps->arena_cap < len) {
		free(ps->arena);
		ps->arena_cap = len < 4096 ? 4096 : len * 2;
		ps->arena = gm_xrealloc(NULL, ps->arena_cap);
	}
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

/* Declared in rtype.h beside the checks it applies; here because it
 * reads the generic view, which is the parser's. */
bool gm_rtype_decode(const struct gm_rtype *t, const struct gm_event *r,
	union gm_rvalue *vals, bool *present, char *why, size_t whyn)
{
	/* A row as the tools write it holds "type", then every field of t
	 * in t's order, once (the parser says): then each is where t puts
	 * it, and a field's search by name (a walk of the row for each) is
	 * spared. Otherwise the search finds the same fields. */
	bool in_order = r->rtype == t && r->in_order;
	for (size_t i = 0; i < t->nfields; i++) {
		const struct gm_rfield *f = &t->fields[i];
		const struct gm_field *v = in_order ? &r->fields[i + 1] : gm_event_field(r, f->name);
		enum gm_rcheck c;
		/* The parser has read a record's "ts" of any type it does not
		 * check as a time already (has_ts): not twice. */
		if (f->kind == GM_RK_TIME && r->type == GM_OTHER && r->has_ts && v &&
		    GM_STR_EQ(v->key, "ts")) {
			vals[i].i = r->ts;
			c = GM_RCHECK_OK;
		} else {
			c = gm_rfield_check(f, v, true, NULL, 0, &vals[i], why, whyn);
		}
		if (c == GM_RCHECK_BAD)
			return false;
		present[i] = c == GM_RCHECK_OK;
		if (present[i] && f->kind == GM_RK_STRING && f->one_of &&
		    !gm_rfield_allowed(f, vals[i].s, why, whyn))
			return false;
	}
	return true;
}

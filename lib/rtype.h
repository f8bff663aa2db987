/* rtype: one descriptor per record type of gm-events(5), the one place
 * that says what a record of that type holds. The parser's checks
 * (event.c), the PostgreSQL sink's table registry and column checks
 * (pg.c) and the tools' default topics all read it, and the tests check
 * scripts/schema.sql against it; so a fact about a record is written
 * here once, and its prose once in man/gm-events.5.
 *
 * Adding a record type: one entry in rtype.c's table (its fields, then
 * its struct gm_rtype in gm_rtypes[]), plus its section in
 * man/gm-events.5. Then:
 *   - with input set, gm_parse() checks every record of the type and
 *     rejects the bad ones with the messages below; without it, gm_parse()
 *     takes records of the type as they are, and only the sink that
 *     stores them checks them; a type that tools read decoded has its
 *     enum gm_type (event.h) and its fields' at;
 *   - with table set, the PostgreSQL sink stores the type there: its
 *     columns are the fields that have a sqltype, in the order of the
 *     fields, id first; add the CREATE TABLE (or, for a table that
 *     exists, the ALTER TABLE) to scripts/schema.sql, which the server
 *     test of tests/unit/test_pg.c (run by tests/sh/pg-sink.sh) checks
 *     against the descriptor after a fresh run and after an upgrade;
 *   - topic is the default Kafka topic of the tools that write the type,
 *     and key the field whose value keys the messages; a type that no
 *     tool sends to Kafka (dead_letter: a file's) has neither.
 * tests/unit/test_rtype.c walks every descriptor: each field, missing,
 * of the wrong kind and out of its range, is refused as described. */
#ifndef GM_RTYPE_H
#define GM_RTYPE_H

#include <stdbool.h>
#include <stdlib.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "ts.h"

/* A field's kind: the JSON value it takes and what it means. A wrong
 * JSON kind is refused with "field \"F\": expected K, got J". */
enum gm_rkind {
	GM_RK_STRING,  /* a JSON string; a required one may not be empty */
	GM_RK_TIME,    /* an RFC 3339 time string (gm-events(5) Times),
	                  decoded to ms since the epoch; required: non-empty */
	GM_RK_MONEY,   /* a JSON number, an amount in dollars to the cent
	                  (money.h), 0 to GM_MONEY_MAX_CENTS; decoded to cents */
	GM_RK_TOTAL,   /* the same for a sum of amounts: 0 to GM_MONEY_MAX_TOTAL */
	GM_RK_INT,     /* a JSON integer (no fraction, no exponent) in
	                  [lo, hi], decoded to int64_t. With the whole 64-bit
	                  range the messages say "a number" and "a 64-bit
	                  integer"; with a narrower one, "an integer" and
	                  "V is out of range (lo to hi)" */
	GM_RK_BOOL,    /* true or false */
	GM_RK_OBJECT,  /* a JSON object, which may be empty; kept as its text */
	GM_RK_ARRAY,   /* a JSON array, kept as its text; a required one
	                  may not be empty. With elements set, each element
	                  must be an object, whose fields are checked as a
	                  record's, named "F[i].E" in messages */
	GM_RK_NUMBER,  /* any JSON number (a rate, an average), kept as its
	                  text */
	GM_RK_LABELS,  /* a JSON object, flat, whose values are all strings
	                  (an alert's labels), which may be empty; kept as
	                  its text, and decoded into ev->labels (its at is
	                  labels). gm_rfield_check() checks that it is an
	                  object; gm_parse() checks its values as it decodes
	                  them (so only an input type has such a field): one
	                  of another kind is refused with
	                  "field \"F\": \"NAME\" holds K, not a string"
	                  (gm_rfield_label_refused) */
	GM_RK_NKINDS
};

struct gm_rfield {
	const char *name;      /* as in the record */
	enum gm_rkind kind;
	bool required;         /* missing (or null, see gm_rfield_check) refuses
	                          the record; else it may be left out */
	int64_t lo, hi;        /* GM_RK_INT: the range, both included */
	const char *const *one_of;  /* GM_RK_STRING: the values allowed,
	                          NULL-terminated; NULL: any. Checked after
	                          every other field (gm_rfield_allowed) */
	const struct gm_rfield *elements;  /* GM_RK_ARRAY: the fields of
	                          each element (an object), or NULL */
	size_t nelements;
	const char *sqltype;   /* its PostgreSQL column type, as format_type()
	                          writes it ("text", "bigint",
	                          "timestamp with time zone", "numeric(19,2)",
	                          "jsonb", "boolean"); NULL: not a column */
	size_t at;             /* where gm_parse() puts the decoded value,
	                          GM_RT_AT(struct gm_event, member) (struct
	                          gm_item for an element's field): a gm_str for
	                          strings, int64_t for times, money and
	                          integers, bool for GM_RK_BOOL; an array at
	                          items decodes its elements into struct
	                          gm_item (ev->items, ev->nitems), and
	                          GM_RK_LABELS, at labels, its labels into
	                          struct gm_label (ev->labels, ev->nlabels).
	                          0: only in the record's generic view
	                          (ev->fields) */
	size_t has;            /* for an optional field whose decoded value
	                          cannot say it was absent (0 is an integer
	                          too): where gm_parse() sets a bool true when
	                          the record gives the field,
	                          GM_RT_AT(struct gm_event, member); 0: none */
};

/* A member for gm_rfield.at: its offset plus one, so that 0 is none. */
#define GM_RT_AT(type, member) (offsetof(type, member) + 1)

struct gm_rtype {
	const char *name;      /* as in "type" */
	enum gm_type type;     /* gm_parse()'s ev->type for it (GM_OTHER: none) */
	bool input;            /* gm_parse() checks it (see the top) */
	const char *topic;     /* the default Kafka topic of its records;
	                          NULL for a type that goes only to a file
	                          (neither input nor table then) */
	const char *late_topic;  /* the default topic of those that came
	                          late to a window, or NULL */
	const char *key;       /* the field that keys its Kafka messages, so
	                          that a key's records meet in one consumer;
	                          NULL: the tool that writes it says (its
	                          page), or no topic */
	const char *id;        /* the field that identifies a record
	                          (deterministic: a replay gives the same id);
	                          its table's primary key. NULL for a type
	                          without a table whose identity is more than
	                          one field (gm-events(5) says which) */
	const char *table;     /* its PostgreSQL table, or NULL */
	bool warehouse;        /* a table of the warehouse (gm-warehouse(5)):
	                          kept by a warehouse backend (warehouse.h),
	                          never sent to Kafka, so it has no topic */
	const char *record_column;  /* a jsonb column that holds the whole
	                          record as given; or NULL */
	const char *record_after;  /* the field whose column it follows, so
	                          that a column added later (ALTER TABLE adds
	                          at the end) comes after it; NULL: after
	                          every field's */
	const struct gm_rfield *fields;  /* in the order they are checked */
	size_t nfields;
};

/* Every record type of gm-events(5), and each by name. */
extern const struct gm_rtype *const gm_rtypes[];
extern const size_t gm_nrtypes;
extern const struct gm_rtype gm_rtype_transaction, gm_rtype_product_view,
	gm_rtype_cart_event, gm_rtype_sales_metric, gm_rtype_alert, gm_rtype_session,
	gm_rtype_session_metric, gm_rtype_product, gm_rtype_restock, gm_rtype_sale,
	gm_rtype_inventory_status, gm_rtype_dead_letter,
	gm_rtype_fact_sales, gm_rtype_fact_product_views, gm_rtype_fact_cart_events,
	gm_rtype_dim_date, gm_rtype_dim_customer, gm_rtype_dim_product, gm_rtype_dim_geography,
	gm_rtype_product_performance, gm_rtype_sales_trends, gm_rtype_etl_state,
	gm_rtype_customer_segment, gm_rtype_segment_summary, gm_rtype_rfm_cuts,
	gm_rtype_segment_migration, gm_rtype_stats, gm_rtype_metric,
	gm_rtype_kafka_metric, gm_rtype_system_health_metric;


/* The values of dead_letter's "integration", NULL-terminated, in the
 * order of a receiver's configs in gm-notify.conf(5): email, slack,
 * webhook, sms, file. The writer of the record names a config's kind
 * with these. */
extern const char *const gm_rtype_dead_letter_integrations[];

/* The field every record has: "type", a required string. */
extern const struct gm_rfield gm_rfield_type;

/* The descriptor of the type called name[0..n), or NULL. */
const struct gm_rtype *gm_rtype_for(const char *name, size_t n);

/* The descriptor whose ev->type is t, or NULL for GM_OTHER. */
const struct gm_rtype *gm_rtype_of(enum gm_type t);

/* The field called name (NUL-terminated) of t, or NULL. */
const struct gm_rfield *gm_rtype_field(const struct gm_rtype *t, const char *name);

/* The place of t's field name among the values gm_rtype_decode() gives.
 * A name t has not is a bug of the caller's: it aborts. */
static inline size_t gm_rfield_at(const struct gm_rtype *t, const char *name)
{
	const struct gm_rfield *f = gm_rtype_field(t, name);
	if (!f)
		abort();
	return (size_t)(f - t->fields);
}
#define GM_RFIELD_AT(t, name) gm_rfield_at((t), (name))

/* The names of the fields gm_parse() checks, each once, into
 * names[0..max): with of_elements false those of the records' top
 * level, "type" and "ts" first and then the input types' fields in
 * their order; with it true those of their arrays' elements. Returns
 * how many, or 0 when there are more than max. A name's position is
 * its slot in the parser, whose key lookup the build generates from
 * this list (scripts/gen-keys.c). */
size_t gm_rtype_checked_names(bool of_elements, const char **names, size_t max);

/* A decoded value (see gm_rfield.at for which member). */
union gm_rvalue {
	gm_str s;
	int64_t i;
	bool b;
};

enum gm_rcheck { GM_RCHECK_BAD, GM_RCHECK_OK, GM_RCHECK_ABSENT };

/* The value of v, a JSON integer's text (an optional minus, digits),
 * when it fits 64 bits; else false, with *overflow when it has only
 * digits but too many. What a GM_RK_INT field is read with, inline for
 * the parser's usual path (event.c). */
static inline bool gm_rint_parse(gm_str v, int64_t *out, bool *overflow)
{
	const char *p = v.p, *end = v.p + v.n;
	bool neg = p < end && *p == '-';
	p += neg;
	uint64_t u = 0;
	*overflow = false;
	if (p == end)
		return false;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (u > (UINT64_MAX - 9) / 10)
			*overflow = true;
		else
			u = u * 10 + (uint64_t)(*p - '0');
	}
	if (p != end)
		return false;
	if (u > (uint64_t)INT64_MAX + neg)
		*overflow = true;
	if (*overflow)
		return false;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

/* Checks v, the value of field f in a record (NULL: the record has no
 * such field), against f's kind, required, non-empty and range; not
 * one_of (gm_rfield_allowed) nor an array's elements (the caller's, with
 * in and index below). Returns GM_RCHECK_OK with the decoded value in
 * *out (strings, objects and arrays point into v); GM_RCHECK_ABSENT when
 * an optional field is missing (or null, with null_is_absent); or
 * GM_RCHECK_BAD with a one-line reason in why (NUL-terminated, truncated
 * to whyn bytes), one of
 *   missing field "F"
 *   field "F": expected a string, got a number
 *   field "F": null is not allowed        (with null_is_absent)
 *   field "F" is empty
 *   field "F": not an RFC 3339 time: V
 *   field "F": V is out of range (0 to 1000000000000)
 *   field "F": expected an integer, got V
 *   field "F": expected a 64-bit integer, got V
 * V being at most 40 bytes of the value. null_is_absent: null stands for
 * a missing value (a PostgreSQL column's NULL) instead of being a wrong
 * kind, as gm-events(5) has it for records read. in: NULL, or the array
 * of which the field's record is element index, named "in[index].F". */
static inline enum gm_rcheck gm_rfield_check(const struct gm_rfield *f,
	const struct gm_field *v, bool null_is_absent, const char *in, size_t index,
	union gm_rvalue *out, char *why, size_t whyn);

/* The same, without the inline shortcuts for the usual values (an
 * optional field left out, a non-empty string, a valid time or an
 * integer in range where one is wanted): what gm_rfield_check() calls
 * for everything else. */
enum gm_rcheck gm_rfield_check_value(const struct gm_rfield *f, const struct gm_field *v,
	bool null_is_absent, const char *in, size_t index, union gm_rvalue *out,
	char *why, size_t whyn);

static inline enum gm_rcheck gm_rfield_check(const struct gm_rfield *f,
	const struct gm_field *v, bool null_is_absent, const char *in, size_t index,
	union gm_rvalue *out, char *why, size_t whyn)
{
	if (!v) {
		if (!f->required)
			return GM_RCHECK_ABSENT;
	} else if (v->kind == GM_JSON_STRING && v->value.n > 0) {
		if (f->kind == GM_RK_STRING) {
			out->s = v->value;
			return GM_RCHECK_OK;
		}
		if (f->kind == GM_RK_TIME && gm_ts_parse(v->value.p, v->value.n, &out->i))
			return GM_RCHECK_OK;
	} else if (v->kind == GM_JSON_NUMBER && f->kind == GM_RK_INT) {
		bool overflow;
		if (gm_rint_parse(v->value, &out->i, &overflow) && out->i >= f->lo && out->i <= f->hi)
			return GM_RCHECK_OK;
	}
	return gm_rfield_check_value(f, v, null_is_absent, in, index, out, why, whyn);
}

/* The refusal of a label of GM_RK_LABELS field f: label name holds a
 * value of JSON kind k, not a string. Sets why to
 * "field \"F\": \"NAME\" holds K, not a string", NAME at most 64 bytes
 * of name (control characters as '?'), K as gm_json_kind_name() has
 * it; returns GM_RCHECK_BAD. */
enum gm_rcheck gm_rfield_label_refused(const struct gm_rfield *f, gm_str name,
	enum gm_json_kind k, char *why, size_t whyn);

/* True when string s is one of f's one_of values (or f has none); else
 * false with why set to "field \"F\": expected \"a\" or \"b\", got \"s\"". */
bool gm_rfield_allowed(const struct gm_rfield *f, gm_str s, char *why, size_t whyn);

/* The fields of record r (its generic view, event.h) that t declares,
 * checked as gm_rfield_check() checks them (null taken as absent):
 * vals[i] and present[i] for t->fields[i]; present false for an
 * optional field left out. Returns false with the first field's reason
 * in why (NUL-terminated, truncated to whyn). For reading back records
 * that gm_parse() does not decode: a warehouse's rows. */
bool gm_rtype_decode(const struct gm_rtype *t, const struct gm_event *r,
	union gm_rvalue *vals, bool *present, char *why, size_t whyn);

#endif

/* event: one NDJSON record parsed with yajl and validated against the
 * formats of gm-events(5), as the descriptors of rtype.h give them: a
 * record of a type they mark as input is checked field by field, and
 * decoded into the typed fields of struct gm_event (the source events,
 * the catalog, restocks and sales, an alert's id, ts and labels); every
 * record, of any type, also gets a generic view of its top-level
 * fields. One parser is reused for every record: its memory grows to
 * the largest record seen and is never freed per record. */
#ifndef GM_EVENT_H
#define GM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* A byte string that is not NUL-terminated. */
typedef struct {
	const char *p;
	size_t n;
} gm_str;

#define GM_STR_EQ(s, lit) ((s).n == sizeof(lit) - 1 && memcmp((s).p, lit, (s).n) == 0)

enum gm_type {
	GM_OTHER = 0,      /* any other type: only the generic view */
	GM_TRANSACTION,
	GM_PRODUCT_VIEW,
	GM_CART_EVENT,
	GM_PRODUCT,
	GM_RESTOCK,
	GM_SALE,
	GM_ALERT,          /* checked; decoded: id (alert_id), ts and labels */
};

enum gm_json_kind {
	GM_JSON_NULL, GM_JSON_BOOL, GM_JSON_NUMBER, GM_JSON_STRING,
	GM_JSON_OBJECT, GM_JSON_ARRAY,
};

/* A top-level field. value is the decoded string for strings, the
 * number's text for numbers, "true"/"false"/"null", and the raw JSON
 * text for objects and arrays. */
struct gm_field {
	gm_str key;
	enum gm_json_kind kind;
	gm_str value;
};

struct gm_item {
	gm_str product_id;
	gm_str category;
	int64_t quantity;
	int64_t unit_price;   /* cents */
	int64_t amount;       /* quantity * unit_price, cents */
};

/* A label of an alert (rtype.h's GM_RK_LABELS): its name and its
 * value, both decoded as strings are (escapes undone; a \u0000 escape
 * gives a NUL byte, as in any decoded string). */
struct gm_label {
	gm_str name, value;
};

struct gm_rtype;

struct gm_event {
	enum gm_type type;
	gm_str type_name;     /* the "type" field as written */
	const struct gm_rtype *rtype;  /* its descriptor (rtype.h), or NULL
	                         for a type gm-events(5) does not define */
	bool in_order;        /* of a type rtype.h describes but gm_parse()
	                         does not check (a warehouse's row): its
	                         fields are "type", then rtype's in rtype's
	                         order, once each, as the tools write them
	                         (fields[i + 1] is rtype->fields[i]); false
	                         for any other record */
	gm_str id;            /* transaction_id (transaction, sale), event_id
	                         (product_view, cart_event), restock_id or
	                         alert_id;
	                         empty for a product (its id is product_id) */
	int64_t ts;           /* ms since the epoch; 0 if absent (GM_OTHER) */
	bool has_ts;
	gm_str user_id;                   /* the source events, sale */
	gm_str session_id, country;       /* the source events (no country
	                                     for cart_event) */
	gm_str payment_method;            /* transaction */
	gm_str product_id;                /* all but transaction */
	gm_str category;                  /* product_view, cart_event, product, sale */
	gm_str name;                      /* product */
	gm_str action;                    /* cart_event: "add" or "remove" */
	int64_t quantity;                 /* cart_event, restock, sale: units */
	int64_t unit_price;               /* cart_event, product, sale: cents */
	int64_t stock;                    /* product: the units on hand, as
	                                     counted at ts */
	int64_t reorder_point;            /* product: valid when
	                                     has_reorder_point; absent, the
	                                     reader's default applies */
	bool has_reorder_point;
	int64_t total_amount;             /* transaction, cents */
	int64_t duration_ms;              /* product_view */
	struct gm_item *items;            /* transaction */
	size_t nitems;
	int64_t items_amount;             /* transaction: the items' amounts
	                                     added up, cents; at most
	                                     GM_MONEY_MAX_TOTAL (money.h) */
	struct gm_label *labels;          /* alert: its labels object, in the
	                                     order given, a name given twice
	                                     kept twice */
	size_t nlabels;
	gm_str anomaly;                   /* optional ground-truth marker */
	struct gm_field *fields;          /* generic view, in input order */
	size_t nfields;
	const char *raw;                  /* the record as given */
	size_t rawlen;
};

struct gm_parser;

/* Allocates a parser. Ends the process (status 1) when memory is
 * exhausted. */
struct gm_parser *gm_parser_new(void);
void gm_parser_free(struct gm_parser *ps);

/* Parses and validates one record (a line without its newline). On
 * success returns the event, which points into the parser and into
 * line, both valid until the next call. On failure returns NULL and sets
 * *reason to a one-line explanation owned by the parser, e.g.
 * "invalid JSON at column 17: unallowed token",
 * "invalid UTF-8 at column 5", "missing field \"user_id\"",
 * "field \"quantity\": expected an integer, got a string",
 * "field \"labels\": \"n\" holds a number, not a string". */
const struct gm_event *gm_parse(struct gm_parser *ps, const char *line,
	size_t len, const char **reason);

/* Whether gm_parse() tries its in-order path first (on, as a parser
 * starts): a line as gm-produce and the stream tools write it ("type",
 * then its type's fields in its descriptor's order, then fields of
 * names no checked type has, as an alert's numbers; plain ASCII) read
 * in place. Off, every line takes the general path. Either way
 * gm_parse() gives the same: the switch exists for tests and
 * comparisons. On, it also
 * forgets the lines the path gave up (after many in a row it tries
 * only some), so that it tries the next one. */
void gm_parser_set_in_order(struct gm_parser *ps, bool on);

/* The lines the in-order path has taken since ps was made: for tests
 * that want to know which path a line took. */
size_t gm_parser_in_order_taken(const struct gm_parser *ps);

/* The top-level field called key (n bytes), or NULL. Of duplicate
 * keys the last counts, as for the validator and PostgreSQL's jsonb. */
const struct gm_field *gm_event_field_n(const struct gm_event *ev,
	const char *key, size_t n);

/* The same, for a NUL-terminated key. */
const struct gm_field *gm_event_field(const struct gm_event *ev,
	const char *key);

/* The value of the field that keys ev's Kafka messages (its
 * descriptor's key, rtype.h: user_id for the source events, product_id for the
 * catalog, restocks and sales), so that a record passed on meets its
 * key's others in one consumer; empty when its type names none or it
 * has none. Points into ev. */
gm_str gm_event_key(const struct gm_event *ev);


/* "null", "a boolean", "a number", "a string", "an object", "an array":
 * a JSON kind as messages name it. */
const char *gm_json_kind_name(enum gm_json_kind k);

/* A value as a message shows it: at most n - 1 bytes of s into buf,
 * NUL-terminated, control characters as '?' (the message stays one
 * line). Returns buf. */
char *gm_str_show(gm_str s, char *buf, size_t n);

/* a and b ordered as their bytes are, a prefix first: <0, 0, >0. */
static inline int gm_str_cmp(gm_str a, gm_str b)
{
	int c = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);
	return c ? c : (a.n > b.n) - (a.n < b.n);
}

/* s into buf as it is, NUL-terminated, cut to n - 1 bytes (a tool
 * that keeps ids in fixed fields refuses longer ones first). Returns
 * buf. */
char *gm_str_copy(gm_str s, char *buf, size_t n);

/* The type name for a gm_type ("transaction", ...; "other"). */
const char *gm_type_name(enum gm_type t);

#endif

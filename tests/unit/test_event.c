#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "event.h"
#include "rtype.h"

static struct gm_parser *ps;

static void setup(void)
{
	ps = gm_parser_new();
}

static void teardown(void)
{
	gm_parser_free(ps);
}

static const struct gm_event *ok(const char *line)
{
	const char *reason = NULL;
	const struct gm_event *ev = gm_parse(ps, line, strlen(line), &reason);
	ck_assert_msg(ev != NULL, "rejected %s: %s", line, reason);
	return ev;
}

static void bad(const char *line, size_t len, const char *want_reason)
{
	const char *reason = NULL;
	const struct gm_event *ev = gm_parse(ps, line, len, &reason);
	ck_assert_msg(ev == NULL, "accepted %s", line);
	ck_assert_str_eq(reason, want_reason);
}

#define BAD(line, reason) bad(line, strlen(line), reason)

static bool str_is(gm_str s, const char *want)
{
	return s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

#define TX "{\"type\":\"transaction\",\"transaction_id\":\"t1\",\"ts\":\"2026-11-24T10:00:00.123Z\"," \
	"\"user_id\":\"u1\",\"session_id\":\"s1\",\"country\":\"UK\",\"payment_method\":\"card\"," \
	"\"items\":[{\"product_id\":\"p1\",\"category\":\"books\",\"quantity\":2,\"unit_price\":10.25}," \
	"{\"product_id\":\"p2\",\"category\":\"toys\",\"quantity\":1,\"unit_price\":0.1,\"extra\":{\"quantity\":9}}]," \
	"\"total_amount\":20.6}"

START_TEST(transaction)
{
	const struct gm_event *ev = ok(TX);
	ck_assert_int_eq(ev->type, GM_TRANSACTION);
	ck_assert(str_is(ev->id, "t1"));
	ck_assert_int_eq(ev->ts, 1795514400123LL);
	ck_assert(str_is(ev->user_id, "u1"));
	ck_assert(str_is(ev->country, "UK"));
	ck_assert(str_is(ev->payment_method, "card"));
	ck_assert_int_eq(ev->total_amount, 2060);
	ck_assert_uint_eq(ev->nitems, 2);
	ck_assert(str_is(ev->items[0].product_id, "p1"));
	ck_assert_int_eq(ev->items[0].quantity, 2);
	ck_assert_int_eq(ev->items[0].unit_price, 1025);
	ck_assert(str_is(ev->items[1].category, "toys"));
	ck_assert_int_eq(ev->items[1].quantity, 1);
	ck_assert_int_eq(ev->items[1].unit_price, 10);
	const struct gm_field *f = gm_event_field(ev, "items");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->kind, GM_JSON_ARRAY);
	ck_assert_uint_eq(f->value.n, strstr(TX, "],") + 1 - strstr(TX, "[{"));
	ck_assert_uint_eq(ev->nfields, 9);
	ck_assert_ptr_eq(ev->raw, ev->fields[0].key.p - 2);
}
END_TEST

START_TEST(view_and_cart_and_other)
{
	const struct gm_event *ev = ok("{\"type\":\"product_view\",\"event_id\":\"e1\",\"ts\":\"2026-11-24T10:00:00.000Z\","
		"\"user_id\":\"u1\",\"session_id\":\"s1\",\"product_id\":\"p9\",\"category\":\"books\","
		"\"country\":\"USA\",\"duration_ms\":1500,\"future_field\":[1,{\"x\":null}]}");
	ck_assert_int_eq(ev->type, GM_PRODUCT_VIEW);
	ck_assert_int_eq(ev->duration_ms, 1500);
	ck_assert(str_is(ev->product_id, "p9"));
	ck_assert(str_is(gm_event_field(ev, "future_field")->value, "[1,{\"x\":null}]"));

	ev = ok("{\"ts\":\"2026-11-24T10:00:00.000Z\",\"type\":\"cart_event\",\"event_id\":\"e2\","
		"\"user_id\":\"u\\u00e9\",\"session_id\":\"s1\",\"product_id\":\"p9\",\"category\":\"books\","
		"\"action\":\"remove\",\"quantity\":3,\"unit_price\":5,\"anomaly\":\"burst\"}");
	ck_assert_int_eq(ev->type, GM_CART_EVENT);
	ck_assert(str_is(ev->user_id, "u\xc3\xa9"));   /* unescaped */
	ck_assert(str_is(ev->action, "remove"));
	ck_assert_int_eq(ev->quantity, 3);
	ck_assert_int_eq(ev->unit_price, 500);
	ck_assert(str_is(ev->anomaly, "burst"));

	ev = ok("{\"type\":\"digest\",\"ts\":\"2026-11-24T10:00:00.000Z\",\"labels\":{\"a\":\"b\"},\"n\":1.5}");
	ck_assert_int_eq(ev->type, GM_OTHER);
	ck_assert(ev->has_ts);
	ck_assert(str_is(ev->type_name, "digest"));
	ck_assert_int_eq(gm_event_field(ev, "n")->kind, GM_JSON_NUMBER);
	ck_assert(str_is(gm_event_field(ev, "n")->value, "1.5"));
	ck_assert(str_is(gm_event_field(ev, "labels")->value, "{\"a\":\"b\"}"));
	ck_assert_ptr_null(gm_event_field(ev, "missing"));

	ev = ok("  {\"type\":\"stats\",\"ts\":\"not a time\"}  ");
	ck_assert(!ev->has_ts);
}
END_TEST

/* A record passed on is keyed as its type says: the source events by
 * user_id, the catalog, restocks and sales by product_id, a type that
 * names no key (an alert) or an unknown one by nothing. */
START_TEST(keys_by_type)
{
	ck_assert(str_is(gm_event_key(ok(TX)), "u1"));
	ck_assert(str_is(gm_event_key(ok("{\"type\":\"restock\",\"restock_id\":\"r1\","
		"\"ts\":\"2026-11-24T10:00:00Z\",\"product_id\":\"p7\",\"quantity\":3}")), "p7"));
	ck_assert(str_is(gm_event_key(ok("{\"type\":\"alert\",\"alert_id\":\"a\",\"ts\":\"2026-11-24T10:00:00Z\","
		"\"kind\":\"k\",\"severity\":\"info\",\"source\":\"s\",\"summary\":\"s\",\"labels\":{}}")), ""));
	ck_assert(str_is(gm_event_key(ok("{\"type\":\"whatever\",\"user_id\":\"u1\"}")), ""));
}
END_TEST

START_TEST(json_errors)
{
	BAD("{\"type\":\"transaction\"", "invalid JSON at column 22: the record ends before its value is complete");
	BAD("{\"type\" \"x\"}", "invalid JSON at column 12: parse error: object key and value must be separated by a colon (':')");
	BAD("[1,2]", "expected a JSON object, got an array");
	BAD("42", "expected a JSON object, got a number");
	BAD("\"str\"", "expected a JSON object, got a string");
	BAD("{} {}", "more than one JSON value on the line");
	BAD("{\"a\":1}x", "invalid JSON at column 9: lexical error: invalid char in json text");
	BAD("nul", "invalid JSON at column 4: the record ends before its value is complete");
	BAD("   ", "expected a JSON object, got nothing");
	bad("{\"a\":\"b\0c\"}", 11, "NUL byte at column 8 (binary data?)");
	BAD("{\"a\":\"caf\xe9\"}", "invalid UTF-8 at column 10");
	BAD("\xff\xfe{}", "invalid UTF-8 at column 1");
	BAD("\xef\xbb\xbf{\"type\":\"x\"}", "byte-order mark (U+FEFF) at column 1: records are UTF-8 without one");
	/* the parser recovers after every error */
	ok(TX);
}
END_TEST

/* Rejected as invalid JSON (the message is yajl's: the fast path hands
 * every line it cannot take to yajl). */
static void bad_json(const char *line)
{
	const char *reason = NULL;
	ck_assert_msg(gm_parse(ps, line, strlen(line), &reason) == NULL, "accepted %s", line);
	ck_assert_msg(strncmp(reason, "invalid JSON at column ", 23) == 0, "%s: %s", line, reason);
}

START_TEST(fast_path_agrees_with_yajl)
{
	/* Numbers outside JSON's grammar, and other near misses. */
	const char *const invalid[] = {
		"{\"type\":\"x\",\"n\":01}", "{\"type\":\"x\",\"n\":-}",
		"{\"type\":\"x\",\"n\":1.}", "{\"type\":\"x\",\"n\":1e}",
		"{\"type\":\"x\",\"n\":.5}", "{\"type\":\"x\",\"n\":+1}",
		"{\"type\":\"x\",\"n\":1.5.2}", "{\"type\":\"x\",\"n\":tru}",
		"{\"type\":\"x\",}", "{\"type\":\"x\",\"a\":[1,]}",
		"{\"type\":\"x\"\"a\":1}", "{\"type\":\"x\",\"s\":\"tab\there\"}",
		"{\"type\":\"x\",\"s\":\"bad \\q escape\"}", "{\"type\":\"x\",\"a\":[1 2]}",
		"{\"type\":\"x\",\"a\":{\"b\"}}", "{\"type\":\"x\",\"s\":\"open}",
	};
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		bad_json(invalid[i]);

	/* Valid JSON the fast path does not take (escapes, deep nesting)
	 * comes out of yajl the same as the rest. */
	const struct gm_event *ev = ok(" {\"type\" : \"x\" , \"n\":-0.5e+3,\"m\":[true,false,null,{\"k\":[]}],"
		"\"e\":{},\"s\":\"caf\\u00e9 \\\"q\\\"\",\"t\":\"plain\"}\r\n");
	ck_assert(str_is(gm_event_field(ev, "n")->value, "-0.5e+3"));
	ck_assert(str_is(gm_event_field(ev, "m")->value, "[true,false,null,{\"k\":[]}]"));
	ck_assert(str_is(gm_event_field(ev, "e")->value, "{}"));
	ck_assert(str_is(gm_event_field(ev, "s")->value, "caf\xc3\xa9 \"q\""));
	ck_assert(str_is(gm_event_field(ev, "t")->value, "plain"));
	char deep[256] = "{\"type\":\"x\",\"d\":";
	for (int i = 0; i < 20; i++)
		strcat(deep, "[");
	for (int i = 0; i < 20; i++)
		strcat(deep, "]");
	strcat(deep, "}");
	ev = ok(deep);
	ck_assert_uint_eq(gm_event_field(ev, "d")->value.n, 40);
	/* The same plain line, whichever path took the one before. */
	ev = ok(TX);
	ck_assert_uint_eq(ev->nitems, 2);
}
END_TEST

/* A string with one byte of interest at each place of its 40 (the
 * scan takes sixteen bytes at a time, then eight, then one): the same
 * value whichever step finds it, and a control character refused
 * wherever it is. */
START_TEST(string_bytes_at_every_place)
{
	char as[41], line[200], want[48];
	memset(as, 'a', 40);
	as[40] = 0;
	for (int k = 0; k < 40; k++) {
		const char *const odd[] = { "\\\"", "\\\\", "\xc3\xa9", "\x7f" };
		const char *const got[] = { "\"", "\\", "\xc3\xa9", "\x7f" };
		for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
			snprintf(line, sizeof line, "{\"type\":\"x\",\"s\":\"%.*s%s%s\",\"t\":\"z\"}",
				k, as, odd[i], as + k + 1);
			snprintf(want, sizeof want, "%.*s%s%s", k, as, got[i], as + k + 1);
			const struct gm_event *ev = ok(line);
			ck_assert_msg(str_is(gm_event_field(ev, "s")->value, want), "%s", line);
			ck_assert(str_is(gm_event_field(ev, "t")->value, "z"));
		}
		snprintf(line, sizeof line, "{\"type\":\"x\",\"s\":\"%.*s\x01%s\"}", k, as, as + k + 1);
		bad_json(line);
		/* The closing quote at each place. */
		snprintf(line, sizeof line, "{\"type\":\"x\",\"s\":\"%.*s\",\"t\":\"z\"}", k, as);
		ck_assert_uint_eq(gm_event_field(ok(line), "s")->value.n, (size_t)k);
	}
}
END_TEST

#define ALERT_HEAD "{\"type\":\"alert\",\"alert_id\":\"a1\",\"ts\":\"2026-11-24T10:00:00Z\"," \
	"\"kind\":\"k\",\"severity\":\"info\",\"source\":\"s\",\"summary\":\"s\","

/* An alert with labels (JSON) and the fields that follow them (JSON
 * members, or ""). */
static const char *alert(const char *labels, const char *after)
{
	static char line[1024];
	snprintf(line, sizeof line, ALERT_HEAD "\"labels\":%s%s%s}", labels, *after ? "," : "", after);
	return line;
}

/* ev's labels are want's, name=value pairs (n bytes each). */
static void labels_are(const struct gm_event *ev, size_t n, const char *const *want,
	const size_t *wlen)
{
	ck_assert_uint_eq(ev->nlabels, n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_uint_eq(ev->labels[i].name.n, wlen[2 * i]);
		ck_assert(!memcmp(ev->labels[i].name.p, want[2 * i], wlen[2 * i]));
		ck_assert_uint_eq(ev->labels[i].value.n, wlen[2 * i + 1]);
		ck_assert(!memcmp(ev->labels[i].value.p, want[2 * i + 1], wlen[2 * i + 1]));
	}
}

/* An alert's labels, decoded into ev->labels in their order, a name
 * given twice kept twice; the same whichever path parsed the line (an
 * escape anywhere sends it to yajl); the object's text stays in the
 * generic view. */
START_TEST(alert_labels)
{
	const char *plain = "{\"user_id\":\"u1\",\"pa\xc3\xads\":\"Espa\xc3\xb1" "a\",\"user_id\":\"u2\"}";
	static const char *const want[] = { "user_id", "u1", "pa\xc3\xads", "Espa\xc3\xb1" "a", "user_id", "u2" };
	static const size_t wlen[] = { 7, 2, 5, 7, 7, 2 };
	const struct gm_event *ev = ok(alert(plain, ""));
	ck_assert_int_eq(ev->type, GM_ALERT);
	labels_are(ev, 3, want, wlen);
	ck_assert(str_is(gm_event_field(ev, "labels")->value, plain));
	const struct gm_label *first = ev->labels;
	ev = ok(alert(plain, "\"note\":\"\\u0041\""));
	labels_are(ev, 3, want, wlen);
	ck_assert_ptr_eq(ev->labels, first);   /* reused, not allocated again */

	/* Escapes in names and values, undone; \u0000 gives a NUL. */
	static const char *const esc[] = { "a\"b", "x\\y\n", "caf\xc3\xa9", "\xc3\xa9t\xc3\xa9",
		"nul", "a\0b" };
	static const size_t esclen[] = { 3, 4, 5, 5, 3, 3 };
	ev = ok(alert("{\"a\\\"b\":\"x\\\\y\\n\",\"caf\\u00e9\":\"\xc3\xa9t\\u00e9\","
		"\"nul\":\"a\\u0000b\"}", ""));
	labels_are(ev, 3, esc, esclen);

	/* Empty: none, after an alert that had some. */
	ev = ok(alert("{ }", ""));
	ck_assert_uint_eq(ev->nlabels, 0);
	ck_assert(str_is(gm_event_field(ev, "labels")->value, "{ }"));

	/* Of two labels objects the last counts, as of any two fields. */
	ev = ok(alert("{\"n\":1}", "\"labels\":{\"b\":\"c\"}"));
	ck_assert_uint_eq(ev->nlabels, 1);
	ck_assert(str_is(ev->labels[0].name, "b"));
	BAD(alert("{\"b\":\"c\"}", "\"labels\":{\"n\":1}"), "field \"labels\": \"n\" holds a number, not a string");

	/* A record of another type keeps none. */
	ev = ok("{\"type\":\"x\",\"labels\":{\"a\":\"b\",\"n\":1}}");
	ck_assert_uint_eq(ev->nlabels, 0);
	ck_assert_ptr_null(ev->labels);
}
END_TEST

/* A label whose value is not a string is refused, the first such named
 * (control characters as '?'), by either path. */
START_TEST(alert_labels_refused)
{
	static const char *const nested[][2] = {
		{ "{\"a\":\"b\",\"deep\":{\"c\":\"d\"},\"n\":1}", "field \"labels\": \"deep\" holds an object, not a string" },
		{ "{\"list\":[\"x\"]}", "field \"labels\": \"list\" holds an array, not a string" },
		{ "{\"a\":\"b\",\"n\":-1.5}", "field \"labels\": \"n\" holds a number, not a string" },
		{ "{\"z\":null}", "field \"labels\": \"z\" holds null, not a string" },
		{ "{\"t\":true}", "field \"labels\": \"t\" holds a boolean, not a string" },
		{ "{\"a\\nb\":{}}", "field \"labels\": \"a?b\" holds an object, not a string" },
		{ "{\"caf\\u00e9\":[]}", "field \"labels\": \"caf\xc3\xa9\" holds an array, not a string" },
	};
	for (size_t i = 0; i < sizeof nested / sizeof *nested; i++) {
		BAD(alert(nested[i][0], ""), nested[i][1]);
		BAD(alert(nested[i][0], "\"note\":\"\\u0041\""), nested[i][1]);
	}
	/* The parser recovers: the next alert's labels are its own. */
	const struct gm_event *ev = ok(alert("{\"a\":\"b\"}", ""));
	ck_assert_uint_eq(ev->nlabels, 1);
}
END_TEST

START_TEST(field_errors)
{
	BAD("{\"a\":1}", "missing field \"type\"");
	BAD("{\"type\":7}", "field \"type\": expected a string, got a number");
	BAD("{\"type\":\"\"}", "field \"type\" is empty");
	BAD("{\"type\":\"transaction\",\"transaction_id\":\"t1\"}", "missing field \"ts\"");
	BAD("{\"type\":\"product_view\",\"event_id\":\"e\",\"ts\":\"2026-11-24 10:00:00\"}",
		"field \"ts\": not an RFC 3339 time: 2026-11-24 10:00:00");
	const char *base = "{\"type\":\"cart_event\",\"event_id\":\"e\",\"ts\":\"2026-11-24T10:00:00Z\","
		"\"user_id\":\"u\",\"session_id\":\"s\",\"product_id\":\"p\",\"category\":\"c\",";
	char line[512];
	snprintf(line, sizeof line, "%s\"action\":\"add\",\"quantity\":\"2\",\"unit_price\":1}", base);
	BAD(line, "field \"quantity\": expected an integer, got a string");
	snprintf(line, sizeof line, "%s\"action\":\"add\",\"quantity\":2.5,\"unit_price\":1}", base);
	BAD(line, "field \"quantity\": expected an integer, got 2.5");
	snprintf(line, sizeof line, "%s\"action\":\"add\",\"quantity\":99999999999999999999,\"unit_price\":1}", base);
	BAD(line, "field \"quantity\": 99999999999999999999 is out of range (1 to 1000000)");
	snprintf(line, sizeof line, "%s\"action\":\"add\",\"quantity\":0,\"unit_price\":1}", base);
	BAD(line, "field \"quantity\": 0 is out of range (1 to 1000000)");
	snprintf(line, sizeof line, "%s\"action\":\"buy\",\"quantity\":1,\"unit_price\":1}", base);
	BAD(line, "field \"action\": expected \"add\" or \"remove\", got \"buy\"");
	snprintf(line, sizeof line, "%s\"action\":\"add\",\"quantity\":1,\"unit_price\":1e300}", base);
	BAD(line, "field \"unit_price\": 1e300 is out of range (0 to 1000000000000)");
	snprintf(line, sizeof line, "%s\"action\":\"add\",\"quantity\":1,\"unit_price\":-1}", base);
	BAD(line, "field \"unit_price\": -1 is out of range (0 to 1000000000000)");
	snprintf(line, sizeof line, "%s\"action\":\"add\",\"quantity\":1,\"unit_price\":-0.001}", base);
	BAD(line, "field \"unit_price\": -0.001 is out of range (0 to 1000000000000)");
	snprintf(line, sizeof line, "%s\"action\":\"add\",\"quantity\":1}", base);
	BAD(line, "missing field \"unit_price\"");
	snprintf(line, sizeof line, "%s\"action\":\"add\",\"quantity\":1,\"unit_price\":1,\"anomaly\":true}", base);
	BAD(line, "field \"anomaly\": expected a string, got a boolean");

	const char *tx = "{\"type\":\"transaction\",\"transaction_id\":\"t\",\"ts\":\"2026-11-24T10:00:00Z\","
		"\"user_id\":\"u\",\"session_id\":\"s\",\"country\":\"UK\",\"payment_method\":\"card\",";
	snprintf(line, sizeof line, "%s\"items\":[],\"total_amount\":1}", tx);
	BAD(line, "field \"items\" is empty");
	snprintf(line, sizeof line, "%s\"items\":[{\"product_id\":\"p\",\"category\":\"c\",\"quantity\":1,\"unit_price\":1}],"
		"\"items\":[],\"total_amount\":1}", tx);
	BAD(line, "field \"items\" is empty");
	snprintf(line, sizeof line, "%s\"items\":[{\"product_id\":\"p\",\"category\":\"c\",\"quantity\":1,\"unit_price\":1}],"
		"\"items\":7,\"total_amount\":1}", tx);
	BAD(line, "field \"items\": expected an array, got a number");
	snprintf(line, sizeof line, "%s\"items\":[{\"product_id\":\"p\",\"category\":\"c\",\"quantity\":1000000,"
		"\"unit_price\":1000000000000}],\"total_amount\":1}", tx);
	BAD(line, "items[0]: quantity times unit_price is beyond the largest total (92233720368547758.07)");
	snprintf(line, sizeof line, "%s\"items\":{},\"total_amount\":1}", tx);
	BAD(line, "field \"items\": expected an array, got an object");
	snprintf(line, sizeof line, "%s\"items\":[{\"product_id\":\"p\",\"category\":\"c\",\"quantity\":1,\"unit_price\":1},3],\"total_amount\":1}", tx);
	BAD(line, "items[1]: expected an object");
	snprintf(line, sizeof line, "%s\"items\":[{\"product_id\":\"p\",\"quantity\":1,\"unit_price\":1}],\"total_amount\":1}", tx);
	BAD(line, "missing field \"items[0].category\"");
	snprintf(line, sizeof line, "%s\"items\":[{\"product_id\":5,\"category\":\"c\",\"quantity\":1,\"unit_price\":1}],\"total_amount\":1}", tx);
	BAD(line, "field \"items[0].product_id\": expected a string, got a number");
	snprintf(line, sizeof line, "%s\"items\":[{\"product_id\":\"p\",\"category\":\"c\",\"quantity\":1,\"unit_price\":1}],\"total_amount\":null}", tx);
	BAD(line, "field \"total_amount\": expected a number, got null");
	ok(TX);
}
END_TEST

/* Of duplicate keys the last counts, "items" as every other. */
START_TEST(duplicate_items_last_wins)
{
	const char *tx = "{\"type\":\"transaction\",\"transaction_id\":\"t\",\"ts\":\"2026-11-24T10:00:00Z\","
		"\"user_id\":\"u\",\"session_id\":\"s\",\"country\":\"UK\",\"payment_method\":\"card\","
		"\"items\":[{\"product_id\":\"p1\",\"category\":\"c\",\"quantity\":1,\"unit_price\":1},"
		"{\"product_id\":\"p2\",\"category\":\"c\",\"quantity\":1,\"unit_price\":2}],"
		"\"items\":[{\"product_id\":\"p3\",\"category\":\"d\",\"quantity\":3,\"unit_price\":0.5}],"
		"\"total_amount\":1.5}";
	const struct gm_event *ev = ok(tx);
	ck_assert_uint_eq(ev->nitems, 1);
	ck_assert(str_is(ev->items[0].product_id, "p3"));
	ck_assert_int_eq(ev->items[0].amount, 150);
	ck_assert_int_eq(ev->items_amount, 150);
	ev = ok(TX);
	ck_assert_int_eq(ev->items_amount, 2 * 1025 + 10);
}
END_TEST

START_TEST(huge_record_reuses_memory)
{
	/* A transaction of 5000 items, then a small one: both parse. */
	size_t cap = 5000 * 80 + 512, n = 0;
	char *line = malloc(cap);
	n += sprintf(line + n, "{\"type\":\"transaction\",\"transaction_id\":\"t\",\"ts\":\"2026-11-24T10:00:00Z\","
		"\"user_id\":\"u\",\"session_id\":\"s\",\"country\":\"UK\",\"payment_method\":\"card\",\"items\":[");
	for (int i = 0; i < 5000; i++)
		n += sprintf(line + n, "%s{\"product_id\":\"p%d\",\"category\":\"c\",\"quantity\":1,\"unit_price\":0.01}",
			i ? "," : "", i);
	n += sprintf(line + n, "],\"total_amount\":50}");
	const struct gm_event *ev = ok(line);
	ck_assert_uint_eq(ev->nitems, 5000);
	ck_assert(str_is(ev->items[4999].product_id, "p4999"));
	free(line);
	ok(TX);
}
END_TEST

/* The catalog, restocks and sales: decoded into the event, bad ones
 * refused with the descriptors' messages. */
#define PRODUCT "{\"type\":\"product\",\"ts\":\"2026-11-24T00:00:00Z\",\"product_id\":\"p000042\"," \
	"\"name\":\"Garden Trowel 42\",\"category\":\"garden\",\"unit_price\":34.99,\"stock\":120"

START_TEST(product)
{
	const struct gm_event *ev = ok(PRODUCT ",\"reorder_point\":30}");
	ck_assert_int_eq(ev->type, GM_PRODUCT);
	ck_assert_str_eq(gm_type_name(ev->type), "product");
	ck_assert_int_eq(ev->ts, 1795478400000LL);
	ck_assert(str_is(ev->product_id, "p000042"));
	ck_assert(str_is(ev->name, "Garden Trowel 42"));
	ck_assert(str_is(ev->category, "garden"));
	ck_assert_int_eq(ev->unit_price, 3499);
	ck_assert_int_eq(ev->stock, 120);
	ck_assert(ev->has_reorder_point);
	ck_assert_int_eq(ev->reorder_point, 30);
	ck_assert_uint_eq(ev->id.n, 0);
	/* 0 is a reorder point; absent is none, whatever came before. */
	ev = ok(PRODUCT ",\"reorder_point\":0}");
	ck_assert(ev->has_reorder_point);
	ck_assert_int_eq(ev->reorder_point, 0);
	ev = ok(PRODUCT "}");
	ck_assert(!ev->has_reorder_point);
	ck_assert_int_eq(ev->stock, 120);
	ev = ok("{\"type\":\"product\",\"ts\":\"2026-11-24T00:00:00Z\",\"product_id\":\"p\",\"name\":\"n\","
		"\"category\":\"c\",\"unit_price\":0,\"stock\":0}");
	ck_assert_int_eq(ev->stock, 0);

	BAD(PRODUCT ",\"reorder_point\":-1}", "field \"reorder_point\": -1 is out of range (0 to 1000000000)");
	BAD(PRODUCT ",\"reorder_point\":\"5\"}", "field \"reorder_point\": expected an integer, got a string");
	BAD(PRODUCT ",\"reorder_point\":null}", "field \"reorder_point\": expected an integer, got null");
	BAD("{\"type\":\"product\",\"ts\":\"2026-11-24T00:00:00Z\",\"product_id\":\"p\",\"category\":\"c\","
		"\"unit_price\":1,\"stock\":1}", "missing field \"name\"");
	BAD("{\"type\":\"product\",\"ts\":\"2026-11-24T00:00:00Z\",\"product_id\":\"p\",\"name\":\"\","
		"\"category\":\"c\",\"unit_price\":1,\"stock\":1}", "field \"name\" is empty");
	BAD("{\"type\":\"product\",\"ts\":\"2026-11-24T00:00:00Z\",\"product_id\":\"p\",\"name\":\"n\","
		"\"category\":\"c\",\"unit_price\":1,\"stock\":1000000001}",
		"field \"stock\": 1000000001 is out of range (0 to 1000000000)");
	BAD("{\"type\":\"product\",\"ts\":\"2026-11-24T00:00:00Z\",\"product_id\":\"p\",\"name\":\"n\","
		"\"category\":\"c\",\"unit_price\":1,\"stock\":-3}",
		"field \"stock\": -3 is out of range (0 to 1000000000)");
	BAD("{\"type\":\"product\",\"ts\":\"2026-11-24T00:00:00Z\",\"product_id\":\"p\",\"name\":\"n\","
		"\"category\":\"c\",\"stock\":1}", "missing field \"unit_price\"");
	ok(TX);
}
END_TEST

START_TEST(restock)
{
	const struct gm_event *ev = ok("{\"type\":\"restock\",\"restock_id\":\"r0000000007\","
		"\"ts\":\"2026-11-24T02:00:00.000Z\",\"product_id\":\"p000042\",\"quantity\":90}");
	ck_assert_int_eq(ev->type, GM_RESTOCK);
	ck_assert(str_is(ev->id, "r0000000007"));
	ck_assert_int_eq(ev->ts, 1795485600000LL);
	ck_assert(str_is(ev->product_id, "p000042"));
	ck_assert_int_eq(ev->quantity, 90);
	/* More than an order line's limit: a delivery is counted in the
	 * units of stock. */
	ev = ok("{\"type\":\"restock\",\"restock_id\":\"r\",\"ts\":\"2026-11-24T02:00:00Z\","
		"\"product_id\":\"p\",\"quantity\":1000000000}");
	ck_assert_int_eq(ev->quantity, 1000000000);

	BAD("{\"type\":\"restock\",\"restock_id\":\"r\",\"ts\":\"2026-11-24T02:00:00Z\",\"product_id\":\"p\","
		"\"quantity\":0}", "field \"quantity\": 0 is out of range (1 to 1000000000)");
	BAD("{\"type\":\"restock\",\"ts\":\"2026-11-24T02:00:00Z\",\"product_id\":\"p\",\"quantity\":1}",
		"missing field \"restock_id\"");
	BAD("{\"type\":\"restock\",\"restock_id\":\"r\",\"ts\":\"2026-11-24T02:00:00Z\",\"product_id\":7,"
		"\"quantity\":1}", "field \"product_id\": expected a string, got a number");
	BAD("{\"type\":\"restock\",\"restock_id\":\"r\",\"ts\":\"tomorrow\",\"product_id\":\"p\",\"quantity\":1}",
		"field \"ts\": not an RFC 3339 time: tomorrow");
}
END_TEST

START_TEST(sale)
{
	const char *line = "{\"type\":\"sale\",\"transaction_id\":\"t0000000012\",\"ts\":\"2026-11-24T10:00:00.123Z\","
		"\"user_id\":\"u0000001\",\"product_id\":\"p000070\",\"category\":\"electronics\","
		"\"quantity\":2,\"unit_price\":158.99}";
	const struct gm_event *ev = ok(line);
	ck_assert_int_eq(ev->type, GM_SALE);
	ck_assert(str_is(ev->id, "t0000000012"));
	ck_assert_int_eq(ev->ts, 1795514400123LL);
	ck_assert(str_is(ev->user_id, "u0000001"));
	ck_assert(str_is(ev->product_id, "p000070"));
	ck_assert(str_is(ev->category, "electronics"));
	ck_assert_int_eq(ev->quantity, 2);
	ck_assert_int_eq(ev->unit_price, 15899);
	ck_assert_uint_eq(ev->nitems, 0);

	const char *head = "{\"type\":\"sale\",\"transaction_id\":\"t\",\"ts\":\"2026-11-24T10:00:00Z\","
		"\"user_id\":\"u\",\"product_id\":\"p\",\"category\":\"c\",";
	char bad_line[512];
	snprintf(bad_line, sizeof bad_line, "%s\"quantity\":1000000000001,\"unit_price\":1}", head);
	BAD(bad_line, "field \"quantity\": 1000000000001 is out of range (1 to 1000000000000)");
	snprintf(bad_line, sizeof bad_line, "%s\"quantity\":1,\"unit_price\":-2}", head);
	BAD(bad_line, "field \"unit_price\": -2 is out of range (0 to 1000000000000)");
	snprintf(bad_line, sizeof bad_line, "%s\"quantity\":1}", head);
	BAD(bad_line, "missing field \"unit_price\"");
	BAD("{\"type\":\"sale\",\"transaction_id\":\"t\",\"ts\":\"2026-11-24T10:00:00Z\",\"product_id\":\"p\","
		"\"category\":\"c\",\"quantity\":1,\"unit_price\":1}", "missing field \"user_id\"");
	ok(line);
}
END_TEST

/* A warehouse row as the tools write it is marked in order, and read
 * by position; the same row otherwise is read by name to the same
 * values; its ts, read once by the parser, is refused as any time. */
START_TEST(row_in_order)
{
	const struct gm_rtype *t = &gm_rtype_fact_sales;
	const char *in_order = "{\"type\":\"fact_sales\",\"sale_id\":\"t1/1\",\"transaction_id\":\"t1\","
		"\"line\":1,\"date_key\":20261124,\"ts\":\"2026-11-24T10:00:00.250Z\",\"user_id\":\"u\","
		"\"country\":\"UK\",\"payment_method\":\"card\",\"product_id\":\"p\",\"category\":\"c\","
		"\"quantity\":2,\"unit_price\":12.5,\"amount\":25}";
	const char *swapped = "{\"type\":\"fact_sales\",\"transaction_id\":\"t1\",\"sale_id\":\"t1/1\","
		"\"line\":1,\"date_key\":20261124,\"ts\":\"2026-11-24T10:00:00.250Z\",\"user_id\":\"u\","
		"\"country\":\"UK\",\"payment_method\":\"card\",\"product_id\":\"p\",\"category\":\"c\","
		"\"quantity\":2,\"unit_price\":12.5,\"amount\":25}";
	union gm_rvalue v[2][16];
	bool has[2][16];
	char why[200];
	const char *rows[2] = { in_order, swapped };
	for (int k = 0; k < 2; k++) {
		const struct gm_event *ev = ok(rows[k]);
		ck_assert_ptr_eq(ev->rtype, t);
		ck_assert_int_eq(ev->in_order, k == 0);
		ck_assert_msg(gm_rtype_decode(t, ev, v[k], has[k], why, sizeof why), "%s", why);
	}
	for (size_t i = 0; i < t->nfields; i++) {
		ck_assert(has[0][i] && has[1][i]);
		const struct gm_rfield *f = &t->fields[i];
		if (f->kind == GM_RK_STRING)
			ck_assert(v[0][i].s.n == v[1][i].s.n && !memcmp(v[0][i].s.p, v[1][i].s.p, v[0][i].s.n));
		else
			ck_assert_int_eq(v[0][i].i, v[1][i].i);
	}
	ck_assert_int_eq(v[0][4].i, 1795514400250LL);
	ck_assert_int_eq(v[0][11].i, 1250);
	ck_assert_int_eq(v[0][12].i, 2500);
	ck_assert_int_eq(ok(in_order)->in_order, true);
	ck_assert_int_eq(ok("{\"type\":\"product_view\",\"event_id\":\"e\",\"ts\":\"2026-11-24T10:00:00Z\","
		"\"user_id\":\"u\",\"session_id\":\"s\",\"product_id\":\"p\",\"category\":\"c\","
		"\"country\":\"UK\",\"duration_ms\":5}")->in_order, false);
	char row[600];
	snprintf(row, sizeof row, "%s", in_order);
	memcpy(strstr(row, "10:00:00.250Z"), "10:00:00.250X", 13);
	const struct gm_event *ev = ok(row);
	ck_assert(!gm_rtype_decode(t, ev, v[0], has[0], why, sizeof why));
	ck_assert_str_eq(why, "field \"ts\": not an RFC 3339 time: 2026-11-24T10:00:00.250X");
}
END_TEST

/* ---- the in-order path against the general one ---- */

static bool same_str(gm_str a, gm_str b)
{
	return a.n == b.n && (a.n == 0 || !memcmp(a.p, b.p, a.n));
}

#define SAME_STR(x) ck_assert_msg(same_str(a->x, b->x), "%s: " #x " differs", line)
#define SAME_INT(x) ck_assert_msg(a->x == b->x, "%s: " #x " differs", line)

/* Whether the in-order path is to take a line: yes, no, or either. */
enum io_take { IO_NO, IO_YES, IO_EITHER };

/* line parsed by ps (in-order path first) and by general (without it)
 * gives the same: the same refusal, or the same event and generic
 * view. taken: whether the in-order path is to take it. */
static void same_both_ways(struct gm_parser *general, const char *line, enum io_take taken)
{
	gm_parser_set_in_order(ps, true);
	size_t len = strlen(line), before = gm_parser_in_order_taken(ps);
	const char *ra = NULL, *rb = NULL;
	const struct gm_event *a = gm_parse(ps, line, len, &ra);
	const struct gm_event *b = gm_parse(general, line, len, &rb);
	if (taken != IO_EITHER)
		ck_assert_msg(gm_parser_in_order_taken(ps) - before == (taken == IO_YES ? 1u : 0u),
			"%s: in-order path %s", line, taken == IO_YES ? "did not take it" : "took it");
	ck_assert_uint_eq(gm_parser_in_order_taken(general), 0);
	ck_assert_msg((a == NULL) == (b == NULL), "%s: %s vs %s", line, ra ? ra : "ok", rb ? rb : "ok");
	if (!a) {
		ck_assert_str_eq(ra, rb);
		return;
	}
	SAME_INT(type);
	SAME_STR(type_name);
	SAME_INT(rtype);
	SAME_INT(in_order);
	SAME_STR(id);
	SAME_INT(ts);
	SAME_INT(has_ts);
	SAME_STR(user_id);
	SAME_STR(session_id);
	SAME_STR(country);
	SAME_STR(payment_method);
	SAME_STR(product_id);
	SAME_STR(category);
	SAME_STR(name);
	SAME_STR(action);
	SAME_INT(quantity);
	SAME_INT(unit_price);
	SAME_INT(stock);
	SAME_INT(reorder_point);
	SAME_INT(has_reorder_point);
	SAME_INT(total_amount);
	SAME_INT(duration_ms);
	SAME_INT(nitems);
	SAME_INT(items_amount);
	SAME_INT(nlabels);
	SAME_STR(anomaly);
	SAME_INT(nfields);
	SAME_INT(raw);
	SAME_INT(rawlen);
	ck_assert(same_str(gm_event_key(a), gm_event_key(b)));
	for (size_t i = 0; i < a->nitems; i++) {
		SAME_STR(items[i].product_id);
		SAME_STR(items[i].category);
		SAME_INT(items[i].quantity);
		SAME_INT(items[i].unit_price);
		SAME_INT(items[i].amount);
	}
	for (size_t i = 0; i < a->nlabels; i++) {
		SAME_STR(labels[i].name);
		SAME_STR(labels[i].value);
	}
	for (size_t i = 0; i < a->nfields; i++) {
		SAME_STR(fields[i].key);
		SAME_INT(fields[i].kind);
		SAME_STR(fields[i].value);
	}
}

/* line with its first from replaced by to, in buf. */
static const char *sub(char *buf, size_t n, const char *line, const char *from, const char *to)
{
	const char *at = strstr(line, from);
	ck_assert_msg(at != NULL, "%s: no %s", line, from);
	snprintf(buf, n, "%.*s%s%s", (int)(at - line), line, to, at + strlen(from));
	return buf;
}

#define IO_TS "\"ts\":\"2026-11-24T10:00:00.123Z\""
#define IO_ITEM1 "{\"product_id\":\"p1\",\"category\":\"books\",\"quantity\":2,\"unit_price\":10.25}"
#define IO_ITEM2 "{\"product_id\":\"p2\",\"category\":\"toys\",\"quantity\":1,\"unit_price\":0.1}"
#define IO_TX_HEAD "{\"type\":\"transaction\",\"transaction_id\":\"t1\"," IO_TS ",\"user_id\":\"u1\"," \
	"\"session_id\":\"s1\",\"country\":\"UK\",\"payment_method\":\"card\","
#define IO_TX IO_TX_HEAD "\"items\":[" IO_ITEM1 "," IO_ITEM2 "],\"total_amount\":20.6}"
#define IO_VIEW "{\"type\":\"product_view\",\"event_id\":\"e1\"," IO_TS ",\"user_id\":\"u1\"," \
	"\"session_id\":\"s1\",\"product_id\":\"p9\",\"category\":\"books\",\"country\":\"USA\",\"duration_ms\":1500}"
#define IO_CART "{\"type\":\"cart_event\",\"event_id\":\"e2\"," IO_TS ",\"user_id\":\"u1\"," \
	"\"session_id\":\"s1\",\"product_id\":\"p9\",\"category\":\"books\",\"action\":\"add\"," \
	"\"quantity\":3,\"unit_price\":4.5}"
#define IO_PRODUCT "{\"type\":\"product\"," IO_TS ",\"product_id\":\"p9\",\"name\":\"Kavora Mini Coat\"," \
	"\"category\":\"clothing\",\"unit_price\":28.99,\"stock\":67983,\"reorder_point\":0}"
#define IO_RESTOCK "{\"type\":\"restock\",\"restock_id\":\"r1\"," IO_TS ",\"product_id\":\"p9\",\"quantity\":50}"
#define IO_ALERT "{\"type\":\"alert\",\"alert_id\":\"a1\"," IO_TS ",\"kind\":\"anomaly\"," \
	"\"severity\":\"warning\",\"source\":\"gm-txmon\",\"summary\":\"u1 made 3 transactions\"," \
	"\"labels\":{\"reason\":\"velocity\",\"user_id\":\"u1\",\"country\":\"UK\"},\"count\":3,\"period_ms\":60000}"
#define IO_RESTOCK_REST "{\"type\":\"restock\",\"restock_id\":\"r1\"," IO_TS ",\"product_id\":\"p9\",\"quantity\":50,\"lot\":\"L7\"}"
#define IO_SALE "{\"type\":\"sale\",\"transaction_id\":\"t1\"," IO_TS ",\"user_id\":\"u1\"," \
	"\"product_id\":\"p9\",\"category\":\"c\",\"quantity\":2,\"unit_price\":1}"

/* Lines as gm-produce writes them are the in-order path's, and give
 * what the general path gives; every line that differs from them is
 * left to it whole. */
START_TEST(in_order_agrees)
{
	struct gm_parser *general = gm_parser_new();
	gm_parser_set_in_order(general, false);
	static const char *const taken[] = {
		IO_TX, IO_VIEW, IO_CART, IO_PRODUCT, IO_RESTOCK, IO_SALE,
		IO_TX_HEAD "\"items\":[" IO_ITEM1 "],\"total_amount\":20.5}",
		IO_TX_HEAD "\"items\":[" IO_ITEM1 "," IO_ITEM2 "," IO_ITEM1 "," IO_ITEM2 "],\"total_amount\":0}",
		"{\"type\":\"transaction\",\"anomaly\":\"price_spike\",\"transaction_id\":\"t1\"," IO_TS
			",\"user_id\":\"u1\",\"session_id\":\"s1\",\"country\":\"UK\",\"payment_method\":\"card\","
			"\"items\":[" IO_ITEM1 "],\"total_amount\":1e2}",
		"{\"type\":\"product_view\",\"anomaly\":\"bot\",\"event_id\":\"e1\"," IO_TS ",\"user_id\":\"u1\","
			"\"session_id\":\"s1\",\"product_id\":\"p9\",\"category\":\"books\",\"country\":\"USA\",\"duration_ms\":0}",
		"{\"type\":\"product\"," IO_TS ",\"product_id\":\"p9\",\"name\":\"N\",\"category\":\"c\","
			"\"unit_price\":0,\"stock\":0}",
		IO_ALERT,
		/* An alert's labels empty, its status there, no numbers after;
		 * fields of names no checked type has, after any type's. */
		"{\"type\":\"alert\",\"alert_id\":\"a1\"," IO_TS ",\"kind\":\"k\",\"severity\":\"info\","
			"\"source\":\"s\",\"summary\":\"x\",\"labels\":{},\"status\":\"resolved\"}",
		"{\"type\":\"alert\",\"alert_id\":\"a1\"," IO_TS ",\"kind\":\"k\",\"severity\":\"info\","
			"\"source\":\"s\",\"summary\":\"y\",\"labels\":{\"a\":\"\",\"a\":\"b\"},\"value\":-1.5e3,\"note\":\"n\",\"value\":2}",
		IO_RESTOCK_REST,
	};
	for (size_t i = 0; i < sizeof taken / sizeof *taken; i++)
		same_both_ways(general, taken[i], IO_YES);
	/* Each a way to differ: a line and its change. */
	static const char *const changes[][3] = {
		{ IO_TX, "\"ts\":\"", "\"ts\": \"" },                  /* space */
		{ IO_TX, "{\"type\"", " {\"type\"" },
		{ IO_TX, "20.6}", "20.6} " },
		{ IO_TX, "{\"type\":\"", "{ \"type\":\"" },
		{ IO_TX, "[{", "[ {" },
		{ IO_TX, "\"u1\"", "\"u\\u0031\"" },                  /* escape */
		{ IO_VIEW, "\"e1\"", "\"e\\n1\"" },
		{ IO_VIEW, "\"USA\"", "\"Espa\xc3\xb1" "a\"" },       /* not ASCII */
		{ IO_VIEW, "\"USA\"", "\"Esp\xff\"" },
		{ IO_TX, "\"books\"", "\"b\xc3\xb6oks\"" },
		{ IO_CART, "\"add\"", "\"a\tdd\"" },                   /* control byte */
		{ IO_VIEW, "\"user_id\":\"u1\",\"session_id\":\"s1\"",  /* order */
			"\"session_id\":\"s1\",\"user_id\":\"u1\"" },
		{ IO_TX, "\"product_id\":\"p1\",\"category\":\"books\"",
			"\"category\":\"books\",\"product_id\":\"p1\"" },
		{ IO_TX, "\"session_id\":\"s1\",", "" },                /* missing */
		{ IO_TX, ",\"total_amount\":20.6", "" },
		{ IO_TX, "\"quantity\":2,", "" },
		{ IO_RESTOCK, "\"restock_id\":\"r1\",", "" },
		{ IO_TX, "\"items\":[", "\"extra\":1,\"items\":[" },   /* extra key */
		{ IO_VIEW, "1500}", "1500,\"anomaly\":\"none\",\"session_end\":\"exit\"}" },
		{ IO_VIEW, "1500}", "1500,\"anomaly\":\"bot\"}" },  /* as --truth */
		{ IO_TX, "20.6}", "20.6,\"x\":null}" },
		{ IO_VIEW, "1500}", "1500,\"future\":[1,{\"x\":2}]}" },
		{ IO_TX, "\"unit_price\":0.1}", "\"unit_price\":0.1,\"extra\":{\"quantity\":9}}" },
		{ IO_SALE, "\"user_id\":\"u1\",", "\"user_id\":\"u1\",\"user_id\":\"u2\"," }, /* twice */
		{ IO_TX, "\"items\":[", "\"items\":[1],\"items\":[" },
		{ IO_PRODUCT, "\"reorder_point\":0}", "\"reorder_point\":0,\"reorder_point\":5}" },
		{ IO_TX, "\"category\":\"books\",", "\"category\":\"books\",\"category\":\"x\"," },
		{ IO_CART, "\"quantity\":3", "\"quantity\":0" },       /* bad value */
		{ IO_CART, "\"quantity\":3", "\"quantity\":\"3\"" },
		{ IO_CART, "\"quantity\":3", "\"quantity\":3.0" },
		{ IO_CART, "\"quantity\":3", "\"quantity\":99999999999999999999" },
		{ IO_CART, "\"quantity\":3", "\"quantity\":-" },
		{ IO_CART, "\"quantity\":3", "\"quantity\":true" },
		{ IO_CART, "\"quantity\":3", "\"quantity\":null" },
		{ IO_CART, "\"add\"", "\"buy\"" },
		{ IO_CART, "\"add\"", "\"\"" },
		{ IO_CART, "4.5}", "-4.5}" },
		{ IO_CART, "\"e2\"", "\"\"" },
		{ IO_CART, "\"e2\"", "2" },
		{ IO_VIEW, "10:00:00.123Z", "10:00:00.123X" },
		{ IO_VIEW, "1500", "-1" },
		{ IO_TX, "20.6", "\"20.6\"" },
		{ IO_TX, "20.6", "99999999999999999.99" },
		{ IO_TX, "10.25", "1000000000001" },
		{ IO_TX, "\"quantity\":2,\"unit_price\":10.25", "\"quantity\":1000000,\"unit_price\":1000000000000" },
		{ IO_TX, "\"quantity\":2", "\"quantity\":1000001" },
		{ IO_PRODUCT, "\"reorder_point\":0", "\"reorder_point\":-1" },
		{ IO_PRODUCT, "\"reorder_point\":0", "\"reorder_point\":null" },
		{ IO_TX, "[" IO_ITEM1, "[1" },                         /* items not objects */
		{ IO_TX, "[" IO_ITEM1, "[\"x\"" },
		{ IO_TX, "[" IO_ITEM1, "[[]" },
		{ IO_TX, "[" IO_ITEM1 "," IO_ITEM2 "]", "{}" },
		{ IO_TX, "[" IO_ITEM1 "," IO_ITEM2 "]", "\"items\"" },
		{ IO_TX, "[" IO_ITEM1 "," IO_ITEM2 "]", "null" },
		{ IO_TX, IO_ITEM1, "{}" },                             /* empty element */
		{ IO_TX, IO_ITEM1 "," IO_ITEM2, "" },                  /* empty items */
		{ IO_TX, "\"quantity\":2", "\"quantity\":[2]" },
		{ IO_TX, "\"p1\"", "{\"id\":\"p1\"}" },
		{ IO_TX, "]", "" },                                    /* broken */
		{ IO_TX, "20.6}", "20.6" },
		{ IO_TX, "20.6}", "20.6}}" },
		{ IO_TX, "20.6}", "20.6}{}" },
		{ IO_TX, "\"t1\"", "\"t1" },
		{ IO_ALERT, "\"velocity\"", "7" },                       /* labels */
		{ IO_ALERT, "\"velocity\"", "null" },
		{ IO_ALERT, "\"velocity\"", "{}" },
		{ IO_ALERT, "\"velocity\"", "\"v\\u00e9locity\"" },
		{ IO_ALERT, "\"velocity\"", "\"v\xc3\xa9" "locity\"" },
		{ IO_ALERT, "\"reason\"", "\"r\xc3\xa9" "ason\"" },
		{ IO_ALERT, "\"reason\":", "\"reason\" :" },
		{ IO_ALERT, "\"reason\"", "reason" },
		{ IO_ALERT, "{\"reason\"", "[\"reason\"" },
		{ IO_ALERT, "\"country\":\"UK\"}", "\"country\":\"UK\",}" },
		{ IO_ALERT, "\"country\":\"UK\"}", "\"country\":\"UK\"" },
		{ IO_ALERT, "\"labels\":{", "\"labels\":null,\"x\":{" },
		{ IO_ALERT, "\"warning\"", "\"loud\"" },
		{ IO_ALERT, "\"count\":3", "\"count\":3,\"status\":\"firing\"" },  /* after */
		{ IO_ALERT, "\"count\":3", "\"count\":3,\"labels\":{}" },
		{ IO_ALERT, "\"count\":3", "\"count\":3,\"ts\":\"x\"" },
		{ IO_ALERT, "\"count\":3", "\"count\":true" },
		{ IO_ALERT, "\"count\":3", "\"count\":[3]" },
		{ IO_ALERT, "\"count\":3", "\"count\":03" },
		{ IO_ALERT, "\"count\":3", "\"co\\u0075nt\":3" },
		{ IO_ALERT, "\"count\":3", "\"count\":3," },
		{ IO_ALERT, "\"count\":3", "\"count\" :3" },
		{ IO_ALERT, "\"count\":3", "\"count\"3" },
		{ IO_VIEW, "\"product_view\"", "\"product_views\"" },  /* other types */
		{ IO_VIEW, "\"product_view\"", "\"fact_sales\"" },
		{ IO_VIEW, "\"product_view\"", "\"\"" },
		{ IO_VIEW, "\"product_view\"", "\"product_\\u0076iew\"" },
	};
	char buf[1024];
	for (size_t i = 0; i < sizeof changes / sizeof *changes; i++) {
		const char *line = changes[i][0];
		if (strstr(line, changes[i][1]))
			line = sub(buf, sizeof buf, line, changes[i][1], changes[i][2]);
		same_both_ways(general, line, IO_NO);
	}
	/* After lines it gives up, one after another, it tries only
	 * some; once it takes one again, every one. */
	const char *truth = sub(buf, sizeof buf, IO_VIEW, "1500}", "1500,\"anomaly\":\"none\"}");
	const char *reason;
	size_t before = gm_parser_in_order_taken(ps);
	for (int i = 0; i < 200; i++) {
		ck_assert_ptr_nonnull(gm_parse(ps, truth, strlen(truth), &reason));
		ck_assert_ptr_nonnull(gm_parse(ps, IO_VIEW, strlen(IO_VIEW), &reason));
	}
	ck_assert_uint_eq(gm_parser_in_order_taken(ps) - before, 200);
	for (int i = 0; i < 200; i++)
		ck_assert_ptr_nonnull(gm_parse(ps, truth, strlen(truth), &reason));
	before = gm_parser_in_order_taken(ps);
	for (int i = 0; i < 200; i++)
		ck_assert_ptr_nonnull(gm_parse(ps, IO_VIEW, strlen(IO_VIEW), &reason));
	ck_assert_uint_ge(gm_parser_in_order_taken(ps) - before, 200 - 64);
	/* Every prefix of a taken line: the general path's, with its
	 * messages. */
	static const char *const whole[] = { IO_TX, IO_ALERT };
	for (size_t i = 0; i < sizeof whole / sizeof *whole; i++)
		for (size_t n = 0; n < strlen(whole[i]); n++) {
			snprintf(buf, sizeof buf, "%.*s", (int)n, whole[i]);
			same_both_ways(general, buf, IO_NO);
		}
	/* Each taken line with one to three bytes changed at random (a
	 * fixed seed), to bytes the paths treat apart: whichever takes it,
	 * the same outcome. */
	static const char bytes[] = "\"{}[],:\\ 0123456789.-+eEtrufalsn\x80\xc3\x01xyz*";
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < sizeof taken / sizeof *taken; i++)
		for (int k = 0; k < 400; k++) {
			size_t len = strlen(taken[i]);
			memcpy(buf, taken[i], len + 1);
			for (int c = 0; c <= k % 3; c++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				buf[(seed >> 33) % len] = bytes[(seed >> 17) % (sizeof bytes - 1)];
			}
			same_both_ways(general, buf, IO_EITHER);
		}
	gm_parser_free(general);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("event");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, transaction);
	tcase_add_test(tc, row_in_order);
	tcase_add_test(tc, in_order_agrees);
	tcase_add_test(tc, view_and_cart_and_other);
	tcase_add_test(tc, keys_by_type);
	tcase_add_test(tc, json_errors);
	tcase_add_test(tc, fast_path_agrees_with_yajl);
	tcase_add_test(tc, string_bytes_at_every_place);
	tcase_add_test(tc, field_errors);
	tcase_add_test(tc, alert_labels);
	tcase_add_test(tc, alert_labels_refused);
	tcase_add_test(tc, duplicate_items_last_wins);
	tcase_add_test(tc, huge_record_reuses_memory);
	tcase_add_test(tc, product);
	tcase_add_test(tc, restock);
	tcase_add_test(tc, sale);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

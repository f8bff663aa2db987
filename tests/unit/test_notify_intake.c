/* gm-notify's intake: an alert the parser accepted, read into a
 * note_alert, its strings NUL-terminated copies; one a NUL would cut is
 * refused. */
#include <string.h>

#include "check_util.h"
#include "event.h"
#include "../../gm-notify/intake.h"

static struct gm_parser *ps;
static struct intake in;
static struct note_alert a;
static char why[160];

static void setup(void)
{
	ps = gm_parser_new();
	in = (struct intake){ 0 };
	why[0] = 0;
}

static void teardown(void)
{
	intake_free(&in);
	gm_parser_free(ps);
}

#define HEAD "{\"type\":\"alert\",\"alert_id\":\"a1\",\"ts\":\"2026-11-24T10:00:00Z\"," \
	"\"kind\":\"low_stock\",\"severity\":\"warning\",\"source\":\"gm-inventory\","

/* Parses line (which the parser must accept) and reads it. */
static bool read_line(const char *line)
{
	const char *reason;
	const struct gm_event *ev = gm_parse(ps, line, strlen(line), &reason);
	ck_assert_msg(ev != NULL, "%s: %s", line, reason);
	return intake_read(&in, ev, &a, why, sizeof why);
}

static void pair_is(const struct route_label *l, const char *name, const char *value)
{
	ck_assert_str_eq(l->name, name);
	ck_assert_str_eq(l->value, value);
}

START_TEST(read_alert)
{
	const char *line = HEAD "\"summary\":\"caf\\u00e9 \\\"low\\\"\",\"kind\":1,\"labels\":"
		"{\"product_id\":\"P\\n1\",\"caf\\u00e9\":\"x\",\"product_id\":\"P2\"},"
		"\"on_hand\":3,\"status\":\"resolved\",\"rate\":null,\"kind\":\"low_stock\",\"note\":\"n\"}";
	ck_assert(read_line(line));
	ck_assert_str_eq(a.alert_id, "a1");
	ck_assert_str_eq(a.kind, "low_stock");
	ck_assert_str_eq(a.severity, "warning");
	ck_assert_str_eq(a.source, "gm-inventory");
	ck_assert_str_eq(a.summary, "caf\xc3\xa9 \"low\"");
	ck_assert_int_eq(a.ts, 1795514400000LL);
	ck_assert(a.resolved);
	/* The labels decoded, in order, a name twice kept twice. */
	ck_assert_uint_eq(a.nlabels, 3);
	pair_is(&a.labels[0], "product_id", "P\n1");
	pair_is(&a.labels[1], "caf\xc3\xa9", "x");
	pair_is(&a.labels[2], "product_id", "P2");
	/* The numbers: not the first "kind", a field of the type's. */
	ck_assert_uint_eq(a.nnumbers, 2);
	pair_is(&a.numbers[0], "on_hand", "3");
	pair_is(&a.numbers[1], "rate", "null");

	/* The next alert, smaller, in the same buffers. */
	const char *buf = in.buf;
	ck_assert(read_line(HEAD "\"summary\":\"s\",\"labels\":{}}"));
	ck_assert_ptr_eq(a.alert_id, buf);
	ck_assert(!a.resolved);
	ck_assert_uint_eq(a.nlabels, 0);
	ck_assert_uint_eq(a.nnumbers, 0);
}
END_TEST

/* A \u0000 escape, which the parser decodes, would cut a copy. */
START_TEST(nul_refused)
{
	static const char *const cases[][2] = {
		{ HEAD "\"summary\":\"a\\u0000b\",\"labels\":{}}", "field \"summary\": a NUL character (\\u0000)" },
		{ HEAD "\"summary\":\"s\",\"labels\":{\"a\":\"b\",\"user_id\":\"\\u0000\"}}",
		  "field \"labels\": \"user_id\" holds a NUL character (\\u0000)" },
		{ HEAD "\"summary\":\"s\",\"labels\":{\"a\\u0000b\":\"c\"}}",
		  "field \"labels\": \"a?b\" has in its name a NUL character (\\u0000)" },
		{ HEAD "\"summary\":\"s\",\"labels\":{},\"a\\u0000b\":1}",
		  "field \"a?b\": a NUL character (\\u0000) in its name" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		ck_assert_msg(!read_line(cases[i][0]), "read %s", cases[i][0]);
		ck_assert_str_eq(why, cases[i][1]);
	}
	/* A string of another field, not read, may hold one. */
	ck_assert(read_line(HEAD "\"summary\":\"s\",\"labels\":{},\"note\":\"\\u0000\"}"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify_intake");
	TCase *t = tcase_create("intake");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, read_alert);
	tcase_add_test(t, nul_refused);
	suite_add_tcase(s, t);
	return s;
}

GM_CHECK_MAIN(suite)

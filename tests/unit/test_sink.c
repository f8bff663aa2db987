/* sink: the spec's scheme picks the backend (a file, or a refusal), and
 * a parsed record goes to NDJSON as its bytes. The PostgreSQL side of
 * gm_sink_emit_event() is tests/sh/pg-sink-parsed.sh's. */
#include "check_util.h"
#include "cli.h"
#include "counts.h"
#include "event.h"
#include "sink.h"

static char path[96];

static void setup(void)
{
	close(gm_test_temp(path, sizeof path, "sink", false));
	gm_cli_init("test_sink");
	memset(&gm_counts, 0, sizeof gm_counts);
}

static void teardown(void)
{
	unlink(path);
}

/* The whole file at path, NUL-terminated, in buf. */
static const char *slurp(char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t k = fread(buf, 1, n - 1, f);
	fclose(f);
	buf[k] = 0;
	return buf;
}

START_TEST(event_to_ndjson_is_its_bytes)
{
	struct gm_common c;
	gm_common_init(&c);
	struct gm_sink *sink = gm_sink_open(&c, path);
	ck_assert_ptr_nonnull(sink);
	struct gm_parser *ps = gm_parser_new();
	/* Spacing and an escape the parser decodes: the bytes go, as given. */
	static const char line[] = "{\"type\": \"stats\", \"note\":\"caf\\u00e9\"} ";
	const char *reason;
	const struct gm_event *ev = gm_parse(ps, line, sizeof line - 1, &reason);
	ck_assert_ptr_nonnull(ev);
	ck_assert(gm_sink_emit_event(sink, "events", NULL, 0, ev));
	ck_assert(gm_sink_emit_raw(sink, "events", NULL, 0, "{\"n\":1}", 7));
	ck_assert_int_eq(gm_sink_close(sink), GM_EXIT_OK);
	gm_parser_free(ps);
	ck_assert_uint_eq(gm_counts.out, 2);
	char buf[256];
	ck_assert_str_eq(slurp(buf, sizeof buf), "{\"type\": \"stats\", \"note\":\"caf\\u00e9\"} \n{\"n\":1}\n");
}
END_TEST

/* Not a URI: a file name, though it starts like a scheme. */
START_TEST(colon_names_are_files)
{
	struct gm_common c;
	gm_common_init(&c);
	char dir[96], name[128];
	ck_assert_int_eq(gm_test_temp(dir, sizeof dir, "sink-dir", true), 0);
	snprintf(name, sizeof name, "%s/mongodb:x", dir);
	ck_assert_int_eq(chdir(dir), 0);
	struct gm_sink *sink = gm_sink_open(&c, "mongodb:x");
	ck_assert_ptr_nonnull(sink);
	ck_assert(gm_sink_emit_raw(sink, "t", NULL, 0, "{}", 2));
	ck_assert_int_eq(gm_sink_close(sink), GM_EXIT_OK);
	ck_assert_int_eq(access(name, F_OK), 0);
	ck_assert_int_eq(unlink(name), 0);
	ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* A spec "scheme://..." is taken only by a backend of that scheme: one
 * that only starts like one ("kafka:", "pg:") does not take it. Each
 * ends the process with status 2 (a usage error). */
START_TEST(unknown_scheme_refused)
{
	static const char *const specs[] = { "mongodb://u:pw@h/db", "kafka://broker", "pg://db" };
	struct gm_common c;
	gm_common_init(&c);
	gm_sink_open(&c, specs[_i]);
	ck_abort_msg("%s: opened", specs[_i]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sink");
	TCase *tc = tcase_create("schemes");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, event_to_ndjson_is_its_bytes);
	tcase_add_test(tc, colon_names_are_files);
	tcase_add_loop_exit_test(tc, unknown_scheme_refused, GM_EXIT_USAGE, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

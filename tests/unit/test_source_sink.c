#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "cli.h"
#include "counts.h"
#include "rejects.h"
#include "sink.h"
#include "source.h"

static char dir[96];

static void setup(void)
{
	gm_test_temp(dir, sizeof dir, "source-sink", true);
	gm_cli_init("test_source_sink");
	memset(&gm_counts, 0, sizeof gm_counts);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *file(const char *name, const char *content)
{
	static char paths[16][256];
	static int next;
	char *p = paths[next++ % 16];
	snprintf(p, 256, "%s/%s", dir, name);
	if (content) {
		FILE *f = fopen(p, "w");
		fputs(content, f);
		fclose(f);
	}
	return p;
}

START_TEST(files_in_order_to_ndjson)
{
	struct gm_common c;
	gm_common_init(&c);
	c.max_line = 16;
	char *files[3] = { file("a", "{\"n\":1}\n\n{\"n\":2}\n"), file("missing", NULL),
		file("b", "{\"n\":3}\r\n0123456789abcdefXYZ\n{\"n\":4}") };
	char *rej = file("rejects", NULL);
	gm_rejects_open(rej, false);
	struct gm_source *src = gm_source_open(&c, files, 3, NULL, 0, false);
	struct gm_sink *sink = gm_sink_open(&c, file("out", NULL));
	ck_assert_ptr_nonnull(src);
	ck_assert_ptr_nonnull(sink);

	struct gm_record r;
	char where[64];
	const char *want_where[] = { "a:1", "a:3", "b:1", "b:3" };
	int n = 0;
	while (gm_source_next(src, &r, 100) == GM_NEXT_RECORD) {
		ck_assert_int_lt(n, 4);
		gm_record_where(&r, where, sizeof where);
		ck_assert_str_eq(strrchr(where, '/') + 1, want_where[n]);
		struct gm_writer *w = gm_sink_writer(sink);
		gm_w_obj_begin(w);
		gm_w_key(w, "got");
		gm_w_str(w, r.data, r.len);
		gm_w_end(w);
		ck_assert(gm_sink_emit(sink, "t", NULL, 0));
		n++;
	}
	ck_assert_int_eq(n, 4);
	ck_assert(gm_checkpoint(src, sink));
	ck_assert_int_eq(gm_sink_close(sink), GM_EXIT_OK);
	ck_assert_int_eq(gm_source_close(src), GM_EXIT_FAIL); /* the missing file */
	ck_assert(gm_rejects_close());
	ck_assert_uint_eq(gm_counts.in, 5);
	ck_assert_uint_eq(gm_counts.out, 4);
	ck_assert_uint_eq(gm_counts.rejected, 1);

	char buf[256] = { 0 };
	FILE *f = fopen(file("out", NULL), "r");
	size_t k = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[k] = 0;
	ck_assert_str_eq(buf, "{\"got\":\"{\\\"n\\\":1}\"}\n{\"got\":\"{\\\"n\\\":2}\"}\n"
		"{\"got\":\"{\\\"n\\\":3}\"}\n{\"got\":\"{\\\"n\\\":4}\"}\n");
	f = fopen(rej, "r");
	k = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[k] = 0;
	ck_assert_str_eq(buf, "0123456789abcdefXYZ\n");
}
END_TEST

START_TEST(emit_raw_and_write_failure)
{
	struct gm_common c;
	gm_common_init(&c);
	gm_rejects_open(NULL, false);
	struct gm_sink *sink = gm_sink_open(&c, "/dev/full");
	ck_assert_ptr_nonnull(sink);
	gm_sink_emit_raw(sink, "t", NULL, 0, "{}", 2);
	ck_assert(!gm_sink_flush(sink));
	ck_assert(!gm_sink_emit_raw(sink, "t", NULL, 0, "{}", 2));
	ck_assert_int_eq(gm_sink_close(sink), GM_EXIT_FAIL);
	ck_assert_ptr_null(gm_sink_open(&c, "/nonexistent/dir/out"));
	gm_rejects_close();
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("source_sink");
	TCase *tc = tcase_create("files");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, files_in_order_to_ndjson);
	tcase_add_test(tc, emit_raw_and_write_failure);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

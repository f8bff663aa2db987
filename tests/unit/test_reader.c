#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "cli.h"
#include "reader.h"

static char path[256];

static void write_file(const char *data, size_t n)
{
	int fd = gm_test_temp(path, sizeof path, "reader", false);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static void teardown(void)
{
	unlink(path);
}

static void expect_line_crlf(struct gm_reader *r, const char *want,
	uint64_t lineno, bool crlf)
{
	struct gm_line l;
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_LINE);
	ck_assert_uint_eq(l.len, strlen(want));
	ck_assert_int_eq(l.crlf, crlf);
	if (crlf)
		ck_assert_int_eq(l.data[l.len], '\r');
	ck_assert(memcmp(l.data, want, l.len) == 0);
	ck_assert_uint_eq(l.lineno, lineno);
	ck_assert_str_eq(l.file, path);
}

static void expect_line(struct gm_reader *r, const char *want, uint64_t lineno)
{
	expect_line_crlf(r, want, lineno, false);
}

START_TEST(lf_crlf_blank_and_unterminated)
{
	static const char data[] = "{\"a\":1}\n{\"b\":2}\r\n\n  \r\nlast";
	write_file(data, sizeof data - 1);
	struct gm_reader *r = gm_reader_open(path, 1024);
	ck_assert_ptr_nonnull(r);
	expect_line(r, "{\"a\":1}", 1);
	expect_line_crlf(r, "{\"b\":2}", 2, true);
	expect_line(r, "", 3);
	expect_line_crlf(r, "  ", 4, true);
	expect_line(r, "last", 5);
	struct gm_line l;
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	gm_reader_close(r);
}
END_TEST

struct spilled {
	char buf[1 << 18];
	size_t n;
	unsigned calls;
};

static void collect(void *ctx, const char *p, size_t n)
{
	struct spilled *s = ctx;
	ck_assert_uint_le(s->n + n, sizeof s->buf);
	memcpy(s->buf + s->n, p, n);
	s->n += n;
	s->calls++;
}

START_TEST(too_long_lines_are_spilled_not_held)
{
	/* max_line 16: buffer 16 + 2 + 64 KiB; a 40000-byte line fits the
	 * buffer, a 200000-byte one streams through. */
	static char data[300000];
	size_t n = 0;
	n += sprintf(data + n, "short\n");
	memset(data + n, 'x', 40000), n += 40000;
	n += sprintf(data + n, "\r\nexactly-16-bytes\n");
	memset(data + n, 'y', 200000), n += 200000;
	n += sprintf(data + n, "\r\nafter\n");
	write_file(data, n);

	struct gm_reader *r = gm_reader_open(path, 16);
	struct spilled *s = calloc(1, sizeof *s);
	gm_reader_set_spill(r, collect, s);
	struct gm_line l;
	expect_line(r, "short", 1);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_TOOLONG);
	ck_assert_uint_eq(l.lineno, 2);
	ck_assert_uint_eq(l.len, 40000);
	ck_assert(l.crlf);
	/* the line as it came, its CR too */
	ck_assert_uint_eq(s->n, 40001);
	ck_assert_int_eq(s->buf[40000], '\r');
	expect_line(r, "exactly-16-bytes", 3);
	s->n = 0;
	s->calls = 0;
	/* the second one is larger than the spill buffer of this test:
	 * count only */
	gm_reader_set_spill(r, NULL, NULL);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_TOOLONG);
	ck_assert_uint_eq(l.lineno, 4);
	ck_assert_uint_eq(l.len, 200000);
	ck_assert(l.crlf);
	expect_line(r, "after", 5);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	gm_reader_close(r);
	free(s);
}
END_TEST

START_TEST(long_line_at_end_without_newline)
{
	static char data[100000];
	memset(data, 'z', sizeof data);
	write_file(data, sizeof data);
	struct gm_reader *r = gm_reader_open(path, 1000);
	struct spilled *s = calloc(1, sizeof *s);
	gm_reader_set_spill(r, collect, s);
	struct gm_line l;
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_TOOLONG);
	ck_assert_uint_eq(l.len, sizeof data);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	ck_assert_uint_eq(s->n, sizeof data);
	for (size_t i = 0; i < s->n; i++)
		ck_assert_int_eq(s->buf[i], 'z');
	gm_reader_close(r);
	free(s);
}
END_TEST

START_TEST(many_lines_across_buffer_edges)
{
	/* 300000 numbered lines cross many 64 KiB reads. */
	static char data[3000000];
	size_t n = 0;
	for (int i = 1; i <= 300000; i++)
		n += sprintf(data + n, "%d\n", i);
	write_file(data, n);
	struct gm_reader *r = gm_reader_open(path, 64);
	struct gm_line l;
	for (int i = 1; i <= 300000; i++) {
		ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_LINE);
		char want[16];
		int k = sprintf(want, "%d", i);
		ck_assert_uint_eq(l.len, (size_t)k);
		ck_assert(memcmp(l.data, want, k) == 0);
		ck_assert_uint_eq(l.lineno, (uint64_t)i);
	}
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	gm_reader_close(r);
}
END_TEST

/* Appends to the file at path, as a writer following it would. */
static void append(const char *data)
{
	FILE *f = fopen(path, "a");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(data, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(follow_holds_a_half_line_until_its_newline)
{
	write_file("{\"a\":1}\n{\"b\"", 12);
	struct gm_reader *r = gm_reader_open(path, 1024);
	gm_reader_set_follow(r, true);
	struct gm_line l;
	expect_line(r, "{\"a\":1}", 1);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	append(":2");
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	append("}\r\n{\"c\":3}\n");
	expect_line_crlf(r, "{\"b\":2}", 2, true);
	expect_line(r, "{\"c\":3}", 3);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	append("last");
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	/* Finished (its name names another file now): the end is final. */
	gm_reader_set_follow(r, false);
	expect_line(r, "last", 4);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	gm_reader_close(r);
}
END_TEST

START_TEST(follow_skips_a_long_line_across_appends)
{
	static char part[701];
	memset(part, 'z', 700);
	write_file("ok\n", 3);
	struct gm_reader *r = gm_reader_open(path, 1000);
	struct spilled *s = calloc(1, sizeof *s);
	gm_reader_set_spill(r, collect, s);
	gm_reader_set_follow(r, true);
	struct gm_line l;
	expect_line(r, "ok", 1);
	append(part);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	ck_assert(!gm_reader_in_long_line(r));
	append(part);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	ck_assert(gm_reader_in_long_line(r));
	append(part);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	append("\r\nafter\n");
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_TOOLONG);
	ck_assert(!gm_reader_in_long_line(r));
	ck_assert_uint_eq(l.len, 2100);
	ck_assert(l.crlf);
	ck_assert_uint_eq(l.lineno, 2);
	ck_assert_uint_eq(s->n, 2101);
	ck_assert_int_eq(s->buf[2100], '\r');
	expect_line(r, "after", 3);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	gm_reader_close(r);
	free(s);
}
END_TEST

START_TEST(follow_reads_a_truncated_file_again)
{
	gm_cli_init("test_reader");
	write_file("{\"a\":1}\n{\"b\":2}\nhalf", 20);
	struct gm_reader *r = gm_reader_open(path, 1024);
	gm_reader_set_follow(r, true);
	struct gm_line l;
	expect_line(r, "{\"a\":1}", 1);
	expect_line(r, "{\"b\":2}", 2);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	ck_assert_int_eq(truncate(path, 0), 0);
	append("{\"c\":3}\n");
	/* What was held is the old file's last line, then the new one's. */
	expect_line(r, "half", 3);
	expect_line(r, "{\"c\":3}", 1);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	append("{\"d\":4}\n");
	expect_line(r, "{\"d\":4}", 2);
	gm_reader_close(r);
}
END_TEST

START_TEST(a_long_line_goes_on_after_idle)
{
	/* A pipe that idles inside a too-long line: the next call goes on
	 * with the same line. */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct gm_reader *r = gm_reader_fdopen(p[0], "pipe", 10);
	struct spilled *s = calloc(1, sizeof *s);
	gm_reader_set_spill(r, collect, s);
	gm_reader_set_idle(r, 0);
	struct gm_line l;
	ck_assert_int_eq(write(p[1], "0123456789abcdef", 16), 16);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_IDLE);
	ck_assert(gm_reader_in_long_line(r));
	ck_assert_int_eq(write(p[1], "ghij\nok\n", 8), 8);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_TOOLONG);
	ck_assert_uint_eq(l.len, 20);
	ck_assert_uint_eq(l.lineno, 1);
	ck_assert_uint_eq(s->n, 20);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_LINE);
	ck_assert_uint_eq(l.lineno, 2);
	ck_assert(l.len == 2 && memcmp(l.data, "ok", 2) == 0);
	close(p[1]);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	gm_reader_close(r);
	free(s);
}
END_TEST

START_TEST(missing_file)
{
	gm_cli_init("test_reader");
	ck_assert_ptr_null(gm_reader_open("/nonexistent/input.ndjson", 100));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("reader");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, lf_crlf_blank_and_unterminated);
	tcase_add_test(tc, too_long_lines_are_spilled_not_held);
	tcase_add_test(tc, long_line_at_end_without_newline);
	tcase_add_test(tc, many_lines_across_buffer_edges);
	tcase_add_test(tc, follow_holds_a_half_line_until_its_newline);
	tcase_add_test(tc, follow_skips_a_long_line_across_appends);
	tcase_add_test(tc, follow_reads_a_truncated_file_again);
	tcase_add_test(tc, a_long_line_goes_on_after_idle);
	tcase_add_test(tc, missing_file);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

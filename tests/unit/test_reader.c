#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

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

/* data compressed as one gzip member, appended to *out (grown). */
static void gz_member(const char *data, size_t n, unsigned char **out, size_t *len)
{
	z_stream z = { 0 };
	ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	size_t cap = deflateBound(&z, n);
	*out = realloc(*out, *len + cap);
	ck_assert_ptr_nonnull(*out);
	z.next_in = (unsigned char *)data;
	z.avail_in = n;
	z.next_out = *out + *len;
	z.avail_out = cap;
	ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
	*len += cap - z.avail_out;
	deflateEnd(&z);
}

/* Writes data gzip-compressed to the test's file, in members of at
 * most member bytes each (cut anywhere, a line too). */
static void write_gz(const char *data, size_t n, size_t member)
{
	unsigned char *gz = NULL;
	size_t len = 0;
	for (size_t at = 0; at < n || at == 0; at += member)
		gz_member(data + at, n - at < member ? n - at : member, &gz, &len);
	write_file((const char *)gz, len);
	free(gz);
}

START_TEST(gzip_lf_crlf_blank_and_unterminated)
{
	static const char data[] = "{\"a\":1}\n{\"b\":2}\r\n\n  \r\nlast";
	write_gz(data, sizeof data - 1, 1 << 20);
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

/* 300000 numbered lines, "1\n" to "300000\n". */
static size_t numbered(char *data)
{
	size_t n = 0;
	for (int i = 1; i <= 300000; i++)
		n += sprintf(data + n, "%d\n", i);
	return n;
}

/* Expects the numbered lines from 1 to last, in order. */
static void expect_numbered(struct gm_reader *r, int last)
{
	struct gm_line l;
	for (int i = 1; i <= last; i++) {
		ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_LINE);
		char want[16];
		int k = sprintf(want, "%d", i);
		ck_assert_uint_eq(l.len, (size_t)k);
		ck_assert(memcmp(l.data, want, k) == 0);
		ck_assert_uint_eq(l.lineno, (uint64_t)i);
	}
}

START_TEST(gzip_members_read_as_their_concatenation)
{
	/* Members of 100001 bytes: each cuts a line in two. */
	static char data[3000000];
	size_t n = numbered(data);
	write_gz(data, n, 100001);
	struct gm_reader *r = gm_reader_open(path, 64);
	expect_numbered(r, 300000);
	struct gm_line l;
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	gm_reader_close(r);
}
END_TEST

START_TEST(gzip_too_long_lines_are_spilled)
{
	static char data[300000];
	size_t n = 0;
	n += sprintf(data + n, "short\n");
	memset(data + n, 'x', 40000), n += 40000;
	n += sprintf(data + n, "\r\nexactly-16-bytes\n");
	memset(data + n, 'y', 200000), n += 200000;
	n += sprintf(data + n, "\r\nafter\n");
	write_gz(data, n, 1 << 20);

	struct gm_reader *r = gm_reader_open(path, 16);
	struct spilled *s = calloc(1, sizeof *s);
	gm_reader_set_spill(r, collect, s);
	struct gm_line l;
	expect_line(r, "short", 1);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_TOOLONG);
	ck_assert_uint_eq(l.lineno, 2);
	ck_assert_uint_eq(l.len, 40000);
	ck_assert(l.crlf);
	ck_assert_uint_eq(s->n, 40001);
	ck_assert_int_eq(s->buf[40000], '\r');
	expect_line(r, "exactly-16-bytes", 3);
	s->n = 0;
	s->calls = 0;
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_TOOLONG);
	ck_assert_uint_eq(l.lineno, 4);
	ck_assert_uint_eq(l.len, 200000);
	ck_assert(l.crlf);
	ck_assert_uint_eq(s->n, 200001);
	for (size_t i = 0; i < 200000; i++)
		ck_assert_int_eq(s->buf[i], 'y');
	/* streamed through a buffer of 16 + 2 + 64 KiB, in pieces */
	ck_assert_uint_ge(s->calls, 3);
	expect_line(r, "after", 5);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	gm_reader_close(r);
	free(s);
}
END_TEST

/* Opens the test's file, a damaged gzip of the numbered lines, and
 * expects the lines from 1, in order and whole, then GM_READ_ERROR;
 * returns how many lines came before it. */
static int numbered_until_error(void)
{
	gm_cli_init("test_reader");
	struct gm_reader *r = gm_reader_open(path, 64);
	struct gm_line l;
	enum gm_read st;
	int i = 0;
	while ((st = gm_reader_next(r, &l)) == GM_READ_LINE) {
		char want[16];
		int k = sprintf(want, "%d", ++i);
		ck_assert_uint_eq(l.len, (size_t)k);
		ck_assert(memcmp(l.data, want, k) == 0);
		ck_assert_uint_eq(l.lineno, (uint64_t)i);
	}
	ck_assert_int_eq(st, GM_READ_ERROR);
	gm_reader_close(r);
	return i;
}

/* The numbered lines, gzip-compressed, in a buffer of *len bytes. */
static unsigned char *numbered_gz(size_t *len)
{
	static char data[3000000];
	size_t n = numbered(data);
	unsigned char *gz = NULL;
	*len = 0;
	gz_member(data, n, &gz, len);
	return gz;
}

START_TEST(gzip_truncated_gives_the_lines_before_then_an_error)
{
	size_t len;
	unsigned char *gz = numbered_gz(&len);
	write_file((const char *)gz, len / 2);
	int got = numbered_until_error();
	ck_assert_int_gt(got, 1000);
	ck_assert_int_lt(got, 300000);
	/* cut at the end of a member's data, before its 8-byte trailer:
	 * every line, then the error */
	unlink(path);
	write_file((const char *)gz, len - 4);
	ck_assert_int_eq(numbered_until_error(), 300000);
	/* the magic bytes alone */
	unlink(path);
	write_file((const char *)gz, 2);
	ck_assert_int_eq(numbered_until_error(), 0);
	free(gz);
}
END_TEST

/* As numbered_until_error(), for damage deflate cannot see at once:
 * what it makes of the damaged part, up to the error, are lines of any
 * bytes. Returns how many lines came right, from 1, before them. */
static int numbered_then_garbage_until_error(void)
{
	gm_cli_init("test_reader");
	struct gm_reader *r = gm_reader_open(path, 64);
	struct gm_line l;
	enum gm_read st;
	int right = 0;
	bool wrong = false;
	while ((st = gm_reader_next(r, &l)) == GM_READ_LINE || st == GM_READ_TOOLONG) {
		char want[16];
		int k = sprintf(want, "%d", right + 1);
		wrong |= st != GM_READ_LINE || l.len != (size_t)k || memcmp(l.data, want, k) != 0;
		right += !wrong;
	}
	ck_assert_int_eq(st, GM_READ_ERROR);
	gm_reader_close(r);
	return right;
}

START_TEST(gzip_corrupt_gives_the_lines_before_then_an_error)
{
	size_t len;
	unsigned char *gz = numbered_gz(&len);
	unsigned char saved[16];
	memcpy(saved, gz + len / 2, sizeof saved);
	memset(gz + len / 2, 0xff, sizeof saved);
	write_file((const char *)gz, len);
	int got = numbered_then_garbage_until_error();
	ck_assert_int_gt(got, 1000);
	ck_assert_int_lt(got, 300000);
	/* a wrong CRC is found after the member's last line */
	memcpy(gz + len / 2, saved, sizeof saved);
	gz[len - 8] ^= 1;
	unlink(path);
	write_file((const char *)gz, len);
	ck_assert_int_eq(numbered_until_error(), 300000);
	free(gz);
}
END_TEST

START_TEST(gzip_trailing_bytes_are_an_error)
{
	size_t len;
	unsigned char *gz = numbered_gz(&len);
	gz = realloc(gz, len + 5);
	memcpy(gz + len, "junk\n", 5);
	write_file((const char *)gz, len + 5);
	ck_assert_int_eq(numbered_until_error(), 300000);
	free(gz);
}
END_TEST

START_TEST(gzip_is_not_followed)
{
	gm_cli_init("test_reader");
	write_gz("{\"a\":1}\n", 8, 1 << 20);
	struct gm_reader *r = gm_reader_open(path, 1024);
	gm_reader_set_follow(r, true);
	struct gm_line l;
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_ERROR);
	gm_reader_close(r);
}
END_TEST

START_TEST(gzip_on_a_pipe_known_by_its_first_two_bytes)
{
	/* The magic bytes come one at a time: the first alone is not
	 * taken for a line. */
	unsigned char *gz = NULL;
	size_t len = 0;
	gz_member("one\ntwo\n", 8, &gz, &len);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct gm_reader *r = gm_reader_fdopen(p[0], "pipe", 64);
	gm_reader_set_idle(r, 0);
	struct gm_line l;
	ck_assert_int_eq(write(p[1], gz, 1), 1);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_IDLE);
	ck_assert_int_eq(write(p[1], gz + 1, len - 1), (ssize_t)len - 1);
	close(p[1]);
	gm_reader_set_idle(r, -1);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_LINE);
	ck_assert(l.len == 3 && memcmp(l.data, "one", 3) == 0 && l.lineno == 1);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_LINE);
	ck_assert(l.len == 3 && memcmp(l.data, "two", 3) == 0 && l.lineno == 2);
	ck_assert_int_eq(gm_reader_next(r, &l), GM_READ_EOF);
	gm_reader_close(r);
	free(gz);
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
	tcase_add_test(tc, gzip_lf_crlf_blank_and_unterminated);
	tcase_add_test(tc, gzip_members_read_as_their_concatenation);
	tcase_add_test(tc, gzip_too_long_lines_are_spilled);
	tcase_add_test(tc, gzip_truncated_gives_the_lines_before_then_an_error);
	tcase_add_test(tc, gzip_corrupt_gives_the_lines_before_then_an_error);
	tcase_add_test(tc, gzip_trailing_bytes_are_an_error);
	tcase_add_test(tc, gzip_is_not_followed);
	tcase_add_test(tc, gzip_on_a_pipe_known_by_its_first_two_bytes);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

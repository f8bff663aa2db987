#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "cli.h"
#include "writer.h"

/* The memory writer's contents as a NUL-terminated string. */
static const char *text(struct gm_writer *w)
{
	static char buf[4096];
	size_t n;
	const char *p = gm_writer_data(w, &n);
	ck_assert_uint_lt(n, sizeof buf);
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

START_TEST(builds_objects_with_commas)
{
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	gm_w_kcstr(w, "type", "transaction");
	gm_w_ki64(w, "n", -42);
	gm_w_kmoney(w, "total", 1205);
	gm_w_kts(w, "ts", 1795514400123LL);
	gm_w_key(w, "items");
	gm_w_arr_begin(w);
	gm_w_obj_begin(w);
	gm_w_kcstr(w, "id", "p1");
	gm_w_obj_end(w);
	gm_w_obj_begin(w);
	gm_w_obj_end(w);
	gm_w_i64(w, 7);
	gm_w_arr_end(w);
	gm_w_key(w, "labels");
	gm_w_obj_begin(w);
	gm_w_obj_end(w);
	gm_w_key(w, "ok");
	gm_w_bool(w, true);
	gm_w_key(w, "r");
	gm_w_double(w, 0.25);
	gm_w_end(w);
	ck_assert_str_eq(text(w),
		"{\"type\":\"transaction\",\"n\":-42,\"total\":12.05,"
		"\"ts\":\"2026-11-24T10:00:00.123Z\",\"items\":[{\"id\":\"p1\"},{},7],"
		"\"labels\":{},\"ok\":true,\"r\":0.25}\n");
	gm_writer_reset(w);
	gm_w_obj_begin(w);
	gm_w_ki64(w, "a", 1);
	gm_w_end(w);
	ck_assert_str_eq(text(w), "{\"a\":1}\n");
	gm_writer_close(w);
}
END_TEST

START_TEST(escapes_strings)
{
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	const char *v = "q\"b\\n\n\t\x01\x1f caf\xc3\xa9";
	gm_w_kstr(w, "s", v, strlen(v));
	gm_w_end(w);
	ck_assert_str_eq(text(w), "{\"s\":\"q\\\"b\\\\n\\n\\t\\u0001\\u001f caf\xc3\xa9\"}\n");
	gm_writer_close(w);
}
END_TEST

START_TEST(extreme_integers)
{
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	gm_w_ki64(w, "min", INT64_MIN);
	gm_w_key(w, "max");
	gm_w_u64(w, UINT64_MAX);
	gm_w_end(w);
	ck_assert_str_eq(text(w), "{\"min\":-9223372036854775808,\"max\":18446744073709551615}\n");
	gm_writer_close(w);
}
END_TEST

START_TEST(large_output_is_complete)
{
	char path[256];
	int fd = gm_test_temp(path, sizeof path, "writer", false);
	struct gm_writer *w = gm_writer_fd(fd, path, false);
	for (int i = 0; i < 100000; i++) {
		gm_w_obj_begin(w);
		gm_w_ki64(w, "i", i);
		gm_w_end(w);
	}
	ck_assert(gm_writer_close(w));
	off_t size = lseek(fd, 0, SEEK_END);
	/* {"i":N}\n is 8 bytes plus the digits of N. */
	off_t want = 0;
	for (int i = 0; i < 100000; i++)
		want += 7 + (i < 10 ? 1 : i < 100 ? 2 : i < 1000 ? 3 : i < 10000 ? 4 : 5);
	ck_assert_int_eq(size, want);
	close(fd);
	unlink(path);
}
END_TEST

START_TEST(write_errors_are_detected)
{
	gm_cli_init("test_writer");
	/* ENOSPC */
	struct gm_writer *w = gm_writer_open("/dev/full", false);
	ck_assert_ptr_nonnull(w);
	gm_w_obj_begin(w);
	gm_w_ki64(w, "a", 1);
	gm_w_end(w);
	ck_assert(!gm_writer_flush(w));
	ck_assert(gm_writer_failed(w));
	ck_assert(!gm_writer_close(w));
	/* EPIPE: the reader has gone (SIGPIPE is ignored by gm_cli_init) */
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	close(p[0]);
	w = gm_writer_fd(p[1], "pipe", true);
	gm_w_obj_begin(w);
	gm_w_ki64(w, "a", 1);
	gm_w_end(w);
	ck_assert(gm_writer_failed(w));
	ck_assert(!gm_writer_close(w));
	close(p[1]);
	/* a file that cannot be created */
	ck_assert_ptr_null(gm_writer_open("/nonexistent/dir/out.ndjson", false));
}
END_TEST

/* What a read of fd finds at once, without waiting: bytes, or 0. */
static ssize_t ready(int fd)
{
	char buf[256];
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	ssize_t n = read(fd, buf, sizeof buf);
	return n < 0 && errno == EAGAIN ? 0 : n;
}

static void one_record_each_way(struct gm_writer *w)
{
	gm_w_obj_begin(w);
	gm_w_kcstr(w, "type", "x");
	gm_w_end(w);
	gm_w_record(w, "{\"type\":\"y\"}", 12);
}

/* On a terminal every record is written as it ends, as someone is
 * watching; a pipe keeps its records in the buffer until a flush. */
START_TEST(line_buffered_on_a_terminal_only)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	struct gm_writer *w = gm_writer_fd(p[1], "pipe", false);
	one_record_each_way(w);
	ck_assert_int_eq(ready(p[0]), 0);
	ck_assert(gm_writer_flush(w));
	ck_assert_int_eq(ready(p[0]), 26);
	gm_writer_close(w);
	close(p[0]);
	close(p[1]);

	int master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(master, 0);
	ck_assert(grantpt(master) == 0 && unlockpt(master) == 0);
	int tty = open(ptsname(master), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(tty, 0);
	w = gm_writer_fd(tty, "tty", false);
	gm_w_obj_begin(w);
	gm_w_kcstr(w, "type", "x");
	gm_w_end(w);
	ck_assert_int_gt(ready(master), 0);
	gm_w_record(w, "{\"type\":\"y\"}", 12);
	ck_assert_int_gt(ready(master), 0);
	gm_writer_close(w);
	close(tty);
	close(master);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, builds_objects_with_commas);
	tcase_add_test(tc, escapes_strings);
	tcase_add_test(tc, extreme_integers);
	tcase_add_test(tc, large_output_is_complete);
	tcase_add_test(tc, write_errors_are_detected);
	tcase_add_test(tc, line_buffered_on_a_terminal_only);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

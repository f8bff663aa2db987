#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_util.h"
#include "cli.h"
#include "counts.h"
#include "finish.h"
#include "rejects.h"
#include "sink.h"
#include "source.h"

static char dir[96];
static char path[256];

static void setup(void)
{
	gm_test_temp(dir, sizeof dir, "finish", true);
	gm_cli_init("test_finish");
	memset(&gm_counts, 0, sizeof gm_counts);
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *file(const char *name)
{
	snprintf(path, sizeof path, "%s/%s", dir, name);
	return path;
}

/* What f holds, NUL-terminated, in buf (n bytes). */
static const char *slurp(const char *f, char *buf, size_t n)
{
	FILE *in = fopen(f, "r");
	ck_assert_ptr_nonnull(in);
	size_t k = fread(buf, 1, n - 1, in);
	fclose(in);
	buf[k] = 0;
	return buf;
}

/* gm_finish(), with what it writes on stderr kept in err (n bytes). */
static int finish(struct gm_common *c, int status, struct gm_sink *const *sinks,
	size_t n, struct gm_source *src, char *err, size_t cap)
{
	char name[256];
	snprintf(name, sizeof name, "%s/stderr", dir);
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	dup2(fd, STDERR_FILENO);
	close(fd);
	int st = gm_finish(c, status, sinks, n, src);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	slurp(name, err, cap);
	return st;
}

START_TEST(one_sink_named_twice_is_closed_once)
{
	struct gm_common c;
	gm_common_init(&c);
	gm_common_option(&c, 'X', "a=b", "usage");
	gm_rejects_open(NULL, false);
	struct gm_sink *out = gm_sink_open(&c, file("out"));
	struct gm_sink *other = gm_sink_open(&c, file("other"));
	ck_assert_ptr_nonnull(out);
	ck_assert_ptr_nonnull(other);
	ck_assert(gm_sink_emit_raw(out, "t", NULL, 0, "{\"n\":1}", 7));
	ck_assert(gm_sink_emit_raw(other, "t", NULL, 0, "{\"n\":2}", 7));
	/* gm-txmon's -o OUT -a OTHER -l OUT: out listed twice, and a NULL. */
	struct gm_sink *sinks[] = { out, other, out, NULL };
	char err[512];
	ck_assert_int_eq(finish(&c, GM_EXIT_OK, sinks, 4, NULL, err, sizeof err), GM_EXIT_OK);
	ck_assert_ptr_null(c.props);
	ck_assert_uint_eq(c.nprops, 0);
	ck_assert_msg(!strncmp(err, "test_finish: 0 in, 2 out, 0 rejected, 0 late, ", 46),
		"summary: %s", err);
	char buf[64];
	ck_assert_str_eq(slurp(file("out"), buf, sizeof buf), "{\"n\":1}\n");
	ck_assert_str_eq(slurp(file("other"), buf, sizeof buf), "{\"n\":2}\n");
}
END_TEST

START_TEST(the_worst_status_wins_and_quiet_is_quiet)
{
	struct gm_common c;
	gm_common_init(&c);
	c.quiet = true;
	gm_rejects_open(NULL, false);
	struct gm_sink *full = gm_sink_open(&c, "/dev/full");
	ck_assert_ptr_nonnull(full);
	gm_sink_emit_raw(full, "t", NULL, 0, "{}", 2);
	char err[512];
	/* A sink that cannot write (1) over a status of 75. */
	ck_assert_int_eq(finish(&c, GM_EXIT_TEMPFAIL, &full, 1, NULL, err, sizeof err),
		GM_EXIT_FAIL);
	ck_assert_str_eq(err, "test_finish: /dev/full: write error: No space left on device\n");

	/* A source whose file is missing, and no sink. */
	char *files[] = { (char *)file("missing") };
	struct gm_source *src = gm_source_open(&c, files, 1, NULL, 0, false);
	ck_assert_ptr_nonnull(src);
	struct gm_record r;
	ck_assert_int_eq(gm_source_next(src, &r, 0), GM_NEXT_END);
	gm_rejects_open(NULL, false);
	ck_assert_int_eq(finish(&c, GM_EXIT_OK, NULL, 0, src, err, sizeof err), GM_EXIT_FAIL);

	/* The rejects file fails as it closes. */
	gm_rejects_open("/dev/full", false);
	gm_reject("here", "bad", "x", 1);
	ck_assert_int_eq(finish(&c, GM_EXIT_OK, NULL, 0, NULL, err, sizeof err), GM_EXIT_FAIL);
	ck_assert_str_eq(err, "test_finish: /dev/full: write error: No space left on device\n");
}
END_TEST

/* A rate that rounds up to the next unit is written in it: "1M/s",
 * never "1e+03k/s". The rate is given, not timed. */
START_TEST(summary_rate_rounds_into_the_next_unit)
{
	char buf[32];
	ck_assert_str_eq(gm_counts_rate(999900, buf, sizeof buf), "1M");
	ck_assert_str_eq(gm_counts_rate(999499, buf, sizeof buf), "999k");
	ck_assert_str_eq(gm_counts_rate(999.7, buf, sizeof buf), "1k");
	ck_assert_str_eq(gm_counts_rate(999, buf, sizeof buf), "999");
	ck_assert_str_eq(gm_counts_rate(12345, buf, sizeof buf), "12.3k");
	ck_assert_str_eq(gm_counts_rate(1.54e6, buf, sizeof buf), "1.54M");
	ck_assert_str_eq(gm_counts_rate(0, buf, sizeof buf), "0");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("finish");
	TCase *tc = tcase_create("finish");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, one_sink_named_twice_is_closed_once);
	tcase_add_test(tc, the_worst_status_wins_and_quiet_is_quiet);
	tcase_add_test(tc, summary_rate_rounds_into_the_next_unit);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

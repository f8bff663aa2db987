/* gm-notify's own file format (nlog) and its silences. */
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "../../gm-notify/nlog.h"
#include "../../gm-notify/silence.h"

static char *slurp(const char *path)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* Any string survives, tabs, newlines and backslashes escaped, NULL
 * as \-; the file appears whole, under its name. */
START_TEST(nlog_round_trip)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "nlog", false));
	struct nlog_out o;
	ck_assert(nlog_create(&o, path, "test", 7));
	nlog_str(&o, "a\tb\nc\\d");
	nlog_str(&o, NULL);
	nlog_str(&o, "");
	nlog_str(&o, "\\-");
	nlog_int(&o, -42);
	nlog_end(&o);
	nlog_str(&o, "x");
	nlog_end(&o);
	ck_assert_str_eq(slurp(path), "");   /* nothing until the commit */
	ck_assert(nlog_commit(&o));
	ck_assert_str_eq(slurp(path), "test\t7\na\\tb\\nc\\\\d\t\\-\t\t\\\\-\t-42\nx\n");
	struct nlog_in in;
	ck_assert_int_eq(nlog_open(&in, path, "test", 7), 1);
	ck_assert_int_eq(nlog_next(&in), 5);
	ck_assert_str_eq(in.field[0], "a\tb\nc\\d");
	ck_assert_ptr_null(in.field[1]);
	ck_assert_str_eq(in.field[2], "");
	ck_assert_str_eq(in.field[3], "\\-");
	int64_t v;
	ck_assert(nlog_int_of(in.field[4], &v));
	ck_assert_int_eq(v, -42);
	ck_assert(!nlog_int_of(in.field[3], &v));
	ck_assert(!nlog_int_of(NULL, &v));
	ck_assert_int_eq(nlog_next(&in), 1);
	ck_assert_str_eq(in.field[0], "x");
	ck_assert_int_eq(nlog_next(&in), 0);
	nlog_close(&in);
	/* another kind, or version */
	ck_assert_int_eq(nlog_open(&in, path, "test", 8), -1);
	nlog_close(&in);
	ck_assert_int_eq(nlog_open(&in, path, "other", 7), -1);
	nlog_close(&in);
	unlink(path);
}
END_TEST

START_TEST(nlog_bad_escape)
{
	char path[256];
	int fd = gm_test_temp(path, sizeof path, "nlog", false);
	ck_assert_int_eq(write(fd, "t\t1\nok\nbad\\x\n", 14), 14);
	close(fd);
	struct nlog_in in;
	ck_assert_int_eq(nlog_open(&in, path, "t", 1), 1);
	ck_assert_int_eq(nlog_next(&in), 1);
	ck_assert_int_eq(nlog_next(&in), -1);
	ck_assert_uint_eq(in.line, 3);
	nlog_close(&in);
	unlink(path);
	ck_assert_int_eq(nlog_open(&in, path, "t", 1), 0);
	nlog_close(&in);
}
END_TEST

static struct route_labels labels(const struct route_label *v, size_t n)
{
	return (struct route_labels){ v, n };
}

START_TEST(silence_match)
{
	struct silences set = { 0 };
	struct conf_errors errs = { 0 };
	const char *m1[] = { "product_id=p1" };
	const char *m2[] = { "{kind=~\"low.*\", severity!=\"info\"}", "category=toys" };
	const struct silence *s1 = silences_add(&set, m1, 1, 1000, 2000, "ann", "restocking", 500,
		&errs);
	ck_assert_ptr_nonnull(s1);
	ck_assert_uint_eq(strlen(s1->id), SILENCE_ID_LEN);
	ck_assert(silences_add(&set, m2, 2, 0, 5000, "bob", "", 500, &errs));
	ck_assert_uint_eq(errs.n, 0);
	ck_assert_uint_eq(silence_matchers(&set.v[1])->n, 3);
	struct route_label p1[] = { { "kind", "out_of_stock" }, { "product_id", "p1" } };
	struct route_label toys[] = { { "category", "toys" }, { "kind", "low_stock" },
		{ "severity", "warning" } };
	struct route_label info[] = { { "category", "toys" }, { "kind", "low_stock" },
		{ "severity", "info" } };
	/* from start to end, end excluded */
	ck_assert_ptr_null(silences_match(&set, labels(p1, 2), 999));
	ck_assert_ptr_eq(silences_match(&set, labels(p1, 2), 1000), &set.v[0]);
	ck_assert_ptr_eq(silences_match(&set, labels(p1, 2), 1999), &set.v[0]);
	ck_assert_ptr_null(silences_match(&set, labels(p1, 2), 2000));
	ck_assert_ptr_eq(silences_match(&set, labels(toys, 3), 0), &set.v[1]);
	ck_assert_ptr_null(silences_match(&set, labels(info, 3), 0));
	ck_assert_int_eq(silences_next_change(&set, 0), 1000);
	ck_assert_int_eq(silences_next_change(&set, 1000), 2000);
	ck_assert_int_eq(silences_next_change(&set, 2000), 5000);
	ck_assert_int_eq(silences_next_change(&set, 5000), INT64_MAX);
	/* expired by a prefix of its id: it ends now */
	char prefix[5];
	memcpy(prefix, set.v[1].id, 4);
	prefix[4] = 0;
	ck_assert_ptr_eq(silences_expire(&set, prefix, 3000), &set.v[1]);
	ck_assert_int_eq(set.v[1].end, 3000);
	ck_assert_ptr_null(silences_match(&set, labels(toys, 3), 3000));
	ck_assert_ptr_null(silences_expire(&set, "abc", 3000));
	ck_assert_ptr_null(silences_expire(&set, "zzzz", 3000));
	/* a retention after its end, a silence is forgotten */
	ck_assert_uint_eq(silences_gc(&set, 3000 + 999, 1000), 1);
	ck_assert_uint_eq(set.n, 1);
	ck_assert_int_eq(set.v[0].end, 3000);
	ck_assert_uint_eq(silences_gc(&set, 4000, 1000), 1);
	ck_assert_uint_eq(set.n, 0);
	silences_free(&set);
}
END_TEST

START_TEST(silence_errors)
{
	struct silences set = { 0 };
	struct conf_errors errs = { 0 };
	const char *bad[] = { "product_id=~\"(\"", "kind" };
	ck_assert_ptr_null(silences_add(&set, bad, 2, 0, 10, "", "", 0, &errs));
	ck_assert_uint_eq(errs.n, 2);
	ck_assert_msg(strstr(errs.v[0], "matchers: ") == errs.v[0], "%s", errs.v[0]);
	ck_assert_msg(strstr(errs.v[1], "\"kind\": expected NAME OP VALUE") != NULL, "%s",
		errs.v[1]);
	conf_errors_free(&errs);
	const char *good[] = { "kind=low_stock" };
	ck_assert_ptr_null(silences_add(&set, good, 0, 0, 10, "", "", 0, &errs));
	ck_assert_str_eq(errs.v[0], "a silence needs at least one matcher");
	conf_errors_free(&errs);
	ck_assert_ptr_null(silences_add(&set, good, 1, 10, 10, "", "", 0, &errs));
	ck_assert_str_eq(errs.v[0], "a silence must end after it starts");
	conf_errors_free(&errs);
	ck_assert_uint_eq(set.n, 0);
}
END_TEST

/* Saved and loaded, a set is the same; the file is the format's. */
START_TEST(silence_file)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "silences", false));
	unlink(path);
	struct silences set = { 0 }, back = { 0 };
	ck_assert(silences_load(&set, path));   /* not there: none */
	ck_assert_uint_eq(set.n, 0);
	struct conf_errors errs = { 0 };
	const char *m[] = { "product_id=p1", "name=\"a\tb\"" };
	const struct silence *s = silences_add(&set, m, 2, 1000, 2000, "ann", "two\nlines", 500,
		&errs);
	ck_assert_msg(s != NULL, "%s", errs.n ? errs.v[0] : "");
	ck_assert(silences_save(&set, path));
	char want[512];
	snprintf(want, sizeof want, "gm-notify-silences\t1\nsilence\t%s\t1000\t2000\t500\tann\t"
		"two\\nlines\tproduct_id=p1\tname=\"a\\tb\"\n", s->id);
	ck_assert_str_eq(slurp(path), want);
	ck_assert(silences_load(&back, path));
	ck_assert_uint_eq(back.n, 1);
	ck_assert_str_eq(back.v[0].id, s->id);
	ck_assert_str_eq(back.v[0].comment, "two\nlines");
	ck_assert_str_eq(back.v[0].matchers[1], "name=\"a\tb\"");
	struct route_label l[] = { { "name", "a\tb" }, { "product_id", "p1" } };
	ck_assert_ptr_eq(silences_match(&back, labels(l, 2), 1500), &back.v[0]);
	/* a damaged file */
	FILE *f = fopen(path, "a");
	fputs("silence\tnot-an-id\t1\t2\t0\ta\tb\tx=y\n", f);
	fclose(f);
	ck_assert(!silences_load(&back, path));
	ck_assert_uint_eq(back.n, 1);
	silences_free(&set);
	silences_free(&back);
	unlink(path);
}
END_TEST

/* A pending silence expired starts and ends then, as Alertmanager's
 * does, and such a silence is saved and loaded back. */
START_TEST(silence_expire_pending)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "silences", false));
	unlink(path);
	struct silences set = { 0 }, back = { 0 };
	struct conf_errors errs = { 0 };
	const char *m[] = { "country=UK" };
	const struct silence *s = silences_add(&set, m, 1, 5000, 9000, "ann", "", 1000, &errs);
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_eq(silences_expire(&set, s->id, 2000), &set.v[0]);
	ck_assert_int_eq(set.v[0].start, 2000);
	ck_assert_int_eq(set.v[0].end, 2000);
	ck_assert_int_eq(silences_next_change(&set, 2000), INT64_MAX);
	/* expired again, it stays as it was */
	ck_assert_ptr_eq(silences_expire(&set, s->id, 3000), &set.v[0]);
	ck_assert_int_eq(set.v[0].end, 2000);
	ck_assert(silences_save(&set, path));
	ck_assert(silences_load(&back, path));
	ck_assert_uint_eq(back.n, 1);
	ck_assert_int_eq(back.v[0].start, 2000);
	ck_assert_int_eq(back.v[0].end, 2000);
	/* forgotten a retention after it was expired */
	ck_assert_uint_eq(silences_gc(&back, 2999, 1000), 0);
	ck_assert_uint_eq(silences_gc(&back, 3000, 1000), 1);
	silences_free(&set);
	silences_free(&back);
	unlink(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify_silence");
	TCase *t = tcase_create("silence");
	tcase_add_test(t, nlog_round_trip);
	tcase_add_test(t, nlog_bad_escape);
	tcase_add_test(t, silence_match);
	tcase_add_test(t, silence_errors);
	tcase_add_test(t, silence_file);
	tcase_add_test(t, silence_expire_pending);
	suite_add_tcase(s, t);
	return s;
}

GM_CHECK_MAIN(suite)

#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "window.h"

/* Each window's state counts its records; closes are logged. */
struct log {
	char text[1024];
	size_t n;
};

static void on_close(void *ctx, int64_t start, int64_t end, void *state)
{
	struct log *l = ctx;
	if (l->n >= sizeof l->text - 64)
		return; /* long runs: the log is full, the count goes on */
	l->n += snprintf(l->text + l->n, sizeof l->text - l->n, "[%lld,%lld)=%d ",
		(long long)start, (long long)end, *(int *)state);
}

static void on_open(void *ctx, int64_t start, int64_t end, void *state)
{
	*(int *)state = 0;
}

/* Feeds one record at ts, at position pos; returns how many windows
 * took it. */
static size_t feed_at(struct gm_windows *w, int64_t ts, int64_t pos)
{
	void *states[16];
	size_t n = gm_windows_for(w, ts, pos, states);
	for (size_t i = 0; i < n; i++)
		(*(int *)states[i])++;
	gm_windows_advance(w, ts);
	return n;
}

static size_t feed(struct gm_windows *w, int64_t ts)
{
	return feed_at(w, ts, 0);
}

START_TEST(tumbling_with_lateness)
{
	struct log l = { .n = 0 };
	struct gm_window_spec spec = { .size = 10, .slide = 10, .lateness = 5 };
	struct gm_windows *w = gm_windows_new(&spec, sizeof(int), on_open, on_close, &l);
	ck_assert_uint_eq(feed(w, 1), 1);
	ck_assert_uint_eq(feed(w, 12), 1);   /* watermark 7: nothing closes */
	ck_assert_uint_eq(feed(w, 3), 1);    /* out of order, in time */
	ck_assert_str_eq(l.text, "");
	ck_assert_uint_eq(feed(w, 16), 1);   /* watermark 11: [0,10) closes */
	ck_assert_str_eq(l.text, "[0,10)=2 ");
	ck_assert_uint_eq(feed(w, 4), 0);    /* late: its window closed */
	ck_assert_uint_eq(feed(w, 9), 0);
	ck_assert_uint_eq(feed(w, 14), 1);
	ck_assert_int_eq(gm_windows_watermark(w), 11);
	ck_assert_uint_eq(feed(w, 47), 1);   /* watermark 42: [10,20) closes */
	ck_assert_str_eq(l.text, "[0,10)=2 [10,20)=3 ");
	ck_assert_uint_eq(feed(w, 25), 0);   /* an empty window that passed is closed too */
	ck_assert_uint_eq(gm_windows_open(w), 1);
	gm_windows_close_all(w);
	ck_assert_str_eq(l.text, "[0,10)=2 [10,20)=3 [40,50)=1 ");
	ck_assert_uint_eq(feed(w, 48), 0);   /* after close_all, late */
	ck_assert_uint_eq(feed(w, 50), 1);   /* the next window opens */
	gm_windows_close_all(w);
	ck_assert_str_eq(l.text, "[0,10)=2 [10,20)=3 [40,50)=1 [50,60)=1 ");
	gm_windows_free(w, NULL);
}
END_TEST

START_TEST(hopping)
{
	struct log l = { .n = 0 };
	struct gm_window_spec spec = { .size = 30, .slide = 10, .lateness = 0 };
	struct gm_windows *w = gm_windows_new(&spec, sizeof(int), on_open, on_close, &l);
	ck_assert_uint_eq(feed(w, 25), 3);   /* [0,30) [10,40) [20,50) */
	ck_assert_uint_eq(feed(w, 31), 3);   /* [10,40) [20,50) [30,60); [0,30) closes */
	ck_assert_str_eq(l.text, "[0,30)=1 ");
	ck_assert_uint_eq(feed(w, 5), 0);
	ck_assert_uint_eq(feed(w, 15), 1);   /* only [10,40) still holds it */
	gm_windows_close_all(w);
	ck_assert_str_eq(l.text, "[0,30)=1 [10,40)=3 [20,50)=2 [30,60)=1 ");
	gm_windows_free(w, NULL);
}
END_TEST

START_TEST(negative_times_and_reuse)
{
	struct log l = { .n = 0 };
	struct gm_window_spec spec = { .size = 10, .slide = 10, .lateness = 0 };
	struct gm_windows *w = gm_windows_new(&spec, sizeof(int), on_open, on_close, &l);
	ck_assert_uint_eq(feed(w, -15), 1);
	ck_assert_uint_eq(feed(w, -1), 1);
	gm_windows_close_all(w);
	ck_assert_str_eq(l.text, "[-20,-10)=1 [-10,0)=1 ");
	/* a long run reuses its state blocks */
	for (int64_t t = 0; t < 100000; t += 7)
		feed(w, t);
	ck_assert_uint_le(gm_windows_open(w), 2);
	gm_windows_free(w, NULL);
}
END_TEST

/* A stop after each record of a stream, and a resume from the first
 * position of the open windows, with their closed_until: every window
 * is written once, whole, as by the run that never stopped. */
START_TEST(resume_rebuilds_the_open_windows)
{
	static const int64_t ts[] = { 1, 12, 3, 16, 4, 14, 23, 9, 47, 25, 41, 44, 58 };
	const size_t n = sizeof ts / sizeof ts[0];
	struct gm_window_spec spec = { .size = 10, .slide = 5, .lateness = 5 };
	struct log whole = { .n = 0 };
	struct gm_windows *w = gm_windows_new(&spec, sizeof(int), on_open, on_close, &whole);
	for (size_t i = 0; i < n; i++)
		feed_at(w, ts[i], (int64_t)i);
	gm_windows_close_all(w);
	gm_windows_free(w, NULL);

	for (size_t stop = 1; stop < n; stop++) {
		struct log l = { .n = 0 };
		w = gm_windows_new(&spec, sizeof(int), on_open, on_close, &l);
		for (size_t i = 0; i < stop; i++)
			feed_at(w, ts[i], (int64_t)i);
		int64_t from = gm_windows_first_pos(w);
		int64_t closed_until = gm_windows_closed_until(w);
		ck_assert(from == INT64_MAX || (from >= 0 && from < (int64_t)stop));
		if (from == INT64_MAX)
			from = (int64_t)stop;
		gm_windows_free(w, NULL);  /* the stop: open windows unwritten */

		w = gm_windows_new(&spec, sizeof(int), on_open, on_close, &l);
		gm_windows_resume(w, closed_until);
		for (size_t i = (size_t)from; i < n; i++)
			feed_at(w, ts[i], (int64_t)i);
		gm_windows_close_all(w);
		gm_windows_free(w, NULL);
		ck_assert_msg(strcmp(l.text, whole.text) == 0,
			"stop after %zu: %s, not %s", stop, l.text, whole.text);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("window");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, tumbling_with_lateness);
	tcase_add_test(tc, hopping);
	tcase_add_test(tc, negative_times_and_reuse);
	tcase_add_test(tc, resume_rebuilds_the_open_windows);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

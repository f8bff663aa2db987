#include <signal.h>

#include "backoff.h"
#include "check_util.h"
#include "cli.h"

/* The first failure is told once; with no retry time the waiting ends
 * at once; with one, a wait sleeps and the next try comes. */
START_TEST(counts_and_waits)
{
	struct gm_backoff b;
	gm_backoff_init(&b, 0);
	ck_assert(gm_backoff_elapsed(&b) == 0);
	ck_assert(gm_backoff_failed(&b));
	ck_assert(!gm_backoff_failed(&b));
	ck_assert(!gm_backoff_wait(&b));

	gm_backoff_init(&b, 60000);
	ck_assert(gm_backoff_failed(&b));
	ck_assert(gm_backoff_wait(&b));       /* about 50 to 100 ms */
	ck_assert(gm_backoff_elapsed(&b) > 0);
	ck_assert_int_eq(b.step_ms, 200);     /* doubled */
}
END_TEST

/* A cap holds the step under it, from the first wait on. */
START_TEST(a_cap_holds_the_step)
{
	struct gm_backoff b;
	gm_backoff_init(&b, 60000);
	gm_backoff_cap(&b, 60);
	ck_assert_int_eq(b.step_ms, 60);      /* under the first step */
	gm_backoff_failed(&b);
	for (int i = 0; i < 3; i++) {
		ck_assert(gm_backoff_wait(&b));   /* 30 to 60 ms */
		ck_assert_int_eq(b.step_ms, 60);
	}
	gm_backoff_init(&b, 60000);
	gm_backoff_cap(&b, 300);
	gm_backoff_failed(&b);
	ck_assert(gm_backoff_wait(&b));
	ck_assert(gm_backoff_wait(&b));
	ck_assert_int_eq(b.step_ms, 300);     /* 100, 200, then capped */
}
END_TEST

/* A signal that stops the run stops the waiting too. */
START_TEST(a_signal_ends_it)
{
	gm_cli_init("test_backoff");
	struct gm_backoff b;
	gm_backoff_init(&b, 60000);
	gm_backoff_failed(&b);
	raise(SIGTERM);
	ck_assert(gm_stopping());
	ck_assert(!gm_backoff_wait(&b));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("backoff");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, counts_and_waits);
	tcase_add_test(tc, a_cap_holds_the_step);
	tcase_add_test(tc, a_signal_ends_it);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

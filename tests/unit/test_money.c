#include <string.h>

#include "check_util.h"
#include "money.h"

static int64_t cents(const char *s, bool *ok)
{
	int64_t c = -12345;
	*ok = gm_money_parse(s, strlen(s), &c);
	return c;
}

START_TEST(parses_exact_cents)
{
	static const struct { const char *in; int64_t want; } cases[] = {
		{ "0", 0 }, { "12", 1200 }, { "12.5", 1250 }, { "12.05", 1205 },
		{ "0.1", 10 }, { "0.30000000000000004", 30 }, { "19.99", 1999 },
		{ "1.005", 101 }, { "1.004", 100 }, { "-3.5", -350 }, { "-0.005", -1 },
		{ "1e2", 10000 }, { "1.5E1", 1500 }, { "12345e-4", 123 }, { "5e-3", 1 },
		{ "0.0", 0 }, { "1000000000000", 100000000000000LL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		bool ok;
		int64_t got = cents(cases[i].in, &ok);
		ck_assert_msg(ok, "rejected %s", cases[i].in);
		ck_assert_msg(got == cases[i].want, "%s: got %lld want %lld", cases[i].in,
			(long long)got, (long long)cases[i].want);
	}
}
END_TEST

START_TEST(rejects_non_numbers_and_huge)
{
	static const char *bad[] = { "", "-", "1.", ".5", "1e", "12a", "abc",
		"1000000000000.01", "1e13", "99999999999999999999999999", "--1", "1.2.3", "00012" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		bool ok;
		cents(bad[i], &ok);
		ck_assert_msg(!ok, "accepted %s", bad[i]);
	}
}
END_TEST

START_TEST(formats_shortest_exact)
{
	static const struct { int64_t in; const char *want; } cases[] = {
		{ 0, "0" }, { 1200, "12" }, { 1250, "12.5" }, { 1205, "12.05" },
		{ 1, "0.01" }, { -1, "-0.01" }, { -350, "-3.5" },
		{ 100000000000000LL, "1000000000000" },
		{ INT64_MAX, "92233720368547758.07" }, { -INT64_MAX, "-92233720368547758.07" },
	};
	char buf[24];
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t n = gm_money_format(cases[i].in, buf);
		buf[n] = 0;
		ck_assert_str_eq(buf, cases[i].want);
		bool ok;
		if (cases[i].in >= -GM_MONEY_MAX_CENTS && cases[i].in <= GM_MONEY_MAX_CENTS)
			ck_assert_int_eq(cents(buf, &ok), cases[i].in);
	}
}
END_TEST

START_TEST(amounts_are_never_negative)
{
	static const struct { const char *in; int64_t max; bool ok; int64_t want; } cases[] = {
		{ "0", GM_MONEY_MAX_CENTS, true, 0 }, { "-0", GM_MONEY_MAX_CENTS, true, 0 },
		{ "-0.0e5", GM_MONEY_MAX_CENTS, true, 0 }, { "0.004", GM_MONEY_MAX_CENTS, true, 0 },
		{ "-0.001", GM_MONEY_MAX_CENTS, false, 0 }, { "-0.004", GM_MONEY_MAX_CENTS, false, 0 },
		{ "-0.00000000000000000000000000000000000000000000000000000000000000000000001",
		  GM_MONEY_MAX_CENTS, false, 0 },
		{ "-1", GM_MONEY_MAX_CENTS, false, 0 },
		{ "1000000000000", GM_MONEY_MAX_CENTS, true, 100000000000000LL },
		{ "1000000000000.01", GM_MONEY_MAX_CENTS, false, 0 },
		/* the largest total, and past it: in digits and by rounding */
		{ "92233720368547758.07", GM_MONEY_MAX_TOTAL, true, INT64_MAX },
		{ "92233720368547758.074", GM_MONEY_MAX_TOTAL, true, INT64_MAX },
		{ "92233720368547758.075", GM_MONEY_MAX_TOTAL, false, 0 },
		{ "92233720368547758.08", GM_MONEY_MAX_TOTAL, false, 0 },
		{ "1e17", GM_MONEY_MAX_TOTAL, false, 0 },
		{ "5", 499, false, 0 }, { "4.99", 499, true, 499 },
		{ "5000000000000", GM_MONEY_MAX_TOTAL, true, 500000000000000LL },
		{ "5000000000000", GM_MONEY_MAX_CENTS, false, 0 },
		{ "92233720368547758.065", GM_MONEY_MAX_TOTAL, true, INT64_MAX },
		{ "9.223372036854775808e16", GM_MONEY_MAX_TOTAL, false, 0 },
		{ "-92233720368547758.07", GM_MONEY_MAX_TOTAL, false, 0 },
		/* limits below a digit's value */
		{ "0.05", 5, true, 5 }, { "0.045", 5, true, 5 }, { "0.055", 5, false, 0 },
		{ "0.06", 5, false, 0 }, { "0.07", 5, false, 0 }, { "0", 0, true, 0 },
		{ "0.01", 0, false, 0 }, { "0.004", 0, true, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		int64_t got = -12345;
		bool ok = gm_money_parse_amount(cases[i].in, strlen(cases[i].in), cases[i].max, &got);
		ck_assert_msg(ok == cases[i].ok, "%s: %s", cases[i].in, ok ? "accepted" : "rejected");
		if (ok)
			ck_assert_msg(got == cases[i].want, "%s: got %lld", cases[i].in, (long long)got);
	}
}
END_TEST

/* The limits as messages print them are the limits. */
START_TEST(limit_texts_match)
{
	char buf[24];
	buf[gm_money_format(GM_MONEY_MAX_CENTS, buf)] = 0;
	ck_assert_str_eq(buf, GM_MONEY_MAX_CENTS_TEXT);
	buf[gm_money_format(GM_MONEY_MAX_TOTAL, buf)] = 0;
	ck_assert_str_eq(buf, GM_MONEY_MAX_TOTAL_TEXT);
}
END_TEST

START_TEST(products_and_sums_are_checked)
{
	int64_t r = 7;
	ck_assert(gm_money_mul(100000000000000LL, 92233, &r));
	ck_assert_int_eq(r, 9223300000000000000LL);
	r = 7;
	ck_assert(!gm_money_mul(100000000000000LL, 1000000, &r));  /* 1e20 */
	ck_assert(!gm_money_mul(INT64_MAX, 2, &r));
	ck_assert_int_eq(r, 7);
	ck_assert(gm_money_mul(0, INT64_MAX, &r) && r == 0);
	ck_assert(gm_money_add(INT64_MAX - 1, 1, &r) && r == INT64_MAX);
	r = 7;
	ck_assert(!gm_money_add(INT64_MAX, 1, &r));
	ck_assert(!gm_money_add(9223300000000000000LL, 100000000000000LL, &r));
	ck_assert_int_eq(r, 7);
}
END_TEST

START_TEST(average_never_overflows)
{
	ck_assert_int_eq(gm_money_average(INT64_MAX, 1), INT64_MAX);
	ck_assert_int_eq(gm_money_average(INT64_MAX, 2), INT64_MAX / 2 + 1);  /* .5 up */
	ck_assert_int_eq(gm_money_average(9223300000000000000LL, 92233), 100000000000000LL);
	ck_assert_int_eq(gm_money_average(10, 4), 3);    /* 2.5 -> 3 */
	ck_assert_int_eq(gm_money_average(10, 3), 3);    /* 3.33 -> 3 */
	ck_assert_int_eq(gm_money_average(11, 3), 4);    /* 3.67 -> 4 */
	ck_assert_int_eq(gm_money_average(-10, 4), -3);  /* away from zero */
	ck_assert_int_eq(gm_money_average(0, 5), 0);
	ck_assert_int_eq(gm_money_average(1, UINT64_MAX), 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("money");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parses_exact_cents);
	tcase_add_test(tc, rejects_non_numbers_and_huge);
	tcase_add_test(tc, formats_shortest_exact);
	tcase_add_test(tc, amounts_are_never_negative);
	tcase_add_test(tc, limit_texts_match);
	tcase_add_test(tc, products_and_sums_are_checked);
	tcase_add_test(tc, average_never_overflows);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

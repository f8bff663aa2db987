#include <string.h>

#include "check_util.h"
#include "ts.h"

static int64_t parse(const char *s, bool *ok)
{
	int64_t ms = -1;
	*ok = gm_ts_parse(s, strlen(s), &ms);
	return ms;
}

START_TEST(parses_rfc3339)
{
	bool ok;
	ck_assert_int_eq(parse("1970-01-01T00:00:00.000Z", &ok), 0);
	ck_assert(ok);
	ck_assert_int_eq(parse("2026-11-24T10:00:00.123Z", &ok), 1795514400123LL);
	ck_assert(ok);
	ck_assert_int_eq(parse("2026-11-24T11:00:00.123+01:00", &ok), 1795514400123LL);
	ck_assert(ok);
	ck_assert_int_eq(parse("2026-11-24T10:00:00Z", &ok), 1795514400000LL);
	ck_assert(ok);
	ck_assert_int_eq(parse("2026-11-24t10:00:00.1234567z", &ok), 1795514400123LL);
	ck_assert(ok);
	ck_assert_int_eq(parse("2024-02-29T00:00:00.000Z", &ok), 1709164800000LL);
	ck_assert(ok);
	ck_assert_int_eq(parse("1969-12-31T23:59:59.999Z", &ok), -1);
	ck_assert(ok);
}
END_TEST

START_TEST(rejects_bad_times)
{
	static const char *bad[] = {
		"", "2026-11-24", "2026-11-24T10:00:00", "2026-13-01T00:00:00Z",
		"2026-02-29T00:00:00Z", "2026-11-31T00:00:00Z", "2026-11-24T24:00:00Z",
		"2026-11-24T10:60:00Z", "2026-11-24T10:00:00.Z", "2026-11-24T10:00:00.1Zx",
		"2026-11-24T10:00:00+0100", "2026/11/24T10:00:00Z", "0000-01-01T00:00:00Z",
		"2026-11-24T10:00:00.123 Z", "yesterday at noon, roughly",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		bool ok;
		parse(bad[i], &ok);
		ck_assert_msg(!ok, "accepted %s", bad[i]);
	}
}
END_TEST

/* The 24-byte form the tools write is read a word at a time: each of
 * its bytes changed to what the general form allows there reads the
 * same, to what nothing allows is refused. */
START_TEST(the_tools_form_and_its_neighbours)
{
	static const struct { const char *s; int64_t ms; } good[] = {
		{ "2026-11-24T10:00:00.250Z", 1795514400250LL },
		{ "2026-11-24t10:00:00.250Z", 1795514400250LL },
		{ "2026-11-24 10:00:00.250Z", 1795514400250LL },
		{ "2026-11-24T10:00:00.250z", 1795514400250LL },
		{ "2024-02-29T23:59:60.999Z", 1709251199999LL },
		{ "9999-12-31T23:59:59.999Z", 253402300799999LL },
	};
	static const char *bad[] = {
		"2026-11-24T10:00:00.25xZ", "2026-11-24T10:00:00:250Z", "2026-11-24T10:00:0a.250Z",
		"2026-11-24T10-00:00.250Z", "2026-11-24X10:00:00.250Z", "2026/11-24T10:00:00.250Z",
		"2026-00-24T10:00:00.250Z", "2026-11-00T10:00:00.250Z", "2026-02-29T10:00:00.250Z",
		"0000-11-24T10:00:00.250Z", "2026-11-24T10:00:61.250Z", "2026-11-24T10:00:00.250+",
	};
	for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
		bool ok;
		ck_assert_int_eq(parse(good[i].s, &ok), good[i].ms);
		ck_assert_msg(ok, "refused %s", good[i].s);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		bool ok;
		parse(bad[i], &ok);
		ck_assert_msg(!ok, "accepted %s", bad[i]);
	}
}
END_TEST

START_TEST(formats_and_round_trips)
{
	char buf[GM_TS_LEN + 1] = { 0 };
	gm_ts_format(1795514400123LL, buf);
	ck_assert_str_eq(buf, "2026-11-24T10:00:00.123Z");
	gm_ts_format(-1, buf);
	ck_assert_str_eq(buf, "1969-12-31T23:59:59.999Z");
	for (int64_t ms = -86400000LL * 800; ms < 86400000LL * 40000; ms += 86400000LL * 7 + 3601001) {
		bool ok;
		gm_ts_format(ms, buf);
		ck_assert_int_eq(parse(buf, &ok), ms);
		ck_assert(ok);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("ts");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, parses_rfc3339);
	tcase_add_test(tc, rejects_bad_times);
	tcase_add_test(tc, the_tools_form_and_its_neighbours);
	tcase_add_test(tc, formats_and_round_trips);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

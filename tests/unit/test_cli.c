#include <stdio.h>
#include <unistd.h>

#include <stdint.h>

#include "check_util.h"
#include "cli.h"
#include "counts.h"
#include "number.h"
#include "rejects.h"

START_TEST(sizes)
{
	size_t v;
	ck_assert(gm_parse_size("1", &v) && v == 1);
	ck_assert(gm_parse_size("64k", &v) && v == 65536);
	ck_assert(gm_parse_size("1M", &v) && v == 1048576);
	ck_assert(gm_parse_size("1.5M", &v) && v == 1572864);
	ck_assert(gm_parse_size("2G", &v) && v == 2147483648ULL);
	ck_assert(!gm_parse_size("", &v));
	ck_assert(!gm_parse_size("0", &v));
	ck_assert(!gm_parse_size("-1", &v));
	ck_assert(!gm_parse_size("12q", &v));
	ck_assert(!gm_parse_size("M", &v));
}
END_TEST

START_TEST(durations)
{
	long long ms;
	ck_assert(gm_parse_duration("30", &ms) && ms == 30000);
	ck_assert(gm_parse_duration("250ms", &ms) && ms == 250);
	ck_assert(gm_parse_duration("1.5s", &ms) && ms == 1500);
	ck_assert(gm_parse_duration("5m", &ms) && ms == 300000);
	ck_assert(gm_parse_duration("2h", &ms) && ms == 7200000);
	ck_assert(gm_parse_duration("90d", &ms) && ms == 7776000000LL);
	ck_assert(!gm_parse_duration("5x", &ms));
	ck_assert(!gm_parse_duration("-5s", &ms));
	ck_assert(!gm_parse_duration("", &ms));
}
END_TEST

START_TEST(integers)
{
	unsigned long long v;
	ck_assert(gm_parse_u64("0", &v) && v == 0);
	ck_assert(gm_parse_u64("18446744073709551615", &v) && v == 18446744073709551615ULL);
	ck_assert(!gm_parse_u64("18446744073709551616", &v));
	ck_assert(!gm_parse_u64("12a", &v));
	ck_assert(!gm_parse_u64("-1", &v));
	ck_assert(!gm_parse_u64("", &v));
}
END_TEST

/* Whole numbers written: as printf writes them, at every length. */
START_TEST(integers_written)
{
	char got[GM_I64_LEN + 1], want[32];
	uint64_t u = 1;
	for (int digits = 1; digits <= 20; digits++, u = u * 10 + digits % 10) {
		got[gm_format_u64(u, got)] = 0;
		snprintf(want, sizeof want, "%llu", (unsigned long long)u);
		ck_assert_str_eq(got, want);
	}
	const int64_t s[] = { 0, 9, 10, 99, 100, -1, -10, 1795478626708, INT64_MAX, INT64_MIN };
	for (size_t i = 0; i < sizeof s / sizeof *s; i++) {
		got[gm_format_i64(s[i], got)] = 0;
		snprintf(want, sizeof want, "%lld", (long long)s[i]);
		ck_assert_str_eq(got, want);
	}
	got[gm_format_u64(UINT64_MAX, got)] = 0;
	ck_assert_str_eq(got, "18446744073709551615");
}
END_TEST

/* The length is counted before the digits are written: every power of
 * ten and of two, and their neighbours, where a count could be one off,
 * and every pair of gm_format_2digits(). */
START_TEST(integer_lengths)
{
	char got[GM_I64_LEN + 1], want[32];
	uint64_t edges[2 * 64];
	size_t n = 0;
	for (uint64_t p = 1; n < 20; p *= 10)
		edges[n++] = p;
	for (int b = 1; b < 64; b++)
		edges[n++] = 1ULL << b;
	for (size_t i = 0; i < n; i++) {
		for (uint64_t u = edges[i] - 1; u <= edges[i] + 1; u++) {
			snprintf(want, sizeof want, "%llu", (unsigned long long)u);
			ck_assert_uint_eq(gm_digits_u64(u), strlen(want));
			got[gm_format_u64(u, got)] = 0;
			ck_assert_str_eq(got, want);
		}
	}
	ck_assert_uint_eq(gm_digits_u64(0), 1);
	ck_assert_uint_eq(gm_digits_u64(UINT64_MAX), 20);
	for (unsigned v = 0; v < 100; v++) {
		gm_format_2digits(got, v);
		snprintf(want, sizeof want, "%02u", v);
		ck_assert_mem_eq(got, want, 2);
	}
}
END_TEST

/* Hashes as ids: 16 hex digits, as printf's "%016llx" writes them. */
START_TEST(hex_written)
{
	const uint64_t v[] = { 0, 1, 0xabcdef, 0x0123456789abcdefULL, UINT64_MAX };
	char got[17], want[32];
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		gm_format_hex64(v[i], got);
		got[16] = 0;
		snprintf(want, sizeof want, "%016llx", (unsigned long long)v[i]);
		ck_assert_str_eq(got, want);
	}
}
END_TEST

START_TEST(common_options)
{
	struct gm_common c;
	setenv("GM_BROKERS", "127.0.0.1:9092", 1);
	gm_common_init(&c);
	ck_assert_str_eq(c.brokers, "127.0.0.1:9092");
	ck_assert_uint_eq(c.max_line, GM_MAX_LINE);
	ck_assert(gm_common_option(&c, 'b', "h1:1,h2:2", "usage"));
	ck_assert_str_eq(c.brokers, "h1:1,h2:2");
	ck_assert(gm_common_option(&c, 'X', "linger.ms=10", "usage"));
	ck_assert(gm_common_option(&c, 'X', "acks=all", "usage"));
	ck_assert_uint_eq(c.nprops, 2);
	ck_assert_str_eq(c.props[1], "acks=all");
	ck_assert(gm_common_option(&c, GM_OPT_MAX_LINE, "4k", "usage"));
	ck_assert_uint_eq(c.max_line, 4096);
	ck_assert(gm_common_option(&c, GM_OPT_STRICT, NULL, "usage") && c.strict);
	ck_assert(gm_common_option(&c, 'q', NULL, "usage") && c.quiet);
	ck_assert(!gm_common_option(&c, 'z', NULL, "usage"));
	free(c.props);
}
END_TEST

START_TEST(bad_property_is_usage_error)
{
	struct gm_common c;
	gm_common_init(&c);
	gm_common_option(&c, 'X', "no-equals-sign", "usage: test\n");
}
END_TEST

START_TEST(rejects_keep_records_whole)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "rejects", false));
	gm_cli_init("test_cli");
	gm_counts.rejected = 0;
	gm_rejects_open(path, false);
	ck_assert(gm_reject("f:1", "bad one", "{\"a\":", 5));
	gm_reject_part("xx", 2);
	gm_reject_part("yy", 2);
	ck_assert(gm_reject_begin("f:2", "too long"));
	gm_reject_end();
	ck_assert(gm_rejects_close());
	ck_assert_uint_eq(gm_counts.rejected, 2);
	char buf[64] = { 0 };
	FILE *f = fopen(path, "r");
	ck_assert_uint_eq(fread(buf, 1, sizeof buf - 1, f), 11);
	fclose(f);
	ck_assert_str_eq(buf, "{\"a\":\nxxyy\n");
	unlink(path);

	gm_rejects_open(NULL, true);
	ck_assert(!gm_reject("f:3", "strict", "x", 1));
	ck_assert(gm_rejects_close());
}
END_TEST

/* A saturating sum holds at the ends instead of wrapping. */
START_TEST(saturating_sums)
{
	ck_assert_int_eq(gm_add_saturating(2, 3), 5);
	ck_assert_int_eq(gm_add_saturating(-2, -3), -5);
	ck_assert_int_eq(gm_add_saturating(INT64_MAX, 1), INT64_MAX);
	ck_assert_int_eq(gm_add_saturating(INT64_MAX - 1, 1), INT64_MAX);
	ck_assert_int_eq(gm_add_saturating(INT64_MIN, -1), INT64_MIN);
	ck_assert_int_eq(gm_add_saturating(INT64_MIN, INT64_MAX), -1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, sizes);
	tcase_add_test(tc, durations);
	tcase_add_test(tc, integers);
	tcase_add_test(tc, integers_written);
	tcase_add_test(tc, integer_lengths);
	tcase_add_test(tc, hex_written);
	tcase_add_test(tc, common_options);
	tcase_add_exit_test(tc, bad_property_is_usage_error, GM_EXIT_USAGE);
	tcase_add_test(tc, rejects_keep_records_whole);
	tcase_add_test(tc, saturating_sums);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

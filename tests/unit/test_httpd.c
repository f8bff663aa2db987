#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "httpd.h"

/* split ADDR: "host|port", or "!" when it does not split. */
static const char *split(const char *addr)
{
	static char out[600];
	char host[256], port[8];
	const char *why;
	if (!gm_httpd_split(addr, host, sizeof host, port, sizeof port, &why))
		return "!";
	snprintf(out, sizeof out, "%s|%s", host, port);
	return out;
}

/* The three forms of --listen ADDR, and what is none of them. */
START_TEST(addresses)
{
	ck_assert_str_eq(split("127.0.0.1:8080"), "127.0.0.1|8080");
	ck_assert_str_eq(split("localhost:80"), "localhost|80");
	ck_assert_str_eq(split("[::1]:9090"), "::1|9090");
	ck_assert_str_eq(split(":0"), "|0");
	ck_assert_str_eq(split(":65535"), "|65535");
	ck_assert_str_eq(split("::1:9090"), "::1|9090");  /* as gm-metrics took it */
	ck_assert_str_eq(split("127.0.0.1"), "!");
	ck_assert_str_eq(split("127.0.0.1:"), "!");
	ck_assert_str_eq(split(":65536"), "!");
	ck_assert_str_eq(split(":123456"), "!");
	ck_assert_str_eq(split(":8o"), "!");
	ck_assert_str_eq(split(":-1"), "!");
	ck_assert_str_eq(split("[::1:80"), "!");
	ck_assert_str_eq(split("[::1]x:80"), "!");
	char big[400];
	memset(big, 'h', sizeof big);
	memcpy(big + sizeof big - 4, ":80", 4);
	ck_assert_str_eq(split(big), "!");
}
END_TEST

/* Loopback: 127.0.0.0/8, ::1 and names of them only; every address
 * (an empty host, 0.0.0.0, ::) and others are not. */
START_TEST(loopback)
{
	ck_assert(gm_httpd_loopback("127.0.0.1:80"));
	ck_assert(gm_httpd_loopback("127.255.0.3:80"));
	ck_assert(gm_httpd_loopback("[::1]:80"));
	ck_assert(gm_httpd_loopback("[::ffff:127.0.0.1]:80"));
	ck_assert(!gm_httpd_loopback(":80"));
	ck_assert(!gm_httpd_loopback("0.0.0.0:80"));
	ck_assert(!gm_httpd_loopback("[::]:80"));
	ck_assert(!gm_httpd_loopback("128.0.0.1:80"));
	ck_assert(!gm_httpd_loopback("10.1.2.3:80"));
	ck_assert(!gm_httpd_loopback("[::2]:80"));
	ck_assert(!gm_httpd_loopback("[::ffff:10.0.0.1]:80"));
	ck_assert(!gm_httpd_loopback("127.0.0.1"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("httpd");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, loopback);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

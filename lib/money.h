/* money: US dollars as exact integer cents. Two limits: one amount (a
 * price, an order's total) is at most GM_MONEY_MAX_CENTS; a sum of them
 * (a window's revenue, a line's quantity times its price) at most
 * GM_MONEY_MAX_TOTAL. Every product and sum of money goes through the
 * checked calls below, so that a total past the limit is an error the
 * caller reports, never a number that wrapped. */
#ifndef GM_MONEY_H
#define GM_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest single amount accepted, in cents: $1,000,000,000,000.00. */
#define GM_MONEY_MAX_CENTS 100000000000000LL
#define GM_MONEY_MAX_CENTS_TEXT "1000000000000"     /* for messages */

/* Largest total, in cents: INT64_MAX, $92,233,720,368,547,758.07. */
#define GM_MONEY_MAX_TOTAL INT64_MAX
#define GM_MONEY_MAX_TOTAL_TEXT "92233720368547758.07"

/* Parses a JSON number's text ("12", "12.5", "12.345", "1.2e3", "-3")
 * into cents, rounding half away from zero past the second decimal.
 * Returns false if it is not a JSON number or its magnitude exceeds
 * GM_MONEY_MAX_CENTS. */
bool gm_money_parse(const char *s, size_t n, int64_t *cents);

/* Parses a non-negative amount of at most max_cents (up to
 * GM_MONEY_MAX_TOTAL) as gm_money_parse() does. Returns false for text
 * that is not a JSON number, for a value above max_cents, and for any
 * negative value, also one that rounds to zero cents ("-0.001"); "-0"
 * is zero. */
bool gm_money_parse_amount(const char *s, size_t n, int64_t max_cents,
	int64_t *cents);

/* *out = cents * n and *out = a + b, for non-negative operands. Return
 * false, leaving *out alone, when the result would pass
 * GM_MONEY_MAX_TOTAL. */
bool gm_money_mul(int64_t cents, int64_t n, int64_t *out);
bool gm_money_add(int64_t a, int64_t b, int64_t *out);

/* total / n (n > 0) to the cent, rounded half away from zero, with no
 * intermediate that can overflow. */
int64_t gm_money_average(int64_t total, uint64_t n);

/* Writes cents as the shortest JSON number that is exact: "12", "12.5",
 * "12.05", "-0.01". buf needs GM_MONEY_LEN bytes; returns the length. */
#define GM_MONEY_LEN 24
size_t gm_money_format(int64_t cents, char *buf);

#endif

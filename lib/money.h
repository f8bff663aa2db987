/* money: US dollars as exact integer cents. */
#ifndef GM_MONEY_H
#define GM_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest amount accepted, in cents: $1,000,000,000,000.00. */
#define GM_MONEY_MAX_CENTS 100000000000000LL

/* Parses a JSON number's text ("12", "12.5", "12.345", "1.2e3", "-3")
 * into cents, rounding half away from zero past the second decimal.
 * Returns false if it is not a JSON number or its magnitude exceeds
 * GM_MONEY_MAX_CENTS. */
bool gm_money_parse(const char *s, size_t n, int64_t *cents);

/* gm_money_parse() with max_cents (0 to INT64_MAX) instead of
 * GM_MONEY_MAX_CENTS as the largest magnitude: false beyond it. For sums
 * of amounts, such as a window's revenue, which a single amount's limit
 * does not bound. */
bool gm_money_parse_max(const char *s, size_t n, int64_t max_cents, int64_t *cents);

/* Writes cents as the shortest JSON number that is exact: "12", "12.5",
 * "12.05", "-0.01". buf needs 24 bytes; returns the length. */
size_t gm_money_format(int64_t cents, char *buf);

#endif

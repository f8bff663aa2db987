/* money: exact cents from JSON number text; see money.h. The text is
 * read digit by digit (no floating point), so 0.1 + 0.2 stays 30 cents. */
#include "money.h"

#include <string.h>

#include "number.h"

/* The usual amount, as the tools write one: up to 15 digits without a
 * leading zero (or one 0), then none, one or two decimals, into *cents
 * in one pass. False for any other text, which parse() reads. */
static inline bool plain(const char *s, size_t n, uint64_t *cents)
{
	size_t i = 0;
	uint64_t v = 0;
	for (; i < n && i < 16 && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (uint64_t)(s[i] - '0');
	if (i == 0 || i > 15 || (s[0] == '0' && i > 1))
		return false;
	unsigned frac = 0, k = 0;
	if (i < n) {
		if (s[i++] != '.')
			return false;
		for (; i < n && k < 2 && s[i] >= '0' && s[i] <= '9'; i++, k++)
			frac = frac * 10 + (unsigned)(s[i] - '0');
		if (k == 0 || i != n)
			return false;
	}
	*cents = v * 100 + (k == 1 ? frac * 10 : frac);
	return true;
}

/* Parses s[0..n) into its magnitude in cents (at most max) and its sign:
 * *negative when it is below zero, even if it rounds to zero cents. */
static bool parse(const char *s, size_t n, uint64_t max, uint64_t *cents,
	bool *negative)
{
	if (plain(s, n, cents)) {
		*negative = false;
		return *cents <= max;
	}
	size_t i = 0;
	bool neg = false, nonzero = false;
	if (i < n && s[i] == '-')
		neg = true, i++;
	/* Integer and fraction digits, scaled later by the exponent. */
	char dig[64];
	size_t nd = 0, int_digits = 0;
	bool any = false, leading = true;
	if (i < n && s[i] == '0') {
		any = true;
		i++;
	} else {
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, any = true) {
			if (leading && s[i] == '0')
				continue;
			leading = false;
			if (nd == sizeof dig)
				return false;
			dig[nd++] = s[i];
			int_digits++;
			nonzero = true;
		}
	}
	if (!any)
		return false;
	if (i < n && s[i] == '.') {
		i++;
		size_t start = i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			nonzero |= s[i] != '0';
			if (nd < sizeof dig)
				dig[nd++] = s[i];
		}
		if (i == start)
			return false;
	}
	long exp = 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			eneg = s[i++] == '-';
		size_t start = i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (exp < 100000)
				exp = exp * 10 + (s[i] - '0');
		if (i == start)
			return false;
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return false;
	/* The decimal point sits after int_digits + exp digits; cents need
	 * two more, and the one after those decides the rounding. */
	long point = (long)int_digits + exp + 2;
	uint64_t v = 0;
	int round_digit = 0;
	for (long k = 0; k < (long)nd || k <= point; k++) {
		unsigned dgt = k < (long)nd ? (unsigned)(dig[k] - '0') : 0;
		if (k < point) {
			if (v > max / 10 || v * 10 + dgt > max)
				return false;
			v = v * 10 + dgt;
		} else {
			round_digit = (int)dgt;
			break;
		}
	}
	if (round_digit >= 5) {
		if (v == max)
			return false;
		v++;
	}
	*cents = v;
	*negative = neg && nonzero;
	return true;
}

bool gm_money_parse(const char *s, size_t n, int64_t *cents)
{
	uint64_t v;
	bool neg;
	if (!parse(s, n, GM_MONEY_MAX_CENTS, &v, &neg))
		return false;
	*cents = neg ? -(int64_t)v : (int64_t)v;
	return true;
}

bool gm_money_parse_amount(const char *s, size_t n, int64_t max_cents,
	int64_t *cents)
{
	uint64_t v;
	bool neg;
	if (max_cents < 0 || !parse(s, n, (uint64_t)max_cents, &v, &neg) || neg)
		return false;
	*cents = (int64_t)v;
	return true;
}

bool gm_money_mul(int64_t cents, int64_t n, int64_t *out)
{
	int64_t r;
	if (cents < 0 || n < 0 || __builtin_mul_overflow(cents, n, &r) || r > GM_MONEY_MAX_TOTAL)
		return false;
	*out = r;
	return true;
}

bool gm_money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;
	if (a < 0 || b < 0 || __builtin_add_overflow(a, b, &r) || r > GM_MONEY_MAX_TOTAL)
		return false;
	*out = r;
	return true;
}

int64_t gm_money_average(int64_t total, uint64_t n)
{
	/* |total| / n and its remainder, rounded on the remainder, which is
	 * below n: no doubling of total. */
	uint64_t mag = total < 0 ? -(uint64_t)total : (uint64_t)total;
	uint64_t q = mag / n, r = mag % n;
	if (r >= n - r)
		q++;
	return total < 0 ? -(int64_t)q : (int64_t)q;
}

size_t gm_money_format(int64_t cents, char *buf)
{
	uint64_t v = cents < 0 ? -(uint64_t)cents : (uint64_t)cents;
	unsigned frac = (unsigned)(v % 100);
	char *p = buf;
	if (cents < 0)
		*p++ = '-';
	p += gm_format_u64(v / 100, p);
	if (frac) {
		/* Both digits, the second kept only when not 0: "12.5", "12.05". */
		*p = '.';
		gm_format_2digits(p + 1, frac);
		p += frac % 10 ? 3 : 2;
	}
	return (size_t)(p - buf);
}

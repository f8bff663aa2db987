/* money: exact cents from JSON number text; see money.h. The text is
 * read digit by digit (no floating point), so 0.1 + 0.2 stays 30 cents. */
#include "money.h"

#include <string.h>

bool gm_money_parse(const char *s, size_t n, int64_t *cents)
{
	return gm_money_parse_max(s, n, GM_MONEY_MAX_CENTS, cents);
}

bool gm_money_parse_max(const char *s, size_t n, int64_t max_cents, int64_t *cents)
{
	size_t i = 0;
	bool neg = false;
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
		}
	}
	if (!any)
		return false;
	if (i < n && s[i] == '.') {
		i++;
		size_t start = i;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			if (nd < sizeof dig)
				dig[nd++] = s[i];
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
	int64_t v = 0;
	int round_digit = 0;
	for (long k = 0; k < (long)nd || k <= point; k++) {
		int dgt = k < (long)nd ? dig[k] - '0' : 0;
		if (k < point) {
			if (v > max_cents / 10 || v * 10 > max_cents - dgt)
				return false;
			v = v * 10 + dgt;
		} else {
			round_digit = dgt;
			break;
		}
	}
	if (round_digit >= 5) {
		if (v == max_cents)
			return false;
		v++;
	}
	*cents = neg ? -v : v;
	return true;
}

size_t gm_money_format(int64_t cents, char *buf)
{
	char tmp[24], *end = tmp + sizeof tmp, *p = end;
	uint64_t v = cents < 0 ? -(uint64_t)cents : (uint64_t)cents;
	unsigned frac = v % 100;
	v /= 100;
	if (frac) {
		if (frac % 10)
			*--p = '0' + frac % 10;
		*--p = '0' + frac / 10;
		*--p = '.';
	}
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	if (cents < 0)
		*--p = '-';
	size_t n = end - p;
	memcpy(buf, p, n);
	return n;
}

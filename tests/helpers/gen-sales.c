/* gen-sales: fact_sales rows for gm-rfm's benchmark, one line per
 * transaction, as gm-etl writes them (gm-warehouse(5)), streamed into
 * PARTS files DIR/sales-NN.ndjson of about the same size, and with
 * --copy into FILE as PostgreSQL COPY text of the columns an RFM query
 * needs (user_id, ts, amount), in the same order.
 *
 *   gen-sales [-s SEED] [-p PARTS] [--copy FILE] CUSTOMERS TRANSACTIONS DIR
 *
 * Deterministic for a seed. Every customer buys at least once (its
 * first transaction among the first CUSTOMERS); the others go to
 * customer floor(R * u^2), u uniform in [0, 1), R 70% of CUSTOMERS, so
 * that about 30% buy once, a few buy thousands of times, and
 * frequencies tie by the thousands;
 * customer numbers are spread over the ids by a multiplier prime to
 * CUSTOMERS, so heavy buyers are not the first ids. Times are uniform
 * over the 365 days from 2025-12-01 (so --as-of 2026-12-01 counts every
 * one); a line's amount is a quantity (1 to 5, mostly 1) times one of
 * a few prices, so small totals tie too. Transaction ids are unique. */
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "money.h"

#define DAYS 365
#define MAX_PARTS 99

static const char usage[] =
	"usage: gen-sales [-s SEED] [-p PARTS] [--copy FILE] CUSTOMERS TRANSACTIONS DIR\n";

static uint64_t state;

/* splitmix64: small, fast and good enough for test data. */
static uint64_t next(void)
{
	uint64_t z = (state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static double uniform(void)
{
	return (double)(next() >> 11) * (1.0 / 9007199254740992.0);
}

static uint64_t parse_count(const char *s, const char *what)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *s < '0' || *s > '9' || *end || v == 0 || v > UINT32_MAX) {
		fprintf(stderr, "gen-sales: %s: \"%s\" is not a count from 1 to %u\n", what, s, UINT32_MAX);
		exit(2);
	}
	return v;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* v's decimal digits, zero-padded to width, at p; returns the end. */
static char *put_digits(char *p, uint64_t v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

static char *put(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

static FILE *create(const char *path)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "gen-sales: %s: cannot create: %s\n", path, strerror(errno));
		exit(1);
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	return f;
}

static void finish(FILE *f, const char *path)
{
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, "gen-sales: %s: cannot write: %s\n", path, strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "copy", required_argument, 0, 'c' },
		{ 0 }
	};
	uint64_t seed = 1, parts = 1;
	const char *copy_path = NULL;
	int opt;
	while ((opt = getopt_long(argc, argv, "s:p:", longopts, NULL)) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 10); break;
		case 'p': parts = parse_count(optarg, "-p"); break;
		case 'c': copy_path = optarg; break;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (argc - optind != 3 || parts > MAX_PARTS) {
		fputs(usage, stderr);
		return 2;
	}
	uint64_t customers = parse_count(argv[optind], "CUSTOMERS");
	uint64_t txns = parse_count(argv[optind + 1], "TRANSACTIONS");
	const char *dir = argv[optind + 2];
	if (txns < customers) {
		fputs("gen-sales: every customer buys once: TRANSACTIONS must be at least CUSTOMERS\n", stderr);
		return 2;
	}
	state = seed;
	uint64_t repeat = customers * 7 / 10 + 1;
	uint64_t spread = 2654435761u % customers;
	while (spread == 0 || gcd(spread, customers) != 1)
		spread = (spread + 1) % customers;

	static const int64_t prices[] = { 499, 999, 1250, 1999, 2499, 4999, 9900, 14999 };
	static const char *const countries[] = { "USA", "UK", "Canada", "Germany", "France" };
	static const char *const payments[] = { "card", "paypal", "bank_transfer" };
	static const char *const categories[] = { "books", "toys", "garden", "electronics", "home" };
	int32_t first = day_of_civil(2025, 12, 1);
	char days[DAYS][11];
	int32_t keys[DAYS];
	for (int d = 0; d < DAYS; d++) {
		format_day(first + d, days[d]);
		keys[d] = date_key_of_day(first + d);
	}

	char path[4096];
	FILE *copy = copy_path ? create(copy_path) : NULL;
	char line[512], money[2][GM_MONEY_LEN];
	for (uint64_t part = 0, t = 0; part < parts; part++) {
		snprintf(path, sizeof path, "%s/sales-%02u.ndjson", dir, (unsigned)part);
		FILE *f = create(path);
		uint64_t end = txns * (part + 1) / parts;
		for (; t < end; t++) {
			double u = uniform();
			uint64_t c = t < customers ? t : (uint64_t)((double)repeat * u * u);
			if (c >= customers)
				c = customers - 1;
			uint64_t user = c * spread % customers + 1;
			uint64_t r = next();
			int day = (int)(r % DAYS);
			uint64_t ms = (r >> 16) % 86400000;
			uint64_t q = next() & 0xff;
			int64_t quantity = q < 160 ? 1 : q < 210 ? 2 : q < 235 ? 3 : q < 250 ? 4 : 5;
			int64_t price = prices[(next() >> 7) % 8];
			size_t pn = gm_money_format(price, money[0]), an = gm_money_format(price * quantity, money[1]);
			money[0][pn] = money[1][an] = '\0';
			uint64_t product = (r >> 48) % 10000;
			char *p = line;
			p = put(p, "{\"type\":\"fact_sales\",\"sale_id\":\"t");
			p = put_digits(p, t + 1, 10);
			p = put(p, "/1\",\"transaction_id\":\"t");
			p = put_digits(p, t + 1, 10);
			p = put(p, "\",\"line\":1,\"date_key\":");
			p = put_digits(p, (uint64_t)keys[day], 8);
			p = put(p, ",\"ts\":\"");
			char *ts = p;
			p = put(p, days[day]);
			*p++ = 'T';
			p = put_digits(p, ms / 3600000, 2);
			*p++ = ':';
			p = put_digits(p, ms / 60000 % 60, 2);
			*p++ = ':';
			p = put_digits(p, ms / 1000 % 60, 2);
			*p++ = '.';
			p = put_digits(p, ms % 1000, 3);
			*p++ = 'Z';
			size_t tsn = (size_t)(p - ts);
			p = put(p, "\",\"user_id\":\"u");
			char *uid = p;
			p = put_digits(p, user, 9);
			p = put(p, "\",\"country\":\"");
			p = put(p, countries[r % 5]);
			p = put(p, "\",\"payment_method\":\"");
			p = put(p, payments[(r >> 8) % 3]);
			p = put(p, "\",\"product_id\":\"p");
			p = put_digits(p, product, 5);
			p = put(p, "\",\"category\":\"");
			p = put(p, categories[product % 5]);
			p = put(p, "\",\"quantity\":");
			p = put_digits(p, (uint64_t)quantity, 1);
			p = put(p, ",\"unit_price\":");
			p = put(p, money[0]);
			p = put(p, ",\"amount\":");
			p = put(p, money[1]);
			p = put(p, "}\n");
			fwrite(line, 1, (size_t)(p - line), f);
			if (copy)
				fprintf(copy, "u%.9s\t%.*s\t%s\n", uid, (int)tsn, ts, money[1]);
		}
		finish(f, path);
	}
	if (copy)
		finish(copy, copy_path);
	return 0;
}

/* counts: process-wide record counters and the exit summary; see counts.h. */
#include "counts.h"

#include <stdio.h>

#include "cli.h"
#include "clock.h"

struct gm_counts gm_counts;

/* The run's clock starts with the process, so that setting up (the
 * command line, gm_cli_init()) needs no word with the counters. */
__attribute__((constructor)) static void start(void)
{
	gm_counts.started = gm_now_seconds();
}

char *gm_counts_rate(double rate, char *buf, size_t n)
{
	const char *unit = "";
	/* The unit after rounding to three digits: 999.7k is "1M", not
	 * "1e+03k". */
	if (rate >= 999.5e3)
		rate /= 1e6, unit = "M";
	else if (rate >= 999.5)
		rate /= 1e3, unit = "k";
	snprintf(buf, n, "%.3g%s", rate, unit);
	return buf;
}

void gm_counts_summary(void)
{
	double secs = gm_now_seconds() - gm_counts.started;
	/* A source (nothing in) is rated by what it wrote. */
	uint64_t n = gm_counts.in ? gm_counts.in : gm_counts.out;
	char rate[32];
	gm_counts_rate(secs > 0 ? n / secs : 0, rate, sizeof rate);
	char undelivered[48] = "";
	if (gm_counts.undelivered)
		snprintf(undelivered, sizeof undelivered, ", %llu not delivered",
			(unsigned long long)gm_counts.undelivered);
	fprintf(stderr, "%s: %llu in, %llu out%s, %llu rejected, %llu late, %.2f s, %s/s\n",
		gm_prog, (unsigned long long)gm_counts.in,
		(unsigned long long)gm_counts.out, undelivered,
		(unsigned long long)gm_counts.rejected,
		(unsigned long long)gm_counts.late, secs, rate);
}

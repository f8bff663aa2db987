/* progress: see progress.h. */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"
#include "cli.h"
#include "counts.h"
#include "mem.h"

#define EVERY 4096      /* ticks between looks at the clock */
#define INTERVAL 0.25   /* seconds between lines */

struct gm_progress {
	const char *what;
	double started, shown;
	unsigned ticks;
	int width;          /* of the last line, to clear it */
};

struct gm_progress *gm_progress_new(const char *what, bool quiet)
{
	if (quiet || !isatty(STDERR_FILENO))
		return NULL;
	struct gm_progress *p = gm_xcalloc(1, sizeof *p);
	p->what = what;
	p->started = p->shown = gm_now_seconds();
	return p;
}

/* n bytes as "812 MB", "1.2 GB". */
static void show_bytes(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;
	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, v < 10 && u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void gm_progress_tick(struct gm_progress *p, uint64_t records, uint64_t done, uint64_t total)
{
	if (!p || ++p->ticks % EVERY)
		return;
	double now = gm_now_seconds();
	if (now - p->shown < INTERVAL)
		return;
	p->shown = now;
	double secs = now - p->started;
	char rate[16], got[16], all[16], line[160];
	gm_counts_rate(secs > 0 ? (double)records / secs : 0, rate, sizeof rate);
	show_bytes(done, got, sizeof got);
	int n;
	if (total && done <= total && done > 0) {
		show_bytes(total, all, sizeof all);
		double left = secs * (double)(total - done) / (double)done;
		n = snprintf(line, sizeof line, "%s: %s of %s (%d%%), %llu %s, %s/s, %d:%02d left",
			gm_prog, got, all, (int)(100.0 * (double)done / (double)total),
			(unsigned long long)records, p->what, rate, (int)left / 60, (int)left % 60);
	} else if (done)
		n = snprintf(line, sizeof line, "%s: %s, %llu %s, %s/s", gm_prog, got,
			(unsigned long long)records, p->what, rate);
	else  /* no bytes to tell: Kafka */
		n = snprintf(line, sizeof line, "%s: %llu %s, %s/s", gm_prog,
			(unsigned long long)records, p->what, rate);
	fprintf(stderr, "\r%s%*s", line, p->width > n ? p->width - n : 0, "");
	p->width = n;
}

void gm_progress_end(struct gm_progress *p)
{
	if (!p)
		return;
	if (p->width)
		fprintf(stderr, "\r%*s\r", p->width, "");
	free(p);
}

/* gm-report: the warehouse that gm-etl and gm-rfm write, turned into one
 * self-contained HTML dashboard (sales, geography, products, customer
 * segments), data and Chart.js inside it, that opens from disk with no
 * network. load.c reads, model.c adds up, page.c writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "counts.h"
#include "finish.h"
#include "load.h"
#include "model.h"
#include "page.h"
#include "stats.h"
#include "warehouse.h"
#include "writer.h"

static const char usage[] =
	"usage: gm-report [-hq] [-w WAREHOUSE] [-o FILE] [--retry-for DURATION]\n"
	"                 [--stats OUT] [--stats-every DURATION]\n";

/* Writes the page of r into path ("-": standard output); a file is
 * written beside it and renamed over it, so that a reader (a browser, a
 * web server) never sees half a page. False after a message. */
static bool write_page(struct report *r, const char *path, const char *warehouse,
	size_t *bytes)
{
	struct gm_writer *data = gm_writer_mem();
	gm_w_obj_begin(data);
	report_write(r, data, gm_wall_ms(), warehouse, false);
	/* The stream tools' sections: not read yet. */
	static const char *const streams[] = { "alerts", "inventory", "sessions" };
	for (size_t i = 0; i < sizeof streams / sizeof *streams; i++) {
		gm_w_key(data, streams[i]);
		gm_w_json(data, "null", 4);
	}
	gm_w_end(data);
	size_t n;
	const char *json = gm_writer_data(data, &n);
	bool to_stdout = !strcmp(path, "-");
	char tmp[4096];
	if (!to_stdout && snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof tmp) {
		gm_error(path, "name too long");
		gm_writer_close(data);
		return false;
	}
	struct gm_writer *w = to_stdout ? gm_writer_fd(1, "standard output", false)
		: gm_writer_open(tmp, false);
	bool ok = w != NULL;
	if (ok) {
		report_page(w, json, n);
		ok = gm_writer_close(w);  /* reports a failed write */
	}
	gm_writer_close(data);
	if (ok && !to_stdout && rename(tmp, path) != 0) {
		gm_error(path, "cannot rename %s over it: %s", tmp, strerror(errno));
		ok = false;
	}
	if (!ok && !to_stdout)
		unlink(tmp);
	*bytes = n;
	return ok;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		GM_BASE_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		{ "warehouse", required_argument, 0, 'w' },
		{ "output", required_argument, 0, 'o' },
		{ 0 }
	};
	struct gm_common c;
	const char *spec = NULL, *out = "-";
	int opt;

	gm_cli_init(argv[0]);
	gm_common_init(&c);
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS "w:o:", longopts, usage)) != -1) {
		if (gm_common_option(&c, opt, optarg, usage))
			continue;
		switch (opt) {
		case 'w': spec = optarg; break;
		case 'o': out = optarg; break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	if (optind < argc)
		gm_usage_error(usage, "%s: gm-report reads the warehouse -w names, not files", argv[optind]);
	gm_stats_start(&c, usage);

	int status = GM_EXIT_OK;
	/* Opened as a dry run: nothing is written, and the lock is held
	 * while the tables are read, so that they are of one run. */
	struct gm_wh *wh = gm_wh_open(&c, spec, true);
	struct report *r = report_new();
	if (!wh || !report_load(wh, r))
		status = GM_EXIT_FAIL;
	char name[512];
	snprintf(name, sizeof name, "%s", wh ? gm_wh_name(wh) : "");
	gm_wh_close(wh);  /* the lock goes before the page is written */
	size_t bytes = 0;
	if (status == GM_EXIT_OK && !write_page(r, out, name, &bytes))
		status = GM_EXIT_FAIL;
	if (status == GM_EXIT_OK) {
		struct report_counts k = report_counts(r);
		gm_counts_add(&gm_counts.in, k.lines);
		gm_counts_add(&gm_counts.out, 1);
		if (!c.quiet)
			fprintf(stderr, "gm-report: %llu lines of %llu transactions by %llu customers over "
				"%llu days; data %zu bytes\n", (unsigned long long)k.lines,
				(unsigned long long)k.transactions, (unsigned long long)k.customers,
				(unsigned long long)k.days, bytes);
	}
	report_free(r);
	return gm_finish(&c, status, NULL, 0, NULL);
}

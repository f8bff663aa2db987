/* gm-report: the warehouse that gm-etl and gm-rfm write, and the stream
 * tools' alerts, stock and sessions, turned into one self-contained HTML
 * dashboard (sales, geography, products, customer segments, alerts,
 * inventory, sessions), data and Chart.js inside it, that opens from
 * disk with no network. load.c and stream_load.c read, model.c and
 * stream.c keep and add up, page.c writes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "counts.h"
#include "finish.h"
#include "load.h"
#include "mem.h"
#include "model.h"
#include "page.h"
#include "rejects.h"
#include "stats.h"
#include "stream.h"
#include "stream_load.h"
#include "warehouse.h"
#include "writer.h"

static const char usage[] =
	"usage: gm-report [-hq] [-w WAREHOUSE] [-s SOURCE]... [-o FILE]\n"
	"                 [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"                 [--retry-for DURATION] [--stats OUT] [--stats-every DURATION]\n";

/* Writes the page of r and s (NULL: no --stream) into path ("-":
 * standard output). A file is written beside it (beside the file a
 * symbolic link names) with its mode, and renamed over it, so that a
 * reader (a browser, a web server) never sees half a page; what is
 * there and no regular file (/dev/null, a FIFO) is written to as it is:
 * a file renamed over it would take its place. A signal before the
 * rename leaves the page as it was. False after a message. */
static bool write_page(struct report *r, const struct stream *s, const char *path,
	const char *warehouse, size_t *bytes)
{
	struct gm_writer *data = gm_writer_mem();
	gm_w_obj_begin(data);
	report_write(r, data, gm_wall_ms(), warehouse);
	stream_write(s, data);
	gm_w_end(data);
	size_t n;
	const char *json = gm_writer_data(data, &n);
	*bytes = n;
	if (!strcmp(path, "-")) {
		struct gm_writer *w = gm_writer_fd(1, "standard output", false);
		report_page(w, json, n);
		bool ok = gm_writer_close(w);  /* reports a failed write */
		gm_writer_close(data);
		return ok;
	}
	struct stat st;
	bool exists = stat(path, &st) == 0;
	bool renamed = !exists || S_ISREG(st.st_mode);
	char *real = exists && renamed ? realpath(path, NULL) : NULL;
	const char *target = real ? real : path;
	char tmp[4096];
	if (renamed && snprintf(tmp, sizeof tmp, "%s.tmp-%ld", target, (long)getpid()) >= (int)sizeof tmp) {
		gm_error(path, "name too long");
		free(real);
		gm_writer_close(data);
		return false;
	}
	struct gm_writer *w = gm_writer_open(renamed ? tmp : path, false);
	bool ok = w != NULL;
	if (ok) {
		report_page(w, json, n);
		ok = gm_writer_close(w);  /* reports a failed write */
	}
	gm_writer_close(data);
	if (ok && renamed && exists && chmod(tmp, st.st_mode & 07777) != 0) {
		gm_error(path, "cannot give the new page the mode of the old: %s", strerror(errno));
		ok = false;
	}
	if (ok && gm_stopping()) {
		gm_warn(path, "stopped by a signal: the page not written");
		ok = false;
	}
	if (ok && renamed && rename(tmp, target) != 0) {
		gm_error(path, "cannot rename %s over it: %s", tmp, strerror(errno));
		ok = false;
	}
	if (!ok && renamed)
		unlink(tmp);
	free(real);
	return ok;
}

/* A folder warehouse that is not there: a reader makes none (gm_wh_open()
 * would, for the writers), and a mistyped -w must not give an empty page. */
static bool folder_missing(const char *spec)
{
	if (strstr(spec, "://") || !strncmp(spec, "pg:", 3))
		return false;
	struct stat st;
	if (stat(spec, &st) == 0 && S_ISDIR(st.st_mode))
		return false;
	gm_error(spec, "no such warehouse folder");
	return true;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		GM_BASE_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		/* Of the input group, what reading files means here: no Kafka. */
		{ "strict", no_argument, 0, GM_OPT_STRICT },
		{ "rejects", required_argument, 0, GM_OPT_REJECTS },
		{ "max-line", required_argument, 0, GM_OPT_MAX_LINE },
		{ "warehouse", required_argument, 0, 'w' },
		{ "stream", required_argument, 0, 's' },
		{ "output", required_argument, 0, 'o' },
		{ 0 }
	};
	struct gm_common c;
	const char *spec = NULL, *out = "-";
	char **sources = gm_xcalloc((size_t)argc, sizeof *sources);
	size_t nsources = 0;
	int opt;

	gm_cli_init(argv[0]);
	gm_common_init(&c);
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS "w:s:o:", longopts, usage)) != -1) {
		if (opt == 'u')
			gm_usage_error(usage, "-u: gm-report writes its page once, whole");
		if (gm_common_option(&c, opt, optarg, usage))
			continue;
		switch (opt) {
		case 'w': spec = optarg; break;
		case 's':
			stream_source_check(optarg, usage);
			sources[nsources++] = optarg;
			break;
		case 'o': out = optarg; break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	if (optind < argc)
		gm_usage_error(usage, "%s: gm-report reads the warehouse -w names, and the stream "
			"tools' records each -s names", argv[optind]);
	gm_stats_start(&c, usage);
	gm_rejects_open(c.rejects, c.strict);

	int status = GM_EXIT_OK;
	/* The stream tools' records first: a server that cannot be reached
	 * exits 75 before the warehouse is locked. */
	struct stream *s = nsources ? stream_new() : NULL;
	uint64_t other = 0;
	if (s)
		status = stream_load(s, &c, sources, nsources, &other);
	/* Opened as a run that puts no row: the lock is held while the
	 * tables are read, so that they are of one run, and what an earlier
	 * run that died past its commit point left is finished first, as
	 * every run does (a dry run would read the tables before it). */
	if (status == GM_EXIT_OK && folder_missing(spec ? spec : GM_WH_DEFAULT))
		status = GM_EXIT_FAIL;
	struct gm_wh *wh = status == GM_EXIT_OK ? gm_wh_open(&c, spec, false) : NULL;
	struct report *r = report_new();
	if (status == GM_EXIT_OK && (!wh || !report_load(wh, r)))
		status = GM_EXIT_FAIL;
	if (status == GM_EXIT_OK && gm_stopping()) {
		gm_warn(NULL, "stopped by a signal: nothing written");
		status = GM_EXIT_FAIL;
	}
	/* The rejects file first: a run that fails to write it writes no
	 * page. */
	if (status == GM_EXIT_OK && !gm_rejects_close())
		status = GM_EXIT_FAIL;
	char name[512];
	snprintf(name, sizeof name, "%s", wh ? gm_wh_name(wh) : "");
	gm_wh_close(wh);  /* the lock goes before the page is written */
	size_t bytes = 0;
	if (status == GM_EXIT_OK && !write_page(r, s, out, name, &bytes))
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
		if (s && !c.quiet) {
			struct stream_counts sk = stream_counts(s);
			fprintf(stderr, "gm-report: stream: %llu alerts (the newest %llu listed), %llu "
				"products, %llu sessions over %llu days; %llu other records, %llu seen again\n",
				(unsigned long long)sk.alerts,
				(unsigned long long)(sk.alerts < STREAM_ALERT_ROWS ? sk.alerts : STREAM_ALERT_ROWS),
				(unsigned long long)sk.products, (unsigned long long)sk.sessions,
				(unsigned long long)sk.days, (unsigned long long)other,
				(unsigned long long)sk.duplicates);
		}
	}
	stream_free(s);
	free(sources);
	report_free(r);
	return gm_finish(&c, status, NULL, 0, NULL);
}

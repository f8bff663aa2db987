/* gm-report: the warehouse that gm-etl and gm-rfm write, and the stream
 * tools' alerts, stock and sessions, turned into one self-contained HTML
 * dashboard (sales, geography, products, customer segments, alerts,
 * inventory, sessions), data and Chart.js inside it, that opens from
 * disk with no network; or, with --listen, that page served with its
 * data read again every so often and an API over them. load.c and
 * stream_load.c read, model.c and stream.c keep and add up, page.c
 * writes, query.c answers the API and serve.c serves. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "counts.h"
#include "finish.h"
#include "httpd.h"
#include "load.h"
#include "mem.h"
#include "model.h"
#include "page.h"
#include "query.h"
#include "rejects.h"
#include "serve.h"
#include "stats.h"
#include "stream.h"
#include "stream_load.h"
#include "ts.h"
#include "warehouse.h"
#include "writer.h"

static const char usage[] =
	"usage: gm-report [-hq] [-w WAREHOUSE] [-s SOURCE]...\n"
	"                 [-o FILE | --listen ADDR [--token-file FILE | --no-auth]\n"
	"                 [--reload-every DURATION]]\n"
	"                 [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"                 [--retry-for DURATION] [--stats OUT] [--stats-every DURATION]\n";

enum {
	OPT_LISTEN = 0x2000,
	OPT_TOKEN_FILE,
	OPT_NO_AUTH,
	OPT_RELOAD_EVERY,
};

/* --reload-every's default. */
#define RELOAD_EVERY_MS 30000

/* The longest token --token-file takes, and the shortest. */
#define TOKEN_MAX 4096
#define TOKEN_MIN 16

/* The page's data (gm-report(1), DATA) of r and s (NULL: no --stream),
 * made at generated (ms since 1970), in a memory writer of the
 * caller's. */
static struct gm_writer *page_data(struct report *r, const struct stream *s, int64_t generated,
	const char *warehouse)
{
	struct gm_writer *data = gm_writer_mem();
	gm_w_obj_begin(data);
	report_write(r, data, generated, warehouse);
	stream_write(s, data);
	gm_w_end(data);
	return data;
}

/* Writes the page of the data json[0..n) into path ("-": standard
 * output). A file is written beside it (beside the file a symbolic
 * link names) with its mode, and renamed over it, so that a reader (a
 * browser, a web server) never sees half a page; what is there and no
 * regular file (/dev/null, a FIFO) is written to as it is: a file
 * renamed over it would take its place. A signal before the rename
 * leaves the page as it was. False after a message. */
static bool write_page(const char *json, size_t n, const char *path)
{
	if (!strcmp(path, "-")) {
		struct gm_writer *w = gm_writer_fd(1, "standard output", false);
		report_page(w, json, n);
		return gm_writer_close(w);  /* reports a failed write */
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
		return false;
	}
	struct gm_writer *w = gm_writer_open(renamed ? tmp : path, false);
	bool ok = w != NULL;
	if (ok) {
		report_page(w, json, n);
		ok = gm_writer_close(w);  /* reports a failed write */
	}
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

/* The token of --token-file path, its first line without the line's
 * end (\n or \r\n), NUL-terminated in buf of TOKEN_MAX + 2 bytes; a
 * usage error (status 2) when it cannot be had or will not do. */
static void read_token(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	if (!f)
		gm_usage_error(usage, "--token-file %s: %s", path, strerror(errno));
	size_t got = fread(buf, 1, n - 1, f);
	int err = ferror(f) ? errno : 0;
	fclose(f);
	if (err)
		gm_usage_error(usage, "--token-file %s: %s", path, strerror(err));
	const char *nl = memchr(buf, '\n', got);
	size_t len = nl ? (size_t)(nl - buf) : got;
	if (len && buf[len - 1] == '\r')
		len--;
	buf[len] = '\0';
	if (len > TOKEN_MAX)
		gm_usage_error(usage, "--token-file %s: the token is longer than %d bytes", path,
			TOKEN_MAX);
	if (len == 0)
		gm_usage_error(usage, "--token-file %s: no token on its first line", path);
	if (len < TOKEN_MIN)
		gm_usage_error(usage, "--token-file %s: the token is shorter than %d bytes: "
			"too easy to guess", path, TOKEN_MIN);
	/* A NUL byte too, which would cut it short. */
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] <= ' ' || (unsigned char)buf[i] > '~')
			gm_usage_error(usage, "--token-file %s: byte %zu of the token is no printable "
				"ASCII, or a space, which an Authorization header cannot carry whole",
				path, i + 1);
}

/* What one read of the warehouse and the sources gives. */
struct reading {
	struct report *r;
	struct stream *s;      /* NULL: no -s */
	uint64_t other;        /* the sources' records of other types */
	char name[512];        /* the warehouse's, for messages and the page */
};

/* Reads the -s sources[0..nsources) and the warehouse spec names into
 * a new *rd, as a run does: the sources first, so that a server that
 * cannot be reached fails the read before the warehouse is locked; the
 * warehouse opened as a run that puts no row, its lock held while the
 * tables are read, so that they are of one run, and what an earlier run
 * that died past its commit point left finished first, as every run
 * does (a dry run would read the tables before it). Another run's lock
 * (waited for --retry-for when wait_lock; a reload tries again at its
 * next time instead), or a server unreachable, is status 75 (with
 * --listen the server goes on). Returns the exit status, GM_EXIT_OK or
 * a failure after its message; the caller frees rd's parts either way. */
static int read_all(const struct gm_common *c, const char *spec, char *const *sources,
	size_t nsources, bool wait_lock, struct reading *rd)
{
	rd->r = report_new();
	rd->s = nsources ? stream_new() : NULL;
	rd->other = 0;
	int status = GM_EXIT_OK;
	if (rd->s)
		status = stream_load(rd->s, c, sources, nsources, &rd->other);
	if (status == GM_EXIT_OK && folder_missing(spec ? spec : GM_WH_DEFAULT))
		status = GM_EXIT_FAIL;
	struct gm_wh *wh = NULL;
	if (status == GM_EXIT_OK) {
		bool tempfail;
		wh = gm_wh_try_open(c, spec, false, wait_lock, &tempfail);
		if (!wh)
			status = tempfail ? GM_EXIT_TEMPFAIL : GM_EXIT_FAIL;
	}
	if (status == GM_EXIT_OK && !report_load(wh, rd->r))
		status = GM_EXIT_FAIL;
	if (status == GM_EXIT_OK && gm_stopping()) {
		gm_warn(NULL, "stopped by a signal: nothing written");
		status = GM_EXIT_FAIL;
	}
	snprintf(rd->name, sizeof rd->name, "%s", wh ? gm_wh_name(wh) : "");
	gm_wh_close(wh);
	return status;
}

static void reading_free(struct reading *rd)
{
	report_free(rd->r);
	stream_free(rd->s);
	rd->r = NULL;
	rd->s = NULL;
}

/* Counts a read whose data (bytes long) are written or served, and
 * prints the summary line of it unless -q. */
static void summary(const struct gm_common *c, const struct reading *rd, size_t bytes)
{
	struct report_counts k = report_counts(rd->r);
	gm_counts_add(&gm_counts.in, k.lines);
	gm_counts_add(&gm_counts.out, 1);
	if (c->quiet)
		return;
	fprintf(stderr, "gm-report: %llu lines of %llu transactions by %llu customers over "
		"%llu days; data %zu bytes\n", (unsigned long long)k.lines,
		(unsigned long long)k.transactions, (unsigned long long)k.customers,
		(unsigned long long)k.days, bytes);
	if (rd->s) {
		struct stream_counts sk = stream_counts(rd->s);
		fprintf(stderr, "gm-report: stream: %llu alerts (the newest %llu listed), %llu "
			"products, %llu sessions over %llu days; %llu other records, %llu seen again\n",
			(unsigned long long)sk.alerts,
			(unsigned long long)(sk.alerts < STREAM_ALERT_ROWS ? sk.alerts : STREAM_ALERT_ROWS),
			(unsigned long long)sk.products, (unsigned long long)sk.sessions,
			(unsigned long long)sk.days, (unsigned long long)rd->other,
			(unsigned long long)sk.duplicates);
	}
}

/* --listen's options. */
struct listen {
	const char *addr;        /* NULL: no --listen */
	const char *token_file;
	bool no_auth;
	long long every_ms;      /* --reload-every */
	bool every_given;
};

/* Sleeps ms, or less when a signal comes: in steps short enough that
 * SIGINT or SIGTERM stops a server within 100 ms, whichever thread of
 * the process the signal came to. */
static void nap(int64_t ms)
{
	int64_t due = gm_now_ms() + ms;
	for (int64_t now = gm_now_ms(); now < due && !gm_stopping(); now = gm_now_ms())
		poll(NULL, 0, (int)(due - now < 100 ? due - now : 100));
}

/* Whether rd gives the data that data hold, made at generated: the
 * same data, made at the same time, are the same bytes. */
static bool same_data(const struct reading *rd, struct gm_writer *data, int64_t generated)
{
	struct gm_writer *fresh = page_data(rd->r, rd->s, generated, rd->name);
	size_t n, fn;
	const char *old = gm_writer_data(data, &n), *now = gm_writer_data(fresh, &fn);
	bool same = fn == n && !memcmp(old, now, n);
	gm_writer_close(fresh);
	return same;
}

/* Reads the warehouse and the sources again, and serves what they give
 * in place of *data (made at *generated) when it differs but for its
 * time of making: then *data and *generated are the new ones, made
 * later than the old whatever the clock did, since the page takes new
 * data by a new "generated". Returns the read's exit status. */
static int reload(const struct gm_common *c, const char *spec, char *const *sources,
	size_t nsources, struct report_serve *srv, struct gm_writer **data, int64_t *generated)
{
	struct reading rd;
	int status = read_all(c, spec, sources, nsources, false, &rd);
	if (status != GM_EXIT_OK || same_data(&rd, *data, *generated)) {
		reading_free(&rd);
		return status;
	}
	int64_t at = gm_wall_ms();
	if (at <= *generated)
		at = *generated + 1;
	struct gm_writer *fresh = page_data(rd.r, rd.s, at, rd.name);
	size_t n;
	const char *json = gm_writer_data(fresh, &n);
	char err[256];
	struct query *q = query_new(json, n, err, sizeof err);
	if (q) {
		report_serve_set(srv, q);
		gm_writer_close(*data);
		*data = fresh;
		*generated = at;
		summary(c, &rd, n);
	} else {
		gm_error(NULL, "the page's data do not read back: %s", err);
		gm_writer_close(fresh);
		status = GM_EXIT_FAIL;
	}
	reading_free(&rd);
	return status;
}

/* Serves the data data (generated at generated, of the warehouse name)
 * on l->addr until a signal, and reads them again every l->every_ms
 * after the last read ended: new data replace them when they read
 * whole and differ but for their time of making; a read that fails
 * leaves them served, with a message. Frees data. Returns the exit
 * status: GM_EXIT_OK at a signal, GM_EXIT_FAIL when it cannot listen. */
static int serve(const struct gm_common *c, const char *spec, char *const *sources,
	size_t nsources, const struct listen *l, const char *token, struct gm_writer *data,
	int64_t generated, const char *name)
{
	char err[256];
	size_t n;
	const char *json = gm_writer_data(data, &n);
	struct query *q = query_new(json, n, err, sizeof err);
	if (!q) {
		gm_error(NULL, "the page's data do not read back: %s", err);
		gm_writer_close(data);
		return GM_EXIT_FAIL;
	}
	struct report_serve *srv = report_serve_start(l->addr, token, !token && !l->no_auth, q);
	if (!srv) {
		gm_writer_close(data);
		return GM_EXIT_FAIL;
	}
	for (;;) {
		nap(l->every_ms);
		if (gm_stopping())
			break;
		if (reload(c, spec, sources, nsources, srv, &data, &generated) != GM_EXIT_OK &&
			!gm_stopping()) {
			char ts[GM_TS_LEN + 1];
			ts[gm_ts_format(generated, ts)] = '\0';
			gm_error(name, "reload failed, serving the data of %s", ts);
		}
	}
	report_serve_stop(srv);
	gm_writer_close(data);
	return GM_EXIT_OK;
}

/* --listen's rules, once every option is read: usage errors (status 2). */
static void listen_check(const struct listen *l, bool out_given, char *const *sources,
	size_t nsources)
{
	if (!l->addr) {
		if (l->token_file || l->no_auth || l->every_given)
			gm_usage_error(usage, "%s goes with --listen", l->token_file ? "--token-file" :
				l->no_auth ? "--no-auth" : "--reload-every");
		return;
	}
	if (out_given)
		gm_usage_error(usage, "-o and --listen: the page is written or served, not both");
	if (l->token_file && l->no_auth)
		gm_usage_error(usage, "--token-file and --no-auth: a token is asked or not");
	char host[256], port[8];
	const char *why;
	if (!gm_httpd_split(l->addr, host, sizeof host, port, sizeof port, &why))
		gm_usage_error(usage, "--listen %s: %s", l->addr, why);
	if (!l->token_file && !l->no_auth && !gm_httpd_loopback(l->addr))
		gm_usage_error(usage, "--listen %s: not a loopback address (127.0.0.0/8, ::1, "
			"localhost): others could read the data there; give --token-file FILE, or "
			"--no-auth to let anyone", l->addr);
	for (size_t i = 0; i < nsources; i++)
		if (!strcmp(sources[i], "-"))
			gm_usage_error(usage, "-s -: --listen reads each source again, and standard "
				"input cannot be");
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
		{ "listen", required_argument, 0, OPT_LISTEN },
		{ "token-file", required_argument, 0, OPT_TOKEN_FILE },
		{ "no-auth", no_argument, 0, OPT_NO_AUTH },
		{ "reload-every", required_argument, 0, OPT_RELOAD_EVERY },
		{ 0 }
	};
	struct gm_common c;
	const char *spec = NULL, *out = "-";
	bool out_given = false;
	struct listen l = { .every_ms = RELOAD_EVERY_MS };
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
		case 'o': out = optarg; out_given = true; break;
		case OPT_LISTEN: l.addr = optarg; break;
		case OPT_TOKEN_FILE: l.token_file = optarg; break;
		case OPT_NO_AUTH: l.no_auth = true; break;
		case OPT_RELOAD_EVERY:
			l.every_ms = gm_opt_duration(usage, "--reload-every", optarg, false,
				GM_DURATION_MAX);
			l.every_given = true;
			break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	if (optind < argc)
		gm_usage_error(usage, "%s: gm-report reads the warehouse -w names, and the stream "
			"tools' records each -s names", argv[optind]);
	listen_check(&l, out_given, sources, nsources);
	static char token[TOKEN_MAX + 2];
	if (l.token_file)
		read_token(l.token_file, token, sizeof token);
	gm_stats_start(&c, usage);
	gm_rejects_open(c.rejects, c.strict);

	struct reading rd;
	int status = read_all(&c, spec, sources, nsources, true, &rd);
	/* The rejects file first: a run that fails to write it writes no
	 * page. With --listen, it keeps the first read's bad records. */
	if (!gm_rejects_close() && status == GM_EXIT_OK)
		status = GM_EXIT_FAIL;
	struct gm_writer *data = NULL;
	int64_t generated = gm_wall_ms();
	if (status == GM_EXIT_OK) {
		data = page_data(rd.r, rd.s, generated, rd.name);
		size_t n;
		const char *json = gm_writer_data(data, &n);
		if (!l.addr && !write_page(json, n, out))
			status = GM_EXIT_FAIL;
		if (status == GM_EXIT_OK)
			summary(&c, &rd, n);
	}
	char name[sizeof rd.name];
	memcpy(name, rd.name, sizeof name);
	reading_free(&rd);
	if (status == GM_EXIT_OK && l.addr) {
		status = serve(&c, spec, sources, nsources, &l, l.token_file ? token : NULL, data,
			generated, name);
		data = NULL;  /* serve()'s */
	}
	explicit_bzero(token, sizeof token);
	gm_writer_close(data);
	free(sources);
	return gm_finish(&c, status, NULL, 0, NULL);
}

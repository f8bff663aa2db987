/* silence_cmd: see silence_cmd.h. Every change is made under the
 * file's lock: load, change, forget what ended past the retention,
 * save (atomically), so that two commands at once both land. */
#include "silence_cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "conf.h"
#include "mem.h"
#include "number.h"
#include "silence.h"
#include "text.h"
#include "ts.h"

static const char usage[] = "usage: " SYN_ADD "       " SYN_LIST "       " SYN_EXPIRE;
static const char add_usage[] = "usage: " SYN_ADD;
static const char list_usage[] = "usage: " SYN_LIST;
static const char expire_usage[] = "usage: " SYN_EXPIRE;

/* How long an ended silence stays in the file (and in list --all):
 * Alertmanager's default --data.retention, 120h. */
#define RETENTION_MS (5LL * 24 * 3600 * 1000)

static int print_usage(const char *text)
{
	fputs(text, stdout);
	return fflush(stdout) == 0 ? GM_EXIT_OK : GM_EXIT_FAIL;
}

/* The time now, in ms: the wall clock, or $GM_NOTIFY_NOW (RFC 3339)
 * when it is set. Only the tests set it, so that the ids and times they
 * compare are the same in every run; it is no user's option. */
static int64_t now_ms(const char *use)
{
	const char *fixed = getenv("GM_NOTIFY_NOW");
	int64_t ms;
	if (fixed) {
		if (!gm_ts_parse(fixed, strlen(fixed), &ms))
			gm_usage_error(use, "GM_NOTIFY_NOW: expected an RFC 3339 time, got %s", fixed);
		return ms;
	}
	return gm_wall_ms();
}

static int64_t time_option(const char *use, const char *opt, const char *arg)
{
	int64_t ms;
	if (!gm_ts_parse(arg, strlen(arg), &ms))
		gm_usage_error(use, "%s: expected an RFC 3339 time such as 2026-11-24T10:00:00Z, got %s",
			opt, arg);
	return ms;
}

/* Takes the lock of the silences at path, an flock on "path.lock",
 * held until exit. Not on path itself: a save renames a new file over
 * it, and a command waiting on the old one would then load a file that
 * is gone. The lock file stays, so that every command locks the same
 * one. Returns false, reported, when it cannot be had. */
static bool lock(const char *path)
{
	struct gm_text name = { 0 };
	gm_text_printf(&name, "%s.lock", path);
	int fd = open(name.p, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	int r = fd < 0 ? -1 : 0;
	if (fd >= 0)
		do
			r = flock(fd, LOCK_EX);
		while (r && errno == EINTR);
	bool ok = r == 0;
	if (!ok)
		gm_error(name.p, "cannot lock: %s", strerror(errno));
	free(name.p);
	return ok;
}

/* Forgets the silences past the retention and saves set to path when
 * that or the command (changed) changed it: the end of every command
 * that changes the file. */
static int store(struct silences *set, const char *path, int64_t now, bool changed)
{
	if (!silences_gc(set, now, RETENTION_MS) && !changed)
		return GM_EXIT_OK;
	return silences_save(set, path) ? GM_EXIT_OK : GM_EXIT_FAIL;
}

static const struct silence *find(const struct silences *set, const char *id)
{
	for (size_t i = 0; i < set->n; i++)
		if (!strcmp(set->v[i].id, id))
			return &set->v[i];
	return NULL;
}

static int add(int argc, char **argv)
{
	enum { OPT_END = 0x2000, OPT_START };
	static const struct option longopts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "duration", required_argument, 0, 'd' },
		{ "end", required_argument, 0, OPT_END },
		{ "start", required_argument, 0, OPT_START },
		{ "author", required_argument, 0, 'a' },
		{ "comment", required_argument, 0, 'm' },
		{ 0 }
	};
	const char *path = NULL, *duration = NULL, *end_text = NULL, *start_text = NULL;
	const char *author = getenv("USER"), *comment = "";
	int opt;
	while ((opt = gm_getopt(argc, argv, ":hs:d:a:m:", longopts, add_usage)) != -1) {
		switch (opt) {
		case 'h': return print_usage(add_usage);
		case 's': path = optarg; break;
		case 'd': duration = optarg; break;
		case OPT_END: end_text = optarg; break;
		case OPT_START: start_text = optarg; break;
		case 'a': author = optarg; break;
		case 'm': comment = optarg; break;
		default: gm_usage_error(add_usage, "unknown option");
		}
	}
	if (!path)
		gm_usage_error(add_usage, "-s FILE is needed");
	if (duration && end_text)
		gm_usage_error(add_usage, "-d and --end do not go together");
	int64_t now = now_ms(add_usage);
	int64_t start = start_text ? time_option(add_usage, "--start", start_text) : now;
	int64_t end;
	if (end_text)
		end = time_option(add_usage, "--end", end_text);
	else {
		long long ms = 3600 * 1000;
		if (duration && !conf_parse_duration(duration, &ms))
			gm_usage_error(add_usage,
				"-d: expected a duration such as 30m, 2h, 1d or 1h30m, got %s", duration);
		end = gm_add_saturating(start, ms);
	}

	/* The silence is made once on its own first, so that a bad one is
	 * a usage error before the file is locked or read. */
	const char *const *texts = (const char *const *)argv + optind;
	size_t n = (size_t)(argc - optind);
	struct silences fresh = { 0 };
	struct conf_errors errs = { 0 };
	const struct silence *made = silences_add(&fresh, texts, n, start, end, author, comment,
		now, &errs);
	if (!made) {
		for (size_t i = 0; i < errs.n; i++)
			gm_error(NULL, "%s", errs.v[i]);
		fputs(add_usage, stderr);
		exit(GM_EXIT_USAGE);
	}
	if (end <= now) {
		char at[GM_TS_LEN + 1] = { 0 };
		gm_ts_format(end, at);
		gm_usage_error(add_usage, "the silence would end at %s, before now", at);
	}
	char id[SILENCE_ID_LEN + 1];
	memcpy(id, made->id, sizeof id);
	silences_free(&fresh);

	struct silences set = { 0 };
	int status = GM_EXIT_FAIL;
	/* The same silence made in the same millisecond has the same id:
	 * it is already there, and is not added twice. */
	if (lock(path) && silences_load(&set, path) &&
			(find(&set, id) || silences_add(&set, texts, n, start, end, author, comment,
				now, &errs)))
		status = store(&set, path, now, true);
	silences_free(&set);
	conf_errors_free(&errs);
	if (status == GM_EXIT_OK) {
		printf("%s\n", id);
		if (fflush(stdout) != 0)
			status = GM_EXIT_FAIL;
	}
	return status;
}

/* The text of one cell of list's table, appended to t: s with its
 * control characters written as escapes, so that a row is one line. */
static void cell_str(struct gm_text *t, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\n')
			gm_text_str(t, "\\n");
		else if (c == '\t')
			gm_text_str(t, "\\t");
		else if (c < 0x20 || c == 0x7f)
			gm_text_printf(t, "\\x%02x", c);
		else
			gm_text_add(t, s, 1);
	}
}

/* Characters in s, UTF-8: the bytes that start one. */
static size_t width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

enum { NCOL = 6 };

/* The table: a header row and one a silence, columns two spaces apart,
 * each as wide as its widest cell, no space at a line's end. */
static void print_table(FILE *out, const struct silences *set, const bool *shown)
{
	static const char *const head[NCOL] = {
		"ID", "Matchers", "Starts At", "Ends At", "Created By", "Comment"
	};
	size_t rows = 1;
	for (size_t i = 0; i < set->n; i++)
		rows += shown[i];
	struct gm_text *cells = gm_xcalloc(rows * NCOL, sizeof *cells);
	size_t wide[NCOL] = { 0 };
	for (size_t c = 0; c < NCOL; c++)
		gm_text_str(&cells[c], head[c]);
	for (size_t i = 0, r = 1; i < set->n; i++) {
		if (!shown[i])
			continue;
		const struct silence *s = &set->v[i];
		struct gm_text *row = &cells[r++ * NCOL];
		char ts[GM_TS_LEN + 1] = { 0 };
		gm_text_str(&row[0], s->id);
		for (size_t j = 0; j < s->nmatchers; j++) {
			if (j)
				gm_text_str(&row[1], " ");
			cell_str(&row[1], s->matchers[j]);
		}
		gm_ts_format(s->start, ts);
		gm_text_str(&row[2], ts);
		gm_ts_format(s->end, ts);
		gm_text_str(&row[3], ts);
		cell_str(&row[4], s->author);
		cell_str(&row[5], s->comment);
	}
	for (size_t k = 0; k < rows * NCOL; k++) {
		if (!cells[k].p)
			gm_text_str(&cells[k], "");
		size_t w = width(cells[k].p);
		if (w > wide[k % NCOL])
			wide[k % NCOL] = w;
	}
	for (size_t r = 0; r < rows; r++) {
		struct gm_text line = { 0 };
		for (size_t c = 0; c < NCOL; c++) {
			const char *p = cells[r * NCOL + c].p;
			gm_text_str(&line, p);
			if (c + 1 < NCOL)
				gm_text_printf(&line, "%*s", (int)(wide[c] - width(p) + 2), "");
		}
		while (line.n && line.p[line.n - 1] == ' ')
			line.n--;
		fwrite(line.p, 1, line.n, out);
		putc('\n', out);
		free(line.p);
	}
	for (size_t k = 0; k < rows * NCOL; k++)
		free(cells[k].p);
	free(cells);
}

static int list(int argc, char **argv)
{
	enum { OPT_ALL = 0x2000 };
	static const struct option longopts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "all", no_argument, 0, OPT_ALL },
		{ "quiet", no_argument, 0, 'q' },
		{ 0 }
	};
	const char *path = NULL;
	bool all = false, quiet = false;
	int opt;
	while ((opt = gm_getopt(argc, argv, ":hqs:", longopts, list_usage)) != -1) {
		switch (opt) {
		case 'h': return print_usage(list_usage);
		case 's': path = optarg; break;
		case OPT_ALL: all = true; break;
		case 'q': quiet = true; break;
		default: gm_usage_error(list_usage, "unknown option");
		}
	}
	if (optind < argc)
		gm_usage_error(list_usage, "unexpected argument %s", argv[optind]);
	if (!path)
		gm_usage_error(list_usage, "-s FILE is needed");
	int64_t now = now_ms(list_usage);

	/* No lock: a save renames a whole file into place, so a reader
	 * sees the file before a change or after it. */
	struct silences set = { 0 };
	if (!silences_load(&set, path)) {
		silences_free(&set);
		return GM_EXIT_FAIL;
	}
	bool *shown = gm_xcalloc(set.n ? set.n : 1, sizeof *shown);
	for (size_t i = 0; i < set.n; i++)
		shown[i] = all || set.v[i].end > now;
	if (quiet) {
		for (size_t i = 0; i < set.n; i++)
			if (shown[i])
				printf("%s\n", set.v[i].id);
	} else
		print_table(stdout, &set, shown);
	free(shown);
	silences_free(&set);
	return fflush(stdout) == 0 ? GM_EXIT_OK : GM_EXIT_FAIL;
}

static int expire(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, 0, 'h' },
		{ 0 }
	};
	const char *path = NULL;
	int opt;
	while ((opt = gm_getopt(argc, argv, ":hs:", longopts, expire_usage)) != -1) {
		switch (opt) {
		case 'h': return print_usage(expire_usage);
		case 's': path = optarg; break;
		default: gm_usage_error(expire_usage, "unknown option");
		}
	}
	if (!path)
		gm_usage_error(expire_usage, "-s FILE is needed");
	if (optind == argc)
		gm_usage_error(expire_usage, "an ID is needed");
	int64_t now = now_ms(expire_usage);

	struct silences set = { 0 };
	int status = GM_EXIT_FAIL;
	if (lock(path) && silences_load(&set, path)) {
		status = GM_EXIT_OK;
		bool changed = false;
		for (int i = optind; i < argc; i++)
			if (silences_expire(&set, argv[i], now))
				changed = true;
			else {
				gm_error(NULL, "silence %s: no such silence (an id, or a prefix of "
					"4 digits or more that one silence alone has)", argv[i]);
				status = GM_EXIT_FAIL;
			}
		status = gm_exit_worse(status, store(&set, path, now, changed));
	}
	silences_free(&set);
	return status;
}

int silence_main(int argc, char **argv)
{
	if (argc < 2)
		gm_usage_error(usage, "silence: add, list or expire is needed");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help"))
		return print_usage(usage);
	/* 0, not 1: glibc's getopt then starts afresh, at argv[1]. */
	optind = 0;
	if (!strcmp(cmd, "add"))
		return add(argc - 1, argv + 1);
	if (!strcmp(cmd, "list"))
		return list(argc - 1, argv + 1);
	if (!strcmp(cmd, "expire"))
		return expire(argc - 1, argv + 1);
	gm_usage_error(usage, "silence: unknown command %s (add, list or expire)", cmd);
}

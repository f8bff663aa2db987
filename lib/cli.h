/* cli: what every gm tool's main() shares: its name in messages, the
 * exit statuses (those gm(7) lists under EXIT STATUS), "prog: where:
 * what" errors, the common options, and the two-step signal rule. */
#ifndef GM_CLI_H
#define GM_CLI_H

#include <getopt.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "number.h" /* GM_DURATION_MAX, for gm_opt_duration() */

enum gm_exit {
	GM_EXIT_OK = 0,        /* success */
	GM_EXIT_FAIL = 1,      /* runtime failure, incl. any undelivered record */
	GM_EXIT_USAGE = 2,     /* bad command line */
	GM_EXIT_TEMPFAIL = 75, /* a service was unreachable: retry later */
};

/* The tool's name as messages print it, set by gm_cli_init(). */
extern const char *gm_prog;

/* Sets gm_prog from argv[0] (its basename), ignores SIGPIPE so that a
 * closed pipe becomes an EPIPE write error, and installs the signal rule
 * of gm_stopping(). Call first in main(). */
void gm_cli_init(const char *argv0);

/* Prints "prog: where: what\n" on stderr; where may be NULL, giving
 * "prog: what". Never rate-limited: this is the message for a failure
 * that decides the exit status, or that a summary reports. */
void gm_error(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* As gm_error(), for one record among many (a bad record, a failed
 * delivery), which its caller counts: at most GM_MAX_MESSAGES of these
 * are printed per run, then one line says further ones are counted and
 * not shown, so that a flood of bad input cannot bury the messages of
 * gm_error(). */
void gm_record_error(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define GM_MAX_MESSAGES 1000

/* As gm_error() with "warning: " before what. Not rate-limited. */
void gm_warn(const char *where, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* gm_error(), then exit(status). */
_Noreturn void gm_die(int status, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True once SIGINT or SIGTERM has arrived: stop reading, flush, commit,
 * exit 0. A second signal ends the process at once (status 128+signo). */
bool gm_stopping(void);

/* Starts a thread running fn(arg) in *t with the stop signals blocked:
 * they stay the main thread's, whose waits they end, and the thread sees
 * them through gm_stopping() or its caller. Dies, naming what ("a
 * delivery thread"), when it cannot start. */
void gm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const char *what);

#define GM_MAX_TOPICS 16

/* Options every tool accepts. Fill from getopt_long with
 * gm_common_option(); the long-option table gets GM_COMMON_LONG_OPTIONS. */
struct gm_common {
	bool quiet;              /* -q: no summary line */
	bool strict;             /* --strict: first bad record is fatal */
	const char *rejects;     /* --rejects FILE: bad records, whole */
	size_t max_line;         /* --max-line BYTES, default GM_MAX_LINE */
	const char *brokers;     /* -b: Kafka bootstrap servers ($GM_BROKERS) */
	const char *group;       /* -G: Kafka consumer group */
	const char **props;      /* -X key=value, passed to librdkafka */
	size_t nprops;
	bool unbuffered;         /* -u: flush output after every record */
	long long retry_ms;      /* --retry-for: how long a tool retries a
	                            server it cannot reach (Kafka at the
	                            start, PostgreSQL), and waits for a
	                            warehouse's lock, default 60 s */
	const char *topics[GM_MAX_TOPICS + 1];  /* -t: Kafka topics to read
	                            instead of files, NULL-terminated */
	size_t ntopics;
	bool exit_eof;           /* -e: stop at the topics' ends */
	const char *stats;       /* --stats OUT: stats records (stats.h) */
	long long stats_every_ms; /* --stats-every, default 10 s; 0: not given */
};
#define GM_MAX_LINE (1u << 20)

enum {
	GM_OPT_VERSION = 0x1000,
	GM_OPT_STRICT,
	GM_OPT_REJECTS,
	GM_OPT_MAX_LINE,
	GM_OPT_RETRY_FOR,
	GM_OPT_STATS,
	GM_OPT_STATS_EVERY,
};

/* The shared options come in four groups, so that a tool offers only
 * those that mean something for it: every tool takes the base ones; a
 * tool that reads records takes the input ones; one that talks to Kafka
 * the Kafka ones; one that may have to wait for a server (a Kafka
 * cluster, in or out, or PostgreSQL) the output ones. Each group has its getopt short letters
 * and its entries for the getopt_long table; the output group has only
 * long options. */
#define GM_BASE_SHORT_OPTIONS ":hqu"  /* first: its ':' is for gm_getopt */
#define GM_INPUT_SHORT_OPTIONS "G:t:e"
#define GM_KAFKA_SHORT_OPTIONS "b:X:"

#define GM_BASE_LONG_OPTIONS \
	{ "help", no_argument, 0, 'h' }, \
	{ "version", no_argument, 0, GM_OPT_VERSION }, \
	{ "quiet", no_argument, 0, 'q' }, \
	{ "unbuffered", no_argument, 0, 'u' }, \
	{ "stats", required_argument, 0, GM_OPT_STATS }, \
	{ "stats-every", required_argument, 0, GM_OPT_STATS_EVERY }

#define GM_INPUT_LONG_OPTIONS \
	{ "strict", no_argument, 0, GM_OPT_STRICT }, \
	{ "rejects", required_argument, 0, GM_OPT_REJECTS }, \
	{ "max-line", required_argument, 0, GM_OPT_MAX_LINE }, \
	{ "group", required_argument, 0, 'G' }, \
	{ "topic", required_argument, 0, 't' }, \
	{ "exit-eof", no_argument, 0, 'e' }

#define GM_KAFKA_LONG_OPTIONS \
	{ "brokers", required_argument, 0, 'b' }, \
	{ "property", required_argument, 0, 'X' }

#define GM_OUTPUT_LONG_OPTIONS \
	{ "retry-for", required_argument, 0, GM_OPT_RETRY_FOR }

/* getopt_long() for gm tools: returns the next option as it does, or -1
 * at the end. An unknown option, a missing argument, or an argument
 * given to an option that takes none is a usage error (status 2) whose
 * one message names the option as the user typed it: no message from
 * getopt itself. shortopts must start with GM_BASE_SHORT_OPTIONS. */
int gm_getopt(int argc, char *const *argv, const char *shortopts,
	const struct option *longopts, const char *usage);

/* The input group's rules, once every option is read: -G and -e go
 * with -t, and Kafka topics and files (nfiles) do not go together. A
 * usage error (status 2) otherwise. */
void gm_input_check(const struct gm_common *c, size_t nfiles, const char *usage);

/* What gm_source_open()'s follow is for c's input, Kafka topics or
 * files: topics are followed unless -e; files when -f (follow_files)
 * asks, which is a usage error with topics. */
bool gm_input_follow(const struct gm_common *c, bool follow_files, const char *usage);

/* Sets defaults (max_line, retry_ms, brokers from $GM_BROKERS). */
void gm_common_init(struct gm_common *c);

/* Handles one getopt_long result if it is a common option and returns
 * true; returns false for the tool's own options. -h prints usage on
 * stdout and exits 0; --version prints "prog (gm) VERSION" and exits 0;
 * a bad value prints usage on stderr and exits 2. The props array is
 * allocated once and lives until exit. */
bool gm_common_option(struct gm_common *c, int opt, const char *arg,
	const char *usage);

/* Prints "usage: ..." text and "Try --help" style hint to stderr, exit 2. */
_Noreturn void gm_usage_error(const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Option values, or a usage error (status 2) that names the option:
 * a number in [lo, hi]; a whole number in [lo, hi]; a duration in ms
 * (gm_parse_duration(), 0 refused unless zero_ok) of at most max_ms,
 * GM_DURATION_MAX for what gm_parse_duration() takes. */
double gm_opt_number(const char *usage, const char *opt, const char *arg,
	double lo, double hi);
unsigned long long gm_opt_count(const char *usage, const char *opt,
	const char *arg, unsigned long long lo, unsigned long long hi);
long long gm_opt_duration(const char *usage, const char *opt, const char *arg,
	bool zero_ok, long long max_ms);

/* The exit status of two results together: a failure (1) over a
 * service that could not be reached (75) over success (0). */
int gm_exit_worse(int a, int b);

#endif

/* cli: shared command-line pieces; see cli.h. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem.h"
#include "number.h"

const char *gm_prog = "gm";

static volatile sig_atomic_t stop_signals;
/* Messages about records: a reading thread's and the main thread's. */
static _Atomic unsigned long messages;

static void on_stop_signal(int signo)
{
	if (stop_signals++ > 0) {
		/* The second signal: leave now, as the user asked twice. */
		signal(signo, SIG_DFL);
		raise(signo);
		_exit(128 + signo);
	}
}

void gm_cli_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	if (argv0)
		gm_prog = slash ? slash + 1 : argv0;
	signal(SIGPIPE, SIG_IGN);

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a blocked read returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void gm_thread_start(pthread_t *t, void *(*fn)(void *), void *arg, const char *what)
{
	sigset_t stop, old;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, &old);
	int err = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		gm_die(GM_EXIT_FAIL, NULL, "cannot start %s: %s", what, strerror(err));
}

bool gm_stopping(void)
{
	return stop_signals > 0;
}

static void vmessage(const char *where, const char *prefix,
	const char *fmt, va_list ap)
{
	char buf[1024];
	int n = snprintf(buf, sizeof buf, "%s: ", gm_prog);
	if (where && n < (int)sizeof buf)
		n += snprintf(buf + n, sizeof buf - n, "%s: ", where);
	if (n < (int)sizeof buf)
		n += snprintf(buf + n, sizeof buf - n, "%s", prefix);
	if (n < (int)sizeof buf)
		n += vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	if (n >= (int)sizeof buf - 1)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	/* One write per message, so concurrent tools do not interleave. */
	ssize_t w = write(STDERR_FILENO, buf, n);
	(void)w;
}

void gm_error(const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(where, "", fmt, ap);
	va_end(ap);
}

void gm_record_error(const char *where, const char *fmt, ...)
{
	unsigned long n = atomic_fetch_add_explicit(&messages, 1, memory_order_relaxed) + 1;
	if (n > GM_MAX_MESSAGES) {
		if (n == GM_MAX_MESSAGES + 1)
			gm_warn(NULL, "more than %d errors about records: further ones are counted, not shown",
				GM_MAX_MESSAGES);
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vmessage(where, "", fmt, ap);
	va_end(ap);
}

void gm_warn(const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(where, "warning: ", fmt, ap);
	va_end(ap);
}

void gm_die(int status, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(where, "", fmt, ap);
	va_end(ap);
	exit(status);
}

void gm_usage_error(const char *usage, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmessage(NULL, "", fmt, ap);
	va_end(ap);
	fputs(usage, stderr);
	exit(GM_EXIT_USAGE);
}

void gm_common_init(struct gm_common *c)
{
	memset(c, 0, sizeof *c);
	c->max_line = GM_MAX_LINE;
	c->retry_ms = 60000;
	const char *b = getenv("GM_BROKERS");
	if (b && *b)
		c->brokers = b;
}

bool gm_common_option(struct gm_common *c, int opt, const char *arg,
	const char *usage)
{
	switch (opt) {
	case 'h':
		fputs(usage, stdout);
		exit(fflush(stdout) == 0 ? GM_EXIT_OK : GM_EXIT_FAIL);
	case GM_OPT_VERSION:
		printf("%s (gm) %s\n", gm_prog, GM_VERSION);
		exit(fflush(stdout) == 0 ? GM_EXIT_OK : GM_EXIT_FAIL);
	case 'q':
		c->quiet = true;
		return true;
	case 'u':
		c->unbuffered = true;
		return true;
	case GM_OPT_STRICT:
		c->strict = true;
		return true;
	case GM_OPT_REJECTS:
		c->rejects = arg;
		return true;
	case GM_OPT_MAX_LINE:
		if (!gm_parse_size(arg, &c->max_line))
			gm_usage_error(usage, "--max-line: not a size: %s", arg);
		return true;
	case GM_OPT_STATS:
		c->stats = arg;
		return true;
	case GM_OPT_STATS_EVERY:
		c->stats_every_ms = gm_opt_duration(usage, "--stats-every", arg, false, GM_DURATION_MAX);
		return true;
	case GM_OPT_RETRY_FOR:
		if (!gm_parse_duration(arg, &c->retry_ms))
			gm_usage_error(usage, "--retry-for: not a duration: %s", arg);
		return true;
	case 'b':
		c->brokers = arg;
		return true;
	case 'G':
		c->group = arg;
		return true;
	case 't':
		if (c->ntopics == GM_MAX_TOPICS)
			gm_usage_error(usage, "at most %d topics", GM_MAX_TOPICS);
		c->topics[c->ntopics++] = arg;
		return true;
	case 'e':
		c->exit_eof = true;
		return true;
	case 'X': {
		if (!strchr(arg, '='))
			gm_usage_error(usage, "-X: expected key=value, got %s", arg);
		c->props = gm_xrealloc(c->props, (c->nprops + 1) * sizeof *c->props);
		c->props[c->nprops++] = arg;
		return true;
	}
	default:
		return false;
	}
}

/* The long option argv[optind - 1] names: its full name when the
 * typed one, without an "=value", is one option's name or abbreviates
 * only one; else as typed. Sets *flag when that option takes no value,
 * and *ambiguous when the typed name abbreviates several. */
static const char *long_name(char *const *argv, const struct option *longopts,
	char *buf, size_t n, bool *flag, bool *ambiguous)
{
	const char *typed = argv[optind - 1] + 2;
	size_t len = strcspn(typed, "=");
	const struct option *found = NULL;
	int matches = 0;
	for (const struct option *o = longopts; o->name; o++) {
		if (strncmp(o->name, typed, len))
			continue;
		if (strlen(o->name) == len) {
			found = o, matches = 1;
			break;
		}
		found = o, matches++;
	}
	if (matches == 1) {
		*flag = found->has_arg == no_argument;
		snprintf(buf, n, "--%s", found->name);
	} else {
		*flag = false;
		*ambiguous = matches > 1;
		snprintf(buf, n, "--%.*s", (int)(len < n - 3 ? len : n - 3), typed);
	}
	return buf;
}

int gm_getopt(int argc, char *const *argv, const char *shortopts,
	const struct option *longopts, const char *usage)
{
	opterr = 0;
	int opt = getopt_long(argc, argv, shortopts, longopts, NULL);
	if (opt != '?' && opt != ':')
		return opt;
	/* A long option has moved optind past itself; a short one is
	 * named by optopt. */
	bool is_long = optind > 0 && optind <= argc && !strncmp(argv[optind - 1], "--", 2);
	bool flag = false, ambiguous = false;
	char name[64];
	if (is_long)
		long_name(argv, longopts, name, sizeof name, &flag, &ambiguous);
	else
		snprintf(name, sizeof name, "-%c", optopt);
	if (opt == ':')
		gm_usage_error(usage, "option %s needs a value", name);
	if (flag && strchr(argv[optind - 1], '='))
		gm_usage_error(usage, "option %s takes no value", name);
	gm_usage_error(usage, "%s option %s", ambiguous ? "ambiguous" : "unknown", name);
}

void gm_input_check(const struct gm_common *c, size_t nfiles, const char *usage)
{
	if (c->ntopics > 0 && nfiles > 0)
		gm_usage_error(usage, "read files or Kafka topics (-t), not both");
	if (c->ntopics == 0 && c->group)
		gm_usage_error(usage, "-G goes with -t (Kafka input)");
	if (c->ntopics == 0 && c->exit_eof)
		gm_usage_error(usage, "-e goes with -t (Kafka input)");
}

bool gm_input_follow(const struct gm_common *c, bool follow_files, const char *usage)
{
	if (follow_files && c->ntopics > 0)
		gm_usage_error(usage, "-f follows files: Kafka topics are followed unless -e");
	return c->ntopics > 0 ? !c->exit_eof : follow_files;
}

double gm_opt_number(const char *usage, const char *opt, const char *arg,
	double lo, double hi)
{
	char *end;
	errno = 0;
	double v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v >= lo && v <= hi))
		gm_usage_error(usage, "%s: expected a number from %g to %g, got %s", opt, lo, hi, arg);
	return v;
}

unsigned long long gm_opt_count(const char *usage, const char *opt,
	const char *arg, unsigned long long lo, unsigned long long hi)
{
	unsigned long long v;
	if (!gm_parse_u64(arg, &v) || v < lo || v > hi)
		gm_usage_error(usage, "%s: expected a whole number from %llu to %llu, got %s",
			opt, lo, hi, arg);
	return v;
}

/* ms as the shortest duration gm_parse_duration() reads back: "1d",
 * "90s", "250ms". */
static char *duration_text(long long ms, char *buf, size_t n)
{
	static const struct { long long ms; const char *unit; } units[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" },
	};
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (ms > 0 && ms % units[i].ms == 0) {
			snprintf(buf, n, "%lld%s", ms / units[i].ms, units[i].unit);
			return buf;
		}
	snprintf(buf, n, "%lldms", ms);
	return buf;
}

long long gm_opt_duration(const char *usage, const char *opt, const char *arg,
	bool zero_ok, long long max_ms)
{
	long long ms;
	if (!gm_parse_duration(arg, &ms) || (!zero_ok && ms == 0))
		gm_usage_error(usage, "%s: expected a duration like 500ms, 30s, 5m, 2h, 90d; got %s",
			opt, arg);
	char max[32];
	if (ms > max_ms)
		gm_usage_error(usage, "%s: at most %s, got %s", opt,
			duration_text(max_ms, max, sizeof max), arg);
	return ms;
}

int gm_exit_worse(int a, int b)
{
	if (a == GM_EXIT_FAIL || b == GM_EXIT_FAIL)
		return GM_EXIT_FAIL;
	return a ? a : b;
}

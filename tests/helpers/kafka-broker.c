/* kafka-broker: a Kafka cluster for tests and development, on
 * librdkafka's mock cluster.
 *
 *   kafka-broker [-n BROKERS] [-p PARTITIONS] [-t TOPIC]... [-P PORT]
 *                [-c CONTROL]
 *
 * Starts BROKERS brokers (default 1) listening on 127.0.0.1, creates each
 * TOPIC with PARTITIONS partitions (default 4), prints the bootstrap
 * servers as one line on stdout, and runs until SIGTERM or SIGINT, a
 * "quit" command, or end of file on the control channel. All data lives
 * in memory and is gone at exit. Other topics are created on first use
 * with 4 partitions (the mock's rule).
 *
 * The brokers listen on ports the kernel picks, new on every start; with
 * -P, on PORT, PORT+1, ... instead (exit 1 when one is taken).
 *
 * Not for volumes: each partition keeps only about 5 MiB (or 100,000
 * batches) and silently drops its oldest messages beyond that, with no
 * error to producer or consumer (a test of 200,000 messages on 4
 * partitions lost 30,000 so). Keep a test's volume per partition below
 * that, or consume as it is produced.
 *
 * CONTROL is a path (a FIFO) or "-" for stdin; without -c there is no
 * control channel. It takes one command a line and answers each, on
 * stdout, with "ok" or "error: WHY":
 *
 *   down N                      broker N refuses connections (-1: all)
 *   up N                        broker N accepts them again (-1: all)
 *   leader TOPIC PARTITION N    broker N leads the partition (-1: none)
 *   create TOPIC PARTITIONS     creates a topic
 *   rtt N MS                    broker N answers MS ms late (-1: all)
 *   errors API COUNT ERR        the next COUNT requests of API fail with
 *                               ERR; API is a number or a name (Produce,
 *                               Fetch, Metadata, ...), ERR a number or a
 *                               librdkafka error name (_TRANSPORT,
 *                               NOT_LEADER_FOR_PARTITION, ...)
 *   quit                        answers ok and exits
 *
 * Exit status 0, or 1 when the cluster cannot start, 2 on bad usage. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static const char usage[] =
	"usage: kafka-broker [-n BROKERS] [-p PARTITIONS] [-t TOPIC]... "
	"[-P PORT] [-c CONTROL]\n";

static volatile sig_atomic_t stop;

static void on_signal(int signo)
{
	stop = signo;
}

static void die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("kafka-broker: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(status);
}

/* librdkafka 2.0.2's mock cluster has each broker listen on a port the
 * kernel picks (it binds 127.0.0.1 port 0), with no way to ask for one.
 * For -P, this program's bind() stands in for the C library's: while
 * the cluster is being made (fixed_port set), a bind of an IPv4 socket
 * to port 0 gets fixed_port, then fixed_port + 1, and so on, one per
 * broker; any other bind is passed on unchanged. A port that cannot be
 * had ends the program here: librdkafka 2.0.2 aborts on an assertion
 * when it cleans up after a failed bind. */
static int fixed_port;
static int ports_given;

int bind(int fd, __CONST_SOCKADDR_ARG addr, socklen_t len)
{
	static int (*next_bind)(int, __CONST_SOCKADDR_ARG, socklen_t);
	if (!next_bind) {
		*(void **)&next_bind = dlsym(RTLD_NEXT, "bind");
		if (!next_bind)
			die(1, "bind: %s", dlerror());
	}
	/* addr is a pointer, or with _GNU_SOURCE a union of pointers. */
	const struct sockaddr *sa;
	memcpy(&sa, &addr, sizeof sa);
	struct sockaddr_in sin;
	if (!fixed_port || len != sizeof sin || sa->sa_family != AF_INET)
		return next_bind(fd, addr, len);
	memcpy(&sin, sa, sizeof sin);
	if (sin.sin_port != 0)
		return next_bind(fd, addr, len);
	int port = fixed_port + ports_given++;
	sin.sin_port = htons((uint16_t)port);
	if (next_bind(fd, (const struct sockaddr *)&sin, sizeof sin) < 0)
		die(1, "cannot listen on 127.0.0.1:%d: %s%s", port, strerror(errno),
			errno == EADDRINUSE ? " (another broker? pick another port)" : "");
	return 0;
}

/* Parses a whole decimal int in [min, max]. */
static bool parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

/* The Kafka protocol API keys the tests are likely to name. */
static const struct {
	const char *name;
	int16_t key;
} api_keys[] = {
	{ "Produce", 0 }, { "Fetch", 1 }, { "ListOffsets", 2 },
	{ "Metadata", 3 }, { "OffsetCommit", 8 }, { "OffsetFetch", 9 },
	{ "FindCoordinator", 10 }, { "JoinGroup", 11 }, { "Heartbeat", 12 },
	{ "LeaveGroup", 13 }, { "SyncGroup", 14 }, { "ApiVersions", 18 },
	{ "InitProducerId", 22 },
};

static bool parse_api_key(const char *s, int16_t *out)
{
	int v;
	for (size_t i = 0; i < sizeof api_keys / sizeof api_keys[0]; i++)
		if (strcasecmp(s, api_keys[i].name) == 0) {
			*out = api_keys[i].key;
			return true;
		}
	if (!parse_int(s, 0, INT16_MAX, &v))
		return false;
	*out = (int16_t)v;
	return true;
}

/* An error code as a number or as librdkafka names it (without the
 * RD_KAFKA_RESP_ERR_ prefix; a leading underscore marks local errors). */
static bool parse_error_code(const char *s, rd_kafka_resp_err_t *out)
{
	int v;
	if (parse_int(s, INT_MIN, INT_MAX, &v)) {
		*out = (rd_kafka_resp_err_t)v;
		return true;
	}
	const struct rd_kafka_err_desc *descs;
	size_t n;
	rd_kafka_get_err_descs(&descs, &n);
	for (size_t i = 0; i < n; i++)
		if (descs[i].name && strcasecmp(s, descs[i].name) == 0) {
			*out = descs[i].code;
			return true;
		}
	return false;
}

static void answer(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

static void answer_err(rd_kafka_resp_err_t err)
{
	if (err)
		answer("error: %s", rd_kafka_err2str(err));
	else
		answer("ok");
}

#define MAX_WORDS 8

/* Runs one command line (NUL-terminated, no newline) and answers it.
 * Returns false for quit. */
static bool command(rd_kafka_mock_cluster_t *mc, int replication,
	char *line)
{
	char *word[MAX_WORDS];
	int n = 0;
	for (char *save = NULL, *w = strtok_r(line, " \t\r", &save);
	     w; w = strtok_r(NULL, " \t\r", &save)) {
		if (n == MAX_WORDS) {
			answer("error: too many words");
			return true;
		}
		word[n++] = w;
	}
	if (n == 0)
		return true;  /* blank lines are not commands */

	const char *cmd = word[0];
	int a, b;
	if (strcmp(cmd, "quit") == 0 && n == 1) {
		answer("ok");
		return false;
	} else if ((strcmp(cmd, "down") == 0 || strcmp(cmd, "up") == 0)
	    && n == 2) {
		if (!parse_int(word[1], -1, INT32_MAX, &a))
			answer("error: bad broker id: %s", word[1]);
		else if (cmd[0] == 'd')
			answer_err(rd_kafka_mock_broker_set_down(mc, a));
		else
			answer_err(rd_kafka_mock_broker_set_up(mc, a));
	} else if (strcmp(cmd, "leader") == 0 && n == 4) {
		if (!parse_int(word[2], 0, INT32_MAX, &a)
		    || !parse_int(word[3], -1, INT32_MAX, &b))
			answer("error: usage: leader TOPIC PARTITION BROKER");
		else
			answer_err(rd_kafka_mock_partition_set_leader(mc,
				word[1], a, b));
	} else if (strcmp(cmd, "create") == 0 && n == 3) {
		if (!parse_int(word[2], 1, 100000, &a))
			answer("error: bad partition count: %s", word[2]);
		else
			answer_err(rd_kafka_mock_topic_create(mc, word[1], a,
				replication));
	} else if (strcmp(cmd, "rtt") == 0 && n == 3) {
		if (!parse_int(word[1], -1, INT32_MAX, &a)
		    || !parse_int(word[2], 0, INT_MAX, &b))
			answer("error: usage: rtt BROKER MS");
		else
			answer_err(rd_kafka_mock_broker_set_rtt(mc, a, b));
	} else if (strcmp(cmd, "errors") == 0 && n == 4) {
		int16_t api;
		rd_kafka_resp_err_t code;
		if (!parse_api_key(word[1], &api))
			answer("error: bad API key: %s", word[1]);
		else if (!parse_int(word[2], 1, 10000, &a))
			answer("error: bad count: %s", word[2]);
		else if (!parse_error_code(word[3], &code))
			answer("error: bad error code: %s", word[3]);
		else {
			rd_kafka_resp_err_t *codes = calloc((size_t)a,
				sizeof *codes);
			if (!codes)
				die(1, "out of memory");
			for (int i = 0; i < a; i++)
				codes[i] = code;
			rd_kafka_mock_push_request_errors_array(mc, api,
				(size_t)a, codes);
			free(codes);
			answer("ok");
		}
	} else {
		answer("error: unknown command or wrong arguments: %s", cmd);
	}
	return true;
}

/* Reads commands from fd until quit, end of file or a signal. */
static void serve(rd_kafka_mock_cluster_t *mc, int replication, int fd)
{
	char buf[4096];
	size_t have = 0;
	for (;;) {
		if (stop)
			return;
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int r = poll(&pfd, 1, 500);
		if (r < 0 && errno != EINTR)
			die(1, "control channel: %s", strerror(errno));
		if (r <= 0)
			continue;
		ssize_t got = read(fd, buf + have, sizeof buf - 1 - have);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			die(1, "control channel: %s", strerror(errno));
		}
		if (got == 0)
			return;
		have += (size_t)got;
		char *line = buf, *nl;
		while ((nl = memchr(line, '\n', have - (size_t)(line - buf)))) {
			*nl = '\0';
			if (!command(mc, replication, line))
				return;
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
		if (have == sizeof buf - 1) {
			answer("error: line too long");
			have = 0;
		}
	}
}

/* Waits for a signal when there is no control channel. */
static void wait_for_signal(void)
{
	while (!stop)
		poll(NULL, 0, 500);
}

int main(int argc, char **argv)
{
	int nbrokers = 1, partitions = 4, port = 0, opt;
	const char *control = NULL;
	const char **topics = calloc((size_t)argc, sizeof *topics);
	size_t ntopics = 0;
	if (!topics)
		die(1, "out of memory");

	while ((opt = getopt(argc, argv, "hn:p:t:P:c:")) != -1) {
		switch (opt) {
		case 'n':
			if (!parse_int(optarg, 1, 64, &nbrokers))
				die(2, "bad broker count: %s", optarg);
			break;
		case 'p':
			if (!parse_int(optarg, 1, 100000, &partitions))
				die(2, "bad partition count: %s", optarg);
			break;
		case 't':
			topics[ntopics++] = optarg;
			break;
		case 'P':
			if (!parse_int(optarg, 1, 65535, &port))
				die(2, "bad port: %s", optarg);
			break;
		case 'c':
			control = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fputs(usage, stderr);
		return 2;
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* The cluster lives on a client handle that is never used for
	 * anything else; log_level 4 hides its notice that it has no
	 * bootstrap servers. */
	char errstr[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr))
		die(1, "%s", errstr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
		sizeof errstr);
	if (!rk)
		die(1, "%s", errstr);
	if (port && port + nbrokers - 1 > 65535)
		die(2, "ports %d to %d: past 65535", port, port + nbrokers - 1);
	fixed_port = port;
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, nbrokers);
	fixed_port = 0;
	if (!mc)
		die(1, "cannot create the mock cluster");
	if (port && ports_given != nbrokers)
		die(1, "the mock cluster made %d listeners, not %d: cannot place them on port %d",
			ports_given, nbrokers, port);
	int replication = nbrokers < 3 ? nbrokers : 3;
	for (size_t i = 0; i < ntopics; i++) {
		rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc,
			topics[i], partitions, replication);
		if (err)
			die(1, "%s: %s", topics[i], rd_kafka_err2str(err));
	}

	answer("%s", rd_kafka_mock_cluster_bootstraps(mc));

	/* Opening a FIFO waits for its first writer; a signal ends that. */
	int fd = -1;
	if (control && strcmp(control, "-") == 0)
		fd = STDIN_FILENO;
	else if (control && (fd = open(control, O_RDONLY | O_CLOEXEC)) < 0
	    && !(errno == EINTR && stop))
		die(1, "%s: %s", control, strerror(errno));

	if (fd >= 0)
		serve(mc, replication, fd);
	else if (!control)
		wait_for_signal();

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	free(topics);
	return 0;
}

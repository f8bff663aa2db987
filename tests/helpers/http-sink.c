/* http-sink: a webhook receiver for benchmarks, fast enough that the
 * sender is what is measured (a Python one was the bound of gm-notify's
 * figure: about 1 MB a notification, read in Python).
 *
 *   http-sink [LOG]
 *
 * Listens on a free port of 127.0.0.1 and prints it on a line of its
 * own; answers 200 with an empty body to every request, its body read
 * and dropped. With LOG, appends a line per request to that file: the
 * CLOCK_MONOTONIC seconds its headers arrived (%.6f), the client (its
 * User-Agent up to the first "/", or "-") and the alert_ids of its body
 * ("alert_id":"..." anywhere in it), comma-separated, an id as often as
 * it appears. Runs until a signal ends it; exit status 1 when it cannot
 * start. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "text.h"

static FILE *logf;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

/* One request: when its headers came, its client, and its body when
 * there is a log to write it to. */
struct request {
	double arrived;
	char agent[64];
	struct gm_text body;
};

static double monotonic_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Writes r's line: the ids are scanned for once the body is whole, as a
 * chunk may end inside one. */
static void log_request(const struct request *r)
{
	static const char mark[] = "\"alert_id\":\"";
	const char *p = r->body.p, *end = p + r->body.n;
	pthread_mutex_lock(&log_lock);
	fprintf(logf, "%.6f %s ", r->arrived, r->agent);
	const char *sep = "";
	while (p < end) {
		const char *m = memmem(p, (size_t)(end - p), mark, sizeof mark - 1);
		if (!m)
			break;
		const char *id = m + sizeof mark - 1;
		const char *q = memchr(id, '"', (size_t)(end - id));
		if (!q)
			break;
		fprintf(logf, "%s%.*s", sep, (int)(q - id), id);
		sep = ",";
		p = q + 1;
	}
	fputc('\n', logf);
	fflush(logf);
	pthread_mutex_unlock(&log_lock);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
	const char *method, const char *version, const char *data, size_t *size, void **ctx)
{
	(void)cls, (void)url, (void)method, (void)version;
	struct request *r = *ctx;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->arrived = monotonic_s();
		const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
		size_t n = ua ? strcspn(ua, "/") : 0;
		if (n >= sizeof r->agent)
			n = sizeof r->agent - 1;
		memcpy(r->agent, ua && n ? ua : "-", ua && n ? n : 1);
		*ctx = r;
		return MHD_YES;
	}
	if (*size) {
		if (logf)
			gm_text_add(&r->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	if (logf)
		log_request(r);
	struct MHD_Response *res = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, res);
	MHD_destroy_response(res);
	return ok;
}

static void done(void *cls, struct MHD_Connection *c, void **ctx, enum MHD_RequestTerminationCode why)
{
	(void)cls, (void)c, (void)why;
	struct request *r = *ctx;
	if (r) {
		free(r->body.p);
		free(r);
	}
	*ctx = NULL;
}

int main(int argc, char **argv)
{
	if (argc > 2) {
		fputs("usage: http-sink [LOG]\n", stderr);
		return 2;
	}
	if (argc == 2 && !(logf = fopen(argv[1], "a"))) {
		perror(argv[1]);
		return 1;
	}
	struct sockaddr_in at = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL,
		0, NULL, NULL, answer, NULL,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&at,
		MHD_OPTION_NOTIFY_COMPLETED, done, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, 0u, MHD_OPTION_END);
	const union MHD_DaemonInfo *port = d ? MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!port) {
		fputs("http-sink: cannot listen on 127.0.0.1\n", stderr);
		return 1;
	}
	printf("%u\n", port->port);
	fflush(stdout);
	for (;;)
		pause();
}

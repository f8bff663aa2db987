/* serve: /metrics over HTTP; see serve.h. */
#include "serve.h"

#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mem.h"

struct serve {
	struct MHD_Daemon *d;
	pthread_mutex_t lock;
	char *page;            /* NULL before the first serve_set() */
	size_t n;
};

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned status, const char *type,
	const char *body, size_t n, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body, mode);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *upload, size_t *upload_size,
	void **req)
{
	(void)version, (void)upload, (void)upload_size, (void)req;
	struct serve *s = cls;
	static const char text[] = "text/plain; charset=utf-8";
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		static const char m[] = "only GET and HEAD\n";
		return answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, m, sizeof m - 1,
			MHD_RESPMEM_PERSISTENT);
	}
	if (!strcmp(url, "/")) {
		static const char m[] = "gm-metrics: the metrics are at /metrics\n";
		return answer(conn, MHD_HTTP_OK, text, m, sizeof m - 1, MHD_RESPMEM_PERSISTENT);
	}
	if (strcmp(url, "/metrics")) {
		static const char m[] = "not found: the metrics are at /metrics\n";
		return answer(conn, MHD_HTTP_NOT_FOUND, text, m, sizeof m - 1, MHD_RESPMEM_PERSISTENT);
	}
	pthread_mutex_lock(&s->lock);
	char *copy = s->page ? gm_xcalloc(1, s->n ? s->n : 1) : NULL;
	size_t n = s->n;
	if (copy)
		memcpy(copy, s->page, n);
	pthread_mutex_unlock(&s->lock);
	if (!copy) {
		static const char m[] = "no collection yet\n";
		return answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE, text, m, sizeof m - 1,
			MHD_RESPMEM_PERSISTENT);
	}
	return answer(conn, MHD_HTTP_OK, CONTENT_TYPE, copy, n, MHD_RESPMEM_MUST_FREE);
}

struct serve *serve_start(const char *addr)
{
	const char *colon = strrchr(addr, ':');
	if (!colon || !colon[1]) {
		gm_error(NULL, "--listen %s: expected HOST:PORT or :PORT", addr);
		return NULL;
	}
	char host[256];
	size_t hn = (size_t)(colon - addr);
	if (hn >= sizeof host) {
		gm_error(NULL, "--listen %s: the host is too long", addr);
		return NULL;
	}
	memcpy(host, addr, hn);
	host[hn] = '\0';
	if (hn >= 2 && host[0] == '[' && host[hn - 1] == ']') {
		memmove(host, host + 1, hn - 2);
		host[hn - 2] = '\0';
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai;
	int err = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &ai);
	if (err) {
		gm_error(NULL, "--listen %s: %s", addr, gai_strerror(err));
		return NULL;
	}
	struct serve *s = gm_xcalloc(1, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6 | (*host ? 0 : MHD_USE_DUAL_STACK);
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, handle, s,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!s->d) {
		gm_error(NULL, "--listen %s: cannot listen there (in use, or not an address of this host?)",
			addr);
		pthread_mutex_destroy(&s->lock);
		free(s);
		return NULL;
	}
	return s;
}

void serve_set(struct serve *s, const char *text, size_t n)
{
	char *page = gm_xcalloc(1, n ? n : 1);
	memcpy(page, text, n);
	pthread_mutex_lock(&s->lock);
	char *old = s->page;
	s->page = page;
	s->n = n;
	pthread_mutex_unlock(&s->lock);
	free(old);
}

void serve_stop(struct serve *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	pthread_mutex_destroy(&s->lock);
	free(s->page);
	free(s);
}

/* httpd: HTTP servers over libmicrohttpd; see httpd.h. */
#include "httpd.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cli.h"
#include "mem.h"

struct gm_httpd {
	struct MHD_Daemon *d;
	gm_httpd_handler handler;
	void *ctx;
};

bool gm_httpd_split(const char *addr, char *host, size_t hostn, char *port, size_t portn,
	const char **why)
{
	/* The last ':': an IPv6 address has its own, in brackets or not. */
	const char *colon = strrchr(addr, ':');
	if (!colon) {
		*why = "expected HOST:PORT, [V6ADDR]:PORT or :PORT";
		return false;
	}
	const char *p = colon + 1;
	size_t pn = strlen(p);
	if (pn == 0 || pn > 5 || strspn(p, "0123456789") != pn || atoi(p) > 65535) {
		*why = "the port is not a number from 0 to 65535";
		return false;
	}
	const char *h = addr;
	size_t hn = (size_t)(colon - addr);
	if (hn >= 2 && h[0] == '[' && h[hn - 1] == ']')
		h++, hn -= 2;
	if (memchr(h, '[', hn) || memchr(h, ']', hn)) {
		*why = "an IPv6 address goes in brackets, whole: [V6ADDR]:PORT";
		return false;
	}
	if (hn >= hostn || pn >= portn) {
		*why = "the host is too long";
		return false;
	}
	memcpy(host, h, hn);
	host[hn] = '\0';
	memcpy(port, p, pn + 1);
	return true;
}

/* The addresses ADDR names, as gm_httpd_start() binds it (the first),
 * *any set for ":PORT"; freeaddrinfo() them. NULL when it does not
 * split or resolve, after gm_error() unless quiet. */
static struct addrinfo *resolve(const char *addr, bool *any, bool quiet)
{
	char host[256], port[8];
	const char *why;
	if (!gm_httpd_split(addr, host, sizeof host, port, sizeof port, &why)) {
		if (!quiet)
			gm_error(NULL, "--listen %s: %s", addr, why);
		return NULL;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai;
	int err = getaddrinfo(*host ? host : NULL, port, &hints, &ai);
	if (err) {
		if (!quiet)
			gm_error(NULL, "--listen %s: %s", addr, gai_strerror(err));
		return NULL;
	}
	*any = !*host;
	return ai;
}

static bool loopback_sockaddr(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

bool gm_httpd_loopback(const char *addr)
{
	bool any;
	struct addrinfo *ai = resolve(addr, &any, true);
	if (!ai)
		return false;
	bool loopback = !any;
	for (struct addrinfo *a = ai; loopback && a; a = a->ai_next)
		loopback = loopback_sockaddr(a->ai_addr);
	freeaddrinfo(ai);
	return loopback;
}

/* The URI as it came, before libmicrohttpd parses and decodes it: kept
 * as the request's own (its *req_cls) until the request completes. */
static void *keep_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls, (void)conn;
	return gm_xstrdup(uri ? uri : "");
}

static void request_done(void *cls, struct MHD_Connection *conn, void **req_cls,
	enum MHD_RequestTerminationCode why)
{
	(void)cls, (void)conn, (void)why;
	free(*req_cls);
	*req_cls = NULL;
}

static enum MHD_Result dispatch(void *cls, struct MHD_Connection *conn, const char *url,
	const char *method, const char *version, const char *upload, size_t *upload_size,
	void **req_cls)
{
	(void)version, (void)upload, (void)upload_size;
	struct gm_httpd *d = cls;
	struct gm_httpd_req req = { conn, method, url, *req_cls ? *req_cls : url };
	return d->handler(d->ctx, &req);
}

struct gm_httpd *gm_httpd_start(const char *addr, unsigned threads, gm_httpd_handler handler,
	void *ctx)
{
	bool any;
	struct addrinfo *ai = resolve(addr, &any, false);
	if (!ai)
		return NULL;
	struct gm_httpd *d = gm_xcalloc(1, sizeof *d);
	d->handler = handler;
	d->ctx = ctx;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY;
	/* ":PORT" resolved to IPv6's every address: IPv4's too. */
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6 | (any ? MHD_USE_DUAL_STACK : 0);
	d->d = MHD_start_daemon(flags, 0, NULL, NULL, dispatch, d,
		MHD_OPTION_SOCK_ADDR, ai->ai_addr,
		MHD_OPTION_URI_LOG_CALLBACK, keep_uri, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		MHD_OPTION_THREAD_POOL_SIZE, threads > 1 ? threads : 0u,
		MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!d->d) {
		gm_error(NULL, "--listen %s: cannot listen there (in use, or not an address of this host?)",
			addr);
		free(d);
		return NULL;
	}
	return d;
}

void gm_httpd_stop(struct gm_httpd *d)
{
	if (!d)
		return;
	MHD_stop_daemon(d->d);
	free(d);
}

bool gm_httpd_readonly(const char *method)
{
	return !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
}

enum MHD_Result gm_httpd_answer(struct MHD_Connection *conn, unsigned status, const char *type,
	const char *body, size_t n, enum MHD_ResponseMemoryMode mode, const char *const *headers)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free((void *)body);
		return MHD_NO;
	}
	bool ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_YES &&
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_YES &&
		MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_YES;
	if (ok && status == MHD_HTTP_METHOD_NOT_ALLOWED)
		ok = MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD") == MHD_YES;
	for (size_t i = 0; ok && headers && headers[i]; i += 2)
		ok = MHD_add_response_header(r, headers[i], headers[i + 1]) == MHD_YES;
	/* A header short of memory: no answer rather than one without it. */
	enum MHD_Result ret = ok ? MHD_queue_response(conn, status, r) : MHD_NO;
	MHD_destroy_response(r);
	return ret;
}

const char *gm_httpd_client(struct MHD_Connection *conn, char *buf, size_t n)
{
	const union MHD_ConnectionInfo *info =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = info ? info->client_addr : NULL;
	socklen_t len = !sa ? 0 : sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
		sizeof(struct sockaddr_in);
	if (!sa || getnameinfo(sa, len, buf, (socklen_t)n, NULL, 0, NI_NUMERICHOST) != 0)
		snprintf(buf, n, "?");
	return buf;
}

/* serve: gm-report --listen's HTTP side; see serve.h. */
#include "serve.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "assets.h"
#include "cli.h"
#include "httpd.h"
#include "mem.h"
#include "page.h"
#include "text.h"
#include "writer.h"

#define JSON "application/json; charset=utf-8"
#define API "/api/v1/"

/* The threads that answer at once, at most: an answer is computed from
 * the data, the CPU's work. */
#define MAX_THREADS 8

/* The bytes of a request line and of a message that a log line shows,
 * at most. */
#define LOG_CUT 200

/* The answers kept, at most, and the largest kept: the same few
 * requests come again and again (every open page asks the same), and
 * an answer is the same until the data change; a year's KPIs take a
 * few ms to add up. */
#define ANSWER_SLOTS 512
#define ANSWER_MAX (64 * 1024)

/* A 200 answer kept, by the request's URI as it came. */
struct kept_answer {
	char *uri, *body;
	size_t n;
};

/* The data served: a query, its answers kept, and the requests
 * answering from it. */
struct held {
	struct query *q;
	unsigned refs;  /* the server's own (while current) and each request's */
	pthread_mutex_t kept_lock;
	struct kept_answer kept[ANSWER_SLOTS];  /* by the URI's hash */
};

static struct held *held_new(struct query *q)
{
	struct held *h = gm_xcalloc(1, sizeof *h);
	h->q = q;
	h->refs = 1;
	pthread_mutex_init(&h->kept_lock, NULL);
	return h;
}

static void held_free(struct held *h)
{
	query_free(h->q);
	for (size_t i = 0; i < ANSWER_SLOTS; i++) {
		free(h->kept[i].uri);
		free(h->kept[i].body);
	}
	pthread_mutex_destroy(&h->kept_lock);
	free(h);
}

static size_t uri_slot(const char *uri)
{
	uint64_t x = 1469598103934665603u;  /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)uri; *p; p++)
		x = (x ^ *p) * 1099511628211u;
	return (size_t)(x % ANSWER_SLOTS);
}

/* Answers req with the answer kept for its URI, copied into the
 * response while the slot cannot change; false when none is kept. */
static bool answer_kept(struct held *h, const struct gm_httpd_req *req, enum MHD_Result *ret)
{
	struct kept_answer *k = &h->kept[uri_slot(req->uri)];
	pthread_mutex_lock(&h->kept_lock);
	bool kept = k->uri && !strcmp(k->uri, req->uri);
	if (kept)
		*ret = gm_httpd_answer(req->conn, MHD_HTTP_OK, JSON, k->body, k->n,
			MHD_RESPMEM_MUST_COPY, NULL);
	pthread_mutex_unlock(&h->kept_lock);
	return kept;
}

/* Keeps the answer w holds for uri, in place of what its slot kept. */
static void keep_answer(struct held *h, const char *uri, const struct gm_writer *w)
{
	size_t n;
	const char *body = gm_writer_data(w, &n);
	if (n > ANSWER_MAX)
		return;
	char *u = gm_xstrdup(uri), *b = gm_xcalloc(1, n ? n : 1);
	memcpy(b, body, n);
	struct kept_answer *k = &h->kept[uri_slot(uri)];
	pthread_mutex_lock(&h->kept_lock);
	char *old_uri = k->uri, *old_body = k->body;
	*k = (struct kept_answer){ u, b, n };
	pthread_mutex_unlock(&h->kept_lock);
	free(old_uri);
	free(old_body);
}

struct report_serve {
	struct gm_httpd *d;
	char *token;            /* NULL: no token asked */
	bool loopback_names;    /* answer only requests whose Host is loopback */
	size_t token_n;
	char *page;             /* the page, its data null */
	size_t page_n;
	pthread_mutex_t lock;   /* guards cur and every refs */
	struct held *cur;
};

/* The data served now, held until drop(). */
static struct held *hold(struct report_serve *s)
{
	pthread_mutex_lock(&s->lock);
	struct held *h = s->cur;
	h->refs++;
	pthread_mutex_unlock(&s->lock);
	return h;
}

static void drop(struct report_serve *s, struct held *h)
{
	pthread_mutex_lock(&s->lock);
	bool last = --h->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		held_free(h);
}

/* The log line of a 4xx: "gm-report: CLIENT: METHOD URI: STATUS why",
 * the request line and why each cut to LOG_CUT bytes. */
static void log_refusal(const struct gm_httpd_req *req, unsigned status, const char *why)
{
	char client[64], line[LOG_CUT + 16 + LOG_CUT + 1];
	/* the client's bytes with their '\\' escaped too; ours have theirs
	 * escaped already (query.c) */
	size_t len = gm_escape_bytes(line, 0, LOG_CUT, req->method, strlen(req->method), "\\", NULL);
	len = gm_escape_bytes(line, len, LOG_CUT, " ", 1, "", NULL);
	len = gm_escape_bytes(line, len, LOG_CUT, req->uri, strlen(req->uri), "\\", NULL);
	len += (size_t)snprintf(line + len, 16, ": %u ", status);
	gm_escape_bytes(line, len, len + LOG_CUT, why, strlen(why), "", NULL);
	gm_error(gm_httpd_client(req->conn, client, sizeof client), "%s", line);
}

/* Answers the JSON w holds with status, and closes w; a 4xx is logged
 * with why. */
static enum MHD_Result send_json(const struct gm_httpd_req *req, unsigned status,
	struct gm_writer *w, const char *why, const char *const *headers)
{
	size_t n;
	const char *body = gm_writer_data(w, &n);
	enum MHD_Result ret = gm_httpd_answer(req->conn, status, JSON, body, n,
		MHD_RESPMEM_MUST_COPY, headers);
	gm_writer_close(w);
	if (status >= 400 && status < 500)
		log_refusal(req, status, why);
	return ret;
}

/* Answers an error of ours: the API's error body, and the log line of
 * a 4xx. */
static enum MHD_Result refuse(const struct gm_httpd_req *req, unsigned status, const char *why,
	const char *const *headers)
{
	struct gm_writer *w = gm_writer_mem();
	query_error(w, status, why);
	return send_json(req, status, w, why, headers);
}

/* Whether a and b, the first of a secret's length, are the same bytes,
 * in a time that tells nothing of where they differ (the token's
 * length aside). */
static bool same_secret(const char *got, size_t got_n, const char *want, size_t want_n)
{
	volatile unsigned char diff = got_n != want_n;
	for (size_t i = 0; i < want_n; i++)
		diff |= (unsigned char)want[i] ^ (unsigned char)(i < got_n ? got[i] : 0);
	return diff == 0;
}

/* Whether req carries "Authorization: Bearer TOKEN" of s's token (the
 * scheme's name in any case, RFC 7235); why otherwise. */
static bool authorized(const struct report_serve *s, const struct gm_httpd_req *req,
	const char **why)
{
	const char *v = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
		MHD_HTTP_HEADER_AUTHORIZATION);
	if (!v || strncasecmp(v, "Bearer ", 7)) {
		*why = "a token is needed: Authorization: Bearer TOKEN";
		return false;
	}
	v += 7;
	v += strspn(v, " ");
	size_t n = strlen(v);
	while (n && v[n - 1] == ' ')
		n--;
	if (!same_secret(v, n, s->token, s->token_n)) {
		*why = "wrong token";
		return false;
	}
	return true;
}

/* The query-string parameters, as they came. */
struct args {
	struct query_arg *v;
	size_t n, cap;
};

static enum MHD_Result collect(void *cls, enum MHD_ValueKind kind, const char *key,
	const char *value)
{
	(void)kind;
	struct args *a = cls;
	if (a->n < a->cap)
		a->v[a->n++] = (struct query_arg){ key, value };
	return MHD_YES;
}

/* /api/v1/ENDPOINT, answered by query, or as it answered the same
 * request on the same data. */
static enum MHD_Result api(struct report_serve *s, const struct gm_httpd_req *req,
	const char *endpoint)
{
	struct held *h = hold(s);
	enum MHD_Result ret;
	if (answer_kept(h, req, &ret)) {
		drop(s, h);
		return ret;
	}
	int count = MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, NULL, NULL);
	struct args a = { NULL, 0, count > 0 ? (size_t)count : 0 };
	a.v = gm_xcalloc(a.cap ? a.cap : 1, sizeof *a.v);
	MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect, &a);
	struct gm_writer *w = gm_writer_mem();
	char why[256] = "";
	unsigned status = query_answer(h->q, endpoint, a.v, a.n, w, why, sizeof why);
	if (status == MHD_HTTP_OK)
		keep_answer(h, req->uri, w);
	drop(s, h);
	free(a.v);
	return send_json(req, status, w, why, NULL);
}

/* Whether uri holds "%00": decoded, a NUL byte, which would cut a
 * parameter or the path short where it is. */
static bool has_nul(const char *uri)
{
	for (const char *p = strchr(uri, '%'); p; p = strchr(p + 1, '%'))
		if (p[1] == '0' && p[2] == '0')
			return true;
	return false;
}

/* Whether the request's Host names this machine's loopback: localhost,
 * 127.0.0.0/8 or [::1], with any port, or is absent (HTTP/1.0, which
 * no browser sends). A page elsewhere whose name an attacker points at
 * 127.0.0.1 (DNS rebinding) sends its own name, and is refused. */
static bool loopback_host(struct MHD_Connection *conn)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	if (!host)
		return true;
	char name[256];
	const char *end;
	if (host[0] == '[') {
		host++;
		end = strchr(host, ']');
	} else {
		end = strchr(host, ':');
	}
	size_t n = end ? (size_t)(end - host) : strlen(host);
	if (n == 0 || n >= sizeof name)
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	if (!strcasecmp(name, "localhost"))
		return true;
	struct in_addr v4;
	struct in6_addr v6;
	if (inet_pton(AF_INET, name, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return inet_pton(AF_INET6, name, &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

static enum MHD_Result handle(void *cls, const struct gm_httpd_req *req)
{
	struct report_serve *s = cls;
	bool is_api = !strncmp(req->path, API, strlen(API));
	const char *why;
	/* The token first: without it, an API request learns nothing, not
	 * even which of its faults is refused. */
	if (is_api && s->token && !authorized(s, req, &why)) {
		static const char *const challenge[] = {
			MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"gm-report\"", NULL
		};
		return refuse(req, MHD_HTTP_UNAUTHORIZED, why, challenge);
	}
	if (s->loopback_names && !loopback_host(req->conn))
		return refuse(req, MHD_HTTP_FORBIDDEN, "the Host is not a loopback name: without "
			"--token-file or --no-auth only localhost, 127.0.0.0/8 and [::1] are answered", NULL);
	if (!gm_httpd_readonly(req->method))
		return refuse(req, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD", NULL);
	if (has_nul(req->uri))
		return refuse(req, MHD_HTTP_BAD_REQUEST, "a NUL byte (%00) in the request", NULL);
	if (is_api)
		return api(s, req, req->path + strlen(API));
	if (!strcmp(req->path, "/"))
		return gm_httpd_answer(req->conn, MHD_HTTP_OK, "text/html; charset=utf-8", s->page,
			s->page_n, MHD_RESPMEM_PERSISTENT, NULL);
	/* What the API is, for anyone: it holds no data. */
	if (!strcmp(req->path, "/openapi.json"))
		return gm_httpd_answer(req->conn, MHD_HTTP_OK, JSON, report_openapi, report_openapi_len,
			MHD_RESPMEM_PERSISTENT, NULL);
	return refuse(req, MHD_HTTP_NOT_FOUND,
		"no such page: the dashboard is at /, its data under " API, NULL);
}

struct report_serve *report_serve_start(const char *addr, const char *token, bool loopback_names,
	struct query *q)
{
	struct report_serve *s = gm_xcalloc(1, sizeof *s);
	s->loopback_names = loopback_names;
	pthread_mutex_init(&s->lock, NULL);
	if (token) {
		s->token = gm_xstrdup(token);
		s->token_n = strlen(token);
	}
	struct gm_writer *w = gm_writer_mem();
	report_page(w, "null", 4);
	s->page = gm_writer_take(w, &s->page_n);
	s->cur = held_new(q);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (unsigned)cpus;
	s->d = gm_httpd_start(addr, threads, handle, s);
	if (!s->d) {
		report_serve_stop(s);
		return NULL;
	}
	return s;
}

void report_serve_set(struct report_serve *s, struct query *q)
{
	struct held *h = held_new(q);
	pthread_mutex_lock(&s->lock);
	struct held *old = s->cur;
	s->cur = h;
	pthread_mutex_unlock(&s->lock);
	drop(s, old);
}

void report_serve_stop(struct report_serve *s)
{
	if (!s)
		return;
	gm_httpd_stop(s->d);  /* no request runs after it */
	drop(s, s->cur);
	pthread_mutex_destroy(&s->lock);
	if (s->token)
		explicit_bzero(s->token, s->token_n);
	free(s->token);
	free(s->page);
	free(s);
}

/* serve: /metrics over HTTP; see serve.h. */
#include "serve.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "httpd.h"
#include "mem.h"

struct serve {
	struct gm_httpd *d;
	pthread_mutex_t lock;
	char *page;            /* NULL before the first serve_set() */
	size_t n;
};

#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A line of text, ours, for the answers that are no page. */
static enum MHD_Result say(struct MHD_Connection *conn, unsigned status, const char *text)
{
	return gm_httpd_answer(conn, status, "text/plain; charset=utf-8", text, strlen(text),
		MHD_RESPMEM_PERSISTENT, NULL);
}

static enum MHD_Result handle(void *cls, const struct gm_httpd_req *req)
{
	struct serve *s = cls;
	if (!gm_httpd_readonly(req->method))
		return say(req->conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (!strcmp(req->path, "/"))
		return say(req->conn, MHD_HTTP_OK, "gm-metrics: the metrics are at /metrics\n");
	if (strcmp(req->path, "/metrics"))
		return say(req->conn, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n");
	pthread_mutex_lock(&s->lock);
	char *copy = s->page ? gm_xcalloc(1, s->n ? s->n : 1) : NULL;
	size_t n = s->n;
	if (copy)
		memcpy(copy, s->page, n);
	pthread_mutex_unlock(&s->lock);
	if (!copy)
		return say(req->conn, MHD_HTTP_SERVICE_UNAVAILABLE, "no collection yet\n");
	return gm_httpd_answer(req->conn, MHD_HTTP_OK, CONTENT_TYPE, copy, n, MHD_RESPMEM_MUST_FREE,
		NULL);
}

struct serve *serve_start(const char *addr)
{
	struct serve *s = gm_xcalloc(1, sizeof *s);
	pthread_mutex_init(&s->lock, NULL);
	s->d = gm_httpd_start(addr, 1, handle, s);
	if (!s->d) {
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
	gm_httpd_stop(s->d);
	pthread_mutex_destroy(&s->lock);
	free(s->page);
	free(s);
}

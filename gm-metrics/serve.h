/* serve: the exposition over HTTP, GET /metrics, by lib/httpd in a
 * thread of its own; the page it serves is the last one handed over. */
#ifndef GM_METRICS_SERVE_H
#define GM_METRICS_SERVE_H

#include <stddef.h>

struct serve;

/* Listens on addr, "HOST:PORT" (HOST a name or an address, IPv6 in
 * brackets) or ":PORT" (every address), and serves: GET or HEAD
 * /metrics, the page (text/plain; version=0.0.4), 503 until the first
 * serve_set(); / a line naming /metrics; any other path 404; another
 * method 405; each with lib/httpd's headers (no caching). Returns NULL
 * after gm_error() when it cannot listen. */
struct serve *serve_start(const char *addr);

/* The page from now on (copied). */
void serve_set(struct serve *s, const char *text, size_t n);

/* Stops listening, ends the requests in progress, frees s. */
void serve_stop(struct serve *s);

#endif

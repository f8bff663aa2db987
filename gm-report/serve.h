/* serve: gm-report --listen's HTTP side (gm-report(1), SERVING), over
 * lib/httpd: the page with no data in it at /, the OpenAPI document at
 * /openapi.json, and the API under /api/v1/, each request's answer
 * computed by query (query.h) from the data served at that moment,
 * which report_serve_set() replaces whole. A bearer token, when one is
 * set, guards /api/v1/ (the page and the document hold no data). Every
 * error is JSON, and every 4xx is logged on stderr, one line. */
#ifndef GM_REPORT_SERVE_H
#define GM_REPORT_SERVE_H

#include <stdbool.h>

#include "query.h"

struct report_serve;

/* Listens on addr (lib/httpd.h's --listen ADDR) and serves q, handed
 * over. token: NULL, or what every /api/v1/ request must carry as
 * "Authorization: Bearer TOKEN" (copied), else 401. loopback_names:
 * a request whose Host header is not a loopback name (localhost,
 * 127.0.0.0/8, [::1]) is refused 403, so that a web page whose name
 * was pointed at this machine cannot read the data (the default
 * without a token or --no-auth). Returns NULL after gm_error() when it
 * cannot listen, q freed. */
struct report_serve *report_serve_start(const char *addr, const char *token, bool loopback_names,
	struct query *q);

/* Serves q, handed over, from now on: a request that began with the
 * data before answers from them, which are freed once the last such
 * request is answered. */
void report_serve_set(struct report_serve *s, struct query *q);

/* Stops listening, waits for the requests in progress and frees s and
 * the data it serves. NULL is allowed. */
void report_serve_stop(struct report_serve *s);

#endif

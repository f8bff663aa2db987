/* query: the API of `gm-report --listen` (gm-report(1), ENDPOINTS):
 * the numbers of the page's sections for a filter given as query
 * parameters, computed from the page's own data (gm-report(1), DATA) as
 * the page computes them (page/report.js, computeModel), so that what
 * the API answers and what the page shows are the same numbers. It sees
 * the data and the parameters, never a socket or a warehouse. */
#ifndef GM_REPORT_QUERY_H
#define GM_REPORT_QUERY_H

#include <stddef.h>

#include "writer.h"

/* The rows a list answers at most, and by default. */
#define QUERY_LIMIT_MAX 1000
#define QUERY_LIMIT_DEFAULT 100

struct query;

/* The data json[0..n) decoded for answering; the bytes are copied (the
 * "data" endpoint answers them). NULL, with why in err, when they are
 * not the page's data (a bug, never a user's input). Immutable once
 * made: threads may answer from it at once. */
struct query *query_new(const char *json, size_t n, char *err, size_t errn);
void query_free(struct query *q);  /* NULL is allowed */

/* A query-string parameter; value NULL when it came without '='. */
struct query_arg {
	const char *key, *value;
};

/* Answers GET /api/v1/<endpoint> with the parameters args[0..nargs)
 * (as they came, a key twice too): writes the JSON body into w and
 * returns the HTTP status. An unknown endpoint is 404, a parameter
 * that is unknown, repeated, without a value or not valid is 400; each
 * with the body {"error":{"status":N,"message":"..."}} and the message
 * in why (NUL-terminated, cut to whyn). Never fails otherwise. */
unsigned query_answer(const struct query *q, const char *endpoint, const struct query_arg *args,
	size_t nargs, struct gm_writer *w, char *why, size_t whyn);

/* Writes the API's error body, {"error":{"status":N,"message":"..."}},
 * into w: every refusal of the server answers it, its own (401, 403,
 * 404, 405) and the query's. */
void query_error(struct gm_writer *w, unsigned status, const char *message);

#endif

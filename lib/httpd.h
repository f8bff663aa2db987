/* httpd: the gm tools' HTTP servers (gm-metrics's /metrics, gm-report's
 * page and API) over libmicrohttpd, once: the --listen address, the
 * daemon (its own threads, epoll, a timeout and a limit of
 * connections), and the rules every answer follows: GET and HEAD only
 * (another method: 405 with Allow), never cached (Cache-Control:
 * no-store), never sniffed for another type (X-Content-Type-Options:
 * nosniff). A tool's handler decides what a request gets; it sees
 * libmicrohttpd's connection, to read the request's headers and
 * arguments. */
#ifndef GM_HTTPD_H
#define GM_HTTPD_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

struct gm_httpd;

/* A request, valid during the handler's call. */
struct gm_httpd_req {
	struct MHD_Connection *conn;
	const char *method;  /* as it came: "GET", "HEAD", "POST", ... */
	const char *path;    /* the URI's path, %XX decoded (cut at a
	                        decoded NUL byte: see uri) */
	const char *uri;     /* the URI as it came, path and query string,
	                        nothing decoded */
};

/* Answers req (with gm_httpd_answer()) and returns what that returned.
 * Called from the daemon's threads, perhaps several at once: a handler
 * guards what it shares. */
typedef enum MHD_Result (*gm_httpd_handler)(void *ctx, const struct gm_httpd_req *req);

/* Splits a --listen ADDR, "HOST:PORT", "[V6ADDR]:PORT" or ":PORT", into
 * its host (brackets taken off; "" for ":PORT", every address) and its
 * port (a number, 0 to 65535), each NUL-terminated in buffers of hostn
 * and portn bytes. False, with why (static), when ADDR is not so or a
 * part does not fit; nothing is resolved. */
bool gm_httpd_split(const char *addr, char *host, size_t hostn, char *port, size_t portn,
	const char **why);

/* Whether ADDR (gm_httpd_split()'s) listens only where this host alone
 * can connect: its host resolves, and to loopback addresses only
 * (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104), as "localhost" does. An
 * empty host (":PORT"), 0.0.0.0 and :: (every address), any other
 * address, and an ADDR that does not split or resolve are not. */
bool gm_httpd_loopback(const char *addr);

/* Listens on ADDR (gm_httpd_split()'s; a name is resolved, the first
 * address taken) and serves every request with handler(ctx, req) in
 * threads of its own: threads (1 or more) answering at once.
 * Connections idle for 10 s are closed, and at most 256 are open at
 * once. Returns NULL after gm_error() naming ADDR when it cannot
 * listen (a bad or unknown address, a port in use). */
struct gm_httpd *gm_httpd_start(const char *addr, unsigned threads, gm_httpd_handler handler,
	void *ctx);

/* Stops listening, ends the requests in progress (their handlers have
 * returned when it returns) and frees d. NULL is allowed. */
void gm_httpd_stop(struct gm_httpd *d);

/* True for GET and HEAD, the methods every server here answers; a
 * handler answers another with status 405 (gm_httpd_answer() adds the
 * Allow header). */
bool gm_httpd_readonly(const char *method);

/* Queues the answer to conn: status, Content-Type type, the n bytes of
 * body (for HEAD, libmicrohttpd sends none but says their length),
 * Cache-Control: no-store, X-Content-Type-Options: nosniff, Allow: GET,
 * HEAD for a 405, and headers (NULL, or name, value, name, value, ...,
 * NULL). mode says whose body is: MHD_RESPMEM_PERSISTENT, the caller's,
 * alive until the daemon stops; MHD_RESPMEM_MUST_COPY, copied;
 * MHD_RESPMEM_MUST_FREE, malloc'd and handed over, freed whatever
 * happens. Returns what MHD_queue_response() does: MHD_NO (the
 * connection is closed) when memory runs out. */
enum MHD_Result gm_httpd_answer(struct MHD_Connection *conn, unsigned status, const char *type,
	const char *body, size_t n, enum MHD_ResponseMemoryMode mode, const char *const *headers);

/* The client's address of conn, numeric (an IPv6 one without brackets),
 * in buf of n bytes; "?" when it cannot be had. Returns buf. */
const char *gm_httpd_client(struct MHD_Connection *conn, char *buf, size_t n);

#endif

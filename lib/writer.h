/* writer: fast NDJSON output to a file descriptor or to memory.
 * Records are built with the gm_w_* calls, which escape strings as JSON
 * (control characters as \u00XX, '"' and '\\' escaped, UTF-8 passed
 * through) and track commas. Output is buffered (64 KiB) unless the
 * writer is unbuffered, in which case each record is written as it
 * ends (gm_w_end(), gm_w_record()). A writer on a terminal is always
 * unbuffered, as grep's and jq's output is line-buffered there: someone
 * is watching. Pipes and files keep the buffer.
 * A write error (EPIPE, ENOSPC, ...) is reported once with gm_error()
 * and makes every later call a no-op and gm_writer_close() fail. */
#ifndef GM_WRITER_H
#define GM_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gm_writer;

/* Where a module's records go: begin() gives the writer to build one
 * on, emit() hands the record built over with its message key (klen
 * bytes; NULL: none). The module builds, its tool says where (a sink:
 * gm_streams_output() in stream.h), so that rules never see a sink. */
struct gm_output {
	struct gm_writer *(*begin)(void *ctx);
	void (*emit)(void *ctx, const char *key, size_t klen);
	void *ctx;
};

/* Opens path for writing ("-" is stdout), truncating it. Returns NULL
 * after gm_error() when it cannot be opened. */
struct gm_writer *gm_writer_open(const char *path, bool unbuffered);

/* A writer on an open descriptor; name is used in messages. The fd is
 * not closed by gm_writer_close(). */
struct gm_writer *gm_writer_fd(int fd, const char *name, bool unbuffered);

/* A writer that only collects into memory: see gm_writer_data(). */
struct gm_writer *gm_writer_mem(void);

/* The bytes collected by a memory writer since the last reset. */
const char *gm_writer_data(const struct gm_writer *w, size_t *len);
void gm_writer_reset(struct gm_writer *w);

/* Raw bytes, unescaped. */
void gm_w_raw(struct gm_writer *w, const char *p, size_t n);

/* A record given whole (n bytes, no newline): its bytes and a newline,
 * written out at once when the writer is unbuffered, as gm_w_end(). */
void gm_w_record(struct gm_writer *w, const char *p, size_t n);

/* Building one object: begin, then key/value pairs, then end. Nested
 * objects and arrays are opened with gm_w_key() followed by
 * gm_w_obj_begin()/gm_w_arr_begin(). gm_w_end() closes the top-level
 * object and writes the newline. */
void gm_w_obj_begin(struct gm_writer *w);
void gm_w_obj_end(struct gm_writer *w);
void gm_w_arr_begin(struct gm_writer *w);
void gm_w_arr_end(struct gm_writer *w);
void gm_w_key(struct gm_writer *w, const char *key);
void gm_w_str(struct gm_writer *w, const char *p, size_t n);
void gm_w_cstr(struct gm_writer *w, const char *s);
void gm_w_i64(struct gm_writer *w, int64_t v);
void gm_w_u64(struct gm_writer *w, uint64_t v);
void gm_w_double(struct gm_writer *w, double v);  /* %.6g-like, finite */
void gm_w_bool(struct gm_writer *w, bool v);
void gm_w_money(struct gm_writer *w, int64_t cents);
void gm_w_ts(struct gm_writer *w, int64_t ms);
void gm_w_end(struct gm_writer *w);

/* A key known when compiling, that needs no escaping: GM_W_KEY(w, "ts")
 * writes "ts": with no strlen or escaping at run time. */
#define GM_W_KEY(w, lit) gm_w_key_quoted((w), "\"" lit "\":", sizeof(lit) + 2)
void gm_w_key_quoted(struct gm_writer *w, const char *quoted, size_t n);

/* Shorthands for a key and a value. */
void gm_w_kstr(struct gm_writer *w, const char *key, const char *p, size_t n);
void gm_w_kcstr(struct gm_writer *w, const char *key, const char *s);
void gm_w_ki64(struct gm_writer *w, const char *key, int64_t v);
void gm_w_kmoney(struct gm_writer *w, const char *key, int64_t cents);
void gm_w_kts(struct gm_writer *w, const char *key, int64_t ms);

/* Writes out the buffer. Returns false if any write failed. */
bool gm_writer_flush(struct gm_writer *w);

/* True once a write has failed. */
bool gm_writer_failed(const struct gm_writer *w);

/* Flushes, closes (unless made by gm_writer_fd) and frees. Returns false
 * if any write or the close failed. NULL is ignored (true). */
bool gm_writer_close(struct gm_writer *w);

#endif

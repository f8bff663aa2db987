/* writer: fast NDJSON output to a file descriptor or to memory.
 * Records are built with the gm_w_* calls, which escape strings as JSON
 * (control characters as \u00XX, '"' and '\\' escaped, UTF-8 passed
 * through) and track commas. Output is buffered (64 KiB) unless the
 * writer is unbuffered, in which case each record is written as it
 * ends (gm_w_end(), gm_w_record()). A writer on a terminal is always
 * unbuffered, as grep's and jq's output is line-buffered there: someone
 * is watching. Pipes and files keep the buffer; a full buffer writes
 * out only the whole records it holds, so that a file cut short by a
 * kill ends at a record's end, but for a kill -9 that comes during a
 * write, which Linux may cut short between pages (CI-19 saw one).
 * A write error (EPIPE, ENOSPC, ...) is reported once with gm_error()
 * and makes every later call a no-op and gm_writer_close() fail. */
#ifndef GM_WRITER_H
#define GM_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "money.h"
#include "number.h"
#include "ts.h"

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

/* Makes w, a file writer, start writing to the disk what it has written
 * out every GM_WRITER_SYNC_AHEAD bytes as it goes (sync_file_range(),
 * which does not wait), so that an fsync() at the end waits for the last
 * part, not for the whole file: for files written whole, then synced
 * and renamed (a warehouse's tables). */
#define GM_WRITER_SYNC_AHEAD ((off_t)8 << 20)
void gm_writer_sync_ahead(struct gm_writer *w);

/* Makes w, a buffered writer on a regular file at an offset that is a
 * multiple of 4096 (a new file), write around the page cache (O_DIRECT)
 * from a thread of its own, in blocks of its whole records that are
 * multiples of 4096 bytes, while the caller fills the next of four
 * 2 MiB buffers: for a file written whole and not read back soon (a
 * warehouse's table loaded). Copying gigabytes into the page cache and
 * the file system's work page by page are most of a bulk load's system
 * time, and the thread's writes wait on the disk, not on the CPU. What
 * is left of the file goes through the page cache at the next
 * gm_writer_flush() or gm_writer_close(), which ends the mode (as does
 * a record longer than a buffer); a file cut short by a kill ends at a
 * block's end, in the middle of a record. Where the file system
 * refuses O_DIRECT (tmpfs before Linux 6.6) or any of the above does
 * not hold, it is gm_writer_sync_ahead() instead, and false is
 * returned. */
bool gm_writer_direct(struct gm_writer *w);

/* Says that w has had its last record. A writer of gm_writer_direct()
 * hands what is left to its thread, which writes it and syncs the file
 * (fsync()) while the caller goes on; gm_writer_close() waits for that
 * and fails if it failed. Nothing more may be written on w. Any other
 * writer is flushed. */
void gm_writer_finish_behind(struct gm_writer *w);

/* A writer that only collects into memory: see gm_writer_data(). */
struct gm_writer *gm_writer_mem(void);

/* The bytes collected by a memory writer since the last reset. */
const char *gm_writer_data(const struct gm_writer *w, size_t *len);
void gm_writer_reset(struct gm_writer *w);

/* Closes w, a memory writer, giving the caller its bytes with a NUL
 * after them (*len: without it), not a copy: a payload of megabytes is
 * not written twice. Free them with free(). */
char *gm_writer_take(struct gm_writer *w, size_t *len);

/* Raw bytes, unescaped. */
void gm_w_raw(struct gm_writer *w, const char *p, size_t n);

/* A record given whole (n bytes, no newline): its bytes and a newline,
 * written out at once when the writer is unbuffered, as gm_w_end(). */
void gm_w_record(struct gm_writer *w, const char *p, size_t n);

/* Building one object: begin, then key/value pairs, then end. Nested
 * objects and arrays are opened with a key followed by
 * gm_w_obj_begin()/gm_w_arr_begin(). gm_w_end() closes the top-level
 * object and writes the newline. A value follows its key (gm_w_key(),
 * GM_W_KEY()) or comes with it, in one step (the GM_W_K*() forms).
 * The calls declared inline are defined at the end of this header, so
 * that a record's fields are written in its builder, with no call. */
static inline void gm_w_obj_begin(struct gm_writer *w);
static inline void gm_w_obj_end(struct gm_writer *w);
static inline void gm_w_arr_begin(struct gm_writer *w);
static inline void gm_w_arr_end(struct gm_writer *w);
void gm_w_key(struct gm_writer *w, const char *key);
static inline void gm_w_str(struct gm_writer *w, const char *p, size_t n);
static inline void gm_w_cstr(struct gm_writer *w, const char *s);
static inline void gm_w_i64(struct gm_writer *w, int64_t v);
static inline void gm_w_u64(struct gm_writer *w, uint64_t v);
void gm_w_double(struct gm_writer *w, double v);  /* %.10g; null if not finite */
/* x / y to 4 decimals, rounded half away from zero ("0.3333", "2.0000"),
 * exact whatever the operands: the warehouse's rates, shares and
 * averages; null when y is 0. */
void gm_w_ratio(struct gm_writer *w, __int128 x, __int128 y);
static inline void gm_w_bool(struct gm_writer *w, bool v);
static inline void gm_w_money(struct gm_writer *w, int64_t cents);
static inline void gm_w_ts(struct gm_writer *w, int64_t ms);
void gm_w_end(struct gm_writer *w);

/* A key known when compiling, that needs no escaping: GM_W_KEY(w, "ts")
 * writes "ts": with no strlen or escaping at run time, a copy of a
 * constant size. GM_W_QUOTED_KEY(lit) is its bytes and their length. */
#define GM_W_KEY(w, lit) gm_w_key_quoted((w), GM_W_QUOTED_KEY(lit))
#define GM_W_QUOTED_KEY(lit) "\"" lit "\":", sizeof(lit) + 2
static inline void gm_w_key_quoted(struct gm_writer *w, const char *quoted, size_t n);

/* Such a key and its value, in room made once: GM_W_KU64(w, "views", n)
 * writes what GM_W_KEY(w, "views") then gm_w_u64(w, n) would. */
#define GM_W_KSTR(w, lit, p, n)  gm_w_pair_str((w), GM_W_QUOTED_KEY(lit), (p), (n))
#define GM_W_KCSTR(w, lit, s)    gm_w_pair_cstr((w), GM_W_QUOTED_KEY(lit), (s))
#define GM_W_KI64(w, lit, v)     gm_w_pair_i64((w), GM_W_QUOTED_KEY(lit), (v))
#define GM_W_KU64(w, lit, v)     gm_w_pair_u64((w), GM_W_QUOTED_KEY(lit), (v))
#define GM_W_KBOOL(w, lit, v)    gm_w_pair_bool((w), GM_W_QUOTED_KEY(lit), (v))
#define GM_W_KMONEY(w, lit, c)   gm_w_pair_money((w), GM_W_QUOTED_KEY(lit), (c))
#define GM_W_KTS(w, lit, ms)     gm_w_pair_ts((w), GM_W_QUOTED_KEY(lit), (ms))

/* A string known when compiling, that needs no escaping, as a value
 * (GM_W_LIT(w, "gm-session")) or with such a key (GM_W_KLIT(w, "type",
 * "session")): its bytes, quotes included, are one constant. */
#define GM_W_LIT(w, lit)        gm_w_json((w), "\"" lit "\"", sizeof(lit) + 1)
#define GM_W_KLIT(w, key, lit)  gm_w_json((w), "\"" key "\":\"" lit "\"", \
                                          sizeof(key) + sizeof(lit) + 3)

/* n bytes of JSON given whole, a value or a key and its value, after a
 * comma when one is due: what GM_W_LIT() and GM_W_KLIT() write. */
static inline void gm_w_json(struct gm_writer *w, const char *json, size_t n);

/* Shorthands for a key and a value, the key escaped at run time. */
void gm_w_kstr(struct gm_writer *w, const char *key, const char *p, size_t n);
void gm_w_kcstr(struct gm_writer *w, const char *key, const char *s);
void gm_w_ki64(struct gm_writer *w, const char *key, int64_t v);
void gm_w_kmoney(struct gm_writer *w, const char *key, int64_t cents);
void gm_w_kts(struct gm_writer *w, const char *key, int64_t ms);

/* Forgets the record being built (what came after the last one's end),
 * as if it had not begun: a record built before it is known to be
 * wanted, where building it aside meant copying each one kept. */
void gm_w_drop(struct gm_writer *w);

/* Writes out the buffer. Returns false if any write failed. */
bool gm_writer_flush(struct gm_writer *w);

/* True once a write has failed. */
bool gm_writer_failed(const struct gm_writer *w);

/* Flushes, closes (unless made by gm_writer_fd) and frees. Returns false
 * if any write or the close failed. NULL is ignored (true). */
bool gm_writer_close(struct gm_writer *w);

/* ---- Private: the writer's state and the inline calls' parts, here
 * only so that the calls above can be inlined. Nothing but writer.c
 * and this section reads or writes a writer's fields. ---- */

struct gm_writer {
	char *buf;
	size_t len, cap;
	size_t done;         /* buf[0..done) ends with a whole record: what a
	                        full buffer writes out, so that a file cut
	                        short (a kill) ends in half a record only if
	                        the kernel cut that write short */
	bool comma;          /* a value ended last, so the next one at its
	                        level needs a ',' (not after a key nor after
	                        an opening brace or bracket) */
	bool failed;
	bool unbuffered;
	bool own_fd;
	bool sync_ahead;     /* gm_writer_sync_ahead() */
	struct gm_direct *direct;  /* gm_writer_direct(), until it ends */
	off_t at, synced;    /* its offset in the file; where writeback was
	                        started up to */
	int fd;              /* -1 for a memory writer */
	const char *name;
};

/* Makes room for n more bytes: flushes a file writer, grows a memory
 * one. The inline calls' slow path, in writer.c. */
void gm_w_make_room(struct gm_writer *w, size_t n);

/* Writes the n bytes at s quoted and escaped at `at`, where room was
 * made for n + 2, and ends the value there; in writer.c. */
void gm_w_string_at(struct gm_writer *w, char *at, const char *s, size_t n);

/* Where a value of at most n bytes goes: makes room for it, its comma
 * and its key (klen bytes, quoted; 0 for none), and writes those two.
 * The ',' is always stored and counted only when due, without a branch:
 * room was made for it. */
static inline char *gm_w_open(struct gm_writer *w, const char *key, size_t klen, size_t n)
{
	if (__builtin_expect(w->len + 1 + klen + n > w->cap, 0))
		gm_w_make_room(w, 1 + klen + n);
	char *p = w->buf + w->len;
	*p = ',';
	p += w->comma;
	memcpy(p, key, klen);
	return p + klen;
}

/* Ends what was written at p; comma: whether a value ends there. */
static inline void gm_w_close(struct gm_writer *w, char *p, bool comma)
{
	w->len = (size_t)(p - w->buf);
	w->comma = comma;
}

/* The calls under the GM_W_K*() forms: a value after its quoted key,
 * klen bytes as GM_W_QUOTED_KEY() makes it ("" and 0: a value alone,
 * what gm_w_str() and the like write). */
static inline void gm_w_pair_str(struct gm_writer *w, const char *key, size_t klen,
	const char *p, size_t n)
{
	gm_w_string_at(w, gm_w_open(w, key, klen, n + 2), p, n);
}

static inline void gm_w_pair_cstr(struct gm_writer *w, const char *key, size_t klen,
	const char *s)
{
	gm_w_pair_str(w, key, klen, s, strlen(s));
}

static inline void gm_w_pair_i64(struct gm_writer *w, const char *key, size_t klen, int64_t v)
{
	char *p = gm_w_open(w, key, klen, GM_I64_LEN);
	gm_w_close(w, p + gm_format_i64(v, p), true);
}

static inline void gm_w_pair_u64(struct gm_writer *w, const char *key, size_t klen, uint64_t v)
{
	char *p = gm_w_open(w, key, klen, GM_I64_LEN);
	gm_w_close(w, p + gm_format_u64(v, p), true);
}

static inline void gm_w_pair_bool(struct gm_writer *w, const char *key, size_t klen, bool v)
{
	/* Five bytes either way ("true" has its NUL), four kept for true. */
	char *p = gm_w_open(w, key, klen, 5);
	memcpy(p, v ? "true" : "false", 5);
	gm_w_close(w, p + 5 - v, true);
}

static inline void gm_w_pair_money(struct gm_writer *w, const char *key, size_t klen,
	int64_t cents)
{
	char *p = gm_w_open(w, key, klen, GM_MONEY_LEN);
	gm_w_close(w, p + gm_money_format(cents, p), true);
}

static inline void gm_w_pair_ts(struct gm_writer *w, const char *key, size_t klen, int64_t ms)
{
	char *p = gm_w_open(w, key, klen, GM_TS_LEN + 2);
	p[0] = '"';
	gm_ts_format(ms, p + 1);
	p[GM_TS_LEN + 1] = '"';
	gm_w_close(w, p + GM_TS_LEN + 2, true);
}

/* Begins a record, its object and its "type" field, whose value, the
 * name of a record type (rtype.h), needs no escaping: written as it is,
 * with its key, in one step. */
static inline void gm_w_typed_begin(struct gm_writer *w, const char *type)
{
	gm_w_obj_begin(w);
	size_t n = strlen(type);
	char *p = gm_w_open(w, GM_W_QUOTED_KEY("type"), n + 2);
	p[0] = '"';
	memcpy(p + 1, type, n);
	p[n + 1] = '"';
	gm_w_close(w, p + n + 2, true);
}

static inline void gm_w_json(struct gm_writer *w, const char *json, size_t n)
{
	gm_w_close(w, gm_w_open(w, json, n, 0), true);
}

static inline void gm_w_key_quoted(struct gm_writer *w, const char *quoted, size_t n)
{
	gm_w_close(w, gm_w_open(w, quoted, n, 0), false);
}

static inline void gm_w_str(struct gm_writer *w, const char *p, size_t n)
{
	gm_w_pair_str(w, "", 0, p, n);
}

static inline void gm_w_cstr(struct gm_writer *w, const char *s)
{
	gm_w_pair_cstr(w, "", 0, s);
}

static inline void gm_w_i64(struct gm_writer *w, int64_t v)
{
	gm_w_pair_i64(w, "", 0, v);
}

static inline void gm_w_u64(struct gm_writer *w, uint64_t v)
{
	gm_w_pair_u64(w, "", 0, v);
}

static inline void gm_w_bool(struct gm_writer *w, bool v)
{
	gm_w_pair_bool(w, "", 0, v);
}

static inline void gm_w_money(struct gm_writer *w, int64_t cents)
{
	gm_w_pair_money(w, "", 0, cents);
}

static inline void gm_w_ts(struct gm_writer *w, int64_t ms)
{
	gm_w_pair_ts(w, "", 0, ms);
}

/* An opening brace or bracket begins a value (after a comma if one is
 * due); the first value inside it needs none. */
static inline void gm_w_open_nested(struct gm_writer *w, char c)
{
	char *p = gm_w_open(w, "", 0, 1);
	*p = c;
	gm_w_close(w, p + 1, false);
}

/* A closing one ends the value its opening one began. */
static inline void gm_w_close_nested(struct gm_writer *w, char c)
{
	if (__builtin_expect(w->len + 1 > w->cap, 0))
		gm_w_make_room(w, 1);
	w->buf[w->len++] = c;
	w->comma = true;
}

static inline void gm_w_obj_begin(struct gm_writer *w)
{
	gm_w_open_nested(w, '{');
}

static inline void gm_w_obj_end(struct gm_writer *w)
{
	gm_w_close_nested(w, '}');
}

static inline void gm_w_arr_begin(struct gm_writer *w)
{
	gm_w_open_nested(w, '[');
}

static inline void gm_w_arr_end(struct gm_writer *w)
{
	gm_w_close_nested(w, ']');
}

#endif

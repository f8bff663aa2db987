/* writer: buffered NDJSON output; see writer.h. */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "mem.h"
#include "money.h"
#include "number.h"
#include "swar.h"
#include "ts.h"

#define BUF_SIZE (64 * 1024)
#define MAX_DEPTH 64

struct gm_writer {
	int fd;             /* -1 for a memory writer */
	bool own_fd;
	bool unbuffered;
	bool failed;
	const char *name;
	char *buf;
	size_t len, cap;
	unsigned depth;
	uint64_t need_comma; /* bit d: a value was written at depth d */
	bool after_key;      /* the next value follows a key: no comma */
};

static struct gm_writer *writer_new(int fd, const char *name, bool unbuffered)
{
	struct gm_writer *w = gm_xcalloc(1, sizeof *w);
	w->buf = gm_xrealloc(NULL, BUF_SIZE);
	w->fd = fd;
	w->name = name;
	w->unbuffered = unbuffered || (fd >= 0 && isatty(fd));
	w->cap = BUF_SIZE;
	return w;
}

struct gm_writer *gm_writer_fd(int fd, const char *name, bool unbuffered)
{
	return writer_new(fd, name, unbuffered);
}

struct gm_writer *gm_writer_open(const char *path, bool unbuffered)
{
	if (!strcmp(path, "-"))
		return writer_new(STDOUT_FILENO, "stdout", unbuffered);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0) {
		gm_error(path, "%s", strerror(errno));
		return NULL;
	}
	struct gm_writer *w = writer_new(fd, path, unbuffered);
	w->own_fd = true;
	return w;
}

struct gm_writer *gm_writer_mem(void)
{
	return writer_new(-1, "memory", false);
}

const char *gm_writer_data(const struct gm_writer *w, size_t *len)
{
	*len = w->len;
	return w->buf;
}

void gm_writer_reset(struct gm_writer *w)
{
	w->len = 0;
	w->depth = 0;
	w->need_comma = 0;
	w->after_key = false;
}

static void write_all(struct gm_writer *w, const char *p, size_t n)
{
	while (n > 0 && !w->failed) {
		ssize_t k = write(w->fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			gm_error(w->name, "write error: %s", strerror(errno));
			w->failed = true;
			return;
		}
		p += k;
		n -= k;
	}
}

bool gm_writer_flush(struct gm_writer *w)
{
	if (w->fd >= 0 && w->len > 0) {
		write_all(w, w->buf, w->len);
		w->len = 0;
	}
	return !w->failed;
}

bool gm_writer_failed(const struct gm_writer *w)
{
	return w->failed;
}

/* Makes room for n more bytes: flushes a file writer, grows a memory one. */
static void make_room(struct gm_writer *w, size_t n)
{
	if (w->fd >= 0) {
		gm_writer_flush(w);
		if (n <= w->cap)
			return;
	}
	w->buf = gm_grow(w->buf, &w->cap, w->len + n, 1, BUF_SIZE);
}

static inline void reserve(struct gm_writer *w, size_t n)
{
	if (__builtin_expect(w->len + n > w->cap, 0))
		make_room(w, n);
}

void gm_w_raw(struct gm_writer *w, const char *p, size_t n)
{
	if (__builtin_expect(w->len + n <= w->cap, 1)) {
		memcpy(w->buf + w->len, p, n);
		w->len += n;
		return;
	}
	if (w->fd >= 0 && n > w->cap / 2) {
		/* Large pieces (rejected long lines) go straight through. */
		gm_writer_flush(w);
		write_all(w, p, n);
		return;
	}
	reserve(w, n);
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

static inline void put(struct gm_writer *w, char c)
{
	if (w->len == w->cap)
		reserve(w, 1);
	w->buf[w->len++] = c;
}

/* Separates a value from the previous one at this depth. */
static inline void comma(struct gm_writer *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	uint64_t bit = 1ULL << w->depth;
	if (w->need_comma & bit)
		put(w, ',');
	w->need_comma |= bit;
}

static void open_nested(struct gm_writer *w, char c)
{
	put(w, c);
	if (w->depth + 1 >= MAX_DEPTH)
		gm_die(GM_EXIT_FAIL, NULL, "writer: nesting deeper than %d", MAX_DEPTH);
	w->depth++;
	w->need_comma &= ~(1ULL << w->depth);
}

static void close_nested(struct gm_writer *w, char c)
{
	put(w, c);
	if (w->depth > 0)
		w->depth--;
}

void gm_w_obj_begin(struct gm_writer *w)
{
	if (w->depth > 0)
		comma(w);
	open_nested(w, '{');
}

void gm_w_obj_end(struct gm_writer *w)
{
	close_nested(w, '}');
}

void gm_w_arr_begin(struct gm_writer *w)
{
	comma(w);
	open_nested(w, '[');
}

void gm_w_arr_end(struct gm_writer *w)
{
	close_nested(w, ']');
}

/* Which bytes a JSON string must escape: control characters, '"', '\\'. */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* Writes a quoted, escaped JSON string. Bytes >= 0x80 pass through:
 * input was validated as UTF-8 when it was read. The common case, with
 * nothing to escape, is one scan and one copy. */
static void string_body(struct gm_writer *w, const char *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	reserve(w, n + 2);
	char *out = w->buf + w->len;
	*out++ = '"';
	/* Eight bytes at a time to the first that needs escaping (swar.h's
	 * tests err only upwards: the bytewise loop settles it). */
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x = gm_swar_load(p + i);
		if (gm_swar_is(x, '"') | gm_swar_is(x, '\\') | gm_swar_below(x, 0x20))
			break;
	}
	while (i < n && !needs_escape((unsigned char)p[i]))
		i++;
	memcpy(out, p, i);
	w->len += 1 + i;
	if (i == n) {
		w->buf[w->len++] = '"';
		return;
	}
	size_t run = i;
	for (; i < n; i++) {
		unsigned char c = p[i];
		if (!needs_escape(c))
			continue;
		gm_w_raw(w, p + run, i - run);
		run = i + 1;
		char esc[6] = { '\\', 0 };
		size_t k = 2;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		}
		gm_w_raw(w, esc, k);
	}
	gm_w_raw(w, p + run, n - run);
	put(w, '"');
}

void gm_w_key(struct gm_writer *w, const char *key)
{
	comma(w);
	string_body(w, key, strlen(key));
	put(w, ':');
	w->after_key = true;
}

void gm_w_key_quoted(struct gm_writer *w, const char *quoted, size_t n)
{
	comma(w);
	gm_w_raw(w, quoted, n);
	w->after_key = true;
}

void gm_w_str(struct gm_writer *w, const char *p, size_t n)
{
	comma(w);
	string_body(w, p, n);
}

void gm_w_cstr(struct gm_writer *w, const char *s)
{
	gm_w_str(w, s, strlen(s));
}

/* Decimal digits of v, written backwards ending at end; returns start. */
void gm_w_u64(struct gm_writer *w, uint64_t v)
{
	char tmp[GM_I64_LEN];
	size_t n = gm_format_u64(v, tmp);
	comma(w);
	gm_w_raw(w, tmp, n);
}

void gm_w_i64(struct gm_writer *w, int64_t v)
{
	char tmp[GM_I64_LEN];
	size_t n = gm_format_i64(v, tmp);
	comma(w);
	gm_w_raw(w, tmp, n);
}

void gm_w_double(struct gm_writer *w, double v)
{
	char tmp[32];
	int n = isfinite(v) ? snprintf(tmp, sizeof tmp, "%.10g", v) : 4;
	comma(w);
	gm_w_raw(w, isfinite(v) ? tmp : "null", n);
}

void gm_w_bool(struct gm_writer *w, bool v)
{
	comma(w);
	gm_w_raw(w, v ? "true" : "false", v ? 4 : 5);
}

void gm_w_money(struct gm_writer *w, int64_t cents)
{
	char tmp[24];
	size_t n = gm_money_format(cents, tmp);
	comma(w);
	gm_w_raw(w, tmp, n);
}

void gm_w_ts(struct gm_writer *w, int64_t ms)
{
	char tmp[GM_TS_LEN + 2];
	tmp[0] = '"';
	gm_ts_format(ms, tmp + 1);
	tmp[GM_TS_LEN + 1] = '"';
	comma(w);
	gm_w_raw(w, tmp, sizeof tmp);
}

void gm_w_end(struct gm_writer *w)
{
	gm_w_obj_end(w);
	put(w, '\n');
	w->depth = 0;
	w->need_comma = 0;
	w->after_key = false;
	if (w->unbuffered)
		gm_writer_flush(w);
}

void gm_w_record(struct gm_writer *w, const char *p, size_t n)
{
	gm_w_raw(w, p, n);
	put(w, '\n');
	if (w->unbuffered)
		gm_writer_flush(w);
}

void gm_w_kstr(struct gm_writer *w, const char *key, const char *p, size_t n)
{
	gm_w_key(w, key);
	gm_w_str(w, p, n);
}

void gm_w_kcstr(struct gm_writer *w, const char *key, const char *s)
{
	gm_w_key(w, key);
	gm_w_cstr(w, s);
}

void gm_w_ki64(struct gm_writer *w, const char *key, int64_t v)
{
	gm_w_key(w, key);
	gm_w_i64(w, v);
}

void gm_w_kmoney(struct gm_writer *w, const char *key, int64_t cents)
{
	gm_w_key(w, key);
	gm_w_money(w, cents);
}

void gm_w_kts(struct gm_writer *w, const char *key, int64_t ms)
{
	gm_w_key(w, key);
	gm_w_ts(w, ms);
}

bool gm_writer_close(struct gm_writer *w)
{
	if (!w)
		return true;
	bool ok = w->fd < 0 || gm_writer_flush(w);
	if (w->own_fd && close(w->fd) != 0 && ok) {
		gm_error(w->name, "close: %s", strerror(errno));
		ok = false;
	}
	free(w->buf);
	free(w);
	return ok;
}

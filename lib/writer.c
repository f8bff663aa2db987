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
#include "swar.h"

#define BUF_SIZE (64 * 1024)

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

char *gm_writer_take(struct gm_writer *w, size_t *len)
{
	if (w->len == w->cap)
		w->buf = gm_xrealloc(w->buf, w->cap + 1);
	char *p = w->buf;
	p[w->len] = 0;
	*len = w->len;
	free(w);
	return p;
}

void gm_writer_reset(struct gm_writer *w)
{
	w->len = w->done = 0;
	w->comma = false;
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
		w->at += k;
	}
	if (w->sync_ahead && w->at - w->synced >= GM_WRITER_SYNC_AHEAD) {
		/* A hint: a failure shows in the fsync() that follows. */
		(void)sync_file_range(w->fd, w->synced, w->at - w->synced, SYNC_FILE_RANGE_WRITE);
		w->synced = w->at;
	}
}

void gm_writer_sync_ahead(struct gm_writer *w)
{
	off_t at = w->fd >= 0 ? lseek(w->fd, 0, SEEK_CUR) : -1;
	if (at < 0)
		return;   /* a pipe or a memory writer: nothing to start */
	w->sync_ahead = true;
	w->at = w->synced = at;
}

bool gm_writer_flush(struct gm_writer *w)
{
	if (w->fd >= 0 && w->len > 0) {
		write_all(w, w->buf, w->len);
		w->len = w->done = 0;
	}
	return !w->failed;
}

bool gm_writer_failed(const struct gm_writer *w)
{
	return w->failed;
}

void gm_w_make_room(struct gm_writer *w, size_t n)
{
	if (w->fd >= 0 && w->done > 0) {
		/* The whole records go out; the one being built stays. */
		write_all(w, w->buf, w->done);
		memmove(w->buf, w->buf + w->done, w->len - w->done);
		w->len -= w->done;
		w->done = 0;
		if (w->len + n <= w->cap)
			return;
	}
	w->buf = gm_grow(w->buf, &w->cap, w->len + n, 1, BUF_SIZE);
}

static inline void reserve(struct gm_writer *w, size_t n)
{
	if (__builtin_expect(w->len + n > w->cap, 0))
		gm_w_make_room(w, n);
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

/* Which bytes a JSON string must escape: control characters, '"', '\\'. */
static bool needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\';
}

/* Flags (nonzero) when a byte of x may need escaping: below 0x20, '"'
 * or '\\'. Flipping bit 1 moves '"' (0x22) to 0x20 and keeps control
 * characters below it, so that one test below 0x21 finds both; '\\' is
 * a test for 0 after flipping it. Both are swar.h's tests, their common
 * mask (the high bits of ~x: neither flip touches them) taken once.
 * They err only upwards: none flagged is none to escape. */
static inline uint64_t escapes(uint64_t x)
{
	return (((x ^ (GM_SWAR_ONES * 0x02)) - GM_SWAR_ONES * 0x21)
		| ((x ^ (GM_SWAR_ONES * '\\')) - GM_SWAR_ONES)) & ~x & GM_SWAR_HIGHS;
}

/* The slow way, after s's first i bytes (of n) were written clean at
 * `at`: escapes what needs it, writes the closing quote and ends the
 * value. Apart, and reached by a jump (a tail call), so that the fast
 * path holds nothing across a call for it. */
static __attribute__((noinline)) void escaped_from(struct gm_writer *w, char *at,
	const char *s, size_t i, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	w->len = (size_t)(at + i - w->buf);
	size_t run = i;
	for (; i < n; i++) {
		unsigned char c = s[i];
		if (!needs_escape(c))
			continue;
		gm_w_raw(w, s + run, i - run);
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
	gm_w_raw(w, s + run, n - run);
	put(w, '"');
	w->comma = true;
}

/* Tests the eight bytes of s at h and the last eight (n bytes in all)
 * and, when neither may need escaping, stores them at `at` alike. */
static inline bool clean_last_two_words(char *at, const char *s, size_t h, size_t n)
{
	uint64_t x = gm_swar_load(s + h), y = gm_swar_load(s + n - 8);
	if (escapes(x) | escapes(y))
		return false;
	memcpy(at + h, &x, 8);
	memcpy(at + n - 8, &y, 8);
	return true;
}

/* The closing quote after the n bytes at `at`, which end the value. */
static inline void end_string(struct gm_writer *w, char *at, size_t n)
{
	at[n] = '"';
	gm_w_close(w, at + n + 1, true);
}

/* A string of more than 16 bytes, word by word to its last sixteen.
 * Apart, so that short strings (most: ids, countries, categories) run
 * no loop and hold fewer registers. */
static __attribute__((noinline)) void long_string(struct gm_writer *w, char *at,
	const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n - 16; i += 8) {
		uint64_t x = gm_swar_load(s + i);
		if (escapes(x)) {
			escaped_from(w, at, s, i, n);
			return;
		}
		memcpy(at + i, &x, 8);
	}
	if (clean_last_two_words(at, s, n - 16, n))
		end_string(w, at, n);
	else
		escaped_from(w, at, s, i, n);
}

/* Bytes >= 0x80 pass through: input was validated as UTF-8 when it was
 * read. The common case, nothing to escape, is tested and stored eight
 * bytes at a time, the last word overlapping the one before it; four to
 * eight bytes as two fours, fewer as their first, middle and last.
 * Every load and store stays within s and the room made. */
void gm_w_string_at(struct gm_writer *w, char *at, const char *s, size_t n)
{
	*at++ = '"';
	if (n > 16) {
		long_string(w, at, s, n);
		return;
	}
	if (n >= 8) {
		if (!clean_last_two_words(at, s, 0, n)) {
			escaped_from(w, at, s, 0, n);
			return;
		}
	} else if (n >= 4) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		if (escapes(a | (uint64_t)b << 32)) {
			escaped_from(w, at, s, 0, n);
			return;
		}
		memcpy(at, &a, 4);
		memcpy(at + n - 4, &b, 4);
	} else if (n > 0) {
		/* The word's other bytes: 'A's, which need no escaping. */
		unsigned char a = s[0], b = s[n / 2], c = s[n - 1];
		if (escapes(a | b << 8 | (uint64_t)c << 16 | 0x4141414141000000ULL)) {
			escaped_from(w, at, s, 0, n);
			return;
		}
		at[0] = a;
		at[n / 2] = b;
		at[n - 1] = c;
	}
	end_string(w, at, n);
}

void gm_w_key(struct gm_writer *w, const char *key)
{
	gm_w_str(w, key, strlen(key));
	put(w, ':');
	w->comma = false;
}

/* See writer.h: the quotient rounded in integers, never a double. */
void gm_w_ratio(struct gm_writer *w, __int128 x, __int128 y)
{
	if (y == 0) {
		gm_w_json(w, "null", 4);
		return;
	}
	bool neg = (x < 0) != (y < 0);
	if (x < 0)
		x = -x;
	if (y < 0)
		y = -y;
	__int128 q = (x * 20000 + y) / (2 * y);
	/* Written backwards: four decimals, the point, the whole part
	 * (snprintf() was most of a derived row's cost in gm-etl). */
	char buf[64], *p = buf + sizeof buf;
	unsigned __int128 u = (unsigned __int128)q;
	for (int i = 0; i < 4; i++, u /= 10)
		*--p = (char)('0' + (int)(u % 10));
	*--p = '.';
	for (; u > UINT64_MAX; u /= 10)  /* rare: the whole part past 64 bits */
		*--p = (char)('0' + (int)(u % 10));
	uint64_t whole = (uint64_t)u;
	do
		*--p = (char)('0' + (int)(whole % 10));
	while (whole /= 10);
	if (neg && q)
		*--p = '-';
	gm_w_json(w, p, (size_t)(buf + sizeof buf - p));
}

void gm_w_double(struct gm_writer *w, double v)
{
	/* %.10g is at most 17 bytes ("-1.234567891e-308"). */
	char *p = gm_w_open(w, "", 0, 32);
	int n = 4;
	if (isfinite(v))
		n = snprintf(p, 32, "%.10g", v);
	else
		memcpy(p, "null", 4);
	gm_w_close(w, p + n, true);
}

void gm_w_end(struct gm_writer *w)
{
	reserve(w, 2);
	w->buf[w->len++] = '}';
	w->buf[w->len++] = '\n';
	w->done = w->len;
	w->comma = false;
	if (w->unbuffered)
		gm_writer_flush(w);
}

void gm_w_drop(struct gm_writer *w)
{
	w->len = w->done;
	w->comma = false;
}

void gm_w_record(struct gm_writer *w, const char *p, size_t n)
{
	gm_w_raw(w, p, n);
	put(w, '\n');
	w->done = w->len;
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

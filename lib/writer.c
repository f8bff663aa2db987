/* writer: buffered NDJSON output; see writer.h. */
#include "writer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
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

/* ---- direct: a file written around the page cache ---- */

#define DIRECT_ALIGN 4096  /* O_DIRECT's offsets, lengths and addresses */
#define DIRECT_CAP ((size_t)2 << 20)  /* a buffer: a block is its whole records */
#define DIRECT_BUFS 4      /* the one filling, the others written meanwhile */

struct gm_direct {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;     /* a block handed over or written, or stop */
	char *pool;            /* the buffers, one mapping */
	size_t lens[DIRECT_BUFS];
	unsigned cur, filled;  /* the buffer filling; how many before it are
	                          handed over and not yet written */
	off_t written;         /* where the thread's next block goes */
	int err;               /* the errno of a write or sync that failed, or 0 */
	bool stop;
	bool last;             /* the newest block handed over is the file's
	                          end: written through the page cache, then
	                          the file synced (gm_writer_finish_behind()) */
};

static char *direct_buf(const struct gm_direct *d, unsigned i)
{
	return d->pool + (size_t)i * DIRECT_CAP;
}

/* Turns O_DIRECT off for fd; false if it was not on or cannot be. */
static bool direct_off(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl >= 0 && (fl & O_DIRECT) && fcntl(fd, F_SETFL, fl & ~O_DIRECT) == 0;
}

/* 0 or the errno of the failure. A file system that wants other
 * alignments than ours says EINVAL: the page cache then. */
static int pwrite_all(int fd, const char *p, size_t n, off_t off)
{
	while (n > 0) {
		ssize_t k = pwrite(fd, p, n, off);
		if (k < 0 && (errno == EINTR || (errno == EINVAL && direct_off(fd))))
			continue;
		if (k < 0)
			return errno;
		if (k == 0)
			return EIO;  /* a regular file takes some or says why */
		p += k;
		n -= (size_t)k;
		off += k;
	}
	return 0;
}

/* The thread: writes the blocks handed over, oldest first, until told
 * to stop and none is left. After a failure it only counts them. */
static void *direct_run(void *arg)
{
	struct gm_writer *w = arg;
	struct gm_direct *d = w->direct;
	pthread_mutex_lock(&d->mu);
	for (;;) {
		while (!d->filled && !d->stop)
			pthread_cond_wait(&d->cv, &d->mu);
		if (!d->filled)
			break;
		unsigned i = (d->cur + DIRECT_BUFS - d->filled) % DIRECT_BUFS;
		size_t n = d->lens[i];
		off_t at = d->written;
		int err = d->err;
		bool end = d->last && d->filled == 1;
		pthread_mutex_unlock(&d->mu);
		if (end)
			direct_off(w->fd);  /* its length is any */
		if (!err)
			err = pwrite_all(w->fd, direct_buf(d, i), n, at);
		if (!err && end && fsync(w->fd) != 0)
			err = errno;
		pthread_mutex_lock(&d->mu);
		d->err = err;
		d->written += (off_t)n;
		d->filled--;
		pthread_cond_broadcast(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

static void direct_failed(struct gm_writer *w, int err)
{
	if (err && !w->failed) {
		gm_error(w->name, "write error: %s", strerror(err));
		w->failed = true;
	}
}

/* Gives the first cut bytes of the buffer to the thread (the file's
 * last when last), and waits for a buffer to fill next; returns the
 * thread's failure so far, or 0. */
static int direct_give(struct gm_direct *d, size_t cut, bool last)
{
	pthread_mutex_lock(&d->mu);
	d->lens[d->cur] = cut;
	d->last = last;
	d->filled++;
	d->cur = (d->cur + 1) % DIRECT_BUFS;
	pthread_cond_broadcast(&d->cv);
	while (d->filled == DIRECT_BUFS)
		pthread_cond_wait(&d->cv, &d->mu);
	int err = d->err;
	pthread_mutex_unlock(&d->mu);
	return err;
}

/* Hands the whole blocks of the buffer's whole records to the thread
 * and goes on in the next buffer, with the rest and room for n more;
 * false when that cannot be (a record longer than a buffer). */
static bool direct_hand_over(struct gm_writer *w, size_t n)
{
	struct gm_direct *d = w->direct;
	size_t cut = w->done & ~(size_t)(DIRECT_ALIGN - 1), rest = w->len - cut;
	if (!cut || rest + n > w->cap)
		return false;
	int err = direct_give(d, cut, false);
	char *next = direct_buf(d, d->cur);
	memcpy(next, w->buf + cut, rest);  /* the thread only reads the old one */
	w->buf = next;
	w->len = rest;
	w->done -= cut;
	direct_failed(w, err);
	return true;
}

/* Waits for the thread to write every block handed over and ends it;
 * what is left goes through the page cache, in a buffer of its own,
 * from where the blocks end. */
static void direct_end(struct gm_writer *w)
{
	struct gm_direct *d = w->direct;
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	w->direct = NULL;
	direct_failed(w, d->err);
	direct_off(w->fd);
	w->at = w->synced = d->written;
	if (lseek(w->fd, d->written, SEEK_SET) < 0)
		direct_failed(w, errno);
	w->cap = w->len > BUF_SIZE ? w->len : BUF_SIZE;
	char *buf = gm_xrealloc(NULL, w->cap);
	memcpy(buf, w->buf, w->len);
	w->buf = buf;
	gm_unmap(d->pool, DIRECT_BUFS * DIRECT_CAP);
	pthread_mutex_destroy(&d->mu);
	pthread_cond_destroy(&d->cv);
	free(d);
}

void gm_writer_finish_behind(struct gm_writer *w)
{
	if (!w->direct) {
		gm_writer_flush(w);
		return;
	}
	struct gm_direct *d = w->direct;
	direct_failed(w, direct_give(d, w->len, true));
	w->buf = direct_buf(d, d->cur);
	w->len = w->done = 0;
}

bool gm_writer_direct(struct gm_writer *w)
{
	off_t at = w->fd >= 0 && !w->unbuffered && !w->direct ? lseek(w->fd, 0, SEEK_CUR) : -1;
	int fl = at >= 0 && at % DIRECT_ALIGN == 0 ? fcntl(w->fd, F_GETFL) : -1;
	if (fl < 0 || w->len > DIRECT_CAP || fcntl(w->fd, F_SETFL, fl | O_DIRECT) != 0) {
		gm_writer_sync_ahead(w);
		return false;
	}
	struct gm_direct *d = gm_xcalloc(1, sizeof *d);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->pool = gm_xmap(DIRECT_BUFS * DIRECT_CAP);
	d->written = at;
	memcpy(d->pool, w->buf, w->len);
	free(w->buf);
	w->buf = d->pool;
	w->cap = DIRECT_CAP;
	w->sync_ahead = false;
	w->direct = d;
	gm_thread_start(&d->thread, direct_run, w, "a writer's thread");
	return true;
}

bool gm_writer_flush(struct gm_writer *w)
{
	if (w->direct)
		direct_end(w);
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
	if (w->direct) {
		if (direct_hand_over(w, n))
			return;
		direct_end(w);  /* a record longer than a buffer */
	}
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
	if (w->fd >= 0 && !w->direct && n > w->cap / 2) {
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

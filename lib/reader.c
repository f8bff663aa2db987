/* reader: NDJSON lines with positions; see reader.h.
 *
 * One buffer of max_line + 64 KiB holds the unread part of the input.
 * A line is returned in place when its newline is in the buffer. When
 * more than max_line bytes wait without a newline, the line is too long:
 * it is handed to the spill callback piece by piece until its newline,
 * so its size never costs memory.
 *
 * Following a file, its end is only where it ends now: a last line
 * without its newline stays in the buffer, and a too-long line's
 * skipping stays under way (skipping, skip_total, skip_cr), until more
 * comes.
 *
 * Input that begins with gzip's magic bytes is inflated by zlib: the
 * compressed bytes go into their own buffer (zin) and inflate() writes
 * straight into buf, where the lines are found as in plain input. The
 * first bytes, read before they were known to be compressed, move to
 * zin. */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"

#define READ_CHUNK (64 * 1024)
/* Compressed bytes read at once: large, so that a read is rare beside
 * inflate's work. */
#define GZ_CHUNK (256 * 1024)

struct gm_reader {
	int fd;
	const char *name;
	char *buf;
	size_t cap, start, end;  /* unread bytes are buf[start..end) */
	size_t scanned;          /* buf[start..scanned) has no newline */
	size_t max_line;
	uint64_t lineno;
	off_t pos;               /* bytes read from the file so far */
	bool eof;                /* at the end for good: no more to come */
	bool follow;             /* see gm_reader_set_follow() */
	bool rewind;             /* the file was truncated: at eof, start over */
	bool skipping;           /* inside a too-long line */
	size_t skip_total;       /* its bytes so far */
	bool skip_cr;            /* the last of them was a CR */
	gm_spill_fn *spill;
	void *spill_ctx;
	int idle_ms;             /* -1: wait for ever */
	bool sniffed;            /* the first bytes were looked at for gzip */
	z_stream *z;             /* gzip input; NULL: plain */
	unsigned char *zin;      /* compressed bytes, z->next_in into it */
	size_t zcap;
	bool zin_eof;            /* the file has no more compressed bytes */
	bool zclean;             /* at the end of a member: the input may end */
	const char *zfail;       /* an error found after lines still to give */
};

struct gm_reader *gm_reader_fdopen(int fd, const char *name, size_t max_line)
{
	struct gm_reader *r = calloc(1, sizeof *r);
	if (r)
		r->cap = max_line + 2 + READ_CHUNK;
	if (!r || !(r->buf = malloc(r->cap)))
		gm_die(GM_EXIT_FAIL, name, "out of memory for a %zu-byte line buffer", max_line);
	r->fd = fd;
	r->name = name;
	r->idle_ms = -1;
	r->max_line = max_line;
	return r;
}

struct gm_reader *gm_reader_open(const char *path, size_t max_line)
{
	if (strcmp(path, "-") == 0)
		return gm_reader_fdopen(STDIN_FILENO, "stdin", max_line);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		gm_error(path, "%s", strerror(errno));
		return NULL;
	}
	return gm_reader_fdopen(fd, path, max_line);
}

void gm_reader_set_follow(struct gm_reader *r, bool follow)
{
	r->follow = follow;
}

bool gm_reader_in_long_line(const struct gm_reader *r)
{
	return r->skipping;
}

void gm_reader_set_idle(struct gm_reader *r, int ms)
{
	r->idle_ms = ms;
}

void gm_reader_set_spill(struct gm_reader *r, gm_spill_fn *fn, void *ctx)
{
	r->spill = fn;
	r->spill_ctx = ctx;
}

void gm_reader_close(struct gm_reader *r)
{
	if (!r)
		return;
	if (r->fd != STDIN_FILENO)
		close(r->fd);
	if (r->z)
		inflateEnd(r->z);
	free(r->z);
	free(r->zin);
	free(r->buf);
	free(r);
}

/* Following, at the end of the file: a file now shorter than what was
 * read of it was truncated, and its end (what the buffer holds) is
 * final until it is read again from its start; else the end is only
 * for now. */
static enum gm_read at_end_for_now(struct gm_reader *r)
{
	struct stat st;
	if (fstat(r->fd, &st) == 0 && st.st_size < r->pos) {
		gm_warn(r->name, "file truncated");
		r->rewind = r->eof = true;
		return GM_READ_LINE;
	}
	return GM_READ_EOF;
}

/* After a truncated file's last line: reads it again from its start,
 * counting lines from 1. */
static enum gm_read start_over(struct gm_reader *r)
{
	if (lseek(r->fd, 0, SEEK_SET) < 0) {
		gm_error(r->name, "cannot read it again from its start: %s", strerror(errno));
		return GM_READ_ERROR;
	}
	r->start = r->end = r->scanned = 0;
	r->pos = 0;
	r->lineno = 0;
	r->eof = r->rewind = r->sniffed = false;
	return GM_READ_LINE;
}

/* Reads at most n bytes of the file into p, waiting as set (idle,
 * signals). Returns GM_READ_LINE with their count in *got, 0 at the end
 * of the file, or the status to give. */
static enum gm_read read_raw(struct gm_reader *r, void *p, size_t n, size_t *got)
{
	for (;;) {
		if (gm_stopping())
			return GM_READ_STOPPED;
		if (r->idle_ms >= 0) {
			struct pollfd pf = { .fd = r->fd, .events = POLLIN };
			int k = poll(&pf, 1, r->idle_ms);
			if (k == 0)
				return GM_READ_IDLE;
			if (k < 0 && errno == EINTR)
				continue;
		}
		ssize_t k = read(r->fd, p, n);
		if (k >= 0) {
			*got = k;
			r->pos += k;
			return GM_READ_LINE;
		}
		if (errno != EINTR) {
			gm_error(r->name, "read error: %s", strerror(errno));
			return GM_READ_ERROR;
		}
	}
}

/* Whether the n bytes at p (n > 0) begin as gzip's magic bytes do, as
 * far as they go. */
static bool gz_magic(const void *p, size_t n)
{
	const unsigned char *b = p;
	return b[0] == 0x1f && (n < 2 || b[1] == 0x8b);
}

/* A gzip error, found by a fill that made new bytes (made) or not: the
 * lines among them are given first, and the next fill says it. What
 * it cuts short of a line is not given. */
static enum gm_read gz_fail(struct gm_reader *r, const char *what, bool made)
{
	r->zfail = what;
	if (made)
		return GM_READ_LINE;
	gm_error(r->name, "gzip: %s (after %llu lines)", what,
		(unsigned long long)(r->lineno - r->skipping));
	return GM_READ_ERROR;
}

/* Inflates more input after buf[end], across members (cat a.gz b.gz
 * reads as their concatenation). Returns as fill(). */
static enum gm_read fill_gz(struct gm_reader *r)
{
	z_stream *z = r->z;
	if (r->zfail)
		return gz_fail(r, r->zfail, false);
	z->next_out = (unsigned char *)r->buf + r->end;
	z->avail_out = r->cap - r->end;
	for (;;) {
		if (z->avail_in == 0 && !r->zin_eof) {
			size_t got;
			enum gm_read st = read_raw(r, r->zin, r->zcap, &got);
			if (st != GM_READ_LINE)
				return st;
			z->next_in = r->zin;
			z->avail_in = got;
			r->zin_eof = got == 0;
		}
		if (z->avail_in == 0) {
			if (!r->zclean)
				return gz_fail(r, "unexpected end of file", false);
			r->eof = true;
			return GM_READ_LINE;
		}
		/* zcat ignores what follows the last member; here it is an
		 * error, so that a damaged file is not read as complete. */
		if (r->zclean && !gz_magic(z->next_in, z->avail_in))
			return gz_fail(r, "bytes after the last member are not gzip", false);
		r->zclean = false;
		int ret = inflate(z, Z_NO_FLUSH);
		bool made = (char *)z->next_out != r->buf + r->end;
		r->end = (char *)z->next_out - r->buf;
		switch (ret) {
		case Z_STREAM_END:
			r->zclean = true;
			inflateReset(z);
			break;
		case Z_OK:
		case Z_BUF_ERROR: /* no progress; there was input and room */
			break;
		case Z_MEM_ERROR:
			return gz_fail(r, "out of memory", made);
		default:
			return gz_fail(r, z->msg ? z->msg : "invalid compressed data", made);
		}
		if (made)
			return GM_READ_LINE;
	}
}

/* The file's first bytes, buf[0..end), are gzip's: from now on it is
 * inflated. Refused when following: a compressed file does not grow by
 * lines. */
static enum gm_read start_gz(struct gm_reader *r)
{
	if (r->follow) {
		gm_error(r->name, "gzip: a compressed file cannot be followed");
		return GM_READ_ERROR;
	}
	r->z = calloc(1, sizeof *r->z);
	r->zcap = r->end > GZ_CHUNK ? r->end : GZ_CHUNK;
	if (!r->z || !(r->zin = malloc(r->zcap)) || inflateInit2(r->z, 16 + MAX_WBITS) != Z_OK)
		gm_die(GM_EXIT_FAIL, r->name, "out of memory for gzip");
	memcpy(r->zin, r->buf, r->end);
	r->z->next_in = r->zin;
	r->z->avail_in = r->end;
	r->start = r->end = r->scanned = 0;
	return fill_gz(r);
}

/* Reads more input after buf[end]. Returns GM_READ_LINE when bytes
 * arrived or end of file was reached (r->eof), GM_READ_EOF when a
 * followed file has nothing more for now, else the status to give. */
static enum gm_read fill(struct gm_reader *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scanned -= r->start;
		r->start = 0;
	}
	if (r->z)
		return fill_gz(r);
	size_t got;
	enum gm_read st = read_raw(r, r->buf + r->end, r->cap - r->end, &got);
	if (st != GM_READ_LINE)
		return st;
	if (got == 0) {
		if (r->follow)
			return at_end_for_now(r);
		r->eof = true;
		return GM_READ_LINE;
	}
	r->end += got;
	/* Looked at once two bytes are in; buf holds all that was read
	 * (pos == end) unless a first byte, a newline, was taken. */
	if (!r->sniffed && r->pos >= 2) {
		r->sniffed = true;
		if (r->pos == (off_t)r->end && gz_magic(r->buf, r->end))
			return start_gz(r);
	}
	return GM_READ_LINE;
}

/* Hands a piece of a too-long line, as it came, to the spill callback. */
static void spill(struct gm_reader *r, const char *p, size_t n)
{
	if (r->spill && n > 0)
		r->spill(r->spill_ctx, p, n);
}

/* The rest of a too-long line (r->skipping): spills up to its newline.
 * A wait that ends first (idle, a signal, a followed file's end for now)
 * leaves the skipping under way, for the next call to go on with. */
static enum gm_read skip_long_line(struct gm_reader *r, struct gm_line *line)
{
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		size_t n = (nl ? (size_t)(nl - r->buf) : r->end) - r->start;
		r->skip_total += n;
		if (n > 0)
			r->skip_cr = r->buf[r->start + n - 1] == '\r';
		spill(r, r->buf + r->start, n);
		if (nl) {
			r->start = r->scanned = nl - r->buf + 1;
			break;
		}
		r->start = r->end = r->scanned = 0;
		if (r->eof) {
			r->skip_cr = false;
			break;
		}
		enum gm_read st = fill(r);
		if (st != GM_READ_LINE)
			return st;
	}
	r->skipping = false;
	line->data = NULL;
	line->lineno = r->lineno;
	line->crlf = r->skip_cr;
	line->len = r->skip_total - r->skip_cr;
	return GM_READ_TOOLONG;
}

enum gm_read gm_reader_next(struct gm_reader *r, struct gm_line *line)
{
	line->file = r->name;
	if (r->skipping)
		return skip_long_line(r, line);
	for (;;) {
		char *nl = memchr(r->buf + r->scanned, '\n', r->end - r->scanned);
		if (nl || (r->eof && r->start < r->end)) {
			size_t stop = nl ? (size_t)(nl - r->buf) : r->end;
			size_t len = stop - r->start;
			line->data = r->buf + r->start;
			line->lineno = ++r->lineno;
			r->start = r->scanned = nl ? stop + 1 : stop;
			line->crlf = len > 0 && line->data[len - 1] == '\r';
			len -= line->crlf;
			line->len = len;
			if (len <= r->max_line)
				return GM_READ_LINE;
			spill(r, line->data, len + line->crlf);
			line->data = NULL;
			return GM_READ_TOOLONG;
		}
		if (r->eof) {
			if (!r->rewind)
				return GM_READ_EOF;
			enum gm_read st = start_over(r);
			if (st != GM_READ_LINE)
				return st;
			continue;
		}
		r->scanned = r->end;
		if (r->end - r->start > r->max_line + 1) {
			++r->lineno;
			r->skipping = true;
			r->skip_total = 0;
			r->skip_cr = false;
			return skip_long_line(r, line);
		}
		enum gm_read st = fill(r);
		if (st != GM_READ_LINE)
			return st;
	}
}

uint64_t gm_reader_pos(const struct gm_reader *r)
{
	return (uint64_t)r->pos;
}

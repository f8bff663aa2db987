/* reader: NDJSON lines with positions; see reader.h.
 *
 * One buffer of max_line + 64 KiB holds the unread part of the input.
 * A line is returned in place when its newline is in the buffer. When
 * more than max_line bytes wait without a newline, the line is too long:
 * it is handed to the spill callback piece by piece until its newline,
 * so its size never costs memory. */
#include "reader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define READ_CHUNK (64 * 1024)

struct gm_reader {
	int fd;
	const char *name;
	char *buf;
	size_t cap, start, end;  /* unread bytes are buf[start..end) */
	size_t scanned;          /* buf[start..scanned) has no newline */
	size_t max_line;
	uint64_t lineno;
	bool eof;
	gm_spill_fn *spill;
	void *spill_ctx;
	int idle_ms;             /* -1: wait for ever */
};

struct gm_reader *gm_reader_open(const char *path, size_t max_line)
{
	int fd = STDIN_FILENO;
	if (strcmp(path, "-") != 0) {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			gm_error(path, "%s", strerror(errno));
			return NULL;
		}
	}
	struct gm_reader *r = calloc(1, sizeof *r);
	if (r)
		r->cap = max_line + 2 + READ_CHUNK;
	if (!r || !(r->buf = malloc(r->cap)))
		gm_die(GM_EXIT_FAIL, path, "out of memory for a %zu-byte line buffer", max_line);
	r->fd = fd;
	r->name = fd == STDIN_FILENO ? "stdin" : path;
	r->idle_ms = -1;
	r->max_line = max_line;
	return r;
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
	free(r->buf);
	free(r);
}

/* Reads more input after buf[end]. Returns GM_READ_LINE when bytes
 * arrived or end of file was reached (r->eof), else the status to give. */
static enum gm_read fill(struct gm_reader *r)
{
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scanned -= r->start;
		r->start = 0;
	}
	for (;;) {
		if (gm_stopping())
			return GM_READ_STOPPED;
		if (r->idle_ms >= 0) {
			struct pollfd p = { .fd = r->fd, .events = POLLIN };
			int k = poll(&p, 1, r->idle_ms);
			if (k == 0)
				return GM_READ_IDLE;
			if (k < 0 && errno == EINTR)
				continue;
		}
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n > 0) {
			r->end += n;
			return GM_READ_LINE;
		}
		if (n == 0) {
			r->eof = true;
			return GM_READ_LINE;
		}
		if (errno != EINTR) {
			gm_error(r->name, "read error: %s", strerror(errno));
			return GM_READ_ERROR;
		}
	}
}

/* Hands a piece of a too-long line, as it came, to the spill callback. */
static void spill(struct gm_reader *r, const char *p, size_t n)
{
	if (r->spill && n > 0)
		r->spill(r->spill_ctx, p, n);
}

/* The rest of a too-long line: spills up to its newline. */
static enum gm_read skip_long_line(struct gm_reader *r, struct gm_line *line)
{
	size_t total = 0;
	bool cr = false;   /* the last byte spilled was a CR */
	for (;;) {
		char *nl = memchr(r->buf + r->start, '\n', r->end - r->start);
		size_t n = (nl ? (size_t)(nl - r->buf) : r->end) - r->start;
		total += n;
		if (n > 0)
			cr = r->buf[r->start + n - 1] == '\r';
		spill(r, r->buf + r->start, n);
		if (nl) {
			r->start = r->scanned = nl - r->buf + 1;
			break;
		}
		r->start = r->end = r->scanned = 0;
		if (r->eof) {
			cr = false;
			break;
		}
		enum gm_read st = fill(r);
		if (st != GM_READ_LINE)
			return st;
	}
	line->data = NULL;
	line->crlf = cr;
	line->len = total - cr;
	return GM_READ_TOOLONG;
}

enum gm_read gm_reader_next(struct gm_reader *r, struct gm_line *line)
{
	line->file = r->name;
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
		if (r->eof)
			return GM_READ_EOF;
		r->scanned = r->end;
		if (r->end - r->start > r->max_line + 1) {
			line->lineno = ++r->lineno;
			return skip_long_line(r, line);
		}
		enum gm_read st = fill(r);
		if (st != GM_READ_LINE)
			return st;
	}
}

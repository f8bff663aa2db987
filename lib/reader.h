/* reader: NDJSON lines from a file or stdin, with file:line positions.
 * Lines may end in LF or CRLF; the last line may lack its newline. A line
 * longer than the limit is never held whole: its bytes, as they came
 * (a CR too), are handed to a spill callback in pieces, and the reader
 * reports GM_READ_TOOLONG.
 *
 * Input that begins with gzip's magic bytes (1f 8b), whatever its name,
 * is decompressed (zlib) as it is read: its lines are those of the
 * uncompressed data, and members one after the other read as their
 * concatenation, as zcat reads them. A stream that is damaged, cut
 * short, or followed by bytes that are not another member gives the
 * lines before the damage (those zlib could not yet tell from it too),
 * then GM_READ_ERROR, reported as "FILE: gzip: what (after N lines)". */
#ifndef GM_READER_H
#define GM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gm_reader;

struct gm_line {
	const char *data;  /* the line without its LF/CRLF; not NUL-terminated */
	size_t len;        /* for GM_READ_TOOLONG, the whole line's length */
	bool crlf;         /* it ended in CRLF: data[len] is the CR, which
	                      belongs to the line as it came (rejects keep it) */
	const char *file;  /* name for messages: the path, or "stdin" */
	uint64_t lineno;   /* 1-based */
};

enum gm_read {
	GM_READ_LINE,     /* *line holds a line (blank lines included) */
	GM_READ_TOOLONG,  /* the line passed max_line; its bytes went to spill */
	GM_READ_EOF,      /* end of input (following: for now) */
	GM_READ_ERROR,    /* read or gzip error, reported with gm_error(); stop */
	GM_READ_STOPPED,  /* a signal asked to stop (gm_stopping()) */
	GM_READ_IDLE,     /* nothing arrived within the idle time; call again */
};

typedef void gm_spill_fn(void *ctx, const char *p, size_t n);

/* Opens path ("-" for stdin) with a line limit in bytes. The buffer is
 * allocated once here. Returns NULL and reports with gm_error() if the
 * file cannot be opened. */
struct gm_reader *gm_reader_open(const char *path, size_t max_line);

/* As gm_reader_open(), on fd, which it then owns (closed by
 * gm_reader_close() unless it is stdin); name is for messages and
 * gm_line.file, borrowed: it must outlive the reader. */
struct gm_reader *gm_reader_fdopen(int fd, const char *name, size_t max_line);

/* follow, for a regular file: its end is only where it ends now, as
 * tail -F reads it. GM_READ_EOF then means nothing more for now: a later
 * call reads what came since. A last line without its newline is held
 * until the newline comes, never returned half; a too-long line goes on
 * being skipped. When the file turns out shorter than what was read of
 * it, it was truncated: a warning says so, what was held is given as
 * the last line, and the file is read again from its start, its lines
 * counted from 1. Turning follow off finishes the file: the next end is
 * final, and a held last line is returned as without follow. A gzip
 * file is not followed: with follow on, its first bytes give
 * GM_READ_ERROR ("gzip: a compressed file cannot be followed"). */
void gm_reader_set_follow(struct gm_reader *r, bool follow);

/* True while the reader is inside a too-long line: a wait (idle, the
 * end of a followed file for now) came before its newline. The next
 * call goes on spilling it; until then its reject is incomplete. */
bool gm_reader_in_long_line(const struct gm_reader *r);

/* Sets the callback that receives a too-long line's bytes in order.
 * Without one they are discarded (the line is still reported). */
void gm_reader_set_spill(struct gm_reader *r, gm_spill_fn *fn, void *ctx);

/* Makes gm_reader_next() return GM_READ_IDLE when no input arrives for
 * ms milliseconds (a pipe or terminal that stays open); -1, the default,
 * waits for ever. A regular file is always ready. */
void gm_reader_set_idle(struct gm_reader *r, int ms);

/* Reads the next line. The data stays valid until the next call. */
enum gm_read gm_reader_next(struct gm_reader *r, struct gm_line *line);

/* Bytes read from the file so far, as they are on disk (compressed,
 * for gzip): how far a reader is, for progress. */
uint64_t gm_reader_pos(const struct gm_reader *r);

/* Closes the file (not stdin) and frees the reader. NULL is ignored. */
void gm_reader_close(struct gm_reader *r);

#endif

/* window: event-time windows, tumbling or hopping, with a watermark.
 *
 * The watermark is the newest event time seen less the allowed lateness:
 * a window [start, end) closes, and is handed to the close callback, once
 * the watermark reaches its end. A record whose every window has closed
 * is late: gm_windows_for() returns none, and the caller sends it to its
 * side output. gm_windows_close_all() closes every open window, at the
 * end of the input or when it has been idle; records that come later for
 * those windows are late too.
 *
 * Each window also keeps the lowest input position (a Kafka offset, a
 * line number) of the records given to it, so that a tool knows where
 * to read again from to rebuild the open windows: a consumer commits
 * gm_windows_first_pos(), and its next run resumes the windows with
 * gm_windows_resume() so that the windows already written stay closed.
 *
 * Each window carries a state block of the tool's, state_size bytes; the
 * blocks are recycled, so a long run allocates none after the first
 * windows. A new block is zeroed; a recycled one keeps what the tool
 * left in it (buffers it can reuse), and the open callback prepares it. */
#ifndef GM_WINDOW_H
#define GM_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct gm_window_spec {
	int64_t size;      /* ms; windows are aligned to multiples of slide */
	int64_t slide;     /* ms between window starts; size for tumbling */
	int64_t lateness;  /* ms an event may lag the newest one seen */
};

/* Called with a window's bounds and state: open() when a window is made,
 * close() when it closes. */
typedef void gm_window_fn(void *ctx, int64_t start, int64_t end, void *state);

struct gm_windows;

/* slide must divide size, and both be > 0. Dies (status 1) only when
 * memory is exhausted. */
struct gm_windows *gm_windows_new(const struct gm_window_spec *spec,
	size_t state_size, gm_window_fn *open, gm_window_fn *close, void *ctx);

/* Closes nothing; frees the windows (call gm_windows_close_all() first
 * to emit them). The close callback is not called; release() (may be
 * NULL) is called on every state block before it is freed. */
void gm_windows_free(struct gm_windows *w, void (*release)(void *state));

/* The states of the open windows that hold ts, made as needed, in
 * states[0..n), n returned (at most size/slide). 0 means ts is late.
 * pos is the record's input position; each window keeps the lowest. */
size_t gm_windows_for(struct gm_windows *w, int64_t ts, int64_t pos,
	void **states);

/* Takes ts as seen: the watermark moves up to ts - lateness and the
 * windows it passed close, oldest first. Call after the record at ts was
 * applied to its windows. */
void gm_windows_advance(struct gm_windows *w, int64_t ts);

/* Closes every open window, oldest first. */
void gm_windows_close_all(struct gm_windows *w);

/* Windows open now, and the watermark (INT64_MIN before any record). */
size_t gm_windows_open(const struct gm_windows *w);
int64_t gm_windows_watermark(const struct gm_windows *w);

/* The end time up to which every window has closed (INT64_MIN before
 * any): a record whose windows all end at or before it is late. */
int64_t gm_windows_closed_until(const struct gm_windows *w);

/* The lowest input position of the records in the open windows, or
 * INT64_MAX when none is open: reading again from there rebuilds them. */
int64_t gm_windows_first_pos(const struct gm_windows *w);

/* Takes up where an earlier run left off: the windows ending at or
 * before closed_until (its gm_windows_closed_until()) were written by
 * it, and stay closed. Call before the first record. */
void gm_windows_resume(struct gm_windows *w, int64_t closed_until);

/* The start of the window of size ms that holds ts, windows starting
 * at multiples of size: floor(ts / size) * size, for times before 1970
 * too. What a tool with windows of its own (a store entry's timer at a
 * window's end) aligns them with. */
int64_t gm_window_start(int64_t ts, int64_t size);

/* The start of the id of a record about window [start, end) of input
 * partition (NULL: files): "START/LENs/" or "START/LENs/PARTITION/",
 * START as gm_ts_format() writes it and LEN in whole seconds, the rest
 * of the id (a country, a category) to follow. Writes at most
 * GM_WINDOW_ID_MAX bytes into buf (no NUL; a longer partition name is
 * cut); returns the length. Every window record's id begins so, and a
 * replay gives the same. */
#define GM_WINDOW_ID_MAX 320
size_t gm_window_id(char *buf, int64_t start, int64_t end, const char *partition);

/* Begins on w the record of type about window [start, end) of
 * partition (NULL: files), as every window record begins: type,
 * metric_id (id, n bytes), ts (the end), window_start, window_end and
 * partition (when not NULL). The caller adds its fields and ends it. */
struct gm_writer;
void gm_window_record(struct gm_writer *w, const char *type, const char *id, size_t n,
	int64_t start, int64_t end, const char *partition);

#endif

/* window: see window.h. The open windows sit in an array sorted by start
 * (there are few: about (size + lateness) / slide); state blocks come
 * from a free list. */
#include "window.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "number.h"
#include "ts.h"
#include "writer.h"

struct open_window {
	int64_t start;
	int64_t first_pos;  /* the lowest position of its records */
	void *state;
};

struct gm_windows {
	struct gm_window_spec spec;
	size_t state_size;
	gm_window_fn *open_fn, *close_fn;
	void *ctx;
	struct open_window *open;
	size_t nopen, cap;
	void **free_states;
	size_t nfree, free_cap;
	int64_t watermark;
	int64_t closed_until;  /* every window ending at or before it closed */
};

struct gm_windows *gm_windows_new(const struct gm_window_spec *spec,
	size_t state_size, gm_window_fn *open, gm_window_fn *close, void *ctx)
{
	struct gm_windows *w = gm_xcalloc(1, sizeof *w);
	w->spec = *spec;
	w->state_size = state_size;
	w->open_fn = open;
	w->close_fn = close;
	w->ctx = ctx;
	w->watermark = INT64_MIN;
	w->closed_until = INT64_MIN;
	return w;
}

void gm_windows_free(struct gm_windows *w, void (*release)(void *state))
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nopen; i++) {
		if (release)
			release(w->open[i].state);
		free(w->open[i].state);
	}
	for (size_t i = 0; i < w->nfree; i++) {
		if (release)
			release(w->free_states[i]);
		free(w->free_states[i]);
	}
	free(w->open);
	free(w->free_states);
	free(w);
}

size_t gm_windows_open(const struct gm_windows *w)
{
	return w->nopen;
}

int64_t gm_windows_watermark(const struct gm_windows *w)
{
	return w->watermark;
}

int64_t gm_windows_closed_until(const struct gm_windows *w)
{
	return w->closed_until;
}

int64_t gm_windows_first_pos(const struct gm_windows *w)
{
	int64_t first = INT64_MAX;
	for (size_t i = 0; i < w->nopen; i++)
		if (w->open[i].first_pos < first)
			first = w->open[i].first_pos;
	return first;
}

void gm_windows_resume(struct gm_windows *w, int64_t closed_until)
{
	w->closed_until = closed_until;
	w->watermark = closed_until;
}

int64_t gm_window_start(int64_t ts, int64_t size)
{
	int64_t q = ts / size;
	if (ts % size < 0)
		q--;
	return q * size;
}

/* The state of the window starting at start, made when absent, for a
 * record at pos. */
static void *window_at(struct gm_windows *w, int64_t start, int64_t pos)
{
	size_t i = w->nopen;
	while (i > 0 && w->open[i - 1].start > start)
		i--;
	if (i > 0 && w->open[i - 1].start == start) {
		if (pos < w->open[i - 1].first_pos)
			w->open[i - 1].first_pos = pos;
		return w->open[i - 1].state;
	}
	w->open = gm_grow(w->open, &w->cap, w->nopen + 1, sizeof *w->open, 8);
	void *state;
	if (w->nfree) {
		state = w->free_states[--w->nfree];
	} else {
		state = gm_xcalloc(1, w->state_size);
	}
	memmove(&w->open[i + 1], &w->open[i], (w->nopen - i) * sizeof *w->open);
	w->open[i] = (struct open_window){ start, pos, state };
	w->nopen++;
	if (w->open_fn)
		w->open_fn(w->ctx, start, start + w->spec.size, state);
	return state;
}

size_t gm_windows_for(struct gm_windows *w, int64_t ts, int64_t pos,
	void **states)
{
	size_t n = 0;
	int64_t last = gm_window_start(ts, w->spec.slide);
	/* Windows start at last, last - slide, ... while they still hold ts. */
	for (int64_t start = last - w->spec.size + w->spec.slide; start <= last; start += w->spec.slide) {
		if (start + w->spec.size <= w->closed_until)
			continue;  /* that window has closed */
		states[n++] = window_at(w, start, pos);
	}
	return n;
}

/* Closes the oldest open window. */
static void close_first(struct gm_windows *w)
{
	struct open_window ow = w->open[0];
	int64_t end = ow.start + w->spec.size;
	memmove(&w->open[0], &w->open[1], (w->nopen - 1) * sizeof *w->open);
	w->nopen--;
	if (end > w->closed_until)
		w->closed_until = end;
	if (w->close_fn)
		w->close_fn(w->ctx, ow.start, end, ow.state);
	w->free_states = gm_grow(w->free_states, &w->free_cap, w->nfree + 1,
		sizeof *w->free_states, 8);
	w->free_states[w->nfree++] = ow.state;
}

void gm_windows_advance(struct gm_windows *w, int64_t ts)
{
	if (ts < INT64_MIN + w->spec.lateness)
		return;
	int64_t wm = ts - w->spec.lateness;
	if (wm <= w->watermark)
		return;
	w->watermark = wm;
	while (w->nopen > 0 && w->open[0].start + w->spec.size <= wm)
		close_first(w);
	if (wm > w->closed_until)
		w->closed_until = wm;
}

void gm_windows_close_all(struct gm_windows *w)
{
	while (w->nopen > 0)
		close_first(w);
}

size_t gm_window_id(char *buf, int64_t start, int64_t end, const char *partition)
{
	size_t n = gm_ts_format(start, buf);
	buf[n++] = '/';
	n += gm_format_i64((end - start) / 1000, buf + n);
	buf[n++] = 's';
	buf[n++] = '/';
	if (partition) {
		size_t p = strlen(partition);
		if (p > GM_WINDOW_ID_MAX - n - 1)
			p = GM_WINDOW_ID_MAX - n - 1;
		memcpy(buf + n, partition, p);
		n += p;
		buf[n++] = '/';
	}
	return n;
}

void gm_window_record(struct gm_writer *w, const char *type, const char *id, size_t n,
	int64_t start, int64_t end, const char *partition)
{
	gm_w_obj_begin(w);
	GM_W_KCSTR(w, "type", type);
	GM_W_KSTR(w, "metric_id", id, n);
	GM_W_KTS(w, "ts", end);
	GM_W_KTS(w, "window_start", start);
	GM_W_KTS(w, "window_end", end);
	if (partition)
		GM_W_KCSTR(w, "partition", partition);
}

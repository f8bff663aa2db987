/* intake: an alert record, checked and its labels decoded by the parser
 * (rtype.h's alert: labels flat, with string values, as gm-events(5)
 * has them), read into a note_alert: its strings, labels and numbers
 * (the other top-level fields that hold a number or null) copied out
 * NUL-terminated. */
#ifndef GM_NOTIFY_INTAKE_H
#define GM_NOTIFY_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "note.h"

/* The buffers alerts are read into, reused from one alert to the next:
 * no allocation per alert once they are large enough. With alloc set,
 * each alert's strings and labels go instead into a block of its own
 * that alloc(ctx, n) gives (n bytes, aligned as a pointer), and stay
 * valid as long as the caller keeps that block. */
struct intake {
	void *(*alloc)(void *ctx, size_t n);
	void *ctx;
	char *buf;
	size_t cap;
	struct route_label *pairs;
	size_t pcap;
	size_t *numbers;           /* the fields that are numbers, by index */
	size_t ncap;
};

/* Reads ev, an alert that gm_parse() accepted (ev->type GM_ALERT), into
 * *a, whose strings point into in until the next call; the labels in
 * ev's order, a name given twice kept twice (in in->alloc's block,
 * when there is one). Returns false, with the
 * reason in why, when a string holds a NUL (from a \u0000 escape), which
 * a NUL-terminated copy would cut:
 *   field "summary": a NUL character (\u0000)
 *   field "labels": "user_id" holds a NUL character (\u0000)
 *   field "labels": "a?b" has in its name a NUL character (\u0000)
 *   field "a?b": a NUL character (\u0000) in its name     (a number's)
 * (a name at most 64 bytes, control characters as '?'). */
bool intake_read(struct intake *in, const struct gm_event *ev, struct note_alert *a,
	char *why, size_t whylen);

/* Frees what in holds. */
void intake_free(struct intake *in);

#endif

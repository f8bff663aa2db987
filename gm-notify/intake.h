/* intake: an alert record, checked by the parser (rtype.h's alert),
 * read into a note_alert: its labels object decoded, which must be flat
 * with string values (gm-events(5)), and its numbers, the other
 * top-level fields that hold a number or null. */
#ifndef GM_NOTIFY_INTAKE_H
#define GM_NOTIFY_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"
#include "note.h"

/* The buffers alerts are read into, reused from one alert to the next. */
struct intake {
	char *buf;
	size_t cap;
	struct route_label *pairs;
	size_t pcap;
	void *tree;            /* the labels object as yajl parsed it */
};

/* Reads ev, an alert (ev->type GM_ALERT), into *a, whose strings point
 * into in until the next call. Returns false, with the reason in why
 * ("field \"labels\": \"user_id\" holds a number, not a string"), when
 * the labels are not a flat object of strings. */
bool intake_read(struct intake *in, const struct gm_event *ev, struct note_alert *a,
	char *why, size_t whylen);

/* Frees what in holds. */
void intake_free(struct intake *in);

#endif

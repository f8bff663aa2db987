/* alert: the alert record every tool writes, in the one shape of
 * gm-events(5): type, alert_id, ts, kind, severity, status (only when
 * resolved), source, summary and labels, then the numbers that triggered
 * it, which the tool adds with the writer calls. Its id is derived from
 * what triggered it, so that a replay repeats it and a consumer drops
 * what it has handled. Tools decide alerts; this module builds them and
 * hands them to the tool's output. */
#ifndef GM_ALERT_H
#define GM_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "writer.h"

#define GM_ALERT_ID_LEN 16   /* hex digits */

enum gm_alert_severity { GM_ALERT_INFO, GM_ALERT_WARNING, GM_ALERT_CRITICAL };

/* A firing alert is written without a status (gm-events(5)'s default);
 * a resolved one has "status":"resolved" and closes the firing alert of
 * the same kind and labels. */
enum gm_alert_status { GM_ALERT_FIRING, GM_ALERT_RESOLVED };

/* One label: a name (a NUL-terminated JSON key) and a string value. */
struct gm_alert_label {
	const char *name;
	gm_str value;
};

/* One alert; every pointer is the caller's and must be valid for the
 * call to gm_alert_begin() only. */
struct gm_alert {
	const char *source;       /* the tool, "gm-txmon" */
	const char *rule;         /* what decided it, "velocity": with ... */
	gm_str subject;           /* ... what it is about (a transaction id),
	                             what alert_id is derived from */
	const char *kind;         /* "anomaly", "low_stock", ... */
	enum gm_alert_severity severity;
	enum gm_alert_status status;
	int64_t ts;               /* the event time the alert is about */
	const char *summary;      /* one human line, no newline */
	const struct gm_alert_label *labels;   /* in the order written */
	size_t nlabels;
};

/* Writes into id (GM_ALERT_ID_LEN hex digits and a NUL) the alert id of
 * rule on subject (n bytes) from source: the same arguments give the
 * same id on every run and machine. It is gm_hash() of "source/rule/"
 * and the subject's first 22 bytes, xor gm_hash() of the whole subject,
 * the ids gm-txmon has always written; source and rule count up to 64
 * bytes each. A resolved alert hashes "source/rule/resolved/..." instead,
 * so that its id differs from the firing one's. A subject that can fire
 * and resolve more than once names the occurrence (a time, say). */
void gm_alert_id(char *id, const char *source, const char *rule,
	const char *subject, size_t n, enum gm_alert_status status);

/* Begins a's record on out's writer: every field up to and including
 * the labels, the id derived by gm_alert_id(). The caller then adds the
 * numbers, each a top-level key and a JSON number (or null), as
 * GM_W_KU64() and the like write them, and hands the record over with
 * gm_alert_emit(). Returns the writer. */
struct gm_writer *gm_alert_begin(const struct gm_output *out, const struct gm_alert *a);

/* Ends the record begun on w and hands it to out with the message key
 * (klen bytes; NULL: none). */
void gm_alert_emit(const struct gm_output *out, struct gm_writer *w,
	const char *key, size_t klen);

#endif

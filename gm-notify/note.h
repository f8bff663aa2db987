/* note: what gm-notify sends, in one shape for the engine that makes
 * it (group.h), the senders that deliver it (send.h) and the daemon
 * that queues, retries and logs it between them: one notification of a
 * group to one integration of a receiver, with its alerts. */
#ifndef GM_NOTIFY_NOTE_H
#define GM_NOTIFY_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "route.h"

/* An alert, as gm-events(5) has it. numbers' values are JSON number
 * text ("3", "62.99", "null"). Strings are UTF-8. */
struct note_alert {
	const char *alert_id;
	int64_t ts;                    /* its event time, ms since the epoch */
	const char *kind, *severity, *source, *summary;
	bool resolved;
	const struct route_label *labels;    /* the labels object */
	size_t nlabels;
	const struct route_label *numbers;
	size_t nnumbers;
	/* In notifications only. A resolved alert is its resolution's
	 * record (alert_id, ts, summary, numbers) with the firing alert's
	 * id in fired_id; started is the firing alert's ts either way. */
	const char *fired_id;
	int64_t started;
	uint64_t fingerprint;          /* of the label set */
	/* The label set (note_label_set()) when the engine has it made, in
	 * its notifications of firing alerts, so that a payload need not
	 * make it again; NULL: not given. note_share() keeps it, note_dup()
	 * does not. */
	const struct route_label *set;
	size_t nset;
	/* When strs is set, alert_id, kind, severity, source, summary and
	 * the strings of labels and numbers all lie in strs[0..nstrs),
	 * each NUL-terminated, and nothing else does: a copy takes them in
	 * one memcpy(), not a strlen() and a copy each (intake_read() reads
	 * them so). NULL: anywhere. Whoever points one of them elsewhere
	 * sets strs to NULL. */
	const char *strs;
	size_t nstrs;
};

/* The integrations of a receiver, in the order a notification goes to
 * them: its email_configs, slack_configs, webhook_configs, sms_configs
 * and file_configs. */
enum note_kind { NOTE_EMAIL, NOTE_SLACK, NOTE_WEBHOOK, NOTE_SMS, NOTE_FILE, NOTE_NKINDS };

/* One notification for one integration: receiver->email[index] for
 * NOTE_EMAIL, and so on. */
struct note {
	uint64_t id;                   /* the same for the same notification on every run */
	const struct conf_receiver *receiver;
	enum note_kind kind;
	size_t index;
	const char *group_key;         /* Alertmanager's: route key ":" group labels */
	struct route_labels group_labels;   /* sorted by name */
	const struct note_alert *alerts;   /* the firing ones first, each part in the order they came */
	size_t nalerts, nfiring;       /* nalerts at least 1 */
	bool reminder;
	bool fallback;                 /* a copy for the fallback of the route's receiver, of
	                                  a notification given up on (group_fallback()) */
	uint64_t seq;                  /* the group's notifications so far, this one included */
	int64_t incident;              /* when the group sent its first: with the key, a thread's name */
	int64_t at;                    /* when it was made, ms: the same on every attempt, so
	                                  that a retry sends the same bytes (Date, Message-ID) */
};

/* A copy of n that owns its strings and arrays, in one block (the
 * receiver stays n's, the configuration's). Dies only when memory is
 * exhausted. Free with free(). */
struct note *note_dup(const struct note *n);

/* A copy of n, in one block, of its own arrays only (its alerts, its
 * group labels), pointing to n's strings and to the label
 * and number arrays of n's alerts: for one of the engine's notifications
 * (group.h), whose strings and alerts' arrays stay while it is in
 * flight, so that handing it to delivery copies no string. Dies only
 * when memory is exhausted. Free with free(). */
struct note *note_share(const struct note *n);

/* A copy of a into *dst whose strings and arrays are in one block,
 * *blob, the arrays first (free *blob with free()). Dies only when
 * memory is exhausted. */
void note_alert_dup(struct note_alert *dst, char **blob, const struct note_alert *a);

/* The bytes of note_alert_put()'s copy of a. */
size_t note_alert_size(const struct note_alert *a);

/* note_alert_dup() into the caller's block, of note_alert_size(a)
 * bytes aligned as a pointer: so that an alert and what holds it can be
 * one block. */
void note_alert_put(struct note_alert *dst, void *block, const struct note_alert *a);

/* A copy of v[0..n) with its strings, in one block, the array first.
 * Dies only when memory is exhausted. Free with free(). */
struct route_label *note_labels_dup(const struct route_label *v, size_t n);

/* The number of integrations of kind k that r has. */
size_t note_integrations(const struct conf_receiver *r, enum note_kind k);

/* Whether integration k, index i of r sends resolved alerts. */
bool note_sends_resolved(const struct conf_receiver *r, enum note_kind k, size_t i);

/* a's label set, the one routing, grouping, inhibition, silences and
 * Alertmanager's payload see: its labels, but those named kind,
 * severity or source, which are a's own fields; then kind, severity,
 * source, and alertname, the kind, unless a label has that name (as
 * Alertmanager's users group and route by alertname); sorted by name,
 * a name once (the first given). Writes into out, which has room for
 * a->nlabels + 4, and returns the count; the strings are a's. */
size_t note_label_set(const struct note_alert *a, struct route_label *out);

/* Sorts v[0..n) by name (Go writes a map's keys so), stably, keeping
 * the first of a name given twice; returns the count kept. Insertion
 * sort: label sets are small. */
size_t note_sort_unique(struct route_label *v, size_t n);

/* "email", "slack", "webhook", "sms", "file": k as messages and the
 * configuration name it. */
const char *note_kind_name(enum note_kind k);

#endif

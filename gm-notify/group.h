/* group: gm-notify's engine, Alertmanager's dispatcher in gm's terms,
 * as pure logic: alerts in, notifications out through a callback, time
 * given by the caller (the wall clock live, the alerts' event time
 * with --replay), no I/O but the state file.
 *
 * Alerts. An alert is a record of gm-events(5); its label set is its
 * labels plus kind, severity and source, and two alerts with the same
 * label set are the same alert. An alert_id seen before is dropped:
 * the engine remembers the max_ids ids seen last (a duplicate counts
 * as seen), so an id not seen for longer counts as new. A resolved alert
 * resolves the firing alert with its label set. A kind "can resolve"
 * once an alert of it has come resolved (or when the options name it):
 * its alerts fire until resolved. An alert of any other kind is an
 * event (an anomaly, an abandoned cart): it is notified once and
 * forgotten resolve_timeout after it came, with no resolution sent.
 *
 * Groups. An alert goes to each route route_match() gives, and there
 * into the group of the route and its values of the route's group_by
 * labels (every label for '...'; a label with no value is left out, as
 * Alertmanager leaves it). A group's first notification goes
 * group_wait after it is made; then it is looked at every
 * group_interval, and a notification goes when it has alerts new or
 * resolved since its last one: each alert is notified once firing and,
 * to the integrations whose send_resolved is true, once resolved (only
 * when its firing was notified). Alertmanager re-lists every firing
 * alert instead. Every repeat_interval from the group's first
 * notification, at the next look, a reminder lists the alerts still
 * firing that can resolve; changes do not put it off, so that a group
 * that keeps changing still reminds. A group with nothing left is
 * forgotten, and an alert that comes after starts it anew, with
 * group_wait.
 *
 * Muting. At each look, a firing alert not yet notified is held back
 * while an inhibit rule mutes it (route_inhibits() with any firing
 * alert as source) or a silence (silence.h) matches it, and notified
 * when that ends if it is still firing (an event alert still held back
 * when its resolve_timeout ends is dropped). A resolution is never
 * muted: whoever got the firing gets its end.
 *
 * Notifications go one per integration of the route's receiver (its
 * email, Slack, webhook, SMS and file configs, in note.h's order). The
 * caller delivers each and reports it with group_done(); until then it
 * is in flight, and saved as such: a run that loads the state resends
 * it (group_resume()) with the same id, and nothing else is sent
 * twice, since its alerts count as notified from the moment it was
 * handed over.
 *
 * Memory is bounded: at most max_alerts alerts fire at once (past
 * that the one that came first is dropped, counted), max_ids ids, and
 * groups and notifications in flight hold only alerts within those. */
#ifndef GM_NOTIFY_GROUP_H
#define GM_NOTIFY_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "note.h"
#include "route.h"
#include "silence.h"

/* Alerts come in and go out as note.h's. In group_take() the strings
 * are the caller's and are copied; its fired_id, started and
 * fingerprint, a notification's, are the engine's to set. A
 * notification (struct note) and all it points to, but its receiver
 * (the configuration's), are the engine's, valid until the callback
 * returns or group_done(id) is called, whichever is first; but the
 * strings, its alerts' label and number arrays, and what its group
 * labels and common labels point to stay while it is in flight (until
 * group_done(), group_fallback() or group_free() of its id):
 * note_share() keeps one for that long, copying only its own arrays,
 * note_dup() for any time. */
struct group_out {
	void *ctx;
	void (*notify)(void *ctx, const struct note *n);
};

struct group_opts {
	int64_t resolve_timeout;       /* ms an event alert stays firing (conf's global.resolve_timeout) */
	size_t max_alerts;             /* firing alerts held; 0: GROUP_MAX_ALERTS */
	size_t max_ids;                /* alert ids remembered; 0: GROUP_MAX_IDS */
	const char *const *resolvable; /* kinds that can resolve from the start */
	size_t nresolvable;
};
#define GROUP_MAX_ALERTS 1000000
#define GROUP_MAX_IDS (1u << 21)

/* What group_take() did with an alert. */
enum group_took {
	GROUP_FIRING,       /* a new firing alert */
	GROUP_RESOLVED,     /* it resolved a firing alert */
	GROUP_DUPLICATE,    /* its alert_id was seen before: dropped */
	GROUP_REPEATED,     /* its label set is firing already: dropped */
	GROUP_UNMATCHED,    /* resolved, but nothing with its label set fires */
};

struct group_stats {
	uint64_t taken[GROUP_UNMATCHED + 1];   /* by enum group_took */
	uint64_t evicted;       /* firing alerts dropped at max_alerts */
	uint64_t expired;       /* event alerts forgotten after resolve_timeout */
	uint64_t notes, delivered, failed;
	uint64_t muted;         /* times an alert was held back at a look */
	size_t firing, groups, in_flight;
};

struct group_engine;

/* An engine routing by c, muting by silences (both the caller's, and
 * live as long as the engine; the caller may change silences between
 * calls, then calls group_silences_changed()), sending through out.
 * Dies only when memory is exhausted. */
struct group_engine *group_new(const struct conf *c, const struct silences *silences,
	const struct group_opts *o, const struct group_out *out);

/* Frees e and all it holds; NULL is ignored. */
void group_free(struct group_engine *e);

/* Takes alert a at time now (ms). First does all that is due before
 * now (group_tick()'s work), then takes a; what is due at now itself
 * waits for group_tick(), so an alert taken at the time of a group's
 * look is in it. now never goes back: an earlier now counts as the
 * latest seen. */
enum group_took group_take(struct group_engine *e, const struct note_alert *a, int64_t now);

/* As group_take(), with mark, the caller's name for where a came from
 * (a Kafka partition and offset), kept with what a becomes so that
 * group_unsettled() can tell which input is not done with. Marks are
 * not saved in the state file. */
#define GROUP_NO_MARK UINT64_MAX
enum group_took group_take_marked(struct group_engine *e, const struct note_alert *a, int64_t now,
	uint64_t mark);

/* Forgets the firing alerts taken with a mark that drop(ctx, mark)
 * names, when no group has notified them and no notification in flight
 * names them: out of their groups, the firing alerts and the inhibit
 * sources, their ids forgotten, as if never taken. For an input handed
 * to another reader (a Kafka rebalance), which reads them again: the
 * caller first accepts its input up to the first unsettled record
 * (group_unsettled()), then forgets. Returns how many. */
size_t group_forget_marked(struct group_engine *e, bool (*drop)(void *ctx, uint64_t mark),
	void *ctx);

/* Calls each(ctx, mark) for the mark of every alert record taken whose
 * notifications are not all delivered or given up on (group_done()): a
 * firing alert waiting for its group's look or held back by a mute, a
 * resolution not yet notified, either named by a notification in
 * flight. Records dropped (duplicates, repeats, unmatched), and those
 * settled, are not named. Linear in the alerts held. */
void group_unsettled(const struct group_engine *e, void (*each)(void *ctx, uint64_t mark),
	void *ctx);

/* Does all that is due at or before now, in time order, each at its
 * own time: looks of groups (notifications sent through the callback,
 * at = the look's time), event alerts forgotten, silences starting or
 * ending. */
void group_tick(struct group_engine *e, int64_t now);

/* The time the engine next has something to do (call group_tick()
 * then), or INT64_MAX when nothing is pending. */
int64_t group_next(const struct group_engine *e);

/* Sends what is waiting: runs group_tick() at each next time while a
 * group has new or resolved alerts to send, so that at the end of a
 * replay the notifications the alerts call for have gone, as they
 * would have live (reminders falling due before then included). */
void group_finish(struct group_engine *e);

/* Tells e that its silences changed at now (loaded again, added to,
 * expired): first does what is due before now, then the alerts held
 * back are looked at again at their groups' next look. */
void group_silences_changed(struct group_engine *e, int64_t now);

/* Reports the notification id delivered (true) or given up on, after
 * the retries, the fallback and the dead-letter file (false): either
 * way it is no longer in flight. Returns false when no notification id
 * is in flight. */
bool group_done(struct group_engine *e, uint64_t id, bool delivered);

/* Hands the notification id, given up on, to the receiver of index
 * fallback in the configuration: a new notification for each of that
 * receiver's integrations (those that send resolved alerts only, when
 * it has no firing alert), with note.fallback set, in flight, saved and
 * resumed as any other, and sent through the callback; id is then done,
 * as given up on. Returns how many were made (0 also when id is not in
 * flight). A fallback's notification given up on has no fallback of its
 * own: the caller reports it done. */
size_t group_fallback(struct group_engine *e, uint64_t id, size_t fallback);

/* Sends again, through the callback, every notification in flight, in
 * the order they were first sent: after group_load(), those a run
 * that stopped had not seen delivered. */
void group_resume(struct group_engine *e);

/* Writes e's state to path atomically (nlog.h): the clock, the kinds
 * that can resolve, the alert ids remembered, the alerts held (firing,
 * or resolved and not yet notified so, or in flight), the groups (their
 * timers, each alert's place in it: waiting, notified, resolved
 * waiting), the notifications in flight, the counters. False, reported
 * ("prog: path: cannot write: why"), when it cannot. */
bool group_save(const struct group_engine *e, const char *path);

/* Loads the state of path into e, which must be new (nothing taken).
 * A file not there is no state: true. A group whose route the
 * configuration no longer has, or a notification whose receiver or
 * integration is gone, is dropped with a warning. False, reported
 * ("prog: path:line: what"), when the file cannot be read or is not a
 * state file of this version; e is then half loaded, to be freed. */
bool group_load(struct group_engine *e, const char *path);

/* The counters so far. */
struct group_stats group_stats(const struct group_engine *e);

#endif

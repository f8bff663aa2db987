/* session: a user's records grouped into sessions by inactivity, in
 * event time (see gm-session(1)).
 *
 * A record at time t opens the window [t, t + gap); windows that overlap
 * merge into one session, so that a record that came late but within
 * the lateness, bridging two runs, joins them. A session closes when
 * the watermark passes its end plus the gap, or its start plus the
 * longest session; a record at or after that start a new one. With
 * by_client, the records' own session_id says which session they are
 * in, and the gap and longest session still close it.
 *
 * Each user's open sessions (at most OPEN_MAX) live in a state store
 * entry keyed by user_id, with one timer: the earliest close. A closed
 * session is written as a session record (gm-events(5)) and tallied;
 * a user with none open is forgotten. */
#ifndef GM_SESSION_SESSION_H
#define GM_SESSION_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "store.h"
#include "tally.h"
#include "writer.h"

/* The longest ids and names a session keeps: longer ones are refused
 * (see session_refuses()). */
#define SESSION_ID_MAX 39      /* product and client session ids */
#define SESSION_NAME_MAX 23    /* categories and countries */

struct session_options {
	int64_t gap;              /* ms of inactivity that ends a session */
	int64_t max_session;      /* ms: longer sessions are split */
	bool by_client;           /* sessions are the records' session_id */
	size_t max_users;         /* the store's cap */
};

struct sessions;

/* The state store the sessions live in (gm_streams_store()). Its
 * evicted hook is the caller's to set: call sessions_evicted(). */
struct gm_store_spec sessions_store_spec(const struct session_options *o);

/* Sessions over users (made from sessions_store_spec(o); not owned),
 * written to out, tallied to tally. */
struct sessions *sessions_new(const struct session_options *o, struct gm_store *users,
	const struct gm_output *out, const struct tally_output *tally);
void sessions_free(struct sessions *ss);

/* Why gm-session cannot keep ev (an id or name longer than it keeps),
 * or NULL. */
const char *session_refuses(const struct gm_event *ev);

/* A product view, cart event or transaction at `at` joins its user's
 * sessions; nothing when the user's entry already holds it (a replay:
 * gm_store_update()). p: its partition, of the sessions it closes
 * early (more than OPEN_MAX open). */
void sessions_event(struct sessions *ss, const struct gm_event *ev,
	struct gm_store_at at, const struct part *p);

/* The country of the user's open session that holds time ts, as its
 * earliest record with one said (records before ts have all come when
 * the watermark passed it; later ones may not have), or NULL. */
const char *sessions_country(struct sessions *ss, const char *user, size_t ulen, int64_t ts);

/* The timer of a user's entry came (its store's spec.due): the
 * sessions it was for close. */
void sessions_due(struct sessions *ss, const char *key, size_t klen, void *value,
	int64_t due, const struct part *p);

/* The partition number of an entry's records. */
int32_t sessions_partition(const void *value);

/* The entry was evicted under the cap (the store's evicted hook): its
 * sessions close now, tallied at their close or at the watermark, when
 * that is later. p: the entry's partition. */
void sessions_evicted(struct sessions *ss, const char *key, size_t klen, void *value,
	int64_t watermark, const struct part *p);

#endif

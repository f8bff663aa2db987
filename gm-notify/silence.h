/* silence: Alertmanager's silences for gm-notify. A silence mutes the
 * alerts its matchers all match from its start to its end; it has an
 * id, an author and a comment. The set is kept in a file (nlog.h's
 * format, written atomically) that `gm-notify silence add|list|expire`
 * changes and the daemon reads; a silence is expired by moving its end
 * to the time it is expired, and forgotten (silences_gc) a retention
 * after its end, as Alertmanager forgets them. */
#ifndef GM_NOTIFY_SILENCE_H
#define GM_NOTIFY_SILENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "route.h"

#define SILENCE_ID_LEN 16   /* hex digits */

/* One silence; every string is its own. */
struct silence {
	char id[SILENCE_ID_LEN + 1];
	char **matchers;          /* as given, each one matcher or a list of them */
	size_t nmatchers;
	struct conf *parsed;      /* holds them compiled: silence_matchers() */
	int64_t start, end;       /* ms; active for start <= t < end */
	int64_t created;          /* ms, when it was added */
	char *author, *comment;
};

struct silences {
	struct silence *v;        /* in the order added */
	size_t n, cap;
};

/* The compiled matchers of s. */
const struct conf_matchers *silence_matchers(const struct silence *s);

/* Adds a silence to set: the matchers texts[0..n) in Alertmanager's
 * matcher syntax (as a route's matchers: list takes them, `name=value`,
 * `name=~"re"`, `{a="b", c!="d"}`), active from start to end, made at
 * now. Returns it (the set's, valid until the set changes), or NULL,
 * with each error added to errs ("matcher: what"), when a matcher does
 * not parse, there are none, or end is not after start. Strings are
 * copied. */
const struct silence *silences_add(struct silences *set, const char *const *texts, size_t n,
	int64_t start, int64_t end, const char *author, const char *comment, int64_t now,
	struct conf_errors *errs);

/* Ends the silence id (its full id, or a prefix of at least 4 digits
 * that only it has) at now: its end becomes now when later, and so does
 * its start (a pending silence then starts and ends now). Returns it,
 * or NULL when no silence, or more than one, has that id. */
const struct silence *silences_expire(struct silences *set, const char *id, int64_t now);

/* The first silence active at t whose matchers all match l, or NULL. */
const struct silence *silences_match(const struct silences *set, struct route_labels l, int64_t t);

/* The earliest start or end of a silence after t, or INT64_MAX: when
 * what the set mutes next changes. */
int64_t silences_next_change(const struct silences *set, int64_t t);

/* Forgets the silences that ended at or before now - retention_ms;
 * returns how many. */
size_t silences_gc(struct silences *set, int64_t now, int64_t retention_ms);

/* Loads path into set (emptied first). A file not there is an empty
 * set. Returns false, after reporting "prog: path:line: what", on a
 * file that cannot be read or a line that is not a silence; set then
 * holds the silences before it. */
bool silences_load(struct silences *set, const char *path);

/* Writes set to path atomically (nlog_commit()); false, reported, when
 * it cannot. */
bool silences_save(const struct silences *set, const char *path);

/* Frees what set holds and empties it. */
void silences_free(struct silences *set);

#endif

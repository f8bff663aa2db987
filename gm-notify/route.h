/* route: Alertmanager's routing and inhibition over gm-notify's
 * configuration (conf.h). An alert is known here by its label set: its
 * labels plus kind, severity and source, as the caller builds it. A
 * label the set does not have matches as the empty string, as in
 * Alertmanager. */
#ifndef GM_NOTIFY_ROUTE_H
#define GM_NOTIFY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "conf.h"

/* One label of a set; the strings are the caller's. */
struct route_label {
	const char *name;
	const char *value;
};

struct route_labels {
	const struct route_label *v;
	size_t n;
};

/* strcmp(a, b) with the first bytes compared inline: names and values
 * of labels mostly differ there, and a call costs more than the
 * compare; and one string is itself (the names a label set adds are
 * the same literals in every set). */
static inline int route_strcmp(const char *a, const char *b)
{
	return a == b ? 0 : *a != *b ? (unsigned char)*a - (unsigned char)*b : strcmp(a, b);
}

/* The value of name in l, or "" when l has none. */
const char *route_label_value(struct route_labels l, const char *name);

/* Whether every matcher of ms matches l (true for none). */
bool route_matchers_match(const struct conf_matchers *ms, struct route_labels l);

/* The routes of c that take an alert with labels l, in tree order, as
 * Alertmanager finds them: from the root, a node's children are tried
 * in order, the first that matches taking the alert unless it has
 * continue set, when the next ones are tried too; a node none of whose
 * children takes the alert takes it itself. Writes the routes into out,
 * which has room for c->nroutes, and returns how many (at least one:
 * the root takes every alert). The routes are c's. */
size_t route_match(const struct conf *c, struct route_labels l, const struct conf_route **out);

/* Whether rule mutes the alert target when the alert source is firing:
 * the source matches the rule's source matchers, the target its target
 * matchers, and both have the same value (or none) for every label of
 * equal; but an alert matching both sides is not muted by one that
 * does too, so that such alerts cannot mute each other (or themselves).
 * Whether source is firing is the caller's to know. */
bool route_inhibits(const struct conf_inhibit *rule, struct route_labels source,
	struct route_labels target);

/* Whether any inhibit rule of c mutes target given the firing alerts
 * sources[0..n). Linear in rules times sources. */
bool route_inhibited(const struct conf *c, const struct route_labels *sources, size_t n,
	struct route_labels target);

#endif

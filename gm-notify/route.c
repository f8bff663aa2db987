/* route: routing and inhibition (see route.h). */
#include "route.h"

#include <string.h>

const char *route_label_value(struct route_labels l, const char *name)
{
	for (size_t i = 0; i < l.n; i++)
		if (!route_strcmp(l.v[i].name, name))
			return l.v[i].value;
	return "";
}

/* Whether v is one of the words of m->value between its |s, which is
 * what m->re matches when m->literals is set. */
static bool is_literal(const struct conf_matcher *m, const char *v)
{
	size_t n = strlen(v);
	for (const char *w = m->value;; w++) {
		const char *end = strchr(w, '|');
		size_t len = end ? (size_t)(end - w) : strlen(w);
		if (len == n && !memcmp(w, v, n))
			return true;
		if (!end)
			return false;
		w = end;
	}
}

static bool regex_match(const struct conf_matcher *m, const char *v)
{
	return m->literals ? is_literal(m, v) : regexec(&m->re, v, 0, NULL, 0) == 0;
}

static bool matcher_match(const struct conf_matcher *m, struct route_labels l)
{
	const char *v = route_label_value(l, m->name);
	switch (m->op) {
	case CONF_EQ: return !route_strcmp(v, m->value);
	case CONF_NE: return route_strcmp(v, m->value) != 0;
	case CONF_RE: return regex_match(m, v);
	case CONF_NRE: return !regex_match(m, v);
	}
	return false;
}

bool route_matchers_match(const struct conf_matchers *ms, struct route_labels l)
{
	for (size_t i = 0; i < ms->n; i++)
		if (!matcher_match(&ms->v[i], l))
			return false;
	return true;
}

/* Adds the routes under r (r matching or not) that take l to out from
 * n; returns the new count. */
static size_t match(const struct conf_route *r, struct route_labels l,
	const struct conf_route **out, size_t n)
{
	if (!route_matchers_match(&r->matchers, l))
		return n;
	size_t start = n;
	for (size_t i = 0; i < r->nroutes; i++) {
		size_t before = n;
		n = match(&r->routes[i], l, out, n);
		if (n > before && !r->routes[i].cont)
			break;
	}
	if (n == start)
		out[n++] = r;
	return n;
}

size_t route_match(const struct conf *c, struct route_labels l, const struct conf_route **out)
{
	return match(&c->route, l, out, 0);
}

bool route_inhibits(const struct conf_inhibit *rule, struct route_labels source,
	struct route_labels target)
{
	if (!route_matchers_match(&rule->target, target) || !route_matchers_match(&rule->source, source))
		return false;
	for (size_t i = 0; i < rule->nequal; i++)
		if (route_strcmp(route_label_value(source, rule->equal[i]),
				route_label_value(target, rule->equal[i])))
			return false;
	return !(route_matchers_match(&rule->source, target) &&
		route_matchers_match(&rule->target, source));
}

bool route_inhibited(const struct conf *c, const struct route_labels *sources, size_t n,
	struct route_labels target)
{
	for (size_t r = 0; r < c->ninhibit; r++)
		for (size_t i = 0; i < n; i++)
			if (route_inhibits(&c->inhibit[r], sources[i], target))
				return true;
	return false;
}

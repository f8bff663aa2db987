/* conf: gm-notify's configuration from YAML (see conf.h). The file is
 * loaded whole as a libyaml document, then each section is read by a
 * table of the keys it takes, so that a key outside the subset, a key
 * given twice and a value of the wrong kind are each an error at their
 * place; errors are collected, not fatal, and sorted into file order. */
#include "conf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "mem.h"
#include "number.h"
#include "template.h"
#include "utf8.h"

/* A tree deeper or bigger than this is a mistake (or anchors made to
 * multiply it), not a configuration. */
#define ROUTE_DEPTH_MAX 64
#define ROUTES_MAX 10000

struct pending {
	size_t line, column, order;
	char *msg;
	bool whole;           /* msg names its own place (another file's) */
};

/* A receiver's fallback, named before every receiver is known: looked
 * up once they all are. */
struct fallback_name {
	size_t receiver;      /* the index of the receiver that names it */
	yaml_node_t *v;
};

struct ld {
	const char *name;
	const char *src;      /* the file's text, for places inside a scalar */
	size_t srclen;
	yaml_document_t doc;
	struct conf *c;
	struct pending *errs;
	size_t nerrs, caperrs;
	bool tree_too_big;   /* said once: anchors can make many more */
	struct fallback_name *fallbacks;
	size_t nfallbacks, capfallbacks;
};

/* One key a section takes: its name, and after fields(), its key and
 * value nodes (NULL when absent or null). */
struct field {
	const char *key;
	yaml_node_t *k, *v;
};

/* ---- errors ---- */

static void add_verror(struct ld *l, size_t line, size_t column, const char *fmt, va_list ap)
{
	char *msg;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = gm_xstrdup("out of memory");
	l->errs = gm_grow(l->errs, &l->caperrs, l->nerrs + 1, sizeof *l->errs, 8);
	l->errs[l->nerrs] = (struct pending){ line, column, l->nerrs, msg, false };
	l->nerrs++;
}

/* An error at node n (line and column as libyaml counts them, from 0). */
__attribute__((format(printf, 3, 4)))
static void err(struct ld *l, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_verror(l, n ? n->start_mark.line : 0, n ? n->start_mark.column : 0, fmt, ap);
	va_end(ap);
}

/* An error at a place libyaml's parser marks. */
__attribute__((format(printf, 4, 5)))
static void add_error(struct ld *l, size_t line, size_t column, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	add_verror(l, line, column, fmt, ap);
	va_end(ap);
}

static int by_place(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void push_error(struct conf_errors *errs, char *msg)
{
	errs->v = gm_grow(errs->v, &errs->cap, errs->n + 1, sizeof *errs->v, 8);
	errs->v[errs->n++] = msg;
}

/* Moves l's errors, in file order, into errs. */
static void flush_errors(struct ld *l, struct conf_errors *errs)
{
	qsort(l->errs, l->nerrs, sizeof *l->errs, by_place);
	for (size_t i = 0; i < l->nerrs; i++) {
		char *msg;
		if (l->errs[i].whole)
			msg = l->errs[i].msg;
		else {
			if (asprintf(&msg, "%s:%zu:%zu: %s", l->name, l->errs[i].line + 1,
					l->errs[i].column + 1, l->errs[i].msg) < 0)
				msg = gm_xstrdup("out of memory");
			free(l->errs[i].msg);
		}
		push_error(errs, msg);
	}
	free(l->errs);
	l->errs = NULL;
	l->nerrs = l->caperrs = 0;
}

void conf_errors_free(struct conf_errors *errs)
{
	for (size_t i = 0; i < errs->n; i++)
		free(errs->v[i]);
	free(errs->v);
	*errs = (struct conf_errors){ 0 };
}

/* ---- nodes ---- */

static yaml_node_t *node(struct ld *l, yaml_node_item_t id)
{
	return yaml_document_get_node(&l->doc, id);
}

static const char *text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain scalar that YAML reads as null: the key is as good as absent. */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = text(n);
	return !*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
		!strcmp(s, "NULL");
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a string";
	}
}

/* Reads mapping n of section into the fields f[0..nf), which must be
 * empty. Returns false (with an error) when n is not a mapping. */
static bool fields(struct ld *l, yaml_node_t *n, const char *section, struct field *f, size_t nf)
{
	if (n->type != YAML_MAPPING_NODE) {
		err(l, n, "%s: expected a mapping, got %s", section, kind_name(n));
		return false;
	}
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(l, p->key), *v = node(l, p->value);
		if (k->type != YAML_SCALAR_NODE) {
			err(l, k, "%s: a key must be a string, not %s", section, kind_name(k));
			continue;
		}
		size_t i = 0;
		while (i < nf && strcmp(f[i].key, text(k)))
			i++;
		if (i == nf)
			err(l, k, "unknown key \"%s\" %s %s", text(k),
				strcmp(section, "the top level") ? "in" : "at", section);
		else if (f[i].k)
			err(l, k, "%s: given twice in %s", text(k), section);
		else {
			f[i].k = k;
			f[i].v = is_null(v) ? NULL : v;
		}
	}
	return true;
}

/* The field named key of f (a name of the table, so always there). */
static struct field *field(struct field *f, const char *key)
{
	while (strcmp(f->key, key))
		f++;
	return f;
}

/* A scalar's text, or NULL with an error when f is not a scalar. */
static const char *scalar(struct ld *l, const struct field *f)
{
	if (f->v->type == YAML_SCALAR_NODE)
		return text(f->v);
	err(l, f->v, "%s: expected a string, got %s", f->key, kind_name(f->v));
	return NULL;
}

/* Sets *out to a copy of f's string when it is given. */
static void get_str(struct ld *l, const struct field *f, char **out)
{
	const char *s;
	if (f->v && (s = scalar(l, f)))
		*out = gm_xstrdup(s);
}

/* Sets *out from f when it is given; returns whether it was. */
static bool get_bool(struct ld *l, const struct field *f, bool *out)
{
	const char *s;
	if (!f->v || !(s = scalar(l, f)))
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		*out = false;
	else {
		err(l, f->v, "%s: expected true or false, got \"%s\"", f->key, s);
		return false;
	}
	return true;
}

static bool get_duration(struct ld *l, const struct field *f, long long *out)
{
	const char *s;
	if (!f->v || !(s = scalar(l, f)))
		return false;
	if (!conf_parse_duration(s, out)) {
		err(l, f->v, "%s: expected a duration such as 30s, 5m, 4h, 1d or 1h30m, got \"%s\"",
			f->key, s);
		return false;
	}
	return true;
}

/* Sets *out from f when it is given, a whole number from lo to hi;
 * returns whether it was. */
static bool get_uint(struct ld *l, const struct field *f, unsigned lo, unsigned hi,
	unsigned *out)
{
	const char *s;
	if (!f->v || !(s = scalar(l, f)))
		return false;
	unsigned long long v;
	if (!gm_parse_u64(s, &v) || v < lo || v > hi) {
		if (lo == 0 && hi == UINT_MAX)
			err(l, f->v, "%s: expected a whole number, got \"%s\"", f->key, s);
		else
			err(l, f->v, "%s: expected a whole number from %u to %u, got \"%s\"",
				f->key, lo, hi, s);
		return false;
	}
	*out = (unsigned)v;
	return true;
}

/* Whether s is a decimal number without a sign: digits with a fraction,
 * an exponent or both (1, 0.5, .5, 2e3), as YAML writes a float; no
 * hex, inf or nan, which strtod() would take too. */
static bool decimal_ok(const char *s)
{
	size_t digits = 0;
	for (; *s >= '0' && *s <= '9'; s++)
		digits++;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			digits++;
	if (!digits)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return !*s;
}

/* Sets *out from f when it is given, a decimal number from 0 to max;
 * returns whether it was. */
static bool get_number(struct ld *l, const struct field *f, double max, double *out)
{
	const char *s;
	if (!f->v || !(s = scalar(l, f)))
		return false;
	errno = 0;
	double v = decimal_ok(s) ? strtod(s, NULL) : -1;
	if (v < 0 || errno || v > max) {
		err(l, f->v, "%s: expected a number from 0 to %.0f, got \"%s\"", f->key, max, s);
		return false;
	}
	*out = v;
	return true;
}

/* A secret's key given in the file itself: refused, with where the
 * secret may come from instead. */
static void refuse_secret(struct ld *l, const struct field *f, const char *file_key,
	const char *env)
{
	if (f->k)
		err(l, f->k, "%s: secrets are not written in the configuration: name a file with %s, "
			"or set %s in the environment", f->key, file_key, env);
}

/* The secret of file_field, or of fallback (a wider level's) when not
 * given, or else the environment variable env. */
static void get_secret(struct ld *l, const struct field *file_field,
	const struct conf_secret *fallback, const char *env, struct conf_secret *out)
{
	out->file = NULL;
	out->env = env;
	get_str(l, file_field, &out->file);
	if (!out->file && fallback && fallback->file)
		out->file = gm_xstrdup(fallback->file);
}

static bool label_name_ok(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
				(*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* A list of label names (group_by, equal); all may be '...' when
 * ellipsis is given, which then says whether it was. */
static void get_label_list(struct ld *l, const struct field *f, char ***out, size_t *n,
	bool *ellipsis)
{
	if (!f->v)
		return;
	if (f->v->type != YAML_SEQUENCE_NODE) {
		err(l, f->v, "%s: expected a list of label names, got %s", f->key, kind_name(f->v));
		return;
	}
	size_t cap = 0;
	for (yaml_node_item_t *it = f->v->data.sequence.items.start;
			it < f->v->data.sequence.items.top; it++) {
		yaml_node_t *e = node(l, *it);
		if (e->type != YAML_SCALAR_NODE) {
			err(l, e, "%s: expected a label name, got %s", f->key, kind_name(e));
			continue;
		}
		const char *s = text(e);
		if (ellipsis && !strcmp(s, "...")) {
			if (f->v->data.sequence.items.top - f->v->data.sequence.items.start != 1)
				err(l, e, "%s: '...' (every label) must be alone in the list", f->key);
			*ellipsis = true;
			continue;
		}
		if (!label_name_ok(s)) {
			err(l, e, "%s: \"%s\" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)", f->key, s);
			continue;
		}
		bool dup = false;
		for (size_t i = 0; i < *n && !dup; i++)
			dup = !strcmp((*out)[i], s);
		if (dup) {
			err(l, e, "%s: \"%s\" is listed twice", f->key, s);
			continue;
		}
		*out = gm_grow(*out, &cap, *n + 1, sizeof **out, 4);
		(*out)[(*n)++] = gm_xstrdup(s);
	}
}

/* ---- matchers ---- */

/* POSIX extended regexes leave a backslash before a letter or digit
 * undefined (glibc reads some as its own extensions), and RE2's groups
 * "(?...)" and lazy quantifiers mean something else there: each is
 * refused, so that no regex quietly matches other than written.
 * Returns what is refused, or NULL. */
static const char *re2_only(const char *re)
{
	for (const char *p = re; *p; p++) {
		if (*p == '\\') {
			p++;
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
				return "a backslash before a letter or digit (write classes such as [0-9] or [[:space:]])";
			if (!*p)
				return "a trailing backslash";
		} else if (*p == '(' && p[1] == '?') {
			return "\"(?\" (RE2's flags and groups)";
		} else if ((*p == '*' || *p == '+' || *p == '?' || *p == '}') && p[1] == '?') {
			return "a lazy quantifier";
		} else if (*p == '[') {
			/* A bracket expression: its backslashes are literal, its
			 * first ']' (or one after '^') is a member. */
			const char *q = p + 1;
			if (*q == '^')
				q++;
			if (*q == ']')
				q++;
			while (*q && *q != ']') {
				if (*q == '[' && (q[1] == ':' || q[1] == '.' || q[1] == '=')) {
					const char *close = strchr(q + 2, q[1]);
					while (close && close[1] != ']')
						close = strchr(close + 1, q[1]);
					q = close ? close + 2 : q + strlen(q);
				} else
					q++;
			}
			p = *q ? q : q - 1;
		}
	}
	return NULL;
}

/* Fills m (name and value already set) for op, compiling a regex;
 * false with an error at n when the regex is refused. */
static bool matcher_compile(struct ld *l, const yaml_node_t *n, const char *key,
	struct conf_matcher *m)
{
	if (m->op != CONF_RE && m->op != CONF_NRE)
		return true;
	const char *bad = re2_only(m->value);
	if (bad) {
		err(l, n, "%s: regex \"%s\": %s is not POSIX extended regex syntax", key, m->value, bad);
		return false;
	}
	size_t len = strlen(m->value);
	char *anchored = gm_xcalloc(1, len + 5);
	memcpy(anchored, "^(", 2);
	memcpy(anchored + 2, m->value, len);
	memcpy(anchored + 2 + len, ")$", 3);
	int rc = regcomp(&m->re, anchored, REG_EXTENDED | REG_NOSUB);
	free(anchored);
	/* No character of value is special to ERE: a word is itself. */
	m->literals = true;
	for (const char *s = m->value; *s; s++)
		m->literals &= (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
			(*s >= '0' && *s <= '9') || strchr("_-:/ ,=@|", *s);
	if (rc) {
		char why[128];
		regerror(rc, &m->re, why, sizeof why);
		err(l, n, "%s: regex \"%s\": %s", key, m->value, why);
		return false;
	}
	return true;
}

static void matchers_add(struct conf_matchers *ms, size_t *cap, struct conf_matcher *m)
{
	ms->v = gm_grow(ms->v, cap, ms->n + 1, sizeof *ms->v, 4);
	ms->v[ms->n++] = *m;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_space(const char *p)
{
	while (is_blank(*p))
		p++;
	return p;
}

/* Parses one matchers string, Alertmanager's classic form: NAME OP
 * VALUE, several separated by commas, all optionally in braces; VALUE
 * plain (to the next comma, blanks around it dropped) or in double
 * quotes with \", \\ and \n escapes. Adds each to ms. */
static void parse_matchers_string(struct ld *l, const yaml_node_t *n, const char *key,
	struct conf_matchers *ms, size_t *cap)
{
	const char *s = text(n), *p = skip_space(s);
	size_t len = strlen(p);
	while (len && is_blank(p[len - 1]))
		len--;
	bool open = len && p[0] == '{', close = len && p[len - 1] == '}';
	if (open != close || (open && len < 2)) {
		err(l, n, "%s: \"%s\": a brace without its pair", key, s);
		return;
	}
	char *body = gm_xstrndup(p + open, len - open - close);
	const char *q = skip_space(body);
	if (!*q) {
		err(l, n, "%s: \"%s\": no matcher", key, s);
		goto out;
	}
	while (*q) {
		struct conf_matcher m = { 0 };
		const char *name = q;
		while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
				*q == '_')
			q++;
		m.name = gm_xstrndup(name, q - name);
		q = skip_space(q);
		if (q[0] == '=' && q[1] == '~')
			m.op = CONF_RE, q += 2;
		else if (q[0] == '!' && q[1] == '=')
			m.op = CONF_NE, q += 2;
		else if (q[0] == '!' && q[1] == '~')
			m.op = CONF_NRE, q += 2;
		else if (q[0] == '=')
			m.op = CONF_EQ, q += 1;
		else {
			err(l, n, "%s: \"%s\": expected NAME OP VALUE, OP one of = != =~ !~", key, s);
			free(m.name);
			goto out;
		}
		if (!label_name_ok(m.name)) {
			err(l, n, "%s: \"%s\": \"%s\" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)",
				key, s, m.name);
			free(m.name);
			goto out;
		}
		q = skip_space(q);
		char *v = gm_xcalloc(1, strlen(q) + 1), *w = v;
		if (*q == '"') {
			for (q++; *q && *q != '"'; q++) {
				if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
					*w++ = *++q;
				else if (*q == '\\' && q[1] == 'n')
					*w++ = '\n', q++;
				else
					*w++ = *q;
			}
			if (*q != '"') {
				err(l, n, "%s: \"%s\": a quoted value without its closing quote", key, s);
				free(m.name);
				free(v);
				goto out;
			}
			q = skip_space(q + 1);
		} else {
			const char *end = strchr(q, ',');
			end = end ? end : q + strlen(q);
			const char *last = end;
			while (last > q && is_blank(last[-1]))
				last--;
			memcpy(w, q, last - q);
			w += last - q;
			if (memchr(q, '"', last - q)) {
				err(l, n, "%s: \"%s\": a quote inside an unquoted value", key, s);
				free(m.name);
				free(v);
				goto out;
			}
			q = end;
		}
		*w = 0;
		m.value = v;
		if (*q && *q != ',') {
			err(l, n, "%s: \"%s\": expected a comma between matchers", key, s);
			free(m.name);
			free(m.value);
			goto out;
		}
		if (*q == ',')
			q = skip_space(q + 1);
		if (!matcher_compile(l, n, key, &m)) {
			free(m.name);
			free(m.value);
			continue;
		}
		matchers_add(ms, cap, &m);
	}
out:
	free(body);
}

/* matchers (and source_matchers, target_matchers): a list of strings. */
static void get_matchers(struct ld *l, const struct field *f, struct conf_matchers *ms, size_t *cap)
{
	if (!f->v)
		return;
	if (f->v->type != YAML_SEQUENCE_NODE) {
		err(l, f->v, "%s: expected a list of matchers such as [\"kind=low_stock\"], got %s",
			f->key, kind_name(f->v));
		return;
	}
	for (yaml_node_item_t *it = f->v->data.sequence.items.start;
			it < f->v->data.sequence.items.top; it++) {
		yaml_node_t *e = node(l, *it);
		if (e->type != YAML_SCALAR_NODE)
			err(l, e, "%s: expected a matcher string, got %s", f->key, kind_name(e));
		else
			parse_matchers_string(l, e, f->key, ms, cap);
	}
}

/* match and match_re (and their source_ and target_ forms): a mapping
 * of label names to values, or to regexes. */
static void get_match_map(struct ld *l, const struct field *f, enum conf_op op,
	struct conf_matchers *ms, size_t *cap)
{
	if (!f->v)
		return;
	if (f->v->type != YAML_MAPPING_NODE) {
		err(l, f->v, "%s: expected a mapping of label names to values, got %s", f->key,
			kind_name(f->v));
		return;
	}
	for (yaml_node_pair_t *p = f->v->data.mapping.pairs.start; p < f->v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(l, p->key), *v = node(l, p->value);
		if (k->type != YAML_SCALAR_NODE || !label_name_ok(text(k))) {
			err(l, k, "%s: expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)", f->key);
			continue;
		}
		if (v->type != YAML_SCALAR_NODE) {
			err(l, v, "%s: %s: expected a string, got %s", f->key, text(k), kind_name(v));
			continue;
		}
		struct conf_matcher m = { .name = gm_xstrdup(text(k)), .op = op,
			.value = gm_xstrdup(is_null(v) ? "" : text(v)) };
		if (!matcher_compile(l, v, f->key, &m)) {
			free(m.name);
			free(m.value);
			continue;
		}
		matchers_add(ms, cap, &m);
	}
}

static void matchers_free(struct conf_matchers *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		free(ms->v[i].name);
		free(ms->v[i].value);
		if (ms->v[i].op == CONF_RE || ms->v[i].op == CONF_NRE)
			regfree(&ms->v[i].re);
	}
	free(ms->v);
}

/* ---- durations ---- */

bool conf_parse_duration(const char *s, long long *ms)
{
	static const struct { const char *unit; long long ms; } units[] = {
		{ "y", 365LL * 86400000 }, { "w", 7LL * 86400000 }, { "d", 86400000 },
		{ "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
	};
	if (!strcmp(s, "0")) {
		*ms = 0;
		return true;
	}
	long long total = 0;
	size_t next = 0;   /* the first unit still allowed */
	if (!*s)
		return false;
	while (*s) {
		if (*s < '0' || *s > '9')
			return false;
		long long n = 0;
		for (; *s >= '0' && *s <= '9'; s++) {
			if (n > (LLONG_MAX - 9) / 10)
				return false;
			n = n * 10 + (*s - '0');
		}
		size_t u = next;
		/* "m" must not take the "m" of "ms". */
		while (u < 7) {
			size_t len = strlen(units[u].unit);
			if (!strncmp(s, units[u].unit, len) && (s[len] < 'a' || s[len] > 'z'))
				break;
			u++;
		}
		if (u == 7 || n > (LLONG_MAX - total) / units[u].ms)
			return false;
		total += n * units[u].ms;
		s += strlen(units[u].unit);
		next = u + 1;
	}
	*ms = total;
	return true;
}

char *conf_format_duration(long long ms, char buf[CONF_DURATION_LEN])
{
	static const struct { const char *unit; long long ms; } units[] = {
		{ "y", 365LL * 86400000 }, { "w", 7LL * 86400000 }, { "d", 86400000 },
		{ "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
	};
	if (ms <= 0) {
		strcpy(buf, "0s");
		return buf;
	}
	size_t n = 0;
	for (size_t u = 0; u < 7; u++)
		if (ms >= units[u].ms) {
			n += (size_t)snprintf(buf + n, CONF_DURATION_LEN - n, "%lld%s",
				ms / units[u].ms, units[u].unit);
			ms %= units[u].ms;
		}
	return buf;
}

static void strings_free(char **v, size_t n);

/* ---- sections ---- */

static void load_global(struct ld *l, yaml_node_t *n)
{
	struct conf_global *g = &l->c->global;
	struct field f[] = {
		{ .key = "smtp_from" }, { .key = "smtp_smarthost" },
		{ .key = "smtp_auth_username" }, { .key = "smtp_auth_password" },
		{ .key = "smtp_auth_password_file" }, { .key = "smtp_require_tls" },
		{ .key = "slack_api_url" }, { .key = "slack_api_url_file" },
		{ .key = "resolve_timeout" },
	};
	if (!fields(l, n, "global", f, sizeof f / sizeof *f))
		return;
	get_str(l, field(f, "smtp_from"), &g->smtp_from);
	get_str(l, field(f, "smtp_smarthost"), &g->smtp_smarthost);
	get_str(l, field(f, "smtp_auth_username"), &g->smtp_auth_username);
	refuse_secret(l, field(f, "smtp_auth_password"), "smtp_auth_password_file",
		CONF_ENV_SMTP_PASSWORD);
	get_secret(l, field(f, "smtp_auth_password_file"), NULL, CONF_ENV_SMTP_PASSWORD,
		&g->smtp_auth_password);
	get_bool(l, field(f, "smtp_require_tls"), &g->smtp_require_tls);
	refuse_secret(l, field(f, "slack_api_url"), "slack_api_url_file", CONF_ENV_SLACK_URL);
	get_secret(l, field(f, "slack_api_url_file"), NULL, CONF_ENV_SLACK_URL, &g->slack_api_url);
	get_duration(l, field(f, "resolve_timeout"), &g->resolve_timeout);
}

/* Calls one(l, entry, out[i]) for each mapping of the list f, into
 * an array *out of *n elements of size bytes, zeroed first. */
static void load_list(struct ld *l, const struct field *f, void **out, size_t *n, size_t size,
	void (*one)(struct ld *, yaml_node_t *, void *))
{
	if (!f->v)
		return;
	if (f->v->type != YAML_SEQUENCE_NODE) {
		err(l, f->v, "%s: expected a list, got %s", f->key, kind_name(f->v));
		return;
	}
	size_t count = f->v->data.sequence.items.top - f->v->data.sequence.items.start;
	if (!count)
		return;
	*out = gm_xcalloc(count, size);
	for (yaml_node_item_t *it = f->v->data.sequence.items.start;
			it < f->v->data.sequence.items.top; it++)
		one(l, node(l, *it), (char *)*out + size * (*n)++);
}

static void load_email(struct ld *l, yaml_node_t *n, void *out)
{
	const struct conf_global *g = &l->c->global;
	struct conf_email *e = out;
	struct field f[] = {
		{ .key = "send_resolved" }, { .key = "to" }, { .key = "from" },
		{ .key = "smarthost" }, { .key = "auth_username" },
		{ .key = "auth_password" }, { .key = "auth_password_file" },
		{ .key = "require_tls" },
	};
	e->require_tls = g->smtp_require_tls;
	e->auth_password.env = CONF_ENV_SMTP_PASSWORD;
	if (!fields(l, n, "email_configs", f, sizeof f / sizeof *f))
		return;
	get_bool(l, field(f, "send_resolved"), &e->send_resolved);
	get_str(l, field(f, "to"), &e->to);
	get_str(l, field(f, "from"), &e->from);
	get_str(l, field(f, "smarthost"), &e->smarthost);
	get_str(l, field(f, "auth_username"), &e->auth_username);
	refuse_secret(l, field(f, "auth_password"), "auth_password_file", CONF_ENV_SMTP_PASSWORD);
	get_secret(l, field(f, "auth_password_file"), &g->smtp_auth_password,
		CONF_ENV_SMTP_PASSWORD, &e->auth_password);
	get_bool(l, field(f, "require_tls"), &e->require_tls);
	if (!e->from && g->smtp_from)
		e->from = gm_xstrdup(g->smtp_from);
	if (!e->smarthost && g->smtp_smarthost)
		e->smarthost = gm_xstrdup(g->smtp_smarthost);
	if (!e->auth_username && g->smtp_auth_username)
		e->auth_username = gm_xstrdup(g->smtp_auth_username);
	if (!e->to)
		err(l, n, "email_configs: no \"to\" address");
	if (!e->from)
		err(l, n, "email_configs: no \"from\" address, and no smtp_from in global");
	if (!e->smarthost)
		err(l, n, "email_configs: no smarthost, and no smtp_smarthost in global");
	else if (!strrchr(e->smarthost, ':'))
		err(l, field(f, "smarthost")->v ? field(f, "smarthost")->v : n,
			"email_configs: smarthost \"%s\": expected HOST:PORT", e->smarthost);
}

static void load_slack(struct ld *l, yaml_node_t *n, void *out)
{
	struct conf_slack *s = out;
	struct field f[] = {
		{ .key = "send_resolved" }, { .key = "api_url" }, { .key = "api_url_file" },
		{ .key = "channel" }, { .key = "username" },
	};
	s->api_url.env = CONF_ENV_SLACK_URL;
	if (!fields(l, n, "slack_configs", f, sizeof f / sizeof *f))
		return;
	get_bool(l, field(f, "send_resolved"), &s->send_resolved);
	refuse_secret(l, field(f, "api_url"), "api_url_file", CONF_ENV_SLACK_URL);
	get_secret(l, field(f, "api_url_file"), &l->c->global.slack_api_url, CONF_ENV_SLACK_URL,
		&s->api_url);
	get_str(l, field(f, "channel"), &s->channel);
	get_str(l, field(f, "username"), &s->username);
}

/* An inline URL: http or https, and no password in it. */
static void check_url(struct ld *l, const struct field *f, const char *url, const char *file_key)
{
	const char *rest = !strncmp(url, "http://", 7) ? url + 7 :
		!strncmp(url, "https://", 8) ? url + 8 : NULL;
	if (!rest) {
		err(l, f->v, "%s: \"%s\": expected an http:// or https:// URL", f->key, url);
		return;
	}
	size_t authority = strcspn(rest, "/?#");
	const char *at = memchr(rest, '@', authority);
	if (at && memchr(rest, ':', at - rest))
		err(l, f->v, "%s: a URL with a password is a secret: name a file that holds it with %s",
			f->key, file_key);
}

/* A template bigger than this is not a body's. */
#define TEMPLATE_MAX (1 << 20)

/* Where, in the file, the character at line tline, column tcol (from
 * 1) of scalar v's value is: exact for a literal block (|) and for a
 * scalar on one line without escapes; false for the others, whose
 * lines and escapes do not map one to one. */
static bool scalar_place(const struct ld *l, const yaml_node_t *v, size_t tline, size_t tcol,
	size_t *line, size_t *column)
{
	const yaml_scalar_style_t style = v->data.scalar.style;
	size_t start = v->start_mark.index, end = v->end_mark.index;
	if (style == YAML_LITERAL_SCALAR_STYLE) {
		/* The indentation is the first line's with text. */
		size_t i = start;
		while (i < l->srclen && l->src[i] != '\n')
			i++;
		size_t indent = 0;
		for (i++; i < l->srclen; i++) {
			size_t k = 0;
			while (i + k < l->srclen && l->src[i + k] == ' ')
				k++;
			if (i + k < l->srclen && l->src[i + k] != '\n') {
				indent = k;
				break;
			}
			i += k;
		}
		*line = v->start_mark.line + tline;
		*column = indent + tcol - 1;
		return true;
	}
	if (style == YAML_FOLDED_SCALAR_STYLE || v->start_mark.line != v->end_mark.line ||
	    tline != 1 || end > l->srclen)
		return false;
	if ((style == YAML_DOUBLE_QUOTED_SCALAR_STYLE && memchr(l->src + start, '\\', end - start)) ||
	    (style == YAML_SINGLE_QUOTED_SCALAR_STYLE && end - start > 2 &&
	     memmem(l->src + start + 1, end - start - 2, "''", 2)))
		return false;
	*line = v->start_mark.line;
	*column = v->start_mark.column + (style != YAML_PLAIN_SCALAR_STYLE) + tcol - 1;
	return true;
}

/* The template of body_template (inline, f) or body_template_file
 * (file), parsed, into w; errors at their place in the file or in the
 * template's file. */
static void get_template(struct ld *l, struct field *f, struct field *file, struct conf_webhook *w)
{
	const char *text;
	if (f->v) {
		if (!(text = scalar(l, f)))
			return;
		struct tmpl_error e;
		w->body_template = tmpl_parse(text, strlen(text), &e);
		if (w->body_template)
			return;
		size_t line, column;
		if (scalar_place(l, f->v, e.line, e.column, &line, &column))
			add_error(l, line, column, "body_template: %s", e.msg);
		else
			err(l, f->v, "body_template: line %zu, column %zu of the template: %s", e.line,
				e.column, e.msg);
		return;
	}
	get_str(l, file, &w->body_template_file);
	if (!w->body_template_file)
		return;
	const char *path = w->body_template_file;
	FILE *in = fopen(path, "rb");
	if (!in) {
		err(l, file->v, "body_template_file: %s: %s", path, strerror(errno));
		return;
	}
	char *data = gm_xcalloc(1, TEMPLATE_MAX + 1);
	size_t len = fread(data, 1, TEMPLATE_MAX + 1, in);
	bool bad = ferror(in);
	int saved = errno;
	fclose(in);
	if (bad)
		err(l, file->v, "body_template_file: %s: %s", path, strerror(saved));
	else if (len > TEMPLATE_MAX)
		err(l, file->v, "body_template_file: %s: more than %d bytes", path, TEMPLATE_MAX);
	else {
		struct tmpl_error e;
		w->body_template = tmpl_parse(data, len, &e);
		if (!w->body_template) {
			/* At the template's own place, in the order of the key
			 * that names it. */
			err(l, file->v, "%s:%zu:%zu: %s", path, e.line, e.column, e.msg);
			l->errs[l->nerrs - 1].whole = true;
		}
	}
	free(data);
}

/* A media type for the Content-Type header: type/subtype, then any
 * parameters, in printable ASCII (nothing that could end the header). */
static void check_content_type(struct ld *l, const struct field *f, const char *s)
{
	bool ok = strchr(s, '/') != NULL && *s != '/';
	for (const char *p = s; *p && ok; p++)
		ok = *p >= ' ' && *p < 0x7f;
	if (!ok)
		err(l, f->v, "content_type: \"%s\": expected a media type such as text/plain; "
			"charset=utf-8", s);
}

static void load_webhook(struct ld *l, yaml_node_t *n, void *out)
{
	struct conf_webhook *w = out;
	struct field f[] = {
		{ .key = "send_resolved" }, { .key = "url" }, { .key = "url_file" },
		{ .key = "max_alerts" }, { .key = "body_template" }, { .key = "body_template_file" },
		{ .key = "content_type" },
	};
	w->send_resolved = true;
	if (!fields(l, n, "webhook_configs", f, sizeof f / sizeof *f))
		return;
	get_bool(l, field(f, "send_resolved"), &w->send_resolved);
	get_str(l, field(f, "url"), &w->url);
	get_str(l, field(f, "url_file"), &w->url_file);
	get_uint(l, field(f, "max_alerts"), 0, UINT_MAX, &w->max_alerts);
	if (w->url && w->url_file)
		err(l, n, "webhook_configs: url and url_file: one or the other, not both");
	else if (!w->url && !w->url_file)
		err(l, n, "webhook_configs: no url, and no url_file");
	else if (w->url)
		check_url(l, field(f, "url"), w->url, "url_file");
	struct field *body = field(f, "body_template"), *file = field(f, "body_template_file");
	if (body->v && file->v)
		err(l, file->k, "webhook_configs: body_template and body_template_file: one or the "
			"other, not both");
	else
		get_template(l, body, file, w);
	get_str(l, field(f, "content_type"), &w->content_type);
	if (w->content_type)
		check_content_type(l, field(f, "content_type"), w->content_type);
}

static void load_sms(struct ld *l, yaml_node_t *n, void *out)
{
	struct conf_sms *s = out;
	struct field f[] = {
		{ .key = "send_resolved" }, { .key = "url" }, { .key = "account_sid" },
		{ .key = "auth_token" }, { .key = "auth_token_file" }, { .key = "from" },
		{ .key = "to" },
	};
	s->auth_token.env = CONF_ENV_SMS_TOKEN;
	if (!fields(l, n, "sms_configs", f, sizeof f / sizeof *f))
		return;
	get_bool(l, field(f, "send_resolved"), &s->send_resolved);
	get_str(l, field(f, "url"), &s->url);
	get_str(l, field(f, "account_sid"), &s->account_sid);
	refuse_secret(l, field(f, "auth_token"), "auth_token_file", CONF_ENV_SMS_TOKEN);
	get_secret(l, field(f, "auth_token_file"), NULL, CONF_ENV_SMS_TOKEN, &s->auth_token);
	get_str(l, field(f, "from"), &s->from);
	get_str(l, field(f, "to"), &s->to);
	if (!s->account_sid)
		err(l, n, "sms_configs: no account_sid");
	if (!s->from)
		err(l, n, "sms_configs: no \"from\" number");
	if (!s->to)
		err(l, n, "sms_configs: no \"to\" number");
	if (s->url)
		check_url(l, field(f, "url"), s->url, "auth_token_file");
	else if (s->account_sid && asprintf(&s->url,
			"https://api.twilio.com/2010-04-01/Accounts/%s/Messages.json", s->account_sid) < 0)
		s->url = gm_xstrdup("out of memory");
}

static void load_file(struct ld *l, yaml_node_t *n, void *out)
{
	struct conf_file *p = out;
	struct field f[] = { { .key = "send_resolved" }, { .key = "path" } };
	p->send_resolved = true;
	if (!fields(l, n, "file_configs", f, sizeof f / sizeof *f))
		return;
	get_bool(l, field(f, "send_resolved"), &p->send_resolved);
	struct field *path = field(f, "path");
	get_str(l, path, &p->path);
	if (!path->v || (p->path && !*p->path))
		err(l, n, "file_configs: no path (\"-\" for standard output)");
}

/* Slack takes one message a second from a webhook: a receiver with a
 * Slack config keeps to that unless it says otherwise. */
#define SLACK_RATE 1.0
#define RATE_MAX 1e6
#define BURST_MAX 1000000

static void load_receiver(struct ld *l, yaml_node_t *n, void *out)
{
	struct conf_receiver *r = out;
	struct field f[] = {
		{ .key = "name" }, { .key = "email_configs" }, { .key = "slack_configs" },
		{ .key = "webhook_configs" }, { .key = "sms_configs" }, { .key = "file_configs" },
		{ .key = "retry_for" }, { .key = "fallback" }, { .key = "rate" }, { .key = "burst" },
	};
	r->retry_for = -1;
	r->burst = 1;
	if (!fields(l, n, "receivers", f, sizeof f / sizeof *f))
		return;
	struct field *name = field(f, "name");
	get_str(l, name, &r->name);
	if (!r->name || !*r->name)
		err(l, name->v ? name->v : n, "receivers: a receiver needs a name");
	for (struct conf_receiver *o = l->c->receivers; r->name && o < r; o++)
		if (o->name && !strcmp(o->name, r->name)) {
			err(l, name->v, "receivers: \"%s\" is defined twice", r->name);
			break;
		}
	load_list(l, field(f, "email_configs"), (void **)&r->email, &r->nemail, sizeof *r->email,
		load_email);
	load_list(l, field(f, "slack_configs"), (void **)&r->slack, &r->nslack, sizeof *r->slack,
		load_slack);
	load_list(l, field(f, "webhook_configs"), (void **)&r->webhook, &r->nwebhook,
		sizeof *r->webhook, load_webhook);
	load_list(l, field(f, "sms_configs"), (void **)&r->sms, &r->nsms, sizeof *r->sms, load_sms);
	load_list(l, field(f, "file_configs"), (void **)&r->file, &r->nfile, sizeof *r->file,
		load_file);

	get_duration(l, field(f, "retry_for"), &r->retry_for);
	struct field *fallback = field(f, "fallback");
	if (fallback->v && scalar(l, fallback)) {
		l->fallbacks = gm_grow(l->fallbacks, &l->capfallbacks, l->nfallbacks + 1,
			sizeof *l->fallbacks, 4);
		l->fallbacks[l->nfallbacks++] =
			(struct fallback_name){ (size_t)(r - l->c->receivers), fallback->v };
	}
	r->rate = r->nslack ? SLACK_RATE : 0;
	struct field *rate = field(f, "rate"), *burst = field(f, "burst");
	bool rate_ok = get_number(l, rate, RATE_MAX, &r->rate) || !rate->v;
	if (get_uint(l, burst, 1, BURST_MAX, &r->burst) && rate_ok && r->rate == 0)
		err(l, burst->k, "burst: no rate limit to go with (rate is 0)");
}

/* The index in receivers of the one named by scalar v, the value of
 * key; SIZE_MAX, with an error, when there is none. */
static size_t find_receiver(struct ld *l, const yaml_node_t *v, const char *key)
{
	const char *name = text(v);
	for (size_t i = 0; i < l->c->nreceivers; i++)
		if (l->c->receivers[i].name && !strcmp(l->c->receivers[i].name, name))
			return i;
	err(l, v, "%s: \"%s\" is not defined in receivers", key, name);
	return SIZE_MAX;
}

/* Points each receiver's fallback at the receiver it names. */
static void link_fallbacks(struct ld *l)
{
	for (size_t i = 0; i < l->nfallbacks; i++) {
		struct conf_receiver *r = &l->c->receivers[l->fallbacks[i].receiver];
		size_t to = find_receiver(l, l->fallbacks[i].v, "fallback");
		if (to == l->fallbacks[i].receiver)
			err(l, l->fallbacks[i].v, "fallback: \"%s\" is the receiver itself", r->name);
		else if (to != SIZE_MAX)
			r->fallback = l->c->receivers[to].name, r->fallback_index = to;
	}
	free(l->fallbacks);
	l->fallbacks = NULL;
	l->nfallbacks = l->capfallbacks = 0;
}

/* Reads route node n into r, whose options are already its parent's
 * (or the defaults); depth is the root's 0. */
static void load_route(struct ld *l, yaml_node_t *n, struct conf_route *r, int depth)
{
	struct field f[] = {
		{ .key = "receiver" }, { .key = "group_by" }, { .key = "group_wait" },
		{ .key = "group_interval" }, { .key = "repeat_interval" },
		{ .key = "matchers" }, { .key = "match" }, { .key = "match_re" },
		{ .key = "continue" }, { .key = "routes" },
	};
	const char *section = depth ? "routes" : "route";
	l->c->nroutes++;
	if (!fields(l, n, section, f, sizeof f / sizeof *f))
		return;
	struct field *recv = field(f, "receiver");
	if (recv->v && scalar(l, recv)) {
		size_t i = find_receiver(l, recv->v, "receiver");
		if (i != SIZE_MAX)
			r->receiver = l->c->receivers[i].name, r->receiver_index = i;
	} else if (!depth && !recv->v)
		err(l, n, "route: the root route needs a receiver");

	struct field *gb = field(f, "group_by");
	if (gb->v) {
		strings_free(r->group_by, r->ngroup_by);
		r->group_by = NULL;
		r->ngroup_by = 0;
		r->group_by_all = false;
		get_label_list(l, gb, &r->group_by, &r->ngroup_by, &r->group_by_all);
	}
	get_duration(l, field(f, "group_wait"), &r->group_wait);
	long long d;
	if (get_duration(l, field(f, "group_interval"), &d)) {
		if (d == 0)
			err(l, field(f, "group_interval")->v, "group_interval: must not be 0");
		else
			r->group_interval = d;
	}
	if (get_duration(l, field(f, "repeat_interval"), &d)) {
		if (d == 0)
			err(l, field(f, "repeat_interval")->v, "repeat_interval: must not be 0");
		else
			r->repeat_interval = d;
	}
	size_t cap = 0;
	get_match_map(l, field(f, "match"), CONF_EQ, &r->matchers, &cap);
	get_match_map(l, field(f, "match_re"), CONF_RE, &r->matchers, &cap);
	get_matchers(l, field(f, "matchers"), &r->matchers, &cap);
	get_bool(l, field(f, "continue"), &r->cont);
	if (!depth) {
		static const char *const not_root[] = { "matchers", "match", "match_re", "continue" };
		for (size_t i = 0; i < sizeof not_root / sizeof *not_root; i++)
			if (field(f, not_root[i])->k)
				err(l, field(f, not_root[i])->k,
					"%s: the root route takes every alert: it has no %s",
					not_root[i], not_root[i]);
	}

	struct field *kids = field(f, "routes");
	if (!kids->v)
		return;
	if (kids->v->type != YAML_SEQUENCE_NODE) {
		err(l, kids->v, "routes: expected a list, got %s", kind_name(kids->v));
		return;
	}
	size_t count = kids->v->data.sequence.items.top - kids->v->data.sequence.items.start;
	if (!count)
		return;
	if (depth + 1 > ROUTE_DEPTH_MAX || l->c->nroutes + count > ROUTES_MAX) {
		if (!l->tree_too_big)
			err(l, kids->v, "routes: more than %d levels or %d routes", ROUTE_DEPTH_MAX,
				ROUTES_MAX);
		l->tree_too_big = true;
		return;
	}
	r->routes = gm_xcalloc(count, sizeof *r->routes);
	for (size_t i = 0; i < count; i++) {
		struct conf_route *c = &r->routes[r->nroutes++];
		*c = (struct conf_route){
			.receiver = r->receiver, .receiver_index = r->receiver_index,
			.group_by = r->ngroup_by ? gm_xcalloc(r->ngroup_by, sizeof *c->group_by) : NULL,
			.ngroup_by = r->ngroup_by,
			.group_by_all = r->group_by_all, .group_wait = r->group_wait,
			.group_interval = r->group_interval, .repeat_interval = r->repeat_interval,
		};
		for (size_t j = 0; j < r->ngroup_by; j++)
			c->group_by[j] = gm_xstrdup(r->group_by[j]);
		load_route(l, node(l, kids->v->data.sequence.items.start[i]), c, depth + 1);
	}
}

static void load_inhibit(struct ld *l, yaml_node_t *n, void *out)
{
	struct conf_inhibit *r = out;
	struct field f[] = {
		{ .key = "source_matchers" }, { .key = "target_matchers" },
		{ .key = "source_match" }, { .key = "source_match_re" },
		{ .key = "target_match" }, { .key = "target_match_re" }, { .key = "equal" },
	};
	if (!fields(l, n, "inhibit_rules", f, sizeof f / sizeof *f))
		return;
	size_t scap = 0, tcap = 0;
	get_match_map(l, field(f, "source_match"), CONF_EQ, &r->source, &scap);
	get_match_map(l, field(f, "source_match_re"), CONF_RE, &r->source, &scap);
	get_matchers(l, field(f, "source_matchers"), &r->source, &scap);
	get_match_map(l, field(f, "target_match"), CONF_EQ, &r->target, &tcap);
	get_match_map(l, field(f, "target_match_re"), CONF_RE, &r->target, &tcap);
	get_matchers(l, field(f, "target_matchers"), &r->target, &tcap);
	get_label_list(l, field(f, "equal"), &r->equal, &r->nequal, NULL);
}

static void load_top(struct ld *l, yaml_node_t *root)
{
	struct conf *c = l->c;
	struct field f[] = {
		{ .key = "global" }, { .key = "route" }, { .key = "receivers" },
		{ .key = "inhibit_rules" },
	};
	if (!fields(l, root, "the top level", f, sizeof f / sizeof *f))
		return;
	/* Receivers take the global defaults; the route names receivers. */
	if (field(f, "global")->v)
		load_global(l, field(f, "global")->v);
	load_list(l, field(f, "receivers"), (void **)&c->receivers, &c->nreceivers,
		sizeof *c->receivers, load_receiver);
	link_fallbacks(l);
	if (field(f, "route")->v)
		load_route(l, field(f, "route")->v, &c->route, 0);
	else
		err(l, root, "no route: the root of the routing tree is needed");
	load_list(l, field(f, "inhibit_rules"), (void **)&c->inhibit, &c->ninhibit,
		sizeof *c->inhibit, load_inhibit);
}

/* ---- loading ---- */

struct conf *conf_parse(const char *name, const char *data, size_t len, struct conf_errors *errs)
{
	struct ld l = { .name = name, .src = data, .srclen = len };
	struct conf *c = gm_xcalloc(1, sizeof *c);
	c->global.smtp_require_tls = true;
	c->global.smtp_auth_password.env = CONF_ENV_SMTP_PASSWORD;
	c->global.slack_api_url.env = CONF_ENV_SLACK_URL;
	c->global.resolve_timeout = 5 * 60000;
	c->route.group_wait = 30000;
	c->route.group_interval = 5 * 60000;
	c->route.repeat_interval = 4 * 3600000;
	l.c = c;

	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser)) {
		fprintf(stderr, "%s: out of memory\n", name);
		exit(1);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_node_t *root = NULL;
	if (!yaml_parser_load(&parser, &l.doc)) {
		add_error(&l, parser.problem_mark.line, parser.problem_mark.column, "%s%s%s",
			parser.problem ? parser.problem : "not YAML",
			parser.context ? ", " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		flush_errors(&l, errs);
		conf_free(c);
		return NULL;
	}
	root = yaml_document_get_root_node(&l.doc);
	if (!root || is_null(root))
		err(&l, root, "empty: a route and receivers are needed");
	else
		load_top(&l, root);
	yaml_document_t next;
	if (yaml_parser_load(&parser, &next)) {
		yaml_node_t *r2 = yaml_document_get_root_node(&next);
		if (r2)
			err(&l, r2, "a second YAML document: the configuration is one");
		yaml_document_delete(&next);
	} else {
		add_error(&l, parser.problem_mark.line, parser.problem_mark.column, "%s",
			parser.problem ? parser.problem : "not YAML");
	}
	yaml_document_delete(&l.doc);
	yaml_parser_delete(&parser);
	if (l.nerrs) {
		flush_errors(&l, errs);
		conf_free(c);
		return NULL;
	}
	free(l.errs);
	return c;
}

struct conf *conf_load(const char *path, struct conf_errors *errs)
{
	FILE *f = fopen(path, "rb");
	char *data = NULL;
	size_t len = 0;
	if (f) {
		FILE *mem = open_memstream(&data, &len);
		char buf[65536];
		size_t n;
		while (mem && (n = fread(buf, 1, sizeof buf, f)) > 0)
			fwrite(buf, 1, n, mem);
		bool bad = ferror(f) || !mem;
		int saved = errno;
		if (mem)
			fclose(mem);
		fclose(f);
		if (bad) {
			free(data);
			data = NULL;
			errno = saved;
		}
	}
	if (!data) {
		char *msg;
		if (asprintf(&msg, "%s: %s", path, strerror(errno)) < 0)
			msg = gm_xstrdup("out of memory");
		push_error(errs, msg);
		return NULL;
	}
	struct conf *c = conf_parse(path, data, len, errs);
	free(data);
	return c;
}

/* ---- freeing ---- */

static void strings_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void route_free(struct conf_route *r)
{
	strings_free(r->group_by, r->ngroup_by);
	matchers_free(&r->matchers);
	for (size_t i = 0; i < r->nroutes; i++)
		route_free(&r->routes[i]);
	free(r->routes);
}

static void receiver_free(struct conf_receiver *r)
{
	free(r->name);
	for (size_t i = 0; i < r->nemail; i++) {
		struct conf_email *e = &r->email[i];
		free(e->to);
		free(e->from);
		free(e->smarthost);
		free(e->auth_username);
		free(e->auth_password.file);
	}
	free(r->email);
	for (size_t i = 0; i < r->nslack; i++) {
		free(r->slack[i].api_url.file);
		free(r->slack[i].channel);
		free(r->slack[i].username);
	}
	free(r->slack);
	for (size_t i = 0; i < r->nwebhook; i++) {
		free(r->webhook[i].url);
		free(r->webhook[i].url_file);
		tmpl_free(r->webhook[i].body_template);
		free(r->webhook[i].body_template_file);
		free(r->webhook[i].content_type);
	}
	free(r->webhook);
	for (size_t i = 0; i < r->nsms; i++) {
		struct conf_sms *s = &r->sms[i];
		free(s->url);
		free(s->account_sid);
		free(s->auth_token.file);
		free(s->from);
		free(s->to);
	}
	free(r->sms);
	for (size_t i = 0; i < r->nfile; i++)
		free(r->file[i].path);
	free(r->file);
}

void conf_free(struct conf *c)
{
	if (!c)
		return;
	struct conf_global *g = &c->global;
	free(g->smtp_from);
	free(g->smtp_smarthost);
	free(g->smtp_auth_username);
	free(g->smtp_auth_password.file);
	free(g->slack_api_url.file);
	route_free(&c->route);
	for (size_t i = 0; i < c->nreceivers; i++)
		receiver_free(&c->receivers[i]);
	free(c->receivers);
	for (size_t i = 0; i < c->ninhibit; i++) {
		matchers_free(&c->inhibit[i].source);
		matchers_free(&c->inhibit[i].target);
		strings_free(c->inhibit[i].equal, c->inhibit[i].nequal);
	}
	free(c->inhibit);
	free(c);
}

/* template: Go's text/template subset (see template.h). The text is
 * cut into tokens first (text, the delimiters, and what an action
 * holds), trimming applied there; a recursive descent then builds a
 * tree whose every operand, function and field has its type, checked
 * against the data's fixed shape, so that running it needs no check. */
#include "template.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "utf8.h"
#include "writer.h"

/* if and range inside one another: deeper is a mistake, and the
 * parser's and the runner's stacks stay small. */
#define DEPTH_MAX 64

/* ---- types: what an expression is, known when parsing ---- */

enum ty {
	TY_DATA,    /* the notification */
	TY_ALERTS,  /* a list of alerts */
	TY_ALERT,
	TY_KV,      /* labels or annotations: a map of strings */
	TY_STRS,    /* a KV's Names or Values */
	TY_PAIRS,   /* a KV's SortedPairs */
	TY_PAIR,
	TY_STR,
	TY_TIME,
	TY_INT,
};

static const char *const ty_names[] = {
	[TY_DATA] = "the notification", [TY_ALERTS] = "a list of alerts",
	[TY_ALERT] = "an alert", [TY_KV] = "a map of labels",
	[TY_STRS] = "a list of strings", [TY_PAIRS] = "a list of pairs",
	[TY_PAIR] = "a pair", [TY_STR] = "a string", [TY_TIME] = "a time",
	[TY_INT] = "a number",
};

/* What a step of a field chain reads. */
enum acc {
	A_RECEIVER, A_STATUS, A_ALERTS, A_GROUP_LABELS, A_COMMON_LABELS,
	A_COMMON_ANNOTATIONS, A_EXTERNAL_URL, A_GROUP_KEY, A_TRUNCATED,
	A_FIRING, A_RESOLVED,
	A_ALERT_STATUS, A_LABELS, A_ANNOTATIONS, A_STARTS_AT, A_ENDS_AT,
	A_GENERATOR_URL, A_FINGERPRINT,
	A_NAMES, A_VALUES, A_SORTED_PAIRS, A_KEY,
	A_NAME, A_VALUE,
};

/* The fields of each type: its name, what it reads, what it gives. */
static const struct field_def {
	enum ty of;
	const char *name;
	enum acc acc;
	enum ty type;
} fields[] = {
	{ TY_DATA, "Receiver", A_RECEIVER, TY_STR },
	{ TY_DATA, "Status", A_STATUS, TY_STR },
	{ TY_DATA, "Alerts", A_ALERTS, TY_ALERTS },
	{ TY_DATA, "GroupLabels", A_GROUP_LABELS, TY_KV },
	{ TY_DATA, "CommonLabels", A_COMMON_LABELS, TY_KV },
	{ TY_DATA, "CommonAnnotations", A_COMMON_ANNOTATIONS, TY_KV },
	{ TY_DATA, "ExternalURL", A_EXTERNAL_URL, TY_STR },
	{ TY_DATA, "GroupKey", A_GROUP_KEY, TY_STR },
	{ TY_DATA, "TruncatedAlerts", A_TRUNCATED, TY_INT },
	{ TY_ALERTS, "Firing", A_FIRING, TY_ALERTS },
	{ TY_ALERTS, "Resolved", A_RESOLVED, TY_ALERTS },
	{ TY_ALERT, "Status", A_ALERT_STATUS, TY_STR },
	{ TY_ALERT, "Labels", A_LABELS, TY_KV },
	{ TY_ALERT, "Annotations", A_ANNOTATIONS, TY_KV },
	{ TY_ALERT, "StartsAt", A_STARTS_AT, TY_TIME },
	{ TY_ALERT, "EndsAt", A_ENDS_AT, TY_TIME },
	{ TY_ALERT, "GeneratorURL", A_GENERATOR_URL, TY_STR },
	{ TY_ALERT, "Fingerprint", A_FINGERPRINT, TY_STR },
	/* A KV's methods come before its keys, as in Go. */
	{ TY_KV, "Names", A_NAMES, TY_STRS },
	{ TY_KV, "Values", A_VALUES, TY_STRS },
	{ TY_KV, "SortedPairs", A_SORTED_PAIRS, TY_PAIRS },
	{ TY_PAIR, "Name", A_NAME, TY_STR },
	{ TY_PAIR, "Value", A_VALUE, TY_STR },
};

enum fn { FN_NONE, FN_LEN, FN_TO_UPPER, FN_TO_LOWER, FN_TITLE, FN_JOIN, FN_JSON };

static const struct fn_def {
	const char *name;
	enum fn fn;
	size_t nargs;
} fns[] = {
	{ "len", FN_LEN, 1 }, { "toUpper", FN_TO_UPPER, 1 }, { "toLower", FN_TO_LOWER, 1 },
	{ "title", FN_TITLE, 1 }, { "join", FN_JOIN, 2 }, { "json", FN_JSON, 1 },
};

/* ---- the tree ---- */

struct step {
	enum acc acc;
	char *key;            /* A_KEY: the label's name */
};

/* An operand: dot, $ or a string, then a chain of fields. */
struct operand {
	enum { O_DOT, O_ROOT, O_VAR, O_STR } base;
	size_t var;           /* O_VAR: its slot */
	char *str;            /* O_STR: its value */
	size_t len;
	struct step *steps;
	size_t nsteps;
	enum ty type;
};

/* A command: an operand alone, or a function and its arguments, the
 * previous command's value last when piped. */
struct command {
	enum fn fn;
	struct operand *args;
	size_t nargs;
	bool piped;
	enum ty type;
};

struct pipeline {
	struct command *cmds;
	size_t n;
	enum ty type;
};

struct node;
struct list {
	struct node *v;
	size_t n, cap;
};

struct node {
	enum { N_TEXT, N_PRINT, N_IF, N_RANGE } kind;
	const char *text;     /* N_TEXT: into the template's copy */
	size_t len;
	struct pipeline pipe;
	struct list body, alt;   /* alt: the else part */
	size_t slot, ndecl;      /* N_RANGE: its variables' first slot, how many */
};

struct tmpl {
	char *src;
	struct list root;
};

/* ---- tokens ---- */

enum tok {
	T_EOF, T_TEXT, T_OPEN, T_CLOSE, T_DOT, T_FIELD, T_ROOT, T_VAR, T_STR, T_IDENT, T_PIPE,
	T_COMMA, T_DECLARE,
	T_ERROR,              /* where the text could not be cut: the lexer's error */
};

struct token {
	enum tok t;
	size_t at;            /* its offset in the text, for errors */
	const char *p;        /* T_TEXT, T_FIELD (after the dot), T_IDENT: its bytes */
	size_t n;
	char *str;            /* T_STR: its value, the parser's to take */
	bool chained;         /* T_FIELD: right after a field or $, a step of it */
};

/* A variable a range declared, in scope in its body. */
struct var {
	const char *name;     /* "$i", into the text */
	size_t n;
	enum ty type;
};

struct parser {
	const char *src;
	size_t len;
	struct var vars[2 * DEPTH_MAX + 2];
	size_t nvars;
	struct token *toks;
	size_t ntoks, cap, pos;
	struct tmpl_error *e;
	bool failed;
	size_t failed_at;
	/* The lexer's error, reported unless the parser's is earlier. */
	bool lexing, lex_failed;
	size_t lex_at;
	struct tmpl_error lex_e;
	int depth;
};

/* Sets the error at offset at, once: the first is the one reported. */
__attribute__((format(printf, 3, 4)))
static void fail(struct parser *p, size_t at, const char *fmt, ...)
{
	bool *failed = p->lexing ? &p->lex_failed : &p->failed;
	struct tmpl_error *e = p->lexing ? &p->lex_e : p->e;
	if (*failed)
		return;
	*failed = true;
	*(p->lexing ? &p->lex_at : &p->failed_at) = at;
	size_t line = 1, col = 1;
	for (size_t i = 0; i < at && i < p->len; i++) {
		if (p->src[i] == '\n')
			line++, col = 1;
		else if (((unsigned char)p->src[i] & 0xc0) != 0x80)
			col++;
	}
	e->line = line;
	e->column = col;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
}

static struct token *push(struct parser *p, enum tok t, size_t at)
{
	p->toks = gm_grow(p->toks, &p->cap, p->ntoks + 1, sizeof *p->toks, 64);
	struct token *k = &p->toks[p->ntoks++];
	*k = (struct token){ .t = t, .at = at };
	return k;
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Appends code point c to b as UTF-8. */
static void put_utf8(struct gm_text *b, unsigned long c)
{
	char u[4];
	size_t n;
	if (c < 0x80)
		u[0] = (char)c, n = 1;
	else if (c < 0x800)
		u[0] = (char)(0xc0 | c >> 6), u[1] = (char)(0x80 | (c & 0x3f)), n = 2;
	else if (c < 0x10000)
		u[0] = (char)(0xe0 | c >> 12), u[1] = (char)(0x80 | ((c >> 6) & 0x3f)),
		u[2] = (char)(0x80 | (c & 0x3f)), n = 3;
	else
		u[0] = (char)(0xf0 | c >> 18), u[1] = (char)(0x80 | ((c >> 12) & 0x3f)),
		u[2] = (char)(0x80 | ((c >> 6) & 0x3f)), u[3] = (char)(0x80 | (c & 0x3f)), n = 4;
	gm_text_add(b, u, n);
}

/* A quoted string at i (its '"'), Go's escapes undone: \a \b \f \n \r
 * \t \v \\ \" \xHH \uHHHH. Returns the offset after it, or 0 (error
 * set). */
static size_t lex_string(struct parser *p, size_t i, struct token *k)
{
	struct gm_text b = { 0 };
	gm_text_add(&b, "", 0);
	const char *s = p->src;
	size_t start = i++;
	while (i < p->len && s[i] != '"' && s[i] != '\n') {
		if (s[i] != '\\') {
			gm_text_add(&b, s + i++, 1);
			continue;
		}
		static const char from[] = "abfnrtv\\\"", to[] = "\a\b\f\n\r\t\v\\\"";
		char e = i + 1 < p->len ? s[i + 1] : 0;
		const char *c = e ? strchr(from, e) : NULL;
		if (c) {
			gm_text_add(&b, &to[c - from], 1);
			i += 2;
			continue;
		}
		/* \xHH (ASCII) or \uHHHH (a character but a surrogate or NUL). */
		size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 0, j = 0;
		unsigned long v = 0;
		for (; j < digits && i + 2 + j < p->len && isxdigit((unsigned char)s[i + 2 + j]); j++) {
			char h = s[i + 2 + j];
			v = v * 16 + (unsigned long)(isdigit((unsigned char)h) ? h - '0' : (h | 0x20) - 'a' + 10);
		}
		if (!digits || j < digits || v == 0 || (e == 'x' && v >= 0x80) ||
		    (v >= 0xd800 && v < 0xe000)) {
			fail(p, i, "a string: unknown escape (known: \\a \\b \\f \\n \\r \\t \\v \\\\ "
				"\\\" \\xHH below 80, \\uHHHH)");
			free(b.p);
			return 0;
		}
		put_utf8(&b, v);
		i += 2 + digits;
	}
	if (i >= p->len || s[i] != '"') {
		fail(p, start, "a string does not end");
		free(b.p);
		return 0;
	}
	k->str = b.p;
	k->n = b.n;
	return i + 1;
}

/* The action at i, after its "{{" and any "- ": its tokens, then
 * T_CLOSE. Returns the offset after "}}", or 0 (error set); *trim says
 * whether it ended with " -}}". */
static size_t lex_action(struct parser *p, size_t i, size_t open, bool *trim)
{
	const char *s = p->src;
	*trim = false;
	if (i + 1 < p->len && s[i] == '/' && s[i + 1] == '*') {
		/* A comment: the action is nothing else. */
		const char *end = NULL;
		for (size_t j = i + 2; j + 1 < p->len; j++)
			if (s[j] == '*' && s[j + 1] == '/') {
				end = s + j + 2;
				break;
			}
		size_t j = end ? (size_t)(end - s) : p->len;
		if (j + 3 < p->len && s[j] == ' ' && s[j + 1] == '-' && s[j + 2] == '}' && s[j + 3] == '}') {
			*trim = true;
			return j + 4;
		}
		if (j + 1 < p->len && s[j] == '}' && s[j + 1] == '}')
			return j + 2;
		fail(p, open, end ? "a comment must end with \"*/}}\"" : "a comment does not end");
		return 0;
	}
	for (;;) {
		size_t b = i;
		while (i < p->len && blank(s[i]))
			i++;
		if (i + 2 < p->len && i > b && s[i] == '-' && s[i + 1] == '}' && s[i + 2] == '}') {
			push(p, T_CLOSE, i);
			*trim = true;
			return i + 3;
		}
		if (i + 1 < p->len && s[i] == '}' && s[i + 1] == '}') {
			push(p, T_CLOSE, i);
			return i + 2;
		}
		if (i >= p->len) {
			fail(p, open, "an action does not end: no \"}}\"");
			return 0;
		}
		char c = s[i];
		if (c == '|') {
			push(p, T_PIPE, i++);
		} else if (c == '.' && i + 1 < p->len && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '_')) {
			enum tok last = p->ntoks ? p->toks[p->ntoks - 1].t : T_EOF;
			bool chained = i == b && (last == T_FIELD || last == T_ROOT || last == T_VAR);
			struct token *k = push(p, T_FIELD, i);
			k->chained = chained;
			size_t j = i + 1;
			while (j < p->len && ident_char(s[j]))
				j++;
			k->p = s + i + 1;
			k->n = j - i - 1;
			i = j;
		} else if (c == '.') {
			push(p, T_DOT, i++);
		} else if (c == '$') {
			size_t j = i + 1;
			while (j < p->len && ident_char(s[j]))
				j++;
			struct token *k = push(p, j > i + 1 ? T_VAR : T_ROOT, i);
			k->p = s + i;
			k->n = j - i;
			i = j;
		} else if (c == ',') {
			push(p, T_COMMA, i++);
			continue;
		} else if (c == ':' && i + 1 < p->len && s[i + 1] == '=') {
			push(p, T_DECLARE, i);
			i += 2;
		} else if (c == '"') {
			struct token *k = push(p, T_STR, i);
			if (!(i = lex_string(p, i, k)))
				return 0;
		} else if (c == '`') {
			const char *end = memchr(s + i + 1, '`', p->len - i - 1);
			if (!end) {
				fail(p, i, "a raw string does not end");
				return 0;
			}
			struct token *k = push(p, T_STR, i);
			k->str = gm_xstrndup(s + i + 1, (size_t)(end - s - i - 1));
			k->n = (size_t)(end - s - i - 1);
			i = (size_t)(end - s) + 1;
		} else if (isalpha((unsigned char)c) || c == '_') {
			struct token *k = push(p, T_IDENT, i);
			size_t j = i;
			while (j < p->len && ident_char(s[j]))
				j++;
			k->p = s + i;
			k->n = j - i;
			i = j;
		} else if (c == '(' || c == ')') {
			fail(p, i, "parentheses are not supported");
			return 0;
		} else if (isdigit((unsigned char)c) || c == '-' || c == '+') {
			fail(p, i, "numbers are not supported");
			return 0;
		} else {
			if (isgraph((unsigned char)c))
				fail(p, i, "unexpected \"%c\" in an action", c);
			else
				fail(p, i, "unexpected character in an action");
			return 0;
		}
		/* Parts are apart, but for a field right after a field or $
		 * (chained) and what comes beside "|". */
		enum tok last = p->toks[p->ntoks - 1].t;
		bool chain = (last == T_FIELD || last == T_ROOT || last == T_VAR) && i < p->len &&
			s[i] == '.';
		if (chain)
			continue;
		if (last != T_PIPE && i < p->len && !blank(s[i]) && s[i] != '|' && s[i] != ',' &&
		    !(i + 1 < p->len && s[i] == '}' && s[i + 1] == '}')) {
			fail(p, i, "expected a blank between the parts of an action");
			return 0;
		}
	}
}

/* Cuts the whole text into tokens; where it cannot, a T_ERROR ends
 * them. */
static void lex(struct parser *p)
{
	p->lexing = true;
	const char *s = p->src;
	size_t i = 0;
	bool trim_next = false;
	while (i < p->len) {
		const char *open = NULL;
		for (size_t j = i; j + 1 < p->len; j++)
			if (s[j] == '{' && s[j + 1] == '{') {
				open = s + j;
				break;
			}
		size_t o = open ? (size_t)(open - s) : p->len;
		size_t a = i, b = o;
		bool left = open && o + 3 < p->len && s[o + 2] == '-' && blank(s[o + 3]);
		if (trim_next)
			while (a < b && blank(s[a]))
				a++;
		if (left)
			while (b > a && blank(s[b - 1]))
				b--;
		if (b > a) {
			struct token *k = push(p, T_TEXT, a);
			k->p = s + a;
			k->n = b - a;
		}
		if (!open)
			break;
		push(p, T_OPEN, o);
		bool trim;
		if (!(i = lex_action(p, o + (left ? 4 : 2), o, &trim))) {
			push(p, T_ERROR, p->lex_at);
			break;
		}
		if (p->toks[p->ntoks - 1].t == T_OPEN)
			p->ntoks--;   /* a comment */
		trim_next = trim;
	}
	push(p, T_EOF, p->len);
	p->lexing = false;
}

/* ---- parsing ---- */

static struct token *peek(struct parser *p)
{
	return &p->toks[p->pos];
}

static struct token *next(struct parser *p)
{
	struct token *k = &p->toks[p->pos];
	if (k->t != T_EOF)
		p->pos++;
	return k;
}

static bool is_ident(const struct token *k, const char *word)
{
	return k->t == T_IDENT && k->n == strlen(word) && !memcmp(k->p, word, k->n);
}

/* Adds the field named by k to o, checked against o's type. */
static bool add_field(struct parser *p, struct operand *o, const struct token *k)
{
	struct step st = { .acc = A_KEY };
	enum ty type = TY_STR;
	size_t i = 0;
	for (; i < sizeof fields / sizeof *fields; i++)
		if (fields[i].of == o->type && strlen(fields[i].name) == k->n &&
		    !memcmp(fields[i].name, k->p, k->n))
			break;
	if (i < sizeof fields / sizeof *fields) {
		st.acc = fields[i].acc;
		type = fields[i].type;
	} else if (o->type == TY_KV) {
		if (k->n == 6 && !memcmp(k->p, "Remove", 6)) {
			fail(p, k->at, "Remove takes arguments, which are not supported");
			return false;
		}
		st.key = gm_xstrndup(k->p, k->n);
	} else {
		fail(p, k->at, "%s has no field \"%.*s\"", ty_names[o->type], (int)k->n, k->p);
		return false;
	}
	o->steps = gm_xrealloc(o->steps, (o->nsteps + 1) * sizeof *o->steps);
	o->steps[o->nsteps++] = st;
	o->type = type;
	return true;
}

/* An operand at the current token; dot is the type of dot there. */
static bool parse_operand(struct parser *p, enum ty dot, struct operand *o)
{
	struct token *k = next(p);
	*o = (struct operand){ 0 };
	switch (k->t) {
	case T_DOT:
		o->base = O_DOT, o->type = dot;
		break;
	case T_ROOT:
		o->base = O_ROOT, o->type = TY_DATA;
		break;
	case T_VAR: {
		size_t v = p->nvars;
		while (v > 0 && !(p->vars[v - 1].n == k->n && !memcmp(p->vars[v - 1].name, k->p, k->n)))
			v--;
		if (!v) {
			fail(p, k->at, "no variable %.*s here: a range declares them, "
				"{{ range $i, $a := .Alerts }}", (int)k->n, k->p);
			return false;
		}
		o->base = O_VAR, o->var = v - 1, o->type = p->vars[v - 1].type;
		break;
	}
	case T_FIELD:
		o->base = O_DOT, o->type = dot;
		p->pos--;
		k = peek(p);
		break;
	case T_STR:
		o->base = O_STR, o->type = TY_STR;
		o->str = k->str, o->len = k->n;
		k->str = NULL;
		return true;
	default:
		fail(p, k->at, "expected a value: ., $, $var, .Field or a string");
		return false;
	}
	if (k->t == T_FIELD && !add_field(p, o, next(p)))
		return false;
	while (peek(p)->t == T_FIELD && peek(p)->chained)
		if (!add_field(p, o, next(p)))
			return false;
	return true;
}

static bool printable(enum ty t)
{
	return t == TY_STR || t == TY_TIME || t == TY_INT;
}

/* Checks a function's arguments, sets c->type. */
static bool check_call(struct parser *p, struct command *c, size_t at, const char *name,
	size_t nargs, enum ty prev)
{
	size_t given = c->nargs + c->piped;
	if (given != nargs) {
		fail(p, at, "%s takes %zu argument%s, not %zu", name, nargs, nargs == 1 ? "" : "s",
			given);
		return false;
	}
	/* The arguments' types, the piped value last. */
	enum ty t[2];
	for (size_t i = 0; i < c->nargs; i++)
		t[i] = c->args[i].type;
	if (c->piped)
		t[nargs - 1] = prev;
	bool ok;
	switch (c->fn) {
	case FN_LEN:
		ok = t[0] == TY_ALERTS || t[0] == TY_KV || t[0] == TY_STRS || t[0] == TY_PAIRS ||
			t[0] == TY_STR;
		c->type = TY_INT;
		break;
	case FN_JOIN:
		if (t[0] != TY_STR) {
			fail(p, at, "join: its first argument is the separator, a string, not %s",
				ty_names[t[0]]);
			return false;
		}
		ok = t[1] == TY_STRS;
		c->type = TY_STR;
		t[0] = t[1];
		break;
	case FN_JSON:
		ok = printable(t[0]) || t[0] == TY_KV || t[0] == TY_STRS;
		c->type = TY_STR;
		break;
	default:
		ok = t[0] == TY_STR;
		c->type = TY_STR;
	}
	if (!ok)
		fail(p, at, "%s does not take %s", name, ty_names[t[0]]);
	return ok;
}

static void operand_free(struct operand *o)
{
	free(o->str);
	for (size_t i = 0; i < o->nsteps; i++)
		free(o->steps[i].key);
	free(o->steps);
}

static void pipeline_free(struct pipeline *pl)
{
	for (size_t i = 0; i < pl->n; i++) {
		for (size_t j = 0; j < pl->cmds[i].nargs; j++)
			operand_free(&pl->cmds[i].args[j]);
		free(pl->cmds[i].args);
	}
	free(pl->cmds);
	*pl = (struct pipeline){ 0 };
}

/* The words that are Go's but not the subset's. */
static const char *const unsupported[] = {
	"with", "define", "template", "block", "break", "continue", "nil", "true", "false",
};

/* A pipeline, up to the action's T_CLOSE (consumed). */
static bool parse_pipeline(struct parser *p, enum ty dot, struct pipeline *pl)
{
	*pl = (struct pipeline){ 0 };
	size_t cap = 0;
	if (peek(p)->t == T_CLOSE) {
		fail(p, peek(p)->at, "an action with no value");
		return false;
	}
	for (;;) {
		pl->cmds = gm_grow(pl->cmds, &cap, pl->n + 1, sizeof *pl->cmds, 2);
		struct command *c = &pl->cmds[pl->n++];
		*c = (struct command){ .piped = pl->n > 1 };
		struct token *k = peek(p);
		size_t at = k->at;
		size_t nargs = 1;
		const char *name = NULL;
		if (k->t == T_IDENT) {
			next(p);
			size_t f = 0;
			while (f < sizeof fns / sizeof *fns &&
			       !(strlen(fns[f].name) == k->n && !memcmp(fns[f].name, k->p, k->n)))
				f++;
			if (f == sizeof fns / sizeof *fns) {
				for (size_t u = 0; u < sizeof unsupported / sizeof *unsupported; u++)
					if (is_ident(k, unsupported[u])) {
						fail(p, at, "\"%s\" is not supported (if, else, range and end are)",
							unsupported[u]);
						return false;
					}
				fail(p, at, "no function \"%.*s\": there are len, toUpper, toLower, title, "
					"join and json", (int)k->n, k->p);
				return false;
			}
			c->fn = fns[f].fn;
			nargs = fns[f].nargs;
			name = fns[f].name;
		} else if (c->piped) {
			fail(p, at, "after \"|\" comes a function");
			return false;
		}
		size_t acap = 0;
		while (peek(p)->t != T_CLOSE && peek(p)->t != T_PIPE && peek(p)->t != T_EOF) {
			if (c->fn == FN_NONE && c->nargs == 1) {
				fail(p, peek(p)->at, "a value is not a function: it takes no arguments");
				return false;
			}
			c->args = gm_grow(c->args, &acap, c->nargs + 1, sizeof *c->args, 2);
			if (!parse_operand(p, dot, &c->args[c->nargs++]))
				return false;
		}
		if (c->fn == FN_NONE && !c->nargs) {
			fail(p, peek(p)->at, "expected a value: ., $, $var, .Field or a string");
			return false;
		}
		if (c->fn == FN_NONE)
			c->type = c->args[0].type;
		else if (!check_call(p, c, at, name, nargs, pl->n > 1 ? pl->cmds[pl->n - 2].type : TY_STR))
			return false;
		k = next(p);
		if (k->t == T_CLOSE)
			break;
		if (k->t != T_PIPE) {
			fail(p, k->at, "an action does not end");
			return false;
		}
	}
	pl->type = pl->cmds[pl->n - 1].type;
	return true;
}

/* What ended a list: the template's end, {{else}} or {{end}}. */
enum stop { S_EOF, S_ELSE, S_END };

static void list_free(struct list *l);

static struct node *add_node(struct list *l)
{
	l->v = gm_grow(l->v, &l->cap, l->n + 1, sizeof *l->v, 8);
	struct node *n = &l->v[l->n++];
	*n = (struct node){ 0 };
	return n;
}

static bool parse_list(struct parser *p, enum ty dot, struct list *l, enum stop *stop,
	size_t *stop_at);

/* The parts of an if or range after its pipeline: the body, an else
 * part (an "else if" nested as an if alone in it), and its end. kw is
 * the action's word, at its offset. */
static bool parse_control(struct parser *p, struct node *n, enum ty dot, enum ty inner,
	const char *kw, size_t at)
{
	if (++p->depth > DEPTH_MAX) {
		fail(p, at, "more than %d if and range inside one another", DEPTH_MAX);
		return false;
	}
	enum stop stop;
	size_t stop_at;
	if (!parse_list(p, inner, &n->body, &stop, &stop_at))
		return false;
	if (stop == S_ELSE) {
		if (n->kind == N_IF && is_ident(peek(p), "if")) {
			size_t if_at = next(p)->at;
			struct node *e = add_node(&n->alt);
			e->kind = N_IF;
			if (!parse_pipeline(p, dot, &e->pipe) || !parse_control(p, e, dot, dot, "if", if_at))
				return false;
			p->depth--;
			return true;
		}
		struct token *k = next(p);
		if (k->t != T_CLOSE) {
			fail(p, k->at, "{{else}} takes nothing%s", n->kind == N_IF ? " but if" : "");
			return false;
		}
		/* A range's else has no element: its variables are not there. */
		size_t nvars = p->nvars;
		p->nvars -= n->kind == N_RANGE ? n->ndecl : 0;
		if (!parse_list(p, dot, &n->alt, &stop, &stop_at))
			return false;
		p->nvars = nvars;
	}
	if (stop != S_END) {
		fail(p, stop == S_EOF ? at : stop_at, stop == S_EOF ? "{{%s}} has no {{end}}" :
			"{{%s}} has a second {{else}}", kw);
		return false;
	}
	p->depth--;
	return true;
}

/* Text and actions, up to the end or an {{else}} or {{end}}, whose
 * "{{" and word are consumed (an {{else}}'s T_CLOSE is not). */
static bool parse_list(struct parser *p, enum ty dot, struct list *l, enum stop *stop,
	size_t *stop_at)
{
	for (;;) {
		struct token *k = next(p);
		if (k->t == T_EOF) {
			*stop = S_EOF;
			return true;
		}
		if (k->t == T_ERROR) {
			fail(p, k->at, "(the lexer's error)");
			return false;
		}
		if (k->t == T_TEXT) {
			struct node *n = add_node(l);
			n->kind = N_TEXT;
			n->text = k->p;
			n->len = k->n;
			continue;
		}
		/* T_OPEN */
		k = peek(p);
		size_t at = k->at;
		if (is_ident(k, "end") || is_ident(k, "else")) {
			next(p);
			*stop = is_ident(k, "end") ? S_END : S_ELSE;
			*stop_at = at;
			if (*stop == S_END && next(p)->t != T_CLOSE) {
				fail(p, at, "{{end}} takes nothing");
				return false;
			}
			return true;
		}
		struct node *n = add_node(l);
		if (is_ident(k, "if") || is_ident(k, "range")) {
			bool range = is_ident(k, "range");
			next(p);
			n->kind = range ? N_RANGE : N_IF;
			/* range $a := or range $i, $a := */
			struct token *decl[2] = { NULL, NULL };
			size_t ndecl = 0;
			if (range && peek(p)->t == T_VAR) {
				decl[ndecl++] = next(p);
				if (peek(p)->t == T_COMMA) {
					next(p);
					if (peek(p)->t != T_VAR) {
						fail(p, peek(p)->at, "expected a variable after \",\"");
						return false;
					}
					decl[ndecl++] = next(p);
				}
				if (next(p)->t != T_DECLARE) {
					fail(p, decl[0]->at, "expected \":=\" after the range's variables");
					return false;
				}
			}
			if (!parse_pipeline(p, dot, &n->pipe))
				return false;
			enum ty inner = dot, index = TY_INT;
			if (range) {
				switch (n->pipe.type) {
				case TY_ALERTS: inner = TY_ALERT; break;
				case TY_KV: inner = TY_STR, index = TY_STR; break;
				case TY_STRS: inner = TY_STR; break;
				case TY_PAIRS: inner = TY_PAIR; break;
				default:
					fail(p, at, "range over %s: only lists and maps", ty_names[n->pipe.type]);
					return false;
				}
			}
			/* The variables' slots: the index, then the element. */
			size_t nvars = p->nvars;
			n->slot = nvars;
			n->ndecl = ndecl;
			for (size_t d = 0; d < ndecl; d++)
				p->vars[p->nvars++] = (struct var){ decl[d]->p, decl[d]->n,
					ndecl == 2 && d == 0 ? index : inner };
			if (!parse_control(p, n, dot, inner, range ? "range" : "if", at))
				return false;
			p->nvars = nvars;
			continue;
		}
		n->kind = N_PRINT;
		if (!parse_pipeline(p, dot, &n->pipe))
			return false;
		if (!printable(n->pipe.type)) {
			fail(p, at, "%s cannot be written: range over it, or use len, join or json",
				ty_names[n->pipe.type]);
			return false;
		}
	}
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		pipeline_free(&l->v[i].pipe);
		list_free(&l->v[i].body);
		list_free(&l->v[i].alt);
	}
	free(l->v);
}

struct tmpl *tmpl_parse(const char *text, size_t len, struct tmpl_error *e)
{
	struct tmpl *t = gm_xcalloc(1, sizeof *t);
	t->src = gm_xstrndup(text, len);
	struct parser p = { .src = t->src, .len = len, .e = e };
	size_t bad = memchr(text, 0, len) ? (size_t)((const char *)memchr(text, 0, len) - text) :
		gm_utf8_invalid_at(text, len);
	if (bad < len)
		fail(&p, bad, "not UTF-8 text");
	else {
		lex(&p);
		enum stop stop;
		size_t at;
		if (parse_list(&p, TY_DATA, &t->root, &stop, &at) && stop != S_EOF)
			fail(&p, at, "{{%s}} without an if or range", stop == S_END ? "end" : "else");
		/* The parser stops at the lexer's error at the latest. */
		if (p.lex_failed && (!p.failed || p.lex_at <= p.failed_at)) {
			*e = p.lex_e;
			p.failed = true;
		}
	}
	for (size_t i = 0; i < p.ntoks; i++)
		free(p.toks[i].str);
	free(p.toks);
	if (p.failed) {
		tmpl_free(t);
		return NULL;
	}
	return t;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	list_free(&t->root);
	free(t->src);
	free(t);
}

/* ---- running ---- */

/* A value: which fields are set goes by t. */
struct val {
	enum ty t;
	const char *s;                     /* TY_STR, TY_TIME */
	size_t len;
	long long i;                       /* TY_INT */
	const struct tmpl_alert *a;        /* TY_ALERT */
	const struct route_label *kv;      /* TY_KV, TY_STRS, TY_PAIRS: the map; TY_PAIR: it */
	size_t n;
	bool names;                        /* TY_STRS: the names, else the values */
	unsigned mask;                     /* TY_ALERTS: 1 firing, 2 resolved */
};

struct run {
	const struct tmpl_data *d;
	struct val vars[2 * DEPTH_MAX + 2];   /* by slot */
	struct gm_text *out;
	struct gm_writer *json;            /* for json, made when first needed */
	struct gm_text buf[2];             /* functions' strings */
	int which;                         /* the next to write */
};

static struct val str_val(const char *s)
{
	return (struct val){ .t = TY_STR, .s = s, .len = strlen(s) };
}

static struct val kv_val(struct route_labels l)
{
	return (struct val){ .t = TY_KV, .kv = l.v, .n = l.n };
}

static struct val kv_arr(const struct route_label *v, size_t n)
{
	return (struct val){ .t = TY_KV, .kv = v, .n = n };
}

static bool alert_in(const struct tmpl_alert *a, unsigned mask)
{
	return mask & (strcmp(a->status, "firing") ? 2u : 1u);
}

static struct val step(const struct run *r, struct val v, const struct step *st)
{
	const struct tmpl_data *d = r->d;
	switch (st->acc) {
	case A_RECEIVER: return str_val(d->receiver);
	case A_STATUS: return str_val(d->status);
	case A_ALERTS: return (struct val){ .t = TY_ALERTS, .mask = 3 };
	case A_GROUP_LABELS: return kv_val(d->group_labels);
	case A_COMMON_LABELS: return kv_val(d->common_labels);
	case A_COMMON_ANNOTATIONS: return kv_val(d->common_annotations);
	case A_EXTERNAL_URL: return str_val(d->external_url);
	case A_GROUP_KEY: return str_val(d->group_key);
	case A_TRUNCATED: return (struct val){ .t = TY_INT, .i = (long long)d->truncated };
	case A_FIRING: v.mask &= 1; return v;
	case A_RESOLVED: v.mask &= 2; return v;
	case A_ALERT_STATUS: return str_val(v.a->status);
	case A_LABELS: return kv_arr(v.a->labels, v.a->nlabels);
	case A_ANNOTATIONS: return kv_arr(v.a->annotations, v.a->nannotations);
	case A_STARTS_AT: v = str_val(v.a->starts_at); v.t = TY_TIME; return v;
	case A_ENDS_AT: v = str_val(v.a->ends_at); v.t = TY_TIME; return v;
	case A_GENERATOR_URL: return str_val("");
	case A_FINGERPRINT: return str_val(v.a->fingerprint);
	case A_NAMES: v.t = TY_STRS; v.names = true; return v;
	case A_VALUES: v.t = TY_STRS; v.names = false; return v;
	case A_SORTED_PAIRS: v.t = TY_PAIRS; return v;
	case A_KEY:
		/* A label the map does not have is "", as Go reads a
		 * map[string]string. */
		return str_val(route_label_value((struct route_labels){ v.kv, v.n }, st->key));
	case A_NAME: return str_val(v.kv->name);
	case A_VALUE: return str_val(v.kv->value);
	}
	return v;
}

static struct val operand(const struct run *r, const struct operand *o, struct val dot)
{
	struct val v;
	if (o->base == O_STR)
		return (struct val){ .t = TY_STR, .s = o->str, .len = o->len };
	v = o->base == O_ROOT ? (struct val){ .t = TY_DATA } : o->base == O_VAR ? r->vars[o->var] : dot;
	for (size_t i = 0; i < o->nsteps; i++)
		v = step(r, v, &o->steps[i]);
	return v;
}

/* The number of elements of list v. */
static size_t count(const struct run *r, struct val v)
{
	if (v.t != TY_ALERTS)
		return v.n;
	size_t n = 0;
	for (size_t i = 0; i < r->d->nalerts; i++)
		n += alert_in(&r->d->alerts[i], v.mask);
	return n;
}

static bool truth(const struct run *r, struct val v)
{
	switch (v.t) {
	case TY_STR: return v.len > 0;
	case TY_INT: return v.i != 0;
	case TY_ALERTS: case TY_KV: case TY_STRS: case TY_PAIRS: return count(r, v) > 0;
	default: return true;   /* a struct, as Go has it */
	}
}

/* v as JSON into out: a string or a time quoted, a number, a map as
 * an object, a list of strings as an array. */
static void put_json(struct run *r, struct gm_text *out, struct val v)
{
	if (!r->json)
		r->json = gm_writer_mem();
	gm_writer_reset(r->json);
	switch (v.t) {
	case TY_INT: gm_w_i64(r->json, v.i); break;
	case TY_KV:
		gm_w_obj_begin(r->json);
		for (size_t i = 0; i < v.n; i++) {
			gm_w_key(r->json, v.kv[i].name);
			gm_w_cstr(r->json, v.kv[i].value);
		}
		gm_w_obj_end(r->json);
		break;
	case TY_STRS:
		gm_w_arr_begin(r->json);
		for (size_t i = 0; i < v.n; i++)
			gm_w_cstr(r->json, v.names ? v.kv[i].name : v.kv[i].value);
		gm_w_arr_end(r->json);
		break;
	default: gm_w_str(r->json, v.s, v.len);
	}
	size_t n;
	const char *p = gm_writer_data(r->json, &n);
	gm_text_add(out, p, n);
}

/* toUpper, toLower and title over ASCII letters; title is Go's
 * strings.Title: a letter after anything but a
 * letter, digit, underscore or a byte of a non-ASCII character is made
 * upper case. */
static void put_cased(struct gm_text *out, enum fn fn, const char *s, size_t len)
{
	bool sep = true;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		unsigned char u = (unsigned char)c;
		if (fn == FN_TO_UPPER || (fn == FN_TITLE && sep))
			c = (char)toupper(u);
		else if (fn == FN_TO_LOWER)
			c = (char)tolower(u);
		sep = u < 0x80 && !isalnum(u) && c != '_';
		gm_text_add(out, &c, 1);
	}
}

/* The pipeline's value. A function's string is made in one of the
 * run's two buffers, from arguments that may be in the other (the
 * previous command's value), and lives until the next pipeline. */
static struct val pipeline(struct run *r, const struct pipeline *pl, struct val dot)
{
	struct val prev = { 0 };
	for (size_t c = 0; c < pl->n; c++) {
		const struct command *cmd = &pl->cmds[c];
		struct val a[2];
		for (size_t i = 0; i < cmd->nargs; i++)
			a[i] = operand(r, &cmd->args[i], dot);
		if (cmd->piped)
			a[cmd->nargs] = prev;
		if (cmd->fn == FN_NONE) {
			prev = a[0];
			continue;
		}
		if (cmd->fn == FN_LEN) {
			prev = (struct val){ .t = TY_INT,
				.i = (long long)(a[0].t == TY_STR ? a[0].len : count(r, a[0])) };
			continue;
		}
		struct gm_text *out = &r->buf[r->which];
		r->which ^= 1;
		out->n = 0;
		gm_text_add(out, "", 0);
		switch (cmd->fn) {
		case FN_JOIN:
			for (size_t i = 0; i < a[1].n; i++) {
				if (i)
					gm_text_add(out, a[0].s, a[0].len);
				gm_text_str(out, a[1].names ? a[1].kv[i].name : a[1].kv[i].value);
			}
			break;
		case FN_JSON:
			put_json(r, out, a[0]);
			break;
		default:
			put_cased(out, cmd->fn, a[0].s, a[0].len);
		}
		prev = (struct val){ .t = TY_STR, .s = out->p, .len = out->n };
	}
	return prev;
}

static void run_list(struct run *r, const struct list *l, struct val dot);

static void run_node(struct run *r, const struct node *n, struct val dot)
{
	switch (n->kind) {
	case N_TEXT:
		gm_text_add(r->out, n->text, n->len);
		return;
	case N_PRINT: {
		struct val v = pipeline(r, &n->pipe, dot);
		if (v.t == TY_INT)
			gm_text_printf(r->out, "%lld", v.i);
		else
			gm_text_add(r->out, v.s, v.len);
		return;
	}
	case N_IF:
		run_list(r, truth(r, pipeline(r, &n->pipe, dot)) ? &n->body : &n->alt, dot);
		return;
	case N_RANGE: {
		struct val v = pipeline(r, &n->pipe, dot);
		if (!truth(r, v)) {
			run_list(r, &n->alt, dot);
			return;
		}
		/* Alerts by their order; a map gives its values, Names and
		 * Values their strings, in the order of the names; SortedPairs
		 * its pairs. The index is a count, a map's its key. */
		size_t at = 0;
		size_t all = v.t == TY_ALERTS ? r->d->nalerts : v.n;
		for (size_t i = 0; i < all; i++) {
			struct val e;
			if (v.t == TY_ALERTS) {
				if (!alert_in(&r->d->alerts[i], v.mask))
					continue;
				e = (struct val){ .t = TY_ALERT, .a = &r->d->alerts[i] };
			} else if (v.t == TY_PAIRS)
				e = (struct val){ .t = TY_PAIR, .kv = &v.kv[i] };
			else
				e = str_val(v.t == TY_STRS && v.names ? v.kv[i].name : v.kv[i].value);
			struct val *slot = &r->vars[n->slot];
			if (n->ndecl == 2) {
				slot[0] = v.t == TY_KV ? str_val(v.kv[i].name) :
					(struct val){ .t = TY_INT, .i = (long long)at };
				slot[1] = e;
			} else if (n->ndecl == 1)
				slot[0] = e;
			at++;
			run_list(r, &n->body, e);
		}
		return;
	}
	}
}

static void run_list(struct run *r, const struct list *l, struct val dot)
{
	for (size_t i = 0; i < l->n; i++)
		run_node(r, &l->v[i], dot);
}

void tmpl_execute(const struct tmpl *t, const struct tmpl_data *d, struct gm_text *out)
{
	struct run r = { .d = d, .out = out };
	gm_text_add(out, "", 0);
	run_list(&r, &t->root, (struct val){ .t = TY_DATA });
	if (r.json)
		gm_writer_close(r.json);
	free(r.buf[0].p);
	free(r.buf[1].p);
}

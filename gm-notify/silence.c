/* silence: see silence.h. */
#include "silence.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hash.h"
#include "mem.h"
#include "nlog.h"
#include "number.h"

#define MAGIC "gm-notify-silences"
#define VERSION 1

const struct conf_matchers *silence_matchers(const struct silence *s)
{
	return &s->parsed->route.routes[0].matchers;
}

/* s as a YAML double-quoted scalar, appended to *buf. */
static void yaml_quote(char **buf, size_t *len, size_t *cap, const char *s)
{
	*buf = gm_grow(*buf, cap, *len + 4 * strlen(s) + 3, 1, 256);
	char *w = *buf + *len;
	*w++ = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			*w++ = '\\', *w++ = (char)c;
		else if (c == '\n')
			*w++ = '\\', *w++ = 'n';
		else if (c < 0x20)
			w += sprintf(w, "\\x%02x", c);
		else
			*w++ = (char)c;
	}
	*w++ = '"';
	*len = (size_t)(w - *buf);
}

/* The message of a conf error without the place in the document made
 * here, which means nothing to the user: "matchers: ...: what". */
static const char *without_place(const char *msg)
{
	const char *p = msg;
	for (int colons = 0; *p && colons < 3; p++)
		colons += *p == ':';
	return *p == ' ' ? p + 1 : msg;
}

/* The matchers texts[0..n) compiled by the configuration's own parser,
 * as the matchers: of the one child route of a document made for them,
 * so that a silence reads matchers exactly as a route does. NULL, the
 * errors added to errs, when any does not parse. */
static struct conf *parse_matchers(const char *const *texts, size_t n, struct conf_errors *errs)
{
	static const char head[] = "route:\n  receiver: s\n  routes:\n  - matchers:\n";
	char *doc = NULL;
	size_t len = 0, cap = 0;
	doc = gm_grow(doc, &cap, sizeof head, 1, 256);
	memcpy(doc, head, sizeof head - 1);
	len = sizeof head - 1;
	for (size_t i = 0; i < n; i++) {
		doc = gm_grow(doc, &cap, len + 8, 1, 256);
		memcpy(doc + len, "    - ", 6);
		len += 6;
		yaml_quote(&doc, &len, &cap, texts[i]);
		doc = gm_grow(doc, &cap, len + 1, 1, 256);
		doc[len++] = '\n';
	}
	static const char tail[] = "receivers:\n- name: s\n";
	doc = gm_grow(doc, &cap, len + sizeof tail, 1, 256);
	memcpy(doc + len, tail, sizeof tail);
	len += sizeof tail - 1;
	struct conf_errors mine = { 0 };
	struct conf *c = conf_parse("silence", doc, len, &mine);
	free(doc);
	for (size_t i = 0; i < mine.n; i++) {
		errs->v = gm_grow(errs->v, &errs->cap, errs->n + 1, sizeof *errs->v, 8);
		errs->v[errs->n++] = gm_xstrdup(without_place(mine.v[i]));
	}
	conf_errors_free(&mine);
	return c;
}

static void add_error(struct conf_errors *errs, const char *msg)
{
	errs->v = gm_grow(errs->v, &errs->cap, errs->n + 1, sizeof *errs->v, 8);
	errs->v[errs->n++] = gm_xstrdup(msg);
}

static void silence_free(struct silence *s)
{
	for (size_t i = 0; i < s->nmatchers; i++)
		free(s->matchers[i]);
	free(s->matchers);
	conf_free(s->parsed);
	free(s->author);
	free(s->comment);
}

/* Makes a silence in *s from its parts; false, errors added, when the
 * matchers do not parse or the times are wrong. */
static bool make(struct silence *s, const char *const *texts, size_t n, int64_t start,
	int64_t end, int64_t created, const char *author, const char *comment,
	struct conf_errors *errs)
{
	if (!n) {
		add_error(errs, "a silence needs at least one matcher");
		return false;
	}
	if (end < start) {
		add_error(errs, "a silence must not end before it starts");
		return false;
	}
	struct conf *c = parse_matchers(texts, n, errs);
	if (!c)
		return false;
	*s = (struct silence){
		.matchers = gm_xcalloc(n, sizeof *s->matchers), .nmatchers = n, .parsed = c,
		.start = start, .end = end, .created = created,
		.author = gm_xstrdup(author ? author : ""),
		.comment = gm_xstrdup(comment ? comment : ""),
	};
	for (size_t i = 0; i < n; i++)
		s->matchers[i] = gm_xstrdup(texts[i]);
	return true;
}

/* The id of s: a hash of what it is and when it was made, so that two
 * silences differ unless made alike in the same millisecond. */
static void make_id(struct silence *s)
{
	char buf[64];
	uint64_t h = gm_hash_u64((uint64_t)s->start) ^ gm_hash_u64((uint64_t)s->end * 3) ^
		gm_hash_u64((uint64_t)s->created * 5);
	for (size_t i = 0; i < s->nmatchers; i++)
		h = gm_hash_u64(h ^ gm_hash(s->matchers[i], strlen(s->matchers[i])));
	h = gm_hash_u64(h ^ gm_hash(s->author, strlen(s->author)));
	h = gm_hash_u64(h ^ gm_hash(s->comment, strlen(s->comment)));
	gm_format_hex64(h, buf);
	memcpy(s->id, buf, SILENCE_ID_LEN);
	s->id[SILENCE_ID_LEN] = 0;
}

const struct silence *silences_add(struct silences *set, const char *const *texts, size_t n,
	int64_t start, int64_t end, const char *author, const char *comment, int64_t now,
	struct conf_errors *errs)
{
	struct silence s;
	/* One that ends where it starts is only what expiring a pending
	 * one leaves (silences_expire()), never a new one. */
	if (end <= start) {
		add_error(errs, "a silence must end after it starts");
		return NULL;
	}
	if (!make(&s, texts, n, start, end, now, author, comment, errs))
		return NULL;
	make_id(&s);
	set->v = gm_grow(set->v, &set->cap, set->n + 1, sizeof *set->v, 8);
	set->v[set->n] = s;
	return &set->v[set->n++];
}

const struct silence *silences_expire(struct silences *set, const char *id, int64_t now)
{
	size_t len = strlen(id), found = SIZE_MAX;
	if (len < 4 || len > SILENCE_ID_LEN)
		return NULL;
	for (size_t i = 0; i < set->n; i++)
		if (!strncmp(set->v[i].id, id, len)) {
			if (found != SIZE_MAX)
				return NULL;
			found = i;
		}
	if (found == SIZE_MAX)
		return NULL;
	struct silence *s = &set->v[found];
	/* A pending one is moved to now too, as Alertmanager does, so that
	 * it is forgotten a retention after now, not after its start. */
	if (s->end > now) {
		if (s->start > now)
			s->start = now;
		s->end = now;
	}
	return s;
}

const struct silence *silences_match(const struct silences *set, struct route_labels l, int64_t t)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct silence *s = &set->v[i];
		if (s->start <= t && t < s->end && route_matchers_match(silence_matchers(s), l))
			return s;
	}
	return NULL;
}

int64_t silences_next_change(const struct silences *set, int64_t t)
{
	int64_t next = INT64_MAX;
	for (size_t i = 0; i < set->n; i++) {
		const struct silence *s = &set->v[i];
		if (s->start > t && s->start < next)
			next = s->start;
		if (s->end > t && s->end < next)
			next = s->end;
	}
	return next;
}

size_t silences_gc(struct silences *set, int64_t now, int64_t retention_ms)
{
	size_t kept = 0, n = set->n;
	for (size_t i = 0; i < n; i++) {
		if (set->v[i].end <= now - retention_ms)
			silence_free(&set->v[i]);
		else
			set->v[kept++] = set->v[i];
	}
	set->n = kept;
	return n - kept;
}

void silences_free(struct silences *set)
{
	for (size_t i = 0; i < set->n; i++)
		silence_free(&set->v[i]);
	free(set->v);
	*set = (struct silences){ 0 };
}

/* The file: a first line "gm-notify-silences 1", then one line a
 * silence: "silence", id, start, end, created (ms), author, comment,
 * and its matchers, one a field. */
bool silences_save(const struct silences *set, const char *path)
{
	struct nlog_out o;
	if (!nlog_create(&o, path, MAGIC, VERSION))
		return false;
	for (size_t i = 0; i < set->n; i++) {
		const struct silence *s = &set->v[i];
		nlog_str(&o, "silence");
		nlog_str(&o, s->id);
		nlog_int(&o, s->start);
		nlog_int(&o, s->end);
		nlog_int(&o, s->created);
		nlog_str(&o, s->author);
		nlog_str(&o, s->comment);
		for (size_t j = 0; j < s->nmatchers; j++)
			nlog_str(&o, s->matchers[j]);
		nlog_end(&o);
	}
	return nlog_commit(&o);
}

static bool is_id(const char *s)
{
	if (!s || strlen(s) != SILENCE_ID_LEN)
		return false;
	for (; *s; s++)
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
			return false;
	return true;
}

bool silences_load(struct silences *set, const char *path)
{
	silences_free(set);
	struct nlog_in in;
	int n = nlog_open(&in, path, MAGIC, VERSION);
	bool ok = n > 0;
	if (!n)
		return true;
	while (ok && (n = nlog_next(&in)) > 0) {
		char **f = in.field;
		struct silence s;
		int64_t start, end, created;
		if (n < 8 || !f[0] || strcmp(f[0], "silence") || !is_id(f[1]) ||
				!nlog_int_of(f[2], &start) || !nlog_int_of(f[3], &end) ||
				!nlog_int_of(f[4], &created) || !f[5] || !f[6]) {
			nlog_bad(&in, "expected: silence ID START END CREATED AUTHOR COMMENT MATCHER...");
			ok = false;
			break;
		}
		for (int i = 7; i < n; i++)
			if (!f[i]) {
				nlog_bad(&in, "a matcher that is \\-");
				ok = false;
			}
		struct conf_errors errs = { 0 };
		if (ok && !make(&s, (const char *const *)f + 7, (size_t)n - 7, start, end, created,
				f[5], f[6], &errs)) {
			nlog_bad(&in, errs.n ? errs.v[0] : "a bad silence");
			ok = false;
		}
		conf_errors_free(&errs);
		if (!ok)
			break;
		memcpy(s.id, f[1], SILENCE_ID_LEN + 1);
		set->v = gm_grow(set->v, &set->cap, set->n + 1, sizeof *set->v, 8);
		set->v[set->n++] = s;
	}
	ok = ok && n == 0;
	nlog_close(&in);
	return ok;
}

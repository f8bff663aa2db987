/* send: one notification to one receiver config, by its protocol. Each
 * kind is a row of ops[]: build (the bytes, no secret), send (the
 * address and credentials read now, then libcurl or a write) and
 * classify (the answer as OK, RETRY or FAIL). */
#include "send.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "hash.h"
#include "mem.h"
#include "nlog.h"
#include "text.h"
#include "number.h"
#include "ts.h"
#include "template.h"
#include "writer.h"

/* Slack shows messages of up to 4,000 characters whole; longer ones it
 * cuts where it likes. */
#define SLACK_LIMIT 4000
/* RFC 5322's limit for a line of a mail, CRLF aside. */
#define MAIL_LINE_MAX 998
/* A secret or a URL file longer than this is not one. */
#define SECRET_MAX 65536

/* ---- a growing string (text.h) ---- */

/* Frees b's bytes, wiping them first: b may hold a secret. */
static void buf_wipe(struct gm_text *b)
{
	if (b->p)
		explicit_bzero(b->p, b->cap);
	free(b->p);
	*b = (struct gm_text){ 0 };
}

/* ---- UTF-8 by code points ---- */

static size_t codepoints(const char *s, size_t n)
{
	size_t c = 0;
	for (size_t i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* The length in bytes of the longest prefix of s[0..n) that ends at a
 * character's end and has at most max code points (prefix_cp) or max
 * bytes (prefix_bytes). */
static size_t prefix_cp(const char *s, size_t n, size_t max)
{
	size_t c = 0, i = 0;
	for (; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && c++ == max)
			break;
	return i;
}

static size_t prefix_bytes(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	return max;
}

/* ---- what every message says ---- */

/* The title: "[FIRING:2]", "[RESOLVED]" or "[FIRING:2, RESOLVED:1]",
 * then the group's label values (by name), or, for a group of
 * no labels, the kind its alerts share. */
static void put_title(struct gm_text *b, const struct note *n)
{
	size_t f = n->nfiring, r = n->nalerts - f;
	if (f && r)
		gm_text_printf(b, "[FIRING:%zu, RESOLVED:%zu]", f, r);
	else if (f)
		gm_text_printf(b, "[FIRING:%zu]", f);
	else
		gm_text_str(b, "[RESOLVED]");
	for (size_t i = 0; i < n->group_labels.n; i++) {
		gm_text_str(b, " ");
		gm_text_str(b, n->group_labels.v[i].value);
	}
	if (n->group_labels.n || !n->nalerts)
		return;
	for (size_t i = 1; i < n->nalerts; i++)
		if (strcmp(n->alerts[i].kind, n->alerts[0].kind))
			return;
	gm_text_str(b, " ");
	gm_text_str(b, n->alerts[0].kind);
}

/* "on_hand=3, reorder_point=10" */
static void put_numbers(struct gm_text *b, const struct note_alert *a)
{
	for (size_t i = 0; i < a->nnumbers; i++)
		gm_text_printf(b, "%s%s=%s", i ? ", " : "", a->numbers[i].name, a->numbers[i].value);
}

static void put_upper(struct gm_text *b, const char *s)
{
	for (; *s; s++) {
		char c = (char)toupper((unsigned char)*s);
		gm_text_add(b, &c, 1);
	}
}

/* Text into Slack's mrkdwn: &, < and > are its markup. */
static void put_slack_text(struct gm_text *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': gm_text_str(b, "&amp;"); break;
		case '<': gm_text_str(b, "&lt;"); break;
		case '>': gm_text_str(b, "&gt;"); break;
		default: gm_text_add(b, s, 1);
		}
}

/* One alert on one line of a short message, its newline first:
 * "CRITICAL low_stock: summary", "RESOLVED low_stock: summary". */
static void line_sms(struct gm_text *b, const struct note_alert *a)
{
	gm_text_str(b, "\n");
	if (a->resolved)
		gm_text_str(b, "RESOLVED");
	else
		put_upper(b, a->severity);
	gm_text_printf(b, " %s: %s", a->kind, a->summary);
}

/* The same for Slack, with a mark by severity and the numbers. */
static void line_slack(struct gm_text *b, const struct note_alert *a)
{
	static const struct { const char *severity, *mark; } marks[] = {
		{ "critical", ":red_circle:" }, { "warning", ":warning:" },
		{ "info", ":information_source:" },
	};
	const char *mark = ":grey_question:";
	for (size_t i = 0; i < sizeof marks / sizeof *marks; i++)
		if (!strcmp(a->severity, marks[i].severity))
			mark = marks[i].mark;
	if (a->resolved)
		mark = ":white_check_mark:";
	gm_text_printf(b, "\n%s *", mark);
	put_slack_text(b, a->resolved ? "resolved" : a->severity);
	gm_text_str(b, "* ");
	put_slack_text(b, a->kind);
	gm_text_str(b, ": ");
	put_slack_text(b, a->summary);
	if (a->nnumbers) {
		struct gm_text nums = { 0 };
		put_numbers(&nums, a);
		gm_text_str(b, " (");
		put_slack_text(b, nums.p);
		gm_text_str(b, ")");
		free(nums.p);
	}
}

/* Appends title and the lines of n's alerts (each by line()) that fit
 * whole in limit code points, counting the rest in "+N more"; a first
 * line too long for the room is cut, with "...". */
static void fit_lines(struct gm_text *b, const char *title, const struct note *n,
	void (*line)(struct gm_text *, const struct note_alert *), size_t limit)
{
	char more[48];
	size_t mlen = (size_t)snprintf(more, sizeof more, "\n+%zu more", n->nalerts);
	size_t tlen = strlen(title);
	/* The title leaves room to say how many alerts there are. */
	size_t room = limit > mlen ? limit - mlen : 0;
	tlen = prefix_cp(title, tlen, room);
	gm_text_add(b, title, tlen);
	size_t used = codepoints(title, tlen);
	struct gm_text l = { 0 };
	size_t i = 0;
	for (; i < n->nalerts; i++) {
		l.n = 0;
		line(&l, &n->alerts[i]);
		size_t rest = n->nalerts - i - 1;
		mlen = rest ? (size_t)snprintf(more, sizeof more, "\n+%zu more", rest) : 0;
		size_t c = codepoints(l.p, l.n);
		if (used + c + mlen <= limit) {
			gm_text_add(b, l.p, l.n);
			used += c;
			continue;
		}
		if (i == 0 && used + mlen + 4 < limit) {
			/* Cut: a newline, at least one character, and "...". */
			size_t keep = prefix_cp(l.p, l.n, limit - used - mlen - 3);
			gm_text_add(b, l.p, keep);
			gm_text_str(b, "...");
			i++;
		}
		break;
	}
	if (i < n->nalerts)
		gm_text_printf(b, "\n+%zu more", n->nalerts - i);
	free(l.p);
}

char *send_sms_body(const struct note *n, size_t limit)
{
	struct gm_text title = { 0 }, b = { 0 };
	put_title(&title, n);
	fit_lines(&b, title.p, n, line_sms, limit);
	free(title.p);
	if (!b.p)
		gm_text_add(&b, "", 0);
	return b.p;
}

/* ---- JSON pieces ---- */

/* A time as Go writes one in JSON (RFC 3339, the fraction's trailing
 * zeros dropped), so that a payload reads as Alertmanager's. */
static void go_time(int64_t ms, char out[TMPL_TIME_LEN])
{
	char t[GM_TS_LEN];
	gm_ts_format(ms, t);
	size_t n = GM_TS_LEN - 1;   /* without the Z */
	while (t[n - 1] == '0')
		n--;
	if (t[n - 1] == '.')
		n--;
	memcpy(out, t, n);
	out[n++] = 'Z';
	out[n] = 0;
}

/* ---- the webhook: Alertmanager's payload, version "4" ---- */

/* Its annotations: alert_id (gm's id, for a receiver to de-duplicate
 * on), summary, and each number as its JSON text; sorted by name, the
 * first two over a number of the same name. */
static size_t am_annotations(const struct note_alert *a, struct route_label *v)
{
	size_t n = 0;
	v[n++] = (struct route_label){ "alert_id", a->alert_id };
	v[n++] = (struct route_label){ "summary", a->summary };
	for (size_t i = 0; i < a->nnumbers; i++)
		v[n++] = (struct route_label){ a->numbers[i].name, a->numbers[i].value };
	return note_sort_unique(v, n);
}

static void put_kv(struct gm_writer *w, const struct route_label *v, size_t n)
{
	gm_w_obj_begin(w);
	for (size_t i = 0; i < n; i++) {
		gm_w_key(w, v[i].name);
		gm_w_cstr(w, v[i].value);
	}
	gm_w_obj_end(w);
}

/* Keeps in common[0..*nc) the pairs also in v[0..n) (both sorted). */
static void intersect(struct route_label *common, size_t *nc, const struct route_label *v, size_t n)
{
	size_t k = 0, j = 0;
	for (size_t i = 0; i < *nc; i++) {
		while (j < n && route_strcmp(v[j].name, common[i].name) < 0)
			j++;
		if (j < n && !route_strcmp(v[j].name, common[i].name) && !route_strcmp(v[j].value, common[i].value))
			common[k++] = common[i];
	}
	*nc = k;
}

/* Go's regexp.QuoteMeta, which Alertmanager applies to the receiver's
 * name in its payload and its templates' data. A string the caller
 * frees. */
static char *quote_meta(const char *s)
{
	struct gm_text b = { 0 };
	gm_text_add(&b, "", 0);
	for (; *s; s++) {
		if (strchr("\\.+*?()|[]{}^$", *s))
			gm_text_str(&b, "\\");
		gm_text_add(&b, s, 1);
	}
	return b.p;
}

/* The data of n with its first max alerts (0: all), as Alertmanager's
 * payload and templates have it: the one place the payload's values
 * are made, so that the default body and a template cannot disagree.
 * Strings are n's but for the receiver and the arrays, which
 * am_data_free() frees. */
static void am_data(const struct note *n, size_t max, struct tmpl_data *d)
{
	size_t count = max && n->nalerts > max ? max : n->nalerts;
	size_t nl = 0, na = 0, most = 0;
	for (size_t i = 0; i < count; i++) {
		nl += n->alerts[i].nlabels + 4;
		na += n->alerts[i].nnumbers + 2;
		if (n->alerts[i].nlabels + 4 > most)
			most = n->alerts[i].nlabels + 4;
		if (n->alerts[i].nnumbers + 2 > most)
			most = n->alerts[i].nnumbers + 2;
	}
	/* The alerts, then their labels and annotations, in one block. */
	struct tmpl_alert *alerts = gm_xcalloc(1, (count + 1) * sizeof *alerts +
		(nl + na) * sizeof(struct route_label));
	struct route_label *labels = (struct route_label *)(alerts + count + 1);
	struct route_label *annotations = labels + nl;
	struct route_label *cl = gm_xcalloc(most + 1, sizeof *cl);
	struct route_label *ca = gm_xcalloc(most + 1, sizeof *ca);
	size_t ncl = 0, nca = 0;
	for (size_t i = 0; i < count; i++) {
		const struct note_alert *a = &n->alerts[i];
		struct tmpl_alert *t = &alerts[i];
		/* The alerts' arrays are the engine's, far apart: start
		 * loading those of one some way ahead. The engine keeps an
		 * alert's set, arrays and strings together (about 300
		 * bytes from the set on): six lines of them, where the set's
		 * line alone left the fingerprint's walk waiting on each
		 * string (3% of a webhook replay). */
		if (i + 8 < count) {
			const struct note_alert *next = &n->alerts[i + 8];
			const char *at = next->set ? (const char *)next->set : (const char *)next->labels;
			for (int line = 0; line < 6; line++)
				__builtin_prefetch(at + 64 * line);
			__builtin_prefetch(next->numbers);
			__builtin_prefetch(next->alert_id);
		}
		t->status = a->resolved ? "resolved" : "firing";
		if (a->set) {
			t->labels = a->set;
			t->nlabels = a->nset;
		} else {
			t->labels = labels;
			t->nlabels = note_label_set(a, labels);
			labels += t->nlabels;
		}
		t->annotations = annotations;
		t->nannotations = am_annotations(a, annotations);
		annotations += t->nannotations;
		if (i == 0) {
			memcpy(cl, t->labels, t->nlabels * sizeof *cl);
			ncl = t->nlabels;
			memcpy(ca, t->annotations, t->nannotations * sizeof *ca);
			nca = t->nannotations;
		} else {
			intersect(cl, &ncl, t->labels, t->nlabels);
			intersect(ca, &nca, t->annotations, t->nannotations);
		}
		go_time(a->resolved ? a->started : a->ts, t->starts_at);
		/* A firing alert ends at Go's zero time, as Alertmanager sends
		 * it; a resolved one when it resolved. */
		if (a->resolved)
			go_time(a->ts, t->ends_at);
		else
			strcpy(t->ends_at, "0001-01-01T00:00:00Z");
		/* The fingerprint is Prometheus's of the label set: FNV-1a
		 * over each name and value, each followed by a 0xff byte. */
		uint64_t fp = 14695981039346656037ULL;
		for (size_t j = 0; j < t->nlabels; j++)
			for (int part = 0; part < 2; part++) {
				const char *s = part ? t->labels[j].value : t->labels[j].name;
				for (; *s; s++)
					fp = (fp ^ (unsigned char)*s) * 1099511628211ULL;
				fp = (fp ^ 0xff) * 1099511628211ULL;
			}
		gm_format_hex64(fp, t->fingerprint);
		t->fingerprint[16] = 0;
	}
	*d = (struct tmpl_data){
		.receiver = quote_meta(n->receiver->name),
		/* The firing alerts come first: those sent have one when n has. */
		.status = n->nfiring ? "firing" : "resolved",
		.alerts = alerts, .nalerts = count,
		/* A note's group labels are sorted by name already, as Go
		 * writes a map. */
		.group_labels = n->group_labels,
		.common_labels = { cl, ncl }, .common_annotations = { ca, nca },
		.external_url = "", .group_key = n->group_key,
		.truncated = n->nalerts - count,
	};
}

static void am_data_free(struct tmpl_data *d)
{
	free((char *)d->receiver);
	free(d->alerts);
	free((struct route_label *)d->common_labels.v);
	free((struct route_label *)d->common_annotations.v);
}

/* Alertmanager's webhook payload (version "4") of d, a line. */
static char *am_payload(const struct tmpl_data *d, size_t *len)
{
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	GM_W_KCSTR(w, "receiver", d->receiver);
	GM_W_KCSTR(w, "status", d->status);
	GM_W_KEY(w, "alerts");
	gm_w_arr_begin(w);
	for (size_t i = 0; i < d->nalerts; i++) {
		const struct tmpl_alert *a = &d->alerts[i];
		gm_w_obj_begin(w);
		GM_W_KCSTR(w, "status", a->status);
		GM_W_KEY(w, "labels");
		put_kv(w, a->labels, a->nlabels);
		GM_W_KEY(w, "annotations");
		put_kv(w, a->annotations, a->nannotations);
		GM_W_KCSTR(w, "startsAt", a->starts_at);
		GM_W_KCSTR(w, "endsAt", a->ends_at);
		GM_W_KLIT(w, "generatorURL", "");
		GM_W_KSTR(w, "fingerprint", a->fingerprint, 16);
		gm_w_obj_end(w);
	}
	gm_w_arr_end(w);
	GM_W_KEY(w, "groupLabels");
	put_kv(w, d->group_labels.v, d->group_labels.n);
	GM_W_KEY(w, "commonLabels");
	put_kv(w, d->common_labels.v, d->common_labels.n);
	GM_W_KEY(w, "commonAnnotations");
	put_kv(w, d->common_annotations.v, d->common_annotations.n);
	GM_W_KCSTR(w, "externalURL", d->external_url);
	GM_W_KLIT(w, "version", "4");
	GM_W_KCSTR(w, "groupKey", d->group_key);
	GM_W_KU64(w, "truncatedAlerts", d->truncated);
	gm_w_end(w);
	return gm_writer_take(w, len);
}

/* ---- builders: the bytes of each kind ---- */

/* The payload, or what the config's template writes over the same
 * data. */
static char *build_webhook(const struct note *n, const struct send_options *o, size_t *len)
{
	const struct conf_webhook *c = &n->receiver->webhook[n->index];
	struct tmpl_data d;
	am_data(n, c->max_alerts, &d);
	char *body;
	if (c->body_template) {
		struct gm_text b = { 0 };
		tmpl_execute(c->body_template, &d, &b);
		body = b.p;
		*len = b.n;
	} else
		body = am_payload(&d, len);
	am_data_free(&d);
	return body;
}

/* The file's line: what a webhook would be sent, whole. */
static char *build_file(const struct note *n, const struct send_options *o, size_t *len)
{
	return send_webhook_payload(n, len);
}

char *send_webhook_payload(const struct note *n, size_t *len)
{
	struct tmpl_data d;
	am_data(n, 0, &d);
	char *body = am_payload(&d, len);
	am_data_free(&d);
	return body;
}

static char *build_slack(const struct note *n, const struct send_options *o, size_t *len)
{
	/* The title in bold. */
	struct gm_text raw = { 0 }, title = { 0 }, text = { 0 };
	put_title(&raw, n);
	gm_text_str(&title, "*");
	put_slack_text(&title, raw.p);
	gm_text_str(&title, "*");
	free(raw.p);
	fit_lines(&text, title.p, n, line_slack, SLACK_LIMIT);
	free(title.p);
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	const struct conf_slack *c = &n->receiver->slack[n->index];
	if (c->channel)
		GM_W_KCSTR(w, "channel", c->channel);
	if (c->username)
		GM_W_KCSTR(w, "username", c->username);
	GM_W_KSTR(w, "text", text.p, text.n);
	gm_w_end(w);
	free(text.p);
	return gm_writer_take(w, len);
}

/* s as application/x-www-form-urlencoded wants it. */
static void put_form_value(struct gm_text *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (isalnum(c) || strchr("-._~", c))
			gm_text_add(b, s, 1);
		else
			gm_text_printf(b, "%%%02X", c);
	}
}

static char *build_sms(const struct note *n, const struct send_options *o, size_t *len)
{
	const struct conf_sms *c = &n->receiver->sms[n->index];
	struct gm_text b = { 0 };
	char *body = send_sms_body(n, SEND_SMS_LIMIT);
	gm_text_str(&b, "To=");
	put_form_value(&b, c->to);
	gm_text_str(&b, "&From=");
	put_form_value(&b, c->from);
	gm_text_str(&b, "&Body=");
	put_form_value(&b, body);
	free(body);
	*len = b.n;
	return b.p;
}

/* ---- mail ---- */

/* The addresses of a header value ("ops@x, Team <t@x>"): each part
 * between commas outside quotes, the part in angle brackets when it has
 * them. Calls f(addr, n, arg) for each non-empty one. */
static void each_address(const char *s, void (*f)(const char *, size_t, void *), void *arg)
{
	while (*s) {
		const char *end = s;
		bool quoted = false;
		for (; *end && (quoted || *end != ','); end++)
			if (*end == '"')
				quoted = !quoted;
		const char *lt = memchr(s, '<', (size_t)(end - s));
		const char *a = s, *z = end;
		if (lt && memchr(lt, '>', (size_t)(end - lt))) {
			a = lt + 1;
			z = memchr(lt, '>', (size_t)(end - lt));
		}
		while (a < z && isspace((unsigned char)*a))
			a++;
		while (z > a && isspace((unsigned char)z[-1]))
			z--;
		if (z > a)
			f(a, (size_t)(z - a), arg);
		s = *end ? end + 1 : end;
	}
}

static void first_address(const char *a, size_t n, void *arg)
{
	char **out = arg;
	if (!*out)
		*out = gm_xstrndup(a, n);
}

/* A header's value with no line breaks nor other controls, so that a
 * configured address or a summary cannot add a header. */
static void put_header_text(struct gm_text *b, const char *s)
{
	for (; *s; s++) {
		char c = (unsigned char)*s < 0x20 || *s == 0x7f ? ' ' : *s;
		gm_text_add(b, &c, 1);
	}
}

/* A Subject: printable ASCII as it is; anything else as RFC 2047
 * encoded words (base64 of UTF-8), each of at most 75 characters, whole
 * characters in each, on folded lines. */
static void put_subject(struct gm_text *b, const char *s)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct gm_text clean = { 0 };
	put_header_text(&clean, s);
	size_t n = prefix_bytes(clean.p ? clean.p : "", clean.n, 900);
	bool ascii = true;
	for (size_t i = 0; i < n; i++)
		ascii &= (unsigned char)clean.p[i] < 0x80;
	gm_text_str(b, "Subject: ");
	if (ascii) {
		gm_text_add(b, clean.p ? clean.p : "", n);
		gm_text_str(b, "\r\n");
		free(clean.p);
		return;
	}
	const unsigned char *p = (const unsigned char *)clean.p;
	for (size_t i = 0; i < n;) {
		/* 45 bytes make 60 characters of base64, 72 with the marks. */
		size_t k = prefix_bytes((const char *)p + i, n - i, 45);
		if (i)
			gm_text_str(b, "\r\n ");
		gm_text_str(b, "=?UTF-8?B?");
		for (size_t j = 0; j < k; j += 3) {
			unsigned v = (unsigned)p[i + j] << 16;
			if (j + 1 < k)
				v |= (unsigned)p[i + j + 1] << 8;
			if (j + 2 < k)
				v |= p[i + j + 2];
			char q[4] = { b64[v >> 18 & 63], b64[v >> 12 & 63],
				j + 1 < k ? b64[v >> 6 & 63] : '=', j + 2 < k ? b64[v & 63] : '=' };
			gm_text_add(b, q, 4);
		}
		gm_text_str(b, "?=");
		i += k;
	}
	gm_text_str(b, "\r\n");
	free(clean.p);
}

/* The host part of Message-IDs sent from the address from: its domain,
 * letters, digits, dots and dashes only. */
static void id_domain(const char *from, char domain[100])
{
	char *addr = NULL;
	each_address(from, first_address, &addr);
	const char *at = addr ? strrchr(addr, '@') : NULL;
	snprintf(domain, 100, "gm-notify.invalid");
	if (at && at[1]) {
		size_t d = 0;
		for (const char *p = at + 1; *p && d < 99; p++)
			if (isalnum((unsigned char)*p) || *p == '.' || *p == '-')
				domain[d++] = *p;
		domain[d] = 0;
	}
	free(addr);
}

/* A Message-ID for n's receiver and group, "<GROUP.SELF@DOMAIN>", self
 * telling the mail apart within the group. */
static char *format_mail_id(const struct note *n, uint64_t self, const char *from,
	char buf[SEND_MESSAGE_ID_LEN])
{
	struct gm_text k = { 0 };
	gm_text_add(&k, n->receiver->name, strlen(n->receiver->name) + 1);
	gm_text_str(&k, n->group_key);
	uint64_t group = gm_hash(k.p, k.n);
	free(k.p);
	char domain[100], g[17] = { 0 }, s[17] = { 0 };
	id_domain(from, domain);
	gm_format_hex64(group, g);
	gm_format_hex64(self, s);
	snprintf(buf, SEND_MESSAGE_ID_LEN, "<%s.%s@%s>", g, s, domain);
	return buf;
}

/* The Message-ID of mail number seq of n's incident (its group, from
 * the group's first notification on), for n's config: derived from
 * what every mail of the incident knows, so that a later one can name
 * the first. */
static char *incident_mail_id(const struct note *n, uint64_t seq, const char *from,
	char buf[SEND_MESSAGE_ID_LEN])
{
	struct gm_text k = { 0 };
	gm_text_printf(&k, "%lld/%zu/%llu", (long long)n->incident, n->index, (unsigned long long)seq);
	uint64_t self = gm_hash(k.p, k.n);
	free(k.p);
	return format_mail_id(n, self, from, buf);
}

char *send_message_id(const struct note *n, const char *from,
	char buf[SEND_MESSAGE_ID_LEN])
{
	if (n->seq >= 1)
		return incident_mail_id(n, n->seq, from, buf);
	struct gm_text k = { 0 };
	gm_text_printf(&k, "%lld", (long long)n->at);
	for (size_t i = 0; i < n->nalerts; i++)
		gm_text_printf(&k, "%c%s%c", 0, n->alerts[i].alert_id, n->alerts[i].resolved ? 'r' : 'f');
	uint64_t self = gm_hash(k.p, k.n);
	free(k.p);
	return format_mail_id(n, self, from, buf);
}

/* Body lines, CRLF-ended: s's own line breaks (a summary or label may
 * hold one) end lines too, a CR alone is dropped, and a line longer than
 * a mail line may be is broken at a character's end. */
static void put_mail_line(struct gm_text *b, const char *s)
{
	for (;;) {
		size_t n = strcspn(s, "\r\n");
		do {
			size_t k = prefix_bytes(s, n, MAIL_LINE_MAX);
			gm_text_add(b, s, k);
			s += k;
			n -= k;
			if (n)
				gm_text_str(b, "\r\n");
		} while (n);
		s += strspn(s, "\r");
		if (*s != '\n')
			break;
		gm_text_str(b, "\r\n");
		s++;
	}
	gm_text_str(b, "\r\n");
}

/* The plain-text body: a line of counts, then each alert: its status,
 * severity, kind, source and time, its summary, its id, labels and
 * numbers. */
static void put_mail_body(struct gm_text *b, const struct note *n)
{
	struct gm_text l = { 0 };
	size_t f = n->nfiring;
	gm_text_printf(&l, "%zu alert%s", n->nalerts, n->nalerts == 1 ? "" : "s");
	for (size_t i = 0; i < n->group_labels.n; i++)
		gm_text_printf(&l, "%s%s=%s", i ? ", " : " for ", n->group_labels.v[i].name,
			n->group_labels.v[i].value);
	gm_text_printf(&l, ": %zu firing, %zu resolved.", f, n->nalerts - f);
	put_mail_line(b, l.p);
	for (size_t i = 0; i < n->nalerts; i++) {
		const struct note_alert *a = &n->alerts[i];
		char ts[GM_TS_LEN + 1] = { 0 };
		gm_ts_format(a->ts, ts);
		put_mail_line(b, "");
		l.n = 0;
		gm_text_printf(&l, "[%s] %s %s from %s at %s", a->resolved ? "RESOLVED" : "FIRING",
			a->severity, a->kind, a->source, ts);
		if (a->resolved) {
			gm_ts_format(a->started, ts);
			gm_text_printf(&l, " (firing since %s)", ts);
		}
		put_mail_line(b, l.p);
		put_mail_line(b, a->summary);
		l.n = 0;
		gm_text_printf(&l, "  alert_id: %s", a->alert_id);
		put_mail_line(b, l.p);
		if (a->nlabels) {
			l.n = 0;
			gm_text_str(&l, "  labels: ");
			for (size_t j = 0; j < a->nlabels; j++)
				gm_text_printf(&l, "%s%s=%s", j ? ", " : "", a->labels[j].name, a->labels[j].value);
			put_mail_line(b, l.p);
		}
		if (a->nnumbers) {
			l.n = 0;
			gm_text_str(&l, "  numbers: ");
			put_numbers(&l, a);
			put_mail_line(b, l.p);
		}
	}
	free(l.p);
}

static char *build_email(const struct note *n, const struct send_options *o, size_t *len)
{
	const struct conf_email *e = &n->receiver->email[n->index];
	struct gm_text b = { 0 }, title = { 0 };
	gm_text_str(&b, "From: ");
	put_header_text(&b, e->from);
	gm_text_str(&b, "\r\nTo: ");
	put_header_text(&b, e->to);
	gm_text_str(&b, "\r\n");
	put_title(&title, n);
	put_subject(&b, title.p);
	free(title.p);
	char date[64];
	time_t secs = (time_t)(n->at / 1000 - (n->at % 1000 < 0));
	struct tm tm;
	gmtime_r(&secs, &tm);
	static const char days[] = "SunMonTueWedThuFriSat", months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	snprintf(date, sizeof date, "%.3s, %02d %.3s %04d %02d:%02d:%02d +0000",
		days + 3 * tm.tm_wday, tm.tm_mday, months + 3 * tm.tm_mon, tm.tm_year + 1900,
		tm.tm_hour, tm.tm_min, tm.tm_sec);
	gm_text_printf(&b, "Date: %s\r\n", date);
	char id[SEND_MESSAGE_ID_LEN];
	gm_text_printf(&b, "Message-ID: %s\r\n", send_message_id(n, e->from, id));
	/* A later mail of an incident answers its first, so that mail
	 * readers keep one incident in one thread. */
	char first[SEND_MESSAGE_ID_LEN];
	const char *reply_to = o && o->in_reply_to ? o->in_reply_to :
		n->seq > 1 ? incident_mail_id(n, 1, e->from, first) : NULL;
	if (reply_to) {
		gm_text_str(&b, "In-Reply-To: ");
		put_header_text(&b, reply_to);
		gm_text_str(&b, "\r\nReferences: ");
		put_header_text(&b, reply_to);
		gm_text_str(&b, "\r\n");
	}
	gm_text_str(&b, "Auto-Submitted: auto-generated\r\n"
		"MIME-Version: 1.0\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n"
		"Content-Transfer-Encoding: 8bit\r\n"
		"\r\n");
	put_mail_body(&b, n);
	*len = b.n;
	return b.p;
}

/* ---- Retry-After ---- */

static int month_of(const char *m)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	for (int i = 0; i < 12; i++)
		if (strlen(m) == 3 && !strncmp(months + 3 * i, m, 3))
			return i + 1;
	return 0;
}

bool send_parse_retry_after(const char *v, int64_t now_ms, long long *delay_ms)
{
	if (*v >= '0' && *v <= '9') {
		long long s = 0;
		for (; *v >= '0' && *v <= '9'; v++)
			s = s > LLONG_MAX / 10000 ? LLONG_MAX / 1000 : s * 10 + (*v - '0');
		if (*v)
			return false;
		*delay_ms = s * 1000;
		return true;
	}
	/* HTTP-date, in its three forms (RFC 9110, 5.6.7): IMF-fixdate,
	 * then the obsolete RFC 850 and asctime forms, which a recipient
	 * must take too. */
	char wday[16], mon[4];
	int d, y, h, mi, s, end = 0;
	if (sscanf(v, "%3[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d GMT%n",
			wday, &d, mon, &y, &h, &mi, &s, &end) == 7 && !v[end]) {
	} else if (end = 0, sscanf(v, "%9[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d GMT%n",
			wday, &d, mon, &y, &h, &mi, &s, &end) == 7 && !v[end]) {
		/* A two-digit year more than 50 years ahead is of the century
		 * before. */
		int now_year = (int)(now_ms / 31556952000LL) + 1970;
		y += now_year / 100 * 100;
		if (y > now_year + 50)
			y -= 100;
	} else if (end = 0, sscanf(v, "%3[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n",
			wday, mon, &d, &h, &mi, &s, &y, &end) == 7 && !v[end]) {
	} else
		return false;
	int m = month_of(mon);
	if (!m || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 || y < 1 || h < 0 || mi < 0 || s < 0)
		return false;
	int64_t at = gm_ts_from_civil(y, m, d, h, mi, s > 59 ? 59 : s);
	*delay_ms = at > now_ms ? at - now_ms : 0;
	return true;
}

/* ---- secrets and messages ---- */

/* Sets r to status, its why to the receiver and config, then what. */
static void say(struct send_result *r, const struct note *n, enum send_status status,
	const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void say(struct send_result *r, const struct note *n, enum send_status status,
	const char *fmt, ...)
{
	r->status = status;
	int k = snprintf(r->why, sizeof r->why, "receiver \"%s\" %s %zu: ", n->receiver->name,
		note_kind_name(n->kind), n->index + 1);
	if (k < 0 || (size_t)k >= sizeof r->why)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->why + k, sizeof r->why - (size_t)k, fmt, ap);
	va_end(ap);
}

/* The secret key names: from file, else from the environment variable
 * env (NULL: none). Returns it, its trailing white space (a file's
 * newline) dropped, for the caller to free_secret(); or NULL, r set to
 * FAIL with why, naming the file or variable, never what it holds. */
static char *read_secret(const struct note *n, const char *key, const char *file,
	const char *env, struct send_result *r)
{
	struct gm_text b = { 0 };
	if (file) {
		int fd = open(file, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			say(r, n, SEND_FAIL, "%s %s: %s", key, file, strerror(errno));
			return NULL;
		}
		char chunk[4096];
		ssize_t k;
		while ((k = read(fd, chunk, sizeof chunk)) > 0 && b.n <= SECRET_MAX)
			gm_text_add(&b, chunk, (size_t)k);
		int e = errno;
		explicit_bzero(chunk, sizeof chunk);
		close(fd);
		if (k < 0 || b.n > SECRET_MAX) {
			say(r, n, SEND_FAIL, "%s %s: %s", key, file, k < 0 ? strerror(e) : "too long");
			buf_wipe(&b);
			return NULL;
		}
	} else {
		const char *v = env ? getenv(env) : NULL;
		if (v)
			gm_text_str(&b, v);
	}
	while (b.n && isspace((unsigned char)b.p[b.n - 1]))
		b.p[--b.n] = 0;
	if (!b.n || memchr(b.p, 0, b.n)) {
		if (file)
			say(r, n, SEND_FAIL, "%s %s: %s", key, file, b.n ? "holds a NUL" : "empty");
		else
			say(r, n, SEND_FAIL, "%s: %s is not set", key, env);
		buf_wipe(&b);
		return NULL;
	}
	return b.p;
}

static void free_secret(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

/* ---- the exchange ---- */

/* The HTTP connections, name lookups and TLS sessions the delivery
 * threads share (send_init()): a notification goes on a connection kept
 * open from the one before to the same server, where a new connection
 * each cost a handshake on both sides (a tenth of a webhook's delivery
 * thread, and as much of its receiver). */
static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];

/* What a send did, for its classify. */
struct exchange {
	CURLcode rc;              /* libcurl's result; CURLE_OK: an answer came */
	long code;                /* the HTTP status or last SMTP reply; 0: none */
	char retry_after[128];    /* the answer's Retry-After, "" for none */
	int err;                  /* a file's errno; 0: written */
};

/* Sets on c what every call has: the timeout, TLS verified (against
 * SEND_ENV_CA_FILE's CAs when set), only the protocols given, no
 * signals (a resolver timeout must not longjmp through the caller). */
static void easy_setup(CURL *c, const struct send_options *o, const char *protocols)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(o->timeout_ms > 0 ? o->timeout_ms : SEND_TIMEOUT_MS));
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	const char *ca = getenv(SEND_ENV_CA_FILE);
	if (ca && *ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
}

/* A new handle, set up so. */
static CURL *easy_new(const struct send_options *o, const char *protocols)
{
	CURL *c = curl_easy_init();
	if (c)
		easy_setup(c, o, protocols);
	return c;
}

/* The calling thread's HTTP handle, reset and used again from one send
 * to the next (send_thread_end() frees it): a new one each time cost a
 * socket pair of its own, made and closed. */
static _Thread_local CURL *http_handle;

static CURL *http_easy(const struct send_options *o)
{
	if (http_handle)
		curl_easy_reset(http_handle);
	else if (!(http_handle = curl_easy_init()))
		return NULL;
	easy_setup(http_handle, o, "http,https");
	if (share)
		curl_easy_setopt(http_handle, CURLOPT_SHARE, share);
	return http_handle;
}

void send_thread_end(void)
{
	curl_easy_cleanup(http_handle);
	http_handle = NULL;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct exchange *x = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > 5 && !strncmp(p, "HTTP/", 5))
		x->retry_after[0] = 0;  /* a new answer (after a 100 Continue) */
	else if (len >= sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1)) {
		const char *v = p + sizeof name - 1, *end = p + len;
		while (v < end && (*v == ' ' || *v == '\t'))
			v++;
		while (end > v && isspace((unsigned char)end[-1]))
			end--;
		size_t k = (size_t)(end - v) < sizeof x->retry_after ? (size_t)(end - v) : 0;
		memcpy(x->retry_after, v, k);
		x->retry_after[k] = 0;
	}
	return len;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* POSTs body to url as type, with basic authentication when user is
 * given; the answer in x. False when no handle could be made (r set). */
static bool http_post(const struct note *n, const struct send_options *o,
	const char *url, const char *type, const char *user, const char *password,
	const char *body, size_t len, struct exchange *x, struct send_result *r)
{
	CURL *c = http_easy(o);
	if (!c) {
		say(r, n, SEND_RETRY, "libcurl could not make a handle");
		return false;
	}
	struct gm_text ct = { 0 };
	gm_text_printf(&ct, "Content-Type: %s", type);
	struct curl_slist *h = curl_slist_append(NULL, ct.p);
	/* No "Expect: 100-continue", which costs a round trip and which
	 * some receivers do not answer. */
	h = curl_slist_append(h, "Expect:");
	free(ct.p);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "gm-notify/" GM_VERSION);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	if (user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	}
	x->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->code);
	curl_slist_free_all(h);
	return true;
}

/* The class of a failed exchange that had no answer to go by: what the
 * network or a server's state may undo is RETRY; a bad address, a
 * certificate not trusted, a refused login and the like are FAIL. */
static enum send_status transport_status(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_AGAIN:
	case CURLE_OUT_OF_MEMORY:
		return SEND_RETRY;
	default:
		return SEND_FAIL;
	}
}

static void classify_http(const struct note *n, const struct exchange *x,
	struct send_result *r)
{
	if (x->rc != CURLE_OK) {
		say(r, n, transport_status(x->rc), "%s", curl_easy_strerror(x->rc));
		return;
	}
	if (x->code >= 200 && x->code < 300) {
		r->status = SEND_OK;
		return;
	}
	if (x->code == 429 || x->code == 503) {
		long long ms;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (x->retry_after[0] && send_parse_retry_after(x->retry_after,
				(int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, &ms)) {
			r->retry_after_ms = ms;
			say(r, n, SEND_RETRY, "HTTP %ld, Retry-After %s", x->code, x->retry_after);
		} else
			say(r, n, SEND_RETRY, "HTTP %ld", x->code);
		return;
	}
	say(r, n, x->code >= 500 && x->code < 600 ? SEND_RETRY : SEND_FAIL, "HTTP %ld", x->code);
}

/* POSTs a body of type to the URL a secret holds: key's file, else
 * env. */
static bool post_to_secret(const struct note *n, const struct send_options *o,
	const char *key, const char *file, const char *env, const char *type,
	const char *body, size_t len, struct exchange *x, struct send_result *r)
{
	char *url = read_secret(n, key, file, env, r);
	if (!url)
		return false;
	bool sent = http_post(n, o, url, type, NULL, NULL, body, len, x, r);
	free_secret(url);
	return sent;
}

static bool send_slack(const struct note *n, const struct send_options *o,
	const char *body, size_t len, struct exchange *x, struct send_result *r)
{
	const struct conf_slack *c = &n->receiver->slack[n->index];
	return post_to_secret(n, o, "api_url", c->api_url.file, c->api_url.env, send_content_type(n),
		body, len, x, r);
}

/* An inline URL holds no secret (the configuration refuses one with a
 * password); url_file may. */
static bool send_webhook(const struct note *n, const struct send_options *o,
	const char *body, size_t len, struct exchange *x, struct send_result *r)
{
	const struct conf_webhook *w = &n->receiver->webhook[n->index];
	const char *type = send_content_type(n);
	if (w->url)
		return http_post(n, o, w->url, type, NULL, NULL, body, len, x, r);
	return post_to_secret(n, o, "url_file", w->url_file, NULL, type, body, len, x, r);
}

static bool send_sms(const struct note *n, const struct send_options *o,
	const char *body, size_t len, struct exchange *x, struct send_result *r)
{
	const struct conf_sms *s = &n->receiver->sms[n->index];
	char *token = read_secret(n, "auth_token", s->auth_token.file, s->auth_token.env, r);
	if (!token)
		return false;
	bool sent = http_post(n, o, s->url, send_content_type(n), s->account_sid, token, body, len, x,
		r);
	free_secret(token);
	return sent;
}

/* ---- SMTP ---- */

struct upload {
	const char *p;
	size_t left;
};

static size_t on_read(char *to, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n < u->left ? size * n : u->left;
	memcpy(to, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

/* Clears *ok unless the address a[0..n) can go into MAIL or RCPT: no
 * space, control character or bracket, which could end the command and
 * start another. */
static void check_address(const char *a, size_t n, void *ok)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)a[i] <= ' ' || a[i] == 0x7f || a[i] == '<' || a[i] == '>')
			*(bool *)ok = false;
}

static void add_rcpt(const char *a, size_t n, void *arg)
{
	struct curl_slist **l = arg;
	struct gm_text b = { 0 };
	gm_text_str(&b, "<");
	gm_text_add(&b, a, n);
	gm_text_str(&b, ">");
	*l = curl_slist_append(*l, b.p);
	free(b.p);
}

/* The mail to the smarthost: smtps:// (TLS from the start) on port 465;
 * else smtp://, with STARTTLS required unless require_tls is false,
 * when it is used if offered (required still when a password would go
 * to another machine). AUTH with auth_username and the password when a
 * user is configured. */
static bool send_email(const struct note *n, const struct send_options *o,
	const char *body, size_t len, struct exchange *x, struct send_result *r)
{
	const struct conf_email *e = &n->receiver->email[n->index];
	char *from = NULL;
	struct curl_slist *rcpt = NULL;
	each_address(e->from, first_address, &from);
	each_address(e->to, add_rcpt, &rcpt);
	bool from_ok = true, to_ok = true;
	each_address(e->from, check_address, &from_ok);
	each_address(e->to, check_address, &to_ok);
	const char *bad = !from ? "no address in \"from\"" : !rcpt ? "no address in \"to\"" :
		!from_ok ? "a bad address in \"from\"" : !to_ok ? "a bad address in \"to\"" : NULL;
	if (bad) {
		say(r, n, SEND_FAIL, "%s", bad);
		free(from);
		curl_slist_free_all(rcpt);
		return false;
	}
	char *password = NULL;
	if (e->auth_username &&
	    !(password = read_secret(n, "auth_password", e->auth_password.file, e->auth_password.env, r))) {
		free(from);
		curl_slist_free_all(rcpt);
		return false;
	}
	CURL *c = easy_new(o, "smtp,smtps");
	if (!c) {
		say(r, n, SEND_RETRY, "libcurl could not make a handle");
		free(from);
		free_secret(password);
		curl_slist_free_all(rcpt);
		return false;
	}
	const char *port = strrchr(e->smarthost, ':');
	bool implicit = port && !strcmp(port, ":465");
	struct gm_text url = { 0 }, mail_from = { 0 };
	gm_text_printf(&url, "%s://%s", implicit ? "smtps" : "smtp", e->smarthost);
	gm_text_printf(&mail_from, "<%s>", from);
	struct upload u = { body, len };
	curl_easy_setopt(c, CURLOPT_URL, url.p);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.p);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &u);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	/* Without require_tls, STARTTLS is used when offered; but a password
	 * goes over TLS, or to this machine only, as Alertmanager has it. */
	bool local = !strncmp(e->smarthost, "localhost:", 10) || !strncmp(e->smarthost, "127.", 4)
		|| !strncmp(e->smarthost, "[::1]:", 6);
	curl_easy_setopt(c, CURLOPT_USE_SSL,
		(long)(implicit || e->require_tls || (password && !local) ? CURLUSESSL_ALL
			: CURLUSESSL_TRY));
	if (password) {
		curl_easy_setopt(c, CURLOPT_USERNAME, e->auth_username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, password);
	}
	x->rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &x->code);
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	free(url.p);
	free(mail_from.p);
	free(from);
	free_secret(password);
	return true;
}

/* An SMTP reply decides when there is one: 4xx is for now (RETRY), 5xx
 * for good (FAIL: a wrong password, a recipient refused). */
static void classify_smtp(const struct note *n, const struct exchange *x,
	struct send_result *r)
{
	if (x->rc == CURLE_OK)
		r->status = SEND_OK;
	else if (x->code >= 400 && x->code < 600)
		say(r, n, x->code < 500 ? SEND_RETRY : SEND_FAIL, "SMTP %ld: %s", x->code,
			curl_easy_strerror(x->rc));
	else
		say(r, n, transport_status(x->rc), "%s", curl_easy_strerror(x->rc));
}

/* ---- the file ---- */

/* Appends the line (nlog_append(): one write, whole lines even with
 * other writers), to standard output for "-". */
static bool send_file(const struct note *n, const struct send_options *o,
	const char *body, size_t len, struct exchange *x, struct send_result *r)
{
	x->err = nlog_append(n->receiver->file[n->index].path, body, len, false);
	return true;
}

/* A full disk or an I/O error may pass; a path that cannot be opened
 * will not. */
static void classify_file(const struct note *n, const struct exchange *x,
	struct send_result *r)
{
	if (!x->err) {
		r->status = SEND_OK;
		return;
	}
	bool passing = x->err == ENOSPC || x->err == EDQUOT || x->err == EIO || x->err == EAGAIN;
	say(r, n, passing ? SEND_RETRY : SEND_FAIL, "%s: %s", n->receiver->file[n->index].path,
		strerror(x->err));
}

/* ---- the table ---- */

struct kind_ops {
	/* The bytes to send, the caller's to free. */
	char *(*build)(const struct note *n, const struct send_options *o, size_t *len);
	/* Sends them, the answer in x; false when it could not (r set). */
	bool (*send)(const struct note *n, const struct send_options *o,
		const char *body, size_t len, struct exchange *x, struct send_result *r);
	/* The answer's meaning, in r. */
	void (*classify)(const struct note *n, const struct exchange *x,
		struct send_result *r);
};

static const struct kind_ops ops[NOTE_NKINDS] = {
	[NOTE_EMAIL] = { build_email, send_email, classify_smtp },
	[NOTE_SLACK] = { build_slack, send_slack, classify_http },
	[NOTE_WEBHOOK] = { build_webhook, send_webhook, classify_http },
	[NOTE_SMS] = { build_sms, send_sms, classify_http },
	[NOTE_FILE] = { build_file, send_file, classify_file },
};

static void share_lock(CURL *c, curl_lock_data data, curl_lock_access access, void *arg)
{
	pthread_mutex_lock(&share_locks[data]);
}

static void share_unlock(CURL *c, curl_lock_data data, void *arg)
{
	pthread_mutex_unlock(&share_locks[data]);
}

bool send_init(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc != CURLE_OK) {
		gm_error(NULL, "libcurl: %s", curl_easy_strerror(rc));
		return false;
	}
	for (size_t i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_locks[i], NULL);
	share = curl_share_init();
	if (share && (curl_share_setopt(share, CURLSHOPT_LOCKFUNC, share_lock) ||
			curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
			curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) ||
			curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
			curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))) {
		/* A libcurl without connection sharing: a connection a send. */
		curl_share_cleanup(share);
		share = NULL;
	}
	return true;
}

void send_cleanup(void)
{
	send_thread_end();
	curl_share_cleanup(share);
	share = NULL;
	curl_global_cleanup();
}

const char *send_content_type(const struct note *n)
{
	switch (n->kind) {
	case NOTE_SLACK:
		return "application/json";
	case NOTE_WEBHOOK: {
		const char *type = n->receiver->webhook[n->index].content_type;
		return type ? type : "application/json";
	}
	case NOTE_SMS:
		return "application/x-www-form-urlencoded";
	default:
		return NULL;
	}
}

char *send_payload(const struct note *n, const struct send_options *o, size_t *len)
{
	static const struct send_options none;
	return ops[n->kind].build(n, o ? o : &none, len);
}

void send_notification(const struct note *n, const struct send_options *o,
	struct send_result *r)
{
	static const struct send_options none;
	if (!o)
		o = &none;
	*r = (struct send_result){ .status = SEND_OK, .retry_after_ms = -1 };
	size_t len;
	char *body = ops[n->kind].build(n, o, &len);
	struct exchange x = { 0 };
	if (ops[n->kind].send(n, o, body, len, &x, r))
		ops[n->kind].classify(n, &x, r);
	free(body);
}

/* intake: see intake.h. The parser has checked every field and decoded
 * the labels (ev->labels); what is left is to copy the strings out
 * NUL-terminated, into one buffer sized for them all before the first
 * is copied, so that no pointer into it moves. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "rtype.h"

/* A field of the record's type (or "type"): not one of the numbers,
 * whatever it holds (an earlier one of two fields of that name, the
 * last being the one checked). */
static bool is_known(const struct gm_event *ev, gm_str key)
{
	if (GM_STR_EQ(key, "type"))
		return true;
	/* By the first byte first, then the rest: no strlen() of each
	 * name for each field. */
	for (size_t i = 0; key.n && i < ev->rtype->nfields; i++) {
		const char *name = ev->rtype->fields[i].name;
		if (name[0] == key.p[0] && !strncmp(name, key.p, key.n) && strnlen(name, key.n + 1) == key.n)
			return true;
	}
	return false;
}

static bool is_number(const struct gm_event *ev, const struct gm_field *f)
{
	return (f->kind == GM_JSON_NUMBER || f->kind == GM_JSON_NULL) && !is_known(ev, f->key);
}

static bool has_nul(gm_str s)
{
	return memchr(s.p, 0, s.n) != NULL;
}

/* Copies s and a NUL to *at (in a buffer sized beforehand), moving *at
 * past them; returns the copy. */
static const char *put(char **at, gm_str s)
{
	char *start = *at;
	memcpy(start, s.p, s.n);
	start[s.n] = 0;
	*at += s.n + 1;
	return start;
}

/* The string fields read, by the index of their name in names[]. */
enum { F_KIND, F_SEVERITY, F_SOURCE, F_SUMMARY, F_STATUS, F_N };

/* The string values of ev's fields kind, severity, source, summary and
 * status into s[F_N] ("" for a field not there or not a string; of two
 * fields of a name, the last, as gm_event_field() finds), and the
 * indices of its numbers into in->numbers: one walk of its fields, not
 * one a name. Returns how many numbers. */
static size_t scan_fields(struct intake *in, const struct gm_event *ev, gm_str *s)
{
	const struct gm_field *got[F_N] = { 0 };
	size_t n = 0;
	for (size_t i = 0; i < ev->nfields; i++) {
		const struct gm_field *f = &ev->fields[i];
		/* Which name it may be by its length, then by its bytes. */
		int k = -1;
		switch (f->key.n) {
		case 4: k = GM_STR_EQ(f->key, "kind") ? F_KIND : -1; break;
		case 6:
			k = GM_STR_EQ(f->key, "source") ? F_SOURCE : GM_STR_EQ(f->key, "status") ? F_STATUS : -1;
			break;
		case 7: k = GM_STR_EQ(f->key, "summary") ? F_SUMMARY : -1; break;
		case 8: k = GM_STR_EQ(f->key, "severity") ? F_SEVERITY : -1; break;
		}
		if (k >= 0)
			got[k] = f;
		if (is_number(ev, f)) {
			in->numbers = gm_grow(in->numbers, &in->ncap, n + 1, sizeof *in->numbers, 8);
			in->numbers[n++] = i;
		}
	}
	for (size_t k = 0; k < F_N; k++)
		s[k] = got[k] && got[k]->kind == GM_JSON_STRING ? got[k]->value : (gm_str){ "", 0 };
	return n;
}

/* Why a string that a NUL would cut cannot be read, or false. */
static __attribute__((cold)) bool cut_by_nul(const struct gm_event *ev, const char *const *names,
	const gm_str *s, size_t ns, char *why, size_t whylen)
{
	char shown[65];
	for (size_t i = 0; i < ns; i++)
		if (has_nul(s[i])) {
			snprintf(why, whylen, "field \"%s\": a NUL character (\\u0000)", names[i]);
			return true;
		}
	for (size_t i = 0; i < ev->nlabels; i++) {
		const struct gm_label *l = &ev->labels[i];
		if (has_nul(l->name) || has_nul(l->value)) {
			snprintf(why, whylen, "field \"labels\": \"%s\" %s a NUL character (\\u0000)",
				gm_str_show(l->name, shown, sizeof shown), has_nul(l->name) ? "has in its name" : "holds");
			return true;
		}
	}
	for (size_t i = 0; i < ev->nfields; i++)
		if (is_number(ev, &ev->fields[i]) && has_nul(ev->fields[i].key)) {
			snprintf(why, whylen, "field \"%s\": a NUL character (\\u0000) in its name",
				gm_str_show(ev->fields[i].key, shown, sizeof shown));
			return true;
		}
	return false;
}

bool intake_read(struct intake *in, const struct gm_event *ev, struct note_alert *a,
	char *why, size_t whylen)
{
	static const char *const names[] = { "alert_id", "kind", "severity", "source", "summary" };
	gm_str f[F_N];
	size_t nnumbers = scan_fields(in, ev, f);
	gm_str s[] = { ev->id, f[F_KIND], f[F_SEVERITY], f[F_SOURCE], f[F_SUMMARY] };
	const size_t ns = sizeof s / sizeof *s;
	size_t need = 0;
	bool nul = false;
	for (size_t i = 0; i < ns; i++) {
		need += s[i].n + 1;
		nul |= has_nul(s[i]);
	}
	for (size_t i = 0; i < ev->nlabels; i++) {
		need += ev->labels[i].name.n + ev->labels[i].value.n + 2;
		nul |= has_nul(ev->labels[i].name) | has_nul(ev->labels[i].value);
	}
	for (size_t i = 0; i < nnumbers; i++) {
		const struct gm_field *num = &ev->fields[in->numbers[i]];
		need += num->key.n + num->value.n + 2;
		nul |= has_nul(num->key);
	}
	if (nul && cut_by_nul(ev, names, s, ns, why, whylen))
		return false;
	size_t npairs = ev->nlabels + nnumbers;
	struct route_label *pairs;
	char *at;
	if (in->alloc) {
		pairs = in->alloc(in->ctx, npairs * sizeof *pairs + need);
		at = (char *)(pairs + npairs);
	} else {
		in->buf = gm_grow(in->buf, &in->cap, need, 1, 256);
		in->pairs = gm_grow(in->pairs, &in->pcap, npairs + 1, sizeof *in->pairs, 16);
		pairs = in->pairs;
		at = in->buf;
	}
	const char *c[5], *strs = at;
	for (size_t i = 0; i < ns; i++)
		c[i] = put(&at, s[i]);
	struct route_label *pair = pairs;
	for (size_t i = 0; i < ev->nlabels; i++, pair++) {
		pair->name = put(&at, ev->labels[i].name);
		pair->value = put(&at, ev->labels[i].value);
	}
	for (size_t i = 0; i < nnumbers; i++, pair++) {
		pair->name = put(&at, ev->fields[in->numbers[i]].key);
		pair->value = put(&at, ev->fields[in->numbers[i]].value);
	}
	gm_str status = f[F_STATUS];
	*a = (struct note_alert){
		.alert_id = c[0], .kind = c[1], .severity = c[2], .source = c[3], .summary = c[4],
		.ts = ev->ts,
		.resolved = GM_STR_EQ(status, "resolved"),
		.labels = pairs, .nlabels = ev->nlabels,
		.numbers = pairs + ev->nlabels, .nnumbers = nnumbers,
		.strs = strs, .nstrs = need,
	};
	return true;
}

void intake_free(struct intake *in)
{
	free(in->buf);
	free(in->pairs);
	free(in->numbers);
	*in = (struct intake){ 0 };
}

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
	for (size_t i = 0; i < ev->rtype->nfields; i++) {
		const char *name = ev->rtype->fields[i].name;
		if (key.n == strlen(name) && !memcmp(key.p, name, key.n))
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

static gm_str field_str(const struct gm_event *ev, const char *key)
{
	const struct gm_field *f = gm_event_field(ev, key);
	return f && f->kind == GM_JSON_STRING ? f->value : (gm_str){ "", 0 };
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
	gm_str s[] = { ev->id, field_str(ev, "kind"), field_str(ev, "severity"),
		field_str(ev, "source"), field_str(ev, "summary") };
	const size_t ns = sizeof s / sizeof *s;
	size_t need = 0, nnumbers = 0;
	bool nul = false;
	for (size_t i = 0; i < ns; i++) {
		need += s[i].n + 1;
		nul |= has_nul(s[i]);
	}
	for (size_t i = 0; i < ev->nlabels; i++) {
		need += ev->labels[i].name.n + ev->labels[i].value.n + 2;
		nul |= has_nul(ev->labels[i].name) | has_nul(ev->labels[i].value);
	}
	for (size_t i = 0; i < ev->nfields; i++)
		if (is_number(ev, &ev->fields[i])) {
			need += ev->fields[i].key.n + ev->fields[i].value.n + 2;
			nul |= has_nul(ev->fields[i].key);
			nnumbers++;
		}
	if (nul && cut_by_nul(ev, names, s, ns, why, whylen))
		return false;
	in->buf = gm_grow(in->buf, &in->cap, need, 1, 256);
	in->pairs = gm_grow(in->pairs, &in->pcap, ev->nlabels + nnumbers + 1, sizeof *in->pairs, 16);

	char *at = in->buf;
	const char *c[5];
	for (size_t i = 0; i < ns; i++)
		c[i] = put(&at, s[i]);
	struct route_label *pair = in->pairs;
	for (size_t i = 0; i < ev->nlabels; i++, pair++) {
		pair->name = put(&at, ev->labels[i].name);
		pair->value = put(&at, ev->labels[i].value);
	}
	for (size_t i = 0; i < ev->nfields; i++)
		if (is_number(ev, &ev->fields[i])) {
			pair->name = put(&at, ev->fields[i].key);
			pair->value = put(&at, ev->fields[i].value);
			pair++;
		}
	gm_str status = field_str(ev, "status");
	*a = (struct note_alert){
		.alert_id = c[0], .kind = c[1], .severity = c[2], .source = c[3], .summary = c[4],
		.ts = ev->ts,
		.resolved = GM_STR_EQ(status, "resolved"),
		.labels = in->pairs, .nlabels = ev->nlabels,
		.numbers = in->pairs + ev->nlabels, .nnumbers = nnumbers,
	};
	return true;
}

void intake_free(struct intake *in)
{
	free(in->buf);
	free(in->pairs);
	*in = (struct intake){ 0 };
}

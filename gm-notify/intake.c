/* intake: see intake.h. The parser has checked every field but the
 * labels' values; what is left is to copy the strings out NUL-terminated
 * (into one buffer, laid out before any pointer into it is taken, so
 * that growing it moves nothing already pointed at) and to decode the
 * labels with yajl's tree. */
#include "intake.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "mem.h"

static const char *const known[] = {
	"type", "alert_id", "ts", "kind", "severity", "status", "source", "summary", "labels",
};

static bool is_known(gm_str key)
{
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (key.n == strlen(known[i]) && !memcmp(key.p, known[i], key.n))
			return true;
	return false;
}

static bool is_number(const struct gm_field *f)
{
	return (f->kind == GM_JSON_NUMBER || f->kind == GM_JSON_NULL) && !is_known(f->key);
}

/* Appends s and a NUL at *at in in->buf (sized beforehand); returns its place. */
static size_t put(struct intake *in, size_t *at, const char *s, size_t n)
{
	size_t start = *at;
	memcpy(in->buf + start, s, n);
	in->buf[start + n] = 0;
	*at += n + 1;
	return start;
}

static gm_str field_str(const struct gm_event *ev, const char *key)
{
	const struct gm_field *f = gm_event_field(ev, key);
	return f && f->kind == GM_JSON_STRING ? f->value : (gm_str){ "", 0 };
}

bool intake_read(struct intake *in, const struct gm_event *ev, struct note_alert *a,
	char *why, size_t whylen)
{
	if (in->tree) {
		yajl_tree_free(in->tree);
		in->tree = NULL;
	}
	gm_str s[] = { ev->id, field_str(ev, "kind"), field_str(ev, "severity"),
		field_str(ev, "source"), field_str(ev, "summary") };
	const size_t ns = sizeof s / sizeof *s;
	gm_str labels = gm_event_field(ev, "labels")->value;
	size_t need = labels.n + 1;
	size_t nnumbers = 0;
	for (size_t i = 0; i < ns; i++)
		need += s[i].n + 1;
	for (size_t i = 0; i < ev->nfields; i++)
		if (is_number(&ev->fields[i])) {
			need += ev->fields[i].key.n + ev->fields[i].value.n + 2;
			nnumbers++;
		}
	in->buf = gm_grow(in->buf, &in->cap, need, 1, 256);

	size_t at = 0, off[5];
	for (size_t i = 0; i < ns; i++)
		off[i] = put(in, &at, s[i].p, s[i].n);
	size_t loff = put(in, &at, labels.p, labels.n);
	size_t noff = at;
	for (size_t i = 0; i < ev->nfields; i++)
		if (is_number(&ev->fields[i])) {
			put(in, &at, ev->fields[i].key.p, ev->fields[i].key.n);
			put(in, &at, ev->fields[i].value.p, ev->fields[i].value.n);
		}

	char err[128];
	yajl_val t = yajl_tree_parse(in->buf + loff, err, sizeof err);
	if (!t || !YAJL_IS_OBJECT(t)) {
		/* The parser took it as an object; only memory can fail here. */
		snprintf(why, whylen, "field \"labels\": %s", t ? "not an object" : err);
		if (t)
			yajl_tree_free(t);
		return false;
	}
	in->tree = t;
	size_t nlabels = t->u.object.len;
	in->pairs = gm_grow(in->pairs, &in->pcap, nlabels + nnumbers + 1, sizeof *in->pairs, 16);
	for (size_t i = 0; i < nlabels; i++) {
		yajl_val v = t->u.object.values[i];
		if (!YAJL_IS_STRING(v)) {
			snprintf(why, whylen, "field \"labels\": \"%.64s\" holds %s, not a string",
				t->u.object.keys[i], YAJL_IS_NUMBER(v) ? "a number" : YAJL_IS_OBJECT(v) ?
				"an object" : YAJL_IS_ARRAY(v) ? "an array" : YAJL_IS_NULL(v) ? "null" :
				"a boolean");
			return false;
		}
		in->pairs[i] = (struct route_label){ t->u.object.keys[i], YAJL_GET_STRING(v) };
	}
	struct route_label *numbers = in->pairs + nlabels;
	for (size_t i = 0, p = noff; i < nnumbers; i++) {
		numbers[i].name = in->buf + p;
		p += strlen(numbers[i].name) + 1;
		numbers[i].value = in->buf + p;
		p += strlen(numbers[i].value) + 1;
	}
	gm_str status = field_str(ev, "status");
	*a = (struct note_alert){
		.alert_id = in->buf + off[0], .kind = in->buf + off[1], .severity = in->buf + off[2],
		.source = in->buf + off[3], .summary = in->buf + off[4], .ts = ev->ts,
		.resolved = GM_STR_EQ(status, "resolved"),
		.labels = in->pairs, .nlabels = nlabels, .numbers = numbers, .nnumbers = nnumbers,
	};
	return true;
}

void intake_free(struct intake *in)
{
	if (in->tree)
		yajl_tree_free(in->tree);
	free(in->buf);
	free(in->pairs);
	*in = (struct intake){ 0 };
}

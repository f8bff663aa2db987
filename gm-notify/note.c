/* note: a notification's copy, an alert's, and what each kind of
 * integration is (see note.h). A copy is one block: its arrays first,
 * each aligned, then its strings. */
#include "note.h"

#include <string.h>

#include "mem.h"
#include "rtype.h"

/* The blocks of note_dup() hold a note, its alerts, then the label
 * arrays: each part starts aligned when its alignment divides the one
 * before's, sizes being multiples of their alignment. */
_Static_assert(_Alignof(struct note) % _Alignof(struct note_alert) == 0,
	"a note's alerts follow it in its copy");
_Static_assert(_Alignof(struct note_alert) % _Alignof(struct route_label) == 0,
	"the label arrays follow the alerts in a note's copy");

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static char *put_str(char **p, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *r = memcpy(*p, s, n);
	*p += n;
	return r;
}

/* The bytes of the strings of v[0..n). */
static size_t pairs_size(const struct route_label *v, size_t n)
{
	size_t size = 0;
	for (size_t i = 0; i < n; i++)
		size += strlen(v[i].name) + strlen(v[i].value) + 2;
	return size;
}

/* Copies the strings of v[0..n) to *p, into out[0..n). */
static void put_pairs(struct route_label *out, char **p, const struct route_label *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[i].name = put_str(p, v[i].name);
		out[i].value = put_str(p, v[i].value);
	}
}

/* The bytes of a's strings, its arrays' included. */
static size_t alert_strings_size(const struct note_alert *a)
{
	if (a->strs)
		return a->nstrs + str_size(a->fired_id);
	size_t size = pairs_size(a->labels, a->nlabels) + pairs_size(a->numbers, a->nnumbers);
	const char *strs[] = { a->alert_id, a->kind, a->severity, a->source, a->summary, a->fired_id };
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		size += str_size(strs[i]);
	return size;
}

/* s, a string of a's span, in its copy to: the same offset. */
static const char *moved(const struct note_alert *a, const char *to, const char *s)
{
	return s ? to + (s - a->strs) : NULL;
}

/* Copies the pairs v[0..n), whose strings are in a's span, into
 * out[0..n), their strings in the span's copy to. */
static void move_pairs(struct route_label *out, const struct note_alert *a, const char *to,
	const struct route_label *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (struct route_label){ moved(a, to, v[i].name), moved(a, to, v[i].value) };
}

/* Copies a into *dst: its two arrays to *arrays, its strings to *strs,
 * moving both on. */
static void put_alert(struct note_alert *dst, struct route_label **arrays, char **strs,
	const struct note_alert *a)
{
	struct route_label *labels = *arrays, *numbers = labels + a->nlabels;
	*arrays = numbers + a->nnumbers;
	*dst = *a;
	dst->labels = labels;
	dst->numbers = numbers;
	if (a->strs) {
		char *to = memcpy(*strs, a->strs, a->nstrs);
		*strs += a->nstrs;
		move_pairs(labels, a, to, a->labels, a->nlabels);
		move_pairs(numbers, a, to, a->numbers, a->nnumbers);
		dst->alert_id = moved(a, to, a->alert_id);
		dst->kind = moved(a, to, a->kind);
		dst->severity = moved(a, to, a->severity);
		dst->source = moved(a, to, a->source);
		dst->summary = moved(a, to, a->summary);
		dst->strs = to;
	} else {
		put_pairs(labels, strs, a->labels, a->nlabels);
		put_pairs(numbers, strs, a->numbers, a->nnumbers);
		dst->alert_id = put_str(strs, a->alert_id);
		dst->kind = put_str(strs, a->kind);
		dst->severity = put_str(strs, a->severity);
		dst->source = put_str(strs, a->source);
		dst->summary = put_str(strs, a->summary);
	}
	dst->fired_id = put_str(strs, a->fired_id);
	dst->set = NULL;   /* the copy's strings are not the set's */
	dst->nset = 0;
}

size_t note_alert_size(const struct note_alert *a)
{
	return (a->nlabels + a->nnumbers) * sizeof(struct route_label) + alert_strings_size(a);
}

void note_alert_put(struct note_alert *dst, void *block, const struct note_alert *a)
{
	struct route_label *arrays = block;
	char *strs = (char *)(arrays + a->nlabels + a->nnumbers);
	put_alert(dst, &arrays, &strs, a);
}

void note_alert_dup(struct note_alert *dst, char **blob, const struct note_alert *a)
{
	*blob = gm_xcalloc(1, note_alert_size(a) + 1);
	note_alert_put(dst, *blob, a);
}

struct route_label *note_labels_dup(const struct route_label *v, size_t n)
{
	struct route_label *out = gm_xcalloc(1, n * sizeof *v + pairs_size(v, n) + 1);
	char *p = (char *)(out + n);
	put_pairs(out, &p, v, n);
	return out;
}

struct note *note_dup(const struct note *n)
{
	size_t ng = n->group_labels.n;
	size_t narrays = ng;
	size_t strs = str_size(n->group_key) + pairs_size(n->group_labels.v, ng);
	for (size_t i = 0; i < n->nalerts; i++) {
		narrays += n->alerts[i].nlabels + n->alerts[i].nnumbers;
		strs += alert_strings_size(&n->alerts[i]);
	}
	struct note *d = gm_xcalloc(1, sizeof *d + n->nalerts * sizeof *n->alerts
		+ narrays * sizeof(struct route_label) + strs + 1);
	struct note_alert *alerts = (struct note_alert *)(d + 1);
	struct route_label *arrays = (struct route_label *)(alerts + n->nalerts);
	char *p = (char *)(arrays + narrays);
	*d = *n;
	d->alerts = alerts;
	d->group_labels.v = arrays;
	put_pairs(arrays, &p, n->group_labels.v, ng);
	arrays += ng;
	for (size_t i = 0; i < n->nalerts; i++)
		put_alert(&alerts[i], &arrays, &p, &n->alerts[i]);
	d->group_key = put_str(&p, n->group_key);
	return d;
}

struct note *note_share(const struct note *n)
{
	size_t ng = n->group_labels.n;
	struct note *d = gm_xcalloc(1, sizeof *d + n->nalerts * sizeof *n->alerts
		+ ng * sizeof(struct route_label));
	struct note_alert *alerts = (struct note_alert *)(d + 1);
	struct route_label *labels = (struct route_label *)(alerts + n->nalerts);
	*d = *n;
	d->alerts = alerts;
	d->group_labels.v = labels;
	/* memcpy() from NULL is undefined even for no bytes */
	if (n->nalerts)
		memcpy(alerts, n->alerts, n->nalerts * sizeof *alerts);
	if (ng)
		memcpy(labels, n->group_labels.v, ng * sizeof *labels);
	return d;
}

size_t note_integrations(const struct conf_receiver *r, enum note_kind k)
{
	switch (k) {
	case NOTE_EMAIL: return r->nemail;
	case NOTE_SLACK: return r->nslack;
	case NOTE_WEBHOOK: return r->nwebhook;
	case NOTE_SMS: return r->nsms;
	case NOTE_FILE: return r->nfile;
	case NOTE_NKINDS: break;
	}
	return 0;
}

bool note_sends_resolved(const struct conf_receiver *r, enum note_kind k, size_t i)
{
	switch (k) {
	case NOTE_EMAIL: return r->email[i].send_resolved;
	case NOTE_SLACK: return r->slack[i].send_resolved;
	case NOTE_WEBHOOK: return r->webhook[i].send_resolved;
	case NOTE_SMS: return r->sms[i].send_resolved;
	case NOTE_FILE: return r->file[i].send_resolved;
	case NOTE_NKINDS: break;
	}
	return false;
}

const char *note_kind_name(enum note_kind k)
{
	/* The dead_letter record's names for them, in note.h's order
	 * (test_notify_note checks both). */
	return (unsigned)k < NOTE_NKINDS ? gm_rtype_dead_letter_integrations[k] : "?";
}

size_t note_sort_unique(struct route_label *v, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && route_strcmp(v[j - 1].name, v[j].name) > 0; j--) {
			struct route_label t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!k || route_strcmp(v[k - 1].name, v[i].name))
			v[k++] = v[i];
	return k;
}

size_t note_label_set(const struct note_alert *a, struct route_label *out)
{
	size_t n = 0;
	bool alertname = false;
	for (size_t i = 0; i < a->nlabels; i++) {
		const char *name = a->labels[i].name;
		if (!route_strcmp(name, "kind") || !route_strcmp(name, "severity") || !route_strcmp(name, "source"))
			continue;
		alertname |= !route_strcmp(name, "alertname");
		out[n++] = a->labels[i];
	}
	const char *kind = a->kind ? a->kind : "";
	out[n++] = (struct route_label){ "kind", kind };
	out[n++] = (struct route_label){ "severity", a->severity ? a->severity : "" };
	out[n++] = (struct route_label){ "source", a->source ? a->source : "" };
	if (!alertname)
		out[n++] = (struct route_label){ "alertname", kind };
	return note_sort_unique(out, n);
}

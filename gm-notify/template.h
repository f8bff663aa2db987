/* template: the body of a webhook shaped by the configuration, in a
 * small subset of Go's text/template, the language Alertmanager's
 * notification templates are written in, over the data those templates
 * see (struct tmpl_data: what Alertmanager's webhook payload holds).
 *
 * A template is parsed and checked once, when the configuration is
 * loaded: the data's shape is fixed, so every field, function and
 * argument is known then, and anything outside the subset, or a field
 * the data does not have, is an error at its line and column. Running
 * a parsed template cannot fail.
 *
 * The subset: text; {{ pipeline }}; {{ if p }}..{{ else if p }}..
 * {{ else }}..{{ end }}; {{ range p }}..{{ else }}..{{ end }}, with
 * {{ range $e := p }} or {{ range $i, $e := p }} declaring the element
 * and its index (a map's key) for the range's body; Go's comment
 * actions; "{{- " and " -}}" trimming the blanks beside an action;
 * pipelines of operands (., $, $var, .Field.Field, $.Field, $var.Field,
 * "string", `raw string`) and the functions len, toUpper, toLower,
 * title, join and json, a command's value going last into the next
 * one's arguments. Truthiness is Go's: an empty string, list or map and
 * 0 are false, a time is always true. */
#ifndef GM_NOTIFY_TEMPLATE_H
#define GM_NOTIFY_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "route.h"
#include "text.h"

/* ---- the data: one notification as Alertmanager's payload has it ---- */

/* A time as Go writes one in JSON: RFC 3339 UTC, the fraction's
 * trailing zeros dropped ("2026-11-24T10:00:00.123Z"); Go's zero time
 * "0001-01-01T00:00:00Z" for no time. */
#define TMPL_TIME_LEN 32

struct tmpl_alert {
	const char *status;                /* "firing" or "resolved" */
	const struct route_label *labels;  /* sorted by name, a name once */
	size_t nlabels;
	struct route_label *annotations;   /* likewise */
	size_t nannotations;
	char starts_at[TMPL_TIME_LEN], ends_at[TMPL_TIME_LEN];
	char fingerprint[17];              /* 16 hex digits */
};

/* Every label set is sorted by name, a name once. The strings are the
 * builder's (send.c). */
struct tmpl_data {
	const char *receiver;              /* as Alertmanager quotes it */
	const char *status;                /* "firing" when any alert is */
	struct tmpl_alert *alerts;         /* the firing ones first */
	size_t nalerts;
	struct route_labels group_labels, common_labels, common_annotations;
	const char *external_url;
	const char *group_key;
	size_t truncated;                  /* alerts left out (max_alerts) */
};

/* ---- templates ---- */

struct tmpl;

/* Where and why a template was refused: line and column (in
 * characters) from 1, within the template's text. */
struct tmpl_error {
	size_t line, column;
	char msg[256];
};

/* Parses and checks the len bytes of text. Returns the template (free
 * with tmpl_free()), or NULL with the first error in *e. Dies only when
 * memory is exhausted. */
struct tmpl *tmpl_parse(const char *text, size_t len, struct tmpl_error *e);

/* Appends what t writes for d to out. Cannot fail (but for memory,
 * which dies). */
void tmpl_execute(const struct tmpl *t, const struct tmpl_data *d, struct gm_text *out);

/* Frees t; NULL is ignored. */
void tmpl_free(struct tmpl *t);

#endif

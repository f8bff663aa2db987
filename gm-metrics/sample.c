/* sample: sample sets and their exposition; see sample.h. */
#include "sample.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "writer.h"

void sample_add(struct sample_set *s, enum family f, double value, ...)
{
	s->v = gm_grow(s->v, &s->cap, s->n + 1, sizeof *s->v, 64);
	struct sample *x = &s->v[s->n++];
	memset(x, 0, sizeof *x);
	x->f = f;
	x->value = value;
	va_list ap;
	va_start(ap, value);
	for (size_t i = 0; i < FAMILY_MAX_LABELS && families[f].labels[i]; i++)
		x->labels[i] = gm_xstrdup(va_arg(ap, const char *));
	va_end(ap);
}

void sample_clear(struct sample_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		for (size_t k = 0; k < FAMILY_MAX_LABELS; k++)
			free(s->v[i].labels[k]);
	s->n = 0;
}

void sample_free(struct sample_set *s)
{
	sample_clear(s);
	free(s->v);
	s->v = NULL;
	s->cap = 0;
}

/* A HELP text or a label value, escaped as the format says: \\ and
 * \n always, \" in label values. */
static void escaped(struct gm_writer *w, const char *p, bool quote)
{
	for (; *p; p++) {
		if (*p == '\\')
			gm_w_raw(w, "\\\\", 2);
		else if (*p == '\n')
			gm_w_raw(w, "\\n", 2);
		else if (*p == '"' && quote)
			gm_w_raw(w, "\\\"", 2);
		else
			gm_w_raw(w, p, 1);
	}
}

static void number(struct gm_writer *w, double v)
{
	char b[40];
	int n;
	if (isnan(v))
		n = snprintf(b, sizeof b, "NaN");
	else if (isinf(v))
		n = snprintf(b, sizeof b, v > 0 ? "+Inf" : "-Inf");
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		n = snprintf(b, sizeof b, "%.0f", v);
	else
		/* The shortest text that reads back as v, as Go's 'g', -1
		 * (Prometheus, node_exporter) writes it. */
		for (int p = 1; p <= 17; p++) {
			n = snprintf(b, sizeof b, "%.*g", p, v);
			if (strtod(b, NULL) == v)
				break;
		}
	gm_w_raw(w, b, (size_t)n);
}

static void line(struct gm_writer *w, const struct sample *x)
{
	const struct family_def *d = &families[x->f];
	gm_w_raw(w, d->name, strlen(d->name));
	if (d->labels[0]) {
		gm_w_raw(w, "{", 1);
		for (size_t k = 0; k < FAMILY_MAX_LABELS && d->labels[k]; k++) {
			if (k)
				gm_w_raw(w, ",", 1);
			gm_w_raw(w, d->labels[k], strlen(d->labels[k]));
			gm_w_raw(w, "=\"", 2);
			escaped(w, x->labels[k], true);
			gm_w_raw(w, "\"", 1);
		}
		gm_w_raw(w, "}", 1);
	}
	gm_w_raw(w, " ", 1);
	number(w, x->value);
	gm_w_raw(w, "\n", 1);
}

void sample_expose(struct gm_writer *w, const struct sample_set *const *sets, size_t n)
{
	for (int f = 0; f < F_NFAMILIES; f++) {
		const struct family_def *d = &families[f];
		bool head = false;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < sets[i]->n; j++) {
				const struct sample *x = &sets[i]->v[j];
				if (x->f != (enum family)f)
					continue;
				if (!head) {
					gm_w_raw(w, "# HELP ", 7);
					gm_w_raw(w, d->name, strlen(d->name));
					gm_w_raw(w, " ", 1);
					escaped(w, d->help, false);
					gm_w_raw(w, "\n# TYPE ", 8);
					gm_w_raw(w, d->name, strlen(d->name));
					const char *t = d->type == FT_COUNTER ? " counter\n" : " gauge\n";
					gm_w_raw(w, t, strlen(t));
					head = true;
				}
				line(w, x);
			}
	}
}

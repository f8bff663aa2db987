/* sample: what one collection from one source found, as samples of the
 * families of family.h; and the text that Prometheus reads, made from
 * the sets of every source. */
#ifndef GM_METRICS_SAMPLE_H
#define GM_METRICS_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "family.h"

struct gm_writer;

struct sample {
	enum family f;
	double value;
	char *labels[FAMILY_MAX_LABELS];   /* the values, in the family's order; owned */
};

struct sample_set {
	struct sample *v;
	size_t n, cap;
	int64_t ts;        /* ms since the epoch of the collection */
};

/* Adds a sample of f: value, then one label value (a C string, copied)
 * for each of f's labels, in order. */
void sample_add(struct sample_set *s, enum family f, double value, ...);

/* Empties s for the next collection (its memory kept). */
void sample_clear(struct sample_set *s);
void sample_free(struct sample_set *s);

/* The Prometheus text exposition (format 0.0.4) of the sets[0..n),
 * written on w (a memory writer): each family with samples, in
 * family.h's order, its HELP and TYPE, then its samples, set by set;
 * label values escaped as the format says; values as Prometheus prints
 * them (integers whole, NaN and +Inf spelt so). No timestamps: a
 * scrape is now. */
void sample_expose(struct gm_writer *w, const struct sample_set *const *sets, size_t n);

#endif

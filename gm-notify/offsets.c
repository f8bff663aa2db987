/* offsets: see offsets.h. A note reads "gm-notify-offsets 1 END
 * O1,O2,...": the records from the committed offset up to END, but
 * O1, O2, ..., were settled. */
#include "offsets.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "mem.h"
#include "text.h"

#define MARK_OFFSET_BITS 44
#define OFFSET_MASK (((uint64_t)1 << MARK_OFFSET_BITS) - 1)
#define NOTE_MAGIC "gm-notify-offsets 1 "

struct part {
	char *topic;
	int32_t partition;
	bool owned;                /* held by this reader */
	int64_t next;              /* the offset after the last one read; 0: none read */
	int64_t *open;             /* offsets_commit()'s: the records not settled */
	size_t nopen, opencap;
	int64_t committed;         /* what was last accepted, and its note */
	char *note;
	int64_t skip_end;          /* from an assigned note: below it, skip all but keep */
	int64_t *keep;
	size_t nkeep;
};

struct offsets {
	struct part *v;
	size_t n, cap;
	size_t last;               /* the slot found last */
};

struct offsets *offsets_new(void)
{
	return gm_xcalloc(1, sizeof(struct offsets));
}

void offsets_free(struct offsets *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].topic);
		free(o->v[i].open);
		free(o->v[i].note);
		free(o->v[i].keep);
	}
	free(o->v);
	free(o);
}

static size_t slot_of_part(struct offsets *o, const char *topic, int32_t partition)
{
	if (o->last < o->n && o->v[o->last].partition == partition && !strcmp(o->v[o->last].topic, topic))
		return o->last;
	size_t i = 0;
	while (i < o->n && (o->v[i].partition != partition || strcmp(o->v[i].topic, topic)))
		i++;
	if (i == o->n) {
		o->v = gm_grow(o->v, &o->cap, o->n + 1, sizeof *o->v, 8);
		o->v[o->n++] = (struct part){ .topic = gm_xstrdup(topic), .partition = partition,
			.committed = -1 };
	}
	return o->last = i;
}

uint64_t offsets_mark(struct offsets *o, const struct gm_record *rec)
{
	if (!rec->topic || rec->offset < 0 || (uint64_t)rec->offset > OFFSET_MASK)
		return GROUP_NO_MARK;
	size_t i = slot_of_part(o, rec->topic, rec->partition);
	o->v[i].next = rec->offset + 1;
	o->v[i].owned = true;
	return (uint64_t)i << MARK_OFFSET_BITS | (uint64_t)rec->offset;
}

static int by_offset(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return (a > b) - (a < b);
}

bool offsets_settled(struct offsets *o, const struct gm_record *rec)
{
	if (!rec->topic)
		return false;
	size_t slot = slot_of_part(o, rec->topic, rec->partition);   /* may move o->v */
	struct part *p = &o->v[slot];
	if (rec->offset >= p->skip_end) {
		p->skip_end = 0;
		p->nkeep = 0;
		return false;
	}
	if (p->nkeep && bsearch(&rec->offset, p->keep, p->nkeep, sizeof *p->keep, by_offset))
		return false;
	p->next = rec->offset + 1;   /* read, and settled */
	p->owned = true;
	return true;
}

/* Reads a note into p's filter; false when it is not one of ours. */
static bool read_note(struct part *p, const char *note)
{
	if (strncmp(note, NOTE_MAGIC, strlen(NOTE_MAGIC)))
		return false;
	const char *s = note + strlen(NOTE_MAGIC);
	char *end;
	long long skip_end = strtoll(s, &end, 10);
	if (end == s || *end != ' ' || skip_end < 0)
		return false;
	size_t n = 0;
	for (const char *c = end + 1; *c; c++)
		n += *c == ',';
	free(p->keep);
	p->keep = gm_xcalloc(n + 2, sizeof *p->keep);
	p->nkeep = 0;
	for (s = end + 1; *s;) {
		long long v = strtoll(s, &end, 10);
		if (end == s || v < 0 || (*end && *end != ','))
			return false;
		p->keep[p->nkeep++] = v;
		s = *end ? end + 1 : end;
	}
	if (p->nkeep > 1)
		qsort(p->keep, p->nkeep, sizeof *p->keep, by_offset);
	p->skip_end = skip_end;
	return true;
}

void offsets_assigned(struct offsets *o, const struct gm_kpartition *parts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t slot = slot_of_part(o, parts[i].topic, parts[i].partition);   /* may move o->v */
		struct part *p = &o->v[slot];
		p->owned = true;
		p->committed = -1;
		p->skip_end = 0;
		p->nkeep = 0;
		if (parts[i].note && !read_note(p, parts[i].note)) {
			p->skip_end = 0;
			p->nkeep = 0;
			gm_warn(NULL, "%s[%" PRId32 "]: a committed note gm-notify cannot read: "
				"reading on from the committed offset", parts[i].topic, parts[i].partition);
		}
	}
}

bool offsets_in(const struct offsets *o, uint64_t mark, const struct gm_kpartition *parts,
	size_t n)
{
	const struct part *p = &o->v[mark >> MARK_OFFSET_BITS];
	for (size_t i = 0; i < n; i++)
		if (parts[i].partition == p->partition && !strcmp(parts[i].topic, p->topic))
			return true;
	return false;
}

static void add_open(void *ctx, uint64_t mark)
{
	struct offsets *o = ctx;
	struct part *p = &o->v[mark >> MARK_OFFSET_BITS];
	p->open = gm_grow(p->open, &p->opencap, p->nopen + 1, sizeof *p->open, 16);
	p->open[p->nopen++] = (int64_t)(mark & OFFSET_MASK);
}

void offsets_commit(struct offsets *o, const struct group_engine *e, offsets_accept_fn *accept,
	void *ctx)
{
	if (!o->n)
		return;   /* no partition (files, stdin): no walk of every alert held */
	for (size_t i = 0; i < o->n; i++)
		o->v[i].nopen = 0;
	group_unsettled(e, add_open, o);
	struct gm_text note = { 0 };
	for (size_t i = 0; i < o->n; i++) {
		struct part *p = &o->v[i];
		if (!p->owned || !p->next)
			continue;
		/* Not settled: the alerts the engine names, and those of an
		 * assigned note not read yet, which the note's end covers. */
		int64_t end = p->next;
		for (size_t k = 0; k < p->nkeep && p->skip_end > p->next; k++)
			if (p->keep[k] >= p->next)
				add_open(o, (uint64_t)i << MARK_OFFSET_BITS | (uint64_t)p->keep[k]);
		if (p->skip_end > end)
			end = p->skip_end;
		if (p->nopen > 1)
			qsort(p->open, p->nopen, sizeof *p->open, by_offset);
		size_t n = 0;
		for (size_t k = 0; k < p->nopen; k++)
			if (!n || p->open[n - 1] != p->open[k])
				p->open[n++] = p->open[k];
		if (n > OFFSETS_NOTE_MAX) {
			end = p->open[OFFSETS_NOTE_MAX];   /* from there on, read again */
			n = OFFSETS_NOTE_MAX;
		}
		int64_t first = n ? p->open[0] : end;
		/* A note when some record after the first not settled is
		 * settled: one not settled after another, or a settled stretch
		 * of an assigned note not read yet. */
		bool noted = n > 1 || (n == 1 && first + 1 < end) || end > p->next;
		note.n = 0;
		if (noted) {
			gm_text_printf(&note, NOTE_MAGIC "%" PRId64 " ", end);
			for (size_t k = 0; k < n; k++)
				gm_text_printf(&note, "%s%" PRId64, k ? "," : "", p->open[k]);
		}
		const char *text = noted ? note.p : NULL;
		if (first == p->committed && (text ? p->note && !strcmp(text, p->note) : !p->note))
			continue;
		accept(ctx, p->topic, p->partition, first, text);
		p->committed = first;
		free(p->note);
		p->note = text ? gm_xstrdup(text) : NULL;
	}
	free(note.p);
}

void offsets_revoked(struct offsets *o, const struct gm_kpartition *parts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t slot = slot_of_part(o, parts[i].topic, parts[i].partition);   /* may move o->v */
		struct part *p = &o->v[slot];
		p->owned = false;
		p->committed = -1;
		free(p->note);
		p->note = NULL;
		p->skip_end = 0;
		p->nkeep = 0;
	}
}

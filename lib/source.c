/* source: files or Kafka behind one interface; see source.h. */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "event.h"
#include "kafka.h"
#include "mem.h"
#include "reader.h"
#include "rejects.h"

struct gm_source {
	const struct gm_common *c;
	char *const *files;         /* file input: the list, the next one */
	size_t nfiles, next_file;
	struct gm_reader *rd;
	bool stdin_default;
	struct gm_kconsumer *k;     /* Kafka input */
	bool follow;
	int status;
};

char *gm_record_where(const struct gm_record *r, char *buf, size_t n)
{
	if (r->topic)
		snprintf(buf, n, "%s[%d]@%lld", r->topic, (int)r->partition,
			(long long)r->offset);
	else
		snprintf(buf, n, "%s:%llu", r->file ? r->file : "-", (unsigned long long)r->lineno);
	return buf;
}

static void spill_to_rejects(void *ctx, const char *p, size_t n)
{
	gm_reject_part(p, n);
}

struct gm_source *gm_source_open(const struct gm_common *c,
	char *const *files, size_t nfiles,
	const char *const *topics, size_t ntopics, bool follow)
{
	struct gm_source *s = gm_xcalloc(1, sizeof *s);
	s->c = c;
	s->follow = follow;
	if (ntopics > 0) {
		int status;
		s->k = gm_kconsumer_new(c, topics, ntopics, !follow, &status);
		if (!s->k) {
			free(s);
			if (status == GM_EXIT_TEMPFAIL)
				exit(GM_EXIT_TEMPFAIL);
			return NULL;
		}
		return s;
	}
	s->files = files;
	s->nfiles = nfiles;
	s->stdin_default = nfiles == 0;
	return s;
}

void gm_source_on_rebalance(struct gm_source *s, gm_assign_fn *assign,
	gm_revoke_fn *revoke, void *ctx)
{
	if (s->k)
		gm_kconsumer_on_rebalance(s->k, assign, revoke, ctx);
}

bool gm_source_resumable(const struct gm_source *s)
{
	return s->k && s->c->group && *s->c->group;
}

static bool blank(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != ' ' && p[i] != '\t')
			return false;
	return true;
}

/* Opens the next file of the list; false when there is none. */
static bool next_file(struct gm_source *s)
{
	for (;;) {
		const char *path;
		if (s->stdin_default) {
			path = "-";
			s->stdin_default = false;
			s->nfiles = 0;
		} else if (s->next_file < s->nfiles) {
			path = s->files[s->next_file++];
		} else {
			return false;
		}
		s->rd = gm_reader_open(path, s->c->max_line);
		if (s->rd) {
			gm_reader_set_spill(s->rd, spill_to_rejects, NULL);
			return true;
		}
		s->status = GM_EXIT_FAIL; /* reported by gm_reader_open */
	}
}

static enum gm_next next_line(struct gm_source *s, struct gm_record *r, int idle_ms)
{
	memset(r, 0, sizeof *r);
	for (;;) {
		if (!s->rd && !next_file(s))
			return GM_NEXT_END;
		struct gm_line line;
		gm_reader_set_idle(s->rd, idle_ms);
		switch (gm_reader_next(s->rd, &line)) {
		case GM_READ_IDLE:
			return GM_NEXT_IDLE;
		case GM_READ_LINE:
			if (line.len == 0 || ((*line.data == ' ' || *line.data == '\t') &&
			    blank(line.data, line.len)))
				continue;
			gm_counts.in++;
			r->data = line.data;
			r->len = line.len;
			r->raw_len = line.len + line.crlf;
			r->file = line.file;
			r->lineno = line.lineno;
			return GM_NEXT_RECORD;
		case GM_READ_TOOLONG: {
			gm_counts.in++;
			char where[512], reason[96];
			snprintf(where, sizeof where, "%s:%llu", line.file,
				(unsigned long long)line.lineno);
			snprintf(reason, sizeof reason, "line of %zu bytes is longer than --max-line %zu",
				line.len, s->c->max_line);
			bool go_on = gm_reject_begin(where, reason);
			gm_reject_end();
			if (!go_on) {
				s->status = GM_EXIT_FAIL;
				return GM_NEXT_ERROR;
			}
			continue;
		}
		case GM_READ_EOF:
			gm_reader_close(s->rd);
			s->rd = NULL;
			continue;
		case GM_READ_STOPPED:
			return GM_NEXT_END;
		case GM_READ_ERROR:
			s->status = GM_EXIT_FAIL;
			return GM_NEXT_ERROR;
		}
	}
}

static enum gm_next next_message(struct gm_source *s, struct gm_record *r,
	int idle_ms)
{
	for (;;) {
		if (gm_stopping())
			return GM_NEXT_END;
		struct gm_kmsg m;
		switch (gm_kconsumer_next(s->k, &m, idle_ms)) {
		case GM_K_IDLE:
			return gm_stopping() ? GM_NEXT_END : GM_NEXT_IDLE;
		case GM_K_EOF:
			return GM_NEXT_END;
		case GM_K_ERROR:
			/* gm_source_close() tells a failure (1) from an
			 * unreachable cluster (75). */
			return GM_NEXT_ERROR;
		case GM_K_MSG:
			break;
		}
		if (m.len == 0 || blank(m.data, m.len))
			continue;
		gm_counts.in++;
		memset(r, 0, sizeof *r);
		r->data = m.data;
		r->len = m.len;
		r->raw_len = m.len;
		r->key = m.key;
		r->klen = m.klen;
		r->topic = m.topic;
		r->partition = m.partition;
		r->offset = m.offset;
		if (m.len <= s->c->max_line)
			return GM_NEXT_RECORD;
		char reason[96];
		snprintf(reason, sizeof reason, "message of %zu bytes is longer than --max-line %zu",
			m.len, s->c->max_line);
		if (!gm_source_reject(s, r, reason))
			return GM_NEXT_ERROR;
	}
}

bool gm_source_reject(struct gm_source *s, const struct gm_record *r,
	const char *reason)
{
	char where[512];
	if (gm_reject(gm_record_where(r, where, sizeof where), reason, r->data, r->raw_len))
		return true;
	s->status = GM_EXIT_FAIL;
	return false;
}

enum gm_next gm_source_next(struct gm_source *s, struct gm_record *r, int idle_ms)
{
	return s->k ? next_message(s, r, idle_ms) : next_line(s, r, idle_ms);
}

void gm_source_accept(struct gm_source *s)
{
	if (s->k)
		gm_kconsumer_accept(s->k);
}

void gm_source_accept_partition(struct gm_source *s, const char *topic,
	int32_t partition, int64_t before, const char *note)
{
	if (s->k)
		gm_kconsumer_accept_partition(s->k, topic, partition, before, note);
}

void gm_source_pause_partition(struct gm_source *s, const char *topic, int32_t partition,
	bool pause)
{
	if (s->k)
		gm_kconsumer_pause(s->k, topic, partition, pause);
}

bool gm_source_at_end(const struct gm_source *s, const char *topic, int32_t partition)
{
	return s->k && gm_kconsumer_at_end(s->k, topic, partition);
}

enum gm_next gm_source_next_event(struct gm_source *s, struct gm_parser *ps,
	struct gm_record *r, const struct gm_event **ev, int idle_ms)
{
	for (;;) {
		enum gm_next st = gm_source_next(s, r, idle_ms);
		if (st != GM_NEXT_RECORD)
			return st;
		const char *reason;
		if ((*ev = gm_parse(ps, r->data, r->len, &reason)))
			return GM_NEXT_RECORD;
		if (!gm_source_reject(s, r, reason))
			return GM_NEXT_ERROR;
	}
}

int gm_source_close(struct gm_source *s)
{
	if (!s)
		return GM_EXIT_OK;
	int status = s->status;
	gm_reader_close(s->rd);
	if (s->k)
		status = gm_exit_worse(status, gm_kconsumer_close(s->k));
	free(s);
	return status;
}

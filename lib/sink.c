/* sink: NDJSON, Kafka or PostgreSQL behind one interface; see sink.h. */
#include "sink.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "kafka.h"
#include "mem.h"
#include "pg.h"
#include "source.h"

struct gm_sink {
	struct gm_writer *out;       /* NDJSON output */
	struct gm_writer *rec;       /* Kafka, PostgreSQL: the record being built */
	struct gm_kproducer *kp;
	struct gm_pg *pg;
	const char *topic;           /* Kafka: the one topic the spec named */
};

/* The libpq conninfo a spec names, or NULL when it names no PostgreSQL. */
static const char *pg_conninfo(const char *spec)
{
	if (!spec)
		return NULL;
	if (!strncmp(spec, "postgresql://", 13) || !strncmp(spec, "postgres://", 11))
		return spec;
	if (!strncmp(spec, "pg:", 3))
		return spec + 3;
	return NULL;
}

/* The length of spec's URI scheme when it starts like "scheme://"
 * (RFC 3986: a letter, then letters, digits, '+', '-' and '.'), else 0. */
static size_t uri_scheme(const char *spec)
{
	if (!spec || !isalpha((unsigned char)*spec))
		return 0;
	size_t n = 1;
	while (isalnum((unsigned char)spec[n]) || (spec[n] && strchr("+-.", spec[n])))
		n++;
	return strncmp(spec + n, "://", 3) ? 0 : n;
}

struct gm_sink *gm_sink_open(const struct gm_common *c, const char *spec)
{
	const char *conninfo = pg_conninfo(spec);
	size_t scheme = uri_scheme(spec);
	if (scheme && !conninfo)
		/* Not a file name: mongodb://... is a wish for a sink gm
		 * has not. The rest of the spec may hold a password. */
		gm_die(GM_EXIT_USAGE, NULL, "output %.*s://...: not supported; gm writes files, -, kafka:, "
			"postgresql:// and pg:", (int)scheme, spec);
	struct gm_sink *s = gm_xcalloc(1, sizeof *s);
	int status = GM_EXIT_FAIL;
	if (conninfo) {
		s->pg = gm_pg_open(conninfo, c->retry_ms, &status);
	} else if (spec && !strncmp(spec, "kafka:", 6)) {
		s->topic = spec[6] ? spec + 6 : NULL;
		s->kp = gm_kproducer_new(c, &status);
	} else {
		s->out = gm_writer_open(spec ? spec : "-", c->unbuffered);
	}
	if (!s->pg && !s->kp && !s->out) {
		free(s);
		if (status == GM_EXIT_TEMPFAIL)
			exit(GM_EXIT_TEMPFAIL);   /* nothing read yet: nothing lost */
		return NULL;
	}
	if (!s->out)
		s->rec = gm_writer_mem();
	return s;
}

struct gm_writer *gm_sink_writer(struct gm_sink *s)
{
	return s->out ? s->out : s->rec;
}

bool gm_sink_emit_raw(struct gm_sink *s, const char *topic,
	const char *key, size_t klen, const char *data, size_t len)
{
	if (s->pg)  /* counted when its batch commits */
		return gm_pg_add(s->pg, data, len) || !gm_pg_failed(s->pg);
	if (s->kp)  /* counted by its delivery report */
		return gm_kproducer_send(s->kp, s->topic ? s->topic : topic,
			key, klen, data, len);
	gm_counts.out++;
	gm_w_record(s->out, data, len);
	return !gm_writer_failed(s->out);
}

bool gm_sink_emit(struct gm_sink *s, const char *topic,
	const char *key, size_t klen)
{
	if (s->out) {
		gm_counts.out++;
		return !gm_writer_failed(s->out);
	}
	size_t len;
	const char *data = gm_writer_data(s->rec, &len);
	if (len > 0 && data[len - 1] == '\n')
		len--;
	bool ok = gm_sink_emit_raw(s, topic, key, klen, data, len);
	gm_writer_reset(s->rec);
	return ok;
}

bool gm_sink_flush(struct gm_sink *s)
{
	if (s->pg)
		return gm_pg_flush(s->pg);
	if (s->kp)
		return gm_kproducer_flush(s->kp, -1);
	return gm_writer_flush(s->out);
}

void gm_sink_poll(struct gm_sink *s)
{
	if (s->kp)
		gm_kproducer_poll(s->kp);
	else if (s->out)
		gm_writer_flush(s->out);
}

bool gm_checkpoint(struct gm_source *src, struct gm_sink *s)
{
	if (!gm_sink_flush(s))
		return false;
	gm_source_accept(src);
	return true;
}

int gm_sink_close(struct gm_sink *s)
{
	if (!s)
		return GM_EXIT_OK;
	int status = GM_EXIT_OK;
	if (s->pg) {
		status = gm_pg_close(s->pg);
		gm_writer_close(s->rec);
	} else if (s->kp) {
		status = gm_kproducer_close(s->kp);
		gm_writer_close(s->rec);
	} else if (!gm_writer_close(s->out)) {
		status = GM_EXIT_FAIL;
	}
	free(s);
	return status;
}

/* sink: NDJSON, Kafka or PostgreSQL behind one interface; see sink.h.
 *
 * Each backend is a table of operations (struct backend); schemes[] maps
 * how an output spec starts to its backend. The calls of sink.h only
 * look the operation up: no call knows the backends. */
#include "sink.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "event.h"
#include "kafka.h"
#include "mem.h"
#include "pg.h"
#include "source.h"

/* One backend. State is what open returned; every operation gets it. */
struct backend {
	/* Opens for arg (the spec, or what follows its prefix: see
	 * schemes[]). Returns the state, or NULL after gm_error() with
	 * *status GM_EXIT_FAIL or GM_EXIT_TEMPFAIL (server unreachable). */
	void *(*open)(const struct gm_common *c, const char *arg, int *status);
	/* The writer a record is built on, when the backend writes it
	 * there at once (emit then only counts it); NULL when records are
	 * built in memory and handed over whole to emit_raw. */
	struct gm_writer *(*writer)(void *state);
	bool (*emit)(void *state);        /* only with writer */
	bool (*emit_raw)(void *state, const char *topic, const char *key,
		size_t klen, const char *data, size_t len);
	/* For a record already parsed; NULL: emit_raw of its bytes. */
	bool (*emit_event)(void *state, const char *topic, const char *key,
		size_t klen, const struct gm_event *ev);
	bool (*flush)(void *state);
	void (*poll)(void *state);        /* NULL: nothing to hand over */
	/* gm_sink_internal(); NULL: the backend cannot leave its records
	 * out of the counts. */
	void (*internal)(void *state);
	int (*close)(void *state);        /* frees state; an exit status */
};

struct gm_sink {
	const struct backend *ops;
	void *state;
	struct gm_writer *mem;   /* where records are built when ops->writer
	                            is NULL; else NULL */
};

/* ---- NDJSON: a file, or stdout ---- */

struct ndjson_sink {
	struct gm_writer *w;
	bool internal;           /* gm_sink_internal(): not counted */
};

static void *ndjson_open(const struct gm_common *c, const char *arg, int *status)
{
	*status = GM_EXIT_FAIL;
	struct gm_writer *w = gm_writer_open(arg ? arg : "-", c->unbuffered);
	if (!w)
		return NULL;
	struct ndjson_sink *n = gm_xcalloc(1, sizeof *n);
	n->w = w;
	return n;
}

static struct gm_writer *ndjson_writer(void *state)
{
	return ((struct ndjson_sink *)state)->w;
}

static bool ndjson_emit(void *state)
{
	struct ndjson_sink *n = state;
	if (!n->internal)
		gm_counts_add(&gm_counts.out, 1);
	return !gm_writer_failed(n->w);
}

static bool ndjson_emit_raw(void *state, const char *topic, const char *key,
	size_t klen, const char *data, size_t len)
{
	(void)topic, (void)key, (void)klen;
	gm_w_record(ndjson_writer(state), data, len);
	return ndjson_emit(state);
}

static bool ndjson_flush(void *state)
{
	return gm_writer_flush(ndjson_writer(state));
}

static void ndjson_poll(void *state)
{
	gm_writer_flush(ndjson_writer(state));
}

static void ndjson_internal(void *state)
{
	((struct ndjson_sink *)state)->internal = true;
}

static int ndjson_close(void *state)
{
	struct ndjson_sink *n = state;
	int status = gm_writer_close(n->w) ? GM_EXIT_OK : GM_EXIT_FAIL;
	free(n);
	return status;
}

static const struct backend ndjson = {
	.open = ndjson_open, .writer = ndjson_writer, .emit = ndjson_emit,
	.emit_raw = ndjson_emit_raw, .flush = ndjson_flush,
	.poll = ndjson_poll, .internal = ndjson_internal, .close = ndjson_close,
};

/* ---- Kafka ---- */

struct kafka_sink {
	struct gm_kproducer *kp;
	const char *topic;       /* the one topic the spec named, or NULL */
};

static void *kafka_open(const struct gm_common *c, const char *arg, int *status)
{
	struct gm_kproducer *kp = gm_kproducer_new(c, status);
	if (!kp)
		return NULL;
	struct kafka_sink *k = gm_xcalloc(1, sizeof *k);
	k->kp = kp;
	k->topic = *arg ? arg : NULL;
	return k;
}

/* Counted by its delivery report. */
static bool kafka_emit_raw(void *state, const char *topic, const char *key,
	size_t klen, const char *data, size_t len)
{
	struct kafka_sink *k = state;
	return gm_kproducer_send(k->kp, k->topic ? k->topic : topic, key, klen, data, len);
}

static bool kafka_flush(void *state)
{
	return gm_kproducer_flush(((struct kafka_sink *)state)->kp, -1);
}

static void kafka_poll(void *state)
{
	gm_kproducer_poll(((struct kafka_sink *)state)->kp);
}

static void kafka_internal(void *state)
{
	gm_kproducer_internal(((struct kafka_sink *)state)->kp);
}

static int kafka_close(void *state)
{
	struct kafka_sink *k = state;
	int status = gm_kproducer_close(k->kp);
	free(k);
	return status;
}

static const struct backend kafka = {
	.open = kafka_open, .emit_raw = kafka_emit_raw, .flush = kafka_flush,
	.poll = kafka_poll, .internal = kafka_internal, .close = kafka_close,
};

/* ---- PostgreSQL: rows counted when their batch commits ---- */

static void *pg_open(const struct gm_common *c, const char *arg, int *status)
{
	return gm_pg_open(arg, c->retry_ms, status);
}

/* A refused record is not a failed sink: only a failed flush is. */
static bool pg_emit_raw(void *state, const char *topic, const char *key,
	size_t klen, const char *data, size_t len)
{
	(void)topic, (void)key, (void)klen;
	return gm_pg_add(state, data, len) || !gm_pg_failed(state);
}

static bool pg_emit_event(void *state, const char *topic, const char *key,
	size_t klen, const struct gm_event *ev)
{
	(void)topic, (void)key, (void)klen;
	return gm_pg_add_event(state, ev) || !gm_pg_failed(state);
}

static bool pg_flush(void *state)
{
	return gm_pg_flush(state);
}

static int pg_close(void *state)
{
	return gm_pg_close(state);
}

static const struct backend postgresql = {
	.open = pg_open, .emit_raw = pg_emit_raw, .emit_event = pg_emit_event,
	.flush = pg_flush, .close = pg_close,
};

/* ---- the schemes ---- */

static const struct scheme {
	const char *prefix;      /* how the spec starts; NULL (last): any
	                            other spec, a file path, "-" or none */
	bool whole;              /* open gets the whole spec, not what
	                            follows prefix */
	bool alias;              /* another spelling of the scheme above,
	                            not named in messages */
	const struct backend *ops;
} schemes[] = {
	{ "kafka:", false, false, &kafka },
	{ "postgresql://", true, false, &postgresql },  /* a libpq URI */
	{ "postgres://", true, true, &postgresql },
	{ "pg:", false, false, &postgresql },           /* a libpq conninfo */
	{ NULL, true, false, &ndjson },
};
#define NSCHEMES (sizeof schemes / sizeof *schemes)

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

/* Ends the process (usage) for a spec of a URI scheme no entry has: not
 * a file name, but a wish for a sink gm has not. The rest of the spec
 * may hold a password: only the scheme is shown. */
static _Noreturn void refuse_scheme(const char *spec, size_t n)
{
	char known[256] = "files, -";
	size_t named = 0, last = 0;
	for (size_t i = 0; schemes[i].prefix; i++)
		if (!schemes[i].alias)
			named++, last = i;
	for (size_t i = 0; schemes[i].prefix; i++)
		if (!schemes[i].alias)
			snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
				named > 1 && i == last ? " and " : ", ", schemes[i].prefix);
	gm_die(GM_EXIT_USAGE, NULL, "output %.*s://...: not supported; gm writes %s",
		(int)n, spec, known);
}

/* The entry for spec. A spec "scheme://..." is only taken by the entry
 * whose prefix is that scheme and "://". */
static const struct scheme *scheme_for(const char *spec)
{
	size_t n = uri_scheme(spec);
	for (size_t i = 0; i < NSCHEMES - 1; i++) {
		size_t plen = strlen(schemes[i].prefix);
		if (spec && (!n || plen == n + 3) && !strncmp(spec, schemes[i].prefix, plen))
			return &schemes[i];
	}
	if (n)
		refuse_scheme(spec, n);
	return &schemes[NSCHEMES - 1];
}

static struct gm_sink *open_sink(const struct gm_common *c, const struct scheme *sc,
	const char *spec)
{
	int status = GM_EXIT_FAIL;
	void *state = sc->ops->open(c, sc->whole ? spec : spec + strlen(sc->prefix), &status);
	if (!state) {
		if (status == GM_EXIT_TEMPFAIL)
			exit(GM_EXIT_TEMPFAIL);   /* nothing read yet: nothing lost */
		return NULL;
	}
	struct gm_sink *s = gm_xcalloc(1, sizeof *s);
	s->ops = sc->ops;
	s->state = state;
	if (!s->ops->writer)
		s->mem = gm_writer_mem();
	return s;
}

struct gm_sink *gm_sink_open(const struct gm_common *c, const char *spec)
{
	return open_sink(c, scheme_for(spec), spec);
}

struct gm_sink *gm_sink_open_internal(const struct gm_common *c, const char *spec,
	const char *opt)
{
	const struct scheme *sc = scheme_for(spec);
	if (!sc->ops->internal)
		gm_die(GM_EXIT_USAGE, NULL, "%s %s: not supported; it takes files, - and kafka:",
			opt, sc->prefix);
	struct gm_sink *s = open_sink(c, sc, spec);
	if (s)
		sc->ops->internal(s->state);
	return s;
}

struct gm_writer *gm_sink_writer(struct gm_sink *s)
{
	return s->mem ? s->mem : s->ops->writer(s->state);
}

bool gm_sink_emit_raw(struct gm_sink *s, const char *topic,
	const char *key, size_t klen, const char *data, size_t len)
{
	return s->ops->emit_raw(s->state, topic, key, klen, data, len);
}

bool gm_sink_emit_event(struct gm_sink *s, const char *topic,
	const char *key, size_t klen, const struct gm_event *ev)
{
	if (!s->ops->emit_event)
		return s->ops->emit_raw(s->state, topic, key, klen, ev->raw, ev->rawlen);
	return s->ops->emit_event(s->state, topic, key, klen, ev);
}

bool gm_sink_emit(struct gm_sink *s, const char *topic,
	const char *key, size_t klen)
{
	if (!s->mem)
		return s->ops->emit(s->state);
	size_t len;
	const char *data = gm_writer_data(s->mem, &len);
	if (len > 0 && data[len - 1] == '\n')
		len--;
	bool ok = s->ops->emit_raw(s->state, topic, key, klen, data, len);
	gm_writer_reset(s->mem);
	return ok;
}

bool gm_sink_flush(struct gm_sink *s)
{
	return s->ops->flush(s->state);
}

void gm_sink_poll(struct gm_sink *s)
{
	if (s->ops->poll)
		s->ops->poll(s->state);
}

bool gm_checkpoint(struct gm_source *src, struct gm_sink *s)
{
	if (!gm_sink_flush(s))
		return false;
	gm_source_accept(src);
	return true;
}

bool gm_sink_listed_before(struct gm_sink *const *sinks, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (sinks[j] == sinks[i])
			return true;
	return false;
}

int gm_sink_close(struct gm_sink *s)
{
	if (!s)
		return GM_EXIT_OK;
	int status = s->ops->close(s->state);
	gm_writer_close(s->mem);
	free(s);
	return status;
}

/* ahead: see ahead.h. A ring of AHEAD_BATCHES batches: the thread fills
 * them in turn, the main thread takes them in the same turn and gives
 * each back. A batch's alerts are copied (intake.h) straight into its
 * chunks of memory, kept from one filling to the next, so that a batch
 * costs no allocation once the ring has seen the largest. */
#include "ahead.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "event.h"
#include "intake.h"
#include "mem.h"

/* A batch ends after this many records, or this long after its first
 * (so that a steady stream is still handed on in good time), or when
 * nothing more has come. */
#define AHEAD_RECORDS 1024
#define AHEAD_MS 20
#define AHEAD_BATCHES 4
#define CHUNK ((size_t)256 << 10)

struct chunk {
	char *p;
	size_t size;
};

struct slot {
	struct ahead_batch b;
	struct note_alert *alerts;
	size_t cap;
	struct chunk *chunks;
	size_t nchunks, chunkcap;
	size_t used, at;            /* chunks in use; bytes used of the last */
};

struct ahead {
	struct gm_source *src;
	int idle_ms;
	pthread_t thread;
	pthread_mutex_t m;
	pthread_cond_t filled, emptied;
	uint64_t nfilled, ntaken;   /* batches handed on, given back */
	bool stop;
	struct slot slots[AHEAD_BATCHES];
};

/* n bytes of s's chunks, aligned as a pointer (intake's alloc). */
static void *slot_mem(void *ctx, size_t n)
{
	struct slot *s = ctx;
	n = (n + sizeof(void *) - 1) & ~(sizeof(void *) - 1);
	if (s->used && s->at + n <= s->chunks[s->used - 1].size) {
		void *p = s->chunks[s->used - 1].p + s->at;
		s->at += n;
		return p;
	}
	if (s->used == s->nchunks) {
		s->chunks = gm_grow(s->chunks, &s->chunkcap, s->nchunks + 1, sizeof *s->chunks, 8);
		s->chunks[s->nchunks++] = (struct chunk){ 0 };
	}
	struct chunk *c = &s->chunks[s->used++];
	if (c->size < n) {
		/* An alert larger than a chunk has one its size. */
		free(c->p);
		c->size = n > CHUNK ? n : CHUNK;
		c->p = gm_xrealloc(NULL, c->size);
	}
	s->at = n;
	return c->p;
}

static bool stopped(struct ahead *a)
{
	pthread_mutex_lock(&a->m);
	bool stop = a->stop;
	pthread_mutex_unlock(&a->m);
	return stop;
}

/* Fills s with what is read, as ahead_batch says. */
static void fill(struct ahead *a, struct slot *s, struct gm_parser *ps, struct intake *in)
{
	s->b.n = 0;
	s->used = s->at = 0;
	in->ctx = s;
	enum gm_next st = GM_NEXT_RECORD;
	int64_t until = INT64_MAX;
	for (size_t k = 0; k < AHEAD_RECORDS && (!k || gm_now_coarse_ms() < until);) {
		struct gm_record rec;
		const struct gm_event *ev;
		st = gm_source_next_event(a->src, ps, &rec, &ev, k ? 0 : a->idle_ms);
		if (st == GM_NEXT_IDLE) {
			st = GM_NEXT_RECORD;
			if (k || stopped(a))
				break;
			continue;
		}
		if (st != GM_NEXT_RECORD)
			break;
		if (!k++)
			until = gm_now_coarse_ms() + AHEAD_MS;
		if (ev->type != GM_ALERT)
			continue;   /* another type: ignored, as by every tool */
		s->alerts = gm_grow(s->alerts, &s->cap, s->b.n + 1, sizeof *s->alerts, 256);
		char why[160];
		if (intake_read(in, ev, &s->alerts[s->b.n], why, sizeof why))
			s->b.n++;
		else if (!gm_source_reject(a->src, &rec, why)) {
			st = GM_NEXT_ERROR;
			break;
		}
	}
	s->b.alerts = s->alerts;
	s->b.end = st;
}

static void *reading(void *arg)
{
	struct ahead *a = arg;
	struct gm_parser *ps = gm_parser_new();
	struct intake in = { .alloc = slot_mem };
	enum gm_next st = GM_NEXT_RECORD;
	while (st == GM_NEXT_RECORD) {
		pthread_mutex_lock(&a->m);
		while (!a->stop && a->nfilled - a->ntaken == AHEAD_BATCHES)
			pthread_cond_wait(&a->emptied, &a->m);
		bool stop = a->stop;
		pthread_mutex_unlock(&a->m);
		if (stop)
			break;
		struct slot *s = &a->slots[a->nfilled % AHEAD_BATCHES];
		fill(a, s, ps, &in);
		st = s->b.end;
		pthread_mutex_lock(&a->m);
		a->nfilled++;
		pthread_cond_signal(&a->filled);
		pthread_mutex_unlock(&a->m);
	}
	intake_free(&in);
	gm_parser_free(ps);
	return NULL;
}

struct ahead *ahead_start(struct gm_source *src, int idle_ms)
{
	struct ahead *a = gm_xcalloc(1, sizeof *a);
	a->src = src;
	a->idle_ms = idle_ms;
	pthread_mutex_init(&a->m, NULL);
	gm_cond_init(&a->filled);
	gm_cond_init(&a->emptied);
	/* The reading sees a stop through gm_stopping() or ahead_stop(), at
	 * most idle_ms late. */
	gm_thread_start(&a->thread, reading, a, "the reading thread");
	return a;
}

const struct ahead_batch *ahead_next(struct ahead *a, int wait_ms)
{
	struct timespec ts = gm_mono_at(gm_now_ms() + wait_ms);
	pthread_mutex_lock(&a->m);
	while (a->nfilled == a->ntaken && wait_ms > 0)
		if (pthread_cond_timedwait(&a->filled, &a->m, &ts) == ETIMEDOUT)
			break;
	const struct ahead_batch *b = a->nfilled > a->ntaken ? &a->slots[a->ntaken % AHEAD_BATCHES].b : NULL;
	pthread_mutex_unlock(&a->m);
	return b;
}

void ahead_done(struct ahead *a)
{
	pthread_mutex_lock(&a->m);
	a->ntaken++;
	pthread_cond_signal(&a->emptied);
	pthread_mutex_unlock(&a->m);
}

void ahead_stop(struct ahead *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&a->m);
	a->stop = true;
	pthread_cond_signal(&a->emptied);
	pthread_mutex_unlock(&a->m);
	pthread_join(a->thread, NULL);
	for (size_t i = 0; i < AHEAD_BATCHES; i++) {
		struct slot *s = &a->slots[i];
		for (size_t k = 0; k < s->nchunks; k++)
			free(s->chunks[k].p);
		free(s->chunks);
		free(s->alerts);
	}
	pthread_mutex_destroy(&a->m);
	pthread_cond_destroy(&a->filled);
	pthread_cond_destroy(&a->emptied);
	free(a);
}

/* deliver: see deliver.h. One lock guards the queues, the buckets and
 * the results; a worker holds it only to take, to wait and to report,
 * never while it sends. */
#include "deliver.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "hash.h"
#include "mem.h"
#include "send.h"

struct item {
	struct note *note;
	struct item *next;
};

struct bucket {
	double tokens;
	int64_t refilled;          /* ms, monotonic */
	int64_t paused_until;      /* a server's Retry-After, for every config of the receiver */
};

struct worker {
	struct deliver *d;
	size_t receiver;
	pthread_t thread;
	bool started;
	pthread_cond_t cv;
	struct item *head, *tail;
	uint64_t jitter;           /* the state of its own generator */
};

struct deliver {
	const struct conf *c;
	struct deliver_opts o;
	pthread_mutex_t m;
	pthread_cond_t done_cv;
	bool stop;
	struct worker *w;          /* by receiver, then kind, then index */
	size_t nw;
	size_t *first;             /* per receiver: its first worker */
	struct bucket *buckets;    /* per receiver */
	struct deliver_result *res;
	size_t nres, rescap;
	size_t pending;
};

/* Waits on cv until ms or a stop; with d->m held. */
static void sleep_until(struct deliver *d, pthread_cond_t *cv, int64_t ms)
{
	struct timespec ts = gm_mono_at(ms);
	while (!d->stop && gm_now_ms() < ms)
		if (pthread_cond_timedwait(cv, &d->m, &ts))
			break;
}

static size_t worker_of(const struct deliver *d, const struct note *n)
{
	size_t r = (size_t)(n->receiver - d->c->receivers);
	size_t at = d->first[r];
	for (enum note_kind k = 0; k < n->kind; k++)
		at += note_integrations(n->receiver, k);
	return at + n->index;
}

/* Takes a token of receiver r's bucket, waiting for it; false when
 * stopped first. With d->m held. */
static bool take_token(struct worker *w)
{
	struct deliver *d = w->d;
	const struct conf_receiver *r = &d->c->receivers[w->receiver];
	struct bucket *b = &d->buckets[w->receiver];
	while (!d->stop && gm_now_ms() < b->paused_until)
		sleep_until(d, &w->cv, b->paused_until);
	if (r->rate <= 0)
		return !d->stop;
	while (!d->stop) {
		int64_t now = gm_now_ms();
		b->tokens += (double)(now - b->refilled) * r->rate / 1000.0;
		if (b->tokens > r->burst)
			b->tokens = r->burst;
		b->refilled = now;
		if (b->tokens >= 1) {
			b->tokens -= 1;
			return true;
		}
		double wait = (1 - b->tokens) * 1000.0 / r->rate;   /* a tiny rate: a day at most */
		sleep_until(d, &w->cv, now + (int64_t)(wait < 86400000.0 ? wait : 86400000.0) + 1);
	}
	return false;
}

/* The wait after failed attempt number attempt (from 1): backoff_ms
 * doubled each time, capped, of which a random half is left out, so
 * that integrations failing together do not retry together. */
static long long backoff(struct worker *w, unsigned attempt)
{
	long long base = w->d->o.backoff_ms;
	for (unsigned i = 1; i < attempt && base < w->d->o.backoff_max_ms; i++)
		base *= 2;
	if (base > w->d->o.backoff_max_ms)
		base = w->d->o.backoff_max_ms;
	w->jitter = gm_hash_u64(w->jitter + 1);
	return base - (long long)(w->jitter % (uint64_t)(base / 2 + 1));
}

static void report(struct deliver *d, const struct item *it, bool delivered, unsigned attempts,
	const char *why)
{
	d->res = gm_grow(d->res, &d->rescap, d->nres + 1, sizeof *d->res, 16);
	struct deliver_result *r = &d->res[d->nres++];
	*r = (struct deliver_result){ .note = it->note, .delivered = delivered,
		.attempts = attempts };
	if (why)
		snprintf(r->why, sizeof r->why, "%s", why);
	pthread_cond_broadcast(&d->done_cv);
}

/* Delivers it, attempt after attempt; with d->m held, let go while
 * sending. Returns false when stopped before an answer. */
static bool attempt_all(struct worker *w, struct item *it)
{
	struct deliver *d = w->d;
	const struct conf_receiver *r = it->note->receiver;
	long long retry_for = r->retry_for >= 0 ? r->retry_for : d->o.retry_for_ms;
	int64_t start = gm_now_ms();
	struct send_options so = { .timeout_ms = d->o.timeout_ms };
	for (unsigned attempt = 1;; attempt++) {
		if (!take_token(w))
			return false;
		pthread_mutex_unlock(&d->m);
		struct send_result res;
		send_notification(it->note, &so, &res);
		pthread_mutex_lock(&d->m);
		if (res.status == SEND_OK) {
			report(d, it, true, attempt, NULL);
			return true;
		}
		/* The delay a server asked for (never less than the first
		 * backoff: "Retry-After: 0" is no reason to hammer it), which
		 * pauses every config of the receiver, or else the backoff. */
		long long wait = res.retry_after_ms >= 0 ?
			(res.retry_after_ms > d->o.backoff_ms ? res.retry_after_ms : d->o.backoff_ms) :
			backoff(w, attempt);
		int64_t now = gm_now_ms();
		if (res.status == SEND_FAIL || wait > start + retry_for - now) {
			report(d, it, false, attempt, res.why);
			return true;
		}
		/* now is whole milliseconds, up to one short of the time the
		 * answer came: one more, so that the wait is never shorter
		 * than the server asked. */
		wait++;
		if (res.retry_after_ms >= 0 && now + wait > d->buckets[w->receiver].paused_until)
			d->buckets[w->receiver].paused_until = now + wait;
		sleep_until(d, &w->cv, now + wait);
		if (d->stop)
			return false;
	}
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct deliver *d = w->d;
	pthread_mutex_lock(&d->m);
	while (!d->stop) {
		struct item *it = w->head;
		if (!it) {
			pthread_cond_wait(&w->cv, &d->m);
			continue;
		}
		if (!attempt_all(w, it))
			break;
		w->head = it->next;
		if (!w->head)
			w->tail = NULL;
		free(it);
	}
	pthread_mutex_unlock(&d->m);
	send_thread_end();
	return NULL;
}

struct deliver *deliver_new(const struct conf *c, const struct deliver_opts *o)
{
	struct deliver *d = gm_xcalloc(1, sizeof *d);
	d->c = c;
	d->o = *o;
	if (d->o.backoff_ms <= 0)
		d->o.backoff_ms = 1;
	if (d->o.backoff_max_ms < d->o.backoff_ms)
		d->o.backoff_max_ms = d->o.backoff_ms;
	d->first = gm_xcalloc(c->nreceivers + 1, sizeof *d->first);
	d->buckets = gm_xcalloc(c->nreceivers + 1, sizeof *d->buckets);
	for (size_t r = 0; r < c->nreceivers; r++) {
		d->first[r] = d->nw;
		for (enum note_kind k = 0; k < NOTE_NKINDS; k++)
			d->nw += note_integrations(&c->receivers[r], k);
		d->buckets[r] = (struct bucket){ .tokens = c->receivers[r].burst,
			.refilled = gm_now_ms() };
	}
	d->w = gm_xcalloc(d->nw + 1, sizeof *d->w);
	pthread_mutex_init(&d->m, NULL);
	gm_cond_init(&d->done_cv);
	for (size_t r = 0; r < c->nreceivers; r++) {
		size_t end = r + 1 < c->nreceivers ? d->first[r + 1] : d->nw;
		for (size_t i = d->first[r]; i < end; i++) {
			d->w[i] = (struct worker){ .d = d, .receiver = r,
				.jitter = gm_hash_u64(i) ^ (uint64_t)gm_now_ms() };
			gm_cond_init(&d->w[i].cv);
		}
	}
	return d;
}

void deliver_push(struct deliver *d, struct note *n)
{
	struct item *it = gm_xcalloc(1, sizeof *it);
	*it = (struct item){ .note = n };
	struct worker *w = &d->w[worker_of(d, n)];
	pthread_mutex_lock(&d->m);
	if (w->tail)
		w->tail->next = it;
	else
		w->head = it;
	w->tail = it;
	d->pending++;
	if (!w->started && !d->stop) {
		gm_thread_start(&w->thread, work, w, "a delivery thread");
		w->started = true;
	}
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&d->m);
}

size_t deliver_take(struct deliver *d, struct deliver_result *out, size_t max)
{
	pthread_mutex_lock(&d->m);
	size_t n = d->nres < max ? d->nres : max;
	if (n) {   /* d->res is NULL before the first result */
		memcpy(out, d->res, n * sizeof *out);
		memmove(d->res, d->res + n, (d->nres - n) * sizeof *d->res);
		d->nres -= n;
		d->pending -= n;
	}
	pthread_mutex_unlock(&d->m);
	return n;
}

void deliver_wait(struct deliver *d, int64_t until_ms)
{
	pthread_mutex_lock(&d->m);
	struct timespec ts = gm_mono_at(until_ms);
	while (!d->nres && gm_now_ms() < until_ms)
		if (pthread_cond_timedwait(&d->done_cv, &d->m, &ts))
			break;
	pthread_mutex_unlock(&d->m);
}

size_t deliver_pending(const struct deliver *d)
{
	pthread_mutex_lock((pthread_mutex_t *)&d->m);
	size_t n = d->pending;
	pthread_mutex_unlock((pthread_mutex_t *)&d->m);
	return n;
}

void deliver_stop(struct deliver *d)
{
	pthread_mutex_lock(&d->m);
	d->stop = true;
	for (size_t i = 0; i < d->nw; i++)
		pthread_cond_broadcast(&d->w[i].cv);
	pthread_mutex_unlock(&d->m);
	for (size_t i = 0; i < d->nw; i++)
		if (d->w[i].started) {
			pthread_join(d->w[i].thread, NULL);
			d->w[i].started = false;
		}
}

void deliver_free(struct deliver *d)
{
	if (!d)
		return;
	deliver_stop(d);
	for (size_t i = 0; i < d->nw; i++) {
		struct worker *w = &d->w[i];
		for (struct item *it = w->head, *next; it; it = next) {
			next = it->next;
			free(it->note);
			free(it);
		}
		pthread_cond_destroy(&w->cv);
	}
	for (size_t i = 0; i < d->nres; i++)
		free(d->res[i].note);
	pthread_cond_destroy(&d->done_cv);
	pthread_mutex_destroy(&d->m);
	free(d->res);
	free(d->w);
	free(d->first);
	free(d->buckets);
	free(d);
}

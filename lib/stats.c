/* stats: the stats records of every tool; see stats.h. */
#include "stats.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "counts.h"
#include "rtype.h"
#include "sink.h"

static struct {
	struct gm_sink *sink;
	long long every_ms;
	char instance[300];
	uint64_t seq;
	int64_t started_ms;      /* wall clock at the start of the process */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct gm_stat values[GM_STATS_MAX_VALUES], spare;
static _Atomic size_t nvalues;


struct gm_stat *gm_stats_value(const char *name)
{
	size_t n = atomic_load(&nvalues);
	for (size_t i = 0; i < n; i++)
		if (!strncmp(values[i].name, name, GM_STAT_NAME_MAX - 1))
			return &values[i];
	if (n == GM_STATS_MAX_VALUES)
		return &spare;
	snprintf(values[n].name, sizeof values[n].name, "%s", name);
	atomic_store(&nvalues, n + 1);   /* the name is there before the count */
	return &values[n];
}

/* One record, by whichever thread writes now (the stats thread, or the
 * main one at the end, once the other has stopped). */
static void put(bool final)
{
	struct gm_writer *w = gm_sink_writer(st.sink);
	char id[512];
	uint64_t seq = ++st.seq;
	int idn = snprintf(id, sizeof id, "%s/%s/%llu", gm_prog, st.instance,
		(unsigned long long)seq);
	gm_w_obj_begin(w);
	GM_W_KLIT(w, "type", "stats");
	GM_W_KSTR(w, "stats_id", id, (size_t)idn);
	GM_W_KTS(w, "ts", gm_wall_ms());
	GM_W_KCSTR(w, "tool", gm_prog);
	GM_W_KCSTR(w, "instance", st.instance);
	GM_W_KU64(w, "seq", seq);
	GM_W_KTS(w, "started", st.started_ms);
	GM_W_KEY(w, "uptime_s");
	gm_w_double(w, gm_now_seconds() - gm_counts.started);
	GM_W_KEY(w, "interval_s");
	gm_w_double(w, st.every_ms / 1e3);
	GM_W_KBOOL(w, "final", final);
	GM_W_KU64(w, "in", atomic_load_explicit(&gm_counts.in, memory_order_relaxed));
	GM_W_KU64(w, "out", atomic_load_explicit(&gm_counts.out, memory_order_relaxed));
	GM_W_KU64(w, "undelivered", atomic_load_explicit(&gm_counts.undelivered, memory_order_relaxed));
	GM_W_KU64(w, "rejected", atomic_load_explicit(&gm_counts.rejected, memory_order_relaxed));
	GM_W_KU64(w, "late", atomic_load_explicit(&gm_counts.late, memory_order_relaxed));
	GM_W_KEY(w, "values");
	gm_w_obj_begin(w);
	size_t n = atomic_load(&nvalues);
	for (size_t i = 0; i < n; i++)
		if (atomic_load_explicit(&values[i].set, memory_order_relaxed))
			gm_w_ki64(w, values[i].name,
				atomic_load_explicit(&values[i].value, memory_order_relaxed));
	gm_w_obj_end(w);
	gm_w_end(w);
	gm_sink_emit(st.sink, gm_rtype_stats.topic, gm_prog, strlen(gm_prog));
	gm_sink_poll(st.sink);
}

static void *run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&st.lock);
	int64_t due_ms = gm_now_ms();
	while (!st.stop) {
		due_ms += st.every_ms;
		struct timespec due = gm_mono_at(due_ms);
		while (!st.stop && pthread_cond_timedwait(&st.wake, &st.lock, &due) == 0)
			;
		if (st.stop)
			break;
		pthread_mutex_unlock(&st.lock);
		put(false);
		pthread_mutex_lock(&st.lock);
	}
	pthread_mutex_unlock(&st.lock);
	return NULL;
}

void gm_stats_start(const struct gm_common *c, const char *usage)
{
	if (!c->stats) {
		if (c->stats_every_ms)
			gm_usage_error(usage, "--stats-every: goes with --stats");
		return;
	}
	st.sink = gm_sink_open_internal(c, c->stats, "--stats");
	if (!st.sink)
		exit(GM_EXIT_FAIL);
	st.every_ms = c->stats_every_ms ? c->stats_every_ms : GM_STATS_EVERY_MS;
	char host[256] = "";
	if (gethostname(host, sizeof host - 1))
		strcpy(host, "localhost");
	snprintf(st.instance, sizeof st.instance, "%s:%ld", host, (long)getpid());
	st.started_ms = gm_wall_ms() - (int64_t)((gm_now_seconds() - gm_counts.started) * 1e3);

	gm_cond_init(&st.wake);
	gm_thread_start(&st.thread, run, NULL, "--stats's thread");
}

int gm_stats_finish(void)
{
	if (!st.sink)
		return GM_EXIT_OK;
	pthread_mutex_lock(&st.lock);
	st.stop = true;
	pthread_cond_signal(&st.wake);
	pthread_mutex_unlock(&st.lock);
	pthread_join(st.thread, NULL);
	put(true);
	int status = gm_sink_close(st.sink);
	st.sink = NULL;
	return status;
}

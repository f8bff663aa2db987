/* gm-notify: delivers the alerts of the gm tools by email, Slack,
 * webhook, SMS and file, routed and grouped as Alertmanager does, from a
 * configuration in Alertmanager's terms (gm-notify.conf(5)).
 *
 * The main thread runs the engine (group.h) on the alerts read (from
 * files and stdin by a thread of their own, ahead.h; from Kafka by the
 * main thread) on its clock: the wall clock, or with --replay the
 * alerts' event time. The
 * notifications the engine makes are logged in flight in the state file
 * before they are handed to the delivery threads (deliver.h), and logged
 * done when they come back, so that a run that stops, even by kill -9,
 * resends what was in flight and nothing else. A notification given up
 * on goes to the dead-letter file, then to its receiver's fallback. */
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ahead.h"
#include "check.h"
#include "cli.h"
#include "clock.h"
#include "conf.h"
#include "counts.h"
#include "deliver.h"
#include "event.h"
#include "finish.h"
#include "group.h"
#include "intake.h"
#include "mem.h"
#include "nlog.h"
#include "note.h"
#include "offsets.h"
#include "rejects.h"
#include "send.h"
#include "silence.h"
#include "silence_cmd.h"
#include "source.h"
#include "writer.h"
#include "stats.h"

static const char usage[] =
	"usage: gm-notify [-h] -c FILE --check\n"
	"       gm-notify [-hq] -c FILE [--replay] [--state FILE] [-s FILE]\n"
	"                 [--dead-letter FILE] [--retry-for DURATION] [--timeout DURATION]\n"
	"                 [--stats OUT] [--stats-every DURATION]\n"
	"                 [--resolvable KIND,...] [--max-alerts N]\n"
	"                 [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"                 [-b BROKERS] [-G GROUP] [-X KEY=VALUE]... [-t TOPIC]... [-e]\n"
	"                 [-f] [FILE...]\n"
	"       " SYN_ADD "       " SYN_LIST "       " SYN_EXPIRE;

enum {
	OPT_CHECK = 0x2000, OPT_REPLAY, OPT_STATE, OPT_DEAD_LETTER, OPT_TIMEOUT,
	OPT_RESOLVABLE, OPT_MAX_ALERTS,
};

/* The main loop's rhythm: records taken in one batch before the engine's
 * notifications are logged and handed out, and the longest wait for
 * input before results and timers are looked at again. */
#define BATCH_RECORDS 4096
#define BATCH_MS 20
#define IDLE_MS 50
#define SILENCES_CHECK_MS 1000
#define RESULTS_MAX 256
#define COMMIT_MS 1000
#define SAVE_MS 1000
#define REVOKE_WAIT_MS 10000


struct run {
	const struct conf *c;
	struct group_engine *e;
	struct deliver *d;
	const char *state, *silences_path, *dead_path;
	struct silences sil;
	struct timespec sil_mtime;
	int64_t sil_checked;
	bool replay;
	int64_t clock;             /* the engine's time: the latest alert's, with --replay */
	struct note **fresh;       /* notifications made, not yet logged and handed out */
	size_t nfresh, freshcap;
	bool dirty;                /* the engine changed since the last save */
	uint64_t delivered, dead, fallback_sent, retries;
	struct gm_stat *st_delivered, *st_dead, *st_retries;   /* stats.h */
	int status;
	struct gm_source *src;
	struct offsets *offsets;   /* Kafka's */
	int64_t committed_at;      /* monotonic ms of the last commit() */
	int64_t saved_at;          /* monotonic ms of the last save() */
	struct group_stats loaded; /* the counters as the state file had them */
	size_t max_alerts;
	uint64_t evicted_warned;   /* evictions when last warned of */
};


/* The engine's time now: the wall clock live; with --replay the latest
 * alert's time, which only the alerts move. */
static int64_t now_of(const struct run *run)
{
	return run->replay ? run->clock : gm_wall_ms();
}

/* The engine's callback: a copy, kept until logged; its strings are
 * the engine's while it is in flight, which it is until collect()
 * reports it done, after its last use. */
static void on_note(void *ctx, const struct note *n)
{
	struct run *run = ctx;
	run->fresh = gm_grow(run->fresh, &run->freshcap, run->nfresh + 1, sizeof *run->fresh, 16);
	run->fresh[run->nfresh++] = note_share(n);
	run->dirty = true;
}

/* Saves the engine's state when it changed; a state that cannot be
 * written is a failure of the run, which goes on (what is in memory is
 * still delivered). */
static void save(struct run *run)
{
	if (!run->state || !run->dirty)
		return;
	if (!group_save(run->e, run->state))
		run->status = GM_EXIT_FAIL;
	run->dirty = false;
	run->saved_at = gm_now_ms();
}

/* Saves what was taken without a notification yet, at most once a
 * SAVE_MS: a restart then knows those alert ids. */
static void save_now_and_then(struct run *run)
{
	if (run->dirty && gm_now_ms() - run->saved_at >= SAVE_MS)
		save(run);
}

/* Logs the notifications made, then hands them out: a notification is
 * in the state file as in flight before any receiver can see it. */
static void hand_out(struct run *run)
{
	if (!run->nfresh)
		return;
	save(run);
	for (size_t i = 0; i < run->nfresh; i++)
		deliver_push(run->d, run->fresh[i]);
	run->nfresh = 0;
}

/* ---- given up on ---- */

/* Appends a line for n, given up on after attempts with why, to the
 * dead-letter file, synced: the notification, what the webhook would
 * have been sent, with where it was going and why it did not get there. */
static bool dead_letter(struct run *run, const struct deliver_result *r)
{
	const struct note *n = r->note;
	struct gm_writer *w = gm_writer_mem();
	gm_w_obj_begin(w);
	GM_W_KLIT(w, "type", "dead_letter");
	GM_W_KTS(w, "ts", gm_wall_ms());
	char hex[16];
	gm_format_hex64(n->id, hex);
	GM_W_KSTR(w, "notification_id", hex, 16);
	GM_W_KCSTR(w, "receiver", n->receiver->name);
	GM_W_KCSTR(w, "integration", note_kind_name(n->kind));
	GM_W_KU64(w, "index", n->index);
	GM_W_KU64(w, "attempts", r->attempts);
	GM_W_KCSTR(w, "error", r->why);
	GM_W_KBOOL(w, "fallback", n->fallback);
	size_t len;
	char *payload = send_webhook_payload(n, &len);
	while (len && payload[len - 1] == '\n')
		len--;
	GM_W_KEY(w, "notification");
	gm_w_json(w, payload, len);
	free(payload);
	gm_w_end(w);
	size_t n_out;
	const char *out = gm_writer_data(w, &n_out);
	int err = nlog_append(run->dead_path, out, n_out, true);
	gm_writer_close(w);
	if (err)
		gm_error(run->dead_path, "cannot write: %s", strerror(err));
	return !err;
}

/* Takes what delivery finished: delivered ones done; ones given up on
 * dead-lettered, then handed to their receiver's fallback, whose
 * notifications the engine logs in flight as any other, or done. */
static void collect(struct run *run)
{
	struct deliver_result res[RESULTS_MAX];
	size_t n, taken = 0;
	while ((n = deliver_take(run->d, res, RESULTS_MAX)) > 0) {
		taken += n;
		for (size_t i = 0; i < n; i++) {
			struct deliver_result *r = &res[i];
			run->retries += r->attempts > 1 ? r->attempts - 1 : 0;
			if (r->delivered) {
				run->delivered++;
				gm_counts_add(&gm_counts.out, 1);
				run->fallback_sent += r->note->fallback;
			} else {
				/* why names the receiver and its integration */
				gm_record_error(NULL, "given up after %u attempt%s: %s%s",
					r->attempts, r->attempts == 1 ? "" : "s", r->why,
					r->note->fallback ? " (a fallback)" : "");
				run->dead++;
				gm_counts_add(&gm_counts.undelivered, 1);
				run->status = GM_EXIT_FAIL;
				if (!dead_letter(run, r)) {
					/* Still in flight in the log: the next run tries it again. */
					free(r->note);
					continue;
				}
			}
			const struct conf_receiver *rc = r->note->receiver;
			if (!r->delivered && !r->note->fallback && rc->fallback)
				group_fallback(run->e, r->note->id, rc->fallback_index);
			else
				group_done(run->e, r->note->id, r->delivered);
			run->dirty = true;
			free(r->note);
		}
	}
	if (taken) {
		gm_stat_set(run->st_delivered, (int64_t)run->delivered);
		gm_stat_set(run->st_dead, (int64_t)run->dead);
		gm_stat_set(run->st_retries, (int64_t)run->retries);
		save(run);
	}
	hand_out(run);   /* the fallbacks' notifications, logged first */
}

/* ---- Kafka offsets ---- */

static void accept_partition(void *ctx, const char *topic, int32_t partition, int64_t before,
	const char *note)
{
	gm_source_accept_partition(ctx, topic, partition, before, note);
}

/* Accepts the partitions read up to what is settled (offsets.h), at
 * most once a COMMIT_MS unless now, after saving the state that settles
 * it. */
static void commit(struct run *run, bool now)
{
	int64_t mono = gm_now_ms();
	if (!run->src || (!now && mono - run->committed_at < COMMIT_MS))
		return;
	run->committed_at = mono;
	save(run);
	offsets_commit(run->offsets, run->e, accept_partition, run->src);
}

/* The partitions a rebalance takes away, for in_revoked(). */
struct revoked {
	struct run *run;
	const struct gm_kpartition *parts;
	size_t n;
};

static bool in_revoked(void *ctx, uint64_t mark)
{
	const struct revoked *r = ctx;
	return offsets_in(r->run->offsets, mark, r->parts, r->n);
}

/* Partitions taken away: the notifications in flight are given up to
 * REVOKE_WAIT_MS to finish, the partitions are committed up to what is
 * settled, with the note of what is not, and their alerts that no group
 * has notified yet are forgotten: their next reader notifies them, once. */
static void on_revoke(void *ctx, const struct gm_kpartition *parts, size_t n)
{
	struct run *run = ctx;
	hand_out(run);
	int64_t until = gm_now_ms() + REVOKE_WAIT_MS;
	while (deliver_pending(run->d) && !gm_stopping() && gm_now_ms() < until) {
		deliver_wait(run->d, until);
		collect(run);
	}
	collect(run);
	commit(run, true);
	struct revoked r = { run, parts, n };
	if (group_forget_marked(run->e, in_revoked, &r))
		run->dirty = true;
	save(run);
	offsets_revoked(run->offsets, parts, n);
}

static void on_assign(void *ctx, const struct gm_kpartition *parts, size_t n)
{
	struct run *run = ctx;
	offsets_assigned(run->offsets, parts, n);
}

/* ---- silences ---- */

/* Loads the silences file again when it changed (its mtime), at most
 * once a SILENCES_CHECK_MS of the monotonic clock. */
static void reload_silences(struct run *run, bool force)
{
	if (!run->silences_path)
		return;
	int64_t mono = gm_now_ms();
	if (!force && mono - run->sil_checked < SILENCES_CHECK_MS)
		return;
	run->sil_checked = mono;
	struct stat st;
	struct timespec mtime = { 0 };
	if (stat(run->silences_path, &st) == 0)
		mtime = st.st_mtim;
	if (!force && mtime.tv_sec == run->sil_mtime.tv_sec && mtime.tv_nsec == run->sil_mtime.tv_nsec)
		return;
	run->sil_mtime = mtime;
	struct silences fresh = { 0 };
	if (!silences_load(&fresh, run->silences_path)) {
		silences_free(&fresh);
		run->status = GM_EXIT_FAIL;   /* reported; the silences before stay */
		return;
	}
	silences_free(&run->sil);
	run->sil = fresh;
	if (run->e)
		group_silences_changed(run->e, now_of(run));
}

/* ---- options ---- */

/* A comma-separated list, split in place. */
static size_t split_kinds(char *s, const char **out, size_t max)
{
	size_t n = 0;
	for (char *tok = strtok(s, ","); tok && n < max; tok = strtok(NULL, ","))
		if (*tok)
			out[n++] = tok;
	return n;
}

/* The configuration at path, or NULL after each of its errors. */
static struct conf *load_conf(const char *path)
{
	struct conf_errors errs = { 0 };
	struct conf *c = conf_load(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		gm_error(NULL, "%s", errs.v[i]);
	conf_errors_free(&errs);
	return c;
}

/* What --check does: load, print. */
static int check(const char *path)
{
	struct conf *c = load_conf(path);
	if (!c)
		return GM_EXIT_USAGE;
	check_print(stdout, c);
	conf_free(c);
	return fflush(stdout) == 0 ? GM_EXIT_OK : GM_EXIT_FAIL;
}

/* ---- the run ---- */

/* The summary of what the alerts became, before gm_finish()'s line. */
static void summary(const struct run *run)
{
	struct group_stats st = group_stats(run->e);
	for (size_t i = 0; i <= GROUP_UNMATCHED; i++)
		st.taken[i] -= run->loaded.taken[i];
	char fallbacks[48] = "";
	if (run->fallback_sent)
		snprintf(fallbacks, sizeof fallbacks, " (%llu by a fallback)",
			(unsigned long long)run->fallback_sent);
	fprintf(stderr, "%s: %llu firing, %llu resolved, %llu duplicate, %llu repeated, "
		"%llu unmatched; %llu notifications delivered%s, %llu dead-lettered\n", gm_prog,
		(unsigned long long)st.taken[GROUP_FIRING], (unsigned long long)st.taken[GROUP_RESOLVED],
		(unsigned long long)st.taken[GROUP_DUPLICATE], (unsigned long long)st.taken[GROUP_REPEATED],
		(unsigned long long)st.taken[GROUP_UNMATCHED], (unsigned long long)run->delivered,
		fallbacks, (unsigned long long)run->dead);
}

/* Says when --max-alerts first made the engine drop firing alerts, and
 * then once for every further 10% of the limit dropped. */
static void warn_evicted(struct run *run)
{
	struct group_stats st = group_stats(run->e);
	uint64_t step = run->max_alerts / 10 + 1;
	if (st.evicted > run->evicted_warned &&
			(run->evicted_warned == run->loaded.evicted || st.evicted - run->evicted_warned >= step)) {
		gm_warn(NULL, "%llu firing alerts dropped so far, the oldest first: "
			"--max-alerts %zu is reached", (unsigned long long)st.evicted, run->max_alerts);
		run->evicted_warned = st.evicted;
	}
}

/* Takes a, an alert read, into the engine; with --replay its time moves
 * the clock. */
static void take(struct run *run, const struct note_alert *a, uint64_t mark)
{
	if (run->replay && a->ts > run->clock)
		run->clock = a->ts;
	group_take_marked(run->e, a, now_of(run), mark);
	run->dirty = true;
}

/* What follows each batch of input: the timers, the notifications made
 * logged and handed out, what delivery finished taken back, the state
 * saved and the offsets committed now and then. */
static void after_batch(struct run *run)
{
	group_tick(run->e, now_of(run));
	hand_out(run);
	collect(run);
	warn_evicted(run);
	save_now_and_then(run);
	commit(run, false);
	reload_silences(run, false);
}

/* The longest wait for input: IDLE_MS, and live no later than the
 * engine's next timer. */
static int idle_of(const struct run *run)
{
	int64_t next = group_next(run->e), now = now_of(run);
	if (!run->replay && next != INT64_MAX && next - now < IDLE_MS)
		return next > now ? (int)(next - now) : 0;
	return IDLE_MS;
}

/* Reads alerts from Kafka into the engine until the input ends or a
 * signal comes, logging and handing out notifications as they are made
 * and taking back what delivery finished. Returns false on a fatal input
 * error. */
static bool read_kafka(struct run *run, struct gm_source *src)
{
	struct gm_parser *ps = gm_parser_new();
	struct intake in = { 0 };
	struct gm_record rec;
	const struct gm_event *ev;
	enum gm_next st = GM_NEXT_RECORD;
	while (st != GM_NEXT_END && st != GM_NEXT_ERROR) {
		int64_t batch_end = INT64_MAX;
		for (size_t k = 0; k < BATCH_RECORDS && gm_now_coarse_ms() < batch_end; k++) {
			/* The first read waits for input, at most until the
			 * engine's next timer; the others take only what has
			 * come, so that an alert is handed on at once. */
			st = gm_source_next_event(src, ps, &rec, &ev, k ? 0 : idle_of(run));
			if (st != GM_NEXT_RECORD)
				break;
			if (k == 0)
				batch_end = gm_now_coarse_ms() + BATCH_MS;
			if (offsets_settled(run->offsets, &rec))
				continue;   /* notified by the reader before, its commit says */
			uint64_t mark = offsets_mark(run->offsets, &rec);
			if (ev->type != GM_ALERT)
				continue;   /* another type: ignored, as by every tool */
			struct note_alert a;
			char why[160];
			if (!intake_read(&in, ev, &a, why, sizeof why)) {
				if (!gm_source_reject(src, &rec, why)) {
					st = GM_NEXT_ERROR;
					break;
				}
				continue;
			}
			take(run, &a, mark);
		}
		if (st != GM_NEXT_ERROR)
			after_batch(run);
	}
	intake_free(&in);
	gm_parser_free(ps);
	return st != GM_NEXT_ERROR;
}

/* read_kafka() for files and stdin, read in a thread of their own
 * (ahead.h): the batches it has ready are taken, for at most BATCH_MS,
 * before the rest of a round. */
static bool read_files(struct run *run, struct gm_source *src)
{
	struct ahead *ah = ahead_start(src, IDLE_MS);
	enum gm_next st = GM_NEXT_RECORD;
	while (st == GM_NEXT_RECORD && !gm_stopping()) {
		int64_t round_end = gm_now_coarse_ms() + BATCH_MS;
		const struct ahead_batch *b = ahead_next(ah, idle_of(run));
		while (b) {
			for (size_t i = 0; i < b->n; i++)
				take(run, &b->alerts[i], GROUP_NO_MARK);
			st = b->end;
			ahead_done(ah);
			b = st == GM_NEXT_RECORD && gm_now_coarse_ms() < round_end ? ahead_next(ah, 0) : NULL;
		}
		if (st != GM_NEXT_ERROR)
			after_batch(run);
	}
	ahead_stop(ah);
	return st != GM_NEXT_ERROR;
}

/* After the input: sends what is waiting as if its timers had run
 * (group_finish()), then waits for delivery to finish every
 * notification, fallbacks included, unless a signal comes first. */
static void drain(struct run *run)
{
	if (!gm_stopping()) {
		group_finish(run->e);
		hand_out(run);
	}
	while (!gm_stopping() && deliver_pending(run->d)) {
		deliver_wait(run->d, gm_now_ms() + IDLE_MS);
		collect(run);
	}
	collect(run);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "silence")) {
		gm_cli_init(argv[0]);
		return silence_main(argc - 1, argv + 1);
	}
	static const struct option longopts[] = {
		GM_BASE_LONG_OPTIONS,
		GM_INPUT_LONG_OPTIONS,
		GM_KAFKA_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		{ "config", required_argument, 0, 'c' },
		{ "check", no_argument, 0, OPT_CHECK },
		{ "replay", no_argument, 0, OPT_REPLAY },
		{ "state", required_argument, 0, OPT_STATE },
		{ "silences", required_argument, 0, 's' },
		{ "dead-letter", required_argument, 0, OPT_DEAD_LETTER },
		{ "timeout", required_argument, 0, OPT_TIMEOUT },
		{ "resolvable", required_argument, 0, OPT_RESOLVABLE },
		{ "max-alerts", required_argument, 0, OPT_MAX_ALERTS },
		{ "follow", no_argument, 0, 'f' },
		{ 0 }
	};
	/* The heap grown 16 MiB at a time: the notifications made, sent and
	 * freed by the thousand reuse it, where growing it a little at a
	 * time cost a quarter of a run's system time. */
	mallopt(M_TOP_PAD, 16 << 20);
	gm_cli_init(argv[0]);
	struct gm_common common;
	gm_common_init(&common);
	const char *path = NULL;
	/* The kinds gm-events(5) says come resolved (gm-inventory's), so
	 * that their first alerts fire until resolved, not only those after
	 * a first resolution. */
	const char *kinds[64] = { "low_stock", "out_of_stock" };
	size_t nkinds = 2;
	bool checking = false, follow_files = false;
	unsigned others = 0;       /* options given, but -c and --check */
	struct run run = { .status = GM_EXIT_OK };
	struct group_opts go = { 0 };
	struct deliver_opts dopts = { .timeout_ms = SEND_TIMEOUT_MS, .backoff_ms = 500,
		.backoff_max_ms = 30000 };
	int opt;
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS GM_INPUT_SHORT_OPTIONS
			GM_KAFKA_SHORT_OPTIONS "c:s:f", longopts, usage)) != -1) {
		others += opt != 'c' && opt != OPT_CHECK;
		switch (opt) {
		case 'c': path = optarg; break;
		case 's': run.silences_path = optarg; break;
		case 'f': follow_files = true; break;
		case OPT_CHECK: checking = true; break;
		case 'u':
			gm_usage_error(usage, "-u: gm-notify writes each notification whole, at once");
		case OPT_REPLAY: run.replay = true; break;
		case OPT_STATE: run.state = optarg; break;
		case OPT_DEAD_LETTER: run.dead_path = optarg; break;
		case OPT_TIMEOUT:
			dopts.timeout_ms = gm_opt_duration(usage, "--timeout", optarg, false, 3600000);
			break;
		case OPT_RESOLVABLE:
			nkinds = split_kinds(optarg, kinds, sizeof kinds / sizeof *kinds);
			break;
		case OPT_MAX_ALERTS:
			go.max_alerts = gm_opt_count(usage, "--max-alerts", optarg, 1, 100000000);
			break;
		default:
			if (!gm_common_option(&common, opt, optarg, usage))
				gm_usage_error(usage, "unknown option");
		}
	}
	if (!path)
		gm_usage_error(usage, "-c FILE is needed");
	if (checking) {
		if (others)
			gm_usage_error(usage, "--check takes no other option but -c");
		if (optind < argc)
			gm_usage_error(usage, "unexpected argument %s", argv[optind]);
		return check(path);
	}
	gm_input_check(&common, argc - optind, usage);
	gm_stats_start(&common, usage);
	run.st_delivered = gm_stats_value("notifications_total");
	run.st_dead = gm_stats_value("dead_letters_total");
	run.st_retries = gm_stats_value("retries_total");
	gm_stat_set(run.st_delivered, 0);
	gm_stat_set(run.st_dead, 0);
	gm_stat_set(run.st_retries, 0);
	bool follow = gm_input_follow(&common, follow_files, usage);
	dopts.retry_for_ms = common.retry_ms;

	struct conf *c = load_conf(path);
	if (!c)
		return GM_EXIT_USAGE;
	run.c = c;
	char *dead_default = NULL;
	if (!run.dead_path) {
		dead_default = gm_xcalloc(1, (run.state ? strlen(run.state) : 0) + 32);
		sprintf(dead_default, "%s%s", run.state ? run.state : "gm-notify",
			".dead-letter.ndjson");
		run.dead_path = dead_default;
	}
	reload_silences(&run, true);
	if (run.status != GM_EXIT_OK) {
		conf_free(c);
		return GM_EXIT_FAIL;
	}
	if (!send_init())
		return GM_EXIT_FAIL;

	go.resolve_timeout = c->global.resolve_timeout;
	run.max_alerts = go.max_alerts ? go.max_alerts : GROUP_MAX_ALERTS;
	go.resolvable = kinds;
	go.nresolvable = nkinds;
	struct group_out out = { .ctx = &run, .notify = on_note };
	run.e = group_new(c, &run.sil, &go, &out);
	run.d = deliver_new(c, &dopts);
	if (run.state && !group_load(run.e, run.state)) {
		deliver_free(run.d);
		group_free(run.e);
		conf_free(c);
		return GM_EXIT_FAIL;
	}
	run.loaded = group_stats(run.e);
	run.evicted_warned = run.loaded.evicted;
	group_resume(run.e);
	hand_out(&run);

	gm_rejects_open(common.rejects, common.strict);
	struct gm_source *src = gm_source_open(&common, argv + optind, argc - optind,
		common.topics, common.ntopics, follow);
	run.src = src;
	run.offsets = offsets_new();
	if (src)
		gm_source_on_rebalance(src, on_assign, on_revoke, &run);
	if (src) {
		if (!(common.ntopics ? read_kafka : read_files)(&run, src))
			run.status = gm_exit_worse(run.status, GM_EXIT_FAIL);
		drain(&run);
	} else
		run.status = GM_EXIT_FAIL;
	/* What was being delivered when a signal came is logged done before
	 * the state is saved for the last time. */
	deliver_stop(run.d);
	collect(&run);
	if (src)
		commit(&run, true);
	save(&run);
	if (!common.quiet)
		summary(&run);
	deliver_free(run.d);
	int status = gm_finish(&common, run.status, NULL, 0, src);
	group_free(run.e);
	silences_free(&run.sil);
	free(run.fresh);
	offsets_free(run.offsets);
	free(dead_default);
	send_cleanup();
	conf_free(c);
	return status;
}

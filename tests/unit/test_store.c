/* store: the keyed state store. Updates and replays; snapshots saved,
 * the process killed, and loaded; a changelog checkpointed, the process
 * killed (with changes after the checkpoint), and restored from the
 * changelog of librdkafka's mock cluster. */
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "check_util.h"
#include "cli.h"
#include "counts.h"
#include "map.h"
#include "store.h"

struct val {
	int64_t sum;
	uint32_t n;
	char tag[4];
};

static const struct gm_store_spec spec = {
	.name = "test", .version = 7, .value_size = sizeof(struct val), .max_entries = 1000,
};

static struct gm_store_at at(int32_t partition, int64_t offset)
{
	return (struct gm_store_at){ partition, offset, 0 };
}

/* Adds x to key's value, as a tool learns from the record at a. */
static enum gm_store_got add(struct gm_store *st, const char *key, struct gm_store_at a, int64_t x)
{
	enum gm_store_got got;
	struct val *v = gm_store_update(st, key, strlen(key), a, &got);
	if (got != GM_STORE_APPLIED && v) {
		v->sum += x;
		v->n++;
	}
	return got;
}

static int64_t sum_of(struct gm_store *st, const char *key)
{
	const struct val *v = gm_store_get(st, key, strlen(key));
	return v ? v->sum : -1;
}

START_TEST(update_and_replay)
{
	struct gm_store *st = gm_store_new(&spec);
	ck_assert_int_eq(add(st, "u1", at(0, 10), 5), GM_STORE_NEW);
	ck_assert_int_eq(add(st, "u1", at(0, 11), 5), GM_STORE_FOUND);
	/* Read again after a restart: already in the state. */
	ck_assert_int_eq(add(st, "u1", at(0, 10), 5), GM_STORE_APPLIED);
	ck_assert_int_eq(add(st, "u1", at(0, 11), 5), GM_STORE_APPLIED);
	ck_assert_int_eq(sum_of(st, "u1"), 10);
	/* Another topic's offsets are not comparable: a user's views and
	 * cart events from two co-partitioned topics. */
	enum gm_store_got got;
	ck_assert_ptr_nonnull(gm_store_update(st, "u1", 2, (struct gm_store_at){ 0, 5, 1 }, &got));
	ck_assert_int_eq(got, GM_STORE_FOUND);
	ck_assert_ptr_nonnull(gm_store_update(st, "u1", 2, (struct gm_store_at){ 0, 5, 1 }, &got));
	ck_assert_int_eq(got, GM_STORE_APPLIED);
	ck_assert_int_eq(add(st, "u1", at(0, 11), 5), GM_STORE_APPLIED);
	/* Another partition's offsets are not comparable. */
	ck_assert_int_eq(add(st, "u1", at(1, 3), 1), GM_STORE_FOUND);
	/* Files have no offsets: every record counts. */
	ck_assert_int_eq(add(st, "f", GM_STORE_AT_NONE, 1), GM_STORE_NEW);
	ck_assert_int_eq(add(st, "f", GM_STORE_AT_NONE, 1), GM_STORE_FOUND);
	ck_assert_int_eq(sum_of(st, "f"), 2);
	char longkey[GM_MAP_KEY_MAX + 2];
	memset(longkey, 'k', sizeof longkey - 1);
	longkey[sizeof longkey - 1] = 0;
	ck_assert_int_eq(add(st, longkey, at(0, 1), 1), GM_STORE_REFUSED);
	ck_assert(gm_store_remove(st, "f", 1));
	ck_assert(!gm_store_remove(st, "f", 1));
	ck_assert_int_eq(gm_store_size(st), 1);
	gm_store_free(st);
}
END_TEST

START_TEST(cap_evicts_oldest)
{
	struct gm_store_spec small = spec;
	small.max_entries = 3;
	struct gm_store *st = gm_store_new(&small);
	add(st, "a", at(0, 1), 1);
	add(st, "b", at(0, 2), 1);
	add(st, "c", at(0, 3), 1);
	add(st, "a", at(0, 4), 1);   /* b is now the oldest */
	add(st, "d", at(0, 5), 1);
	ck_assert_int_eq(gm_store_size(st), 3);
	ck_assert_int_eq(gm_store_evicted(st), 1);
	ck_assert_int_eq(sum_of(st, "b"), -1);
	ck_assert_int_eq(sum_of(st, "a"), 2);
	gm_store_free(st);
}
END_TEST

/* gm_store_each's view: "key=sum," oldest first. */
static void show(void *ctx, const char *key, size_t klen, const void *value)
{
	const struct val *v = value;
	char *out = ctx;
	snprintf(out + strlen(out), 256 - strlen(out), "%.*s=%lld,", (int)klen, key, (long long)v->sum);
}

static void shown(struct gm_store *st, char *out)
{
	out[0] = 0;
	gm_store_each(st, show, out);
}

/* A child saves, changes more, and is killed before it saves again:
 * the file holds the first save, whole, in its recency order. */
START_TEST(snapshot_save_kill_load)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "store", false));
	unlink(path);
	struct gm_store *st = gm_store_new(&spec);
	ck_assert(gm_store_load(st, path));   /* none yet: empty */
	ck_assert_int_eq(gm_store_size(st), 0);
	gm_store_free(st);

	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct gm_store *c = gm_store_new(&spec);
		add(c, "x", GM_STORE_AT_NONE, 1);
		add(c, "y", GM_STORE_AT_NONE, 2);
		add(c, "x", GM_STORE_AT_NONE, 3);
		if (!gm_store_save(c, path))
			_exit(3);
		add(c, "z", GM_STORE_AT_NONE, 9);   /* never saved */
		raise(SIGKILL);
	}
	int status;
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

	st = gm_store_new(&spec);
	ck_assert(gm_store_load(st, path));
	char out[256];
	shown(st, out);
	ck_assert_str_eq(out, "y=2,x=4,");
	/* Saved again and loaded: the same. */
	ck_assert(gm_store_save(st, path));
	struct gm_store *again = gm_store_new(&spec);
	ck_assert(gm_store_load(again, path));
	shown(again, out);
	ck_assert_str_eq(out, "y=2,x=4,");
	gm_store_free(again);
	gm_store_free(st);

	/* Another tool's or layout's snapshot is refused, not misread. */
	struct gm_store_spec other = spec;
	other.version = 8;
	st = gm_store_new(&other);
	ck_assert(!gm_store_load(st, path));
	gm_store_free(st);
	/* So is one cut short. */
	ck_assert(truncate(path, 40) == 0);
	st = gm_store_new(&spec);
	ck_assert(!gm_store_load(st, path));
	gm_store_free(st);
	unlink(path);
}
END_TEST

/* ---- timers ---- */

struct timed {
	int64_t due;
	int64_t fired;   /* how many times */
	int64_t rearm;   /* set again this much later when fired, 0: not */
};

static const struct gm_store_spec timed_spec = {
	.name = "timed", .version = 1, .value_size = sizeof(struct timed), .max_entries = 3,
	.due_at = GM_STORE_DUE(struct timed, due),
};

static char fired_log[512];

static void fired(void *ctx, int32_t partition, const char *key, size_t klen, void *value,
	int64_t due)
{
	struct gm_store *st = ctx;
	struct timed *t = value;
	t->fired++;
	size_t n = strlen(fired_log);
	snprintf(fired_log + n, sizeof fired_log - n, "%.*s@%lld,", (int)klen, key, (long long)due);
	if (t->rearm)
		gm_store_wake_at(st, value, due + t->rearm);
	else if (!strncmp(key, "gone", klen))
		gm_store_remove(st, key, klen);
}

static struct timed *timed(struct gm_store *st, const char *key, int32_t partition,
	int64_t offset)
{
	enum gm_store_got got;
	return gm_store_update(st, key, strlen(key), at(partition, offset), &got);
}

static void wake(struct gm_store *st, const char *key, int32_t partition, int64_t offset,
	int64_t due)
{
	gm_store_wake_at(st, timed(st, key, partition, offset), due);
}

/* Timers fire in order of time, then key, per partition; one moved later
 * fires at its new time only, one moved earlier at its new time; fired
 * entries may set theirs again or go; an evicted entry's timer does not
 * fire, and the tool saw it go. */
static char evicted_keys[64];
static void on_evicted(void *ctx, const char *key, size_t klen, void *value)
{
	size_t n = strlen(evicted_keys);
	snprintf(evicted_keys + n, sizeof evicted_keys - n, "%.*s,", (int)klen, key);
}

START_TEST(timers_fire_in_order)
{
	struct gm_store_spec s = timed_spec;
	s.max_entries = 100;
	struct gm_store *st = gm_store_new(&s);
	fired_log[0] = 0;
	wake(st, "b", 0, 1, 50);
	wake(st, "a", 0, 2, 50);
	wake(st, "late", 0, 3, 40);
	wake(st, "late", 0, 4, 90);     /* moved later */
	wake(st, "early", 0, 5, 80);
	wake(st, "early", 0, 6, 20);    /* moved earlier */
	wake(st, "other", 1, 1, 10);    /* another partition */
	wake(st, "never", 0, 7, 30);
	wake(st, "never", 0, 8, GM_STORE_NEVER);
	timed(st, "again", 0, 9)->rearm = 15;
	wake(st, "again", 0, 10, 60);
	wake(st, "gone", 0, 11, 55);
	ck_assert_uint_eq(gm_store_fire(st, 0, 19, fired, st), 0);
	ck_assert_uint_eq(gm_store_fire(st, 0, 70, fired, st), 5);
	ck_assert_str_eq(fired_log, "early@20,a@50,b@50,gone@55,again@60,");
	ck_assert_ptr_null(gm_store_get(st, "gone", 4));
	fired_log[0] = 0;
	/* again set itself to 75; once more would be at or before the
	 * bound, and fire in the same call. */
	timed(st, "again", 0, 12)->rearm = 10;
	ck_assert_uint_eq(gm_store_fire(st, 0, 100, fired, st), 4);
	ck_assert_str_eq(fired_log, "again@75,again@85,late@90,again@95,");
	fired_log[0] = 0;
	ck_assert_uint_eq(gm_store_fire(st, 1, GM_STORE_NEVER, fired, st), 1);
	ck_assert_str_eq(fired_log, "other@10,");
	const struct timed *a = gm_store_get(st, "a", 1);
	ck_assert_int_eq(a->due, GM_STORE_NEVER);
	ck_assert_int_eq(a->fired, 1);
	gm_store_free(st);

	/* Under the cap: the oldest goes, the tool sees it, its timer is
	 * gone with it. */
	s = timed_spec;
	s.evicted = on_evicted;
	st = gm_store_new(&s);
	evicted_keys[0] = fired_log[0] = 0;
	wake(st, "x", -1, -1, 5);
	wake(st, "y", -1, -1, 6);
	wake(st, "z", -1, -1, 7);
	wake(st, "w", -1, -1, 8);
	ck_assert_str_eq(evicted_keys, "x,");
	ck_assert_uint_eq(gm_store_fire(st, -1, 100, fired, st), 3);
	ck_assert_str_eq(fired_log, "y@6,z@7,w@8,");
	/* x, made anew, has no timer from its evicted self. */
	timed(st, "x", -1, -1);
	fired_log[0] = 0;
	ck_assert_uint_eq(gm_store_fire(st, -1, 100, fired, st), 0);
	gm_store_free(st);
}
END_TEST

/* Many timers, ties among them, with entries removed and their places
 * taken by new ones while their timers wait: each live entry fires once,
 * at its time, in order of time and then key; none fires for an entry
 * that went. */
static char many_log[64 * 1024];

static void fired_many(void *ctx, int32_t partition, const char *key, size_t klen,
	void *value, int64_t due)
{
	(void)ctx, (void)partition, (void)value;
	size_t n = strlen(many_log);
	snprintf(many_log + n, sizeof many_log - n, "%.*s@%lld,", (int)klen, key, (long long)due);
}

static int by_due_key(const void *a, const void *b)
{
	const int64_t *x = a, *y = b;   /* due, key number */
	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	char kx[16], ky[16];
	snprintf(kx, sizeof kx, "k%lld", (long long)x[1]);
	snprintf(ky, sizeof ky, "k%lld", (long long)y[1]);
	return strcmp(kx, ky);
}

START_TEST(many_timers_with_places_reused)
{
	struct gm_store_spec s = timed_spec;
	s.max_entries = 2000;
	struct gm_store *st = gm_store_new(&s);
	enum { N = 1000 };
	static int64_t want[N][2];
	size_t nwant = 0;
	char key[16];
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < N; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int64_t due = 1000 + (int64_t)(x % 300);   /* many ties */
		snprintf(key, sizeof key, "k%d", i);
		wake(st, key, 0, i + 1, due);
		if (i % 3 == 1) {
			/* gone: its place goes to the next key, timer and all */
			snprintf(key, sizeof key, "k%d", i - 1);
			ck_assert(gm_store_remove(st, key, strlen(key)));
			nwant--;
		}
		want[nwant][0] = due;
		want[nwant][1] = i;
		nwant++;
	}
	qsort(want, nwant, sizeof want[0], by_due_key);
	char expect[sizeof many_log];
	size_t n = 0;
	expect[0] = 0;
	for (size_t i = 0; i < nwant; i++)
		n += snprintf(expect + n, sizeof expect - n, "k%lld@%lld,",
			(long long)want[i][1], (long long)want[i][0]);
	many_log[0] = 0;
	ck_assert_uint_eq(gm_store_fire(st, 0, 1150, fired_many, NULL)
		+ gm_store_fire(st, 0, 2000, fired_many, NULL), nwant);
	ck_assert_str_eq(many_log, expect);
	gm_store_free(st);
}
END_TEST

/* Timers are saved with their entries: a snapshot loaded fires them. */
START_TEST(timers_survive_a_snapshot)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "timers", false));
	struct gm_store *st = gm_store_new(&timed_spec);
	wake(st, "b", -1, -1, 20);
	wake(st, "a", -1, -1, 10);
	timed(st, "c", -1, -1);
	ck_assert(gm_store_save(st, path));
	gm_store_free(st);
	st = gm_store_new(&timed_spec);
	ck_assert(gm_store_load(st, path));
	fired_log[0] = 0;
	ck_assert_uint_eq(gm_store_fire(st, -1, 100, fired, st), 2);
	ck_assert_str_eq(fired_log, "a@10,b@20,");
	gm_store_free(st);
	unlink(path);
}
END_TEST

/* ---- the changelog ---- */

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mock;

static struct gm_common options(void)
{
	struct gm_common c;
	memset(&c, 0, sizeof c);
	gm_common_init(&c);
	c.brokers = rd_kafka_mock_cluster_bootstraps(mock);
	c.group = "g";
	return c;
}

static void cluster_up(void)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_conf_set(conf, "log_level", "4", errstr, sizeof errstr);
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	ck_assert_msg(mock_rk != NULL, "%s", errstr);
	mock = rd_kafka_mock_cluster_new(mock_rk, 1);
	ck_assert(mock != NULL);
	ck_assert(!rd_kafka_mock_topic_create(mock, "in", 2, 1));
}

/* A child keeps entries of two partitions, checkpoints, changes more
 * (a removal too), checkpoints, changes again without a checkpoint,
 * sends a tombstone with no mark after it (a checkpoint cut short), and
 * is killed. A new store restores partition 0 only: what the second
 * checkpoint held of it, not the tombstone, and nothing of partition 1. */
START_TEST(changelog_checkpoint_kill_restore)
{
	cluster_up();
	struct gm_common c = options();
	int status;
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct gm_store *st = gm_store_new(&spec);
		if (!gm_store_use_changelog(st, &c, "in", &status))
			_exit(3);
		add(st, "a", at(0, 1), 1);
		add(st, "b", at(0, 2), 10);
		add(st, "p1", at(1, 1), 100);
		/* Each checkpoint ends with the marks of its partitions. */
		gm_store_mark(st, 0, 0, 3);
		gm_store_mark(st, 1, 0, 2);
		if (!gm_store_checkpoint(st) || !gm_store_seal(st))
			_exit(4);
		add(st, "a", at(0, 3), 1);
		gm_store_remove(st, "b", 1);
		add(st, "c", at(0, 4), 5);
		gm_store_mark(st, 0, 0, 5);   /* the state holds offsets 0 to 4 */
		if (!gm_store_checkpoint(st) || !gm_store_seal(st))
			_exit(5);
		gm_store_mark(st, 0, 0, 6);   /* never checkpointed */
		add(st, "a", at(0, 5), 1000);   /* never checkpointed */
		/* A checkpoint cut short: c's tombstone reaches the changelog,
		 * but no mark after it. */
		gm_store_remove(st, "c", 1);
		gm_store_close(st);
		raise(SIGKILL);
	}
	ck_assert(waitpid(pid, &status, 0) == pid);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
		"child exited %d", WEXITSTATUS(status));

	struct gm_store *st = gm_store_new(&spec);
	ck_assert(gm_store_use_changelog(st, &c, "in", &status));
	ck_assert(gm_store_restore(st, 0));
	char out[256];
	shown(st, out);
	ck_assert_str_eq(out, "a=2,c=5,");
	/* How far it goes, as the last checkpoint said; nothing of other
	 * topics or partitions. */
	ck_assert_int_eq(gm_store_marked(st, 0, 0), 5);
	ck_assert_int_eq(gm_store_marked(st, 0, 1), -1);
	ck_assert_int_eq(gm_store_marked(st, 1, 0), -1);
	/* The input read again from before the kill: what the state holds
	 * is known as applied, what came after is not. */
	ck_assert_int_eq(add(st, "a", at(0, 3), 1), GM_STORE_APPLIED);
	/* So is a record of an entry removed since: the mark says. */
	enum gm_store_got was;
	ck_assert_ptr_null(gm_store_update(st, "b", 1, at(0, 2), &was));
	ck_assert_int_eq(was, GM_STORE_APPLIED);
	ck_assert_int_eq(add(st, "a", at(0, 5), 1), GM_STORE_FOUND);
	ck_assert_int_eq(sum_of(st, "a"), 3);
	/* Partition 1 comes and goes. */
	ck_assert(gm_store_restore(st, 1));
	ck_assert_int_eq(sum_of(st, "p1"), 100);
	gm_store_forget(st, 1);
	ck_assert_int_eq(sum_of(st, "p1"), -1);
	ck_assert_int_eq(gm_store_size(st), 2);
	ck_assert(gm_store_checkpoint(st));
	ck_assert_int_eq(gm_store_close(st), GM_EXIT_OK);
	gm_store_free(st);
	/* The state went to the changelog, not to the tool's output. */
	ck_assert_int_eq(gm_counts.out, 0);
	rd_kafka_mock_cluster_destroy(mock);
	rd_kafka_destroy(mock_rk);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, update_and_replay);
	tcase_add_test(tc, cap_evicts_oldest);
	tcase_add_test(tc, snapshot_save_kill_load);
	tcase_add_test(tc, changelog_checkpoint_kill_restore);
	tcase_add_test(tc, timers_fire_in_order);
	tcase_add_test(tc, many_timers_with_places_reused);
	tcase_add_test(tc, timers_survive_a_snapshot);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(store_suite)

/* kafka: a Kafka cluster's brokers, partitions' offsets, topics' rates
 * and consumer groups' lag, in messages and in seconds; see probe.h.
 *
 * Each collection asks the cluster, within WAIT_MS in all: metadata
 * (the brokers, every topic's partitions), the high and low watermarks
 * of every partition (ListOffsets, through rd_kafka_offsets_for_times()
 * with the latest and earliest "times", one request per leader), and
 * each watched group's committed offsets (the Admin API's
 * ListConsumerGroupOffsets, the groups' requests in flight together).
 * The groups are those given: librdkafka 2.0.2's mock cluster, which
 * the tests run, does not answer ListConsumerGroups.
 *
 * Lag in seconds is estimated as kafka-lag-exporter estimates it: each
 * partition keeps a table of (high watermark, time) samples, one for
 * every collection that found the watermark moved, the last TABLE of
 * them; the time at which the watermark passed the group's committed
 * offset is read from the table, by interpolation between the two
 * samples around it, and the lag is the time since. An offset behind
 * the oldest sample takes that sample's time (kafka-lag-exporter
 * extrapolates from the table's ends instead, which assumes a rate no
 * one saw and can reach back before the topic existed): the lag is then
 * a lower bound, growing second for second while the group stays
 * behind the table. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "cli.h"
#include "clock.h"
#include "kafka.h"
#include "mem.h"
#include "probe.h"

/* How long one collection waits for the cluster, in all. */
#define WAIT_MS 2000
/* The samples of a partition's lag table. */
#define TABLE 64

struct point {
	int64_t offset;   /* the high watermark */
	int64_t ms;       /* gm_now_ms() when it was first seen there */
};

/* A partition, across collections. */
struct part {
	char *topic;
	int32_t partition;
	int64_t hw, lo;         /* this collection's watermarks; < 0: not known */
	int64_t hw_ms;          /* gm_now_ms() when hw was read */
	int64_t prev, prev_ms;  /* the last high watermark known before, and
	                           when; prev < 0: none */
	struct point table[TABLE];   /* a ring, oldest at head */
	size_t head, n;
};

struct kafka {
	struct gm_kwatch *w;
	rd_kafka_t *rk;
	const char *const *groups;
	size_t ngroups;
	rd_kafka_queue_t *q;      /* the groups' answers */
	uintptr_t round;          /* tags a collection's admin requests */
	struct part *parts;       /* sorted by topic, then partition */
	size_t nparts;
};

void *probe_kafka_new(const struct gm_common *c, const char *const *groups, size_t ngroups)
{
	struct gm_kwatch *w = gm_kwatch_new(c);
	if (!w)
		return NULL;
	struct kafka *k = gm_xcalloc(1, sizeof *k);
	k->w = w;
	k->rk = gm_kwatch_handle(w);
	k->groups = groups;
	k->ngroups = ngroups;
	k->q = rd_kafka_queue_new(k->rk);
	return k;
}

static void kafka_free(void *state)
{
	struct kafka *k = state;
	for (size_t i = 0; i < k->nparts; i++)
		free(k->parts[i].topic);
	free(k->parts);
	rd_kafka_queue_destroy(k->q);
	gm_kwatch_free(k->w);
	free(k);
}

/* What is left of the collection's time: 1 ms at least, which
 * librdkafka takes as a timeout. */
static int left_ms(int64_t deadline)
{
	int64_t left = deadline - gm_now_ms();
	return left > 1 ? (int)left : 1;
}

/* Orders partitions as rd_kafka_topic_partition_list_sort() does. */
static int part_cmp(const char *ta, int32_t pa, const char *tb, int32_t pb)
{
	int c = strcmp(ta, tb);
	return c ? c : (pa > pb) - (pa < pb);
}

static struct part *part_find(struct kafka *k, const char *topic, int32_t partition)
{
	size_t lo = 0, hi = k->nparts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = part_cmp(k->parts[mid].topic, k->parts[mid].partition, topic, partition);
		if (!c)
			return &k->parts[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* The partitions of every topic but the internal ones ("__..."), sorted;
 * offsets RD_KAFKA_OFFSET_END, to be asked for the latest. */
static rd_kafka_topic_partition_list_t *partitions(const struct rd_kafka_metadata *md)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
	for (int i = 0; i < md->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *t = &md->topics[i];
		if (t->err || !strncmp(t->topic, "__", 2))
			continue;
		for (int p = 0; p < t->partition_cnt; p++)
			rd_kafka_topic_partition_list_add(l, t->topic, t->partitions[p].id)->offset =
				RD_KAFKA_OFFSET_END;
	}
	rd_kafka_topic_partition_list_sort(l, NULL, NULL);
	return l;
}

/* Makes k->parts the partitions of hi, in its order, with the
 * watermarks read at now (hi, lo: the same partitions): a partition
 * seen before keeps its past; one gone is forgotten. */
static void take_partitions(struct kafka *k, const rd_kafka_topic_partition_list_t *hi,
	const rd_kafka_topic_partition_list_t *lo, int64_t now)
{
	struct part *old = k->parts;
	size_t nold = k->nparts, j = 0;
	k->parts = gm_xcalloc((size_t)hi->cnt + 1, sizeof *k->parts);
	k->nparts = (size_t)hi->cnt;
	for (int i = 0; i < hi->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &hi->elems[i];
		while (j < nold && part_cmp(old[j].topic, old[j].partition, e->topic, e->partition) < 0) {
			free(old[j].topic);
			j++;
		}
		struct part *p = &k->parts[i];
		if (j < nold && !part_cmp(old[j].topic, old[j].partition, e->topic, e->partition)) {
			*p = old[j++];
			if (p->hw >= 0) {
				p->prev = p->hw;
				p->prev_ms = p->hw_ms;
			}
		} else {
			*p = (struct part){ .topic = gm_xstrdup(e->topic), .partition = e->partition,
				.prev = -1 };
		}
		p->hw = !e->err && e->offset >= 0 ? e->offset : -1;
		p->hw_ms = now;
		p->lo = !lo->elems[i].err && lo->elems[i].offset >= 0 ? lo->elems[i].offset : -1;
	}
	for (; j < nold; j++)
		free(old[j].topic);
	free(old);
}

/* The i-th sample of p's table, the oldest first. */
static struct point *table_at(struct part *p, size_t i)
{
	return &p->table[(p->head + i) % TABLE];
}

/* Adds p's watermark, read at now, to its table when it moved; a
 * watermark gone back (the topic made again) starts the table anew. */
static void table_add(struct part *p, int64_t now)
{
	if (p->n) {
		const struct point *last = table_at(p, p->n - 1);
		if (p->hw == last->offset)
			return;
		if (p->hw < last->offset)
			p->head = p->n = 0;
	}
	if (p->n == TABLE)
		p->head = (p->head + 1) % TABLE;
	else
		p->n++;
	*table_at(p, p->n - 1) = (struct point){ p->hw, now };
}

/* Seconds since p's high watermark was where offset is (offset <
 * p->hw, the table's newest sample): see the top of this file. -1 when
 * the offset is behind the oldest sample and that was taken now: the
 * partition has no past yet to tell. */
static double lag_seconds(struct part *p, int64_t offset, int64_t now)
{
	const struct point *before = NULL, *at = NULL;
	for (size_t i = 0; i < p->n; i++) {
		at = table_at(p, i);
		if (at->offset >= offset)
			break;
		before = at;
	}
	if (!before && at->ms == now)
		return -1;
	double t = (double)at->ms;
	if (before)
		t = (double)before->ms + (double)(offset - before->offset)
			* (double)(at->ms - before->ms) / (double)(at->offset - before->offset);
	return ((double)now - t) / 1e3;
}

static void partition_label(char *buf, size_t n, int32_t partition)
{
	snprintf(buf, n, "%d", (int)partition);
}

/* The partitions' watermarks, and each topic's rate: the sum of its
 * partitions' rates since their last readings, given when every one of
 * them has one and none went back. */
static void offsets_out(struct kafka *k, struct sample_set *out)
{
	char label[16];
	for (size_t i = 0; i < k->nparts;) {
		size_t end = i;
		bool rated = true;
		double rate = 0;
		for (; end < k->nparts && !strcmp(k->parts[end].topic, k->parts[i].topic); end++) {
			const struct part *p = &k->parts[end];
			partition_label(label, sizeof label, p->partition);
			if (p->hw >= 0)
				sample_add(out, F_KAFKA_PARTITION_OFFSET, (double)p->hw, p->topic, label);
			if (p->lo >= 0)
				sample_add(out, F_KAFKA_PARTITION_OLDEST, (double)p->lo, p->topic, label);
			if (p->hw < 0 || p->prev < 0 || p->hw < p->prev || p->hw_ms <= p->prev_ms)
				rated = false;
			else
				rate += (double)(p->hw - p->prev) * 1e3 / (double)(p->hw_ms - p->prev_ms);
		}
		if (rated)
			sample_add(out, F_KAFKA_TOPIC_RATE, rate, k->parts[i].topic);
		i = end;
	}
}

/* One group's committed offsets (l), their lag in messages and in
 * seconds. A partition the group never committed to is left out. */
static void group_out(struct kafka *k, struct sample_set *out, const char *group,
	const rd_kafka_topic_partition_list_t *l, int64_t now)
{
	char label[16];
	for (int i = 0; l && i < l->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &l->elems[i];
		struct part *p = part_find(k, e->topic, e->partition);
		if (e->err || e->offset < 0 || !p)
			continue;
		partition_label(label, sizeof label, e->partition);
		sample_add(out, F_KAFKA_GROUP_OFFSET, (double)e->offset, group, e->topic, label);
		if (p->hw < 0)
			continue;
		/* A commit read after the watermark may be past it. */
		bool behind = e->offset < p->hw;
		sample_add(out, F_KAFKA_GROUP_LAG, behind ? (double)(p->hw - e->offset) : 0,
			group, e->topic, label);
		double seconds = behind ? lag_seconds(p, e->offset, now) : 0;
		if (seconds >= 0)
			sample_add(out, F_KAFKA_GROUP_LAG_SECONDS, seconds, group, e->topic, label);
	}
}

/* Asks for every group's committed offsets in the partitions of l, all
 * at once, and takes the answers that come before deadline. Returns
 * whether every group was answered. */
static bool groups_out(struct kafka *k, struct sample_set *out,
	const rd_kafka_topic_partition_list_t *l, int64_t now, int64_t deadline)
{
	char errstr[256];
	void *tag = (void *)++k->round;
	for (size_t g = 0; g < k->ngroups; g++) {
		rd_kafka_ListConsumerGroupOffsets_t *req =
			rd_kafka_ListConsumerGroupOffsets_new(k->groups[g], l);
		rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(k->rk,
			RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
		rd_kafka_AdminOptions_set_request_timeout(o, left_ms(deadline), errstr, sizeof errstr);
		rd_kafka_AdminOptions_set_opaque(o, tag);
		rd_kafka_ListConsumerGroupOffsets(k->rk, &req, 1, o, k->q);
		rd_kafka_AdminOptions_destroy(o);
		rd_kafka_ListConsumerGroupOffsets_destroy(req);
	}
	size_t answered = 0;
	bool ok = true;
	while (answered < k->ngroups) {
		rd_kafka_event_t *ev = rd_kafka_queue_poll(k->q, left_ms(deadline));
		if (!ev)
			break;   /* the rest come later, and are dropped then */
		if (rd_kafka_event_opaque(ev) != tag) {
			rd_kafka_event_destroy(ev);
			continue;
		}
		answered++;
		const rd_kafka_ListConsumerGroupOffsets_result_t *r =
			rd_kafka_event_ListConsumerGroupOffsets_result(ev);
		size_t n = 0;
		const rd_kafka_group_result_t **res = r && !rd_kafka_event_error(ev)
			? rd_kafka_ListConsumerGroupOffsets_result_groups(r, &n) : NULL;
		ok = ok && n == 1;
		for (size_t i = 0; i < n; i++) {
			if (rd_kafka_group_result_error(res[i])) {
				ok = false;
				continue;
			}
			group_out(k, out, rd_kafka_group_result_name(res[i]),
				rd_kafka_group_result_partitions(res[i]), now);
		}
		rd_kafka_event_destroy(ev);
	}
	return ok && answered == k->ngroups;
}

static bool kafka_collect(void *state, struct sample_set *out, int64_t now_ms)
{
	(void)now_ms;
	struct kafka *k = state;
	int64_t deadline = gm_now_ms() + WAIT_MS;
	rd_kafka_poll(k->rk, 0);   /* librdkafka's log lines and errors */
	const struct rd_kafka_metadata *md;
	if (rd_kafka_metadata(k->rk, 1, NULL, &md, left_ms(deadline))) {
		sample_add(out, F_KAFKA_BROKERS, 0.0);
		rd_kafka_poll(k->rk, 0);
		return false;
	}
	sample_add(out, F_KAFKA_BROKERS, (double)md->broker_cnt);
	rd_kafka_topic_partition_list_t *hi = partitions(md);
	rd_kafka_metadata_destroy(md);
	rd_kafka_topic_partition_list_t *lo = rd_kafka_topic_partition_list_copy(hi);
	for (int i = 0; i < lo->cnt; i++)
		lo->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
	/* A failed request leaves the offsets asked for, which are < 0. */
	bool ok = !rd_kafka_offsets_for_times(k->rk, hi, left_ms(deadline));
	int64_t now = gm_now_ms();
	ok = !rd_kafka_offsets_for_times(k->rk, lo, left_ms(deadline)) && ok;
	take_partitions(k, hi, lo, now);
	rd_kafka_topic_partition_list_destroy(lo);
	for (size_t i = 0; i < k->nparts; i++) {
		if (k->parts[i].hw >= 0)
			table_add(&k->parts[i], now);
		else
			ok = false;
	}
	offsets_out(k, out);
	if (k->ngroups && hi->cnt)
		ok = groups_out(k, out, hi, now, deadline) && ok;
	rd_kafka_topic_partition_list_destroy(hi);
	rd_kafka_poll(k->rk, 0);
	return ok;
}

const struct probe_ops probe_kafka = {
	.name = "kafka", .collect = kafka_collect, .free = kafka_free,
};

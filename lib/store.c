/* store: see store.h. The entries are a gm_map's, each value led by a
 * head saying where its last change came from and whether it is saved. */
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "kafka.h"
#include "map.h"
#include "mem.h"
#include "stats.h"

struct head {
	int64_t offset[GM_STORE_TOPICS];  /* of the last record applied from
	                         each input topic, -1: none */
	int32_t partition;    /* their input partition, -1: files */
	uint32_t dirty;       /* changed since the last checkpoint */
	int64_t queued;       /* the time of its timer in the queue, or
	                         GM_STORE_NEVER (see timers below) */
};
/* The tool's value follows the head, 8-byte aligned. */
#define VALUE_AT ((sizeof(struct head) + 7) & ~(size_t)7)

/* A timer in a partition's queue: a time, the first bytes of its key
 * (big-endian, zero-padded: they order as the key does, so that timers
 * of one time, common when they are windows' ends, rarely need the
 * keys) and its entry's place in the map (gm_map_place()), so that a
 * timer come due finds its entry with no lookup. */
struct timer {
	int64_t due;
	uint64_t prefix;
	uint32_t place;
};

/* One input partition's timers: a 4-ary heap by (due, key), shallower
 * than a binary one, with a node's children side by side. */
struct queue {
	struct timer *t;
	size_t n, cap;
};

/* What the store keeps of one input partition: its timers, and how far
 * the state holds its records (gm_store_mark(), when marked). */
struct part {
	int32_t partition;
	struct queue q;
	bool marked;
	int64_t read_to[GM_STORE_TOPICS];
};

struct gm_store {
	struct gm_store_spec spec;
	char name[64];
	struct gm_map *map;
	size_t ndirty;
	struct part *parts;
	size_t nparts, parts_cap;
	/* the changelog, when kept in one */
	struct gm_kproducer *kp;
	const struct gm_common *c;
	char *topic;
	bool failed;          /* a changelog send failed: no checkpoint */
	bool restoring;       /* reading restoring_partition's changelog */
	int32_t restoring_partition;
	bool warned_foreign;  /* said that changelog entries were skipped */
	struct gm_stat *keys; /* its entries, for the stats records */
};

/* A changelog message's value: the layout version, the offsets of the
 * entry's last records (GM_STORE_TOPICS of them; all little-endian),
 * then the value's bytes. */
#define OFFSETS (8 * GM_STORE_TOPICS)
#define LOG_HEAD (4 + OFFSETS)

static struct head *head_of(void *v)
{
	return v;
}

static void *value_of(void *v)
{
	return (char *)v + VALUE_AT;
}

static struct part *part_of(struct gm_store *st, int32_t partition, bool make);

/* The timer in a value (spec.due_at set). */
static int64_t *due_of(const struct gm_store *st, void *value)
{
	return (int64_t *)((char *)value + st->spec.due_at - 1);
}

static void put_le(unsigned char *p, uint64_t x, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(x >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, int n)
{
	uint64_t x = 0;
	for (int i = 0; i < n; i++)
		x |= (uint64_t)p[i] << (8 * i);
	return x;
}

/* A tombstone for key in the changelog, when the entry came from a
 * partition (entries of files have no changelog partition). */
static void tombstone(struct gm_store *st, const char *key, size_t klen,
	const struct head *h)
{
	/* Not for the partition being restored: that would delete what
	 * its changelog holds. */
	if (st->restoring && h->partition == st->restoring_partition)
		return;
	if (st->kp && h->partition >= 0
	    && !gm_kproducer_send_to(st->kp, st->topic, h->partition, key, klen, NULL, 0))
		st->failed = true;
}

/* The entry h is saved, or about to go: no longer counted as changed. */
static void clean(struct gm_store *st, struct head *h)
{
	if (h->dirty)
		st->ndirty--;
	h->dirty = 0;
}

/* The entries now, for stats.h's records. */
static void count_keys(struct gm_store *st)
{
	gm_stat_set(st->keys, (int64_t)gm_map_size(st->map));
}

static void evicted(void *ctx, const char *key, size_t klen, void *v)
{
	struct gm_store *st = ctx;
	if (st->spec.evicted)
		st->spec.evicted(st->spec.ctx, key, klen, value_of(v));
	clean(st, head_of(v));
	tombstone(st, key, klen, head_of(v));
}

/* Takes key out without a tombstone, as the changelog or a revocation
 * says. */
static void drop(struct gm_store *st, const char *key, size_t klen)
{
	void *v = gm_map_peek(st->map, key, klen);
	if (v) {
		clean(st, head_of(v));
		gm_map_remove(st->map, key, klen);
		count_keys(st);
	}
}

/* The entry of key as it was saved (a snapshot, a changelog), from the
 * records at partition and offsets (OFFSETS bytes, as saved); returns its value for the caller to
 * fill. */
static void *put_saved(struct gm_store *st, const char *key, size_t klen,
	int32_t partition, const unsigned char *offsets)
{
	bool created;
	void *v = gm_map_put(st->map, key, klen, &created);
	struct head *h = head_of(v);
	clean(st, h);
	if (created) {
		h->queued = GM_STORE_NEVER;
		count_keys(st);
	}
	h->partition = partition;
	for (int i = 0; i < GM_STORE_TOPICS; i++)
		h->offset[i] = (int64_t)get_le(offsets + 8 * i, 8);
	return value_of(v);
}

struct gm_store *gm_store_new(const struct gm_store_spec *spec)
{
	struct gm_store *st = gm_xcalloc(1, sizeof *st);
	st->spec = *spec;
	snprintf(st->name, sizeof st->name, "%s", spec->name);
	st->spec.name = st->name;
	st->map = gm_map_new(VALUE_AT + spec->value_size, spec->max_entries);
	gm_map_on_evict(st->map, evicted, st);
	char stat[GM_STAT_NAME_MAX] = "keys_";
	for (size_t i = 5; i < sizeof stat - 1 && spec->name[i - 5]; i++)
		stat[i] = spec->name[i - 5] == '-' ? '_' : spec->name[i - 5];
	st->keys = gm_stats_value(stat);
	return st;
}

static void free_queue(struct queue *q)
{
	free(q->t);
}

void gm_store_free(struct gm_store *st)
{
	if (!st)
		return;
	gm_map_free(st->map);
	for (size_t i = 0; i < st->nparts; i++)
		free_queue(&st->parts[i].q);
	free(st->parts);
	free(st->topic);
	free(st);
}

size_t gm_store_size(const struct gm_store *st)
{
	return gm_map_size(st->map);
}

uint64_t gm_store_evicted(const struct gm_store *st)
{
	return gm_map_evicted(st->map);
}

static void mark_dirty(struct gm_store *st, struct head *h)
{
	if (!h->dirty) {
		h->dirty = 1;
		st->ndirty++;
	}
}

void *gm_store_update(struct gm_store *st, const char *key, size_t klen,
	struct gm_store_at at, enum gm_store_got *got)
{
	/* Before the mark, the state holds it, entry or none (removed). */
	const struct part *p = at.offset >= 0 && at.topic < GM_STORE_TOPICS ?
		part_of(st, at.partition, false) : NULL;
	if (p && p->marked && at.offset < p->read_to[at.topic]) {
		*got = GM_STORE_APPLIED;
		void *v = gm_map_peek(st->map, key, klen);
		return v ? value_of(v) : NULL;
	}
	bool created;
	void *v = gm_map_put(st->map, key, klen, &created);
	if (!v) {
		*got = GM_STORE_REFUSED;
		return NULL;
	}
	struct head *h = head_of(v);
	if (created) {
		*got = GM_STORE_NEW;
		h->queued = GM_STORE_NEVER;
		count_keys(st);
		if (st->spec.due_at)
			*due_of(st, value_of(v)) = GM_STORE_NEVER;
	} else if (at.offset >= 0 && h->partition == at.partition && at.topic < GM_STORE_TOPICS
		   && h->offset[at.topic] >= at.offset) {
		*got = GM_STORE_APPLIED;
		return value_of(v);
	} else {
		*got = GM_STORE_FOUND;
	}
	if (created || h->partition != at.partition)
		for (int i = 0; i < GM_STORE_TOPICS; i++)
			h->offset[i] = -1;
	h->partition = at.partition;
	if (at.topic < GM_STORE_TOPICS)
		h->offset[at.topic] = at.offset;
	mark_dirty(st, h);
	return value_of(v);
}

void gm_store_prefetch(const struct gm_store *st, const char *key, size_t klen)
{
	gm_map_prefetch(st->map, key, klen);
}

const void *gm_store_get(struct gm_store *st, const char *key, size_t klen)
{
	void *v = gm_map_get(st->map, key, klen);
	return v ? value_of(v) : NULL;
}

bool gm_store_remove(struct gm_store *st, const char *key, size_t klen)
{
	void *v = gm_map_peek(st->map, key, klen);
	if (!v)
		return false;
	tombstone(st, key, klen, head_of(v));
	clean(st, head_of(v));
	gm_map_remove(st->map, key, klen);
	count_keys(st);
	return true;
}

void gm_store_each(struct gm_store *st,
	void (*fn)(void *ctx, const char *key, size_t klen, const void *value),
	void *ctx)
{
	struct gm_map_iter it;
	const char *key;
	size_t klen;
	void *v;
	gm_map_iter_init(&it, st->map, true);
	while ((v = gm_map_iter_next(&it, &key, &klen)))
		fn(ctx, key, klen, value_of(v));
}

/* ---- timers ----
 * Each partition's timers are a heap of (due, key). An entry has at most
 * one timer that counts: the one at head.queued, the earliest it was
 * given. A timer set later than that stays queued at the earlier time,
 * which then finds it not due yet and queues it again; a timer set
 * earlier is queued anew. So an entry whose timer moves later with
 * every record (a session's end) is queued once, and not once per
 * record; queued timers that no entry counts (removed, evicted, set
 * earlier) are skipped when they come up. */

/* What the store keeps of partition, made when absent if make. */
static struct part *part_of(struct gm_store *st, int32_t partition, bool make)
{
	for (size_t i = 0; i < st->nparts; i++)
		if (st->parts[i].partition == partition)
			return &st->parts[i];
	if (!make)
		return NULL;
	st->parts = gm_grow(st->parts, &st->parts_cap, st->nparts + 1, sizeof *st->parts, 4);
	struct part *p = &st->parts[st->nparts++];
	*p = (struct part){ .partition = partition };
	for (int i = 0; i < GM_STORE_TOPICS; i++)
		p->read_to[i] = -1;
	return p;
}

/* The key of the entry at place; a place no entry holds has the empty
 * key (a timer left behind by a removed entry: see gm_store_fire()). */
static void key_at(const struct gm_store *st, uint32_t place, const char **key, size_t *klen)
{
	if (!gm_map_at(st->map, place, key, klen)) {
		*key = "";
		*klen = 0;
	}
}

static uint64_t prefix_of(const char *key, size_t klen)
{
	uint64_t x = 0;
	for (size_t i = 0; i < 8; i++)
		x = x << 8 | (i < klen ? (unsigned char)key[i] : 0);
	return x;
}

static bool before(const struct gm_store *st, const struct timer *a, const struct timer *b)
{
	if (a->due != b->due)
		return a->due < b->due;
	if (a->prefix != b->prefix)
		return a->prefix < b->prefix;
	const char *x, *y;
	size_t xn, yn;
	key_at(st, a->place, &x, &xn);
	key_at(st, b->place, &y, &yn);
	return gm_str_cmp((gm_str){ x, xn }, (gm_str){ y, yn }) < 0;
}

#define ARITY 4

static void push(const struct gm_store *st, struct queue *q, int64_t due, uint32_t place)
{
	q->t = gm_grow(q->t, &q->cap, q->n + 1, sizeof *q->t, 64);
	const char *key;
	size_t klen;
	key_at(st, place, &key, &klen);
	struct timer x = { .due = due, .prefix = prefix_of(key, klen), .place = place };
	size_t i = q->n++;
	while (i > 0 && before(st, &x, &q->t[(i - 1) / ARITY])) {
		q->t[i] = q->t[(i - 1) / ARITY];
		i = (i - 1) / ARITY;
	}
	q->t[i] = x;
}

/* Takes the earliest timer out. */
static struct timer pop(const struct gm_store *st, struct queue *q)
{
	struct timer top = q->t[0], x = q->t[--q->n];
	size_t i = 0;
	for (;;) {
		size_t c = ARITY * i + 1, end = c + ARITY;
		if (c >= q->n)
			break;
		if (end > q->n)
			end = q->n;
		size_t least = c;
		for (size_t j = c + 1; j < end; j++)
			if (before(st, &q->t[j], &q->t[least]))
				least = j;
		if (!before(st, &q->t[least], &x))
			break;
		q->t[i] = q->t[least];
		i = least;
	}
	if (q->n > 0)
		q->t[i] = x;
	return top;
}

/* Queues the entry's timer when it is set earlier than what is queued. */
static void queue_timer(struct gm_store *st, void *v)
{
	struct head *h = head_of(v);
	int64_t due = *due_of(st, value_of(v));
	if (due < h->queued) {
		push(st, &part_of(st, h->partition, true)->q, due, gm_map_place(st->map, v));
		h->queued = due;
	}
}

void gm_store_wake_at(struct gm_store *st, void *value, int64_t due)
{
	*due_of(st, value) = due;
	queue_timer(st, (char *)value - VALUE_AT);
}

size_t gm_store_fire(struct gm_store *st, int32_t partition, int64_t until,
	gm_store_due_fn *fn, void *ctx)
{
	size_t fired = 0;
	struct part *p;
	/* fn may queue timers: the queue is looked up again each time. */
	while (st->spec.due_at && (p = part_of(st, partition, false)) && p->q.n > 0
	       && p->q.t[0].due <= until) {
		struct timer t = pop(st, &p->q);
		const char *key;
		size_t klen;
		/* A timer whose entry went may find its place taken by
		 * another: that one fires only if its own timer is at this
		 * very time, which is then its time. */
		void *v = gm_map_at(st->map, t.place, &key, &klen);
		if (!v || head_of(v)->queued != t.due || head_of(v)->partition != partition)
			continue;
		struct head *h = head_of(v);
		h->queued = GM_STORE_NEVER;
		int64_t *due = due_of(st, value_of(v));
		if (*due == GM_STORE_NEVER)
			continue;
		if (*due > until) {
			queue_timer(st, v);
			continue;
		}
		int64_t when = *due;
		*due = GM_STORE_NEVER;
		mark_dirty(st, h);
		fired++;
		fn(ctx, partition, key, klen, value_of(v), when);
	}
	return fired;
}

/* Drops what the store keeps of a partition taken away. */
static void drop_part(struct gm_store *st, int32_t partition)
{
	struct part *p = part_of(st, partition, false);
	if (!p)
		return;
	free_queue(&p->q);
	*p = st->parts[--st->nparts];
}

/* Queues the timers of the partition's entries (-2: all): restored or
 * loaded, they had none queued. */
static void queue_restored(struct gm_store *st, int32_t partition)
{
	if (!st->spec.due_at)
		return;
	struct gm_map_iter it;
	const char *key;
	size_t klen;
	void *v;
	gm_map_iter_init(&it, st->map, true);
	while ((v = gm_map_iter_next(&it, &key, &klen)))
		if (partition == -2 || head_of(v)->partition == partition)
			queue_timer(st, v);
}

/* ---- the changelog ---- */

bool gm_store_use_changelog(struct gm_store *st, const struct gm_common *c,
	const char *input_topic, int *status)
{
	*status = GM_EXIT_FAIL;
	size_t n = strlen(c->group) + strlen(st->name) + sizeof "--changelog";
	st->topic = gm_xcalloc(1, n);
	snprintf(st->topic, n, "%s-%s-changelog", c->group, st->name);
	st->c = c;
	st->kp = gm_kproducer_new(c, status);
	if (!st->kp)
		return false;
	gm_kproducer_internal(st->kp);
	*status = GM_EXIT_FAIL;
	int32_t want = gm_kproducer_partitions(st->kp, input_topic);
	if (want <= 0) {
		gm_error("kafka", "%s: cannot learn its partitions", input_topic);
		return false;
	}
	if (!gm_kproducer_create_topic(st->kp, st->topic, want, true))
		return false;
	int32_t have = gm_kproducer_partitions(st->kp, st->topic);
	if (have < want) {
		gm_error("kafka", "%s: %d partitions, fewer than the %d of %s: its state cannot follow the input's",
			st->topic, (int)have, (int)want, input_topic);
		return false;
	}
	*status = GM_EXIT_OK;
	return true;
}

/* ---- marks ---- */

/* The changelog key of the marks: no entry has it (ids have no NUL). */
static const char MARK_KEY[] = "\0gm-read-to";
#define MARK_KEY_LEN (sizeof MARK_KEY - 1)
#define MARK_MAGIC "gm-read-to/1"
#define MARK_LEN (sizeof MARK_MAGIC - 1 + OFFSETS)

void gm_store_mark(struct gm_store *st, int32_t partition, uint32_t topic, int64_t read_to)
{
	if (!st->kp || partition < 0 || topic >= GM_STORE_TOPICS)
		return;
	struct part *p = part_of(st, partition, true);
	p->marked = true;
	if (read_to > p->read_to[topic])
		p->read_to[topic] = read_to;
}

int64_t gm_store_marked(const struct gm_store *st, int32_t partition, uint32_t topic)
{
	for (size_t i = 0; i < st->nparts; i++)
		if (st->parts[i].partition == partition && topic < GM_STORE_TOPICS)
			return st->parts[i].read_to[topic];
	return -1;
}

/* Sends the marks, one for each partition (a checkpoint): each ends the
 * checkpoint's entries of its partition (see restore_one()). */
static void send_marks(struct gm_store *st)
{
	for (size_t i = 0; i < st->nparts; i++) {
		struct part *m = &st->parts[i];
		if (!m->marked)
			continue;
		unsigned char buf[MARK_LEN];
		memcpy(buf, MARK_MAGIC, sizeof MARK_MAGIC - 1);
		for (int t = 0; t < GM_STORE_TOPICS; t++)
			put_le(buf + sizeof MARK_MAGIC - 1 + 8 * t, (uint64_t)m->read_to[t], 8);
		if (!gm_kproducer_send_to(st->kp, st->topic, m->partition, MARK_KEY, MARK_KEY_LEN,
		    buf, sizeof buf))
			st->failed = true;
	}
}

/* Reads back a mark while restoring. */
static void restore_mark(struct gm_store *st, const struct gm_kmsg *m)
{
	const unsigned char *p = (const unsigned char *)m->data;
	if (!p || m->len != MARK_LEN || memcmp(p, MARK_MAGIC, sizeof MARK_MAGIC - 1))
		return;
	struct part *k = part_of(st, m->partition, true);
	k->marked = true;
	for (int t = 0; t < GM_STORE_TOPICS; t++) {
		int64_t r = (int64_t)get_le(p + sizeof MARK_MAGIC - 1 + 8 * t, 8);
		if (r > k->read_to[t])
			k->read_to[t] = r;
	}
}

/* A changelog message read while restoring, held until the mark that
 * ends its checkpoint. */
struct held {
	unsigned char klen;
	char key[GM_MAP_KEY_MAX];
	bool tombstone;
	size_t at;             /* its value in the restore's bytes */
};

struct restore {
	struct gm_store *st;
	struct held *held;
	size_t nheld, held_cap;
	unsigned char *bytes;  /* the held values, LOG_HEAD + value_size each */
	size_t nbytes, bytes_cap;
};

/* Applies one changelog message (a held one, its checkpoint complete). */
static void apply_saved(struct gm_store *st, int32_t partition, const struct held *h,
	const unsigned char *p)
{
	if (h->tombstone)
		drop(st, h->key, h->klen);
	else
		memcpy(put_saved(st, h->key, h->klen, partition, p + 4), p + LOG_HEAD,
			st->spec.value_size);
}

/* Reads one changelog message while restoring. A checkpoint's entries
 * are applied only when its mark, sent after them, is read: a
 * checkpoint cut short (a crash while its messages went out) is not
 * taken, so that the state never goes further than a mark says. */
static void restore_one(void *ctx, const struct gm_kmsg *m)
{
	struct restore *r = ctx;
	struct gm_store *st = r->st;
	if (m->key && m->klen == MARK_KEY_LEN && !memcmp(m->key, MARK_KEY, MARK_KEY_LEN)) {
		for (size_t i = 0; i < r->nheld; i++)
			apply_saved(st, m->partition, &r->held[i], r->bytes + r->held[i].at);
		r->nheld = r->nbytes = 0;
		restore_mark(st, m);
		return;
	}
	if (!m->key || m->klen == 0 || m->klen > GM_MAP_KEY_MAX)
		return;
	size_t size = LOG_HEAD + st->spec.value_size;
	const unsigned char *p = (const unsigned char *)m->data;
	if (p && (m->len != size || get_le(p, 4) != st->spec.version)) {
		if (!st->warned_foreign)
			gm_warn("kafka", "%s [%d]@%lld: not the state this gm keeps (another version or size); such entries are skipped",
				m->topic, (int)m->partition, (long long)m->offset);
		st->warned_foreign = true;
		return;
	}
	r->held = gm_grow(r->held, &r->held_cap, r->nheld + 1, sizeof *r->held, 64);
	struct held *h = &r->held[r->nheld++];
	h->klen = (unsigned char)m->klen;
	memcpy(h->key, m->key, m->klen);
	h->tombstone = !p;
	h->at = r->nbytes;
	if (p) {
		r->bytes = gm_grow(r->bytes, &r->bytes_cap, r->nbytes + size, 1, 4096);
		memcpy(r->bytes + r->nbytes, p, size);
		r->nbytes += size;
	}
}

bool gm_store_restore(struct gm_store *st, int32_t partition)
{
	if (!st->kp)
		return true;
	/* An entry the map evicts while restoring goes as any evicted one
	 * does (the tool's hook, a tombstone), but for one of the partition
	 * restored (tombstone()). */
	st->restoring = true;
	st->restoring_partition = partition;
	struct restore r = { .st = st };
	bool ok = gm_kafka_read_partition(st->c, st->topic, partition, restore_one, &r);
	st->restoring = false;
	/* What a checkpoint cut short wrote is the latest the changelog has
	 * of its keys: they are written again, as the state has them, at
	 * the next checkpoint, or deleted. */
	for (size_t i = 0; ok && i < r.nheld; i++) {
		const struct held *h = &r.held[i];
		void *v = gm_map_peek(st->map, h->key, h->klen);
		if (v)
			mark_dirty(st, head_of(v));
		else if (!gm_kproducer_send_to(st->kp, st->topic, partition, h->key, h->klen, NULL, 0))
			st->failed = true;
	}
	free(r.held);
	free(r.bytes);
	queue_restored(st, partition);
	return ok;
}

void gm_store_forget(struct gm_store *st, int32_t partition)
{
	struct gm_map_iter it;
	const char *key;
	size_t klen;
	void *v;
	gm_map_iter_init(&it, st->map, true);
	while ((v = gm_map_iter_next(&it, &key, &klen))) {
		if (head_of(v)->partition != partition)
			continue;
		clean(st, head_of(v));
		gm_map_iter_remove(&it);
	}
	drop_part(st, partition);
}

bool gm_store_checkpoint(struct gm_store *st)
{
	if (!st->kp)
		return true;
	if (st->ndirty > 0) {
		unsigned char *buf = gm_xcalloc(1, LOG_HEAD + st->spec.value_size);
		put_le(buf, st->spec.version, 4);
		struct gm_map_iter it;
		const char *key;
		size_t klen;
		void *v;
		/* Oldest first: a restore that puts them in changelog order
		 * rebuilds the recency order, so that the cap evicts as an
		 * uninterrupted run would. */
		gm_map_iter_init(&it, st->map, true);
		while (st->ndirty > 0 && (v = gm_map_iter_next(&it, &key, &klen))) {
			struct head *h = head_of(v);
			if (!h->dirty)
				continue;
			clean(st, h);
			if (h->partition < 0)
				continue;
			for (int i = 0; i < GM_STORE_TOPICS; i++)
				put_le(buf + 4 + 8 * i, (uint64_t)h->offset[i], 8);
			memcpy(buf + LOG_HEAD, value_of(v), st->spec.value_size);
			if (!gm_kproducer_send_to(st->kp, st->topic, h->partition, key, klen,
			    buf, LOG_HEAD + st->spec.value_size))
				st->failed = true;
		}
		free(buf);
	}
	if (!gm_kproducer_flush(st->kp, -1))
		st->failed = true;
	return !st->failed;
}

bool gm_store_seal(struct gm_store *st)
{
	if (!st->kp)
		return true;
	/* After the entries: a restore that reads the mark has them. */
	send_marks(st);
	if (!gm_kproducer_flush(st->kp, -1))
		st->failed = true;
	return !st->failed;
}

int gm_store_close(struct gm_store *st)
{
	if (!st || !st->kp)
		return GM_EXIT_OK;
	int status = gm_kproducer_close(st->kp);
	st->kp = NULL;
	return status;
}

/* ---- snapshots ---- */

/* A snapshot: one header line, "gm-store/2 NAME VERSION VALUE_SIZE
 * COUNT\n", then COUNT entries, oldest first, each the key's length
 * (one byte), the key, the partition (4 bytes) and the offsets (8 bytes
 * each, GM_STORE_TOPICS), little-endian, and the value's bytes. */
#define SNAP_MAGIC "gm-store/2"

bool gm_store_load(struct gm_store *st, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		if (errno == ENOENT)
			return true;
		gm_error(path, "%s", strerror(errno));
		return false;
	}
	char name[64];
	unsigned long version, size;
	unsigned long long count;
	bool ok = fscanf(f, SNAP_MAGIC " %63s %lu %lu %llu", name, &version, &size, &count) == 4
		&& fgetc(f) == '\n';
	if (!ok) {
		gm_error(path, "not a state snapshot of gm");
	} else if (strcmp(name, st->name) || version != st->spec.version || size != st->spec.value_size) {
		gm_error(path, "a snapshot of %s version %lu, not of this tool's %s version %lu",
			name, version, st->name, (unsigned long)st->spec.version);
		ok = false;
	}
	bool told = !ok;
	unsigned char at[4 + OFFSETS], key[GM_MAP_KEY_MAX];
	for (unsigned long long i = 0; ok && i < count; i++) {
		int klen = fgetc(f);
		if (klen == EOF || klen == 0 || klen > GM_MAP_KEY_MAX
		    || fread(key, 1, (size_t)klen, f) != (size_t)klen
		    || fread(at, 1, sizeof at, f) != sizeof at) {
			ok = false;
			break;
		}
		void *v = put_saved(st, (const char *)key, (size_t)klen, (int32_t)get_le(at, 4), at + 4);
		if (fread(v, 1, st->spec.value_size, f) != st->spec.value_size)
			ok = false;
	}
	if (ok && fgetc(f) != EOF)
		ok = false;
	if (ok)
		queue_restored(st, -2);
	if (ferror(f))
		gm_error(path, "%s", strerror(errno));
	else if (!ok && !told)
		gm_error(path, "the snapshot is cut short or damaged");
	fclose(f);
	return ok;
}

bool gm_store_save(struct gm_store *st, const char *path)
{
	size_t n = strlen(path) + 32;
	char *tmp = gm_xcalloc(1, n);
	snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	bool ok = f != NULL;
	if (ok)
		ok = fprintf(f, SNAP_MAGIC " %s %lu %lu %llu\n", st->name,
			(unsigned long)st->spec.version, (unsigned long)st->spec.value_size,
			(unsigned long long)gm_map_size(st->map)) > 0;
	struct gm_map_iter it;
	const char *key;
	size_t klen;
	void *v;
	gm_map_iter_init(&it, st->map, true);
	while (ok && (v = gm_map_iter_next(&it, &key, &klen))) {
		const struct head *h = head_of(v);
		unsigned char at[4 + OFFSETS];
		put_le(at, (uint32_t)h->partition, 4);
		for (int i = 0; i < GM_STORE_TOPICS; i++)
			put_le(at + 4 + 8 * i, (uint64_t)h->offset[i], 8);
		ok = fputc((int)klen, f) != EOF && fwrite(key, 1, klen, f) == klen
			&& fwrite(at, 1, sizeof at, f) == sizeof at
			&& fwrite(value_of(v), 1, st->spec.value_size, f) == st->spec.value_size;
	}
	if (f) {
		ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
		ok = fclose(f) == 0 && ok;
	}
	if (ok)
		ok = rename(tmp, path) == 0;
	if (!ok) {
		gm_error(path, "cannot save the state: %s", strerror(errno));
		unlink(tmp);
	}
	free(tmp);
	return ok;
}

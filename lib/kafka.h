/* kafka: librdkafka producer and consumer with gm's delivery rules.
 *
 * Configuration: bootstrap servers from gm_common.brokers, then every
 * -X key=value in order (a bad key or value is a usage error, status 2).
 * Defaults set before -X, so -X overrides them: the producer uses
 * partitioner=murmur2_random (keys land where Java and Python clients put
 * them), enable.idempotence=true and linger.ms=5; the consumer uses
 * auto.offset.reset=earliest. A consumer in a group commits only the
 * offsets the tool accepted (gm_kconsumer_accept*), itself, with the
 * tool's notes: every auto.commit.interval.ms, before its partitions are
 * taken away, and at close; librdkafka's enable.auto.commit and
 * enable.auto.offset.store are always off.
 *
 * Errors are reported with gm_error() under the "kafka" location. A
 * client is made only once a broker has answered, within c->retry_ms
 * (--retry-for): a cluster that is not there is one error and
 * GM_EXIT_TEMPFAIL, not librdkafka's warnings for ever. Later, a broker
 * connection that fails is reported once, with a word when brokers
 * answer again, however often librdkafka retries meanwhile. A service
 * counts as unreachable when no broker was ever reached; the close calls
 * then return GM_EXIT_TEMPFAIL. */
#ifndef GM_KAFKA_H
#define GM_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"

struct gm_kproducer;
struct gm_kconsumer;
struct gm_kwatch;
struct rd_kafka_s;

/* Creates a producer, once a broker has answered: it retries for
 * c->retry_ms (one try of half a second at least; a signal stops it).
 * Returns NULL after gm_error() when it cannot, *status saying why:
 * GM_EXIT_TEMPFAIL when no broker answered, GM_EXIT_FAIL on a
 * configuration error; exits 2 on a bad -X property. */
struct gm_kproducer *gm_kproducer_new(const struct gm_common *c, int *status);

/* Queues one message (key may be NULL); the bytes are copied. Messages
 * wait in a batch per topic, handed to librdkafka when it is full, when
 * its first message has waited 2 ms by a later send, and by every poll,
 * flush and close; so call gm_kproducer_poll() before waiting for
 * anything else. When librdkafka's queue is full, serves delivery
 * reports until there is room (after a signal, see below, until the
 * drain's end: the rest is counted as failed). Returns false when this
 * or an earlier message could not be queued (reported and counted as
 * failed). */
bool gm_kproducer_send(struct gm_kproducer *p, const char *topic,
	const char *key, size_t klen, const void *val, size_t vlen);

/* As gm_kproducer_send(), to the given partition (-1: by the key, as
 * gm_kproducer_send() does); val NULL sends a tombstone (no value), as a
 * compacted topic's deletion. */
bool gm_kproducer_send_to(struct gm_kproducer *p, const char *topic,
	int32_t partition, const char *key, size_t klen, const void *val,
	size_t vlen);

/* The number of partitions of topic, 0 when the cluster does not say
 * (no such topic, no answer within 10 s). */
int32_t gm_kproducer_partitions(struct gm_kproducer *p, const char *topic);

/* Creates topic with that many partitions (the brokers' default
 * replication), compacted (cleanup.policy=compact) when compact. A topic
 * that exists already is success, whatever its partitions: check with
 * gm_kproducer_partitions(). A cluster that names none of its brokers
 * as its controller within 2 s (librdkafka's mock cluster) takes no
 * admin requests, and makes topics as they are first used, with its
 * default partitions: this then does nothing and returns true. Returns
 * false after gm_error(). */
bool gm_kproducer_create_topic(struct gm_kproducer *p, const char *topic,
	int32_t partitions, bool compact);

/* Hands every waiting batch to librdkafka and serves delivery reports,
 * without blocking (unless librdkafka's queue is full). */
void gm_kproducer_poll(struct gm_kproducer *p);

/* Waits until every message queued so far has its delivery report, at
 * most timeout_ms (-1: message.timeout.ms bounds it). Once a signal has
 * come (gm_stopping()), every wait of the producer ends 5 s after it
 * first saw it at the latest: the user asked to stop, and should not
 * wait minutes for brokers that are gone. Returns true when all of them
 * arrived and none failed since the producer was made. */
bool gm_kproducer_flush(struct gm_kproducer *p, int timeout_ms);

/* Marks p's messages as the tool's own state (a changelog), not its
 * output: they count in neither gm_counts.out nor .undelivered (a
 * failure still makes flush and close fail). */
void gm_kproducer_internal(struct gm_kproducer *p);

/* Messages acknowledged by the brokers, and failed (delivery error,
 * timeout, or could not be queued). Each also counts in the summary, in
 * gm_counts.out or gm_counts.undelivered, when it is known. */
uint64_t gm_kproducer_delivered(const struct gm_kproducer *p);
uint64_t gm_kproducer_failed(const struct gm_kproducer *p);

/* Drains the queue (waits for every delivery report, as flush does: 5 s
 * at most after a signal, the messages still waiting then given up,
 * counted as failed and said so), destroys the producer, and returns
 * GM_EXIT_OK when every message was delivered, GM_EXIT_TEMPFAIL when
 * none could be because no broker was reachable, GM_EXIT_FAIL otherwise.
 * NULL gives GM_EXIT_OK. */
int gm_kproducer_close(struct gm_kproducer *p);

struct gm_kmsg {
	const char *data;   /* payload, valid until the next gm_kconsumer_next */
	size_t len;
	const char *key;    /* may be NULL */
	size_t klen;
	const char *topic;
	int32_t partition;
	int64_t offset;
};

enum gm_kpoll {
	GM_K_MSG,    /* *m holds a message */
	GM_K_IDLE,   /* nothing arrived within the timeout */
	GM_K_EOF,    /* exit_eof and every assigned partition is at its end,
	                or every partition of a range read to its end */
	GM_K_ERROR,  /* a fatal consumer error, reported */
};

/* A partition handed to a rebalance hook. */
struct gm_kpartition {
	const char *topic;
	int32_t partition;
	int64_t offset;     /* assign: the committed offset, where reading
	                       starts; < 0 when there is none */
	const char *note;   /* assign: the note committed with it, or NULL */
};

/* Called with the partitions given to this consumer, before any of
 * their messages is read: the tool restores from the notes what it had
 * not finished. */
typedef void gm_assign_fn(void *ctx, const struct gm_kpartition *parts,
	size_t n);

/* Called before partitions are taken from this consumer: the tool
 * flushes its sink, accepts what it may (gm_kconsumer_accept*), and
 * forgets those partitions; the accepted offsets are committed right
 * after it returns (unless the assignment was lost). */
typedef void gm_revoke_fn(void *ctx, const struct gm_kpartition *parts,
	size_t n);

/* Creates a consumer of the given topics. With c->group it joins that
 * consumer group (subscribe) and commits offsets; without one it reads
 * every partition from the beginning (or a range: gm_kconsumer_range)
 * and commits nothing. exit_eof makes gm_kconsumer_next() return
 * GM_K_EOF once all assigned partitions are at their end (as kcat -e).
 * Like gm_kproducer_new(), waits for a broker to answer first, and
 * returns NULL after gm_error() when it cannot, with *status
 * GM_EXIT_TEMPFAIL or GM_EXIT_FAIL. */
struct gm_kconsumer *gm_kconsumer_new(const struct gm_common *c,
	const char *const *topics, size_t ntopics, bool exit_eof, int *status);

/* A partition and an offset in it: where a bounded range starts reading
 * it, or where the next range should. */
struct gm_koffset {
	const char *topic;
	int32_t partition;
	int64_t offset;
};

/* Orders gm_koffsets by topic name (bytes), then partition: a qsort(3)
 * and bsearch(3) comparison. */
int gm_koffset_cmp(const void *a, const void *b);

/* Makes k, a consumer made without a group and not read yet, read a
 * bounded range instead of every partition to the end: each partition
 * of its topics from the offset from[0..nfrom) gives it (one that from
 * does not name, and topics from does not name: from the partition's
 * first record) to the partition's end as it is now (its high
 * watermark, read here): records produced later are left for the next
 * range. An offset before the partition's first record (those between
 * were deleted unread) or past its end (the topic was made again) is
 * warned of, and the partition read from its first record. Then
 * gm_kconsumer_next() returns GM_K_EOF once every partition is read to
 * that end. from is only read during the call. Returns false after
 * gm_error() when the cluster does not tell the partitions or their
 * ends (within 10 s each): gm_kconsumer_close() then returns
 * GM_EXIT_TEMPFAIL when it did not answer, GM_EXIT_FAIL otherwise. */
bool gm_kconsumer_range(struct gm_kconsumer *k, const struct gm_koffset *from,
	size_t nfrom);

/* For a consumer given a range: every partition of its topics, ordered
 * by topic name and then partition, each with the offset the next range
 * should start at: the one after the last message returned, the range's
 * end once the partition is read to it, its start before any message.
 * Sets *n; the array and its topics are owned by k, the offsets updated
 * by every gm_kconsumer_next(), until gm_kconsumer_close(). Without a
 * range: NULL and 0. */
const struct gm_koffset *gm_kconsumer_offsets(const struct gm_kconsumer *k, size_t *n);

/* Sets the rebalance hooks (either may be NULL); only a consumer in a
 * group has rebalances. If the committed offsets cannot be read for an
 * assignment, that is reported and gm_kconsumer_next() fails. */
void gm_kconsumer_on_rebalance(struct gm_kconsumer *k, gm_assign_fn *assign,
	gm_revoke_fn *revoke, void *ctx);

/* Waits up to timeout_ms for the next message; a signal (gm_stopping())
 * ends the wait early, as GM_K_IDLE. Accepted offsets that have waited
 * auto.commit.interval.ms are committed meanwhile. Per-message errors
 * (e.g. partition EOF) are handled inside; a message too large or an
 * error message is not returned as a message. */
enum gm_kpoll gm_kconsumer_next(struct gm_kconsumer *k, struct gm_kmsg *m,
	int timeout_ms);

/* Marks every message returned so far as accepted by the sink: their
 * offsets (+1) are stored, without notes, to be committed. Without a
 * group, does nothing. */
void gm_kconsumer_accept(struct gm_kconsumer *k);

/* Marks the messages returned so far from one partition, those before
 * offset before, as accepted: the partition's next reader starts at the
 * first message not accepted (before, or the one after the last
 * returned, whichever comes first), and gets note (may be NULL; a few
 * hundred bytes at most) with it. Does nothing without a group, or
 * before a message of that partition was returned. */
void gm_kconsumer_accept_partition(struct gm_kconsumer *k, const char *topic,
	int32_t partition, int64_t before, const char *note);

/* Stops (pause) or starts again fetching one assigned partition: its
 * messages already fetched are dropped, and the next come from the one
 * after the last returned, once resumed. A rebalance does not resume a
 * partition: the caller does. For keeping topics read together in step. */
void gm_kconsumer_pause(struct gm_kconsumer *k, const char *topic, int32_t partition,
	bool pause);

/* True when the partition is assigned and the broker said it is at its
 * end, with no message since. */
bool gm_kconsumer_at_end(const struct gm_kconsumer *k, const char *topic, int32_t partition);

/* Commits the accepted offsets synchronously, if they changed. Returns
 * false on error (reported). Nothing to commit is success, and so is a
 * commit refused because the group is rebalancing (a warning says so):
 * the records are then read again by the partitions' next owner, which
 * loses nothing. */
bool gm_kconsumer_commit(struct gm_kconsumer *k);

/* Called with each message gm_kafka_read_partition() reads; m->data
 * is NULL for a tombstone. */
typedef void gm_kread_fn(void *ctx, const struct gm_kmsg *m);

/* Reads one partition of topic from its beginning to the end it has
 * now, in order, with a consumer of its own (no group, nothing
 * committed), giving each message to fn: how a state store is restored
 * from its changelog. Returns false after gm_error() when it cannot
 * (no answer within --retry-for, 10 s at least). */
bool gm_kafka_read_partition(const struct gm_common *c, const char *topic,
	int32_t partition, gm_kread_fn *fn, void *ctx);

/* A client that only looks at the cluster (metadata, offsets, admin
 * requests), for a monitor such as gm-metrics: made from c's brokers
 * and -X, with isolation.level=read_uncommitted before them (the latest
 * offset is the high watermark) and gm's log and error callbacks, the
 * handle then used with librdkafka's own calls. Unlike
 * gm_kproducer_new(), it does not wait for a broker, and says nothing
 * when a broker connection fails: a monitor starts and goes on while
 * the cluster is away, and shows that itself; librdkafka keeps
 * retrying. librdkafka's log lines and errors wait for
 * rd_kafka_poll() on the handle, which the caller calls from its own
 * thread. Returns NULL after gm_error() when there are no brokers or
 * librdkafka refuses the configuration; exits 2 on a bad -X property. */
struct gm_kwatch *gm_kwatch_new(const struct gm_common *c);

/* w's librdkafka handle (an rd_kafka_t), owned by w. */
struct rd_kafka_s *gm_kwatch_handle(struct gm_kwatch *w);

/* Destroys the client (waiting for its requests to end); NULL is
 * ignored. */
void gm_kwatch_free(struct gm_kwatch *w);

/* Commits stored offsets, leaves the group, destroys the consumer.
 * Returns GM_EXIT_OK, GM_EXIT_TEMPFAIL when no broker was ever reached
 * (or a range's partitions or ends were not told in time), or
 * GM_EXIT_FAIL. NULL gives GM_EXIT_OK. */
int gm_kconsumer_close(struct gm_kconsumer *k);

#endif

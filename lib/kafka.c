/* kafka: librdkafka producer and consumer with gm's delivery rules.
 * See kafka.h for the contracts.
 *
 * Everything librdkafka reports (logs, errors, delivery reports,
 * rebalances) is served in the caller's thread from the poll, flush and
 * consumer calls: logs go through log.queue to the main queue, so the
 * message helpers of cli.h are never called from librdkafka's threads. */
#include "kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <librdkafka/rdkafka.h>

#include "clock.h"
#include "counts.h"
#include "mem.h"
#include "stats.h"

/* What producer and consumer share; the first member of both, so that
 * the librdkafka opaque (a pointer to it) converts back to either. */
struct kclient {
	rd_kafka_t *rk;
	char *brokers;    /* bootstrap.servers as configured, for messages */
	bool reached;     /* a broker answered (see client_reached) */
	bool all_down;    /* librdkafka reported every broker down */
	bool fatal;       /* a fatal error was reported */
	bool connecting;  /* in client_connect, which reports failures */
	bool quiet;       /* a monitor's: connection failures are its
	                     caller's to show (gm_kwatch_new) */
	bool outage;      /* a connection failure was reported, and no
	                     broker has answered since */
	int64_t outage_at;      /* gm_now_ms() when it was */
	char why[256];    /* the last connection failure, for messages */
};

/* A message waiting in a topic's batch: where its bytes are in the
 * batch's arena, and its partition once known. */
struct pending {
	size_t key_at, klen, val_at, vlen;
	bool has_key;
	bool has_val;      /* false: a tombstone */
	int32_t fixed;     /* the partition the sender chose, or -1 */
	int32_t partition;
};

/* A topic the producer writes to, with the batch it is filling. */
struct ktopic {
	rd_kafka_topic_t *rkt;
	int32_t partitions;         /* 0: unknown, librdkafka partitions */
	int64_t partitions_at;      /* gm_now_ms() of the last metadata request */
	struct pending *msgs;
	size_t n;
	size_t *bucket;             /* partitions + 1 counters, for sorting */
	int64_t first_at;           /* gm_now_coarse_ms() when msgs[0] was added */
	char *arena;                /* keys and payloads, copied */
	size_t used, cap;
};

typedef int32_t partitioner_fn(const rd_kafka_topic_t *rkt, const void *key,
	size_t keylen, int32_t partition_cnt, void *rkt_opaque, void *msg_opaque);

struct gm_kproducer {
	struct kclient kc;
	struct ktopic *topics;      /* by first use */
	size_t ntopics;
	size_t last;                /* index of the previous send's topic */
	partitioner_fn *partitioner;/* the configured one, NULL if unknown */
	int metadata_ms;            /* bound on a metadata request */
	rd_kafka_message_t *batch;  /* BATCH_MSGS, for rd_kafka_produce_batch */
	uint64_t queued;            /* messages librdkafka accepted */
	uint64_t delivered;
	uint64_t failed;            /* delivery errors and refused sends */
	uint64_t reported;          /* delivery reports, good or bad */
	bool internal;              /* its messages are the tool's state, not
	                               its output: not in gm_counts */
	int64_t stop_at;            /* gm_now_ms() when a drain stops, once
	                               a signal came; 0 before */
	/* Delivery errors reported: each kind once (an outage fails every
	 * message alike); close() says how many failed in all. */
	rd_kafka_resp_err_t shown[16];
	size_t nshown;
};

struct gm_kconsumer {
	struct kclient kc;
	bool grouped;       /* subscribed with a group; commits offsets */
	bool exit_eof;
	bool assigned;      /* without a group: every partition assigned */
	bool failed;        /* an error that makes close return FAIL */
	bool broken;        /* an error after which no message may be read */
	char **topics;
	size_t ntopics;
	rd_kafka_message_t *cur;   /* the message last returned */
	gm_assign_fn *on_assign;
	gm_revoke_fn *on_revoke;
	void *hook_ctx;
	/* Offsets (and notes) accepted, to be committed: gm commits them
	 * itself, every commit_every_ms and at rebalances and close. */
	rd_kafka_topic_partition_list_t *stored;
	bool dirty;                /* stored changed since the last commit */
	int64_t commit_every_ms;   /* auto.commit.interval.ms */
	int64_t committed_at;      /* gm_now_coarse_ms() of the last commit */
	int64_t lag_at;            /* ... of the last look at the lag */
	struct gm_stat *lag;       /* messages behind the ends, for stats.h */
	/* The current assignment, and which of its partitions are at their
	 * end since their last message (same order as the list). */
	rd_kafka_topic_partition_list_t *parts;
	bool *at_eof;
	size_t n_eof;
	/* A bounded range (gm_kconsumer_range): its partitions, sorted,
	 * each with the offset it is read to (the next range's start) and
	 * its end; done once read to it. */
	struct gm_koffset *range;
	int64_t *range_end;
	bool *range_done;
	size_t nrange, ndone;
	size_t range_last;  /* the partition of the last message, a guess
	                       for the next one's */
	bool tempfail;      /* the cluster did not answer in time */
};

/* The group.id of a consumer without a group: librdkafka 2.0 needs one
 * for rd_kafka_consumer_poll() and rd_kafka_assign(), but such a consumer
 * never joins it (no subscribe) and never commits to it. */
#define GM_NO_GROUP "gm-nogroup"

/* ---- configuration ---- */

struct kv {
	const char *name, *value;
};

/* Sets one property that gm itself chose; librdkafka 2.0.2 accepts all
 * of them, so a refusal is reported as a bug would be. */
static bool conf_set(rd_kafka_conf_t *conf, const char *name,
	const char *value)
{
	char errstr[512];
	if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr)
	    == RD_KAFKA_CONF_OK)
		return true;
	gm_error("kafka", "%s=%s: %s", name, value, errstr);
	return false;
}

/* Applies one -X key=value; a malformed or refused one exits 2. The
 * message names the property as given: librdkafka's names an alias by
 * the property it stands for (linger.ms as queue.buffering.max.ms,
 * acks as request.required.acks), which the user never wrote. */
static void conf_set_prop(rd_kafka_conf_t *conf, const char *prop)
{
	const char *eq = strchr(prop, '=');
	if (!eq || eq == prop)
		gm_die(GM_EXIT_USAGE, NULL, "-X %s: expected key=value", prop);
	char *name = gm_xstrndup(prop, (size_t)(eq - prop));
	char errstr[512];
	rd_kafka_conf_res_t res = rd_kafka_conf_set(conf, name, eq + 1,
		errstr, sizeof errstr);
	if (res != RD_KAFKA_CONF_OK) {
		const char *q = strstr(errstr, "property \"");
		const char *end = q ? strchr(q += 10, '"') : NULL;
		if (end)
			gm_die(GM_EXIT_USAGE, NULL, "-X %s: %.*s%s%s", prop,
				(int)(q - errstr), errstr, name, end);
		gm_die(GM_EXIT_USAGE, NULL, "-X %s: %s", prop, errstr);
	}
	free(name);
}

/* The value of a property as a new string ("" when unset). */
static char *conf_get(const rd_kafka_conf_t *conf, const char *name)
{
	char buf[1024];
	size_t size = sizeof buf;
	if (rd_kafka_conf_get(conf, name, buf, &size) != RD_KAFKA_CONF_OK)
		buf[0] = '\0';
	return gm_xstrdup(buf);
}

/* Serves librdkafka's log lines (from the poll calls, see log.queue) as
 * gm messages: warnings and errors as warnings (librdkafka retries what
 * they describe), anything chattier (debug=...) as plain lines. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
	const char *buf)
{
	/* One -X list serves a tool's consumer and producer alike: that a
	 * property is for the other kind is expected, not worth a word. */
	if (strcmp(fac, "CONFWARN") == 0 && strstr(buf, " will be ignored by "))
		return;
	/* A broker connection that failed: the same comes to error_cb,
	 * which says it once (see connection_failed). */
	if (strcmp(fac, "FAIL") == 0)
		return;
	/* Drop librdkafka's "[thrd:NAME]: " prefix: one thread is ours. */
	if (strncmp(buf, "[thrd:", 6) == 0) {
		const char *end = strstr(buf, "]: ");
		if (end)
			buf = end + 3;
	}
	if (level <= LOG_WARNING)
		gm_warn("kafka", "%s", buf);
	else
		fprintf(stderr, "%s: kafka: %s: %s\n", gm_prog, fac, buf);
}

/* librdkafka's reason for a connection failure, as "127.0.0.1:1/bootstrap:
 * Connect to ipv4#127.0.0.1:1 failed: Connection refused (after 0ms in
 * state CONNECT, 3 identical error(s) suppressed)", cut to its cause
 * ("Connection refused") into kc->why. */
static void keep_why(struct kclient *kc, const char *reason)
{
	const char *p = strstr(reason, " failed: ");
	if (p) {
		p += 9;
	} else if ((p = strstr(reason, ": ")) && memchr(reason, '/', (size_t)(p - reason))) {
		p += 2;  /* past the broker's name */
	} else {
		p = reason;
	}
	const char *end = strstr(p, " (after ");
	int n = end ? (int)(end - p) : (int)strlen(p);
	snprintf(kc->why, sizeof kc->why, "%.*s", n, p);
}

/* A broker connection failed; librdkafka retries it, every few seconds
 * at most, and would log each try for as long as the outage lasts. At
 * the start, client_connect() reports; later, the first failure of an
 * outage is reported, and no other until a broker has answered again
 * (client_up). */
static void connection_failed(struct kclient *kc, const char *reason)
{
	keep_why(kc, reason);
	if (kc->connecting || kc->outage || kc->quiet)
		return;
	kc->outage = true;
	kc->outage_at = gm_now_ms();
	gm_warn("kafka", "%s: %s; retrying", kc->brokers, kc->why);
}

/* A broker answered (a delivery, a message, a rebalance): the cluster was
 * reached, and an outage reported is over. */
static void client_up(struct kclient *kc)
{
	kc->reached = true;
	if (kc->outage) {
		kc->outage = false;
		gm_warn("kafka", "%s: back after %.1f s", kc->brokers,
			(gm_now_ms() - kc->outage_at) / 1e3);
	}
}

/* Client-wide errors. Connection failures are retried by librdkafka:
 * they are said once (connection_failed); fatal errors are reported. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason,
	void *opaque)
{
	struct kclient *kc = opaque;
	switch (err) {
	case RD_KAFKA_RESP_ERR__FATAL: {
		char why[512];
		rd_kafka_resp_err_t orig = rd_kafka_fatal_error(rk, why,
			sizeof why);
		gm_error("kafka", "fatal error: %s: %s",
			rd_kafka_err2name(orig), why);
		kc->fatal = true;
		break;
	}
	case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
		kc->all_down = true;
		break;
	case RD_KAFKA_RESP_ERR__TRANSPORT:
	case RD_KAFKA_RESP_ERR__RESOLVE:
		connection_failed(kc, reason);
		break;
	default:
		gm_warn("kafka", "%s", reason);
		break;
	}
}

/* Builds the configuration common to both kinds: defaults, brokers, -X
 * in order, then the properties gm needs whatever -X said (forced).
 * Returns NULL after gm_error() when there are no brokers. */
static rd_kafka_conf_t *conf_new(const struct gm_common *c,
	const struct kv *defaults, size_t ndefaults,
	const struct kv *forced, size_t nforced)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	bool ok = true;
	for (size_t i = 0; i < ndefaults; i++)
		ok = ok && conf_set(conf, defaults[i].name, defaults[i].value);
	if (ok && c->brokers && *c->brokers)
		ok = conf_set(conf, "bootstrap.servers", c->brokers);
	for (size_t i = 0; ok && i < c->nprops; i++)
		conf_set_prop(conf, c->props[i]);
	for (size_t i = 0; ok && i < nforced; i++)
		ok = conf_set(conf, forced[i].name, forced[i].value);
	if (!ok) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	char *servers = conf_get(conf, "bootstrap.servers");
	bool none = !*servers;
	free(servers);
	if (none) {
		gm_error(NULL, "no Kafka brokers: use -b or GM_BROKERS");
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_conf_set_log_cb(conf, log_cb);
	rd_kafka_conf_set_error_cb(conf, error_cb);
	return conf;
}

/* Makes the client from conf (taken over in every case); the opaque of
 * every callback is kc. Returns false after gm_error(). */
static bool client_new(struct kclient *kc, rd_kafka_type_t type,
	rd_kafka_conf_t *conf)
{
	char errstr[512];
	kc->brokers = conf_get(conf, "bootstrap.servers");
	rd_kafka_conf_set_opaque(conf, kc);
	kc->rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
	if (!kc->rk) {
		rd_kafka_conf_destroy(conf);
		gm_error("kafka", "%s", errstr);
		return false;
	}
	rd_kafka_set_log_queue(kc->rk, NULL);
	return true;
}

/* True when a broker was ever reached. A delivery or a fetched message
 * proves it (kc->reached); so does any metadata response, which is the
 * first thing librdkafka asks a broker it connects to: the cluster id
 * and controller id it carries stay cached on the handle for its life,
 * even when the brokers go away later. */
static bool client_reached(struct kclient *kc)
{
	if (kc->reached)
		return true;
	char *id = rd_kafka_clusterid(kc->rk, 0);
	if (id) {
		rd_kafka_mem_free(kc->rk, id);
		kc->reached = true;
	} else if (rd_kafka_controllerid(kc->rk, 0) >= 0) {
		kc->reached = true;
	}
	return kc->reached;
}

/* True, after saying so, when no broker was ever reached: the close
 * calls then return GM_EXIT_TEMPFAIL. */
static bool never_reached(struct kclient *kc)
{
	if (client_reached(kc))
		return false;
	gm_error("kafka", "%s: no broker could be reached", kc->brokers);
	return true;
}

static void client_destroy(struct kclient *kc)
{
	if (kc->rk)
		rd_kafka_destroy(kc->rk);
	free(kc->brokers);
}

/* Milliseconds left until deadline (a gm_now_ms() time), or -1 when
 * deadline is -1 (no deadline). */
static int remaining_ms(int64_t deadline)
{
	if (deadline < 0)
		return -1;
	int64_t left = deadline - gm_now_ms();
	return left > 0 ? (int)left : 0;
}

/* How long client_connect() waits for one answer; also the least it
 * tries for. */
#define CONNECT_TRY_MS 500

/* Waits until a broker answers a metadata request, for retry_ms at most
 * (one try, at least): without this, a cluster that is not there would
 * only show as librdkafka's warnings, for ever, and as messages failing
 * after message.timeout.ms. The first failure is reported as a warning,
 * with how long it retries; giving up as an error. A signal gives up at
 * once. Serves the client's main queue, so call it before a consumer's
 * is forwarded. Returns GM_EXIT_OK or GM_EXIT_TEMPFAIL. */
static int client_connect(struct kclient *kc, long long retry_ms)
{
	int64_t began = gm_now_ms();
	int status = GM_EXIT_TEMPFAIL;
	bool warned = false;
	kc->connecting = true;
	for (;;) {
		const struct rd_kafka_metadata *md;
		rd_kafka_resp_err_t err = rd_kafka_metadata(kc->rk, 0, NULL,
			&md, CONNECT_TRY_MS);
		rd_kafka_poll(kc->rk, 0);  /* error_cb: kc->why */
		if (!err) {
			rd_kafka_metadata_destroy(md);
			status = GM_EXIT_OK;
			break;
		}
		if (!kc->why[0])
			snprintf(kc->why, sizeof kc->why, "%s", rd_kafka_err2str(err));
		if (gm_stopping()) {
			gm_error("kafka", "%s: unreachable, stopped while retrying: %s",
				kc->brokers, kc->why);
			break;
		}
		if (gm_now_ms() - began >= retry_ms) {
			gm_error("kafka", "%s: unreachable for %g s, giving up: %s",
				kc->brokers, retry_ms / 1e3, kc->why);
			break;
		}
		if (!warned)
			gm_warn("kafka", "%s: %s; retrying for up to %g s",
				kc->brokers, kc->why, retry_ms / 1e3);
		warned = true;
	}
	kc->connecting = false;
	if (status == GM_EXIT_OK) {
		kc->reached = true;
		if (warned)
			gm_warn("kafka", "%s: reached after %.1f s", kc->brokers,
				(gm_now_ms() - began) / 1e3);
	}
	return status;
}

/* ---- producer ---- */

/* n messages will not be delivered: counted here and in the summary. */
static void not_delivered(struct gm_kproducer *p, uint64_t n)
{
	p->failed += n;
	if (!p->internal)
		gm_counts_add(&gm_counts.undelivered, n);
}

/* True the first time a delivery error of this kind comes. */
static bool first_of_its_kind(struct gm_kproducer *p, rd_kafka_resp_err_t err)
{
	for (size_t i = 0; i < p->nshown; i++)
		if (p->shown[i] == err)
			return false;
	if (p->nshown < sizeof p->shown / sizeof p->shown[0])
		p->shown[p->nshown++] = err;
	return true;
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m,
	void *opaque)
{
	struct gm_kproducer *p = opaque;
	p->reported++;
	if (m->err) {
		not_delivered(p, 1);
		/* Purged by close(), which says so. */
		if (m->err == RD_KAFKA_RESP_ERR__PURGE_QUEUE
		    || m->err == RD_KAFKA_RESP_ERR__PURGE_INFLIGHT)
			return;
		if (first_of_its_kind(p, m->err))
			gm_error("kafka", "%s [%d]: delivery failed: %s (the next failures of this kind are only counted)",
				rd_kafka_topic_name(m->rkt), (int)m->partition,
				rd_kafka_err2str(m->err));
	} else {
		p->delivered++;
		if (!p->internal)
			gm_counts_add(&gm_counts.out, 1);
		client_up(&p->kc);
	}
}

static const struct kv producer_defaults[] = {
	{ "partitioner", "murmur2_random" },
	{ "enable.idempotence", "true" },
	{ "linger.ms", "5" },
};

static const struct kv producer_forced[] = {
	{ "log.queue", "true" },
};

/* Messages are handed to librdkafka in batches, sorted by partition:
 * one call and one topic lock per batch instead of per message, which
 * takes about a third of librdkafka's work per message away. A batch
 * goes when it is full, when its first message has waited
 * BATCH_WAIT_MS by the next send, and at every poll, flush and close. */
#define BATCH_MSGS 1024
#define BATCH_BYTES (1024 * 1024)
#define BATCH_WAIT_MS 2
/* Partition counts are asked again this often, to see added ones; an
 * unknown one (no answer yet) sooner. */
#define METADATA_EVERY_MS (5 * 60 * 1000)
#define METADATA_RETRY_MS (10 * 1000)


/* librdkafka's own partitioners, by their configuration names: gm
 * partitions a batch itself with the one configured, so that keys land
 * where librdkafka (and Java and Python clients) would put them. Only
 * keyed messages: a message without a key, and every message under
 * another partitioner, is left to librdkafka (whose random choice needs
 * its own locks). */
static partitioner_fn *partitioner_named(const char *name)
{
	static const struct {
		const char *name;
		partitioner_fn *fn;
	} known[] = {
		{ "murmur2_random", rd_kafka_msg_partitioner_murmur2_random },
		{ "murmur2", rd_kafka_msg_partitioner_murmur2 },
		{ "consistent_random", rd_kafka_msg_partitioner_consistent_random },
		{ "consistent", rd_kafka_msg_partitioner_consistent },
		{ "fnv1a_random", rd_kafka_msg_partitioner_fnv1a_random },
		{ "fnv1a", rd_kafka_msg_partitioner_fnv1a },
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(name, known[i].name))
			return known[i].fn;
	return NULL;
}

struct gm_kproducer *gm_kproducer_new(const struct gm_common *c, int *status)
{
	*status = GM_EXIT_FAIL;
	rd_kafka_conf_t *conf = conf_new(c, producer_defaults,
		sizeof producer_defaults / sizeof producer_defaults[0],
		producer_forced,
		sizeof producer_forced / sizeof producer_forced[0]);
	if (!conf)
		return NULL;
	struct gm_kproducer *p = gm_xcalloc(1, sizeof *p);
	char *name = conf_get(conf, "partitioner");
	p->partitioner = partitioner_named(name);
	free(name);
	/* A metadata request waits no longer than a message would. */
	p->metadata_ms = 5000;
	const char *bounds[] = { "socket.timeout.ms", "message.timeout.ms" };
	for (size_t i = 0; i < 2; i++) {
		char *v = conf_get(conf, bounds[i]);
		int ms = atoi(v);
		if (ms > 0 && ms < p->metadata_ms)
			p->metadata_ms = ms;
		free(v);
	}
	p->batch = gm_xcalloc(BATCH_MSGS, sizeof *p->batch);
	rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
	if (!client_new(&p->kc, RD_KAFKA_PRODUCER, conf)
	    || (*status = client_connect(&p->kc, c->retry_ms)) != GM_EXIT_OK) {
		client_destroy(&p->kc);
		free(p->batch);
		free(p);
		return NULL;
	}
	return p;
}

/* Asks the cluster for the topic's partition count, now and then; on
 * failure the count stays as it was (0 at first: librdkafka then
 * partitions the messages itself, once it knows the topic). */
static void refresh_partitions(struct gm_kproducer *p, struct ktopic *t)
{
	int64_t every = t->partitions ? METADATA_EVERY_MS : METADATA_RETRY_MS;
	if (!p->partitioner || (t->partitions_at && gm_now_ms() - t->partitions_at < every))
		return;
	t->partitions_at = gm_now_ms();
	const struct rd_kafka_metadata *md;
	if (rd_kafka_metadata(p->kc.rk, 0, t->rkt, &md, p->metadata_ms) != RD_KAFKA_RESP_ERR_NO_ERROR)
		return;
	if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
		t->partitions = md->topics[0].partition_cnt;
		t->bucket = gm_xrealloc(t->bucket, ((size_t)t->partitions + 2) * sizeof *t->bucket);
	}
	rd_kafka_metadata_destroy(md);
}

/* After the first SIGINT or SIGTERM, how long the producer still waits
 * for the brokers: a user who asked to stop should not wait
 * message.timeout.ms (5 minutes by default) for a cluster that is gone. */
#define STOP_DRAIN_MS 5000

/* The end of a wait that would end at deadline (-1: none), made
 * earlier by a signal: STOP_DRAIN_MS after the producer first saw one. */
static int64_t drain_deadline(struct gm_kproducer *p, int64_t deadline)
{
	if (!gm_stopping())
		return deadline;
	if (!p->stop_at)
		p->stop_at = gm_now_ms() + STOP_DRAIN_MS;
	return deadline < 0 || deadline > p->stop_at ? p->stop_at : deadline;
}

/* Hands t's batch to librdkafka, in partition order (the order of each
 * partition's messages kept). A full local queue is waited out, serving
 * delivery reports, unless a signal came and the wait passes its drain
 * deadline; any other refusal is reported and counted. Returns false
 * when a message was refused or given up. */
static bool push(struct gm_kproducer *p, struct ktopic *t)
{
	if (t->n == 0)
		return true;
	refresh_partitions(p, t);
	/* Counting sort into p->batch by partition + 1 (a message left to
	 * librdkafka, RD_KAFKA_PARTITION_UA, is -1), stable. */
	int32_t parts = t->partitions;
	size_t n = t->n, *bucket = t->bucket;
	memset(bucket, 0, ((size_t)parts + 2) * sizeof *bucket);
	for (size_t i = 0; i < n; i++) {
		struct pending *m = &t->msgs[i];
		m->partition = RD_KAFKA_PARTITION_UA;
		if (m->fixed >= 0) {
			m->partition = m->fixed;
			if (m->partition >= parts)   /* sorted with the unknown */
				m->partition = RD_KAFKA_PARTITION_UA;
		} else if (parts > 0 && m->has_key) {
			m->partition = p->partitioner(t->rkt, t->arena + m->key_at,
				m->klen, parts, NULL, NULL);
			if (m->partition < 0 || m->partition >= parts)
				m->partition = RD_KAFKA_PARTITION_UA;
		}
		bucket[m->partition + 2]++;
	}
	for (int32_t k = 0; k < parts; k++)
		bucket[k + 2] += bucket[k + 1];
	for (size_t i = 0; i < n; i++) {
		const struct pending *m = &t->msgs[i];
		rd_kafka_message_t *b = &p->batch[bucket[m->partition + 1]++];
		*b = (rd_kafka_message_t){
			.payload = m->has_val ? t->arena + m->val_at : NULL,
			.len = m->vlen,
			.key = m->has_key ? t->arena + m->key_at : NULL,
			.key_len = m->klen,
			.partition = m->fixed >= 0 ? m->fixed : m->partition,
		};
	}
	int flags = RD_KAFKA_MSG_F_COPY | RD_KAFKA_MSG_F_PARTITION;
	bool ok = true;
	size_t done = 0;
	while (done < n) {
		int good = rd_kafka_produce_batch(t->rkt, RD_KAFKA_PARTITION_UA,
			flags, p->batch + done, (int)(n - done));
		p->queued += (uint64_t)good;
		/* A full queue refuses that message and every later one. */
		size_t i = done;
		for (; i < n && p->batch[i].err != RD_KAFKA_RESP_ERR__QUEUE_FULL; i++) {
			if (!p->batch[i].err)
				continue;
			not_delivered(p, 1);
			ok = false;
			gm_record_error("kafka", "%s: cannot queue message: %s",
				rd_kafka_topic_name(t->rkt), rd_kafka_err2str(p->batch[i].err));
		}
		done = i;
		if (done == n)
			break;
		/* Room comes back as the brokers acknowledge: wait for it,
		 * so that nothing is lost, unless the user asked to stop. */
		if (remaining_ms(drain_deadline(p, -1)) == 0) {
			not_delivered(p, n - done);
			ok = false;
			break;
		}
		rd_kafka_poll(p->kc.rk, 100);
	}
	t->n = 0;
	t->used = 0;
	rd_kafka_poll(p->kc.rk, 0);
	return ok;
}

static bool push_all(struct gm_kproducer *p)
{
	bool ok = true;
	for (size_t i = 0; i < p->ntopics; i++)
		ok = push(p, &p->topics[i]) && ok;
	return ok;
}

/* The topic named name, made on first use; NULL after gm_error(). */
static struct ktopic *producer_topic(struct gm_kproducer *p, const char *name)
{
	if (p->ntopics && !strcmp(rd_kafka_topic_name(p->topics[p->last].rkt), name))
		return &p->topics[p->last];
	for (size_t i = 0; i < p->ntopics; i++)
		if (!strcmp(rd_kafka_topic_name(p->topics[i].rkt), name))
			return &p->topics[p->last = i];
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->kc.rk, name, NULL);
	if (!rkt) {
		gm_error("kafka", "%s: %s", name,
			rd_kafka_err2str(rd_kafka_last_error()));
		return NULL;
	}
	p->topics = gm_xrealloc(p->topics, (p->ntopics + 1) * sizeof *p->topics);
	p->topics[p->ntopics] = (struct ktopic){
		.rkt = rkt,
		.msgs = gm_xcalloc(BATCH_MSGS, sizeof(struct pending)),
		.bucket = gm_xcalloc(2, sizeof(size_t)),
	};
	p->last = p->ntopics++;
	return &p->topics[p->last];
}

/* Copies n bytes into t's arena; returns where they are. */
static size_t arena_add(struct ktopic *t, const void *bytes, size_t n)
{
	t->arena = gm_grow(t->arena, &t->cap, t->used + n, 1, 64 * 1024);
	size_t at = t->used;
	if (n)
		memcpy(t->arena + at, bytes, n);
	t->used += n;
	return at;
}

bool gm_kproducer_send(struct gm_kproducer *p, const char *topic,
	const char *key, size_t klen, const void *val, size_t vlen)
{
	return gm_kproducer_send_to(p, topic, -1, key, klen, val, vlen);
}

bool gm_kproducer_send_to(struct gm_kproducer *p, const char *topic,
	int32_t partition, const char *key, size_t klen, const void *val,
	size_t vlen)
{
	struct ktopic *t = producer_topic(p, topic);
	if (!t) {
		not_delivered(p, 1);
		return false;
	}
	bool ok = true;
	if (t->n > 0 && (t->n == BATCH_MSGS || t->used + klen + vlen > BATCH_BYTES))
		ok = push(p, t);
	struct pending *m = &t->msgs[t->n];
	m->has_key = key != NULL;
	m->has_val = val != NULL;
	m->fixed = partition;
	m->klen = key ? klen : 0;
	m->key_at = arena_add(t, key, m->klen);
	m->vlen = val ? vlen : 0;
	m->val_at = arena_add(t, val, m->vlen);
	int64_t now = gm_now_coarse_ms();
	if (t->n++ == 0)
		t->first_at = now;
	if (now - t->first_at >= BATCH_WAIT_MS)
		ok = push_all(p) && ok;
	return ok;
}

void gm_kproducer_poll(struct gm_kproducer *p)
{
	push_all(p);
	rd_kafka_poll(p->kc.rk, 0);
}

/* The longest single wait of a flush: a signal is seen this soon. */
#define FLUSH_SLICE_MS 100

bool gm_kproducer_flush(struct gm_kproducer *p, int timeout_ms)
{
	push_all(p);
	int64_t deadline = timeout_ms < 0 ? -1 : gm_now_ms() + timeout_ms;
	/* Every queued message gets its report within message.timeout.ms
	 * (unless that is 0: infinite), so waiting in steps ends. */
	while (p->reported < p->queued) {
		int left = remaining_ms(drain_deadline(p, deadline));
		if (left == 0)
			break;
		rd_kafka_flush(p->kc.rk, left < 0 || left > FLUSH_SLICE_MS
			? FLUSH_SLICE_MS : left);
	}
	rd_kafka_poll(p->kc.rk, 0);
	return p->reported == p->queued && p->failed == 0;
}

void gm_kproducer_internal(struct gm_kproducer *p)
{
	p->internal = true;
}

uint64_t gm_kproducer_delivered(const struct gm_kproducer *p)
{
	return p->delivered;
}

uint64_t gm_kproducer_failed(const struct gm_kproducer *p)
{
	return p->failed;
}

/* How long close() waits for the reports of the messages it purged. */
#define PURGE_WAIT_MS 1000

/* After a drain that a signal cut short: the messages still waiting
 * are taken back from librdkafka and counted as not delivered (one
 * in flight may yet reach its partition: its acknowledgement will not
 * be waited for). */
static void give_up_waiting(struct gm_kproducer *p)
{
	uint64_t waiting = p->queued - p->reported;
	rd_kafka_purge(p->kc.rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	int64_t until = gm_now_ms() + PURGE_WAIT_MS;
	while (p->reported < p->queued && remaining_ms(until) > 0)
		rd_kafka_poll(p->kc.rk, FLUSH_SLICE_MS);
	/* Reports that never came: those messages are lost all the same. */
	not_delivered(p, p->queued - p->reported);
	p->reported = p->queued;
	gm_error("kafka", "%llu messages still waiting for the brokers %d s after the signal were given up",
		(unsigned long long)waiting, STOP_DRAIN_MS / 1000);
}

int gm_kproducer_close(struct gm_kproducer *p)
{
	if (!p)
		return GM_EXIT_OK;
	gm_kproducer_flush(p, -1);
	if (p->reported < p->queued)
		give_up_waiting(p);
	int status = GM_EXIT_OK;
	if (p->failed) {
		gm_error("kafka", "%llu of %llu messages not delivered",
			(unsigned long long)p->failed,
			(unsigned long long)(p->failed + p->delivered));
		status = never_reached(&p->kc) ? GM_EXIT_TEMPFAIL
			: GM_EXIT_FAIL;
	} else if (p->kc.fatal) {
		status = GM_EXIT_FAIL;
	}
	for (size_t i = 0; i < p->ntopics; i++) {
		rd_kafka_topic_destroy(p->topics[i].rkt);
		free(p->topics[i].msgs);
		free(p->topics[i].bucket);
		free(p->topics[i].arena);
	}
	free(p->topics);
	free(p->batch);
	client_destroy(&p->kc);
	free(p);
	return status;
}

/* The request timeout of the admin and watermark calls below, and how
 * long the cluster may take to name its controller. */
#define ADMIN_WAIT_MS 10000
#define CONTROLLER_WAIT_MS 2000

int32_t gm_kproducer_partitions(struct gm_kproducer *p, const char *topic)
{
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->kc.rk, topic, NULL);
	if (!rkt)
		return 0;
	const struct rd_kafka_metadata *md;
	int32_t n = 0;
	if (rd_kafka_metadata(p->kc.rk, 0, rkt, &md, ADMIN_WAIT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		if (md->topic_cnt == 1 && !md->topics[0].err)
			n = md->topics[0].partition_cnt;
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
	return n;
}

/* True when the cluster names one of its brokers as its controller,
 * which admin requests go to. librdkafka's mock cluster names broker 0,
 * which it does not have, and answers no admin request: it makes topics
 * as they are first asked for instead. */
static bool has_controller(struct gm_kproducer *p)
{
	int32_t id = rd_kafka_controllerid(p->kc.rk, CONTROLLER_WAIT_MS);
	const struct rd_kafka_metadata *md;
	bool found = false;
	if (id < 0 || rd_kafka_metadata(p->kc.rk, 0, NULL, &md, ADMIN_WAIT_MS))
		return false;
	for (int i = 0; i < md->broker_cnt; i++)
		found = found || md->brokers[i].id == id;
	rd_kafka_metadata_destroy(md);
	return found;
}

bool gm_kproducer_create_topic(struct gm_kproducer *p, const char *topic,
	int32_t partitions, bool compact)
{
	char errstr[256];
	rd_kafka_t *rk = p->kc.rk;
	if (!has_controller(p))
		return true;
	/* -1: the brokers' default replication factor. */
	rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, -1,
		errstr, sizeof errstr);
	if (!nt) {
		gm_error("kafka", "%s: %s", topic, errstr);
		return false;
	}
	if (compact)
		rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
	rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk,
		RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(opt, ADMIN_WAIT_MS, errstr,
		sizeof errstr);
	rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
	rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
	rd_kafka_event_t *ev = rd_kafka_queue_poll(q, ADMIN_WAIT_MS + 1000);
	rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
	const char *why = NULL;
	if (ev) {
		err = rd_kafka_event_error(ev);
		why = rd_kafka_event_error_string(ev);
		const rd_kafka_CreateTopics_result_t *res =
			rd_kafka_event_CreateTopics_result(ev);
		size_t n = 0;
		const rd_kafka_topic_result_t **tr = res
			? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
		if (!err && n == 1) {
			err = rd_kafka_topic_result_error(tr[0]);
			why = rd_kafka_topic_result_error_string(tr[0]);
		}
	}
	bool ok = err == RD_KAFKA_RESP_ERR_NO_ERROR
		|| err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS;
	if (!ok)
		gm_error("kafka", "%s: cannot create the topic: %s", topic,
			why && *why ? why : rd_kafka_err2str(err));
	if (ev)
		rd_kafka_event_destroy(ev);
	rd_kafka_queue_destroy(q);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_NewTopic_destroy(nt);
	return ok;
}

/* ---- consumer ---- */

/* Re-reads the assignment after it changed, keeping the end-of-partition
 * mark of the partitions that stay (cooperative rebalances). */
static void track_assignment(struct gm_kconsumer *k)
{
	rd_kafka_topic_partition_list_t *now = NULL;
	rd_kafka_resp_err_t err = rd_kafka_assignment(k->kc.rk, &now);
	if (err) {
		/* Closing: the last revocation comes as the handle goes. */
		if (err != RD_KAFKA_RESP_ERR__DESTROY)
			gm_warn("kafka", "cannot read the assignment: %s",
				rd_kafka_err2str(err));
		now = rd_kafka_topic_partition_list_new(0);
	}
	bool *at_eof = gm_xcalloc((size_t)now->cnt, sizeof *at_eof);
	size_t n_eof = 0;
	for (int i = 0; k->parts && i < now->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &now->elems[i];
		rd_kafka_topic_partition_t *old =
			rd_kafka_topic_partition_list_find(k->parts, e->topic,
				e->partition);
		if (old && k->at_eof[old - k->parts->elems]) {
			at_eof[i] = true;
			n_eof++;
		}
	}
	if (k->parts)
		rd_kafka_topic_partition_list_destroy(k->parts);
	free(k->at_eof);
	k->parts = now;
	k->at_eof = at_eof;
	k->n_eof = n_eof;
}

/* Marks a partition as at its end (eof) or as having a message after it. */
static void mark_eof(struct gm_kconsumer *k, const rd_kafka_message_t *m,
	bool eof)
{
	if (!k->parts || (!eof && k->n_eof == 0))
		return;
	rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(
		k->parts, rd_kafka_topic_name(m->rkt), m->partition);
	if (!e)
		return;
	bool *mark = &k->at_eof[e - k->parts->elems];
	if (*mark != eof) {
		*mark = eof;
		if (eof)
			k->n_eof++;
		else
			k->n_eof--;
	}
}

/* The hooks' view of a partition list: topic, partition, offset, and the
 * offset's metadata as a note (a NUL-terminated copy, or NULL). */
static struct gm_kpartition *view_new(const rd_kafka_topic_partition_list_t *l)
{
	struct gm_kpartition *v = gm_xcalloc(l->cnt > 0 ? (size_t)l->cnt : 1, sizeof *v);
	for (int i = 0; i < l->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &l->elems[i];
		v[i].topic = e->topic;
		v[i].partition = e->partition;
		v[i].offset = e->offset;
		if (e->metadata && e->metadata_size > 0)
			v[i].note = gm_xstrndup(e->metadata, e->metadata_size);
	}
	return v;
}

static void view_free(struct gm_kpartition *v, int n)
{
	for (int i = 0; i < n; i++)
		free((char *)v[i].note);
	free(v);
}

/* How long an assignment waits for the committed offsets. */
#define COMMITTED_WAIT_MS 10000

/* Partitions given to this consumer: their committed offsets and notes
 * go to the assign hook, and reading starts at those offsets. */
static void assigned(struct gm_kconsumer *k, rd_kafka_topic_partition_list_t *parts)
{
	if (!k->on_assign)
		return;
	rd_kafka_resp_err_t err = rd_kafka_committed(k->kc.rk, parts, COMMITTED_WAIT_MS);
	for (int i = 0; !err && i < parts->cnt; i++)
		err = parts->elems[i].err;
	if (err) {
		/* Without the notes, windows already written could be
		 * written again in part: stop rather than guess. */
		gm_error("kafka", "cannot read the committed offsets: %s",
			rd_kafka_err2str(err));
		k->failed = k->broken = true;
		return;
	}
	struct gm_kpartition *v = view_new(parts);
	k->on_assign(k->hook_ctx, v, (size_t)parts->cnt);
	view_free(v, parts->cnt);
}

/* Partitions taken from this consumer: the revoke hook stores their
 * offsets, which are committed unless the assignment was lost, and then
 * forgotten. */
static void revoked(struct gm_kconsumer *k, rd_kafka_topic_partition_list_t *parts)
{
	if (k->on_revoke) {
		struct gm_kpartition *v = view_new(parts);
		k->on_revoke(k->hook_ctx, v, (size_t)parts->cnt);
		view_free(v, parts->cnt);
	}
	if (!rd_kafka_assignment_lost(k->kc.rk) && !gm_kconsumer_commit(k))
		k->failed = true;
	for (int i = 0; i < parts->cnt; i++)
		rd_kafka_topic_partition_list_del(k->stored, parts->elems[i].topic,
			parts->elems[i].partition);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
	rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct gm_kconsumer *k = opaque;
	/* NULL while the group has no protocol yet (a rebalance under way,
	 * CI-26 under the sanitizers): then not cooperative. */
	const char *protocol = rd_kafka_rebalance_protocol(rk);
	bool cooperative = protocol && strcmp(protocol, "COOPERATIVE") == 0;
	rd_kafka_error_t *error = NULL;
	rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		client_up(&k->kc);  /* a group coordinator answered */
		assigned(k, parts);
		if (cooperative)
			error = rd_kafka_incremental_assign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, parts);
	} else {
		if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
			gm_warn("kafka", "rebalance: %s", rd_kafka_err2str(err));
		revoked(k, parts);
		if (cooperative)
			error = rd_kafka_incremental_unassign(rk, parts);
		else
			aerr = rd_kafka_assign(rk, NULL);
	}
	if (error) {
		gm_error("kafka", "rebalance: %s", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		k->failed = true;
	} else if (aerr) {
		gm_error("kafka", "rebalance: %s", rd_kafka_err2str(aerr));
		k->failed = true;
	}
	track_assignment(k);
}

static const struct kv consumer_defaults[] = {
	{ "auto.offset.reset", "earliest" },
	/* A partition's end shows after a fetch that waited this long for
	 * data; topics read in step (stream.c) wait on it to resume. */
	{ "fetch.wait.max.ms", "100" },
};

/* gm stores and commits offsets itself, with their notes. */
static const struct kv consumer_forced[] = {
	{ "log.queue", "true" },
	{ "enable.partition.eof", "true" },
	{ "enable.auto.commit", "false" },
	{ "enable.auto.offset.store", "false" },
};

static const struct kv nogroup_forced[] = {
	{ "log.queue", "true" },
	{ "enable.partition.eof", "true" },
	{ "group.id", GM_NO_GROUP },
	{ "enable.auto.commit", "false" },
};

/* Forgets k's range, if any. */
static void range_free(struct gm_kconsumer *k)
{
	for (size_t i = 0; i < k->nrange; i++)
		free((char *)k->range[i].topic);
	free(k->range);
	free(k->range_end);
	free(k->range_done);
	k->range = NULL;
	k->range_end = NULL;
	k->range_done = NULL;
	k->nrange = k->ndone = 0;
}

static void consumer_free(struct gm_kconsumer *k)
{
	if (k->cur)
		rd_kafka_message_destroy(k->cur);
	if (k->parts)
		rd_kafka_topic_partition_list_destroy(k->parts);
	if (k->stored)
		rd_kafka_topic_partition_list_destroy(k->stored);
	free(k->at_eof);
	range_free(k);
	for (size_t i = 0; i < k->ntopics; i++)
		free(k->topics[i]);
	free(k->topics);
	client_destroy(&k->kc);
	free(k);
}

struct gm_kconsumer *gm_kconsumer_new(const struct gm_common *c,
	const char *const *topics, size_t ntopics, bool exit_eof, int *status)
{
	*status = GM_EXIT_FAIL;
	bool grouped = c->group && *c->group;
	rd_kafka_conf_t *conf = conf_new(c, consumer_defaults,
		sizeof consumer_defaults / sizeof consumer_defaults[0],
		grouped ? consumer_forced : nogroup_forced,
		grouped ? sizeof consumer_forced / sizeof consumer_forced[0]
			: sizeof nogroup_forced / sizeof nogroup_forced[0]);
	if (!conf)
		return NULL;
	if (grouped && !conf_set(conf, "group.id", c->group)) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if (ntopics == 0) {
		gm_error("kafka", "no topic to consume");
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	struct gm_kconsumer *k = gm_xcalloc(1, sizeof *k);
	k->grouped = grouped;
	k->exit_eof = exit_eof;
	char *every = conf_get(conf, "auto.commit.interval.ms");
	k->commit_every_ms = atoll(every);
	k->lag = gm_stats_value("consumer_lag");
	free(every);
	k->stored = rd_kafka_topic_partition_list_new(0);
	k->committed_at = gm_now_coarse_ms();
	k->topics = gm_xcalloc(ntopics, sizeof *k->topics);
	for (size_t i = 0; i < ntopics; i++)
		k->topics[i] = gm_xstrdup(topics[i]);
	k->ntopics = ntopics;
	if (grouped)
		rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
	if (!client_new(&k->kc, RD_KAFKA_CONSUMER, conf)
	    || (*status = client_connect(&k->kc, c->retry_ms)) != GM_EXIT_OK) {
		consumer_free(k);
		return NULL;
	}
	rd_kafka_poll_set_consumer(k->kc.rk);
	if (grouped) {
		rd_kafka_topic_partition_list_t *sub =
			rd_kafka_topic_partition_list_new((int)ntopics);
		for (size_t i = 0; i < ntopics; i++)
			rd_kafka_topic_partition_list_add(sub, topics[i],
				RD_KAFKA_PARTITION_UA);
		rd_kafka_resp_err_t err = rd_kafka_subscribe(k->kc.rk, sub);
		rd_kafka_topic_partition_list_destroy(sub);
		if (err) {
			gm_error("kafka", "subscribe: %s", rd_kafka_err2str(err));
			consumer_free(k);
			*status = GM_EXIT_FAIL;
			return NULL;
		}
	}
	return k;
}

void gm_kconsumer_on_rebalance(struct gm_kconsumer *k, gm_assign_fn *assign,
	gm_revoke_fn *revoke, void *ctx)
{
	k->on_assign = assign;
	k->on_revoke = revoke;
	k->hook_ctx = ctx;
}

enum assign_result { ASSIGN_DONE, ASSIGN_LATER, ASSIGN_FAILED };

/* Adds every partition of k's topics to list, each once, as the
 * brokers' metadata names them within timeout_ms. A topic the cluster
 * does not have is an error, as for kcat; no answer in time is
 * ASSIGN_LATER. */
static enum assign_result list_partitions(struct gm_kconsumer *k, int timeout_ms,
	rd_kafka_topic_partition_list_t *list)
{
	enum assign_result result = ASSIGN_DONE;
	for (size_t i = 0; i < k->ntopics && result == ASSIGN_DONE; i++) {
		rd_kafka_topic_t *rkt = rd_kafka_topic_new(k->kc.rk,
			k->topics[i], NULL);
		const struct rd_kafka_metadata *md = NULL;
		rd_kafka_resp_err_t err = rkt ? rd_kafka_metadata(k->kc.rk, 0,
			rkt, &md, timeout_ms) : rd_kafka_last_error();
		if (rkt)
			rd_kafka_topic_destroy(rkt);
		if (err == RD_KAFKA_RESP_ERR__TIMED_OUT
		    || err == RD_KAFKA_RESP_ERR__TRANSPORT) {
			result = ASSIGN_LATER;
		} else if (err) {
			gm_error("kafka", "%s: %s", k->topics[i],
				rd_kafka_err2str(err));
			result = ASSIGN_FAILED;
		} else {
			client_up(&k->kc);
			for (int t = 0; t < md->topic_cnt; t++) {
				const rd_kafka_metadata_topic_t *mt =
					&md->topics[t];
				if (mt->err) {
					gm_error("kafka", "%s: %s", mt->topic,
						rd_kafka_err2str(mt->err));
					result = ASSIGN_FAILED;
				}
				for (int p = 0; p < mt->partition_cnt; p++)
					if (!rd_kafka_topic_partition_list_find(list,
						mt->topic, mt->partitions[p].id))
						rd_kafka_topic_partition_list_add(list,
							mt->topic, mt->partitions[p].id);
			}
		}
		if (md)
			rd_kafka_metadata_destroy(md);
	}
	return result;
}

/* Assigns list, and notes that k is assigned; false after gm_error(). */
static bool assign_list(struct gm_kconsumer *k, const rd_kafka_topic_partition_list_t *list)
{
	rd_kafka_resp_err_t err = rd_kafka_assign(k->kc.rk, list);
	if (err) {
		gm_error("kafka", "assign: %s", rd_kafka_err2str(err));
		return false;
	}
	k->assigned = true;
	track_assignment(k);
	return true;
}

/* Without a group: assigns every partition of every topic from the
 * beginning, once the brokers answer the metadata request. */
static enum assign_result assign_all(struct gm_kconsumer *k, int timeout_ms)
{
	rd_kafka_topic_partition_list_t *all =
		rd_kafka_topic_partition_list_new(0);
	enum assign_result result = list_partitions(k, timeout_ms, all);
	for (int i = 0; i < all->cnt; i++)
		all->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
	if (result == ASSIGN_DONE && !assign_list(k, all))
		result = ASSIGN_FAILED;
	rd_kafka_topic_partition_list_destroy(all);
	return result;
}

int gm_koffset_cmp(const void *a, const void *b)
{
	const struct gm_koffset *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);
	return c ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Where a range starts in a partition whose records are [lo, hi): at
 * want (< 0: none given), unless the records there are gone. */
static int64_t range_start(const struct gm_koffset *p, int64_t want, int64_t lo, int64_t hi)
{
	if (want < 0)
		return lo;
	if (want < lo)
		gm_warn("kafka", "%s [%d]: offsets %lld to %lld were deleted before they were read; reading from %lld",
			p->topic, (int)p->partition, (long long)want, (long long)lo - 1, (long long)lo);
	else if (want > hi)
		gm_warn("kafka", "%s [%d]: offset %lld is past the partition's end, %lld (was the topic made again?); reading from %lld",
			p->topic, (int)p->partition, (long long)want, (long long)hi, (long long)lo);
	else
		return want;
	return lo;
}

bool gm_kconsumer_range(struct gm_kconsumer *k, const struct gm_koffset *from,
	size_t nfrom)
{
	if (k->grouped || k->assigned || k->range) {
		gm_error("kafka", "a range is for a consumer without a group, before its first read");
		k->failed = true;
		return false;
	}
	rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(0);
	enum assign_result result = list_partitions(k, ADMIN_WAIT_MS, all);
	if (result == ASSIGN_LATER)
		gm_error("kafka", "%s: no answer about the topics' partitions within %d s",
			k->kc.brokers, ADMIN_WAIT_MS / 1000);
	k->nrange = (size_t)all->cnt;
	k->range = gm_xcalloc(k->nrange + 1, sizeof *k->range);
	k->range_end = gm_xcalloc(k->nrange + 1, sizeof *k->range_end);
	k->range_done = gm_xcalloc(k->nrange + 1, sizeof *k->range_done);
	for (size_t i = 0; i < k->nrange; i++)
		k->range[i] = (struct gm_koffset){
			.topic = gm_xstrdup(all->elems[i].topic),
			.partition = all->elems[i].partition,
			.offset = -1,
		};
	rd_kafka_topic_partition_list_destroy(all);
	qsort(k->range, k->nrange, sizeof *k->range, gm_koffset_cmp);
	rd_kafka_topic_partition_list_t *assign = rd_kafka_topic_partition_list_new(0);
	for (size_t i = 0; result == ASSIGN_DONE && i < k->nrange; i++) {
		struct gm_koffset *p = &k->range[i];
		int64_t lo, hi;
		rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(k->kc.rk,
			p->topic, p->partition, &lo, &hi, ADMIN_WAIT_MS);
		if (err) {
			gm_error("kafka", "%s [%d]: cannot read its end: %s", p->topic,
				(int)p->partition, rd_kafka_err2str(err));
			result = err == RD_KAFKA_RESP_ERR__TIMED_OUT
				|| err == RD_KAFKA_RESP_ERR__TRANSPORT ? ASSIGN_LATER : ASSIGN_FAILED;
			break;
		}
		const struct gm_koffset *f = NULL;
		for (size_t j = 0; !f && j < nfrom; j++)
			if (from[j].partition == p->partition && !strcmp(from[j].topic, p->topic))
				f = &from[j];
		p->offset = range_start(p, f ? f->offset : -1, lo, hi);
		k->range_end[i] = hi;
		if (p->offset >= hi) {
			k->range_done[i] = true;
			k->ndone++;
		} else {
			rd_kafka_topic_partition_list_add(assign, p->topic,
				p->partition)->offset = p->offset;
		}
	}
	if (result == ASSIGN_DONE && !assign_list(k, assign))
		result = ASSIGN_FAILED;
	rd_kafka_topic_partition_list_destroy(assign);
	if (result == ASSIGN_DONE)
		return true;
	/* No range, and nothing to read: close() says why. */
	range_free(k);
	k->broken = true;
	if (result == ASSIGN_LATER)
		k->tempfail = true;
	else
		k->failed = true;
	return false;
}

const struct gm_koffset *gm_kconsumer_offsets(const struct gm_kconsumer *k, size_t *n)
{
	*n = k->nrange;
	return k->range;
}

/* A range's partition i is read to its end: no more of it is fetched. */
static void range_finish(struct gm_kconsumer *k, size_t i)
{
	k->range_done[i] = true;
	k->ndone++;
	k->range[i].offset = k->range_end[i];
	gm_kconsumer_pause(k, k->range[i].topic, k->range[i].partition, true);
}

/* Whether rkm, a message (or, eof, the end of a partition) of a range,
 * is in it: the offsets move on; a partition read to its end is done,
 * and what comes after it is not the range's. */
static bool range_take(struct gm_kconsumer *k, const rd_kafka_message_t *rkm, bool eof)
{
	const char *topic = rd_kafka_topic_name(rkm->rkt);
	size_t i = k->range_last;
	if (i >= k->nrange || k->range[i].partition != rkm->partition
	    || strcmp(k->range[i].topic, topic)) {
		const struct gm_koffset key = { topic, rkm->partition, 0 };
		const struct gm_koffset *p = bsearch(&key, k->range, k->nrange,
			sizeof *k->range, gm_koffset_cmp);
		if (!p)
			return false;
		k->range_last = i = (size_t)(p - k->range);
	}
	if (k->range_done[i])
		return false;
	if (eof || rkm->offset >= k->range_end[i]) {
		/* The end of the partition's records, or one past the end
		 * (the one at it a control record, or compacted away). */
		if (rkm->offset >= k->range_end[i])
			range_finish(k, i);
		return false;
	}
	k->range[i].offset = rkm->offset + 1;
	if (k->range[i].offset >= k->range_end[i])
		range_finish(k, i);
	return true;
}

/* Errors that no retry will cure. */
static bool fatal_consumer_error(rd_kafka_resp_err_t err)
{
	switch (err) {
	case RD_KAFKA_RESP_ERR__FATAL:
	case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
	case RD_KAFKA_RESP_ERR__INVALID_ARG:
		return true;
	default:
		return false;
	}
}

/* Reports an error the consumer returned in place of a message. */
static void report_message_error(
	void (*report)(const char *, const char *, ...),
	const rd_kafka_message_t *rkm)
{
	if (rkm->rkt)
		report("kafka", "%s [%d]: %s", rd_kafka_topic_name(rkm->rkt),
			(int)rkm->partition, rd_kafka_message_errstr(rkm));
	else
		report("kafka", "%s", rd_kafka_message_errstr(rkm));
}

/* The shortest wait for the one metadata request of a consumer without
 * a group: a shorter one could never be answered. */
#define GM_METADATA_MIN_MS 100

/* The gm view of a message librdkafka returned. */
static struct gm_kmsg kmsg_of(const rd_kafka_message_t *rkm)
{
	return (struct gm_kmsg){
		.data = rkm->payload, .len = rkm->len,
		.key = rkm->key, .klen = rkm->key_len,
		.topic = rd_kafka_topic_name(rkm->rkt),
		.partition = rkm->partition, .offset = rkm->offset,
	};
}

/* The longest single wait for a message. */
#define POLL_SLICE_MS 100
#define LAG_EVERY_MS 1000   /* how often the lag is looked at */

/* The messages of the assigned partitions not yet read: each one's end
 * as the last fetch saw it (librdkafka keeps it: no request) less the
 * consumer's position, for the stats records. */
static void look_at_lag(struct gm_kconsumer *k)
{
	k->lag_at = gm_now_coarse_ms();
	if (!k->parts || k->parts->cnt == 0)
		return;
	rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_copy(k->parts);
	int64_t lag = 0;
	bool known = false;
	if (!rd_kafka_position(k->kc.rk, pos))
		for (int i = 0; i < pos->cnt; i++) {
			const rd_kafka_topic_partition_t *p = &pos->elems[i];
			int64_t lo, hi;
			if (rd_kafka_get_watermark_offsets(k->kc.rk, p->topic, p->partition, &lo, &hi)
			    || hi < 0)
				continue;
			/* No position yet: nothing read, all of it behind. */
			int64_t at = p->offset >= 0 ? p->offset : lo >= 0 ? lo : hi;
			lag += hi > at ? hi - at : 0;
			known = true;
		}
	rd_kafka_topic_partition_list_destroy(pos);
	if (known)
		gm_stat_set(k->lag, lag);
}

enum gm_kpoll gm_kconsumer_next(struct gm_kconsumer *k, struct gm_kmsg *m,
	int timeout_ms)
{
	if (k->cur) {
		rd_kafka_message_destroy(k->cur);
		k->cur = NULL;
	}
	int64_t deadline = timeout_ms < 0 ? -1 : gm_now_ms() + timeout_ms;
	for (;;) {
		int64_t now = gm_now_coarse_ms();
		if (k->dirty && now - k->committed_at >= k->commit_every_ms
		    && !gm_kconsumer_commit(k))
			k->failed = true;
		if (now - k->lag_at >= LAG_EVERY_MS)
			look_at_lag(k);
		if (gm_stopping())
			return GM_K_IDLE;
		if (k->kc.fatal || k->broken) {
			k->failed = true;
			return GM_K_ERROR;
		}
		if (k->exit_eof && k->parts && k->parts->cnt > 0
		    && k->n_eof == (size_t)k->parts->cnt) {
			look_at_lag(k);   /* the last stats record's */
			return GM_K_EOF;
		}
		if (k->range && k->ndone == k->nrange)
			return GM_K_EOF;
		/* A batch run (exit_eof) gives up on brokers it never
		 * reached, so that close() says "retry later". */
		if (k->exit_eof && k->kc.all_down && !client_reached(&k->kc)) {
			gm_error("kafka", "%s: all brokers are down",
				k->kc.brokers);
			return GM_K_ERROR;
		}
		int left = remaining_ms(deadline);
		if (!k->grouped && !k->assigned) {
			int wait = left >= 0 && left < GM_METADATA_MIN_MS
				? GM_METADATA_MIN_MS : left;
			switch (assign_all(k, wait)) {
			case ASSIGN_FAILED:
				k->failed = true;
				return GM_K_ERROR;
			case ASSIGN_LATER:
				/* Serve the errors and logs that explain it. */
				rd_kafka_consumer_poll(k->kc.rk, 0);
				if (remaining_ms(deadline) == 0)
					return GM_K_IDLE;
				continue;
			case ASSIGN_DONE:
				left = remaining_ms(deadline);
				break;
			}
		}
		/* Waits in slices, to see a signal and to commit in time. */
		if (left < 0 || left > POLL_SLICE_MS)
			left = POLL_SLICE_MS;
		rd_kafka_message_t *rkm = rd_kafka_consumer_poll(k->kc.rk, left);
		if (!rkm) {
			if (remaining_ms(deadline) == 0)
				return GM_K_IDLE;
			continue;
		}
		if (!rkm->err) {
			client_up(&k->kc);
			mark_eof(k, rkm, false);
			if (k->range && !range_take(k, rkm, false)) {
				rd_kafka_message_destroy(rkm);
				continue;
			}
			k->cur = rkm;
			*m = kmsg_of(rkm);
			return GM_K_MSG;
		}
		rd_kafka_resp_err_t err = rkm->err;
		if (err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			client_up(&k->kc);
			mark_eof(k, rkm, true);
			if (k->range)
				range_take(k, rkm, true);
		} else if (fatal_consumer_error(err)) {
			report_message_error(gm_error, rkm);
			rd_kafka_message_destroy(rkm);
			k->failed = true;
			return GM_K_ERROR;
		} else {
			report_message_error(gm_warn, rkm);
		}
		rd_kafka_message_destroy(rkm);
	}
}

/* Sets the offset and note to commit for one partition. */
static void store(struct gm_kconsumer *k, const char *topic,
	int32_t partition, int64_t offset, const char *note)
{
	rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(
		k->stored, topic, partition);
	size_t len = note ? strlen(note) : 0;
	if (e && e->offset == offset && e->metadata_size == len
	    && (len == 0 || memcmp(e->metadata, note, len) == 0))
		return;
	if (!e)
		e = rd_kafka_topic_partition_list_add(k->stored, topic, partition);
	e->offset = offset;
	free(e->metadata);  /* the list frees it with free() too */
	e->metadata = NULL;
	e->metadata_size = 0;
	if (len > 0) {
		e->metadata = gm_xstrdup(note);
		e->metadata_size = len;
	}
	k->dirty = true;
}

void gm_kconsumer_accept(struct gm_kconsumer *k)
{
	if (!k->grouped)
		return;
	rd_kafka_topic_partition_list_t *pos = NULL;
	if (rd_kafka_assignment(k->kc.rk, &pos))
		return;
	rd_kafka_position(k->kc.rk, pos);
	for (int i = 0; i < pos->cnt; i++) {
		const rd_kafka_topic_partition_t *e = &pos->elems[i];
		if (!e->err && e->offset >= 0)
			store(k, e->topic, e->partition, e->offset, NULL);
	}
	rd_kafka_topic_partition_list_destroy(pos);
}

void gm_kconsumer_accept_partition(struct gm_kconsumer *k, const char *topic,
	int32_t partition, int64_t before, const char *note)
{
	if (!k->grouped)
		return;
	rd_kafka_topic_partition_list_t *pos = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(pos, topic, partition);
	rd_kafka_position(k->kc.rk, pos);
	const rd_kafka_topic_partition_t *e = &pos->elems[0];
	if (!e->err && e->offset >= 0)
		store(k, topic, partition, before < e->offset ? before : e->offset, note);
	rd_kafka_topic_partition_list_destroy(pos);
}

void gm_kconsumer_pause(struct gm_kconsumer *k, const char *topic, int32_t partition,
	bool pause)
{
	rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, partition);
	rd_kafka_resp_err_t err = pause ? rd_kafka_pause_partitions(k->kc.rk, l)
		: rd_kafka_resume_partitions(k->kc.rk, l);
	if (err)
		gm_warn("kafka", "%s [%d]: cannot %s: %s", topic, (int)partition,
			pause ? "pause" : "resume", rd_kafka_err2str(err));
	rd_kafka_topic_partition_list_destroy(l);
}

bool gm_kconsumer_at_end(const struct gm_kconsumer *k, const char *topic, int32_t partition)
{
	if (!k->parts)
		return false;
	const rd_kafka_topic_partition_t *e = rd_kafka_topic_partition_list_find(k->parts,
		topic, partition);
	return e && k->at_eof[e - k->parts->elems];
}

bool gm_kconsumer_commit(struct gm_kconsumer *k)
{
	if (!k->grouped || !k->dirty)
		return true;
	k->committed_at = gm_now_coarse_ms();
	rd_kafka_resp_err_t err = rd_kafka_commit(k->kc.rk, k->stored, 0);
	switch (err) {
	case RD_KAFKA_RESP_ERR_NO_ERROR:
	case RD_KAFKA_RESP_ERR__NO_OFFSET:
		k->dirty = false;
		return true;
	case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
	case RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION:
	case RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID:
		/* The group changed under us: the partitions' next owner
		 * reads again from the last committed offsets. Nothing is
		 * lost, and idempotent sinks make the replay harmless. */
		gm_warn("kafka", "offsets not committed (%s): their records will be read again",
			rd_kafka_err2str(err));
		return true;
	default:
		gm_error("kafka", "commit: %s", rd_kafka_err2str(err));
		return false;
	}
}

int gm_kconsumer_close(struct gm_kconsumer *k)
{
	if (!k)
		return GM_EXIT_OK;
	/* The tool is closing its input: it has flushed and accepted what
	 * it will, and its sink may be gone, so the hook is not called for
	 * the revocation that leaving the group makes. */
	k->on_assign = NULL;
	k->on_revoke = NULL;
	if (k->cur) {
		rd_kafka_message_destroy(k->cur);
		k->cur = NULL;
	}
	if (!gm_kconsumer_commit(k))
		k->failed = true;
	rd_kafka_resp_err_t err = rd_kafka_consumer_close(k->kc.rk);
	if (err) {
		gm_error("kafka", "close: %s", rd_kafka_err2str(err));
		k->failed = true;
	}
	int status = GM_EXIT_OK;
	if (never_reached(&k->kc))
		status = GM_EXIT_TEMPFAIL;
	else if (k->failed || k->kc.fatal)
		status = GM_EXIT_FAIL;
	else if (k->tempfail)
		status = GM_EXIT_TEMPFAIL;
	consumer_free(k);
	return status;
}

bool gm_kafka_read_partition(const struct gm_common *c, const char *topic,
	int32_t partition, gm_kread_fn *fn, void *ctx)
{
	rd_kafka_conf_t *conf = conf_new(c, consumer_defaults,
		sizeof consumer_defaults / sizeof consumer_defaults[0],
		nogroup_forced, sizeof nogroup_forced / sizeof nogroup_forced[0]);
	struct kclient kc = { 0 };
	if (!conf || !client_new(&kc, RD_KAFKA_CONSUMER, conf)) {
		client_destroy(&kc);
		return false;
	}
	rd_kafka_poll_set_consumer(kc.rk);
	int64_t lo = 0, hi = 0;
	rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(kc.rk, topic,
		partition, &lo, &hi, ADMIN_WAIT_MS);
	bool ok = !err;
	if (ok && hi > lo) {
		rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
		rd_kafka_topic_partition_list_add(l, topic, partition)->offset = lo;
		err = rd_kafka_assign(kc.rk, l);
		rd_kafka_topic_partition_list_destroy(l);
		ok = !err;
		/* Read to the end the watermark named; what comes after it is
		 * no one's (this instance now holds the partition). */
		int64_t deadline = gm_now_ms() + (c->retry_ms > ADMIN_WAIT_MS ? c->retry_ms : ADMIN_WAIT_MS);
		int64_t next = lo;
		while (ok && next < hi) {
			rd_kafka_message_t *rkm = rd_kafka_consumer_poll(kc.rk, POLL_SLICE_MS);
			if (!rkm) {
				if (gm_now_ms() >= deadline) {
					err = RD_KAFKA_RESP_ERR__TIMED_OUT;
					ok = false;
				}
				continue;
			}
			if (!rkm->err) {
				struct gm_kmsg m = kmsg_of(rkm);
				fn(ctx, &m);
				next = rkm->offset + 1;
			} else if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				next = hi;   /* compacted away up to the end */
			} else if (fatal_consumer_error(rkm->err)) {
				err = rkm->err;
				ok = false;
			}
			rd_kafka_message_destroy(rkm);
		}
	}
	if (!ok)
		gm_error("kafka", "%s [%d]: cannot read: %s", topic, (int)partition,
			rd_kafka_err2str(err));
	rd_kafka_consumer_close(kc.rk);
	client_destroy(&kc);
	return ok;
}

/* ---- a client that looks at the cluster ---- */

struct gm_kwatch {
	struct kclient kc;
};

/* The latest offset a watcher asks for is the high watermark, as the
 * name of what it shows says, not the last stable offset that
 * librdkafka's default, read_committed, gives under transactions. */
static const struct kv watch_defaults[] = {
	{ "isolation.level", "read_uncommitted" },
};

static const struct kv watch_forced[] = {
	{ "log.queue", "true" },
};

struct gm_kwatch *gm_kwatch_new(const struct gm_common *c)
{
	rd_kafka_conf_t *conf = conf_new(c, watch_defaults,
		sizeof watch_defaults / sizeof watch_defaults[0], watch_forced,
		sizeof watch_forced / sizeof watch_forced[0]);
	if (!conf)
		return NULL;
	struct gm_kwatch *w = gm_xcalloc(1, sizeof *w);
	w->kc.quiet = true;
	/* A producer: the one kind that needs no group.id, and it sends
	 * nothing unless asked. */
	if (!client_new(&w->kc, RD_KAFKA_PRODUCER, conf)) {
		client_destroy(&w->kc);
		free(w);
		return NULL;
	}
	return w;
}

struct rd_kafka_s *gm_kwatch_handle(struct gm_kwatch *w)
{
	return w->kc.rk;
}

void gm_kwatch_free(struct gm_kwatch *w)
{
	if (!w)
		return;
	client_destroy(&w->kc);
	free(w);
}

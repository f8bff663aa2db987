/* kafka: producer and consumer against librdkafka's mock cluster, made
 * afresh in this process for every test (Check forks one per test). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "check_util.h"
#include "cli.h"
#include "clock.h"
#include "counts.h"
#include "kafka.h"

#define N_MESSAGES 1000

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mock;

static void cluster_up(void)
{
	char errstr[256];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	ck_assert(rd_kafka_conf_set(conf, "log_level", "4", errstr,
		sizeof errstr) == RD_KAFKA_CONF_OK);
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
	ck_assert_msg(mock_rk != NULL, "%s", errstr);
	mock = rd_kafka_mock_cluster_new(mock_rk, 1);
	ck_assert(mock != NULL);
}

static void cluster_down(void)
{
	rd_kafka_mock_cluster_destroy(mock);
	rd_kafka_destroy(mock_rk);
}

/* Options as a tool would have them, pointed at the mock cluster; a
 * consumer's have the group timings that keep joins short (SERVICES.md). */
static const char *group_props[] = {
	"session.timeout.ms=6000",
	"heartbeat.interval.ms=500",
};

static struct gm_common producer_options(void)
{
	struct gm_common c;
	memset(&c, 0, sizeof c);
	c.brokers = rd_kafka_mock_cluster_bootstraps(mock);
	return c;
}

static struct gm_common consumer_options(const char *group)
{
	struct gm_common c = producer_options();
	c.group = group;
	c.props = group_props;
	c.nprops = sizeof group_props / sizeof group_props[0];
	return c;
}

/* Sends messages first..last-1 to topic: payload "mNNNNN", key "uNN". */
static void produce(const char *topic, int first, int last)
{
	int status;
	struct gm_common c = producer_options();
	struct gm_kproducer *p = gm_kproducer_new(&c, &status);
	ck_assert(p != NULL);
	for (int i = first; i < last; i++) {
		char key[16], val[16];
		int klen = snprintf(key, sizeof key, "u%02d", i % 37);
		int vlen = snprintf(val, sizeof val, "m%05d", i);
		ck_assert(gm_kproducer_send(p, topic, key, (size_t)klen, val,
			(size_t)vlen));
	}
	ck_assert(gm_kproducer_flush(p, -1));
	ck_assert_uint_eq(gm_kproducer_delivered(p), (uint64_t)(last - first));
	ck_assert_uint_eq(gm_kproducer_failed(p), 0);
	ck_assert_int_eq(gm_kproducer_close(p), GM_EXIT_OK);
}

/* The message number in a payload "mNNNNN", checking its key. */
static int message_number(const struct gm_kmsg *m)
{
	char buf[16], key[16];
	ck_assert_uint_eq(m->len, 6);
	memcpy(buf, m->data, m->len);
	buf[m->len] = '\0';
	int i = atoi(buf + 1);
	ck_assert_int_eq(snprintf(key, sizeof key, "u%02d", i % 37),
		(int)m->klen);
	ck_assert_mem_eq(m->key, key, m->klen);
	return i;
}

/* Reads up to max messages (until GM_K_EOF), marking seen[i] for each;
 * a message seen twice fails. Returns how many were read. */
static int consume(struct gm_kconsumer *k, bool *seen, int max)
{
	int n = 0, idle = 0;
	while (n < max) {
		struct gm_kmsg m;
		enum gm_kpoll r = gm_kconsumer_next(k, &m, 500);
		if (r == GM_K_EOF)
			break;
		ck_assert_int_ne(r, GM_K_ERROR);
		if (r == GM_K_IDLE) {
			/* A group join takes about 3 s: allow 20 s of nothing. */
			ck_assert_int_lt(++idle, 40);
			continue;
		}
		int i = message_number(&m);
		ck_assert_int_lt(i, N_MESSAGES);
		ck_assert_msg(!seen[i], "message %d read twice", i);
		seen[i] = true;
		n++;
	}
	return n;
}

START_TEST(producer_delivers_every_message)
{
	produce("orders", 0, N_MESSAGES);
	/* The summary counts what the brokers acknowledged. */
	ck_assert_uint_eq(gm_counts.out, N_MESSAGES);
	ck_assert_uint_eq(gm_counts.undelivered, 0);
}
END_TEST

START_TEST(consumer_without_group_reads_everything)
{
	static bool seen[N_MESSAGES];
	produce("orders", 0, N_MESSAGES);
	struct gm_common c = consumer_options(NULL);
	const char *topics[] = { "orders" };
	int status;
	struct gm_kconsumer *k = gm_kconsumer_new(&c, topics, 1, true, &status);
	ck_assert(k != NULL);
	ck_assert_int_eq(consume(k, seen, N_MESSAGES + 1), N_MESSAGES);
	struct gm_kmsg m;
	ck_assert_int_eq(gm_kconsumer_next(k, &m, 100), GM_K_EOF);
	ck_assert(gm_kconsumer_commit(k));
	ck_assert_int_eq(gm_kconsumer_close(k), GM_EXIT_OK);
}
END_TEST

START_TEST(group_resumes_after_committed_offsets)
{
	static bool seen[N_MESSAGES];
	const int first_part = 400;
	produce("orders", 0, N_MESSAGES);
	struct gm_common c = consumer_options("g1");
	const char *topics[] = { "orders" };
	int status;

	struct gm_kconsumer *k = gm_kconsumer_new(&c, topics, 1, true, &status);
	ck_assert(k != NULL);
	ck_assert_int_eq(consume(k, seen, first_part), first_part);
	gm_kconsumer_accept(k);
	ck_assert(gm_kconsumer_commit(k));
	ck_assert_int_eq(gm_kconsumer_close(k), GM_EXIT_OK);

	/* The same group again: exactly the messages not accepted before. */
	k = gm_kconsumer_new(&c, topics, 1, true, &status);
	ck_assert(k != NULL);
	ck_assert_int_eq(consume(k, seen, N_MESSAGES),
		N_MESSAGES - first_part);
	ck_assert_int_eq(gm_kconsumer_close(k), GM_EXIT_OK);
	for (int i = 0; i < N_MESSAGES; i++)
		ck_assert_msg(seen[i], "message %d never read", i);
}
END_TEST

START_TEST(refused_messages_fail)
{
	/* Refusals come from a broker: the service was there, so this is a
	 * failure, not "retry later". */
	rd_kafka_mock_push_request_errors(mock, 0 /* Produce */, 1,
		RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	int status;
	struct gm_common c = producer_options();
	struct gm_kproducer *p = gm_kproducer_new(&c, &status);
	ck_assert(p != NULL);
	ck_assert(gm_kproducer_send(p, "orders", NULL, 0, "x", 1));
	ck_assert(!gm_kproducer_flush(p, -1));
	ck_assert_uint_eq(gm_kproducer_failed(p), 1);
	ck_assert_int_eq(gm_kproducer_close(p), GM_EXIT_FAIL);
	ck_assert_uint_eq(gm_counts.out, 0);
	ck_assert_uint_eq(gm_counts.undelivered, 1);
}
END_TEST

/* Messages for partitions without a leader wait for one, up to
 * message.timeout.ms (5 minutes); after a signal, close() waits a few
 * seconds, then gives them up, counted as not delivered. */
START_TEST(signal_bounds_the_drain)
{
	ck_assert_int_eq(rd_kafka_mock_topic_create(mock, "stalled", 2, 1), 0);
	for (int part = 0; part < 2; part++)
		ck_assert_int_eq(rd_kafka_mock_partition_set_leader(mock,
			"stalled", part, -1), 0);
	int status;
	struct gm_common c = producer_options();
	struct gm_kproducer *p = gm_kproducer_new(&c, &status);
	ck_assert(p != NULL);
	for (int i = 0; i < 10; i++)
		ck_assert(gm_kproducer_send(p, "stalled", NULL, 0, "x", 1));
	gm_kproducer_poll(p);
	gm_cli_init("test_kafka");
	raise(SIGINT);
	ck_assert(gm_stopping());
	int64_t began = gm_now_ms();
	ck_assert_int_eq(gm_kproducer_close(p), GM_EXIT_FAIL);
	ck_assert_int_lt(gm_now_ms() - began, 30000);
	ck_assert_uint_eq(gm_counts.out, 0);
	ck_assert_uint_eq(gm_counts.undelivered, 10);
}
END_TEST

/* Nothing listens at 127.0.0.1:1: the producer is not made, and the
 * status says "retry later". */
START_TEST(unreachable_producer_is_tempfail)
{
	struct gm_common c;
	memset(&c, 0, sizeof c);
	c.brokers = "127.0.0.1:1";
	c.retry_ms = 1000;
	int status = GM_EXIT_OK;
	ck_assert(gm_kproducer_new(&c, &status) == NULL);
	ck_assert_int_eq(status, GM_EXIT_TEMPFAIL);
}
END_TEST

/* _i: 0 without a group, 1 with one. */
START_TEST(unreachable_consumer_is_tempfail)
{
	struct gm_common c;
	memset(&c, 0, sizeof c);
	c.brokers = "127.0.0.1:1";
	c.retry_ms = 1000;
	c.group = _i ? "g1" : NULL;
	c.props = group_props;
	c.nprops = sizeof group_props / sizeof group_props[0];
	const char *topics[] = { "orders" };
	int status = GM_EXIT_OK;
	ck_assert(gm_kconsumer_new(&c, topics, 1, true, &status) == NULL);
	ck_assert_int_eq(status, GM_EXIT_TEMPFAIL);
}
END_TEST

START_TEST(no_brokers_is_an_error)
{
	struct gm_common c;
	memset(&c, 0, sizeof c);
	const char *topics[] = { "orders" };
	int status = GM_EXIT_OK;
	ck_assert(gm_kproducer_new(&c, &status) == NULL);
	ck_assert_int_eq(status, GM_EXIT_FAIL);
	status = GM_EXIT_OK;
	ck_assert(gm_kconsumer_new(&c, topics, 1, true, &status) == NULL);
	ck_assert_int_eq(status, GM_EXIT_FAIL);
	c.brokers = "";
	ck_assert(gm_kproducer_new(&c, &status) == NULL);
	ck_assert_int_eq(gm_kproducer_close(NULL), GM_EXIT_OK);
	ck_assert_int_eq(gm_kconsumer_close(NULL), GM_EXIT_OK);
}
END_TEST

/* _i picks a bad -X; each must exit 2. */
START_TEST(bad_property_exits_2)
{
	static const char *bad[] = {
		"no.such.property=1",
		"linger.ms=soon",
		"linger.ms",
		"=5",
	};
	const char *props[] = { bad[_i / 2] };
	struct gm_common c;
	memset(&c, 0, sizeof c);
	c.brokers = "127.0.0.1:1";
	c.props = props;
	c.nprops = 1;
	int status;
	if (_i % 2 == 0) {
		gm_kproducer_new(&c, &status);
	} else {
		const char *topics[] = { "orders" };
		gm_kconsumer_new(&c, topics, 1, true, &status);
	}
	ck_abort_msg("-X %s was accepted", props[0]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("kafka");
	TCase *tc = tcase_create("mock");
	tcase_add_checked_fixture(tc, cluster_up, cluster_down);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, producer_delivers_every_message);
	tcase_add_test(tc, consumer_without_group_reads_everything);
	tcase_add_test(tc, group_resumes_after_committed_offsets);
	tcase_add_test(tc, refused_messages_fail);
	tcase_add_test(tc, signal_bounds_the_drain);
	suite_add_tcase(s, tc);

	TCase *tu = tcase_create("unreachable");
	tcase_set_timeout(tu, 60);
	tcase_add_test(tu, unreachable_producer_is_tempfail);
	tcase_add_loop_test(tu, unreachable_consumer_is_tempfail, 0, 2);
	tcase_add_test(tu, no_brokers_is_an_error);
	tcase_add_loop_exit_test(tu, bad_property_exits_2, GM_EXIT_USAGE, 0, 8);
	suite_add_tcase(s, tu);
	return s;
}

GM_CHECK_MAIN(suite)

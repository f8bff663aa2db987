/* lib/mongo: ids, a bad URI and an unreachable server always; the rest
 * when GM_MONGO_URI names a server (tests/sh/mongo-lib.sh starts one,
 * CongoDB or the real mongod of GM_TEST_MONGO_URI, and runs this). Each
 * test has collections of its own. */
#include <stdint.h>

#include "check_util.h"
#include "cli.h"
#include "hash.h"
#include "mongo.h"

static const char *uri(void)
{
	return getenv("GM_MONGO_URI");
}

static struct gm_mongo *open_server(size_t batch)
{
	int status = -1;
	struct gm_mongo *m = gm_mongo_open(uri(), "unused", 5000, batch, &status);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(status, GM_EXIT_OK);
	return m;
}

/* Documents gm_mongo_find() handed over, one a line. */
struct lines {
	char text[8192];
	size_t n;
	int count;
	int stop_after;  /* 0: never stop */
};

static bool collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;
	ck_assert_uint_lt(l->n + len + 1, sizeof l->text);
	memcpy(l->text + l->n, line, len);
	l->n += len;
	l->text[l->n++] = '\n';
	l->text[l->n] = 0;
	l->count++;
	return l->count != l->stop_after;
}

static const char *find(struct gm_mongo *m, const char *coll, const struct gm_mongo_filter *f)
{
	static struct lines l;
	memset(&l, 0, sizeof l);
	ck_assert(gm_mongo_find(m, coll, f, collect, &l));
	return l.text;
}

static void upsert(struct gm_mongo *m, const char *coll, const char *key, const char *json)
{
	ck_assert(gm_mongo_upsert(m, coll, key, strlen(key), json, strlen(json)));
}

/* Runs what's stderr into a file and returns what it said. */
static const char *stderr_of(void (*what)(void))
{
	static char said[2048];
	char path[256];
	int fd = gm_test_temp(path, sizeof path, "mongo-stderr", false);
	fflush(stderr);
	int saved = dup(2);
	dup2(fd, 2);
	what();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	ssize_t n = pread(fd, said, sizeof said - 1, 0);
	said[n > 0 ? n : 0] = 0;
	close(fd);
	unlink(path);
	return said;
}

START_TEST(ids)
{
	unsigned char a[12], b[12], c[12];
	gm_mongo_id("T1/1", 4, a);
	gm_mongo_id("T1/1", 4, b);
	gm_mongo_id("T1/2", 4, c);
	ck_assert_mem_eq(a, b, 12);
	ck_assert(memcmp(a, c, 12) != 0);
	/* The first 8 bytes are the key's gm_hash(), big-endian. */
	uint64_t h = gm_hash("T1/1", 4);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(a[i], (unsigned char)(h >> (56 - 8 * i)));
	/* The last 4, the hash of the key and a 0xff byte. */
	uint64_t h2 = gm_hash("T1/1\xff", 5);
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(a[8 + i], (unsigned char)(h2 >> (56 - 8 * i)));
	/* A key longer than the id's stack buffer. */
	char big[1000];
	memset(big, 'k', sizeof big);
	gm_mongo_id(big, sizeof big, a);
	gm_mongo_id(big, sizeof big, b);
	ck_assert_mem_eq(a, b, 12);
}
END_TEST

static void open_unreachable(void)
{
	int status = -1;
	struct gm_mongo *m = gm_mongo_open("mongodb://gm:sekret@127.0.0.1:1/wh", "dflt", 300, 0, &status);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(status, GM_EXIT_TEMPFAIL);
}

START_TEST(unreachable)
{
	const char *said = stderr_of(open_unreachable);
	ck_assert_msg(strstr(said, "database wh at 127.0.0.1:1: unreachable for 0.3 s, giving up"), "%s", said);
	ck_assert_msg(strstr(said, "retrying for up to 0.3 s"), "%s", said);
	ck_assert_msg(strstr(said, "set GM_MONGO_PASSWORD instead"), "%s", said);
	ck_assert_msg(!strstr(said, "sekret"), "%s", said);
}
END_TEST

START_TEST(bad_uri)
{
	int status = -1;
	ck_assert_ptr_null(gm_mongo_open("postgresql://x/y", "d", 300, 0, &status));
	ck_assert_int_eq(status, GM_EXIT_FAIL);
}
END_TEST

/* Every JSON value a row holds comes back as written, numbers by value
 * whatever type the server keeps them in. */
START_TEST(round_trip)
{
	struct gm_mongo *m = open_server(2);
	const char *row =
		"{\"k\":\"a\",\"n\":1,\"big\":5000000000,\"neg\":-42,\"amount\":12.34,\"f\":7.0,"
		"\"tiny\":0.1,\"s\":\"q\\\"\\\\\\u0001\xc3\xa9\",\"arr\":[1,{\"z\":2.5},\"x\"],"
		"\"obj\":{\"in\":null},\"nul\":null,\"t\":true,\"no\":false}";
	upsert(m, "rt", "a", row);
	ck_assert(gm_mongo_flush(m));
	ck_assert_str_eq(find(m, "rt", NULL),
		"{\"k\":\"a\",\"n\":1,\"big\":5000000000,\"neg\":-42,\"amount\":12.34,\"f\":7,"
		"\"tiny\":0.1,\"s\":\"q\\\"\\\\\\u0001\xc3\xa9\",\"arr\":[1,{\"z\":2.5},\"x\"],"
		"\"obj\":{\"in\":null},\"nul\":null,\"t\":true,\"no\":false}\n");
	ck_assert_int_eq(gm_mongo_close(m), GM_EXIT_OK);
}
END_TEST

/* Rows replace their key's document; the same rows again change
 * nothing; batches of 2 written as they fill, at a change of
 * collection, and at close. */
START_TEST(upserts_idempotent)
{
	struct gm_mongo *m = open_server(2);
	for (int pass = 0; pass < 2; pass++) {
		upsert(m, "up", "k1", "{\"key\":\"k1\",\"v\":1}");
		upsert(m, "up", "k2", "{\"key\":\"k2\",\"v\":2}");
		upsert(m, "up", "k3", "{\"key\":\"k3\",\"v\":3}");
		upsert(m, "up", "k1", "{\"key\":\"k1\",\"v\":10}");
		upsert(m, "up_other", "k1", "{\"other\":true}");
		ck_assert(gm_mongo_flush(m));
	}
	/* In _id order: the keys' hashes decide it, the same on any server. */
	unsigned char i1[12], i2[12], i3[12];
	gm_mongo_id("k1", 2, i1);
	gm_mongo_id("k2", 2, i2);
	gm_mongo_id("k3", 2, i3);
	const char *l1 = "{\"key\":\"k1\",\"v\":10}\n", *l2 = "{\"key\":\"k2\",\"v\":2}\n",
		*l3 = "{\"key\":\"k3\",\"v\":3}\n";
	const char *order[3] = { l1, l2, l3 };
	unsigned char *ids[3] = { i1, i2, i3 };
	for (int i = 0; i < 3; i++)
		for (int j = i + 1; j < 3; j++)
			if (memcmp(ids[j], ids[i], 12) < 0) {
				const char *t = order[i];
				unsigned char *u = ids[i];
				order[i] = order[j], ids[i] = ids[j];
				order[j] = t, ids[j] = u;
			}
	char want[256];
	snprintf(want, sizeof want, "%s%s%s", order[0], order[1], order[2]);
	ck_assert_str_eq(find(m, "up", NULL), want);
	ck_assert_str_eq(find(m, "up_other", NULL), "{\"other\":true}\n");

	/* each may stop the read. */
	struct lines l = { .stop_after = 1 };
	ck_assert(gm_mongo_find(m, "up", NULL, collect, &l));
	ck_assert_int_eq(l.count, 1);
	ck_assert_int_eq(gm_mongo_close(m), GM_EXIT_OK);
}
END_TEST

static void put_facts(struct gm_mongo *m)
{
	static const char *const users[] = { "u1", "u2", "u3" };
	char key[32], row[128];
	for (int d = 1; d <= 4; d++)
		for (int u = 0; u < 3; u++) {
			snprintf(key, sizeof key, "%d/%s", d, users[u]);
			snprintf(row, sizeof row, "{\"date_key\":2026110%d,\"user_id\":\"%s\"}", d, users[u]);
			upsert(m, "facts", key, row);
		}
	ck_assert(gm_mongo_flush(m));
}

static int count(struct gm_mongo *m, const char *coll, const struct gm_mongo_filter *f)
{
	struct lines l = { 0 };
	ck_assert(gm_mongo_find(m, coll, f, collect, &l));
	return l.count;
}

START_TEST(filters_and_delete)
{
	struct gm_mongo *m = open_server(5);
	put_facts(m);
	ck_assert_int_eq(count(m, "facts", NULL), 12);
	struct gm_mongo_filter range = { "date_key", "20261102", "20261103", NULL, 0 };
	ck_assert_int_eq(count(m, "facts", &range), 6);
	struct gm_mongo_filter from = { "date_key", "20261104", NULL, NULL, 0 };
	ck_assert_int_eq(count(m, "facts", &from), 3);
	const char *const in[] = { "\"u1\"", "\"u3\"", "\"nobody\"" };
	struct gm_mongo_filter users = { "user_id", NULL, NULL, in, 3 };
	ck_assert_int_eq(count(m, "facts", &users), 8);
	struct gm_mongo_filter one = { "user_id", "\"u2\"", "\"u2\"", in, 1 };
	ck_assert_int_eq(count(m, "facts", &one), 0);
	struct gm_mongo_filter none = { NULL, NULL, NULL, NULL, 0 };
	ck_assert_int_eq(count(m, "facts", &none), 12);

	long long deleted = -1;
	ck_assert(gm_mongo_delete(m, "facts", &range, &deleted));
	ck_assert_int_eq(deleted, 6);
	ck_assert_int_eq(count(m, "facts", NULL), 6);
	ck_assert_int_eq(count(m, "facts", &range), 0);
	/* Partition replacement: the range again, as a re-run writes it. */
	put_facts(m);
	ck_assert_int_eq(count(m, "facts", NULL), 12);
	ck_assert(gm_mongo_delete(m, "facts", NULL, &deleted));
	ck_assert_int_eq(deleted, 12);
	ck_assert_int_eq(count(m, "facts", NULL), 0);
	ck_assert_int_eq(gm_mongo_close(m), GM_EXIT_OK);
}
END_TEST

START_TEST(indexes)
{
	struct gm_mongo *m = open_server(0);
	const char *const fields[] = { "date_key", "user_id" };
	ck_assert(gm_mongo_index(m, "facts_ix", fields, 2));
	ck_assert(gm_mongo_index(m, "facts_ix", fields, 2));
	ck_assert(gm_mongo_index(m, "facts_ix", fields + 1, 1));
	ck_assert_int_eq(gm_mongo_close(m), GM_EXIT_OK);
}
END_TEST

START_TEST(named_documents)
{
	struct gm_mongo *m = open_server(0);
	char *doc = (char *)"untouched";
	ck_assert_int_eq(gm_mongo_get(m, "meta", "watermark", &doc), 0);
	ck_assert_ptr_null(doc);
	const char *w1 = "{\"loaded_to\":20261103,\"files\":[\"a.ndjson\"]}";
	ck_assert(gm_mongo_put(m, "meta", "watermark", w1, strlen(w1)));
	ck_assert_int_eq(gm_mongo_get(m, "meta", "watermark", &doc), 1);
	ck_assert_str_eq(doc, w1);
	free(doc);
	const char *w2 = "{\"loaded_to\":20261104}";
	ck_assert(gm_mongo_put(m, "meta", "watermark", w2, strlen(w2)));
	ck_assert_int_eq(gm_mongo_get(m, "meta", "watermark", &doc), 1);
	ck_assert_str_eq(doc, w2);
	free(doc);

	/* A lock: taken once; held, with what its holder stored; free again
	 * once removed. */
	const char *me = "{\"host\":\"a\",\"pid\":1}", *other = "{\"host\":\"b\",\"pid\":2}";
	char *holder = (char *)"untouched";
	ck_assert_int_eq(gm_mongo_lock(m, "meta", "lock", me, strlen(me), &holder), 1);
	ck_assert_ptr_null(holder);
	ck_assert_int_eq(gm_mongo_lock(m, "meta", "lock", other, strlen(other), &holder), 0);
	ck_assert_str_eq(holder, me);
	free(holder);
	ck_assert_int_eq(gm_mongo_lock(m, "meta", "lock", other, strlen(other), NULL), 0);
	ck_assert(gm_mongo_unlock(m, "meta", "lock"));
	ck_assert(gm_mongo_unlock(m, "meta", "lock"));
	ck_assert_int_eq(gm_mongo_lock(m, "meta", "lock", other, strlen(other), NULL), 1);
	/* The watermark, another name in the same collection, untouched. */
	ck_assert_int_eq(gm_mongo_get(m, "meta", "watermark", &doc), 1);
	ck_assert_str_eq(doc, w2);
	free(doc);
	ck_assert_int_eq(gm_mongo_close(m), GM_EXIT_OK);
}
END_TEST

static struct gm_mongo *refusing;
static void refuse_rows(void)
{
	const char *rows[] = { "[1,2]", "{\"_id\":1,\"a\":1}", "{\"a\":", "" };
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		ck_assert(!gm_mongo_upsert(refusing, "bad", "k", 1, rows[i], strlen(rows[i])));
	const char *bad_value[] = { "{\"a\":1}" };
	struct gm_mongo_filter f = { "a", "1,\"b\":2", NULL, NULL, 0 };
	struct lines l = { 0 };
	ck_assert(!gm_mongo_find(refusing, "bad", &f, collect, &l));
	struct gm_mongo_filter g = { "a", NULL, NULL, bad_value, 1 };
	ck_assert(!gm_mongo_find(refusing, "bad", &g, collect, &l));
	ck_assert(!gm_mongo_put(refusing, "bad", "n", "x", 1));
}

START_TEST(refusals)
{
	refusing = open_server(0);
	const char *said = stderr_of(refuse_rows);
	ck_assert_msg(strstr(said, "bad: a row refused: not a JSON object"), "%s", said);
	ck_assert_msg(strstr(said, "bad: a row refused: has an \"_id\" field"), "%s", said);
	ck_assert_msg(strstr(said, "bad: not a JSON scalar: 1,\"b\":2"), "%s", said);
	ck_assert_msg(strstr(said, "bad: not a JSON scalar: {\"a\":1}"), "%s", said);
	/* Refused input fails neither the handle nor the rows after it. */
	ck_assert(!gm_mongo_failed(refusing));
	upsert(refusing, "bad", "k", "{\"a\":1}");
	ck_assert_str_eq(find(refusing, "bad", NULL), "{\"a\":1}\n");
	ck_assert_int_eq(gm_mongo_close(refusing), GM_EXIT_FAIL);
}
END_TEST

static Suite *mongo_suite(void)
{
	Suite *s = suite_create("mongo");
	TCase *tc = tcase_create("client");
	tcase_add_test(tc, ids);
	tcase_add_test(tc, unreachable);
	tcase_add_test(tc, bad_uri);
	suite_add_tcase(s, tc);
	if (uri()) {
		tc = tcase_create("server");
		tcase_set_timeout(tc, 30);
		tcase_add_test(tc, round_trip);
		tcase_add_test(tc, upserts_idempotent);
		tcase_add_test(tc, filters_and_delete);
		tcase_add_test(tc, indexes);
		tcase_add_test(tc, named_documents);
		tcase_add_test(tc, refusals);
		suite_add_tcase(s, tc);
	}
	return s;
}

GM_CHECK_MAIN(mongo_suite)

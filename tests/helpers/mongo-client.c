/* mongo-client: libmongoc against a MongoDB-wire server, for
 * tests/sh/mongo-server.sh and tests/helpers/mongo.sh.
 *
 *   mongo-client URI roundtrip   in the URI's database (or "gm_test"),
 *       empties the collection "roundtrip", inserts three documents,
 *       replaces one by a filter and upserts a fourth, reads them back
 *       sorted and counts some; prints each step's result on a line.
 *   mongo-client URI drop        drops the URI's database.
 *
 * Exit status 0, or 1 after a message naming the step that failed. */
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *step = "connecting";

static void die(const bson_error_t *e)
{
	fprintf(stderr, "mongo-client: %s: %s\n", step, e->message);
	exit(1);
}

/* An integer as the server sent it: CongoDB may send int32, int64 or a
 * double for the same value. */
static long long get_int(const bson_t *doc, const char *key)
{
	bson_iter_t it;
	return bson_iter_init_find(&it, doc, key) ? (long long)bson_iter_as_int64(&it) : -1;
}

static void replace(mongoc_collection_t *coll, const char *k, long long n)
{
	bson_t *filter = BCON_NEW("k", BCON_UTF8(k));
	bson_t *doc = BCON_NEW("k", BCON_UTF8(k), "n", BCON_INT64(n));
	bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
	bson_t reply;
	bson_error_t e;
	step = "replace_one";
	if (!mongoc_collection_replace_one(coll, filter, doc, opts, &reply, &e))
		die(&e);
	printf("replace %s: matched %lld modified %lld upserted %lld\n", k,
		get_int(&reply, "matchedCount"), get_int(&reply, "modifiedCount"),
		get_int(&reply, "upsertedCount"));
	bson_destroy(&reply);
	bson_destroy(filter);
	bson_destroy(doc);
	bson_destroy(opts);
}

static void roundtrip(mongoc_database_t *db)
{
	bson_error_t e;
	mongoc_collection_t *coll = mongoc_database_get_collection(db, "roundtrip");
	step = "delete_many";
	bson_t all = BSON_INITIALIZER;
	if (!mongoc_collection_delete_many(coll, &all, NULL, NULL, &e))
		die(&e);

	step = "insert_many";
	bson_t *docs[3];
	const char *keys[3] = { "a", "b", "c" };
	for (int i = 0; i < 3; i++)
		docs[i] = BCON_NEW("k", BCON_UTF8(keys[i]), "n", BCON_INT64(i + 1));
	bson_t reply;
	if (!mongoc_collection_insert_many(coll, (const bson_t **)docs, 3, NULL, &reply, &e))
		die(&e);
	printf("inserted %lld\n", get_int(&reply, "insertedCount"));
	bson_destroy(&reply);
	for (int i = 0; i < 3; i++)
		bson_destroy(docs[i]);

	replace(coll, "b", 20);
	replace(coll, "d", 4);

	step = "find";
	bson_t *opts = BCON_NEW("sort", "{", "k", BCON_INT32(1), "}",
		"projection", "{", "_id", BCON_INT32(0), "}");
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(coll, &all, opts, NULL);
	const bson_t *doc;
	while (mongoc_cursor_next(cur, &doc)) {
		bson_iter_t it;
		const char *k = bson_iter_init_find(&it, doc, "k") && BSON_ITER_HOLDS_UTF8(&it)
			? bson_iter_utf8(&it, NULL) : "?";
		printf("%s %lld%s\n", k, get_int(doc, "n"),
			bson_has_field(doc, "_id") ? " (with _id)" : "");
	}
	if (mongoc_cursor_error(cur, &e))
		die(&e);
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);

	step = "count_documents";
	bson_t *filter = BCON_NEW("n", "{", "$gte", BCON_INT64(3), "}");
	int64_t n = mongoc_collection_count_documents(coll, filter, NULL, NULL, NULL, &e);
	if (n < 0)
		die(&e);
	printf("count n>=3: %lld\n", (long long)n);
	bson_destroy(filter);
	mongoc_collection_destroy(coll);
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[2], "roundtrip") && strcmp(argv[2], "drop"))) {
		fputs("usage: mongo-client URI roundtrip|drop\n", stderr);
		return 2;
	}
	mongoc_init();
	bson_error_t e;
	mongoc_uri_t *uri = mongoc_uri_new_with_error(argv[1], &e);
	if (!uri)
		die(&e);
	const char *name = mongoc_uri_get_database(uri);
	mongoc_client_t *client = mongoc_client_new_from_uri_with_error(uri, &e);
	if (!client)
		die(&e);
	mongoc_client_set_error_api(client, MONGOC_ERROR_API_VERSION_2);
	mongoc_database_t *db = mongoc_client_get_database(client, name ? name : "gm_test");
	if (!strcmp(argv[2], "drop")) {
		step = "dropping the database";
		if (!mongoc_database_drop(db, &e))
			die(&e);
	} else {
		roundtrip(db);
	}
	mongoc_database_destroy(db);
	mongoc_client_destroy(client);
	mongoc_uri_destroy(uri);
	mongoc_cleanup();
	return 0;
}

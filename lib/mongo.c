/* mongo: see mongo.h. */
#include "mongo.h"

#include <math.h>
#include <mongoc/mongoc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "cli.h"
#include "clock.h"
#include "hash.h"
#include "mem.h"
#include "text.h"
#include "writer.h"

#define DEFAULT_BATCH 1000
#define DUPLICATE_KEY 11000

struct row {
	bson_oid_t id;
	bson_t *doc;   /* _id first, then the row's fields */
};

struct gm_mongo {
	mongoc_uri_t *uri;
	mongoc_client_t *client;  /* NULL after a failure worth retrying */
	char *db;
	char *name;               /* "database D at HOSTS: ", for messages */
	char *label;              /* "mongodb://HOSTS/D": gm_mongo_name() */
	char *secret;             /* the URI's password, kept out of messages */
	long long retry_ms;
	size_t batch;
	int failed;               /* 0, or the exit status it failed with */
	bool refused;             /* a row was refused */

	char *coll;               /* the batch's collection */
	struct row *rows;
	size_t nrows, cap;

	struct gm_writer *out;    /* a document's JSON, built for get */
	struct gm_mongo_cursor *cursor;  /* the one open, or NULL */
	char err[512];            /* the last error, scrubbed */
};

enum res { RES_OK, RES_ERROR, RES_RETRY };

/* An operation tried again while it fails for a reason worth waiting
 * out. It returns false with *e set when it fails; *retry false says
 * not to try again whatever the reason (a reader that already handed
 * documents over). */
typedef bool (*op_fn)(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry);

/* ---- setting up ---- */

static void on_log(mongoc_log_level_t level, const char *domain, const char *message, void *ctx)
{
	(void)domain, (void)ctx;
	/* The driver's own warnings (TLS, a deprecated option) matter; its
	 * chatter does not, and its errors reach us as bson_error_t too. */
	if (level == MONGOC_LOG_LEVEL_WARNING)
		gm_warn("mongodb", "%s", message);
}

static void init_once(void)
{
	/* The driver's statistics counters go to a /dev/shm file of each
	 * process, left behind by one that is killed: not wanted. */
	setenv("MONGOC_DISABLE_SHM", "1", 0);
	mongoc_init();
	mongoc_log_set_handler(on_log, NULL);
	atexit(mongoc_cleanup);
}

/* Copies e's message into m->err with the password, if any, cut out:
 * a driver message could quote the URI. */
static void set_err(struct gm_mongo *m, const char *what, const bson_error_t *e)
{
	snprintf(m->err, sizeof m->err, "%.150s: %.350s", what, e->message);
	if (!m->secret)
		return;
	for (char *p; (p = strstr(m->err, m->secret));) {
		size_t n = strlen(m->secret);
		memmove(p + 3, p + n, strlen(p + n) + 1);
		memcpy(p, "***", 3);
	}
}

/* Failures that waiting may mend: no server, a broken connection, a
 * server starting, stopping or stepping down. */
static bool retryable(const bson_error_t *e)
{
	if (e->domain == MONGOC_ERROR_SERVER_SELECTION || e->domain == MONGOC_ERROR_STREAM)
		return true;
	if (e->domain != MONGOC_ERROR_SERVER && e->domain != MONGOC_ERROR_WRITE_CONCERN)
		return false;
	switch (e->code) {
	case 6: case 7: case 89: case 91: case 189: case 10107:
	case 11600: case 11602: case 13435: case 13436:
		return true;
	}
	return false;
}

struct gm_mongo_cursor {
	struct gm_mongo *m;
	char *coll;
	bson_t query, opts;
	mongoc_collection_t *collection;  /* both NULL until the first read */
	mongoc_cursor_t *cur;             /* and after a reconnect */
	const bson_t *first;              /* what the first read found */
	struct gm_writer *out;            /* the document handed over */
	bool handed, ended, failed;
};

/* Ends the server side of the open cursor, which uses the client. */
static void end_cursor(struct gm_mongo *m)
{
	struct gm_mongo_cursor *c = m->cursor;
	if (!c)
		return;
	mongoc_cursor_destroy(c->cur);
	mongoc_collection_destroy(c->collection);
	c->cur = NULL;
	c->collection = NULL;
}

static void drop(struct gm_mongo *m)
{
	end_cursor(m);
	mongoc_client_destroy(m->client);
	m->client = NULL;
}

static bool connect_client(struct gm_mongo *m, bson_error_t *e)
{
	if (m->client)
		return true;
	m->client = mongoc_client_new_from_uri_with_error(m->uri, e);
	if (!m->client)
		return false;
	mongoc_client_set_error_api(m->client, MONGOC_ERROR_API_VERSION_2);
	mongoc_client_set_appname(m->client, gm_prog);
	return true;
}

/* Runs op, connecting first when need be, and again while it fails for a
 * reason worth retrying, for retry_ms from the first failure, with
 * backoff; what describes it in messages. Returns RES_OK, RES_ERROR (not
 * worth retrying), or RES_RETRY when time ran out; m->err holds the last
 * error. */
static enum res attempt(struct gm_mongo *m, const char *what, op_fn op, void *arg)
{
	struct gm_backoff b;
	gm_backoff_init(&b, m->retry_ms);
	for (;;) {
		bson_error_t e = { 0 };
		bool retry = true;
		bool done = connect_client(m, &e) && op(m, arg, &e, &retry);
		if (done) {
			if (b.began > 0)
				gm_warn("mongodb", "%sback after %.1f s", m->name, gm_backoff_elapsed(&b));
			return RES_OK;
		}
		set_err(m, what, &e);
		if (!retry || !retryable(&e))
			return RES_ERROR;
		drop(m);
		if (gm_backoff_failed(&b) && m->retry_ms > 0)
			gm_warn("mongodb", "%s%s; retrying for up to %g s", m->name, m->err,
				m->retry_ms / 1e3);
		if (!gm_backoff_wait(&b))
			return RES_RETRY;
	}
}

/* Reports a result that is not RES_OK. A write's failure, or any
 * failure to reach the server, fails the handle. */
static void report(struct gm_mongo *m, enum res res, bool write)
{
	if (res == RES_RETRY) {
		gm_error("mongodb", "%sunreachable for %g s, giving up: %s", m->name,
			m->retry_ms / 1e3, m->err);
		m->failed = GM_EXIT_TEMPFAIL;
	} else {
		gm_error("mongodb", "%s%s", m->name, m->err);
		if (write)
			m->failed = GM_EXIT_FAIL;
	}
}

static bool op_ping(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry)
{
	(void)arg, (void)retry;
	bson_t *cmd = BCON_NEW("ping", BCON_INT32(1));
	bool ok = mongoc_client_command_simple(m->client, m->db, cmd, NULL, NULL, e);
	bson_destroy(cmd);
	return ok;
}

/* "database D at h1:p1,h2:p2: " in m->name and "mongodb://h1:p1,h2:p2/D"
 * in m->label. */
static void describe(struct gm_mongo *m)
{
	struct gm_text hosts = { 0 }, t = { 0 };
	const char *srv = mongoc_uri_get_srv_hostname(m->uri);
	if (srv) {
		gm_text_str(&hosts, srv);
	} else {
		for (const mongoc_host_list_t *h = mongoc_uri_get_hosts(m->uri); h; h = h->next)
			gm_text_printf(&hosts, "%s%s", h == mongoc_uri_get_hosts(m->uri) ? "" : ",",
				h->host_and_port);
	}
	gm_text_printf(&t, "database %s at %s: ", m->db, hosts.p ? hosts.p : "");
	m->name = t.p;
	t = (struct gm_text){ 0 };
	gm_text_printf(&t, "%s://%s/%s", srv ? "mongodb+srv" : "mongodb", hosts.p ? hosts.p : "",
		m->db);
	m->label = t.p;
	free(hosts.p);
}

static void free_rows(struct gm_mongo *m)
{
	for (size_t i = 0; i < m->nrows; i++)
		bson_destroy(m->rows[i].doc);
	m->nrows = 0;
}

static void free_mongo(struct gm_mongo *m)
{
	free_rows(m);
	free(m->rows);
	free(m->coll);
	end_cursor(m);
	if (m->client)
		mongoc_client_destroy(m->client);
	mongoc_uri_destroy(m->uri);
	gm_writer_close(m->out);
	free(m->db);
	free(m->name);
	free(m->label);
	free(m->secret);
	free(m);
}

static void set_timeout(mongoc_uri_t *uri, const char *option, long long retry_ms)
{
	if (mongoc_uri_has_option(uri, option))
		return;
	long long ms = retry_ms < 2000 ? 2000 : retry_ms > 10000 ? 10000 : retry_ms;
	mongoc_uri_set_option_as_int32(uri, option, (int32_t)ms);
}

/* The handle of uri, not connected yet; NULL after gm_error() for a bad
 * URI. */
static struct gm_mongo *setup(const char *uri, const char *db, long long retry_ms,
	size_t batch)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, init_once);

	bson_error_t e;
	mongoc_uri_t *u = mongoc_uri_new_with_error(uri, &e);
	if (!u) {
		/* The driver's messages about a URI name its parts, never the
		 * password, which it has not parsed yet or keeps apart. */
		gm_error("mongodb", "bad URI: %s", e.message);
		return NULL;
	}
	struct gm_mongo *m = gm_xcalloc(1, sizeof *m);
	m->uri = u;
	const char *path_db = mongoc_uri_get_database(u);
	m->db = gm_xstrdup(path_db && *path_db ? path_db : db);
	describe(m);
	const char *password = mongoc_uri_get_password(u);
	const char *env = getenv("GM_MONGO_PASSWORD");
	if (password && *password) {
		m->secret = gm_xstrdup(password);
		gm_warn("mongodb", "the URI holds a password, which other users can see on the "
			"command line (ps); set GM_MONGO_PASSWORD instead");
	} else if (mongoc_uri_get_username(u) && env && *env) {
		mongoc_uri_set_password(u, env);
		m->secret = gm_xstrdup(env);
	}
	m->retry_ms = retry_ms > 0 ? retry_ms : 0;
	m->batch = batch ? batch : DEFAULT_BATCH;
	set_timeout(u, MONGOC_URI_CONNECTTIMEOUTMS, m->retry_ms);
	set_timeout(u, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, m->retry_ms);
	m->out = gm_writer_mem();
	return m;
}

struct gm_mongo *gm_mongo_open(const char *uri, const char *db, long long retry_ms,
	size_t batch, int *status)
{
	struct gm_mongo *m = setup(uri, db, retry_ms, batch);
	if (!m) {
		*status = GM_EXIT_FAIL;
		return NULL;
	}
	enum res res = attempt(m, "ping", op_ping, NULL);
	if (res == RES_OK) {
		*status = GM_EXIT_OK;
		return m;
	}
	report(m, res, true);
	*status = m->failed;
	free_mongo(m);
	return NULL;
}

/* ---- ids and documents ---- */

void gm_mongo_id(const char *key, size_t n, unsigned char id[12])
{
	/* Two hashes of different strings, 96 bits in all, so that keys
	 * collide only as rarely as an ObjectId's size allows. */
	char small[256];
	char *salted = n < sizeof small ? small : gm_xrealloc(NULL, n + 1);
	memcpy(salted, key, n);
	salted[n] = (char)0xff;
	uint64_t h1 = gm_hash(key, n), h2 = gm_hash(salted, n + 1);
	if (salted != small)
		free(salted);
	for (int i = 0; i < 8; i++)
		id[i] = (unsigned char)(h1 >> (56 - 8 * i));
	for (int i = 0; i < 4; i++)
		id[8 + i] = (unsigned char)(h2 >> (56 - 8 * i));
}

static void oid_of(const char *key, size_t n, bson_oid_t *oid)
{
	unsigned char id[12];
	gm_mongo_id(key, n, id);
	bson_oid_init_from_data(oid, id);
}

/* The document of a row: _id, then the fields of json[0..n), a JSON
 * object without "_id". NULL with *why set when it is not one. */
static bson_t *document(const bson_oid_t *oid, const char *json, size_t n, char *why, size_t whyn)
{
	bson_error_t e;
	bson_t fields;
	if (!n || json[0] != '{') {
		snprintf(why, whyn, "not a JSON object");
		return NULL;
	}
	if (!bson_init_from_json(&fields, json, (ssize_t)n, &e)) {
		snprintf(why, whyn, "%.200s", e.message);
		return NULL;
	}
	if (bson_has_field(&fields, "_id")) {
		bson_destroy(&fields);
		snprintf(why, whyn, "has an \"_id\" field, which is the key's");
		return NULL;
	}
	bson_t *doc = bson_new();
	BSON_APPEND_OID(doc, "_id", oid);
	bson_concat(doc, &fields);
	bson_destroy(&fields);
	return doc;
}

static void write_number(struct gm_writer *w, double d)
{
	if (!isfinite(d)) {
		gm_w_json(w, "null", 4);
		return;
	}
	if (d == trunc(d) && fabs(d) <= 9007199254740992.0) {
		gm_w_i64(w, (int64_t)d);
		return;
	}
	char buf[32];
	int n = 0;
	for (int prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	gm_w_json(w, buf, (size_t)n);
}

/* Writes the value at it; false with *why set for a BSON type that has
 * no JSON form here. */
static bool write_value(struct gm_writer *w, bson_iter_t *it, char *why, size_t whyn);

static bool write_fields(struct gm_writer *w, bson_iter_t *it, bool array, bool skip_id,
	char *why, size_t whyn)
{
	while (bson_iter_next(it)) {
		if (skip_id && !strcmp(bson_iter_key(it), "_id"))
			continue;
		if (!array)
			gm_w_key(w, bson_iter_key(it));
		if (!write_value(w, it, why, whyn))
			return false;
	}
	return true;
}

static bool write_value(struct gm_writer *w, bson_iter_t *it, char *why, size_t whyn)
{
	bson_iter_t sub;
	uint32_t len;
	switch (bson_iter_type(it)) {
	case BSON_TYPE_UTF8: {
		const char *s = bson_iter_utf8(it, &len);
		gm_w_str(w, s, len);
		return true;
	}
	case BSON_TYPE_INT32:
	case BSON_TYPE_INT64:
		gm_w_i64(w, bson_iter_as_int64(it));
		return true;
	case BSON_TYPE_DOUBLE:
		write_number(w, bson_iter_as_double(it));
		return true;
	case BSON_TYPE_BOOL:
		gm_w_bool(w, bson_iter_bool(it));
		return true;
	case BSON_TYPE_NULL:
		gm_w_json(w, "null", 4);
		return true;
	case BSON_TYPE_DOCUMENT:
		if (!bson_iter_recurse(it, &sub))
			break;
		gm_w_obj_begin(w);
		if (!write_fields(w, &sub, false, false, why, whyn))
			return false;
		gm_w_obj_end(w);
		return true;
	case BSON_TYPE_ARRAY:
		if (!bson_iter_recurse(it, &sub))
			break;
		gm_w_arr_begin(w);
		if (!write_fields(w, &sub, true, false, why, whyn))
			return false;
		gm_w_arr_end(w);
		return true;
	default:
		break;
	}
	snprintf(why, whyn, "field \"%s\" holds BSON type 0x%02x, which has no JSON form here",
		bson_iter_key(it), (unsigned)bson_iter_type(it));
	return false;
}

/* doc as one JSON object without _id and without a newline, in out's
 * memory until the next call; NULL with *why set when it cannot be. */
static const char *render(struct gm_writer *out, const bson_t *doc, size_t *len, char *why,
	size_t whyn)
{
	bson_iter_t it;
	gm_writer_reset(out);
	if (!bson_iter_init(&it, doc)) {
		snprintf(why, whyn, "a malformed document");
		return NULL;
	}
	gm_w_obj_begin(out);
	if (!write_fields(out, &it, false, true, why, whyn))
		return NULL;
	gm_w_end(out);
	const char *p = gm_writer_data(out, len);
	*len -= 1; /* the newline */
	return p;
}

/* ---- writing rows ---- */

struct bulk {
	const char *coll;
	const struct row *rows;
	size_t n;
};

static bool op_bulk(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry)
{
	(void)retry;
	const struct bulk *b = arg;
	mongoc_collection_t *c = mongoc_client_get_collection(m->client, m->db, b->coll);
	bson_t *opts = BCON_NEW("ordered", BCON_BOOL(false));
	bson_t *upsert = BCON_NEW("upsert", BCON_BOOL(true));
	mongoc_bulk_operation_t *bulk = mongoc_collection_create_bulk_operation_with_opts(c, opts);
	bool ok = true;
	for (size_t i = 0; i < b->n && ok; i++) {
		bson_t sel;
		bson_init(&sel);
		BSON_APPEND_OID(&sel, "_id", &b->rows[i].id);
		ok = mongoc_bulk_operation_replace_one_with_opts(bulk, &sel, b->rows[i].doc, upsert, e);
		bson_destroy(&sel);
	}
	if (ok)
		ok = mongoc_bulk_operation_execute(bulk, NULL, e) != 0;
	mongoc_bulk_operation_destroy(bulk);
	bson_destroy(upsert);
	bson_destroy(opts);
	mongoc_collection_destroy(c);
	return ok;
}

bool gm_mongo_flush(struct gm_mongo *m)
{
	if (m->failed)
		return false;
	if (!m->nrows)
		return true;
	struct bulk b = { m->coll, m->rows, m->nrows };
	enum res res = attempt(m, "writing a batch", op_bulk, &b);
	if (res != RES_OK) {
		report(m, res, true);
		gm_error("mongodb", "%s%zu rows of %s not written", m->name, m->nrows, m->coll);
	}
	free_rows(m);
	return res == RES_OK;
}

bool gm_mongo_upsert(struct gm_mongo *m, const char *coll, const char *key, size_t klen,
	const char *json, size_t jlen)
{
	if (m->failed)
		return false;
	if (m->coll && strcmp(m->coll, coll)) {
		if (!gm_mongo_flush(m))
			return false;
	}
	if (!m->coll || strcmp(m->coll, coll)) {
		free(m->coll);
		m->coll = gm_xstrdup(coll);
	}
	struct row r;
	oid_of(key, klen, &r.id);
	char why[256];
	r.doc = document(&r.id, json, jlen, why, sizeof why);
	if (!r.doc) {
		gm_record_error("mongodb", "%s%s: a row refused: %s", m->name, coll, why);
		m->refused = true;
		return false;
	}
	m->rows = gm_grow(m->rows, &m->cap, m->nrows + 1, sizeof *m->rows, 64);
	m->rows[m->nrows++] = r;
	return m->nrows < m->batch || gm_mongo_flush(m);
}

/* ---- filters and reads ---- */

/* Appends to sub, under op, the JSON scalar text s; false with *why set
 * when it is not one. */
static bool append_scalar(bson_t *sub, const char *op, const char *s, char *why, size_t whyn)
{
	struct gm_text t = { 0 };
	gm_text_printf(&t, "{\"v\":%s}", s);
	bson_t v;
	bson_error_t e;
	bool ok = bson_init_from_json(&v, t.p, (ssize_t)t.n, &e);
	free(t.p);
	if (!ok) {
		snprintf(why, whyn, "not a JSON scalar: %s", s);
		return false;
	}
	/* One field, v, a scalar: text such as 1,"w":2 makes two. */
	bson_iter_t it;
	ok = bson_count_keys(&v) == 1 && bson_iter_init_find(&it, &v, "v") &&
		!BSON_ITER_HOLDS_DOCUMENT(&it) && !BSON_ITER_HOLDS_ARRAY(&it);
	if (ok)
		bson_append_iter(sub, op, -1, &it);
	else
		snprintf(why, whyn, "not a JSON scalar: %s", s);
	bson_destroy(&v);
	return ok;
}

/* Appends to q the condition of f, which has a field; false with *why
 * set when a bound or value is not a JSON scalar. */
static bool condition(const struct gm_mongo_filter *f, bson_t *q, char *why, size_t whyn)
{
	bson_t cond, list;
	bool ok = true;
	BSON_APPEND_DOCUMENT_BEGIN(q, f->field, &cond);
	if (f->min)
		ok = append_scalar(&cond, "$gte", f->min, why, whyn);
	if (ok && f->max)
		ok = append_scalar(&cond, "$lte", f->max, why, whyn);
	if (ok && f->nin) {
		BSON_APPEND_ARRAY_BEGIN(&cond, "$in", &list);
		for (size_t i = 0; i < f->nin && ok; i++) {
			char idx[24];
			const char *k;
			bson_uint32_to_string((uint32_t)i, &k, idx, sizeof idx);
			ok = append_scalar(&list, k, f->in[i], why, whyn);
		}
		bson_append_array_end(&cond, &list);
	}
	bson_append_document_end(q, &cond);
	return ok;
}

/* The query of the documents that any of any[0..n) chooses, in q
 * (initialised here; destroy it); false with *why set when a bound or
 * value is not a JSON scalar. */
static bool query_of(const struct gm_mongo_filter *any, size_t n, bson_t *q, char *why,
	size_t whyn)
{
	bson_init(q);
	for (size_t i = 0; i < n; i++)
		if (!any[i].field)
			return true;
	bool ok = true;
	if (n == 1) {
		ok = condition(&any[0], q, why, whyn);
	} else if (n > 1) {
		bson_t list, one;
		BSON_APPEND_ARRAY_BEGIN(q, "$or", &list);
		for (size_t i = 0; i < n && ok; i++) {
			char idx[24];
			const char *k;
			bson_uint32_to_string((uint32_t)i, &k, idx, sizeof idx);
			BSON_APPEND_DOCUMENT_BEGIN(&list, k, &one);
			ok = condition(&any[i], &one, why, whyn);
			bson_append_document_end(&list, &one);
		}
		bson_append_array_end(q, &list);
	}
	if (!ok)
		bson_destroy(q);
	return ok;
}

static bool op_first(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry)
{
	(void)retry;
	struct gm_mongo_cursor *c = arg;
	end_cursor(m);
	c->collection = mongoc_client_get_collection(m->client, m->db, c->coll);
	c->cur = mongoc_collection_find_with_opts(c->collection, &c->query, &c->opts, NULL);
	if (mongoc_cursor_next(c->cur, &c->first))
		return true;
	c->first = NULL;
	return !mongoc_cursor_error(c->cur, e);
}

struct gm_mongo_cursor *gm_mongo_cursor_open(struct gm_mongo *m, const char *coll,
	const struct gm_mongo_filter *any, size_t nany, const char *const *sort, size_t nsort)
{
	if (m->cursor) {
		gm_error("mongodb", "%s%s: a read while another is open", m->name, coll);
		return NULL;
	}
	if (!gm_mongo_flush(m))
		return NULL;
	struct gm_mongo_cursor *c = gm_xcalloc(1, sizeof *c);
	char why[256];
	if (!query_of(any, nany, &c->query, why, sizeof why)) {
		gm_error("mongodb", "%s%s: %s", m->name, coll, why);
		free(c);
		return NULL;
	}
	c->m = m;
	c->coll = gm_xstrdup(coll);
	bson_init(&c->opts);
	bson_t order;
	BSON_APPEND_DOCUMENT_BEGIN(&c->opts, "sort", &order);
	for (size_t i = 0; i < nsort; i++)
		BSON_APPEND_INT32(&order, sort[i], 1);
	if (!nsort)
		BSON_APPEND_INT32(&order, "_id", 1);
	bson_append_document_end(&c->opts, &order);
	c->out = gm_writer_mem();
	m->cursor = c;
	return c;
}

/* Ends c with an error; m->err says what. */
static int cursor_failed(struct gm_mongo_cursor *c, enum res res)
{
	report(c->m, res, false);
	c->failed = true;
	return -1;
}

int gm_mongo_cursor_next(struct gm_mongo_cursor *c, const char **line, size_t *len)
{
	struct gm_mongo *m = c->m;
	if (c->failed)
		return -1;
	if (c->ended)
		return 0;
	const bson_t *doc;
	if (!c->handed) {
		enum res res = attempt(m, "reading", op_first, c);
		if (res != RES_OK)
			return cursor_failed(c, res);
		doc = c->first;
	} else if (!c->cur) {
		snprintf(m->err, sizeof m->err, "reading %.100s: the connection was lost", c->coll);
		return cursor_failed(c, RES_ERROR);
	} else if (!mongoc_cursor_next(c->cur, &doc)) {
		bson_error_t e;
		if (mongoc_cursor_error(c->cur, &e)) {
			set_err(m, "reading", &e);
			return cursor_failed(c, RES_ERROR);
		}
		doc = NULL;
	}
	if (!doc) {
		c->ended = true;
		return 0;
	}
	char why[256];
	*line = render(c->out, doc, len, why, sizeof why);
	if (!*line) {
		snprintf(m->err, sizeof m->err, "reading: %.100s: %.300s", c->coll, why);
		return cursor_failed(c, RES_ERROR);
	}
	c->handed = true;
	return 1;
}

bool gm_mongo_cursor_close(struct gm_mongo_cursor *c)
{
	if (!c)
		return true;
	bool ok = !c->failed;
	end_cursor(c->m);
	c->m->cursor = NULL;
	bson_destroy(&c->query);
	bson_destroy(&c->opts);
	gm_writer_close(c->out);
	free(c->coll);
	free(c);
	return ok;
}

bool gm_mongo_find(struct gm_mongo *m, const char *coll, const struct gm_mongo_filter *f,
	bool (*each)(void *ctx, const char *line, size_t len), void *ctx)
{
	struct gm_mongo_cursor *c = gm_mongo_cursor_open(m, coll, f, f ? 1 : 0, NULL, 0);
	if (!c)
		return false;
	const char *line;
	size_t len;
	int got;
	while ((got = gm_mongo_cursor_next(c, &line, &len)) > 0 && each(ctx, line, len))
		;
	return gm_mongo_cursor_close(c) && got >= 0;
}

/* ---- deletes and indexes ---- */

struct del {
	const char *coll;
	const bson_t *query;
	long long deleted;
};

static bool op_delete(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry)
{
	(void)retry;
	struct del *d = arg;
	mongoc_collection_t *c = mongoc_client_get_collection(m->client, m->db, d->coll);
	bson_t reply;
	bool ok = mongoc_collection_delete_many(c, d->query, NULL, &reply, e);
	bson_iter_t it;
	if (ok && bson_iter_init_find(&it, &reply, "deletedCount"))
		d->deleted = bson_iter_as_int64(&it);
	bson_destroy(&reply);
	mongoc_collection_destroy(c);
	return ok;
}

/* Deletes the documents of coll that q matches (q destroyed), their
 * count in *deleted when not NULL; false after a report. */
static bool delete_where(struct gm_mongo *m, const char *coll, bson_t *q, long long *deleted)
{
	struct del d = { coll, q, 0 };
	enum res res = attempt(m, "deleting", op_delete, &d);
	bson_destroy(q);
	if (res != RES_OK)
		report(m, res, true);
	else if (deleted)
		*deleted = d.deleted;
	return res == RES_OK;
}

bool gm_mongo_delete(struct gm_mongo *m, const char *coll, const struct gm_mongo_filter *f,
	long long *deleted)
{
	if (!gm_mongo_flush(m))
		return false;
	bson_t q;
	char why[256];
	if (!query_of(f, f ? 1 : 0, &q, why, sizeof why)) {
		gm_error("mongodb", "%s%s: %s", m->name, coll, why);
		return false;
	}
	return delete_where(m, coll, &q, deleted);
}

bool gm_mongo_delete_prefix(struct gm_mongo *m, const char *coll, const char *field,
	const char *prefix, size_t n, long long *deleted)
{
	if (!gm_mongo_flush(m))
		return false;
	/* Anchored, each character that is not itself in a pattern (in
	 * PCRE, the server's, and in JavaScript's, which CongoDB's is)
	 * escaped: a literal prefix, which an index on field serves. */
	struct gm_text re = { 0 };
	gm_text_add(&re, "^", 1);
	for (size_t i = 0; i < n; i++) {
		if (strchr("\\^$.|?*+()[]{}", prefix[i]))
			gm_text_add(&re, "\\", 1);
		gm_text_add(&re, prefix + i, 1);
	}
	bson_t q, cond;
	bson_init(&q);
	BSON_APPEND_DOCUMENT_BEGIN(&q, field, &cond);
	BSON_APPEND_UTF8(&cond, "$regex", re.p);
	bson_append_document_end(&q, &cond);
	free(re.p);
	return delete_where(m, coll, &q, deleted);
}

static bool op_command(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry)
{
	(void)retry;
	return mongoc_client_write_command_with_opts(m->client, m->db, arg, NULL, NULL, e);
}

bool gm_mongo_index(struct gm_mongo *m, const char *coll, const char *const *fields, size_t n)
{
	if (m->failed)
		return false;
	struct gm_text name = { 0 };
	bson_t *cmd = bson_new(), keys, list, index;
	BSON_APPEND_UTF8(cmd, "createIndexes", coll);
	BSON_APPEND_ARRAY_BEGIN(cmd, "indexes", &list);
	BSON_APPEND_DOCUMENT_BEGIN(&list, "0", &index);
	BSON_APPEND_DOCUMENT_BEGIN(&index, "key", &keys);
	for (size_t i = 0; i < n; i++) {
		BSON_APPEND_INT32(&keys, fields[i], 1);
		gm_text_printf(&name, "%s%s_1", i ? "_" : "", fields[i]);
	}
	bson_append_document_end(&index, &keys);
	BSON_APPEND_UTF8(&index, "name", name.p ? name.p : "");
	bson_append_document_end(&list, &index);
	bson_append_array_end(cmd, &list);
	char what[300];
	snprintf(what, sizeof what, "%s: creating index %s", coll, name.p ? name.p : "");
	enum res res = attempt(m, what, op_command, cmd);
	bson_destroy(cmd);
	free(name.p);
	if (res != RES_OK)
		report(m, res, true);
	return res == RES_OK;
}

/* ---- named documents ---- */

struct named {
	const char *coll;
	bson_oid_t id;
	const bson_t *doc;   /* to put or insert */
	char *found;         /* what get found, malloc'd */
	bool duplicate;      /* lock: the insert met the _id */
	bool bad;
};

static bool op_put(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry)
{
	(void)retry;
	struct named *nd = arg;
	mongoc_collection_t *c = mongoc_client_get_collection(m->client, m->db, nd->coll);
	bson_t sel;
	bson_init(&sel);
	BSON_APPEND_OID(&sel, "_id", &nd->id);
	bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
	bool ok = mongoc_collection_replace_one(c, &sel, nd->doc, opts, NULL, e);
	bson_destroy(opts);
	bson_destroy(&sel);
	mongoc_collection_destroy(c);
	return ok;
}

static bool op_get(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry)
{
	(void)retry;
	struct named *nd = arg;
	mongoc_collection_t *c = mongoc_client_get_collection(m->client, m->db, nd->coll);
	bson_t sel;
	bson_init(&sel);
	BSON_APPEND_OID(&sel, "_id", &nd->id);
	bson_t *opts = BCON_NEW("limit", BCON_INT64(1));
	mongoc_cursor_t *cur = mongoc_collection_find_with_opts(c, &sel, opts, NULL);
	const bson_t *doc;
	free(nd->found);
	nd->found = NULL;
	bool ok = true;
	if (mongoc_cursor_next(cur, &doc)) {
		char why[256];
		size_t len;
		const char *line = render(m->out, doc, &len, why, sizeof why);
		if (line) {
			nd->found = gm_xstrndup(line, len);
		} else {
			snprintf(e->message, sizeof e->message, "%.100s: %.300s", nd->coll, why);
			e->domain = 0;
			nd->bad = true;
			ok = false;
		}
	}
	ok = ok && !mongoc_cursor_error(cur, e);
	mongoc_cursor_destroy(cur);
	bson_destroy(opts);
	bson_destroy(&sel);
	mongoc_collection_destroy(c);
	return ok;
}

static bool op_insert(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry)
{
	(void)retry;
	struct named *nd = arg;
	mongoc_collection_t *c = mongoc_client_get_collection(m->client, m->db, nd->coll);
	bool ok = mongoc_collection_insert_one(c, nd->doc, NULL, NULL, e);
	mongoc_collection_destroy(c);
	if (!ok && e->domain == MONGOC_ERROR_SERVER && e->code == DUPLICATE_KEY) {
		nd->duplicate = true;
		return true;
	}
	return ok;
}

static bool op_delete_one(struct gm_mongo *m, void *arg, bson_error_t *e, bool *retry)
{
	(void)retry;
	struct named *nd = arg;
	mongoc_collection_t *c = mongoc_client_get_collection(m->client, m->db, nd->coll);
	bson_t sel;
	bson_init(&sel);
	BSON_APPEND_OID(&sel, "_id", &nd->id);
	bool ok = mongoc_collection_delete_one(c, &sel, NULL, NULL, e);
	bson_destroy(&sel);
	mongoc_collection_destroy(c);
	return ok;
}

/* Sets up nd for name in coll, with the document of doc[0..len) when
 * doc is not NULL; false after gm_error() when it is not an object. */
static bool named(struct gm_mongo *m, struct named *nd, const char *coll, const char *name,
	const char *doc, size_t len)
{
	memset(nd, 0, sizeof *nd);
	nd->coll = coll;
	oid_of(name, strlen(name), &nd->id);
	if (!doc)
		return true;
	char why[256];
	nd->doc = document(&nd->id, doc, len, why, sizeof why);
	if (!nd->doc)
		gm_error("mongodb", "%s%s: document %s: %s", m->name, coll, name, why);
	return nd->doc != NULL;
}

bool gm_mongo_put(struct gm_mongo *m, const char *coll, const char *name, const char *doc,
	size_t len)
{
	struct named nd;
	if (m->failed || !named(m, &nd, coll, name, doc, len))
		return false;
	enum res res = attempt(m, "storing a document", op_put, &nd);
	bson_destroy((bson_t *)nd.doc);
	if (res != RES_OK)
		report(m, res, true);
	return res == RES_OK;
}

int gm_mongo_get(struct gm_mongo *m, const char *coll, const char *name, char **doc)
{
	struct named nd;
	*doc = NULL;
	if (m->failed || !named(m, &nd, coll, name, NULL, 0))
		return -1;
	enum res res = attempt(m, "reading a document", op_get, &nd);
	if (res != RES_OK) {
		report(m, res, false);
		free(nd.found);
		return -1;
	}
	*doc = nd.found;
	return nd.found != NULL;
}

int gm_mongo_lock(struct gm_mongo *m, const char *coll, const char *name, const char *doc,
	size_t len, char **holder)
{
	struct named nd;
	if (holder)
		*holder = NULL;
	if (m->failed || !named(m, &nd, coll, name, doc, len))
		return -1;
	enum res res = attempt(m, "taking a lock", op_insert, &nd);
	bson_destroy((bson_t *)nd.doc);
	if (res != RES_OK) {
		report(m, res, true);
		return -1;
	}
	if (!nd.duplicate)
		return 1;
	if (holder && gm_mongo_get(m, coll, name, holder) < 0)
		return -1;
	return 0;
}

bool gm_mongo_unlock(struct gm_mongo *m, const char *coll, const char *name)
{
	struct named nd;
	if (m->failed || !named(m, &nd, coll, name, NULL, 0))
		return false;
	enum res res = attempt(m, "removing a document", op_delete_one, &nd);
	if (res != RES_OK)
		report(m, res, true);
	return res == RES_OK;
}

struct gm_mongo *gm_mongo_open_idle(const char *uri, const char *db)
{
	return setup(uri, db, 0, 0);
}

int gm_mongo_command_values(struct gm_mongo *m, const char *name, const char *arg,
	const char *const *paths, double *values, size_t n, char *why, size_t whyn)
{
	for (size_t i = 0; i < n; i++)
		values[i] = NAN;
	bson_error_t e = { 0 };
	if (!connect_client(m, &e)) {
		snprintf(why, whyn, "%s", e.message);
		return -1;
	}
	bson_t cmd = BSON_INITIALIZER, reply;
	if (arg)
		BSON_APPEND_UTF8(&cmd, name, arg);
	else
		BSON_APPEND_INT32(&cmd, name, 1);
	bool ok = mongoc_client_command_simple(m->client, m->db, &cmd, NULL, &reply, &e);
	bson_destroy(&cmd);
	if (ok) {
		for (size_t i = 0; i < n; i++) {
			bson_iter_t it, v;
			if (bson_iter_init(&it, &reply) && bson_iter_find_descendant(&it, paths[i], &v) &&
			    BSON_ITER_HOLDS_NUMBER(&v))
				values[i] = bson_iter_as_double(&v);
		}
	} else {
		set_err(m, name, &e);
		snprintf(why, whyn, "%s", m->err);
		/* A server gone: the next call connects afresh, rather than
		 * wait out the driver's cooldown on the old client. */
		if (retryable(&e))
			drop(m);
	}
	bson_destroy(&reply);
	return ok ? 1 : retryable(&e) ? -1 : 0;
}

const char *gm_mongo_name(const struct gm_mongo *m)
{
	return m->label;
}

bool gm_mongo_failed(const struct gm_mongo *m)
{
	return m->failed != 0;
}

int gm_mongo_close(struct gm_mongo *m)
{
	if (!m)
		return GM_EXIT_OK;
	if (!m->failed)
		gm_mongo_flush(m);
	int status = m->failed ? m->failed : m->refused ? GM_EXIT_FAIL : GM_EXIT_OK;
	free_mongo(m);
	return status;
}

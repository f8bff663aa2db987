/* pg: PostgreSQL's health and the freshness of the gm tables; see
 * probe.h. The probe keeps one connection of its own, not a sink's: it
 * only reads, and never creates a table in the database it watches. */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "mem.h"
#include "pg.h"
#include "probe.h"
#include "text.h"

/* How long a connection or a query may take before the server is taken
 * as down: the round must not wait on a server that does not answer. */
#define TIMEOUT_S 3

struct pgprobe {
	char *conninfo;
	PGconn *conn;
	/* The gm tables and their time columns, as array literals: the
	 * parameters of the query that finds those the database has. */
	char *tables, *columns;
};

/* The time column of t whose newest value says whether rows still
 * arrive: its column ts (the time of the record), or, where it has
 * none, its last time column (sales_metrics: window_end;
 * dim_customer: last_purchase; etl_state: watermark). NULL: none. */
static const char *time_column(const struct gm_pg_table *t)
{
	const char *last = NULL;
	for (size_t c = 0; c < t->ncolumns; c++) {
		if (t->columns[c].kind != GM_PG_TIME)
			continue;
		if (!strcmp(t->columns[c].name, "ts"))
			return "ts";
		last = t->columns[c].name;
	}
	return last;
}

void *probe_pg_new(const char *conninfo, const char **why)
{
	char *err = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &err);
	if (!opts) {
		/* libpq's message may quote the string, password and all. */
		PQfreemem(err);
		*why = "not a libpq connection string or URI";
		return NULL;
	}
	bool password = false;
	for (PQconninfoOption *o = opts; o->keyword; o++)
		if (!strcmp(o->keyword, "password") && o->val && *o->val)
			password = true;
	PQconninfoFree(opts);
	if (password) {
		*why = "holds a password, which others can see on the command line (ps): "
			"set PGPASSWORD or put it in ~/.pgpass instead";
		return NULL;
	}
	struct pgprobe *p = gm_xcalloc(1, sizeof *p);
	p->conninfo = gm_xstrdup(conninfo);
	struct gm_text t = { 0 }, c = { 0 };
	gm_text_str(&t, "{");
	gm_text_str(&c, "{");
	for (size_t i = 0; i < gm_pg_ntables; i++) {
		const char *col = time_column(&gm_pg_tables[i]);
		if (!col)
			continue;
		gm_text_printf(&t, "%s%s", t.n > 1 ? "," : "", gm_pg_tables[i].name);
		gm_text_printf(&c, "%s%s", c.n > 1 ? "," : "", col);
	}
	gm_text_str(&t, "}");
	gm_text_str(&c, "}");
	p->tables = t.p;
	p->columns = c.p;
	return p;
}

static void drop(struct pgprobe *p)
{
	PQfinish(p->conn);
	p->conn = NULL;
}

static void pg_free(void *state)
{
	struct pgprobe *p = state;
	drop(p);
	free(p->conninfo);
	free(p->tables);
	free(p->columns);
	free(p);
}

static bool connect_db(struct pgprobe *p)
{
	char timeout[16];
	snprintf(timeout, sizeof timeout, "%d", TIMEOUT_S);
	/* Defaults before the conninfo, which may override them. */
	const char *keys[6], *vals[6];
	int k = 0;
	if (!getenv("PGCONNECT_TIMEOUT"))
		keys[k] = "connect_timeout", vals[k++] = timeout;
	keys[k] = "dbname", vals[k++] = p->conninfo;
	keys[k] = "fallback_application_name", vals[k++] = gm_prog;
	keys[k] = "client_encoding", vals[k++] = "UTF8";
	keys[k] = NULL, vals[k] = NULL;
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (!p->conn)
		gm_die(GM_EXIT_FAIL, NULL, "out of memory");
	if (PQstatus(p->conn) == CONNECTION_OK)
		return true;
	drop(p);
	return false;
}

/* Runs sql with params, waiting at most TIMEOUT_S for the answer: the
 * result when it is tuples, else NULL, the connection dropped when it
 * broke or the server kept silent. */
static PGresult *query(struct pgprobe *p, const char *sql, int n, const char *const *params)
{
	if (!PQsendQueryParams(p->conn, sql, n, NULL, params, NULL, NULL, 0)) {
		drop(p);
		return NULL;
	}
	int64_t deadline = gm_now_ms() + TIMEOUT_S * 1000;
	while (PQisBusy(p->conn)) {
		int64_t left = deadline - gm_now_ms();
		struct pollfd fd = { .fd = PQsocket(p->conn), .events = POLLIN };
		if (left <= 0 || poll(&fd, 1, (int)left) < 0 || !PQconsumeInput(p->conn)) {
			drop(p);
			return NULL;
		}
	}
	PGresult *r = PQgetResult(p->conn), *extra;
	while ((extra = PQgetResult(p->conn)))
		PQclear(extra);
	if (r && PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	PQclear(r);
	if (PQstatus(p->conn) != CONNECTION_OK)
		drop(p);
	return NULL;
}

/* The server's numbers: connections, max_connections, and the size,
 * commits and rollbacks of the database connected to. Connections are
 * the client backends, which max_connections bounds (not the server's
 * own processes, which pg_stat_activity lists too). */
static const char stats_sql[] =
	"SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'),"
	" current_setting('max_connections'), datname, pg_database_size(datid),"
	" xact_commit, xact_rollback"
	" FROM pg_stat_database WHERE datname = current_database()";

static bool server_stats(struct pgprobe *p, struct sample_set *out)
{
	PGresult *r = query(p, stats_sql, 0, NULL);
	if (!r)
		return false;
	bool ok = PQntuples(r) == 1;
	if (ok) {
		const char *db = PQgetvalue(r, 0, 2);
		sample_add(out, F_PG_CONNECTIONS, strtod(PQgetvalue(r, 0, 0), NULL));
		sample_add(out, F_PG_MAX_CONNECTIONS, strtod(PQgetvalue(r, 0, 1), NULL));
		sample_add(out, F_PG_DATABASE_SIZE, strtod(PQgetvalue(r, 0, 3), NULL), db);
		sample_add(out, F_PG_COMMITS, strtod(PQgetvalue(r, 0, 4), NULL), db);
		sample_add(out, F_PG_ROLLBACKS, strtod(PQgetvalue(r, 0, 5), NULL), db);
	}
	PQclear(r);
	return ok;
}

/* The gm tables the database has with their time column, then the age
 * of the newest value of each that holds a row (max() of an empty table
 * is NULL: no sample). A table of the warehouse is scanned unless an
 * index leads with its time column (see gm-metrics(1)). */
static void table_ages(struct pgprobe *p, struct sample_set *out)
{
	const char *params[2] = { p->tables, p->columns };
	PGresult *r = query(p,
		"SELECT w.t, w.c FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS w(t, c, n)"
		" WHERE EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = to_regclass(w.t)"
		" AND a.attname = w.c AND a.attnum > 0 AND NOT a.attisdropped) ORDER BY n", 2, params);
	if (!r)
		return;
	struct gm_text sql = { 0 };
	for (int i = 0; i < PQntuples(r); i++) {
		/* Names from the registry, quoted all the same: a name is no
		 * parameter. The table's name comes back as the sample's label. */
		const char *t = PQgetvalue(r, i, 0);
		char *qt = PQescapeIdentifier(p->conn, t, strlen(t));
		char *qc = PQescapeIdentifier(p->conn, PQgetvalue(r, i, 1), strlen(PQgetvalue(r, i, 1)));
		char *lt = PQescapeLiteral(p->conn, t, strlen(t));
		if (qt && qc && lt)
			gm_text_printf(&sql, "%sSELECT %s, extract(epoch FROM now() - max(%s))::float8 FROM %s",
				sql.n ? " UNION ALL " : "", lt, qc, qt);
		PQfreemem(qt);
		PQfreemem(qc);
		PQfreemem(lt);
	}
	PQclear(r);
	if (!sql.n)
		return;
	r = query(p, sql.p, 0, NULL);
	free(sql.p);
	if (!r)
		return;
	for (int i = 0; i < PQntuples(r); i++)
		if (!PQgetisnull(r, i, 1))
			sample_add(out, F_PG_TABLE_NEWEST_AGE, strtod(PQgetvalue(r, i, 1), NULL),
				PQgetvalue(r, i, 0));
	PQclear(r);
}

static bool pg_collect(void *state, struct sample_set *out, int64_t now_ms)
{
	(void)now_ms;
	struct pgprobe *p = state;
	/* A connection kept from the last round may have broken since (a
	 * restart): then once more on a new one. */
	bool up = false;
	for (int tries = 0; tries < 2 && !up; tries++) {
		bool kept = p->conn != NULL;
		if (!kept && !connect_db(p))
			break;
		up = server_stats(p, out);
		if (!up && !kept)
			break;
	}
	if (up)
		table_ages(p, out);
	sample_add(out, F_PG_UP, up ? 1.0 : 0.0);
	return up;
}

const struct probe_ops probe_pg = {
	.name = "pg", .collect = pg_collect, .free = pg_free,
};

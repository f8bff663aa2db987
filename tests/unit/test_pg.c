/* pg: the registry, row formatting and COPY escaping, without a server;
 * and, when GM_PG_CONNINFO names one (tests/sh/pg-sink.sh starts it and
 * runs this case alone), that the tables the sink creates have exactly
 * the registry's columns. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "cli.h"
#include "event.h"
#include "pg.h"

static struct gm_parser *ps;
static struct gm_pg_buf buf;
static char why[256];

static void setup(void)
{
	gm_cli_init("test_pg");
	ps = gm_parser_new();
	buf.len = 0;
	why[0] = 0;
}

static void teardown(void)
{
	gm_parser_free(ps);
	free(buf.p);
	buf = (struct gm_pg_buf){ 0 };
}

/* Formats one record; returns the row (NUL-terminated) or NULL, with
 * the reason in why: the parser's for a type it checks (rtype.h's
 * input types, alerts among them), the sink's for the others. */
static const char *row(const char *record)
{
	const char *reason;
	const struct gm_event *ev = gm_parse(ps, record, strlen(record), &reason);
	if (!ev) {
		snprintf(why, sizeof why, "%s", reason);
		return NULL;
	}
	const struct gm_pg_table *t = gm_pg_table_for(ev->type_name.p, ev->type_name.n);
	ck_assert_ptr_nonnull(t);
	size_t before = buf.len;
	if (!gm_pg_row(t, ev, &buf, why, sizeof why)) {
		ck_assert_uint_eq(buf.len, before);  /* nothing appended */
		return NULL;
	}
	ck_assert_uint_gt(buf.len, before);
	static char out[8192];
	ck_assert_uint_lt(buf.len - before, sizeof out);
	memcpy(out, buf.p + before, buf.len - before);
	out[buf.len - before] = 0;
	return out;
}

/* A sales_metric record with one field's JSON replaced ("" drops it);
 * without partition unless given. */
static const char *metric_with(const char *field, const char *json)
{
	static const char *const names[] = { "metric_id", "window_start",
		"window_end", "country", "category", "revenue", "transactions",
		"units", "avg_order_value", "distinct_users", "source", "partition" };
	static const char *const values[] = { "\"m1\"",
		"\"2026-11-24T10:00:00.000Z\"", "\"2026-11-24T10:01:00.000Z\"",
		"\"UK\"", "\"books\"", "1234.5", "12", "20", "102.88", "11",
		"\"gm-txmon\"", "" };
	static char rec[2048];
	size_t n = (size_t)snprintf(rec, sizeof rec, "{\"type\":\"sales_metric\"");
	for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
		const char *v = strcmp(names[i], field) ? values[i] : json;
		if (*v)
			n += (size_t)snprintf(rec + n, sizeof rec - n, ",\"%s\":%s", names[i], v);
	}
	snprintf(rec + n, sizeof rec - n, "}");
	return rec;
}

START_TEST(registry)
{
	ck_assert_uint_eq(gm_pg_ntables, 21);
	ck_assert_ptr_eq(gm_pg_table_for("sales_metric", 12), &gm_pg_tables[0]);
	ck_assert_ptr_eq(gm_pg_table_for("alert", 5), &gm_pg_tables[1]);
	ck_assert_ptr_eq(gm_pg_table_for("session", 7), &gm_pg_tables[2]);
	ck_assert_ptr_eq(gm_pg_table_for("session_metric", 14), &gm_pg_tables[3]);
	ck_assert_ptr_eq(gm_pg_table_for("inventory_status", 16), &gm_pg_tables[4]);
	ck_assert_ptr_null(gm_pg_table_for("alerts", 6));
	ck_assert_ptr_null(gm_pg_table_for("aler", 4));
	ck_assert_ptr_null(gm_pg_table_for("", 0));
	for (size_t i = 0; i < gm_pg_ntables; i++) {
		const struct gm_pg_table *t = &gm_pg_tables[i];
		/* The key: a required text column. */
		ck_assert_int_eq(t->columns[0].kind, GM_PG_TEXT);
		ck_assert(t->columns[0].required);
		for (size_t c = 0; c < t->ncolumns; c++) {
			const struct gm_pg_column *col = &t->columns[c];
			ck_assert_int_eq(col->field == NULL, col->kind == GM_PG_RECORD);
			if (col->field)
				ck_assert_uint_eq(col->flen, strlen(col->field));
			for (size_t d = 0; d < c; d++)
				ck_assert_str_ne(col->name, t->columns[d].name);
		}
	}
}
END_TEST

START_TEST(sales_metric_row)
{
	ck_assert_str_eq(row("{\"type\":\"sales_metric\",\"metric_id\":\"2026-11-24T10:00:00.000Z/60s/UK/books\","
		"\"ts\":\"2026-11-24T10:01:00.000Z\",\"window_start\":\"2026-11-24T10:00:00.000Z\","
		"\"window_end\":\"2026-11-24T10:01:00.000Z\",\"country\":\"UK\",\"category\":\"books\","
		"\"revenue\":1234.5,\"transactions\":12,\"units\":20,\"avg_order_value\":102.88,"
		"\"distinct_users\":11,\"source\":\"gm-txmon\"}"),
		"2026-11-24T10:00:00.000Z/60s/UK/books\t2026-11-24T10:00:00.000Z\t"
		"2026-11-24T10:01:00.000Z\tUK\tbooks\t1234.5\t12\t20\t102.88\t11\tgm-txmon\t\\N\n");
	/* From Kafka: the partition too. */
	ck_assert_str_eq(row("{\"type\":\"sales_metric\",\"metric_id\":\"2026-11-24T10:00:00.000Z/60s/transactions/3/UK/books\","
		"\"ts\":\"2026-11-24T10:01:00.000Z\",\"window_start\":\"2026-11-24T10:00:00.000Z\","
		"\"window_end\":\"2026-11-24T10:01:00.000Z\",\"partition\":\"transactions/3\",\"country\":\"UK\",\"category\":\"books\","
		"\"revenue\":1234.5,\"transactions\":12,\"units\":20,\"avg_order_value\":102.88,"
		"\"distinct_users\":11,\"source\":\"gm-txmon\"}"),
		"2026-11-24T10:00:00.000Z/60s/transactions/3/UK/books\t2026-11-24T10:00:00.000Z\t"
		"2026-11-24T10:01:00.000Z\tUK\tbooks\t1234.5\t12\t20\t102.88\t11\tgm-txmon\ttransactions/3\n");
	/* Rows accumulate in the buffer. */
	size_t first = buf.len;
	ck_assert_ptr_nonnull(row(metric_with("metric_id", "\"m2\"")));
	ck_assert_uint_gt(buf.len, first);
	ck_assert_int_eq(memcmp(buf.p + first, "m2\t", 3), 0);
}
END_TEST

START_TEST(optional_fields)
{
	/* partition is the one optional field of a sales_metric (gm-events(5)):
	 * absent or null, \N. Field order and unknown fields do not matter. */
	ck_assert_str_eq(row("{\"partition\":null,\"source\":\"s\",\"type\":\"sales_metric\",\"extra\":[1,{\"a\":2}],"
		"\"transactions\":0,\"revenue\":0,\"window_end\":\"2026-11-24T10:01:00Z\",\"units\":0,"
		"\"avg_order_value\":0,\"distinct_users\":0,\"country\":\"*\",\"category\":\"*\","
		"\"window_start\":\"2026-11-24T10:00:00Z\",\"metric_id\":\"m\"}"),
		"m\t2026-11-24T10:00:00.000Z\t2026-11-24T10:01:00.000Z\t*\t*\t0\t0\t0\t0\t0\ts\t\\N\n");
	/* An empty optional string is a value, not NULL. */
	ck_assert_str_eq(row(metric_with("partition", "\"\"")),
		"m1\t2026-11-24T10:00:00.000Z\t2026-11-24T10:01:00.000Z\tUK\tbooks\t1234.5\t12\t20\t102.88\t11\tgm-txmon\t\n");
	/* Of duplicate keys the last counts, as in jsonb. */
	ck_assert_ptr_nonnull(strstr(row(metric_with("metric_id", "\"a\",\"metric_id\":\"b\"")),
		"b\t2026-11-24T10:00:00.000Z\t"));
	/* Every other field is required. */
	static const char *const required[] = { "metric_id", "window_start",
		"window_end", "country", "category", "revenue", "transactions",
		"units", "avg_order_value", "distinct_users", "source" };
	for (size_t i = 0; i < sizeof required / sizeof *required; i++) {
		char want[64];
		ck_assert_ptr_null(row(metric_with(required[i], "")));
		snprintf(want, sizeof want, "missing field \"%s\"", required[i]);
		ck_assert_str_eq(why, want);
		ck_assert_ptr_null(row(metric_with(required[i], "null")));
		snprintf(want, sizeof want, "field \"%s\": null is not allowed", required[i]);
		ck_assert_str_eq(why, want);
	}
}
END_TEST

START_TEST(values_normalised)
{
	/* Times in UTC with milliseconds; money to the cent. */
	const char *r = row(metric_with("window_start", "\"2026-11-24T11:00:00.5+01:00\""));
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r, "\t2026-11-24T10:00:00.500Z\t"));
	r = row(metric_with("revenue", "102.875"));
	ck_assert_ptr_nonnull(strstr(r, "\tbooks\t102.88\t12\t"));
	r = row(metric_with("revenue", "1.5e3"));
	ck_assert_ptr_nonnull(strstr(r, "\tbooks\t1500\t12\t"));
	r = row(metric_with("transactions", "-9223372036854775808"));
	ck_assert_ptr_nonnull(strstr(r, "\t-9223372036854775808\t"));
	r = row(metric_with("transactions", "9223372036854775807"));
	ck_assert_ptr_nonnull(strstr(r, "\t9223372036854775807\t"));
}
END_TEST

START_TEST(copy_escaping)
{
	/* Tab, newline, CR and backslash are escaped; other control
	 * characters, quotes and UTF-8 go as they are. */
	const char *r = row(metric_with("country",
		"\"a\\tb\\nc\\rd\\\\e\\\"f\\u0001g\\u00e9h\\u20aci\xc3\xa9j\\\\N\""));
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r,
		"\ta\\tb\\nc\\rd\\\\e\"f\001g\xc3\xa9h\xe2\x82\xaci\xc3\xa9j\\\\N\tbooks\t"));
	/* The key too. */
	r = row(metric_with("metric_id", "\"k\\t1\\\\\""));
	ck_assert_int_eq(strncmp(r, "k\\t1\\\\\t", 7), 0);
	/* Exactly one tab between columns, one newline at the end. */
	size_t tabs = 0, newlines = 0;
	for (const char *p = r; *p; p++)
		tabs += *p == '\t', newlines += *p == '\n';
	ck_assert_uint_eq(tabs, 11);
	ck_assert_uint_eq(newlines, 1);
}
END_TEST

static void refused(const char *record, const char *want);

START_TEST(alert_row)
{
	const char *rec = "{\"type\":\"alert\",\"alert_id\":\"a1b2c3d4e5f60718\",\"ts\":\"2026-11-24T10:00:05.000Z\","
		"\"kind\":\"anomaly\",\"severity\":\"warning\",\"source\":\"gm-txmon\","
		"\"summary\":\"u0001234 spent $4,000.00,\\t25x their \\\"usual\\\"\","
		"\"labels\":{\"user_id\":\"u0001234\",\"reason\":\"a\\\\b\"},\"amount\":4000,\"zscore\":5.1}";
	const char *r = row(rec);
	ck_assert_ptr_nonnull(r);
	/* The labels and the record as written, their backslashes doubled;
	 * then status, absent (\N), which came to the table after record. */
	char want[2048];
	size_t n = (size_t)snprintf(want, sizeof want, "a1b2c3d4e5f60718\t2026-11-24T10:00:05.000Z\tanomaly\twarning\t"
		"gm-txmon\tu0001234 spent $4,000.00,\\t25x their \"usual\"\t"
		"{\"user_id\":\"u0001234\",\"reason\":\"a\\\\\\\\b\"}\t");
	for (const char *p = rec; *p; p++) {
		if (*p == '\\')
			want[n++] = '\\';
		want[n++] = *p;
	}
	memcpy(want + n, "\t\\N\n", 5);
	want[n + 5] = 0;
	ck_assert_str_eq(r, want);
	/* An empty labels object is fine; a resolving alert says so. */
	r = row("{\"type\":\"alert\",\"alert_id\":\"x\",\"ts\":\"2026-11-24T10:00:05Z\","
		"\"kind\":\"k\",\"severity\":\"info\",\"source\":\"s\",\"summary\":\"s\",\"labels\":{},"
		"\"status\":\"resolved\"}");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r + strlen(r) - 10, "\tresolved\n");
	refused("{\"type\":\"alert\",\"alert_id\":\"x\",\"ts\":\"2026-11-24T10:00:05Z\","
		"\"kind\":\"k\",\"severity\":\"info\",\"source\":\"s\",\"summary\":\"s\",\"labels\":{},"
		"\"status\":\"closed\"}", "field \"status\": expected \"firing\" or \"resolved\", got \"closed\"");
}
END_TEST

/* The record is refused with a reason that contains want. */
static void refused(const char *record, const char *want)
{
	ck_assert_msg(row(record) == NULL, "accepted: %s", record);
	ck_assert_msg(strstr(why, want) != NULL, "reason [%s] lacks [%s]", why, want);
}

START_TEST(refusals)
{
	refused(metric_with("window_start", ""), "missing field \"window_start\"");
	refused(metric_with("metric_id", ""), "missing field \"metric_id\"");
	refused(metric_with("revenue", "null"), "field \"revenue\": null is not allowed");
	refused(metric_with("revenue", "\"12\""), "field \"revenue\": expected a number, got a string");
	refused(metric_with("revenue", "-1"), "field \"revenue\": -1 is out of range");
	refused(metric_with("revenue", "1e17"), "field \"revenue\": 1e17 is out of range (0 to 92233720368547758.07)");
	refused(metric_with("country", "7"), "field \"country\": expected a string, got a number");
	refused(metric_with("metric_id", "\"\""), "field \"metric_id\" is empty");
	refused(metric_with("window_end", "\"yesterday\""), "field \"window_end\": not an RFC 3339 time: yesterday");
	refused(metric_with("units", "1.5"), "field \"units\": expected a 64-bit integer, got 1.5");
	refused(metric_with("units", "1e3"), "expected a 64-bit integer");
	refused(metric_with("units", "9223372036854775808"), "expected a 64-bit integer");
	refused(metric_with("units", "-9223372036854775809"), "expected a 64-bit integer");
	refused(metric_with("units", "true"), "field \"units\": expected a number, got a boolean");
	/* What the line cannot hold but an escape can. */
	refused(metric_with("country", "\"a\\u0000b\""), "field \"country\": a NUL character");
	refused(metric_with("country", "\"a\\udc00b\""), "field \"country\": an unpaired surrogate");

	const char *head = "{\"type\":\"alert\",\"alert_id\":\"x\",\"ts\":\"2026-11-24T10:00:05Z\","
		"\"kind\":\"k\",\"severity\":\"info\",\"source\":\"s\",\"summary\":\"s\",";
	char rec[8192];
	snprintf(rec, sizeof rec, "%s\"labels\":[]}", head);
	refused(rec, "field \"labels\": expected an object, got an array");
	snprintf(rec, sizeof rec, "%s\"summary\":\"t\"}", head);
	refused(rec, "missing field \"labels\"");
	snprintf(rec, sizeof rec, "%s\"labels\":{\"a\":\"\\u0000\"}}", head);
	refused(rec, "field \"labels\" holds a \\u0000 escape");
	snprintf(rec, sizeof rec, "%s\"labels\":{},\"n\":\"\\ud800x\"}", head);
	refused(rec, "the record holds an unpaired surrogate escape");
	snprintf(rec, sizeof rec, "%s\"labels\":{},\"n\":\"\\udc00\"}", head);
	refused(rec, "unpaired surrogate");
	snprintf(rec, sizeof rec, "%s\"labels\":{},\"n\":1e1001}", head);
	refused(rec, "the record holds a number with an exponent beyond 1000");
	size_t n = (size_t)snprintf(rec, sizeof rec, "%s\"labels\":{},\"n\":1", head);
	for (int i = 0; i < 1000; i++)
		rec[n++] = '0';
	snprintf(rec + n, sizeof rec - n, "}");
	refused(rec, "a number longer than 1000 characters");
	n = (size_t)snprintf(rec, sizeof rec, "%s\"labels\":{},\"n\":", head);
	for (int i = 0; i < 1001; i++)
		rec[n++] = '[';
	for (int i = 0; i < 1001; i++)
		rec[n++] = ']';
	snprintf(rec + n, sizeof rec - n, "}");
	refused(rec, "nested more than 1000 deep");

	/* Within the limits, and escapes that jsonb takes. */
	snprintf(rec, sizeof rec, "%s\"labels\":{\"e\":\"\\ud83d\\ude00 \\u00e9\"},\"n\":[1e-1000,-0.5E+999,\"1e9999\"]}", head);
	ck_assert_ptr_nonnull(row(rec));
}
END_TEST

/* A window's revenue is a sum: a single amount's $1T limit is not its
 * limit, the largest count of cents a tool can hold is. A single amount
 * keeps its limit. */
START_TEST(totals_and_amounts)
{
	const char *r = row(metric_with("revenue", "5000000000000"));
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r, "\tbooks\t5000000000000\t12\t"));
	r = row(metric_with("revenue", "92233720368547758.07"));
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r, "\tbooks\t92233720368547758.07\t12\t"));
	r = row(metric_with("avg_order_value", "4000000000000.5"));
	ck_assert_ptr_nonnull(r);
	ck_assert_ptr_nonnull(strstr(r, "\t20\t4000000000000.5\t11\t"));
	refused(metric_with("revenue", "92233720368547758.08"),
		"field \"revenue\": 92233720368547758.08 is out of range (0 to 92233720368547758.07)");
	refused(metric_with("avg_order_value", "1e17"), "field \"avg_order_value\": 1e17 is out of range");

	static const struct gm_pg_column cols[] = {
		{ "id", "id", 2, GM_PG_TEXT, "text", true, NULL },
		{ "amount", "amount", 6, GM_PG_MONEY, "numeric(15,2)", true, NULL },
	};
	const struct gm_pg_table t = { "amount", "amounts", cols, 2 };
	const char *reason;
	const char *ok = "{\"type\":\"amount\",\"id\":\"a\",\"amount\":1000000000000}";
	const struct gm_event *ev = gm_parse(ps, ok, strlen(ok), &reason);
	ck_assert_ptr_nonnull(ev);
	size_t before = buf.len;
	ck_assert(gm_pg_row(&t, ev, &buf, why, sizeof why));
	ck_assert_uint_eq(buf.len - before, 16);
	ck_assert_int_eq(memcmp(buf.p + before, "a\t1000000000000\n", 16), 0);
	const char *over = "{\"type\":\"amount\",\"id\":\"a\",\"amount\":1000000000000.01}";
	ev = gm_parse(ps, over, strlen(over), &reason);
	ck_assert_ptr_nonnull(ev);
	ck_assert(!gm_pg_row(&t, ev, &buf, why, sizeof why));
	ck_assert_str_eq(why, "field \"amount\": 1000000000000.01 is out of range (0 to 1000000000000)");
}
END_TEST

START_TEST(retry_option)
{
	struct gm_common c;
	gm_common_init(&c);
	ck_assert_int_eq(c.retry_ms, 60000);
	ck_assert(gm_common_option(&c, GM_OPT_RETRY_FOR, "2s", "usage"));
	ck_assert_int_eq(c.retry_ms, 2000);
	ck_assert(gm_common_option(&c, GM_OPT_RETRY_FOR, "250ms", "usage"));
	ck_assert_int_eq(c.retry_ms, 250);
}
END_TEST

/* One value of a query, as a string the caller frees. */
static char *query1(PGconn *conn, const char *sql, const char *param)
{
	PGresult *r = PQexecParams(conn, sql, 1, NULL, &param, NULL, NULL, 0);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
	ck_assert_int_eq(PQntuples(r), 1);
	char *v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

/* The tables the sink creates, or upgrades, have the registry's columns
 * (besides those the database generates), in order, with its types and
 * NOT NULL where it requires the field, and the key as primary key. */
START_TEST(schema_matches_registry)
{
	const char *conninfo = getenv("GM_PG_CONNINFO");
	int status = -1;
	struct gm_pg *pg = gm_pg_open(conninfo, 5000, &status);
	ck_assert_ptr_nonnull(pg);
	ck_assert_int_eq(status, GM_EXIT_OK);
	ck_assert_int_eq(gm_pg_close(pg), GM_EXIT_OK);

	PGconn *conn = PQconnectdb(conninfo);
	ck_assert_msg(PQstatus(conn) == CONNECTION_OK, "%s", PQerrorMessage(conn));
	for (size_t i = 0; i < gm_pg_ntables; i++) {
		const struct gm_pg_table *t = &gm_pg_tables[i];
		char want[2048] = "";
		size_t n = 0;
		for (size_t c = 0; c < t->ncolumns; c++)
			n += (size_t)snprintf(want + n, sizeof want - n, "%s%s %s %s", c ? ", " : "",
				t->columns[c].name, t->columns[c].sqltype,
				t->columns[c].required ? "NO" : "YES");
		char *got = query1(conn,
			"SELECT string_agg(column_name || ' ' ||"
			" CASE WHEN data_type = 'numeric' AND numeric_precision IS NOT NULL"
			" THEN format('numeric(%s,%s)', numeric_precision, numeric_scale)"
			" ELSE data_type END || ' ' || is_nullable, ', ' ORDER BY ordinal_position)"
			" FROM information_schema.columns"
			" WHERE table_schema = current_schema() AND table_name = $1"
			" AND is_generated = 'NEVER'", t->name);
		ck_assert_str_eq(got, want);
		free(got);
		got = query1(conn,
			"SELECT string_agg(k.column_name, ',') FROM information_schema.table_constraints c"
			" JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)"
			" WHERE c.constraint_type = 'PRIMARY KEY' AND c.table_schema = current_schema()"
			" AND c.table_name = $1", t->name);
		ck_assert_str_eq(got, t->columns[0].name);
		free(got);
	}
	PQfinish(conn);
}
END_TEST

static Suite *pg_suite(void)
{
	Suite *s = suite_create("pg");
	TCase *tc = tcase_create("rows");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, registry);
	tcase_add_test(tc, sales_metric_row);
	tcase_add_test(tc, optional_fields);
	tcase_add_test(tc, values_normalised);
	tcase_add_test(tc, copy_escaping);
	tcase_add_test(tc, alert_row);
	tcase_add_test(tc, refusals);
	tcase_add_test(tc, totals_and_amounts);
	tcase_add_test(tc, retry_option);
	suite_add_tcase(s, tc);
	if (getenv("GM_PG_CONNINFO")) {
		tc = tcase_create("server");
		tcase_set_timeout(tc, 30);
		tcase_add_checked_fixture(tc, setup, teardown);
		tcase_add_test(tc, schema_matches_registry);
		suite_add_tcase(s, tc);
	}
	return s;
}

GM_CHECK_MAIN(pg_suite)

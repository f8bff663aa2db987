/* rtype: the record types of gm-events(5) and the checks of their
 * fields; see rtype.h. */
#include "rtype.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "money.h"
#include "ts.h"

/* ---- the descriptors ---- */

#define EV(member) GM_RT_AT(struct gm_event, member)
#define ITEM(member) GM_RT_AT(struct gm_item, member)

/* Field makers: name, required, then what the kind needs. */
#define STR(n, req, sql, at_) { .name = n, .kind = GM_RK_STRING, .required = req, .sqltype = sql, .at = at_ }
#define TIME(n, sql, at_) { .name = n, .kind = GM_RK_TIME, .required = true, .sqltype = sql, .at = at_ }
#define MONEY(n, at_) { .name = n, .kind = GM_RK_MONEY, .required = true, .at = at_ }
#define TOTAL(n, sql) { .name = n, .kind = GM_RK_TOTAL, .required = true, .sqltype = sql }
#define INT(n, lo_, hi_, sql, at_) { .name = n, .kind = GM_RK_INT, .required = true, \
	.lo = lo_, .hi = hi_, .sqltype = sql, .at = at_ }
#define OBJECT(n, sql) { .name = n, .kind = GM_RK_OBJECT, .required = true, .sqltype = sql }
#define LABELS(n, sql) { .name = n, .kind = GM_RK_LABELS, .required = true, .sqltype = sql, \
	.at = EV(labels) }
#define ARRAY(n, sql) { .name = n, .kind = GM_RK_ARRAY, .required = false, .sqltype = sql }
#define NUMBER(n, sql) { .name = n, .kind = GM_RK_NUMBER, .required = true, .sqltype = sql }
#define BOOL(n, sql) { .name = n, .kind = GM_RK_BOOL, .required = true, .sqltype = sql }
#define COUNT(n) INT(n, 0, INT64_MAX, "bigint", 0)

#define TIMESTAMPTZ "timestamp with time zone"
#define MAX_QUANTITY 1000000
#define MAX_STOCK 1000000000     /* units of one product, counted or delivered */
#define MAX_SALE 1000000000000LL  /* a sale's units: lines of MAX_QUANTITY in
	                            any record a reader takes, summed */
#define FIELDS(a) a, sizeof a / sizeof *a

const struct gm_rfield gm_rfield_type = STR("type", true, NULL, 0);

/* The source events. anomaly, optional, is checked first, then the id,
 * as the parser always has. */
#define ANOMALY STR("anomaly", false, NULL, EV(anomaly))
#define SOURCE_COMMON(idname) \
	STR(idname, true, NULL, EV(id)), \
	TIME("ts", NULL, EV(ts)), \
	STR("user_id", true, NULL, EV(user_id)), \
	STR("session_id", true, NULL, EV(session_id))

static const struct gm_rfield item_fields[] = {
	STR("product_id", true, NULL, ITEM(product_id)),
	STR("category", true, NULL, ITEM(category)),
	INT("quantity", 1, MAX_QUANTITY, NULL, ITEM(quantity)),
	MONEY("unit_price", ITEM(unit_price)),
};

static const struct gm_rfield transaction_fields[] = {
	ANOMALY,
	SOURCE_COMMON("transaction_id"),
	STR("country", true, NULL, EV(country)),
	STR("payment_method", true, NULL, EV(payment_method)),
	{ .name = "items", .kind = GM_RK_ARRAY, .required = true,
	  .elements = FIELDS(item_fields), .at = EV(items) },
	MONEY("total_amount", EV(total_amount)),
};

static const struct gm_rfield product_view_fields[] = {
	ANOMALY,
	SOURCE_COMMON("event_id"),
	STR("product_id", true, NULL, EV(product_id)),
	STR("category", true, NULL, EV(category)),
	STR("country", true, NULL, EV(country)),
	INT("duration_ms", 0, INT64_MAX / 2, NULL, EV(duration_ms)),
};

static const char *const cart_actions[] = { "add", "remove", NULL };

static const struct gm_rfield cart_event_fields[] = {
	ANOMALY,
	SOURCE_COMMON("event_id"),
	STR("product_id", true, NULL, EV(product_id)),
	STR("category", true, NULL, EV(category)),
	{ .name = "action", .kind = GM_RK_STRING, .required = true,
	  .one_of = cart_actions, .at = EV(action) },
	INT("quantity", 1, MAX_QUANTITY, NULL, EV(quantity)),
	MONEY("unit_price", EV(unit_price)),
};

/* The catalog: one product each, as counted at ts (written by
 * gm-produce --catalog). reorder_point is optional, and 0 a good one,
 * hence has. */
static const struct gm_rfield product_fields[] = {
	TIME("ts", NULL, EV(ts)),
	STR("product_id", true, NULL, EV(product_id)),
	STR("name", true, NULL, EV(name)),
	STR("category", true, NULL, EV(category)),
	MONEY("unit_price", EV(unit_price)),
	INT("stock", 0, MAX_STOCK, NULL, EV(stock)),
	{ .name = "reorder_point", .kind = GM_RK_INT, .lo = 0, .hi = MAX_STOCK,
	  .at = EV(reorder_point), .has = EV(has_reorder_point) },
};

/* A supplier's delivery (written by gm-produce --catalog). */
static const struct gm_rfield restock_fields[] = {
	STR("restock_id", true, NULL, EV(id)),
	TIME("ts", NULL, EV(ts)),
	STR("product_id", true, NULL, EV(product_id)),
	INT("quantity", 1, MAX_STOCK, NULL, EV(quantity)),
};

/* One product's line of a transaction, keyed by its product (written by
 * gm-inventory's re-keying step); its identity is transaction_id and
 * product_id together. */
static const struct gm_rfield sale_fields[] = {
	STR("transaction_id", true, NULL, EV(id)),
	TIME("ts", NULL, EV(ts)),
	STR("user_id", true, NULL, EV(user_id)),
	STR("product_id", true, NULL, EV(product_id)),
	STR("category", true, NULL, EV(category)),
	/* a transaction's lines of the product, summed */
	INT("quantity", 1, MAX_SALE, NULL, EV(quantity)),
	MONEY("unit_price", EV(unit_price)),
};

/* Written by gm-txmon. Columns in the order of their table, which later
 * versions of scripts/schema.sql extend at the end (partition). */
static const struct gm_rfield sales_metric_fields[] = {
	STR("metric_id", true, "text", 0),
	TIME("window_start", TIMESTAMPTZ, 0),
	TIME("window_end", TIMESTAMPTZ, 0),
	STR("country", true, "text", 0),
	STR("category", true, "text", 0),
	TOTAL("revenue", "numeric(19,2)"),
	INT("transactions", INT64_MIN, INT64_MAX, "bigint", 0),
	INT("units", INT64_MIN, INT64_MAX, "bigint", 0),
	TOTAL("avg_order_value", "numeric(19,2)"),
	INT("distinct_users", INT64_MIN, INT64_MAX, "bigint", 0),
	STR("source", true, "text", 0),
	STR("partition", false, "text", 0),
	TIME("ts", NULL, 0),
};

/* Absent: firing. */
static const char *const alert_statuses[] = { "firing", "resolved", NULL };
static const char *const alert_severities[] = { "info", "warning", "critical", NULL };

static const struct gm_rfield alert_fields[] = {
	STR("alert_id", true, "text", EV(id)),
	TIME("ts", TIMESTAMPTZ, EV(ts)),
	STR("kind", true, "text", 0),
	{ .name = "severity", .kind = GM_RK_STRING, .required = true, .one_of = alert_severities,
	  .sqltype = "text" },
	STR("source", true, "text", 0),
	STR("summary", true, "text", 0),
	LABELS("labels", "jsonb"),
	{ .name = "status", .kind = GM_RK_STRING, .one_of = alert_statuses,
	  .sqltype = "text" },
};

/* Written by gm-session: one per session closed. */
static const struct gm_rfield session_fields[] = {
	STR("session_id", true, "text", 0),
	TIME("ts", TIMESTAMPTZ, 0),
	STR("user_id", true, "text", 0),
	TIME("start", TIMESTAMPTZ, 0),
	TIME("end", TIMESTAMPTZ, 0),
	COUNT("duration_s"),
	COUNT("events"),
	COUNT("views"),
	COUNT("cart_adds"),
	COUNT("cart_removes"),
	COUNT("transactions"),
	TOTAL("revenue", "numeric(19,2)"),
	STR("country", true, "text", 0),
	ARRAY("categories", "jsonb"),
	ARRAY("client_sessions", "jsonb"),
	BOOL("converted", "boolean"),
	STR("landing_product", false, "text", 0),
	STR("exit_product", false, "text", 0),
	STR("source", true, "text", 0),
	STR("partition", false, "text", 0),
};

/* Written by gm-session: sessions and carts over one window, for one
 * country or all ("*"). */
static const struct gm_rfield session_metric_fields[] = {
	STR("metric_id", true, "text", 0),
	TIME("ts", TIMESTAMPTZ, 0),
	TIME("window_start", TIMESTAMPTZ, 0),
	TIME("window_end", TIMESTAMPTZ, 0),
	STR("country", true, "text", 0),
	COUNT("sessions"),
	COUNT("converted"),
	COUNT("checkouts"),
	COUNT("abandoned_carts"),
	COUNT("recovered_carts"),
	NUMBER("conversion_rate", "double precision"),
	NUMBER("abandonment_rate", "double precision"),
	NUMBER("avg_duration_s", "double precision"),
	NUMBER("avg_views", "double precision"),
	STR("source", true, "text", 0),
	STR("partition", false, "text", 0),
};

static const char *const inventory_statuses[] = { "ok", "low", "out", "unknown", NULL };

/* Written by gm-inventory: a product's stock, once per window in which
 * it changed; its table holds each product's latest. name and category
 * may be unknown while the product has no product record. */
static const struct gm_rfield inventory_status_fields[] = {
	STR("product_id", true, "text", 0),
	TIME("ts", TIMESTAMPTZ, 0),
	STR("name", false, "text", 0),
	STR("category", false, "text", 0),
	INT("on_hand", INT64_MIN, INT64_MAX, "bigint", 0),
	INT("reorder_point", 0, MAX_STOCK, "bigint", 0),
	{ .name = "status", .kind = GM_RK_STRING, .required = true,
	  .one_of = inventory_statuses, .sqltype = "text" },
	TIME("last_change", TIMESTAMPTZ, 0),
	COUNT("sold"),
	TIME("window_start", TIMESTAMPTZ, 0),
	TIME("window_end", TIMESTAMPTZ, 0),
	STR("source", true, "text", 0),
	STR("partition", false, "text", 0),
};

const char *const gm_rtype_dead_letter_integrations[] = {
	"email", "slack", "webhook", "sms", "file", NULL
};

/* Written by gm-notify to its dead-letter file, never to Kafka (no
 * topic, no key): one per notification given up on, ts by the wall
 * clock. Its identity is notification_id, receiver, integration and
 * index together (a fallback's copy keeps the notification's id), hence
 * no id. */
static const struct gm_rfield dead_letter_fields[] = {
	TIME("ts", NULL, 0),
	STR("notification_id", true, NULL, 0),
	STR("receiver", true, NULL, 0),
	{ .name = "integration", .kind = GM_RK_STRING, .required = true,
	  .one_of = gm_rtype_dead_letter_integrations },
	INT("index", 0, INT64_MAX, NULL, 0),
	INT("attempts", 1, INT64_MAX, NULL, 0),
	STR("error", true, NULL, 0),
	BOOL("fallback", NULL),
	OBJECT("notification", NULL),
};

/* The warehouse of gm-etl (gm-warehouse(5)): each table a record type,
 * identified by one string field, as a folder, MongoDB and PostgreSQL
 * key them; in PostgreSQL, the table of the type's name. Rates and growth are null when undefined (no views, no
 * previous period): optional. */
#define DATE_KEY INT("date_key", 10101, 99991231, "integer", 0)
/* numeric, unbounded: a rate or a growth has no bound (growth from one
 * cent to a million dollars is 99999999), and its text holds 4 decimals. */
#define NULLABLE_NUMBER(n) { .name = n, .kind = GM_RK_NUMBER, .sqltype = "numeric" }
static const char *const grains[] = { "day", "week", "month", NULL };

static const struct gm_rfield fact_sales_fields[] = {
	STR("sale_id", true, "text", 0),
	STR("transaction_id", true, "text", 0),
	INT("line", 1, INT64_MAX, "bigint", 0),
	DATE_KEY,
	TIME("ts", TIMESTAMPTZ, 0),
	STR("user_id", true, "text", 0),
	STR("country", true, "text", 0),
	STR("payment_method", true, "text", 0),
	STR("product_id", true, "text", 0),
	STR("category", true, "text", 0),
	INT("quantity", 1, MAX_QUANTITY, "bigint", 0),
	{ .name = "unit_price", .kind = GM_RK_MONEY, .required = true, .sqltype = "numeric(15,2)" },
	TOTAL("amount", "numeric(19,2)"),
};

static const struct gm_rfield fact_product_views_fields[] = {
	STR("view_id", true, "text", 0),
	DATE_KEY,
	TIME("ts", TIMESTAMPTZ, 0),
	STR("user_id", true, "text", 0),
	STR("session_id", true, "text", 0),
	STR("product_id", true, "text", 0),
	STR("category", true, "text", 0),
	STR("country", true, "text", 0),
	INT("duration_ms", 0, INT64_MAX, "bigint", 0),
};

static const struct gm_rfield fact_cart_events_fields[] = {
	STR("cart_event_id", true, "text", 0),
	DATE_KEY,
	TIME("ts", TIMESTAMPTZ, 0),
	STR("user_id", true, "text", 0),
	STR("session_id", true, "text", 0),
	STR("product_id", true, "text", 0),
	STR("category", true, "text", 0),
	{ .name = "action", .kind = GM_RK_STRING, .required = true, .one_of = cart_actions,
	  .sqltype = "text" },
	INT("quantity", 1, MAX_QUANTITY, "bigint", 0),
	{ .name = "unit_price", .kind = GM_RK_MONEY, .required = true, .sqltype = "numeric(15,2)" },
};

static const struct gm_rfield dim_date_fields[] = {
	STR("date", true, "text", 0),
	DATE_KEY,
	INT("day", 1, 31, "integer", 0),
	INT("day_of_week", 1, 7, "integer", 0),
	STR("day_name", true, "text", 0),
	STR("week_start", true, "text", 0),
	INT("iso_year", 1, 9999, "integer", 0),
	INT("iso_week", 1, 53, "integer", 0),
	INT("month", 1, 12, "integer", 0),
	STR("month_name", true, "text", 0),
	INT("quarter", 1, 4, "integer", 0),
	INT("year", 1, 9999, "integer", 0),
	BOOL("is_weekend", "boolean"),
};

static const struct gm_rfield dim_customer_fields[] = {
	STR("user_id", true, "text", 0),
	STR("home_country", true, "text", 0),
	TIME("first_purchase", TIMESTAMPTZ, 0),
	TIME("last_purchase", TIMESTAMPTZ, 0),
	COUNT("orders"),
	COUNT("units"),
	TOTAL("lifetime_value", "numeric(19,2)"),
};

static const struct gm_rfield dim_product_fields[] = {
	STR("product_id", true, "text", 0),
	STR("name", false, "text", 0),
	STR("category", true, "text", 0),
	{ .name = "unit_price", .kind = GM_RK_MONEY, .sqltype = "numeric(15,2)" },
	BOOL("in_catalog", "boolean"),
	TIME("updated", TIMESTAMPTZ, 0),
	STR("updated_by", true, "text", 0),
};

static const struct gm_rfield dim_geography_fields[] = {
	STR("country", true, "text", 0),
	STR("region", true, "text", 0),
	STR("currency", false, "text", 0),
};

static const struct gm_rfield product_performance_fields[] = {
	STR("perf_id", true, "text", 0),
	{ .name = "grain", .kind = GM_RK_STRING, .required = true, .one_of = grains,
	  .sqltype = "text" },
	STR("period_start", true, "text", 0),
	STR("category", true, "text", 0),
	STR("product_id", true, "text", 0),
	COUNT("views"),
	COUNT("cart_adds"),
	COUNT("cart_removes"),
	COUNT("orders"),
	COUNT("units"),
	TOTAL("revenue", "numeric(19,2)"),
	NULLABLE_NUMBER("view_to_cart"),
	NULLABLE_NUMBER("cart_to_purchase"),
	INT("rank", 1, INT64_MAX, "bigint", 0),
};

static const struct gm_rfield sales_trends_fields[] = {
	STR("trend_id", true, "text", 0),
	{ .name = "grain", .kind = GM_RK_STRING, .required = true, .one_of = grains,
	  .sqltype = "text" },
	STR("period_start", true, "text", 0),
	STR("country", true, "text", 0),
	STR("category", true, "text", 0),
	TOTAL("revenue", "numeric(19,2)"),
	COUNT("orders"),
	COUNT("units"),
	COUNT("customers"),
	TOTAL("avg_order_value", "numeric(19,2)"),
	NULLABLE_NUMBER("growth"),
};

/* offsets: where a run reading Kafka stopped, for the next to start
 * there ({"TOPIC":{"PARTITION":NEXT_OFFSET,...},...}). The row is
 * written once something is loaded: a watermark there is. */
static const struct gm_rfield etl_state_fields[] = {
	STR("state_id", true, "text", 0),
	TIME("watermark", TIMESTAMPTZ, 0),
	{ .name = "offsets", .kind = GM_RK_OBJECT, .sqltype = "jsonb" },
};

/* gm-rfm's snapshots (gm-warehouse(5)), each run's rows dated by the
 * as-of day it was computed for: as_of_key YYYYMMDD, by which a read
 * chooses a snapshot (as date_key chooses facts), and as_of YYYY-MM-DD.
 * A score is 1 to the run's bins (at most 99). */
#define AS_OF INT("as_of_key", 10101, 99991231, "integer", 0), STR("as_of", true, "text", 0)
#define SCORE(n) INT(n, 1, 99, "integer", 0)
#define MEASURE_VALUE(n) { .name = n, .kind = GM_RK_NUMBER, .sqltype = "numeric(19,2)" }
static const char *const rfm_measures[] = { "recency_days", "frequency", "monetary", NULL };

static const struct gm_rfield customer_segment_fields[] = {
	STR("segment_id", true, "text", 0),
	AS_OF,
	STR("user_id", true, "text", 0),
	COUNT("recency_days"),
	COUNT("frequency"),
	TOTAL("monetary", "numeric(19,2)"),
	SCORE("r"),
	SCORE("f"),
	SCORE("m"),
	INT("rfm_score", 111, 999999, "integer", 0),
	STR("segment", true, "text", 0),
};

/* Averages and shares are null where their base is 0 (a segment with
 * no customer, a run with no revenue). */
static const struct gm_rfield segment_summary_fields[] = {
	STR("summary_id", true, "text", 0),
	AS_OF,
	STR("segment", true, "text", 0),
	COUNT("customers"),
	NUMBER("share", "numeric(12,4)"),
	NULLABLE_NUMBER("avg_recency_days"),
	NULLABLE_NUMBER("avg_frequency"),
	{ .name = "avg_monetary", .kind = GM_RK_TOTAL, .sqltype = "numeric(19,2)" },
	TOTAL("revenue", "numeric(19,2)"),
	NULLABLE_NUMBER("revenue_share"),
};

/* The values a score took: none when no customer has it (ties). */
static const struct gm_rfield rfm_cuts_fields[] = {
	STR("cut_id", true, "text", 0),
	AS_OF,
	{ .name = "measure", .kind = GM_RK_STRING, .required = true, .one_of = rfm_measures,
	  .sqltype = "text" },
	SCORE("score"),
	COUNT("customers"),
	MEASURE_VALUE("min_value"),
	MEASURE_VALUE("max_value"),
};

static const struct gm_rfield segment_migration_fields[] = {
	STR("migration_id", true, "text", 0),
	AS_OF,
	INT("since_key", 10101, 99991231, "integer", 0),
	STR("since", true, "text", 0),
	STR("from_segment", true, "text", 0),
	STR("to_segment", true, "text", 0),
	COUNT("customers"),
};

#define WAREHOUSE(n, idf) const struct gm_rtype gm_rtype_##n = { \
	.name = #n, .id = idf, .table = #n, .warehouse = true, .fields = FIELDS(n##_fields) }
WAREHOUSE(fact_sales, "sale_id");
WAREHOUSE(fact_product_views, "view_id");
WAREHOUSE(fact_cart_events, "cart_event_id");
WAREHOUSE(dim_date, "date");
WAREHOUSE(dim_customer, "user_id");
WAREHOUSE(dim_product, "product_id");
WAREHOUSE(dim_geography, "country");
WAREHOUSE(product_performance, "perf_id");
WAREHOUSE(sales_trends, "trend_id");
WAREHOUSE(etl_state, "state_id");
/* As the original's MongoDB collection. */
const struct gm_rtype gm_rtype_customer_segment = {
	.name = "customer_segment", .id = "segment_id", .table = "customer_segments",
	.warehouse = true, .fields = FIELDS(customer_segment_fields),
};
WAREHOUSE(segment_summary, "summary_id");
WAREHOUSE(rfm_cuts, "cut_id");
WAREHOUSE(segment_migration, "migration_id");

const struct gm_rtype gm_rtype_transaction = {
	.name = "transaction", .type = GM_TRANSACTION, .input = true,
	.topic = "transactions", .late_topic = "late_transactions",
	.key = "user_id", .id = "transaction_id",
	.fields = FIELDS(transaction_fields),
};

const struct gm_rtype gm_rtype_product_view = {
	.name = "product_view", .type = GM_PRODUCT_VIEW, .input = true,
	.topic = "product_views", .late_topic = "late_product_views",
	.key = "user_id", .id = "event_id",
	.fields = FIELDS(product_view_fields),
};

const struct gm_rtype gm_rtype_cart_event = {
	.name = "cart_event", .type = GM_CART_EVENT, .input = true,
	.topic = "cart_events", .late_topic = "late_cart_events",
	.key = "user_id", .id = "event_id",
	.fields = FIELDS(cart_event_fields),
};

const struct gm_rtype gm_rtype_sales_metric = {
	.name = "sales_metric", .topic = "sales_metrics",
	.key = "metric_id", .id = "metric_id", .table = "sales_metrics",
	.fields = FIELDS(sales_metric_fields),
};

/* The Kafka key is the writing tool's (gm-txmon: user_id); labels are
 * the tool's too; record keeps the numbers, named by the tool. status
 * came after record in the table. */
const struct gm_rtype gm_rtype_alert = {
	.name = "alert", .type = GM_ALERT, .input = true, .topic = "alerts", .id = "alert_id",
	.table = "alerts", .record_column = "record", .record_after = "labels",
	.fields = FIELDS(alert_fields),
};

const struct gm_rtype gm_rtype_session = {
	.name = "session", .topic = "sessions", .key = "user_id", .id = "session_id",
	.table = "sessions", .fields = FIELDS(session_fields),
};

const struct gm_rtype gm_rtype_session_metric = {
	.name = "session_metric", .topic = "session_metrics",
	.key = "metric_id", .id = "metric_id", .table = "session_metrics",
	.fields = FIELDS(session_metric_fields),
};

/* The inputs of gm-inventory. Each has a late topic, as the source
 * events have: a windowed tool sends any record of its types that no
 * window holds to its late output (stream.h). */
const struct gm_rtype gm_rtype_product = {
	.name = "product", .type = GM_PRODUCT, .input = true,
	.topic = "products", .late_topic = "late_products",
	.key = "product_id", .id = "product_id",
	.fields = FIELDS(product_fields),
};

const struct gm_rtype gm_rtype_restock = {
	.name = "restock", .type = GM_RESTOCK, .input = true,
	.topic = "restocks", .late_topic = "late_restocks",
	.key = "product_id", .id = "restock_id",
	.fields = FIELDS(restock_fields),
};

const struct gm_rtype gm_rtype_sale = {
	.name = "sale", .type = GM_SALE, .input = true,
	.topic = "sales", .late_topic = "late_sales",
	.key = "product_id", .id = NULL,
	.fields = FIELDS(sale_fields),
};

const struct gm_rtype gm_rtype_inventory_status = {
	.name = "inventory_status", .topic = "inventory_status",
	.key = "product_id", .id = "product_id", .table = "inventory_status",
	.fields = FIELDS(inventory_status_fields),
};

/* Written by every tool given --stats (stats.h): its counts so far. */
static const struct gm_rfield stats_fields[] = {
	STR("stats_id", true, NULL, 0),
	TIME("ts", NULL, 0),
	STR("tool", true, NULL, 0),
	STR("instance", true, NULL, 0),
	INT("seq", 1, INT64_MAX, NULL, 0),
	TIME("started", NULL, 0),
	NUMBER("uptime_s", NULL),
	NUMBER("interval_s", NULL),
	BOOL("final", NULL),
	COUNT("in"),
	COUNT("out"),
	COUNT("undelivered"),
	COUNT("rejected"),
	COUNT("late"),
	OBJECT("values", NULL),
};

const struct gm_rtype gm_rtype_stats = {
	.name = "stats", .topic = "stats", .key = "tool", .id = "stats_id",
	.fields = FIELDS(stats_fields),
};

/* Written by gm-metrics: one sample of one metric (gm-metrics(1)). */
static const struct gm_rfield metric_fields[] = {
	STR("metric_id", true, NULL, 0),
	TIME("ts", NULL, 0),
	STR("name", true, NULL, 0),
	OBJECT("labels", NULL),
	NUMBER("value", NULL),
};

const struct gm_rtype gm_rtype_metric = {
	.name = "metric", .topic = "metrics", .key = "name", .id = "metric_id",
	.fields = FIELDS(metric_fields),
};

/* Written by gm-metrics to a PostgreSQL -o, one row per sample of a
 * round, as the original's collector wrote its two tables: the Kafka
 * families in kafka_metrics, the others in system_health_metrics; their
 * id is the sample's name, labels and time, as a metric record's
 * (gm-metrics(1)), so that a round written again replaces its rows. */
static const struct gm_rfield kafka_metric_fields[] = {
	STR("metric_id", true, "text", 0),
	TIME("ts", TIMESTAMPTZ, 0),
	STR("metric", true, "text", 0),
	STR("topic", false, "text", 0),
	{ .name = "partition", .kind = GM_RK_INT, .lo = 0, .hi = INT32_MAX, .sqltype = "integer" },
	STR("consumer_group", false, "text", 0),
	NUMBER("value", "double precision"),
};

const struct gm_rtype gm_rtype_kafka_metric = {
	.name = "kafka_metric", .topic = "kafka_metrics", .key = "metric", .id = "metric_id",
	.table = "kafka_metrics", .fields = FIELDS(kafka_metric_fields),
};

static const char *const health_statuses[] = { "up", "down", NULL };

static const struct gm_rfield system_health_metric_fields[] = {
	STR("metric_id", true, "text", 0),
	TIME("ts", TIMESTAMPTZ, 0),
	STR("component", true, "text", 0),
	STR("instance", false, "text", 0),
	{ .name = "status", .kind = GM_RK_STRING, .required = true, .one_of = health_statuses,
	  .sqltype = "text" },
	STR("metric", true, "text", 0),
	OBJECT("labels", "jsonb"),
	NUMBER("value", "double precision"),
};

const struct gm_rtype gm_rtype_system_health_metric = {
	.name = "system_health_metric", .topic = "system_health_metrics", .key = "component",
	.id = "metric_id", .table = "system_health_metrics",
	.fields = FIELDS(system_health_metric_fields),
};

const struct gm_rtype gm_rtype_dead_letter = {
	.name = "dead_letter", .fields = FIELDS(dead_letter_fields),
};

/* The source events first, then the other input types: the parser's
 * slots number the checked fields in this order (gm_rtype_checked_names),
 * and the usual records' types are found first. */
const struct gm_rtype *const gm_rtypes[] = {
	&gm_rtype_transaction, &gm_rtype_product_view, &gm_rtype_cart_event,
	&gm_rtype_product, &gm_rtype_restock, &gm_rtype_sale,
	&gm_rtype_sales_metric, &gm_rtype_alert, &gm_rtype_session, &gm_rtype_session_metric,
	&gm_rtype_inventory_status, &gm_rtype_dead_letter,
	&gm_rtype_fact_sales, &gm_rtype_fact_product_views, &gm_rtype_fact_cart_events,
	&gm_rtype_dim_date, &gm_rtype_dim_customer, &gm_rtype_dim_product, &gm_rtype_dim_geography,
	&gm_rtype_product_performance, &gm_rtype_sales_trends, &gm_rtype_etl_state,
	&gm_rtype_customer_segment, &gm_rtype_segment_summary, &gm_rtype_rfm_cuts,
	&gm_rtype_segment_migration, &gm_rtype_stats, &gm_rtype_metric,
	&gm_rtype_kafka_metric, &gm_rtype_system_health_metric,
};
const size_t gm_nrtypes = sizeof gm_rtypes / sizeof *gm_rtypes;

const struct gm_rtype *gm_rtype_for(const char *name, size_t n)
{
	for (size_t i = 0; i < gm_nrtypes; i++)
		if (strlen(gm_rtypes[i]->name) == n && !memcmp(gm_rtypes[i]->name, name, n))
			return gm_rtypes[i];
	return NULL;
}

const struct gm_rtype *gm_rtype_of(enum gm_type t)
{
	for (size_t i = 0; t != GM_OTHER && i < gm_nrtypes; i++)
		if (gm_rtypes[i]->type == t)
			return gm_rtypes[i];
	return NULL;
}

const struct gm_rfield *gm_rtype_field(const struct gm_rtype *t, const char *name)
{
	for (size_t i = 0; i < t->nfields; i++)
		if (!strcmp(t->fields[i].name, name))
			return &t->fields[i];
	return NULL;
}

/* The names of every field gm_parse() checks, each once: of the
 * records' top level ("type", "ts", then the input types' fields in
 * their order), or of their arrays' elements. */
size_t gm_rtype_checked_names(bool of_elements, const char **names, size_t max)
{
	size_t n = 0;
	if (!of_elements) {
		names[n++] = gm_rfield_type.name;
		names[n++] = "ts";
	}
	for (size_t t = 0; t < gm_nrtypes; t++) {
		const struct gm_rtype *rt = gm_rtypes[t];
		for (size_t i = 0; rt->input && i < rt->nfields; i++) {
			const struct gm_rfield *f = &rt->fields[i];
			const struct gm_rfield *list = of_elements ? f->elements : f;
			size_t nlist = of_elements ? f->nelements : 1;
			for (size_t e = 0; e < nlist; e++) {
				size_t k = 0;
				while (k < n && strcmp(names[k], list[e].name))
					k++;
				if (k < n)
					continue;
				if (n == max)
					return 0;
				names[n++] = list[e].name;
			}
		}
	}
	return n;
}

/* ---- the checks ---- */

const char *gm_json_kind_name(enum gm_json_kind k)
{
	static const char *const names[] = { "null", "a boolean", "a number",
		"a string", "an object", "an array" };
	return names[k];
}

char *gm_str_show(gm_str s, char *buf, size_t n)
{
	size_t k = 0;
	for (; k < s.n && k + 1 < n; k++)
		buf[k] = (unsigned char)s.p[k] < ' ' || s.p[k] == 0x7f ? '?' : s.p[k];
	buf[k] = 0;
	return buf;
}

char *gm_str_copy(gm_str s, char *buf, size_t n)
{
	size_t k = s.n < n - 1 ? s.n : n - 1;
	memcpy(buf, s.p, k);
	buf[k] = 0;
	return buf;
}


/* A value in a message: at most 40 bytes of it. */
#define SHOWN 41

/* What gm_rfield_check() found wrong. */
enum fault {
	F_NONE, F_MISSING, F_NULL, F_KIND, F_EMPTY, F_TIME, F_MONEY, F_TOTAL,
	F_INT64, F_INT, F_RANGE,
};

static bool full_range(const struct gm_rfield *f)
{
	return f->lo == INT64_MIN && f->hi == INT64_MAX;
}

static const enum gm_json_kind json_of[GM_RK_NKINDS] = {
	[GM_RK_STRING] = GM_JSON_STRING, [GM_RK_TIME] = GM_JSON_STRING,
	[GM_RK_MONEY] = GM_JSON_NUMBER, [GM_RK_TOTAL] = GM_JSON_NUMBER,
	[GM_RK_INT] = GM_JSON_NUMBER, [GM_RK_BOOL] = GM_JSON_BOOL,
	[GM_RK_OBJECT] = GM_JSON_OBJECT, [GM_RK_ARRAY] = GM_JSON_ARRAY,
	[GM_RK_NUMBER] = GM_JSON_NUMBER, [GM_RK_LABELS] = GM_JSON_OBJECT,
};

/* The message of a fault, in why: every message about a field's value
 * is written here. Off the hot path. */
static __attribute__((noinline, cold)) enum gm_rcheck refuse(enum fault fault,
	const struct gm_rfield *f, const struct gm_field *v, const char *in, size_t index,
	char *why, size_t whyn)
{
	char name[160], shown[SHOWN];
	if (in)
		snprintf(name, sizeof name, "%s[%zu].%s", in, index, f->name);
	else
		snprintf(name, sizeof name, "%s", f->name);
	if (v)
		gm_str_show(v->value, shown, sizeof shown);
	switch (fault) {
	case F_MISSING:
		snprintf(why, whyn, "missing field \"%s\"", name);
		break;
	case F_NULL:
		snprintf(why, whyn, "field \"%s\": null is not allowed", name);
		break;
	case F_KIND:
		snprintf(why, whyn, "field \"%s\": expected %s, got %s", name,
			f->kind == GM_RK_INT && !full_range(f) ? "an integer" :
			gm_json_kind_name(json_of[f->kind]), gm_json_kind_name(v->kind));
		break;
	case F_EMPTY:
		snprintf(why, whyn, "field \"%s\" is empty", name);
		break;
	case F_TIME:
		snprintf(why, whyn, "field \"%s\": not an RFC 3339 time: %s", name, shown);
		break;
	case F_MONEY:
	case F_TOTAL:
		snprintf(why, whyn, "field \"%s\": %s is out of range (0 to %s)", name, shown,
			fault == F_TOTAL ? GM_MONEY_MAX_TOTAL_TEXT : GM_MONEY_MAX_CENTS_TEXT);
		break;
	case F_INT64:
		snprintf(why, whyn, "field \"%s\": expected a 64-bit integer, got %s", name, shown);
		break;
	case F_INT:
		snprintf(why, whyn, "field \"%s\": expected an integer, got %s", name, shown);
		break;
	default: /* F_RANGE */
		snprintf(why, whyn, "field \"%s\": %s is out of range (%" PRId64 " to %" PRId64 ")",
			name, shown, f->lo, f->hi);
	}
	return GM_RCHECK_BAD;
}

/* An array's text holds no element. */
static bool empty_array(gm_str v)
{
	for (size_t i = 1; i < v.n; i++)
		if (v.p[i] != ' ' && v.p[i] != '\t' && v.p[i] != '\n' && v.p[i] != '\r')
			return v.p[i] == ']';
	return true;
}

/* The value's fault, if any; *out decoded when there is none. */
static enum fault fault_of(const struct gm_rfield *f, const struct gm_field *v,
	union gm_rvalue *out)
{
	if (v->kind != json_of[f->kind])
		return F_KIND;
	gm_str s = v->value;
	bool overflow;
	switch (f->kind) {
	case GM_RK_TIME:
		if (f->required && s.n == 0)
			return F_EMPTY;
		return gm_ts_parse(s.p, s.n, &out->i) ? F_NONE : F_TIME;
	case GM_RK_MONEY:
		return gm_money_parse_amount(s.p, s.n, GM_MONEY_MAX_CENTS, &out->i) ? F_NONE : F_MONEY;
	case GM_RK_TOTAL:
		return gm_money_parse_amount(s.p, s.n, GM_MONEY_MAX_TOTAL, &out->i) ? F_NONE : F_TOTAL;
	case GM_RK_INT:
		if (gm_rint_parse(s, &out->i, &overflow))
			return out->i < f->lo || out->i > f->hi ? F_RANGE : F_NONE;
		return full_range(f) ? F_INT64 : overflow ? F_RANGE : F_INT;
	case GM_RK_BOOL:
		out->b = s.n == 4;  /* "true" */
		return F_NONE;
	case GM_RK_ARRAY:
		out->s = s;
		return f->required && empty_array(s) ? F_EMPTY : F_NONE;
	default:  /* GM_RK_STRING, GM_RK_OBJECT, GM_RK_NUMBER, GM_RK_LABELS */
		out->s = s;
		return f->kind == GM_RK_STRING && f->required && s.n == 0 ? F_EMPTY : F_NONE;
	}
}

enum gm_rcheck gm_rfield_check_value(const struct gm_rfield *f, const struct gm_field *v,
	bool null_is_absent, const char *in, size_t index, union gm_rvalue *out,
	char *why, size_t whyn)
{
	enum fault fault;
	if (!v || (null_is_absent && v->kind == GM_JSON_NULL)) {
		if (!f->required)
			return GM_RCHECK_ABSENT;
		fault = v ? F_NULL : F_MISSING;
	} else {
		fault = fault_of(f, v, out);
	}
	return fault == F_NONE ? GM_RCHECK_OK : refuse(fault, f, v, in, index, why, whyn);
}

/* A label's name in a message: at most 64 bytes of it. */
#define LABEL_SHOWN 65

__attribute__((cold)) enum gm_rcheck gm_rfield_label_refused(const struct gm_rfield *f,
	gm_str name, enum gm_json_kind k, char *why, size_t whyn)
{
	char shown[LABEL_SHOWN];
	snprintf(why, whyn, "field \"%s\": \"%s\" holds %s, not a string", f->name,
		gm_str_show(name, shown, sizeof shown), gm_json_kind_name(k));
	return GM_RCHECK_BAD;
}

bool gm_rfield_allowed(const struct gm_rfield *f, gm_str s, char *why, size_t whyn)
{
	if (!f->one_of)
		return true;
	size_t n = 0;
	for (; f->one_of[n]; n++)
		if (strlen(f->one_of[n]) == s.n && !memcmp(f->one_of[n], s.p, s.n))
			return true;
	size_t k = (size_t)snprintf(why, whyn, "field \"%s\": expected ", f->name);
	for (size_t i = 0; i < n && k < whyn; i++)
		k += (size_t)snprintf(why + k, whyn - k, "%s\"%s\"", i == 0 ? "" :
			i + 1 < n ? ", " : " or ", f->one_of[i]);
	char shown[SHOWN];
	if (k < whyn)
		snprintf(why + k, whyn - k, ", got \"%s\"", gm_str_show(s, shown, sizeof shown));
	return false;
}

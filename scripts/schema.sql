-- scripts/schema.sql: the PostgreSQL tables of gm, one per record type a
-- PostgreSQL sink stores, and the views over them. What each table must
-- hold (its name, key, and each column's name, type and NOT NULL) is
-- defined once, by the record types' descriptors in lib/rtype.c, from
-- which libgm's sink builds its registry; this file is how a database
-- comes to hold it, and the only definition of everything else here
-- (generated columns, indexes, views, comments, upgrades). The build
-- embeds it in libgm, whose sink runs it when it connects and finds the
-- tables unlike its registry (a table or column missing, or a column of
-- another type or nullability). It can also be run by hand, as often as
-- wanted:
--
--     psql -v ON_ERROR_STOP=1 -f scripts/schema.sql
--
-- Every statement may run again: a run creates what is missing, brings
-- tables made by an earlier version of this file up to date, and changes
-- nothing in current ones. Each CREATE TABLE keeps the columns the table
-- was first made with; the ALTER TABLE after it adds what came later. So
-- a new table and an upgraded one are the same. An upgrade fails, and
-- changes nothing, when old rows lack a value a column now requires.
-- PostgreSQL 12 or later (generated columns).
--
-- The stored columns must match the descriptors (record type, table,
-- key, and each column's field, type and NOT NULL): the server case of
-- tests/unit/test_pg.c, run by tests/sh/pg-sink.sh, checks every table
-- against them after this file made it, and after it upgraded one of
-- tests/golden/schema-1.sql. Such a column is a top-level field of the
-- record, of the same name; NOT NULL columns are the fields gm-events(5)
-- requires. Generated columns are derived here, for queries.
--
-- Every key is deterministic (the same input gives the same key), so a
-- replay updates rows in place instead of adding them again.

-- sales_metric: sales over one window, for one country and category,
-- written by gm-txmon.
CREATE TABLE IF NOT EXISTS sales_metrics (
    metric_id       text PRIMARY KEY,
    window_start    timestamptz NOT NULL,
    window_end      timestamptz NOT NULL,
    country         text,
    category        text,
    revenue         numeric(16,2) NOT NULL,
    transactions    bigint NOT NULL,
    units           bigint,
    avg_order_value numeric(16,2),
    distinct_users  bigint,
    source          text
);

-- Since the first version: the partition, the window's length and the
-- row's grain as columns (they were only inside metric_id, or implied by
-- a "*"), and NOT NULL for every field gm-events(5) requires.
ALTER TABLE sales_metrics
    ADD COLUMN IF NOT EXISTS partition text,
    ADD COLUMN IF NOT EXISTS window_length interval NOT NULL
        GENERATED ALWAYS AS (window_end - window_start) STORED,
    ADD COLUMN IF NOT EXISTS grain text NOT NULL
        GENERATED ALWAYS AS (CASE
            WHEN country <> '*' AND category <> '*' THEN 'detail'
            WHEN country <> '*' THEN 'country'
            WHEN category <> '*' THEN 'category'
            ELSE 'total' END) STORED,
    ALTER COLUMN country SET NOT NULL,
    ALTER COLUMN category SET NOT NULL,
    ALTER COLUMN units SET NOT NULL,
    ALTER COLUMN avg_order_value SET NOT NULL,
    ALTER COLUMN distinct_users SET NOT NULL,
    ALTER COLUMN source SET NOT NULL;

-- Since the second version: sums of money hold any 64-bit count of
-- cents (up to 92233720368547758.07 dollars), which numeric(19,2) does,
-- not only the $1T of a single amount. A view on a column stops ALTER
-- TYPE even when the type stays, hence the test.
DO $$
BEGIN
    IF (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
        WHERE attrelid = 'sales_metrics'::regclass AND attname = 'revenue') <> 'numeric(19,2)' THEN
        ALTER TABLE sales_metrics
            ALTER COLUMN revenue TYPE numeric(19,2),
            ALTER COLUMN avg_order_value TYPE numeric(19,2);
    END IF;
END $$;

-- Dashboards ask for a time range, or the latest windows, of one window
-- length; the view passes such conditions down to this index.
CREATE INDEX IF NOT EXISTS sales_metrics_window_idx
    ON sales_metrics (window_start, window_length);

COMMENT ON TABLE sales_metrics IS
'Sales per event-time window, country and category: one row per sales_metric record (gm-events(5)), written by gm-txmon. '
'Rows of four grains lie side by side, each grain adding up to the whole window: sum within one grain only. '
'A run over Kafka writes one row per partition, and runs with other window lengths overlap in time. '
'The view sales_by_window sums the partitions for you; filter it, and this table, on grain and window_length.';
COMMENT ON COLUMN sales_metrics.metric_id IS
'The key: window start, window length, Kafka partition (if any), country and category, joined by slashes, '
'as ''2026-11-24T10:00:00.000Z/60s/UK/books''. The same input gives the same key.';
COMMENT ON COLUMN sales_metrics.window_start IS 'Start of the event-time window, included.';
COMMENT ON COLUMN sales_metrics.window_end IS 'End of the event-time window, excluded.';
COMMENT ON COLUMN sales_metrics.country IS 'The customers'' country, or ''*'' for every country (see grain).';
COMMENT ON COLUMN sales_metrics.category IS 'The product category, or ''*'' for every category (see grain).';
COMMENT ON COLUMN sales_metrics.revenue IS
'US dollars. Category ''*'': the sum of the transactions'' total_amount; one category: the sum of quantity times '
'unit_price over their items in it. Adds up over partitions, and over the rows of one grain. A sum, so not bound '
'by the $1T limit of a single amount.';
COMMENT ON COLUMN sales_metrics.transactions IS
'Transactions counted; for one category, those with an item in it (so a transaction counts in each of its categories).';
COMMENT ON COLUMN sales_metrics.units IS 'The sum of the counted items'' quantity.';
COMMENT ON COLUMN sales_metrics.avg_order_value IS
'US dollars: revenue / transactions, rounded to the cent, half away from zero. Does not add up: recompute it from '
'sums, as sales_by_window does.';
COMMENT ON COLUMN sales_metrics.distinct_users IS
'Distinct user_ids of the transactions counted, as gm-txmon counts them (gm-events(5)). Adds up over partitions, '
'since transactions are keyed by user_id, but not over countries, categories or windows.';
COMMENT ON COLUMN sales_metrics.source IS 'The tool that wrote the row, ''gm-txmon''.';
COMMENT ON COLUMN sales_metrics.partition IS
'The Kafka partition the transactions came from, as ''transactions/3'' (topic/number); NULL for a run over files. '
'The rows of all partitions together make the shop''s figures (see sales_by_window).';
COMMENT ON COLUMN sales_metrics.window_length IS
'window_end - window_start: the run''s window size (gm-txmon -w), as ''00:01:00'' for -w 1m. '
'Runs with other sizes write overlapping windows: filter on it.';
COMMENT ON COLUMN sales_metrics.grain IS
'What the row covers: ''detail'' one country and one category; ''country'' one country, every category (category ''*''); '
'''category'' every country (country ''*''), one category; ''total'' every country and category. '
'The rows of each grain add up to the whole window, so a sum over several grains counts each sale more than once.';

-- One row per window, country and category: the partitions summed.
CREATE OR REPLACE VIEW sales_by_window AS
SELECT window_start,
       window_end,
       window_length,
       country,
       category,
       grain,
       count(*) AS partitions,
       sum(revenue) AS revenue,
       sum(transactions)::bigint AS transactions,
       sum(units)::bigint AS units,
       CASE WHEN sum(transactions) = 0 THEN 0.00
            ELSE div(200 * sum(revenue) + sum(transactions), 2 * sum(transactions)) * 0.01
       END AS avg_order_value,
       sum(distinct_users)::bigint AS distinct_users
FROM sales_metrics
GROUP BY window_start, window_length, country, category, window_end, grain;

COMMENT ON VIEW sales_by_window IS
'The shop''s sales per event-time window, country and category: the rows of sales_metrics summed over Kafka partitions. '
'Rows of four grains lie side by side, each adding up to the whole window: filter on grain (''detail'', ''country'', '
'''category'' or ''total''), and on window_length when runs of several window sizes were written.';
COMMENT ON COLUMN sales_by_window.window_start IS 'Start of the event-time window, included.';
COMMENT ON COLUMN sales_by_window.window_end IS 'End of the event-time window, excluded.';
COMMENT ON COLUMN sales_by_window.window_length IS 'window_end - window_start: the run''s window size (gm-txmon -w).';
COMMENT ON COLUMN sales_by_window.country IS 'The customers'' country, or ''*'' for every country (see grain).';
COMMENT ON COLUMN sales_by_window.category IS 'The product category, or ''*'' for every category (see grain).';
COMMENT ON COLUMN sales_by_window.grain IS
'''detail'' one country and one category; ''country'' one country, every category; ''category'' every country, '
'one category; ''total'' every country and category. Sum within one grain only.';
COMMENT ON COLUMN sales_by_window.partitions IS
'The sales_metrics rows summed: one per Kafka partition with transactions in the window, country and category.';
COMMENT ON COLUMN sales_by_window.revenue IS 'US dollars: the sum of the partitions'' revenue.';
COMMENT ON COLUMN sales_by_window.transactions IS 'The sum of the partitions'' transactions.';
COMMENT ON COLUMN sales_by_window.units IS 'The sum of the partitions'' units.';
COMMENT ON COLUMN sales_by_window.avg_order_value IS
'US dollars: revenue / transactions, recomputed from the sums, rounded to the cent, half away from zero.';
COMMENT ON COLUMN sales_by_window.distinct_users IS
'The sum of the partitions'' distinct_users. A sum is right here: transactions are keyed by user_id, so each '
'user''s transactions are in one partition, and no user is counted twice. It is as exact as each partition''s count.';

-- alert: something needs attention (gm-events(5)). labels is the flat
-- object of strings saying what the alert is about; record is the whole
-- alert as it came, which keeps the numbers that triggered it, whatever
-- the tool named them.
CREATE TABLE IF NOT EXISTS alerts (
    alert_id        text PRIMARY KEY,
    ts              timestamptz NOT NULL,
    kind            text NOT NULL,
    severity        text NOT NULL,
    source          text NOT NULL,
    summary         text NOT NULL,
    labels          jsonb NOT NULL,
    record          jsonb NOT NULL
);

-- Since the third version: status, "resolved" on the alert that closes
-- a firing one (gm-inventory's); NULL (absent) is firing.
ALTER TABLE alerts ADD COLUMN IF NOT EXISTS status text;

-- Alerts are read by time, most recent first.
CREATE INDEX IF NOT EXISTS alerts_ts_idx ON alerts (ts);

COMMENT ON TABLE alerts IS
'Alerts: something needs attention. One row per alert record (gm-events(5)), written by gm-txmon and later tools.';
COMMENT ON COLUMN alerts.alert_id IS
'The key, derived from what triggered the alert: a replay gives the same id, and updates the row.';
COMMENT ON COLUMN alerts.ts IS 'The event time the alert is about.';
COMMENT ON COLUMN alerts.kind IS 'What happened: ''anomaly'', ''low_stock'', ''cart_abandoned'', ... (each tool''s page lists its kinds).';
COMMENT ON COLUMN alerts.severity IS '''info'', ''warning'' or ''critical''.';
COMMENT ON COLUMN alerts.source IS 'The tool that wrote the alert, as ''gm-txmon''.';
COMMENT ON COLUMN alerts.summary IS 'One human-readable line.';
COMMENT ON COLUMN alerts.labels IS
'What the alert is about: a flat object of strings, such as user_id, product_id, country, reason.';
COMMENT ON COLUMN alerts.status IS
'''resolved'' when what a firing alert of the same source, kind and labels reported has ended; NULL or ''firing'' while it holds.';
COMMENT ON COLUMN alerts.record IS
'The whole alert record as written, with the numbers that triggered it (amount, threshold, count, ...), '
'named by its tool (see its page), as record->>''amount''.';

-- session: one user's run of events with no gap longer than gm-session's
-- --gap, written by gm-session when the session closes. Its key derives
-- from the user and the session's start, so a replay updates the row.
CREATE TABLE IF NOT EXISTS sessions (
    session_id      text PRIMARY KEY,
    ts              timestamptz NOT NULL,
    user_id         text NOT NULL,
    start           timestamptz NOT NULL,
    "end"           timestamptz NOT NULL,
    duration_s      bigint NOT NULL,
    events          bigint NOT NULL,
    views           bigint NOT NULL,
    cart_adds       bigint NOT NULL,
    cart_removes    bigint NOT NULL,
    transactions    bigint NOT NULL,
    revenue         numeric(19,2) NOT NULL,
    country         text NOT NULL,
    categories      jsonb,
    client_sessions jsonb,
    converted       boolean NOT NULL,
    landing_product text,
    exit_product    text,
    source          text NOT NULL,
    partition       text
);

-- A user's sessions, in time.
CREATE INDEX IF NOT EXISTS sessions_user_idx ON sessions (user_id, start);

COMMENT ON TABLE sessions IS
'Sessions: one row per session record (gm-events(5)), written by gm-session when the session closed.';
COMMENT ON COLUMN sessions.categories IS
'The categories viewed, most viewed first: [{"category": ..., "views": n}, ...].';
COMMENT ON COLUMN sessions.client_sessions IS
'The session_id values of the session''s records (the shop''s own sessions), in order of first use.';

-- session_metric: sessions and carts over one window of gm-session's -w,
-- for one country or all ('*'), written when the window closes.
CREATE TABLE IF NOT EXISTS session_metrics (
    metric_id        text PRIMARY KEY,
    ts               timestamptz NOT NULL,
    window_start     timestamptz NOT NULL,
    window_end       timestamptz NOT NULL,
    country          text NOT NULL,
    sessions         bigint NOT NULL,
    converted        bigint NOT NULL,
    checkouts        bigint NOT NULL,
    abandoned_carts  bigint NOT NULL,
    recovered_carts  bigint NOT NULL,
    conversion_rate  double precision NOT NULL,
    abandonment_rate double precision NOT NULL,
    avg_duration_s   double precision NOT NULL,
    avg_views        double precision NOT NULL,
    source           text NOT NULL,
    partition        text
);

COMMENT ON TABLE session_metrics IS
'Session metrics: one row per session_metric record (gm-events(5)), written by gm-session.';

-- inventory_status: a product's stock as gm-inventory last wrote it. The
-- tool writes a record per product that changed in each window; keyed by
-- product_id, the table keeps one row per product, the latest.
CREATE TABLE IF NOT EXISTS inventory_status (
    product_id      text PRIMARY KEY,
    ts              timestamptz NOT NULL,
    name            text,
    category        text,
    on_hand         bigint NOT NULL,
    reorder_point   bigint NOT NULL,
    status          text NOT NULL,
    last_change     timestamptz NOT NULL,
    sold            bigint NOT NULL,
    window_start    timestamptz NOT NULL,
    window_end      timestamptz NOT NULL,
    source          text NOT NULL,
    partition       text
);

-- "The ten products closest to running out" reads the first ten entries
-- of this index, whatever the size of the catalog:
--   SELECT product_id, name, on_hand, reorder_point, status FROM inventory_status
--   WHERE status <> 'unknown' ORDER BY on_hand - reorder_point, product_id LIMIT 10;
-- (products of no catalog record are left out: their reorder point is
-- the tool's default, their on_hand only what sold.)
CREATE INDEX IF NOT EXISTS inventory_status_headroom_idx
    ON inventory_status ((on_hand - reorder_point), product_id) WHERE status <> 'unknown';

COMMENT ON TABLE inventory_status IS
'Stock per product: the latest inventory_status record (gm-events(5)) of each, written by gm-inventory. '
'The products closest to running out come first in ORDER BY on_hand - reorder_point, product_id '
'(with WHERE status <> ''unknown'', an index reads only them).';
COMMENT ON COLUMN inventory_status.product_id IS 'The key: the product.';
COMMENT ON COLUMN inventory_status.ts IS 'When the row held: the end of its window.';
COMMENT ON COLUMN inventory_status.name IS 'From the product''s catalog record; NULL while it has none.';
COMMENT ON COLUMN inventory_status.category IS 'From the product''s catalog record, or its sales; NULL while neither named one.';
COMMENT ON COLUMN inventory_status.on_hand IS 'Units on hand: the last count, plus restocks, less sales since. Below 0: oversold.';
COMMENT ON COLUMN inventory_status.reorder_point IS 'At or below it the product runs low: the catalog''s, or gm-inventory''s default.';
COMMENT ON COLUMN inventory_status.status IS
'''ok'' above the reorder point, ''low'' at or below it but above 0, ''out'' at or below 0, ''unknown'' without a catalog record.';
COMMENT ON COLUMN inventory_status.last_change IS 'The event time of the last record that changed on_hand.';
COMMENT ON COLUMN inventory_status.sold IS 'Units sold within the window.';
COMMENT ON COLUMN inventory_status.window_start IS 'Start of the event-time window, included.';
COMMENT ON COLUMN inventory_status.window_end IS 'End of the event-time window, excluded.';
COMMENT ON COLUMN inventory_status.source IS 'The tool that wrote the row, ''gm-inventory''.';
COMMENT ON COLUMN inventory_status.partition IS
'The Kafka partition the product''s records came from, as topic/number; NULL for a run over files.';

-- The warehouse of gm-etl (gm-warehouse(5)): a star schema, one table
-- per record type, named as the type, keyed by its id field. gm-etl
-- writes a run in one transaction (rows staged, then upserted by key),
-- under the session advisory lock 7163183785426855010, so that two runs
-- never overlap. Money is in US dollars; times are UTC instants.

-- fact_sales: one row per line of a transaction (the grain).
CREATE TABLE IF NOT EXISTS fact_sales (
    sale_id         text PRIMARY KEY,
    transaction_id  text NOT NULL,
    line            bigint NOT NULL,
    date_key        integer NOT NULL,
    ts              timestamptz NOT NULL,
    user_id         text NOT NULL,
    country         text NOT NULL,
    payment_method  text NOT NULL,
    product_id      text NOT NULL,
    category        text NOT NULL,
    quantity        bigint NOT NULL,
    unit_price      numeric(15,2) NOT NULL,
    amount          numeric(19,2) NOT NULL
);

-- gm-etl reads back the days around those a run loads, and every line
-- of the customers it loads.
CREATE INDEX IF NOT EXISTS fact_sales_date_idx ON fact_sales (date_key);
CREATE INDEX IF NOT EXISTS fact_sales_user_idx ON fact_sales (user_id);

COMMENT ON TABLE fact_sales IS
'Sales: one row per line of a transaction (gm-warehouse(5)), written by gm-etl. sale_id is TRANSACTION_ID/LINE.';
COMMENT ON COLUMN fact_sales.date_key IS 'YYYYMMDD of ts (UTC), as dim_date.date_key.';
COMMENT ON COLUMN fact_sales.amount IS 'US dollars: quantity times unit_price.';

-- fact_product_views: one row per product_view.
CREATE TABLE IF NOT EXISTS fact_product_views (
    view_id         text PRIMARY KEY,
    date_key        integer NOT NULL,
    ts              timestamptz NOT NULL,
    user_id         text NOT NULL,
    session_id      text NOT NULL,
    product_id      text NOT NULL,
    category        text NOT NULL,
    country         text NOT NULL,
    duration_ms     bigint NOT NULL
);

CREATE INDEX IF NOT EXISTS fact_product_views_date_idx ON fact_product_views (date_key);

COMMENT ON TABLE fact_product_views IS
'Product views: one row per product_view event (gm-warehouse(5)), written by gm-etl; view_id is its event_id.';

-- fact_cart_events: one row per cart_event.
CREATE TABLE IF NOT EXISTS fact_cart_events (
    cart_event_id   text PRIMARY KEY,
    date_key        integer NOT NULL,
    ts              timestamptz NOT NULL,
    user_id         text NOT NULL,
    session_id      text NOT NULL,
    product_id      text NOT NULL,
    category        text NOT NULL,
    action          text NOT NULL,
    quantity        bigint NOT NULL,
    unit_price      numeric(15,2) NOT NULL
);

CREATE INDEX IF NOT EXISTS fact_cart_events_date_idx ON fact_cart_events (date_key);

COMMENT ON TABLE fact_cart_events IS
'Cart events: one row per cart_event (gm-warehouse(5)), written by gm-etl; cart_event_id is its event_id.';

-- dim_date: one row per day that any fact has.
CREATE TABLE IF NOT EXISTS dim_date (
    date            text PRIMARY KEY,
    date_key        integer NOT NULL,
    day             integer NOT NULL,
    day_of_week     integer NOT NULL,
    day_name        text NOT NULL,
    week_start      text NOT NULL,
    iso_year        integer NOT NULL,
    iso_week        integer NOT NULL,
    month           integer NOT NULL,
    month_name      text NOT NULL,
    quarter         integer NOT NULL,
    year            integer NOT NULL,
    is_weekend      boolean NOT NULL
);

COMMENT ON TABLE dim_date IS
'Days: one row per day any fact has (gm-warehouse(5)), keyed by the date as YYYY-MM-DD; date_key is YYYYMMDD.';

-- dim_customer: one row per user with at least one transaction.
CREATE TABLE IF NOT EXISTS dim_customer (
    user_id         text PRIMARY KEY,
    home_country    text NOT NULL,
    first_purchase  timestamptz NOT NULL,
    last_purchase   timestamptz NOT NULL,
    orders          bigint NOT NULL,
    units           bigint NOT NULL,
    lifetime_value  numeric(19,2) NOT NULL
);

COMMENT ON TABLE dim_customer IS
'Customers: one row per user with a transaction (gm-warehouse(5)), written by gm-etl.';

-- dim_product: one row per product in the catalog or in any fact.
CREATE TABLE IF NOT EXISTS dim_product (
    product_id      text PRIMARY KEY,
    name            text,
    category        text NOT NULL,
    unit_price      numeric(15,2),
    in_catalog      boolean NOT NULL,
    updated         timestamptz NOT NULL,
    updated_by      text NOT NULL
);

COMMENT ON TABLE dim_product IS
'Products: one row per product of the catalog or of any fact (gm-warehouse(5)); name NULL without a catalog record.';

-- dim_geography: one row per country any fact has.
CREATE TABLE IF NOT EXISTS dim_geography (
    country         text PRIMARY KEY,
    region          text NOT NULL,
    currency        text
);

COMMENT ON TABLE dim_geography IS
'Countries: one row per country any fact has (gm-warehouse(5)); currency NULL for a country gm does not know.';

-- product_performance: per grain, period, category and product ('*'
-- for the category's row).
CREATE TABLE IF NOT EXISTS product_performance (
    perf_id         text PRIMARY KEY,
    grain           text NOT NULL,
    period_start    text NOT NULL,
    category        text NOT NULL,
    product_id      text NOT NULL,
    views           bigint NOT NULL,
    cart_adds       bigint NOT NULL,
    cart_removes    bigint NOT NULL,
    orders          bigint NOT NULL,
    units           bigint NOT NULL,
    revenue         numeric(19,2) NOT NULL,
    view_to_cart    numeric,
    cart_to_purchase numeric,
    rank            bigint NOT NULL
);

COMMENT ON TABLE product_performance IS
'Product and category funnels per day, ISO week and month (gm-warehouse(5)); product_id ''*'' is the category''s row. '
'view_to_cart and cart_to_purchase are NULL when their base is 0.';

-- sales_trends: per grain, period, country and category ('*' for all).
CREATE TABLE IF NOT EXISTS sales_trends (
    trend_id        text PRIMARY KEY,
    grain           text NOT NULL,
    period_start    text NOT NULL,
    country         text NOT NULL,
    category        text NOT NULL,
    revenue         numeric(19,2) NOT NULL,
    orders          bigint NOT NULL,
    units           bigint NOT NULL,
    customers       bigint NOT NULL,
    avg_order_value numeric(19,2) NOT NULL,
    growth          numeric
);

COMMENT ON TABLE sales_trends IS
'Sales per day, ISO week and month, by country, category, both or neither (''*''), with growth against the period '
'before (NULL when that period had no sales in the cut) (gm-warehouse(5)).';

-- etl_state: one row, 'watermark': the greatest ts gm-etl loaded.
CREATE TABLE IF NOT EXISTS etl_state (
    state_id        text PRIMARY KEY,
    watermark       timestamptz NOT NULL,
    offsets         jsonb
);

COMMENT ON TABLE etl_state IS
'gm-etl''s state: the row ''watermark'' holds the greatest event time loaded, from which lateness is judged, and the Kafka offsets a run reading Kafka stopped at (TOPIC to PARTITION to the next offset).';

-- Since the warehouse's first version: a unit price holds the $1T that
-- every gm amount may reach (numeric(15,2)), and rates and growth any
-- size (numeric): a growth from one cent to a million dollars no longer
-- overflows numeric(12,4) and fails the run.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT * FROM (VALUES
            ('fact_sales', 'unit_price', 'numeric(15,2)'),
            ('fact_cart_events', 'unit_price', 'numeric(15,2)'),
            ('dim_product', 'unit_price', 'numeric(15,2)'),
            ('product_performance', 'view_to_cart', 'numeric'),
            ('product_performance', 'cart_to_purchase', 'numeric'),
            ('sales_trends', 'growth', 'numeric')) AS v(tab, col, typ)
    LOOP
        IF (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
            WHERE attrelid = c.tab::regclass AND attname = c.col) <> c.typ THEN
            EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE %s', c.tab, c.col, c.typ);
        END IF;
    END LOOP;
END $$;

-- gm-rfm's snapshots (gm-warehouse(5)): each run's rows carry the as-of
-- day they were computed for, as_of_key YYYYMMDD (as date_key) and as_of
-- YYYY-MM-DD; a run upserts its day's rows, so a day computed again is
-- replaced and the other days stay, to be charted over time.

-- customer_segments: one row per customer and as-of day (the original's
-- MongoDB collection).
CREATE TABLE IF NOT EXISTS customer_segments (
    segment_id      text PRIMARY KEY,
    as_of_key       integer NOT NULL,
    as_of           text NOT NULL,
    user_id         text NOT NULL,
    recency_days    bigint NOT NULL,
    frequency       bigint NOT NULL,
    monetary        numeric(19,2) NOT NULL,
    r               integer NOT NULL,
    f               integer NOT NULL,
    m               integer NOT NULL,
    rfm_score       integer NOT NULL,
    segment         text NOT NULL
);

CREATE INDEX IF NOT EXISTS customer_segments_as_of_idx ON customer_segments (as_of_key);

COMMENT ON TABLE customer_segments IS
'Customers scored by recency, frequency and money as of a day, and their segment (gm-rfm); segment_id is AS_OF/USER_ID.';

-- segment_summary: one row per segment of the grid and as-of day.
CREATE TABLE IF NOT EXISTS segment_summary (
    summary_id      text PRIMARY KEY,
    as_of_key       integer NOT NULL,
    as_of           text NOT NULL,
    segment         text NOT NULL,
    customers       bigint NOT NULL,
    share           numeric(12,4) NOT NULL,
    avg_recency_days numeric,
    avg_frequency   numeric,
    avg_monetary    numeric(19,2),
    revenue         numeric(19,2) NOT NULL,
    revenue_share   numeric
);

COMMENT ON TABLE segment_summary IS
'Segments as of a day (gm-rfm): customers, their share, averages (NULL for an empty segment) and revenue; summary_id is AS_OF/SEGMENT.';

-- rfm_cuts: per as-of day, measure and score, the values that score took.
CREATE TABLE IF NOT EXISTS rfm_cuts (
    cut_id          text PRIMARY KEY,
    as_of_key       integer NOT NULL,
    as_of           text NOT NULL,
    measure         text NOT NULL,
    score           integer NOT NULL,
    customers       bigint NOT NULL,
    min_value       numeric(19,2),
    max_value       numeric(19,2)
);

COMMENT ON TABLE rfm_cuts IS
'The least and greatest measure value of each score (NULL for a score no customer has), as of a day (gm-rfm); cut_id is AS_OF/MEASURE/SCORE.';

-- segment_migration: customers who moved from one segment to another
-- between two as-of days ('(none)': absent on that day).
CREATE TABLE IF NOT EXISTS segment_migration (
    migration_id    text PRIMARY KEY,
    as_of_key       integer NOT NULL,
    as_of           text NOT NULL,
    since_key       integer NOT NULL,
    since           text NOT NULL,
    from_segment    text NOT NULL,
    to_segment      text NOT NULL,
    customers       bigint NOT NULL
);

COMMENT ON TABLE segment_migration IS
'How many customers were in from_segment on since and are in to_segment on as_of (gm-rfm); migration_id is AS_OF/SINCE/FROM/TO.';

-- kafka_metric: one sample of a Kafka metric of gm-metrics (a
-- partition's offsets, a topic's rate, a consumer group's offsets and
-- lag, the brokers), per collection round; the table the original's
-- collector sketched. Grafana charts a topic's ingestion with
--     SELECT ts AS time, topic, value FROM kafka_metrics
--     WHERE metric = 'gm_kafka_topic_messages_per_second' AND $__timeFilter(ts)
-- gm-metrics --retention deletes rows older than it, by ts.
CREATE TABLE IF NOT EXISTS kafka_metrics (
    metric_id       text PRIMARY KEY,
    ts              timestamptz NOT NULL,
    metric          text NOT NULL,
    topic           text,
    partition       integer,
    consumer_group  text,
    value           double precision NOT NULL
);

CREATE INDEX IF NOT EXISTS kafka_metrics_ts_idx ON kafka_metrics (ts);
CREATE INDEX IF NOT EXISTS kafka_metrics_metric_idx ON kafka_metrics (metric, ts);

COMMENT ON TABLE kafka_metrics IS
'Samples of gm-metrics''s Kafka metrics, one row per metric, topic, partition and consumer group (NULL where the metric has none) per round; metric_id is NAME{LABELS}@TS.';

-- system_health_metric: one sample of any other metric of gm-metrics
-- (the gm tools, PostgreSQL, MongoDB, the host), with the component it
-- is about (a source, a tool's name, or gm-metrics), whether it was up
-- in the round, and the sample's labels. Grafana charts health per
-- component with
--     SELECT ts AS time, component, value FROM system_health_metrics
--     WHERE metric IN ('gm_tool_up', 'gm_pg_up', 'gm_mongodb_up') AND $__timeFilter(ts)
CREATE TABLE IF NOT EXISTS system_health_metrics (
    metric_id       text PRIMARY KEY,
    ts              timestamptz NOT NULL,
    component       text NOT NULL,
    instance        text,
    status          text NOT NULL,
    metric          text NOT NULL,
    labels          jsonb NOT NULL,
    value           double precision NOT NULL
);

CREATE INDEX IF NOT EXISTS system_health_metrics_ts_idx ON system_health_metrics (ts);
CREATE INDEX IF NOT EXISTS system_health_metrics_metric_idx ON system_health_metrics (metric, ts);

COMMENT ON TABLE system_health_metrics IS
'Samples of gm-metrics''s metrics but Kafka''s: component is the source (host, pg, mongo), the tool (gm-txmon) or gm-metrics, status up or down in that round; metric_id is NAME{LABELS}@TS.';

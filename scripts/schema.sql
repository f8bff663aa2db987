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

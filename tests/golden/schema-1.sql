-- tests/golden/schema-1.sql: scripts/schema.sql as first released (commit
-- ff3b4a8), whose tables the sink must upgrade (tests/sh/pg-sink.sh).

-- scripts/schema.sql: the PostgreSQL tables of gm, one per record type a
-- PostgreSQL sink stores. This file is the only definition: the build
-- embeds it in libgm, whose sink runs it when it connects and finds a
-- table missing. It can also be run by hand, as often as wanted:
--
--     psql -v ON_ERROR_STOP=1 -f scripts/schema.sql
--
-- The columns must match the registry in lib/pg.c (record type, table,
-- key, and each column's field and type), which the tests check against
-- the database. A column is a top-level field of the record, of the same
-- name; NOT NULL columns are the fields a record must have.
--
-- Every key is deterministic (the same input gives the same key), so a
-- replay updates rows in place instead of adding them again.

-- sales_metric: sales over one window, for one country and category,
-- written by gm-txmon. metric_id names the window start, its length, the
-- country and the category.
CREATE TABLE IF NOT EXISTS sales_metrics (
    metric_id       text PRIMARY KEY,
    window_start    timestamptz NOT NULL,
    window_end      timestamptz NOT NULL,
    country         text,
    category        text,
    revenue         numeric(16,2) NOT NULL,    -- US dollars
    transactions    bigint NOT NULL,
    units           bigint,
    avg_order_value numeric(16,2),             -- US dollars
    distinct_users  bigint,
    source          text                       -- the tool, as "gm-txmon"
);

-- alert: something needs attention (gm-events(5)). labels is the flat
-- object of strings saying what the alert is about; record is the whole
-- alert as it came, which keeps the numbers that triggered it, whatever
-- the tool named them.
CREATE TABLE IF NOT EXISTS alerts (
    alert_id        text PRIMARY KEY,
    ts              timestamptz NOT NULL,      -- the event time
    kind            text NOT NULL,             -- anomaly, low_stock, ...
    severity        text NOT NULL,             -- info, warning, critical
    source          text NOT NULL,
    summary         text NOT NULL,
    labels          jsonb NOT NULL,
    record          jsonb NOT NULL
);

-- Alerts are read by time, most recent first.
CREATE INDEX IF NOT EXISTS alerts_ts_idx ON alerts (ts);

#!/usr/bin/env bash
# gm-metrics and PostgreSQL: --pg over a database that a real pipeline
# filled (gm-produce | gm-txmon -o postgresql://) says it is up, its
# max_connections as SHOW gives it, and the age of the newest row of
# each gm table that holds rows (none for an empty one); a password in
# --pg is refused. A PostgreSQL -o gets one system_health_metrics row
# per sample of the round (the tools' under their own name, with their
# up state) and a kafka_metrics row per Kafka sample, none of them
# metric records; --retention deletes the rows older than it and keeps
# the others, and goes only with a PostgreSQL -o. The server stopped:
# gm_pg_up 0 while gm-metrics goes on, and 1 again once it is back on
# the same port. promtool finds nothing to say about each page.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"

command -v promtool >/dev/null || skip_or_fail "promtool is not installed (prometheus)"
command -v jq >/dev/null || skip_or_fail "jq is not installed"
pg_start
URI="postgresql://postgres@127.0.0.1:$PGPORT/gm"
q() { psql -XAtq -c "$1"; }
# value FILE LINE-START: the value of the sample whose line starts so.
value() { awk -v s="$2" 'index($0, s " ") == 1 { print $2 }' "$1"; }
check_page() { promtool check metrics <"$1" >"$T/promtool" 2>&1 || fail "$2: promtool: $(cat "$T/promtool")"; }

gm-produce -q --start=2026-11-24T00:00:00Z -n 20000 -r 0 --anomaly-rate 0.05 |
	gm-txmon -q --stats "$T/stats" -o "$URI"
expect_eq "pipeline into PostgreSQL" "${PIPESTATUS[*]}" "0 0"
filled=$(q "select string_agg(t, ' ' order by t) from (values ('sales_metrics'), ('alerts')) v(t)
	where (select count(*) from sales_metrics) > 0 and t = 'sales_metrics'
	   or (select count(*) from alerts) > 0 and t = 'alerts'")
expect_eq "the pipeline filled sales_metrics and alerts" "$filled" "alerts sales_metrics"

# ---- --pg ----
age() { q "select extract(epoch from now() - max($2))::float8 from $1"; }
before_sm=$(age sales_metrics window_end) before_al=$(age alerts ts)
expect_status "--pg --once" 0 gm-metrics -q --once --no-host --pg "$URI" --textfile "$T/page"
after_sm=$(age sales_metrics window_end) after_al=$(age alerts ts)
check_page "$T/page" "--pg"
expect_eq "gm_pg_up" "$(value "$T/page" gm_pg_up)" 1
expect_eq "gm_pg_max_connections is SHOW max_connections" \
	"$(value "$T/page" gm_pg_max_connections)" "$(q 'show max_connections')"
expect_eq "gm_pg_connections: this one at least" "$(value "$T/page" gm_pg_connections | awk '{ print ($1 >= 1) }')" 1
for f in gm_pg_database_size_bytes gm_pg_transactions_committed_total gm_pg_transactions_rolled_back_total; do
	expect_eq "$f of the database gm" "$(grep -c "^$f{database=\"gm\"} [0-9]" "$T/page")" 1
done
expect_eq "table ages: the tables that hold rows, no other" \
	"$(grep -o '^gm_pg_table_newest_row_age_seconds{table="[a-z_]*"}' "$T/page" | cut -d '"' -f 2 | sort | tr '\n' ' ')" \
	"alerts sales_metrics "
got=$(value "$T/page" 'gm_pg_table_newest_row_age_seconds{table="sales_metrics"}')
expect_eq "sales_metrics: the age of its newest window_end, by the server's clock" \
	"$(awk -v b="$before_sm" -v g="$got" -v a="$after_sm" 'BEGIN { print (b <= g && g <= a) }')" 1
got=$(value "$T/page" 'gm_pg_table_newest_row_age_seconds{table="alerts"}')
expect_eq "alerts: the age of its newest ts" \
	"$(awk -v b="$before_al" -v g="$got" -v a="$after_al" 'BEGIN { print (b <= g && g <= a) }')" 1

expect_status "--pg with a password" 2 gm-metrics --once --no-host \
	--pg "postgresql://postgres:Zq9-s3cret@127.0.0.1:$PGPORT/gm" --textfile "$T/x" 2>"$T/err"
expect_grep "the password refused: said so" "holds a password" "$T/err"
expect_eq "the password never shown" "$(grep -c Zq9-s3cret "$T/err")" 0
expect_status "--pg that libpq cannot read" 2 gm-metrics --once --no-host --pg "dbname" --textfile "$T/x" 2>/dev/null
expect_status "--pg of no server: up 0, exit 0" 0 \
	gm-metrics -q --once --no-host --pg "host=127.0.0.1 port=$(free_port) dbname=gm" --textfile "$T/down" 2>"$T/err"
expect_eq "no server: gm_pg_up 0" "$(value "$T/down" gm_pg_up)" 0
expect_eq "no server: nothing else of PostgreSQL" "$(grep -c '^gm_pg_' "$T/down")" 1
expect_grep "no server: said so" "pg: warning: does not answer" "$T/err"

# ---- -o postgresql:// ----
expect_status "-o PostgreSQL" 0 gm-metrics -q --once --no-host --pg "$URI" --textfile "$T/page2" \
	-o "$URI" "$T/stats"
check_page "$T/page2" "-o"
# Every sample of the round but the Kafka ones, of which there are none.
samples=$(grep -vc '^#' "$T/page2")
expect_eq "system_health_metrics: a row per sample" "$(q 'select count(*) from system_health_metrics')" "$samples"
expect_eq "kafka_metrics: no Kafka sample, no row" "$(q 'select count(*) from kafka_metrics')" 0
expect_eq "gm_pg_up's row" "$(q "select component, instance is null, status, labels, value from system_health_metrics where metric = 'gm_pg_up'")" \
	"pg|t|up|{}|1"
expect_eq "gm_pg_database_size_bytes's labels" \
	"$(q "select labels->>'database' from system_health_metrics where metric = 'gm_pg_database_size_bytes'")" gm
expect_eq "gm-metrics's own rows: under its name" \
	"$(q "select distinct component || ' ' || status || ' ' || (labels->>'source') from system_health_metrics where metric = 'gm_metrics_source_up'")" \
	"gm-metrics up pg"
instance=$(jq -r 'select(.final) | .instance' "$T/stats")
expect_eq "the tool's rows: under its name, down once it ended (gm_tool_up 0)" \
	"$(q "select distinct component || ' ' || instance || ' ' || status from system_health_metrics where metric like 'gm_tool_%'")" \
	"gm-txmon $instance down"
expect_eq "gm_tool_records_in_total: its final count" \
	"$(q "select value from system_health_metrics where metric = 'gm_tool_records_in_total'")" \
	"$(jq -r 'select(.final) | .in' "$T/stats")"
expect_eq "a row's id: its name, labels and time" \
	"$(q "select metric_id = 'gm_pg_up{}@' || to_char(ts at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') from system_health_metrics where metric = 'gm_pg_up'")" t
rows=$(q 'select count(*) from system_health_metrics')

# ---- --retention ----
q "insert into system_health_metrics values
	('old1', now() - interval '2 hours', 'pg', null, 'up', 'gm_pg_up', '{}', 1),
	('old2', now() - interval '61 minutes', 'host', null, 'up', 'gm_host_load1', '{}', 0.5),
	('young', now() - interval '59 minutes', 'host', null, 'up', 'gm_host_load1', '{}', 0.5);
	insert into kafka_metrics values
	('kold', now() - interval '3 hours', 'gm_kafka_brokers', null, null, null, 1),
	('kyoung', now() - interval '10 minutes', 'gm_kafka_consumergroup_lag', 'transactions', 3, 'g', 42)"
expect_status "--retention 1h" 0 gm-metrics -q --once --no-host --pg "$URI" -o "$URI" --retention 1h \
	--textfile "$T/page3"
new=$(grep -vc '^#' "$T/page3")
expect_eq "retention: the rows older than 1h gone" \
	"$(q "select string_agg(metric_id, ' ' order by metric_id) from (select metric_id from system_health_metrics union all select metric_id from kafka_metrics) x where metric_id not like 'gm_%'")" \
	"kyoung young"
expect_eq "retention: every newer row kept, this round's added" \
	"$(q 'select count(*) from system_health_metrics')" "$((rows + 1 + new))"
expect_eq "kafka_metrics: a row's columns" \
	"$(q "select topic, partition, consumer_group, value from kafka_metrics where metric_id = 'kyoung'")" "transactions|3|g|42"
expect_status "--retention without a PostgreSQL -o" 2 gm-metrics --once --no-host -o "$T/x" --retention 1h 2>/dev/null
expect_status "--retention 0" 2 gm-metrics --once --no-host -o "$URI" --retention 0 2>/dev/null

# ---- the server stopped and back ----
# wait_page WHAT VALUE: until the page says gm_pg_up VALUE (30 s at most).
wait_page() {
	local i
	for i in $(seq 300); do
		[ "$(value "$T/live" gm_pg_up 2>/dev/null)" = "$2" ] && { ok "$1"; return 0; }
		sleep 0.1
	done
	fail "$1: gm_pg_up never $2"
}
gm-metrics -q --no-host --pg "$URI" --every 100ms --textfile "$T/live" 2>"$T/live.err" &
live=$!
wait_page "running: up" 1
pg_stop || fail "the server did not stop"
wait_page "the server stopped: down" 0
kill -0 "$live" 2>/dev/null || fail "gm-metrics ended when the server stopped"
check_page "$T/live" "server down"
pg_restart
wait_page "the server back: up again" 1
kill -TERM "$live"
wait "$live"
expect_eq "gm-metrics, ended by SIGTERM: exit status" $? 0
expect_eq "said down once, and back once" \
	"$(grep -c 'does not answer' "$T/live.err") $(grep -c 'answers again' "$T/live.err")" "1 1"
finish

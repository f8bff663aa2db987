# gm-txmon into PostgreSQL: the tables hold exactly what the NDJSON
# output holds; the same input again changes nothing; a server restart
# in the middle of a run loses nothing and doubles nothing.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"

pg_start
echo "pg up: $GM_PG_CONNINFO" >&2
PG="pg:$GM_PG_CONNINFO"
gm-produce -q --start=2026-11-24T00:00:00Z -n 300000 -r 0 --anomaly-rate 0.02 >"$T/events"
gm-txmon -q "$T/events" >"$T/ndjson"
expect_eq "NDJSON run" $? 0

alerts_of_ndjson() { jq -r 'select(.type == "alert") | .alert_id' "$1" | sort; }
alerts_of_table() { psql -XAtq -c "select alert_id from alerts" | sort; }
checksum() {
	psql -XAtq -c "select md5(string_agg(m::text, '|' order by metric_id)) from sales_metrics m" 
	psql -XAtq -c "select md5(string_agg(a::text, '|' order by alert_id)) from alerts a"
}

gm-txmon -q -o "$PG" "$T/events"
expect_eq "PostgreSQL run: exit status" $? 0
metrics_of_ndjson "$T/ndjson" >"$T/want.metrics"
metrics_of_table >"$T/got.metrics"
expect_eq "metric rows" "$(wc -l <"$T/got.metrics")" "$(wc -l <"$T/want.metrics")"
expect_same_file "sales_metrics equals the NDJSON metrics" "$T/got.metrics" "$T/want.metrics"
alerts_of_ndjson "$T/ndjson" >"$T/want.alerts"
alerts_of_table >"$T/got.alerts"
expect_same_file "alerts equals the NDJSON alerts" "$T/got.alerts" "$T/want.alerts"
jq -c 'select(.type == "alert")' "$T/ndjson" | head -1 >"$T/one.alert"
id=$(jq -r .alert_id "$T/one.alert")
expect_eq "an alert's record is kept whole" \
	"$(psql -XAtq -c "select record->>'summary' from alerts where alert_id = '$id'")" "$(jq -r .summary "$T/one.alert")"

# Replay: the same input again changes nothing.
checksum >"$T/sum1"
gm-txmon -q -o "$PG" "$T/events"
expect_eq "replay: exit status" $? 0
checksum >"$T/sum2"
expect_same_file "replay: the tables are unchanged" "$T/sum2" "$T/sum1"

# A server restart in the middle of a run. The first half goes in and is
# committed when the input pauses (the idle close), the server restarts,
# the second half follows over a new connection. The truth is the same
# run, paused the same way, into NDJSON.
half=$(($(wc -l <"$T/events") / 2))
# paused_run OUT [restart]: gm-txmon reads the events through a FIFO,
# with a pause after the first half; with "restart", PostgreSQL restarts
# during the pause, once the first half's rows are in.
paused_run() {
	rm -f "$T/fifo"; mkfifo "$T/fifo"
	gm-txmon -q --idle 500ms -o "$1" --retry-for 30s "$T/fifo" 2>"$T/paused.err" &
	local pid=$! st
	exec 3>"$T/fifo"
	head -n "$half" "$T/events" >&3
	if [ "${2:-}" = restart ]; then
		for _ in $(seq 100); do
			[ "$(psql -XAtq -c 'select count(*) from sales_metrics')" -gt 0 ] && break
			sleep 0.2
		done
		rows_before=$(psql -XAtq -c 'select count(*) from sales_metrics')
		pg_restart 3>&-   # the server must not hold the FIFO open
	else
		sleep 1.5   # longer than --idle: the same pause, without a server
	fi
	tail -n +$((half + 1)) "$T/events" >&3
	exec 3>&-
	wait "$pid"; st=$?
	cat "$T/paused.err" >&2
	return $st
}
paused_run "$T/paused.ndjson"
expect_eq "paused NDJSON run: exit status" $? 0
psql -XAtq -c "truncate sales_metrics, alerts"
paused_run "$PG" restart
expect_eq "restart: exit status" $? 0
[ "$rows_before" -gt 0 ]; expect_eq "restart: rows were committed before it ($rows_before)" $? 0
metrics_of_ndjson "$T/paused.ndjson" >"$T/want.paused"
metrics_of_table >"$T/got.paused"
expect_same_file "restart: sales_metrics, nothing lost or doubled" "$T/got.paused" "$T/want.paused"
alerts_of_ndjson "$T/paused.ndjson" >"$T/want.paused.alerts"
alerts_of_table >"$T/got.paused.alerts"
expect_same_file "restart: alerts, nothing lost or doubled" "$T/got.paused.alerts" "$T/want.paused.alerts"
finish

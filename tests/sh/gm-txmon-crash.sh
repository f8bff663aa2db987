# gm-txmon from Kafka into PostgreSQL, killed (SIGKILL) in the middle of
# a live stream: the next run of the group goes on from the committed
# offsets, and the metrics and alerts tables end up exactly as one whole
# run writes them. Offsets committed before the rows would lose windows;
# windows written in part, or not rebuilt from their first transaction,
# would leave wrong rows; users' history lost with the process (not
# restored from the changelog) would miss alerts or write other numbers.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"
. "$TESTS/pg.sh"

kafka_start -p 4 -t transactions -t product_views -t cart_events
pg_start
PG="pg:$GM_PG_CONNINFO"
opts="-w 10s -X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200"

# 40000 events at 8000/s: about 5 s of stream, 2 minutes of event time.
gm-produce -q --start=2026-11-24T00:00:00Z -n 40000 -r 8000 --anomaly-rate 0.05 -o kafka: &
producer=$!
# shellcheck disable=SC2086
gm-txmon -q -t transactions -G crash $opts -o "$PG" 2>"$T/killed.err" &
killed=$!
rows() { psql -XAtq -c 'select count(*) from sales_metrics' 2>/dev/null || echo 0; }
for _ in $(seq 300); do [ "$(rows)" -ge 100 ] && break; sleep 0.05; done
producing=0
kill -0 "$producer" 2>/dev/null && producing=1
kill -KILL "$killed"
wait "$killed" 2>/dev/null
rows_at_kill=$(rows)
wait "$producer"
expect_eq "producer: exit status" $? 0
total=$(kafka_count transactions)
[ "$rows_at_kill" -ge 100 ]
expect_eq "rows written before the kill ($rows_at_kill)" $? 0
expect_eq "the kill came while the stream went on" "$producing" 1

# shellcheck disable=SC2086
gm-txmon -t transactions -e -G crash $opts -o "$PG" 2>"$T/resumed.err"
expect_eq "resumed run: exit status" $? 0
resumed_in=$(sed -n 's/^gm-txmon: \([0-9]*\) in,.*/\1/p' "$T/resumed.err")
[ -n "$resumed_in" ] && [ "$resumed_in" -gt 0 ] && [ "$resumed_in" -lt "$total" ]
expect_eq "resumed run read part of the stream again ($resumed_in of $total)" $? 0

# The truth: one run over the whole topic, without a group, into NDJSON.
# shellcheck disable=SC2086
gm-txmon -q -t transactions -e $opts -o "$T/whole"
expect_eq "whole run: exit status" $? 0
metrics_of_ndjson "$T/whole" >"$T/want"
metrics_of_table >"$T/got"
expect_eq "metric rows" "$(wc -l <"$T/got")" "$(wc -l <"$T/want")"
expect_same_file "killed and resumed: sales_metrics equals one whole run" "$T/got" "$T/want"
alerts_of_ndjson "$T/whole" >"$T/want-alerts"
alerts_of_table >"$T/got-alerts"
[ "$(wc -l <"$T/want-alerts")" -gt 100 ]
expect_eq "the whole run alerted ($(wc -l <"$T/want-alerts"))" $? 0
expect_same_file "killed and resumed: alerts equal one whole run's" "$T/got-alerts" "$T/want-alerts"
finish

# gm-txmon into PostgreSQL: the tables hold exactly what the NDJSON
# output holds; the same input again changes nothing; a server restart
# in the middle of a run loses nothing and doubles nothing. Runs over
# two Kafka partitions, with two window lengths, into one table: the
# view sales_by_window gives the shop's figures per window length, to
# the cent, as computed from the raw transactions.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"
. "$TESTS/kafka.sh"

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
	# Opened for reading too, so that it cannot block on a gm-txmon that
	# died before opening it; a write that finds it dead times out.
	exec 3<>"$T/fifo"
	timeout 60 head -n "$half" "$T/events" >&3
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
	timeout 60 tail -n +$((half + 1)) "$T/events" >&3
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

# Two Kafka partitions, read by runs of -w 1m and -w 1h into one table.
# Each run writes a row per partition, window, country and category;
# the view sums the partitions, and window_length keeps the runs apart.
# The truth is computed here from the transactions as Kafka holds them.
kafka_start -p 2 -t transactions -t product_views -t cart_events
gm-produce -q --start=2026-11-24T00:00:00Z -n 20000 --event-rate 5 -r 0 -o kafka:
expect_eq "events into Kafka: exit status" $? 0
kafka_dump transactions '%p\t%s\n' >"$T/parts.tx"
psql -XAtq -d postgres -c "create database parts"
for w in 1m 1h; do
	gm-txmon -q -t transactions -e -w $w -o "pg:$GM_PG_CONNINFO dbname=parts" -l "$T/late.$w"
	expect_eq "-w $w over 2 partitions: exit status" $? 0
	expect_eq "-w $w: no transaction late" "$(wc -l <"$T/late.$w")" 0
done
/usr/bin/python3 - "$T/parts.tx" >"$T/parts.want" 2>"$T/parts.users" <<'PY'
import calendar, collections, decimal, json, sys, time
cells = collections.defaultdict(lambda: [0, 0, 0])
users = collections.defaultdict(set)
def cents(d):
    return int((d * 100).to_integral_value(decimal.ROUND_HALF_UP))
for line in open(sys.argv[1]):
    part, rec = line.rstrip("\n").split("\t", 1)
    tx = json.loads(rec, parse_float=decimal.Decimal)
    users[tx["user_id"]].add(part)
    ts = tx["ts"]
    ms = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) * 1000 + int(ts[20:23])
    bycat = collections.defaultdict(lambda: [0, 0])
    for it in tx["items"]:
        bycat[it["category"]][0] += it["quantity"] * cents(decimal.Decimal(it["unit_price"]))
        bycat[it["category"]][1] += it["quantity"]
    shares = [("*", cents(decimal.Decimal(tx["total_amount"])), sum(u for _, u in bycat.values()))]
    shares += [(c, r, u) for c, (r, u) in bycat.items()]
    for size in (60, 3600):
        start = ms // (size * 1000) * size
        for country in (tx["country"], "*"):
            for cat, rev, units in shares:
                cell = cells[(start, size, country, cat)]
                cell[0] += rev; cell[1] += 1; cell[2] += units
money = lambda c: "%d.%02d" % (c // 100, c % 100)
for (start, size, country, cat), (rev, n, units) in cells.items():
    print("\t".join([time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(start)), str(size),
        country, cat, money(rev), str(n), str(units), money((2 * rev + n) // (2 * n))]))
print(len(set.union(*users.values())), sum(len(p) > 1 for p in users.values()), file=sys.stderr)
PY
expect_eq "python over the transactions: exit status" $? 0
sort -o "$T/parts.want" "$T/parts.want"
expect_eq "the transactions' users span 2 partitions, each user in one" "$(cat "$T/parts.users")" "2 0"
psql -XAtq -d parts -F $'\t' -c "select to_char(window_start at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
	extract(epoch from window_length)::int, country, category, revenue, transactions, units, avg_order_value
	from sales_by_window" | sort >"$T/parts.got"
expect_eq "view rows (1m and 1h windows)" "$(wc -l <"$T/parts.got")" "$(wc -l <"$T/parts.want")"
expect_same_file "the view's figures equal the transactions' to the cent" "$T/parts.got" "$T/parts.want"
expect_eq "rows of both partitions were summed, in each grain" \
	"$(psql -XAtq -d parts -c "select string_agg(distinct grain, ' ' order by grain) from sales_by_window where partitions = 2")" \
	"category country detail total"
expect_eq "the runs told apart by window_length" \
	"$(psql -XAtq -d parts -c "select string_agg(distinct window_length::text, ' ') from sales_metrics")" \
	"00:01:00 01:00:00"
finish

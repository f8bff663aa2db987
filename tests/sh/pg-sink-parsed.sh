#!/usr/bin/env bash
# pg-sink-parsed: a record handed to the PostgreSQL sink with the event a
# tool parsed from it (gm_sink_emit_event, as gm-cat does) becomes exactly
# the row it becomes when handed over as JSON text (gm_sink_emit_raw, the
# sink parsing it again, as sink-raw does): the same tables, rows, counts,
# refusals, messages and exit status, on first write and on replay.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"

for h in gm-cat sink-raw; do
	[ -x "$HELPERS/$h" ] || skip_or_fail "$h is not built"
done
pg_start
psql -X -q -v ON_ERROR_STOP=1 -c 'create database raw' -c 'create database parsed' ||
	fail "cannot create the databases"

# gen FIRST COUNT: sales_metric and alert records, with text to escape,
# optional fields absent or null, and every 25th a key seen before with
# other values (the last one wins).
gen() {
	awk -v first="$1" -v n="$2" 'BEGIN {
		odd = "tab\\there nl\\nhere back\\\\slash \\\"q\\\" \\u00e9t\\u00e9 caf\303\251 \\\\N"
		for (i = first; i < first + n; i++) {
			k = i % 25 == 24 ? i - 21 : i
			ws = sprintf("2026-11-01T%02d:%02d:00.000Z", int(k / 60) % 24, k % 60)
			we = sprintf("2026-11-01T%02d:%02d:00.000Z", int((k + 1) / 60) % 24, (k + 1) % 60)
			if (i % 3) {
				s = sprintf("{\"type\":\"sales_metric\",\"metric_id\":\"m%d\",\"ts\":\"%s\",\"window_start\":\"%s\",\"window_end\":\"%s\"", k, we, ws, we)
				if (i % 4 == 1) s = s sprintf(",\"partition\":\"transactions/%d\"", i % 4)
				if (i % 7 == 0) s = s ",\"partition\":null"
				s = s sprintf(",\"country\":\"USA\",\"category\":\"%s\",\"revenue\":%d.%02d,\"transactions\":%d", i % 11 ? "books" : "books " odd, i * 37, i % 100, i % 9 + 1)
				s = s sprintf(",\"units\":%d,\"avg_order_value\":%d.5,\"distinct_users\":%d,\"source\":\"gm-txmon\"}", i % 13 + 1, i, i % 5 + 1)
			} else {
				s = sprintf("{\"type\":\"alert\",\"alert_id\":\"a%d\",\"ts\":\"%s\",\"kind\":\"anomaly\",\"severity\":\"warning\",\"source\":\"gm-txmon\"", k, ws)
				s = s sprintf(",\"summary\":\"u%d spent %s\",\"labels\":{\"user_id\":\"u%d\"},\"amount\":%d.%02d,\"extra\":[1,{\"b\":null}]}", i, i % 10 ? "much" : odd, i, i, i % 100)
			}
			print s
		}
	}'
}

# Valid records (the parser takes each) that the sink refuses, one each
# way gm_pg_row() and the registry refuse. Alerts are the parser's to
# check (an input type, rtype.h), but for what only jsonb refuses.
M='"ts":"2026-11-01T00:01:00.000Z","window_start":"2026-11-01T00:00:00.000Z","window_end":"2026-11-01T00:01:00.000Z","country":"USA"'
A='"ts":"2026-11-01T00:01:00.000Z","kind":"anomaly","severity":"info","source":"gm-txmon","labels":{}'
refused() {
	cat <<EOF
{"type":"stats","n":1}
{"type":"sales_metric","metric_id":"bad1",$M,"category":"books","transactions":1,"units":1,"avg_order_value":1.00,"distinct_users":1,"source":"gm-txmon"}
{"type":"sales_metric","metric_id":"bad2",$M,"category":"bo\u0000oks","revenue":1.00,"transactions":1,"units":1,"avg_order_value":1.00,"distinct_users":1,"source":"gm-txmon"}
{"type":"sales_metric","metric_id":"bad3",$M,"category":"books","revenue":1e20,"transactions":1,"units":1,"avg_order_value":1.00,"distinct_users":1,"source":"gm-txmon"}
{"type":"sales_metric","metric_id":"bad4","ts":"2026-11-01T00:01:00.000Z","window_start":"yesterday","window_end":"2026-11-01T00:01:00.000Z","country":"USA","category":"books","revenue":1.00,"transactions":1,"units":1,"avg_order_value":1.00,"distinct_users":1,"source":"gm-txmon"}
{"type":"alert","alert_id":"bad5",$A,"summary":"s\ud800"}
{"type":"alert","alert_id":"bad6",$A,"summary":"s","x":1e1001}
{"type":"sales_metric","metric_id":"",$M,"category":"books","revenue":1.00,"transactions":1,"units":1,"avg_order_value":1.00,"distinct_users":1,"source":"gm-txmon"}
EOF
}
{ gen 0 150; refused; gen 150 150; } >"$T/in.ndjson"
expect_eq "input lines" "$(wc -l <"$T/in.ndjson")" 308

dump() {
	psql -X -v ON_ERROR_STOP=1 -d "$1" -Atc "SELECT t::text FROM sales_metrics t ORDER BY metric_id" \
		-c "SELECT t::text FROM alerts t ORDER BY alert_id"
}
# The messages, the program's name and the summary's timing left out.
said() { sed -E 's/^(gm-cat|sink-raw): //; s/, [0-9.]+ s, [0-9.]+k?M?\/s$//' "$1"; }

for pass in first replay; do
	sink-raw pg:dbname=raw "$T/in.ndjson" 2>"$T/raw.err"
	raw_status=$?
	gm-cat -o pg:dbname=parsed "$T/in.ndjson" 2>"$T/parsed.err"
	expect_eq "$pass: exit status, parsed as JSON's" $? $raw_status
	expect_eq "$pass: exit status (records refused)" $raw_status 1
	said "$T/raw.err" >"$T/raw.said"
	said "$T/parsed.err" >"$T/parsed.said"
	expect_same_file "$pass: messages and counts, parsed as JSON's" "$T/parsed.said" "$T/raw.said"
	expect_eq "$pass: summary" "$(tail -n 1 "$T/parsed.said")" \
		"308 in, 300 out, 8 not delivered, 0 rejected, 0 late"
	dump raw >"$T/raw.db"
	dump parsed >"$T/parsed.db"
	expect_same_file "$pass: tables, parsed as JSON's" "$T/parsed.db" "$T/raw.db"
	# 300 records, every 25th a key seen 21 before.
	expect_eq "$pass: rows" "$(psql -X -d parsed -Atc "SELECT (SELECT count(*) FROM sales_metrics) + (SELECT count(*) FROM alerts)")" 288
done

# Each refusal, said once per pass, in the order of the input.
expect_eq "refusals" "$(grep -v ' in, ' "$T/parsed.said")" \
'postgresql: no table for records of type "stats" (there are tables for: sales_metric, alert, session, session_metric, inventory_status, fact_sales, fact_product_views, fact_cart_events, dim_date, dim_customer, dim_product, dim_geography, product_performance, sales_trends, etl_state, customer_segment, segment_summary, rfm_cuts, segment_migration, kafka_metric, system_health_metric)
postgresql: sales_metric "bad1" not written: missing field "revenue"
postgresql: sales_metric "bad2" not written: field "category": a NUL character (\u0000), which PostgreSQL refuses
postgresql: sales_metric "bad3" not written: field "revenue": 1e20 is out of range (0 to 92233720368547758.07)
postgresql: sales_metric "bad4" not written: field "window_start": not an RFC 3339 time: yesterday
postgresql: alert "bad5" not written: the record holds an unpaired surrogate escape, which PostgreSQL'"'"'s jsonb refuses
postgresql: alert "bad6" not written: the record holds a number with an exponent beyond 1000, which PostgreSQL'"'"'s jsonb refuses
postgresql: sales_metric record not written: field "metric_id" is empty'

finish

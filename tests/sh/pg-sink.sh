#!/usr/bin/env bash
# pg-sink: gm-cat -o postgresql://... (libgm's PostgreSQL sink) creates
# its tables, and writes sales_metric and alert records into them exactly;
# the same input again changes nothing; an overlapping replay upserts; a
# server restart mid-stream loses and doubles nothing; an unreachable
# server is exit 75; a record with no table, or missing a column, is exit
# 1 and the rest is written; a password in the URI is taken with a
# warning, and never shows. The tables are safe to query (NOT NULL where
# gm-events(5) requires a field, grain and window length in columns, an
# index for time ranges, comments); tables of the first schema.sql are
# upgraded, or the upgrade refused when old rows lack a required value;
# a window's revenue may pass a single amount's $1T limit; inventory_status
# keeps each product's latest row, and the ten products closest to
# running out are one index scan.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"

[ -x "$HELPERS/gm-cat" ] || skip_or_fail "gm-cat is not built"
command -v jq >/dev/null || skip_or_fail "jq is not installed"
pg_start

PW=Zq9-s3cret-pw
URI="postgresql://postgres:$PW@127.0.0.1:$PGPORT/gm"  # trust: never asked for

# gen FIRST COUNT VERSION: COUNT records numbered from FIRST, 7 in 10
# sales_metric, the rest alerts. Some lack their one optional field
# (partition) or have it null, some are rollups ("*"), and some have
# text that needs escaping (tab, newline, CR, backslash, quotes, \u
# escapes, UTF-8). VERSION changes amounts and summaries, not keys.
gen() {
	awk -v first="$1" -v n="$2" -v v="$3" '
	function ts(min, sec) {
		return sprintf("2026-11-%02dT%02d:%02d:%02d.%03dZ", 1 + int(min / 1440) % 28,
			int(min / 60) % 24, min % 60, sec, (min * 7) % 1000)
	}
	function money(c) { return sprintf("%d.%02d", int(c / 100), c % 100) }
	BEGIN {
		split("USA UK Canada Germany France", country, " ")
		split("books toys garden electronics", cat, " ")
		split("info warning critical", sev, " ")
		odd = "tab\\there nl\\nhere cr\\rhere back\\\\slash \\\"quoted\\\" \\u00e9t\\u00e9 caf\303\251 \342\202\254 \\\\N"
		for (i = first; i < first + n; i++) {
			if (i % 10 < 7) {
				m = int(i / 20)
				c = country[i % 5 + 1]
				k = cat[int(i / 5) % 4 + 1]
				if (i % 97 == 0) k = k " " odd
				if (i % 13 == 0) c = "*"
				if (i % 17 == 0) k = "*"
				s = sprintf("{\"type\":\"sales_metric\",\"metric_id\":\"%s/60s/%s/%d\",\"ts\":\"%s\",\"window_start\":\"%s\",\"window_end\":\"%s\"", ts(m, 0), c, i, ts(m + 1, 0), ts(m, 0), ts(m + 1, 0))
				if (i % 3 == 1) s = s sprintf(",\"partition\":\"transactions/%d\"", i % 4)
				if (i % 29 == 0) s = s ",\"partition\":null"
				s = s sprintf(",\"country\":\"%s\",\"category\":\"%s\"", c, k)
				s = s sprintf(",\"revenue\":%s,\"transactions\":%d", money((i * 7919 + v * 101) % 100000000), i % 50 + 1)
				s = s sprintf(",\"units\":%d,\"avg_order_value\":%s", i % 70 + 1 + v, money((i * 31 + v) % 100000))
				s = s sprintf(",\"distinct_users\":%d,\"source\":\"gm-txmon\",\"extra\":{\"ignored\":[1,2]}}", i % 40 + 1)
			} else {
				sum = sprintf("u%d spent $%s, %dx their usual", i % 1000, money(i * 13 + v), i % 30 + 2)
				if (i % 89 == 0) sum = sum " " odd
				s = sprintf("{\"type\":\"alert\",\"alert_id\":\"a%09d\",\"ts\":\"%s\",\"kind\":\"anomaly\",\"severity\":\"%s\",\"source\":\"gm-txmon\",\"summary\":\"%s\"", i, ts(int(i / 20), i % 60), sev[i % 3 + 1], sum)
				s = s sprintf(",\"labels\":{\"user_id\":\"u%d\",\"reason\":\"amount_above_baseline\",\"country\":\"%s\"%s}", i % 1000, country[i % 5 + 1], i % 7 == 0 ? ",\"note\":\"" odd "\"" : "")
				s = s sprintf(",\"amount\":%s,\"baseline\":%d,\"zscore\":%d.%d}", money(i * 13 + v), i % 500, i % 9, i % 10)
			}
			print s
		}
	}'
}

# Table contents as sorted, key-sorted JSON lines, and the same projection
# of NDJSON input (the last record of a key wins, as in the sink).
TSFMT="'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'"
dump_tables() {
	psql -X -v ON_ERROR_STOP=1 -Atc "SELECT row_to_json(t) FROM (SELECT metric_id,
		to_char(window_start AT TIME ZONE 'UTC', $TSFMT) AS window_start,
		to_char(window_end AT TIME ZONE 'UTC', $TSFMT) AS window_end, partition, country, category,
		revenue, transactions, units, avg_order_value, distinct_users, source
		FROM sales_metrics) t" \
		-c "SELECT row_to_json(t) FROM (SELECT alert_id,
		to_char(ts AT TIME ZONE 'UTC', $TSFMT) AS ts, kind, severity, source, summary,
		labels, record FROM alerts) t" | jq -cS . | sort
}
project() {
	jq -cS 'if .type == "sales_metric" then {k: ("m" + .metric_id), v: {metric_id,
		window_start, window_end, partition, country, category, revenue, transactions, units,
		avg_order_value, distinct_users, source}} else {k: ("a" + .alert_id), v: {alert_id,
		ts, kind, severity, source, summary, labels, record: .}} end' "$@" |
		jq -sc 'reduce .[] as $r ({}; .[$r.k] = $r.v) | .[]' | jq -cS . | sort
}
count() { psql -X -Atc "SELECT (SELECT count(*) FROM sales_metrics) || ' ' || (SELECT count(*) FROM alerts)"; }
checksum() {
	psql -X -Atc "SELECT md5(string_agg(t::text, E'\n' ORDER BY metric_id)) FROM sales_metrics t" \
		-c "SELECT md5(string_agg(t::text, E'\n' ORDER BY alert_id)) FROM alerts t" | tr '\n' ' '
}
xmins() { psql -X -Atc "SELECT sum(xmin::text::bigint) FROM sales_metrics" -c "SELECT sum(xmin::text::bigint) FROM alerts" | tr '\n' ' '; }

N=20000
gen 0 $N 1 >"$T/in.ndjson"
expect_eq "input lines" "$(wc -l <"$T/in.ndjson")" $N
SM=$(grep -c '"type":"sales_metric"' "$T/in.ndjson")
AL=$((N - SM))

# (a) Into an empty database: the sink creates the tables (fast path:
# COPY straight into them), and they hold exactly the input.
expect_eq "no tables before" "$(psql -X -Atc "SELECT count(*) FROM pg_tables WHERE tablename IN ('sales_metrics', 'alerts')")" 0
gm-cat -q -o "$URI" "$T/in.ndjson" 2>"$T/a.err"
expect_eq "(a) gm-cat -o postgresql:// (exit status)" $? 0
# A password on the command line is taken, with one warning saying where
# it belongs instead, and never shown (see (g)).
expect_eq "(a) stderr: the password warning, once" "$(cat "$T/a.err")" \
	"gm-cat: postgresql: warning: the connection string holds a password, which other users can see on the command line (ps); set PGPASSWORD, or put it in ~/.pgpass (or the file PGPASSFILE names), instead"
expect_eq "(a) row counts" "$(count)" "$SM $AL"
dump_tables >"$T/a.db"
project "$T/in.ndjson" >"$T/a.want"
expect_same_file "(a) tables equal the input" "$T/a.db" "$T/a.want"
expect_eq "(a) text with tabs and newlines kept" \
	"$(psql -X -Atc "SELECT count(*) FROM sales_metrics WHERE position(E'\\t' IN category) > 0 AND position(E'\\n' IN category) > 0")" \
	"$(grep -c '"category":"[a-z]* tab' "$T/in.ndjson")"

# The registry (lib/pg.c) and the database agree, column by column.
if [ -x "$HELPERS/test_pg" ]; then
	CK_RUN_CASE=server CK_VERBOSITY=normal "$HELPERS/test_pg" >"$T/schema.out" 2>&1 ||
		fail "schema check: $(cat "$T/schema.out")"
	expect_grep "schema check ran" "Checks: 1, Failures: 0, Errors: 0" "$T/schema.out"
elif [ "${CI:-}" = true ]; then
	fail "test_pg is not built (make check builds it)"
else
	echo "note: test_pg is not built, the registry check did not run" >&2
fi
sum_a=$(checksum) xmin_a=$(xmins)
# scripts/schema.sql by hand, again: it runs, and changes nothing (below).
psql -X -q -v ON_ERROR_STOP=1 -f "$TOP/scripts/schema.sql" >"$T/schema.log" 2>&1 ||
	fail "schema.sql by hand: $(cat "$T/schema.log")"

# (a2) The tables are safe to query: NOT NULL for every field
# gm-events(5) requires (all but a sales_metric's partition); each row's
# window length and grain in columns of their own; an index for time
# ranges; a comment on every table, view and column.
expect_eq "(a2) nullable columns: only partition and an alert's status" \
	"$(psql -X -Atc "SELECT string_agg(table_name || '.' || column_name, ' ' ORDER BY table_name, column_name)
		FROM information_schema.columns WHERE table_schema = 'public'
		AND table_name IN ('sales_metrics', 'alerts') AND is_nullable = 'YES'")" \
	"alerts.status sales_metrics.partition"
expect_eq "(a2) every column commented (tables and view)" \
	"$(psql -X -Atc "SELECT count(*) || ' ' || count(*) FILTER (WHERE col_description(
		format('%I.%I', table_schema, table_name)::regclass, ordinal_position) IS NULL)
		FROM information_schema.columns WHERE table_schema = 'public'
		AND table_name IN ('sales_metrics', 'alerts', 'sales_by_window', 'inventory_status')")" "48 0"
expect_eq "(a2) every table and view commented" \
	"$(psql -X -Atc "SELECT string_agg(relname || ':' || (obj_description(oid, 'pg_class') IS NOT NULL), ' ' ORDER BY relname)
		FROM pg_class WHERE relname IN ('sales_metrics', 'alerts', 'sales_by_window', 'inventory_status')")" \
	"alerts:true inventory_status:true sales_by_window:true sales_metrics:true"
expect_eq "(a2) indexes led by window_start and ts" \
	"$(psql -X -Atc "SELECT string_agg(c.relname || '.' || a.attname, ' ' ORDER BY c.relname)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE c.relname IN ('sales_metrics', 'alerts') AND NOT i.indisprimary")" \
	"alerts.ts sales_metrics.window_start"
expect_eq "(a2) the grain of each row" \
	"$(psql -X -Atc "SELECT string_agg(grain || ':' || n, ' ' ORDER BY grain)
		FROM (SELECT grain, count(*) AS n FROM sales_metrics GROUP BY 1) g")" \
	"$(jq -r 'select(.metric_id) | if .country != "*" and .category != "*" then "detail"
		elif .country != "*" then "country" elif .category != "*" then "category"
		else "total" end' "$T/a.want" | sort | uniq -c |
		awk '{ printf "%s%s:%d", (NR > 1 ? " " : ""), $2, $1 }')"

# (b) The same input again, through a conninfo: same rows, not even
# rewritten (the upsert skips rows that would not change).
gm-cat -q -o "pg:$GM_PG_CONNINFO" "$T/in.ndjson" 2>"$T/b.err"
expect_eq "(b) same input again, pg:CONNINFO (exit status)" $? 0
[ -s "$T/b.err" ] && fail "(b) stderr (no password, no warning): $(head -3 "$T/b.err")"
expect_eq "(b) row counts" "$(count)" "$SM $AL"
expect_eq "(b) checksum" "$(checksum)" "$sum_a"
expect_eq "(b) no row rewritten" "$(xmins)" "$xmin_a"

# (c) An overlapping replay, through the PG* variables: the second half
# again with other amounts, 500 keys twice within one batch (the last
# wins), and new rows. Rows of the first half are not rewritten.
{
	gen $((N / 2)) 2000 2
	gen $((N / 2)) 500 3
	gen $((N / 2 + 2000)) $((N / 2 - 2000)) 2
	gen $N 3000 1
} >"$T/replay.ndjson"
first_half() {
	psql -X -Atc "SELECT sum(xmin::text::bigint) FROM sales_metrics WHERE split_part(metric_id, '/', 4)::int < $((N / 2))" \
		-c "SELECT sum(xmin::text::bigint) FROM alerts WHERE substr(alert_id, 2)::int < $((N / 2))" | tr '\n' ' '
}
xmin_a=$(first_half)
expect_status "(c) overlapping replay, pg:" 0 gm-cat -q -o "pg:" "$T/replay.ndjson"
cat "$T/in.ndjson" "$T/replay.ndjson" >"$T/c.all"
project "$T/c.all" >"$T/c.want"
dump_tables >"$T/c.db"
expect_same_file "(c) tables equal the input, the replay winning" "$T/c.db" "$T/c.want"
expect_eq "(c) row counts" "$(count)" "$(grep -c '"metric_id"' "$T/c.want") $(grep -c '"alert_id"' "$T/c.want")"
expect_eq "(c) first half not rewritten" "$(first_half)" "$xmin_a"

# (d) The server restarts in the middle of a run: the rows of the open
# batch are sent again after the reconnect, nothing lost, nothing doubled.
gen 100000 20000 1 >"$T/d.ndjson"
before=$(count)
mkfifo "$T/fifo"
exec 7<>"$T/fifo"
gm-cat -q -o "$URI" "$T/fifo" 2>"$T/d.err" 7>&- &
catpid=$!
timeout 60 head -n 15000 "$T/d.ndjson" >&7
want_first=$(($(echo "$before" | cut -d' ' -f1) + $(head -n 10000 "$T/d.ndjson" | grep -c sales_metric)))
for _ in $(seq 300); do
	[ "$(count | cut -d' ' -f1)" -ge "$want_first" ] && break
	sleep 0.1
done
# At least the first batch is in; the rest of the 15000 may be too, if
# the sink's linger sent it before the look (a loaded machine).
got_first=$(count | cut -d' ' -f1)
[ "$got_first" -ge "$want_first" ] || fail "(d) first 10000 committed before the restart: got [$got_first], want at least [$want_first]"
pg_restart 7>&-  # the server must not hold the FIFO open
timeout 60 tail -n +15001 "$T/d.ndjson" >&7
exec 7>&-
wait "$catpid"
expect_eq "(d) gm-cat across a restart (exit status)" $? 0
expect_grep "(d) reconnected" "back after" "$T/d.err"
cat "$T/c.all" "$T/d.ndjson" >"$T/d.all"
project "$T/d.all" >"$T/d.want"
dump_tables >"$T/d.db"
expect_same_file "(d) tables equal the input" "$T/d.db" "$T/d.want"
expect_eq "(d) row counts" "$(count)" "$(grep -c '"metric_id"' "$T/d.want") $(grep -c '"alert_id"' "$T/d.want")"

# (d2) A restart between batches, once the input has paused and the
# last batch is committed: the next batch finds the connection broken,
# says so, and reconnects; nothing lost.
gen 150000 200 1 >"$T/d2.ndjson"
before=$(count | cut -d' ' -f1)
exec 7<>"$T/fifo"
gm-cat -q -o "$URI" "$T/fifo" 2>"$T/d2.err" 7>&- &
catpid=$!
head -n 100 "$T/d2.ndjson" >&7
want_first=$((before + $(head -n 100 "$T/d2.ndjson" | grep -c sales_metric)))
for _ in $(seq 300); do
	[ "$(count | cut -d' ' -f1)" -ge "$want_first" ] && break
	sleep 0.1
done
expect_eq "(d2) first 100 committed on the pause" "$(count | cut -d' ' -f1)" "$want_first"
pg_restart 7>&-
tail -n +101 "$T/d2.ndjson" >&7
exec 7>&-
wait "$catpid"
expect_eq "(d2) gm-cat across a restart between batches (exit status)" $? 0
expect_grep "(d2) the broken connection reported" "retrying for up to" "$T/d2.err"
expect_grep "(d2) reconnected" "back after" "$T/d2.err"
expect_eq "(d2) every row there" "$(count | cut -d' ' -f1)" "$((before + $(grep -c sales_metric "$T/d2.ndjson")))"

# (d3) A server that goes away for longer than --retry-for: the rows
# committed before count as out, the batch it takes with it as not
# delivered, and the run ends 75.
gen 160000 200 1 >"$T/d3.ndjson"
before=$(count)
exec 7<>"$T/fifo"
gm-cat --retry-for 1s -o "$URI" "$T/fifo" 2>"$T/d3.err" 7>&- &
catpid=$!
head -n 100 "$T/d3.ndjson" >&7
for _ in $(seq 300); do
	[ "$(count)" != "$before" ] && break
	sleep 0.1
done
pg_stop 7>&-
tail -n +101 "$T/d3.ndjson" >&7
exec 7>&-
wait "$catpid"
expect_eq "(d3) a server gone for good (exit status)" $? 75
expect_grep "(d3) summary: 100 out, 100 not delivered" "gm-cat: 200 in, 100 out, 100 not delivered, 0 rejected" "$T/d3.err"
_pg_ctl_start || _pg_fail "the server did not start again on port $PG_PORT"
expect_eq "(d3) the 100 out are there" \
	"$(psql -X -Atc "SELECT count(*) FROM sales_metrics WHERE metric_id LIKE '%/16____'")$(psql -X -Atc "SELECT count(*) FROM alerts WHERE alert_id LIKE '%16____'")" \
	"$(head -n 100 "$T/d3.ndjson" | grep -c sales_metric)$(head -n 100 "$T/d3.ndjson" | grep -c '"alert"')"

# (e) An unreachable server: 75, after --retry-for, with a message.
port=$(free_port)
start=$(date +%s%N)
gm-cat -q --retry-for 2s -o "postgresql://postgres:$PW@127.0.0.1:$port/gm" "$T/in.ndjson" 2>"$T/e.err"
expect_eq "(e) unreachable server (exit status)" $? 75
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$ms" -lt 1800 ] || [ "$ms" -gt 15000 ]; then fail "(e) gave up after $ms ms, not about 2 s"; fi
expect_grep "(e) message" "127.0.0.1:$port: unreachable for 2 s, giving up: cannot connect" "$T/e.err"

# (f) A record of a type with no table, one missing a required column and
# one with a mistyped column: exit 1, said clearly, and the rest written.
{
	gen 200000 3 1
	echo '{"type":"page_view","ts":"2026-11-24T10:00:00.000Z"}'
	gen 200003 1 1 | sed 's/"window_start":"[^"]*",//'
	gen 200004 1 1 | sed 's/"revenue":\([0-9.]*\)/"revenue":"\1"/'
	gen 200005 3 1
} >"$T/f.ndjson"
before=$(count)
expect_status "(f) bad records, postgres://" 1 gm-cat -q -o "${URI/postgresql:/postgres:}" "$T/f.ndjson" 2>"$T/f.err"
expect_grep "(f) unknown type" 'postgresql: no table for records of type "page_view"' "$T/f.err"
expect_grep "(f) missing column" 'postgresql: sales_metric "[^"]*/200003" not written: missing field "window_start"' "$T/f.err"
expect_grep "(f) mistyped column" 'postgresql: sales_metric "[^"]*/200004" not written: field "revenue": expected a number, got a string' "$T/f.err"
expect_eq "(f) the rest written" \
	"$(psql -X -Atc "SELECT count(*) FROM sales_metrics WHERE metric_id ~ '/20000[0-7]\$'") $(psql -X -Atc "SELECT count(*) FROM alerts WHERE alert_id >= 'a000200000'")" \
	"5 1"

# (f2) A window's revenue is a sum of amounts: the $1T limit of a single
# amount is not its limit; the largest count of cents a tool holds is,
# and the column holds that.
big() { # ID REVENUE AVG (sed, not jq, which rounds to a double)
	gen 210000 1 1 | sed -E "s|\"metric_id\":\"[^\"]*\"|\"metric_id\":\"$1\"|;
		s/\"revenue\":[0-9.]+/\"revenue\":$2/; s/\"avg_order_value\":[0-9.]+/\"avg_order_value\":$3/"
}
{
	big big/1 5000000000000 2500000000000
	big big/2 92233720368547758.07 92233720368547758.07
	big big/3 92233720368547758.08 1
} >"$T/f2.ndjson"
gm-cat -q -o "pg:" "$T/f2.ndjson" 2>"$T/f2.err"
expect_eq "(f2) one total too large (exit status)" $? 1
expect_eq "(f2) totals beyond \$1T written" \
	"$(psql -X -Atc "SELECT string_agg(metric_id || ' ' || revenue || ' ' || avg_order_value, ', ' ORDER BY metric_id)
		FROM sales_metrics WHERE metric_id LIKE 'big/%'")" \
	"big/1 5000000000000.00 2500000000000.00, big/2 92233720368547758.07 92233720368547758.07"
expect_eq "(f2) the one beyond 64-bit cents refused" "$(cat "$T/f2.err")" \
	'gm-cat: postgresql: sales_metric "big/3" not written: field "revenue": 92233720368547758.08 is out of range (0 to 92233720368547758.07)'

# (i) inventory_status: one row per product, the latest record winning
# (a product's stock, upserted), and "the ten products closest to
# running out", as gm-events(5) writes it, one scan of the first ten
# entries of an index. An alert's status, absent or given, in its column.
awk 'BEGIN {
	split("ok low out", st, " ")
	for (v = 1; v <= 2; v++)
		for (i = 0; i < 5000; i++) {
			if (v == 2 && i % 7) continue
			rp = i % 50; oh = (i * 7919 + v * 13) % 400 - 20
			s = i % 97 == 0 ? "unknown" : oh <= 0 ? "out" : oh <= rp ? "low" : "ok"
			printf "{\"type\":\"inventory_status\",\"product_id\":\"p%06d\",\"ts\":\"2026-11-24T10:0%d:00.000Z\",", i, v
			if (s != "unknown") printf "\"name\":\"Product %d\",\"category\":\"books\",", i
			printf "\"on_hand\":%d,\"reorder_point\":%d,\"status\":\"%s\",", oh, rp, s
			printf "\"last_change\":\"2026-11-24T10:00:00.000Z\",\"sold\":%d,", i % 9
			printf "\"window_start\":\"2026-11-24T10:0%d:00.000Z\",\"window_end\":\"2026-11-24T10:0%d:00.000Z\",", v - 1, v
			printf "\"source\":\"gm-inventory\"}\n"
		}
	print "{\"type\":\"alert\",\"alert_id\":\"inv-1\",\"ts\":\"2026-11-24T10:00:00.000Z\",\"kind\":\"low_stock\",\"severity\":\"warning\",\"source\":\"gm-inventory\",\"summary\":\"p000001 is low\",\"labels\":{\"product_id\":\"p000001\"}}"
	print "{\"type\":\"alert\",\"alert_id\":\"inv-2\",\"ts\":\"2026-11-24T11:00:00.000Z\",\"kind\":\"low_stock\",\"severity\":\"warning\",\"source\":\"gm-inventory\",\"summary\":\"p000001 is back\",\"labels\":{\"product_id\":\"p000001\"},\"status\":\"resolved\"}"
}' >"$T/i.ndjson"
expect_status "(i) inventory_status and alerts with a status" 0 gm-cat -q -o "pg:" "$T/i.ndjson"
expect_eq "(i) one row per product" "$(psql -X -Atc "SELECT count(*) FROM inventory_status")" 5000
TOP10="SELECT product_id, name, on_hand, reorder_point, status FROM inventory_status WHERE status <> 'unknown' ORDER BY on_hand - reorder_point, product_id LIMIT 10"
grep -q "$(echo "$TOP10" | sed 's/ FROM.*//')" "$TOP/man/gm-events.5" || fail "(i) gm-events(5) no longer gives the query"
expect_eq "(i) the ten closest to running out, the latest record of each" \
	"$(psql -X -At -F ' ' -c "$TOP10")" \
	"$(jq -sr 'map(select(.type == "inventory_status")) | reduce .[] as $r ({}; .[$r.product_id] = $r) | [.[]]
		| map(select(.status != "unknown")) | sort_by(.on_hand - .reorder_point, .product_id) | .[:10][]
		| "\(.product_id) \(.name) \(.on_hand) \(.reorder_point) \(.status)"' "$T/i.ndjson")"
psql -X -q -c "ANALYZE inventory_status"
psql -X -At -c "EXPLAIN (COSTS OFF) $TOP10" >"$T/i.plan"
expect_grep "(i) the query scans the index" "Index Scan using inventory_status_headroom_idx" "$T/i.plan"
grep -qE "Sort|Seq Scan" "$T/i.plan" && fail "(i) the query sorts or scans the table: $(cat "$T/i.plan")"
expect_eq "(i) an alert's status" \
	"$(psql -X -Atc "SELECT string_agg(alert_id || ':' || coalesce(status, 'NULL'), ' ' ORDER BY alert_id) FROM alerts WHERE alert_id LIKE 'inv-%'")" \
	"inv-1:NULL inv-2:resolved"

# (h) A database made by the first scripts/schema.sql: the sink upgrades
# it when it connects, says so, and keeps its rows; it is then the same
# as a new one. When old rows lack a value a column now requires, the
# upgrade is refused, with the reason, and nothing changes.
old_db() { # NAME: a database with the first tables, and rows in them
	psql -X -q -d postgres -c "CREATE DATABASE $1" &&
	psql -X -q -v ON_ERROR_STOP=1 -d "$1" -f "$TOP/tests/golden/schema-1.sql" -c "
		INSERT INTO sales_metrics VALUES
		('2026-11-24T10:00:00.000Z/60s/UK/books', '2026-11-24T10:00:00Z', '2026-11-24T10:01:00Z',
		 'UK', 'books', 10.5, 2, 3, 5.25, 2, 'gm-txmon'),
		('2026-11-24T10:00:00.000Z/60s/*/*', '2026-11-24T10:00:00Z', '2026-11-24T10:01:00Z',
		 '*', '*', 20, 3, 4, 6.67, 3, 'gm-txmon')"
}
old_db old || fail "(h) cannot make the old database"
gen 300000 20 1 >"$T/h.ndjson"
gm-cat -q -o "pg:dbname=old" "$T/h.ndjson" 2>"$T/h.err"
expect_eq "(h) into the old tables (exit status)" $? 0
expect_eq "(h) the upgrade said, once" "$(cat "$T/h.err")" \
	"gm-cat: postgresql: warning: database \"old\" on $PGHOST:$PGPORT: upgraded the tables of an earlier gm to scripts/schema.sql (column sales_metrics.country: text, not text NOT NULL)"
expect_eq "(h) old rows kept, with their grain and window length" \
	"$(psql -X -d old -Atc "SELECT string_agg(grain || ' ' || window_length || ' ' || revenue, ', ' ORDER BY grain)
		FROM sales_metrics WHERE metric_id LIKE '2026-11-24T10:00:00.000Z/%'")" \
	"detail 00:01:00 10.50, total 00:01:00 20.00"
expect_eq "(h) new rows written" "$(psql -X -d old -Atc "SELECT count(*) FROM sales_metrics")" \
	"$((2 + $(grep -c sales_metric "$T/h.ndjson")))"
# The same catalog as a new database's (gm, made in (a)).
"$PG_BIN/pg_dump" -X -s -d gm >"$T/h.new.sql" 2>&1
"$PG_BIN/pg_dump" -X -s -d old >"$T/h.old.sql" 2>&1
expect_same_file "(h) the upgraded tables equal new ones (pg_dump -s)" "$T/h.old.sql" "$T/h.new.sql"
if [ -x "$HELPERS/test_pg" ]; then
	GM_PG_CONNINFO="$GM_PG_CONNINFO dbname=old" CK_RUN_CASE=server "$HELPERS/test_pg" >"$T/h.schema.out" 2>&1 ||
		fail "(h) schema check of the upgraded database: $(cat "$T/h.schema.out")"
fi
gm-cat -q -o "pg:dbname=old" "$T/h.ndjson" 2>"$T/h2.err"
expect_eq "(h) again: nothing to upgrade (exit status)" $? 0
[ -s "$T/h2.err" ] && fail "(h) again: stderr: $(head -3 "$T/h2.err")"
old_db old_null && psql -X -q -d old_null -c "UPDATE sales_metrics SET units = NULL WHERE country = 'UK'" ||
	fail "(h) cannot make the second old database"
"$PG_BIN/pg_dump" -X -s -d old_null >"$T/h.null.before" 2>&1
gm-cat -q -o "pg:dbname=old_null" "$T/h.ndjson" 2>"$T/h3.err"
expect_eq "(h) an old row lacks units (exit status)" $? 1
expect_eq "(h) the upgrade refused, with the reason" "$(cat "$T/h3.err")" \
	"gm-cat: postgresql: database \"old_null\" on $PGHOST:$PGPORT: upgrading the tables to scripts/schema.sql: column \"units\" of relation \"sales_metrics\" contains null values"
"$PG_BIN/pg_dump" -X -s -d old_null >"$T/h.null.after" 2>&1
expect_same_file "(h) a refused upgrade changes nothing" "$T/h.null.after" "$T/h.null.before"

# (g) The password never shows, whatever went wrong.
gm-cat -q --retry-for 0 -o "postgresql://postgres:$PW@127.0.0.1:$PGPORT/nosuchdb" "$T/in.ndjson" 2>"$T/g1.err"
expect_eq "(g) unknown database (exit status)" $? 1
expect_grep "(g) unknown database message" 'database "nosuchdb" does not exist' "$T/g1.err"
gm-cat -q -o "postgresql://postgres:$PW@127.0.0.1:$PGPORT/gm?bogus=1" "$T/in.ndjson" 2>"$T/g2.err"
expect_eq "(g) bad URI (exit status)" $? 1
gm-cat -q -o "postgresql://postgres:$PW@127.0.0.1:x$PGPORT/gm" "$T/in.ndjson" 2>"$T/g3.err"
expect_eq "(g) bad port (exit status)" $? 1
gm-cat -q -o "pg:host=127.0.0.1 port=$PGPORT password=$PW dbname=gm bogus=1" "$T/in.ndjson" 2>"$T/g4.err"
expect_eq "(g) bad conninfo (exit status)" $? 1
expect_grep "(g) password= in a conninfo: warned" "holds a password.*PGPASSWORD.*pgpass.*PGPASSFILE" "$T/g4.err"
head -n 100 "$T/in.ndjson" | gm-cat -q -o "postgresql://postgres@127.0.0.1:$PGPORT/gm?password=$PW" - 2>"$T/g5.err"
expect_eq "(g) ?password= in a URI (exit status)" $? 0
expect_eq "(g) ?password= in a URI: warned once" "$(grep -c "holds a password" "$T/g5.err")" 1
for f in "$T"/*.err; do
	if grep -q -- "$PW" "$f"; then fail "(g) the password shows in $(basename "$f"): $(grep -- "$PW" "$f" | head -1)"; fi
done
finish

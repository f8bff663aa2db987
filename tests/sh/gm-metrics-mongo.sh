#!/usr/bin/env bash
# gm-metrics and MongoDB: --mongo over the warehouse gm-etl -w
# mongodb:// wrote says it is up, its connections (serverStatus), and
# for each warehouse collection there the documents gm-etl wrote and a
# size (collStats), none for a collection that is not there; promtool
# finds nothing to say, and a real Prometheus that scraped it has the
# series the dashboard and the alerting rules ask of MongoDB. A URI
# that is not one is a usage error; a server that accepts and never
# answers, or none, is gm_mongodb_up 0; a server that stops while
# gm-metrics runs is down while gm-metrics goes on. Against CongoDB,
# or a real mongod named by GM_TEST_MONGO_URI (tests/helpers/mongo.sh).
. "$(dirname "$0")/../lib.sh"
. "$TESTS/prometheus.sh"
. "$TESTS/helpers/mongo.sh"
G=$TESTS/golden/etl

command -v promtool >/dev/null && command -v prometheus >/dev/null ||
	skip_or_fail "no prometheus or promtool (Debian's prometheus)"
command -v jq >/dev/null || skip_or_fail "jq is not installed"
mongo_start
U=$GM_MONGO_URI
value() { awk -v s="$2" 'index($0, s " ") == 1 { print $2 }' "$1"; }
check_page() { promtool check metrics <"$1" >"$T/promtool" 2>&1 || fail "$2: promtool: $(cat "$T/promtool")"; }

expect_status "gm-etl day 1" 0 gm-etl -q -w "$U" "$G/catalog.ndjson" "$G/day1.ndjson"
expect_status "gm-etl day 2" 0 gm-etl -q -w "$U" "$G/day2.ndjson" 2>/dev/null
expect_status "gm-etl day 3" 0 gm-etl -q -w "$U" -l "$T/late" "$G/day3.ndjson"
tables=$(cd "$G/expected" && ls | sed 's/\.ndjson$//' | sort)

expect_status "--mongo --once" 0 gm-metrics -q --once --no-host --mongo "$U" --textfile "$T/page"
check_page "$T/page" "--mongo"
expect_eq "gm_mongodb_up" "$(value "$T/page" gm_mongodb_up)" 1
if [ -z "${GM_TEST_MONGO_URI:-}" ]; then
	# CongoDB counts the connections open now: gm-metrics's own.
	expect_eq "gm_mongodb_connections" "$(value "$T/page" gm_mongodb_connections)" 1
fi
collections() { grep -o "^$1{collection=\"[a-z_]*\"}" "$T/page" | cut -d '"' -f 2 | sort; }
expect_eq "documents: the warehouse's collections gm-etl wrote, no other" \
	"$(collections gm_mongodb_collection_documents)" "$tables"
expect_eq "size: the same collections" "$(collections gm_mongodb_collection_size_bytes)" "$tables"
for t in $tables; do
	expect_eq "$t: the documents gm-etl wrote" \
		"$(value "$T/page" "gm_mongodb_collection_documents{collection=\"$t\"}")" "$(wh-mongo "$U" count "$t")"
	expect_eq "$t: a size" \
		"$(value "$T/page" "gm_mongodb_collection_size_bytes{collection=\"$t\"}" | awk '{ print ($1 > 0) }')" 1
done

# The dashboard's and the alerting rules' MongoDB expressions, asked of
# a real Prometheus that scraped gm-metrics --listen (the others:
# gm-metrics-grafana.sh).
port=$(free_port) || skip_or_fail "no free port"
gm-metrics -q --listen "127.0.0.1:$port" --no-host --every 300ms --mongo "$U" 2>"$T/listen.err" &
at_exit "kill $! 2>/dev/null"
prom_start "$port"
pq() { prom_query "$1"; }
{
	jq -r '.panels[] | select(.datasource.uid == "gm-prometheus") | .targets[].expr' \
		"$TOP/scripts/grafana/dashboards/gm-pipeline.json"
	sed -n 's/^ *expr: //p' "$TOP/scripts/prometheus/gm-rules.yml" | sed -E 's/\s*(==|<|>)\s*[0-9.]+\s*$//'
} | grep gm_mongodb | sort -u >"$T/exprs"
for _ in $(seq 150); do [ "$(pq gm_mongodb_up 2>/dev/null)" = 1 ] && break; sleep 0.2; done
while read -r e; do
	n=$(pq "$e")
	[[ $n =~ ^[1-9][0-9]*$ ]] || fail "PromQL \"$e\": ${n:-no answer} series"
done <"$T/exprs"
expect_eq "MongoDB expressions asked" "$(($(wc -l <"$T/exprs") >= 2))" 1

expect_status "--mongo that is no MongoDB URI" 2 gm-metrics --once --no-host --mongo "http://127.0.0.1:1" --textfile "$T/x" 2>/dev/null

# A server that takes the connection and says nothing.
port=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); print("ready", flush=True)
held = []
while True:
    c, _ = s.accept(); held.append(c)' "$port" >"$T/silent.out" &
silent=$!
at_exit "kill $silent 2>/dev/null"
for _ in $(seq 100); do [ -s "$T/silent.out" ] && break; sleep 0.1; done
expect_status "a silent server" 0 gm-metrics -q --once --no-host --mongo "mongodb://127.0.0.1:$port/x" --textfile "$T/silent" 2>/dev/null
expect_eq "a silent server: gm_mongodb_up 0" "$(value "$T/silent" gm_mongodb_up)" 0
kill "$silent" 2>/dev/null

# The server stops while gm-metrics runs.
if [ -z "${GM_TEST_MONGO_URI:-}" ]; then
	gm-metrics -q --no-host --mongo "$U" --every 100ms --textfile "$T/live" 2>"$T/live.err" &
	live=$!
	wait_page() {
		local i
		for i in $(seq 300); do
			[ "$(value "$T/live" gm_mongodb_up 2>/dev/null)" = "$2" ] && { ok "$1"; return 0; }
			sleep 0.1
		done
		fail "$1: gm_mongodb_up never $2"
	}
	wait_page "running: up" 1
	mongo_stop
	wait_page "the server stopped: down" 0
	kill -0 "$live" 2>/dev/null || fail "gm-metrics ended when the server stopped"
	check_page "$T/live" "server down"
	expect_eq "down: nothing else of MongoDB" "$(grep -c '^gm_mongodb_' "$T/live")" 1
	kill -TERM "$live"
	wait "$live"
	expect_eq "gm-metrics, ended by SIGTERM: exit status" $? 0
	expect_eq "said down once" "$(grep -c 'mongo: warning: does not answer' "$T/live.err")" 1
fi
finish

# gm-report --listen: the served page and its API agree, in Chromium.
# 45 days of gm-produce history through gm-etl and gm-rfm (two
# snapshots, so a migration), and the stream tools' alerts, stock and
# sessions, served with a token; the page at / (no data in it) is
# driven by tests/report-page.mjs, which asks the API for the filter the
# page shows after each change (the whole period, a country and a date
# range, a category, a segment, a grain, a preset, a reset) and compares
# every KPI card and every table's cells with the endpoints' answers.
# Then a day more of sales goes into the warehouse while the page is
# open: the server reads it again, the page's data comes again on its
# own, its KPIs equal tests/report-check.py's from the raw events of the
# 46 days, and the API agrees with it again. The API's own KPIs for the
# whole period equal report-check.py's too, to the cent.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/report.sh"
browser_test gm-report-api || finish
cd "$T" || exit 1


# ---- the warehouse and the stream tools' output ----
gm-produce -q -r 0 -s 31 --start 2026-10-15T00:00:00Z -d 45d --event-rate 0.03 \
	--products 80 --users 8000 --catalog catalog.ndjson -o events.ndjson
expect_status "gm-etl" 0 gm-etl -q -w wh catalog.ndjson events.ndjson
expect_status "gm-rfm as of 2026-11-10" 0 gm-rfm -q -w wh --as-of 2026-11-10
expect_status "gm-rfm as of 2026-11-25, against 11-10" 0 gm-rfm -q -w wh --as-of 2026-11-25 --compare 2026-11-10
# (in their own folder: stream_input writes its own events.ndjson)
mkdir s
(
	cd s || exit 1
	stream_input || fail "the stream tools' input"
	expect_status "gm-inventory" 0 gm-inventory -q -o inventory.ndjson -a inventory.alerts stock-input.ndjson
	expect_status "gm-session" 0 gm-session -q "${STREAM_SESSION_RULES[@]}" \
		-o sessions.ndjson -a sessions.alerts events.ndjson 2>/dev/null
	expect_status "gm-txmon" 0 gm-txmon -q -o /dev/null -a txmon.alerts events.ndjson
	finish
) || fail "the stream tools' output"

# ---- served ----
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >token
port=$(free_port) || skip_or_fail "no free port"
gm-report -w wh -s s/txmon.alerts -s s/sessions.alerts -s s/inventory.alerts -s s/inventory.ndjson \
	-s s/sessions.ndjson --listen "127.0.0.1:$port" --token-file token --reload-every 1s 2>server.err &
server=$!
at_exit "kill $server 2>/dev/null"
base="http://127.0.0.1:$port"
auth="Authorization: Bearer $(cat token)"
for _ in $(seq 100); do curl -sf -H "$auth" "$base/api/v1/kpis" -o kpis.json && break; sleep 0.1; done
expect_eq "the API answers" "$(jq -r '.kpis.revenue.value != null' kpis.json 2>/dev/null)" true

# The API's own KPIs of the whole period, against the raw events.
python3 "$TESTS/report-check.py" events.ndjson >whole || fail "report-check.py"
expect_eq "kpis of the whole period, as computed from the events" \
	"$(jq -c '.kpis | {revenue: (.revenue.value * 100 | round | tostring | .[:-2] + "." + .[-2:]),
		orders: (.orders.value | tostring), customers: (.customers.value | tostring),
		avg_order_value: (.avg_order_value.value * 100 | round | tostring | .[:-2] + "." + .[-2:])}' kpis.json)" \
	"$(sed -n 's/^kpis all //p' whole)"

# ---- the page against the API ----
# (gm-produce numbers each run's transactions from 1: these get ids of
# their own, as a shop's next day has)
gm-produce -q -r 0 -s 32 --start 2026-11-29T00:00:00Z -d 1d --event-rate 0.03 \
	--products 80 --users 8000 | jq -c 'if .transaction_id then .transaction_id = "d46-" + .transaction_id else . end' >day46.ndjson
# The server's reads hold the folder's lock a moment each second: a run
# that meets it exits 75 (try again later), and is tried again, as cron
# would.
etl='for _ in $(seq 100); do gm-etl -q -w wh catalog.ndjson day46.ndjson; s=$?; [ $s = 75 ] || exit $s; sleep 0.1; done; exit 75'
seg=$(curl -s -H "$auth" "$base/api/v1/segments" | jq -r '.segments[0].segment')
jq -n --arg seg "$seg" --arg etl "$etl" '[
	{name: "load-api", api: true},
	{name: "uk-days", filter: {from: "2026-11-01", to: "2026-11-24", country: "UK"}},
	{name: "uk-days-api", api: true},
	{name: "uk-days-books", filter: {category: "books"}},
	{name: "uk-days-books-api", api: true},
	{name: "segment", filter: {segment: $seg}},
	{name: "segment-api", api: true},
	{name: "month", filter: {grain: "month"}},
	{name: "month-api", api: true},
	{name: "reset", reset: true},
	{name: "last7", filter: {range: "7"}},
	{name: "last7-api", api: true},
	{name: "reset2", reset: true},
	{name: "reset2-api", api: true},
	{exec: ["sh", "-c", $etl]},
	{name: "refreshed", refreshed: true},
	{name: "refreshed-api", api: true}
]' >steps.json
node "$TESTS/report-page.mjs" "$base/#token=$(cat token)&refresh=1" "$ART" steps.json >drive.out 2>drive.err ||
	{ fail "report-page.mjs found faults:"; head -20 drive.err >&2; }
cp drive.out drive.err server.err "$ART/" 2>/dev/null
expect_eq "the API asked after each filter" "$(sed -n 's/^api \([^ ]*\) .*/\1/p' drive.out | tr '\n' ' ')" \
	"load-api uk-days-api uk-days-books-api segment-api month-api last7-api reset2-api refreshed-api "
# Tables with rows, of the ten, at first: all (the alerts' counts too).
expect_eq "every table compared had rows at first" "$(sed -n 's/^api load-api //p' drive.out)" 10

# The page's data came again with the day more: its KPIs are those of
# the 46 days' events.
cat events.ndjson day46.ndjson >all.ndjson
python3 "$TESTS/report-check.py" all.ndjson >whole46 || fail "report-check.py"
expect_eq "after the warehouse changed, the page's KPIs are the 46 days'" \
	"$(sed -n 's/^kpis refreshed //p' drive.out)" "$(sed -n 's/^kpis all //p' whole46)"
[ "$(sed -n 's/^kpis refreshed //p' drive.out)" != "$(sed -n 's/^kpis load //p' drive.out)" ] ||
	fail "the refreshed KPIs are those of before"

kill "$server"
wait "$server"
expect_eq "SIGTERM: status 0" $? 0
finish

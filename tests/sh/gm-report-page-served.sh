# gm-report's page served by gm-report --listen, in a real browser
# (tests/report-page.mjs): the page fetches its data with the token of
# its address (#token=...&refresh=1), and shows what the API answers for
# its filter; the warehouse gets a day more while the page is open, and
# the page redraws the new data under the filters chosen: a preset's
# last 7 days end on the new last day, a range chosen past the data is
# clipped to the new days, the country and category stay; a wrong token
# (a 401) and a server gone show #served-error and leave the figures
# shown, and the notice goes with the next fetch that succeeds. Opened
# without a token, the page is not drawn and says why.
#
# The driver's output and screenshots are kept in
# $GM_TEST_ARTIFACTS/gm-report-page-served (default
# build/test-artifacts/gm-report-page-served). Without node, chromium
# or playwright-core (scripts/install-deps) the test is skipped, and
# fails under CI=true.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/report.sh"

browser_test gm-report-page-served || finish
command -v jq >/dev/null || skip_or_fail "jq is not installed"
command -v curl >/dev/null || skip_or_fail "curl is not installed"
cd "$T" || exit 1

# The warehouse of tests/golden/report (2026-11-01 to 11-04; USA and
# Canada; books and toys), two snapshots.
gm-etl -q -w wh "$TESTS/golden/report/events.ndjson" 2>/dev/null
gm-rfm -q -w wh --as-of 2026-11-02
gm-rfm -q -w wh --as-of 2026-11-03 --compare 2026-11-02
# sale ID DAY AMOUNT: a transaction of u1 in the USA, one line of books.
sale() {
	printf '{"type":"transaction","transaction_id":"%s","ts":"%sT10:00:00.000Z","user_id":"u1","session_id":"s-%s","country":"USA","payment_method":"card","items":[{"product_id":"p1","category":"books","quantity":1,"unit_price":%s}],"total_amount":%s}\n' \
		"$1" "$2" "$1" "$3" "$3"
}
sale t7 2026-11-05 50.00 >day5.ndjson
sale t8 2026-11-06 4.00 >day6.ndjson

token=served-page-token-0123456789
echo "$token" >token
port=$(free_port) || skip_or_fail "no free port"
U=http://127.0.0.1:$port
# serve: gm-report --listen in the background, its pid in srv.pid, its
# messages added to srv.err; the page's driver runs it again.
cat >serve <<EOF
#!/bin/sh
gm-report -w wh --listen 127.0.0.1:$port --token-file token --reload-every 1s 2>>srv.err &
echo \$! >srv.pid
EOF
chmod +x serve
# up: until the server answers the token's requests.
up() {
	for _ in $(seq 100); do
		curl -sf -o /dev/null -H "Authorization: Bearer $token" "$U/api/v1/kpis" && return 0
		sleep 0.1
	done
	return 1
}
./serve
# The pid is read at exit: the driver starts the server again.
# shellcheck disable=SC2016
at_exit 'kill "$(cat "$T/srv.pid")" 2>/dev/null'
up || { fail "gm-report --listen did not answer: $(cat srv.err)"; finish; }

# ---- opened without the token: not drawn, and why ----
cat >notoken.mjs <<'JS'
const [dir, url, exe] = process.argv.slice(2);
const { chromium } = await import(dir + '/node_modules/playwright-core/index.mjs');
const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox'] });
try {
	const page = await browser.newPage();
	await page.goto(url);
	await page.waitForSelector('#served-error:not([hidden])', { timeout: 30000 });
	console.log(`ready ${await page.evaluate(() => document.body.dataset.ready)}`);
	console.log(`notice ${await page.textContent('#served-error')}`);
} finally {
	await browser.close();
}
JS
node notoken.mjs "$GM_PLAYWRIGHT_DIR" "$U/" "${GM_CHROMIUM:-/usr/bin/chromium}" >notoken.out 2>notoken.err ||
	fail "the page without a token: $(head -3 notoken.err)"
expect_grep "without a token: not drawn" "^ready 0$" notoken.out
expect_grep "without a token: the notice says 401 and how to give one" \
	"^notice Could not load the data: 401: the token is missing or wrong (add #token=TOKEN to the address)" notoken.out

# ---- opened with it: the data, the days more, the failures ----
jq -n --arg token "$token" --arg wh "$T/wh" --arg day5 "$T/day5.ndjson" --arg day6 "$T/day6.ndjson" \
	--arg serve "$T/serve" --arg pid "$T/srv.pid" '[
	{name: "usa-books-7", filter: {range: "7", country: "USA", category: "books"}},
	{name: "api-usa-books-7", api: true},
	{exec: ["gm-etl", "-q", "-w", $wh, $day5]},
	{name: "day5", refreshed: true},
	{name: "api-day5", api: true},
	{name: "custom", filter: {from: "2026-11-02", to: "2026-12-31"}},
	{exec: ["gm-etl", "-q", "-w", $wh, $day6]},
	{name: "day6", refreshed: true},
	{name: "api-day6", api: true},
	{hash: ("#token=wrong-" + $token + "&refresh=1")},
	{name: "wrong-token", served_error: "401: the token is missing or wrong"},
	{hash: ("#token=" + $token + "&refresh=1")},
	{name: "right-token", served_error: null},
	{exec: ["sh", "-c", ("kill $(cat " + $pid + ")")]},
	{name: "gone", served_error: "no answer from the server"},
	{exec: ["sh", "-c", ("cd \"$(dirname " + $serve + ")\" && ./serve")]},
	{name: "back", served_error: null},
	{name: "api-back", api: true},
	{screenshots: ""}
]' >steps.json
node "$TESTS/report-page.mjs" \
	--allow-console '^Failed to load resource: (the server responded with a status of 401|net::ERR_CONNECTION_REFUSED)' \
	"$U/#token=$token&refresh=1" "$ART" steps.json >drive.out 2>drive.err ||
	{ fail "report-page.mjs found faults:"; head -20 drive.err >&2; }
cp drive.out drive.err srv.err "$ART/"

# state NAME KEY: a filter's or a KPI's value printed after step NAME.
state() { sed -n "s/^$1 $2 //p" drive.out | jq -r ".$3"; }
expect_eq "the API agreed with the page, each time" "$(grep -c '^api ' drive.out)" 4
expect_eq "loaded: the whole period" "$(state filters load range) $(state kpis load revenue)" "all 135.75"

# The last 7 days of USA's books, then a day more: the range moves to
# end on it, the names stay, the day's 50.00 is in.
expect_eq "7 days" "$(state filters usa-books-7 from) $(state filters usa-books-7 to)" "2026-10-29 2026-11-04"
expect_eq "a day more: 7 days up to it, USA, books" \
	"$(state filters day5 range) $(state filters day5 from) $(state filters day5 to) $(state filters day5 country) $(state filters day5 category)" \
	"7 2026-10-30 2026-11-05 USA books"
before=$(state kpis usa-books-7 revenue)
expect_eq "a day more: its revenue added" "$(state kpis day5 revenue)" "$(awk -v a="$before" 'BEGIN { printf "%.2f", a + 50 }')"

# Days chosen past the data: clipped to the days of the next data.
expect_eq "chosen past the data" "$(state filters custom from) $(state filters custom to)" "2026-11-02 2026-12-31"
expect_eq "another day: clipped to it" \
	"$(state filters day6 range) $(state filters day6 from) $(state filters day6 to) $(state filters day6 country)" \
	"custom 2026-11-02 2026-11-06 USA"
before=$(state kpis custom revenue)
expect_eq "another day: its revenue added" "$(state kpis day6 revenue)" "$(awk -v a="$before" 'BEGIN { printf "%.2f", a + 4 }')"

# A wrong token, a server gone: the notice, the figures as they were.
day6=$(sed -n 's/^kpis day6 //p' drive.out)
for s in wrong-token gone; do
	expect_eq "$s: the figures kept" "$(sed -n "s/^kpis $s //p" drive.out)" "$day6"
	expect_eq "$s: the filters kept" "$(sed -n "s/^filters $s //p" drive.out)" "$(sed -n 's/^filters day6 //p' drive.out)"
done
expect_grep "a wrong token: the notice, and the data kept" \
	'^served_error wrong-token Could not refresh the data: 401: the token is missing or wrong. Showing the data generated ' drive.out
expect_grep "the right token again: no notice" '^served_error right-token -$' drive.out
expect_grep "the server gone: the notice" '^served_error gone Could not refresh the data: no answer from the server' drive.out
expect_grep "the server back: no notice" '^served_error back -$' drive.out
expect_eq "the server back: the same figures" "$(sed -n 's/^kpis back //p' drive.out)" "$day6"

# The 401s the page caused are the server's to log.
expect_grep "the wrong token's 401, logged" "GET /api/v1/data: 401 " srv.err
finish

# shellcheck shell=bash
# tests/report.sh: what gm-report's shell tests share. Source it after
# tests/lib.sh, in the test's folder:
#
#   page_data FILE     the data of gm-report's page FILE (its
#                      script#gm-data), JSON as written
#   page_streams FILE  its members alerts, inventory and sessions, one
#                      line each
#   stream_input       makes the stream tools' input of 30 hours of a
#                      shop in the current folder: events.ndjson (seed
#                      7, 300 users, 12 products, 2% anomalies),
#                      catalog.ndjson, and stock-input.ndjson, the
#                      catalog with small stocks (80, reorder at 25),
#                      restocks of 150 every 8 hours and the events, in
#                      time order, so that products run low and out and
#                      their alerts resolve; STREAM_SESSION_RULES, the
#                      session rules (an array) under which carts are
#                      abandoned and recovered by the hundred

# browser_test NAME: what a test in Chromium needs, or skip_or_fail; ART,
# its artifacts' folder (emptied), made; GM_PLAYWRIGHT_DIR exported.
# False only when ART cannot be made (after fail): the test finishes.
browser_test() {
	ART=${GM_TEST_ARTIFACTS:-$BUILD/test-artifacts}/$1
	if ! { rm -rf "$ART" && mkdir -p "$ART"; }; then fail "cannot make $ART"; return 1; fi
	export GM_PLAYWRIGHT_DIR=${GM_PLAYWRIGHT_DIR:-/opt/gm/playwright}
	command -v node >/dev/null || skip_or_fail "node is not installed (scripts/install-deps)"
	[ -x "${GM_CHROMIUM:-/usr/bin/chromium}" ] || skip_or_fail "no ${GM_CHROMIUM:-/usr/bin/chromium} (scripts/install-deps: chromium)"
	[ -f "$GM_PLAYWRIGHT_DIR/node_modules/playwright-core/index.mjs" ] ||
		skip_or_fail "no playwright-core in $GM_PLAYWRIGHT_DIR (scripts/install-deps)"
	return 0
}

page_data() { sed -n '/id="gm-data"/,/<\/script>/p' "$1" | sed '1d;$d'; }
page_streams() { page_data "$1" | jq -c '.alerts, .inventory, .sessions'; }

# shellcheck disable=SC2034  # used by the tests that source this
STREAM_SESSION_RULES=(--gap 3m --abandon-after 5m --recover-within 1h)
stream_input() {
	gm-produce -q -s 7 --start=2026-11-23T20:00:00Z -n 20000 -d 30h --users 300 --products 12 -r 0 \
		--anomaly-rate 0.02 --catalog catalog.ndjson -o events.ndjson || return 1
	jq -c '.stock = 80 | .reorder_point = 25' catalog.ndjson >products.ndjson || return 1
	local h
	for h in 2026-11-24T04 2026-11-24T12 2026-11-24T20; do
		jq -r .product_id catalog.ndjson | while read -r p; do
			printf '{"type":"restock","restock_id":"r-%s-%s","ts":"%s:00:00.000Z","product_id":"%s","quantity":150}\n' \
				"$p" "$h" "$h" "$p"
		done
	done >restocks.ndjson
	cat products.ndjson restocks.ndjson events.ndjson | sed 's/^\(.*"ts":"\([^"]*\)".*\)$/\2\t\1/' |
		sort -s -t "$(printf '\t')" -k1,1 | cut -f2- >stock-input.ndjson
}

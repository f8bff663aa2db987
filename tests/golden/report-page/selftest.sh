#!/bin/bash
# selftest.sh: tests/report-page.mjs and tests/report-check.py against
# their hand-made fixture. events.ndjson holds five transactions over four
# days (one at a day's last millisecond, the next at the following
# midnight; a sale of a cent; t2 again, a duplicate; a line that is not
# JSON and a transaction with no items, both bad); customer_segments.ndjson
# two snapshots, the newer of which leaves u3 in none; page.html is a page
# made by hand to gm-report's DOM contract over those transactions. Their
# KPIs for the filters of steps.json, computed by hand, are check.out:
# for example UK on 11-02 and 11-03 is t3 10.00 + t4 16.50 = 26.50, two
# orders, two customers, 13.25 an order, against 11-01 (25.50, one order:
# 10-31 has no day) a change of 26.50 / 25.50 - 1 = 0.0392 in revenue and
# 13.25 / 25.50 - 1 = -0.4804 in the order's value; Champions is u2's
# 99.99 + 10.02 = 110.01 in two orders, 55.005 an order, rounded away from
# zero to 55.01.
#
# The driver must print them of the page, and report-check.py compute
# them from the events; the page with faults put in (a console error, a
# request to the network, an exception, a CSV a cent off its table, a KPI
# not written with two decimals, a filter that does not re-render, filters
# that print) must make the driver fail, naming each. Needs node, chromium
# and playwright-core (tests/sh/gm-report-page.sh looks for them first).
. "$(dirname "$0")/../../lib.sh"
HERE=$TESTS/golden/report-page
DRIVE=$TESTS/report-page.mjs

node "$DRIVE" "file://$HERE/page.html" "$T/out" "$HERE/steps.json" >"$T/drive" 2>"$T/err"
expect_eq "the hand-made page passes" "$?" 0
[ -s "$T/err" ] && cat "$T/err" >&2
grep -E '^(kpis|changes) ' "$T/drive" >"$T/kpis"
expect_same_file "its KPIs" "$T/kpis" "$HERE/check.out"
expect_eq "its CSVs equal its table" "$(grep '^csv ' "$T/drive")" "csv t 2
csv t-sorted 2"
expect_grep "sorted" "^sorted by-revenue revenue descending$" "$T/drive"
expect_eq "the CSV of the customers in no segment" "$(cat "$T/out/t-sorted.csv")" $'Country,Revenue,Orders,Avg order value\r\nUK,16.50,1,16.50\r\nUSA,0.00,0,\r'
shots=("$T"/out/*.png)
expect_eq "a screenshot of each section" "${#shots[@]}" 7

python3 "$TESTS/report-check.py" --segments "$HERE/customer_segments.ndjson" --filters "$T/drive" \
	"$HERE/events.ndjson" >"$T/check"
expect_eq "report-check.py" "$?" 0
expect_eq "report-check.py: the days and the bad records" "$(head -2 "$T/check")" "days 2026-11-01 2026-11-04
bad 2"
tail -n +3 "$T/check" >"$T/check-kpis"
expect_same_file "report-check.py's KPIs" "$T/check-kpis" "$HERE/check.out"

# The faults, each where one line of the page was.
sed -e "s|^'use strict';|&\nconsole.error('a fault');\nnew Image().src = 'http://192.0.2.1/x.png';|" \
	-e 's|^const csvMoney = (c) => (c / 100)|const csvMoney = (c) => ((c + 1) / 100)|' \
	-e 's|^const kpiMoney = (c) => (c / 100).toFixed(2);|const kpiMoney = (c) => String(c / 100);|' \
	-e "s|^\$('#f-segment').addEventListener('change', changed);|\$('#f-segment').addEventListener('change', render);|" \
	-e 's|^preset();$|&\nsetTimeout(() => null.x);|' \
	-e 's|@media print { #filters, button|@media print { button|' \
	"$HERE/page.html" >"$T/faulty.html"
expect_eq "seven lines changed" "$(diff "$HERE/page.html" "$T/faulty.html" | grep -c '^>')" 7
node "$DRIVE" --timeout 2000 "file://$T/faulty.html" "$T/out2" "$HERE/steps.json" >"$T/drive2" 2>"$T/err2"
expect_eq "the faulty page fails" "$?" 1
expect_grep "a console error" "^report-page: console error: a fault$" "$T/err2"
expect_grep "a request" "^report-page: request to http://192.0.2.1/x.png$" "$T/err2"
expect_grep "an exception" "^report-page: page error: .*null" "$T/err2"
expect_grep "a KPI's form" '^report-page: uk: revenue.s data-value is "52"$' "$T/err2"
expect_grep "no re-render" "^report-page: step champions: no re-render (data-updates stayed 6) after #f-segment = Champions$" "$T/err2"
expect_grep "the CSV" "^report-page: t: .*/t.csv is not the table t: row 1 Revenue: CSV \"16.51\", table \"\\\$16.50\"" "$T/err2"
expect_grep "print" "^report-page: in print: still shown: #f-range, #f-from, #f-to, #f-country, #f-category, #f-segment, #f-grain$" "$T/err2"

expect_status "usage" 2 node "$DRIVE" "file://$HERE/page.html" 2>/dev/null
finish

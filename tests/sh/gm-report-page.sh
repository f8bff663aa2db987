# gm-report's page, driven in a real browser: 60 days of gm-produce
# history through gm-etl into a folder warehouse, gm-rfm as of two days
# (the second --compare the first), and gm-report -w of it. The file loads
# nothing from the network (no http(s) URL in a src, href or url(), and no
# request when opened) and holds Chart.js, its licence and the data. In
# Debian's chromium (tests/report-page.mjs, through playwright-core), with
# no console error, its KPI cards, for the whole period, a country and
# days, then a category, a segment, the customers in none, the presets 7
# and 30 and after a reset, equal to the cent what tests/report-check.py
# computes from the raw events (and so their change against the period
# before); the CSV of the tables trend, countries (sorted too),
# categories and top products equals the table shown, the products'
# names made to look like formulas written with a ' first; printing hides the filters; a
# phone's width does not scroll sideways. First, tests/golden/report-page/selftest.sh: the
# driver and the checker on a page and events made by hand.
#
# Screenshots of each section (at 1280 and 390 px wide), the page, the
# CSVs and the driver's output are kept in $GM_TEST_ARTIFACTS/gm-report-page
# (default build/test-artifacts/gm-report-page), emptied when it starts and
# left when it ends, for a person to look at. Without node, chromium or
# playwright-core (scripts/install-deps) the test is skipped, and fails
# under CI=true.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/report.sh"

browser_test gm-report-page || finish
command -v jq >/dev/null || skip_or_fail "jq is not installed"
cd "$T" || exit 1

# The driver and the checker on their hand-made page and events, and
# the driver on faults put in that page.
bash "$TESTS/golden/report-page/selftest.sh" || fail "the driver's and the checker's self-test"

# ---- the history, its warehouse, two snapshots ----
# Many customers, so that some first buy after the last snapshot: their
# segment is "(none)".
gm-produce -q -r 0 -s 23 --start 2026-10-01T00:00:00Z -d 60d --event-rate 0.03 \
	--products 120 --users 20000 --catalog catalog.ndjson -o events.ndjson
# Names that a spreadsheet would run as formulas (CSV injection), each
# of =, +, - and @ first: the CSV writes them with a ' first.
jq -c 'if .type == "product" then
	(.product_id[1:] | tonumber % 4) as $i | .name = ("=+-@"[$i:$i + 1] + .name) else . end' \
	catalog.ndjson >catalog.f && mv catalog.f catalog.ndjson
expect_status "gm-etl" 0 gm-etl -q -w wh catalog.ndjson events.ndjson
expect_status "gm-rfm as of 2026-11-01" 0 gm-rfm -q -w wh --as-of 2026-11-01
expect_status "gm-rfm as of 2026-11-22, against 11-01" 0 gm-rfm -q -w wh --as-of 2026-11-22 --compare 2026-11-01
python3 "$TESTS/report-check.py" events.ndjson >whole || fail "report-check.py"
read -r _ first last <whole
expect_eq "60 days" "$first $last" "2026-10-01 2026-11-29"
expect_grep "no bad record" "^bad 0$" whole

# The checker agrees with the warehouse's sales_trends (checked against
# the raw events by tests/etl-check.py) on every week and month of all
# countries or all categories.
python3 - wh/sales_trends.ndjson <<'PY' >trends.filters 3>trends.want
import calendar, json, os, sys
from datetime import date, timedelta
want = os.fdopen(3, "w")
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["grain"] == "day" or "*" not in (r["country"], r["category"]):
        continue
    start = date.fromisoformat(r["period_start"])
    end = start + timedelta(days=6) if r["grain"] == "week" else \
        start.replace(day=calendar.monthrange(start.year, start.month)[1])
    name = r["trend_id"].replace(" ", "_")
    print("filters %s %s" % (name, json.dumps({
        "from": start.isoformat(), "to": end.isoformat(),
        "country": "" if r["country"] == "*" else r["country"],
        "category": "" if r["category"] == "*" else r["category"]})))
    money = lambda v: "%.2f" % v
    print("kpis %s %s" % (name, json.dumps({
        "revenue": money(r["revenue"]), "orders": str(r["orders"]),
        "customers": str(r["customers"]), "avg_order_value": money(r["avg_order_value"])},
        separators=(",", ":"))), file=want)
PY
python3 "$TESTS/report-check.py" --filters trends.filters events.ndjson | grep '^kpis ' >trends.got
expect_same_file "report-check.py equals sales_trends" trends.got trends.want
expect_eq "some hundred cuts compared" "$(($(wc -l <trends.want) > 100))" 1

# ---- the page ----
[ -x "$BIN/gm-report" ] || { fail "gm-report is not built ($BIN/gm-report)"; finish; }
expect_status "gm-report" 0 gm-report -w wh -o page.html
[ -s page.html ] || { fail "gm-report wrote no page"; finish; }
cp page.html "$ART/"
# Nothing to load from elsewhere: a src, href, action or CSS url() of
# http:, https: or a scheme-relative //.
grep -Eion "(src|href|action)[[:space:]]*=[[:space:]]*[\"']?(https?:)?//[^\"' >]*|url\([\"']?(https?:)?//[^)]*|@import" \
	page.html >net && fail "the page names what to load from the network: $(head -3 net)"
# Chart.js in it (about 190 KB), the data of 60 days, and no more than a
# phone opens at once.
size=$(wc -c <page.html)
if [ "$size" -le 200000 ] || [ "$size" -ge 6000000 ]; then fail "page.html is $size bytes, not 200 KB to 6 MB"; fi
expect_grep "Chart.js inlined" "Chart.js v3.9.1" page.html
expect_grep "its licence" "Permission is hereby granted, free of charge" page.html

# The data, as gm-report's contract has it, where the page's JS does not
# see it: the days, the names, the snapshots.
python3 - page.html "$first" "$last" <<'PY' >data.check || fail "the page's data: $(head -5 data.check)"
import json, re, sys
from datetime import date, timedelta
html, first, last = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2], sys.argv[3]
m = re.search(r'<script type="application/json" id="gm-data">(.*?)</script>', html, re.S)
if not m:
    sys.exit(print("no script#gm-data"))
d = json.loads(m[1])
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append("%s: %r, want %r" % (what, got, exp))
want("version", d.get("version"), 1)
want("no live member", "live" in d, False)
n = (date.fromisoformat(last) - date.fromisoformat(first)).days + 1
want("days", d.get("days"), [(date.fromisoformat(first) + timedelta(days=i)).isoformat() for i in range(n)])
want("countries", d.get("countries"), ["Canada", "France", "Germany", "UK", "USA"])
want("regions", d.get("regions"), ["North America", "Europe", "Europe", "Europe", "North America"])
want("categories", d.get("categories"), sorted(["electronics", "clothing", "home", "books", "beauty",
                                               "sports", "toys", "grocery", "garden", "jewelry"]))
want("as_of", d.get("as_of"), "2026-11-22")
want("segments, (none) last", (d.get("segments") or [None])[-1], "(none)")
want("segments sorted", d.get("segments", [])[:-1], sorted(d.get("segments", [])[:-1]))
want("snapshots", [s.get("as_of") for s in d.get("snapshots", [])], ["2026-11-01", "2026-11-22"])
want("migration", [(s.get("as_of"), s.get("since")) for s in d.get("migration", [])],
     [("2026-11-22", "2026-11-01")])
for k in ("alerts", "inventory", "sessions"):
    want(k, d.get(k, "absent"), None)
print("\n".join(bad))
sys.exit(1 if bad else 0)
PY

# ---- driven ----
seg=$(jq -r 'select(.as_of == "2026-11-22") | .segment' wh/customer_segments.ndjson | sort | uniq -c |
	sort -rn | awk 'NR == 1 { $1 = ""; print substr($0, 2) }')
[ -n "$seg" ] || fail "no segment as of 2026-11-22"
jq -n --arg seg "$seg" '
	["period", "revenue", "orders", "units", "customers", "avg_order_value"] as $trend |
	["country", "region", "revenue", "orders", "avg_order_value", "customers"] as $countries |
	["category", "revenue", "share", "orders", "units", "views", "cart_adds", "cart_removes",
		"view_to_cart", "cart_to_purchase", "rank"] as $categories | [
	{name: "uk-days", filter: {country: "UK", from: "2026-10-12", to: "2026-11-08"}},
	{name: "uk-days-books", filter: {category: "books"}},
	{name: "segment", filter: {segment: $seg}},
	{name: "none", filter: {segment: "(none)", category: "", to: "2026-11-29"}},
	{name: "reset", reset: true},
	{name: "last7", filter: {range: "7"}},
	{name: "last30-france", filter: {range: "30", country: "France"}},
	{name: "reset2", reset: true},
	{csv: "trend", header: $trend},
	{csv: "countries", header: $countries},
	{csv: "categories", header: $categories},
	{name: "by-revenue", sort: "countries", column: "revenue", clicks: 2},
	{name: "countries-sorted", csv: "countries", header: $countries},
	{name: "uk", filter: {country: "UK"}},
	{name: "categories-uk", csv: "categories", header: $categories},
	{csv: "top-products", header: ["rank", "product_id", "name", "category", "revenue", "units", "orders"]},
	{no_data: ["alerts", "inventory", "sessions"]},
	{screenshots: ""},
	{print: true},
	{viewport: [390, 844]},
	{screenshots: "phone"}
]' >steps.json
node "$TESTS/report-page.mjs" "file://$T/page.html" "$ART" steps.json >drive.out 2>drive.err ||
	{ fail "report-page.mjs found faults:"; head -20 drive.err >&2; }
cp drive.out drive.err "$ART/"
tti=$(sed -n 's/^tti //p' drive.out)
ok "time to interactive: ${tti:-?} ms"

expect_eq "a state for each filter step" "$(sed -n 's/^kpis \([^ ]*\) .*/\1/p' drive.out | tr '\n' ' ')" \
	"load uk-days uk-days-books segment none reset last7 last30-france reset2 uk "
python3 "$TESTS/report-check.py" --segments wh/customer_segments.ndjson --filters drive.out events.ndjson \
	>check.out || fail "report-check.py --filters"
grep -E '^(kpis|changes) ' drive.out >page.kpis
grep -E '^(kpis|changes) ' check.out >check.kpis
expect_same_file "the KPIs and their changes, as computed from the events" page.kpis check.kpis
expect_eq "the whole period's KPIs" "$(sed -n 's/^kpis load //p' drive.out)" "$(sed -n 's/^kpis all //p' whole)"
none_orders=$(sed -n 's/^kpis none //p' check.out | jq -r .orders)
[ "${none_orders:-0}" -gt 0 ] || fail "no order of a customer in no segment to see: ${none_orders:-none}"

# The filters the page shows: its presets, a custom range, a reset.
filters() { sed -n "s/^filters $1 //p" drive.out | jq -r "[$2] | join(\" \")"; }
expect_eq "at first: everything, by day" "$(filters load '.range, .country, .category, .segment, .grain')" "all    day"
expect_eq "days chosen: custom" "$(filters uk-days '.range, .from, .to')" "custom 2026-10-12 2026-11-08"
expect_eq "the last 7 days" "$(filters last7 '.range, .from, .to')" "7 $(date -u -d "$last - 6 days" +%F) $last"
expect_eq "the last 30 days" "$(filters last30-france '.range, .from, .to')" "30 $(date -u -d "$last - 29 days" +%F) $last"
expect_eq "reset: everything" "$(filters reset2 '.range, .country, .category, .segment')" "all   "

expect_eq "the CSVs equal their tables" "$(grep '^csv ' drive.out)" "csv trend 60
csv countries 5
csv categories 10
csv countries-sorted 5
csv categories-uk 10
csv top-products 100"
expect_eq "names that are formulas: a ' first, each kind" \
	"$(python3 -c 'import csv, sys; print(" ".join(sorted({r["name"][:2] for r in csv.DictReader(open(sys.argv[1]))})))' \
		"$ART/top-products.csv")" "'+ '- '= '@"
expect_grep "sorted by revenue, twice: descending" "^sorted by-revenue revenue descending$" drive.out
for s in overview geography products customers alerts inventory sessions; do
	for f in "$ART/$s.png" "$ART/$s-phone.png"; do
		[ -s "$f" ] || fail "no screenshot $f"
	done
done
finish

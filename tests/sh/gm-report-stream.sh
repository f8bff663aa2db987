# gm-report --stream: the page's alerts, inventory and sessions from the
# NDJSON files that gm-txmon, gm-session and gm-inventory write of 30
# hours of gm-produce events, each member checked exactly against what
# tests/report-stream.py computes from the same files on its own: the
# 500 newest alerts of more, newest first, and the counts of all; each
# product's latest stock; the sessions' sums by the UTC day they
# started. Records of other types are skipped and counted; an alert
# given twice counts once; of two stock records at one time the last
# read counts; gzip and standard input read as files; bad lines (and
# random bytes) are reported file:line, kept in --rejects, and under
# --strict stop the run with the page of before kept, as does a file not
# read whole; without --stream the three members are null, with it a
# section of no record is given empty; the page shows them (tables equal
# to their CSVs, printable, a phone's width, a sentence for each section
# without data) in Chromium when it is there.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/report.sh"
cd "$T" || exit 1

# ---- the tools' output ----
# Small stocks, so that products run low and out, and restocks every 8
# hours, so that their alerts resolve; short session rules, so that
# carts are abandoned and recovered by the hundred.
stream_input || fail "the stream tools' input"
expect_status "gm-inventory" 0 gm-inventory -q -o inventory.ndjson -a inventory.alerts stock-input.ndjson
expect_status "gm-session" 0 gm-session -q "${STREAM_SESSION_RULES[@]}" \
	-o sessions.ndjson -a sessions.alerts events.ndjson 2>/dev/null
expect_status "gm-txmon" 0 gm-txmon -q -o /dev/null -a txmon.alerts events.ndjson
cat txmon.alerts sessions.alerts inventory.alerts >all.alerts
n_alerts=$(wc -l <all.alerts)
[ "$n_alerts" -gt 500 ] && grep -q '"status":"resolved"' all.alerts &&
	grep -q cart_recovered all.alerts && grep -q anomaly all.alerts
expect_eq "more than 500 alerts ($n_alerts) of the three tools, some resolved" $? 0
days=$(jq -r 'select(.type == "session") | .start[:10]' sessions.ndjson | sort -u | wc -l)
expect_eq "sessions start on three days" "$days" 3

# ---- the page's data ----
mkdir empty
expect_status "gm-report --stream" 0 gm-report -w empty -s txmon.alerts -s sessions.alerts \
	-s inventory.alerts -s inventory.ndjson -s sessions.ndjson -o page.html 2>err
page_streams page.html >got
python3 "$TESTS/report-stream.py" txmon.alerts sessions.alerts inventory.alerts inventory.ndjson \
	sessions.ndjson | jq -c . >want
expect_same_file "alerts, inventory, sessions" got want
expect_eq "500 alerts listed" "$(head -1 got | jq '.rows | length')" 500
expect_eq "of all" "$(head -1 got | jq .total)" "$n_alerts"
expect_eq "12 products" "$(sed -n 2p got | jq '.rows | length')" 12
# The session_metric records of gm-session's output are of no section.
metrics=$(grep -c '"type":"session_metric"' sessions.ndjson)
sessions=$(grep -c '"type":"session"' sessions.ndjson)
expect_grep "summary" "^gm-report: stream: $n_alerts alerts (the newest 500 listed), 12 products, $sessions sessions over 3 days; $metrics other records, 0 seen again$" err
# A few figures by hand, not by the script: the newest alert first, and
# the sums of the sessions' revenue.
expect_eq "the newest first" "$(head -1 got | jq -r '.rows[0][0]')" "$(jq -r .ts all.alerts | sort | tail -1)"
expect_eq "revenue of the sessions" "$(sed -n 3p got | jq '[.rows[][5]] | add')" \
	"$(jq -r 'select(.type == "session") | .revenue' sessions.ndjson | awk '{ s += $1 * 100 } END { printf "%.0f", s }')"

# The same records from other places: gzip, standard input, an alert
# file given twice (each alert once; the second time seen again), the
# events themselves (other records). The same members.
gzip -c sessions.ndjson >sessions.ndjson.gz
expect_status "gzip, stdin, twice" 0 gm-report -w empty -s txmon.alerts -s - -s inventory.alerts \
	-s inventory.ndjson -s sessions.ndjson.gz -s txmon.alerts -s events.ndjson -o again.html \
	<sessions.alerts 2>err
page_streams again.html >again
expect_same_file "the same members" again want
expect_grep "seen again, others" "; $((metrics + $(wc -l <events.ndjson))) other records, $(wc -l <txmon.alerts) seen again$" err

# Of two records of a product at one ts, the one read last (as a table
# upserts it); an older one read after them changes nothing.
{
	head -1 inventory.ndjson | jq -c '.on_hand = 1'
	head -1 inventory.ndjson | jq -c '.on_hand = 2'
	head -1 inventory.ndjson | jq -c '.on_hand = 3 | .ts = "2026-01-01T00:00:00.000Z"'
} >tie.ndjson
expect_status "one ts twice" 0 gm-report -q -w empty -s tie.ndjson -o tie.html
expect_eq "one ts twice: the last read" "$(page_data tie.html | jq -c '[.inventory.rows[][2]]')" "[2]"

# ---- absent and empty sections ----
expect_status "no --stream" 0 gm-report -q -w empty -o none.html
expect_eq "no --stream: null" "$(page_streams none.html | tr '\n' ' ')" "null null null "
expect_status "alerts only" 0 gm-report -q -w empty -s txmon.alerts -o alerts-only.html
expect_eq "alerts only: the others empty" "$(page_streams alerts-only.html | sed 1d | tr '\n' ' ')" \
	'{"rows":[]} {"rows":[]} '

# ---- bad lines ----
# Line 2 is no JSON, 3 an alert without summary, 4 a session whose
# cart_adds is text, 5 an inventory_status of an unknown status; 1 and 6
# are good.
{
	head -1 txmon.alerts
	echo '{"type":"alert",'
	head -1 sessions.alerts | jq -c 'del(.summary)'
	jq -c 'select(.type == "session") | .cart_adds = "2"' sessions.ndjson | head -1
	head -1 inventory.ndjson | jq -c '.status = "plenty"'
	sed -n 2p txmon.alerts
} >bad.ndjson
expect_status "bad lines" 0 gm-report -w empty -s bad.ndjson --rejects rejects.ndjson -o bad.html 2>err
for l in 2 3 4 5; do
	expect_grep "bad line $l reported" "^gm-report: bad.ndjson:$l: " err
done
expect_grep "why, line 3" '^gm-report: bad.ndjson:3: missing field "summary"$' err
expect_grep "why, line 5" '^gm-report: bad.ndjson:5: field "status": expected ' err
expect_same_file "rejects kept whole" rejects.ndjson <(sed -n 2,5p bad.ndjson)
expect_eq "the good ones kept" "$(page_data bad.html | jq -c '[.alerts.total, .inventory.rows, .sessions.rows]')" '[2,[],[]]'
cp bad.html before.html
expect_status "--strict" 1 gm-report -q -w empty -s bad.ndjson --strict -o bad.html 2>err
expect_eq "--strict: the first only" "$(grep -c 'bad.ndjson:' err)" 1
expect_same_file "--strict: the page of before kept" bad.html before.html
# Garbage of every byte value: nothing crashes, and each non-blank line
# is kept in rejects as gm-cat keeps it. A gzip cut short is a file not
# read whole.
{ echo; head -c 300000 /dev/urandom; } >garbage
gm-cat -q -n --rejects garbage.want garbage 2>/dev/null
expect_status "garbage" 0 gm-report -q -w empty -s garbage --rejects garbage.rej -o garbage.html 2>/dev/null
expect_same_file "garbage: the rejects of gm-cat" garbage.rej garbage.want
head -c 20000 sessions.ndjson.gz >cut.gz
expect_status "a gzip cut short" 1 gm-report -q -w empty -s cut.gz -o bad.html 2>err
expect_grep "a gzip cut short: said" "^gm-report: cut.gz: gzip: unexpected end of file" err
expect_same_file "a gzip cut short: the page of before kept" bad.html before.html
expect_status "a file not there" 1 gm-report -q -w empty -s txmon.alerts -s nowhere.ndjson -o bad.html 2>err
expect_grep "a file not there: said" "nowhere.ndjson" err
expect_same_file "a file not there: the page of before kept" bad.html before.html

# ---- usage ----
expect_status "another scheme" 2 gm-report -w empty -s mongodb://u:secret@host/db 2>err
expect_grep "another scheme: said" "^gm-report: --stream mongodb://...: not supported" err
grep -q secret err && fail "the rest of the URI was shown"
expect_status "-s without a value" 2 gm-report -w empty -s 2>/dev/null

# ---- the page ----
# In Chromium when it is there (tests/sh/gm-report-page.sh requires it):
# each table equals its CSV, with the contract's columns; a section of
# null data says so.
if command -v node >/dev/null && [ -x "${GM_CHROMIUM:-/usr/bin/chromium}" ] &&
	[ -f "${GM_PLAYWRIGHT_DIR:-/opt/gm/playwright}/node_modules/playwright-core/index.mjs" ]; then
	export GM_PLAYWRIGHT_DIR=${GM_PLAYWRIGHT_DIR:-/opt/gm/playwright}
	mkdir shots
	cat >steps.json <<'EOF'
[{"csv": "alerts", "header": ["ts", "kind", "severity", "source", "status", "summary"]},
 {"csv": "alert-counts", "header": ["kind", "severity", "firing", "resolved"]},
 {"csv": "inventory", "header": ["product_id", "category", "stock", "status"]},
 {"csv": "sessions", "header": ["day", "sessions", "carts", "converted", "transactions", "revenue"]},
 {"print": true}, {"viewport": [390, 844]}]
EOF
	node "$TESTS/report-page.mjs" "file://$T/page.html" shots steps.json >drive.out 2>drive.err ||
		{ fail "report-page.mjs on the page of streams:"; head -5 drive.err >&2; }
	expect_eq "tables shown as their CSVs" "$(grep '^csv ' drive.out | tr '\n' ' ')" \
		"csv alerts 500 csv alert-counts $(jq -r '[.kind, .severity] | @tsv' all.alerts | sort -u | wc -l) csv inventory 12 csv sessions 3 "
	echo '[{"no_data": ["alerts", "inventory", "sessions"]}]' >none.json
	node "$TESTS/report-page.mjs" "file://$T/none.html" shots none.json >/dev/null 2>drive.err ||
		{ fail "report-page.mjs on the page of none:"; head -5 drive.err >&2; }
elif [ "${CI:-}" = true ]; then
	fail "no node, chromium or playwright-core to drive the page (CI=true)"
else
	echo "gm-report-stream: no node, chromium or playwright-core: the page not driven" >&2
fi
finish

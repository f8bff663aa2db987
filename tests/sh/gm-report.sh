# gm-report: the page's data from a warehouse that gm-etl and gm-rfm
# made of a hand-built set (tests/golden/report/events.ndjson), byte for
# byte against tests/golden/report/data.json, with the figures below
# checked by hand; the page holds no "</script" of the data and loads
# nothing; a damaged row stops the run with file:line and leaves the old
# page; an empty warehouse; another run's lock; the usage rules.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/report.sh"
G=$TESTS/golden/report
cd "$T"

# data FILE: the page's data, its time of making left out.
data() { page_data "$1" | jq -S 'del(.generated)'; }

# rows JSON: the data with its tables of numbers (gm-report(1), DATA)
# decoded into arrays of rows, by a reading of the rule apart from the
# page's.
rows() {
	python3 -c '
import json, sys
def table(text, width):
    out, prev = [], [0] * width
    for row in text.split(" ") if text else []:
        f = [int(x, 36) for x in row.split(",")]
        same, rest = f[0], f[1:]
        assert same < width and same + len(rest) == width, row
        cur = prev[:same] + rest
        if same == 0:
            cur[0] += prev[0]
        out.append(cur)
        prev = cur
    return out
d = json.load(open(sys.argv[1]))
for key, width in (("sales", 7), ("perf", 8), ("product_days", 5)):
    d[key] = table(d[key], width)
json.dump(d, sys.stdout)' "$1"
}

# ---- the warehouse ----
# Six transactions over 2026-11-01 to 11-04 (none on 11-03): t1 of u1
# (USA) with two books lines and a toys line, 22.50; t2 of u2 (Canada,
# the last millisecond of 11-01), 7.25; t3 of u1, 3.00; t5 of u4 (USA),
# 1.00; t4 of u3 (USA, 11-04), 100.00; t6 of u4 in Canada (11-04), 2.00.
# Snapshots as of 11-02 (u1, u2 New Customers) and 11-03 (u1 Potential
# Loyalist, u2 About To Sleep, u4 New Customers): u3 bought after it, so
# is "(none)". p2's name holds "</script><!--".
gm-etl -q -w wh "$G/events.ndjson" 2>/dev/null
gm-rfm -q -w wh --as-of 2026-11-02
gm-rfm -q -w wh --as-of 2026-11-03 --compare 2026-11-02

expect_status "page" 0 gm-report -w wh -o page.html 2>"$T/err"
expect_grep "summary" '^gm-report: 8 lines of 6 transactions by 4 customers over 4 days; data [0-9]* bytes$' "$T/err"
data page.html >data.json
expect_same_file "data" data.json "$G/data.json"
rows data.json >got.json

# By hand: every sale is 135.75 in 6 orders; by day, country, segment
# and category the rows add up to it (category -1: each order once,
# t1 with two categories too).
expect_eq "revenue" "$(jq '[.sales[] | select(.[3] == -1) | .[4]] | add' got.json)" 13575
expect_eq "orders" "$(jq '[.sales[] | select(.[3] == -1) | .[5]] | add' got.json)" 6
expect_eq "orders by category" "$(jq -c '[.sales[] | select(.[3] >= 0)] | group_by(.[3]) | map([.[0][3], (map(.[5]) | add), (map(.[4]) | add)])' got.json)" \
	"[[0,3,11350],[1,4,2225]]"
# t1 on day 0 in the USA by u1 (Potential Loyalist, 9): books 12.50 in
# one order and two units, toys 10.00, all 22.50 and four units.
expect_eq "t1" "$(jq -c '[.sales[] | select(.[0] == 0 and .[1] == 1)]' got.json)" \
	"[[0,1,9,0,1250,1,2],[0,1,9,1,1000,1,2],[0,1,9,-1,2250,1,4]]"
# The rows as written: the first keeps day 0, country 0 and segment 0
# of the zeros before it (3); the next its day, country and segment (3)
# and says -1 (all categories); u1's t1 starts a segment (1).
expect_eq "rows as written" "$(jq -r '.sales' data.json | cut -d ' ' -f 1-3)" "3,1,k5,1,1 3,-1,k5,1,1 1,1,9,0,yq,1,2"
# Buyers: u4 bought in both countries, in two groups, once in "same";
# u1's days 0 (books and toys) and 1 (toys); u3 in "(none)", last.
expect_eq "segments" "$(jq -c '.segments[-1], .as_of' got.json | tr '\n' ' ')" '"(none)" "2026-11-03" '
expect_eq "u1" "$(jq -c '.buyers[] | select(.[0] == 1 and .[1] == 9)' got.json)" '[1,9,"0:0.1,1:1"]'
expect_eq "same" "$(jq -c '.same' got.json)" "[[1,0,2,0]]"
expect_eq "days" "$(jq -c '.days' got.json)" '["2026-11-01","2026-11-02","2026-11-03","2026-11-04"]'

# Self-contained: no "</script" but the elements' own ends, no address
# to load.
expect_eq "script ends" "$(grep -o '</script' page.html | wc -l)" "$(grep -o '<script' page.html | wc -l)"
grep -Eiq '(src|href)=["'"'"']?(https?:)?//' page.html && fail "the page loads something from the network"
expect_grep "Chart.js licence" 'Permission is hereby granted, free of charge' page.html

# The same warehouse again: the same data; to standard output too.
gm-report -q -w wh >stdout.html
data stdout.html >again.json
expect_same_file "standard output" again.json "$G/data.json"

# A FIFO, as /dev/null a device, is written to, not replaced by a file
# renamed over it (as root, that made /dev/null a file).
mkfifo fifo
timeout 20 cat fifo >from-fifo &
reader=$!
expect_status "into a FIFO" 0 gm-report -q -w wh -o fifo
wait "$reader"
[ -p fifo ] || fail "the FIFO was replaced by a file"
data from-fifo >fifo.json
expect_same_file "into a FIFO: the page" fifo.json "$G/data.json"

# ---- bad input ----
# A row of fact_sales whose amount is not money: file:line, status 1,
# and the page of before stays.
cp -r wh bad
awk 'NR == 3 { sub(/"amount":[0-9.]*/, "\"amount\":\"x\"") } { print }' wh/fact_sales.ndjson >bad/fact_sales.ndjson
cp page.html before.html
expect_status "damaged row" 1 gm-report -w bad -o page.html 2>"$T/err"
expect_grep "where" '^gm-report: bad/fact_sales.ndjson:3: ' "$T/err"
expect_same_file "page kept" page.html before.html
[ -z "$(ls page.html.tmp-* 2>/dev/null)" ] || fail "a temporary file was left"
# Other damage, each stopping the run at its line, each line a good row
# of a transaction of its own (t9) but for one fault: binary bytes, bad
# UTF-8 in the category, an absurd quantity, a line longer than
# --max-line allows.
t9=$(sed -n 1p wh/fact_sales.ndjson | sed 's/"t1/"t9/g')
i=0
while IFS='|' read -r line why; do
	i=$((i + 1))
	rm -rf damaged && cp -r wh damaged
	printf '%s\n' "$line" >>damaged/fact_sales.ndjson
	expect_status "damage $i" 1 gm-report -w damaged -o /dev/null 2>"$T/err"
	expect_grep "damage $i: where and why" "^gm-report: damaged/fact_sales.ndjson:9: $why" "$T/err"
done <<EOF2
$(printf '\001\002\377garbage')|invalid UTF-8 at column 3
$(printf '%s' "$t9" | sed 's/"category":"[a-z]*"/"category":"caf\xe9"/')|invalid UTF-8 at column
$(printf '%s' "$t9" | sed 's/"quantity":[0-9]*/"quantity":123456789012345678901234567890/')|field "quantity": 123456789012345678901234567890 is out of range
{"type":"fact_sales","pad":"$(head -c 2000000 /dev/zero | tr '\0' x)"}|a row longer than 1048576 bytes$
EOF2
# The good row of t9 alone is no damage.
rm -rf damaged && cp -r wh damaged
printf '%s\n' "$t9" >>damaged/fact_sales.ndjson
expect_status "t9 alone" 0 gm-report -q -w damaged -o /dev/null
# A line of another table.
cp -r wh other
head -n 1 wh/dim_product.ndjson >>other/fact_sales.ndjson
expect_status "another table's row" 1 gm-report -w other -o /dev/null 2>"$T/err"
expect_grep "other table" '^gm-report: other/fact_sales.ndjson:9: a row of another table$' "$T/err"

# An empty warehouse: a page with nothing in it.
mkdir empty
expect_status "empty" 0 gm-report -q -w empty -o empty.html
expect_eq "empty data" "$(data empty.html | jq -c '[.days, .sales, .buyers, .segments, .as_of]')" '[[],"",[],[],null]'

# A -w folder that is not there: an error, and no folder made.
expect_status "no such folder" 1 gm-report -q -w nowhere -o nowhere.html 2>"$T/err"
expect_grep "no such folder" '^gm-report: nowhere: no such warehouse folder$' "$T/err"
[ ! -e nowhere ] && [ ! -e nowhere.html ] || fail "a folder or a page was made for a missing warehouse"

# An earlier run died past its commit point, its new fact_sales (the
# first transaction's three lines) not yet renamed over the old: read
# as committed, the rename done, in this dry run too.
cp -r wh pending
head -n 3 wh/fact_sales.ndjson >pending/.fact_sales.tmp
printf '%s\n%s\n' .fact_sales.tmp fact_sales.ndjson >pending/.commit
expect_status "pending commit" 0 gm-report -w pending -o pending.html 2>"$T/err"
expect_grep "the committed table" '^gm-report: 3 lines of 1 transactions by 1 customers' "$T/err"
[ ! -e pending/.commit ] && [ ! -e pending/.fact_sales.tmp ] || fail "the commit was not finished"

# Another run holds the lock: waited for, as by gm-etl; 75 once
# --retry-for has passed.
flock wh/.lock sh -c 'touch held; sleep 1; touch released' &
locker=$!
for _ in $(seq 100); do [ -e held ] && break; sleep 0.05; done
expect_status "waits for the lock" 0 gm-report -q -w wh -o waited.html 2>err
[ -e released ] || fail "waits for the lock: read before the other released it"
expect_eq "waits for the lock: said so" "$(cat err)" \
	"gm-report: wh: warning: another run holds the warehouse's lock; waiting for up to 60 s"
wait "$locker"
flock wh/.lock sleep 5 &
locker=$!
sleep 0.3
expect_status "locked" 75 gm-report -q --retry-for 0s -w wh -o locked.html
kill "$locker" 2>/dev/null
wait "$locker" 2>/dev/null

# ---- usage ----
expect_status "a file argument" 2 gm-report -w wh page.html
expect_status "unknown option" 2 gm-report --nope
gm-report --help >help.txt
expect_grep "help" '^usage: gm-report ' help.txt
finish

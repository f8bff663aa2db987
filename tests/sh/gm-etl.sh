# gm-etl: the warehouse of a hand-built set of days, table by table
# (tests/golden/etl/expected, checked by hand as below); loaded day by
# day it equals one load of everything; the same input again changes
# nothing; --dry-run changes nothing; late and bad records; the lock;
# what a crash leaves, finished or cleared by the next run; usage.
. "$(dirname "$0")/../lib.sh"
G=$TESTS/golden/etl

# ---- the input ----
# catalog: p1 twice (the later, "Kettle Pro" 25.00, counts), p2, p3.
# day1, Saturday 2026-10-31 (ISO week 44, from Monday 10-26):
#   t1 u1 USA: p1 x2 at 25.00, p3 x1 at 35.50 = 85.50 (home twice: one
#      order of home, two products);
#   t2 u2 UK: p2 twice, 1 x 9.99 each = 19.98 (one order of p2), and t2
#      again: a duplicate, not counted;
#   t3 u3 Atlantis (no region known): p9 (no catalog record) 12.34;
#   views v1-v3, cart events c1-c4 (c4 a remove).
# day2, Sunday 11-01 (same week, next month): t4 u1 UK p9 12.00 + p1
#   25.00 = 37.00; t5 u2 UK p3 x4 = 142.00; v4, c5 (p9), v5 (p8, only a
#   view: no price); a line that is not JSON and a transaction with no
#   items: rejected.
# day3, Monday 11-02 (week 45): t7 u1 USA 25.00, t9 u5 France 9.99, v6,
#   c6; t8 u4 Germany 19.98 of 10-31 22:00, late but within the lookback
#   (3 days before the watermark 11-01 13:00): folded into 10-31, its
#   week and October; t10 of 09-01: before the lookback: late, written
#   to -l, not loaded.
# So, all countries and categories ("*"):
#   10-31: 85.50 + 19.98 + 12.34 + 19.98 = 137.80, 4 orders, 8 units,
#          4 customers, average 34.45, growth null (no 10-30);
#   11-01: 179.00, 2 orders, growth 179 / 137.8 - 1 = 0.2990;
#   11-02: 34.99, average 17.495 -> 17.50, growth -0.8045;
#   week 10-26: 316.80, 6 orders, 4 customers; week 11-02: growth
#          34.99 / 316.8 - 1 = -0.8896;
#   October 137.80; November 213.99, 3 customers (u1, u2, u5), growth
#          0.5529.
# dim_customer u1: t1 USA, t4 UK, t7 USA: 3 orders, home USA, 147.50.
# dim_product: p1 "Kettle Pro" 25 from the later catalog record; p9 no
#   name, 12.00 from its latest priced fact t4/1 (08:05 after c5's
#   08:01); p8 only its category, from v5.

out=$T/wh
run() { gm-etl -q -w "$out" "$@"; }

# ---- day by day ----
expect_status "day 1" 0 run --rejects "$T/rej" "$G/catalog.ndjson" "$G/day1.ndjson"
expect_status "day 2" 0 run --rejects "$T/rej2" "$G/day2.ndjson" 2>"$T/err2"
expect_status "day 3" 0 run -l "$T/late" "$G/day3.ndjson"
for f in "$G"/expected/*.ndjson; do
	expect_same_file "table $(basename "$f")" "$out/$(basename "$f")" "$f"
done
expect_eq "tables" "$(cd "$out" && ls | tr '\n' ' ')" "$(cd "$G/expected" && ls | tr '\n' ' ')"
expect_same_file "late: t10" "$T/late" <(grep '"t10"' "$G/day3.ndjson")
expect_eq "rejects" "$(wc -l <"$T/rej2")" 2
expect_grep "a bad line named" "day2.ndjson:6: invalid JSON" "$T/err2"
expect_grep "no items named" 'day2.ndjson:7: field "items" is empty' "$T/err2"

# ---- one load of everything (t10 aside) equals it, row for row ----
grep -v '"t10"' "$G/day3.ndjson" >"$T/day3"
expect_status "everything at once" 0 gm-etl -q -w "$T/all" "$G/catalog.ndjson" "$G/day1.ndjson" \
	"$G/day2.ndjson" "$T/day3"
for f in "$out"/*.ndjson; do
	expect_same_file "at once: $(basename "$f")" <(sort "$T/all/$(basename "$f")") <(sort "$f")
done

# ---- the same input again changes nothing ----
cp -r "$out" "$T/before"
expect_status "day 2 again" 0 gm-etl -w "$out" "$G/day2.ndjson" 2>"$T/err"
expect_eq "day 2 again: no file changed" "$(diff -r "$T/before" "$out" && echo same)" same
expect_grep "day 2 again: its 6 facts were there" "6 already loaded" "$T/err"

# ---- --dry-run says what it would do and does nothing ----
expect_status "dry run" 0 gm-etl -n -w "$out" "$G/day3.ndjson" 2>"$T/err"
expect_eq "dry run: no file changed" "$(diff -r "$T/before" "$out" && echo same)" same
expect_grep "dry run: says would" "gm-etl: would load 3 transactions" "$T/err"

# ---- nothing to load: nothing changes ----
expect_status "empty input" 0 run /dev/null
expect_eq "empty input: no file changed" "$(diff -r "$T/before" "$out" && echo same)" same

# ---- the lock: a second run waits for it, --retry-for long, then
# exits 75 and changes nothing ----
flock "$out/.lock" sh -c "touch '$T/held'; sleep 1; touch '$T/released'" &
locker=$!
for _ in $(seq 100); do [ -e "$T/held" ] && break; sleep 0.05; done
expect_status "waits for the lock" 0 gm-etl -q -w "$out" /dev/null 2>"$T/err"
[ -e "$T/released" ] || fail "waits for the lock: ran before the other released it"
expect_eq "waits for the lock: said so" "$(cat "$T/err")" \
	"gm-etl: $out: warning: another run holds the warehouse's lock; waiting for up to 60 s"
wait "$locker"
flock "$out/.lock" sh -c "touch '$T/held2'; sleep 3" &
locker=$!
for _ in $(seq 100); do [ -e "$T/held2" ] && break; sleep 0.05; done
expect_status "locked" 75 gm-etl -q --retry-for 0s -w "$out" "$G/day3.ndjson" 2>"$T/err"
expect_grep "locked: said so" "another run holds the warehouse's lock" "$T/err"
# Stopped by a signal while it waits: status 1, not 75 (cron would try
# it again).
gm-etl -q -w "$out" "$G/day3.ndjson" 2>"$T/err" &
waiter=$!
for _ in $(seq 100); do [ -s "$T/err" ] && break; sleep 0.05; done
kill -TERM "$waiter"
wait "$waiter"
expect_eq "stopped while waiting: status 1" "$?" 1
expect_grep "stopped while waiting: said so" "stopped by a signal while waiting for the warehouse's lock" "$T/err"
wait "$locker"

# ---- what a crash leaves ----
# Before the commit point: new files, no .commit: cleared, tables kept.
echo junk >"$out/.fact_sales.new"
echo junk >"$out/.sales_trends.tmp"
expect_status "after a crash before the commit point" 0 run /dev/null
expect_eq "cleared" "$(ls -a "$out" | grep -c '\.new$\|\.tmp$')" 0
expect_eq "tables kept" "$(diff -r "$T/before" "$out" && echo same)" same
# After it: .commit lists the renames still to do: the next run does them.
sed 's/"orders":3/"orders":33/' "$out/dim_customer.ndjson" >"$out/.dim_customer.tmp"
printf '%s\n%s\n' "$out/.dim_customer.tmp" "$out/dim_customer.ndjson" >"$out/.commit"
expect_status "after a crash past the commit point" 0 run /dev/null
expect_grep "the commit finished" '"orders":33' "$out/dim_customer.ndjson"
expect_eq "no .commit left" "$(ls -a "$out" | grep -c '^\.commit$')" 0
# The list names the files in the folder, which a run started elsewhere,
# naming the folder by another path, finds all the same.
sed 's/"orders":33/"orders":34/' "$out/dim_customer.ndjson" >"$out/.dim_customer.tmp"
printf '%s\n%s\n' .dim_customer.tmp dim_customer.ndjson >"$out/.commit"
expect_status "past the commit point, from elsewhere" 0 \
	sh -c 'cd "$1/.." && gm-etl -q -w "./$(basename "$1")" /dev/null' sh "$out"
expect_grep "the commit finished from elsewhere" '"orders":34' "$out/dim_customer.ndjson"
# Renames that fail leave the list and its files for the next run.
mv "$out/dim_date.ndjson" "$out/.dim_date.tmp"
mkdir "$out/dim_date.ndjson"
sed 's/"orders":34/"orders":35/' "$out/dim_customer.ndjson" >"$out/.dim_customer.tmp"
printf '%s\n' .dim_date.tmp dim_date.ndjson .dim_customer.tmp dim_customer.ndjson >"$out/.commit"
expect_status "a rename fails" 1 run /dev/null 2>"$T/err"
expect_grep "a rename fails: said so" "cannot rename .*dim_date.tmp" "$T/err"
expect_eq "a rename fails: the commit's files kept" "$(ls -a "$out" | grep -c '^\.commit$\|^\.dim_date\.tmp$\|^\.dim_customer\.tmp$')" 3
rmdir "$out/dim_date.ndjson"
expect_status "the next run" 0 run /dev/null
expect_same_file "the next run: dim_date in place" "$out/dim_date.ndjson" "$T/before/dim_date.ndjson"
expect_grep "the next run: the commit finished" '"orders":35' "$out/dim_customer.ndjson"

# ---- a damaged warehouse: the row named, the run fails, nothing changes ----
# A row over --max-line in a table only the commit reads (dim_date).
cp -r "$out" "$T/dmg"
{ printf '{"type":"dim_date","date":"'; head -c 5000 /dev/zero | tr '\0' x; printf '"}\n'; } >>"$T/dmg/dim_date.ndjson"
cp -r "$T/dmg" "$T/dmg.before"
expect_status "a long row" 1 gm-etl -q --max-line 4096 -w "$T/dmg" "$G/day3.ndjson" 2>"$T/err"
expect_grep "a long row: named" "dmg/dim_date.ndjson:4: a row longer than 4096 bytes" "$T/err"
expect_eq "a long row: no file changed" "$(diff -r "$T/dmg.before" "$T/dmg" && echo same)" same
# A row whose id is not a string, in a table the run rewrites.
cp -r "$out" "$T/dmg2"
sed -i '1s/"trend_id":"[^"]*"/"trend_id":7/' "$T/dmg2/sales_trends.ndjson"
expect_status "a row without its id" 1 gm-etl -q -w "$T/dmg2" "$G/day3.ndjson" 2>"$T/err"
expect_grep "a row without its id: named" 'dmg2/sales_trends.ndjson:1: no string "trend_id"' "$T/err"

# ---- progress: on a terminal only ----
gm-produce -q -r 0 -s 3 --start 2026-11-03T00:00:00Z -n 12288 --products 20 --users 50 -o "$T/burst"
head -n 4096 "$T/burst" >"$T/burst1"
tail -n +4097 "$T/burst" >"$T/burst2"
script -qc "{ cat '$T/burst1'; sleep 1; cat '$T/burst2'; } | gm-etl -w '$T/p1' 2>&1" /dev/null >"$T/tty"
expect_grep "a terminal sees the progress" 'gm-etl: [0-9.]* [kM]*B, [0-9]* records, .*/s' "$T/tty"
{ cat "$T/burst1"; sleep 1; cat "$T/burst2"; } | gm-etl -w "$T/p2" 2>"$T/notty"
expect_eq "a log file does not" "$(grep -c 'records,' "$T/notty")" 0

# ---- --max-records bounds a run: past it, nothing is loaded ----
expect_status "--max-records 5" 1 gm-etl -q -w "$T/max" --max-records 5 "$G/day1.ndjson" 2>"$T/err"
expect_grep "--max-records: said so" "more than 5 records in one run (--max-records): nothing loaded" "$T/err"
expect_eq "--max-records: nothing loaded" "$(ls "$T/max" | wc -l)" 0
expect_status "--max-records 11: day 1's 11 records" 0 gm-etl -q -w "$T/max" --max-records 11 "$G/day1.ndjson"

# ---- a decoded NUL (\u0000) in a name is kept, as its bytes ----
printf '%s\n' '{"type":"product_view","event_id":"e1","ts":"2026-10-01T01:47:18.634Z","user_id":"u1","session_id":"s1","product_id":"p1","category":"\u0000sports","country":"France","duration_ms":6}' >"$T/nul"
gm-etl -q -w "$T/nulwh" "$T/nul"
expect_eq "a NUL in a category: its bytes, every run the same" \
	"$(jq -r '.category | @json' "$T/nulwh/product_performance.ndjson" | sort -u)" '"\u0000sports"'

# ---- ids that sort before "*" (a category's row's product) and just
# after it: every table still in order of its ids, as a re-run's merge
# needs; two halves loaded one after the other equal one load ----
odd() {   # odd N PRODUCT CATEGORY: a view, a cart add and a sale of it
	printf '{"type":"product_view","event_id":"ov%s","ts":"2026-10-0%sT09:00:00.000Z","user_id":"u%s","session_id":"s%s","product_id":"%s","category":"%s","country":"UK","duration_ms":5}\n' \
		"$1" "$(($1 % 2 + 1))" "$1" "$1" "$2" "$3"
	printf '{"type":"cart_event","event_id":"oc%s","ts":"2026-10-0%sT09:01:00.000Z","user_id":"u%s","session_id":"s%s","product_id":"%s","category":"%s","action":"add","quantity":1,"unit_price":2.50}\n' \
		"$1" "$(($1 % 2 + 1))" "$1" "$1" "$2" "$3"
	printf '{"type":"transaction","transaction_id":"ot%s","ts":"2026-10-0%sT09:02:00.000Z","user_id":"u%s","session_id":"s%s","country":"UK","payment_method":"card","items":[{"product_id":"%s","category":"%s","quantity":1,"unit_price":2.50}],"total_amount":2.50}\n' \
		"$1" "$(($1 % 2 + 1))" "$1" "$1" "$2" "$3"
}
# Without a slash in a category, the rows are put in order by buckets;
# with one, by a sort (gm-etl/model.c perf_by_bucket()).
{ odd 1 '!early' home; odd 2 '(p' home; odd 3 p1 home; odd 4 p2 home
  odd 5 '#x' toys; odd 6 p3 toys; odd 7 '+' toys; odd 8 '*+' home; } >"$T/odd"
sed 's|"category":"home"|"category":"home/garden"|' "$T/odd" >"$T/odd-slash"
for input in odd odd-slash; do
	expect_status "$input: at once" 0 gm-etl -q -w "$T/$input-w" "$T/$input"
	for f in "$T/$input-w"/*.ndjson; do
		key=$(head -n 1 "$f" | jq -r 'keys_unsorted[1]')
		expect_eq "$input: $(basename "$f") in order of $key" \
			"$(jq -r ".$key" "$f" | LC_ALL=C sort -c -u && echo sorted)" sorted
	done
	head -n 12 "$T/$input" >"$T/$input-h1"
	tail -n +13 "$T/$input" >"$T/$input-h2"
	expect_status "$input: first half" 0 gm-etl -q -w "$T/$input-h" "$T/$input-h1"
	expect_status "$input: second half" 0 gm-etl -q -w "$T/$input-h" "$T/$input-h2"
	expect_eq "$input: in halves, the same tables" \
		"$(diff -r -x etl_state.ndjson "$T/$input-w" "$T/$input-h" && echo same)" same
	expect_eq "$input: every product has its day rows, the categories theirs (\"*\")" \
		"$(jq -r 'select(.grain == "day") | .product_id' "$T/$input-w/product_performance.ndjson" |
			LC_ALL=C sort -u | tr '\n' ' ')" '!early #x (p * *+ + p1 p2 p3 '
done

# ---- a view or cart event again, at once or later, in one run: its
# row, begun before its id is known to be a duplicate, is dropped ----
awk '{ print } /"product_view"|"cart_event"/ { print }' "$T/odd" >"$T/odd-again"
grep '"product_view"' "$T/odd" | head -n 2 >>"$T/odd-again"
expect_status "views and cart events twice" 0 gm-etl -q -w "$T/odd-again-w" "$T/odd-again"
expect_eq "views and cart events twice: the tables of once" \
	"$(diff -r "$T/odd-w" "$T/odd-again-w" && echo same)" same

# ---- usage ----
expect_status "a URI of no warehouse" 2 gm-etl -q -w http://127.0.0.1/x /dev/null 2>"$T/err"
expect_grep "a URI of no warehouse: said so" "http: not a kind of warehouse gm knows" "$T/err"
expect_status "an unknown option" 2 gm-etl --bogus 2>/dev/null
expect_status "--lookback takes a duration" 2 gm-etl --lookback soon /dev/null 2>/dev/null
finish

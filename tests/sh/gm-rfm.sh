# gm-rfm: scores and segments of a hand-built set (tests/golden/rfm),
# checked by hand as below, byte for byte; --bins 3 with a grid file; a
# bad grid file; the migration between two as-of days in a folder
# warehouse; the same run again leaves the warehouse as it was; a run
# of a day again replaces that day's rows, and the folder's replace
# itself; the usage rules; no customer, no row; a folder warehouse of
# gm-etl's read through dim_customer and through fact_sales gives the
# same bytes as the raw transactions, and the fallbacks to fact_sales.
. "$(dirname "$0")/../lib.sh"
G=$TESTS/golden/rfm
in=("$G/transactions.ndjson" "$G/fact_sales.ndjson")

# ---- the input ----
# transactions.ndjson holds transaction records, fact_sales.ndjson the
# lines of others, as gm-etl writes them (t08 in two lines, t25 too);
# t05 comes again (another amount: the first counts) and t11's line
# again after others: 2 duplicates; a product_view is passed over.
# As of 2026-11-11 (transactions before its midnight; t31 of u11, on the
# day, is not), the eleven customers, n = 11, score 1 + floor(5 * below / 11):
#   frequency 1,1,1 (u01 u02 u11) 2,2 (u03 u04) 3,3,3 (u05-u07) 4 (u08)
#     5,5 (u09 u10): 2 has 3 below, score 2; 3 has 5 below, score
#     1 + floor(25/11) = 3, though its third place (7 below) would be 4:
#     a tie at a cut falls to the lower score.
#   recency_days 1 (u07-u10) 2 (u06) 3 (u05) 5,5 (u03 u04) 8 (u02)
#     10 (u01) 31 (u11), scored so and reversed, R = 6 - score: 1 has
#     none below, R 5; 2 has 4, score 2, R 4; 3 and 5 have 5 and 6,
#     score 3, R 3; 8 has 8, R 2; 10 and 31 have 9 and 10, R 1.
#   monetary 5 (u09), 10, 10 (u01 u02), 25.50 x2, 29.99 (3 x 3.33), 30,
#     99, 181.50, 210, 320.01.
# u09 (R5 F5 M1) matches no rule of the grid: Others.

# ---- golden outputs ----
expect_status "as of 2026-11-11" 0 gm-rfm -q --as-of 2026-11-11 "${in[@]}" >"$T/all"
expect_same_file "as of 2026-11-11" "$T/all" "$G/expected/all.ndjson"
gm-rfm --as-of 2026-11-11 "${in[@]}" 2>"$T/err" >/dev/null
expect_grep "summary" "^gm-rfm: 31 transactions, 2 duplicates, 1 outside the window, 1 other records; 11 customers as of 2026-11-11; rows: customer_segment 11, segment_summary 11, rfm_cuts 15, segment_migration 0$" "$T/err"
# The default as-of day follows the newest transaction read (t31,
# 11-11 01:00): 2026-11-12, and t31 counts.
gm-rfm -q "${in[@]}" >"$T/default"
expect_eq "default as-of" "$(jq -r 'select(.user_id=="u11") | "\(.as_of) \(.recency_days) \(.frequency)"' "$T/default")" \
	"2026-11-12 1 2"

# --window 30d: from 2026-10-12, so t30 (10-11) of u11 is outside and
# u11 is no customer; three bins and three.segments. n = 10:
#   recency: u07-u10 1 (none below) R 3; u06 2, u05 3, u03 u04 5 (4, 5
#   and 6 below: score 2) R 2; u02 8, u01 10 (8 and 9 below: score 3)
#   R 1. Best takes R 3 with F 2-3: u07-u10; Big Spenders u06 (R 2,
#   M 3); the others none.
expect_status "window, bins 3" 0 gm-rfm -q --as-of 2026-11-11 --window 30d --bins 3 \
	--segments "$G/three.segments" "${in[@]}" -o "$T/three"
expect_same_file "window, bins 3" "$T/three" "$G/expected/three.ndjson"

# ---- a fact_sales row twice in a row ----
# The same line of a transaction again (a retried write) is a duplicate:
# its amount counts once.
line=$(grep -m1 '"sale_id":"t03/1"' "$G/fact_sales.ndjson")
printf '%s\n%s\n' "$line" "$line" >"$T/twice.ndjson"
gm-rfm --as-of 2026-11-11 "$T/twice.ndjson" 2>"$T/err" >"$T/out"
expect_eq "a row twice: one line's amount" \
	"$(jq -r 'select(.type == "customer_segment") | "\(.frequency) \(.monetary)"' "$T/out")" \
	"1 $(jq -r .amount <<<"$line")"
expect_grep "a row twice: a duplicate" "^gm-rfm: 1 transactions, 1 duplicates," "$T/err"

# ---- a bad grid file ----
gm-rfm --bins 3 --segments "$G/bad.segments" "${in[@]}" >"$T/out" 2>"$T/err"
expect_eq "bad grid: exit status" $? 1
expect_eq "bad grid: message" "$(cat "$T/err")" "gm-rfm: $G/bad.segments:3: F: 4 is outside the scores 1 to 3"
expect_eq "bad grid: nothing written" "$(wc -c <"$T/out")" 0

# ---- the migration, in a folder warehouse ----
# As of 2026-11-06, u10 (first purchase 11-06) is no customer yet;
# then, as of 11-11: Lost/Lost u01 u11, About To Sleep/About To Sleep
# u02, About To Sleep/Loyal Customers u03, Promising/Loyal Customers
# u04, New Customers/Potential Loyalist u05, Potential
# Loyalist/Potential Loyalist u06 u07 u08, Others/Others u09,
# (none)/Potential Loyalist u10.
wh=$T/wh
expect_status "as of 11-06 into the warehouse" 0 gm-rfm -q -w "$wh" --as-of 2026-11-06 "${in[@]}"
expect_status "as of 11-11, compared" 0 gm-rfm -q -w "$wh" --as-of 2026-11-11 --compare 2026-11-06 "${in[@]}" >"$T/out"
expect_eq "-w alone writes no records out" "$(wc -c <"$T/out")" 0
expect_same_file "migration" "$wh/segment_migration.ndjson" "$G/expected/segment_migration.ndjson"
expect_eq "tables" "$(cd "$wh" && ls | tr '\n' ' ')" \
	"customer_segments.ndjson rfm_cuts.ndjson segment_migration.ndjson segment_summary.ndjson "
expect_eq "both days kept" "$(jq -r .as_of "$wh/customer_segments.ndjson" | uniq -c | tr -s ' ' | tr '\n' ';')" \
	" 10 2026-11-06; 11 2026-11-11;"
expect_same_file "the day's snapshot is the NDJSON one" <(grep '"as_of":"2026-11-11"' "$wh/customer_segments.ndjson") \
	<(grep '"customer_segment"' "$G/expected/all.ndjson")
# The same run again: the same bytes.
cp -r "$wh" "$T/before"
expect_status "the same run again" 0 gm-rfm -q -w "$wh" --as-of 2026-11-11 --compare 2026-11-06 "${in[@]}"
expect_eq "the same warehouse" "$(diff -r "$T/before" "$wh" && echo same)" same
# -w and -o: both.
expect_status "-w and -o" 0 gm-rfm -q -w "$T/wh3" -o "$T/both" --as-of 2026-11-11 "${in[@]}"
expect_same_file "-o beside -w" "$T/both" "$G/expected/all.ndjson"
# --dry-run writes nothing.
expect_status "dry run" 0 gm-rfm -n -w "$wh" --as-of 2026-11-12 --compare 2026-11-06 "${in[@]}" 2>"$T/err"
expect_eq "dry run: the same warehouse" "$(diff -r "$T/before" "$wh" && echo same)" same
expect_grep "dry run: what it would write" "would write customer_segment 11, segment_summary 11, rfm_cuts 15, segment_migration 9" "$T/err"
# A snapshot that is not there.
gm-rfm -q -w "$wh" --as-of 2026-11-11 --compare 2026-11-01 "${in[@]}" 2>"$T/err"
expect_eq "no snapshot: exit status" $? 1
expect_eq "no snapshot: message" "$(cat "$T/err")" "gm-rfm: $wh: --compare: no customer_segments snapshot of 2026-11-01"

# ---- a run replaces its slices ----
# gm_wh_replace() on a folder, then gm-rfm's runs of a day again (the
# other backends: etl-pg.sh, etl-mongo.sh).
. "$TESTS/helpers/wh-replace.sh"
wh_replace_check folder "$T/whr" jq -r '"\(.segment_id) \(.user_id)"' "$T/whr/customer_segments.ndjson"
# A folder's rows of a day, as -o writes them (the same bytes).
dir_rows() { grep "\"as_of_key\":$3," "$T/whs/$1.ndjson"; }
rfm_replace_check folder "$T/whs" dir_rows cat

# ---- no customer ----
expect_status "no input" 0 gm-rfm -q </dev/null >"$T/out"
expect_eq "no input: no row" "$(wc -c <"$T/out")" 0
expect_status "no customer in the window" 0 gm-rfm -q --as-of 2026-10-01 "${in[@]}" -o "$T/out"
expect_eq "no customer: no row" "$(wc -c <"$T/out")" 0

# ---- dim_customer or fact_sales ----
# gm-etl's warehouse of transactions.ndjson (t05 twice: the first
# counts, in gm-etl as here): 9 customers, u11's last purchase t31 on
# 11-11 01:00, the latest, in the table's 9th row.
wd=$T/whd
expect_status "gm-etl" 0 gm-etl -q -w "$wd" "$G/transactions.ndjson"
# rfm_from WHAT OUT ARGS...: gm-rfm over $wd, its records in $T/OUT,
# its summary and input lines in $T/OUT.err.
rfm_from() { local what=$1 out=$2; shift 2
	expect_status "$what" 0 gm-rfm -w "$wd" -o "$T/$out" "$@" 2>"$T/$out.err"
}
input_line() { sed -n 2p "$T/$1.err"; }
for asof in "--as-of 2026-11-12" ""; do
	rfm_from "dim_customer ${asof:-by default}" dim $asof
	rfm_from "fact_sales ${asof:-by default}" facts --from fact_sales $asof
	expect_status "raw ${asof:-by default}" 0 gm-rfm -q -o "$T/raw" $asof "$G/transactions.ndjson"
	expect_eq "dim_customer ${asof:-by default}: said so" "$(input_line dim)" "gm-rfm: input: dim_customer, 9 rows"
	expect_eq "fact_sales ${asof:-by default}: said so" "$(input_line facts)" \
		"gm-rfm: input: fact_sales, 21 rows; not dim_customer: --from fact_sales"
	expect_same_file "dim_customer equals fact_sales ${asof:-by default}" "$T/dim" "$T/facts"
	expect_same_file "dim_customer equals the transactions ${asof:-by default}" "$T/dim" "$T/raw"
	expect_eq "the same summary ${asof:-by default}" "$(head -1 "$T/dim.err")" "$(head -1 "$T/facts.err")"
	expect_eq "every table ${asof:-by default}" "$(jq -r .type "$T/dim" | uniq -c | tr -s ' ' | tr '\n' ';')" \
		" 9 customer_segment; 11 segment_summary; 15 rfm_cuts;"
done
expect_grep "the default as-of day, the day after t31's" '"as_of":"2026-11-12"' "$T/dim"
expect_status "--from dim_customer" 0 gm-rfm -q -w "$wd" -o "$T/forced" --from dim_customer
expect_same_file "--from dim_customer" "$T/forced" "$T/dim"
# As of 11-11, u11's last purchase is on the day: fact_sales, the days
# before it (20 rows of 21), which leaves t31 out, as the transactions do.
rfm_from "as of u11's last purchase" late --as-of 2026-11-11
expect_eq "as of u11's last purchase: said why" "$(input_line late)" \
	"gm-rfm: input: fact_sales, 20 rows; not dim_customer: $wd/dim_customer.ndjson:9: the last purchase of \"u11\", 2026-11-11T01:00:00.000Z, is not before the as-of day, 2026-11-11"
gm-rfm -q -o "$T/raw" --as-of 2026-11-11 "$G/transactions.ndjson"
expect_same_file "as of u11's last purchase: the transactions' rows" "$T/late" "$T/raw"
expect_status "--from dim_customer, as of u11's last purchase" 1 gm-rfm -q -w "$wd" --from dim_customer --as-of 2026-11-11 2>"$T/err"
expect_eq "--from dim_customer, as of u11's last purchase: message" "$(cat "$T/err")" \
	"gm-rfm: $wd/dim_customer.ndjson:9: --from dim_customer: the last purchase of \"u11\", 2026-11-11T01:00:00.000Z, is not before the as-of day, 2026-11-11"
# A window: fact_sales.
rfm_from "a window" window --as-of 2026-11-12 --window 30d
expect_eq "a window: said so" "$(input_line window)" "gm-rfm: input: fact_sales, 20 rows; not dim_customer: --window"
gm-rfm -q -o "$T/raw" --as-of 2026-11-12 --window 30d "$G/transactions.ndjson"
expect_same_file "a window: the transactions' rows" "$T/window" "$T/raw"
# A customer's row twice is a bad row: rejected, and fact_sales read.
cp -r "$wd" "$T/whbad"
head -1 "$wd/dim_customer.ndjson" >>"$T/whbad/dim_customer.ndjson"
expect_status "a customer twice" 0 gm-rfm -w "$T/whbad" -o "$T/bad" --rejects "$T/rejects" 2>"$T/bad.err"
expect_eq "a customer twice: rejected" "$(head -1 "$T/bad.err")" \
	"gm-rfm: $T/whbad/dim_customer.ndjson:10: user_id \"u01\" again: a customer's totals are one row"
expect_eq "a customer twice: said why" "$(sed -n 3p "$T/bad.err")" \
	"gm-rfm: input: fact_sales, 21 rows; not dim_customer: $T/whbad/dim_customer.ndjson:10 holds a bad row"
expect_grep "a customer twice: counted" "^gm-rfm: 31 in, .* 1 rejected," "$T/bad.err"
expect_same_file "a customer twice: kept" "$T/rejects" <(head -1 "$wd/dim_customer.ndjson")
expect_same_file "a customer twice: the rows of fact_sales" "$T/bad" "$T/facts"
expect_status "a customer twice, --strict" 1 gm-rfm -q -w "$T/whbad" --strict -o "$T/out" 2>"$T/err"
expect_eq "a customer twice, --strict: message" "$(cat "$T/err")" \
	"gm-rfm: $T/whbad/dim_customer.ndjson:10: user_id \"u01\" again: a customer's totals are one row"
expect_eq "a customer twice, --strict: nothing written" "$(wc -c <"$T/out")" 0
# A row that lacks a field (u02's) and one of no order (u04's), under
# --from dim_customer: rejected, as the customer twice, the others read.
sed -i -e '2s/"orders":[0-9]*,//' -e '3s/"orders":[0-9]*/"orders":0/' "$T/whbad/dim_customer.ndjson"
gm-rfm -w "$T/whbad" --from dim_customer -o "$T/out" 2>"$T/err"
expect_eq "--from dim_customer, bad rows: exit status" $? 0
expect_eq "--from dim_customer, bad rows: rejected" "$(grep -c 'dim_customer.ndjson:\(2: missing field "orders"\|3: field "orders": 0 is out of range (1 to 4294967295)\|10: user_id\)' "$T/err")" 3
expect_eq "--from dim_customer, bad rows: the others" "$(jq -r 'select(.type == "customer_segment") | .user_id' "$T/out" | tr '\n' ' ')" \
	"u01 u05 u07 u08 u09 u10 u11 "
# No dim_customer: fact_sales.
mkdir "$T/whf" && cp "$wd/fact_sales.ndjson" "$T/whf/"
gm-rfm -w "$T/whf" -o "$T/out" 2>"$T/err"
expect_eq "no dim_customer: said so" "$(sed -n 2p "$T/err")" "gm-rfm: input: fact_sales, 21 rows; not dim_customer: it holds no row"
expect_same_file "no dim_customer: the rows of fact_sales" "$T/out" "$T/facts"

# ---- usage ----
usage() { local what=$1 want=$2; shift 2
	gm-rfm "$@" </dev/null >/dev/null 2>"$T/err"
	expect_eq "$what: exit status" $? 2
	expect_grep "$what: message" "$want" "$T/err"
}
usage "--window without --as-of" "--window needs --as-of" --window 30d
usage "--bins 3 with the built-in grid" "--segments rfm is written for --bins 5" --bins 3
usage "--bins 100" "--bins" --bins 100
usage "--compare without -w" "--compare needs -w" --compare 2026-11-01
usage "a bad date" '--as-of: "2026-11-31" is not a date YYYY-MM-DD' --as-of 2026-11-31
usage "-t without -e" "-t needs -e" -t transactions
usage "--from of another table" '--from: "dim_date" is none of auto, fact_sales, dim_customer' -w "$T/wd" --from dim_date
usage "--from with a FILE" "--from fact_sales: the warehouse's tables are the input with -w and neither FILE nor -t" \
	-w "$T/wd" --from fact_sales /dev/null
usage "--from dim_customer with a window" "--from dim_customer: its totals are of all history, not of a --window" \
	-w "$T/wd" --from dim_customer --as-of 2026-11-11 --window 30d

finish

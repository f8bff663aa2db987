# gm-etl into MongoDB (-w mongodb://...): the golden days of
# tests/golden/etl loaded day by day give the expected tables, row for
# row (numbers by value: the server keeps 1.0000 as the number 1); a
# read filtered by a range or a list gives those rows, a transaction's
# lines together; the same input again and a dry run change nothing;
# the lock, held (waited for, then exit 75) and left by a run that is
# gone (taken over);
# what a crash leaves before and after the commit point; an unreachable
# server (exit 75). gm-rfm over that warehouse writes into MongoDB the
# rows (and says the summary) that the same runs write over a folder of
# the same fact_sales; the same run again changes nothing; a run while
# another holds the lock exits 75 (waiting no time); its records
# through dim_customer and through fact_sales are the same bytes, also
# where it falls back to fact_sales. A run replaces its slices: the
# lib's own, and gm-rfm's of a day run again, also when a run stopped
# past its commit point is finished by the next. Against CongoDB, or a
# real mongod named by GM_TEST_MONGO_URI (tests/helpers/mongo.sh).
. "$(dirname "$0")/../lib.sh"
. "$TESTS/helpers/mongo.sh"
G=$TESTS/golden/etl

mongo_start
U=$GM_MONGO_URI
tables=$(cd "$G/expected" && ls | sed 's/\.ndjson$//')

# snapshot DIR: every table as a scan gives it, sorted.
snapshot() {
	mkdir -p "$1"
	for t in $tables; do
		wh-mongo "$U" scan "$t" | sort >"$1/$t" || fail "scan $t"
	done
}
# by_value FILE: its rows with every number as a double, sorted, so
# that 25, 25.0 and 25.0000 compare equal and 25.01 does not.
by_value() {
	python3 -c '
import json, sys
rows = (json.loads(l, parse_int=float) for l in open(sys.argv[1]) if l.strip())
print("\n".join(sorted(json.dumps(r) for r in rows)))' "$1"
}
staging() { wh-mongo "$U" count _gm_staging; }

# ---- day by day: the expected tables ----
expect_status "day 1" 0 gm-etl -q -w "$U" "$G/catalog.ndjson" "$G/day1.ndjson"
expect_status "day 2" 0 gm-etl -q -w "$U" "$G/day2.ndjson" 2>/dev/null
expect_status "day 3" 0 gm-etl -q -w "$U" -l "$T/late" "$G/day3.ndjson"
snapshot "$T/after"
for t in $tables; do
	expect_same_file "table $t" <(by_value "$T/after/$t") <(by_value "$G/expected/$t.ndjson")
done
expect_eq "money as the folder has it" \
	"$(grep -c '"unit_price":25,' "$T/after/fact_sales")" 3
expect_same_file "late: t10" "$T/late" <(grep '"t10"' "$G/day3.ndjson")
for c in _gm_staging _gm_commit _gm_lock; do
	expect_eq "$c: empty after the runs" "$(wh-mongo "$U" count $c)" 0
done

# ---- a filtered read: November 2 or u2's, in (transaction_id, line) ----
wh-mongo "$U" scan fact_sales range date_key 20261102 20261102 in user_id u2 >"$T/got"
jq -c -s 'map(select(.date_key == 20261102 or .user_id == "u2"))
	| sort_by(.transaction_id, .line) | .[]' "$G/expected/fact_sales.ndjson" >"$T/want"
expect_same_file "filtered read, in order" "$T/got" "$T/want"
expect_eq "filtered read: rows" "$(wc -l <"$T/got")" 5

# ---- the same input again, a dry run, nothing: no change ----
expect_status "day 2 again" 0 gm-etl -w "$U" "$G/day2.ndjson" 2>"$T/err"
expect_grep "day 2 again: its 6 facts were there" "6 already loaded" "$T/err"
expect_status "dry run" 0 gm-etl -n -w "$U" "$G/day3.ndjson" 2>"$T/err"
expect_grep "dry run: says would" "gm-etl: would load 3 transactions" "$T/err"
expect_status "empty input" 0 gm-etl -q -w "$U" /dev/null
snapshot "$T/again"
expect_eq "no table changed" "$(diff -r "$T/after" "$T/again" && echo same)" same

# ---- the lock ----
# Held by a live process of this host: exit 75 once --retry-for has
# passed, nothing changes.
wh-mongo "$U" lock here $$ || fail "lock taken"
expect_status "locked" 75 gm-etl -q --retry-for 0s -w "$U" "$G/day3.ndjson" 2>"$T/err"
expect_grep "locked: said so" "another run holds the warehouse's lock" "$T/err"
expect_grep "locked: names the holder" "\"pid\":$$" "$T/err"
# Released while a run waits for it: the run goes on.
gm-etl -q -w "$U" /dev/null 2>"$T/err" &
waiter=$!
for _ in $(seq 300); do [ -s "$T/err" ] && break; sleep 0.1; done
expect_grep "waits for the lock: said so, naming the holder" \
	"warning: another run holds the warehouse's lock (.*\"pid\":$$.*); waiting for up to 60 s" "$T/err"
wh-mongo "$U" unlock
wait "$waiter"
expect_eq "waits for the lock: status 0 once it is released" "$?" 0
# Held by a run of another host: never judged over.
wh-mongo "$U" lock elsewhere.example 1 || fail "lock taken"
expect_status "locked from elsewhere" 75 gm-etl -q --retry-for 1s -w "$U" /dev/null 2>/dev/null
wh-mongo "$U" unlock
# Left by a process of this host that is gone: taken over.
sleep 0 &
dead=$!
wait $dead
wh-mongo "$U" lock here $dead || fail "lock taken"
expect_status "a stale lock" 0 gm-etl -q -w "$U" /dev/null 2>"$T/err"
expect_grep "a stale lock: taken over" "taking over the lock of a run that ended" "$T/err"
expect_eq "a stale lock: released after" "$(wh-mongo "$U" count _gm_lock)" 0

# ---- what a crash leaves ----
# Before the commit point: staged rows, no marker: dropped.
grep '"u1"' "$G/expected/dim_customer.ndjson" | sed 's/"orders":3/"orders":33/' >"$T/u1"
wh-mongo "$U" stage "$T/u1" || fail "staged"
expect_eq "staged" "$(staging)" 1
expect_status "after a crash before the commit point" 0 gm-etl -q -w "$U" /dev/null
expect_eq "staging dropped" "$(staging)" 0
snapshot "$T/kept"
expect_eq "tables kept" "$(diff -r "$T/after" "$T/kept" && echo same)" same
# After it: staged rows and the marker: the next run applies them.
wh-mongo "$U" stage --marker "$T/u1" || fail "staged with a marker"
expect_status "after a crash past the commit point" 0 gm-etl -q -w "$U" /dev/null 2>"$T/err"
expect_grep "said so" "finishing the commit of a run that stopped past its commit point" "$T/err"
expect_eq "the commit finished" "$(wh-mongo "$U" scan dim_customer | grep -c '"orders":33')" 1
expect_eq "no marker left" "$(wh-mongo "$U" count _gm_commit)" 0
expect_eq "no staging left" "$(staging)" 0

# ---- a run replaces its slices: the lib's gm_wh_replace() ----
# (a regular expression's . and \ stand for themselves); it leaves
# customer_segments empty, as it found it.
. "$TESTS/helpers/wh-replace.sh"
seg_ids() { wh-mongo "$U" scan customer_segment | jq -r '"\(.segment_id) \(.user_id)"'; }
wh_replace_check MongoDB "$U" seg_ids

# ---- gm-rfm over the same fact_sales ----
# A folder that holds the expected fact_sales, which the server holds
# (above); the crashes since changed dim_customer alone. As of November
# 1 with a 12-hour window (October 31 read: t1 and t2 of the morning
# outside, t3 of u3 and t8 of u4 in), as of November 2 (u1 to u4), and
# as of November 3 (u1 to u5) compared with November 2.
mkdir "$T/rfm"
cp "$G/expected/fact_sales.ndjson" "$T/rfm/"
# fact_sales, not dim_customer, which the crashes left as no fact says.
rfm_runs=("--from fact_sales --as-of 2026-11-01 --window 12h" "--from fact_sales --as-of 2026-11-02"
	"--from fact_sales --as-of 2026-11-03 --compare 2026-11-02")
for i in 0 1 2; do
	# shellcheck disable=SC2086
	expect_status "gm-rfm ${rfm_runs[$i]}: MongoDB" 0 gm-rfm -w "$U" ${rfm_runs[$i]} 2>"$T/rfm.mongo$i"
	# shellcheck disable=SC2086
	expect_status "gm-rfm ${rfm_runs[$i]}: folder" 0 gm-rfm -w "$T/rfm" ${rfm_runs[$i]} 2>"$T/rfm.dir$i"
	expect_eq "gm-rfm ${rfm_runs[$i]}: the same summary" "$(head -1 "$T/rfm.mongo$i")" "$(head -1 "$T/rfm.dir$i")"
done
expect_eq "gm-rfm: the window's run read October 31 alone" "$(head -1 "$T/rfm.mongo0")" \
	"gm-rfm: 4 transactions, 0 duplicates, 2 outside the window, 0 other records; 2 customers as of 2026-11-01; rows: customer_segment 2, segment_summary 11, rfm_cuts 15, segment_migration 0"
expect_grep "gm-rfm: the compared run's migration" "segment_migration 3$" "$T/rfm.mongo2"
# TYPE:TABLE of gm-rfm's tables (wh-mongo scans by type).
rfm_tables="customer_segment:customer_segments segment_summary:segment_summary rfm_cuts:rfm_cuts
	segment_migration:segment_migration"
# rfm_scan DIR: each table's rows as a scan gives them, in DIR/TABLE.
rfm_scan() {
	mkdir -p "$1"
	for tt in $rfm_tables; do
		wh-mongo "$U" scan "${tt%%:*}" >"$1/${tt#*:}" || fail "scan ${tt%%:*}"
	done
}
rfm_scan "$T/rfm.got"
for tt in $rfm_tables; do
	expect_same_file "gm-rfm: ${tt#*:}" <(by_value "$T/rfm.got/${tt#*:}") <(by_value "$T/rfm/${tt#*:}.ndjson")
done
expect_eq "gm-rfm: three days of customers" "$(wc -l <"$T/rfm.got/customer_segments")" 11
# Each table's rows (as the last scan gave them), counted and hashed.
rfm_sums() {
	for tt in $rfm_tables; do
		echo "$(wc -l <"$T/rfm.got/${tt#*:}"):$(sort "$T/rfm.got/${tt#*:}" | md5sum)"
	done | paste -sd' '
}
before=$(rfm_sums)
# shellcheck disable=SC2086
expect_status "gm-rfm: the same run again" 0 gm-rfm -q -w "$U" ${rfm_runs[2]}
rfm_scan "$T/rfm.got"
expect_eq "gm-rfm: the same run again changes nothing" "$(rfm_sums)" "$before"
wh-mongo "$U" lock here $$ || fail "lock taken"
expect_status "gm-rfm: locked" 75 gm-rfm -q --retry-for 0s -w "$U" --as-of 2026-11-04 2>"$T/err"
expect_grep "gm-rfm: locked: said so" "another run holds the warehouse's lock" "$T/err"
wh-mongo "$U" unlock
rfm_scan "$T/rfm.got"
expect_eq "gm-rfm: the locked run wrote nothing" "$(rfm_sums)" "$before"
for c in _gm_staging _gm_commit _gm_lock; do
	expect_eq "gm-rfm: $c empty after the runs" "$(wh-mongo "$U" count $c)" 0
done

# ---- gm-rfm through dim_customer and through fact_sales ----
# The golden days loaded into a database of their own (the crashes
# above changed dim_customer alone): as of November 3, after every last
# purchase, and by default (the same day), the records through
# dim_customer and through fact_sales (--from) are the same bytes, and
# those of a folder of the expected fact_sales; as of November 2, a last
# purchase on the day makes it fact_sales, said so, and the folder's
# records still.
U2=$(_mongo_with_db "$U" "${MONGO_DB}_dim")
at_exit 'mongo-client "$U2" drop >/dev/null 2>&1'
expect_status "dim: day 1" 0 gm-etl -q -w "$U2" "$G/catalog.ndjson" "$G/day1.ndjson"
expect_status "dim: day 2" 0 gm-etl -q -w "$U2" "$G/day2.ndjson" 2>/dev/null
expect_status "dim: day 3" 0 gm-etl -q -w "$U2" "$G/day3.ndjson" 2>/dev/null
mkdir "$T/rfmd"
cp "$G/expected/fact_sales.ndjson" "$T/rfmd/"
for asof in "--as-of 2026-11-03" ""; do
	# shellcheck disable=SC2086
	expect_status "dim_customer ${asof:-by default}" 0 gm-rfm -w "$U2" -o "$T/dim" $asof 2>"$T/dim.err"
	# shellcheck disable=SC2086
	expect_status "fact_sales ${asof:-by default}" 0 gm-rfm -w "$U2" -o "$T/facts" --from fact_sales $asof 2>"$T/facts.err"
	# shellcheck disable=SC2086
	expect_status "the folder's ${asof:-by default}" 0 gm-rfm -q -w "$T/rfmd" -o "$T/folder" $asof
	expect_eq "dim_customer ${asof:-by default}: said so" "$(sed -n 2p "$T/dim.err")" "gm-rfm: input: dim_customer, 5 rows"
	expect_eq "fact_sales ${asof:-by default}: said so" "$(sed -n 2p "$T/facts.err")" \
		"gm-rfm: input: fact_sales, 11 rows; not dim_customer: --from fact_sales"
	expect_same_file "dim_customer equals fact_sales ${asof:-by default}" "$T/dim" "$T/facts"
	expect_same_file "dim_customer equals the folder's fact_sales ${asof:-by default}" "$T/dim" "$T/folder"
	expect_eq "the same summary ${asof:-by default}" "$(head -1 "$T/dim.err")" "$(head -1 "$T/facts.err")"
done
expect_grep "by default, as of November 3" '"as_of":"2026-11-03"' "$T/dim"
expect_status "as of November 2" 0 gm-rfm -w "$U2" -o "$T/late" --as-of 2026-11-02 2>"$T/late.err"
expect_grep "as of November 2: fact_sales, and why" \
	"^gm-rfm: input: fact_sales, 9 rows; not dim_customer: mongodb://.*\.dim_customer:[0-9]*: the last purchase of \"u[0-9]\", 2026-11-02T[0-9:.]*Z, is not before the as-of day, 2026-11-02$" "$T/late.err"
gm-rfm -q -w "$T/rfmd" -o "$T/folder" --as-of 2026-11-02
expect_same_file "as of November 2: the folder's records" "$T/late" "$T/folder"

# ---- gm-rfm's runs of a day again replace its slices ----
# (days the runs above did not write)
value_rows() { by_value /dev/stdin; }
day_rows() { wh-mongo "$U" scan "$2" range as_of_key "$3" "$3" | value_rows; }
rfm_replace_check MongoDB "$U" day_rows value_rows
# A run of 11-11 that stopped past its commit point, having staged the
# rows of the run with u05 gone and its slices, over the run of every
# customer: the next run deletes the slices and upserts the rows.
expect_status "gm-rfm: 11-11, every customer" 0 gm-rfm -q -w "$U" --as-of 2026-11-11 \
	--compare 2026-11-06 "$TESTS/golden/rfm/transactions.ndjson" "$TESTS/golden/rfm/fact_sales.ndjson"
u05_of_11() { day_rows customer_segments customer_segment 20261111 | grep -c '"u05"'; }
expect_eq "11-11 holds u05" "$(u05_of_11)" 1
wh-mongo "$U" stage --marker "$T/whr.fewer" customer_segment 2026-11-11/ segment_summary 2026-11-11/ \
	rfm_cuts 2026-11-11/ segment_migration 2026-11-11/2026-11-06/ || fail "staged with a marker and slices"
expect_eq "slices staged" "$(staging)" "$(($(wc -l <"$T/whr.fewer") + 4))"
expect_status "after a crash of gm-rfm past the commit point" 0 gm-etl -q -w "$U" /dev/null 2>"$T/err"
expect_grep "said so" "finishing the commit of a run that stopped past its commit point" "$T/err"
for tt in $rfm_tables; do
	day_rows "${tt#*:}" "${tt%%:*}" 20261111 >"$T/whr.got"
	grep "^{\"type\":\"${tt%%:*}\"" "$T/whr.fewer" | value_rows >"$T/whr.want"
	expect_same_file "the commit finished: ${tt#*:}" "$T/whr.got" "$T/whr.want"
done
expect_eq "the commit finished: no u05" "$(u05_of_11)" 0
for c in _gm_staging _gm_commit; do
	expect_eq "$c: empty after" "$(wh-mongo "$U" count $c)" 0
done

# ---- an unreachable server: exit 75 ----
expect_status "unreachable" 75 wh-mongo -r 300 mongodb://127.0.0.1:1/x scan dim_date 2>"$T/err"
expect_grep "unreachable: said so" "unreachable for 0.3 s, giving up" "$T/err"
finish

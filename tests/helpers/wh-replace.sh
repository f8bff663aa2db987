# tests/helpers/wh-replace.sh: gm_wh_replace() on one backend, through
# tests/helpers/wh-put.c. Source it after tests/lib.sh, then:
#
#   wh_replace_check NAME SPEC LIST...
#       runs wh-put against the warehouse SPEC, whose customer_segments
#       table must be empty, and after each run compares what the
#       command LIST prints (each row of customer_segments as
#       "SEGMENT_ID USER_ID", one a line, any order) with what must be
#       there: a slice's rows not put are removed, a row put in it is
#       upserted, ids that match a prefix only as a wildcard (LIKE's _
#       and %, a regular expression's . and \) are kept, several
#       prefixes per table, a dry run changes nothing, load order too,
#       and the empty prefix is the whole table, which it leaves empty.

# _wh_rows USER ID...: customer_segment rows of those ids, for USER,
# as wh-put takes them by id (in order). Into a file for a check's
# stdin, not a pipe: a check in a pipe runs in a subshell, whose
# failure the test would not count.
_wh_rows() {
	local user=$1 id; shift
	for id in "$@"; do
		printf '{"type":"customer_segment","segment_id":"%s","as_of_key":20261111,"as_of":"2026-11-11","user_id":"%s","recency_days":1,"frequency":1,"monetary":10,"r":1,"f":1,"m":1,"rfm_score":111,"segment":"Lost"}\n' \
			"$id" "$user"
	done | LC_ALL=C sort
}

wh_replace_check() {
	local name=$1 spec=$2; shift 2
	# _wh_expect WHAT WANT...: LIST's rows, sorted, against WANT's.
	_wh_expect() {
		local what=$1; shift
		expect_eq "$name: replace: $what" "$("${list[@]}" | LC_ALL=C sort | paste -sd,)" \
			"$(printf '%s\n' "$@" | LC_ALL=C sort | paste -sd,)"
	}
	local list=("$@")
	# JSON text: x\\1 is the id x\1.
	_wh_rows u01 'x%1/a' 'x.1/a' 'x_1/a' 'x_1/b' 'xa1/a' 'x\\1/a' 'y/a' 'y/b' >"$T/wh.rows"
	# The table done (gm_wh_done()) before the commit: the folder's file
	# then written out and synced by its writer's thread.
	expect_status "$name: replace: the rows put" 0 wh-put -d "$spec" customer_segment <"$T/wh.rows"
	_wh_expect "the rows put" 'x%1/a u01' 'x.1/a u01' 'x_1/a u01' 'x_1/b u01' 'xa1/a u01' \
		'x\1/a u01' 'y/a u01' 'y/b u01'
	# x_1/ keeps x_1/b, put again; x.1/ and x\1/ put nothing; z/ has no row.
	_wh_rows u02 'x_1/b' >"$T/wh.in"
	expect_status "$name: replace: three slices" 0 \
		wh-put "$spec" customer_segment 'x_1/' 'x.1/' 'x\1/' 'z/' <"$T/wh.in"
	_wh_expect "three slices" 'x%1/a u01' 'x_1/b u02' 'xa1/a u01' 'y/a u01' 'y/b u01'
	_wh_rows u03 'y/b' >"$T/wh.in"
	expect_status "$name: replace: a dry run" 0 \
		wh-put -n "$spec" customer_segment 'y/' '' <"$T/wh.in"
	_wh_expect "a dry run" 'x%1/a u01' 'x_1/b u02' 'xa1/a u01' 'y/a u01' 'y/b u01'
	_wh_rows u03 'y/b' >"$T/wh.in"
	expect_status "$name: replace: in load order" 0 \
		wh-put -l "$spec" customer_segment 'y/' 'y/' <"$T/wh.in"
	_wh_expect "in load order" 'x%1/a u01' 'x_1/b u02' 'xa1/a u01' 'y/b u03'
	_wh_rows u04 'x_1/b' 'y/b' >"$T/wh.in"
	expect_status "$name: replace: a row put after done" 1 \
		wh-put -D -l "$spec" customer_segment <"$T/wh.in" 2>"$T/wh.err"
	expect_grep "$name: replace: a row put after done, said" 'put after the table was done' "$T/wh.err"
	_wh_expect "a row put after done" 'x%1/a u01' 'x_1/b u02' 'xa1/a u01' 'y/b u03'
	expect_status "$name: replace: the whole table" 0 wh-put "$spec" customer_segment '' </dev/null
	_wh_expect "the whole table"
	unset -f _wh_expect
}

# rfm_replace_check NAME SPEC ROWS NORM
#       gm-rfm's runs replace their slices in the warehouse SPEC, which
#       holds none of their days: as of 2026-11-06, then 2026-11-11
#       compared with it, over tests/golden/rfm; 2026-11-11 again with
#       u05 gone, --bins 3 and another grid, also written to -o: each
#       table's rows of 2026-11-11 are then exactly those of -o, one
#       customer fewer, and those of 2026-11-06 as they were; then again
#       with no customer, a dry run first, which changes nothing: none of
#       its day, and the migration of every customer of 2026-11-06 to
#       none. ROWS TABLE TYPE KEY prints the
#       rows of TABLE whose as_of_key is KEY, NORM turns rows of TYPE
#       (stdin) into the same form. Leaves $T/whr.fewer, the rerun's -o.
rfm_replace_check() {
	local name=$1 spec=$2 rows=$3 norm=$4 G=$TESTS/golden/rfm tt
	local in=("$G/transactions.ndjson" "$G/fact_sales.ndjson")
	local tables="customer_segments:customer_segment segment_summary:segment_summary
		rfm_cuts:rfm_cuts segment_migration:segment_migration"
	# _rfm_same WHAT OUT: every table's rows of 2026-11-11 are OUT's, and
	# of 2026-11-06 as before.
	_rfm_same() {
		for tt in $tables; do
			"$rows" "${tt%%:*}" "${tt#*:}" 20261111 >"$T/whr.got"
			grep "^{\"type\":\"${tt#*:}\"" "$2" | "$norm" >"$T/whr.want"
			expect_same_file "$name: $1: ${tt%%:*}" "$T/whr.got" "$T/whr.want"
			"$rows" "${tt%%:*}" "${tt#*:}" 20261106 >"$T/whr.got"
			expect_same_file "$name: $1: ${tt%%:*} of 11-06 kept" "$T/whr.got" "$T/whr.06.${tt%%:*}"
		done
	}
	expect_status "$name: as of 11-06" 0 gm-rfm -q -w "$spec" --as-of 2026-11-06 "${in[@]}"
	expect_status "$name: as of 11-11" 0 gm-rfm -q -w "$spec" --as-of 2026-11-11 \
		--compare 2026-11-06 "${in[@]}" -o "$T/whr.all"
	for tt in $tables; do
		"$rows" "${tt%%:*}" "${tt#*:}" 20261106 >"$T/whr.06.${tt%%:*}"
	done
	_rfm_same "as of 11-11" "$T/whr.all"
	grep -hv '"u05"' "${in[@]}" >"$T/whr.in"
	expect_status "$name: 11-11 again, u05 gone, another grid" 0 gm-rfm -q -w "$spec" \
		--as-of 2026-11-11 --compare 2026-11-06 --bins 3 --segments "$G/three.segments" \
		"$T/whr.in" -o "$T/whr.fewer"
	_rfm_same "11-11 again" "$T/whr.fewer"
	expect_eq "$name: 11-11 again: one customer fewer" \
		"$("$rows" customer_segments customer_segment 20261111 | wc -l)" 10
	expect_status "$name: 11-11, no customer, a dry run" 0 gm-rfm -q -n -w "$spec" \
		--as-of 2026-11-11 --compare 2026-11-06 /dev/null
	_rfm_same "a dry run" "$T/whr.fewer"
	expect_status "$name: 11-11, no customer" 0 gm-rfm -q -w "$spec" --as-of 2026-11-11 \
		--compare 2026-11-06 /dev/null -o "$T/whr.none"
	_rfm_same "no customer" "$T/whr.none"
	expect_eq "$name: no customer: the migration of 11-06's customers to none" \
		"$(jq -rs '"\(map(.type) | unique) \(map(.to_segment) | unique) \(map(.customers) | add)"' "$T/whr.none")" \
		"[\"segment_migration\"] [\"(none)\"] $(wc -l <"$T/whr.06.customer_segments")"
	unset -f _rfm_same
}

#!/usr/bin/env bash
# etl-pg: gm-etl -w postgresql://... (lib/wh_pg.c) writes the tables the
# folder does: three days of gm-produce history loaded day by day into
# PostgreSQL (through each spelling of the spec) equal one run into a
# folder, table by table. The same input again rewrites no row. A run
# blocked in its commit makes a second run that waits no time for the
# lock exit 75; killed there (kill -9), it leaves every table as
# before, and the next run completes them. A dry run changes nothing; an unreachable server is
# exit 75. gm-rfm over that warehouse writes into PostgreSQL the rows
# (and says the summary) that the same runs write over the folder; the
# same run again rewrites no row; a run while another holds the lock
# (once --retry-for has passed; one that waits goes on when the holder
# ends), and one with no server there, exit 75; its records through
# dim_customer and through fact_sales are the same bytes, and those of
# the raw events, also where it falls back to fact_sales. A run
# replaces its slices: of
# the lib's own, and gm-rfm's of a day run again.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"
pg_start

URI="postgresql://postgres@127.0.0.1:$PGPORT/gm"
TABLES="fact_sales fact_product_views fact_cart_events dim_date dim_customer dim_product
	dim_geography product_performance sales_trends etl_state"

gm-produce -q -r 0 -s 7 --start 2026-10-01T00:00:00Z -d 3d --event-rate 0.05 \
	--products 50 --users 500 --catalog "$T/C" -o "$T/E" || fail "gm-produce"
for d in 1 2 3; do grep "\"ts\":\"2026-10-0${d}T" "$T/E" >"$T/E$d"; done
expect_eq "the days split the history" "$(cat "$T"/E[123] | wc -l)" "$(wc -l <"$T/E")"

# The whole history in one run into a folder: what PostgreSQL must hold.
expect_status "folder, one run" 0 gm-etl -q -w "$T/W" "$T/C" "$T/E"

# A table as sorted lines of key-sorted JSON, null fields left out (the
# folder leaves out what PostgreSQL holds as NULL): from the folder, and
# from PostgreSQL, its columns as JSON, times as the folder writes them;
# "type" the table's name, or TYPE when given (pg_rows TABLE [TYPE]).
norm() { jq -cS 'with_entries(select(.value != null))' | sort; }
folder_rows() { norm <"$T/W/$1.ndjson"; }
pg_rows() {
	local cols
	cols=$(psql -X -Atc "SELECT string_agg(format('%L, %s', column_name,
		CASE WHEN data_type LIKE 'timestamp%' THEN format('to_char(%I AT TIME ZONE ''UTC'', ''YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'')', column_name)
		ELSE quote_ident(column_name) END), ', ' ORDER BY ordinal_position)
		FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '$1'")
	psql -X -Atc "SELECT jsonb_build_object('type', '${2:-$1}', $cols) FROM $1" | norm
}
counts() {
	psql -X -Atc "SELECT string_agg(n, ' ') FROM ($(for t in $TABLES; do
		printf "SELECT '%s:' || count(*) AS n FROM %s UNION ALL " "$t" "$t"; done) SELECT NULL) c"
}
# Every row's xmin: which rows a run rewrote.
xmins() {
	psql -X -Atc "SELECT md5(string_agg(x, E'\n' ORDER BY x)) FROM ($(for t in $TABLES; do
		printf "SELECT '%s ' || xmin || ' ' || t::text AS x FROM %s t UNION ALL " "$t" "$t"; done) SELECT NULL) r"
}
compare_all() {
	local t
	for t in $TABLES; do
		folder_rows "$t" >"$T/want.$t"
		pg_rows "$t" >"$T/got.$t"
		expect_same_file "$1: $t" "$T/got.$t" "$T/want.$t"
	done
}

# (a) Day by day, through the three spellings of the spec.
expect_status "(a) day 1, postgresql://" 0 gm-etl -q -w "$URI" "$T/C" "$T/E1"
expect_status "(a) day 2, pg:CONNINFO" 0 gm-etl -q -w "pg:$GM_PG_CONNINFO" "$T/E2"
expect_status "(a) day 3, postgres://" 0 gm-etl -q -w "postgres://postgres@127.0.0.1:$PGPORT/gm" "$T/E3"
compare_all "(a) day by day equals the folder"
expect_eq "(a) rows" "$(counts)" "$(for t in $TABLES; do printf '%s:%s\n' "$t" "$(wc -l <"$T/W/$t.ndjson")"; done | paste -sd' ')"
expect_eq "(a) the history is not trivial" "$(psql -X -Atc "SELECT count(*) > 2000, count(DISTINCT date_key) FROM fact_sales")" "t|3"
expect_eq "(a) primary keys and indexes" "$(psql -X -Atc "SELECT string_agg(indexname, ' ' ORDER BY indexname)
	FROM pg_indexes WHERE tablename IN ('fact_sales', 'fact_product_views', 'fact_cart_events')")" \
	"fact_cart_events_date_idx fact_cart_events_pkey fact_product_views_date_idx fact_product_views_pkey fact_sales_date_idx fact_sales_pkey fact_sales_user_idx"

# (b) The same input again changes nothing, not even a row's version;
# nor does a dry run.
before=$(xmins)
expect_eq "(b) the rows' versions read" "${#before}" 32
expect_status "(b) the same input again" 0 gm-etl -q -w "$URI" "$T/C" "$T/E"
expect_eq "(b) no row rewritten" "$(xmins)" "$before"
expect_status "(b) a dry run" 0 gm-etl -q -n -w "$URI" "$T/C" "$T/E3"
expect_eq "(b) a dry run writes nothing" "$(xmins)" "$before"

# (c) Back to two days, then day 3 again with its commit blocked: a
# session holds sales_trends (writes wait; reads do not), so the run
# waits inside its transaction, its facts already upserted there.
psql -X -qc "TRUNCATE $(echo $TABLES | tr ' ' ',')"
expect_status "(c) days 1 and 2" 0 gm-etl -q -w "$URI" "$T/C" "$T/E1" "$T/E2"
before=$(counts)
PGAPPNAME=locker psql -X -qc "BEGIN; LOCK TABLE sales_trends IN EXCLUSIVE MODE; SELECT pg_sleep(600)" \
	>/dev/null 2>&1 &
locker=$!
waiting() { psql -X -Atc "SELECT count(*) FROM pg_stat_activity WHERE $1"; }
for _ in $(seq 300); do
	[ "$(waiting "application_name = 'locker' AND wait_event = 'PgSleep'")" = 1 ] && break
	sleep 0.1
done
gm-etl -q -w "$URI" "$T/E3" 2>"$T/c1.err" &
run=$!
for _ in $(seq 300); do
	[ "$(waiting "application_name = 'gm-etl' AND wait_event_type = 'Lock'")" = 1 ] && break
	sleep 0.1
done
expect_eq "(c) the run waits in its commit" "$(waiting "application_name = 'gm-etl' AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO sales_trends%'")" 1
# The lock: a second run that waits no time exits 75.
expect_status "(c) a second run at once" 75 gm-etl -q --retry-for 0s -w "$URI" "$T/E3" 2>"$T/c2.err"
expect_eq "(c) it says why" "$(cat "$T/c2.err")" \
	"gm-etl: database \"gm\" on 127.0.0.1:$PGPORT: another run holds the warehouse's lock; try again later"
kill -KILL "$run"
wait "$run" 2>/dev/null
psql -X -Atc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'locker'" >/dev/null
wait "$locker" 2>/dev/null
for _ in $(seq 300); do
	[ "$(waiting "application_name = 'gm-etl'")" = 0 ] && break
	sleep 0.1
done
expect_eq "(c) the killed run is gone" "$(waiting "application_name = 'gm-etl'")" 0
expect_eq "(c) killed mid-commit: every table as before" "$(counts)" "$before"
expect_status "(c) the next run" 0 gm-etl -q -w "$URI" "$T/E3"
compare_all "(c) the next run completes them"

# (d) No server there: exit 75, once --retry-for has passed.
port=$(free_port)
expect_status "(d) unreachable" 75 gm-etl -q --retry-for 1s -w "postgresql://postgres@127.0.0.1:$port/gm" "$T/E3" 2>"$T/d.err"
expect_grep "(d) it says so" "unreachable for 1 s, giving up" "$T/d.err"

# (e) gm-rfm over the warehouse of (c), which equals the folder's: as of
# October 2 with a 12-hour window (so only October 1 is read, its
# morning outside), as of October 3, and as of October 4 compared with
# October 3. PostgreSQL and the folder get the same rows in the four
# tables, and the runs say the same summary (the counts, not the time).
RFM="customer_segments:customer_segment segment_summary:segment_summary rfm_cuts:rfm_cuts
	segment_migration:segment_migration"
rfm_runs=("--as-of 2026-10-02 --window 12h" "--as-of 2026-10-03" "--as-of 2026-10-04 --compare 2026-10-03")
for i in 0 1 2; do
	# shellcheck disable=SC2086
	expect_status "(e) gm-rfm ${rfm_runs[$i]}: PostgreSQL" 0 gm-rfm -w "$URI" ${rfm_runs[$i]} 2>"$T/e.pg$i"
	# shellcheck disable=SC2086
	expect_status "(e) gm-rfm ${rfm_runs[$i]}: folder" 0 gm-rfm -w "$T/W" ${rfm_runs[$i]} 2>"$T/e.dir$i"
	expect_eq "(e) gm-rfm ${rfm_runs[$i]}: the same summary" "$(head -1 "$T/e.pg$i")" "$(head -1 "$T/e.dir$i")"
done
# October 1's transactions, those of its morning, and the customers of
# its afternoon, from the events.
day1=$(jq -r 'select(.type == "transaction") | "\(.ts[11:13]) \(.user_id)"' "$T/E1")
expect_grep "(e) the window's run read October 1 alone" "^gm-rfm: $(echo "$day1" | wc -l) transactions, 0 duplicates, $(echo "$day1" | awk '$1 < 12' | wc -l) outside the window, 0 other records; $(echo "$day1" | awk '$1 >= 12 { print $2 }' | sort -u | wc -l) customers as of 2026-10-02;" "$T/e.pg0"
expect_grep "(e) the compared run's migration" "segment_migration [1-9][0-9]*$" "$T/e.pg2"
for tt in $RFM; do
	norm <"$T/W/${tt%%:*}.ndjson" >"$T/want.${tt%%:*}"
	pg_rows "${tt%%:*}" "${tt#*:}" >"$T/got.${tt%%:*}"
	expect_same_file "(e) gm-rfm: ${tt%%:*}" "$T/got.${tt%%:*}" "$T/want.${tt%%:*}"
done
expect_eq "(e) three days of customers" "$(psql -X -Atc "SELECT string_agg(n::text, ' ' ORDER BY as_of_key)
	FROM (SELECT as_of_key, count(*) AS n FROM customer_segments GROUP BY as_of_key) c")" \
	"$(jq -r .as_of_key "$T/W/customer_segments.ndjson" | sort | uniq -c | awk '{ print $1 }' | paste -sd' ')"
# Each table's rows, counted, and with their versions (xmin), hashed.
rfm_sums() {
	psql -X -Atc "SELECT concat_ws(' ', $(for tt in $RFM; do
		printf "(SELECT count(*) || ':' || md5(string_agg(xmin || ' ' || t::text, E'\\n' ORDER BY t::text)) FROM %s t), " "${tt%%:*}"
		done) NULL)"
}
before=$(rfm_sums)
expect_eq "(e) the tables' sums read" "$(echo "$before" | grep -Ec '^([1-9][0-9]*:[0-9a-f]{32} ?){4}$')" 1
# shellcheck disable=SC2086
expect_status "(e) gm-rfm: the same run again" 0 gm-rfm -q -w "$URI" ${rfm_runs[2]}
expect_eq "(e) gm-rfm: the same run again rewrites no row" "$(rfm_sums)" "$before"
# The lock, held by another session: exit 75, nothing written.
PGAPPNAME=holder psql -X -qc "SELECT pg_advisory_lock(7163183785426855010); SELECT pg_sleep(600)" \
	>/dev/null 2>&1 &
holder=$!
for _ in $(seq 300); do
	[ "$(psql -X -Atc "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")" = 1 ] && break
	sleep 0.1
done
expect_status "(e) gm-rfm while another holds the lock" 75 gm-rfm -q --retry-for 1s -w "$URI" --as-of 2026-10-05 2>"$T/e.err"
expect_eq "(e) it says why" "$(cat "$T/e.err")" \
	"gm-rfm: database \"gm\" on 127.0.0.1:$PGPORT: warning: another run holds the warehouse's lock; waiting for up to 1 s
gm-rfm: database \"gm\" on 127.0.0.1:$PGPORT: another run holds the warehouse's lock; try again later"
expect_eq "(e) the locked run wrote nothing" "$(rfm_sums)" "$before"
# Waited for (--retry-for, 60 s): the run goes on once the holder ends.
# shellcheck disable=SC2086
gm-rfm -q -w "$URI" ${rfm_runs[2]} 2>"$T/e.err" &
waiter=$!
for _ in $(seq 300); do
	[ -s "$T/e.err" ] && break
	sleep 0.1
done
expect_eq "(e) a run that waits says so" "$(cat "$T/e.err")" \
	"gm-rfm: database \"gm\" on 127.0.0.1:$PGPORT: warning: another run holds the warehouse's lock; waiting for up to 60 s"
psql -X -Atc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'holder'" >/dev/null
wait "$holder" 2>/dev/null
wait "$waiter"
expect_eq "(e) the run that waited: status 0 once the lock is free" "$?" 0
expect_eq "(e) the run that waited: the same rows" "$(rfm_sums)" "$before"
expect_status "(e) gm-rfm, no server there" 75 gm-rfm -q --retry-for 1s -w "postgresql://postgres@127.0.0.1:$port/gm" 2>"$T/e.err"
expect_grep "(e) it says so" "unreachable for 1 s, giving up" "$T/e.err"
# Through dim_customer and through fact_sales (--from): as of October 4,
# after every last purchase, and by default (the same day), the same
# records, and those of the raw events; as of October 3, a last
# purchase on the day makes it fact_sales, whose records are the raw
# events' too.
ncust=$(psql -X -Atc "SELECT count(*) FROM dim_customer")
nlines=$(psql -X -Atc "SELECT count(*) FROM fact_sales")
for asof in "--as-of 2026-10-04" ""; do
	# shellcheck disable=SC2086
	expect_status "(e) dim_customer ${asof:-by default}" 0 gm-rfm -w "$URI" -o "$T/e.dim" $asof 2>"$T/e.dim.err"
	# shellcheck disable=SC2086
	expect_status "(e) fact_sales ${asof:-by default}" 0 gm-rfm -w "$URI" -o "$T/e.facts" --from fact_sales $asof 2>"$T/e.facts.err"
	# shellcheck disable=SC2086
	expect_status "(e) raw events ${asof:-by default}" 0 gm-rfm -q -o "$T/e.raw" $asof "$T/E"
	expect_eq "(e) dim_customer ${asof:-by default}: said so" "$(sed -n 2p "$T/e.dim.err")" "gm-rfm: input: dim_customer, $ncust rows"
	expect_eq "(e) fact_sales ${asof:-by default}: said so" "$(sed -n 2p "$T/e.facts.err")" \
		"gm-rfm: input: fact_sales, $nlines rows; not dim_customer: --from fact_sales"
	expect_same_file "(e) dim_customer equals fact_sales ${asof:-by default}" "$T/e.dim" "$T/e.facts"
	expect_same_file "(e) dim_customer equals the raw events ${asof:-by default}" "$T/e.dim" "$T/e.raw"
	expect_eq "(e) the same summary ${asof:-by default}" "$(head -1 "$T/e.dim.err")" "$(head -1 "$T/e.facts.err")"
done
expect_grep "(e) by default, as of October 4" '"as_of":"2026-10-04"' "$T/e.dim"
expect_status "(e) as of October 3" 0 gm-rfm -w "$URI" -o "$T/e.late" --as-of 2026-10-03 2>"$T/e.late.err"
expect_grep "(e) as of October 3: fact_sales, and why" \
	"^gm-rfm: input: fact_sales, $(psql -X -Atc "SELECT count(*) FROM fact_sales WHERE date_key < 20261003") rows; not dim_customer: database \"gm\" on 127.0.0.1:$PGPORT: dim_customer row [0-9]*: the last purchase of \"[^\"]*\", 2026-10-03T[0-9:.]*Z, is not before the as-of day, 2026-10-03$" "$T/e.late.err"
gm-rfm -q -o "$T/e.raw" --as-of 2026-10-03 "$T/E"
expect_same_file "(e) as of October 3: the raw events' records" "$T/e.late" "$T/e.raw"

# (f) A run replaces its slices, in a database of its own: the lib's
# gm_wh_replace() (LIKE's wildcards are none), then gm-rfm's runs of a
# day again (tests/helpers/wh-replace.sh).
. "$TESTS/helpers/wh-replace.sh"
psql -X -qc "CREATE DATABASE gm_r" || fail "(f) CREATE DATABASE"
RURI="postgresql://postgres@127.0.0.1:$PGPORT/gm_r"
wh_replace_check "(f) PostgreSQL" "$RURI" psql -X -Atd gm_r -c "SELECT segment_id || ' ' || user_id FROM customer_segments"
# A table's rows of a day, as pg_rows gives them.
day_rows() { PGDATABASE=gm_r pg_rows "$1" "$2" | grep "\"as_of_key\": *$3[,}]"; }
rfm_replace_check "(f) PostgreSQL" "$RURI" day_rows norm

finish

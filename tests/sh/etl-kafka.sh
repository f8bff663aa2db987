# gm-etl reading Kafka (-t ... -e): each run reads every partition from
# the offset the warehouse's state holds to the partition's end when the
# run began, and stores the offsets it got to with the data, in one
# commit. Two days of gm-produce history, then a third, loaded from the
# topics make the warehouse that the same events loaded from files make;
# a run with nothing new changes no byte; records produced while a run
# reads wait for the next; a run killed with -9 before its commit
# changes nothing, and the next loads its records, once. A cluster that
# cannot be reached is status 75, with the warehouse not even made.
# gm-rfm -t ... -e writes the records it writes from the same records in
# files: the golden set in a topic of one partition, the history's
# transactions in four; with no cluster there, it exits 75.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

topics=(-t transactions -t product_views -t cart_events -t products)

# ---- usage, and an unreachable cluster: no broker needed ----
usage_error() { # WHAT MESSAGE ARGS...
	local what=$1 want=$2; shift 2
	gm-etl -w "$T/unused" "$@" 2>"$T/err"
	expect_eq "$what: exit status" $? 2
	expect_eq "$what: message" "$(head -1 "$T/err")" "$want"
}
usage_error "-t without -e" \
	"gm-etl: -t needs -e: gm-etl is a batch, which reads the topics to their ends and stops" \
	-b 127.0.0.1:9 -t transactions
usage_error "-G" \
	"gm-etl: -G: gm-etl keeps its Kafka offsets in the warehouse, not in a consumer group" \
	-b 127.0.0.1:9 -G g -t transactions -e
usage_error "topics and files" "gm-etl: read files or Kafka topics (-t), not both" \
	-b 127.0.0.1:9 -t transactions -e /dev/null
usage_error "-e without -t" "gm-etl: -e goes with -t (Kafka input)" -e /dev/null
[ ! -e "$T/unused" ]
expect_eq "a usage error makes no warehouse" $? 0

port=$(free_port) || fail "no free port"
gm-etl -b "127.0.0.1:$port" --retry-for 1s "${topics[@]}" -e -w "$T/none" 2>"$T/err"
expect_eq "unreachable cluster: exit status" $? 75
expect_grep "unreachable cluster: said" "unreachable for 1 s, giving up" "$T/err"
[ ! -e "$T/none" ]
expect_eq "unreachable cluster: the warehouse is not made" $? 0
gm-rfm -b "127.0.0.1:$port" --retry-for 1s -t transactions -e --as-of 2026-11-11 >"$T/out" 2>"$T/err"
expect_eq "gm-rfm, unreachable cluster: exit status" $? 75
expect_grep "gm-rfm, unreachable cluster: said" "unreachable for 1 s, giving up" "$T/err"
expect_eq "gm-rfm, unreachable cluster: nothing written" "$(wc -c <"$T/out")" 0

# ---- the history: days 1 and 2 to Kafka, and as files ----
kafka_start -p 4 -t transactions -t product_views -t cart_events -t products
hist="--start 2026-11-01T00:00:00Z -r 0 --event-rate 0.05 --products 50 --users 500"
# shellcheck disable=SC2086
gm-produce -q $hist -d 2d --catalog kafka: -o kafka:
expect_eq "days 1 and 2 produced to Kafka" $? 0
# shellcheck disable=SC2086
gm-produce -q $hist -d 2d --catalog "$T/catalog" -o "$T/days12" &&
	gm-produce -q $hist -d 3d -o "$T/days123"
expect_eq "the history as files" $? 0
n12=$(wc -l <"$T/days12")
head -n "$n12" "$T/days123" | cmp -s - "$T/days12"
expect_eq "three days begin with the two" $? 0
tail -n +"$((n12 + 1))" "$T/days123" >"$T/day3"
head -1 "$T/day3" | grep -q '"ts":"2026-11-03T00:' 
expect_eq "day 3 starts on 2026-11-03" $? 0

W=$T/wh
etl=(gm-etl -w "$W" "${topics[@]}" -e)

# same_warehouse WHAT DIR FILES-DIR: the same tables, with the same rows
# (each table sorted: facts come in the order read), the state's Kafka
# offsets aside, which a load of files has not.
same_warehouse() {
	local t
	expect_eq "$1: the same tables" "$(cd "$2" && ls)" "$(cd "$3" && ls)"
	for t in "$3"/*.ndjson; do
		t=${t##*/}
		if [ "$t" = etl_state.ndjson ]; then
			jq -c 'del(.offsets)' "$2/$t" >"$T/got"
			jq -c . "$3/$t" >"$T/want"
		else
			sort "$2/$t" >"$T/got"
			sort "$3/$t" >"$T/want"
		fi
		expect_same_file "$1: $t" "$T/got" "$T/want"
	done
}

# ends_of_topics: "TOPIC PARTITION NEXT" for every partition of the
# topics, NEXT after its last message (0 if none), as kcat reads them.
ends_of_topics() {
	local t
	for t in transactions product_views cart_events products; do
		{ printf '0 -1\n1 -1\n2 -1\n3 -1\n'; kafka_dump "$t" '%p %o\n'; } |
			awk -v t="$t" '{ if ($2 + 1 > n[$1]) n[$1] = $2 + 1 }
				END { for (p in n) print t, p, n[p] }'
	done | sort
}
stored_offsets() {
	jq -r '.offsets | to_entries[] | .key as $t | .value | to_entries[] |
		"\($t) \(.key) \(.value)"' "$W/etl_state.ndjson" | sort
}

# ---- run 1: days 1 and 2 ----
"${etl[@]}" 2>"$T/err1"
expect_eq "run 1: exit status" $? 0
gm-etl -q -w "$T/files12" "$T/catalog" "$T/days12"
expect_eq "days 1 and 2 from files: exit status" $? 0
same_warehouse "run 1 equals days 1 and 2 loaded from files" "$W" "$T/files12"
expect_eq "run 1: the offsets stored are the partitions' ends" "$(stored_offsets)" "$(ends_of_topics)"
expect_eq "run 1: 16 partitions' offsets" "$(stored_offsets | wc -l)" 16

# ---- nothing new: not a byte changes ----
cp -a "$W" "$T/before"
"${etl[@]}" 2>"$T/err2"
expect_eq "nothing new: exit status" $? 0
expect_grep "nothing new: nothing loaded" "gm-etl: loaded 0 transactions (0 lines), 0 views, 0 cart events, 0 catalog records" "$T/err2"
diff -r "$W" "$T/before" >&2
expect_eq "nothing new: the warehouse is byte for byte as it was" $? 0

# ---- day 3, produced while a run reads: left for the next run ----
# The run opens its late output (-l) once it has read where the
# partitions end, before it reads a record: on a FIFO, it waits there
# for a reader (the kernel's wait_for_partner), and day 3 is produced
# meanwhile.
mkfifo "$T/late"
"${etl[@]}" -q -l "$T/late" 2>"$T/err3" &
pid=$!
for _ in $(seq 600); do
	[ "$(cat "/proc/$pid/wchan" 2>/dev/null)" = wait_for_partner ] && break
	sleep 0.1
done
expect_eq "the run waits to open its late output" "$(cat "/proc/$pid/wchan" 2>/dev/null)" wait_for_partner
gm-cat -q -o kafka: "$T/day3"
expect_eq "day 3 produced to Kafka: exit status" $? 0
cat "$T/late" >"$T/late.out"
wait "$pid"
expect_eq "run during day 3's producing: exit status" $? 0
diff -r "$W" "$T/before" >&2
expect_eq "records produced during a run: the warehouse is as it was" $? 0
expect_eq "records produced during a run: no late record" "$(wc -c <"$T/late.out")" 0

# ---- a run killed with -9 before its commit ----
# It has read every record when it reads the stored facts; fact_sales is
# a FIFO that the test holds open, so that the run waits there until
# killed.
mv "$W/fact_sales.ndjson" "$T/fact_sales"
mkfifo "$W/fact_sales.ndjson"
exec {hold}<>"$W/fact_sales.ndjson"
"${etl[@]}" -q 2>"$T/err4" &
pid=$!
for _ in $(seq 600); do
	ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'fact_sales\.ndjson$' && break
	sleep 0.1
done
ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'fact_sales\.ndjson$'
expect_eq "the run reads the stored facts" $? 0
kill -KILL "$pid"
wait "$pid" 2>/dev/null
expect_eq "killed with -9: exit status" $? 137
exec {hold}>&-
rm "$W/fact_sales.ndjson"
mv "$T/fact_sales" "$W/fact_sales.ndjson"
diff -r -x '.*' "$W" "$T/before" >&2
expect_eq "killed before its commit: the tables are as they were" $? 0

# ---- the next run loads day 3, once ----
"${etl[@]}" 2>"$T/err5"
expect_eq "run after the kill: exit status" $? 0
nt=$(grep -c '"type":"transaction"' "$T/day3")
nv=$(grep -c '"type":"product_view"' "$T/day3")
nc=$(grep -c '"type":"cart_event"' "$T/day3")
expect_grep "run after the kill: day 3's records, none loaded before" \
	"gm-etl: loaded $nt transactions ([0-9]* lines), $nv views, $nc cart events, 0 catalog records; [0-9]* duplicates, 0 late, 0 already loaded; 1 days;" "$T/err5"
gm-etl -q -w "$T/files123" "$T/catalog" "$T/days123"
expect_eq "days 1 to 3 from files: exit status" $? 0
same_warehouse "days 1 to 3 from Kafka, in two runs, equal them loaded from files" "$W" "$T/files123"
expect_eq "run after the kill: the offsets stored are the partitions' ends" "$(stored_offsets)" "$(ends_of_topics)"

# ---- gm-rfm reading Kafka ----
# The golden set (gm-rfm.sh) in one partition, so that it is read in the
# files' order: its duplicates are not all the same (t05 again with
# another amount, t11's line after others), and the first read counts.
G=$TESTS/golden/rfm
kafka_ctl create rfm_golden 1 || fail "topic rfm_golden created"
cat "$G/transactions.ndjson" "$G/fact_sales.ndjson" | gm-cat -q -o kafka:rfm_golden
expect_eq "golden set produced: exit status" $? 0
gm-rfm -t rfm_golden -e --as-of 2026-11-11 >"$T/rfm.kafka" 2>"$T/rfm.kafka.err"
expect_eq "gm-rfm -t rfm_golden -e: exit status" $? 0
expect_same_file "gm-rfm -t rfm_golden -e: the golden records" "$T/rfm.kafka" "$G/expected/all.ndjson"
gm-rfm --as-of 2026-11-11 "$G/transactions.ndjson" "$G/fact_sales.ndjson" 2>"$T/rfm.files.err" >/dev/null
expect_eq "gm-rfm -t rfm_golden -e: the summary of the files" "$(head -1 "$T/rfm.kafka.err")" "$(head -1 "$T/rfm.files.err")"
# The transactions of the three days, in four partitions, as of day 3
# (day 3 outside) and as of the default day.
for asof in "--as-of 2026-11-03" ""; do
	# shellcheck disable=SC2086
	gm-rfm -q -t transactions -e $asof >"$T/rfm.kafka"
	expect_eq "gm-rfm -t transactions -e $asof: exit status" $? 0
	# shellcheck disable=SC2086
	gm-rfm -q $asof "$T/days123" >"$T/rfm.files"
	expect_same_file "gm-rfm -t transactions -e $asof: the records of the files" "$T/rfm.kafka" "$T/rfm.files"
done
expect_eq "gm-rfm -t transactions -e: customers" "$(grep -c '"customer_segment"' "$T/rfm.kafka")" \
	"$(jq -r 'select(.type == "transaction") | .user_id' "$T/days123" | sort -u | wc -l)"
finish

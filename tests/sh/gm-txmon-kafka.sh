# gm-txmon with Kafka: a consumer group of two instances splits the
# partitions, and their combined output equals one instance's; so does
# the output of members that stop and lose partitions with windows open,
# and of the run that goes on after them; metrics and alerts go to their
# topics; offsets are committed, so a rerun of the group reads nothing
# again.
# run-all: alone
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

kafka_start -p 4 -t transactions -t product_views -t cart_events -t sales_metrics -t alerts
group_opts="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500"
# 10 s windows over 3.5 minutes of events, out of order: each block of
# 2000 events (7 s) is sent backwards, so that windows take records after
# later windows opened, and some records are late (kept with -l).
win_opts="-w 10s"
gm-produce -q --start=2026-11-24T00:00:00Z -n 60000 -r 0 --anomaly-rate 0.05 |
	awk '{ b[++k] = $0 } k == 2000 { while (k) print b[k--] } END { while (k) print b[k--] }' |
	gm-cat -q -o kafka:
expect_eq "events produced" $? 0

# One instance reads all four partitions.
# shellcheck disable=SC2086
timeout 120 gm-txmon -q -t transactions -e -G single $group_opts $win_opts -o "$T/single" -l "$T/single" 2>"$T/single.err"
expect_eq "one instance: exit status" $? 0
sort "$T/single" >"$T/single.sorted"
[ "$(grep -c '"type":"transaction"' "$T/single")" -gt 0 ]
expect_eq "one instance: some transactions late" $? 0
expect_eq "one instance: metrics of all four partitions" \
	"$(jq -r 'select(.type == "sales_metric") | .partition' "$T/single" | sort -u | tr '\n' ' ')" \
	"transactions/0 transactions/1 transactions/2 transactions/3 "

# Two instances of one group, started together, split the partitions.
# A rebalance in the middle of their reading (librdkafka 2.0.2's mock
# sometimes forces a second one; slow builds make it likelier) moves
# partitions, and the mock refuses the commit made as they go (Kafka
# takes it): their next holder then reads again from an older commit,
# and writes again the alerts since, with less of the customers'
# history (gm-txmon(1), CAVEATS). That run proves nothing either way, so
# a run whose output differs is tried again with a new group, 5 times at
# most: a real fault fails all five. Other tests' load makes such
# rebalances likelier (CI-23 had three in a row), so this test runs
# alone (tests/run-all). Each run to the end (-e) here has
# 2 minutes (it takes seconds): once, under the sanitizers, this test
# hung until its 10-minute limit, where is not known yet; a member of a
# pair that does not end makes its try one to repeat, and elsewhere the
# step's exit status, 124, says which one it was.
parts() { jq -r 'select(.type == "sales_metric") | .partition' "$1" | sort -u | wc -l; }
for try in 1 2 3 4 5; do
	# shellcheck disable=SC2086
	timeout 120 gm-txmon -q -t transactions -e -G "pair$try" $group_opts $win_opts -o "$T/a" -l "$T/a" 2>"$T/a.err" &
	a=$!
	# shellcheck disable=SC2086
	timeout 120 gm-txmon -q -t transactions -e -G "pair$try" $group_opts $win_opts -o "$T/b" -l "$T/b" 2>"$T/b.err" &
	b=$!
	wait "$a"; st_a=$?
	wait "$b"; st_b=$?
	sort "$T/a" "$T/b" | cmp -s - "$T/single.sorted" && break
	echo "pair run $try: outputs differ (a rebalance in the middle?); again" >&2
done
expect_eq "instance a: exit status" "$st_a" 0
expect_eq "instance b: exit status" "$st_b" 0
cat "$T/a.err" "$T/b.err" >&2
expect_eq "the partitions were split ($(parts "$T/a") + $(parts "$T/b"))" "$(($(parts "$T/a") + $(parts "$T/b")))" 4
[ "$(parts "$T/a")" -gt 0 ] && [ "$(parts "$T/b")" -gt 0 ]
expect_eq "both instances had partitions" $? 0
sort "$T/a" "$T/b" >"$T/pair.sorted"
expect_same_file "two instances' output equals one instance's" "$T/pair.sorted" "$T/single.sorted"

# A group member that stops, or loses partitions in a rebalance, leaves
# its open windows unwritten; the partitions' next holder reads their
# records again from the committed offsets and writes them whole, and
# the notes committed with the offsets say which windows and alerts are
# written already. Member a reads everything and commits (-X debug=cgrp
# shows its commits); member b joins, which takes partitions from a with
# windows open; both stop; a last run to the end (-e) writes the rest.
# Whatever the timing, a, b and the last run together wrote exactly what
# one run wrote: nothing twice, nothing missing.
commits() { grep -c "OffsetCommit for 4 partition(s).*Success" "$T/a.err"; }
alerts=$(grep -c '"type":"alert"' "$T/single")
# shellcheck disable=SC2086
gm-txmon -q -t transactions -G resume $group_opts $win_opts -X auto.commit.interval.ms=200 \
	-X debug=cgrp --idle 1h -o "$T/a" -l "$T/a" 2>"$T/a.err" &
a=$!
for _ in $(seq 300); do
	[ -s "$T/a" ] && [ "$(grep -c '"type":"alert"' "$T/a")" = "$alerts" ] && break
	sleep 0.1
done
expect_eq "member a: every alert" "$(grep -c '"type":"alert"' "$T/a")" "$alerts"
# The commit of everything a read comes once the input has paused for
# a second (the checkpoint), within auto.commit.interval.ms.
before=$(commits)
for _ in $(seq 300); do [ "$(commits)" -gt "$before" ] && break; sleep 0.1; done
[ "$(commits)" -gt "$before" ]
expect_eq "member a committed what it read" $? 0
expect_eq "windows still open in member a" "$(($(wc -l <"$T/single") > $(wc -l <"$T/a")))" 1
# shellcheck disable=SC2086
gm-txmon -q -t transactions -G resume $group_opts $win_opts --idle 1h -o "$T/b" -l "$T/b" 2>"$T/b.err" &
b=$!
for _ in $(seq 300); do grep -q "delegating revoke" "$T/a.err" && break; sleep 0.1; done
expect_grep "member b's arrival took partitions from member a" "delegating revoke" "$T/a.err"
kill -TERM "$a" "$b"
wait "$a"
expect_eq "member a, stopped: exit status" $? 0
wait "$b"
expect_eq "member b, stopped: exit status" $? 0
# shellcheck disable=SC2086
timeout 120 gm-txmon -q -t transactions -e -G resume $group_opts $win_opts -o "$T/c" -l "$T/c" 2>"$T/c.err"
expect_eq "the last run: exit status" $? 0
sort "$T/a" "$T/b" "$T/c" >"$T/resumed.sorted"
expect_same_file "stopped, rebalanced and resumed: the output of one run" \
	"$T/resumed.sorted" "$T/single.sorted"

# The group committed its offsets: running it again reads nothing new.
# shellcheck disable=SC2086
timeout 120 gm-txmon -t transactions -e -G single $group_opts -o "$T/again" 2>"$T/again.err"
expect_eq "rerun: exit status" $? 0
expect_grep "rerun: nothing read" "gm-txmon: 0 in, 0 out" "$T/again.err"

# Kafka output: metrics and alerts to their topics, exact counts.
# shellcheck disable=SC2086
gm-txmon -q -t transactions -e -G out $group_opts $win_opts -o kafka: 2>/dev/null
expect_eq "kafka output: exit status" $? 0
expect_eq "sales_metrics topic" "$(kafka_count sales_metrics)" "$(grep -c '"type":"sales_metric"' "$T/single")"
expect_eq "alerts topic" "$(kafka_count alerts)" "$(grep -c '"type":"alert"' "$T/single")"
kafka_dump alerts '%k\t%s\n' | awk -F'\t' '{ if (index($2, "\"user_id\":\"" $1 "\"") == 0) bad++ } END { exit bad > 0 }'
expect_eq "alerts keyed by user_id" $? 0
finish

#!/usr/bin/env bash
# gm-metrics's Kafka probe against the test broker: every partition's
# watermarks, a watched group's committed offsets and lag (messages
# produced after it read everything), exactly; the exposition clean for
# promtool; lag in seconds and the topics' rates in a run that goes on;
# the cluster stopped and started again shown down and up while the run
# goes on; a cluster that is not there at all; a partition without a
# leader; the usage errors.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

command -v promtool >/dev/null || skip_or_fail "promtool is not installed"
cd "$T" || exit 1

# kafka_lines FILE: FILE's samples, without comments, of the Kafka
# families and the sources' up.
kafka_lines() { grep -E '^gm_(kafka_|metrics_source_up)' "$1"; }

# produce PARTITION COUNT: COUNT messages into sales' PARTITION.
produce() { seq "$2" | kcat -P -b "$GM_BROKERS" -t sales -p "$1" || fail "kcat -P -p $1 failed"; }

# wait_for WHAT CMD...: until CMD succeeds, 20 s at most.
wait_for() {
	local what=$1 i
	shift
	for ((i = 0; i < 200; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	fail "waited 20 s for $what"
	return 1
}

kafka_start -n 3 -p 4 -t sales

# 1. 10, 11, 12 and 13 messages in the four partitions, every one read
#    by group g1, which commits; then 3 more in partition 0 and 2 in
#    partition 2: g1 lags by those. Group nobody never committed.
for p in 0 1 2 3; do produce $p $((10 + p)); done
timeout 60 kcat -C -b "$GM_BROKERS" -G g1 -o beginning -e -q -f 'x' sales >g1.read ||
	fail "kcat -G g1 failed"
expect_eq "g1 read every message" "$(wc -c <g1.read)" 46
produce 0 3
produce 2 2

gm-metrics --once --no-host --watch-group g1 --watch-group nobody --textfile once.prom 2>once.err
expect_eq "--once: exit status" $? 0
cat >want.once <<'EOF'
gm_kafka_brokers 3
gm_kafka_topic_partition_current_offset{topic="sales",partition="0"} 13
gm_kafka_topic_partition_current_offset{topic="sales",partition="1"} 11
gm_kafka_topic_partition_current_offset{topic="sales",partition="2"} 14
gm_kafka_topic_partition_current_offset{topic="sales",partition="3"} 13
gm_kafka_topic_partition_oldest_offset{topic="sales",partition="0"} 0
gm_kafka_topic_partition_oldest_offset{topic="sales",partition="1"} 0
gm_kafka_topic_partition_oldest_offset{topic="sales",partition="2"} 0
gm_kafka_topic_partition_oldest_offset{topic="sales",partition="3"} 0
gm_kafka_consumergroup_current_offset{consumergroup="g1",topic="sales",partition="0"} 10
gm_kafka_consumergroup_current_offset{consumergroup="g1",topic="sales",partition="1"} 11
gm_kafka_consumergroup_current_offset{consumergroup="g1",topic="sales",partition="2"} 12
gm_kafka_consumergroup_current_offset{consumergroup="g1",topic="sales",partition="3"} 13
gm_kafka_consumergroup_lag{consumergroup="g1",topic="sales",partition="0"} 3
gm_kafka_consumergroup_lag{consumergroup="g1",topic="sales",partition="1"} 0
gm_kafka_consumergroup_lag{consumergroup="g1",topic="sales",partition="2"} 2
gm_kafka_consumergroup_lag{consumergroup="g1",topic="sales",partition="3"} 0
gm_kafka_consumergroup_lag_seconds{consumergroup="g1",topic="sales",partition="1"} 0
gm_kafka_consumergroup_lag_seconds{consumergroup="g1",topic="sales",partition="3"} 0
gm_metrics_source_up{source="kafka"} 1
EOF
kafka_lines once.prom >got.once
# One collection: no rate yet, and no lag in seconds where the group is
# behind, since the partitions have no past.
expect_same_file "--once: watermarks, g1's offsets and lag, nothing of nobody" got.once want.once
promtool check metrics <once.prom >promtool.out 2>&1
expect_eq "--once: promtool check metrics says nothing" "$?:$(cat promtool.out)" "0:"
expect_eq "--once: nothing said" "$(grep -v ' in, ' once.err)" ""

# 2. A run that goes on, a collection every 200 ms. 5 more messages in
#    partition 0 (offset 18), read by group g2, which commits; 5 more
#    (23): g1 is 13 behind, from before the run's first sample, so its
#    lag in seconds is the time since that sample, no more than the
#    run's; g2 is 5 behind, from offset 18, a sample of the table: its
#    lag is the time since the collection that first saw 18, after the
#    messages were produced, so more than 0, no more than the time since
#    then, and less than g1's. Each topic's rate once there are two
#    collections.
now() { date +%s.%N; }
start=$(now)
gm-metrics --no-host --watch-group g1 --watch-group g2 --every kafka=200ms \
	--textfile run.prom 2>run.err &
run=$!
at_exit "kill $run 2>/dev/null"
wait_for "the first collection" grep -qs '^gm_metrics_source_up{source="kafka"} 1$' run.prom
produced=$(now)
produce 0 5
wait_for "offset 18" grep -q '^gm_kafka_topic_partition_current_offset{topic="sales",partition="0"} 18$' run.prom
timeout 60 kcat -C -b "$GM_BROKERS" -G g2 -o beginning -e -q -f 'x' sales >g2.read ||
	fail "kcat -G g2 failed"
expect_eq "g2 read every message" "$(wc -c <g2.read)" 56
produce 0 5
lag13='^gm_kafka_consumergroup_lag{consumergroup="g1",topic="sales",partition="0"} 13$'
wait_for "g2's lag of 5" grep -q \
	'^gm_kafka_consumergroup_lag{consumergroup="g2",topic="sales",partition="0"} 5$' run.prom
cp run.prom run1.prom
ended=$(now)
expect_grep "run: g1's lag of 13" "$lag13" run1.prom
# lag_seconds GROUP PARTITION: its value in run1.prom.
lag_seconds() {
	sed -n "s/^gm_kafka_consumergroup_lag_seconds{consumergroup=\"$1\",topic=\"sales\",partition=\"$2\"} //p" run1.prom
}
s1=$(lag_seconds g1 0) s2=$(lag_seconds g2 0)
expect_eq "run: g1's lag in seconds ($s1) > 0, <= the run's $(echo "$ended - $start" | bc) s" \
	"$(echo "${s1:-0} > 0 && $s1 <= $ended - $start" | bc)" 1
expect_eq "run: g2's lag in seconds ($s2) > 0, <= $(echo "$ended - $produced" | bc) s since offset 18, < g1's" \
	"$(echo "${s2:-0} > 0 && $s2 <= $ended - $produced && $s2 < $s1" | bc)" 1
expect_eq "run: caught up in partition 1, 0 s behind" "$(lag_seconds g1 1):$(lag_seconds g2 1)" "0:0"
rate=$(sed -n 's/^gm_kafka_topic_messages_per_second{topic="sales"} //p' run1.prom)
expect_eq "run: sales has a rate, >= 0" "$(echo "${rate:--1} >= 0" | bc)" 1
promtool check metrics <run1.prom >promtool.out 2>&1
expect_eq "run: promtool check metrics says nothing" "$?:$(cat promtool.out)" "0:"

# 3. Every broker down: 0 brokers and the source down, the run going on;
#    up again: 3 brokers, the offsets again. Each change said once.
kafka_ctl down -1
wait_for "0 brokers" grep -q '^gm_kafka_brokers 0$' run.prom
expect_eq "down: the source is down, no offsets" "$(kafka_lines run.prom)" \
	"$(printf '%s\n' 'gm_kafka_brokers 0' 'gm_metrics_source_up{source="kafka"} 0')"
expect_eq "down: gm-metrics goes on" "$(kill -0 $run && echo running)" running
kafka_ctl up -1
wait_for "3 brokers again" grep -q '^gm_metrics_source_up{source="kafka"} 1$' run.prom
expect_grep "up: the offsets again" "$lag13" run.prom
kill -TERM $run
wait $run
expect_eq "run: exit status after SIGTERM" $? 0
expect_eq "run: the outage said once, and its end" "$(grep -v ' in, ' run.err)" \
	"$(printf '%s\n' 'gm-metrics: kafka: warning: does not answer: shown as down' \
		'gm-metrics: kafka: warning: answers again')"

# 4. No cluster there: 0 brokers, down, within the probe's 2 s.
port=$(free_port)
timeout 20 gm-metrics --once --no-host -b "127.0.0.1:$port" --textfile none.prom 2>none.err
expect_eq "no cluster: exit status" $? 0
expect_eq "no cluster: 0 brokers, down" "$(kafka_lines none.prom)" \
	"$(printf '%s\n' 'gm_kafka_brokers 0' 'gm_metrics_source_up{source="kafka"} 0')"
expect_eq "no cluster: said once" "$(grep -v ' in, ' none.err)" \
	'gm-metrics: kafka: warning: does not answer: shown as down'

# 5. A partition without a leader: its offsets left out, the rest shown,
#    the source down.
kafka_ctl create lonely 2
kafka_ctl leader lonely 0 -1
gm-metrics --once --no-host --textfile lonely.prom 2>lonely.err
expect_eq "no leader: exit status" $? 0
expect_eq "no leader: lonely's partition 1 only, sales's, down" \
	"$(kafka_lines lonely.prom | grep -E 'brokers|lonely|partition="3"|source_up')" \
	"$(printf '%s\n' 'gm_kafka_brokers 3' \
		'gm_kafka_topic_partition_current_offset{topic="lonely",partition="1"} 0' \
		'gm_kafka_topic_partition_current_offset{topic="sales",partition="3"} 13' \
		'gm_kafka_topic_partition_oldest_offset{topic="lonely",partition="1"} 0' \
		'gm_kafka_topic_partition_oldest_offset{topic="sales",partition="3"} 0' \
		'gm_metrics_source_up{source="kafka"} 0')"

# 6. Usage: --watch-group needs brokers; --every takes kafka.
(unset GM_BROKERS; gm-metrics --once --no-host --watch-group g1 2>usage.err)
expect_eq "--watch-group without brokers: status 2" $? 2
expect_grep "--watch-group without brokers: says so" "watch-group goes with -b" usage.err
gm-metrics --once --no-host --every kafka=5s --textfile every.prom 2>/dev/null
expect_eq "--every kafka=5s: status 0" $? 0
finish

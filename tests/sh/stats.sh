#!/usr/bin/env bash
# --stats: every tool writes stats records (gm-events(5)), the last one
# final, its counts those of the summary line; periodic ones while it
# runs, their counts never going down; the tool's own values (a store's
# keys, gm-notify's notifications, a Kafka reader's lag); to a file or
# a Kafka topic; the usage errors. The records count in no summary.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"
cd "$T" || exit 1

gm-produce -q -s 11 -n 3000 -r 0 --anomaly-rate 0.2 --catalog catalog.ndjson >events.ndjson ||
	fail "gm-produce failed"
{ head -n 1000 events.ndjson; echo '{"type":"transaction",'; tail -n +1001 events.ndjson; } >bad.ndjson

# summary ERR: "in out rejected late" of the summary line in ERR.
summary() {
	sed -n 's/^[^:]*: \([0-9]*\) in, \([0-9]*\) out\(, [0-9]* not delivered\)\{0,1\}, \([0-9]*\) rejected, \([0-9]*\) late, .*/\1 \2 \4 \5/p' "$1" | tail -n 1
}
# final STATS: the same of the last record of STATS.
final() { tail -n 1 "$1" | jq -r '"\(.in) \(.out) \(.rejected) \(.late)"'; }

# check TOOL STATS ERR: one final record, the last, of TOOL; its counts
# the summary's; ids, seq and times in order.
check() {
	local tool=$1 st=$2 err=$3
	expect_eq "$tool: one final record, the last" \
		"$(jq -r 'select(.final) | input_line_number' "$st" | tr '\n' ' ')" "$(wc -l <"$st") "
	expect_eq "$tool: the last record's counts are the summary's" "$(final "$st")" "$(summary "$err")"
	expect_eq "$tool: records of type stats, of the tool, in order" \
		"$(jq -sr --arg t "$tool" '[.[] | select(.type == "stats" and .tool == $t
			and .stats_id == "\(.tool)/\(.instance)/\(.seq)")] as $r
			| [$r | length, ([$r[].seq] == [range(1; ($r | length) + 1)])] | @tsv' "$st")" \
		"$(wc -l <"$st")	true"
}

# Every tool, over a file with a bad record.
gm-txmon --stats st.txmon -o txmon.out -a alerts.ndjson bad.ndjson 2>err.txmon
check gm-txmon st.txmon err.txmon
expect_eq "gm-txmon: the bad record counted" "$(final st.txmon | cut -d ' ' -f 3)" 1
expect_eq "gm-txmon: its users' store" "$(jq -r '.values.keys_users > 0' st.txmon)" true
gm-session --stats st.session -o /dev/null bad.ndjson 2>err.session
check gm-session st.session err.session
expect_eq "gm-session: its stores' keys" \
	"$(jq -r '.values | has("keys_sessions") and has("keys_carts")' st.session)" true
gm-inventory --stats st.inventory -o /dev/null -a /dev/null catalog.ndjson events.ndjson 2>err.inventory
check gm-inventory st.inventory err.inventory
gm-cat --stats st.cat -o /dev/null bad.ndjson 2>err.cat
check gm-cat st.cat err.cat
expect_eq "gm-cat: what it wrote, not the stats records" "$(final st.cat | cut -d ' ' -f 2)" 3000
gm-produce -s 3 -n 500 -r 0 --stats st.produce >/dev/null 2>err.produce
check gm-produce st.produce err.produce
expect_eq "gm-produce: 500 out" "$(final st.produce | cut -d ' ' -f 2)" 500
gm-etl --stats st.etl -w wh catalog.ndjson bad.ndjson 2>err.etl
check gm-etl st.etl err.etl
gm-rfm --stats st.rfm -w wh -o /dev/null 2>err.rfm
check gm-rfm st.rfm err.rfm
cat >notify.yml <<'YAML'
route: {receiver: f, group_by: [kind], group_wait: 0s}
receivers:
- name: f
  file_configs: [{path: notes.ndjson}]
YAML
gm-notify -c notify.yml --replay --state notify.state --stats st.notify alerts.ndjson 2>err.notify
check gm-notify st.notify err.notify
expect_eq "gm-notify: notifications_total is what it delivered" \
	"$(tail -n 1 st.notify | jq -r '.values.notifications_total')" \
	"$(sed -n 's/.*; \([0-9]*\) notifications delivered.*/\1/p' err.notify)"
expect_eq "gm-notify: nothing dead-lettered, no retry" \
	"$(tail -n 1 st.notify | jq -c '[.values.dead_letters_total, .values.retries_total]')" "[0,0]"

# While it runs: records every --stats-every, their counts never down,
# the final one last. gm-txmon reads a pipe fed in three pieces.
{ head -n 1000 events.ndjson; sleep 0.6; sed -n 1001,2000p events.ndjson; sleep 0.6
  tail -n +2001 events.ndjson; } |
	gm-txmon --stats st.run --stats-every 100ms -o /dev/null 2>err.run
check gm-txmon st.run err.run
expect_eq "periodic records: at least 8, not final" \
	"$(jq -s '[.[] | select(.final | not)] | length >= 8' st.run)" true
expect_eq "periodic records: counts and uptime never go down" \
	"$(jq -s '[range(1; length) as $i | .[$i - 1] as $a | .[$i] as $b
		| $a.in <= $b.in and $a.out <= $b.out and $a.uptime_s <= $b.uptime_s] | all' st.run)" true
expect_eq "periodic records: some saw part of the input" \
	"$(jq -s '[.[] | select(.in == 1000)] | length > 0' st.run)" true
expect_eq "interval_s is --stats-every's" "$(head -n 1 st.run | jq .interval_s)" 0.1

# Usage: --stats-every alone; PostgreSQL; a duration that is none.
expect_status "--stats-every without --stats" 2 gm-txmon --stats-every 1s events.ndjson
expect_status "--stats to PostgreSQL" 2 gm-cat --stats postgresql://127.0.0.1:1/x events.ndjson
expect_status "--stats-every 0" 2 gm-cat --stats st.x --stats-every 0 events.ndjson
expect_status "--stats to a folder that is not there" 1 gm-cat --stats no/such/st events.ndjson

# Kafka: the records go to a topic, keyed by the tool; a reader of a
# topic to its end reports a lag of 0 there; the stats records count in
# neither its summary nor the topic of its output.
kafka_start -t events -t stats -t out
gm-cat -q -o kafka:events events.ndjson || fail "gm-cat to Kafka failed"
gm-cat -t events -e --stats kafka:stats -o kafka:out 2>err.k ||
	fail "gm-cat -t events -e --stats kafka:stats failed"
kafka_dump stats >st.kafka
expect_eq "Kafka: one stats record, final, of gm-cat" \
	"$(jq -r '[.tool, .final] | @tsv' st.kafka)" "gm-cat	true"
expect_eq "Kafka: its counts are the summary's" "$(final st.kafka)" "$(summary err.k)"
expect_eq "Kafka: a lag of 0 at the end of the topic" "$(jq -r '.values.consumer_lag' st.kafka)" 0
expect_eq "Kafka: the output topic holds the records only" "$(kafka_count out)" 3000
expect_eq "Kafka: keyed by the tool" "$(kafka_dump stats '%k\n')" gm-cat

finish

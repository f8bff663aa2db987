#!/usr/bin/env bash
# kafka-broker: the test cluster speaks Kafka to an independent client
# (kcat), keeps every message, and obeys its control channel.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

kafka_start -t lines -p 1

# 1000 distinct NDJSON lines.
awk 'BEGIN {
	for (i = 1; i <= 1000; i++)
		printf "{\"type\":\"product_view\",\"event_id\":\"v%04d\",\"ts\":\"2026-11-24T10:00:00.%03dZ\",\"user_id\":\"u%d\",\"duration_ms\":%d}\n", i, i % 1000, i % 17, i * 7
}' >"$T/in.ndjson"

# One partition keeps the order: what comes back is the input, byte for byte.
expect_status "kcat -P" 0 kcat -P -b "$GM_BROKERS" -t lines <"$T/in.ndjson"
expect_status "kcat -C -e" 0 kafka_dump lines >"$T/out.ndjson"
expect_same_file "lines read back" "$T/out.ndjson" "$T/in.ndjson"
expect_eq "kafka_count lines" "$(kafka_count lines)" 1000

# A topic made through the control channel, keyed: spread over its four
# partitions, every line is there once.
expect_status "create spread 4" 0 kafka_ctl create spread 4
awk -F'"' '{ print $16 "\t" $0 }' "$T/in.ndjson" |
	kcat -P -b "$GM_BROKERS" -t spread -K '\t'
kafka_dump spread | sort >"$T/spread.ndjson"
sort "$T/in.ndjson" >"$T/in.sorted"
expect_same_file "keyed lines read back" "$T/spread.ndjson" "$T/in.sorted"
kafka_dump spread '%p\n' | sort -u >"$T/partitions"
expect_eq "partitions used" "$(tr '\n' ' ' <"$T/partitions")" "0 1 2 3 "
kafka_dump spread '%k %s\n' | awk -F'"' '{ split($1, k, " "); if (k[1] != $16) bad++ } END { print bad + 0 }' >"$T/badkeys"
expect_eq "keys are the user ids" "$(cat "$T/badkeys")" 0

# A broker that is down answers nobody; up again, it serves as before.
expect_status "down 1" 0 kafka_ctl down 1
kcat -L -b "$GM_BROKERS" -m 2 >"$T/meta-down" 2>&1
expect_eq "metadata while down (exit status)" "$?" 1
expect_status "up 1" 0 kafka_ctl up 1
expect_status "metadata after up" 0 kcat -L -b "$GM_BROKERS" -m 10 -t lines >/dev/null
expect_eq "messages after up" "$(kafka_count lines)" 1000

# Fault injection and bad commands answer too.
expect_status "errors" 0 kafka_ctl errors Produce 1 NOT_LEADER_FOR_PARTITION
expect_status "rtt" 0 kafka_ctl rtt 1 5
expect_status "leader" 0 kafka_ctl leader lines 0 1
expect_status "unknown command" 1 kafka_ctl frobnicate 1
expect_status "bad broker id" 1 kafka_ctl down one
expect_status "bad error code" 1 kafka_ctl errors Produce 1 NO_SUCH_ERROR

# Produce after the injected error: the client retries, nothing is lost.
printf '{"type":"x","n":1}\n' | kcat -P -b "$GM_BROKERS" -t lines
expect_eq "count after a retried produce" "$(kafka_count lines)" 1001

expect_status "quit" 0 kafka_ctl quit
wait "$KAFKA_PID"
expect_eq "broker exit status after quit" "$?" 0
KAFKA_PID=

finish

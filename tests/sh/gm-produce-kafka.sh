# gm-produce into Kafka (the test broker, over a real socket): exact
# counts per topic read back by kcat, keys equal to user_id, payloads
# equal to the NDJSON run; with --catalog kafka:, products and restocks
# in their topics, keyed by product_id; a failed delivery makes the exit
# status 1; an unreachable cluster 75.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

# A bad -X value is a usage error that names the property as given, not
# as librdkafka knows it (linger.ms is queue.buffering.max.ms to it).
for prop in linger.ms=abc acks=maybe compression.type=zz; do
	gm-produce -q -n 1 -b 127.0.0.1:1 -o kafka: -X "$prop" 2>"$T/prop.err"
	expect_eq "-X $prop: exit status" $? 2
	expect_grep "-X $prop: names ${prop%%=*}" \
		"^gm-produce: -X $prop: Invalid value.* for configuration property \"${prop%%=*}\"\$" "$T/prop.err"
done

kafka_start -p 4 -t transactions -t product_views -t cart_events -t all -t kcat -t products -t restocks
opts="-q --start=2026-11-24T00:00:00Z -n 20000 -r 0 --truth"

# shellcheck disable=SC2086
gm-produce $opts >"$T/ndjson"
# shellcheck disable=SC2086
gm-produce $opts -o kafka:
expect_eq "gm-produce -o kafka: exit status" $? 0
for topic in transactions product_views cart_events; do
	type=${topic%s}
	want=$(grep -c "^{\"type\":\"$type\"" "$T/ndjson")
	expect_eq "$topic: exact count" "$(kafka_count "$topic")" "$want"
	kafka_dump "$topic" '%k\t%s\n' >"$T/$topic.kv"
	awk -F'\t' '{ if (index($2, "\"user_id\":\"" $1 "\"") == 0) bad++ } END { exit bad > 0 }' "$T/$topic.kv"
	expect_eq "$topic: every key is the record's user_id" $? 0
	cut -f2- "$T/$topic.kv" | sort >"$T/$topic.got"
	grep "^{\"type\":\"$type\"" "$T/ndjson" | sort >"$T/$topic.want"
	expect_same_file "$topic: payloads equal the NDJSON run" "$T/$topic.got" "$T/$topic.want"
done
# Within a partition, a user's events keep their order.
kafka_dump product_views '%p\t%k\t%s\n' | awk -F'\t' '{ print $2 "\t" $3 }' >"$T/order"
awk -F'\t' '{ if (($1 in last) && $2 < last[$1]) bad++; last[$1] = $2 } END { exit bad > 0 }' \
	<(jq -r '[.user_id, .ts] | @tsv' <(cut -f2- "$T/order"))
expect_eq "a user's views arrive in event-time order" $? 0

# gm partitions its batches itself: every key lands where librdkafka's
# own partitioner puts it (kcat -K, murmur2_random as gm's default).
grep '"type":"product_view"' "$T/ndjson" | jq -r .user_id | paste - <(grep '"type":"product_view"' "$T/ndjson") |
	kcat -P -b "$GM_BROKERS" -t kcat -K '\t' -X partitioner=murmur2_random
expect_eq "kcat -P: exit status" $? 0
kafka_dump product_views '%k\t%p\n' | sort -u >"$T/gm.parts"
kafka_dump kcat '%k\t%p\n' | sort -u >"$T/kcat.parts"
expect_eq "keys spread over 4 partitions" "$(cut -f2 "$T/gm.parts" | sort -u | wc -l)" 4
expect_same_file "every key in the partition librdkafka chooses" "$T/gm.parts" "$T/kcat.parts"

# --catalog kafka: the catalog to products, the deliveries to restocks,
# each keyed by its product_id, the same records as the NDJSON run's.
copts="-q --start=2026-11-24T00:00:00Z -n 20000 -d 1d -r 0 --products 20"
# shellcheck disable=SC2086
gm-produce $copts --catalog "$T/catalog" -o "$T/cevents"
# shellcheck disable=SC2086
gm-produce $copts --catalog kafka: -o kafka:
expect_eq "gm-produce --catalog kafka: exit status" $? 0
grep '^{"type":"restock"' "$T/cevents" >"$T/restocks"
[ -s "$T/restocks" ] || fail "no restock in the NDJSON run"
for topic in products restocks; do
	want=$T/catalog
	[ $topic = restocks ] && want=$T/restocks
	kafka_dump $topic '%k\t%s\n' >"$T/$topic.kv"
	awk -F'\t' '{ if (index($2, "\"product_id\":\"" $1 "\"") == 0) bad++ } END { exit bad > 0 }' "$T/$topic.kv"
	expect_eq "$topic: every key is the record's product_id" $? 0
	expect_same_file "$topic: payloads equal the NDJSON run" <(cut -f2- "$T/$topic.kv" | sort) <(sort "$want")
done

# -o kafka:TOPIC sends everything to one topic.
# shellcheck disable=SC2086
gm-produce $opts -o kafka:all
expect_eq "one topic: count" "$(kafka_count all)" 20000

# At a slow rate, messages do not wait in a batch for more: half-way
# through a 4-second run, the first ones are in the topic.
gm-produce -q -r 10 -n 40 -o kafka:all &
slow=$!
sleep 2
midway=$(kafka_count all)
expect_eq "a slow run: messages arrive while it runs" "$([ "$midway" -gt 20000 ] && echo yes)" yes
wait "$slow"
expect_eq "a slow run: exit status" $? 0
expect_eq "a slow run: count" "$(kafka_count all)" 20040

# An unreachable cluster: nothing is made, status 75 (more in
# kafka-faults.sh).
GM_BROKERS=127.0.0.1:1 gm-produce -q -n 10 -r 0 -o kafka: --retry-for 1s 2>"$T/down.err"
expect_eq "unreachable brokers: exit status 75" $? 75
expect_grep "unreachable brokers: reported" "127.0.0.1:1: unreachable for 1 s, giving up" "$T/down.err"

# A failed delivery in a reachable cluster is a failure (1): the broker
# refuses every produce request with a non-retriable error.
kafka_ctl "errors 0 10000 10" # API 0 = Produce; 10 = MSG_SIZE_TOO_LARGE
expect_eq "fault injected" $? 0
# shellcheck disable=SC2086
gm-produce $opts -n 50 -o kafka:transactions -X message.timeout.ms=3000 2>"$T/fail.err"
expect_eq "failed delivery: exit status 1" $? 1
expect_grep "failed delivery: reported" "delivery failed" "$T/fail.err"
finish

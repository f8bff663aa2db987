# Kafka faults, as a user meets them, against the test broker's control
# channel: a cluster not there at the start is one clear error and
# status 75 after --retry-for (and a run goes on when it comes up in
# time); deliveries that fail are counted apart from those made, the
# summary saying what a consumer reads back; the first SIGINT while the
# cluster is gone ends the drain after a few seconds, not
# message.timeout.ms, and a second one ends the run at once.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

# The summary's count before WHAT ("out", "not delivered") in FILE, or 0.
summary() { sed -n "s/.* \([0-9]*\) $1[,].*/\1/p" "$2" | tail -1 | grep . || echo 0; }

# Runs CMD... with a deadline of 30 s, far past what each case needs
# (a few seconds) and far short of what it took before (minutes).
within_30s() { timeout -s KILL 30 "$@"; }

# 1. Nothing listens: gm-produce and gm-txmon (a consumer, with a group
#    and without) give up after --retry-for with status 75, saying so
#    once, without librdkafka's connection lines.
port=$(free_port)
within_30s gm-produce -n 10 -b "127.0.0.1:$port" --retry-for 2s -o kafka: 2>"$T/p.err"
expect_eq "gm-produce, no broker: exit status" $? 75
within_30s gm-txmon -b "127.0.0.1:$port" --retry-for 2s -t transactions -o /dev/null 2>"$T/t.err"
expect_eq "gm-txmon -t, no broker: exit status" $? 75
within_30s gm-txmon -b "127.0.0.1:$port" --retry-for 2s -G g -t transactions -o /dev/null 2>"$T/g.err"
expect_eq "gm-txmon -G -t, no broker: exit status" $? 75
for tool in p:gm-produce t:gm-txmon g:gm-txmon; do
	f=$T/${tool%%:*}.err tool=${tool#*:}
	printf '%s\n' \
		"$tool: kafka: warning: 127.0.0.1:$port: Connection refused; retrying for up to 2 s" \
		"$tool: kafka: 127.0.0.1:$port: unreachable for 2 s, giving up: Connection refused" >"$T/want.err"
	expect_same_file "$tool, no broker: says so once" "$f" "$T/want.err"
done

# 2. The broker comes up while gm-produce retries: every event arrives.
within_30s gm-produce -q -n 100 -r 0 -b "127.0.0.1:$port" --retry-for 25s -o kafka: 2>"$T/late.err" &
late=$!
sleep 1
kafka_start -P "$port" -p 4 -t transactions -t product_views -t cart_events -t t5 -t t6 -t t7
wait "$late"
expect_eq "broker up within --retry-for: exit status" $? 0
expect_grep "broker up within --retry-for: says it was reached" "127.0.0.1:$port: reached after" "$T/late.err"
total=0
for topic in transactions product_views cart_events; do
	total=$((total + $(kafka_count "$topic")))
done
expect_eq "broker up within --retry-for: every event arrives" "$total" 100

# 3. Some deliveries fail (the broker refuses three produce requests):
#    the summary says how many arrived, as a consumer reads them, and
#    how many did not; the status is 1.
gm-produce -r 2000 -n 4000 -o kafka:t5 2>"$T/5.err" &
pid=$!
until [ "$(kafka_count t5)" -gt 0 ]; do sleep 0.1; done
kafka_ctl errors Produce 3 MSG_SIZE_TOO_LARGE
wait "$pid"
expect_eq "failed deliveries: exit status" $? 1
out=$(summary out "$T/5.err") lost=$(summary "not delivered" "$T/5.err")
expect_eq "failed deliveries: some failed" "$([ "$lost" -gt 0 ] && echo yes)" yes
expect_eq "failed deliveries: delivered + failed = made" $((out + lost)) 4000
expect_eq "failed deliveries: delivered = read back" "$out" "$(kafka_count t5)"
expect_grep "failed deliveries: the count said" "kafka: $lost of 4000 messages not delivered" "$T/5.err"
expect_eq "failed deliveries: the error said once" "$(grep -c 'delivery failed' "$T/5.err")" 1

# 4. The cluster goes away while gm-produce runs: its partitions lose
#    their leader (so that no request is left in flight, whose fate
#    would be unknown), then the broker goes down. The first SIGINT ends
#    the drain after 5 s: status 1, what waited counted as not delivered.
gm-produce -r 2000 -n 1000000 -o kafka:t6 2>"$T/6.err" &
pid=$!
until [ "$(kafka_count t6)" -gt 0 ]; do sleep 0.1; done
for p in 0 1 2 3; do kafka_ctl leader t6 $p -1; done
sleep 0.5
kafka_ctl down 1
sleep 1
kill -INT "$pid"
within_30s tail --pid="$pid" -f /dev/null
if kill -0 "$pid" 2>/dev/null; then
	fail "SIGINT, cluster gone: still running 30 s after the signal"
	kill -KILL "$pid"
fi
wait "$pid"
expect_eq "SIGINT, cluster gone: exit status" $? 1
kafka_ctl up 1
for p in 0 1 2 3; do kafka_ctl leader t6 $p 1; done
out=$(summary out "$T/6.err") lost=$(summary "not delivered" "$T/6.err")
expect_grep "SIGINT, cluster gone: says what was given up" "messages still waiting for the brokers 5 s after the signal were given up" "$T/6.err"
expect_eq "SIGINT, cluster gone: some not delivered" "$([ "$lost" -gt 0 ] && echo yes)" yes
expect_grep "SIGINT, cluster gone: the count said" "kafka: $lost of $((out + lost)) messages not delivered" "$T/6.err"
expect_eq "SIGINT, cluster gone: delivered = read back" "$out" "$(kafka_count t6)"

# 5. A second signal during that drain ends gm-produce at once.
for p in 0 1 2 3; do kafka_ctl leader t7 $p -1; done
gm-produce -q -r 1000 -o kafka:t7 2>/dev/null &
pid=$!
sleep 1
kill -INT "$pid"
sleep 0.5
kill -INT "$pid"
wait "$pid"
expect_eq "second SIGINT during the drain: killed by it" $? 130
finish

# scripts/gm-broker: the development broker on a fixed port, usable by
# gm-produce and kcat at the address it prints; a port already taken is
# an error that says so.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

[ -x "$HELPERS/kafka-broker" ] || skip_or_fail "Kafka: $HELPERS/kafka-broker is not built"
command -v kcat >/dev/null || skip_or_fail "Kafka: kcat is not installed"

"$TOP/scripts/gm-broker" -h >"$T/help"
expect_eq "gm-broker -h: exit status" $? 0
expect_grep "gm-broker -h: says it is not for volumes" "about 5 MiB" "$T/help"

port=$(free_port)
"$TOP/scripts/gm-broker" -p "$port" >"$T/addr" 2>"$T/err" &
pid=$!
at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
for _ in $(seq 300); do [ -s "$T/addr" ] || ! kill -0 $pid 2>/dev/null && break; sleep 0.1; done
expect_eq "gm-broker prints its address" "$(cat "$T/addr")" "127.0.0.1:$port"

kcat -L -b "127.0.0.1:$port" >"$T/meta"
expect_grep "the broker listens where it says" "broker 1 at 127.0.0.1:$port\$" "$T/meta"
for topic in transactions product_views cart_events alerts; do
	expect_grep "topic $topic, 4 partitions" "topic \"$topic\" with 4 partitions" "$T/meta"
done

gm-produce -q -n 100 -r 0 -b "127.0.0.1:$port" --retry-for 10s -o kafka:
expect_eq "gm-produce into it: exit status" $? 0
GM_BROKERS=127.0.0.1:$port
total=0
for topic in transactions product_views cart_events; do
	total=$((total + $(kafka_count "$topic")))
done
expect_eq "every event is in its topic" "$total" 100

"$TOP/scripts/gm-broker" -p "$port" >"$T/addr2" 2>"$T/err2"
expect_eq "a second one on the same port: exit status" $? 1
expect_grep "a second one says why" "127.0.0.1:$port: Address already in use" "$T/err2"

kill -TERM "$pid"
wait "$pid"
expect_eq "gm-broker ends on SIGTERM: exit status" $? 0
finish

# tests/kafka.sh: a throwaway Kafka cluster (librdkafka's mock, run by
# $HELPERS/kafka-broker) for shell tests. Source it after tests/lib.sh,
# then:
#
#   kafka_start [ARGS]   starts kafka-broker ARGS (-n BROKERS, -p PARTITIONS,
#                        -t TOPIC...) with a control channel, exports
#                        GM_BROKERS (its bootstrap servers) and KAFKA_CTL
#                        (the control FIFO); kafka_stop runs at exit. If
#                        it cannot start: skip_or_fail.
#   kafka_ctl CMD...     sends one control command (down N, up N, leader
#                        TOPIC PARTITION N, create TOPIC PARTITIONS, rtt N
#                        MS, errors API COUNT ERR; see kafka-broker.c),
#                        prints the answer when it is not "ok" and returns
#                        0 only for "ok".
#   kafka_stop           stops the cluster (its data is gone).
#   kafka_count TOPIC    prints how many messages TOPIC holds.
#   kafka_dump TOPIC [FORMAT]   prints every message of TOPIC with kcat's
#                        -f FORMAT (default: the payload and a newline).
#
# Everything lives in memory and listens on 127.0.0.1 only. The broker's
# stderr is in $KAFKA_LOG. Tests must not rely on the ports.

KAFKA_PID=
KAFKA_CTL=$T/kafka.ctl      # commands, one a line
KAFKA_OUT=$T/kafka.out      # the broker's stdout: bootstrap line, answers
KAFKA_LOG=$T/kafka.log
_kafka_ctl_fd=
_kafka_out_fd=

# _kafka_fail WHAT: shows the broker's stderr, then skips or fails.
_kafka_fail() {
	if [ -s "$KAFKA_LOG" ]; then
		echo "--- tail of $KAFKA_LOG:" >&2
		tail -n 15 "$KAFKA_LOG" >&2
	fi
	kafka_stop
	skip_or_fail "Kafka: $*"
}

kafka_start() {
	local line
	[ -x "$HELPERS/kafka-broker" ] ||
		skip_or_fail "Kafka: $HELPERS/kafka-broker is not built"
	command -v kcat >/dev/null || skip_or_fail "Kafka: kcat is not installed"
	rm -f "$KAFKA_CTL" "$KAFKA_OUT"
	mkfifo "$KAFKA_CTL" "$KAFKA_OUT" || skip_or_fail "Kafka: mkfifo failed in $T"
	# Both FIFOs are held open read-write by this shell, so that opening
	# them never blocks and the broker's output waits here to be read.
	# The broker itself does not inherit these descriptors: when this
	# shell ends, its control channel reaches end of file and it exits.
	exec {_kafka_out_fd}<>"$KAFKA_OUT" {_kafka_ctl_fd}<>"$KAFKA_CTL"
	kafka-broker "$@" -c "$KAFKA_CTL" >"$KAFKA_OUT" 2>"$KAFKA_LOG" \
		{_kafka_out_fd}>&- {_kafka_ctl_fd}>&- &
	KAFKA_PID=$!
	at_exit kafka_stop
	if ! read -r -t 30 -u "$_kafka_out_fd" line; then
		_kafka_fail "kafka-broker $* printed no bootstrap servers"
	fi
	case $line in
	*:[0-9]*) ;;
	*) _kafka_fail "kafka-broker printed [$line], not bootstrap servers" ;;
	esac
	GM_BROKERS=$line
	export GM_BROKERS KAFKA_CTL
}

kafka_ctl() {
	local answer
	[ -n "$KAFKA_PID" ] || { echo "kafka_ctl: no broker" >&2; return 1; }
	printf '%s\n' "$*" >&"$_kafka_ctl_fd"
	if ! read -r -t 30 -u "$_kafka_out_fd" answer; then
		echo "kafka_ctl $*: no answer" >&2
		return 1
	fi
	[ "$answer" = ok ] && return 0
	echo "kafka_ctl $*: $answer" >&2
	return 1
}

kafka_stop() {
	[ -n "$KAFKA_PID" ] || return 0
	kill -TERM "$KAFKA_PID" 2>/dev/null
	wait "$KAFKA_PID" 2>/dev/null
	KAFKA_PID=
	exec {_kafka_out_fd}>&- {_kafka_ctl_fd}>&-
	return 0
}

kafka_dump() {
	kcat -C -b "$GM_BROKERS" -t "$1" -e -q -f "${2:-%s\n}"
}

kafka_count() {
	# One character per message, whatever the payloads hold.
	kcat -C -b "$GM_BROKERS" -t "$1" -e -q -f 'x' >"$T/kafka.count" || return 1
	echo $(($(wc -c <"$T/kafka.count")))
}

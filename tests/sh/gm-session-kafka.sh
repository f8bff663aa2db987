# gm-session from Kafka in a consumer group: one uninterrupted run over
# a topic writes what the same run over the file writes (a session,
# metric or alert depends only on its user's records, not on how users
# share partitions); so does a run over gm-produce's three topics read
# together; a run killed with -9 twice while the stream goes on, then
# resumed, and a group that a second instance joins in the middle of
# the stream (taking partitions, whose open sessions and carts go with
# them through the changelogs GROUP-sessions-changelog and the others),
# write, together, what the uninterrupted run writes: no session,
# metric or alert lost, none twice with other contents.
#
# NDJSON sinks get again what was written after the last checkpoint
# before a kill (at least once): outputs are compared as sets of whole
# records (sort -u), after checking that no id (session_id, metric_id,
# alert_id) names two different records.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

kafka_start -p 4 -t events -t live -t product_views -t cart_events -t transactions

# 3 hours of event time in about 3900 events of 150 users buying among
# 10 products, with short gaps and waits: about 970 sessions, 60
# abandoned carts and 25 recovered (every mock partition holds well
# under its 5 MiB).
produce="-q --start=2026-11-24T00:00:00Z -n 4000 -d 3h --users 150 --products 10"
rules="--gap 3m --abandon-after 5m --recover-within 1h -w 5m"
group="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200"

# The records of type $2 in files $3..., one a line, sorted and unique.
records() {
	local out=$1 type=$2; shift 2
	cat "$@" | jq -c --arg t "$type" 'select(.type == $t)' | sort -u >"$out"
}
# ids FILE FIELD: how many records share an id with another record.
shared_ids() {
	jq -r ".$2" "$1" | sort | uniq -d | wc -l
}
# compare WHAT GOT-FILES... -- WANT-FILES...: sessions, metrics, alerts.
compare() {
	local what=$1 got=() want=() t id
	shift
	while [ "$1" != -- ]; do got+=("$1"); shift; done
	shift
	want=("$@")
	for t in session:session_id session_metric:metric_id alert:alert_id; do
		id=${t#*:}
		t=${t%%:*}
		records "$T/got.$t" "$t" "${got[@]}"
		records "$T/want.$t" "$t" "${want[@]}"
		expect_eq "$what: ${t}s of one id with other contents" "$(shared_ids "$T/got.$t" "$id")" 0
		expect_same_file "$what: the ${t}s of the uninterrupted run" "$T/got.$t" "$T/want.$t"
	done
}

# ---- the truth: the file ----
# shellcheck disable=SC2086
gm-produce $produce -r 0 >"$T/events"
# shellcheck disable=SC2086
gm-session -q $rules -o "$T/file" "$T/events"
expect_eq "file run: exit status" $? 0
count() { grep -c "$1" "$2"; }
[ "$(count '"type":"session"' "$T/file")" -gt 900 ] &&
	[ "$(count '"kind":"cart_abandoned"' "$T/file")" -gt 50 ] &&
	[ "$(count '"kind":"cart_recovered"' "$T/file")" -gt 15 ]
expect_eq "file run: many sessions ($(count '"type":"session"' "$T/file")), abandoned ($(count '"kind":"cart_abandoned"' "$T/file")) and recovered carts ($(count '"kind":"cart_recovered"' "$T/file"))" $? 0

# What a run over Kafka must equal, whatever its partitions: the
# sessions without their partition field, the alerts, and the metrics'
# counts summed over the partitions.
sessions_of() { jq -c 'select(.type == "session") | del(.partition)' "$@" | sort -u; }
alerts_of() { jq -c 'select(.type == "alert")' "$@" | sort -u; }
metric_sums_of() {
	jq -c 'select(.type == "session_metric")' "$@" | sort -u |
		jq -r '[.window_start, .country, .sessions, .converted, .checkouts,
			.abandoned_carts, .recovered_carts] | @tsv' |
		awk -F'\t' -v OFS='\t' '{ k = $1 OFS $2; for (i = 3; i <= 7; i++) s[k, i] += $i; keys[k] = 1 }
			END { for (k in keys) print k, s[k, 3], s[k, 4], s[k, 5], s[k, 6], s[k, 7] }' | sort
}
sessions_of "$T/file" >"$T/file.sessions"
alerts_of "$T/file" >"$T/file.alerts"
metric_sums_of "$T/file" >"$T/file.metrics"
like_file() { # WHAT FILE...
	local what=$1
	shift
	sessions_of "$@" >"$T/k.sessions"
	alerts_of "$@" >"$T/k.alerts"
	metric_sums_of "$@" >"$T/k.metrics"
	expect_same_file "$what: sessions (but their partition) as from the file" "$T/k.sessions" "$T/file.sessions"
	expect_same_file "$what: alerts as from the file" "$T/k.alerts" "$T/file.alerts"
	expect_same_file "$what: metric counts summed over partitions as from the file" "$T/k.metrics" "$T/file.metrics"
}

# ---- the live stream ----
# The same events, keyed by user_id, into one topic at 300 a second
# (13 s), read meanwhile by two groups: "crash", killed twice, and
# "pair", joined by a second instance.
# shellcheck disable=SC2086
gm-produce $produce -r 300 -o kafka:live &
producer=$!
lines() { cat "$@" 2>/dev/null | wc -l; }
wait_lines() { # N FILE...: until the files hold N lines (30 s at most)
	local n=$1
	shift
	for _ in $(seq 300); do [ "$(lines "$@")" -ge "$n" ] && return 0; sleep 0.1; done
	return 1
}

# shellcheck disable=SC2086
gm-session -q -t live -G crash $group $rules -o "$T/crash1" 2>"$T/crash1.err" &
crash=$!
# shellcheck disable=SC2086
gm-session -q -t live -G pair $group $rules -X debug=cgrp -o "$T/a" 2>"$T/a.err" &
a=$!

# Crash 1: in the middle of the stream.
wait_lines 150 "$T/crash1"
expect_eq "first life wrote (150 lines)" $? 0
kill -0 "$producer" 2>/dev/null
expect_eq "the first kill came while the stream went on" $? 0
kill -KILL "$crash"
wait "$crash" 2>/dev/null

# The second instance of "pair" joins.
wait_lines 150 "$T/a"
expect_eq "pair: member a wrote (150 lines)" $? 0
# shellcheck disable=SC2086
gm-session -q -t live -G pair $group $rules -o "$T/b" 2>"$T/b.err" &
b=$!

# Crash 2: the second life, resumed from the commits and changelogs,
# writes more, and is killed too.
# shellcheck disable=SC2086
gm-session -q -t live -G crash $group $rules -o "$T/crash2" 2>"$T/crash2.err" &
crash=$!
wait_lines 50 "$T/crash2"
expect_eq "second life wrote (50 lines)" $? 0
kill -KILL "$crash"
wait "$crash" 2>/dev/null

for _ in $(seq 300); do grep -q "delegating revoke" "$T/a.err" && break; sleep 0.1; done
expect_grep "member b's arrival took partitions from member a" "delegating revoke" "$T/a.err"
wait "$producer"
expect_eq "producer: exit status" $? 0
total=$(kafka_count live)
expect_eq "the stream" "$total" "$(wc -l <"$T/events")"

# The last life of "crash" reads to the end.
# shellcheck disable=SC2086
gm-session -t live -e --final -G crash $group $rules -o "$T/crash3" 2>"$T/crash3.err"
expect_eq "last life: exit status" $? 0
resumed_in=$(sed -n 's/^gm-session: \([0-9]*\) in,.*/\1/p' "$T/crash3.err")
[ -n "$resumed_in" ] && [ "$resumed_in" -lt "$total" ]
expect_eq "last life read part of the stream ($resumed_in of $total)" $? 0

# Pair: the stream ended; both members stop; a last run ends the input.
[ "$(grep -c '"type":"session"' "$T/b")" -gt 0 ]
expect_eq "member b wrote sessions of its partitions ($(grep -c '"type":"session"' "$T/b"))" $? 0
kill -TERM "$a" "$b"
wait "$a"
expect_eq "member a, stopped: exit status" $? 0
wait "$b"
expect_eq "member b, stopped: exit status" $? 0
# shellcheck disable=SC2086
gm-session -q -t live -e --final -G pair $group $rules -o "$T/c" 2>"$T/c.err"
expect_eq "pair, the last run: exit status" $? 0

# ---- the uninterrupted run ----
# shellcheck disable=SC2086
gm-session -q -t live -e --final -G whole $group $rules -o "$T/whole" 2>"$T/whole.err"
expect_eq "uninterrupted run: exit status" $? 0
for t in session:session_id session_metric:metric_id alert:alert_id; do
	expect_eq "uninterrupted run: ${t%%:*}s of one id" \
		"$(jq -r "select(.type == \"${t%%:*}\") | .${t#*:}" "$T/whole" | sort | uniq -d | wc -l)" 0
done
like_file "one topic, uninterrupted" "$T/whole"
# A life killed in the middle of a write may end in part of a record
# (Linux cuts a write of several pages short when a kill comes): that
# record is written again whole by the next life, from the commits.
for f in "$T/crash1" "$T/crash2"; do
	[ -z "$(tail -c 1 "$f")" ] || sed -i '$d' "$f"
done
compare "killed twice and resumed" "$T/crash1" "$T/crash2" "$T/crash3" -- "$T/whole"
compare "two members, then a last run" "$T/a" "$T/b" "$T/c" -- "$T/whole"

# ---- gm-produce's three topics, read together ----
# shellcheck disable=SC2086
gm-produce $produce -r 0 -o kafka:
expect_eq "three topics: produced" $? 0
# shellcheck disable=SC2086
gm-session -q -t product_views -t cart_events -t transactions -e --final -G three $group $rules \
	-o "$T/three" 2>"$T/three.err"
expect_eq "three topics: exit status" $? 0
like_file "three topics" "$T/three"
finish

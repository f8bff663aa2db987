# gm-notify-restart.sh: kill -9 in the middle of delivery, then a run
# with the same --state and the same input: every notification of an
# uninterrupted run reaches the receiver, answered 200, exactly once,
# and the one that was in flight is sent again byte for byte. Killed
# while the first request hangs (everything in flight), and while the
# third hangs (two delivered and logged done before the kill).
. "$(dirname "$0")/../lib.sh"
. "$TESTS/notify-servers.sh"
. "$TESTS/notify-alerts.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"
http_start
cd "$T" || exit 1

cat >conf.yml <<YAML
route:
  receiver: hook
  group_by: [product_id]
receivers:
- name: hook
  webhook_configs: [{url: '$HTTP_URL/hook'}]
YAML

# Four groups; one notified again for a new alert, one for a
# resolution.
{
	alert r1 10:00:00 low_stock '"product_id":"P-1"'
	alert r2 10:00:00 low_stock '"product_id":"P-2"'
	alert r3 10:00:00 out_of_stock '"product_id":"P-3"'
	alert r4 10:10:00 out_of_stock '"product_id":"P-1"'
	alert r5 10:20:00 low_stock '"product_id":"P-2"' resolved
	alert r6 10:20:00 low_stock '"product_id":"P-4"'
} >in.ndjson

# answered FROM: the notifications of the requests after the first FROM
# answered 200, one a line, sorted.
answered() {
	jq -c --argjson from "$1" 'select(.n > $from and .answer == "200") | .body | fromjson' "$HTTP_REQUESTS" |
		notes | sort
}
# flights STATE: the notifications in flight in the state file.
flights() { grep -c '^flight	' "$1" 2>/dev/null; }
# wait_for WHAT CMD...: polls CMD until it succeeds, for 30 s at most.
wait_for() {
	local what=$1
	shift
	for _ in $(seq 300); do "$@" && return 0; sleep 0.1; done
	fail "$what: not within 30 s"
	return 1
}
requests_over() { [ "$(http_count)" -ge "$1" ]; }
flights_are() { [ "$(flights "$1")" = "$2" ]; }

# The notifications of a run that nothing interrupts.
gm-notify -q -c conf.yml --replay --state clean.state in.ndjson
expect_eq "uninterrupted: status" $? 0
answered 0 >want
n=$(wc -l <want)
expect_eq "uninterrupted: the notifications" "$(cat want)" \
	'{}:{product_id="P-1"} firing firing:r1
{}:{product_id="P-1"} firing firing:r4
{}:{product_id="P-2"} firing firing:r2
{}:{product_id="P-2"} resolved resolved:r5
{}:{product_id="P-3"} firing firing:r3
{}:{product_id="P-4"} firing firing:r6'
expect_eq "uninterrupted: nothing in flight after" "$(flights clean.state)" 0

# kill_at NAME ANSWERS...: queues ANSWERS, the last a hang, runs
# gm-notify on the state NAME.state, kills it with -9 once the hang has
# its request and the state has what was answered before it logged done,
# then runs it again to the end against a receiver answering 200.
kill_at() {
	local name=$1 before
	shift
	before=$(http_count)
	http_queue "$@"
	gm-notify -q -c conf.yml --replay --state "$name.state" in.ndjson 2>"$name.err" &
	local pid=$!
	wait_for "$name: the hung request" requests_over $((before + $#))
	wait_for "$name: $(($# - 1)) logged done" flights_are "$name.state" $((n - $# + 1))
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	expect_eq "$name: killed" $? 137
	http_restart
	gm-notify -q -c conf.yml --replay --state "$name.state" in.ndjson 2>>"$name.err"
	expect_eq "$name: the run after, status" $? 0
	expect_eq "$name: every notification once" "$(answered "$before")" "$(cat want)"
	local hung
	hung=$(jq -c --argjson at $((before + $#)) 'select(.n == $at) | .body' "$HTTP_REQUESTS")
	expect_eq "$name: the hung one sent again as it was" \
		"$(jq -r --argjson from "$before" --argjson body "$hung" \
			'select(.n > $from and .answer == "200" and .body == $body) | .n' "$HTTP_REQUESTS" | wc -l)" 1
	expect_eq "$name: nothing in flight after" "$(flights "$name.state")" 0
	expect_eq "$name: no error" "$(cat "$name.err")" ""
}

kill_at first "hang 30"
kill_at third 200 200 "hang 30"

# The same input once more: nothing is sent twice.
before=$(http_count)
gm-notify -q -c conf.yml --replay --state third.state in.ndjson
expect_eq "the same input again: status" $? 0
expect_eq "the same input again: nothing sent" "$(http_count)" "$before"
expect_eq "no dead letter" "$(ls ./*dead-letter* 2>/dev/null)" ""
# A fallback outlives a stop: the webhook refuses (404, after 2 s) while
# a SIGTERM comes; the notification given up on is dead-lettered and its
# fallback's notification logged in flight, sent by the next run.
cat >fb.yml <<YAML
route:
  receiver: hook
  group_by: [product_id]
  group_wait: 0s
receivers:
- name: hook
  fallback: disk
  webhook_configs: [{url: '$HTTP_URL/refuse'}]
- name: disk
  file_configs: [{path: fallback.ndjson}]
YAML
http_default -p /refuse '404 delay=2'
alert f1 10:00:00 low_stock '"product_id":"P-9"' >fb.ndjson
gm-notify -c fb.yml --replay --state fb.state --dead-letter fb.dead fb.ndjson 2>fb1.err &
pid=$!
wait_for "the refused request" requests_over $(( $(http_count) + 1 ))
kill -TERM "$pid"
wait "$pid"
expect_eq "fallback, stopped: status (a dead letter)" $? 1
expect_eq "fallback, stopped: dead-lettered" "$(jq -r '.receiver + " " + .notification.alerts[0].annotations.alert_id' fb.dead)" "hook f1"
expect_eq "fallback, stopped: not sent yet" "$(cat fallback.ndjson 2>/dev/null | wc -l)" 0
expect_eq "fallback, stopped: in flight" "$(flights fb.state)" 1
gm-notify -c fb.yml --replay --state fb.state --dead-letter fb.dead fb.ndjson 2>fb2.err
expect_eq "fallback, the next run: status" $? 0
expect_eq "fallback, the next run: sent once" "$(jq -r '.receiver + " " + .alerts[0].annotations.alert_id' fallback.ndjson)" "disk f1"
expect_eq "fallback, the next run: nothing in flight" "$(flights fb.state)" 0
expect_eq "fallback, the next run: one dead letter still" "$(wc -l <fb.dead)" 1
finish

# gm-notify -f follows a file of alerts, as tail -F does, and notifies
# each alert appended while it runs, on the wall clock (group_wait 0):
# one written in two pieces comes whole, once its newline comes; a
# SIGTERM ends the run, exit 0. -f with Kafka topics is a usage error.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/notify-alerts.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"
cd "$T" || exit 1
cat >conf.yml <<YAML
route: {receiver: f, group_by: [product_id], group_wait: 0s}
receivers:
- name: f
  file_configs: [{path: out.ndjson}]
YAML

# lines N: waits (20 s at most) until out.ndjson has N lines.
lines() {
	for _ in $(seq 200); do
		[ "$(cat out.ndjson 2>/dev/null | wc -l)" -ge "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

alert A1 10:00:00 low_stock '"product_id":"P-1"' >alerts.ndjson
gm-notify -c conf.yml -f alerts.ndjson 2>err &
pid=$!
lines 1 || fail "the alert already there was not notified"
line=$(alert A2 10:00:01 low_stock '"product_id":"P-2"')
printf '%s' "${line:0:40}" >>alerts.ndjson
sleep 0.3
expect_eq "half a line waits" "$(wc -l <out.ndjson)" 1
printf '%s\n' "${line:40}" >>alerts.ndjson
lines 2 || fail "the appended alert was not notified"
alert A3 10:00:02 low_stock '"product_id":"P-3"' >>alerts.ndjson
lines 3 || fail "the third alert was not notified"
kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM: exit status" $? 0
expect_eq "notified, each once" "$(notes out.ndjson | sort)" \
'{}:{product_id="P-1"} firing firing:A1
{}:{product_id="P-2"} firing firing:A2
{}:{product_id="P-3"} firing firing:A3'
expect_eq "summary" "$(summary err)" \
	"3 firing, 0 resolved, 0 duplicate, 0 repeated, 0 unmatched; 3 notifications delivered, 0 dead-lettered"
expect_eq "no message but the summary" "$(grep -vc '^gm-notify: [0-9]* \(in\|firing\),' err)" 0

gm-notify -c conf.yml -f -t alerts 2>err
expect_eq "-f with -t: status" $? 2
expect_eq "-f with -t: the error" "$(head -1 err)" \
	"gm-notify: -f follows files: Kafka topics are followed unless -e"
finish

# gm-notify reading the "alerts" topic in a consumer group: every alert
# is notified, once, to a webhook; its offsets are committed only when
# the alerts they cover are delivered or dead-lettered, so that a member
# killed with -9 while a receiver hangs leaves its alerts to be read
# again, and the next run delivers every one of them; a member that ran
# to the end leaves nothing to read again.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"
. "$TESTS/notify-servers.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"
command -v kcat >/dev/null || skip_or_fail "kcat is not installed"

kafka_start -p 2 -t alerts
http_start
group="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200"

cat >"$T/conf.yml" <<YAML
route:
  receiver: hook
  group_by: [product_id]
  group_wait: 0s
receivers:
- name: hook
  retry_for: 1h
  webhook_configs:
  - url: '$HTTP_URL/hook'
YAML

# alerts FROM TO: alerts of products FROM..TO, keyed by product, to "alerts".
alerts() {
	for i in $(seq "$1" "$2"); do
		printf 'p%03d\t{"type":"alert","alert_id":"a%03d","ts":"2026-11-24T10:%02d:00Z","kind":"low_stock","severity":"warning","source":"gm-inventory","summary":"p%03d is low","labels":{"product_id":"p%03d"},"on_hand":%d}\n' \
			"$i" "$i" $((i % 60)) "$i" "$i" $((i % 7))
	done | kcat -P -b "$GM_BROKERS" -t alerts -K '\t' -X partitioner=murmur2_random
}

# delivered: the alert ids of the requests answered 200, one a line, sorted.
delivered() {
	jq -r 'select(.answer == "200") | .body | fromjson | .alerts[].annotations.alert_id' \
		"$HTTP_REQUESTS" | sort
}

# ---- a run to the end: each alert once; nothing left to read ----
alerts 1 30
gm-notify -c "$T/conf.yml" -G g1 $group -t alerts -e --dead-letter "$T/dead" \
	>"$T/run1.out" 2>"$T/run1.err" || fail "run 1 exited $?: $(cat "$T/run1.err")"
expect_eq "run 1: notifications" "$(delivered | wc -l)" 30
expect_eq "run 1: each alert once" "$(delivered | uniq -d | wc -l)" 0
expect_grep "run 1: summary" '30 notifications delivered, 0 dead-lettered' "$T/run1.err"
gm-notify -c "$T/conf.yml" -G g1 $group -t alerts -e --dead-letter "$T/dead" \
	2>"$T/run1b.err" || fail "run 1b exited $?"
expect_grep "run 1b: nothing read again" ': 0 in, 0 out' "$T/run1b.err"

# ---- killed while the receiver hangs: nothing lost ----
http_default 'hang 60'
alerts 31 40
gm-notify -c "$T/conf.yml" -G g1 $group -t alerts --dead-letter "$T/dead" 2>"$T/run2.err" &
pid=$!
for _ in $(seq 300); do
	[ "$(jq -r 'select(.answer | startswith("hang"))' "$HTTP_REQUESTS" | grep -c alert_id)" -gt 0 ] && break
	sleep 0.1
done
sleep 1.5   # past auto.commit.interval.ms: a commit would have gone by now
kill -9 "$pid"
wait "$pid" 2>/dev/null
http_restart
gm-notify -c "$T/conf.yml" -G g1 $group -t alerts -e --dead-letter "$T/dead" \
	2>"$T/run3.err" || fail "run 3 exited $?: $(cat "$T/run3.err")"
expect_grep "run 3: the 10 alerts read again" ': 10 in, 10 out' "$T/run3.err"
expect_eq "runs 1 and 3: every alert delivered" "$(delivered | uniq | wc -l)" 40
expect_eq "runs 1 and 3: each once" "$(delivered | uniq -d | wc -l)" 0
[ -e "$T/dead" ] && fail "a dead letter: $(cat "$T/dead")"

# ---- killed with an alert held: the next run skips what was notified ----
# An alert that waits an hour on its route comes first, ten notified at
# once after it: the commit stays at the first, with a note naming it
# as the one not settled, so the next run, which reads from there,
# notifies it and skips the ten.
kafka_ctl create alerts3 1 || fail "kafka-broker: create alerts3"
cat >"$T/conf3.yml" <<YAML
route:
  receiver: hook
  group_by: [product_id]
  group_wait: 0s
  routes:
  - matchers: [kind=slow]
    receiver: hook
    group_wait: 1h
receivers:
- name: hook
  webhook_configs:
  - url: '$HTTP_URL/hook'
YAML
: >"$HTTP_REQUESTS"
{
	printf 'p000\t{"type":"alert","alert_id":"s000","ts":"2026-11-24T12:00:00Z","kind":"slow","severity":"info","source":"gm-inventory","summary":"slow","labels":{"product_id":"p000"}}\n'
	for i in $(seq 1 10); do
		printf 'p%03d\t{"type":"alert","alert_id":"c%03d","ts":"2026-11-24T12:00:%02dZ","kind":"low_stock","severity":"warning","source":"gm-inventory","summary":"low","labels":{"product_id":"p%03d"}}\n' \
			"$i" "$i" "$i" "$i"
	done
} | kcat -P -b "$GM_BROKERS" -t alerts3 -K '\t'
gm-notify -c "$T/conf3.yml" -G g3 $group -t alerts3 --dead-letter "$T/dead" 2>"$T/run4.err" &
pid=$!
for _ in $(seq 300); do
	[ "$(delivered | wc -l)" -ge 10 ] && break
	sleep 0.1
done
sleep 1.5   # past the commit's second
kill -9 "$pid"
wait "$pid" 2>/dev/null
expect_eq "held: the ten notified" "$(delivered | wc -l)" 10
gm-notify -c "$T/conf3.yml" -G g3 $group -t alerts3 -e --dead-letter "$T/dead" \
	2>"$T/run5.err" || fail "run 5 exited $?: $(cat "$T/run5.err")"
expect_grep "held: the next run notifies only the held one" \
	'1 firing, 0 resolved, 0 duplicate, 0 repeated, 0 unmatched; 1 notifications delivered' "$T/run5.err"
expect_eq "held: every alert once" "$(delivered | tr '\n' ' ')" \
	"c001 c002 c003 c004 c005 c006 c007 c008 c009 c010 s000 "

# ---- two members: a second joins while the first holds alerts ----
# The first takes every partition and holds its alerts for group_wait;
# the rebalance gives half to the second, and the first forgets the
# alerts of those that it had not notified: each is notified once, by
# one member or the other.
kafka_ctl create alerts2 4 || fail "kafka-broker: create alerts2"
sed 's/group_wait: 0s/group_wait: 12s/' "$T/conf.yml" >"$T/conf2.yml"
http_restart
: >"$HTTP_REQUESTS"
alerts() {
	for i in $(seq "$1" "$2"); do
		printf 'p%03d\t{"type":"alert","alert_id":"b%03d","ts":"2026-11-24T11:%02d:00Z","kind":"low_stock","severity":"warning","source":"gm-inventory","summary":"p%03d is low","labels":{"product_id":"p%03d"},"on_hand":1}\n' \
			"$i" "$i" $((i % 60)) "$i" "$i"
	done | kcat -P -b "$GM_BROKERS" -t alerts2 -K '\t' -X partitioner=murmur2_random
}
alerts 1 40
gm-notify -c "$T/conf2.yml" -G g2 $group -t alerts2 --dead-letter "$T/dead" 2>"$T/a.err" &
a=$!
for _ in $(seq 100); do
	grep -q . "$T/a.err" 2>/dev/null && break   # nothing is printed before the end
	sleep 0.1
done
sleep 2     # the first has read the 40 alerts and waits for group_wait
gm-notify -c "$T/conf2.yml" -G g2 $group -t alerts2 --dead-letter "$T/dead" 2>"$T/b.err" &
b=$!
for _ in $(seq 600); do
	[ "$(delivered | wc -l)" -ge 40 ] && break
	sleep 0.1
done
sleep 2     # time for a double to show
kill -TERM "$a" "$b"
wait "$a"; sa=$?
wait "$b"; sb=$?
ok "two members: $(tail -2 "$T/a.err" | head -1) / $(tail -2 "$T/b.err" | head -1)"
expect_eq "two members: exit statuses" "$sa $sb" "0 0"
expect_eq "two members: every alert delivered" "$(delivered | uniq | wc -l)" 40
expect_eq "two members: each once" "$(delivered | uniq -d)" ""
[ -e "$T/dead" ] && fail "a dead letter: $(cat "$T/dead")"

finish

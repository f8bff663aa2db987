# gm-notify-route.sh: routing, inhibition and silences end to end,
# gm-notify --replay into file configs: a route that continues, a regex
# matcher, a route reached only past another, the root's receiver for
# what no route takes; an out_of_stock muting the low_stock of the same
# product until it resolves; a silence added with `gm-notify silence
# add` muting one product. The notifications each receiver got, exactly.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/notify-alerts.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"
cd "$T" || exit 1

cat >conf.yml <<'YAML'
route:
  receiver: all
  group_by: [product_id]
  routes:
  - receiver: stock
    matchers: ['kind=~"low_stock|out_of_stock"']
    continue: true
  - receiver: uk
    matchers: [country=UK]
  - receiver: critical
    matchers: [severity=critical]
inhibit_rules:
- source_matchers: [kind=out_of_stock]
  target_matchers: [kind=low_stock]
  equal: [product_id]
receivers:
- name: all
  file_configs: [{path: all.out}]
- name: stock
  file_configs: [{path: stock.out}]
- name: uk
  file_configs: [{path: uk.out}]
- name: critical
  file_configs: [{path: critical.out}]
YAML

{
	alert j1 10:00:00 low_stock '"product_id":"P-1","country":"UK"'      # stock, and uk after it
	alert j2 10:00:00 out_of_stock '"product_id":"P-2","country":"DE"'   # stock, and critical
	alert j3 10:00:00 low_stock '"product_id":"P-2","country":"DE"'      # muted by j2, until it resolves
	alert j4 10:00:00 anomaly '"product_id":"P-9","country":"FR"'        # no route: the root's
	alert j5 10:00:00 low_stock '"product_id":"P-3","country":"UK"'      # silenced
	alert j6 10:00:00 low_stock '"product_id":"P-4","country":"US"'      # stock only
	alert j2r 10:20:00 out_of_stock '"product_id":"P-2","country":"DE"' resolved
} >in.ndjson

GM_NOTIFY_NOW=2026-11-24T09:00:00Z gm-notify silence add -s silences -d 1d -m 'restock of P-3' \
	product_id=P-3 >/dev/null
expect_eq "silence add: status" $? 0

# got: each receiver's notifications, one a line, normalized by jq -c.
got() {
	local f
	for f in all stock uk critical; do
		[ -f "$f.out" ] || continue
		jq -c '{receiver, status, groupKey, alerts: [.alerts[] | .status + ":" + .annotations.alert_id]}' "$f.out"
	done
}

gm-notify -c conf.yml --replay -s silences in.ndjson 2>err
expect_eq "status" $? 0
expect_eq "the notifications" "$(got)" \
	'{"receiver":"all","status":"firing","groupKey":"{}:{product_id=\"P-9\"}","alerts":["firing:j4"]}
{"receiver":"stock","status":"firing","groupKey":"{}/{kind=~\"low_stock|out_of_stock\"}:{product_id=\"P-1\"}","alerts":["firing:j1"]}
{"receiver":"stock","status":"firing","groupKey":"{}/{kind=~\"low_stock|out_of_stock\"}:{product_id=\"P-2\"}","alerts":["firing:j2"]}
{"receiver":"stock","status":"firing","groupKey":"{}/{kind=~\"low_stock|out_of_stock\"}:{product_id=\"P-4\"}","alerts":["firing:j6"]}
{"receiver":"stock","status":"firing","groupKey":"{}/{kind=~\"low_stock|out_of_stock\"}:{product_id=\"P-2\"}","alerts":["firing:j3","resolved:j2r"]}
{"receiver":"uk","status":"firing","groupKey":"{}/{country=\"UK\"}:{product_id=\"P-1\"}","alerts":["firing:j1"]}
{"receiver":"critical","status":"firing","groupKey":"{}/{severity=\"critical\"}:{product_id=\"P-2\"}","alerts":["firing:j2"]}
{"receiver":"critical","status":"resolved","groupKey":"{}/{severity=\"critical\"}:{product_id=\"P-2\"}","alerts":["resolved:j2r"]}'
expect_eq "the summary" "$(summary err)" \
	"6 firing, 1 resolved, 0 duplicate, 0 repeated, 0 unmatched; 8 notifications delivered, 0 dead-lettered"

# Without the silence, P-3's alert goes where P-1's went, and only that
# changes.
got >silenced
rm -f ./*.out
gm-notify -q -c conf.yml --replay in.ndjson
expect_eq "no silence: status" $? 0
expect_eq "no silence: P-3 notified too" "$(got | grep -vxF -f silenced)" \
	'{"receiver":"stock","status":"firing","groupKey":"{}/{kind=~\"low_stock|out_of_stock\"}:{product_id=\"P-3\"}","alerts":["firing:j5"]}
{"receiver":"uk","status":"firing","groupKey":"{}/{country=\"UK\"}:{product_id=\"P-3\"}","alerts":["firing:j5"]}'
expect_eq "no silence: nothing else changes" "$(grep -vxF -f <(got) silenced)" ""
finish

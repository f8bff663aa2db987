# gm-notify-am.sh: gm-notify against the real Alertmanager (Debian's
# prometheus-alertmanager), a differential test. Both get the same
# configuration file (a routing tree with group_by, regular-expression
# and negative matchers, matchers not in Alertmanager's order, a
# continue route, a nested route, a group_by label no alert has, a
# route on alertname grouping by every label, an inhibit rule; one
# webhook receiver,
# tests/http-receiver.py) and the same 31 firing alerts: Alertmanager
# through its API (POST /api/v2/alerts, each alert's labels plus kind,
# severity, source and alertname, as gm-notify's webhook payload shows
# them), gm-notify as NDJSON on its standard input, live. With
# group_wait 1s and group_interval 1h only the first notification of
# each group goes; what reaches the webhook from each, every
# notification as its receiver, groupKey, groupLabels, status and its
# alerts (status, labels, fingerprint, alert_id), sorted, must be the
# same. Alertmanager runs on free ports with its own storage, gossip
# off; one that cannot start skips the test (fails it under CI=true).
# ALERTMANAGER names another Alertmanager binary than Debian's.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/notify-servers.sh"

AM=${ALERTMANAGER:-prometheus-alertmanager}
command -v "$AM" >/dev/null || skip_or_fail "no $AM (prometheus-alertmanager)"
command -v curl >/dev/null || skip_or_fail "curl is not installed"
_notify_python http-receiver.py

http_start

# --- the configuration: one file for both ---------------------------------

# group_wait 3s: Alertmanager's inhibitor takes the alerts in apart from
# its groups, and on a loaded machine a 1s wait once flushed a product's
# group before its out_of_stock muted the low_stock there.
cat >"$T/conf.yml" <<YAML
global:
  resolve_timeout: 1h
route:
  receiver: ops
  group_by: [kind]
  group_wait: 3s
  group_interval: 1h
  repeat_interval: 4h
  routes:
    # Every stock alert, by product; continue: the critical ones go on.
    - receiver: stock.team
      matchers: ['kind=~"low_stock|out_of_stock"']
      group_by: [product_id]
      continue: true
    - receiver: stock-critical
      matchers: ['kind=~"(low|out_of)_stock"', severity=critical]
      group_by: [kind, category]
    # gm-txmon's alerts by country; the worse ones but velocity, paged,
    # by country and severity.
    - receiver: fraud
      matchers: [source=gm-txmon]
      group_by: [country]
      routes:
        - receiver: fraud-page
          matchers: ['severity=~"warning|critical"', 'reason!~"velocity.*"']
          group_by: [country, severity]
    # Carts outside the UK, by country and a label no alert has.
    - receiver: carts
      matchers: [kind=cart_abandoned, country!=UK]
      group_by: [country, campaign]
    # By alertname, which every alert has (its kind), and by all labels.
    - receiver: named
      matchers: [alertname=restock_late]
      group_by: ['...']
receivers:
  - name: ops
    webhook_configs: [{url: '$HTTP_URL/ops'}]
  - name: stock.team
    webhook_configs: [{url: '$HTTP_URL/stock'}]
  - name: stock-critical
    webhook_configs: [{url: '$HTTP_URL/stock-critical'}]
  - name: fraud
    webhook_configs: [{url: '$HTTP_URL/fraud'}]
  - name: fraud-page
    webhook_configs: [{url: '$HTTP_URL/fraud-page'}]
  - name: carts
    webhook_configs: [{url: '$HTTP_URL/carts'}]
  - name: named
    webhook_configs: [{url: '$HTTP_URL/named'}]
inhibit_rules:
  - source_matchers: [kind=out_of_stock]
    target_matchers: [kind=low_stock]
    equal: [product_id]
YAML
gm-notify -c "$T/conf.yml" --check >"$T/check.out" 2>&1 ||
	{ fail "gm-notify --check refuses the configuration"; cat "$T/check.out" >&2; finish; }
if command -v amtool >/dev/null; then
	amtool check-config "$T/conf.yml" >"$T/amtool.out" 2>&1 ||
		{ fail "amtool check-config refuses the configuration"; cat "$T/amtool.out" >&2; finish; }
fi

# --- the alerts: one list, written for each -------------------------------

# alerts.ndjson for gm-notify, alerts.json (the API's list) for
# Alertmanager, both stamped now.
"$NOTIFY_PY" - "$T" <<'PY' || { fail "the alerts could not be written"; finish; }
import datetime, json, sys

out = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"
alerts = []

def alert(kind, severity, source, summary, labels, **numbers):
    alerts.append(dict(type="alert", alert_id="%016x" % (0xa1e70000 + len(alerts)), ts=now,
                       kind=kind, severity=severity, source=source, summary=summary,
                       labels=labels, **numbers))

cats = ["home", "toys", "books"]
# Low stock for ten products; out of stock for three of them (which
# mutes their low stock) and for two others.
for i in range(1, 11):
    p = "P-%03d" % i
    alert("low_stock", "warning", "gm-inventory", "%s is low: %d left" % (p, i),
          {"product_id": p, "category": cats[i % 3]}, on_hand=i, reorder_point=10)
for i in (2, 5, 9, 11, 12):
    p = "P-%03d" % i
    alert("out_of_stock", "critical", "gm-inventory", "%s is out of stock" % p,
          {"product_id": p, "category": cats[i % 3]}, on_hand=0, reorder_point=10)
# A critical low stock: both stock routes, its own product's group.
alert("low_stock", "critical", "gm-inventory", "P-013 is nearly gone",
      {"product_id": "P-013", "category": "toys"}, on_hand=1, reorder_point=50)
# gm-txmon's anomalies, by country, severity and reason.
for i, (country, severity, reason) in enumerate([
        ("USA", "warning", "amount"), ("USA", "critical", "amount"), ("USA", "info", "amount"),
        ("UK", "critical", "velocity_1m"), ("UK", "warning", "amount"),
        ("Germany", "critical", "velocity_5m"), ("Germany", "info", "country_mix"),
        ("France", "warning", "amount")]):
    alert("anomaly", severity, "gm-txmon", "odd transaction %d in %s" % (i, country),
          {"user_id": "u%d" % i, "country": country, "reason": reason}, amount=1000 + i)
# Abandoned carts: the UK's go to the root.
for i, country in enumerate(["USA", "USA", "UK", "Canada", "UK", "France"]):
    alert("cart_abandoned", "info", "gm-session", "u%d left a cart" % (20 + i),
          {"user_id": "u%d" % (20 + i), "session_id": "s%d" % i, "country": country},
          items=2, value=17.5)
# An alert of a source and kind no route names: the root, by kind.
alert("restock_late", "warning", "gm-inventory", "P-001's restock is late",
      {"product_id": "P-001", "supplier": "acme"})

with open(out + "/alerts.ndjson", "w") as f:
    for a in alerts:
        f.write(json.dumps(a, separators=(",", ":")) + "\n")
am = []
for a in alerts:
    labels = dict(a["labels"], kind=a["kind"], severity=a["severity"], source=a["source"],
                  alertname=a["kind"])
    am.append({"labels": labels, "startsAt": a["ts"],
               "annotations": {"alert_id": a["alert_id"], "summary": a["summary"]}})
with open(out + "/alerts.json", "w") as f:
    json.dump(am, f)
PY
expect_eq "the alerts" "$(wc -l <"$T/alerts.ndjson")" 31

# --- Alertmanager ---------------------------------------------------------

AM_PID=
am_stop() { [ -z "$AM_PID" ] || { kill -TERM "$AM_PID" 2>/dev/null; wait "$AM_PID" 2>/dev/null; AM_PID=; }; }
at_exit am_stop
for _ in 1 2 3 4 5; do
	AM_PORT=$(free_port) || continue
	"$AM" --config.file="$T/conf.yml" --storage.path="$T/am-data" \
		--web.listen-address="127.0.0.1:$AM_PORT" --cluster.listen-address= \
		--log.level=warn >"$T/am.log" 2>&1 &
	AM_PID=$!
	for _ in $(seq 100); do
		curl -sf "http://127.0.0.1:$AM_PORT/-/ready" >/dev/null 2>&1 && break 2
		kill -0 "$AM_PID" 2>/dev/null || break
		sleep 0.1
	done
	am_stop
done
if [ -z "$AM_PID" ]; then
	tail -n 15 "$T/am.log" >&2
	skip_or_fail "$AM did not start"
fi

# --- both at once: the receiver tells them apart by User-Agent ------------

# gm-notify reads a FIFO held open until its notifications have come, so
# that they go on its timers, not at the end of its input.
mkfifo "$T/in"
gm-notify -c "$T/conf.yml" --dead-letter "$T/dead.ndjson" <"$T/in" >"$T/gm.out" 2>"$T/gm.err" &
GM_PID=$!
exec 7>"$T/in"
cat "$T/alerts.ndjson" >&7
curl -sS --fail-with-body -H 'Content-Type: application/json' --data-binary @"$T/alerts.json" \
	"http://127.0.0.1:$AM_PORT/api/v2/alerts" >"$T/post.out" 2>&1 ||
	fail "Alertmanager refused the alerts: $(cat "$T/post.out")"

# count AGENT: the requests from AGENT (gm-notify/, Alertmanager/).
count() { grep -c "\"user-agent\": \"$1" "$HTTP_REQUESTS"; }
# settle AGENT [AT-LEAST]: waits (30 s at most) until AGENT sent at
# least AT-LEAST requests (1 by default) and then nothing for 2 s.
settle() {
	local n last=-1 still=0
	for _ in $(seq 300); do
		n=$(count "$1")
		if [ "$n" -ge "${2:-1}" ] && [ "$n" = "$last" ]; then
			still=$((still + 1))
			[ "$still" -ge 20 ] && return 0
		else
			still=0
		fi
		last=$n
		sleep 0.1
	done
}
settle gm-notify/
exec 7>&-
wait "$GM_PID"
expect_eq "gm-notify: exit status" $? 0
expect_eq "gm-notify: its summary" "$(head -n 1 "$T/gm.err")" \
	"gm-notify: 31 firing, 0 resolved, 0 duplicate, 0 repeated, 0 unmatched; 28 notifications delivered, 0 dead-lettered"
settle Alertmanager/ "$(count gm-notify/)"
am_stop

# --- the notifications, normalized ----------------------------------------

# normalize AGENT: one line per notification from AGENT, sorted: its
# receiver, groupKey, groupLabels, status and alerts (sorted by
# fingerprint: status, labels, fingerprint, alert_id), keys sorted.
normalize() {
	"$NOTIFY_PY" - "$1" "$HTTP_REQUESTS" <<'PY'
import json, sys

agent, path = sys.argv[1], sys.argv[2]
lines = []
for line in open(path, encoding="utf-8"):
    r = json.loads(line)
    if not r["headers"].get("user-agent", "").startswith(agent):
        continue
    b = json.loads(r["body"])
    alerts = sorted(({"status": a["status"], "labels": a["labels"], "fingerprint": a["fingerprint"],
                      "alert_id": a["annotations"].get("alert_id")} for a in b["alerts"]),
                    key=lambda a: a["fingerprint"])
    lines.append(json.dumps({"path": r["path"], "receiver": b["receiver"], "groupKey": b["groupKey"],
                             "groupLabels": b["groupLabels"], "status": b["status"],
                             "alerts": alerts}, sort_keys=True, ensure_ascii=False))
for line in sorted(lines):
    print(line)
PY
}
normalize Alertmanager/ >"$T/am.notes"
normalize gm-notify/ >"$T/gm.notes"
expect_eq "Alertmanager: notifications" "$(wc -l <"$T/am.notes")" 28
expect_same_file "gm-notify's notifications are Alertmanager's" "$T/gm.notes" "$T/am.notes"
finish

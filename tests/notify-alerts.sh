# tests/notify-alerts.sh: the alert records gm-notify's shell tests feed
# it, and what they read back. Source it after tests/lib.sh.
#
#   alert ID HH:MM:SS KIND LABELS [STATUS]   prints one alert record of
#                       gm-events(5), on 2026-11-24 at HH:MM:SS UTC, from
#                       gm-inventory, severity critical for out_of_stock
#                       and warning otherwise; LABELS is the inside of
#                       its labels object ('"product_id":"P-1"'); on_hand
#                       1 as its number; STATUS firing or resolved, when
#                       given.
#   notes FILE...       prints each notification of FILEs (NDJSON
#                       webhook payloads, Alertmanager's version 4) as
#                       one line: its groupKey, status and alerts, each
#                       status:alert_id, sorted: what makes it this
#                       notification, whatever the order of its alerts.
#   summary FILE        prints gm-notify's summary line of the stderr in
#                       FILE, after "gm-notify: ".

alert() {
	local severity=warning status=
	[ "$3" = out_of_stock ] && severity=critical
	[ -n "${5-}" ] && status=",\"status\":\"$5\""
	printf '{"type":"alert","alert_id":"%s","ts":"2026-11-24T%s.000Z","kind":"%s","severity":"%s"%s,"source":"gm-inventory","summary":"%s of %s","labels":{%s},"on_hand":1}\n' \
		"$1" "$2" "$3" "$severity" "$status" "$3" "$1" "$4"
}

notes() {
	jq -r '[.groupKey, .status, (.alerts | map(.status + ":" + .annotations.alert_id) | sort | join(","))] | join(" ")' "$@"
}

summary() {
	sed -n 's/^gm-notify: \([0-9]* firing, .*\)/\1/p' "$1"
}

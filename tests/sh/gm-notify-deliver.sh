# gm-notify-deliver.sh: gm-notify's delivery (gm-notify/deliver.c and
# main.c) against the HTTP receiver of tests/notify-servers.sh, which
# answers as each step tells it: 500s then 200 (one delivery, the same
# body each time, the waits growing); 429 and 503 with Retry-After (the
# retry not before it); always 500 past the receiver's retry_for (one
# dead letter, the fallback, status 1); a 404 (given up at once); a
# hang past --timeout (retried); a receiver's rate (the requests spaced
# by it); an alert_id seen twice (notified once); one connection kept
# open for one receiver's notifications, and a new one when the receiver
# closed it without an answer (delivered still). Times are checked
# from below only: a wait is at least what it must be.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/notify-servers.sh"
. "$TESTS/notify-alerts.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"
http_start
cd "$T" || exit 1

# Each step has its receiver, its alerts routed there by their label
# "step", and its path on the HTTP receiver.
cat >conf.yml <<YAML
route:
  receiver: a
  group_by: [product_id]
  routes:
  - {receiver: b, matchers: [step=b]}
  - {receiver: c, matchers: [step=c]}
  - {receiver: d, matchers: [step=d]}
  - {receiver: e, matchers: [step=e]}
  - {receiver: f, matchers: [step=f]}
  - {receiver: i, matchers: [step=i]}
  - {receiver: k, matchers: [step=k]}
receivers:
- name: a
  webhook_configs: [{url: '$HTTP_URL/a'}]
- name: b
  webhook_configs: [{url: '$HTTP_URL/b'}]
- name: c
  retry_for: 2s
  fallback: c-fallback
  webhook_configs: [{url: '$HTTP_URL/c'}]
- name: c-fallback
  webhook_configs: [{url: '$HTTP_URL/c-fallback'}]
- name: d
  webhook_configs: [{url: '$HTTP_URL/d'}]
- name: e
  webhook_configs: [{url: '$HTTP_URL/e'}]
- name: f
  rate: 2
  burst: 1
  webhook_configs: [{url: '$HTTP_URL/f'}]
- name: i
  file_configs: [{path: i.out}]
- name: k
  webhook_configs: [{url: '$HTTP_URL/k'}]
YAML

# run STEP [OPTIONS...]: gm-notify --replay on STEP.in, its dead letters
# in STEP.dead, its stderr in STEP.err; prints its exit status.
run() {
	local step=$1
	shift
	gm-notify -c conf.yml --replay --dead-letter "$step.dead" "$@" "$step.in" 2>"$step.err"
	echo $?
}
# requests PATH FILTER: jq FILTER over the array of the requests to PATH.
requests() { jq -s -r --arg p "$1" "map(select(.path == \$p)) | $2" "$HTTP_REQUESTS"; }
# gaps PATH: the times between the arrivals of PATH's requests, in order.
gaps() { requests "$1" '[.[].arrival] | [range(1; length) as $i | .[$i] - .[$i - 1]]'; }

# --- a: 500, 500, 200: delivered once, with backoff -----------------------

alert a1 10:00:00 low_stock '"product_id":"P-1","step":"a"' >a.in
http_queue -p /a 500 500 200
expect_eq "500, 500, 200: status" "$(run a)" 0
expect_eq "500, 500, 200: three requests, answered so" "$(requests /a 'map(.answer) | join(" ")')" "500 500 200"
expect_eq "500, 500, 200: the same body each time" "$(requests /a 'map(.body) | unique | length')" 1
expect_eq "500, 500, 200: the notification" "$(requests /a '.[0].body' | notes)" \
	'{}:{product_id="P-1"} firing firing:a1'
# The first wait is 500 ms less up to half, the second 1 s less up to
# half: the second at least as long as the first can be.
expect_eq "500, 500, 200: the waits grow (at least 0.25 s, then at least 0.5 s)" \
	"$(gaps /a | jq -r '[.[0] >= 0.25, .[1] >= 0.5] | @tsv')" "$(printf 'true\ttrue')"
expect_eq "500, 500, 200: the summary" "$(summary a.err)" \
	"1 firing, 0 resolved, 0 duplicate, 0 repeated, 0 unmatched; 1 notifications delivered, 0 dead-lettered"
expect_eq "500, 500, 200: no dead-letter file" "$(ls a.dead 2>/dev/null)" ""

# --- b: 429 and 503 with Retry-After ----------------------------------------

# Two groups, so two notifications, one after the other on the one
# integration: the first refused with 429, the second with 503.
{
	alert b1 10:00:00 low_stock '"product_id":"P-1","step":"b"'
	alert b2 10:00:00 low_stock '"product_id":"P-2","step":"b"'
} >b.in
http_queue -p /b "429 retry-after=2" 200 "503 retry-after=1" 200
expect_eq "Retry-After: status" "$(run b)" 0
expect_eq "Retry-After: four requests, answered so" "$(requests /b 'map(.answer) | join(",")')" \
	"429 retry-after=2,200,503 retry-after=1,200"
expect_eq "Retry-After: each retry the same body" \
	"$(requests /b '[.[0].body == .[1].body, .[2].body == .[3].body, .[0].body != .[2].body] | @tsv')" \
	"$(printf 'true\ttrue\ttrue')"
expect_eq "Retry-After: 429's retry at least 2 s later, 503's at least 1 s" \
	"$(gaps /b | jq -r '[.[0] >= 2, .[2] >= 1] | @tsv')" "$(printf 'true\ttrue')"
expect_eq "Retry-After: both delivered" "$(requests /b '.[1], .[3] | .body' | notes | sort)" \
	'{}/{step="b"}:{product_id="P-1"} firing firing:b1
{}/{step="b"}:{product_id="P-2"} firing firing:b2'

# --- c: always 500, past retry_for: dead letter, fallback, status 1 -------

alert c1 10:00:00 out_of_stock '"product_id":"P-3","step":"c"' >c.in
http_default -p /c 500
expect_eq "retry_for: status" "$(run c)" 1
attempts=$(requests /c length)
[ "$attempts" -ge 2 ] || fail "retry_for: retried ($attempts attempts)"
expect_eq "retry_for: the same body each time" "$(requests /c 'map(.body) | unique | length')" 1
expect_eq "retry_for: one dead letter" "$(wc -l <c.dead)" 1
expect_eq "retry_for: the dead letter's fields" \
	"$(jq -r '[.type, (.ts | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z$")),
		(.notification_id | test("^[0-9a-f]{16}$")), .receiver, .integration, .index,
		.attempts, .error, .fallback] | @tsv' c.dead)" \
	"$(printf 'dead_letter\ttrue\ttrue\tc\twebhook\t0\t%s\treceiver "c" webhook 1: HTTP 500\tfalse' "$attempts")"
expect_eq "retry_for: the dead letter holds the payload sent" \
	"$(jq -cS .notification c.dead)" "$(requests /c '.[0].body' | jq -cS .)"
expect_eq "retry_for: the fallback got it once, as its own" \
	"$(requests /c-fallback 'map(.body | fromjson | .receiver) | join(" ")')" c-fallback
expect_eq "retry_for: the fallback's payload is the notification's" \
	"$(requests /c-fallback '.[0].body' | jq -cS 'del(.receiver)')" "$(jq -cS '.notification | del(.receiver)' c.dead)"
expect_eq "retry_for: the error said" "$(grep -v '^gm-notify: [0-9]* \(firing\|in\),' c.err)" \
	"gm-notify: given up after $attempts attempts: receiver \"c\" webhook 1: HTTP 500"
expect_eq "retry_for: the summary" "$(summary c.err)" \
	"1 firing, 0 resolved, 0 duplicate, 0 repeated, 0 unmatched; 1 notifications delivered (1 by a fallback), 1 dead-lettered"
expect_grep "retry_for: the counts" "^gm-notify: 1 in, 1 out, 1 not delivered, 0 rejected" c.err

# --- d: 404, given up at once ---------------------------------------------

alert d1 10:00:00 low_stock '"product_id":"P-4","step":"d"' >d.in
http_queue -p /d 404
expect_eq "404: status" "$(run d)" 1
expect_eq "404: one request" "$(requests /d length)" 1
expect_eq "404: dead-lettered" "$(jq -r '[.receiver, .attempts, .error, .fallback] | @tsv' d.dead)" \
	"$(printf 'd\t1\treceiver "d" webhook 1: HTTP 404\tfalse')"
expect_eq "404: the summary" "$(summary d.err)" \
	"1 firing, 0 resolved, 0 duplicate, 0 repeated, 0 unmatched; 0 notifications delivered, 1 dead-lettered"

# --- e: a hang past --timeout, then 200 ------------------------------------

alert e1 10:00:00 low_stock '"product_id":"P-5","step":"e"' >e.in
http_queue -p /e "hang 4" 200
expect_eq "timeout: status" "$(run e --timeout 1s)" 0
expect_eq "timeout: two requests" "$(requests /e 'map(.answer) | join(",")')" "hang 4,200"
expect_eq "timeout: the retry after the timeout" "$(gaps /e | jq -r '.[0] >= 1')" true
expect_eq "timeout: the same body" "$(requests /e 'map(.body) | unique | length')" 1
expect_eq "timeout: delivered" "$(summary e.err)" \
	"1 firing, 0 resolved, 0 duplicate, 0 repeated, 0 unmatched; 1 notifications delivered, 0 dead-lettered"

# --- f: rate 2/s, burst 1 ----------------------------------------------------

for p in 1 2 3 4 5 6; do alert "f$p" 10:00:00 low_stock "\"product_id\":\"P-$p\",\"step\":\"f\""; done >f.in
expect_eq "rate: status" "$(run f)" 0
expect_eq "rate: six notifications, each once" "$(requests /f '.[].body' | notes | sort | cut -d' ' -f3 | tr '\n' ' ')" \
	"firing:f1 firing:f2 firing:f3 firing:f4 firing:f5 firing:f6 "
# A token every 0.5 s, the first at once: the six requests span at
# least 2.5 s. The receiver sees each request a little after its token,
# a little more or less from one to the next (a busy machine): so no gap
# under 0.3 s (without the rate they come within milliseconds), and the
# span at least 2.4 s.
expect_eq "rate: the requests about 0.5 s apart" \
	"$(gaps /f | jq -r '[(map(. >= 0.3) | all), add >= 2.4] | @tsv')" "$(printf 'true\ttrue')"

# --- i: an alert_id seen twice, notified once ------------------------------

{
	alert i1 10:00:00 low_stock '"product_id":"P-1","step":"i"'
	alert i1 10:00:00 low_stock '"product_id":"P-1","step":"i"'
	alert i2 10:00:00 low_stock '"product_id":"P-2","step":"i"'
	# again, after its notification went out
	alert i1 10:10:00 low_stock '"product_id":"P-1","step":"i"'
} >i.in
expect_eq "alert_id twice: status" "$(run i)" 0
expect_eq "alert_id twice: notified once" "$(notes i.out | sort)" \
	'{}/{step="i"}:{product_id="P-1"} firing firing:i1
{}/{step="i"}:{product_id="P-2"} firing firing:i2'
expect_eq "alert_id twice: the summary" "$(summary i.err)" \
	"2 firing, 0 resolved, 2 duplicate, 0 repeated, 0 unmatched; 2 notifications delivered, 0 dead-lettered"

# --- k: one connection kept open, a new one after the receiver closed it --

# Three groups, three notifications: the first on a new connection, the
# second on the same, which the receiver closes unanswered; it goes
# again on a new connection, as does the third.
for p in 1 2 3; do alert "k$p" 10:00:00 low_stock "\"product_id\":\"P-$p\",\"step\":\"k\""; done >k.in
http_queue -p /k 200 close 200 200
expect_eq "keep-alive: status" "$(run k)" 0
expect_eq "keep-alive: four requests, answered so" "$(requests /k 'map(.answer) | join(",")')" "200,close,200,200"
expect_eq "keep-alive: the connections (1 1 2 2: one kept open, a new one after the close)" \
	"$(requests /k '[.[].client_port] | [.[0] == .[1], .[1] != .[2], .[2] == .[3]] | @tsv')" \
	"$(printf 'true\ttrue\ttrue')"
expect_eq "keep-alive: the one closed went again" "$(requests /k '.[1].body == .[2].body')" true
expect_eq "keep-alive: each notification delivered once" \
	"$(requests /k '.[0,2,3] | .body' | notes | sort | cut -d' ' -f3 | tr '\n' ' ')" "firing:k1 firing:k2 firing:k3 "
expect_eq "keep-alive: the summary" "$(summary k.err)" \
	"3 firing, 0 resolved, 0 duplicate, 0 repeated, 0 unmatched; 3 notifications delivered, 0 dead-lettered"

expect_eq "no request outside the steps' paths" \
	"$(jq -r .path "$HTTP_REQUESTS" | sort -u | tr '\n' ' ')" "/a /b /c /c-fallback /d /e /f /k "
finish

# gm-notify-send.sh: gm-notify's senders (gm-notify/send.c), driven by
# the test program notify-send, deliver to the test servers
# (tests/notify-servers.sh): the mail, the Slack JSON, the webhook JSON
# and the SMS form arrive as built, byte for byte, with their envelope,
# headers and credentials; and each kind of answer gets its result: 200
# ok; 500, a 429 or 503 with or without Retry-After, a hang past the
# timeout, a closed or refused connection, an SMTP 4xx: retry (with the
# delay asked); a 404, a wrong SMTP password, a recipient refused, a
# certificate nobody vouches for: fail. No secret is ever printed.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/notify-servers.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"

smtp_start
http_start
export GM_NOTIFY_CA_FILE=$NOTIFY_CA

SLACK_TOKEN=T000/B000/slack-$RANDOM$RANDOM
SMS_TOKEN=sms-$RANDOM$RANDOM
(umask 077 &&
	printf '%s/services/%s\n' "$HTTP_URL" "$SLACK_TOKEN" >"$T/slack.url" &&
	printf '%s\n' "$SMS_TOKEN" >"$T/sms.token" &&
	printf 'not-%s\n' "$SMTP_PASSWORD" >"$T/wrong.password")
REFUSED_PORT=$(free_port) || fail "no free port"

# conf HTTP-URL: the configuration, to stdout.
conf() {
	cat <<YAML
global:
  smtp_from: 'gm-notify <alerts@shop.test>'
  smtp_smarthost: '127.0.0.1:$SMTP_PORT'
  smtp_auth_username: '$SMTP_USER'
  smtp_auth_password_file: '$SMTP_PASSWORD_FILE'
route: {receiver: stock.team}
receivers:
- name: stock.team
  email_configs:
  - to: 'ops@shop.test, On Call <oncall@shop.test>'
  slack_configs:
  - api_url_file: '$T/slack.url'
    channel: '#stock'
  webhook_configs:
  - url: '$1/hook'
  sms_configs:
  - url: '$1/sms'
    account_sid: AC0123
    auth_token_file: '$T/sms.token'
    from: '+15550100'
    to: '+15550199'
- name: mail
  email_configs:
  - to: ops@shop.test
- name: implicit
  email_configs:
  - to: ops@shop.test
    smarthost: '127.0.0.1:465'
- name: wrong-password
  email_configs:
  - to: ops@shop.test
    auth_password_file: '$T/wrong.password'
- name: hook
  webhook_configs:
  - url: '$1/hook'
- name: hook-file
  webhook_configs:
  - url_file: '$T/hook.url'
- name: refused
  webhook_configs:
  - url: 'http://127.0.0.1:$REFUSED_PORT/hook'
YAML
}
conf "$HTTP_URL" >"$T/conf.yml"

# page_block NAME: the literal display of gm-notify.conf(5) after its
# marker '.\" tests/sh/gm-notify-send.sh: NAME', roff escapes undone.
page_block() {
	awk -v name="$1" '
	$0 == ".\\\" tests/sh/gm-notify-send.sh: " name { want = 1; next }
	want && /^\.Bd -literal/ { inblk = 1; want = 0; next }
	inblk && /^\.Ed/ { exit }
	inblk { gsub(/\\&/, ""); gsub(/\\\('"'"'e/, "\303\251"); gsub(/\\e/, "\\"); print }
	' "$TOP/man/gm-notify.conf.5"
}
# The page's body templates, as receivers of this configuration.
for name in teams text; do
	page_block $name | sed "s|http://127.0.0.1:9000|$HTTP_URL|" >>"$T/conf.yml"
	page_block "$name body" >"$T/page-$name.body"
	[ -s "$T/page-$name.body" ] || fail "gm-notify.conf(5) has no example $name"
done

# send NAME [ARGS...] RECEIVER: notify-send ARGS $T/conf.yml RECEIVER,
# its output in $T/NAME.out, and printed, with a last line saying so
# when it did not exit 0 (it runs in $(...), where fail would be lost);
# its stderr in $T/NAME.err.
send() {
	local name=$1
	shift
	local receiver=${!#}
	notify-send "${@:1:$#-1}" "$T/conf.yml" "$receiver" >"$T/$name.out" 2>"$T/$name.err" ||
		echo "notify-send exited $?: $(cat "$T/$name.err")" >>"$T/$name.out"
	cat "$T/$name.out"
}
last_mail() { tail -n 1 "$SMTP_MAIL" | jq -j "$1"; }
# request N FILTER: jq FILTER of the HTTP receiver's request N.
request() { sed -n "$1p" "$HTTP_REQUESTS" | jq -j "$2"; }

# --- every kind, once: what the servers got ------------------------------

mkdir "$T/sent"
expect_eq "every kind: the results" "$(send all -o "$T/sent" stock.team)" \
	"$(printf 'email 1 ok\nslack 1 ok\nwebhook 1 ok\nsms 1 ok')"

expect_eq "mail: one received" "$(smtp_count)" 1
last_mail .data >"$T/got.eml"
expect_same_file "mail: the bytes sent" "$T/got.eml" "$T/sent/email-1"
expect_eq "mail: the envelope, over STARTTLS, with AUTH" \
	"$(last_mail '[.tls, .auth_user, .mail_from, (.rcpt_tos | join(","))] | @tsv')" \
	"$(printf 'starttls\t%s\talerts@shop.test\tops@shop.test,oncall@shop.test' "$SMTP_USER")"
# The headers, but the Message-ID, which the unit test pins.
expect_eq "mail: the headers" "$(sed -n '/^\r$/q; /^Message-ID:/d; p' "$T/got.eml" | tr -d '\r')" \
	"From: gm-notify <alerts@shop.test>
To: ops@shop.test, On Call <oncall@shop.test>
Subject: [FIRING:1, RESOLVED:1] P-001
Date: Tue, 24 Nov 2026 10:06:00 +0000
Auto-Submitted: auto-generated
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit"
expect_grep "mail: a Message-ID" '^Message-ID: <[0-9a-f]\{16\}\.[0-9a-f]\{16\}@shop\.test>' "$T/got.eml"
expect_eq "mail: the body, every alert" "$(sed '1,/^\r$/d' "$T/got.eml" | tr -d '\r')" \
	"2 alerts for product_id=P-001: 1 firing, 1 resolved.

[FIRING] warning low_stock from gm-inventory at 2026-11-24T10:00:00.123Z
Stock of P-001 is 3, under 10 (café beans)
  alert_id: a1b2c3d4e5f60718
  labels: product_id=P-001, country=UK
  numbers: on_hand=3, reorder_point=10

[RESOLVED] critical out_of_stock from gm-inventory at 2026-11-24T10:05:00.000Z (firing since 2026-11-24T09:00:00.000Z)
P-001 is back in stock
  alert_id: 0f1e2d3c4b5a6978
  labels: product_id=P-001, country=UK
  numbers: on_hand=20"

expect_eq "HTTP: three requests, Slack's, the webhook's, the SMS's" \
	"$(jq -r '[.n, .method, .path, .headers["content-type"]] | @tsv' "$HTTP_REQUESTS")" \
	"$(printf '1\tPOST\t/services/%s\tapplication/json\n2\tPOST\t/hook\tapplication/json\n3\tPOST\t/sms\tapplication/x-www-form-urlencoded' "$SLACK_TOKEN")"
for i in 1 2 3; do
	kind=$(echo slack webhook sms | cut -d' ' -f$i)
	request $i .body >"$T/got.$kind"
	expect_same_file "$kind: the bytes sent" "$T/got.$kind" "$T/sent/$kind-1"
done
expect_eq "Slack: channel and text" "$(request 1 '.body | fromjson | [.channel, .text] | @tsv')" \
	'#stock	*[FIRING:1, RESOLVED:1] P-001*\n:warning: *warning* low_stock: Stock of P-001 is 3, under 10 (café beans) (on_hand=3, reorder_point=10)\n:white_check_mark: *resolved* out_of_stock: P-001 is back in stock (on_hand=20)'
expect_eq "webhook: Alertmanager's version 4, gm's ids in annotations.alert_id" \
	"$(request 2 '.body | fromjson | [.version, .receiver, .status, .groupKey, (.alerts | map(.status + ":" + .annotations.alert_id + ":" + .fingerprint) | join(",")), .truncatedAlerts] | @tsv')" \
	"$(printf '4\tstock\\\\.team\tfiring\t{}/{kind=~"low_stock|out_of_stock"}:{product_id="P-001"}\tfiring:a1b2c3d4e5f60718:2de9dc9cc14acaf6,resolved:0f1e2d3c4b5a6978:0edcd3a2f83b0865\t0')"
expect_eq "SMS: the form" \
	"$(request 3 .body | /usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.parse_qsl(sys.stdin.read(), strict_parsing=True))')" \
	"[('To', '+15550199'), ('From', '+15550100'), ('Body', '[FIRING:1, RESOLVED:1] P-001\nWARNING low_stock: Stock of P-001 is 3, under 10 (café beans)\nRESOLVED out_of_stock: P-001 is back in stock')]"
expect_eq "SMS: basic authentication, the account and its token" \
	"$(request 3 '.headers.authorization')" "Basic $(printf 'AC0123:%s' "$SMS_TOKEN" | base64 -w0)"

# --- threading -------------------------------------------------------------

expect_eq "a reply: sent" "$(send reply -r '<first.mail@shop.test>' mail)" "email 1 ok"
expect_eq "a reply: In-Reply-To and References" \
	"$(last_mail .data | tr -d '\r' | grep -E '^(In-Reply-To|References):')" \
	"In-Reply-To: <first.mail@shop.test>
References: <first.mail@shop.test>"

# --- a webhook's URL from its url_file ------------------------------------

printf '%s/from-file?token=%s\n' "$HTTP_URL" "$SLACK_TOKEN" >"$T/hook.url"
expect_eq "url_file: sent" "$(send hook-file hook-file)" "webhook 1 ok"
expect_eq "url_file: to its URL" "$(tail -n 1 "$HTTP_REQUESTS" | jq -r .path)" "/from-file?token=$SLACK_TOKEN"

# --- the page's body templates ------------------------------------------

for name in teams text; do
	expect_eq "body template $name: sent" "$(send tmpl-$name $name)" "webhook 1 ok"
	tail -n 1 "$HTTP_REQUESTS" | jq -j .body >"$T/got-$name.body"
	expect_same_file "body template $name: the page's body" "$T/got-$name.body" "$T/page-$name.body"
done
expect_eq "body templates: their paths and content types" \
	"$(tail -n 2 "$HTTP_REQUESTS" | jq -r '[.path, .headers["content-type"]] | @tsv')" \
	"$(printf '/teams\tapplication/json\n/text\ttext/plain; charset=utf-8')"

# --- HTTP answers ----------------------------------------------------------

before=$(http_count)
http_queue -p /hook 200 500 "429 retry-after=2" "503 retry-after=7" 429 "hang 5" close 404
{
	for i in 1 2 3 4 5 6 7 8; do send hook-$i -t 1000 hook; done
	send refused -t 1000 refused
} >"$T/answers.out"
expect_eq "HTTP answers: the results" "$(cat "$T/answers.out")" \
	'webhook 1 ok
webhook 1 retry - receiver "hook" webhook 1: HTTP 500
webhook 1 retry 2000 receiver "hook" webhook 1: HTTP 429, Retry-After 2
webhook 1 retry 7000 receiver "hook" webhook 1: HTTP 503, Retry-After 7
webhook 1 retry - receiver "hook" webhook 1: HTTP 429
webhook 1 retry - receiver "hook" webhook 1: Timeout was reached
webhook 1 retry - receiver "hook" webhook 1: Server returned nothing (no headers, no data)
webhook 1 fail receiver "hook" webhook 1: HTTP 404
webhook 1 retry - receiver "refused" webhook 1: Couldn'"'"'t connect to server'
expect_eq "HTTP answers: each request came once" "$(($(http_count) - before))" 8

# --- SMTP answers ----------------------------------------------------------

n=$(smtp_count)
expect_eq "a wrong SMTP password: fail" "$(send wrong-password wrong-password)" \
	'email 1 fail receiver "wrong-password" email 1: SMTP 535: Login denied'
smtp_restart --refuse connect:421:1 --refuse data:451:1 --refuse rcpt:550:1
expect_eq "SMTP refusals: 4xx retry, 5xx fail" \
	"$(for i in 1 2 3 4; do send refusal-$i mail; done)" \
	'email 1 retry - receiver "mail" email 1: SMTP 421: Weird server reply
email 1 fail receiver "mail" email 1: SMTP 550: Failed sending data to the peer
email 1 retry - receiver "mail" email 1: SMTP 451: Weird server reply
email 1 ok'
expect_eq "SMTP: only the mails accepted arrived" "$(($(smtp_count) - n))" 1

# --- TLS -------------------------------------------------------------------

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/other.key" \
	-out "$T/other.pem" -days 2 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null ||
	fail "openssl: no other certificate"
n=$(smtp_count)
expect_eq "STARTTLS, a certificate nobody vouches for: fail" \
	"$(GM_NOTIFY_CA_FILE=$T/other.pem send untrusted-smtp mail)" \
	'email 1 fail receiver "mail" email 1: SSL peer certificate or SSH remote key was not OK'
expect_eq "STARTTLS, a certificate nobody vouches for: no mail" "$(smtp_count)" "$n"

# Implicit TLS is Alertmanager's rule: port 465. The server moves there
# when this test may bind it (a test of another run may hold it).
if [ "$(id -u)" = 0 ] && port_free 465 && smtp_move_tls 465; then
	expect_eq "port 465: implicit TLS" "$(send implicit implicit)" "email 1 ok"
	expect_eq "port 465: recorded" "$(last_mail '[.port, .tls, .auth_user] | @tsv')" \
		"$(printf '465\timplicit\t%s' "$SMTP_USER")"
	expect_eq "port 465, a certificate nobody vouches for: fail" \
		"$(GM_NOTIFY_CA_FILE=$T/other.pem send untrusted-465 implicit)" \
		'email 1 fail receiver "implicit" email 1: SSL peer certificate or SSH remote key was not OK'
else
	echo "port 465 cannot be bound here: implicit TLS not tried" >&2
fi

http_stop
mv "$HTTP_REQUESTS" "$T/http.requests.plain"
http_start --tls
conf "$HTTP_URL" >"$T/conf.yml"
expect_eq "HTTPS: ok" "$(send https hook)" "webhook 1 ok"
expect_eq "HTTPS, a certificate nobody vouches for: fail" \
	"$(GM_NOTIFY_CA_FILE=$T/other.pem send untrusted-https hook)" \
	'webhook 1 fail receiver "hook" webhook 1: SSL peer certificate or SSH remote key was not OK'
expect_eq "HTTPS: only the request that got through" "$(http_count)" 1

# --- secrets ---------------------------------------------------------------

cat "$T"/*.out "$T"/*.err >"$T/printed"
for secret in "$SMTP_PASSWORD" "$SLACK_TOKEN" "$SMS_TOKEN"; do
	if grep -qF -- "$secret" "$T/printed"; then fail "a secret was printed"; fi
done
finish

# notify-servers.sh: the servers of gm-notify's tests (tests/notify-servers.sh)
# do what their tests will rely on, with curl(1) as the client: a mail
# over STARTTLS or implicit TLS with AUTH arrives byte for byte, a wrong
# password, no AUTH, plain SMTP and an unknown certificate are refused,
# refusals come as many times as asked; the HTTP receiver answers its
# queues in order, records every request whole, and stamps arrivals so
# that a Retry-After can be checked.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/notify-servers.sh"

command -v curl >/dev/null || skip_or_fail "curl is not installed"
command -v jq >/dev/null || skip_or_fail "jq is not installed"

# --- SMTP -----------------------------------------------------------------

smtp_start
(umask 077 && printf 'machine 127.0.0.1 login %s password %s\n' "$SMTP_USER" "$SMTP_PASSWORD" >"$T/netrc")
(umask 077 && printf 'machine 127.0.0.1 login %s password %s\n' "$SMTP_USER" "not-$SMTP_PASSWORD" >"$T/netrc.wrong")

# A mail with CRLF line ends, 8-bit UTF-8, a line that starts with a dot
# (curl stuffs it, the server unstuffs it) and one of 998 bytes.
{
	printf 'From: gm-notify <alerts@shop.test>\r\n'
	printf 'To: ops@shop.test, oncall@shop.test\r\n'
	printf 'Subject: [FIRING:2] low_stock \xe2\x80\x94 P-001\r\n'
	printf 'Message-ID: <a1.b2@gm-notify>\r\n'
	printf 'Auto-Submitted: auto-generated\r\n'
	printf 'Content-Type: text/plain; charset=utf-8\r\n'
	printf 'Content-Transfer-Encoding: 8bit\r\n'
	printf '\r\n'
	printf 'Stock of P-001 is 3, under 10 (caf\xc3\xa9 beans).\r\n'
	printf '.a line that starts with a dot\r\n'
	printf '..and one with two\r\n'
	printf '%0998d\r\n' 0
	printf 'end\r\n'
} >"$T/mail.eml"

# smtp_send NAME URL CURL-ARGS...: sends mail.eml from alerts@shop.test to
# two recipients; curl's stderr in $T/NAME.err; returns curl's status.
smtp_send() {
	local name=$1 url=$2
	shift 2
	curl -sS -v --cacert "$NOTIFY_CA" --mail-from alerts@shop.test \
		--mail-rcpt ops@shop.test --mail-rcpt oncall@shop.test \
		-T "$T/mail.eml" "$@" "$url" >"$T/$name.out" 2>"$T/$name.err"
}
# last_mail FILTER: jq FILTER of the last mail received.
last_mail() { tail -n 1 "$SMTP_MAIL" | jq -j "$1"; }

smtp_send plain-auth "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd --netrc-file "$T/netrc" --login-options AUTH=PLAIN
expect_eq "STARTTLS, AUTH PLAIN: curl's status" $? 0
expect_eq "STARTTLS, AUTH PLAIN: one mail" "$(smtp_count)" 1
last_mail .data >"$T/got.eml"
expect_same_file "STARTTLS, AUTH PLAIN: the data, byte for byte" "$T/got.eml" "$T/mail.eml"
expect_eq "STARTTLS, AUTH PLAIN: the envelope and session" \
	"$(last_mail '[.n, .port, .tls, .auth_mechanism, .auth_user, .mail_from, (.rcpt_tos | join(","))] | @tsv')" \
	"$(printf '1\t%s\tstarttls\tPLAIN\t%s\talerts@shop.test\tops@shop.test,oncall@shop.test' "$SMTP_PORT" "$SMTP_USER")"

smtp_send login-auth "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd --netrc-file "$T/netrc" --login-options AUTH=LOGIN
expect_eq "STARTTLS, AUTH LOGIN: curl's status" $? 0
expect_eq "STARTTLS, AUTH LOGIN: two mails" "$(smtp_count)" 2
expect_eq "STARTTLS, AUTH LOGIN: recorded" "$(last_mail '[.n, .tls, .auth_mechanism] | @tsv')" "$(printf '2\tstarttls\tLOGIN')"

smtp_send implicit "smtps://127.0.0.1:$SMTPS_PORT" --netrc-file "$T/netrc"
expect_eq "implicit TLS: curl's status" $? 0
expect_eq "implicit TLS: three mails" "$(smtp_count)" 3
last_mail .data >"$T/got.eml"
expect_same_file "implicit TLS: the data, byte for byte" "$T/got.eml" "$T/mail.eml"
expect_eq "implicit TLS: recorded" "$(last_mail '[.n, .port, .tls, .auth_user] | @tsv')" \
	"$(printf '3\t%s\timplicit\t%s' "$SMTPS_PORT" "$SMTP_USER")"

smtp_send wrong-password "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd --netrc-file "$T/netrc.wrong"
expect_eq "a wrong password: curl's status (login denied)" $? 67
expect_grep "a wrong password: the server's answer" '^< 535 5.7.8' "$T/wrong-password.err"
smtp_send no-auth "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd
expect_eq "no AUTH: curl's status" $? 55
expect_grep "no AUTH: the server's answer" '^< 530 5.7.0 Authentication required' "$T/no-auth.err"
smtp_send plain "smtp://127.0.0.1:$SMTP_PORT" --netrc-file "$T/netrc"
expect_eq "no STARTTLS: curl's status" $? 55
expect_grep "no STARTTLS: the server's answer" '^< 530 Must issue a STARTTLS command first' "$T/plain.err"
# A CA that did not sign the servers' certificate.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$T/other.key" \
	-out "$T/other.pem" -days 2 -subj /CN=localhost -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null ||
	fail "openssl: no other certificate"
smtp_send unknown-ca "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd --netrc-file "$T/netrc" --cacert "$T/other.pem"
expect_eq "STARTTLS, a certificate nobody vouches for: curl's status" $? 60
smtp_send unknown-ca-465 "smtps://127.0.0.1:$SMTPS_PORT" --netrc-file "$T/netrc" --cacert "$T/other.pem"
expect_eq "implicit TLS, a certificate nobody vouches for: curl's status" $? 60
expect_eq "nothing refused arrived" "$(smtp_count)" 3

# Refusals, each as many times as asked, in order; then a mail goes in.
smtp_restart --refuse connect:421:1 --refuse mail:421:1 --refuse data:451:2
for i in 1 2 3 4; do
	smtp_send refused-$i "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd --netrc-file "$T/netrc"
	echo $? >>"$T/refused.status"
done
expect_eq "refusals: curl's statuses" "$(tr '\n' ' ' <"$T/refused.status")" "8 55 8 8 "
expect_grep "refused at the greeting" '^< 421 4.0.0 refused by smtp-server.py (1 of 1)' "$T/refused-1.err"
expect_grep "refused at MAIL FROM" '^< 421 4.0.0 refused by smtp-server.py (1 of 1)' "$T/refused-2.err"
expect_grep "refused at the end of data" '^< 451 4.0.0 refused by smtp-server.py (2 of 2)' "$T/refused-4.err"
expect_eq "refusals: recorded, none accepted" \
	"$(jq -r '[.n, .stage, .reply[:3], .mail_from // "-"] | @tsv' "$SMTP_REFUSED")" \
	"$(printf '1\tconnect\t421\t-\n2\tmail\t421\t-\n3\tdata\t451\talerts@shop.test\n4\tdata\t451\talerts@shop.test')"
expect_eq "refusals: the mails are still three" "$(smtp_count)" 3
smtp_send after-refusals "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd --netrc-file "$T/netrc"
expect_eq "after the refusals: curl's status" $? 0
expect_eq "after the refusals: the mail is the fourth" "$(last_mail .n)" 4
smtp_send still-after "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd --netrc-file "$T/netrc"
expect_eq "after the refusals, the next mail goes in too" "$(smtp_count)" 5

smtp_restart --refuse rcpt:550:always
smtp_send rcpt-always "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd --netrc-file "$T/netrc"
expect_eq "a recipient refused always: curl's status" $? 55
smtp_send rcpt-always-2 "smtp://127.0.0.1:$SMTP_PORT" --ssl-reqd --netrc-file "$T/netrc"
expect_grep "a recipient refused always: again" '^< 550 5.0.0 refused by smtp-server.py (2 of always)' "$T/rcpt-always-2.err"
expect_eq "a recipient refused always: no mail" "$(smtp_count)" 5

# A mistyped --refuse is an error, not a server that accepts everything.
"$NOTIFY_PY" -B "$TESTS/smtp-server.py" --port 0 --out "$T/x" --refuse data:250:1 2>"$T/bad-refuse.err"
expect_eq "--refuse with a code of success: exit status" $? 2
expect_grep "--refuse with a code of success: says why" "a refusal's code is 4xx or 5xx" "$T/bad-refuse.err"

smtp_stop
port_free "$SMTP_PORT" || fail "smtp_stop: port $SMTP_PORT still answers"

# --- HTTP -----------------------------------------------------------------

http_start
# http_send NAME [CURL-ARGS...]: one request; prints "curl's status,
# HTTP code" and keeps the answer's headers in $T/NAME.headers.
http_send() {
	local name=$1 code
	shift
	code=$(curl -sS -o "$T/$name.body" -D "$T/$name.headers" -w '%{http_code}' "$@" 2>"$T/$name.err")
	echo "$? $code"
}
header_of() { tr -d '\r' <"$T/$1.headers" | sed -n "s/^$2: //Ip"; }

http_queue 200 500 "429 retry-after=2" "503 retry-after=1 body=slow down" close
printf '{"text":"caf\xc3\xa9 \xe2\x80\x94 low stock"}\n' >"$T/body.json"
printf '\377\000binary\n' >"$T/body.bin"
got=
for i in 1 2 3 4 5 6; do
	got="$got$(http_send q$i -H 'Content-Type: application/json' --data-binary @"$T/body.json" \
		"$HTTP_URL/hook/$i?x=$i");"
done
expect_eq "the queue answered in order, then the default" "$got" \
	"0 200;0 500;0 429;0 503;52 000;0 200;"
expect_eq "the 429 carries the Retry-After asked" "$(header_of q3 Retry-After)" 2
expect_eq "the 503 carries its Retry-After" "$(header_of q4 Retry-After)" 1
expect_eq "the 503 carries its body" "$(cat "$T/q4.body")" "slow down"
expect_eq "every request recorded, with its answer" \
	"$(jq -r '[.n, .method, .path, .headers["content-type"], .answer] | @tsv' "$HTTP_REQUESTS")" \
	"$(printf '%s\n' "1	POST	/hook/1?x=1	application/json	200" \
		"2	POST	/hook/2?x=2	application/json	500" \
		"3	POST	/hook/3?x=3	application/json	429 retry-after=2" \
		"4	POST	/hook/4?x=4	application/json	503 retry-after=1 body=slow down" \
		"5	POST	/hook/5?x=5	application/json	close" \
		"6	POST	/hook/6?x=6	application/json	200")"
for i in 1 5 6; do
	sed -n "${i}p" "$HTTP_REQUESTS" | jq -j .body >"$T/got.body"
	expect_same_file "request $i: the body, byte for byte" "$T/got.body" "$T/body.json"
done

http_send bin --data-binary @"$T/body.bin" "$HTTP_URL/bin" >/dev/null
tail -n 1 "$HTTP_REQUESTS" | jq -r .body_base64 | base64 -d >"$T/got.bin"
expect_same_file "a body that is not UTF-8: in body_base64" "$T/got.bin" "$T/body.bin"
printf 'chunk one\nchunk two\n' | curl -sS -o /dev/null -H 'Transfer-Encoding: chunked' --data-binary @- "$HTTP_URL/chunked"
expect_eq "a chunked body: de-chunked" "$(tail -n 1 "$HTTP_REQUESTS" | jq -j '.body')" "$(printf 'chunk one\nchunk two')"
expect_eq "a GET: recorded" "$(http_send get "$HTTP_URL/x?y=1"; tail -n 1 "$HTTP_REQUESTS" | jq -r '[.method, .path, .body] | @tsv')" \
	"$(printf '0 200\nGET\t/x?y=1\t')"

# A path's own queue first, then the common one; a default per path.
http_queue -p /b 500
http_queue 201
http_default -p /c "503 retry-after=7"
expect_eq "queues and defaults by path" \
	"$(for p in /a /b /b /c /c /a; do http_send path "$HTTP_URL$p"; done | tr '\n' ';')" \
	"0 201;0 500;0 200;0 503;0 503;0 200;"
expect_eq "the common default: no Retry-After" "$(header_of path Retry-After)" ""
http_send path-c "$HTTP_URL/c" >/dev/null
expect_eq "a path's default carries its Retry-After" "$(header_of path-c Retry-After)" 7
http_default 204
expect_eq "the common default" "$(http_send d "$HTTP_URL/d")" "0 204"
http_default 200

# A hanging answer holds its client, not the server.
http_queue "hang 30"
expect_eq "hang: the client times out" "$(http_send hang --max-time 1 "$HTTP_URL/hang")" "28 000"
expect_eq "hang: recorded at once" "$(tail -n 1 "$HTTP_REQUESTS" | jq -r '[.path, .answer] | @tsv')" "$(printf '/hang\thang 30')"
expect_eq "hang: the next request is answered meanwhile" "$(http_send after-hang "$HTTP_URL/after")" "0 200"

# Arrival stamps: curl --retry waits out a Retry-After; the record shows it.
before=$(http_count)
http_queue "429 retry-after=1"
expect_eq "Retry-After: curl retries once" "$(http_send retry --retry 1 "$HTTP_URL/retry" 2>/dev/null)" "0 200"
expect_eq "Retry-After: two requests" "$(($(http_count) - before))" 2
expect_eq "Retry-After: the second came at least 1 s after the first" \
	"$(tail -n 2 "$HTTP_REQUESTS" | jq -s '(.[1].arrival - .[0].arrival) >= 1 and .[0].answer == "429 retry-after=1"')" true

expect_status "a bad answer line: refused" 22 _http_ctl POST /-/queue "429 retry-after" >"$T/bad.out" 2>/dev/null
expect_grep "a bad answer line: says why" "unknown option \[retry-after\]" "$T/bad.out"
expect_status "hang without seconds: refused" 22 _http_ctl POST /-/queue "hang" >/dev/null 2>&1
expect_eq "a refused line queues nothing" "$(http_send after-bad "$HTTP_URL/z")" "0 200"
expect_eq "control requests are not recorded" "$(jq -r 'select(.path | startswith("/-/")) | .path' "$HTTP_REQUESTS")" ""

# A restart keeps the port and the record, and empties the queues.
n=$(http_count)
http_queue 500
http_restart
expect_eq "after a restart: the queue is empty" "$(http_send restarted "$HTTP_URL/r")" "0 200"
expect_eq "after a restart: numbering goes on" "$(tail -n 1 "$HTTP_REQUESTS" | jq .n)" $((n + 1))
http_stop
port_free "$HTTP_PORT" || fail "http_stop: port $HTTP_PORT still answers"

# HTTPS with the throwaway certificate.
mv "$HTTP_REQUESTS" "$T/http.requests.plain"
http_start --tls
expect_eq "HTTPS: the URL" "${HTTP_URL%%:*}" https
http_queue 202
expect_eq "HTTPS: answered" "$(http_send tls --cacert "$NOTIFY_CA" "$HTTP_URL/tls")" "0 202"
expect_eq "HTTPS: a certificate nobody vouches for" "$(http_send tls-unknown --cacert "$T/other.pem" "$HTTP_URL/tls")" "60 000"
expect_eq "HTTPS: only the request that got through is recorded" "$(jq -r '[.n, .path] | @tsv' "$HTTP_REQUESTS")" "$(printf '1\t/tls')"
finish

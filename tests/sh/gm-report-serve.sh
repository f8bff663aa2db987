#!/usr/bin/env bash
# gm-report --listen: / is the page with no data in it; /api/v1/data is
# the data -o writes, to the byte but their time of making; the
# headers every answer has; 404 and 405 as JSON; hostile requests each
# refused with a JSON 4xx, logged on one line, and the server answers
# after them; a non-loopback address needs a token or --no-auth, and
# the token is asked (401 with WWW-Authenticate) where one is set; a
# reload takes new data, keeps those that did not change, their time of
# making too, and keeps serving the old when the warehouse is locked or
# damaged; SIGTERM ends it with status 0; the usage rules.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/report.sh"
G=$TESTS/golden/report

command -v jq >/dev/null || skip_or_fail "jq is not installed"
command -v curl >/dev/null || skip_or_fail "curl is not installed"
command -v flock >/dev/null || skip_or_fail "flock is not installed"
cd "$T" || exit 1

# The warehouse of tests/sh/gm-report.sh: six transactions, 135.75.
gm-etl -q -w wh "$G/events.ndjson" 2>/dev/null
gm-rfm -q -w wh --as-of 2026-11-02
gm-rfm -q -w wh --as-of 2026-11-03 --compare 2026-11-02
gm-report -q -w wh -o page.html || fail "gm-report -o: status $?"
page_data page.html | jq -S 'del(.generated)' >want.json

# start NAME ARGS...: gm-report ARGS... in the background, its stderr in
# NAME.err, its pid in $pid, and waits until it answers on $U (the
# address the ARGS' --listen gives, set by the caller).
start() {
	local name=$1; shift
	gm-report "$@" 2>"$name.err" &
	pid=$!
	at_exit "kill $pid 2>/dev/null"
	for _ in $(seq 100); do
		curl -s -o /dev/null "$U/" && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	fail "$name: the server did not answer"
	cat "$name.err" >&2
	return 1
}
# code PATH [CURL-ARGS...]: the status of GET PATH, its body in body.
code() { local p=$1; shift; curl -s --path-as-is -o body -w '%{http_code}' "$@" "$U$p"; }
# header NAME: that header of the last answer curl -D wrote in headers.
header() { tr -d '\r' <headers | sed -n "s/^$1: //Ip"; }
# generated: the served data's time of making.
generated() { curl -s "$U/api/v1/data" | jq -r .generated; }

port=$(free_port) || skip_or_fail "no free port"
U=http://127.0.0.1:$port
start srv -w wh --listen "127.0.0.1:$port" --reload-every 1s || { finish; }

# The page: no data in it, they come from the API.
expect_eq "/: 200" "$(code / -D headers)" 200
expect_eq "/: HTML" "$(header Content-Type)" "text/html; charset=utf-8"
expect_eq "/: no data in it" "$(page_data body)" "null"
expect_eq "/: not cached" "$(header Cache-Control)" "no-store"
expect_eq "/: not sniffed" "$(header X-Content-Type-Options)" "nosniff"
expect_eq "/api/v1/data: 200" "$(code /api/v1/data -D headers)" 200
expect_eq "/api/v1/data: JSON" "$(header Content-Type)" "application/json; charset=utf-8"
expect_eq "/api/v1/data: not cached" "$(header Cache-Control)" "no-store"
jq -S 'del(.generated)' body >got.json
expect_same_file "/api/v1/data is the data of -o" got.json want.json
expect_eq "HEAD /api/v1/data: 200, no body" \
	"$(curl -s -I -o /dev/null -w '%{http_code} %{size_download}' "$U/api/v1/data")" "200 0"
expect_eq "/api/v1/kpis: the revenue" "$(curl -s "$U/api/v1/kpis" | jq .kpis.revenue.value)" 135.75

# 404 and 405, JSON.
expect_eq "no such page: 404" "$(code /nope -D headers)" 404
expect_eq "404: JSON" "$(jq -c .error.status body)" 404
expect_eq "404: JSON type" "$(header Content-Type)" "application/json; charset=utf-8"
expect_eq "404: not cached" "$(header Cache-Control)" "no-store"
expect_eq "no such endpoint: 404" "$(code /api/v1/nope)" 404
expect_eq "no such endpoint: JSON" "$(jq -c .error.status body)" 404
expect_eq "POST: 405" "$(code /api/v1/kpis -X POST -D headers)" 405
expect_eq "405: Allow" "$(header Allow)" "GET, HEAD"
expect_eq "405: JSON" "$(jq -c .error.status body)" 405
expect_grep "405: logged" "^gm-report: 127.0.0.1: POST /api/v1/kpis: 405 " srv.err

# Hostile requests: each a 4xx with a JSON error of its status, each
# logged on a line of its own, and the server answers after them.
while IFS='|' read -r path want; do
	got=$(code "$path")
	expect_eq "$path: status" "$got" "$want"
	expect_eq "$path: JSON error" "$(jq -c '.error.status' body 2>&1)" "$want"
	expect_eq "$path: logged" "$(grep -cF -- "GET $path: $want " srv.err)" 1
done <<'EOF'
/api/v1/kpis?from=2026-13-40|400
/api/v1/countries?limit=99999999999|400
/api/v1/kpis?country='%20OR%201=1%20--|400
/api/v1/../../etc/passwd|404
/../../etc/passwd|404
/api/v1/kpis?country=USA%00x|400
/api/v1/kpis%00|400
/api/v1/kpis?nosuch=1|400
/api/v1/kpis?from=2026-11-01&from=2026-11-02|400
/api/v1/kpis?from|400
/api/v1/data?days=7|400
EOF
# A control byte and a non-ASCII one are logged \xHH, the line one line.
expect_eq "escaped: status" "$(code '/api/v1/kpis?country=%0aX%c3%a9')" 400
expect_grep "escaped: the message" '^gm-report: 127.0.0.1: GET /api/v1/kpis?country=%0aX%c3%a9: 400 .*\\x0aX\\xc3\\xa9' srv.err
long=$(head -c 400 /dev/zero | tr '\0' a)
expect_eq "a long request: 400" "$(code "/api/v1/kpis?$long=1")" 400
expect_eq "a long request: its log line cut" \
	"$(grep -o "GET /api/v1/kpis?aa*" srv.err | awk '{ print length($0) }')" 200
# A '\' of the request is logged escaped too: no forged \xHH.
expect_eq "a backslash: 400" "$(code '/api/v1/kpis?x%5cx0a=1')" 400
expect_grep "a backslash: logged \\x5c" '^gm-report: 127.0.0.1: GET /api/v1/kpis?x%5cx0a=1: 400 unknown parameter "x\\x5cx0a"$' srv.err
# Loopback and no token: a Host that is not loopback (DNS rebinding) is
# refused; those that are, answered.
expect_eq "Host evil.example: 403" "$(code /api/v1/data -H 'Host: evil.example')" 403
expect_eq "403: JSON" "$(jq -c .error.status body)" 403
expect_eq "Host evil.example, the page: 403" "$(code / -H "Host: evil.example:$port")" 403
expect_eq "Host 127.0.0.2: 200" "$(code /api/v1/kpis -H "Host: 127.0.0.2:$port")" 200
expect_eq "Host LOCALHOST: 200" "$(code /api/v1/kpis -H "Host: LOCALHOST:$port")" 200
expect_eq "Host [::1]: 200" "$(code /api/v1/kpis -H "Host: [::1]:$port")" 200
expect_eq "Host 127.0.0.1.evil.example: 403" "$(code /api/v1/kpis -H 'Host: 127.0.0.1.evil.example')" 403
expect_eq "after them, kpis: 200" "$(code /api/v1/kpis)" 200
# An answer kept is the answer made: the same request again, the same
# bytes, and another filter its own.
code '/api/v1/countries?days=2' >/dev/null && cp body first.json
code '/api/v1/countries?days=2' >/dev/null
expect_same_file "the same request again: the same answer" body first.json
code '/api/v1/countries?days=3' >/dev/null
[ "$(jq -c .filter.from body)" != "$(jq -c .filter.from first.json)" ] || fail "days=3 answered as days=2"
expect_eq "after them, the server runs" "$(kill -0 "$pid" && echo yes)" yes

# Reloads: data that did not change keep their time of making.
g1=$(generated)
sleep 2.5
expect_eq "reloaded, unchanged: the same generated" "$(generated)" "$g1"

# A day more (t7, 50.00 of books by u1 on 11-05): new data, within a
# few reloads.
printf '%s\n' '{"type":"transaction","transaction_id":"t7","ts":"2026-11-05T10:00:00.000Z","user_id":"u1","session_id":"s7","country":"USA","payment_method":"card","items":[{"product_id":"p1","category":"books","quantity":5,"unit_price":10.0}],"total_amount":50.0}' >day.ndjson
# Requests from eight clients at once meanwhile, across the swap of
# the data: each answered whole.
clients=()
for i in 1 2 3 4 5 6 7 8; do
	for _ in $(seq 30); do
		curl -s -o /dev/null -w '%{http_code}\n' "$U/api/v1/sales_trends?grain=week"
	done >"burst.$i" &
	clients+=($!)
done
# The server holds the warehouse's lock while it reads it again: a run
# that meets it waits for it (--retry-for).
gm-etl -q -w wh day.ndjson 2>etl.err; st=$?
[ "$st" = 0 ] || { fail "gm-etl of a day more: status $st"; cat etl.err >&2; }
for _ in $(seq 100); do [ "$(generated)" != "$g1" ] && break; sleep 0.1; done
wait "${clients[@]}"
expect_eq "eight clients at once: every answer 200" "$(cat burst.* | sort | uniq -c | tr -s ' ')" " 240 200"
g2=$(generated)
[ "$g2" != "$g1" ] || fail "reloaded, changed: generated stayed $g1"
expect_eq "reloaded: the revenue of the day more" "$(curl -s "$U/api/v1/kpis" | jq .kpis.revenue.value)" 185.75
expect_eq "reloaded: the days" "$(curl -s "$U/api/v1/data" | jq -c '.days[-1]')" '"2026-11-05"'

# Another run holds the lock: the reload fails, said once a try, and the
# data of before are served; the files of the run that holds it (its
# rows put, .TABLE.new) are left alone. (A reload may have met gm-etl's
# lock above: the failures counted are those from now.)
# failed_after N: waits until srv.err has more than N reloads failed.
failed_after() {
	for _ in $(seq 60); do [ "$(grep -c 'reload failed' srv.err)" -gt "$1" ] && return; sleep 0.1; done
}
n=$(grep -c 'reload failed' srv.err)
flock wh/.lock sleep 3 &
locker=$!
echo '{}' >wh/.fact_sales.new
failed_after "$n"
[ -e wh/.fact_sales.new ] || fail "locked: the reload removed the lock holder's wh/.fact_sales.new"
expect_eq "locked: the reload's message" "$(grep 'reload failed' srv.err | tail -n 1)" \
	"gm-report: wh: reload failed, serving the data of $g2"
expect_eq "locked: why, before it" "$(grep -B 1 'reload failed' srv.err | tail -n 2 | head -n 1)" \
	"gm-report: wh: another run holds the warehouse's lock; try again later"
expect_eq "locked: the data of before" "$(generated)" "$g2"
expect_eq "locked: kpis answered" "$(code /api/v1/kpis)" 200
wait "$locker"

# A damaged table: the same, with the row's place.
cp wh/fact_sales.ndjson fact_sales.good
flock wh/.lock sh -c 'echo "not json" >>wh/fact_sales.ndjson'  # as a run: under the lock
n=$(grep -c 'reload failed' srv.err)
for _ in $(seq 60); do grep -q '^gm-report: wh/fact_sales.ndjson:' srv.err && break; sleep 0.1; done
failed_after "$n"
expect_grep "damaged: where" '^gm-report: wh/fact_sales.ndjson:[0-9]*: ' srv.err
expect_eq "damaged: one more reload failed" "$(($(grep -c 'reload failed' srv.err) > n))" 1
expect_eq "damaged: the data of before" "$(generated)" "$g2"
flock wh/.lock cp fact_sales.good wh/fact_sales.ndjson
sleep 1.5
expect_eq "mended: the data are the same, generated too" "$(generated)" "$g2"

# SIGTERM: status 0, at once.
kill -TERM "$pid"
t0=$(date +%s%N)
wait "$pid"
expect_eq "SIGTERM: status 0" "$?" 0
[ $((($(date +%s%N) - t0) / 1000000)) -lt 2000 ] || fail "SIGTERM: took over 2 s to stop"

# ---- a token ----
printf 'secret-token-0123456789\r\n' >token
port=$(free_port) || skip_or_fail "no free port"
U=http://127.0.0.1:$port
start tok -q -w wh --listen "127.0.0.1:$port" --token-file token || { finish; }
expect_eq "no token: 401" "$(code /api/v1/kpis -D headers)" 401
expect_eq "401: WWW-Authenticate" "$(header WWW-Authenticate)" 'Bearer realm="gm-report"'
expect_eq "401: JSON" "$(jq -c .error.status body)" 401
expect_eq "a wrong token: 401" "$(code /api/v1/kpis -H 'Authorization: Bearer secret-token-0123456780')" 401
expect_eq "a longer one: 401" "$(code /api/v1/kpis -H 'Authorization: Bearer secret-token-01234567899')" 401
expect_eq "another scheme: 401" "$(code /api/v1/kpis -u user:secret-token-0123456789)" 401
expect_eq "the token: 200" "$(code /api/v1/kpis -H 'Authorization: Bearer secret-token-0123456789')" 200
expect_eq "the token, bearer in lower case: 200" \
	"$(code /api/v1/data -H 'Authorization: bearer secret-token-0123456789')" 200
expect_eq "an unknown endpoint needs the token too" "$(code /api/v1/nope)" 401
# The token before any other check: a request without it learns nothing.
expect_eq "POST without the token: 401" "$(code /api/v1/kpis -X POST)" 401
expect_eq "a NUL without the token: 401" "$(code '/api/v1/kpis?x=%00')" 401
expect_eq "HEAD without the token: 401" "$(code /api/v1/data -I)" 401
expect_eq "/api%2Fv1/data: no way around it" "$(code '/api%2Fv1/data')" 401
expect_eq "/%61pi/v1/data: no way around it" "$(code '/%61pi/v1/data')" 401
expect_eq "//api/v1/data: no data" "$(code '//api/v1/data')" 404
# With a token, any Host: the token says who reads.
expect_eq "the token, Host elsewhere: 200" \
	"$(code /api/v1/kpis -H 'Host: report.example' -H 'Authorization: Bearer secret-token-0123456789')" 200
expect_eq "the page needs none" "$(code /)" 200
expect_grep "401: logged" '^gm-report: 127.0.0.1: GET /api/v1/kpis: 401 ' tok.err
kill -TERM "$pid"
wait "$pid"
expect_eq "SIGTERM: status 0" "$?" 0

# --no-auth on every address; localhost is loopback.
port=$(free_port) || skip_or_fail "no free port"
U=http://127.0.0.1:$port
start any -q -w wh --listen ":$port" --no-auth && expect_eq "--no-auth: 200" "$(code /api/v1/kpis)" 200
expect_eq "--no-auth, Host elsewhere: 200" "$(code /api/v1/kpis -H 'Host: report.example')" 200
kill -TERM "$pid"
wait "$pid"
expect_eq "--no-auth: SIGTERM, status 0" "$?" 0
if getent hosts localhost | awk '{ print $1 }' | grep -qvE '^(127\.|::1$)'; then
	echo "localhost resolves to more than loopback here: not tried" >&2
else
	port=$(free_port) || skip_or_fail "no free port"
	U=http://127.0.0.1:$port
	start lo -q -w wh --listen "localhost:$port" && expect_eq "localhost: 200" "$(code /api/v1/kpis)" 200
	kill -TERM "$pid"
	wait "$pid"
fi

# ---- usage ----
printf 'short\n' >short
: >empty
printf '%s\n' 'a token with spaces in it' >spaces
printf 'a-token-with-a\0-NUL-byte\n' >nul
for args in "--listen 0.0.0.0:1" "--listen :1" "--listen [::]:1" "--listen 8.8.8.8:1" \
	"--listen 127.0.0.1:1 -o x.html" "--token-file token" "--no-auth" "--reload-every 1s" \
	"--listen 127.0.0.1:1 --token-file token --no-auth" "--listen 127.0.0.1:1 --token-file short" \
	"--listen 127.0.0.1:1 --token-file empty" "--listen 127.0.0.1:1 --token-file nosuch" \
	"--listen 127.0.0.1:1 --token-file spaces" "--listen 127.0.0.1:1 --token-file nul" \
	"--listen 127.0.0.1:1 --token-file ." "--listen 127.0.0.1:1 -s -" \
	"--listen 127.0.0.1" "--listen 127.0.0.1:99999" "--listen 127.0.0.1:1 --reload-every 0"; do
	# shellcheck disable=SC2086  # the words are the arguments
	expect_status "usage: $args" 2 gm-report -q -w wh $args 2>/dev/null </dev/null
done
gm-report -w wh --listen 0.0.0.0:1 2>err
expect_grep "non-loopback: why" "^gm-report: --listen 0.0.0.0:1: not a loopback address" err
gm-report -w wh --listen 127.0.0.1:1 --token-file short 2>err
expect_grep "short token: why" "^gm-report: --token-file short: the token is shorter than 16 bytes" err
# A port in use: status 1.
port=$(free_port) || skip_or_fail "no free port"
U=http://127.0.0.1:$port
start busy -q -w wh --listen "127.0.0.1:$port"
expect_status "a port in use: status 1" 1 gm-report -q -w wh --listen "127.0.0.1:$port" 2>/dev/null
kill -TERM "$pid"
wait "$pid"
finish

# tests/notify-servers.sh: the servers gm-notify's tests deliver to, an
# SMTP server (tests/smtp-server.py) and an HTTP receiver
# (tests/http-receiver.py). Source it after tests/lib.sh, then:
#
#   smtp_start [ARGS]   starts smtp-server.py ARGS (--refuse STAGE:CODE:COUNT,
#                       --tls-optional) on two free ports of 127.0.0.1:
#                       SMTP_PORT (STARTTLS, required unless --tls-optional)
#                       and SMTPS_PORT (implicit TLS), with the certificate
#                       NOTIFY_CA (for 127.0.0.1 and localhost; also the CA
#                       to trust). AUTH PLAIN/LOGIN is required with
#                       SMTP_USER and SMTP_PASSWORD (set before the call,
#                       or gm-notify and a made-up one; SMTP_USER= empty:
#                       no AUTH); the password is also in
#                       SMTP_PASSWORD_FILE. Accepted mails are appended to
#                       SMTP_MAIL, refusals to SMTP_REFUSED, one JSON line
#                       each (see smtp-server.py). smtp_stop runs at exit.
#   smtp_restart [ARGS] stops it and starts it again on the same ports with
#                       ARGS (refusal counts start over; SMTP_MAIL and
#                       SMTP_REFUSED keep what they hold).
#   smtp_move_tls PORT [ARGS]   the same, its implicit TLS moved to PORT
#                       (SMTPS_PORT becomes PORT); returns 1, the server
#                       back on its ports, when PORT is taken.
#   smtp_stop           stops it; does nothing if it is not running.
#   smtp_count          prints how many mails SMTP_MAIL holds.
#
#   http_start [--tls]  starts http-receiver.py on a free port: HTTP_PORT,
#                       HTTP_URL (http://127.0.0.1:PORT, or https:// with
#                       the certificate NOTIFY_CA). Each request is
#                       appended to HTTP_REQUESTS as one JSON line (see
#                       http-receiver.py). http_stop runs at exit.
#   http_queue [-p PATH] ANSWER...   appends answers (200, 500,
#                       "429 retry-after=2", "hang 5", close, ...) to the
#                       queue of PATH, or to the common one.
#   http_default [-p PATH] ANSWER    the answer once the queues are empty.
#   http_restart, http_stop, http_count   as for SMTP (a restart empties
#                       the queues and the defaults).
#
# A server that cannot start: skip_or_fail (CI=true: the test fails). A
# server's stderr is in $T/smtp.log or $T/http.log. Tests must not rely
# on the ports, which are new on every start.

NOTIFY_PY=${NOTIFY_PY:-/usr/bin/python3}  # Debian's, which has aiosmtpd
NOTIFY_CA=$T/notify-tls/cert.pem
NOTIFY_KEY=$T/notify-tls/key.pem

SMTP_PID='' SMTP_PORT='' SMTPS_PORT='' SMTP_ARGS=()
SMTP_MAIL=$T/smtp.mail
SMTP_REFUSED=$T/smtp.refused
SMTP_LOG=$T/smtp.log
SMTP_PASSWORD_FILE=$T/smtp.password

HTTP_PID='' HTTP_PORT='' HTTP_URL='' HTTP_TLS=''
HTTP_REQUESTS=$T/http.requests
HTTP_LOG=$T/http.log

export NOTIFY_CA SMTP_MAIL SMTP_REFUSED SMTP_PASSWORD_FILE HTTP_REQUESTS

# _notify_fail WHAT LOG: shows the server's stderr, then skips or fails.
_notify_fail() {
	if [ -s "$2" ]; then
		echo "--- tail of $2:" >&2
		tail -n 15 "$2" >&2
	fi
	skip_or_fail "$1"
}

# _notify_cert: the throwaway certificate both servers use, made once.
_notify_cert() {
	[ -s "$NOTIFY_CA" ] && return 0
	command -v openssl >/dev/null || skip_or_fail "notify servers: openssl is not installed"
	mkdir -p "${NOTIFY_CA%/*}" ||
		skip_or_fail "notify servers: cannot create ${NOTIFY_CA%/*}"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$NOTIFY_KEY" -out "$NOTIFY_CA" -days 2 -subj /CN=localhost \
		-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
		>"$T/notify-tls.log" 2>&1 ||
		_notify_fail "notify servers: openssl could not make a certificate" "$T/notify-tls.log"
}

# _notify_python SCRIPT: the server's interpreter can run it.
_notify_python() {
	[ -x "$NOTIFY_PY" ] || skip_or_fail "notify servers: no $NOTIFY_PY"
	[ -f "$TESTS/$1" ] || skip_or_fail "notify servers: no $TESTS/$1"
}

# _notify_launch VAR READY LOG CMD...: starts CMD in the background,
# stdout to READY, stderr to LOG; sets VAR to its pid, waits for its
# first line in READY, and returns 0 then, 3 when CMD found a port in
# use, 1 for any other end.
_notify_launch() {
	local var=$1 ready=$2 log=$3 pid status
	shift 3
	: >"$ready"
	"$@" >"$ready" 2>"$log" &
	pid=$!
	printf -v "$var" %s "$pid"
	for _ in $(seq 300); do
		[ -s "$ready" ] && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"; status=$?
			printf -v "$var" %s ""
			[ "$status" = 3 ] && return 3
			return 1
		fi
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
	printf -v "$var" %s ""
	echo "notify-servers.sh: $* printed nothing in 30 s" >>"$log"
	return 1
}

# _notify_stop PID: ends a server this file started, and waits for it.
_notify_stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# _smtp_run SMTP-PORT SMTPS-PORT: runs the server once; status as
# _notify_launch's.
_smtp_run() {
	_notify_launch SMTP_PID "$T/smtp.ready" "$SMTP_LOG" \
		env SMTP_SERVER_USER="$SMTP_USER" SMTP_SERVER_PASSWORD="$SMTP_PASSWORD" \
		"$NOTIFY_PY" -B "$TESTS/smtp-server.py" --port "$1" --tls-port "$2" \
		--cert "$NOTIFY_CA" --key "$NOTIFY_KEY" \
		--out "$SMTP_MAIL" --refusals "$SMTP_REFUSED" "${SMTP_ARGS[@]}"
}

smtp_start() {
	local status=1
	[ -z "$SMTP_PID" ] || { fail "smtp_start: already running"; return 1; }
	_notify_python smtp-server.py
	"$NOTIFY_PY" -c 'import aiosmtpd' 2>/dev/null ||
		skip_or_fail "SMTP: $NOTIFY_PY has no aiosmtpd (python3-aiosmtpd)"
	_notify_cert
	SMTP_ARGS=("$@")
	SMTP_USER=${SMTP_USER-gm-notify}
	SMTP_PASSWORD=${SMTP_PASSWORD-pw-$RANDOM$RANDOM-x}
	(umask 077 && printf %s "$SMTP_PASSWORD" >"$SMTP_PASSWORD_FILE")
	export SMTP_USER SMTP_PASSWORD
	: >>"$SMTP_MAIL"
	: >>"$SMTP_REFUSED"
	at_exit smtp_stop
	# Another process may take a port between the check and the start:
	# then pick others, as pg.sh does.
	for _ in 1 2 3 4 5 6 7 8; do
		SMTP_PORT=$(free_port) || continue
		SMTPS_PORT=$(free_port) || continue
		[ "$SMTP_PORT" != "$SMTPS_PORT" ] || continue
		_smtp_run "$SMTP_PORT" "$SMTPS_PORT"; status=$?
		[ $status = 3 ] || break
	done
	[ $status = 0 ] || _notify_fail "SMTP: smtp-server.py did not start" "$SMTP_LOG"
	export SMTP_PORT SMTPS_PORT
}

smtp_restart() {
	[ -n "$SMTP_PORT" ] || { fail "smtp_restart before smtp_start"; return 1; }
	smtp_stop
	SMTP_ARGS=("$@")
	_smtp_run "$SMTP_PORT" "$SMTPS_PORT" ||
		_notify_fail "SMTP: smtp-server.py did not start again on ports $SMTP_PORT, $SMTPS_PORT" "$SMTP_LOG"
}

# smtp_move_tls PORT [ARGS]: starts the server again with ARGS, its
# implicit TLS on PORT (SMTPS_PORT becomes PORT); when PORT is taken
# (another run's test may hold it), starts it again where it was and
# returns 1.
smtp_move_tls() {
	local port=$1 status
	shift
	[ -n "$SMTP_PORT" ] || { fail "smtp_move_tls before smtp_start"; return 1; }
	smtp_stop
	SMTP_ARGS=("$@")
	_smtp_run "$SMTP_PORT" "$port"; status=$?
	if [ $status = 0 ]; then SMTPS_PORT=$port; return 0; fi
	[ $status = 3 ] ||
		_notify_fail "SMTP: smtp-server.py did not start on ports $SMTP_PORT, $port" "$SMTP_LOG"
	_smtp_run "$SMTP_PORT" "$SMTPS_PORT" ||
		_notify_fail "SMTP: smtp-server.py did not start again on ports $SMTP_PORT, $SMTPS_PORT" "$SMTP_LOG"
	return 1
}

smtp_stop() { _notify_stop "$SMTP_PID"; SMTP_PID=; }

smtp_count() { echo $(($(wc -l <"$SMTP_MAIL"))); }

# _http_run PORT: runs the receiver once; status as _notify_launch's.
_http_run() {
	local tls=()
	[ -z "$HTTP_TLS" ] || tls=(--cert "$NOTIFY_CA" --key "$NOTIFY_KEY")
	_notify_launch HTTP_PID "$T/http.ready" "$HTTP_LOG" \
		"$NOTIFY_PY" -B "$TESTS/http-receiver.py" --port "$1" --out "$HTTP_REQUESTS" "${tls[@]}" ||
		return
	# Listening is not yet answering: ask it.
	for _ in $(seq 100); do
		_http_ctl GET /-/ready >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "notify-servers.sh: http-receiver.py does not answer on port $1" >>"$HTTP_LOG"
	return 1
}

# _http_ctl METHOD PATH [BODY]: one control request; prints the answer.
_http_ctl() {
	local data=()
	[ $# -lt 3 ] || data=(--data-binary "$3")
	curl -sS --fail-with-body --cacert "$NOTIFY_CA" -X "$1" "${data[@]}" "$HTTP_URL$2"
}

http_start() {
	local status=1 scheme=http
	[ -z "$HTTP_PID" ] || { fail "http_start: already running"; return 1; }
	command -v curl >/dev/null || skip_or_fail "HTTP: curl is not installed"
	_notify_python http-receiver.py
	HTTP_TLS=
	case ${1-} in
	--tls) HTTP_TLS=1 scheme=https; _notify_cert ;;
	'') ;;
	*) fail "http_start: unknown option $1"; return 1 ;;
	esac
	: >>"$HTTP_REQUESTS"
	at_exit http_stop
	for _ in 1 2 3 4 5 6 7 8; do
		HTTP_PORT=$(free_port) || continue
		HTTP_URL=$scheme://127.0.0.1:$HTTP_PORT
		_http_run "$HTTP_PORT"; status=$?
		[ $status = 3 ] || break
	done
	[ $status = 0 ] || _notify_fail "HTTP: http-receiver.py did not start" "$HTTP_LOG"
	export HTTP_PORT HTTP_URL
}

http_restart() {
	[ -n "$HTTP_PORT" ] || { fail "http_restart before http_start"; return 1; }
	http_stop
	_http_run "$HTTP_PORT" ||
		_notify_fail "HTTP: http-receiver.py did not start again on port $HTTP_PORT" "$HTTP_LOG"
}

http_stop() { _notify_stop "$HTTP_PID"; HTTP_PID=; }

# _http_answers queue|default [-p PATH] ANSWER...
_http_answers() {
	local what=$1 query=
	shift
	if [ "${1-}" = -p ]; then query="?path=$2"; shift 2; fi
	_http_ctl POST "/-/$what$query" "$(printf '%s\n' "$@")" >/dev/null ||
		{ fail "http_$what $*: refused"; return 1; }
}

http_queue() { _http_answers queue "$@"; }
http_default() { _http_answers default "$@"; }

http_count() { echo $(($(wc -l <"$HTTP_REQUESTS"))); }

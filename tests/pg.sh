# tests/pg.sh: a throwaway PostgreSQL 15 cluster for shell tests.
# Source it after tests/lib.sh, then:
#
#   pg_start     initdb in $T/pg, start on a free port, create database gm,
#                export PGHOST PGPORT PGUSER PGDATABASE GM_PG_CONNINFO;
#                pg_stop runs at exit. If it cannot start: skip_or_fail.
#   pg_stop      stop fast (then immediate); does nothing if not running.
#   pg_restart   pg_stop, then start the same cluster on the same port.
#   metrics_of_ndjson FILE, metrics_of_table
#                gm-txmon's metrics, from its NDJSON output or from the
#                sales_metrics table, as sorted rows in one text form.
#   alerts_of_ndjson FILE, alerts_of_table
#                the same for alerts: id, reason, user and summary (whose
#                numbers say what the rules knew of the user).
#
# The server refuses to run as root, and tests run as root: then the
# cluster belongs to the user postgres and its commands run through
# runuser. Clients connect as the superuser "postgres" (trust auth) over
# the socket folder $PG_SOCK, or over TCP on 127.0.0.1:$PGPORT. Nothing
# listens anywhere else. The cluster is for tests only: fsync is off.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_DIR=$T/pg            # owned by the server's user
PG_DATA=$PG_DIR/data
PG_SOCK=$PG_DIR         # unix socket folder
PG_LOG=$PG_DIR/server.log  # the server's log, written by its user
PG_SETUP_LOG=$T/pg-setup.log  # what initdb, pg_ctl and psql said
PG_PORT=

# _pg_as CMD...: runs CMD as the server's user, from a folder it can read.
_pg_as() {
	if [ "$(id -u)" = 0 ]; then
		(cd "$PG_DIR" && runuser -u postgres -- "$@")
	else
		(cd "$PG_DIR" && "$@")
	fi
}

# _pg_fail WHAT: prints the log tail, then skips or fails the test.
_pg_fail() {
	local f
	for f in "$PG_SETUP_LOG" "$PG_LOG"; do
		[ -s "$f" ] || continue
		echo "--- tail of $f:" >&2
		tail -n 15 "$f" >&2
	done
	skip_or_fail "PostgreSQL: $*"
}

_pg_running() {
	[ -f "$PG_DATA/postmaster.pid" ] &&
		_pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

# _pg_ctl_start: starts the cluster on $PG_PORT and waits until it
# accepts connections. Returns pg_ctl's status.
_pg_ctl_start() {
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 \
		-o "-p $PG_PORT" start >>"$PG_SETUP_LOG" 2>&1
}

pg_start() {
	local user=postgres try started
	[ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] && [ -x "$PG_BIN/psql" ] ||
		skip_or_fail "PostgreSQL: no server binaries in $PG_BIN"
	if [ "$(id -u)" = 0 ]; then
		id postgres >/dev/null 2>&1 ||
			skip_or_fail "PostgreSQL: running as root and there is no user postgres"
		command -v runuser >/dev/null ||
			skip_or_fail "PostgreSQL: running as root and there is no runuser"
	fi
	# A unix socket path holds at most 107 bytes.
	[ ${#PG_SOCK} -le 80 ] ||
		skip_or_fail "PostgreSQL: socket folder path too long: $PG_SOCK"

	mkdir -p "$PG_DIR" || skip_or_fail "PostgreSQL: cannot create $PG_DIR"
	if [ "$(id -u)" = 0 ]; then
		# $T is mode 700, root's: let the server's user pass through it.
		chmod 711 "$T"
		chown postgres: "$PG_DIR"
		chmod 711 "$PG_DIR"
		runuser -u postgres -- test -w "$PG_DIR" ||
			skip_or_fail "PostgreSQL: user postgres cannot reach $PG_DIR (a parent of TMPDIR is closed to it)"
	fi

	at_exit pg_stop

	_pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -A trust -E UTF8 \
		--locale=C --no-sync --no-instructions >"$PG_SETUP_LOG" 2>&1 ||
		_pg_fail "initdb failed"
	cat >>"$PG_DATA/postgresql.conf" <<EOF

# tests/pg.sh: a throwaway cluster, quick to start, nothing durable.
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCK'
unix_socket_permissions = 0777
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 30
max_wal_senders = 0
wal_level = minimal
logging_collector = off
log_min_messages = warning
EOF

	# Another process may take the chosen port between the check and the
	# start: then pick another.
	started=
	for try in 1 2 3 4 5 6 7 8; do
		PG_PORT=$(free_port) || continue
		if _pg_ctl_start; then started=1; break; fi
		echo "pg.sh: try $try on port $PG_PORT failed" >>"$PG_SETUP_LOG"
		grep -q 'could not bind\|could not create listen socket' "$PG_LOG" ||
			break
	done
	[ -n "$started" ] || _pg_fail "the server did not start"

	unset PGHOSTADDR PGSERVICE PGSERVICEFILE PGOPTIONS PGPASSWORD PGPASSFILE \
		PGSSLMODE PGREQUIRESSL PGTARGETSESSIONATTRS PGCONNECT_TIMEOUT
	PGHOST=$PG_SOCK PGPORT=$PG_PORT PGUSER=$user PGDATABASE=gm
	GM_PG_CONNINFO="host=$PG_SOCK port=$PG_PORT user=$user dbname=gm"
	export PGHOST PGPORT PGUSER PGDATABASE GM_PG_CONNINFO

	"$PG_BIN/psql" -X -q -d postgres -v ON_ERROR_STOP=1 \
		-c 'create database gm' >>"$PG_SETUP_LOG" 2>&1 ||
		_pg_fail "cannot create database gm"
}

pg_stop() {
	local pid
	[ -f "$PG_DATA/postmaster.pid" ] || return 0
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop \
		>>"$PG_SETUP_LOG" 2>&1 && return 0
	_pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 stop \
		>>"$PG_SETUP_LOG" 2>&1 && return 0
	# Still there: end the postmaster this file started, by its pid.
	pid=$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null)
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	kill -KILL "$pid" 2>/dev/null
	return 1
}

pg_restart() {
	[ -f "$PG_DATA/PG_VERSION" ] && [ -n "$PG_PORT" ] || { fail "pg_restart before pg_start"; return 1; }
	pg_stop || { fail "pg_restart: the server did not stop"; return 1; }
	_pg_ctl_start || _pg_fail "the server did not start again on port $PG_PORT"
}

metrics_of_ndjson() {
	jq -r 'select(.type == "sales_metric") |
		[.metric_id, .window_start, .country, .category, .revenue, .transactions, .units,
		 .avg_order_value, .distinct_users] | @tsv' "$1" |
		awk -F'\t' -v OFS='\t' '{ $5 = sprintf("%.2f", $5); $8 = sprintf("%.2f", $8); print }' | sort
}

alerts_of_ndjson() {
	jq -r 'select(.type == "alert") | [.alert_id, .labels.reason, .labels.user_id, .summary] | @tsv' "$1" | sort
}

alerts_of_table() {
	psql -XAtq -F $'\t' -c "select alert_id, labels->>'reason', labels->>'user_id', summary from alerts" | sort
}

metrics_of_table() {
	psql -XAtq -F $'\t' -c "select metric_id,
		to_char(window_start at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),
		country, category, revenue, transactions, units, avg_order_value, distinct_users
		from sales_metrics" | sort
}

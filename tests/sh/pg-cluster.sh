#!/usr/bin/env bash
# pg-cluster: the throwaway PostgreSQL of tests/pg.sh starts, listens only
# where it should, takes rows through \copy, keeps them across a restart
# on the same port, and stops.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"

pg_start

expect_eq "select 1" "$(psql -X -Atc 'select 1')" 1
expect_eq "database" "$(psql -X -Atc 'select current_database()')" gm
case $PGHOST in "$T"/*) ok "socket folder in \$T" ;; *) fail "PGHOST $PGHOST is not under $T" ;; esac
expect_eq "conninfo alone" \
	"$(env -u PGHOST -u PGPORT -u PGUSER -u PGDATABASE psql -X -At -d "$GM_PG_CONNINFO" -c 'select 2')" 2
expect_eq "tcp on 127.0.0.1" "$(psql -X -At -h 127.0.0.1 -c 'select 3')" 3
expect_eq "listen_addresses" "$(psql -X -Atc 'show listen_addresses')" 127.0.0.1
expect_eq "fsync" "$(psql -X -Atc 'show fsync')" off

psql -X -q -v ON_ERROR_STOP=1 \
	-c 'create table t (id text primary key, amount numeric(16,2) not null)' ||
	fail "create table"
psql -X -q -v ON_ERROR_STOP=1 >"$T/copy.out" 2>&1 <<'SQL' || fail "\\copy: $(cat "$T/copy.out")"
\copy t from stdin
a	1.00
b	2.50
c	1000000000000.00
\.
SQL
expect_eq "rows after copy" "$(psql -X -Atc 'select count(*), sum(amount) from t')" "3|1000000000003.50"

port=$PGPORT
pg_restart
expect_eq "same port after restart" "$(psql -X -Atc 'show port')" "$port"
expect_eq "rows after restart" "$(psql -X -Atc 'select count(*) from t')" 3

pg_stop
if psql -X -Atc 'select 1' >/dev/null 2>&1; then fail "server still answers after pg_stop"; fi
[ ! -f "$PG_DATA/postmaster.pid" ] || fail "postmaster.pid left after pg_stop"

finish

# tests/helpers/mongo.sh: a MongoDB server for shell tests. Source it
# after tests/lib.sh, then:
#
#   mongo_start   exports GM_MONGO_URI, a mongodb:// URI whose database
#                 (gm_test_PID) is this test's own; mongo_stop runs at
#                 exit. When GM_TEST_MONGO_URI is set, that server (a real
#                 mongod) is used and nothing is started: its hosts,
#                 credentials and options are kept, its database replaced
#                 (give authSource in the options when the user is not
#                 defined in the test's database); the test's database
#                 is dropped first (the check that the server answers)
#                 and at exit. Otherwise CongoDB
#                 (tests/helpers/congodb.mjs, from $GM_CONGODB_DIR as
#                 scripts/install-deps installs it) starts in memory on a
#                 port of 127.0.0.1 the system picks, and is ready when
#                 this returns. If it cannot start: skip_or_fail.
#   mongo_stop    stops CongoDB (its data is gone) or drops the test's
#                 database on the real server; does nothing the second
#                 time.
#
# CongoDB's stderr is in $MONGO_LOG. Tests must not rely on the port.

GM_CONGODB_DIR=${GM_CONGODB_DIR:-/opt/gm/congodb}
MONGO_PID='' MONGO_DB=gm_test_$$ MONGO_REAL=''
MONGO_OUT=$T/mongo.out  # the server's stdout: its URI
MONGO_IN=$T/mongo.in    # its stdin: end of file stops it
MONGO_LOG=$T/mongo.log
_mongo_in_fd='' _mongo_out_fd=''

# _mongo_fail WHAT: shows the server's stderr, then skips or fails.
_mongo_fail() {
	if [ -s "$MONGO_LOG" ]; then
		echo "--- tail of $MONGO_LOG:" >&2
		tail -n 15 "$MONGO_LOG" >&2
	fi
	mongo_stop
	skip_or_fail "MongoDB: $*"
}

# _mongo_with_db URI DB: URI with its database (the path) set to DB.
# Hosts and credentials hold no '/' or '?' (the URI format has them
# percent-encoded), so the first of those ends them.
_mongo_with_db() {
	local scheme=${1%%://*} rest=${1#*://} hosts tail opts=
	hosts=${rest%%[/?]*}
	tail=${rest:${#hosts}}
	case $tail in *\?*) opts=?${tail#*\?} ;; esac
	printf '%s://%s/%s%s\n' "$scheme" "$hosts" "$2" "$opts"
}

mongo_start() {
	local line
	if [ -n "${GM_TEST_MONGO_URI:-}" ]; then
		case $GM_TEST_MONGO_URI in
		mongodb://* | mongodb+srv://*) ;;
		*) skip_or_fail "MongoDB: GM_TEST_MONGO_URI is not a mongodb:// URI" ;;
		esac
		GM_MONGO_URI=$(_mongo_with_db "$GM_TEST_MONGO_URI" "$MONGO_DB")
		export GM_MONGO_URI
		# Dropping the test's database first is the check that the
		# server answers, and leaves nothing of an earlier run.
		mongo-client "$GM_MONGO_URI" drop 2>"$MONGO_LOG" ||
			_mongo_fail "the server of GM_TEST_MONGO_URI did not answer"
		MONGO_REAL=1
		at_exit mongo_stop
		return 0
	fi
	command -v node >/dev/null || skip_or_fail "MongoDB: node is not installed (scripts/install-deps)"
	[ -f "$GM_CONGODB_DIR/congodb/index.js" ] ||
		skip_or_fail "MongoDB: no CongoDB in $GM_CONGODB_DIR (scripts/install-deps installs it)"
	rm -f "$MONGO_IN" "$MONGO_OUT"
	mkfifo "$MONGO_IN" "$MONGO_OUT" || skip_or_fail "MongoDB: mkfifo failed in $T"
	# Both FIFOs are held open read-write by this shell (as kafka.sh
	# does), so that opening them never blocks; the server does not
	# inherit them, and when this shell ends its stdin reaches end of
	# file and it stops, even after a kill -9 of the test.
	exec {_mongo_out_fd}<>"$MONGO_OUT" {_mongo_in_fd}<>"$MONGO_IN"
	node "$TESTS/helpers/congodb.mjs" "$GM_CONGODB_DIR" <"$MONGO_IN" >"$MONGO_OUT" \
		2>"$MONGO_LOG" {_mongo_out_fd}>&- {_mongo_in_fd}>&- &
	MONGO_PID=$!
	at_exit mongo_stop
	read -r -t 30 -u "$_mongo_out_fd" line ||
		_mongo_fail "CongoDB printed no URI within 30 s"
	case $line in
	mongodb://127.0.0.1:[0-9]*) ;;
	*) _mongo_fail "CongoDB printed [$line], not its URI" ;;
	esac
	GM_MONGO_URI=$line/$MONGO_DB
	export GM_MONGO_URI
}

mongo_stop() {
	if [ -n "$MONGO_REAL" ]; then
		MONGO_REAL=
		mongo-client "$GM_MONGO_URI" drop || echo "mongo_stop: could not drop $MONGO_DB" >&2
		return 0
	fi
	[ -n "$MONGO_PID" ] || return 0
	kill -TERM "$MONGO_PID" 2>/dev/null
	wait "$MONGO_PID" 2>/dev/null
	MONGO_PID=
	exec {_mongo_out_fd}>&- {_mongo_in_fd}>&-
	return 0
}

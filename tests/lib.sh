# tests/lib.sh: sourced by every shell test in tests/sh/.
# A test exits 0 (pass), 1 (fail) or 77 (skip: a server could not start
# and CI is not true; under CI=true that is a failure instead).
set -u
TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$TESTS/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
BIN=$BUILD/bin
HELPERS=$BUILD/tests
PATH=$BIN:$HELPERS:$PATH
export PATH BUILD TOP TESTS
# libmongoc, which every tool links, makes /dev/shm/mongoc-PID when it
# loads, before main(); a process killed with -9 leaves it, and a later
# one given the same pid prints the driver's warning on stderr, whatever
# it does (CI-27: a message compared whole). Tests run without it.
export MONGOC_DISABLE_SHM=1

T=$(mktemp -d "${TMPDIR:-/tmp}/gm-test.XXXXXX")
failures=0
_cleanups=()
at_exit() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" || true; done
	rm -rf "$T"
}
trap _run_cleanups EXIT

# fail MESSAGE: records a failure and goes on.
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# pass MESSAGE: for the log.
ok() { [ -n "${VERBOSE:-}" ] && echo "ok: $*" >&2; return 0; }

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got [$2], want [$3]"; fi
}
# expect_status WHAT WANT CMD...: runs CMD, compares its exit status.
expect_status() {
	local what=$1 want=$2; shift 2
	"$@"; local got=$?
	expect_eq "$what (exit status)" "$got" "$want"
}
# expect_same_file WHAT GOT WANT: byte comparison, diff on failure.
expect_same_file() {
	if cmp -s "$2" "$3"; then ok "$1"; else
		fail "$1: $2 differs from $3"; diff -u "$3" "$2" | head -20 >&2; fi
}
# expect_grep WHAT PATTERN FILE
expect_grep() {
	if grep -q -- "$2" "$3"; then ok "$1"; else
		fail "$1: no [$2] in $3:"; head -5 "$3" >&2; fi
}
# port_free PORT: true when nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# free_port: prints a port of 127.0.0.1 that nothing listens on now
# (for a server the test starts there, or one that is not there). It is
# below the ports Linux gives outgoing connections (ip_local_port_range):
# one of those may be held by a client's socket, or its TIME_WAIT, which
# tests running side by side leave by the hundred, and a server that
# binds without SO_REUSEADDR could not start there.
free_port() {
	local port lo=20000 hi=60000 eph_lo _
	read -r eph_lo _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || eph_lo=
	case $eph_lo in '' | *[!0-9]*) ;; *) [ "$eph_lo" -le $((lo + 5000)) ] || hi=$eph_lo ;; esac
	for _ in $(seq 100); do
		port=$((lo + RANDOM % (hi - lo)))
		port_free "$port" && { echo "$port"; return 0; }
	done
	return 1
}
# skip_or_fail MESSAGE: a server could not start.
skip_or_fail() {
	if [ "${CI:-}" = true ]; then echo "FAIL: $* (CI=true: a server that cannot start is a failure)" >&2; exit 1; fi
	echo "SKIP: $*" >&2; exit 77
}
# finish: ends the test with the right status.
finish() { [ "$failures" -eq 0 ] && exit 0 || exit 1; }

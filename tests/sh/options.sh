# The command line every tool shares (lib/cli.c): a bad option gets one
# message naming it as typed, under the tool's name, then the usage, and
# status 2; the input group's rules; values past their documented limits
# are refused, not quietly capped.
. "$(dirname "$0")/../lib.sh"

# usage_error WHAT WANT-MESSAGE CMD...: status 2, and the first line of
# stderr is the message, the second the usage.
usage_error() {
	local what=$1 want=$2; shift 2
	"$@" </dev/null >"$T/out" 2>"$T/err"
	expect_eq "$what: status" $? 2
	expect_eq "$what: message" "$(head -1 "$T/err")" "$want"
	expect_eq "$what: then the usage" "$(sed -n 2p "$T/err" | cut -c1-7)" "usage: "
	expect_eq "$what: nothing on stdout" "$(wc -c <"$T/out")" 0
}

usage_error "missing value, by full path" "gm-txmon: option -w needs a value" "$BIN/gm-txmon" -w
usage_error "missing value, long" "gm-txmon: option --window needs a value" gm-txmon --window
usage_error "missing value, abbreviated" "gm-txmon: option --window needs a value" gm-txmon --win
usage_error "ambiguous" "gm-txmon: ambiguous option --m" gm-txmon --m=3
usage_error "missing value, last in a cluster" "gm-txmon: option -w needs a value" gm-txmon -qw
usage_error "unknown short" "gm-txmon: unknown option -Z" gm-txmon -Z
usage_error "unknown short in a cluster" "gm-txmon: unknown option -Z" gm-txmon -qZ
usage_error "unknown long" "gm-txmon: unknown option --no-such-option" gm-txmon --no-such-option=3
usage_error "a value to a flag" "gm-txmon: option --quiet takes no value" gm-txmon --quiet=yes
usage_error "a value to a flag, abbreviated" "gm-txmon: option --quiet takes no value" gm-txmon --qui=yes
usage_error "gm-produce too" "gm-produce: option -n needs a value" gm-produce -n
usage_error "gm-produce unknown" "gm-produce: unknown option -G" gm-produce -G g

# The input group: -G and -e read Kafka, so they need -t; topics and
# files do not mix.
usage_error "-G without -t" "gm-txmon: -G goes with -t (Kafka input)" gm-txmon -G g /dev/null
usage_error "-e without -t" "gm-txmon: -e goes with -t (Kafka input)" gm-txmon -e /dev/null
usage_error "topics and files" "gm-txmon: read files or Kafka topics (-t), not both" gm-txmon -t x /dev/null
usage_error "gm-cat -G without -t" "gm-cat: -G goes with -t (Kafka input)" gm-cat -G g

# --idle is at most a day, as gm-txmon(1) says: 2d is refused, not
# capped at 1d.
usage_error "--idle 2d" "gm-txmon: --idle: at most 1d, got 2d" gm-txmon --idle 2d /dev/null
gm-txmon -q --idle 1d /dev/null </dev/null >"$T/out" 2>"$T/err"
expect_eq "--idle 1d: accepted" $? 0
# An output with a scheme gm does not write is refused as such, not
# opened as a file called "mongodb:"; what follows the scheme (it may
# hold a password) is not shown.
cd "$T"
gm-cat -o mongodb://u:secret@localhost/db /dev/null 2>"$T/err"
expect_eq "mongodb://: status" $? 2
expect_eq "mongodb://: message" "$(cat "$T/err")" \
	"gm-cat: output mongodb://...: not supported; gm writes files, -, kafka:, postgresql:// and pg:"
expect_eq "mongodb://: no file made" "$(ls -A "$T" | grep -c mongodb)" 0
gm-txmon -a s3+https://bucket/x /dev/null 2>"$T/err"
expect_eq "another scheme: status" $? 2
expect_grep "another scheme: message" "output s3+https://...: not supported" "$T/err"
gm-produce -n 1 -o sub/dir:x 2>"$T/err"
expect_eq "a path with a colon is still a path" $? 1
expect_grep "a path with a colon is still a path: message" "sub/dir:x: No such file or directory" "$T/err"
cd - >/dev/null
finish

# gm-notify silence add|list|expire, over a silences file: the ids
# added, the table listed, expiry by id or prefix, an unknown id, ten
# adds at once (all land, under the file's lock), bad matchers and
# options (usage errors, the file untouched), a damaged file (its
# file:line, status 1). GM_NOTIFY_NOW fixes the clock, so ids and times
# are the same in every run.
. "$(dirname "$0")/../lib.sh"
cd "$T" || exit 1

export USER=ops GM_NOTIFY_NOW=2026-11-24T10:00:00Z
at() { GM_NOTIFY_NOW=$1; }

# Three silences: the default hour, starting now; two days, by a
# named author, its matchers a list with a comment of two lines; and a
# pending one, between two times.
gm-notify silence add -s s.db -m "restock under way" kind=low_stock 'product_id=~"p-1.*"' >out 2>err
expect_eq "add: status" $? 0
expect_eq "add: the id" "$(cat out)" 61b6d790d0173cd2
expect_eq "add: nothing on stderr" "$(wc -c <err)" 0
gm-notify silence add -s s.db -d 2d -a 'Zoë' -m 'night
run' '{severity="info", source!="gm-txmon"}' >>out
gm-notify silence add -s s.db --start 2026-11-25T00:00:00Z --end 2026-11-25T06:00:00Z \
	country=UK >>out
expect_eq "add: three ids" "$(tr '\n' ' ' <out)" "61b6d790d0173cd2 138d4b57cbb1aa07 6514ada0d1ab4f86 "

cat >want <<'TXT'
ID                Matchers                               Starts At                 Ends At                   Created By  Comment
61b6d790d0173cd2  kind=low_stock product_id=~"p-1.*"     2026-11-24T10:00:00.000Z  2026-11-24T11:00:00.000Z  ops         restock under way
138d4b57cbb1aa07  {severity="info", source!="gm-txmon"}  2026-11-24T10:00:00.000Z  2026-11-26T10:00:00.000Z  Zoë         night\nrun
6514ada0d1ab4f86  country=UK                             2026-11-25T00:00:00.000Z  2026-11-25T06:00:00.000Z  ops
TXT
gm-notify silence list -s s.db >out 2>err
expect_eq "list: status" $? 0
expect_same_file "list: the table" out want
gm-notify silence list -s s.db -q >out
expect_eq "list -q: the ids" "$(tr '\n' ' ' <out)" "61b6d790d0173cd2 138d4b57cbb1aa07 6514ada0d1ab4f86 "

# Expired at 10:30 by prefixes: the active one ends then; the pending
# one starts and ends then. Listed, they are gone; with --all, there.
at 2026-11-24T10:30:00Z
gm-notify silence expire -s s.db 61b6 6514ada0 >out 2>err
expect_eq "expire by prefix: status" $? 0
expect_eq "expire: prints nothing" "$(wc -c <out; wc -c <err)" "0
0"
gm-notify silence list -s s.db -q >out
expect_eq "expired: not listed" "$(cat out)" 138d4b57cbb1aa07
cat >want <<'TXT'
ID                Matchers                               Starts At                 Ends At                   Created By  Comment
61b6d790d0173cd2  kind=low_stock product_id=~"p-1.*"     2026-11-24T10:00:00.000Z  2026-11-24T10:30:00.000Z  ops         restock under way
138d4b57cbb1aa07  {severity="info", source!="gm-txmon"}  2026-11-24T10:00:00.000Z  2026-11-26T10:00:00.000Z  Zoë         night\nrun
6514ada0d1ab4f86  country=UK                             2026-11-24T10:30:00.000Z  2026-11-24T10:30:00.000Z  ops
TXT
gm-notify silence list -s s.db --all >out
expect_same_file "list --all: the expired ones too" out want

# An unknown id, a prefix too short, and one that is not an id are
# each named; the good one among them is still expired.
at 2026-11-25T10:00:00Z
gm-notify silence expire -s s.db 0000 138d 12 nope >out 2>err
expect_eq "unknown ids: status" $? 1
cat >want <<'TXT'
gm-notify: silence 0000: no such silence (an id, or a prefix of 4 digits or more that one silence alone has)
gm-notify: silence 12: no such silence (an id, or a prefix of 4 digits or more that one silence alone has)
gm-notify: silence nope: no such silence (an id, or a prefix of 4 digits or more that one silence alone has)
TXT
expect_same_file "unknown ids: each named" err want
gm-notify silence list -s s.db -q >out
expect_eq "unknown ids: the known one expired" "$(wc -c <out)" 0
gm-notify silence list -s s.db --all -q >out
expect_eq "unknown ids: all still there" "$(tr '\n' ' ' <out)" \
	"61b6d790d0173cd2 138d4b57cbb1aa07 6514ada0d1ab4f86 "
gm-notify silence expire -s s.db 138d4b57cbb1aa07 2>err
expect_eq "expiring an expired one: status" $? 0

# Five days (Alertmanager's retention) after their end, the next
# change forgets them; until then --all lists them.
at 2026-11-29T10:29:59Z
gm-notify silence list -s s.db --all -q >out
expect_eq "before the retention: kept" "$(wc -l <out)" 3
at 2026-11-29T10:30:00Z
gm-notify silence add -s s.db -d 10m kind=anomaly >out
expect_eq "a change forgets those ended 5 days ago" \
	"$(gm-notify silence list -s s.db --all -q | tr '\n' ' ')" \
	"138d4b57cbb1aa07 $(cat out) "

# Ten adds at once: each gets its own id, and all ten are in the file.
at 2026-11-24T10:00:00Z
pids=()
for i in $(seq 10); do
	gm-notify silence add -s many.db -m "add $i" "user_id=u$i" >"add.id.$i" 2>"add.err.$i" &
	pids+=($!)
done
bad=0
for pid in "${pids[@]}"; do wait "$pid" || bad=$((bad + 1)); done
expect_eq "ten at once: all succeed" "$bad" 0
expect_eq "ten at once: nothing on stderr" "$(cat add.err.* | wc -c)" 0
expect_eq "ten at once: ten different ids" "$(cat add.id.* | sort -u | wc -l)" 10
gm-notify silence list -s many.db -q | sort >got
cat add.id.* | sort >want
expect_same_file "ten at once: all ten listed" got want
expect_eq "ten at once: the table" "$(gm-notify silence list -s many.db | grep -c ' add [0-9]*$')" 10

# Bad matchers and options: a usage error naming what is wrong, the
# file untouched.
cp s.db before
usage_add='usage: gm-notify silence add -s FILE [-d DURATION | --end TIME] [--start TIME]
           [-a AUTHOR] [-m COMMENT] MATCHER...'
bad_add() { # WHAT WANT-MESSAGES ARG...
	local what=$1 want=$2; shift 2
	gm-notify silence add "$@" >out 2>err
	expect_eq "$what: status" $? 2
	expect_eq "$what: the message" "$(cat err)" "$want
$usage_add"
	expect_eq "$what: nothing on stdout" "$(wc -c <out)" 0
	expect_same_file "$what: the file untouched" s.db before
}
bad_add "bad matchers" 'gm-notify: matchers: "kind low_stock": expected NAME OP VALUE, OP one of = != =~ !~
gm-notify: matchers: regex "\d": a backslash before a letter or digit (write classes such as [0-9] or [[:space:]]) is not POSIX extended regex syntax' \
	-s s.db 'kind low_stock' 'product_id=~"\d"'
bad_add "a bad list of matchers" 'gm-notify: matchers: "{a="b", c}": expected NAME OP VALUE, OP one of = != =~ !~' \
	-s s.db '{a="b", c}'
bad_add "no matcher" "gm-notify: a silence needs at least one matcher" -s s.db
bad_add "a zero duration" "gm-notify: a silence must end after it starts" -s s.db -d 0 a=b
bad_add "an end before the start" "gm-notify: a silence must end after it starts" \
	-s s.db --start 2026-11-24T12:00:00Z --end 2026-11-24T11:00:00Z a=b
bad_add "an end in the past" \
	"gm-notify: the silence would end at 2026-11-24T09:00:00.000Z, before now" \
	-s s.db --start 2026-11-24T08:00:00Z --end 2026-11-24T09:00:00Z a=b
bad_add "a bad duration" \
	"gm-notify: -d: expected a duration such as 30m, 2h, 1d or 1h30m, got 2x" -s s.db -d 2x a=b
bad_add "a bad time" \
	"gm-notify: --start: expected an RFC 3339 time such as 2026-11-24T10:00:00Z, got tomorrow" \
	-s s.db --start tomorrow a=b
bad_add "-d and --end" "gm-notify: -d and --end do not go together" \
	-s s.db -d 1h --end 2026-11-25T00:00:00Z a=b
bad_add "no file" "gm-notify: -s FILE is needed" a=b
bad_add "an option of list" "gm-notify: unknown option --all" -s s.db --all a=b

usage_list="usage: gm-notify silence list -s FILE [--all] [-q]"
usage_expire="usage: gm-notify silence expire -s FILE ID..."
gm-notify silence list -s s.db extra >out 2>err
expect_eq "list: an argument: status" $? 2
expect_eq "list: an argument: message" "$(cat err)" "gm-notify: unexpected argument extra
$usage_list"
gm-notify silence expire -s s.db >out 2>err
expect_eq "expire: no id: status" $? 2
expect_eq "expire: no id: message" "$(cat err)" "gm-notify: an ID is needed
$usage_expire"
gm-notify silence >out 2>err
expect_eq "no command: status" $? 2
expect_eq "no command: message" "$(head -1 err)" "gm-notify: silence: add, list or expire is needed"
gm-notify silence remove x >out 2>err
expect_eq "unknown command: status" $? 2
expect_eq "unknown command: message" "$(head -1 err)" \
	"gm-notify: silence: unknown command remove (add, list or expire)"

# --help: the command's usage on stdout, status 0.
expect_eq "silence --help" "$(gm-notify silence --help)" "$usage_add
       gm-notify silence list -s FILE [--all] [-q]
       gm-notify silence expire -s FILE ID..."
expect_eq "add --help" "$(gm-notify silence add --help)" "$usage_add"
expect_eq "list --help" "$(gm-notify silence list -h)" "$usage_list"
expect_eq "expire --help" "$(gm-notify silence expire --help)" "$usage_expire"

# A damaged file: its file:line and status 1, for every command; a
# change leaves it as it was.
{ printf 'gm-notify-silences\t1\n'; sed -n 2p s.db; printf 'silence\tnot-an-id\t1\t2\t0\ta\tb\tx=y\n'; } >bad.db
cp bad.db bad.before
want="gm-notify: bad.db:3: expected: silence ID START END CREATED AUTHOR COMMENT MATCHER..."
gm-notify silence list -s bad.db >out 2>err
expect_eq "damaged: list: status" $? 1
expect_eq "damaged: list: message" "$(cat err)" "$want"
expect_eq "damaged: list: nothing on stdout" "$(wc -c <out)" 0
gm-notify silence add -s bad.db a=b >out 2>err
expect_eq "damaged: add: status" $? 1
expect_eq "damaged: add: message" "$(cat err)" "$want"
expect_eq "damaged: add: no id" "$(wc -c <out)" 0
gm-notify silence expire -s bad.db 138d >out 2>err
expect_eq "damaged: expire: status" $? 1
expect_eq "damaged: expire: message" "$(cat err)" "$want"
expect_same_file "damaged: the file untouched" bad.db bad.before
{ printf 'gm-notify-silences\t1\n'; printf 'silence\t0123456789abcdef\t1\t2\t0\ta\tb\tkind low\n'; } >bad.db
gm-notify silence list -s bad.db >out 2>err
expect_eq "a bad matcher in the file: status" $? 1
expect_eq "a bad matcher in the file: message" "$(cat err)" \
	'gm-notify: bad.db:2: matchers: "kind low": expected NAME OP VALUE, OP one of = != =~ !~'
echo '{"not": "silences"}' >bad.db
gm-notify silence list -s bad.db >out 2>err
expect_eq "another kind of file: status" $? 1
expect_eq "another kind of file: message" "$(cat err)" \
	"gm-notify: bad.db:1: not a gm-notify-silences file of version 1"

# No file yet: nothing to list; a directory that is not there cannot
# hold one.
expect_eq "no file: the header alone" "$(gm-notify silence list -s none.db)" \
	"ID  Matchers  Starts At  Ends At  Created By  Comment"
gm-notify silence add -s no/such/dir/s.db a=b >out 2>err
expect_eq "no directory: status" $? 1
expect_eq "no directory: message" "$(cat err)" \
	"gm-notify: no/such/dir/s.db.lock: cannot lock: No such file or directory"
finish

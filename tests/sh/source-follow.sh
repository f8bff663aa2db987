# Following files (lib/source, gm-cat -f), as tail -F: lines come as
# they are written, a line written in pieces comes whole, a truncated
# file is read again from its start, a rotated one is finished before
# its new file is read, a file made later is waited for, several files
# are read in turn, and a signal ends it all with status 0 and the
# summary. gm-cat writes its output out when its input idles, which is
# what each step waits for.
. "$(dirname "$0")/../lib.sh"

good='{"type":"product_view","event_id":"e%d","ts":"2026-11-24T10:00:00.000Z","user_id":"u1","session_id":"s1","product_id":"p1","category":"books","country":"UK","duration_ms":5}'
ev() { printf "$good" "$1"; }

# wait_lines FILE N: until FILE has N lines (or 20 s, a failure then:
# the test must not hang on a bug).
wait_lines() {
	local i
	for ((i = 0; i < 400; i++)); do
		[ "$(grep -c '' "$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "$1: waited for $2 lines, has $(grep -c '' "$1" 2>/dev/null)"
}
# wait_grep FILE PATTERN N: until FILE has N lines matching PATTERN.
wait_grep() {
	local i
	for ((i = 0; i < 400; i++)); do
		[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
		sleep 0.05
	done
	fail "$1: waited for $3 lines of [$2]"
}
# stop PID: SIGTERM, and its exit status must be 0.
stop() {
	kill -TERM "$1"
	wait "$1"
	expect_eq "SIGTERM ends it: exit status" $? 0
}
# The messages, yajl's words and the run's time aside.
messages() { sed -e 's/: invalid JSON .*/: invalid JSON/' -e 's/, [0-9.]* s, .*//' "$1"; }

cd "$T" || exit 1

# 1. Three files: a (a record and a bad line), b (empty), c (not there).
{ ev 1; printf '\nnot json 1\n'; } >a
: >b
gm-cat -f a b c >out 2>err &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_lines out 1
wait_grep err 'c: warning' 1

# A line written in pieces comes whole: half of e2 in a, then e3 in b;
# once e3 is out, a was read to its end with the half in it.
ev 2 | head -c 50 >>a
{ ev 3; echo; } >>b
wait_lines out 2
ev 2 | tail -c +51 >>a
echo >>a
wait_lines out 3
# Line numbers go on as the file grows.
echo 'not json 4' >>a
wait_grep err 'a:4:' 1

# Truncated: read again from its start, lines counted from 1.
: >a
wait_grep err 'a: warning: file truncated' 1
{ ev 4; printf '\nnot json 2\n'; } >>a
wait_lines out 4
wait_grep err 'a:2:' 2

# Made later: c is read once it is there.
{ ev 5; echo; } >c
wait_lines out 5

# Rotated: what goes on in the old file (a last line without its
# newline too) comes before the new file, whose lines count from 1.
mv a a.1
ev 6 >>a.1
{ ev 7; printf '\nnot json 2\n'; } >a
wait_lines out 7
wait_grep err 'a:2:' 3
stop $pid

for i in 1 3 2 4 5 6 7; do ev $i; echo; done >want
expect_same_file "followed records, in the order written" out want
cat >want.err <<'EOF'
gm-cat: a:2: invalid JSON
gm-cat: c: warning: No such file or directory: waiting for it
gm-cat: a:4: invalid JSON
gm-cat: a: warning: file truncated
gm-cat: a:2: invalid JSON
gm-cat: a:2: invalid JSON
gm-cat: 11 in, 7 out, 4 rejected, 0 late
EOF
messages err >got.err
expect_same_file "messages: file:line true after growth, truncation, rotation" got.err want.err

# 2. A too-long line written in pieces is one reject, whole, though
#    another file's bad line comes meanwhile.
: >long
printf 'not json 1\n' >other
rm -f out err   # the waits must see this run's files, not the last step's
gm-cat -f --max-line 300 --rejects rej long other >out 2>err &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_grep err 'other:1:' 1
head -c 400 /dev/zero | tr '\0' x >>long
printf 'not json 2\n' >>other
printf 'yyy\n' >>long
{ ev 8; echo; } >>long
wait_lines out 1
wait_grep err 'other:2:' 1
stop $pid
{ echo 'not json 1'; head -c 400 /dev/zero | tr '\0' x; echo yyy; echo 'not json 2'; } >want.rej
# The long line and other's second line come in either order.
expect_eq "rejects: each whole" "$(sort rej | md5sum)" "$(sort want.rej | md5sum)"
expect_grep "the long line, reported" 'long:1: line of 403 bytes is longer than --max-line 300' err

# 3. stdin, a regular file: followed, truncation too, under the name stdin.
{ ev 1; echo; } >s
rm -f out err   # the waits must see this run's files, not the last step's
gm-cat -f <s >out 2>err &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_lines out 1
: >s
wait_grep err 'stdin: warning: file truncated' 1
{ ev 2; printf '\nnot json\n'; } >>s
wait_lines out 2
wait_grep err 'stdin:2:' 1
stop $pid
{ ev 1; echo; ev 2; echo; } >want
expect_same_file "stdin followed" out want
printf 'gm-cat: stdin: warning: file truncated\ngm-cat: stdin:2: invalid JSON\ngm-cat: 3 in, 2 out, 1 rejected, 0 late\n' >want.err
messages err >got.err
expect_same_file "stdin followed: messages" got.err want.err

# 4. stdin, a pipe: it ends when its writer closes it, the run with it;
#    a pause in it is an idle time that changes nothing.
{ ev 1; echo; sleep 0.7; ev 2; echo; } | gm-cat -f >out 2>err
expect_eq "a pipe ends: exit status" $? 0
{ ev 1; echo; ev 2; echo; } >want
expect_same_file "a pipe ends: output" out want
expect_eq "a pipe ends: summary" "$(messages err)" "gm-cat: 2 in, 2 out, 0 rejected, 0 late"

# 5. A file that is there but cannot be read fails the run; the others
#    are followed all the same.
mkdir dir
{ ev 1; echo; } >f
rm -f out err   # the waits must see this run's files, not the last step's
gm-cat -f dir f >out 2>err &
pid=$!
at_exit "kill $pid 2>/dev/null"
wait_lines err 1
wait_lines out 1
kill -TERM $pid
wait $pid
expect_eq "a directory: exit status" $? 1

finish

# gzip input, known by its magic bytes (libgm's reader): a tool reads a
# .gz file, on its command line or on stdin, as the plain file, with
# the same messages at the same file:line, the same rejects (a bad
# record, a CRLF line, a too-long line, a last line without newline);
# members one after the other read as their concatenation. A stream cut
# short gives the lines before the cut, then its message and status 1.
# A followed gzip file is refused.
. "$(dirname "$0")/../lib.sh"
command -v gzip >/dev/null || { echo "gzip not found" >&2; exit 77; }

good='{"type":"product_view","event_id":"e%d","ts":"2026-11-24T10:00:00.000Z","user_id":"u1","session_id":"s1","product_id":"p1","category":"books","country":"UK","duration_ms":5}'
in=$T/in.ndjson
{
	for i in $(seq 1 2000); do printf "$good\n" "$i"; done
	printf '{"type":"transaction","transaction_id":"t1"\n'
	printf "$good\r\n" 2001
	printf '{"type":"huge","pad":"'; head -c 300000 /dev/zero | tr '\0' x; printf '"}\n'
	for i in $(seq 2002 4000); do printf "$good\n" "$i"; done
	printf "$good" 4001
} >"$in"
gzip -c "$in" >"$T/in.gz"

# gm-cat FILE NAME: reads FILE (or stdin, for "-"), NAME.out,
# NAME.rej, NAME.err (messages, the file's name made IN), NAME.status.
run_cat() {
	local file=$1 name=$T/$2
	if [ "$file" = - ]; then
		gm-cat --max-line 100000 --rejects "$name.rej" -o "$name.out" <"$3" 2>"$name.err.raw"
	else
		gm-cat --max-line 100000 --rejects "$name.rej" -o "$name.out" "$file" 2>"$name.err.raw"
	fi
	echo $? >"$name.status"
	grep -v '^gm-cat: [0-9]* in,' "$name.err.raw" | sed "s|$file:|IN:|; s|stdin:|IN:|" >"$name.err"
}
run_cat "$in" plain
expect_eq "plain: exit status" "$(cat "$T/plain.status")" 0
expect_eq "plain: records out" "$(wc -l <"$T/plain.out")" 4001
expect_eq "plain: messages" "$(cat "$T/plain.err")" \
	"gm-cat: IN:2001: invalid JSON at column 44: the record ends before its value is complete
gm-cat: IN:2003: line of 300024 bytes is longer than --max-line 100000"

run_cat "$T/in.gz" gz
expect_eq "gzip: exit status" "$(cat "$T/gz.status")" 0
expect_same_file "gzip: the same records" "$T/gz.out" "$T/plain.out"
expect_same_file "gzip: the same messages at the same lines" "$T/gz.err" "$T/plain.err"
expect_same_file "gzip: the same rejects" "$T/gz.rej" "$T/plain.rej"
expect_grep "gzip: summary" "gm-cat: 4003 in, 4001 out, 2 rejected" "$T/gz.err.raw"

run_cat - stdin "$T/in.gz"
expect_eq "gzip on stdin: exit status" "$(cat "$T/stdin.status")" 0
expect_same_file "gzip on stdin: the same records" "$T/stdin.out" "$T/plain.out"
expect_same_file "gzip on stdin: the same messages" "$T/stdin.err" "$T/plain.err"
gzip -c "$in" | gm-cat -q --max-line 100000 -o "$T/pipe.out" 2>/dev/null
expect_same_file "gzip from a pipe: the same records" "$T/pipe.out" "$T/plain.out"

# Its name is not what makes it gzip.
cp "$T/in.gz" "$T/named.ndjson"
gm-cat -q --max-line 100000 -o "$T/named.out" "$T/named.ndjson" 2>/dev/null
expect_same_file "gzip named .ndjson" "$T/named.out" "$T/plain.out"

# Two members, the cut inside a line: read as one file, as zcat does.
head -c 500000 "$in" | gzip -c >"$T/multi.gz"
tail -c +500001 "$in" | gzip -c >>"$T/multi.gz"
run_cat "$T/multi.gz" multi
expect_eq "two members: exit status" "$(cat "$T/multi.status")" 0
expect_same_file "two members: the same records" "$T/multi.out" "$T/plain.out"
expect_same_file "two members: the same messages" "$T/multi.err" "$T/plain.err"

# Cut short: the lines before the cut come through, then the message
# that says how many, status 1.
head -c $(($(wc -c <"$T/in.gz") / 4)) "$T/in.gz" >"$T/cut.gz"
gm-cat -o "$T/cut.out" "$T/cut.gz" 2>"$T/cut.err"
expect_eq "cut short: exit status" $? 1
n=$(wc -l <"$T/cut.out")
expect_eq "cut short: some lines first" "$([ "$n" -gt 100 ] && [ "$n" -lt 2000 ] && echo yes)" yes
expect_eq "cut short: the message" "$(grep gzip "$T/cut.err")" \
	"gm-cat: $T/cut.gz: gzip: unexpected end of file (after $n lines)"
expect_same_file "cut short: those lines whole" "$T/cut.out" <(head -n "$n" "$T/plain.out")

# Following a gzip file is refused at once, status 1.
timeout 20 gm-cat -f -o "$T/follow.out" "$T/in.gz" 2>"$T/follow.err"
expect_eq "follow: exit status" $? 1
expect_eq "follow: the message" "$(grep gzip "$T/follow.err")" \
	"gm-cat: $T/in.gz: gzip: a compressed file cannot be followed"

# A stream tool reads it the same: gm-txmon's golden windows.
gzip -c "$TESTS/golden/txmon-windows.ndjson" >"$T/windows.gz"
gm-txmon -q "$T/windows.gz" >"$T/txmon.out" 2>/dev/null
expect_same_file "gm-txmon over gzip: the golden windows" "$T/txmon.out" "$TESTS/golden/txmon-windows.out"
finish

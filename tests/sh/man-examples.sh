# The figures and records the pages show are what the tools write: each
# example marked in a page is run, and what the page says it prints is
# compared with what it printed.
#
# A marked block is a ".Bd -literal" display right after a roff comment
#   .\" check: KIND ARGS...
# with KIND one of
#   run NAME            the block is a shell command; it is run (with the
#                       build's tools first on PATH, in one scratch folder
#                       for all runs, in page order: gm-produce.1, then
#                       gm-txmon.1) and must exit 0
#   stdout NAME         the block is all that run NAME printed
#   head NAME           the block is the first lines run NAME printed
#   summary NAME        the block is the closing summary line(s) run NAME
#                       printed on standard error; the time and the rate,
#                       its last two fields, are not compared
#   records NAME FILE...
#                       each line of the block is a whole line of one of
#                       the FILEs as run NAME left them
# Checks are made right after their run, before the next one. Only the
# escapes \e, \&, \- and \(dq may appear in a marked block.
#
# When the tools' output changes on purpose, update the pages with
#   bash tests/sh/man-examples.sh --update
# (BUILD=build by default), which rewrites every block that differs with
# what the run printed (a summary keeps the page's time and rate; a
# record is replaced by the record with the same id, its first field
# after "type"), then read `git diff man/` before committing.
. "$(dirname "$0")/../lib.sh"

update=false
[ "${1:-}" = --update ] && update=true
pages="gm-produce.1 gm-txmon.1 gm-events.5 gm-session.1 gm-inventory.1 gm-notify.1 gm-etl.1 gm-rfm.1 gm-warehouse.5"
W=$T/work B=$T/blocks R=$T/runs
mkdir -p "$W" "$B" "$R"
ln -s "$TOP/tests" "$W/tests"
export LC_ALL=C
unset GM_BROKERS

# extract PAGE: block i of man/PAGE goes to $B/PAGE.i, its marker to a
# line "PAGE i LINE KIND ARGS..." of $B/index, LINE that of its .Bd.
# Fails on a marker without its block, a macro inside one, or an escape
# the comparison does not know.
extract() {
	awk -v page="$1" -v dir="$B" '
	function unescape(s,   out, i, c, n) {
		out = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (c != "\\") { out = out c; continue }
			n = substr(s, i + 1, 1)
			if (n == "e") { out = out "\\"; i++ }
			else if (n == "&") i++
			else if (n == "-") { out = out "-"; i++ }
			else if (substr(s, i + 1, 3) == "(dq") { out = out "\""; i += 3 }
			else { bad = "unknown escape \\" n; return "" }
		}
		return out
	}
	function die(what) { print page ":" NR ": " what > "/dev/stderr"; err = 1; exit 1 }
	/^\.\\" check: / { if (want) die("marker without its block"); spec = substr($0, 12); want = 1; next }
	want && /^\.Bd -literal/ { n++; file = dir "/" page "." n; printf "" > file
		print page, n, NR, spec >> (dir "/index"); inblk = 1; want = 0; next }
	want { die("a check: marker is not followed by .Bd -literal") }
	inblk && /^\.Ed/ { inblk = 0; close(file); next }
	inblk && /^[.\047]/ { die("a macro inside a marked block") }
	inblk { line = unescape($0); if (bad != "") die(bad); print line >> file }
	END { if (!err && (want || inblk)) die("a marked block does not end") }
	' "$TOP/man/$1" || fail "$1: the marked blocks cannot be read"
}

# escape FILE: a block's text as roff source for a .Bd -literal display.
escape() { sed 's/\\/\\e/g; s/^[.'\'']/\\\&&/' "$1"; }

# The summary line without its time and rate.
counts() { sed -E 's/, [0-9.]+ s, [0-9.]+[kMG]?\/s$//'; }

# check PAGE I LINE KIND NAME ARGS...: compares block I of PAGE, at
# LINE, with run NAME; leaves in $B/PAGE.I.want what the block should be.
check() {
	local page=$1 i=$2 at=$3 kind=$4 name=$5 blk=$B/$1.$2 want=$B/$1.$2.want
	shift 5
	case $kind in
	stdout) cp "$R/$name.out" "$want" ;;
	head) head -n "$(wc -l <"$blk")" "$R/$name.out" >"$want" ;;
	summary)
		: >"$want"
		local line tool got
		while IFS= read -r line; do
			tool=${line%%:*}
			got=$(grep "^$tool: .* in, " "$R/$name.err" | tail -1 | counts)
			[ -n "$got" ] || got="(no summary of $tool)"
			printf '%s%s\n' "$got" "${line#"$(printf '%s' "$line" | counts)"}" >>"$want"
		done <"$blk" ;;
	records)
		: >"$want"
		local line id f found
		while IFS= read -r line; do
			# The record's id: "type", then its id field, come first.
			id=$(printf '%s\n' "$line" | grep -o '^{"type":"[^"]*","[a-z_]*":"[^"]*",')
			found=
			for f in "$@"; do
				if grep -Fxq -- "$line" "$W/$f"; then found=$line; break; fi
				[ -n "$id" ] && found=$(grep -F -- "$id" "$W/$f" | awk -v id="$id" 'index($0, id) == 1 { print; exit }')
				[ -n "$found" ] && break
			done
			printf '%s\n' "${found:-(no record $id in $*)}" >>"$want"
		done <"$blk" ;;
	*) fail "man/$page:$at: unknown check: $kind"; return ;;
	esac
	if cmp -s "$blk" "$want"; then
		ok "$page: $kind $name"
	else
		fail "man/$page:$at: the block ($kind $name) is not what the run printed:"
		diff -u --label "man/$page" --label "run $name" "$blk" "$want" | head -20 >&2
	fi
}

# replace PAGE: writes the blocks' wanted text into the page.
replace() {
	local page=$1 i
	for i in $(awk -v p="$page" '$1 == p { print $2 }' "$B/index"); do
		[ -f "$B/$page.$i.want" ] || continue
		if grep -q '^(no ' "$B/$page.$i.want"; then
			echo "man-examples: man/$page: block $i left as it is:" >&2
			grep '^(no ' "$B/$page.$i.want" >&2
			continue
		fi
		escape "$B/$page.$i.want" >"$B/$page.$i.new"
	done
	awk -v dir="$B" -v page="$page" '
	/^\.\\" check: / { want = 1; print; next }
	want && /^\.Bd -literal/ { n++; want = 0; print
		file = dir "/" page "." n ".new"
		if ((getline l < file) > 0) { print l; while ((getline l < file) > 0) print l; skip = 1 }
		next }
	skip && /^\.Ed/ { skip = 0 }
	skip { next }
	{ print }
	' "$TOP/man/$page" >"$B/$page.updated" && cat "$B/$page.updated" >"$TOP/man/$page"
}

for page in $pages; do extract "$page"; done
[ -f "$B/index" ] || { fail "no page has a checked example"; finish; }
for page in gm-produce.1 gm-txmon.1; do
	grep -v "^$page [0-9]* [0-9]* run " "$B/index" | grep -q "^$page " ||
		fail "man/$page: its EXAMPLES show no checked output"
done

# Every check names a run, every run has a check.
runs=$(awk '$4 == "run" { print $5 }' "$B/index")
awk '$4 != "run" { print $5 }' "$B/index" | sort -u | while read -r name; do
	grep -qx -- "$name" <<<"$runs" || echo "$name"
done >"$T/unknown"
[ -s "$T/unknown" ] && fail "checks of runs no page has: $(tr '\n' ' ' <"$T/unknown")"
for name in $runs; do
	awk -v n="$name" '$4 != "run" && $5 == n { f = 1 } END { exit !f }' "$B/index" ||
		fail "run $name: nothing it prints is checked"
done

while read -r page i at kind name _; do
	[ "$kind" = run ] || continue
	(cd "$W" && bash -o pipefail -c "$(cat "$B/$page.$i")") </dev/null >"$R/$name.out" 2>"$R/$name.err"
	st=$?
	expect_eq "man/$page:$at: run $name: exit status" "$st" 0
	[ "$st" -eq 0 ] || sed 's/^/    /' "$R/$name.err" | head -5 >&2
	while read -r cpage ci cline ckind cname args; do
		if [ "$ckind" = run ] || [ "$cname" != "$name" ]; then continue; fi
		# shellcheck disable=SC2086 # the file names of a records check
		check "$cpage" "$ci" "$cline" "$ckind" "$cname" $args
	done <"$B/index"
done <"$B/index"

if $update; then
	for page in $pages; do replace "$page"; done
	echo "man-examples: pages updated from the runs; see git diff man/" >&2
	exit 0
fi
finish

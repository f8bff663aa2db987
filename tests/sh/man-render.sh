# The pages render as meant: mdoc's quoting macros closed where the text
# says (a ".Pq Qq ..." or ".Sq - No ..." that swallows its neighbours
# rendered as ("amount, "burst, "country""") in gm-events(5) and as
# (‘- for standard output’) in gm(7)). mandoc -Tlint does not see these:
# a quoted span here is a word or a character, never a phrase, and no
# two double quotes meet.
. "$(dirname "$0")/../lib.sh"
command -v mandoc >/dev/null || skip_or_fail "mandoc is not installed"
command -v col >/dev/null || skip_or_fail "col is not installed"

for p in "$TOP"/man/*.[1-9]; do
	mandoc -Tutf8 "$p" | col -b >"$T/page"
	grep -n "‘[^’]* [^’]*’" "$T/page" >"$T/sq" && fail "${p##*/}: a single quote around a phrase: $(head -1 "$T/sq")"
	grep -n '""' "$T/page" >"$T/dq" && fail "${p##*/}: two double quotes meet: $(head -1 "$T/dq")"
done
finish

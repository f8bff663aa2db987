# Every tool has a page, and the page's SYNOPSIS says what --help says:
# the same words in the same order (line breaks and spacing aside).
. "$(dirname "$0")/../lib.sh"

words() { tr -s ' \t\n' '\n' | grep -v '^$' | tr '\n' ' '; }

for dir in "$TOP"/gm-*/; do
	tool=$(basename "$dir")
	page=$TOP/man/$tool.1
	if [ ! -f "$page" ]; then
		fail "$tool has no man/$tool.1"
		continue
	fi
	help=$("$tool" --help | sed '1s/^usage: //' | words)
	synopsis=$(MANWIDTH=200 mandoc -T ascii "$page" | col -b |
		sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' | sed '1d;$d' | words)
	expect_eq "$tool: SYNOPSIS matches --help" "$synopsis" "$help"
done
finish

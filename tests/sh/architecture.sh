# The architecture picture, man/gm-architecture.dot: Graphviz draws it
# without a warning; the Makefile's rule makes its SVG and PNG; and it
# names what the suite is made of, so that a tool, a topic or a table
# added later without a place in it fails here: every tool of the
# Makefile's TOOLS (every gm-*/ folder), every default Kafka topic and
# every table of the record descriptors (lib/rtype.c), and gm-report,
# drawn as to come until its folder exists.
. "$(dirname "$0")/../lib.sh"
command -v dot >/dev/null || skip_or_fail "dot is not installed (scripts/install-deps: graphviz)"
src=$TOP/man/gm-architecture.dot

# Drawn, with nothing said on standard error.
for fmt in svg png; do
	dot -T$fmt -o "$T/pic.$fmt" "$src" 2>"$T/err.$fmt"
	expect_eq "dot -T$fmt (exit status)" "$?" 0
	expect_eq "dot -T$fmt: standard error" "$(cat "$T/err.$fmt")" ""
done

# The Makefile's rule, into a build folder of the test's own.
make -s -C "$TOP" BUILD="$T/build" "$T/build/gm-architecture.svg" "$T/build/gm-architecture.png" \
	>"$T/make.out" 2>&1
expect_eq "make the picture (exit status)" "$?" 0
expect_same_file "make's SVG" "$T/build/gm-architecture.svg" "$T/pic.svg"
expect_eq "make's PNG: a PNG" "$(head -c 8 "$T/build/gm-architecture.png" | od -An -tx1 | tr -d ' \n')" \
	89504e470d0a1a0a
ls "$T"/build/*.tmp >/dev/null 2>&1 && fail "make left a temporary file: $(ls "$T"/build/*.tmp)"

# The SVG's nodes, one line each: the node's name, a tab, and its
# label's lines joined by "|", entities decoded.
awk '/^<g id="node[0-9]+" class="node">$/ { n = 1; title = ""; text = ""; next }
	n && /^<title>/ { sub(/^<title>/, ""); sub(/<\/title>$/, ""); title = $0; next }
	n && /^<text / { sub(/^<text [^>]*>/, ""); sub(/<\/text>$/, ""); text = text (text == "" ? "" : "|") $0; next }
	n && /^<\/g>$/ { print title "\t" text; n = 0 }' "$T/pic.svg" |
	sed 's/&#45;/-/g; s/&lt;/</g; s/&gt;/>/g; s/&quot;/"/g; s/&amp;/\&/g' >"$T/nodes"
expect_eq "nodes in the picture" "$(($(wc -l <"$T/nodes") > 40))" 1

# has_node NAME FIRST: a node NAME whose label's first line is FIRST.
has_node() {
	awk -F'\t' -v name="$1" -v first="$2" \
		'$1 == name && ($2 == first || index($2, first "|") == 1) { found = 1 } END { exit !found }' "$T/nodes"
}

tools=0
for d in "$TOP"/gm-*/; do
	t=${d%/}
	t=${t##*/}
	tools=$((tools + 1))
	has_node "$t" "$t" || fail "tool $t: no node $t labelled $t"
done
expect_eq "tools (gm-*/ folders) at least" "$((tools >= 8))" 1

# gm-report is drawn before it is built, and says so until its folder
# is there; then the loop above finds it, and it must no longer say so.
has_node gm-report gm-report || fail "no node gm-report"
if [ -d "$TOP/gm-report" ]; then
	grep -q '^gm-report	.*to come' "$T/nodes" && fail "gm-report/ exists, and the picture still says it is to come"
else
	grep -q '^gm-report	.*|(to come)' "$T/nodes" || fail "gm-report's node does not say (to come)"
fi

# Every default topic is a node of a Kafka cluster (named topic_NAME),
# but the two that gm-events(5) says no tool sends to Kafka: those are
# gm-metrics's PostgreSQL tables (table_NAME), as drawn.
sed -n 's/.*\.topic = "\([a-z_]*\)".*/\1/p' "$TOP/lib/rtype.c" >"$T/topics"
expect_eq "topics of lib/rtype.c at least" "$(($(wc -l <"$T/topics") >= 13))" 1
while read -r topic; do
	case $topic in
	kafka_metrics | system_health_metrics) has_node "table_$topic" "$topic" ||
		fail "topic $topic: no node table_$topic labelled $topic" ;;
	*) has_node "topic_$topic" "$topic" || fail "topic $topic: no node topic_$topic labelled $topic" ;;
	esac
done <"$T/topics"

# Every table of the descriptors is named in a label: the stream tools'
# and gm-metrics's PostgreSQL tables, and the warehouse's.
{
	sed -n 's/.*\.table = "\([a-z_]*\)".*/\1/p' "$TOP/lib/rtype.c"
	sed -n 's/^WAREHOUSE(\([a-z_]*\),.*/\1/p' "$TOP/lib/rtype.c"
} | sort -u >"$T/tables"
expect_eq "tables of lib/rtype.c at least" "$(($(wc -l <"$T/tables") >= 20))" 1
cut -f2 "$T/nodes" | tr '|' '\n' | tr -s ', ' '\n\n' >"$T/words"
while read -r table; do
	grep -qx "$table" "$T/words" || fail "table $table: in no label"
done <"$T/tables"
finish

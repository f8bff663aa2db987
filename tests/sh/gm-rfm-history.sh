# gm-rfm over 30 days of gm-produce history (as gm-etl-history.sh makes
# it): every customer's recency, frequency, monetary, scores and segment,
# and every cut, equal what tests/rfm-check.py computes on its own from
# the raw events, and the scores are monotonic; gm-rfm over gm-etl's
# folder warehouse writes the same customer_segment records as over the
# raw files.
. "$(dirname "$0")/../lib.sh"

gm-produce -q -r 0 -s 11 --start 2026-10-01T00:00:00Z -d 30d --event-rate 0.03 \
	--products 120 --users 2000 --catalog "$T/catalog.ndjson" -o "$T/events.ndjson"
expect_status "over the raw events" 0 gm-rfm -q -o "$T/raw.ndjson" "$T/events.ndjson"
python3 "$TESTS/rfm-check.py" "$T/raw.ndjson" "$T/events.ndjson" >"$T/check" ||
	{ fail "rfm-check.py found differences"; head -25 "$T/check" >&2; }
expect_grep "checked: every cut" "^cuts 15$" "$T/check"
n=$(sed -n 's/^customers //p' "$T/check")
[ "${n:-0}" -gt 500 ] || fail "too few customers to check: ${n:-none}"
# The checker sees a score moved: the first customer's R one up.
awk 'NR == 1 { sub(/"r":[0-9]/, "\"r\":" substr($0, index($0, "\"r\":") + 4, 1) + 1) } { print }' \
	"$T/raw.ndjson" >"$T/moved.ndjson"
python3 "$TESTS/rfm-check.py" "$T/moved.ndjson" "$T/events.ndjson" >"$T/check2"
expect_eq "the checker sees a score moved" $? 1
expect_grep "the checker names it" " r: expected [1-5], got [2-6]" "$T/check2"

# Through gm-etl's warehouse: the same customers, byte for byte.
expect_status "gm-etl" 0 gm-etl -q -w "$T/wh" "$T/catalog.ndjson" "$T/events.ndjson"
expect_status "over the warehouse" 0 gm-rfm -q -w "$T/wh" -o "$T/wh.ndjson"
expect_same_file "warehouse input equals raw input" "$T/wh.ndjson" "$T/raw.ndjson"
expect_same_file "the warehouse's customer_segments" "$T/wh/customer_segments.ndjson" \
	<(grep '"customer_segment"' "$T/raw.ndjson")
finish

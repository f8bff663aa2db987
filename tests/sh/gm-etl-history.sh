# gm-etl over 30 days of gm-produce history: every table equals what
# tests/etl-check.py computes on its own from the same raw events (money
# in integer cents, to the cent); the history loaded as 30 daily gzip
# files, one run a day, equals one load of it all, table for table; and
# the checker itself passes its hand-made fixture and fails on a cent
# changed (tests/golden/etl-check/selftest.sh).
. "$(dirname "$0")/../lib.sh"

bash "$TESTS/golden/etl-check/selftest.sh" || fail "the checker's self-test"

gm-produce -q -r 0 -s 11 --start 2026-10-01T00:00:00Z -d 30d --event-rate 0.03 \
	--products 120 --users 2000 --catalog "$T/catalog.ndjson" -o "$T/events.ndjson"
expect_status "one load of it all" 0 gm-etl -q -w "$T/all" "$T/catalog.ndjson" "$T/events.ndjson"
python3 "$TESTS/etl-check.py" -w "$T/all" "$T/catalog.ndjson" "$T/events.ndjson" >"$T/check" ||
	{ fail "etl-check.py found differences"; head -25 "$T/check" >&2; }
expect_grep "checked: 30 days" "^dim_date 30$" "$T/check"

# Day by day, gzip, the catalog with the first.
awk -v dir="$T" '{ d = substr($0, index($0, "\"ts\":\"") + 6, 10); print > (dir "/day-" d ".ndjson") }' \
	"$T/events.ndjson"
days=("$T"/day-*.ndjson)
expect_eq "30 daily files" "${#days[@]}" 30
gzip "${days[@]}"
first=1
for f in "$T"/day-*.ndjson.gz; do
	if [ "$first" = 1 ]; then
		gm-etl -q -w "$T/daily" "$T/catalog.ndjson" "$f" || fail "daily load of $f"
		first=0
	else
		gm-etl -q -w "$T/daily" "$f" || fail "daily load of $f"
	fi
done
for f in "$T"/all/*.ndjson; do
	b=$(basename "$f")
	expect_same_file "day by day: $b" <(sort "$T/daily/$b") <(sort "$f")
done
finish

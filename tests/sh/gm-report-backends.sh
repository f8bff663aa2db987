# gm-report over the three backends: the hand-built set of
# tests/golden/report, loaded by gm-etl and scored by gm-rfm into a
# folder, a PostgreSQL database and a MongoDB database (servers started
# here), gives the same page data from each, the folder's that of
# tests/golden/report/data.json.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"
. "$TESTS/helpers/mongo.sh"
. "$TESTS/report.sh"
G=$TESTS/golden/report
pg_start
mongo_start
cd "$T" || exit 1

i=0
for wh in wh "postgresql://postgres@127.0.0.1:$PGPORT/gm" "$GM_MONGO_URI"; do
	i=$((i + 1))
	gm-etl -q -w "$wh" "$G/events.ndjson" 2>/dev/null
	gm-rfm -q -w "$wh" --as-of 2026-11-02 && gm-rfm -q -w "$wh" --as-of 2026-11-03 --compare 2026-11-02 ||
		fail "backend $i: gm-rfm"
	expect_status "backend $i: gm-report" 0 gm-report -q -w "$wh" -o "page$i.html"
	page_data "page$i.html" | jq -S 'del(.generated, .warehouse)' >"data$i.json"
done
jq -S 'del(.warehouse)' "$G/data.json" >want.json
expect_same_file "the folder's data" data1.json want.json
expect_same_file "PostgreSQL's data" data2.json want.json
expect_same_file "MongoDB's data" data3.json want.json
finish

# gm-report --stream postgresql://: gm-txmon, gm-session and gm-inventory
# write 30 hours of gm-produce events into one PostgreSQL database (-o
# and -a to its URI) and into NDJSON files; gm-report reading the tables
# alerts, inventory_status and sessions gives the members alerts,
# inventory and sessions the files give, byte for byte (firing alerts,
# NULL status in the table, included), through a URI or pg:CONNINFO. A
# row that is not a record of its table is reported where it is
# (server, table, row), kept in --rejects, and under --strict stops the
# run; a server that does not answer within --retry-for: exit 75, and
# the page of before stays.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"
. "$TESTS/report.sh"

pg_start
PG="postgresql://postgres@127.0.0.1:$PGPORT/gm"
cd "$T" || exit 1


# The input of tests/sh/gm-report-stream.sh: small stocks and restocks,
# short session rules.
stream_input || fail "the stream tools' input"

for out in files db; do
	if [ $out = files ]; then
		o=(inventory.ndjson inventory.alerts sessions.ndjson sessions.alerts txmon.alerts)
	else
		o=("$PG" "$PG" "$PG" "$PG" "$PG")
	fi
	expect_status "gm-inventory into $out" 0 gm-inventory -q -o "${o[0]}" -a "${o[1]}" stock-input.ndjson
	expect_status "gm-session into $out" 0 gm-session -q "${STREAM_SESSION_RULES[@]}" -o "${o[2]}" -a "${o[3]}" \
		events.ndjson 2>/dev/null
	expect_status "gm-txmon into $out" 0 gm-txmon -q -o /dev/null -a "${o[4]}" events.ndjson
done
q() { psql -XAtq -c "$1"; }
expect_eq "alerts in the table" "$(q 'select count(*) from alerts')" \
	"$(cat txmon.alerts sessions.alerts inventory.alerts | wc -l)"
expect_eq "firing alerts have no status there" "$(q "select count(*) from alerts where status is null")" \
	"$(cat txmon.alerts sessions.alerts inventory.alerts | grep -vc '"status"')"

mkdir empty
expect_status "from the files" 0 gm-report -q -w empty -s txmon.alerts -s sessions.alerts \
	-s inventory.alerts -s inventory.ndjson -s sessions.ndjson -o files.html
page_streams files.html >want
expect_eq "the files give 500 alerts, 12 products, 3 days" \
	"$(jq -c '.rows | length' want | tr '\n' ' ')" "500 12 3 "
expect_status "from PostgreSQL" 0 gm-report -w empty -s "$PG" -o db.html 2>err
page_streams db.html >got
expect_same_file "the same members" got want
sessions=$(grep -c '"type":"session"' sessions.ndjson)
expect_grep "summary" "^gm-report: stream: [0-9]* alerts (the newest 500 listed), 12 products, $sessions sessions over 3 days; 0 other records, 0 seen again$" err
expect_status "pg:CONNINFO" 0 gm-report -q -w empty -s "pg:$GM_PG_CONNINFO" -o conninfo.html
page_streams conninfo.html >got
expect_same_file "pg:CONNINFO: the same members" got want

# A row no tool would write: an inventory_status whose status is none
# of gm-events(5)'s. Reported at its row, kept whole, skipped.
q "update inventory_status set status = 'plenty' where product_id = 'p000003'"
expect_status "a bad row" 0 gm-report -q -w empty -s "$PG" --rejects rejects.ndjson -o bad.html 2>err
expect_grep "where and why" '^gm-report: database "gm" on .*: inventory_status row [0-9]*: field "status": expected ' err
expect_eq "kept whole" "$(jq -r '[.type, .product_id, .status] | @tsv' rejects.ndjson)" \
	"$(printf 'inventory_status\tp000003\tplenty')"
expect_eq "the other products" "$(page_data bad.html | jq -c '[.inventory.rows[][0]] | length')" 11
cp bad.html before.html
expect_status "a bad row, --strict" 1 gm-report -q -w empty -s "$PG" --strict -o bad.html 2>/dev/null
expect_same_file "--strict: the page of before" bad.html before.html

# No server there: 75 once --retry-for is over, nothing written.
port=$(free_port)
expect_status "unreachable" 75 gm-report -q -w empty -s "postgresql://postgres@127.0.0.1:$port/gm" \
	--retry-for 1s -o bad.html 2>err
expect_grep "unreachable: said" "unreachable for 1 s" err
expect_same_file "unreachable: the page of before" bad.html before.html
finish

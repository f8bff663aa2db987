# gm-inventory into PostgreSQL (-o and -a to one postgresql:// URI): the
# table inventory_status holds one row per product, its last status
# record of the NDJSON run (the final levels); alerts holds every alert
# of that run, a resolving one with its status column "resolved"; a
# second run over the same input (a replay) changes no row (counts and
# a checksum of each table). The final levels agree with the input,
# computed here without gm-inventory.
#
# Against 2a5cf62 this fails: the status record of p000009, a product
# with no product record, has no reorder_point (required by gm-events(5)
# and NOT NULL in the table), the sink refuses it and the run exits 1.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"

pg_start
PG="postgresql://postgres@127.0.0.1:$PGPORT/gm"

# 2 hours of about 3000 events among 10 products; a catalog for nine of
# them (p000009 has none: unknown, tracked from 0), small stocks so that
# products run low and out, restocks that bring some back above the
# re-arm level (so that alerts resolve), a duplicated restock, and a
# stock count mid-stream; merged in time order.
gm-produce -q --start=2026-11-24T00:00:00Z -n 3000 -d 2h --products 10 -r 0 >"$T/events"
{
	for i in 0 1 2 3 4 5 6 7 8; do
		rp=$([ "$i" -lt 6 ] && echo ',"reorder_point":15')
		printf '{"type":"product","ts":"2026-11-24T00:00:00.000Z","product_id":"p00000%d","name":"Product %d","category":"c%d","unit_price":1,"stock":%d%s}\n' \
			"$i" "$i" "$i" $((30 + 5 * i)) "$rp"
	done
	for i in 0 1 2 3 4 5 6 7 8; do
		for h in 00:40 01:20; do
			printf '{"type":"restock","restock_id":"r%d-%s","ts":"2026-11-24T%s:00.000Z","product_id":"p00000%d","quantity":60}\n' \
				"$i" "$h" "$h" "$i"
		done
	done
	printf '{"type":"restock","restock_id":"r3-00:40","ts":"2026-11-24T00:41:00.000Z","product_id":"p000003","quantity":60}\n'
	printf '{"type":"product","ts":"2026-11-24T01:00:00.000Z","product_id":"p000005","name":"Product 5","category":"c5","unit_price":1,"stock":200,"reorder_point":15}\n'
	cat "$T/events"
} | sed 's/^\(.*"ts":"\([^"]*\)".*\)$/\2\t\1/' | sort -s -t "$(printf '\t')" -k1,1 | cut -f2- >"$T/input"

gm-inventory -q -o "$T/status" -a "$T/alerts" "$T/input"
expect_eq "NDJSON run: exit status" $? 0
gm-inventory -q -o "$PG" -a "$PG" "$T/input"
expect_eq "PostgreSQL run: exit status" $? 0

q() { psql -XAtq -F $'\t' -c "$1"; }
ts() { echo "to_char($1 at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"; }
products=$(jq -r .product_id "$T/status" | sort -u | wc -l)
expect_eq "every product has status records" "$products" 10
expect_eq "inventory_status: one row per product" "$(q 'select count(*) from inventory_status')" 10
n_alerts=$(wc -l <"$T/alerts")
n_resolved=$(grep -c '"status":"resolved"' "$T/alerts")
[ "$n_alerts" -gt 10 ] && [ "$n_resolved" -gt 2 ] && grep -q out_of_stock "$T/alerts" &&
	grep -q '"status":"out"' "$T/status" && grep -q '"status":"unknown"' "$T/status"
expect_eq "products ran low and out, alerts resolved ($n_alerts, $n_resolved resolved)" $? 0

# The last record of each product, as the table has it.
jq -sr 'group_by(.product_id) | map(last)[] | [.product_id, .ts, .name // "", .category // "",
	.on_hand, .reorder_point // "", .status, .last_change, .sold, .window_start, .window_end] | @tsv' \
	"$T/status" >"$T/want.status"
q "select product_id, $(ts ts), coalesce(name, ''), coalesce(category, ''), on_hand,
	coalesce(reorder_point::text, ''), status, $(ts last_change), sold, $(ts window_start), $(ts window_end)
	from inventory_status order by product_id" >"$T/got.status"
expect_same_file "inventory_status holds each product's last record" "$T/got.status" "$T/want.status"
jq -r '[.alert_id, .ts, .kind, .severity, .status // "", .labels.product_id, .labels.name, .summary,
	.on_hand, .reorder_point] | @tsv' "$T/alerts" | sort >"$T/want.alerts"
q "select alert_id, $(ts ts), kind, severity, coalesce(status, ''), labels->>'product_id',
	labels->>'name', summary, record->>'on_hand', record->>'reorder_point' from alerts" | sort >"$T/got.alerts"
expect_same_file "alerts table equals the NDJSON alerts, status included" "$T/got.alerts" "$T/want.alerts"
expect_eq "resolved alerts in the status column" "$(q "select count(*) from alerts where status = 'resolved'")" "$n_resolved"

# The ten closest to running out: one query over the index.
expect_eq "the ten closest to running out" \
	"$(q "select product_id from inventory_status where status <> 'unknown'
		order by on_hand - reorder_point, product_id limit 10" | tr '\n' ' ')" \
	"$(jq -sr 'group_by(.product_id) | map(last | select(.status != "unknown")) |
		sort_by(.on_hand - .reorder_point, .product_id) | map(.product_id) | join(" ")' "$T/status") "

# A replay: the same input again changes nothing.
snapshot() {
	local t
	for t in "inventory_status:product_id" "alerts:alert_id"; do
		q "select '${t%%:*}', count(*), md5(coalesce(string_agg(r::text, '|' order by ${t#*:}), ''))
			from ${t%%:*} r"
	done
}
snapshot >"$T/before"
gm-inventory -q -o "$PG" -a "$PG" "$T/input"
expect_eq "replay: exit status" $? 0
snapshot >"$T/after"
expect_same_file "replay: every table unchanged (rows, checksum)" "$T/after" "$T/before"

# ---- final levels, from the input ----
# Per product: the latest product record's stock (the count), plus the
# restocks after it (each restock_id once), less the units of the
# transactions after it (each transaction_id once); a product with no
# product record from 0. Records come in time order here, and ids are
# not reused, so this is the whole rule.
jq -r 'if .type == "product" then [.product_id, "count", .stock, .ts] | @tsv
	elif .type == "restock" then [.product_id, "r:" + .restock_id, .quantity, .ts] | @tsv
	elif .type == "transaction" then .transaction_id as $t | .items[] | [.product_id, "t:" + $t, -.quantity, .ts] | @tsv
	else empty end' "$T/input" |
	awk -F'\t' '
		$2 == "count" { level[$1] = $3; next }
		($1 SUBSEP $2) in seen { next }
		{ level[$1] += $3; if ($2 ~ /^r:/) seen[$1, $2] = 1 }
		END { for (p in level) print p "\t" level[p] }' | sort >"$T/want.levels"
q "select product_id, on_hand from inventory_status order by product_id" >"$T/got.levels"
expect_same_file "final on_hand equals the input's count" "$T/got.levels" "$T/want.levels"
finish

# gm-inventory: golden stock levels, status records and alerts on a
# hand-built file, checked value by value against issue 12 and
# gm-events(5); --reorder-point and --hysteresis; --rekey's sales, and
# that reading them gives what reading the transactions gives; --state
# over two runs equals one run, wherever the input is split; how long an
# id is remembered (--dedup-for); ids longer than it keeps and
# --max-products; usage errors.
. "$(dirname "$0")/../lib.sh"
G=$TESTS/golden

# ---- golden: inventory-events.ndjson (lines named L1..L16) ----
# 16 records of 2026-11-24, in time order; defaults: -w 1m, lateness 5s,
# --reorder-point 10, --hysteresis 0.2, --dedup-for 1h.
#
# lamp (home, "Desk lamp"), reorder point 5, re-armed above 5 x 1.2 = 6:
#   L1 10:00:00 catalog, 20.
#   L3 T1 10:00:10 sells 15: 5, at the reorder point: low_stock (warning)
#      once, sold_last_hour 15, hours_left 5 / 15 = 0.3.
#   L4 T2 10:00:20 sells 2 (and 5 mugs): 3, low again: no second alert.
#   L5 is L4 again (a duplicated transaction): skipped, stock moves once.
#   L7 T4 10:01:10 sells 3: 0: out_of_stock (critical) once, hours_left
#      0. It is in the next window: lamp's pending 10:00 status record
#      (3, low, sold 17) is written first, before the timers of mug and
#      kite for the same window fire.
#   L8 T5 10:01:20 sells 2: -2, oversold, shown (status out); no alert.
#   L11 R1 10:02:10 restock 8: 6, exactly 5 x 1.2: nothing resolves.
#   L12 is L11 again (a duplicated restock): skipped.
#   L13 R2 10:02:20 restock 1: 7, above 6: low_stock and out_of_stock
#      both resolved ("status":"resolved", the same labels, ids of
#      their own), sold_last_hour 22, hours_left 7 / 22 = 0.3.
#   L15 T7 10:03:30 sells 2: 5: low_stock fires again, with a new
#      alert_id (its trigger is T7), sold_last_hour 24, hours_left 0.2.
# mug (kitchen, "Mug"), no reorder point in its catalog: the default 10:
#   L2 10:00:00 catalog, 30. L4 T2 sells 5: 25.
#   L10 10:02:00 a later product record, a stock count: 12 (ok).
#   L14 T6 10:02:40 lists mug twice (1 and 2) and kite once: one move of
#      3 units: 9: low_stock, sold_last_hour 8, hours_left 1.1.
#   L16 T8 10:04:10 sells 1: 8, no second alert.
# kite (toys), sold before its catalog record:
#   L6 T3 10:00:40 sells 4: tracked from 0, -4, status unknown, no name,
#      the default reorder point (gm-events(5): reorder_point is
#      required, "the tool's default when its product record has none";
#      against 2a5cf62 this fails: the field is left out, and the
#      PostgreSQL sink refuses the record, see gm-inventory-pg.sh), no
#      alert (though at or below 0).
#   L9 10:01:30 catalog "Kite", 3, reorder point 2: known, level 3 (ok).
#   L14 T6 sells 1: 2: low_stock, sold_last_hour 5 (the unknown sale
#      counts), hours_left 0.4.
# Status records: one per product per window in which it changed (10:01
# lamp, kite, mug; 10:02 lamp, kite; 10:03 lamp, kite, mug; 10:04 lamp),
# then at the end one for every product, in the window holding the
# newest time (10:04-10:05): kite and lamp (sold 0, in product_id
# order), then mug's pending one (sold 1). 12 records, 7 alerts.
gm-inventory -o "$T/status" -a "$T/alerts" "$G/inventory-events.ndjson" 2>"$T/err"
expect_eq "golden: exit status" $? 0
expect_same_file "golden: status records" "$T/status" "$G/inventory-status.ndjson"
expect_same_file "golden: alerts" "$T/alerts" "$G/inventory-alerts.ndjson"
expect_grep "golden: summary" "gm-inventory: 16 in, 19 out, 0 rejected, 0 late" "$T/err"
expect_grep "golden: the duplicates said, with their count" \
	"gm-inventory: warning: 2 records skipped: their transaction_id or restock_id came before" "$T/err"
expect_eq "golden: the last record of each product" \
	"$(jq -sc 'group_by(.product_id) | map(last | [.product_id, .on_hand, .status])' "$T/status")" \
	'[["kite",2,"low"],["lamp",5,"low"],["mug",8,"low"]]'
expect_eq "golden: alert ids distinct" "$(jq -r .alert_id "$T/alerts" | sort -u | wc -l)" 7
# The same input twice: the same bytes.
gm-inventory -q -o "$T/status2" -a "$T/alerts2" "$G/inventory-events.ndjson" 2>/dev/null
expect_same_file "same input, same status records" "$T/status2" "$T/status"
expect_same_file "same input, same alerts" "$T/alerts2" "$T/alerts"

# One product record alone: its one status record, pending at the end,
# and no product without one. Against 2a5cf62 the sanitizer build (make
# SANITIZE=1) exits 1 here: stock_end() passes qsort() a NULL array.
head -n 1 "$G/inventory-events.ndjson" >"$T/one"
gm-inventory -q -a /dev/null "$T/one" >"$T/one.out" 2>"$T/one.err"
expect_eq "one record: exit status, nothing said" "$?:$(cat "$T/one.err")" "0:"
expect_eq "one record: its status" "$(jq -c '[.product_id, .ts[11:16], .on_hand, .status]' "$T/one.out")" '["lamp","10:01",20,"ok"]'

# ---- --reorder-point 20 --hysteresis 0.5, both to stdout ----
# Only mug has no reorder point of its own: now 20, so the stock count
# L10 (12) fires its low_stock (trigger: the catalog record) and T6's
# does not fire again. lamp re-arms above 7.5 only: R2's 7 resolves
# nothing and T7 fires nothing. kite's alert as before. 4 alerts, the
# same 12 status records but the default reorder point (mug's, and
# kite's while unknown), in the order written.
gm-inventory --reorder-point 20 --hysteresis 0.5 "$G/inventory-events.ndjson" >"$T/opt" 2>"$T/opt.err"
expect_eq "options: exit status" $? 0
expect_same_file "options: status records and alerts" "$T/opt" "$G/inventory-options.ndjson"
expect_grep "options: summary" "gm-inventory: 16 in, 16 out, 0 rejected, 0 late" "$T/opt.err"
expect_eq "options: the alerts" \
	"$(jq -c 'select(.type == "alert") | [.labels.product_id, .kind, .on_hand, .reorder_point]' "$T/opt")" \
	'["lamp","low_stock",5,5]
["lamp","out_of_stock",0,5]
["mug","low_stock",12,20]
["kite","low_stock",2,2]'

# ---- --rekey: sales by product ----
# One sale per product of each transaction read (T2 and its duplicate:
# two each; T6: mug once, 3 units, at its first line's price), in
# product_id order; product and restock records are not its: 12 out.
gm-inventory --rekey "$G/inventory-events.ndjson" >"$T/sales" 2>"$T/sales.err"
expect_eq "rekey: exit status" $? 0
expect_same_file "rekey: the sales" "$T/sales" "$G/inventory-sales.ndjson"
expect_grep "rekey: summary" "gm-inventory: 16 in, 12 out, 0 rejected, 0 late" "$T/sales.err"
expect_eq "rekey: a product listed twice is one sale" \
	"$(jq -c 'select(.transaction_id == "T6") | [.product_id, .quantity]' "$T/sales")" '["kite",1]
["mug",3]'
# Each transaction replaced by its sales, in place: the same stock,
# status records and alerts as the golden run, byte for byte (an alert's trigger is the
# transaction_id either way); T2's duplicate is two duplicated sales.
while IFS= read -r line; do
	case $line in
	*'"type":"transaction"'*) printf '%s\n' "$line" | gm-inventory -q --rekey ;;
	*) printf '%s\n' "$line" ;;
	esac
done <"$G/inventory-events.ndjson" >"$T/by-sale"
expect_eq "rekey: sales in place of the transactions" "$(grep -c '"type":"sale"' "$T/by-sale")" 12
gm-inventory -o "$T/s.status" -a "$T/s.alerts" "$T/by-sale" 2>"$T/s.err"
expect_eq "from sales: exit status" $? 0
expect_same_file "from sales: the same status records" "$T/s.status" "$T/status"
expect_same_file "from sales: the same alerts" "$T/s.alerts" "$T/alerts"
expect_grep "from sales: the duplicates said" "warning: 3 records skipped" "$T/s.err"

# ---- --state: a run split in two ----
# At every line: the first run keeps its products, ids and pending
# status records in --state; the second (--final) goes on from there.
# Together they write what one run (the golden run above) writes, in
# the same order.
for k in $(seq 15); do
	rm -f "$T/state" "$T/state".*
	head -n "$k" "$G/inventory-events.ndjson" >"$T/part1"
	tail -n +$((k + 1)) "$G/inventory-events.ndjson" >"$T/part2"
	gm-inventory -q --state "$T/state" -o "$T/p1.status" -a "$T/p1.alerts" "$T/part1" 2>/dev/null
	s1=$?
	gm-inventory -q --state "$T/state" --final -o "$T/p2.status" -a "$T/p2.alerts" "$T/part2" 2>/dev/null
	expect_eq "--state split after L$k: exit statuses" "$s1 $?" "0 0"
	expect_same_file "--state split after L$k: status records" \
		<(cat "$T/p1.status" "$T/p2.status") "$T/status"
	expect_same_file "--state split after L$k: alerts" \
		<(cat "$T/p1.alerts" "$T/p2.alerts") "$T/alerts"
done
# Without --final the first run writes no end-of-input records: the
# pending ones wait in the state.
head -n 8 "$G/inventory-events.ndjson" >"$T/part1"
rm -f "$T/state" "$T/state".*
gm-inventory -q --state "$T/state" -o "$T/p1.status" -a /dev/null "$T/part1" 2>/dev/null
expect_eq "--state, first part: only the closed windows" \
	"$(jq -c '[.product_id, .ts[11:16]]' "$T/p1.status" | tr -d '\n')" '["kite","10:01"]["lamp","10:01"]["mug","10:01"]'

# ---- how long an id is remembered: --dedup-for ----
# An id is remembered for --dedup-for of event time after its record's
# ts, the event time being the newest ts read less the lateness (5s): a
# duplicate that comes while that is within --dedup-for is skipped, one
# that comes after it counts again (the id was forgotten).
catalog() { # minute product stock
	printf '{"type":"product","ts":"2026-11-24T10:%s:00.000Z","product_id":"%s","name":"N","category":"c","unit_price":1,"stock":%s,"reorder_point":0}\n' "$@"
}
sale() { # transaction_id hh:mm product quantity
	printf '{"type":"sale","transaction_id":"%s","ts":"2026-11-24T%s:00.000Z","user_id":"u","product_id":"%s","category":"c","quantity":%s,"unit_price":1}\n' "$@"
}
# t1 at 10:00; again after t2 (10:10, within 30m): skipped; again after
# t3 (10:40: event time 10:39:55, past 10:30): counts again, older than
# the watermark: at once, in the watermark's window (10:39), before t3,
# which waits for it. 100 - 1 (t1) - 1 (t2) - 1 (t1 again) - 1 (t3) = 96.
{ catalog 00 p 100; sale t1 10:00 p 1; sale t2 10:10 p 1; sale t1 10:00 p 1
  sale t3 10:40 p 1; sale t1 10:00 p 1; } >"$T/dedup"
gm-inventory --dedup-for 30m -a /dev/null "$T/dedup" >"$T/dedup.out" 2>"$T/dedup.err"
expect_eq "dedup: within --dedup-for skipped, after it counted" \
	"$(jq -c '[.ts[11:16], .on_hand, .sold]' "$T/dedup.out" | tr -d '\n')" '["10:01",99,1]["10:11",98,1]["10:40",97,1]["10:41",96,1]'
expect_grep "dedup: one skipped" "warning: 1 records skipped" "$T/dedup.err"
# The same with the default --dedup-for 1h: the last t1 is skipped too.
gm-inventory -q -a /dev/null "$T/dedup" 2>"$T/dedup1h.err" | tail -n 1 >"$T/dedup1h.out"
expect_eq "dedup 1h: both copies skipped" "$(jq -c '[.on_hand, .sold]' "$T/dedup1h.out")" '[97,1]'
expect_grep "dedup 1h: two skipped" "warning: 2 records skipped" "$T/dedup1h.err"
# An id that comes again 2h later, when nothing came between, counts as
# it does after a record in between: by event time, the id was
# forgotten at 10:30. Against 2a5cf62 the first is skipped (the timers
# due before a record fire after it: lib/stream.c event() calls the
# tool, then advance()).
{ catalog 00 p 100; sale t1 10:00 p 1; sale t1 12:00 p 1; } >"$T/reuse"
{ catalog 00 p 100; sale t1 10:00 p 1; sale t9 11:00 p 1; sale t1 12:00 p 1; } >"$T/reuse2"
expect_eq "dedup: an id forgotten by event time, nothing between" \
	"$(gm-inventory -q --dedup-for 30m -a /dev/null "$T/reuse" 2>/dev/null | jq -s 'last | .on_hand')" 98
expect_eq "dedup: an id forgotten by event time, a record between" \
	"$(gm-inventory -q --dedup-for 30m -a /dev/null "$T/reuse2" 2>/dev/null | jq -s 'last | .on_hand')" 97

# ---- the re-arm level, exactly ----
# Reorder point 100, --hysteresis 0.15: re-armed above 115, so a
# restock to exactly 115 resolves nothing, to 116 it does. Against
# 2a5cf62 115 resolves: 100 x (1 + 0.15) is 114.99999999999999 in
# floating point, floored to 114 (stock.c rearm_level()).
restock() { # id minute quantity
	printf '{"type":"restock","restock_id":"%s","ts":"2026-11-24T10:%s:00.000Z","product_id":"p","quantity":%s}\n' "$@"
}
{ printf '{"type":"product","ts":"2026-11-24T10:00:00.000Z","product_id":"p","name":"N","category":"c","unit_price":1,"stock":100}\n'
  restock r1 01 15; restock r2 02 1; } >"$T/rearm"
expect_eq "re-arm level: above reorder_point x (1 + hysteresis), exactly" \
	"$(gm-inventory -q --reorder-point 100 --hysteresis 0.15 -o /dev/null -a /dev/stdout "$T/rearm" |
		jq -c '[.kind, .status // "firing", .on_hand]' | tr -d '\n')" \
	'["low_stock","firing",100]["low_stock","resolved",116]'

# ---- ids longer than gm-inventory keeps ----
# Refused with a message at file:line, kept whole in --rejects, the run
# goes on, exit 0 (--strict: 1). The longest kept (product_id 64 bytes,
# name 63, category 23) pass.
p64=p$(printf '%063d' 0) p65=p$(printf '%064d' 0)
n63=n$(printf '%062d' 0) n64=n$(printf '%063d' 0)
c23=c$(printf '%022d' 0) c24=c$(printf '%023d' 0)
product() { # minute product_id name category
	printf '{"type":"product","ts":"2026-11-24T10:%s:00.000Z","product_id":"%s","name":"%s","category":"%s","unit_price":1,"stock":5}\n' "$@"
}
item() { printf '{"product_id":"%s","category":"%s","quantity":1,"unit_price":1}' "$1" "$2"; }
tx() { # id items
	printf '{"type":"transaction","transaction_id":"%s","ts":"2026-11-24T10:04:00.000Z","user_id":"u","session_id":"s","country":"UK","payment_method":"card","items":[%s],"total_amount":2}\n' "$1" "$2"
}
{
	product 00 a A c
	product 01 "$p65" A c
	product 02 b "$n64" c
	product 03 b B "$c24"
	tx t1 "$(item a c),$(item "$p65" c)"
	tx t2 "$(item a "$c24")"
	printf '{"type":"restock","restock_id":"r","ts":"2026-11-24T10:05:00.000Z","product_id":"%s","quantity":1}\n' "$p65"
	sale t3 10:05 a 1 | sed "s/\"category\":\"c\"/\"category\":\"$c24\"/"
	product 06 "$p64" "$n63" "$c23"
} >"$T/long"
gm-inventory --rejects "$T/long.rej" -o "$T/long.out" -a /dev/null "$T/long" 2>"$T/long.err"
expect_eq "long ids: exit status" $? 0
sed -n 2,8p "$T/long" >"$T/long.want"
expect_same_file "long ids: kept whole in the rejects" "$T/long.rej" "$T/long.want"
for l in 2 7; do
	expect_grep "long ids: line $l said" "long:$l: product_id is longer than the 64 bytes gm-inventory keeps" "$T/long.err"
done
expect_grep "long ids: line 3 said" "long:3: name is longer than the 63 bytes gm-inventory keeps" "$T/long.err"
for l in 4 8; do
	expect_grep "long ids: line $l said" "long:$l: category is longer than the 23 bytes gm-inventory keeps" "$T/long.err"
done
expect_grep "long ids: line 5 said" "long:5: an item's product_id is longer than the 64 bytes gm-inventory keeps" "$T/long.err"
expect_grep "long ids: line 6 said" "long:6: an item's category is longer than the 23 bytes gm-inventory keeps" "$T/long.err"
expect_grep "long ids: summary" "gm-inventory: 9 in, 5 out, 7 rejected, 0 late" "$T/long.err"
expect_eq "long ids: the run went on, the longest kept" \
	"$(jq -c '[(.product_id | length), (.name | length), (.category | length), .on_hand]' "$T/long.out")" \
	'[1,1,1,5]
[1,1,1,5]
[64,63,23,5]'
gm-inventory -q --strict -o /dev/null -a /dev/null "$T/long" 2>/dev/null
expect_eq "long ids: --strict exit status" $? 1

# ---- --max-products: a level is never evicted ----
# With room for 2, a record of a third product is refused whole (a
# transaction with one new product among known ones too: none of its
# lines moves), and the products held keep their levels.
{
	product 00 a A c
	product 00 b B c
	product 01 c C c
	printf '{"type":"restock","restock_id":"r1","ts":"2026-11-24T10:02:00.000Z","product_id":"d","quantity":1}\n'
	tx t1 "$(item a c),$(item e c)"
	printf '{"type":"restock","restock_id":"r2","ts":"2026-11-24T10:04:00.000Z","product_id":"b","quantity":1}\n'
} >"$T/cap"
gm-inventory --max-products 2 --rejects "$T/cap.rej" -o "$T/cap.out" -a /dev/null "$T/cap" 2>"$T/cap.err"
expect_eq "--max-products: exit status" $? 0
expect_same_file "--max-products: the refused, whole" "$T/cap.rej" <(sed -n 3,5p "$T/cap")
expect_eq "--max-products: each refusal said" \
	"$(grep -c 'cap:[345]: more products than --max-products: raise it, then feed this record again' "$T/cap.err")" 3
expect_eq "--max-products: the levels held" \
	"$(jq -sc 'group_by(.product_id) | map(last | [.product_id, .on_hand])' "$T/cap.out")" '[["a",5],["b",6]]'

# ---- options ----
# Usage errors exit 2 with a message (--help is man-synopsis.sh's).
usage_error() { # WHAT MESSAGE ARGS...
	local what=$1 msg=$2; shift 2
	gm-inventory "$@" </dev/null >/dev/null 2>"$T/usage.err"
	expect_eq "usage error: $what" $? 2
	expect_grep "usage error: $what: said" "$msg" "$T/usage.err"
}
usage_error "-l" "gm-inventory: -l: gm-inventory takes every record, however late: none is written there" -l "$T/late"
rekey_msg="gm-inventory: --rekey keeps no stock: -a, -w, --state and the stock options do not go with it"
usage_error "--rekey with -a" "$rekey_msg" --rekey -a "$T/a"
usage_error "--rekey with -w" "$rekey_msg" --rekey -w 5m
usage_error "--rekey with --state" "$rekey_msg" --rekey --state "$T/s"
usage_error "--rekey with --reorder-point" "$rekey_msg" --reorder-point 3 --rekey
usage_error "--rekey with --dedup-for" "$rekey_msg" --rekey --dedup-for 5m
usage_error "--reorder-point -1" "gm-inventory: --reorder-point: expected a whole number from 0 to 1000000000, got -1" --reorder-point -1
usage_error "--reorder-point x" "gm-inventory: --reorder-point: expected a whole number from 0 to 1000000000, got x" --reorder-point x
usage_error "--hysteresis -1" "gm-inventory: --hysteresis: expected a number from 0 to 100, got -1" --hysteresis -1
usage_error "--hysteresis 101" "gm-inventory: --hysteresis: expected a number from 0 to 100, got 101" --hysteresis 101
usage_error "--dedup-for x" "gm-inventory: --dedup-for: expected a duration like 500ms, 30s, 5m, 2h, 90d; got x" --dedup-for x
usage_error "--max-products 0" "gm-inventory: --max-products: expected a whole number from 1 to 100000000, got 0" --max-products 0
usage_error "--max-ids 0" "gm-inventory: --max-ids: expected a whole number from 1 to 1000000000, got 0" --max-ids 0
usage_error "--final=1" "gm-inventory: option --final takes no value" --final=1
finish

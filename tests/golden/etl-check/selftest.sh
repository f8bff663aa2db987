#!/bin/bash
# selftest.sh: tests/etl-check.py against its hand-made fixture. raw.ndjson
# holds five days over two ISO weeks and a month boundary (a duplicate
# transaction id, a product with no catalog record, a product seen only
# in views under two categories, a catalog tie, a restock, a broken line
# and a view missing its user); warehouse/ holds the tables computed by
# hand from it. The checker must pass them (check.out), and fail, naming
# the row and field, once a cent or a null is changed.
. "$(dirname "$0")/../../lib.sh"
HERE=$TESTS/golden/etl-check
CHECK=$TESTS/etl-check.py

out=$(python3 "$CHECK" -w "$HERE/warehouse" "$HERE/raw.ndjson"); st=$?
expect_eq "the hand-made warehouse passes" "$st" 0
expect_eq "its report" "$out" "$(cat "$HERE/check.out")"

gzip -c "$HERE/raw.ndjson" > "$T/raw.gz"
out=$(python3 "$CHECK" -w "$HERE/warehouse" "$T/raw.gz"); st=$?
expect_eq "gzip input passes" "$st" 0
expect_eq "gzip input's report" "$out" "$(cat "$HERE/check.out")"

# mutate SED FILE WANT: the warehouse with FILE edited by SED fails with WANT.
mutate() {
	rm -rf "$T/w" && cp -r "$HERE/warehouse" "$T/w" && sed -i "$1" "$T/w/$2"
	python3 "$CHECK" -w "$T/w" "$HERE/raw.ndjson" > "$T/out"; st=$?
	out=$(tail -n +2 "$T/out")
	expect_eq "$2 after $1: exit" "$st" 1
	expect_eq "$2 after $1: report" "$out" "$3"
}
mutate 's/"revenue":73.29/"revenue":73.28/' sales_trends.ndjson \
	'sales_trends month/2026-10-01/*/* revenue: expected 73.29, got 73.28'
mutate 's/"avg_order_value":10.83,"growth":-0.2204/"avg_order_value":10.82,"growth":-0.2204/' \
	sales_trends.ndjson \
	'sales_trends week/2026-10-05/*/* avg_order_value: expected 10.83, got 10.82'
mutate 's/"revenue":73.29/"revenue":73.290/' sales_trends.ndjson \
	'1 amounts with more than two decimals, the first: sales_trends month/2026-10-01/*/* revenue: got 73.290'
mutate 's/"cart_to_purchase":0.5000/"cart_to_purchase":null/' product_performance.ndjson \
	'product_performance month/2026-10-01/toys/p3 cart_to_purchase: expected 0.5000, got null'
mutate 's/"region":"Unknown"/"region":"Unknown","currency":null/' dim_geography.ndjson \
	'dim_geography Japan currency: expected (absent), got null'
mutate '/"month\/2026-10-01\/Japan\/toys"/d' sales_trends.ndjson \
	'sales_trends month/2026-10-01/Japan/toys (row): expected present, got (absent)'
mutate 's/"units":9,/"units":9,"x":1,/' dim_customer.ndjson \
	'dim_customer: field x is not in the definitions, in 1 rows, the first: u1 1'
mutate 's/"amount":16.65/"amount":16.66/' fact_sales.ndjson \
	'fact_sales (all) sum(amount): expected 98.84, got 98.85'

exit $((failures > 0))

# Money past its limits (issue 9, item 1): a transaction whose lines'
# amounts cannot be added up is rejected by the parser, and a window whose
# revenue would pass the largest total (INT64_MAX cents) rejects the
# transactions that do not fit, so every number written is exact: no
# wrapped revenue, no negative average, no sanitizer abort.
. "$(dirname "$0")/../lib.sh"

tx() { # ID TS QUANTITY UNIT_PRICE TOTAL
	printf '{"type":"transaction","transaction_id":"%s","ts":"%s","user_id":"u%s","session_id":"s","country":"UK","payment_method":"card","items":[{"product_id":"p","category":"c","quantity":%s,"unit_price":%s}],"total_amount":%s}\n' \
		"$1" "$2" "$1" "$3" "$4" "$5"
}

# quantity 1000000 x $1T: each field is valid, their product is not.
tx big 2026-11-24T10:00:00.000Z 1000000 1000000000000 1 >"$T/product.ndjson"
gm-txmon -q --rejects "$T/product.rej" "$T/product.ndjson" >"$T/product.out" 2>"$T/product.err"
expect_eq "product: exit status" $? 0
expect_eq "product: message" "$(cat "$T/product.err")" \
	"gm-txmon: $T/product.ndjson:1: items[0]: quantity times unit_price is beyond the largest total (92233720368547758.07)"
expect_same_file "product: kept in rejects" "$T/product.rej" "$T/product.ndjson"
expect_eq "product: nothing written" "$(wc -c <"$T/product.out")" 0

# 100,000 transactions of $1T in one window: 92,233 fit in 64-bit cents
# (9,223,300,000,000,000,000 of 9,223,372,036,854,775,807), the other
# 7,767 are rejected, each at its line.
tx T 2026-11-24T10:00:00.000Z 1 1000000000000 1000000000000 | sed 's/%/%%/g; s/"T"/"t%d"/; s/"uT"/"u%d"/' >"$T/fmt"
awk -v fmt="$(cat "$T/fmt")" 'BEGIN { for (i = 1; i <= 100000; i++) printf fmt "\n", i, i }' >"$T/sum.ndjson"
gm-txmon --rejects "$T/sum.rej" -a /dev/null -o "$T/sum.out" "$T/sum.ndjson" 2>"$T/sum.err"
expect_eq "sum: exit status" $? 0
expect_eq "sum: rejected" "$(wc -l <"$T/sum.rej")" 7767
expect_same_file "sum: the rejected ones are the last" "$T/sum.rej" <(tail -n 7767 "$T/sum.ndjson")
expect_grep "sum: message at the first that does not fit" \
	"sum.ndjson:92234: its window's revenue would pass the largest total (92233720368547758.07)" "$T/sum.err"
expect_grep "sum: summary" "gm-txmon: 100000 in, 92237 out, 7767 rejected, 0 late" "$T/sum.err"
jq -r '[.country, .category, .revenue, .transactions, .units, .avg_order_value] | map(tostring) | join(" ")' \
	"$T/sum.out" >"$T/sum.got"
printf '%s\n' '* * 92233000000000000 92233 92233 1000000000000' \
	'* c 92233000000000000 92233 92233 1000000000000' \
	'UK * 92233000000000000 92233 92233 1000000000000' \
	'UK c 92233000000000000 92233 92233 1000000000000' >"$T/sum.want"
expect_same_file "sum: exact revenue and average" "$T/sum.got" "$T/sum.want"
finish

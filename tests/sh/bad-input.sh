# Bad input through libgm's reader and parser (driven by gm-cat): every
# bad record gets its message at its file:line, is kept whole in the
# rejects file, and the good records around it all come through; the
# stream tools (gm-session, gm-inventory) treat it the same way.
. "$(dirname "$0")/../lib.sh"

good='{"type":"product_view","event_id":"e%d","ts":"2026-11-24T10:00:00.000Z","user_id":"u1","session_id":"s1","product_id":"p1","category":"books","country":"UK","duration_ms":5}'
cart='{"type":"cart_event","event_id":"e","ts":"2026-11-24T10:00:00Z","user_id":"u","session_id":"s","product_id":"p","category":"c","action":"add",'

in=$T/in.ndjson want_err=$T/want.err want_out=$T/want.out want_rej=$T/want.rej
: >"$in"; : >"$want_err"; : >"$want_out"; : >"$want_rej"
n=0
# add_bad PRINTF-FORMAT MESSAGE: a bad line and the message it must get.
add_bad() {
	n=$((n + 1)); printf "$1\n" >>"$in"; printf "$1\n" >>"$want_rej"
	printf 'gm-cat: %s:%d: %s\n' "$in" "$n" "$2" >>"$want_err"
}
add_good() { n=$((n + 1)); printf "$good\n" "$n" | tee -a "$want_out" >>"$in"; }
add_blank() { n=$((n + 1)); printf "$1\n" >>"$in"; }

add_good
add_bad '{"type":"transaction","transaction_id":"t1"' 'invalid JSON at column 44: the record ends before its value is complete'
add_good
add_bad '{"type":"product_view","event_id":"e","ts":"2026-11-24T10:00:00Z","user_id":7}' 'field "user_id": expected a string, got a number'
add_bad '{"type":"product_view","event_id":"e","ts":"2026-11-24T10:00:00Z"}' 'missing field "user_id"'
add_bad '{"type":"product_view","event_id":"e","ts":"24/11/2026"}' 'field "ts": not an RFC 3339 time: 24/11/2026'
add_blank ''
add_blank '   \t  '
add_blank '\r'
add_good
add_bad '{"type":"x","note":"a\000b"}' 'NUL byte at column 22 (binary data?)'
add_bad '\000\001\002\377binary' 'NUL byte at column 1 (binary data?)'
add_bad '{"type":"x","name":"caf\351"}' 'invalid UTF-8 at column 24'
add_bad '[{"type":"transaction"}]' 'expected a JSON object, got an array'
add_bad '{"type":"product_view"}\r' 'missing field "event_id"'
add_bad '\357\273\277{"type":"x"}' 'byte-order mark (U+FEFF) at column 1: records are UTF-8 without one'
add_bad "${cart}\"quantity\":123456789012345678901234567890,\"unit_price\":1}" 'field "quantity": 123456789012345678901234567890 is out of range (1 to 1000000)'
add_bad "${cart}\"quantity\":1,\"unit_price\":1e20}" 'field "unit_price": 1e20 is out of range (0 to 1000000000000)'
add_bad '{"type":"product_view" "event_id":"e"}' 'invalid JSON at column 26: parse error: after key and value, inside map, I expect '"','"' or '"'}'"''
add_good
# a 10 MiB line, and a good line after it
n=$((n + 1))
{ printf '{"type":"huge","pad":"'; head -c $((10 * 1024 * 1024)) /dev/zero | tr '\0' x; printf '"}\n'; } >"$T/huge"
cat "$T/huge" >>"$in"; cat "$T/huge" >>"$want_rej"
printf 'gm-cat: %s:%d: line of %d bytes is longer than --max-line 1048576\n' "$in" "$n" \
	$(( $(wc -c <"$T/huge") - 1 )) >>"$want_err"
add_good
# the last line without its newline
printf "$good" 99 >>"$in"; printf "$good\n" 99 >>"$want_out"

gm-cat --rejects "$T/rej" -o "$T/out" "$in" 2>"$T/err"
expect_eq "bad records are not a failure" $? 0
grep -v '^gm-cat: [0-9]* in,' "$T/err" >"$T/err.msgs"
expect_same_file "messages and locations" "$T/err.msgs" "$want_err"
expect_same_file "good records all come through" "$T/out" "$want_out"
expect_same_file "rejects hold every bad record whole" "$T/rej" "$want_rej"
expect_grep "summary counts" "gm-cat: 20 in, 6 out, 14 rejected, 0 late" "$T/err"

# A stream tool takes them the same way: gm-session gives the same
# messages and rejects, and makes one session of the 6 good views (its
# own refusals are in gm-session.sh).
gm-session --rejects "$T/s.rej" -o "$T/s.out" "$in" 2>"$T/s.err"
expect_eq "gm-session: bad records are not a failure" $? 0
grep -v '^gm-session: [0-9]* in,' "$T/s.err" | sed 's/^gm-session: /gm-cat: /' >"$T/s.msgs"
expect_same_file "gm-session: messages and locations" "$T/s.msgs" "$want_err"
expect_same_file "gm-session: rejects" "$T/s.rej" "$want_rej"
expect_grep "gm-session: summary" "gm-session: 20 in, 3 out, 14 rejected, 0 late" "$T/s.err"
expect_eq "gm-session: the good views" "$(jq -c 'select(.type == "session") | .views' "$T/s.out")" 6
gm-session -q --strict -o /dev/null "$in" 2>/dev/null
expect_eq "gm-session: --strict exit status" $? 1

# gm-inventory too: the same messages and rejects; the good records are
# views, which it does not take, so it writes nothing (no product).
gm-inventory --rejects "$T/i.rej" -o "$T/i.out" -a "$T/i.alerts" "$in" 2>"$T/i.err"
expect_eq "gm-inventory: bad records are not a failure" $? 0
grep -v '^gm-inventory: [0-9]* in,' "$T/i.err" | sed 's/^gm-inventory: /gm-cat: /' >"$T/i.msgs"
expect_same_file "gm-inventory: messages and locations" "$T/i.msgs" "$want_err"
expect_same_file "gm-inventory: rejects" "$T/i.rej" "$want_rej"
expect_grep "gm-inventory: summary" "gm-inventory: 20 in, 0 out, 14 rejected, 0 late" "$T/i.err"
expect_eq "gm-inventory: nothing written" "$(cat "$T/i.out" "$T/i.alerts" | wc -c)" 0
gm-inventory -q --strict -o /dev/null -a /dev/null "$in" 2>/dev/null
expect_eq "gm-inventory: --strict exit status" $? 1

# gm-etl too: the same messages and rejects, and the good views loaded
# into its warehouse; --strict loads nothing.
gm-etl --rejects "$T/e.rej" -w "$T/wh" "$in" 2>"$T/e.err"
expect_eq "gm-etl: bad records are not a failure" $? 0
grep -v '^gm-etl: [0-9]* in,\|^gm-etl: loaded' "$T/e.err" | sed 's/^gm-etl: /gm-cat: /' >"$T/e.msgs"
expect_same_file "gm-etl: messages and locations" "$T/e.msgs" "$want_err"
expect_same_file "gm-etl: rejects" "$T/e.rej" "$want_rej"
expect_grep "gm-etl: summary" "gm-etl: 20 in, .* out, 14 rejected, 0 late" "$T/e.err"
expect_eq "gm-etl: the good views" "$(jq -r .view_id "$T/wh/fact_product_views.ndjson" | tr '\n' ' ')" \
	"$(jq -r .event_id "$want_out" | tr '\n' ' ')"
gm-etl -q --strict -w "$T/wh2" "$in" 2>/dev/null
expect_eq "gm-etl: --strict exit status" $? 1
expect_eq "gm-etl: --strict loads nothing" "$(ls "$T/wh2" | wc -l)" 0

# gm-metrics too: the same messages and rejects; the good records are
# views, not the stats records it reads, so they are rejected as well.
gm-metrics --once --no-host --textfile "$T/m.prom" --rejects "$T/m.rej" "$in" 2>"$T/m.err"
expect_eq "gm-metrics: bad records are not a failure" $? 0
grep -v '^gm-metrics: [0-9]* in,\|: not a stats record$' "$T/m.err" | sed 's/^gm-metrics: /gm-cat: /' >"$T/m.msgs"
expect_same_file "gm-metrics: messages and locations" "$T/m.msgs" "$want_err"
expect_eq "gm-metrics: the views are not stats records" "$(grep -c ': not a stats record$' "$T/m.err")" 6
expect_same_file "gm-metrics: rejects" <(grep -a -v -x -F -f "$want_out" "$T/m.rej") "$want_rej"
expect_grep "gm-metrics: summary" "gm-metrics: 20 in, 0 out, 20 rejected, 0 late" "$T/m.err"
gm-metrics -q --once --no-host --strict --textfile "$T/m2.prom" "$in" 2>/dev/null
expect_eq "gm-metrics: --strict exit status" $? 1

# gm-rfm too: the same messages and rejects; the good records are views,
# which it passes over, so there is no customer and no row.
gm-rfm --rejects "$T/r.rej" -o "$T/r.out" "$in" 2>"$T/r.err"
expect_eq "gm-rfm: bad records are not a failure" $? 0
grep -v '^gm-rfm: [0-9]* in,\|^gm-rfm: [0-9]* transactions' "$T/r.err" | sed 's/^gm-rfm: /gm-cat: /' >"$T/r.msgs"
expect_same_file "gm-rfm: messages and locations" "$T/r.msgs" "$want_err"
expect_same_file "gm-rfm: rejects" "$T/r.rej" "$want_rej"
expect_grep "gm-rfm: summary" "gm-rfm: 20 in, 0 out, 14 rejected, 0 late" "$T/r.err"
expect_grep "gm-rfm: the views passed over" "gm-rfm: 0 transactions, 0 duplicates, 0 outside the window, 6 other records; 0 customers" "$T/r.err"
expect_eq "gm-rfm: nothing written" "$(wc -c <"$T/r.out")" 0
gm-rfm -q --strict -o "$T/r.strict" "$in" 2>/dev/null
expect_eq "gm-rfm: --strict exit status" $? 1
expect_eq "gm-rfm: --strict writes nothing" "$(wc -c <"$T/r.strict")" 0
# Its own refusals: a fact_sales row missing a field, ids longer than
# 64 bytes; the good transaction between them counts.
long=$(printf 'u%.0s' $(seq 65))
fact='{"type":"fact_sales","sale_id":"t9/1","transaction_id":"t9","line":1,"date_key":20261124,"ts":"2026-11-24T10:00:00.000Z","country":"UK","payment_method":"card","product_id":"p","category":"c","quantity":1,"unit_price":2,"amount":2,"user_id":'
{
	printf '%s"u1"}\n' "${fact/,\"amount\":2/}"
	printf '{"type":"transaction","transaction_id":"t1","ts":"2026-11-24T10:00:00.000Z","user_id":"u1","session_id":"s","country":"UK","payment_method":"card","items":[{"product_id":"p","category":"c","quantity":2,"unit_price":1.5}],"total_amount":3}\n'
	printf '%s"%s"}\n' "$fact" "$long"
} >"$T/rfm.ndjson"
gm-rfm --rejects "$T/rfm.rej" -o "$T/rfm.out" --as-of 2026-11-25 "$T/rfm.ndjson" 2>"$T/rfm.err"
expect_eq "gm-rfm records: exit status" $? 0
expect_eq "gm-rfm records: messages" "$(grep -v '^gm-rfm: [0-9]* in,\|^gm-rfm: [0-9]* transactions' "$T/rfm.err")" \
"gm-rfm: $T/rfm.ndjson:1: missing field \"amount\"
gm-rfm: $T/rfm.ndjson:3: field \"user_id\" is longer than 64 bytes"
expect_same_file "gm-rfm records: rejects" "$T/rfm.rej" <(sed -n '1p;3p' "$T/rfm.ndjson")
expect_eq "gm-rfm records: the good one" "$(jq -r 'select(.type == "customer_segment") | "\(.user_id) \(.monetary)"' "$T/rfm.out")" "u1 3"

# The records gm-inventory reads, bad each in its own way: each said at
# its file:line and kept whole; the one good product record after them
# makes the only status record and alert (5 units, under the default
# reorder point 10). With --strict the first stops the run, status 1,
# before anything is written.
inv=$T/inventory.ndjson inv_err=$T/inventory.want.err
: >"$inv"; : >"$inv_err"
n=0
bad_inv() { # RECORD MESSAGE
	n=$((n + 1)); printf '%s\n' "$1" >>"$inv"
	printf 'gm-inventory: %s:%d: %s\n' "$inv" "$n" "$2" >>"$inv_err"
}
prod='{"type":"product","ts":"2026-11-24T10:00:00.000Z","product_id":"p","name":"N","category":"c","unit_price":1'
restock='{"type":"restock","restock_id":"r","ts":"2026-11-24T10:00:00.000Z","product_id":"p"'
sale='{"type":"sale","transaction_id":"t","ts":"2026-11-24T10:00:00.000Z","user_id":"u","product_id":"p","category":"c","unit_price":1'
tx='{"type":"transaction","transaction_id":"t","ts":"2026-11-24T10:00:00.000Z","user_id":"u","session_id":"s","country":"UK","payment_method":"card","total_amount":1'
bad_inv "$prod,\"stock\":-1}" 'field "stock": -1 is out of range (0 to 1000000000)'
bad_inv "$prod,\"stock\":1000000001}" 'field "stock": 1000000001 is out of range (0 to 1000000000)'
bad_inv "$prod,\"stock\":2.5}" 'field "stock": expected an integer, got 2.5'
bad_inv "$prod}" 'missing field "stock"'
bad_inv "$prod,\"stock\":5,\"reorder_point\":-2}" 'field "reorder_point": -2 is out of range (0 to 1000000000)'
bad_inv "$prod,\"stock\":5,\"reorder_point\":\"2\"}" 'field "reorder_point": expected an integer, got a string'
bad_inv '{"type":"product","ts":"2026-11-24T10:00:00.000Z","product_id":"p","category":"c","unit_price":1,"stock":3}' 'missing field "name"'
bad_inv '{"type":"product","ts":"2026-11-24T10:00:00.000Z","product_id":7,"name":"N","category":"c","unit_price":1,"stock":3}' 'field "product_id": expected a string, got a number'
bad_inv "$restock,\"quantity\":0}" 'field "quantity": 0 is out of range (1 to 1000000000)'
bad_inv "$restock,\"quantity\":\"3\"}" 'field "quantity": expected an integer, got a string'
bad_inv '{"type":"restock","ts":"2026-11-24T10:00:00.000Z","product_id":"p","quantity":3}' 'missing field "restock_id"'
bad_inv "$sale,\"quantity\":0}" 'field "quantity": 0 is out of range (1 to 1000000000000)'
bad_inv '{"type":"sale","transaction_id":"t","ts":"2026-11-24T10:00:00.000Z","user_id":"u","category":"c","quantity":1,"unit_price":1}' 'missing field "product_id"'
bad_inv "$tx,\"items\":[{\"product_id\":\"p\",\"category\":\"c\",\"quantity\":-1,\"unit_price\":1}]}" 'field "items[0].quantity": -1 is out of range (1 to 1000000)'
bad_inv "$tx,\"items\":[]}" 'field "items" is empty'
cp "$inv" "$T/inventory.want.rej"
printf '%s\n' "$prod,\"stock\":5}" >>"$inv"
gm-inventory --rejects "$T/inv.rej" -o "$T/inv.out" -a "$T/inv.alerts" "$inv" 2>"$T/inv.err"
expect_eq "gm-inventory records: exit status" $? 0
grep -v '^gm-inventory: [0-9]* in,' "$T/inv.err" >"$T/inv.msgs"
expect_same_file "gm-inventory records: messages and locations" "$T/inv.msgs" "$inv_err"
expect_same_file "gm-inventory records: rejects" "$T/inv.rej" "$T/inventory.want.rej"
expect_grep "gm-inventory records: summary" "gm-inventory: 16 in, 2 out, 15 rejected, 0 late" "$T/inv.err"
expect_eq "gm-inventory records: the good one" \
	"$(jq -c '[.type, .product_id // .labels.product_id, .on_hand]' "$T/inv.out" "$T/inv.alerts" | tr -d '\n')" \
	'["inventory_status","p",5]["alert","p",5]'
gm-inventory --strict -o "$T/inv.strict" -a "$T/inv.strict.alerts" "$inv" 2>"$T/inv.strict.err"
expect_eq "gm-inventory records: --strict exit status" $? 1
expect_eq "gm-inventory records: --strict writes nothing" "$(cat "$T/inv.strict" "$T/inv.strict.alerts" | wc -c)" 0
expect_eq "gm-inventory records: --strict reports the first" "$(grep -c ':1: field "stock"' "$T/inv.strict.err")" 1

# The records gm-notify reads, alerts, bad each in its own way (a
# record of another type it ignores, as every tool does): each said at its
# file:line and kept whole; the good alerts around them are notified
# (a file config writes what it would send). With --strict the first
# stops the run, status 1. A bad configuration is a usage error, each
# error at its file:line:column, and no input is read.
. "$TESTS/notify-alerts.sh"
ntf=$T/notify.ndjson ntf_err=$T/notify.want.err
: >"$ntf"; : >"$ntf_err"
n=0
good_ntf() { n=$((n + 1)); alert "$1" 10:00:00 low_stock "\"product_id\":\"$1\"" >>"$ntf"; }
bad_ntf() { # PRINTF-FORMAT MESSAGE
	n=$((n + 1)); printf "$1\n" >>"$ntf"
	printf 'gm-notify: %s:%d: %s\n' "$ntf" "$n" "$2" >>"$ntf_err"
}
alert_head='{"type":"alert","alert_id":"b","ts":"2026-11-24T10:00:00.000Z","kind":"low_stock","severity":"warning","source":"gm-inventory","summary":"s"'
good_ntf P-1
bad_ntf '{"type":"alert","alert_id":"b"' 'invalid JSON at column 31: the record ends before its value is complete'
n=$((n + 1)); printf '%s\n' "$good" >>"$ntf"
bad_ntf "$alert_head"',"labels":{"product_id":"P","n":7}}' 'field "labels": "n" holds a number, not a string'
bad_ntf "$alert_head"',"labels":{"deep":{"a":"b"}}}' 'field "labels": "deep" holds an object, not a string'
bad_ntf "$alert_head"',"labels":[]}' 'field "labels": expected an object, got an array'
bad_ntf '{"type":"alert","alert_id":"b","ts":"2026-11-24T10:00:00.000Z","kind":"low_stock","severity":"urgent","source":"s","summary":"s","labels":{}}' 'field "severity": expected "info", "warning" or "critical", got "urgent"'
bad_ntf "$alert_head"',"labels":{"name":"caf\351"}}' 'invalid UTF-8 at column 163'
bad_ntf '\000\001\002\377binary' 'NUL byte at column 1 (binary data?)'
good_ntf P-2
n=$((n + 1))
{ printf '%s,"labels":{},"pad":"' "$alert_head"; head -c 5000 /dev/zero | tr '\0' x; printf '"}\n'; } >>"$ntf"
printf 'gm-notify: %s:%d: line of %d bytes is longer than --max-line 4096\n' "$ntf" "$n" \
	$(( $(tail -n 1 "$ntf" | wc -c) - 1 )) >>"$ntf_err"
good_ntf P-3
grep -a -v -e '"alert_id":"P-[0-9]"' -e '^{"type":"product_view"' "$ntf" >"$T/notify.want.rej"
printf 'route: {receiver: f, group_by: [product_id]}\nreceivers:\n- name: f\n  file_configs: [{path: %s}]\n' \
	"$T/notify.out" >"$T/notify.yml"
gm-notify -c "$T/notify.yml" --replay --max-line 4096 --rejects "$T/notify.rej" "$ntf" 2>"$T/notify.err"
expect_eq "gm-notify: exit status" $? 0
grep -v '^gm-notify: [0-9]* \(in\|firing\),' "$T/notify.err" >"$T/notify.msgs"
expect_same_file "gm-notify: messages and locations" "$T/notify.msgs" "$ntf_err"
expect_same_file "gm-notify: rejects" "$T/notify.rej" "$T/notify.want.rej"
expect_grep "gm-notify: summary" "gm-notify: 12 in, 3 out, 8 rejected, 0 late" "$T/notify.err"
expect_eq "gm-notify: the good alerts notified" "$(jq -r '.alerts[].annotations.alert_id' "$T/notify.out" | sort | tr '\n' ' ')" \
	"P-1 P-2 P-3 "
gm-notify -c "$T/notify.yml" --replay --strict "$ntf" 2>"$T/notify.strict.err"
expect_eq "gm-notify: --strict exit status" $? 1
expect_eq "gm-notify: --strict reports the first" "$(grep -c ':2: invalid JSON' "$T/notify.strict.err")" 1
expect_eq "gm-notify: --strict reports no other" "$(grep -c "notify.ndjson:[0-9]*:" "$T/notify.strict.err")" 1
printf 'route:\n  receiver: f\n  group_wait: soon\nreceivers:\n- name: f\n  file_configs: [{path: %s}]\n  hooks: 1\n' \
	"$T/notify.bad.out" >"$T/notify.bad.yml"
gm-notify -c "$T/notify.bad.yml" "$ntf" 2>"$T/notify.bad.err"
expect_eq "gm-notify: bad configuration, exit status" $? 2
expect_eq "gm-notify: bad configuration, every error at its place" "$(cat "$T/notify.bad.err")" \
	"gm-notify: $T/notify.bad.yml:3:15: group_wait: expected a duration such as 30s, 5m, 4h, 1d or 1h30m, got \"soon\"
gm-notify: $T/notify.bad.yml:7:3: unknown key \"hooks\" in receivers"
expect_eq "gm-notify: bad configuration, nothing sent" "$(ls "$T/notify.bad.out" 2>/dev/null)" ""

# --strict: the first bad record stops the run with status 1.
gm-cat --strict -o "$T/strict.out" "$in" 2>"$T/strict.err"
expect_eq "--strict exit status" $? 1
expect_eq "--strict stops at the first bad record" "$(wc -l <"$T/strict.out")" 1
expect_eq "--strict reports one error" "$(grep -c ':2: invalid JSON' "$T/strict.err")" 1

# A file that cannot be opened: reported, the others still read, status 1.
gm-cat -q -o "$T/two.out" "$T/missing.ndjson" "$in" 2>"$T/two.err"
expect_eq "missing file exit status" $? 1
expect_grep "missing file message" "gm-cat: $T/missing.ndjson: No such file or directory" "$T/two.err"
expect_same_file "the next file is still read" "$T/two.out" "$want_out"

# A gzip file cut short (libgm reads gzip by its magic bytes): every
# tool gives the records before the cut, says where it stopped, exits 1.
for i in $(seq 3000); do printf "$good\n" "$i"; done | gzip -c >"$T/many.gz"
head -c $(($(wc -c <"$T/many.gz") / 2)) "$T/many.gz" >"$T/cut.gz"
gm-cat -q -o "$T/cut.out" "$T/cut.gz" 2>"$T/cut.err"
expect_eq "cut gzip: exit status" $? 1
cut_n=$(wc -l <"$T/cut.out")
expect_eq "cut gzip: records before the cut" "$([ "$cut_n" -gt 0 ] && echo some)" some
expect_eq "cut gzip: the message" "$(cat "$T/cut.err")" \
	"gm-cat: $T/cut.gz: gzip: unexpected end of file (after $cut_n lines)"
# gm-etl loads nothing of an input it could not read whole.
gm-etl -q -w "$T/cutwh" "$T/cut.gz" 2>"$T/cut.err"
expect_eq "cut gzip: gm-etl exit status" $? 1
expect_eq "cut gzip: gm-etl loads nothing" "$(ls "$T/cutwh" | wc -l)" 0
expect_eq "cut gzip: the records before the cut, in order" "$(jq -r .event_id "$T/cut.out" | tr '\n' ' ')" \
	"$(seq -f 'e%.0f' "$cut_n" | tr '\n' ' ')"
for tool in "gm-session -o /dev/null" "gm-inventory -o /dev/null -a /dev/null" \
	"gm-txmon -o /dev/null"; do
	# shellcheck disable=SC2086
	$tool -q "$T/cut.gz" 2>"$T/cut.tool.err"
	expect_eq "${tool%% *} cut gzip: exit status" $? 1
	expect_eq "${tool%% *} cut gzip: the message" "$(cat "$T/cut.tool.err")" \
		"${tool%% *}: $T/cut.gz: gzip: unexpected end of file (after $cut_n lines)"
done

# Garbage of every byte value, in bulk: nothing crashes, nothing is lost.
# (Its first line is blank: garbage that began with gzip's magic bytes
# would be read as a damaged gzip.)
{ echo; head -c 3000000 /dev/urandom; } >"$T/garbage"
gm-cat -q --rejects "$T/garbage.rej" -o "$T/garbage.out" "$T/garbage" 2>/dev/null
expect_eq "garbage exit status" $? 0
expect_eq "garbage: nothing passes as a record" "$(wc -c <"$T/garbage.out")" 0
lines=$(grep -a -c '' "$T/garbage") blanks=$(grep -a -c -E $'^[ \t]*\r?$' "$T/garbage")
expect_eq "garbage: every non-blank line kept in rejects" "$(wc -l <"$T/garbage.rej")" $((lines - blanks))
gm-session -q --rejects "$T/garbage.srej" -o "$T/garbage.sout" "$T/garbage" 2>/dev/null
expect_eq "gm-session garbage: exit status" $? 0
expect_eq "gm-session garbage: nothing out" "$(wc -c <"$T/garbage.sout")" 0
expect_same_file "gm-session garbage: the same rejects" "$T/garbage.srej" "$T/garbage.rej"
gm-inventory -q --rejects "$T/garbage.irej" -o "$T/garbage.iout" -a "$T/garbage.ialerts" "$T/garbage" 2>/dev/null
expect_eq "gm-inventory garbage: exit status" $? 0
expect_eq "gm-inventory garbage: nothing out" "$(cat "$T/garbage.iout" "$T/garbage.ialerts" | wc -c)" 0
expect_same_file "gm-inventory garbage: the same rejects" "$T/garbage.irej" "$T/garbage.rej"
notified=$(wc -l <"$T/notify.out")
gm-notify -q -c "$T/notify.yml" --replay --rejects "$T/garbage.nrej" "$T/garbage" 2>/dev/null
expect_eq "gm-notify garbage: exit status" $? 0
expect_eq "gm-notify garbage: nothing notified" "$(wc -l <"$T/notify.out")" "$notified"
expect_same_file "gm-notify garbage: the same rejects" "$T/garbage.nrej" "$T/garbage.rej"

# Write errors are failures: a full disk, a closed pipe.
gm-cat -q -o /dev/full "$in" 2>"$T/full.err"
expect_eq "ENOSPC exit status" $? 1
expect_grep "ENOSPC message" "gm-cat: /dev/full: write error: No space left on device" "$T/full.err"
for out in "-o /dev/full -a /dev/null" "-o /dev/null -a /dev/full"; do
	# shellcheck disable=SC2086
	gm-inventory -q $out "$TESTS/golden/inventory-events.ndjson" 2>"$T/ifull.err"
	expect_eq "gm-inventory $out: exit status" $? 1
	expect_grep "gm-inventory $out: message" "gm-inventory: /dev/full: write error: No space left on device" "$T/ifull.err"
done
gm-inventory -q -a /dev/null "$T/missing.ndjson" "$TESTS/golden/inventory-events.ndjson" >"$T/imissing.out" 2>"$T/imissing.err"
expect_eq "gm-inventory missing file: exit status" $? 1
expect_grep "gm-inventory missing file: message" "gm-inventory: $T/missing.ndjson: No such file or directory" "$T/imissing.err"
gm-inventory -q -a /dev/null "$TESTS/golden/inventory-events.ndjson" >"$T/ione.out" 2>/dev/null
expect_same_file "gm-inventory missing file: the next file is still read" "$T/imissing.out" "$T/ione.out"
for i in $(seq 3000); do printf "$good\n" "$i"; done >"$T/many"
(gm-cat -q "$T/many" 2>"$T/pipe.err"; echo $? >"$T/pipe.status") | head -1 >/dev/null
expect_eq "EPIPE exit status" "$(cat "$T/pipe.status")" 1
expect_grep "EPIPE message" "gm-cat: stdout: write error: Broken pipe" "$T/pipe.err"

# More than 1000 bad records: their messages stop at 1000, with a line
# that says so, but the message that decides the exit status (here a
# full disk) is always printed.
{ for i in $(seq 1500); do echo '{"bad'; done; printf "$good\n" 1; } >"$T/flood"
gm-cat -q -o /dev/full "$T/flood" 2>"$T/flood.err"
expect_eq "flood: exit status" $? 1
expect_eq "flood: 1000 reports of records" "$(grep -c 'flood:[0-9]*: invalid JSON' "$T/flood.err")" 1000
expect_grep "flood: the cap is said" "more than 1000 errors about records: further ones are counted, not shown" "$T/flood.err"
expect_grep "flood: the write error is not hidden" "gm-cat: /dev/full: write error: No space left on device" "$T/flood.err"

# Usage errors exit 2; --help exits 0 on stdout.
gm-cat --no-such-option 2>/dev/null; expect_eq "unknown option" $? 2
gm-cat --max-line 12q 2>/dev/null; expect_eq "bad --max-line" $? 2
gm-cat --help | grep -q '^usage: gm-cat'; expect_eq "--help" $? 0
finish

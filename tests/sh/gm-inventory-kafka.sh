# gm-inventory scaled out over Kafka (gm-inventory(1), the re-keying
# step): a catalog, restocks and transactions (keyed by user_id) go to
# their topics; gm-inventory --rekey writes one sale per product of each
# transaction to "sales", keyed by product_id; gm-inventory in a group
# reads products, restocks and sales (co-partitioned) and ends with the
# on_hand of every product that an independent computation over the
# same records gives, and that a run over the file gives, alerts and
# all. Over the same topics written as a live stream, a member killed
# with -9 twice and resumed, and a group that a second member joins in
# the middle of the stream, end with the stock and the alerts of one
# uninterrupted run. A transaction read in a group without the re-keying
# step is rejected with a message that names --rekey.
#
# The records: 20 products and one (p99) that the catalog lacks, 362
# transactions over two hours (popular products run out, and are
# restocked 20 minutes after they run low: 57 low_stock and 45
# out_of_stock alerts, firing and resolved), 22 transactions and 8
# restocks that come twice, a product on two lines of 64 transactions.
# Topics of one partition number are read in step by event time, a step
# being a minute at least (stream.h): so that the order within a product
# does not depend on how the topics' fetches interleave, the catalog
# precedes the first sale by 5 minutes, no sale of a product falls
# within 3 minutes of its restocks, and "transactions" has one
# partition, so that the sales come out of --rekey in event-time order.
#
# NDJSON outputs get again what was written after the last checkpoint
# before a kill (at least once): alerts are compared as sets of whole
# records (sort -u), after checking that no alert_id names two records.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

kafka_start -p 4 -t products -t restocks -t sales -t live_products -t live_restocks -t live_sales
kafka_ctl create transactions 1 || fail "kafka-broker: create transactions"
group="-X session.timeout.ms=6000 -X heartbeat.interval.ms=500 -X auto.commit.interval.ms=200"
inputs="-t products -t restocks -t sales"
live="-t live_products -t live_restocks -t live_sales"

# ---- the records ----
/usr/bin/python3 - >"$T/all" <<'PY'
import json, random
from datetime import datetime, timedelta, timezone
random.seed(12)
T0 = datetime(2026, 11, 24, tzinfo=timezone.utc)
MIN = 60000
def ts(ms):
    return (T0 + timedelta(milliseconds=ms)).strftime('%Y-%m-%dT%H:%M:%S.') + '%03dZ' % (ms % 1000)
cats = ['books', 'toys', 'home', 'garden']
def cat(pid):
    return 'misc' if pid == 'p99' else cats[int(pid[1:]) % 4]
out = []   # (ms, order, record)
rp = {}
for i in range(1, 21):
    p = {'type': 'product', 'ts': ts(0), 'product_id': 'p%02d' % i, 'name': 'Product %d' % i,
         'category': cat('p%02d' % i), 'unit_price': 5 + i, 'stock': 12 + (i * 7) % 30}
    if i <= 17:              # the others take --reorder-point's 10
        p['reorder_point'] = 4 + i % 6
    rp[p['product_id']] = p.get('reorder_point', 10)
    out.append((0, i, p))
level = {pid: r['stock'] for _, _, r in out for pid in [r['product_id']]}
ids = sorted(rp) + ['p99']
weights = [8] * 5 + [3] * 7 + [1] * 9
due = {}                     # product: the time of its delivery on the way
deliveries = []              # (product, time) of every restock
restocks, seq, t, txns = 0, 1, 5 * MIN, []
for n in range(400):
    t += random.randint(8000, 22000)
    due = {pid: at for pid, at in due.items() if at > t}
    busy = {pid for pid, at in deliveries if abs(at - t) < 3 * MIN}
    items = []
    for _ in range(random.choice([1, 1, 2, 3])):
        pid = random.choices(ids, weights)[0]
        if pid not in busy:
            items.append({'product_id': pid, 'category': cat(pid),
                          'quantity': random.randint(1, 3), 'unit_price': 5 + int(pid[1:]) % 50})
    if not items:
        continue
    if random.random() < 0.1:
        items.append(dict(items[0]))
    tx = {'type': 'transaction', 'transaction_id': 't%04d' % seq, 'ts': ts(t),
          'user_id': 'u%03d' % random.randint(1, 60), 'session_id': 's%04d' % seq,
          'country': 'UK', 'payment_method': 'card', 'items': items,
          'total_amount': sum(i['quantity'] * i['unit_price'] for i in items)}
    seq += 1
    out.append((t, 1000 + seq, tx))
    txns.append((t, tx))
    for it in items:
        pid = it['product_id']
        level[pid] = level.get(pid, 0) - it['quantity']
        if pid in rp and level[pid] <= rp[pid] and pid not in due:
            restocks += 1
            due[pid] = t + 20 * MIN + random.randint(0, 999)
            deliveries.append((pid, due[pid]))
            q = 25 + random.randint(0, 20)
            level[pid] += q
            r = {'type': 'restock', 'restock_id': 'r%03d' % restocks, 'ts': ts(due[pid]),
                 'product_id': pid, 'quantity': q}
            out.append((due[pid], 500000 + restocks, r))
            if restocks % 4 == 0:
                out.append((due[pid], 500000 + restocks, r))
for k in range(0, len(txns), 17):    # a copy, three transactions later
    out.append((txns[min(k + 3, len(txns) - 1)][0] + 1, 900000 + k, txns[k][1]))
out.sort(key=lambda x: (x[0], x[1]))
for _, _, r in out:
    print(json.dumps(r, separators=(',', ':')))
PY
expect_eq "the records: made" $? 0

# The independent computation: the catalog's stock, plus each restock,
# less each sale, each transaction_id and restock_id taken once; p99,
# without a catalog record, from 0. Also how many records of the sales
# topic and of the restocks topic repeat one before (skipped).
/usr/bin/python3 - "$T/all" >"$T/want.stock" 3>"$T/want.counts" <<'PY'
import json, os, sys
stock, seen, pairs, sales, dup_sales, dup_restocks = {}, set(), set(), 0, 0, 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r['type'] == 'product':
        stock[r['product_id']] = r['stock']
        continue
    if r['type'] == 'transaction':
        for pid in sorted({i['product_id'] for i in r['items']}):
            sales += 1
            dup_sales += (r['transaction_id'], pid) in pairs
            pairs.add((r['transaction_id'], pid))
    key = (r['type'], r.get('transaction_id') or r.get('restock_id'))
    if key in seen:
        dup_restocks += r['type'] == 'restock'
        continue
    seen.add(key)
    if r['type'] == 'restock':
        stock[r['product_id']] = stock.get(r['product_id'], 0) + r['quantity']
    else:
        for i in r['items']:
            stock[i['product_id']] = stock.get(i['product_id'], 0) - i['quantity']
for p in sorted(stock):
    print(p, stock[p])
os.write(3, ('%d %d\n' % (sales, dup_sales + dup_restocks)).encode())
PY
read -r sales skipped <"$T/want.counts"

# whole_lines FILE...: the whole lines of the files: a life killed with -9
# may leave a record cut short at the end of its file (the writer
# flushes a full buffer mid-record).
whole_lines() {
	local f
	for f; do
		if [ -n "$(tail -c 1 "$f")" ]; then sed '$d' "$f"; else cat "$f"; fi
	done
}
# final_stock STATUS-FILE...: each product's on_hand in its last
# inventory_status record, the files read in the order given.
final_stock() {
	whole_lines "$@" | jq -r 'select(.type == "inventory_status") | [.product_id, .on_hand] | @tsv' |
		awk -F'\t' '{ last[$1] = $2 } END { for (p in last) print p, last[p] }' | sort
}
# alerts FILE...: the alerts, whole, each once.
alerts() { whole_lines "$@" | jq -c 'select(.type == "alert")' | sort -u; }
# shared_ids FILE: how many alert_ids name more than one record.
shared_ids() { jq -r .alert_id "$1" | sort | uniq -d | wc -l; }

# ---- the file ----
gm-inventory -o "$T/file.status" -a "$T/file.alerts" "$T/all" 2>"$T/file.err"
expect_eq "file run: exit status" $? 0
final_stock "$T/file.status" >"$T/file.stock"
expect_same_file "file run: final on_hand of every product as computed" "$T/file.stock" "$T/want.stock"
expect_eq "file run: products" "$(wc -l <"$T/file.stock")" 21
expect_grep "file run: p99, not in the catalog, oversold" "^p99 -[1-9]" "$T/file.stock"
alerts "$T/file.alerts" >"$T/file.alert-set"
count() { grep -c -- "$1" "$2"; }
[ "$(count '"kind":"low_stock"' "$T/file.alert-set")" -ge 40 ] &&
	[ "$(count '"kind":"out_of_stock"' "$T/file.alert-set")" -ge 30 ] &&
	[ "$(count '"status":"resolved"' "$T/file.alert-set")" -ge 40 ]
expect_eq "file run: many low_stock ($(count '"kind":"low_stock"' "$T/file.alert-set")), out_of_stock ($(count '"kind":"out_of_stock"' "$T/file.alert-set")) and resolved ($(count '"status":"resolved"' "$T/file.alert-set"))" $? 0

# ---- the pipeline ----
# keyed TYPE KEY: the records of TYPE as KEY<tab>record.
keyed() { jq -r --arg t "$1" 'select(.type == $t) | "\(.'"$2"')\t\(tojson)"' "$T/all"; }
produce() { # TOPIC: keyed records from stdin, where gm's partitioner puts them
	kcat -P -b "$GM_BROKERS" -t "$1" -K '\t' -X partitioner=murmur2_random
}
keyed product product_id | produce products
keyed restock product_id | produce restocks
keyed transaction user_id | produce transactions
expect_eq "produced: transactions" "$(kafka_count transactions)" "$(count '"type":"transaction"' "$T/all")"

# The re-keying step, and meanwhile (a group of its own) gm-inventory
# over the transactions themselves, which it must refuse.
# shellcheck disable=SC2086
gm-inventory -G raw -t transactions -e $group -o "$T/raw.status" -a "$T/raw.alerts" \
	--rejects "$T/raw.rejects" 2>"$T/raw.err" &
raw=$!
# shellcheck disable=SC2086
gm-inventory --rekey -G g1 -t transactions -e $group -o kafka: 2>"$T/rekey.err"
expect_eq "--rekey: exit status" $? 0
expect_eq "--rekey: a sale per product of each transaction" "$(kafka_count sales)" "$sales"
kafka_dump sales '%k\t%p\t%s\n' >"$T/sales.kv"
awk -F'\t' '{ if (index($3, "\"product_id\":\"" $1 "\"") == 0) bad++ } END { exit bad > 0 }' "$T/sales.kv"
expect_eq "--rekey: every sale keyed by its product_id" $? 0
# Co-partitioned: a product's catalog, restocks and sales in one
# partition number, and the products spread over the four.
{ kafka_dump products '%k\t%p\n'; kafka_dump restocks '%k\t%p\n'; cut -f1,2 "$T/sales.kv"; } |
	sort -u >"$T/parts"
expect_eq "a product's records in one partition number of the three topics" \
	"$(cut -f1 "$T/parts" | uniq -d | wc -l)" 0
expect_eq "products over 4 partitions" "$(cut -f2 "$T/parts" | sort -u | wc -l)" 4

# The group over the three topics, read to their end, runs while the
# live stream below goes on.
# shellcheck disable=SC2086
gm-inventory -G whole $inputs -e --final $group -o "$T/whole.status" -a "$T/whole.alerts" \
	2>"$T/whole.err" &
whole=$!

# ---- a transaction in a group, not re-keyed ----
wait "$raw"
expect_eq "transactions in a group: exit status" $? 0
txs=$(kafka_count transactions)
expect_eq "transactions in a group: each rejected" "$(wc -l <"$T/raw.rejects")" "$txs"
for ((i = 0; i < txs; i++)); do
	echo "gm-inventory: transactions[0]@$i: a transaction read in a group: its products are held by several instances; re-key transactions with gm-inventory --rekey and read sales"
done >"$T/raw.want"
grep -v '^gm-inventory: [0-9]* in,' "$T/raw.err" >"$T/raw.got"
expect_same_file "transactions in a group: each rejected with a message that names --rekey" \
	"$T/raw.got" "$T/raw.want"
expect_eq "transactions in a group: no stock" "$(cat "$T/raw.status" "$T/raw.alerts" | wc -l)" 0

# ---- the live stream ----
# The inventory's three topics again, as a live stream: their records in
# event-time order at 45 a second (about 15 s), each to its live_ topic
# with its key, read meanwhile by the group "crash", killed twice, and
# the group "pair", joined by a second member.
{ kafka_dump products '%k\t%s\n'; kafka_dump restocks '%k\t%s\n'; cut -f1,3 "$T/sales.kv"; } >"$T/stream"
/usr/bin/python3 - "$T/stream" "$GM_BROKERS" <<'PY' &
import json, sys, time
from confluent_kafka import Producer
order = {'product': 0, 'restock': 1, 'sale': 2}
recs = []
for n, line in enumerate(open(sys.argv[1])):
    key, value = line.rstrip('\n').split('\t', 1)
    r = json.loads(value)
    recs.append((r['ts'], order[r['type']], n, key, value, r['type']))
recs.sort()
p = Producer({'bootstrap.servers': sys.argv[2], 'partitioner': 'murmur2_random', 'linger.ms': 0})
for _, _, _, key, value, t in recs:
    p.produce('live_' + {'product': 'products', 'restock': 'restocks', 'sale': 'sales'}[t],
              value.encode(), key.encode())
    p.flush()
    time.sleep(1 / 45)
sys.exit(p.flush(10) != 0)
PY
producer=$!
count_lines() { cat "$@" 2>/dev/null | wc -l; }
wait_lines() { # N FILE...: until the files hold N lines (30 s at most)
	local n=$1
	shift
	for _ in $(seq 300); do [ "$(count_lines "$@")" -ge "$n" ] && return 0; sleep 0.1; done
	return 1
}
# shellcheck disable=SC2086
gm-inventory -q -G crash $live $group -o "$T/crash1.status" -a "$T/crash1.alerts" 2>"$T/crash1.err" &
crash=$!
# shellcheck disable=SC2086
gm-inventory -q -G pair $live $group -X debug=cgrp -o "$T/a.status" -a "$T/a.alerts" 2>"$T/a.err" &
a=$!

# Crash 1: in the middle of the stream.
wait_lines 60 "$T/crash1.status" "$T/crash1.alerts"
expect_eq "crash: first life wrote (60 lines)" $? 0
kill -0 "$producer" 2>/dev/null
expect_eq "crash: the first kill came while the stream went on" $? 0
kill -KILL "$crash"
wait "$crash" 2>/dev/null

# The second member of "pair" joins.
wait_lines 60 "$T/a.status" "$T/a.alerts"
expect_eq "pair: member a wrote (60 lines)" $? 0
# shellcheck disable=SC2086
gm-inventory -q -G pair $live $group -o "$T/b.status" -a "$T/b.alerts" 2>"$T/b.err" &
b=$!

# Crash 2: the second life, resumed from the commits and the changelog,
# writes more, and is killed too.
# shellcheck disable=SC2086
gm-inventory -q -G crash $live $group -o "$T/crash2.status" -a "$T/crash2.alerts" 2>"$T/crash2.err" &
crash=$!
wait_lines 20 "$T/crash2.status" "$T/crash2.alerts"
expect_eq "crash: second life wrote (20 lines)" $? 0
kill -KILL "$crash"
wait "$crash" 2>/dev/null

for _ in $(seq 300); do grep -q "delegating revoke" "$T/a.err" && break; sleep 0.1; done
expect_grep "pair: member b's arrival took partitions from member a" "delegating revoke" "$T/a.err"
wait "$producer"
expect_eq "live stream: producer's exit status" $? 0
total=$(($(kafka_count live_products) + $(kafka_count live_restocks) + $(kafka_count live_sales)))
expect_eq "live stream: every record" "$total" "$(wc -l <"$T/stream")"

wait "$whole"
expect_eq "group over the three topics: exit status" $? 0
final_stock "$T/whole.status" >"$T/whole.stock"
expect_same_file "group: final on_hand of every product as computed" "$T/whole.stock" "$T/want.stock"
expect_same_file "group: final on_hand of every product as from the file" "$T/whole.stock" "$T/file.stock"
expect_grep "group: the repeated transactions and restocks skipped ($skipped)" \
	"^gm-inventory: warning: $skipped records skipped: their transaction_id or restock_id came before\$" \
	"$T/whole.err"
alerts "$T/whole.alerts" >"$T/whole.alert-set"
expect_eq "group: alerts of one id" "$(shared_ids "$T/whole.alert-set")" 0
expect_same_file "group: the alerts of the file run" "$T/whole.alert-set" "$T/file.alert-set"

# The stream ended: the last life of "crash" reads to its end, and so
# does, meanwhile, the uninterrupted run; the members of "pair" stop,
# and a last run ends the input.
# shellcheck disable=SC2086
gm-inventory -G crash $live -e --final $group -o "$T/crash3.status" -a "$T/crash3.alerts" \
	2>"$T/crash3.err" &
crash=$!
# shellcheck disable=SC2086
gm-inventory -q -G once $live -e --final $group -o "$T/once.status" -a "$T/once.alerts" \
	2>"$T/once.err" &
once=$!
[ "$(count_lines "$T/b.status")" -gt 0 ]
expect_eq "pair: member b wrote the status of its partitions ($(count_lines "$T/b.status"))" $? 0
kill -TERM "$a" "$b"
wait "$a"
expect_eq "pair: member a, stopped: exit status" $? 0
wait "$b"
expect_eq "pair: member b, stopped: exit status" $? 0
# shellcheck disable=SC2086
gm-inventory -q -G pair $live -e --final $group -o "$T/c.status" -a "$T/c.alerts" 2>"$T/c.err"
expect_eq "pair: the last run's exit status" $? 0
wait "$crash"
expect_eq "crash: last life's exit status" $? 0
resumed_in=$(sed -n 's/^gm-inventory: \([0-9]*\) in,.*/\1/p' "$T/crash3.err")
[ -n "$resumed_in" ] && [ "$resumed_in" -lt "$total" ]
expect_eq "crash: last life read part of the stream ($resumed_in of $total)" $? 0

# ---- the uninterrupted run over the live topics ----
wait "$once"
expect_eq "uninterrupted: exit status" $? 0
final_stock "$T/once.status" >"$T/once.stock"
alerts "$T/once.alerts" >"$T/once.alert-set"
expect_same_file "uninterrupted: final on_hand as computed" "$T/once.stock" "$T/want.stock"
expect_same_file "uninterrupted: the alerts of the group over the first topics" \
	"$T/once.alert-set" "$T/whole.alert-set"

# like_once WHAT FILES...: the status files, then the alert files, of a
# run in parts, in the order written.
like_once() {
	local what=$1
	shift
	final_stock "$@" >"$T/got.stock"
	alerts "$@" >"$T/got.alert-set"
	expect_same_file "$what: final on_hand of the uninterrupted run" "$T/got.stock" "$T/once.stock"
	expect_eq "$what: alerts of one id" "$(shared_ids "$T/got.alert-set")" 0
	expect_same_file "$what: the alerts of the uninterrupted run" "$T/got.alert-set" "$T/once.alert-set"
	jq -r .alert_id "$T/got.alert-set" | sort >"$T/got.ids"
	jq -r .alert_id "$T/once.alert-set" | sort >"$T/once.ids"
	expect_same_file "$what: the alert_ids of the uninterrupted run" "$T/got.ids" "$T/once.ids"
}
like_once "killed twice and resumed" "$T"/crash[123].status "$T"/crash[123].alerts
like_once "two members, then a last run" "$T"/[abc].status "$T"/[abc].alerts
finish

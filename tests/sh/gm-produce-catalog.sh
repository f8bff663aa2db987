# gm-produce --catalog: the catalog and the restocks (gm-produce(1),
# "Catalog and stock"). The same seed gives the same catalog and events;
# the shop's events are those of a run without --catalog, with the
# deliveries among them; the catalog sells every product the events
# name, in its category, at its price, with stock and reorder point as
# the page sizes them; replayed over the catalog, the transactions take
# products to their reorder point, and each restock comes the lead time
# after the sale that did, with the units that bring the product back to
# its starting stock, no other and none missing; in a day of events, the
# popular products run low and the long tail does not.
. "$(dirname "$0")/../lib.sh"

# A day of event time in 500,000 events (-n with -d sets the rate), at
# the default --products: a few seconds.
opts="-q -r 0 --start 2026-11-24T00:00:00Z -n 500000 -d 1d"
# shellcheck disable=SC2086
gm-produce $opts --catalog "$T/catalog" -o "$T/events"
expect_eq "gm-produce --catalog (exit status)" $? 0
# shellcheck disable=SC2086
gm-produce $opts --catalog "$T/catalog2" -o "$T/events2"
expect_same_file "same seed, same catalog" "$T/catalog2" "$T/catalog"
expect_same_file "same seed, same events and restocks" "$T/events2" "$T/events"
# shellcheck disable=SC2086
gm-produce $opts -s 2 --catalog "$T/catalog3" -o /dev/null
cmp -s "$T/catalog3" "$T/catalog"; expect_eq "another seed, another catalog" $? 1
# shellcheck disable=SC2086
gm-produce $opts >"$T/plain"
expect_same_file "the shop's events are those of a run without --catalog" \
	<(grep -v '^{"type":"restock"' "$T/events") "$T/plain"
gm-cat -q -n --strict "$T/catalog" "$T/events"
expect_eq "every record valid (gm-cat --strict)" $? 0

# One output for both: the catalog first, then the events.
# shellcheck disable=SC2086
gm-produce $opts --catalog - >"$T/both"
expect_same_file "--catalog and -o the same: the catalog, then the events" "$T/both" <(cat "$T/catalog" "$T/events")
# The summary counts every record written.
# shellcheck disable=SC2086
gm-produce ${opts/-q/} --catalog "$T/catalog4" -o /dev/null 2>"$T/summary"
expect_grep "summary: products, events and restocks out" \
	"^gm-produce: 0 in, $(($(wc -l <"$T/catalog") + $(wc -l <"$T/events"))) out," "$T/summary"

# The replay, over the catalog and the events; the rules as gm-produce(1)
# gives them. Prints the products that reached their reorder point.
python3 - "$T/catalog" "$T/events" >"$T/replay" <<'EOF'
import json, math, sys
from datetime import datetime

LEAD = 2 * 3600 * 1000
MAX = 1000000000
START = "2026-11-24T00:00:00.000Z"

def ms(ts):
    return int(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000 + 0.5)

def fail(n, what):
    sys.exit(f"line {n}: {what}")

# The page's sizing: d, the units the shop is expected to sell of a
# product in a day at its event rate, outside anomalies.
weights = dict(electronics=0.14, clothing=0.18, home=0.12, books=0.10, beauty=0.09,
               sports=0.08, toys=0.08, grocery=0.11, garden=0.05, jewelry=0.05)
cats = list(weights)
products = 250000
rate = 500000 / 86400
adds = 0.92 + 2 * 0.07 + 3 * 0.01
per_session = 0.10 * 2 + 0.90 * adds * 2.28 + 0.90 * adds * 1.03 + 0.90 * 0.92
units = 0.90 * 0.92 * adds * 0.97 * (0.78 + 2 * 0.15 + 3 * 0.05 + 4 * 0.02)
def daily(pid):
    c = pid % 10
    n = (products - c + 9) // 10
    r, s = pid // 10 + 1, 0.05
    chance = (0.8 * weights[cats[c]] + 0.02) * ((r + 1) ** s - r ** s) / ((n + 1) ** s - 1)
    return rate * 86400 / per_session * units * chance

catalog, sized = {}, 0
for n, line in enumerate(open(sys.argv[1]), 1):
    p = json.loads(line)
    pid = p["product_id"]
    if p["type"] != "product" or p["ts"] != START or pid != "p%06d" % (n - 1):
        fail(n, f"not the catalog's product {n - 1} at --start: {line}")
    if not p["name"] or not 1 <= p["reorder_point"] < p["stock"] <= MAX:
        fail(n, f"name, stock or reorder point: {line}")
    d = daily(n - 1)
    rp = max(1, math.ceil(d * 4 / 24))
    stock = rp + math.ceil(d * 12 / 24) + 200
    # (the floating point of the page's sums may differ by a unit)
    if abs(p["reorder_point"] - rp) > 1 or abs(p["stock"] - stock) > 1:
        fail(n, f"stock {p['stock']} and reorder point {p['reorder_point']}, the page says {stock} and {rp}")
    catalog[pid] = p
if len(catalog) != products:
    fail(n, f"{len(catalog)} products, not {products}")

on_hand = {pid: p["stock"] for pid, p in catalog.items()}
due = {}            # product -> when its delivery arrives
low, restocks, last = set(), 0, 0
for n, line in enumerate(open(sys.argv[2]), 1):
    e = json.loads(line)
    t = ms(e["ts"])
    if t < last:
        fail(n, "out of time order")
    last = t
    # A delivery comes before every event of its millisecond or later.
    late = [p for p, at in due.items() if at < t or (at == t and e["type"] != "restock")]
    if late:
        fail(n, f"the delivery of {late[0]} due at {due[late[0]]} has not come")
    lines = []
    if e["type"] in ("product_view", "cart_event"):
        lines = [e]
    elif e["type"] == "transaction":
        lines = e["items"]
    for it in lines:
        p = catalog.get(it["product_id"])
        if not p or p["category"] != it["category"] or it.get("unit_price", p["unit_price"]) != p["unit_price"]:
            fail(n, f"{it['product_id']}: not in the catalog as sold: {line}")
    if e["type"] == "transaction":
        for it in e["items"]:
            pid = it["product_id"]
            on_hand[pid] -= it["quantity"]
            if on_hand[pid] <= catalog[pid]["reorder_point"] and pid not in due:
                due[pid] = t + LEAD
                low.add(pid)
    elif e["type"] == "restock":
        pid = e["product_id"]
        restocks += 1
        if e["restock_id"] != "r%010d" % restocks:
            fail(n, f"restock_id {e['restock_id']}, not the {restocks}th")
        if due.pop(pid, None) != t:
            fail(n, f"a restock of {pid} not due now")
        want = min(catalog[pid]["stock"] - on_hand[pid], MAX)
        if e["quantity"] != want:
            fail(n, f"quantity {e['quantity']}, not {want}")
        on_hand[pid] += e["quantity"]
        if on_hand[pid] <= catalog[pid]["reorder_point"]:
            due[pid] = t + LEAD
print(f"restocks={restocks} low={len(low)} pending={len(due)} oversold={sum(v < 0 for v in on_hand.values())}")
for pid in sorted(low):
    print(pid)
EOF
expect_eq "restocks as the policy says, exactly (replay)" $? 0
head -1 "$T/replay" >&2
low=$(tail -n +2 "$T/replay")
[ -n "$low" ] || fail "no product reached its reorder point in a day"
# The popular products run low, the long tail does not: those that did
# are among the first hundred of their category (ids below 1000).
expect_eq "only popular products ran low" "$(echo "$low" | awk '{ if (substr($1, 2) + 0 >= 1000) print }')" ""
expect_grep "the most popular product ran low" "^p000001$" "$T/replay"

# Options: a bad --catalog output is a failure; too many products for
# its stock a usage error.
gm-produce -q -r 0 -n 10 --catalog /nonexistent/dir/catalog >/dev/null 2>&1
expect_eq "--catalog into a missing folder (exit status)" $? 1
gm-produce -q -r 0 -n 10 --products 200000000 --catalog "$T/x" >/dev/null 2>&1
expect_eq "--catalog with 200000000 products (exit status)" $? 2
finish

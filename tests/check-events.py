#!/usr/bin/python3
"""check-events.py: properties of a gm-produce stream, read on stdin.

Prints one line of counts (as JSON) and exits 1 with a message for the
first violation of:
  - events come in event-time order (ts never decreases);
  - a session keeps one user and one country;
  - every transaction buys exactly what its session's cart holds: each
    item's quantity is the sum of its adds, nothing removed is bought,
    and total_amount is the sum of quantity * unit_price, in cents;
  - with --truth, every event carries "anomaly" and a session one kind.
The "steady" counts are the mix of the sessions that began at least
MARGIN after the first event and before MARGIN ahead of the last, so that
the shop's opening and the sessions cut off at the end do not skew them.
"""
import json
from datetime import datetime
import sys
from collections import Counter, defaultdict

truth = "--truth" in sys.argv
counts = Counter()
anomalies = Counter()
session_user, session_country, session_kind = {}, {}, {}
carts = defaultdict(dict)          # session -> product -> quantity
removed = defaultdict(set)         # session -> products taken out
burst_tx = Counter()
last_ts = ""
MARGIN_MS = 5 * 60 * 1000
session_first = {}                 # session -> ms of its first event
session_types = defaultdict(Counter)


def fail(n, msg):
    print(f"line {n}: {msg}", file=sys.stderr)
    sys.exit(1)


def cents(x):
    return round(x * 100)


for n, line in enumerate(sys.stdin, 1):
    e = json.loads(line)
    t = e["type"]
    counts[t] += 1
    if e["ts"] < last_ts:
        fail(n, f"ts {e['ts']} before {last_ts}")
    last_ts = e["ts"]
    s = e["session_id"]
    if s not in session_first:
        ms = datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).timestamp() * 1000
        session_first[s] = ms
    session_types[s][t] += 1
    if session_user.setdefault(s, e["user_id"]) != e["user_id"]:
        fail(n, f"session {s} changed user")
    if "country" in e and session_country.setdefault(s, e["country"]) != e["country"]:
        fail(n, f"session {s} changed country")
    if truth:
        if "anomaly" not in e:
            fail(n, "no anomaly field with --truth")
        if session_kind.setdefault(s, e["anomaly"]) != e["anomaly"]:
            fail(n, f"session {s} changed anomaly kind")
    elif "anomaly" in e:
        fail(n, "anomaly field without --truth")
    if t == "cart_event":
        p = e["product_id"]
        if e["action"] == "add":
            if p in removed[s]:
                fail(n, f"{p} added again after its removal in {s}")
            carts[s][p] = carts[s].get(p, 0) + e["quantity"]
        else:
            if carts[s].get(p) != e["quantity"]:
                fail(n, f"remove of {e['quantity']} x {p}, cart holds {carts[s].get(p)}")
            del carts[s][p]
            removed[s].add(p)
    elif t == "transaction":
        bought = {i["product_id"]: i["quantity"] for i in e["items"]}
        if len(bought) != len(e["items"]):
            fail(n, "a product twice in one transaction")
        if bought != carts[s]:
            fail(n, f"transaction {e['transaction_id']} bought {bought}, cart held {carts[s]}")
        total = sum(i["quantity"] * cents(i["unit_price"]) for i in e["items"])
        if total != cents(e["total_amount"]):
            fail(n, f"total_amount {e['total_amount']} is not the items' {total / 100}")
        carts[s] = {}
        if truth:
            anomalies[e["anomaly"]] += 1
            if e["anomaly"] == "burst":
                burst_tx[s] += 1

report = dict(counts)
if session_first:
    lo = min(session_first.values()) + MARGIN_MS
    hi = max(session_first.values()) - MARGIN_MS
    steady = Counter()
    steady_anomalies = Counter()
    for s, first in session_first.items():
        if lo <= first <= hi:
            steady.update(session_types[s])
            if truth:
                steady_anomalies[session_kind[s]] += session_types[s]["transaction"]
    report["steady"] = dict(steady)
    if truth:
        report["steady_anomalies"] = dict(steady_anomalies)
if truth:
    report["anomalies"] = dict(anomalies)
    report["burst_sessions"] = len(burst_tx)
    report["burst_min"] = min(burst_tx.values(), default=0)
print(json.dumps(report, sort_keys=True))

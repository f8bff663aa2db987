#!/usr/bin/python3
"""report-stream.py FILE...: the members "alerts", "inventory" and
"sessions" of gm-report's page data, computed on their own from the
NDJSON files of gm-txmon, gm-session and gm-inventory (gzip when a name
ends in .gz), for tests/sh/gm-report-stream.sh to compare with what
gm-report --stream writes of the same files. Prints the three, one JSON
line each, in that order, as the page's contract (gm-report(1), DATA)
has them:

  alerts     the alerts (an alert_id read again counts once, the first
             time), the 500 newest as rows [ts, kind, severity, source,
             status ("firing" when absent), summary], newest first, of
             equal ts the smaller alert_id first; "total", how many; and
             "counts", [kind, severity, firing, resolved] for each kind
             and severity, sorted.
  inventory  each product's inventory_status of the latest ts (of equal
             ts, the last read), as [product_id, category or null,
             on_hand, status], by product_id.
  sessions   the sessions (a session_id read again counts once) by the
             UTC day of their start: [day, sessions, those with
             cart_adds > 0, those converted, the sum of transactions,
             the sum of revenue in cents], by day.

Records of other types are skipped. The files are taken as good: their
checks are gm-report's, and this has only to add up."""
import gzip
import json
import sys
from decimal import Decimal

alerts, products, sessions = {}, {}, {}
for path in sys.argv[1:]:
    with (gzip.open if path.endswith(".gz") else open)(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line, parse_float=Decimal)
            t = r.get("type")
            if t == "alert":
                alerts.setdefault(r["alert_id"], r)
            elif t == "inventory_status":
                was = products.get(r["product_id"])
                if was is None or r["ts"] >= was["ts"]:
                    products[r["product_id"]] = r
            elif t == "session":
                sessions.setdefault(r["session_id"], r)

# Times are RFC 3339 UTC with milliseconds, as the tools write them:
# their order is their text's.
newest = sorted(sorted(alerts.values(), key=lambda a: a["alert_id"]), key=lambda a: a["ts"], reverse=True)
counts = {}
for a in alerts.values():
    c = counts.setdefault((a["kind"], a["severity"]), [0, 0])
    c[a.get("status") == "resolved"] += 1
print(json.dumps({
    "rows": [[a["ts"], a["kind"], a["severity"], a["source"], a.get("status", "firing"), a["summary"]]
             for a in newest[:500]],
    "total": len(alerts),
    "counts": [[k, s, c[0], c[1]] for (k, s), c in sorted(counts.items())],
}))
print(json.dumps({"rows": [[p, r.get("category"), r["on_hand"], r["status"]] for p, r in sorted(products.items())]}))
days = {}
for s in sessions.values():
    d = days.setdefault(s["start"][:10], [0, 0, 0, 0, 0])
    d[0] += 1
    d[1] += s["cart_adds"] > 0
    d[2] += s["converted"]
    d[3] += s["transactions"]
    d[4] += int(Decimal(s["revenue"]) * 100)
print(json.dumps({"rows": [[day] + d for day, d in sorted(days.items())]}))

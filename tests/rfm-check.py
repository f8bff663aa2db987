#!/usr/bin/python3
"""rfm-check.py RFM_OUTPUT FILE...: checks what gm-rfm wrote (its NDJSON
records, over all history, as of its default day, --bins 5 and the
default grid) against an independent computation over the raw events in
FILE...

The raw events are read as tests/etl-check.py reads them (its loader:
the first transaction of an id counts, bad records are skipped), which
gives each customer's orders, money (integer cents, the lines' quantity
times unit price) and last purchase. From those, by the words of
gm-rfm's rules (gm-rfm(1)), not its code:
  as_of        the UTC day after the newest transaction;
  recency_days as_of minus the UTC day of the last purchase;
  a score      1 + floor(5 * below / n), below the number of customers
               whose value is strictly less; recency's is 6 minus that
               score of recency_days (the most recent score 5);
  the segment  the first rule of R's rfm_segment() grid that holds the
               scores, else Others.
Compared: every customer_segment field, every rfm_cuts row (customers,
least and greatest value of each score), and, on gm-rfm's own output,
that a larger measure never scores lower and equal ones score the same.
Prints the first 20 differences and exits 1, or "customers N" and
"cuts N" and exits 0; 2 for a usage error.
"""
import bisect
import json
import sys
from datetime import date
from decimal import Decimal

from etl_events import etl

MAX_SHOWN = 20
BINS = 5
DAY_MS = 86400000
EPOCH_ORD = date(1970, 1, 1).toordinal()

# R's rfm package, rfm_segment(): (name, R, F, M), ranges inclusive.
GRID = [
    ("Champions", (5, 5), (5, 5), (5, 5)),
    ("Potential Loyalist", (3, 5), (3, 5), (2, 5)),
    ("Loyal Customers", (2, 4), (2, 4), (2, 4)),
    ("Promising", (3, 4), (1, 3), (3, 5)),
    ("New Customers", (4, 5), (1, 3), (1, 5)),
    ("Can't Lose Them", (1, 2), (3, 4), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (4, 5)),
    ("Need Attention", (1, 3), (3, 5), (3, 5)),
    ("About To Sleep", (2, 3), (1, 3), (1, 4)),
    ("Lost", (1, 1), (1, 5), (1, 5)),
]



def scores(values):
    """Each value's score by ranks: 1 + floor(BINS * below / n)."""
    ordered = sorted(values)
    n = len(values)
    return [1 + BINS * bisect.bisect_left(ordered, v) // n for v in values]


def segment(r, f, m):
    for name, rr, ff, mm in GRID:
        if rr[0] <= r <= rr[1] and ff[0] <= f <= ff[1] and mm[0] <= m <= mm[1]:
            return name
    return "Others"


def cents(v):
    return int(Decimal(str(v)) * 100)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write("usage: rfm-check.py RFM_OUTPUT FILE...\n")
        return 2
    raw = etl.Raw()
    for path in argv[2:]:
        raw.read(path)
    users = sorted(raw.customers)
    n = len(users)
    newest = max(raw.customers[u][4] for u in users)
    as_of = newest // DAY_MS + 1
    recency = [as_of - raw.customers[u][4] // DAY_MS for u in users]
    frequency = [raw.customers[u][0] for u in users]
    monetary = [raw.customers[u][2] for u in users]
    r = [BINS + 1 - s for s in scores(recency)]
    f = scores(frequency)
    m = scores(monetary)
    as_of_text = date.fromordinal(as_of + EPOCH_ORD).isoformat()

    diffs = []

    def diff(what, want, got):
        diffs.append("%s: expected %r, got %r" % (what, want, got))

    got_cust, got_cuts = {}, {}
    with open(argv[1]) as out:
        for line in out:
            rec = json.loads(line)
            if rec["type"] == "customer_segment":
                got_cust[rec["user_id"]] = rec
            elif rec["type"] == "rfm_cuts":
                got_cuts[(rec["measure"], rec["score"])] = rec
    if sorted(got_cust) != users:
        diff("customers", n, len(got_cust))
    for i, u in enumerate(users):
        g = got_cust.get(u)
        if g is None:
            continue
        want = {"as_of": as_of_text, "recency_days": recency[i], "frequency": frequency[i],
                "monetary": monetary[i], "r": r[i], "f": f[i], "m": m[i],
                "rfm_score": r[i] * 100 + f[i] * 10 + m[i],
                "segment": segment(r[i], f[i], m[i]),
                "segment_id": "%s/%s" % (as_of_text, u)}
        for k, v in want.items():
            got = cents(g[k]) if k == "monetary" else g[k]
            if got != v:
                diff("%s %s" % (u, k), v, got)

    # The cuts: each score's customers and least and greatest value.
    ncuts = 0
    for name, values, sc, money in (("recency_days", recency, r, False),
                                    ("frequency", frequency, f, False),
                                    ("monetary", monetary, m, True)):
        for s in range(1, BINS + 1):
            held = [v for v, x in zip(values, sc) if x == s]
            g = got_cuts.get((name, s))
            ncuts += 1
            if g is None:
                diff("cut %s/%d" % (name, s), "a row", None)
                continue
            conv = cents if money else int
            want = (len(held), min(held) if held else None, max(held) if held else None)
            got = (g["customers"], conv(g["min_value"]) if "min_value" in g else None,
                   conv(g["max_value"]) if "max_value" in g else None)
            if want != got:
                diff("cut %s/%d (customers, min, max)" % (name, s), want, got)

    # Monotonic, on gm-rfm's own scores: sorted by the measure, the
    # scores never fall, and a value scores as the one before it.
    for name, key, field in (("recency", lambda g: -g["recency_days"], "r"),
                             ("frequency", lambda g: g["frequency"], "f"),
                             ("monetary", lambda g: cents(g["monetary"]), "m")):
        ordered = sorted(got_cust.values(), key=key)
        for a, b in zip(ordered, ordered[1:]):
            if b[field] < a[field] or key(a) == key(b) and a[field] != b[field]:
                diff("%s monotonic at %s, %s" % (name, a["user_id"], b["user_id"]),
                     "%d <= %d" % (a[field], b[field]), "no")
                break

    if diffs:
        for d in diffs[:MAX_SHOWN]:
            print(d)
        print("%d differences" % len(diffs))
        return 1
    print("customers %d" % n)
    print("cuts %d" % ncuts)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

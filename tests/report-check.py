#!/usr/bin/python3
"""report-check.py [--segments FILE] [--filters FILE] EVENTS...: the KPIs
of gm-report's page, computed on their own from the raw events that
gm-produce wrote, for tests/report-page.mjs's output to be compared with.

The events are read as tests/etl-check.py reads them (its loader: the
first transaction of an id counts, records of other types and bad ones
are skipped, money in integer cents). For a filter, the transactions
that count are those whose UTC day of ts is in [from, to] (either may be
"", no bound) and whose country is the filter's (or any, ""); of each, the
lines of the filter's category (or all, ""). Then, as the page's contract
defines its KPI cards:
  revenue          the sum of those lines' quantity times unit_price;
  orders           the transactions with at least one such line;
  customers        their distinct user_id;
  avg_order_value  revenue / orders, rounded half away from zero to the
                   cent; "" when there is no order.
A filter's segment keeps the transactions of the customers in it: each
customer's segment is their customer_segment row of the newest as_of in
FILE (a customer_segments table, as gm-rfm(1) writes it), "(none)" for a
customer without one. (Which customer is in which segment is gm-rfm's,
checked by tests/rfm-check.py; what the page does with it is checked here.)

With --filters, FILE holds the lines that report-page.mjs prints, of which
those "filters NAME {...}" are read (from, to, country, category, segment;
the others are the page's own); for each it prints
  kpis NAME {"revenue":"1234.50","orders":"12","customers":"9","avg_order_value":"102.88"}
and
  changes NAME {"revenue":"0.1250","orders":"-0.0300",...}
each KPI against the same over as many days just before from: their ratio
less 1, to four decimals, half away from zero; "" when those days are all
before the first day with a transaction, or when the filter has no from
or to, or when the KPI there is 0 or has no value. Both as report-page.mjs
prints the page's, so that they can be compared line for line. Without
--filters, the two lines of the filter "all", all the events.

First it prints "days FIRST LAST", the first and last UTC day with a
transaction ("days - -" for none), and "bad N", the records it skipped as
bad (etl-check.py's count; records of other types are not bad). Exits 0,
or 2 for a usage error, a file it cannot read, or a filter with a segment
but no --segments.
"""
import json
import sys
from datetime import date, timedelta

from etl_events import etl





class Orders(etl.Raw):
    """etl-check.py's loader that also keeps each transaction it counts,
    as (day, country, user, {category: cents}): the page's KPIs cut the
    sales by customer as well, which its tables of sums do not."""

    def __init__(self):
        super().__init__()
        self.orders = []

    def transaction(self, r):
        dup = self.duplicates
        super().transaction(r)      # Bad for a record it refuses: not counted
        if self.duplicates != dup:
            return
        _, _, day, user = etl.source(r, "transaction_id")
        cats = {}
        for it in r["items"]:
            cents = etl.quantity(it["quantity"]) * etl.money(it["unit_price"])
            cats[it["category"]] = cats.get(it["category"], 0) + cents
        self.orders.append((day, r["country"], user, cats))


def latest_segments(path):
    """user -> segment of the newest as_of of a customer_segments file."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                if r.get("type") == "customer_segment":
                    rows.append(r)
    newest = max((r["as_of"] for r in rows), default=None)
    return {r["user_id"]: r["segment"] for r in rows if r["as_of"] == newest}


def totals(orders, segments, flt):
    """(cents, orders, customers) of the orders that flt keeps."""
    lo, hi = flt.get("from", ""), flt.get("to", "")
    country, category, segment = (flt.get("country", ""), flt.get("category", ""),
                                  flt.get("segment", ""))
    cents = n = 0
    users = set()
    for day, c, user, cats in orders:
        if lo and day < lo or hi and day > hi or country and c != country:
            continue
        if segment and segments.get(user, "(none)") != segment:
            continue
        if category:
            if category not in cats:
                continue
            amount = cats[category]
        else:
            amount = sum(cats.values())
        cents += amount
        n += 1
        users.add(user)
    return cents, n, len(users)


def money(cents):
    return "%d.%02d" % divmod(cents, 100)


def kpis(t):
    """The four KPIs of totals t, as the page's data-value writes them."""
    cents, n, users = t
    return {"revenue": money(cents), "orders": str(n), "customers": str(users),
            "avg_order_value": money(etl.div_half_away(cents, n)) if n else ""}


def changes(t, p):
    """Each KPI of totals t against p, those of the period before: the
    ratio less 1, to four decimals half away from zero, as data-change
    writes it; "" when p has no value or its value is 0."""
    def ratio(now, before):
        if not before:
            return ""
        r = etl.div_half_away((now - before) * 10000, before)
        return "%s%d.%04d" % ("-" if r < 0 else "", abs(r) // 10000, abs(r) % 10000)

    def aov(x):
        return etl.div_half_away(x[0], x[1]) if x and x[1] else None
    if p is None:
        return {k: "" for k in ("revenue", "orders", "customers", "avg_order_value")}
    return {"revenue": ratio(t[0], p[0]), "orders": ratio(t[1], p[1]),
            "customers": ratio(t[2], p[2]),
            "avg_order_value": "" if aov(t) is None else ratio(aov(t), aov(p))}


def previous(flt, first):
    """flt over the as many days just before its from; None when those
    days are all before first, the first day of the data, or flt has no
    range."""
    if not flt.get("from") or not flt.get("to"):
        return None
    lo, hi = date.fromisoformat(flt["from"]), date.fromisoformat(flt["to"])
    if lo - timedelta(days=1) < first:
        return None
    return dict(flt, **{"from": (lo - (hi - lo) - timedelta(days=1)).isoformat(),
                        "to": (lo - timedelta(days=1)).isoformat()})


def main(argv):
    usage = "usage: report-check.py [--segments FILE] [--filters FILE] EVENTS...\n"
    args = argv[1:]
    if args[:1] in (["-h"], ["--help"]):
        sys.stdout.write(usage)
        return 0
    seg_file = filters_file = None
    while len(args) >= 2 and args[0] in ("--segments", "--filters"):
        if args[0] == "--segments":
            seg_file = args[1]
        else:
            filters_file = args[1]
        args = args[2:]
    if not args or args[0].startswith("-"):
        sys.stderr.write(usage)
        return 2
    filters = [("all", {})]
    try:
        if filters_file is not None:
            filters = []
            with open(filters_file, encoding="utf-8") as f:
                for line in f:
                    if line.startswith("filters "):
                        _, name, text = line.rstrip("\n").split(" ", 2)
                        filters.append((name, json.loads(text)))
        segments = latest_segments(seg_file) if seg_file is not None else None
        raw = Orders()
        for path in args:
            raw.read(path)
    except (OSError, ValueError) as e:
        sys.stderr.write("report-check.py: %s\n" % e)
        return 2
    days = [o[0] for o in raw.orders]
    print("days %s %s" % (min(days), max(days)) if days else "days - -")
    print("bad %d" % raw.skipped_bad)
    for name, flt in filters:
        if flt.get("segment") and segments is None:
            sys.stderr.write("report-check.py: filter %s has a segment: give --segments\n" % name)
            return 2
        t = totals(raw.orders, segments or {}, flt)
        prev = previous(flt, date.fromisoformat(min(days))) if days else None
        p = totals(raw.orders, segments or {}, prev) if prev else None
        print("kpis %s %s" % (name, json.dumps(kpis(t), separators=(",", ":"))))
        print("changes %s %s" % (name, json.dumps(changes(t, p), separators=(",", ":"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

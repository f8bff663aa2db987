#!/usr/bin/python3
"""stocktrack.py: each product's units on hand from NDJSON records, in
plain Python.

    stocktrack.py FILE...

Reads product records (the catalog: a product's first sets its level,
a later one is a stock count that sets it again), restock records (add
their quantity) and transactions and sales (subtract their items'
quantities), in the order they come; a transaction_id or restock_id
seen before (for a sale, its transaction_id with its product_id) moves
nothing. Other types are skipped. Prints one line per product, in order
of product_id: the product_id, a tab and its units on hand.

This is deliberately the plain way (json.loads per line, two dicts and
a set): `make bench` times it as the anchor that gm-inventory is
compared with, and the tests use it as an independent computation of
the final stock. Standard library only; runs with /usr/bin/python3.
"""

import json
import sys


def track(paths):
    """The units on hand of every product the records name."""
    stock = {}
    seen = set()
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                kind = rec.get("type")
                if kind == "product":
                    stock[rec["product_id"]] = rec["stock"]
                elif kind == "restock":
                    if ("r", rec["restock_id"]) in seen:
                        continue
                    seen.add(("r", rec["restock_id"]))
                    pid = rec["product_id"]
                    stock[pid] = stock.get(pid, 0) + rec["quantity"]
                elif kind == "transaction":
                    if ("t", rec["transaction_id"]) in seen:
                        continue
                    seen.add(("t", rec["transaction_id"]))
                    for item in rec["items"]:
                        pid = item["product_id"]
                        stock[pid] = stock.get(pid, 0) - item["quantity"]
                elif kind == "sale":
                    key = ("s", rec["transaction_id"], rec["product_id"])
                    if key in seen:
                        continue
                    seen.add(key)
                    pid = rec["product_id"]
                    stock[pid] = stock.get(pid, 0) - rec["quantity"]
    return stock


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: stocktrack.py FILE...")
    stock = track(sys.argv[1:])
    out = sys.stdout
    for pid in sorted(stock, key=lambda p: p.encode("utf-8")):
        out.write(f"{pid}\t{stock[pid]}\n")


if __name__ == "__main__":
    main()

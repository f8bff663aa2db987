#!/usr/bin/python3
"""gen-events.py: write mixed gm source events as NDJSON on stdout.

    gen-events.py [--seed N] [--count N]

Writes COUNT records (default 1000) of the three source event types of
gm-events(5), `transaction`, `product_view` and `cart_event`, in about
100:300:100 proportion, one json.dumps() per record. Times start at
2026-11-24T00:00:00.000Z and grow by 1-5 ms per event. The same seed
gives the same bytes.

This is deliberately a plain, single-process Python generator: `make
bench` times it as the anchor that gm-produce is compared with.
Standard library only; runs with /usr/bin/python3.
"""

import argparse
import json
import random
import sys
import time

COUNTRIES = ["USA", "UK", "Canada", "Germany", "France"]
CATEGORIES = ["electronics", "clothing", "home", "books", "sports",
              "beauty", "toys", "grocery"]
PAYMENT_METHODS = ["credit_card", "debit_card", "paypal", "apple_pay",
                   "google_pay"]
NPRODUCTS = 5000
NSESSIONS = 2000          # sessions open at any one time
START_MS = 1795478400000  # 2026-11-24T00:00:00.000Z


def make_catalog(rng):
    """A product id, category and base price for every product."""
    catalog = []
    for i in range(NPRODUCTS):
        catalog.append(("p%05d" % i, rng.choice(CATEGORIES),
                        round(rng.uniform(2.0, 500.0), 2)))
    return catalog


class Clock:
    """Event time: RFC 3339 UTC with milliseconds, always increasing."""

    def __init__(self):
        self.ms = START_MS
        self.sec = None
        self.prefix = ""

    def next(self, rng):
        self.ms += rng.randint(1, 5)
        sec, milli = divmod(self.ms, 1000)
        if sec != self.sec:
            self.sec = sec
            self.prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        return "%s.%03dZ" % (self.prefix, milli)


def main():
    ap = argparse.ArgumentParser(
        description="Write mixed gm source events (NDJSON) on stdout.")
    ap.add_argument("--seed", type=int, default=1, help="random seed (1)")
    ap.add_argument("--count", type=int, default=1000,
                    help="number of records (1000)")
    args = ap.parse_args()
    if args.count < 0:
        ap.error("--count must not be negative")

    rng = random.Random(args.seed)
    catalog = make_catalog(rng)
    clock = Clock()
    next_session = 0
    next_id = 0

    def new_session():
        nonlocal next_session
        next_session += 1
        return ("u%06d" % rng.randint(100000, 999999),
                "s%08d" % next_session,
                rng.choice(COUNTRIES))

    sessions = [new_session() for _ in range(NSESSIONS)]
    out = sys.stdout
    dumps = json.dumps

    for _ in range(args.count):
        next_id += 1
        ts = clock.next(rng)
        slot = rng.randrange(NSESSIONS)
        user_id, session_id, country = sessions[slot]
        if rng.random() < 0.05:  # this session ends; another one starts
            sessions[slot] = new_session()

        r = rng.random()
        if r < 0.2:
            items = []
            total = 0.0
            for _ in range(rng.randint(1, 4)):
                product_id, category, price = rng.choice(catalog)
                quantity = rng.randint(1, 3)
                items.append({"product_id": product_id, "category": category,
                              "quantity": quantity, "unit_price": price})
                total += quantity * price
            rec = {"type": "transaction",
                   "transaction_id": "t%010d" % next_id,
                   "ts": ts, "user_id": user_id, "session_id": session_id,
                   "country": country,
                   "payment_method": rng.choice(PAYMENT_METHODS),
                   "items": items, "total_amount": round(total, 2)}
        elif r < 0.8:
            product_id, category, _price = rng.choice(catalog)
            rec = {"type": "product_view", "event_id": "e%010d" % next_id,
                   "ts": ts, "user_id": user_id, "session_id": session_id,
                   "product_id": product_id, "category": category,
                   "country": country,
                   "duration_ms": rng.randint(200, 120000)}
        else:
            product_id, category, price = rng.choice(catalog)
            rec = {"type": "cart_event", "event_id": "e%010d" % next_id,
                   "ts": ts, "user_id": user_id, "session_id": session_id,
                   "product_id": product_id, "category": category,
                   "action": "add" if rng.random() < 0.75 else "remove",
                   "quantity": rng.randint(1, 3), "unit_price": price}
        out.write(dumps(rec, separators=(",", ":")) + "\n")

    out.flush()


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        # The reader went away (gen-events.py | head): not an error here.
        sys.stderr.close()
        sys.exit(0)

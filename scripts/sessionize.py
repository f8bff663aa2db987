#!/usr/bin/python3
"""sessionize.py: count the sessions in NDJSON events, in plain Python.

    sessionize.py [--gap MINUTES] [--lateness SECONDS] [--open] FILE

Reads the product_view, cart_event and transaction records of FILE (other
types are skipped), sorts their (user_id, time) pairs by user and then
time, and starts a new session wherever a user's next record comes GAP
minutes (default 30) or more after their previous one. Prints the number
of sessions.

With --open it also prints, on a second line, the number of sessions
open at the peak of a stream that reads FILE in its order: a session
opens at its first record and closes when the newest time seen less
LATENESS seconds (default 5: the watermark) reaches its last record
plus the gap; what is open at the end of the file is counted as open
then.

This is deliberately the plain way (json.loads per line, one list, one
sort): `make bench` times it as the anchor that gm-session is compared
with, and uses --open (not timed) for gm-session's memory per open
session. Standard library only; runs with /usr/bin/python3.
"""

import argparse
import json
import sys
from datetime import datetime

TYPES = ("product_view", "cart_event", "transaction")


def millis(ts):
    """Epoch milliseconds of an RFC 3339 time such as gm writes."""
    return round(datetime.fromisoformat(ts.replace("Z", "+00:00")).timestamp() * 1000)


def read(path):
    """The (user_id, ms) of every source event, in file order."""
    events = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") in TYPES:
                events.append((rec["user_id"], millis(rec["ts"])))
    return events


def sessions(events, gap):
    """Each session's (start, end), from the events sorted by user."""
    out = []
    user = None
    start = end = 0
    for u, t in sorted(events):
        if u != user or t - end >= gap:
            if user is not None:
                out.append((start, end))
            user, start = u, t
        end = t
    if user is not None:
        out.append((start, end))
    return out


def peak_open(events, spans, gap, lateness):
    """Sessions open at the peak while the events arrive in file order."""
    changes = []
    for start, end in spans:
        changes.append((start, 1))
        changes.append((end + gap + lateness, -1))
    changes.sort(key=lambda c: (c[0], c[1]))
    newest = max(t for _, t in events)
    peak = now = 0
    for t, d in changes:
        if t > newest:
            break
        now += d
        peak = max(peak, now)
    return peak


def main():
    ap = argparse.ArgumentParser(description="Count sessions in NDJSON events.")
    ap.add_argument("--gap", type=float, default=30.0, help="minutes (default 30)")
    ap.add_argument("--lateness", type=float, default=5.0,
                    help="seconds, for --open (default 5)")
    ap.add_argument("--open", action="store_true",
                    help="also print the sessions open at the peak")
    ap.add_argument("file")
    args = ap.parse_args()
    gap = round(args.gap * 60000)
    events = read(args.file)
    spans = sessions(events, gap)
    print(len(spans))
    if args.open:
        print(peak_open(events, spans, gap, round(args.lateness * 1000)) if events else 0)


if __name__ == "__main__":
    try:
        main()
    except (OSError, ValueError, KeyError) as e:
        print("sessionize.py: %s" % e, file=sys.stderr)
        sys.exit(1)

#!/usr/bin/python3
"""score-alerts.py EVENTS ALERTS: precision and recall of gm-txmon's
alerts against gm-produce's ground truth (--truth).

Lines that are not JSON objects, and transactions without the marker,
are skipped. A transaction is anomalous when its "anomaly" is not "none"; it is
detected when an alert names it (labels.transaction_id). Prints one JSON
line: precision, recall, the counts, recall per kind of anomaly and
precision per rule.
"""
import json
import sys
from collections import Counter

truth = {}
with open(sys.argv[1]) as f:
    for line in f:
        try:
            e = json.loads(line)
        except ValueError:
            continue  # a broken record is no transaction
        if isinstance(e, dict) and e.get("type") == "transaction" and "anomaly" in e:
            truth[e["transaction_id"]] = e["anomaly"]

alerted = set()
rule_hits, rule_all = Counter(), Counter()
with open(sys.argv[2]) as f:
    for line in f:
        a = json.loads(line)
        if a["type"] != "alert":
            continue
        tx = a["labels"]["transaction_id"]
        alerted.add(tx)
        rule = a["labels"]["reason"]
        rule_all[rule] += 1
        rule_hits[rule] += truth.get(tx, "none") != "none"

anomalous = {t for t, k in truth.items() if k != "none"}
tp = len(alerted & anomalous)
by_kind = Counter(truth[t] for t in anomalous)
found_kind = Counter(truth[t] for t in alerted & anomalous)
print(json.dumps({
    "precision": round(tp / len(alerted), 4) if alerted else 1.0,
    "recall": round(tp / len(anomalous), 4) if anomalous else 1.0,
    "transactions": len(truth), "anomalous": len(anomalous),
    "alerted": len(alerted), "true_positives": tp,
    "recall_by_kind": {k: round(found_kind[k] / n, 4) for k, n in sorted(by_kind.items())},
    "precision_by_rule": {r: round(rule_hits[r] / n, 4) for r, n in sorted(rule_all.items())},
}, sort_keys=True))

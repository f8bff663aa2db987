# gm-produce: determinism, validity, the mix, session coherence, ground
# truth, rate control, options.
. "$(dirname "$0")/../lib.sh"

start=--start=2026-11-24T00:00:00Z
gen() { gm-produce -q "$start" "$@"; }

# Determinism: same seed and options, same bytes, whatever the rate or
# the destination; another seed, other bytes.
gen -n 100000 -r 0 >"$T/a"
gen -n 100000 -r 0 -s 1 >"$T/b"
expect_same_file "same seed, same bytes" "$T/b" "$T/a"
gen -n 100000 -r 400000 -o "$T/c"
expect_same_file "paced and to a file, same bytes" "$T/c" "$T/a"
gen -n 100000 -r 0 -s 2 >"$T/d"
cmp -s "$T/d" "$T/a"; expect_eq "another seed, other bytes" $? 1
gen -n 1000 -r 0 >"$T/prefix"
expect_same_file "a shorter run is a prefix" "$T/prefix" <(head -1000 "$T/a")

# Every line is valid for libgm's parser.
gm-cat -q -n --strict "$T/a"
expect_eq "every record valid (gm-cat --strict)" $? 0

# Session coherence and event-time order; the mix of whole sessions
# (those begun 5 minutes after the shop opened and 5 minutes before the
# stream ended) on 500,000 events.
gen -n 500000 -r 0 | python3 "$TESTS/check-events.py" >"$T/report" 2>"$T/check.err"
expect_eq "sessions coherent, events in time order" $? 0
cat "$T/check.err" >&2
expect_eq "counts add up" "$(jq '.transaction + .product_view + .cart_event' "$T/report")" 500000
tx=$(jq .steady.transaction "$T/report") views=$(jq .steady.product_view "$T/report") carts=$(jq .steady.cart_event "$T/report")
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }
in_range "$tx" 30000 500000; expect_eq "enough whole sessions measured ($tx transactions)" $? 0
# Per 100 transactions: 300 views and 125 cart events (gm-produce(1)).
v=$((views * 100 / tx)) c=$((carts * 100 / tx))
in_range "$v" 285 315; expect_eq "views per 100 transactions ($v) near 300" $? 0
in_range "$c" 115 135; expect_eq "cart events per 100 transactions ($c) near 125" $? 0

# Ground truth: absent by default, on every event with --truth; the
# anomalous share of transactions near --anomaly-rate; each kind there.
grep -q '"anomaly"' "$T/a"; expect_eq "no marker by default" $? 1
# Amount and country anomalies need customers with a history, which
# takes event time (a customer pauses 5 minutes between sessions): 500,000
# events at 100 a second of event time span 83 minutes.
# The stream is made once; the checks below read it from the file.
gen -n 500000 -r 0 --event-rate 100 --truth --anomaly-rate 0.05 >"$T/truth.ndjson"
python3 "$TESTS/check-events.py" --truth <"$T/truth.ndjson" >"$T/truth" 2>"$T/truth.err"
expect_eq "coherent with --truth" $? 0
cat "$T/truth.err" >&2
# (over whole sessions, as for the mix: short burst sessions end early)
share=$(jq '.steady_anomalies | (.amount + .burst + .country) / (.amount + .burst + .country + .none)' "$T/truth")
in_range "$share" 0.04 0.06; expect_eq "anomalous share ($share) near 0.05" $? 0
for kind in amount burst country; do
	k=$(jq ".anomalies.$kind // 0" "$T/truth")
	in_range "$k" 50 100000; expect_eq "anomaly kind $kind present ($k)" $? 0
done
# Its transactions' anomaly, amount, user and country, one a line.
jq -r 'select(.type == "transaction") | [.anomaly, .total_amount, .user_id, .country] | @tsv' \
	"$T/truth.ndjson" >"$T/truth.tx"
# An amount anomaly is far above the usual order.
cut -f1,2 "$T/truth.tx" |
	sort -k2 -n | awk -F'\t' '$1 == "none" { n[++k] = $2 } $1 == "amount" { a[++j] = $2 }
		END { exit !(a[int(j / 2) + 1] > 10 * n[int(k / 2) + 1]) }'
expect_eq "amount anomalies' median over 10x the normal median" $? 0
# A country anomaly's session is in another country than the same user's
# normal sessions.
awk -F'\t' -v OFS='\t' '{ print $3, $4, $1 }' "$T/truth.tx" |
	awk -F'\t' '$3 == "none" { home[$1] = $2 } $3 == "country" { c[$1] = $2 }
		END { for (u in c) if (u in home) { n++; if (home[u] != c[u]) d++ }
		      exit !(n > 0 && d == n) }'
expect_eq "country anomalies away from the user's home" $? 0

# How each session ended: with --truth, on its last event only, and as
# its events show: "checkout" on its transaction; "abandoned" on a cart
# event, no transaction, the cart (adds less removes) holding units;
# "emptied" likewise with an empty cart; "browsed" on a view, no cart
# event. The sessions without it are the ones the run cut short.
grep -q '"session_end"' "$T/a"; expect_eq "no session_end by default" $? 1
gen -n 100000 -r 0 --truth | python3 -c '
import json, sys
from collections import Counter
sessions, ends = {}, Counter()
for n, line in enumerate(sys.stdin, 1):
    e = json.loads(line)
    sid, end = e["session_id"], e.get("session_end")
    s = sessions.setdefault(sid, {"cart": Counter(), "types": set(), "end": None})
    if s["end"]:
        sys.exit(f"line {n}: an event of {sid} after its session_end")
    s["types"].add(e["type"])
    if e["type"] == "cart_event":
        s["cart"][e["product_id"]] += e["quantity"] if e["action"] == "add" else -e["quantity"]
    if end:
        s["end"] = end
        held = sum(s["cart"].values()) > 0
        want = {"transaction": "checkout", "product_view": "browsed",
                "cart_event": "abandoned" if held else "emptied"}[e["type"]]
        if want != end or (want != "checkout" and "transaction" in s["types"]) \
                or (want == "browsed" and "cart_event" in s["types"]):
            sys.exit(f"line {n}: session_end {end}, its session says {want}")
        ends[want] += 1
ends["open"] = sum(s["end"] is None for s in sessions.values())
print(" ".join(f"{k}={v}" for k, v in sorted(ends.items())))
' >"$T/ends"
expect_eq "session_end on each session's last event, as its events show" $? 0
# 200 s of event time, sessions of minutes: many are open at the end;
# those that abandon end sooner than those that check out.
expect_eq "session ends of 100,000 events" "$(cat "$T/ends")" \
	"abandoned=1453 browsed=2954 checkout=14264 emptied=488 open=15927"

# --count with --duration spreads the events over the span.
gen -n 20000 -d 90d -r 0 | jq -r .ts | sed -n '1p;$p' >"$T/span"
first=$(sed -n 1p "$T/span") last=$(sed -n 2p "$T/span")
expect_eq "90 days of history: starts at --start" "$first" "2026-11-24T00:00:00.000Z"
case $last in 2027-02-1[5-9]*|2027-02-2[0-2]*) ok span ;; *) fail "90 days of history ends at $last" ;; esac
# --duration alone stops at the end of the span.
gen -d 60s -r 0 | jq -r .ts | tail -1 | grep -q '^2026-11-24T00:00:[0-5]'
expect_eq "--duration 60s stops within the minute" $? 0

# Rate control: never faster than asked (and not absurdly slower).
t0=$(date +%s.%N)
gen -n 1000 -r 2000 >/dev/null
t1=$(date +%s.%N)
in_range "$(echo "$t1 - $t0" | bc)" 0.49 10; expect_eq "--rate 2000: 1000 events take at least 0.5 s" $? 0

# The summary on stderr, and -q.
gm-produce "$start" -n 10 -r 0 2>"$T/sum" >/dev/null
expect_grep "summary line" "^gm-produce: 0 in, 10 out, 0 rejected, 0 late," "$T/sum"

# Options: bad values are usage errors (2); --help and --version exit 0.
for bad in "-n x" "-r -1" "--anomaly-rate 1.5" "--start yesterday" "-d 5 weeks" "--users 0" "extra-arg" "-G g"; do
	# shellcheck disable=SC2086
	gm-produce -n 1 $bad >/dev/null 2>&1
	expect_eq "usage error: $bad" $? 2
done
gm-produce --help | grep -q '^usage: gm-produce'; expect_eq "--help" $? 0
gm-produce --version | grep -q '^gm-produce (gm) '; expect_eq "--version" $? 0
# A write error is a failure.
gen -n 1000 -r 0 -o /dev/full 2>/dev/null; expect_eq "ENOSPC exit status" $? 1
finish

# gm-txmon: golden windows (out of order, late, idle, end of input),
# precision and recall on gm-produce's ground truth, options.
. "$(dirname "$0")/../lib.sh"
G=$TESTS/golden

# Golden windows: 1-minute tumbling, 5 s lateness. t4 comes out of order
# but in time; t6 comes after its window closed: late, kept with -l; a
# product view is ignored; a broken record is rejected; at the end every
# window closes.
gm-txmon -l "$T/late" --rejects "$T/rej" "$G/txmon-windows.ndjson" >"$T/out" 2>"$T/err"
expect_eq "golden: exit status" $? 0
expect_same_file "golden: metrics" "$T/out" "$G/txmon-windows.out"
expect_eq "golden: the late record" "$(jq -r .transaction_id "$T/late")" t6
expect_eq "golden: the rejected record" "$(head -c 44 "$T/rej")" '{"type":"transaction","transaction_id":"t-br'
expect_grep "golden: message" "txmon-windows.ndjson:8: invalid JSON" "$T/err"
expect_grep "golden: summary" "gm-txmon: 9 in, 20 out, 1 rejected, 1 late" "$T/err"
# Without -l a late record is still counted, and said once.
gm-txmon "$G/txmon-windows.ndjson" 2>"$T/err2" >/dev/null
expect_grep "late without -l: warned" "late transaction (its window has closed)" "$T/err2"
expect_grep "late without -l: counted" "1 late" "$T/err2"
# With more lateness, t6 is in time.
gm-txmon -q --lateness 2m "$G/txmon-windows.ndjson" 2>/dev/null | jq -r 'select(.metric_id == "2026-11-24T10:00:00.000Z/60s/*/*") | .transactions' >"$T/n"
expect_eq "--lateness 2m takes t6 in" "$(cat "$T/n")" 4

# Hopping windows: 60 s every 30 s, each transaction in two windows but
# t6, late for [10:00:00, 10:01:00) and in time for [10:00:30, 10:01:30).
gm-txmon -q --slide 30s "$G/txmon-windows.ndjson" 2>/dev/null |
	jq -s '[.[] | select(.country == "*" and .category == "*") | .transactions] | add' >"$T/hop"
expect_eq "hopping: every transaction counted twice, t6 once" "$(cat "$T/hop")" 13

# Idle close: input that stops (a FIFO kept open) has its windows closed
# after --idle, without waiting for the end.
mkfifo "$T/fifo"
gm-txmon -q -u --idle 300ms -o "$T/idle.out" "$T/fifo" 2>/dev/null &
pid=$!
exec 3>"$T/fifo"
head -2 "$G/txmon-windows.ndjson" >&3
for _ in $(seq 100); do [ -s "$T/idle.out" ] && break; sleep 0.1; done
expect_eq "idle: the window closed while the input stayed open" "$(jq -r .metric_id "$T/idle.out" | head -1)" \
	"2026-11-24T10:00:00.000Z/60s/*/*"
kill -0 "$pid" 2>/dev/null; expect_eq "idle: still running" $? 0
exec 3>&-
wait "$pid"; expect_eq "idle: exit status at the end" $? 0

# An alert never waits in the output buffer: without -u and with no idle
# close, a high-value transaction's alert is in the file while the input
# stays open.
mkfifo "$T/fifo2"
gm-txmon -q --idle 0 -o "$T/alert.out" "$T/fifo2" 2>/dev/null &
pid=$!
exec 3>"$T/fifo2"
head -1 "$G/txmon-windows.ndjson" | sed 's/"total_amount":20/"total_amount":20000/; s/"unit_price":10}/"unit_price":10000}/' >&3
for _ in $(seq 100); do [ -s "$T/alert.out" ] && break; sleep 0.1; done
expect_eq "alert: written while the input stayed open" "$(jq -r .labels.reason "$T/alert.out" | head -1)" high_value
exec 3>&-
wait "$pid"; expect_eq "alert: exit status at the end" $? 0

# Precision and recall against gm-produce's ground truth, at the default
# settings of both tools, both at least 0.9.
gm-produce -q --start 2026-11-24T00:00:00Z -n 1000000 -r 0 --truth >"$T/truth"
gm-txmon -q "$T/truth" >"$T/alerts"
python3 "$TESTS/score-alerts.py" "$T/truth" "$T/alerts" >"$T/score"
cat "$T/score" >&2
awk -v p="$(jq .precision "$T/score")" -v r="$(jq .recall "$T/score")" 'BEGIN { exit !(p >= 0.9 && r >= 0.9) }'
expect_eq "precision and recall at least 0.9" $? 0
# Every alert explains itself: a reason and the numbers behind it.
jq -e 'select(.type == "alert") | select((.labels.reason | length) == 0 or (.summary | length) == 0)' "$T/alerts" >/dev/null
expect_eq "every alert has a reason and a summary" $? 4
expect_eq "alert ids are unique" "$(jq -r 'select(.type == "alert") | .alert_id' "$T/alerts" | sort | uniq -d | wc -l)" 0
# Deterministic: the same input gives the same bytes.
gm-txmon -q "$T/truth" | cmp -s - "$T/alerts"
expect_eq "same input, same output" $? 0

# Per-user memory is bounded: with --max-users 100 the run still works.
gm-txmon -q --max-users 100 "$T/truth" >/dev/null
expect_eq "--max-users 100" $? 0

# Many small cells: 496 transactions in 60 s, each from a new user, over
# 62 countries x 32 categories, in 64 hopping windows at once (about
# 2,000 cells each). A cell's distinct users are counted exactly while
# few (each cell's count is its transactions), and cost tens of bytes:
# at 4 KiB a cell this took 445 MB; now 28 MB (64 MB under ASan).
awk 'BEGIN {
	for (i = 0; i < 496; i++) {
		printf "{\"type\":\"transaction\",\"transaction_id\":\"t%d\",\"ts\":\"2026-11-24T10:00:%02d.%03dZ\",\"user_id\":\"u%d\",\"session_id\":\"s%d\",\"country\":\"c%d\",\"payment_method\":\"card\",\"items\":[", i, int(i * 120 / 1000), i * 120 % 1000, i, i, i % 62
		for (j = 0; j < 4; j++)
			printf "%s{\"product_id\":\"p%d\",\"category\":\"k%d\",\"quantity\":1,\"unit_price\":1}", j ? "," : "", j, 4 * int(i / 62) + j
		print "],\"total_amount\":4}"
	}
}' >"$T/cells"
rss=$(python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' \
	gm-txmon -q -w 64s --slide 1s -o "$T/cells.out" "$T/cells")
expect_eq "many cells: exit status" $? 0
expect_eq "many cells: metrics" "$(wc -l <"$T/cells.out")" 136576
expect_eq "many cells: distinct users exact up to 384" \
	"$(jq -c 'select(.transactions <= 384 and .distinct_users != .transactions) | .metric_id' "$T/cells.out" | head -3)" ""
if [ "${rss:-0}" -lt 150000 ]; then ok "many cells: peak RSS $rss KiB"; else
	fail "many cells: peak RSS $rss KiB, want under 150000"; fi

# Options.
for bad in "-w 0" "--slide 7s" "--velocity 3" "--velocity 1/60s" "--high-value -5" "-e" "--z-threshold x"; do
	# shellcheck disable=SC2086
	gm-txmon $bad </dev/null >/dev/null 2>&1
	expect_eq "usage error: $bad" $? 2
done
finish

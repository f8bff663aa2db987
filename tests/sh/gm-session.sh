# gm-session: golden sessions, metrics and cart alerts on a hand-built
# file, checked value by value against issue 17 and gm-events(5); the
# order of records within the lateness and a --state run split in two
# change nothing; usage errors; ids longer than it keeps are refused.
. "$(dirname "$0")/../lib.sh"
G=$TESTS/golden
opts=(--lateness 30m --max-session 2h -w 1h)   # gap 30m, abandon 1h, recover 24h: defaults

# ---- golden: session-events.ndjson (lines named L1..L36) ----
# 36 records of 2026-11-24, mostly in time order. The lateness is 30m,
# so the watermark is the newest time read less 30m; a session closes at
# min(its last record + 30m, its first + 2h), and counts in the metric
# window (1h) of that close; a cart is abandoned 1h after its last cart
# event. The late record L36 makes the watermark at the end 14:00.
#
# u1 (UK), a gap split, all three types, a checkout:
#   L1 view p1 10:00, L6 add p1 1 x 12.5 10:02, L7 add p2 3 x 2 10:03,
#   L12 transaction of p1 only, 12.5, 10:10: one session 10:00-10:10,
#   duration 600 s, events 4 (views 1, adds 2, a transaction), revenue
#   12.5, converted; landing p1 (the 10:00 view), exit p2 (the 10:03 add:
#   a transaction has no product); categories books:1 (only views count);
#   client_sessions [s1a]; closes 10:40. The transaction empties the cart
#   although p2 was not bought: a checkout at 10:10, and no abandonment.
#   L26 view p2 11:00 (client s1b): 50 min after 10:10, over the gap: a
#   second session 11:00-11:00, events 1, toys:1, closes 11:30.
#   L36 view 10:20 comes last, with the watermark at 14:00: late, to -l,
#   counted, in no session (u1's first session stays at 4 events).
# u2 (USA), a late record that bridges two runs:
#   L2 view p3 books 10:00, L16 view p4 toys 10:15, L23 view p3 books
#   10:55: two runs, 40 min apart. L25 view p4 10:35 comes after L23,
#   with the newest time 10:55 (watermark 10:25): in time, and within
#   30m of both runs: one session 10:00-10:55, 3300 s, events 4, views 4,
#   categories books:2, toys:2 (a tie: by name), landing p3, exit p3
#   (the 10:55 view), closes 11:25. (The test below drops L25: two.)
# u3 (Germany), --max-session 2h splits a session that never pauses:
#   views of p5 every 25 min, L28 12:00 ... L35 14:30. The first session
#   closes at 12:00 + 2h = 14:00 (before 13:40 + 30m): 12:00-13:40, 6000
#   s, events 5. L34 14:05 starts the next: 14:05-14:30, 1500 s, events
#   2, closing 15:00.
# u4 (Canada), an abandonment that views do not postpone:
#   L3 view p6 10:00, L5 add p6 2 x 7.25 10:01, L13 add p7 1 x 3 10:10,
#   then views only, L22 10:30, L24 10:55, L27 11:15. The cart is
#   abandoned at 10:10 + 1h = 11:10, the views after 10:10 changing
#   nothing: cart_abandoned, ts 11:10, items 2, units 3, value 2 x 7.25
#   + 3 = 17.5, labels session_id s4 (of the last cart event), country
#   Canada. No transaction: no recovery. The session is 10:00-11:15,
#   4500 s, events 6 (views 4, adds 2), home:4, landing p6, exit p6 (the
#   11:15 view), closes min(11:45, 12:00) = 11:45.
# u5 (France), a remove of a product not in the cart, an abandonment and
#   its recovery:
#   L18 view p8 10:20, L19 add p8 1 x 40 10:21, L20 remove p9 10:22 (not
#   in the cart: nothing), L21 add p9 2 x 5 10:24: the cart holds p8:1,
#   p9:2 (the add starts from 0, not -1). Session 10:20-10:24, 240 s,
#   events 4 (views 1, adds 2, removes 1), sports:1, landing p8, exit p9,
#   closes 10:54. Abandoned at 11:24: items 2, units 3, value 40 + 10 =
#   50, session_id s5a. L29 transaction 12:00 (client s5b) of p9 2 x 5
#   and p10 1 x 20, total 30: within 24h of 11:24 and buys p9, abandoned:
#   cart_recovered, ts 12:00, recovered_value 10 (p9's line only),
#   minutes_to_recover 36, session_id s5b; the cart still held items,
#   so it is also a checkout at 12:00. Its session: 12:00-12:00, events
#   1, transactions 1, revenue 30, converted, no categories, no landing
#   or exit product (a transaction has none), closes 12:30.
# u6 (no country), a cart emptied by removes, read out of order:
#   L9 remove p11 1 10:05 and L10 remove p11 5 10:06 come before L11 add
#   p11 2 x 5 10:00. In event time: 2, less 1, less at most the 1 left:
#   empty, so no abandonment (in the order read it would have held 2).
#   Session 10:00-10:06, 360 s, events 3 (adds 1, removes 2), no views,
#   landing p11, exit p11, country "unknown" (cart events carry none),
#   closes 10:36.
# u7 (UK), client sessions: views L4 10:00 s7a p12, L8 10:05 s7b p12,
#   L14 10:10 s7a p12, L15 10:12 s7b p13, L17 10:15 s7c p13: by the gap
#   one session 10:00-10:15, 900 s, events 5, books:3, toys:2, landing
#   p12, exit p13, client_sessions [s7a, s7b] (at most 2, earliest
#   first), closes 10:45. With --by-client-session, three (see below).
#
# Metrics (window of the close; "*" sums the countries):
#   10:00 UK: u1's first (converted, 600 s, 1 view), u7 (900 s, 5 views):
#         sessions 2, converted 1, checkouts 1 (u1), conversion 0.5,
#         abandonment 0/(0+1) = 0, avg_duration_s 750, avg_views 3.
#   10:00 France: u5's first: 1 session, 240 s, 1 view.
#   10:00 unknown: u6: 1 session, 360 s, 0 views.
#   10:00 *: 4 sessions, converted 1, checkouts 1, conversion 0.25,
#         avg_duration_s (600+900+240+360)/4 = 525, avg_views 7/4 = 1.75.
#   11:00 UK: u1's second (11:30): 1 session, 0 s, 1 view.
#   11:00 USA: u2 (11:25): 1 session, 3300 s, 4 views.
#   11:00 Canada: u4 (11:45), 4500 s, 4 views; abandoned 1 (11:10):
#         abandonment rate 1/(1+0) = 1.
#   11:00 France: abandoned 1 (11:24), no session: rate 1, averages 0.
#   11:00 *: sessions 3, abandoned 2, rate 1, avg_duration_s
#         (0+3300+4500)/3 = 2600, avg_views (1+4+4)/3 = 3.
#   12:00 France and *: u5's second (12:30, converted, 0 s, 0 views),
#         checkouts 1 and recovered 1 (12:00): conversion 1, abandonment
#         0/(0+1) = 0.
#   14:00 Germany and *: u3's first (14:00), 6000 s, 5 views.
#   15:00 Germany and *: u3's second (15:00), 1500 s, 2 views.
# Out, as the summary counts it: 10 sessions, 15 metrics, 3 alerts and
# the late record written to -l: 29.
# session_id and alert_id are hashes: not checked by hand, but below they
# are the same in every order, and distinct.
#
# Against gm-session at a95d943 this fails: L25 is added to the merged
# session AND opens a session of its own (u2 10:35-10:35, events 1),
# which also counts in the 11:00 USA and * metrics.
gm-session "${opts[@]}" -a "$T/alerts" -l "$T/late" "$G/session-events.ndjson" >"$T/out" 2>"$T/err"
expect_eq "golden: exit status" $? 0
expect_same_file "golden: sessions and metrics" "$T/out" "$G/session-events.out"
expect_same_file "golden: alerts" "$T/alerts" "$G/session-events.alerts"
expect_same_file "golden: the late record, whole" "$T/late" <(sed -n 36p "$G/session-events.ndjson")
expect_grep "golden: summary" "gm-session: 36 in, 29 out, 0 rejected, 1 late" "$T/err"
expect_eq "golden: session ids distinct" "$(jq -r 'select(.type == "session") | .session_id' "$T/out" | sort -u | wc -l)" 10
# Without -l the late record is counted and said once.
gm-session "${opts[@]}" -a /dev/null -o /dev/null "$G/session-events.ndjson" 2>"$T/err2"
expect_grep "late without -l: said" ":36: warning: late product_view" "$T/err2"
expect_grep "late without -l: counted" ", 1 late," "$T/err2"
# The same input twice: the same bytes.
gm-session -q "${opts[@]}" -a "$T/alerts2" "$G/session-events.ndjson" >"$T/out2"
expect_same_file "same input, same output" "$T/out2" "$T/out"
expect_same_file "same input, same alerts" "$T/alerts2" "$T/alerts"
# Without the bridging L25, u2's two runs stay two sessions.
sed 25d "$G/session-events.ndjson" >"$T/nobridge"
gm-session -q "${opts[@]}" -a /dev/null "$T/nobridge" |
	jq -c 'select(.type == "session" and .user_id == "u2") | [.start[11:16], .end[11:16], .events]' >"$T/u2"
expect_eq "without the bridge: two sessions" "$(cat "$T/u2")" '["10:00","10:15",2]
["10:55","10:55",1]'

# --by-client-session: u7's records are grouped by their session_id:
# s7a 10:00-10:10 (2 views, books:2, p12 to p12), s7b 10:05-10:12 (2
# views, books:1 toys:1, p12 to p13), s7c 10:15 (1 view, toys); the ids
# differ from the gap's (the client session is hashed in). Every other
# user has one client session per session: the same sessions, but ids.
gm-session -q --by-client-session "${opts[@]}" -a "$T/bc.alerts" "$G/session-events.ndjson" >"$T/bc"
expect_eq "by client: exit status" $? 0
grep '"user_id":"u7"' "$T/bc" >"$T/bc.u7"
expect_same_file "by client: u7's sessions" "$T/bc.u7" "$G/session-by-client.out"
others() { jq -c 'select(.type == "session" and .user_id != "u7") | del(.session_id)' "$1" | sort; }
expect_same_file "by client: the other sessions" <(others "$T/bc") <(others "$G/session-events.out")
expect_same_file "by client: the alerts" "$T/bc.alerts" "$G/session-events.alerts"

# ---- another order within the lateness ----
# In blocks of 25 minutes of event time, from the newest record to the
# oldest (L36 stays last, late): no record is ever more than 25 min older
# than one read before it, within the 30m lateness. Carts apply in event
# time, sessions merge: the same sessions, ids, counts and alerts.
# Against a95d943 this fails also for another reason: u4's cart events
# now come before u4's first view, and the cart takes its country from
# the user's records read before each cart event: its alert says
# "unknown", and counts in the 11:00 "unknown" metrics, not Canada's.
head -n 35 "$G/session-events.ndjson" | awk '{
	match($0, /"ts":"2026-11-24T[0-9][0-9]:[0-9][0-9]/)
	m = substr($0, RSTART + 17, 2) * 60 + substr($0, RSTART + 20, 2)
	printf "%d\t%d\t%d\t%s\n", int(m / 25), m, NR, $0
}' | sort -t "$(printf '\t')" -k1,1n -k2,2nr -k3,3nr | cut -f4- >"$T/shuffled"
sed -n 36p "$G/session-events.ndjson" >>"$T/shuffled"
cmp -s "$T/shuffled" "$G/session-events.ndjson"
expect_eq "the order differs" $? 1
gm-session "${opts[@]}" -a "$T/sh.alerts" -l "$T/sh.late" "$T/shuffled" >"$T/sh.out" 2>"$T/sh.err"
expect_same_file "another order: sessions and metrics" <(sort "$T/sh.out") <(sort "$G/session-events.out")
expect_same_file "another order: alerts" <(sort "$T/sh.alerts") <(sort "$G/session-events.alerts")
expect_grep "another order: summary" "gm-session: 36 in, 29 out, 0 rejected, 1 late" "$T/sh.err"

# ---- --state: a run split in two ----
# The first part ends after L28 (12:00): u3's first session is open
# (12:00 so far) and u5's abandoned cart waits for its recovery (L29).
# The second run, with the same --state, must carry both on: the same
# sessions, alerts and metrics as one run. Against a95d943 this fails:
# the end of the first file fires every timer (lib/stream.c close_all),
# so the snapshot is empty, u3's session is cut in three and the
# recovery (and its checkout) is lost.
head -n 28 "$G/session-events.ndjson" >"$T/part1"
tail -n +29 "$G/session-events.ndjson" >"$T/part2"
gm-session -q "${opts[@]}" --state "$T/state" -a "$T/p1.alerts" "$T/part1" >"$T/p1.out"
expect_eq "--state, part 1: exit status" $? 0
gm-session -q "${opts[@]}" --state "$T/state" --final -a "$T/p2.alerts" "$T/part2" >"$T/p2.out"
expect_eq "--state, part 2: exit status" $? 0
sessions() { grep -h '"type":"session"' "$@" | sort; }
expect_same_file "--state split: sessions" <(sessions "$T/p1.out" "$T/p2.out") <(sessions "$G/session-events.out")
expect_same_file "--state split: alerts" <(sort "$T/p1.alerts" "$T/p2.alerts") <(sort "$G/session-events.alerts")
expect_same_file "--state split: metrics" <(grep -h session_metric "$T/p1.out" "$T/p2.out" | sort) \
	<(grep session_metric "$G/session-events.out" | sort)

# ---- ids longer than gm-session keeps ----
# Refused with a message at file:line, kept whole in --rejects, the run
# goes on, exit 0 (a bad record is not a failure; --strict: 1). The
# longest kept (user_id 64 bytes, ids 39, names 23) pass.
u64=u$(printf '%063d' 0) u65=u$(printf '%064d' 0)
p39=p$(printf '%038d' 0) p40=p$(printf '%039d' 0)
c23=c$(printf '%022d' 0) c24=c$(printf '%023d' 0)
view() { # minute user session product category country
	printf '{"type":"product_view","event_id":"e","ts":"2026-11-24T10:%s:00Z","user_id":"%s","session_id":"%s","product_id":"%s","category":"%s","country":"%s","duration_ms":1}\n' "$@"
}
{
	view 00 u1 s1 p1 books UK
	view 01 u1 s1 "$p40" books UK
	view 02 u1 s1 p1 "$c24" UK
	view 03 "$u65" s1 p1 books UK
	printf '{"type":"cart_event","event_id":"e","ts":"2026-11-24T10:04:00Z","user_id":"u1","session_id":"s1","product_id":"%s","category":"b","action":"add","quantity":1,"unit_price":1}\n' "$p40"
	printf '{"type":"transaction","transaction_id":"t","ts":"2026-11-24T10:05:00Z","user_id":"u1","session_id":"s1","country":"UK","payment_method":"card","items":[{"product_id":"%s","category":"b","quantity":1,"unit_price":1}],"total_amount":1}\n' "$p40"
	view 06 u1 "$p40" p1 books UK
	view 07 u1 s1 p1 books "$c24"
	view 08 u1 s1 p1 books UK
	view 08 "$u64" "$p39" "$p39" "$c23" "$c23"
} >"$T/long"
gm-session --rejects "$T/long.rej" -o "$T/long.out" "$T/long" 2>"$T/long.err"
expect_eq "long ids: exit status" $? 0
sed -n 2,8p "$T/long" >"$T/long.want"
expect_same_file "long ids: kept whole in the rejects" "$T/long.rej" "$T/long.want"
for l in 2 5; do
	expect_grep "long ids: line $l said" "long:$l: product_id is longer than the 39 bytes gm-session keeps" "$T/long.err"
done
expect_grep "long ids: line 7 said" "long:7: session_id is longer than the 39 bytes gm-session keeps" "$T/long.err"
expect_grep "long ids: line 3 said" "long:3: category is longer than the 23 bytes gm-session keeps" "$T/long.err"
expect_grep "long ids: line 8 said" "long:8: country is longer than the 23 bytes gm-session keeps" "$T/long.err"
expect_grep "long ids: line 4 said" "long:4: user_id is longer than the 64 bytes gm-session keeps" "$T/long.err"
expect_grep "long ids: line 6 said" "long:6: an item's product_id is longer than the 39 bytes gm-session keeps" "$T/long.err"
expect_grep "long ids: summary" "gm-session: 10 in, 5 out, 7 rejected, 0 late" "$T/long.err"
expect_eq "long ids: the run went on" "$(jq -c 'select(.type == "session") | [(.user_id | length), .events, (.landing_product | length), (.categories[0].category | length), (.country | length)]' "$T/long.out")" \
	'[2,2,2,5,2]
[64,1,39,23,23]'
gm-session -q --strict -o /dev/null "$T/long" 2>/dev/null
expect_eq "long ids: --strict exit status" $? 1

# ---- options ----
# Usage errors exit 2 with a message (--help is man-synopsis.sh's).
usage_error() { # WHAT MESSAGE ARGS...
	local what=$1 msg=$2; shift 2
	gm-session "$@" </dev/null >/dev/null 2>"$T/usage.err"
	expect_eq "usage error: $what" $? 2
	expect_grep "usage error: $what: said" "$msg" "$T/usage.err"
}
for opt in --gap --max-session --abandon-after --recover-within -w --lateness; do
	for bad in 0 x -5m 2h3 1y; do
		[ "$opt $bad" = "--lateness 0" ] && continue   # no lateness: fine
		usage_error "$opt $bad" "gm-session: $opt: expected a duration like 500ms, 30s, 5m, 2h, 90d; got $bad" "$opt" "$bad"
	done
done
usage_error "--gap too long" "gm-session: --gap:" --gap 30000000d
usage_error "--idle 2d" "gm-session: --idle: at most 1d, got 2d" --idle 2d
usage_error "--max-users 0" "gm-session: --max-users: expected a whole number from 1 to 100000000, got 0" --max-users 0
usage_error "--state with -G" "gm-session: --state goes without -G: a consumer group keeps its state in Kafka" \
	--state "$T/s" -G g -t views
usage_error "files with -t" "gm-session: read files or Kafka topics (-t), not both" -t views /dev/null
usage_error "-G without -t" "gm-session: -G goes with -t (Kafka input)" -G g /dev/null
usage_error "--by-client-session=1" "gm-session: option --by-client-session takes no value" --by-client-session=1
# ---- found in review ----
# A snapshot of more users than --max-users: loading it evicts users,
# whose sessions are written, not a crash.
view() { # second user client
	printf '{"type":"product_view","event_id":"e%s","ts":"2026-11-24T10:00:%sZ","user_id":"%s","session_id":"%s","product_id":"p1","category":"b","country":"UK","duration_ms":1}\n' "$1" "$1" "$2" "$3"
}
{ view 00 u1 s1; view 01 u2 s2; view 02 u3 s3; } >"$T/three"
view 03 u4 s4 >"$T/fourth"
gm-session -q --state "$T/cap" "$T/three" >"$T/cap1.out"
expect_eq "snapshot over the cap, part 1: exit status and nothing written" "$?:$(wc -l <"$T/cap1.out")" "0:0"
gm-session -q --state "$T/cap" --max-users 1 --final "$T/fourth" >"$T/cap2.out"
expect_eq "snapshot over the cap, part 2: exit status" $? 0
expect_eq "snapshot over the cap: every user's session written" \
	"$(jq -r 'select(.type == "session") | .user_id' "$T/cap2.out" | sort | tr '\n' ' ')" "u1 u2 u3 u4 "
# A client session id seen again earlier than first thought moves up:
# the same records in two orders, within the lateness, list the same.
{ view 02 u1 A; view 03 u1 B; view 01 u1 B; view 02 u1 C; } >"$T/cl1"
{ view 01 u1 B; view 02 u1 A; view 02 u1 C; view 03 u1 B; } >"$T/cl2"
for f in cl1 cl2; do
	gm-session -q "$T/$f" | jq -c 'select(.type == "session") | .client_sessions' >"$T/$f.out"
done
expect_eq "client sessions, first order" "$(cat "$T/cl1.out")" '["B","A"]'
expect_eq "client sessions, second order" "$(cat "$T/cl2.out")" '["B","A"]'
# A transaction that buys an abandoned product after four others in the
# cart: the abandoned one is kept first, and recovers its cart.
gm-session -q -o /dev/null -a "$T/fifth.alerts" "$G/session-recover-fifth.ndjson" 2>/dev/null
expect_eq "recovery by the fifth line" "$(jq -r 'select(.kind == "cart_recovered") | .recovered_value' "$T/fifth.alerts")" 10
finish

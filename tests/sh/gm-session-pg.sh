# gm-session into PostgreSQL (-o and -a to one postgresql:// URI): the
# tables sessions, session_metrics and alerts hold what the NDJSON run
# writes, row for row; a second run over the same input (a replay)
# changes no row (counts and a checksum of each table); and the totals
# agree with the input, computed here without gm-session: the
# sessions' revenue is the sum of the transactions' total_amount, to the
# cent (every transaction is in exactly one session), their events are
# the records read; each window's session_metrics count the sessions
# closed in it, converted, and the cart alerts of its time, per country
# and for "*".
. "$(dirname "$0")/../lib.sh"
. "$TESTS/pg.sh"

pg_start
PG="postgresql://postgres@127.0.0.1:$PGPORT/gm"

# 3 hours of event time, about 3900 events of 150 users among 10
# products, short gaps and waits: many sessions, abandoned and
# recovered carts.
gm-produce -q --start=2026-11-24T00:00:00Z -n 4000 -d 3h --users 150 --products 10 -r 0 >"$T/events"
rules="--gap 3m --abandon-after 5m --recover-within 1h -w 5m"

# shellcheck disable=SC2086
gm-session -q $rules -o "$T/ndjson" "$T/events"
expect_eq "NDJSON run: exit status" $? 0
# shellcheck disable=SC2086
gm-session -q $rules -o "$PG" -a "$PG" "$T/events"
expect_eq "PostgreSQL run: exit status" $? 0

q() { psql -XAtq -F $'\t' -c "$1"; }
n_of() { grep -c "\"type\":\"$1\"" "$T/ndjson"; }
expect_eq "sessions rows" "$(q 'select count(*) from sessions')" "$(n_of session)"
expect_eq "session_metrics rows" "$(q 'select count(*) from session_metrics')" "$(n_of session_metric)"
expect_eq "alerts rows" "$(q 'select count(*) from alerts')" "$(n_of alert)"
[ "$(n_of session)" -gt 900 ] && [ "$(grep -c cart_abandoned "$T/ndjson")" -gt 50 ] &&
	[ "$(grep -c cart_recovered "$T/ndjson")" -gt 15 ]
expect_eq "many sessions, abandoned and recovered carts" $? 0

# The rows as the NDJSON records say them.
jq -r 'select(.type == "session") | [.session_id, .user_id, .start, .end, .duration_s, .events,
	.views, .cart_adds, .cart_removes, .transactions, (.revenue * 100 | round), .country,
	(.categories | map("\(.category):\(.views)") | join(",")), (.client_sessions | join(",")), .converted,
	.landing_product // "", .exit_product // ""] | @tsv' "$T/ndjson" | sort >"$T/want.sessions"
ts() { echo "to_char($1 at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"; }
q "select session_id, user_id, $(ts start), $(ts '"end"'), duration_s, events, views, cart_adds,
	cart_removes, transactions, (revenue * 100)::bigint, country,
	(select string_agg((e->>'category') || ':' || (e->>'views'), ',' order by i)
		from jsonb_array_elements(categories) with ordinality x(e, i)),
	array_to_string(array(select jsonb_array_elements_text(client_sessions)), ','), converted, coalesce(landing_product, ''), coalesce(exit_product, '')
	from sessions" | sed 's/\tt\t/\ttrue\t/; s/\tf\t/\tfalse\t/' | sort >"$T/got.sessions"
expect_same_file "sessions table equals the NDJSON sessions" "$T/got.sessions" "$T/want.sessions"
jq -r 'select(.type == "session_metric") | [.metric_id, .window_start, .country, .sessions,
	.converted, .checkouts, .abandoned_carts, .recovered_carts] | @tsv' "$T/ndjson" | sort >"$T/want.metrics"
q "select metric_id, $(ts window_start), country, sessions, converted, checkouts, abandoned_carts,
	recovered_carts from session_metrics" | sort >"$T/got.metrics"
expect_same_file "session_metrics table equals the NDJSON metrics" "$T/got.metrics" "$T/want.metrics"
jq -r 'select(.type == "alert") | [.alert_id, .kind, .labels.user_id, .summary] | @tsv' "$T/ndjson" |
	sort >"$T/want.alerts"
q "select alert_id, kind, labels->>'user_id', summary from alerts" | sort >"$T/got.alerts"
expect_same_file "alerts table equals the NDJSON alerts" "$T/got.alerts" "$T/want.alerts"

# A replay: the same input again changes nothing.
snapshot() {
	local t
	for t in "sessions:session_id" "session_metrics:metric_id" "alerts:alert_id"; do
		q "select '${t%%:*}', count(*), md5(coalesce(string_agg(r::text, '|' order by ${t#*:}), ''))
			from ${t%%:*} r"
	done
}
snapshot >"$T/before"
# shellcheck disable=SC2086
gm-session -q $rules -o "$PG" -a "$PG" "$T/events"
expect_eq "replay: exit status" $? 0
snapshot >"$T/after"
expect_same_file "replay: every table unchanged (rows, checksum)" "$T/after" "$T/before"

# ---- totals, from the input ----
# Revenue in cents, summed exactly.
want_revenue=$(jq -r 'select(.type == "transaction") | .total_amount' "$T/events" |
	awk '{ split($1, p, "."); c = p[1] * 100 + substr(p[2] "00", 1, 2); s += c } END { print s }')
expect_eq "sum of sessions.revenue (cents) equals the transactions' total_amount" \
	"$(q 'select (sum(revenue) * 100)::bigint from sessions')" "$want_revenue"
expect_eq "sessions hold every record once" \
	"$(q 'select sum(events) from sessions')" "$(jq -c 'select(.type == "product_view" or .type == "cart_event" or .type == "transaction")' "$T/events" | wc -l)"
expect_eq "sessions hold every transaction once" \
	"$(q 'select sum(transactions) from sessions')" "$(grep -c '"type":"transaction"' "$T/events")"
expect_eq "sessions hold every view once" \
	"$(q 'select sum(views) from sessions')" "$(grep -c '"type":"product_view"' "$T/events")"

# Per window and country ("*": all), from the sessions and alerts
# tables: sessions closed (at their end plus the gap: no session here
# is near the 24h --max-session) and converted, carts abandoned
# and recovered (at their alert's ts); against session_metrics, where
# a window with none of these has its zeros.
window="date_bin('5 minutes', %s, timestamptz '2026-11-24 00:00:00+00')"
# shellcheck disable=SC2059
q "with s as (select $(printf "$window" "\"end\" + interval '3 minutes'") w, country, 1 sessions, converted::int converted,
		0 abandoned, 0 recovered from sessions
	union all select $(printf "$window" ts), labels->>'country', 0, 0,
		(kind = 'cart_abandoned')::int, (kind = 'cart_recovered')::int from alerts),
	c as (select w, country, sessions, converted, abandoned, recovered from s
		union all select w, '*', sessions, converted, abandoned, recovered from s)
	select $(ts w), country, sum(sessions), sum(converted), sum(abandoned), sum(recovered)
	from c group by w, country" | sort >"$T/want.windows"
q "select $(ts window_start), country, sessions, converted, abandoned_carts, recovered_carts
	from session_metrics where sessions + abandoned_carts + recovered_carts > 0" | sort >"$T/got.windows"
expect_eq "windows counted" "$(wc -l <"$T/got.windows")" "$(wc -l <"$T/want.windows")"
expect_same_file "session_metrics count each window's sessions and cart alerts" \
	"$T/got.windows" "$T/want.windows"
# Checkouts: transactions that emptied a cart holding items, so at
# most one per transaction.
expect_eq "checkouts at most the transactions" \
	"$(q "select sum(checkouts) <= $(grep -c '"type":"transaction"' "$T/events") from session_metrics where country = '*'")" t
finish

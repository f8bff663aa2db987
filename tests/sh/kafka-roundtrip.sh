#!/usr/bin/env bash
# kafka-roundtrip: NDJSON file -> gm-cat -> Kafka -> kcat and gm-cat ->
# NDJSON: every record arrives once, unchanged, keyed by its user_id; a
# consumer group's committed offsets leave nothing to read again.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/kafka.sh"

[ -x "$HELPERS/gm-cat" ] || skip_or_fail "gm-cat is not built"
kafka_start -t events -p 4

N=5000
# Mixed source events with the fields of DESIGN.md, one a line.
awk -v n=$N 'BEGIN {
	split("USA UK Canada Germany France", country, " ")
	split("card paypal apple_pay", pay, " ")
	split("books toys garden", cat, " ")
	for (i = 1; i <= n; i++) {
		u = "u" (i * 7919 % 113)
		s = "s" int(i / 5)
		ts = sprintf("2026-11-24T10:%02d:%02d.%03dZ", int(i / 600) % 60, int(i / 10) % 60, i % 1000)
		p = "p" (i % 31)
		c = cat[i % 3 + 1]
		if (i % 3 == 0)
			printf "{\"type\":\"transaction\",\"transaction_id\":\"t%d\",\"ts\":\"%s\",\"user_id\":\"%s\",\"session_id\":\"%s\",\"country\":\"%s\",\"payment_method\":\"%s\",\"items\":[{\"product_id\":\"%s\",\"category\":\"%s\",\"quantity\":%d,\"unit_price\":%d.%02d}],\"total_amount\":%d.%02d}\n", i, ts, u, s, country[i % 5 + 1], pay[i % 3 + 1], p, c, i % 4 + 1, i % 90 + 1, i % 100, (i % 4 + 1) * (i % 90 + 1), (i % 4 + 1) * (i % 100) % 100
		else if (i % 3 == 1)
			printf "{\"type\":\"product_view\",\"event_id\":\"v%d\",\"ts\":\"%s\",\"user_id\":\"%s\",\"session_id\":\"%s\",\"product_id\":\"%s\",\"category\":\"%s\",\"country\":\"%s\",\"duration_ms\":%d}\n", i, ts, u, s, p, c, country[i % 5 + 1], i * 13 % 60000
		else
			printf "{\"type\":\"cart_event\",\"event_id\":\"c%d\",\"ts\":\"%s\",\"user_id\":\"%s\",\"session_id\":\"%s\",\"product_id\":\"%s\",\"category\":\"%s\",\"action\":\"%s\",\"quantity\":%d,\"unit_price\":%d.%02d}\n", i, ts, u, s, p, c, (i % 4 ? "add" : "remove"), i % 3 + 1, i % 90 + 1, i % 100
	}
}' >"$T/in.ndjson"
sort "$T/in.ndjson" >"$T/in.sorted"
expect_eq "input lines" "$(wc -l <"$T/in.ndjson")" $N

# File to Kafka.
expect_status "gm-cat -o kafka:events" 0 gm-cat -q -o kafka:events "$T/in.ndjson"
expect_eq "messages in events" "$(kafka_count events)" $N

# (a) An independent client reads the very same lines, each keyed by its
# user_id.
kafka_dump events | sort >"$T/kcat.sorted"
expect_same_file "kcat reads the input" "$T/kcat.sorted" "$T/in.sorted"
kafka_dump events '%k\t%s\n' | awk -F'\t' '
	{ if (!match($2, /"user_id":"[^"]*"/)) { bad++; next }
	  if (substr($2, RSTART + 11, RLENGTH - 12) != $1) bad++ }
	END { print NR, bad + 0 }' >"$T/keys"
expect_eq "messages keyed by user_id (count, mismatches)" "$(cat "$T/keys")" "$N 0"

# (b) Kafka back to NDJSON through a consumer group.
group_opts=(-G g1 -X session.timeout.ms=6000 -X heartbeat.interval.ms=500)
expect_status "gm-cat -t events -e -G g1" 0 \
	gm-cat -q -t events -e "${group_opts[@]}" -o "$T/back.ndjson"
sort "$T/back.ndjson" >"$T/back.sorted"
expect_same_file "gm-cat reads the input back" "$T/back.sorted" "$T/in.sorted"

# The group committed everything it wrote: the same group again reads
# nothing, and a reader without a group still reads everything.
expect_status "gm-cat -G g1 again" 0 \
	gm-cat -q -t events -e "${group_opts[@]}" -o "$T/again.ndjson"
expect_eq "lines read again by g1" "$(wc -l <"$T/again.ndjson")" 0
expect_status "gm-cat without a group" 0 \
	gm-cat -q -t events -e -o "$T/all.ndjson"
expect_eq "lines read without a group" "$(wc -l <"$T/all.ndjson")" $N

# An unreachable cluster is "retry later" (75) for a reader too, once
# --retry-for has passed (a second: the default is a minute).
GM_BROKERS=127.0.0.1:1 gm-cat -q --retry-for 1s -t events -e 2>/dev/null
expect_eq "unreachable cluster: reader exit status 75" $? 75
finish

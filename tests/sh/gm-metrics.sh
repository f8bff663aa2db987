#!/usr/bin/env bash
# gm-metrics over the tools' stats records and the host, no server:
# --once gives each tool's last counts and up exactly, in an exposition
# promtool finds nothing to say about, the same as a textfile and as
# metric records; a bad stats record is rejected as any bad input; a
# tool that stops reporting for three of its intervals is shown down; a
# daemon serves /metrics over HTTP, and a real Prometheus scrapes it and
# answers queries of its names; the usage errors.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/prometheus.sh"

command -v jq >/dev/null || skip_or_fail "jq is not installed"
command -v promtool >/dev/null || skip_or_fail "promtool is not installed (Debian's prometheus)"
command -v curl >/dev/null || skip_or_fail "curl is not installed"
cd "$T" || exit 1

gm-produce -q -s 5 -n 3000 -r 0 --anomaly-rate 0.2 --stats st.produce >events.ndjson
{ head -n 1000 events.ndjson; echo 'not json'; tail -n +1001 events.ndjson; } >bad.ndjson
gm-txmon -q --stats st.txmon -o /dev/null bad.ndjson 2>/dev/null
produce_id=$(jq -r .instance st.produce)
txmon_id=$(jq -r .instance st.txmon)

# sample FILE NAME LABELS: the value of NAME{LABELS} in the exposition FILE.
sample() { awk -v k="$2{$3}" '$1 == k { print $2 }' "$1"; }

gm-metrics --once --textfile m.prom -o m.ndjson st.produce st.txmon 2>err ||
	fail "gm-metrics --once: status $?"
expect_eq "promtool check metrics finds nothing" "$(promtool check metrics <m.prom 2>&1)" ""
expect_eq "gm-txmon: records in" "$(sample m.prom gm_tool_records_in_total "tool=\"gm-txmon\",instance=\"$txmon_id\"")" 3001
expect_eq "gm-txmon: rejected" "$(sample m.prom gm_tool_records_rejected_total "tool=\"gm-txmon\",instance=\"$txmon_id\"")" 1
expect_eq "gm-txmon: out, as its stats say" \
	"$(sample m.prom gm_tool_records_out_total "tool=\"gm-txmon\",instance=\"$txmon_id\"")" "$(jq .out st.txmon)"
expect_eq "gm-produce: out" "$(sample m.prom gm_tool_records_out_total "tool=\"gm-produce\",instance=\"$produce_id\"")" 3000
expect_eq "tools that ended are down" \
	"$(grep -c '^gm_tool_up{.*} 0$' m.prom)" 2
expect_eq "gm-txmon: its store's keys" \
	"$(sample m.prom gm_tool_value "tool=\"gm-txmon\",instance=\"$txmon_id\",name=\"keys_users\"")" \
	"$(jq .values.keys_users st.txmon)"
expect_eq "the host: memory available, a filesystem, CPU seconds, load" \
	"$(grep -c -E '^(gm_host_memory_available_bytes|gm_host_filesystem_avail_bytes\{mountpoint="/"\}|gm_host_cpu_seconds_total\{cpu="0",mode="idle"\}|gm_host_load1) [0-9]' m.prom)" 4
expect_eq "the host source is up" "$(sample m.prom gm_metrics_source_up 'source="host"')" 1
expect_eq "MemAvailable, in bytes" "$(awk '$1 == "gm_host_memory_available_bytes" { print ($2 > 0) }' m.prom)" 1
expect_eq "the summary counts the records read and written" \
	"$(sed -n 's/^gm-metrics: \([0-9]*\) in, \([0-9]*\) out, .*/\1 \2/p' err)" "2 $(wc -l <m.ndjson)"

# The metric records are the exposition's samples, each once.
jq -r '"\(.name){\(.labels | to_entries | map("\(.key)=\"\(.value)\"") | join(","))} \(.value)"' m.ndjson |
	sed 's/{}//' | sort >records
grep -v '^#' m.prom | sort >samples
# cpu seconds and the like are written as JSON numbers: compare as numbers
expect_eq "a metric record for every sample" "$(wc -l <records)" "$(wc -l <samples)"
expect_eq "the records' names and labels are the samples'" \
	"$(cut -d ' ' -f 1 records | sort | md5sum)" "$(cut -d ' ' -f 1 samples | sort | md5sum)"
expect_eq "records: type metric, an id of name, labels and time" \
	"$(jq -r 'select(.type != "metric" or (.name as $n | .metric_id | startswith($n + "{") | not)) | .name' m.ndjson | wc -l)" 0

# A bad stats record, and a record of another type, are rejected where
# they are, kept whole; the good ones are taken.
{ cat st.txmon; echo '{"type":"stats","tool":"x"}'; head -n 1 events.ndjson
  jq -c '.values = {"a": "b"}' st.produce; } >mixed
gm-metrics --once --no-host --textfile m2.prom --rejects rej mixed 2>err2
expect_eq "bad stats records: status 0, three rejected" \
	"$?:$(sed -n 's/.* \([0-9]*\) rejected.*/\1/p' err2)" "0:3"
expect_grep "a missing field, named with its place" 'gm-metrics: mixed:2: missing field' err2
expect_grep "another type, with its place" 'gm-metrics: mixed:3: not a stats record' err2
expect_grep "values not integers" 'gm-metrics: mixed:4: field "values": "a" is not an integer' err2
expect_eq "the rejects file keeps them whole" "$(sed -n 2,4p mixed | md5sum)" "$(md5sum <rej)"
expect_eq "--no-host: no host metrics" "$(grep -c '^gm_host' m2.prom)" 0
expect_status "--strict: the first bad record ends the run" 1 \
	gm-metrics --once --no-host --strict --textfile m3.prom mixed

# Up and down by the wall clock: a stats record of now, of an interval
# of 1 s, is up; one four intervals old is down.
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
old=$(date -u -d '-4 seconds' +%Y-%m-%dT%H:%M:%S.000Z)
jq -c --arg t "$now" '.final = false | .interval_s = 1 | .ts = $t | .instance = "live"' st.txmon >live
jq -c --arg t "$old" '.final = false | .interval_s = 1 | .ts = $t | .instance = "gone"' st.txmon >>live
gm-metrics --once --no-host --textfile m4.prom live 2>/dev/null
expect_eq "reporting within three intervals: up" "$(sample m4.prom gm_tool_up 'tool="gm-txmon",instance="live"')" 1
expect_eq "four intervals silent: down" "$(sample m4.prom gm_tool_up 'tool="gm-txmon",instance="gone"')" 0

# A daemon: a tool writing stats every 200 ms into a file gm-metrics
# follows; /metrics over HTTP; a real Prometheus scrapes it.
port=$(free_port) || skip_or_fail "no free port"
{ head -n 1000 events.ndjson; sleep 3; tail -n +1001 events.ndjson; } |
	gm-txmon -q --stats live.stats --stats-every 200ms -o /dev/null &
tool=$!
gm-metrics --listen "127.0.0.1:$port" --every 200ms live.stats 2>daemon.err &
gm=$!
at_exit "kill $gm $tool 2>/dev/null"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/metrics" -o page && grep -q gm_tool_up page && break; sleep 0.1; done
expect_eq "/metrics: the live tool is up" "$(grep -c '^gm_tool_up{tool="gm-txmon",instance=".*"} 1$' page)" 1
expect_eq "/metrics: text/plain; version=0.0.4" \
	"$(curl -s -o /dev/null -w '%{content_type}' "http://127.0.0.1:$port/metrics")" "text/plain; version=0.0.4; charset=utf-8"
expect_eq "/metrics: promtool finds nothing" "$(promtool check metrics <page 2>&1)" ""
expect_eq "another path: 404" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/x")" 404
expect_eq "POST: 405" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/metrics")" 405

if command -v prometheus >/dev/null; then
	prom_start "$port"
	q() { prom_query "$1" "$2"; }
	got=
	for _ in $(seq 150); do
		got=$(q 'gm_tool_records_in_total{tool="gm-txmon"}' '.data.result[0].value[1] // empty' 2>/dev/null)
		[ "$got" = 3000 ] && break
		sleep 0.2
	done
	expect_eq "Prometheus: gm_tool_records_in_total of gm-txmon after its run" "$got" 3000
	expect_eq "Prometheus: the scrape is up" "$(q 'up{job="gm"}' '.data.result[0].value[1]')" 1
	expect_eq "Prometheus: gm_host_memory_available_bytes is a series" \
		"$(q 'gm_host_memory_available_bytes' '.data.result | length')" 1
	# rate() needs two scrapes of the counter: waited for.
	for _ in $(seq 150); do
		got=$(q 'sum(rate(gm_host_cpu_seconds_total[1m])) >= 0' '.data.result | length' 2>/dev/null)
		[ "$got" = 1 ] && break
		sleep 0.2
	done
	expect_eq "Prometheus: rate() of the host's CPU seconds" "$got" 1
else
	skip_or_fail "no prometheus (Debian's prometheus)"
fi
expect_status "--listen on a port in use: status 1" 1 gm-metrics --listen "127.0.0.1:$port" --no-host st.txmon
wait "$tool"
kill -TERM "$gm"
wait "$gm"
expect_eq "SIGTERM: gm-metrics exits 0" "$?" 0

# gm-metrics(1) lists every metric, and nothing else under gm_.
sed -n 's/^\t\[F_[A-Z_0-9]*\] = { "\(gm_[a-z_0-9]*\)".*/\1/p' "$TOP/gm-metrics/family.c" | sort >family
sed -n 's/^\.It Li \(gm_[a-z_0-9]*\)$/\1/p' "$TOP/man/gm-metrics.1" | sort >page
expect_eq "the page's metrics are family.c's" "$(diff family page && wc -l <family)" "$(wc -l <family)"

# Usage.
expect_status "nothing to write without --once" 2 gm-metrics st.txmon
expect_status "--listen with --once" 2 gm-metrics --once --listen :0 st.txmon
expect_status "--every of no source" 2 gm-metrics --once --every nosuch=1s st.txmon

finish

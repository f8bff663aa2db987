# gm-txmon --state: what the rules learnt of the customers carries from
# one run over files to the next, so that a day's file run after the day
# before alerts as one run over both days does; a run killed with -9, or
# stopped by a signal, before the end of its input leaves the snapshot
# as it was, and running it again gives what one uninterrupted run
# gives.
. "$(dirname "$0")/../lib.sh"

gm-produce -q -r 0 -s 7 -n 60000 --anomaly-rate 0.05 --start 2026-11-24T00:00:00Z >"$T/all"
head -n 30000 "$T/all" >"$T/day1"
tail -n +30001 "$T/all" >"$T/day2"
alerts() { cat "$@" | grep '"type":"alert"' | sort; }

gm-txmon -q "$T/all" >"$T/whole"
expect_eq "one run: exit status" $? 0
alerts "$T/whole" >"$T/want"
[ "$(wc -l <"$T/want")" -gt 100 ]
expect_eq "one run alerts ($(wc -l <"$T/want"))" $? 0

gm-txmon -q --state "$T/users" "$T/day1" >"$T/out1"
expect_eq "day 1: exit status" $? 0
[ -s "$T/users" ]
expect_eq "day 1 saved its state" $? 0
cp "$T/users" "$T/users.day1"

# Killed in the middle of day 2: the input is a pipe held open, so the
# run waits for more when the kill comes, with day 2 read.
mkfifo "$T/pipe"
gm-txmon -q --idle 0 --state "$T/users" <"$T/pipe" >"$T/killed" &
killed=$!
exec 3>"$T/pipe"
cat "$T/day2" >&3
for _ in $(seq 100); do [ -s "$T/killed" ] && break; sleep 0.1; done
kill -KILL "$killed"
wait "$killed" 2>/dev/null
exec 3>&-
cmp -s "$T/users" "$T/users.day1"
expect_eq "a killed run leaves the snapshot as it was" $? 0

# Stopped by a signal before the end of its input: the same.
gm-txmon -q --idle 0 --state "$T/users" <"$T/pipe" >"$T/stopped" &
stopped=$!
exec 3>"$T/pipe"
cat "$T/day2" >&3
for _ in $(seq 100); do [ -s "$T/stopped" ] && break; sleep 0.1; done
kill -TERM "$stopped"
wait "$stopped"
expect_eq "a stopped run: exit status" $? 0
exec 3>&-
cmp -s "$T/users" "$T/users.day1"
expect_eq "a stopped run leaves the snapshot as it was" $? 0

gm-txmon -q --state "$T/users" "$T/day2" >"$T/out2"
expect_eq "day 2: exit status" $? 0
alerts "$T/out1" "$T/out2" >"$T/got"
expect_same_file "two days with --state alert as one run" "$T/got" "$T/want"

# Without the state, day 2 starts with no history: other alerts.
gm-txmon -q "$T/day2" >"$T/fresh2"
alerts "$T/out1" "$T/fresh2" | cmp -s - "$T/want"
expect_eq "without --state, day 2 alerts otherwise" $? 1

# A snapshot of another layout (another --velocity) is refused.
gm-txmon -q --velocity 4/60s --state "$T/users" "$T/day2" >/dev/null 2>"$T/err"
expect_eq "another layout: exit status" $? 1
expect_grep "another layout: said" "not of this tool's users version" "$T/err"

gm-txmon -q --state "$T/users" -t transactions -G g -b 127.0.0.1:1 2>"$T/err"
expect_eq "--state with -G: exit status" $? 2
expect_grep "--state with -G: said" "a consumer group keeps its state in Kafka" "$T/err"
finish

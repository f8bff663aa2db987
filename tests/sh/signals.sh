# Signals: the first SIGINT/SIGTERM stops reading, flushes and exits 0
# with nothing that was read lost; a second one ends the process at once.
. "$(dirname "$0")/../lib.sh"

good='{"type":"product_view","event_id":"e%d","ts":"2026-11-24T10:00:00.000Z","user_id":"u1","session_id":"s1","product_id":"p1","category":"books","country":"UK","duration_ms":5}'

# 1. Blocked on input (a FIFO nobody closes): TERM ends it with status 0,
#    and every record it read is in the output (which was buffered).
for sig in TERM INT; do
	mkfifo "$T/in.$sig"
	gm-cat -o "$T/out.$sig" "$T/in.$sig" 2>"$T/err.$sig" &
	pid=$!
	exec 3>"$T/in.$sig"
	for i in 1 2 3 4 5; do printf "$good\n" "$i" >&3; done
	# Wait until gm-cat is blocked reading again (the FIFO is drained):
	# in read(), select() or, as lib/reader.c waits, poll().
	for _ in $(seq 100); do
		grep -q 'pipe_read\|pipe_wait\|do_select\|poll_schedule' "/proc/$pid/wchan" 2>/dev/null &&
			[ "$(awk '{print $3}' "/proc/$pid/stat")" = S ] && break
		sleep 0.05
	done
	kill -"$sig" "$pid"
	wait "$pid"
	expect_eq "SIG$sig while reading: exit status" $? 0
	exec 3>&-
	in=$(sed -n 's/^gm-cat: \([0-9]*\) in,.*/\1/p' "$T/err.$sig")
	expect_eq "SIG$sig: summary printed" "${in:+yes}" yes
	expect_eq "SIG$sig: every record read was written" "$(wc -l <"$T/out.$sig")" "$in"
done

# 2. Blocked writing (its reader never reads): the first TERM cannot
#    finish the flush; the second ends it at once, killed by the signal.
for i in $(seq 5000); do printf "$good\n" "$i"; done >"$T/many"
mkfifo "$T/stuck"
exec 4<>"$T/stuck"        # a reader that never reads
gm-cat -q -o "$T/stuck" "$T/many" 2>/dev/null &
pid=$!
for _ in $(seq 100); do
	[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" = S ] && break
	sleep 0.05
done
kill -TERM "$pid"
sleep 0.2
kill -0 "$pid" 2>/dev/null
expect_eq "first TERM while blocked writing: still flushing" $? 0
kill -TERM "$pid"
wait "$pid"
expect_eq "second TERM: exits at once, by the signal" $? 143
exec 4>&-
finish

# The pages and the README name only what exists: every gm page they
# link (.Xr) is in man/, every file of the source tree they name is
# there, and every record type gm-events(5) defines is one a tool writes.
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1

# Links between the pages: a tool to come has no page, so no .Xr.
for page in man/*.[1-9]; do
	grep -oE '^\.(.* )?Xr gm[a-z-]* [1-9]' "$page" | grep -oE 'Xr gm[a-z-]* [1-9]' | sort -u |
	while read -r _ name sec; do
		[ -f "man/$name.$sec" ] || echo "$page links $name($sec), which has no page"
	done
done >"$T/links"
while IFS= read -r line; do fail "$line"; done <"$T/links"

# Files of the source tree the pages (.Pa) and the README name.
{
	grep -ho '^\.Pa [^~/ ][^ ]*' man/*.[1-9] | cut -d' ' -f2
	grep -oE '(^|[ (])(scripts|tests|man|lib|\.ci)/[A-Za-z0-9._/-]*[A-Za-z0-9]' README | sed 's/^[ (]//'
} | sort -u >"$T/paths"
while read -r path; do
	[ -e "$path" ] || fail "$path is named but not in the source tree"
done <"$T/paths"
# The README's commands run the tools of build/bin.
grep -oE 'build/bin/gm-[a-z]+' README | sort -u | while read -r tool; do
	[ -d "${tool#build/bin/}" ] || echo "README runs $tool, a tool with no folder"
done >"$T/tools"
while IFS= read -r line; do fail "$line"; done <"$T/tools"

# Record types: gm-events(5) has a section per type (a lower-case name);
# the tools write every one of them. --truth and --anomaly-rate make
# sure alerts come; a day of 20 products, restocks; gm-inventory's
# stock and its re-keyed sales; gm-notify's dead letter, of an alert of
# gm-txmon's sent to a file that cannot be opened, which it gives up on
# at once; gm-txmon's stats, and gm-metrics's records of them.
grep '^\.Ss [a-z_]*$' man/gm-events.5 | cut -d' ' -f2 | sort >"$T/defined"
gm-produce -q -r 0 -n 20000 --truth --anomaly-rate 0.2 --start 2026-11-24T00:00:00Z >"$T/events"
gm-produce -q -r 0 -n 20000 -d 1d --products 20 --start 2026-11-24T00:00:00Z --catalog - >"$T/stocked"
gm-txmon -q --stats "$T/stats" "$T/events" >"$T/out"
gm-metrics -q --once --no-host -o "$T/metrics" "$T/stats"
gm-session -q --abandon-after 1m "$T/events" >"$T/sessions"
gm-inventory -q "$T/stocked" >"$T/stock"
gm-inventory -q --rekey "$T/stocked" >"$T/sales"
cat >"$T/notify.yml" <<YAML
route:
  receiver: nowhere
  group_wait: 0s
receivers:
- name: nowhere
  file_configs:
  - path: '$T/no-such-dir/notifications.ndjson'
YAML
grep -m 1 '"type":"alert"' "$T/out" >"$T/alert"
gm-notify -q -c "$T/notify.yml" --replay --dead-letter "$T/dead" "$T/alert" 2>"$T/notify.err"
expect_eq "gm-notify, a notification given up on (exit status)" "$?" 1
cat "$T/events" "$T/stocked" "$T/out" "$T/sessions" "$T/stock" "$T/sales" "$T/dead" "$T/stats" "$T/metrics" |
	jq -r .type | sort -u >"$T/written"
expect_eq "record types gm-events(5) defines = those the tools write" \
	"$(tr '\n' ' ' <"$T/defined")" "$(tr '\n' ' ' <"$T/written")"
finish

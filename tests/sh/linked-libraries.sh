# Each binary records (DT_NEEDED) only the libraries its code calls:
# the tools libgm's Kafka, PostgreSQL and JSON parts, which they reach
# through their sinks and sources, and zlib, which their file input
# reads gzip with; hll-error, linked like the others,
# only libm. The C and sanitizer runtimes aside.
. "$(dirname "$0")/../lib.sh"

needed() {
	readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(lib[^.]*\)\..*/\1/p' |
		grep -Ev '^lib(c|asan|ubsan|gcc_s|stdc\+\+|pthread|dl|rt)$' | sort | tr '\n' ' '
}

command -v readelf >/dev/null || { echo "readelf not found" >&2; exit 77; }
for tool in gm-produce gm-txmon; do
	expect_eq "$tool" "$(needed "$BIN/$tool")" "libm libpq librdkafka libyajl libz "
done
expect_eq hll-error "$(needed "$HELPERS/hll-error")" "libm "
finish

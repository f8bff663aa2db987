# tests/prometheus.sh: a real Prometheus (Debian's prometheus) for the
# tests, sourced after lib.sh.
#   prom_start TARGET [RULES]   starts Prometheus on a free port of
#                        127.0.0.1, scraping 127.0.0.1:TARGET every
#                        500 ms (and evaluating RULES, a rules file, as
#                        often), its data in $T; sets PROM_PORT. It is
#                        stopped at the test's exit.
#   prom_query EXPR [JQ] the answer to the instant query EXPR, read by the
#                        jq filter JQ (default: how many series).
prom_start() {
	PROM_PORT=$(free_port) || skip_or_fail "no free port for Prometheus"
	{
		printf 'global: {scrape_interval: 500ms, evaluation_interval: 500ms}\n'
		[ -z "${2:-}" ] || printf "rule_files: ['%s']\n" "$2"
		printf 'scrape_configs:\n- job_name: gm\n'
		printf "  static_configs: [{targets: ['127.0.0.1:%s']}]\n" "$1"
	} >"$T/prom.yml"
	prometheus --config.file="$T/prom.yml" --storage.tsdb.path="$T/tsdb" \
		--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$T/prom.log" 2>&1 &
	at_exit "kill $! 2>/dev/null"
}
prom_query() {
	curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
		jq -r "${2:-.data.result | length}"
}

# gm-report's OpenAPI document (gm-report/page/openapi.json), checked by
# tests/openapi-check.mjs against the OpenAPI 3.0 schema, and against the
# server: gm-report --listen serves it as /openapi.json, byte for byte,
# without a token; every path in it answers GET with no parameter 200,
# and with a filter too, each answer valid against the document's
# schema of it (so the document says what the server answers, no member
# more or less); its 400 and 401 answers are the document's error; and
# every endpoint the server's source answers (gm-report/query.c's
# table) is in it, and one that is not there is a 404. The warehouse is
# the stream tools' 30 hours (tests/report.sh), with their alerts,
# stock and sessions, so that every list has rows.
#
# Without node or the validator (scripts/install-deps), skipped, and a
# failure under CI=true.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/report.sh"
export GM_OPENAPI_DIR=${GM_OPENAPI_DIR:-/opt/gm/openapi-validator}
command -v node >/dev/null || skip_or_fail "node is not installed (scripts/install-deps)"
[ -f "$GM_OPENAPI_DIR/node_modules/@seriousme/openapi-schema-validator/index.js" ] ||
	skip_or_fail "no @seriousme/openapi-schema-validator in $GM_OPENAPI_DIR (scripts/install-deps)"
command -v jq >/dev/null || skip_or_fail "jq is not installed"
command -v curl >/dev/null || skip_or_fail "curl is not installed"
DOC=$TOP/gm-report/page/openapi.json
check() { node "$TESTS/openapi-check.mjs" "$@"; }
cd "$T" || exit 1

# ---- the document alone ----
check "$DOC" >doc.out 2>doc.err || fail "$DOC: $(head -c 600 doc.err)"
# The checker fails a document that is not right, and an answer that
# is not the document's.
jq '.paths["/api/v1/kpis"].get.parameters[0] = {"name": "x", "in": "body"}' "$DOC" >bad-doc.json
check bad-doc.json >/dev/null 2>&1 && fail "openapi-check.mjs passed a parameter in body"
jq '.openapi = "3.0.2"' "$DOC" >old-doc.json
check old-doc.json >/dev/null 2>&1 && fail "openapi-check.mjs passed OpenAPI 3.0.2"
echo '{"kpis": {}}' >bad-kpis.json
check "$DOC" /api/v1/kpis=bad-kpis.json >/dev/null 2>&1 && fail "openapi-check.mjs passed kpis without a filter"

# ---- the server ----
stream_input || { fail "the stream tools' input"; finish; }
gm-etl -q -w wh catalog.ndjson events.ndjson || fail "gm-etl: status $?"
gm-rfm -q -w wh --as-of 2026-11-24 || fail "gm-rfm: status $?"
gm-rfm -q -w wh --as-of 2026-11-25 --compare 2026-11-24 || fail "gm-rfm --compare: status $?"
gm-txmon -q events.ndjson >alerts.ndjson || fail "gm-txmon: status $?"
gm-session -q "${STREAM_SESSION_RULES[@]}" events.ndjson >sessions.ndjson 2>/dev/null || fail "gm-session: status $?"
gm-inventory -q stock-input.ndjson >stock.ndjson || fail "gm-inventory: status $?"

token=openapi-test-token-0123456789
echo "$token" >token
port=$(free_port) || skip_or_fail "no free port"
U=http://127.0.0.1:$port
gm-report -w wh -s alerts.ndjson -s sessions.ndjson -s stock.ndjson --listen "127.0.0.1:$port" \
	--token-file token 2>srv.err &
pid=$!
at_exit "kill $pid 2>/dev/null"
# get PATH [CURL-ARGS...]: GET PATH with the token, its body in body, its
# status printed.
get() { local p=$1; shift; curl -s -o body -w '%{http_code}' -H "Authorization: Bearer $token" "$@" "$U$p"; }
for _ in $(seq 100); do
	[ "$(get /api/v1/kpis)" = 200 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
[ "$(get /api/v1/kpis)" = 200 ] || { fail "gm-report --listen did not answer: $(cat srv.err)"; finish; }

# /openapi.json: the file, with no token, as JSON.
expect_eq "/openapi.json without a token: 200" \
	"$(curl -s -o served.json -D headers -w '%{http_code}' "$U/openapi.json")" 200
expect_eq "/openapi.json: JSON" "$(tr -d '\r' <headers | sed -n 's/^Content-Type: //Ip')" \
	"application/json; charset=utf-8"
expect_same_file "/openapi.json is gm-report/page/openapi.json" served.json "$DOC"
check served.json >served.out 2>served.err || fail "/openapi.json: $(head -c 600 served.err)"

# Every path of the document: GET with no parameter, and (but data,
# which takes none) with a filter of a day, a country, a grain and a
# page of rows; each answer the document's.
jq -r '.paths | keys[]' "$DOC" >paths
expect_eq "the document's paths" "$(tr '\n' ' ' <paths)" \
	"/api/v1/alerts /api/v1/countries /api/v1/data /api/v1/inventory /api/v1/kpis /api/v1/migration /api/v1/products /api/v1/sales_trends /api/v1/segments /api/v1/sessions "
args=()
n=0
while read -r path; do
	n=$((n + 1))
	expect_eq "GET $path: 200" "$(get "$path")" 200
	cp body "plain-$n.json"
	args+=("$path=plain-$n.json")
	[ "$path" = /api/v1/data ] && continue
	expect_eq "GET $path with a filter: 200" \
		"$(get "$path?days=1&country=UK&grain=week&limit=2&offset=1")" 200
	cp body "filtered-$n.json"
	args+=("$path=filtered-$n.json")
done <paths
check "$DOC" "${args[@]}" >answers.out 2>answers.err || fail "answers not as the document says: $(head -c 1500 answers.err)"
expect_eq "answers checked" "$(grep -c '^valid /api/v1/' answers.out)" 19
# The lists had rows to check.
for e in alerts inventory sessions; do
	expect_eq "$e: available, with rows" "$(jq -c '[.available, (.rows | length > 0)]' "plain-$(grep -n "/api/v1/$e$" paths | cut -d: -f1).json")" \
		"[true,true]"
done

# Errors: a 400 and a 401 are the document's.
expect_eq "an unknown parameter: 400" "$(get '/api/v1/kpis?nosuch=1')" 400
cp body 400.json
expect_eq "no token: 401" "$(curl -s -o 401.json -w '%{http_code}' "$U/api/v1/kpis")" 401
check "$DOC" /api/v1/kpis:400=400.json /api/v1/kpis:401=401.json >errors.out 2>errors.err ||
	fail "errors not as the document says: $(head -c 600 errors.err)"
expect_eq "another endpoint: 404" "$(get /api/v1/nosuch)" 404
expect_eq "404: the error" "$(jq -c .error.status body)" 404

# Every endpoint the server answers is in the document: query.c's table
# of them, and data.
{
	grep -oE '\{ "[a-z_]+", answer_[a-z_]+ \}' "$TOP/gm-report/query.c" | cut -d'"' -f2
	grep -oE 'strcmp\(endpoint, "[a-z_]+"\)' "$TOP/gm-report/query.c" | cut -d'"' -f2
} | sort -u >answered
expect_eq "endpoints found in query.c" "$(($(wc -l <answered) >= 10))" 1
while read -r e; do
	expect_eq "/api/v1/$e: answered" "$(get "/api/v1/$e")" 200
	grep -qx "/api/v1/$e" paths || fail "/api/v1/$e is answered but not in the document"
done <answered
finish

# lib/mongo's unit test (tests/unit/test_mongo.c) against the MongoDB
# server the tests start (tests/helpers/mongo.sh): upserts, reads,
# filters, deletes, indexes, watermarks and locks.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/helpers/mongo.sh"

[ -x "$HELPERS/test_mongo" ] || { fail "$HELPERS/test_mongo is not built"; finish; }
mongo_start
CK_VERBOSITY=normal "$HELPERS/test_mongo" >"$T/out" 2>&1 || fail "test_mongo: $(cat "$T/out")"
expect_grep "every test ran, none failed" "^100%: Checks: 9, Failures: 0, Errors: 0" "$T/out"
finish

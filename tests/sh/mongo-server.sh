# The MongoDB server the tests start (tests/helpers/mongo.sh: CongoDB,
# or a real mongod by GM_TEST_MONGO_URI) takes libmongoc's insert,
# replace by a filter, upsert, sorted find with a projection and count,
# with the results a MongoDB server gives.
. "$(dirname "$0")/../lib.sh"
. "$TESTS/helpers/mongo.sh"

mongo_start
expect_eq "URI names the test's database" "${GM_MONGO_URI##*/}" "gm_test_$$"
cat >"$T/want" <<'OUT'
inserted 3
replace b: matched 1 modified 1 upserted 0
replace d: matched 0 modified 0 upserted 1
a 1
b 20
c 3
d 4
count n>=3: 3
OUT
expect_status "round trip" 0 mongo-client "$GM_MONGO_URI" roundtrip >"$T/got"
expect_same_file "round trip" "$T/got" "$T/want"
# Again on what the first left: the same results.
expect_status "second round trip" 0 mongo-client "$GM_MONGO_URI" roundtrip >"$T/got"
expect_same_file "second round trip" "$T/got" "$T/want"
finish

#include <string.h>

#include "alert.h"
#include "check_util.h"
#include "hash.h"
#include "writer.h"

/* An output that collects records in memory and the key of each. */
struct collected {
	struct gm_writer *w;
	char keys[256];
	int emitted;
};

static struct gm_writer *collect_begin(void *ctx)
{
	return ((struct collected *)ctx)->w;
}

static void collect_emit(void *ctx, const char *key, size_t klen)
{
	struct collected *c = ctx;
	size_t at = strlen(c->keys);
	snprintf(c->keys + at, sizeof c->keys - at, "%s%.*s", at ? " " : "",
		key ? (int)klen : 6, key ? key : "(none)");
	c->emitted++;
}

/* The collected records as a NUL-terminated string. */
static const char *text(struct collected *c)
{
	static char buf[4096];
	size_t n;
	const char *p = gm_writer_data(c->w, &n);
	ck_assert_uint_lt(n, sizeof buf);
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

static const char *id_of(const char *source, const char *rule, const char *subject,
	enum gm_alert_status status)
{
	static char id[GM_ALERT_ID_LEN + 1];
	memset(id, '?', sizeof id);
	gm_alert_id(id, source, rule, subject, strlen(subject), status);
	ck_assert_uint_eq(strlen(id), GM_ALERT_ID_LEN);
	return id;
}

START_TEST(ids_are_gm_txmons)
{
	/* The ids of gm-events(5)'s examples, as gm-txmon wrote them. */
	ck_assert_str_eq(id_of("gm-txmon", "velocity", "t0000003114", GM_ALERT_FIRING),
		"c14ef0aa5041064c");
	ck_assert_str_eq(id_of("gm-txmon", "country_mismatch", "t0000040287", GM_ALERT_FIRING),
		"0943015156399b0b");
	/* A subject past 22 bytes: the first 22 in the string hashed, the
	 * whole of it xored in. */
	const char *big = "transaction-0123456789-abcdefghijklmnop";
	const char *cut = "gm-txmon/high_value/transaction-0123456789";
	char want[GM_ALERT_ID_LEN + 1];
	snprintf(want, sizeof want, "%016llx",
		(unsigned long long)(gm_hash(cut, strlen(cut)) ^ gm_hash(big, strlen(big))));
	ck_assert_str_eq(id_of("gm-txmon", "high_value", big, GM_ALERT_FIRING), want);
	/* A NUL ends the part in the string, as printf's "%.*s" ended it. */
	char nul[GM_ALERT_ID_LEN + 1];
	gm_alert_id(nul, "gm-txmon", "velocity", "t1\0t2", 5, GM_ALERT_RESOLVED);
	snprintf(want, sizeof want, "%016llx", (unsigned long long)
		(gm_hash("gm-txmon/velocity/resolved/t1", 29) ^ gm_hash("t1\0t2", 5)));
	ck_assert_str_eq(nul, want);
	/* ... so that subjects alike in their first 22 bytes differ. */
	char other[64];
	snprintf(other, sizeof other, "%.*sX", (int)strlen(big) - 1, big);
	ck_assert_str_ne(id_of("gm-txmon", "high_value", other, GM_ALERT_FIRING), want);
	/* Source, rule, subject and status each make another id. */
	char firing[GM_ALERT_ID_LEN + 1];
	strcpy(firing, id_of("gm-inventory", "low_stock", "p000070", GM_ALERT_FIRING));
	ck_assert_str_eq(id_of("gm-inventory", "low_stock", "p000070", GM_ALERT_FIRING), firing);
	ck_assert_str_ne(id_of("gm-session", "low_stock", "p000070", GM_ALERT_FIRING), firing);
	ck_assert_str_ne(id_of("gm-inventory", "high_stock", "p000070", GM_ALERT_FIRING), firing);
	ck_assert_str_ne(id_of("gm-inventory", "low_stock", "p000071", GM_ALERT_FIRING), firing);
	ck_assert_str_ne(id_of("gm-inventory", "low_stock", "p000070", GM_ALERT_RESOLVED), firing);
	ck_assert_str_eq(id_of("gm-inventory", "low_stock", "", GM_ALERT_FIRING),
		id_of("gm-inventory", "low_stock", "", GM_ALERT_FIRING));
}
END_TEST

START_TEST(shape_of_a_firing_alert)
{
	struct collected c = { gm_writer_mem(), "", 0 };
	const struct gm_output out = { collect_begin, collect_emit, &c };
	const struct gm_alert_label labels[] = {
		{ "reason", { "velocity", 8 } },
		{ "user_id", { "u8647303", 8 } },
		{ "transaction_id", { "t0000003114", 11 } },
		{ "country", { "USA", 3 } },
	};
	const struct gm_alert a = {
		.source = "gm-txmon", .rule = "velocity", .subject = { "t0000003114", 11 },
		.kind = "anomaly", .severity = GM_ALERT_WARNING, .ts = 1795478423779LL,
		.summary = "u8647303 made 3 transactions within 60s",
		.labels = labels, .nlabels = 4,
	};
	struct gm_writer *w = gm_alert_begin(&out, &a);
	ck_assert_ptr_eq(w, c.w);
	ck_assert_int_eq(c.emitted, 0);
	GM_W_KEY(w, "count");
	gm_w_i64(w, 3);
	GM_W_KEY(w, "period_ms");
	gm_w_i64(w, 60000);
	gm_alert_emit(&out, w, "u8647303", 8);
	/* gm-events(5)'s example, byte for byte. */
	ck_assert_str_eq(text(&c),
		"{\"type\":\"alert\",\"alert_id\":\"c14ef0aa5041064c\",\"ts\":\"2026-11-24T00:00:23.779Z\","
		"\"kind\":\"anomaly\",\"severity\":\"warning\",\"source\":\"gm-txmon\","
		"\"summary\":\"u8647303 made 3 transactions within 60s\","
		"\"labels\":{\"reason\":\"velocity\",\"user_id\":\"u8647303\","
		"\"transaction_id\":\"t0000003114\",\"country\":\"USA\"},"
		"\"count\":3,\"period_ms\":60000}\n");
	ck_assert_int_eq(c.emitted, 1);
	ck_assert_str_eq(c.keys, "u8647303");
	gm_writer_close(c.w);
}
END_TEST

START_TEST(resolved_status_and_severities)
{
	struct collected c = { gm_writer_mem(), "", 0 };
	const struct gm_output out = { collect_begin, collect_emit, &c };
	const struct gm_alert_label label = { "product_id", { "p\"1", 3 } };
	struct gm_alert a = {
		.source = "gm-inventory", .rule = "low_stock", .subject = { "p\"1", 3 },
		.kind = "low_stock", .severity = GM_ALERT_INFO, .status = GM_ALERT_RESOLVED,
		.ts = 0, .summary = "p\"1 is\tback", .labels = &label, .nlabels = 1,
	};
	char id[GM_ALERT_ID_LEN + 1], want[512];
	gm_alert_id(id, "gm-inventory", "low_stock", "p\"1", 3, GM_ALERT_RESOLVED);
	gm_alert_emit(&out, gm_alert_begin(&out, &a), NULL, 0);
	/* Status after severity, strings escaped, no numbers, no key. */
	snprintf(want, sizeof want,
		"{\"type\":\"alert\",\"alert_id\":\"%s\",\"ts\":\"1970-01-01T00:00:00.000Z\","
		"\"kind\":\"low_stock\",\"severity\":\"info\",\"status\":\"resolved\","
		"\"source\":\"gm-inventory\",\"summary\":\"p\\\"1 is\\tback\","
		"\"labels\":{\"product_id\":\"p\\\"1\"}}\n", id);
	ck_assert_str_eq(text(&c), want);
	ck_assert_str_eq(c.keys, "(none)");

	/* No labels is an empty object; critical is "critical". */
	gm_writer_reset(c.w);
	a.status = GM_ALERT_FIRING;
	a.severity = GM_ALERT_CRITICAL;
	a.nlabels = 0;
	a.labels = NULL;
	gm_alert_emit(&out, gm_alert_begin(&out, &a), "p1", 2);
	gm_alert_id(id, "gm-inventory", "low_stock", "p\"1", 3, GM_ALERT_FIRING);
	snprintf(want, sizeof want,
		"{\"type\":\"alert\",\"alert_id\":\"%s\",\"ts\":\"1970-01-01T00:00:00.000Z\","
		"\"kind\":\"low_stock\",\"severity\":\"critical\","
		"\"source\":\"gm-inventory\",\"summary\":\"p\\\"1 is\\tback\","
		"\"labels\":{}}\n", id);
	ck_assert_str_eq(text(&c), want);
	ck_assert_str_eq(c.keys, "(none) p1");
	gm_writer_close(c.w);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("alert");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, ids_are_gm_txmons);
	tcase_add_test(tc, shape_of_a_firing_alert);
	tcase_add_test(tc, resolved_status_and_severities);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

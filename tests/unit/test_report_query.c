/* gm-report's API answers (gm-report/query.c) on a data set small
 * enough to add up by hand: four days, a customer who bought in two
 * countries (counted once in a total, once in each country), periods
 * that merge that customer's days, the previous period of a range; and
 * every parameter refused the way the contract says. */
#include <stdarg.h>
#include <string.h>

#include "check_util.h"
#include "../../gm-report/query.h"

/* Days 2026-11-01 (a Sunday: ISO week 44) to 11-04 (week 45).
 *   day 0  DE  A  u1  books 10.00
 *   day 1  FR  A  u1  toys   5.00 (2 units)
 *   day 2  DE  B  u2  books  2.00 + toys 3.00, one order
 *   day 3  DE  A  u1  books  7.00
 * Sales rows: day, country, segment, category (-1: all), cents, orders,
 * units, in the page's base-36 rows (each with none kept from the row
 * before, its day less the day before). */
static const char data[] =
	"{\"version\":1,\"generated\":\"2026-12-01T00:00:00.000Z\",\"warehouse\":\"t\","
	"\"days\":[\"2026-11-01\",\"2026-11-02\",\"2026-11-03\",\"2026-11-04\"],"
	"\"countries\":[\"DE\",\"FR\"],\"regions\":[\"Europe\",\"Europe\"],"
	"\"categories\":[\"books\",\"toys\"],\"segments\":[\"A\",\"B\"],\"as_of\":\"2026-11-04\","
	"\"sales\":\"0,0,0,0,0,rs,1,1 0,0,0,0,-1,rs,1,1 0,1,1,0,1,dw,1,2 0,0,1,0,-1,dw,1,2 "
	"0,1,0,1,0,5k,1,1 0,0,0,1,1,8c,1,1 0,0,0,1,-1,dw,1,2 0,1,0,0,0,jg,1,1 0,0,0,0,-1,jg,1,1\","
	"\"buyers\":[[0,0,\"0:0,3:0\"],[0,1,\"2:0.1\"],[1,0,\"1:1\"]],\"same\":[[0,0,2,0]],"
	"\"perf\":\"0,0,0,a,2,0,1,1,rs\",\"products\":[[\"p1\",\"Book\",0]],"
	"\"product_days\":\"0,0,0,1,1,rs 0,3,0,1,1,jg\","
	"\"snapshots\":[{\"as_of\":\"2026-11-04\",\"rows\":[[\"A\",1,0.5,1.5,2,850,1700,0.7727],"
	"[\"B\",1,0.5,2,1,500,500,0.2273]]}],\"migration\":[],"
	"\"alerts\":null,\"inventory\":null,\"sessions\":null}";

static struct query *q;
static char why[200];  /* the message of the last answer */

static void setup(void)
{
	char err[256];
	q = query_new(data, sizeof data - 1, err, sizeof err);
	ck_assert_msg(q != NULL, "%s", err);
}

static void teardown(void)
{
	query_free(q);
}

/* The answer of endpoint to the parameters "k=v" (or "k": no value),
 * NULL-terminated; its status into *status. Freed by the next call. */
static char *answer(unsigned *status, const char *endpoint, ...)
{
	static char *body;
	static char keys[16][64];
	struct query_arg args[16];
	size_t n = 0;
	va_list ap;
	va_start(ap, endpoint);
	for (const char *kv; (kv = va_arg(ap, const char *)) && n < 16; n++) {
		snprintf(keys[n], sizeof keys[n], "%s", kv);
		char *eq = strchr(keys[n], '=');
		if (eq)
			*eq++ = '\0';
		args[n] = (struct query_arg){ keys[n], eq };
	}
	va_end(ap);
	struct gm_writer *w = gm_writer_mem();
	*status = query_answer(q, endpoint, args, n, w, why, sizeof why);
	size_t len;
	const char *p = gm_writer_data(w, &len);
	free(body);
	body = strndup(p, len);
	gm_writer_close(w);
	return body;
}

#define HAS(body, s) ck_assert_msg(strstr((body), (s)) != NULL, "%s\nnot in\n%s", (s), (body))

START_TEST(kpis_whole_and_range)
{
	unsigned st;
	char *b = answer(&st, "kpis", NULL);
	ck_assert_uint_eq(st, 200);
	HAS(b, "\"filter\":{\"from\":\"2026-11-01\",\"to\":\"2026-11-04\",\"country\":null,"
		"\"category\":null,\"segment\":null,\"grain\":\"day\"}");
	HAS(b, "\"revenue\":{\"value\":27,\"previous\":null,\"change\":null}");
	HAS(b, "\"orders\":{\"value\":4,");
	HAS(b, "\"customers\":{\"value\":2,");  /* u1 once, of two countries */
	HAS(b, "\"avg_order_value\":{\"value\":6.75,");
	/* Empty values are the defaults, as the page's unset controls send. */
	b = answer(&st, "kpis", "from=", "to=", "grain=", "country=", "limit=", NULL);
	ck_assert_uint_eq(st, 200);
	HAS(b, "\"revenue\":{\"value\":27,\"previous\":null,\"change\":null}");
	b = answer(&st, "kpis", "from=2026-11-03", "to=2026-11-04", NULL);
	HAS(b, "\"revenue\":{\"value\":12,\"previous\":15,\"change\":-0.2000}");
	HAS(b, "\"customers\":{\"value\":2,\"previous\":1,\"change\":1.0000}");
	b = answer(&st, "kpis", "category=toys", NULL);
	HAS(b, "\"revenue\":{\"value\":8,");
	HAS(b, "\"customers\":{\"value\":2,");
	b = answer(&st, "kpis", "days=2", "country=FR", NULL);
	HAS(b, "\"revenue\":{\"value\":0,\"previous\":5,\"change\":-1.0000}");
	HAS(b, "\"avg_order_value\":{\"value\":null,\"previous\":5,\"change\":null}");
}
END_TEST

START_TEST(lists)
{
	unsigned st;
	char *b = answer(&st, "countries", NULL);
	HAS(b, "\"total\":2,\"limit\":100,\"offset\":0,\"rows\":[{\"country\":\"DE\",\"region\":\"Europe\","
		"\"revenue\":22,\"orders\":3,\"avg_order_value\":7.33,\"customers\":2},"
		"{\"country\":\"FR\",\"region\":\"Europe\",\"revenue\":5,\"orders\":1,"
		"\"avg_order_value\":5,\"customers\":1}]");
	/* The week of Nov 2-4: u1's FR and DE days are one customer. */
	b = answer(&st, "sales_trends", "grain=week", NULL);
	HAS(b, "\"grain\":\"week\"");
	HAS(b, "{\"period\":\"2026-W44\",\"revenue\":10,\"orders\":1,\"units\":1,\"customers\":1,");
	HAS(b, "{\"period\":\"2026-W45\",\"revenue\":17,\"orders\":3,\"units\":5,\"customers\":2,");
	b = answer(&st, "sales_trends", "limit=1", "offset=1", NULL);
	HAS(b, "\"total\":4,\"limit\":1,\"offset\":1,\"rows\":[{\"period\":\"2026-11-02\"");
	b = answer(&st, "sales_trends", "offset=9", NULL);
	HAS(b, "\"rows\":[]");
	b = answer(&st, "products", NULL);
	HAS(b, "{\"category\":\"books\",\"revenue\":19,\"share\":0.7037,\"orders\":3,\"units\":3,"
		"\"views\":10,\"cart_adds\":2,\"cart_removes\":0,\"view_to_cart\":0.2000,"
		"\"cart_to_purchase\":0.5000,\"rank\":1}");
	HAS(b, "\"view_to_cart\":null");
	HAS(b, "\"rows\":[{\"rank\":1,\"product_id\":\"p1\",\"name\":\"Book\",\"category\":\"books\","
		"\"revenue\":17,\"units\":2,\"orders\":2}]");
	b = answer(&st, "segments", "segment=B", NULL);
	HAS(b, "\"segments\":[{\"segment\":\"B\",\"customers\":1,\"share\":0.5,\"avg_recency_days\":2,"
		"\"avg_frequency\":1,\"avg_monetary\":5,\"revenue\":5,\"revenue_share\":0.2273}]");
	HAS(b, "\"buyers\":[{\"segment\":\"B\",\"customers\":1}]");
	b = answer(&st, "alerts", NULL);
	HAS(b, "\"available\":false,\"total\":0");
	b = answer(&st, "migration", NULL);
	HAS(b, "\"migration\":null");
	b = answer(&st, "data", NULL);
	ck_assert_str_eq(b, data);
}
END_TEST

/* Each refused, 4xx with the error body; never a crash. */
START_TEST(refused)
{
	static const struct {
		unsigned status;
		const char *endpoint, *args[3], *message;
	} cases[] = {
		{ 404, "nope", { NULL }, "no endpoint \"nope\"" },
		{ 404, "../../etc/passwd", { NULL }, "no endpoint \"../../etc/passwd\"" },
		{ 400, "kpis", { "color=red" }, "unknown parameter \"color\"" },
		{ 400, "kpis", { "from=2026-11-01", "from=2026-11-02" }, "given twice" },
		{ 400, "kpis", { "from" }, "without a value" },
		{ 400, "kpis", { "from=2026-13-40" }, "not a date" },
		{ 400, "kpis", { "to=yesterday" }, "not a date" },
		{ 400, "kpis", { "from=2026-11-04", "to=2026-11-01" }, "from is after to" },
		{ 400, "kpis", { "days=7", "to=2026-11-04" }, "days goes without" },
		{ 400, "kpis", { "days=0" }, "from 1 to 36600" },
		{ 400, "kpis", { "country=' OR 1=1 --" }, "no such country \"' OR 1=1 --\"" },
		{ 400, "kpis", { "segment=\x01\xff" }, "no such segment \"\\x01\\xff\"" },
		{ 400, "kpis", { "grain=year" }, "day, week or month" },
		{ 400, "countries", { "limit=99999999999" }, "from 1 to 1000" },
		{ 400, "countries", { "limit=0" }, "from 1 to 1000" },
		{ 400, "countries", { "limit=-1" }, "from 1 to 1000" },
		{ 400, "countries", { "offset=1e3" }, "offset" },
		{ 400, "data", { "limit=1" }, "no parameter" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		unsigned st;
		char *b = answer(&st, cases[i].endpoint, cases[i].args[0], cases[i].args[1],
			cases[i].args[2], NULL);
		ck_assert_msg(st == cases[i].status, "case %zu: %u %s", i, st, b);
		char head[64];
		snprintf(head, sizeof head, "{\"error\":{\"status\":%u,\"message\":\"", cases[i].status);
		ck_assert_msg(!strncmp(b, head, strlen(head)), "case %zu: %s", i, b);
		HAS(why, cases[i].message);
	}
}
END_TEST

START_TEST(damaged_data)
{
	static const char *const bad[] = {
		"", "[]", "{}", "{\"days\":[\"2026-11-01\",\"2026-11-03\"]}",
		"{\"days\":[],\"countries\":[],\"regions\":[],\"categories\":[],\"segments\":[],"
		"\"sales\":\"0,0,0,0,0,1,1,1\",\"perf\":\"\",\"product_days\":\"\"}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char err[256] = "";
		ck_assert_ptr_null(query_new(bad[i], strlen(bad[i]), err, sizeof err));
		ck_assert_msg(strstr(err, "damaged") != NULL, "%s", err);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("report_query");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, kpis_whole_and_range);
	tcase_add_test(tc, lists);
	tcase_add_test(tc, refused);
	tcase_add_test(tc, damaged_data);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

/* row: a line the reader takes gives exactly what gm_parse() and
 * gm_rtype_decode() give; a line written otherwise, bad or not, is
 * left to them. */
#include <stdio.h>

#include "check_util.h"
#include "event.h"
#include "row.h"
#include "rtype.h"

/* Rows of each kind of field, as gm-etl and gm-rfm write them. */
static const char *const rows[] = {
	"{\"type\":\"fact_sales\",\"sale_id\":\"t1/1\",\"transaction_id\":\"t1\",\"line\":1,\"date_key\":20261031,"
	"\"ts\":\"2026-10-31T09:05:00.000Z\",\"user_id\":\"u1\",\"country\":\"USA\",\"payment_method\":\"paypal\","
	"\"product_id\":\"p1\",\"category\":\"home\",\"quantity\":2,\"unit_price\":25,\"amount\":50}",
	"{\"type\":\"dim_customer\",\"user_id\":\"u1\",\"home_country\":\"USA\",\"first_purchase\":\"2026-10-31T09:05:00.000Z\","
	"\"last_purchase\":\"2026-11-02T09:00:00.000Z\",\"orders\":3,\"units\":6,\"lifetime_value\":147.5}",
	"{\"type\":\"dim_date\",\"date\":\"2026-10-31\",\"date_key\":20261031,\"day\":31,\"day_of_week\":6,"
	"\"day_name\":\"Saturday\",\"week_start\":\"2026-10-26\",\"iso_year\":2026,\"iso_week\":44,\"month\":10,"
	"\"month_name\":\"October\",\"quarter\":4,\"year\":2026,\"is_weekend\":true}",
	"{\"type\":\"dim_product\",\"product_id\":\"p1\",\"name\":\"Kettle Pro\",\"category\":\"home\",\"unit_price\":25,"
	"\"in_catalog\":false,\"updated\":\"2026-10-30T00:00:00.000Z\",\"updated_by\":\"p1\"}",
	"{\"type\":\"sales_trends\",\"trend_id\":\"day/2026-10-31/*/*\",\"grain\":\"day\",\"period_start\":\"2026-10-31\","
	"\"country\":\"*\",\"category\":\"*\",\"revenue\":137.8,\"orders\":4,\"units\":8,\"customers\":4,"
	"\"avg_order_value\":34.45,\"growth\":null}",
	"{\"type\":\"product_performance\",\"perf_id\":\"day/2026-10-31/books/*\",\"grain\":\"day\","
	"\"period_start\":\"2026-10-31\",\"category\":\"books\",\"product_id\":\"*\",\"views\":1,\"cart_adds\":1,"
	"\"cart_removes\":1,\"orders\":2,\"units\":4,\"revenue\":39.96,\"view_to_cart\":1.0000,"
	"\"cart_to_purchase\":2.0000,\"rank\":2}",
	"{\"type\":\"customer_segment\",\"segment_id\":\"2026-11-11/u01\",\"as_of_key\":20261111,\"as_of\":\"2026-11-11\","
	"\"user_id\":\"u01\",\"recency_days\":10,\"frequency\":1,\"monetary\":10,\"r\":1,\"f\":1,\"m\":1,"
	"\"rfm_score\":111,\"segment\":\"Lost\"}",
};

static const struct gm_rtype *type_of(const char *line)
{
	const char *p = strstr(line, "\"type\":\"") + 8;
	return gm_rtype_for(p, (size_t)(strchr(p, '"') - p));
}

/* Whether the reader takes line; when it does, the parser and the
 * decoder take it too and give the same values. */
static bool agree(struct gm_parser *ps, const struct gm_rtype *t, const char *line, size_t len)
{
	struct gm_row_reader r;
	gm_row_reader_init(&r, t);
	union gm_rvalue got[GM_ROW_MAX_FIELDS], want[GM_ROW_MAX_FIELDS];
	bool has[GM_ROW_MAX_FIELDS], want_has[GM_ROW_MAX_FIELDS];
	if (!gm_row_read(&r, line, len, got, has))
		return false;
	const char *reason;
	char why[200];
	const struct gm_event *ev = gm_parse(ps, line, len, &reason);
	ck_assert_msg(ev, "%.*s: %s", (int)len, line, reason);
	ck_assert_ptr_eq(ev->rtype, t);
	ck_assert_msg(gm_rtype_decode(t, ev, want, want_has, why, sizeof why), "%.*s: %s", (int)len, line, why);
	for (size_t i = 0; i < t->nfields; i++) {
		const struct gm_rfield *f = &t->fields[i];
		ck_assert_msg(has[i] == want_has[i], "%s.%s: present %d, decoded %d", t->name, f->name,
			has[i], want_has[i]);
		if (!has[i])
			continue;
		switch (f->kind) {
		case GM_RK_STRING:
		case GM_RK_NUMBER:
			ck_assert_msg(got[i].s.n == want[i].s.n && !memcmp(got[i].s.p, want[i].s.p, got[i].s.n),
				"%s.%s: \"%.*s\", decoded \"%.*s\"", t->name, f->name, (int)got[i].s.n, got[i].s.p,
				(int)want[i].s.n, want[i].s.p);
			break;
		case GM_RK_BOOL:
			ck_assert_int_eq(got[i].b, want[i].b);
			break;
		default:
			ck_assert_msg(got[i].i == want[i].i, "%s.%s: %lld, decoded %lld", t->name, f->name,
				(long long)got[i].i, (long long)want[i].i);
		}
	}
	return true;
}

START_TEST(takes_rows_as_written)
{
	struct gm_parser *ps = gm_parser_new();
	for (size_t k = 0; k < sizeof rows / sizeof *rows; k++)
		ck_assert_msg(agree(ps, type_of(rows[k]), rows[k], strlen(rows[k])), "not taken: %s", rows[k]);
	gm_parser_free(ps);
}
END_TEST

/* rows[0] with its first `from` replaced by `to`. */
static char *edited(const char *from, const char *to)
{
	static char buf[1024];
	const char *at = strstr(rows[0], from);
	ck_assert_msg(at, "%s", from);
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - rows[0]), rows[0], to, at + strlen(from));
	return buf;
}

/* Each way a line may differ from a row as written leaves it to the
 * parser, whatever the parser then says of it. */
START_TEST(leaves_the_rest_to_the_parser)
{
	struct gm_parser *ps = gm_parser_new();
	const struct gm_rtype *t = &gm_rtype_fact_sales;
	static const char *const edits[][2] = {
		{ "{\"type\"", "{ \"type\"" },                 /* space */
		{ "\"line\":1,", "\"line\": 1," },
		{ ",\"line\"", " ,\"line\"" },
		{ "\"u1\"", "\"u\\u0031\"" },                  /* an escape */
		{ "\"USA\"", "\"Espa\xc3\xb1" "a\"" },         /* a byte above 0x7F */
		{ "\"USA\"", "\"U\tSA\"" },                    /* a control byte */
		{ "\"USA\"", "\"\"" },                         /* empty */
		{ "\"USA\"", "null" },                         /* null, required */
		{ "\"USA\"", "1" },                            /* another kind */
		{ "\"line\":1", "\"line\":0" },                /* out of range */
		{ "\"line\":1", "\"line\":01" },               /* not JSON */
		{ "\"line\":1", "\"line\":1.0" },              /* not an integer */
		{ "\"line\":1", "\"line\":99999999999999999999" },
		{ "\"unit_price\":25", "\"unit_price\":-1" },
		{ "\"ts\":\"2026-10-31T09:05:00.000Z\"", "\"ts\":\"yesterday\"" },
		{ "\"sale_id\":\"t1/1\",\"transaction_id\":\"t1\"", "\"transaction_id\":\"t1\",\"sale_id\":\"t1/1\"" },
		{ ",\"amount\":50", "" },                      /* a field missing */
		{ ",\"amount\":50", ",\"amount\":50,\"extra\":1" },
		{ ",\"amount\":50", ",\"amount\":50,\"amount\":50" },
		{ "\"type\":\"fact_sales\"", "\"type\":\"fact_salesx\"" },
		{ "{\"type\":\"fact_sales\",", "{" },
		{ "}", "}}" },
		{ "}", "} " },
		{ "}", "" },
	};
	for (size_t k = 0; k < sizeof edits / sizeof *edits; k++) {
		const char *line = edited(edits[k][0], edits[k][1]);
		ck_assert_msg(!agree(ps, t, line, strlen(line)), "taken: %s", line);
	}
	/* Cut anywhere, a row is not one. */
	size_t n = strlen(rows[0]);
	for (size_t len = 0; len < n; len++)
		ck_assert_msg(!agree(ps, t, rows[0], len), "taken cut at %zu", len);
	/* A row of another type is not one of t's. */
	ck_assert(!agree(ps, t, rows[1], strlen(rows[1])));
	gm_parser_free(ps);
}
END_TEST

/* Null in a field that may be left out is the field left out; values
 * at the edges of their kinds are read as the decoder reads them. */
START_TEST(nulls_and_edges)
{
	struct gm_parser *ps = gm_parser_new();
	const char *line = rows[4];   /* sales_trends, growth null */
	ck_assert(agree(ps, &gm_rtype_sales_trends, line, strlen(line)));
	static const char *const edits[][2] = {
		{ "\"quantity\":2", "\"quantity\":1" },
		{ "\"unit_price\":25", "\"unit_price\":0" },
		{ "\"unit_price\":25", "\"unit_price\":0.5" },
		{ "\"unit_price\":25", "\"unit_price\":-0" },
		{ "\"unit_price\":25", "\"unit_price\":25.10" },
		{ "\"unit_price\":25", "\"unit_price\":25.001" },   /* more decimals, as the decoder reads them */
		{ "\"amount\":50", "\"amount\":5e1" },
		{ "\"line\":1", "\"line\":9223372036854775807" },
		{ "\"ts\":\"2026-10-31T09:05:00.000Z\"", "\"ts\":\"2026-10-31T09:05:00Z\"" },
		{ "\"ts\":\"2026-10-31T09:05:00.000Z\"", "\"ts\":\"2026-10-31T10:05:00+01:00\"" },
	};
	for (size_t k = 0; k < sizeof edits / sizeof *edits; k++) {
		line = edited(edits[k][0], edits[k][1]);
		ck_assert_msg(agree(ps, &gm_rtype_fact_sales, line, strlen(line)), "not taken: %s", line);
	}
	gm_parser_free(ps);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("row");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, takes_rows_as_written);
	tcase_add_test(tc, leaves_the_rest_to_the_parser);
	tcase_add_test(tc, nulls_and_edges);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(suite)

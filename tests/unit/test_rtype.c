/* rtype: every descriptor, walked field by field, against what the
 * checks that read it accept and refuse: gm_parse() for the types read
 * as input, gm_pg_row() for the columns of the types stored in
 * PostgreSQL. And the registry, the tools' topics and gm-events(5)'s
 * table of topics agree with the descriptors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_util.h"
#include "event.h"
#include "pg.h"
#include "rtype.h"

static struct gm_parser *ps;
static struct gm_pg_buf buf;

static void setup(void)
{
	ps = gm_parser_new();
}

static void teardown(void)
{
	gm_parser_free(ps);
	free(buf.p);
	buf = (struct gm_pg_buf){ 0 };
}

/* A valid value of field f, as JSON. */
static void valid(const struct gm_rfield *f, char *out, size_t n)
{
	switch (f->kind) {
	case GM_RK_STRING:
		snprintf(out, n, "\"%s\"", f->one_of ? f->one_of[0] : "x");
		break;
	case GM_RK_TIME:
		snprintf(out, n, "\"2026-11-24T10:00:00.000Z\"");
		break;
	case GM_RK_MONEY:
	case GM_RK_TOTAL:
		snprintf(out, n, "12.5");
		break;
	case GM_RK_INT:
		snprintf(out, n, "%lld", (long long)(f->lo > 0 ? f->lo : f->hi < 0 ? f->hi : 0));
		break;
	case GM_RK_BOOL:
		snprintf(out, n, "true");
		break;
	case GM_RK_OBJECT:
		snprintf(out, n, "{}");
		break;
	case GM_RK_NUMBER:
		snprintf(out, n, "0.25");
		break;
	case GM_RK_LABELS:
		snprintf(out, n, "{\"a\":\"x\"}");
		break;
	case GM_RK_ARRAY: {
		if (!f->elements) {
			snprintf(out, n, "[1]");
			break;
		}
		size_t k = (size_t)snprintf(out, n, "[{");
		for (size_t e = 0; e < f->nelements; e++) {
			char v[128];
			valid(&f->elements[e], v, sizeof v);
			k += (size_t)snprintf(out + k, n - k, "%s\"%s\":%s", e ? "," : "",
				f->elements[e].name, v);
		}
		snprintf(out + k, n - k, "}]");
		break;
	}
	default:
		ck_abort_msg("field %s: unknown kind %d", f->name, f->kind);
	}
}

/* A record of type t, every field valid, but field `only` (an index,
 * or -1) given as json, or left out when json is NULL. */
static const char *record(const struct gm_rtype *t, long only, const char *json)
{
	static char rec[8192];
	size_t k = (size_t)snprintf(rec, sizeof rec, "{\"type\":\"%s\"", t->name);
	for (size_t i = 0; i < t->nfields; i++) {
		char v[1024];
		if ((long)i == only && !json)
			continue;
		if ((long)i == only)
			snprintf(v, sizeof v, "%s", json);
		else
			valid(&t->fields[i], v, sizeof v);
		k += (size_t)snprintf(rec + k, sizeof rec - k, ",\"%s\":%s", t->fields[i].name, v);
	}
	snprintf(rec + k, sizeof rec - k, "}");
	return rec;
}

/* Whether the checks of t check field f (the fields of a type that is
 * neither read as input nor stored are described only). */
static bool checked(const struct gm_rtype *t, const struct gm_rfield *f)
{
	return t->input || (t->table && f->sqltype);
}

/* The reason the checks of t give for rec; NULL when accepted. */
static const char *verdict(const struct gm_rtype *t, const char *rec)
{
	static char why[256];
	const char *reason;
	const struct gm_event *ev = gm_parse(ps, rec, strlen(rec), &reason);
	if (!ev)
		return reason;
	ck_assert_msg(!t->input || ev->rtype == t, "%s: not seen as its type", rec);
	ck_assert_ptr_eq(ev->rtype, t);
	if (!t->table)
		return NULL;
	const struct gm_pg_table *pt = gm_pg_table_for(t->name, strlen(t->name));
	ck_assert_ptr_nonnull(pt);
	return gm_pg_row(pt, ev, &buf, why, sizeof why) ? NULL : why;
}

static void expect(const struct gm_rtype *t, const char *rec, const char *want)
{
	const char *got = verdict(t, rec);
	if (!want) {
		ck_assert_msg(got == NULL, "%s: refused: %s", rec, got);
		return;
	}
	ck_assert_msg(got != NULL, "%s: accepted, want %s", rec, want);
	ck_assert_msg(!strcmp(got, want), "%s:\n got  %s\n want %s", rec, got, want);
}

/* The JSON kind name a field's wrong kind is reported against, and a
 * value of another kind with that kind's name. */
static void wrong(const struct gm_rfield *f, const char **json, const char **got,
	const char **want)
{
	static const char *const wants[GM_RK_NKINDS] = {
		[GM_RK_STRING] = "a string", [GM_RK_TIME] = "a string",
		[GM_RK_MONEY] = "a number", [GM_RK_TOTAL] = "a number",
		[GM_RK_INT] = "an integer", [GM_RK_BOOL] = "a boolean",
		[GM_RK_OBJECT] = "an object", [GM_RK_ARRAY] = "an array",
		[GM_RK_NUMBER] = "a number", [GM_RK_LABELS] = "an object",
	};
	*want = wants[f->kind];
	if (f->kind == GM_RK_INT && f->lo == INT64_MIN && f->hi == INT64_MAX)
		*want = "a number";
	bool string = f->kind == GM_RK_STRING || f->kind == GM_RK_TIME;
	*json = string ? "7" : "\"7\"";
	*got = string ? "a number" : "a string";
}

/* Every field of every type: missing, of the wrong kind, and beyond its
 * constraints. */
START_TEST(fields_as_described)
{
	for (size_t i = 0; i < gm_nrtypes; i++) {
		const struct gm_rtype *t = gm_rtypes[i];
		expect(t, record(t, -1, NULL), NULL);
		for (size_t j = 0; j < t->nfields; j++) {
			const struct gm_rfield *f = &t->fields[j];
			if (!checked(t, f))
				continue;
			char want[256];
			snprintf(want, sizeof want, "missing field \"%s\"", f->name);
			expect(t, record(t, (long)j, NULL), f->required ? want : NULL);

			const char *json, *got, *kind;
			wrong(f, &json, &got, &kind);
			snprintf(want, sizeof want, "field \"%s\": expected %s, got %s", f->name, kind, got);
			expect(t, record(t, (long)j, json), want);

			/* null: a wrong kind in a record read, a NULL in a column. */
			if (t->input)
				snprintf(want, sizeof want, "field \"%s\": expected %s, got null", f->name, kind);
			else
				snprintf(want, sizeof want, "field \"%s\": null is not allowed", f->name);
			expect(t, record(t, (long)j, "null"), f->required || t->input ? want : NULL);

			switch (f->kind) {
			case GM_RK_STRING:
				snprintf(want, sizeof want, "field \"%s\" is empty", f->name);
				if (f->required || !f->one_of)
					expect(t, record(t, (long)j, "\"\""), f->required ? want : NULL);
				if (f->one_of) {
					size_t k = (size_t)snprintf(want, sizeof want, "field \"%s\": expected ", f->name);
					for (size_t o = 0; f->one_of[o]; o++)
						k += (size_t)snprintf(want + k, sizeof want - k, "%s\"%s\"",
							o == 0 ? "" : f->one_of[o + 1] ? ", " : " or ", f->one_of[o]);
					snprintf(want + k, sizeof want - k, ", got \"zz\"");
					expect(t, record(t, (long)j, "\"zz\""), want);
				}
				break;
			case GM_RK_TIME:
				snprintf(want, sizeof want, "field \"%s\": not an RFC 3339 time: yesterday", f->name);
				expect(t, record(t, (long)j, "\"yesterday\""), want);
				snprintf(want, sizeof want, "field \"%s\" is empty", f->name);
				expect(t, record(t, (long)j, "\"\""), want);
				break;
			case GM_RK_MONEY:
				snprintf(want, sizeof want, "field \"%s\": -1 is out of range (0 to 1000000000000)", f->name);
				expect(t, record(t, (long)j, "-1"), want);
				expect(t, record(t, (long)j, "1000000000000"), NULL);
				snprintf(want, sizeof want, "field \"%s\": 1000000000000.01 is out of range (0 to 1000000000000)", f->name);
				expect(t, record(t, (long)j, "1000000000000.01"), want);
				break;
			case GM_RK_TOTAL:
				expect(t, record(t, (long)j, "92233720368547758.07"), NULL);
				snprintf(want, sizeof want, "field \"%s\": 92233720368547758.08 is out of range (0 to 92233720368547758.07)", f->name);
				expect(t, record(t, (long)j, "92233720368547758.08"), want);
				break;
			case GM_RK_INT: {
				char v[64];
				bool full = f->lo == INT64_MIN && f->hi == INT64_MAX;
				snprintf(want, sizeof want, "field \"%s\": expected %s, got 1.5", f->name,
					full ? "a 64-bit integer" : "an integer");
				expect(t, record(t, (long)j, "1.5"), want);
				if (f->lo > INT64_MIN) {
					snprintf(v, sizeof v, "%lld", (long long)f->lo - 1);
					snprintf(want, sizeof want, "field \"%s\": %s is out of range (%lld to %lld)",
						f->name, v, (long long)f->lo, (long long)f->hi);
					expect(t, record(t, (long)j, v), want);
				}
				if (f->hi < INT64_MAX) {
					snprintf(v, sizeof v, "%lld", (long long)f->hi + 1);
					snprintf(want, sizeof want, "field \"%s\": %s is out of range (%lld to %lld)",
						f->name, v, (long long)f->lo, (long long)f->hi);
					expect(t, record(t, (long)j, v), want);
				}
				snprintf(v, sizeof v, "%lld", (long long)f->hi);
				expect(t, record(t, (long)j, v), NULL);
				break;
			}
			case GM_RK_ARRAY:
				if (f->required) {
					snprintf(want, sizeof want, "field \"%s\" is empty", f->name);
					expect(t, record(t, (long)j, "[ ]"), want);
				}
				if (!f->elements)
					break;
				snprintf(want, sizeof want, "%s[0]: expected an object", f->name);
				expect(t, record(t, (long)j, "[3]"), want);
				for (size_t e = 0; e < f->nelements; e++) {
					/* The element without field e. */
					char v[1024];
					size_t k = (size_t)snprintf(v, sizeof v, "[{");
					for (size_t d = 0, n = 0; d < f->nelements; d++) {
						char x[128];
						if (d == e)
							continue;
						valid(&f->elements[d], x, sizeof x);
						k += (size_t)snprintf(v + k, sizeof v - k, "%s\"%s\":%s", n++ ? "," : "",
							f->elements[d].name, x);
					}
					snprintf(v + k, sizeof v - k, "}]");
					snprintf(want, sizeof want, "missing field \"%s[0].%s\"", f->name,
						f->elements[e].name);
					expect(t, record(t, (long)j, v), f->elements[e].required ? want : NULL);
				}
				break;
			case GM_RK_LABELS: {
				/* Its values: strings only, the first other one
				 * named, cut to 64 bytes. */
				static const char *const others[][2] = {
					{ "7", "a number" }, { "{\"b\":\"c\"}", "an object" },
					{ "[\"c\"]", "an array" }, { "null", "null" }, { "false", "a boolean" },
				};
				for (size_t o = 0; o < sizeof others / sizeof *others; o++) {
					char v[128];
					snprintf(v, sizeof v, "{\"a\":\"x\",\"n\":%s,\"m\":1}", others[o][0]);
					snprintf(want, sizeof want, "field \"%s\": \"n\" holds %s, not a string",
						f->name, others[o][1]);
					expect(t, record(t, (long)j, v), want);
				}
				const char *long_name = "0123456789012345678901234567890123456789"
					"01234567890123456789012345678901234567890123456789";
				char v[256];
				snprintf(v, sizeof v, "{\"%s\":1}", long_name);
				snprintf(want, sizeof want, "field \"%s\": \"%.64s\" holds a number, not a string",
					f->name, long_name);
				expect(t, record(t, (long)j, v), want);
				expect(t, record(t, (long)j, "{ }"), NULL);
				expect(t, record(t, (long)j, "{\"a\":\"\",\"a\":\"y\"}"), NULL);
				break;
			}
			default:
				break;
			}
		}
	}
}
END_TEST

/* Each descriptor is whole: names unique, its key and id its fields (a
 * type without an id has no table), the record column after a column, a
 * warehouse type's every field a column and its table its own; a
 * type read or stored (but in the warehouse, which no tool sends to
 * Kafka) has a topic, and one without has no key nor late topic. */
START_TEST(descriptors_whole)
{
	for (size_t i = 0; i < gm_nrtypes; i++) {
		const struct gm_rtype *t = gm_rtypes[i];
		ck_assert_ptr_eq(gm_rtype_for(t->name, strlen(t->name)), t);
		if (t->input || (t->table && !t->warehouse))
			ck_assert_ptr_nonnull(t->topic);
		if (!t->topic) {
			ck_assert_ptr_null(t->key);
			ck_assert_ptr_null(t->late_topic);
		}
		if (t->id) {
			ck_assert_ptr_nonnull(gm_rtype_field(t, t->id));
			ck_assert_int_eq(gm_rtype_field(t, t->id)->kind, GM_RK_STRING);
			ck_assert(gm_rtype_field(t, t->id)->required);
		} else {
			ck_assert_ptr_null(t->table);
		}
		if (t->key)
			ck_assert_ptr_nonnull(gm_rtype_field(t, t->key));
		if (t->record_after) {
			ck_assert_ptr_nonnull(t->record_column);
			ck_assert_ptr_nonnull(gm_rtype_field(t, t->record_after));
			ck_assert_ptr_nonnull(gm_rtype_field(t, t->record_after)->sqltype);
		}
		if (t->type != GM_OTHER) {
			ck_assert_ptr_eq(gm_rtype_of(t->type), t);
			ck_assert_str_eq(gm_type_name(t->type), t->name);
		}
		/* A warehouse table, named as no other, holds every field
		 * (a backend keeps the row whole, PostgreSQL by columns). */
		if (t->warehouse) {
			ck_assert_ptr_nonnull(t->table);
			ck_assert_ptr_nonnull(t->id);
			for (size_t j = 0; j < t->nfields; j++)
				ck_assert_ptr_nonnull(t->fields[j].sqltype);
		}
		for (size_t k = 0; t->table && k < i; k++)
			ck_assert(!gm_rtypes[k]->table || strcmp(gm_rtypes[k]->table, t->table));
		for (size_t j = 0; j < t->nfields; j++) {
			ck_assert_str_ne(t->fields[j].name, "type");
			for (size_t k = 0; k < j; k++)
				ck_assert_str_ne(t->fields[j].name, t->fields[k].name);
		}
	}
	ck_assert_ptr_null(gm_rtype_for("transactions", 12));
	ck_assert_ptr_null(gm_rtype_of(GM_OTHER));
	ck_assert_str_eq(gm_rtype_transaction.late_topic, "late_transactions");
}
END_TEST

/* The PostgreSQL registry is the descriptors': a table for each type
 * that names one, its columns the fields with a SQL type, in order, the
 * id first, with the whole record where kept, after record_after's
 * column or last. (test_pg's server case checks the registry against
 * what scripts/schema.sql makes.) */
START_TEST(registry_is_descriptors)
{
	size_t n = 0;
	for (size_t i = 0; i < gm_nrtypes; i++) {
		const struct gm_rtype *t = gm_rtypes[i];
		const struct gm_pg_table *pt = gm_pg_table_for(t->name, strlen(t->name));
		if (!t->table) {
			ck_assert_ptr_null(pt);
			continue;
		}
		ck_assert_ptr_eq(pt, &gm_pg_tables[n++]);
		ck_assert_str_eq(pt->name, t->table);
		size_t c = 0;
		bool record = !t->record_column;
		for (size_t j = 0; j < t->nfields; j++) {
			const struct gm_rfield *f = &t->fields[j];
			if (!f->sqltype)
				continue;
			ck_assert_uint_lt(c, pt->ncolumns);
			const struct gm_pg_column *col = &pt->columns[c++];
			ck_assert_str_eq(col->name, f->name);
			ck_assert_str_eq(col->field, f->name);
			ck_assert_str_eq(col->sqltype, f->sqltype);
			ck_assert_int_eq(col->required, f->required);
			ck_assert_int_eq((int)col->kind, (int)f->kind);
			if (!record && t->record_after && !strcmp(f->name, t->record_after)) {
				ck_assert_uint_lt(c, pt->ncolumns);
				ck_assert_str_eq(pt->columns[c].name, t->record_column);
				ck_assert_int_eq(pt->columns[c++].kind, GM_PG_RECORD);
				record = true;
			}
		}
		if (!record) {
			ck_assert_uint_lt(c, pt->ncolumns);
			ck_assert_str_eq(pt->columns[c].name, t->record_column);
			ck_assert_int_eq(pt->columns[c++].kind, GM_PG_RECORD);
		}
		ck_assert_uint_eq(c, pt->ncolumns);
		ck_assert_str_eq(pt->columns[0].name, t->id);
	}
	ck_assert_uint_eq(n, gm_pg_ntables);
}
END_TEST

/* gm-events(5)'s table of default topics is the descriptors'. */
START_TEST(page_topics)
{
	FILE *f = fopen("man/gm-events.5", "r");
	ck_assert_msg(f != NULL, "man/gm-events.5 (run from the top of the tree)");
	char line[512];
	size_t seen = 0, topics = 0;
	while (fgets(line, sizeof line, f)) {
		char topic[64], type[64];
		if (sscanf(line, ".It Li %63s Ta Sx %63s No records", topic, type) != 2)
			continue;
		const struct gm_rtype *t = gm_rtype_for(type, strlen(type));
		ck_assert_msg(t != NULL, "gm-events(5) names type %s, which has no descriptor", type);
		bool late = strstr(line, "came late") != NULL;
		ck_assert_str_eq(late ? t->late_topic : t->topic, topic);
		seen++;
	}
	fclose(f);
	for (size_t i = 0; i < gm_nrtypes; i++)
		topics += (gm_rtypes[i]->topic != NULL) + (gm_rtypes[i]->late_topic != NULL);
	ck_assert_uint_eq(seen, topics);
}
END_TEST

/* A boolean field, which no type has yet, as the next ones may. */
/* The names the parser's generated key lookup is built from: "type"
 * and "ts" first, each name once, every checked field's there. */
START_TEST(checked_names)
{
	const char *names[64], *enames[64];
	size_t n = gm_rtype_checked_names(false, names, 64);
	size_t en = gm_rtype_checked_names(true, enames, 64);
	ck_assert_uint_ge(n, 2);
	ck_assert_str_eq(names[0], "type");
	ck_assert_str_eq(names[1], "ts");
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			ck_assert_str_ne(names[i], names[j]);
	for (size_t t = 0; t < gm_nrtypes; t++) {
		const struct gm_rtype *rt = gm_rtypes[t];
		for (size_t i = 0; rt->input && i < rt->nfields; i++) {
			const struct gm_rfield *f = &rt->fields[i];
			size_t k = 0;
			while (k < n && strcmp(names[k], f->name))
				k++;
			ck_assert_msg(k < n, "%s.%s missing", rt->name, f->name);
			for (size_t e = 0; e < f->nelements; e++) {
				size_t m = 0;
				while (m < en && strcmp(enames[m], f->elements[e].name))
					m++;
				ck_assert_msg(m < en, "%s.%s[].%s missing", rt->name, f->name,
					f->elements[e].name);
			}
		}
	}
	/* Too small a list is refused, not overrun. */
	ck_assert_uint_eq(gm_rtype_checked_names(false, names, n - 1), 0);
}
END_TEST

START_TEST(boolean_field)
{
	static const struct gm_rfield f = { .name = "paid", .kind = GM_RK_BOOL, .required = true };
	struct gm_field v = { { "paid", 4 }, GM_JSON_BOOL, { "false", 5 } };
	union gm_rvalue out;
	char why[128];
	ck_assert_int_eq(gm_rfield_check(&f, &v, false, NULL, 0, &out, why, sizeof why), GM_RCHECK_OK);
	ck_assert(!out.b);
	v.kind = GM_JSON_NUMBER;
	ck_assert_int_eq(gm_rfield_check(&f, &v, false, NULL, 0, &out, why, sizeof why), GM_RCHECK_BAD);
	ck_assert_str_eq(why, "field \"paid\": expected a boolean, got a number");
	ck_assert_int_eq(gm_rfield_check(&f, NULL, false, "lines", 3, &out, why, sizeof why), GM_RCHECK_BAD);
	ck_assert_str_eq(why, "missing field \"lines[3].paid\"");
}
END_TEST

static Suite *rtype_suite(void)
{
	Suite *s = suite_create("rtype");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, fields_as_described);
	tcase_add_test(tc, descriptors_whole);
	tcase_add_test(tc, registry_is_descriptors);
	tcase_add_test(tc, page_topics);
	tcase_add_test(tc, boolean_field);
	tcase_add_test(tc, checked_names);
	suite_add_tcase(s, tc);
	return s;
}

GM_CHECK_MAIN(rtype_suite)

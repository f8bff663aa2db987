/* gm-notify's notification: a copy that owns all it points to (but the
 * receiver), in one block whose arrays are aligned, and the kinds of
 * integration a receiver has, in order. */
#include <stdint.h>
#include <string.h>

#include "check_util.h"
#include "notify_fixture.h"
#include "rtype.h"

static void expect_pairs(const struct route_label *got, const struct route_label *want, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_eq(got[i].name, want[i].name);
		ck_assert_str_eq(got[i].value, want[i].value);
		ck_assert_ptr_ne(got[i].name, want[i].name);
		ck_assert_ptr_ne(got[i].value, want[i].value);
	}
}

static void expect_str(const char *got, const char *want)
{
	if (!want) {
		ck_assert_ptr_null(got);
		return;
	}
	ck_assert_str_eq(got, want);
	ck_assert_ptr_ne(got, want);
}

/* got is a copy of want: the same values, none of want's pointers. */
static void expect_alert(const struct note_alert *got, const struct note_alert *want)
{
	expect_str(got->alert_id, want->alert_id);
	expect_str(got->kind, want->kind);
	expect_str(got->severity, want->severity);
	expect_str(got->source, want->source);
	expect_str(got->summary, want->summary);
	expect_str(got->fired_id, want->fired_id);
	ck_assert_int_eq(got->ts, want->ts);
	ck_assert_int_eq(got->started, want->started);
	ck_assert_int_eq(got->resolved, want->resolved);
	ck_assert_uint_eq(got->fingerprint, want->fingerprint);
	ck_assert_uint_eq(got->nlabels, want->nlabels);
	ck_assert_uint_eq(got->nnumbers, want->nnumbers);
	expect_pairs(got->labels, want->labels, want->nlabels);
	expect_pairs(got->numbers, want->numbers, want->nnumbers);
	ck_assert_uint_eq((uintptr_t)got->labels % _Alignof(struct route_label), 0);
	ck_assert_uint_eq((uintptr_t)got->numbers % _Alignof(struct route_label), 0);
}

START_TEST(note_copy)
{
	static const struct conf_receiver r = { .name = "stock.team" };
	struct note_alert alerts[3] = { fixture_alerts[0], fixture_alerts[1], fixture_alerts[0] };
	/* A third alert of one label, no numbers and no summary. */
	alerts[0].fingerprint = 0x0123456789abcdefULL;
	alerts[2].nlabels = 1;
	alerts[2].nnumbers = 0;
	alerts[2].alert_id = "z";
	alerts[2].summary = NULL;
	struct note n = fixture;
	n.id = 42;
	n.receiver = &r;
	n.kind = NOTE_FILE;
	n.index = 3;
	n.alerts = alerts;
	n.nalerts = 3;
	n.nfiring = 2;
	n.reminder = true;
	struct note *d = note_dup(&n);
	ck_assert_uint_eq(d->id, 42);
	ck_assert_ptr_eq(d->receiver, &r);
	ck_assert_int_eq(d->kind, NOTE_FILE);
	ck_assert_uint_eq(d->index, 3);
	expect_str(d->group_key, n.group_key);
	ck_assert_uint_eq(d->group_labels.n, 1);
	expect_pairs(d->group_labels.v, n.group_labels.v, 1);
	ck_assert_uint_eq(d->nalerts, 3);
	ck_assert_uint_eq(d->nfiring, 2);
	ck_assert(d->reminder);
	ck_assert_uint_eq(d->seq, n.seq);
	ck_assert_int_eq(d->incident, n.incident);
	ck_assert_int_eq(d->at, n.at);
	ck_assert_ptr_ne(d->alerts, n.alerts);
	ck_assert_uint_eq((uintptr_t)d->alerts % _Alignof(struct note_alert), 0);
	for (size_t i = 0; i < 3; i++)
		expect_alert(&d->alerts[i], &alerts[i]);
	free(d);

	/* No labels anywhere. */
	n.group_labels = (struct route_labels){ NULL, 0 };
	n.nalerts = 1;
	alerts[0].nlabels = alerts[0].nnumbers = 0;
	d = note_dup(&n);
	ck_assert_uint_eq(d->group_labels.n, 0);
	expect_alert(&d->alerts[0], &alerts[0]);
	free(d);
}
END_TEST

/* A shared copy: its own arrays, equal to n's, pointing to n's strings
 * and alerts' arrays. */
START_TEST(note_shared)
{
	static const struct conf_receiver r = { .name = "stock.team" };
	struct note_alert alerts[2] = { fixture_alerts[0], fixture_alerts[1] };
	struct note n = fixture;
	n.receiver = &r;
	n.alerts = alerts;
	n.nalerts = 2;
	n.nfiring = 1;
	struct note *d = note_share(&n);
	ck_assert_ptr_eq(d->receiver, &r);
	ck_assert_ptr_eq(d->group_key, n.group_key);
	ck_assert_uint_eq(d->nalerts, 2);
	ck_assert_uint_eq(d->nfiring, 1);
	ck_assert_ptr_ne(d->alerts, n.alerts);
	ck_assert_uint_eq((uintptr_t)d->alerts % _Alignof(struct note_alert), 0);
	ck_assert_mem_eq(d->alerts, alerts, sizeof alerts);
	ck_assert_uint_eq(d->group_labels.n, 1);
	ck_assert_ptr_ne(d->group_labels.v, n.group_labels.v);
	ck_assert_mem_eq(d->group_labels.v, n.group_labels.v, sizeof *n.group_labels.v);
	/* The engine's alerts do not move: changing n's array leaves d's. */
	alerts[0].ts++;
	ck_assert_int_eq(d->alerts[0].ts, fixture_alerts[0].ts);
	free(d);

	n.group_labels = (struct route_labels){ NULL, 0 };
	d = note_share(&n);
	ck_assert_uint_eq(d->group_labels.n, 0);
	free(d);
}
END_TEST

START_TEST(alert_and_labels_dup)
{
	struct note_alert a;
	char *blob;
	note_alert_dup(&a, &blob, &fixture_alerts[1]);
	expect_alert(&a, &fixture_alerts[1]);
	ck_assert_ptr_eq((char *)a.labels, blob);
	free(blob);
	struct route_label *l = note_labels_dup(fixture_common, 3);
	expect_pairs(l, fixture_common, 3);
	free(l);
	free(note_labels_dup(NULL, 0));
}
END_TEST

/* Whether every string of a lies in its span, the span in [lo, hi). */
static void expect_in_span(const struct note_alert *a, const char *lo, const char *hi)
{
	ck_assert(a->strs >= lo && a->strs + a->nstrs <= hi);
	const char *s[] = { a->alert_id, a->kind, a->severity, a->source, a->summary };
	for (size_t i = 0; i < sizeof s / sizeof *s; i++)
		ck_assert(s[i] >= a->strs && s[i] + strlen(s[i]) < a->strs + a->nstrs);
	for (size_t i = 0; i < a->nlabels + a->nnumbers; i++) {
		const struct route_label *p = i < a->nlabels ? &a->labels[i] : &a->numbers[i - a->nlabels];
		ck_assert(p->name >= a->strs && p->value + strlen(p->value) < a->strs + a->nstrs);
	}
}

/* An alert whose strings are one span (as intake_read() gives them) is
 * copied to the same values as any other, its copy's strings a span
 * again; a fired_id outside the span is copied too. */
START_TEST(alert_span_dup)
{
	static const char span[] = "a1\0low_stock\0warning\0gm-inventory\0low\0"
		"product_id\0p1\0category\0toys\0stock\0" "3";
	const struct route_label pairs[] = {
		{ span + 38, span + 49 }, { span + 52, span + 61 }, { span + 66, span + 72 },
	};
	const struct note_alert a = {
		.alert_id = span, .ts = 5, .kind = span + 3, .severity = span + 13,
		.source = span + 21, .summary = span + 34, .labels = pairs, .nlabels = 2,
		.numbers = pairs + 2, .nnumbers = 1, .fired_id = "f9", .started = 2,
		.strs = span, .nstrs = sizeof span,
	};
	ck_assert_str_eq(a.summary, "low");
	ck_assert_str_eq(pairs[1].value, "toys");
	ck_assert_str_eq(pairs[2].value, "3");
	struct note_alert b, c;
	char *blob_b, *blob_c;
	note_alert_dup(&b, &blob_b, &a);
	expect_alert(&b, &a);
	ck_assert_uint_eq(note_alert_size(&a), 3 * sizeof *pairs + sizeof span + 3);
	expect_in_span(&b, blob_b, blob_b + note_alert_size(&a));
	ck_assert(b.fired_id < b.strs || b.fired_id >= b.strs + b.nstrs);
	/* The copy of the copy, without fired_id. */
	b.fired_id = NULL;
	note_alert_dup(&c, &blob_c, &b);
	expect_alert(&c, &b);
	expect_in_span(&c, blob_c, blob_c + note_alert_size(&b));
	free(blob_b);
	free(blob_c);
}
END_TEST

/* Each kind's configs, counted, and whether each sends resolutions. */
START_TEST(integrations)
{
	struct conf_email email[1] = { { .send_resolved = true } };
	struct conf_slack slack[2] = { { .send_resolved = false }, { .send_resolved = true } };
	struct conf_sms sms[1] = { { .send_resolved = false } };
	struct conf_file file[3] = { { .send_resolved = true }, { .send_resolved = false },
		{ .send_resolved = true } };
	const struct conf_receiver r = { .name = "r", .email = email, .nemail = 1,
		.slack = slack, .nslack = 2, .sms = sms, .nsms = 1, .file = file, .nfile = 3 };
	static const size_t counts[NOTE_NKINDS] = { 1, 2, 0, 1, 3 };
	static const char *const names[NOTE_NKINDS] = { "email", "slack", "webhook", "sms", "file" };
	static const char *const resolved = "1" "01" "" "0" "101";
	size_t at = 0;
	for (enum note_kind k = NOTE_EMAIL; k < NOTE_NKINDS; k++) {
		ck_assert_str_eq(note_kind_name(k), names[k]);
		ck_assert_uint_eq(note_integrations(&r, k), counts[k]);
		for (size_t i = 0; i < counts[k]; i++)
			ck_assert_int_eq(note_sends_resolved(&r, k, i), resolved[at++] == '1');
	}
	ck_assert_uint_eq(at, strlen(resolved));
	/* The dead_letter record's list of them ends where the kinds do. */
	ck_assert_ptr_null(gm_rtype_dead_letter_integrations[NOTE_NKINDS]);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify_note");
	TCase *t = tcase_create("note");
	tcase_add_test(t, note_copy);
	tcase_add_test(t, note_shared);
	tcase_add_test(t, alert_and_labels_dup);
	tcase_add_test(t, alert_span_dup);
	tcase_add_test(t, integrations);
	suite_add_tcase(s, t);
	return s;
}

GM_CHECK_MAIN(suite)

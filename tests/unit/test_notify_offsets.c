/* gm-notify's Kafka offsets: what a commit accepts and notes for a
 * partition whose alerts are settled or not, and what the next reader
 * skips by that note. */
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "../../gm-notify/conf.h"
#include "../../gm-notify/group.h"
#include "../../gm-notify/offsets.h"
#include "../../gm-notify/silence.h"

static struct conf *c;
static struct group_engine *e;
static uint64_t pending[512];
static size_t npending;

/* The last acceptance of partition 0. */
static int64_t accepted = -1;
static char noted[4096];
static unsigned accepts;

static void notified(void *ctx, const struct note *n)
{
	(void)ctx;
	ck_assert_uint_lt(npending, 512);
	pending[npending++] = n->id;
}

static void deliver_all(void)
{
	for (size_t i = 0; i < npending; i++)
		ck_assert(group_done(e, pending[i], true));
	npending = 0;
}

static void accept(void *ctx, const char *topic, int32_t partition, int64_t before,
	const char *note)
{
	(void)ctx;
	ck_assert_str_eq(topic, "alerts");
	ck_assert_int_eq(partition, 0);
	accepted = before;
	snprintf(noted, sizeof noted, "%s", note ? note : "(none)");
	accepts++;
}

static void setup(void)
{
	static const char yaml[] =
		"route:\n"
		"  receiver: hook\n"
		"  group_by: [product_id]\n"
		"  group_wait: 0s\n"
		"  routes:\n"
		"  - matchers: [kind=slow]\n"
		"    receiver: hook\n"
		"    group_wait: 1h\n"
		"receivers:\n"
		"- name: hook\n"
		"  webhook_configs: [{url: 'http://hook/'}]\n";
	struct conf_errors errs = { 0 };
	c = conf_parse("t.yml", yaml, strlen(yaml), &errs);
	ck_assert_ptr_nonnull(c);
	struct group_opts o = { .resolve_timeout = 3600000 };
	struct group_out out = { NULL, notified };
	static const struct silences none;
	e = group_new(c, &none, &o, &out);
	npending = 0;
	accepted = -1;
	accepts = 0;
	noted[0] = 0;
}

static void teardown(void)
{
	group_free(e);
	conf_free(c);
}

/* Takes the alert at offset of partition 0, of kind (its id and
 * product from the offset). */
static void take(struct offsets *o, int64_t offset, const char *kind)
{
	struct gm_record rec = { .topic = "alerts", .partition = 0, .offset = offset };
	ck_assert(!offsets_settled(o, &rec));
	char id[32], product[32];
	snprintf(id, sizeof id, "a%lld", (long long)offset);
	snprintf(product, sizeof product, "p%lld", (long long)offset);
	struct route_label label = { "product_id", product };
	struct note_alert a = { .alert_id = id, .kind = kind, .severity = "warning",
		.source = "gm-inventory", .summary = "s", .ts = 0, .labels = &label, .nlabels = 1 };
	ck_assert_int_eq(group_take_marked(e, &a, 0, offsets_mark(o, &rec)), GROUP_FIRING);
}

/* What the next reader, given the note accepted last, does with the
 * records from offset from to to: "t" takes, "s" skips. */
static const char *next_reader(int64_t from, int64_t to)
{
	static char out[256];
	struct offsets *o = offsets_new();
	struct gm_kpartition part = { "alerts", 0, accepted, strcmp(noted, "(none)") ? noted : NULL };
	offsets_assigned(o, &part, 1);
	size_t n = 0;
	for (int64_t off = from; off <= to && n < sizeof out - 1; off++) {
		struct gm_record rec = { .topic = "alerts", .partition = 0, .offset = off };
		out[n++] = offsets_settled(o, &rec) ? 's' : 't';
	}
	out[n] = 0;
	offsets_free(o);
	return out;
}

START_TEST(settled_all)
{
	struct offsets *o = offsets_new();
	for (int64_t off = 0; off < 4; off++)
		take(o, off, "low_stock");
	group_tick(e, 0);
	offsets_commit(o, e, accept, NULL);
	ck_assert_int_eq(accepted, 0);              /* in flight: none settled */
	ck_assert_str_eq(noted, "gm-notify-offsets 1 4 0,1,2,3");
	deliver_all();
	offsets_commit(o, e, accept, NULL);
	ck_assert_int_eq(accepted, 4);              /* all settled: no note */
	ck_assert_str_eq(noted, "(none)");
	unsigned before = accepts;
	offsets_commit(o, e, accept, NULL);
	ck_assert_uint_eq(accepts, before);         /* nothing changed: not accepted again */
	offsets_free(o);
}
END_TEST

/* An alert held an hour, then four notified: the commit stays at the
 * held one and notes it; the next reader takes it and skips the four. */
START_TEST(held_first)
{
	struct offsets *o = offsets_new();
	take(o, 0, "slow");
	for (int64_t off = 1; off < 5; off++)
		take(o, off, "low_stock");
	group_tick(e, 0);
	deliver_all();
	offsets_commit(o, e, accept, NULL);
	ck_assert_int_eq(accepted, 0);
	ck_assert_str_eq(noted, "gm-notify-offsets 1 5 0");
	ck_assert_str_eq(next_reader(0, 7), "tssssttt");
	offsets_free(o);
}
END_TEST

/* A reader that took over by a note and has read only part of it
 * commits the rest of the note too: the reader after it still skips. */
START_TEST(note_carried)
{
	struct offsets *o = offsets_new();
	struct gm_kpartition part = { "alerts", 0, 0, "gm-notify-offsets 1 10 0,6" };
	offsets_assigned(o, &part, 1);
	take(o, 0, "slow");                         /* held */
	struct gm_record rec = { .topic = "alerts", .partition = 0, .offset = 1 };
	ck_assert(offsets_settled(o, &rec));
	rec.offset = 2;
	ck_assert(offsets_settled(o, &rec));
	offsets_commit(o, e, accept, NULL);
	ck_assert_int_eq(accepted, 0);
	ck_assert_str_eq(noted, "gm-notify-offsets 1 10 0,6");
	ck_assert_str_eq(next_reader(0, 11), "tssssstssstt");
	offsets_free(o);
}
END_TEST

/* More unsettled than a note holds: the note ends at the first left
 * out, from which the next reader reads all again. */
START_TEST(note_full)
{
	struct offsets *o = offsets_new();
	for (int64_t off = 0; off < OFFSETS_NOTE_MAX + 5; off++)
		take(o, off, "slow");
	offsets_commit(o, e, accept, NULL);
	ck_assert_int_eq(accepted, 0);
	char want[64];
	snprintf(want, sizeof want, "gm-notify-offsets 1 %d 0,1,2,", OFFSETS_NOTE_MAX);
	ck_assert_int_eq(strncmp(noted, want, strlen(want)), 0);
	offsets_free(o);
}
END_TEST

/* A note that is not gm-notify's skips nothing. */
START_TEST(foreign_note)
{
	struct offsets *o = offsets_new();
	struct gm_kpartition part = { "alerts", 0, 3, "closed_until=12345" };
	offsets_assigned(o, &part, 1);
	struct gm_record rec = { .topic = "alerts", .partition = 0, .offset = 3 };
	ck_assert(!offsets_settled(o, &rec));
	offsets_free(o);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify_offsets");
	TCase *t = tcase_create("offsets");
	tcase_add_checked_fixture(t, setup, teardown);
	tcase_add_test(t, settled_all);
	tcase_add_test(t, held_first);
	tcase_add_test(t, note_carried);
	tcase_add_test(t, note_full);
	tcase_add_test(t, foreign_note);
	suite_add_tcase(s, t);
	return s;
}

GM_CHECK_MAIN(suite)

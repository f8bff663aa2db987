/* gm-notify's engine: the exact notifications of streams of alerts at
 * given times, through a recorder of what the callback is given. */
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "../../gm-notify/conf.h"
#include "../../gm-notify/group.h"
#include "../../gm-notify/nlog.h"
#include "../../gm-notify/silence.h"

#define S 1000   /* ms in a second: the steps' times are in seconds */

static struct conf *parse(const char *text)
{
	struct conf_errors errs = { 0 };
	struct conf *c = conf_parse("t.yml", text, strlen(text), &errs);
	ck_assert_msg(c != NULL, "unexpected error: %s", errs.n ? errs.v[0] : "(none)");
	return c;
}

/* What the engine sent, one line a notification:
 * "SECONDS RECEIVER/KINDINDEX KEY #SEQ [reminder] +FIRING_ID... -RESOLVED_ID...",
 * and the alerts it did not take as new: "SECONDS duplicate|repeated|unmatched ID".
 * Notifications are delivered (group_done) after each step, not
 * within the callback, so that some are in flight when the state is
 * saved. */
struct rec {
	struct group_engine *e;
	char text[8192];
	size_t len;
	uint64_t pending[64];
	char lines[64][512];
	size_t npending;
	uint64_t done[64];     /* the ids delivered, in order */
	size_t ndone;
};

static void rec_add(struct rec *r, const char *line)
{
	size_t n = strlen(line);
	ck_assert_uint_lt(r->len + n + 2, sizeof r->text);
	memcpy(r->text + r->len, line, n);
	r->len += n;
	r->text[r->len++] = '\n';
	r->text[r->len] = 0;
}

static void notified(void *ctx, const struct note *n)
{
	struct rec *r = ctx;
	ck_assert_uint_lt(r->npending, 64);
	char *line = r->lines[r->npending];
	int len = snprintf(line, 512, "%lld %s/%s%zu %s #%llu%s", (long long)(n->at / S),
		n->receiver->name, note_kind_name(n->kind), n->index, n->group_key,
		(unsigned long long)n->seq, n->reminder ? " reminder" : "");
	for (size_t i = 0; i < n->nalerts; i++) {
		ck_assert_int_eq(n->alerts[i].resolved, i >= n->nfiring);
		len += snprintf(line + len, 512 - len, " %c%s", n->alerts[i].resolved ? '-' : '+',
			n->alerts[i].alert_id);
	}
	r->pending[r->npending++] = n->id;
}

static void deliver(struct rec *r)
{
	for (size_t i = 0; i < r->npending; i++) {
		ck_assert(group_done(r->e, r->pending[i], true));
		ck_assert(!group_done(r->e, r->pending[i], true));
		rec_add(r, r->lines[i]);
		ck_assert_uint_lt(r->ndone, 64);
		r->done[r->ndone++] = r->pending[i];
	}
	r->npending = 0;
}

/* One step of a stream at a time in seconds:
 *   "fire ID KIND [NAME=VALUE...]" and "resolve ID KIND [NAME=VALUE...]"
 *     an alert (severity=, source= set those fields; source gm-inventory
 *     and severity warning otherwise);
 *   "tick": group_tick(); "finish": group_finish();
 *   "silence MATCHER UNTIL": a silence from the step's time to UNTIL (s);
 *   "unsilence": every silence expired. */
struct step {
	int t;
	const char *what;
};

struct run {
	struct conf *c;
	struct silences sil;
	struct group_opts o;
	struct rec rec;
};

static const char *const stock_kinds[] = { "low_stock", "out_of_stock" };

static void run_init(struct run *run, const char *yaml, bool stock_resolves)
{
	memset(run, 0, sizeof *run);
	run->c = parse(yaml);
	run->o = (struct group_opts){ .resolve_timeout = run->c->global.resolve_timeout };
	if (stock_resolves)
		run->o.resolvable = stock_kinds, run->o.nresolvable = 2;
	struct group_out out = { &run->rec, notified };
	run->rec.e = group_new(run->c, &run->sil, &run->o, &out);
}

static void run_free(struct run *run)
{
	group_free(run->rec.e);
	silences_free(&run->sil);
	conf_free(run->c);
}

static void step(struct run *run, const struct step *s)
{
	char text[512], *save;
	snprintf(text, sizeof text, "%s", s->what);
	char *verb = strtok_r(text, " ", &save);
	int64_t now = (int64_t)s->t * S;
	if (!strcmp(verb, "fire") || !strcmp(verb, "resolve")) {
		struct route_label labels[8];
		struct note_alert a = {
			.alert_id = strtok_r(NULL, " ", &save), .kind = strtok_r(NULL, " ", &save),
			.severity = "warning", .source = "gm-inventory", .summary = "something",
			.resolved = verb[0] == 'r', .ts = now, .labels = labels,
		};
		for (char *p; (p = strtok_r(NULL, " ", &save));) {
			char *eq = strchr(p, '=');
			*eq = 0;
			if (!strcmp(p, "severity"))
				a.severity = eq + 1;
			else if (!strcmp(p, "source"))
				a.source = eq + 1;
			else
				labels[a.nlabels++] = (struct route_label){ p, eq + 1 };
		}
		static const char *const took[] = { "firing", "resolved", "duplicate", "repeated",
			"unmatched" };
		enum group_took t = group_take(run->rec.e, &a, now);
		if (t != GROUP_FIRING && t != GROUP_RESOLVED) {
			char line[256];
			snprintf(line, sizeof line, "%d %s %s", s->t, took[t], a.alert_id);
			deliver(&run->rec);
			rec_add(&run->rec, line);
		}
	} else if (!strcmp(verb, "tick"))
		group_tick(run->rec.e, now);
	else if (!strcmp(verb, "finish"))
		group_finish(run->rec.e);
	else if (!strcmp(verb, "silence")) {
		const char *m = strtok_r(NULL, " ", &save);
		int64_t until = atoll(strtok_r(NULL, " ", &save)) * S;
		struct conf_errors errs = { 0 };
		ck_assert_ptr_nonnull(silences_add(&run->sil, &m, 1, now, until, "me", "test", now,
			&errs));
		group_silences_changed(run->rec.e, now);
	} else if (!strcmp(verb, "unsilence")) {
		for (size_t i = 0; i < run->sil.n; i++)
			silences_expire(&run->sil, run->sil.v[i].id, now);
		group_silences_changed(run->rec.e, now);
	} else
		ck_abort_msg("bad step %s", s->what);
}

/* The engine's sequence for steps, in one run. */
static void play(struct run *run, const struct step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		step(run, &steps[i]);
		deliver(&run->rec);
	}
}

static const char stock_yaml[] =
	"route:\n"
	"  receiver: hook\n"
	"  group_by: [product_id]\n"
	"  group_wait: 30s\n"
	"  group_interval: 5m\n"
	"  repeat_interval: 1h\n"
	"  routes:\n"
	"  - matchers: [kind=anomaly]\n"
	"    receiver: fraud\n"
	"    group_by: [user_id]\n"
	"    continue: true\n"
	"  - matchers: [kind=anomaly, country=UK]\n"
	"    receiver: uk\n"
	"    group_by: ['...']\n"
	"receivers:\n"
	"- name: hook\n"
	"  webhook_configs: [{url: 'http://hook/'}]\n"
	"- name: fraud\n"
	"  webhook_configs: [{url: 'http://fraud/'}]\n"
	"- name: uk\n"
	"  webhook_configs: [{url: 'http://uk/'}]\n"
	"inhibit_rules:\n"
	"- source_matchers: [kind=out_of_stock]\n"
	"  target_matchers: [kind=low_stock]\n"
	"  equal: [product_id]\n";

struct table {
	const char *name, *yaml;
	bool stock_resolves;
	struct step steps[16];
	const char *want;
};

static const struct table tables[] = {
	{ "group_wait, group_interval, group_by", stock_yaml, true, {
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 10, "fire a2 out_of_stock product_id=p2" },
		/* another label set in p1's group, within its group_wait */
		{ 20, "fire a3 low_stock product_id=p1 name=x" },
		/* after the first notification: at the next group_interval */
		{ 100, "fire a4 low_stock product_id=p1 name=y" },
		{ 340, "fire a5 low_stock product_id=p1 name=z" },
		{ 0, "finish" } },
	  "30 hook/webhook0 {}:{product_id=\"p1\"} #1 +a1 +a3\n"
	  "40 hook/webhook0 {}:{product_id=\"p2\"} #1 +a2\n"
	  "330 hook/webhook0 {}:{product_id=\"p1\"} #2 +a4\n"
	  "630 hook/webhook0 {}:{product_id=\"p1\"} #3 +a5\n" },
	{ "duplicates by alert_id, repeats by label set", stock_yaml, true, {
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 5, "fire a1 low_stock product_id=p1" },
		{ 6, "fire a1 low_stock product_id=p2" },
		{ 7, "fire b1 low_stock product_id=p1" },
		{ 8, "resolve a1 low_stock product_id=p1" },
		{ 0, "finish" } },
	  "5 duplicate a1\n"
	  "6 duplicate a1\n"
	  "7 repeated b1\n"
	  "8 duplicate a1\n"
	  "30 hook/webhook0 {}:{product_id=\"p1\"} #1 +a1\n" },
	{ "continue into two receivers", stock_yaml, false, {
		{ 0, "fire x1 anomaly user_id=u1 country=UK source=gm-txmon" },
		{ 1, "fire x2 anomaly user_id=u2 country=USA source=gm-txmon" },
		{ 0, "finish" } },
	  "30 fraud/webhook0 {}/{kind=\"anomaly\"}:{user_id=\"u1\"} #1 +x1\n"
	  "30 uk/webhook0 {}/{country=\"UK\",kind=\"anomaly\"}:{alertname=\"anomaly\", country=\"UK\", kind=\"anomaly\", "
	  "severity=\"warning\", source=\"gm-txmon\", user_id=\"u1\"} #1 +x1\n"
	  "31 fraud/webhook0 {}/{kind=\"anomaly\"}:{user_id=\"u2\"} #1 +x2\n" },
	{ "a resolution, and a group begun anew", stock_yaml, true, {
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 100, "resolve r1 low_stock product_id=p1" },
		{ 400, "fire a2 low_stock product_id=p1" },
		/* resolved before it was notified: nothing at all */
		{ 500, "fire a3 low_stock product_id=p3" },
		{ 510, "resolve r3 low_stock product_id=p3" },
		{ 600, "resolve r9 low_stock product_id=p9" },
		{ 0, "finish" } },
	  "30 hook/webhook0 {}:{product_id=\"p1\"} #1 +a1\n"
	  "330 hook/webhook0 {}:{product_id=\"p1\"} #2 -r1\n"
	  "430 hook/webhook0 {}:{product_id=\"p1\"} #1 +a2\n"
	  "600 unmatched r9\n" },
	{ "send_resolved false", 
	  "route: {receiver: two, group_wait: 30s, group_interval: 5m}\n"
	  "receivers:\n"
	  "- name: two\n"
	  "  webhook_configs: [{url: 'http://a/'}, {url: 'http://b/', send_resolved: false}]\n"
	  "  email_configs: [{to: x@y, from: gm@y, smarthost: 'mail:25'}]\n",
	  true, {
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 100, "resolve r1 low_stock product_id=p1" },
		{ 0, "finish" } },
	  "30 two/email0 {}:{} #1 +a1\n"
	  "30 two/webhook0 {}:{} #1 +a1\n"
	  "30 two/webhook1 {}:{} #1 +a1\n"
	  "330 two/webhook0 {}:{} #2 -r1\n" },
	{ "repeat_interval: reminders of what can resolve", stock_yaml, true, {
		{ 0, "fire a1 low_stock product_id=p1" },
		/* an event: notified once, gone after resolve_timeout */
		{ 1, "fire e1 late product_id=p1" },
		{ 3000, "fire a2 low_stock product_id=p1 name=x" },
		{ 7300, "tick" } },
	  "30 hook/webhook0 {}:{product_id=\"p1\"} #1 +a1 +e1\n"
	  "3030 hook/webhook0 {}:{product_id=\"p1\"} #2 +a2\n"
	  "3630 hook/webhook0 {}:{product_id=\"p1\"} #3 reminder +a1 +a2\n"
	  "7230 hook/webhook0 {}:{product_id=\"p1\"} #4 reminder +a1 +a2\n" },
	{ "a kind learns to resolve", stock_yaml, false, {
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 10, "resolve r0 low_stock product_id=p0" },
		{ 1000, "resolve r1 low_stock product_id=p1" },
		{ 0, "finish" } },
	  "10 unmatched r0\n"
	  "30 hook/webhook0 {}:{product_id=\"p1\"} #1 +a1\n"
	  "1230 hook/webhook0 {}:{product_id=\"p1\"} #2 -r1\n" },
	{ "an event's resolution after resolve_timeout", stock_yaml, false, {
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 1000, "resolve r1 low_stock product_id=p1" },
		{ 0, "finish" } },
	  "30 hook/webhook0 {}:{product_id=\"p1\"} #1 +a1\n"
	  "1000 unmatched r1\n" },
	{ "inhibition: out_of_stock mutes low_stock of its product", stock_yaml, true, {
		{ 0, "fire l1 low_stock product_id=p1" },
		{ 0, "fire l2 low_stock product_id=p2" },
		{ 10, "fire o1 out_of_stock product_id=p1" },
		{ 100, "resolve ro1 out_of_stock product_id=p1" },
		{ 0, "finish" } },
	  "30 hook/webhook0 {}:{product_id=\"p1\"} #1 +o1\n"
	  "30 hook/webhook0 {}:{product_id=\"p2\"} #1 +l2\n"
	  "330 hook/webhook0 {}:{product_id=\"p1\"} #2 +l1 -ro1\n" },
	{ "inhibition past resolve_timeout: the muted event is dropped", stock_yaml, false, {
		{ 0, "fire l1 low_stock product_id=p1" },
		{ 10, "fire o1 out_of_stock product_id=p1" },
		{ 1000, "tick" } },
	  "30 hook/webhook0 {}:{product_id=\"p1\"} #1 +o1\n" },
	{ "a silence until its end", stock_yaml, true, {
		{ 0, "silence product_id=p1 1000" },
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 0, "fire a2 low_stock product_id=p2" },
		{ 2000, "tick" } },
	  "30 hook/webhook0 {}:{product_id=\"p2\"} #1 +a2\n"
	  "1230 hook/webhook0 {}:{product_id=\"p1\"} #1 +a1\n" },
	{ "a silence expired", stock_yaml, true, {
		{ 0, "silence product_id=p1 1000" },
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 500, "unsilence" },
		{ 0, "finish" } },
	  "630 hook/webhook0 {}:{product_id=\"p1\"} #1 +a1\n" },
};

START_TEST(sequences)
{
	const struct table *t = &tables[_i];
	struct run run;
	run_init(&run, t->yaml, t->stock_resolves);
	size_t n = 0;
	while (n < 16 && t->steps[n].what)
		n++;
	play(&run, t->steps, n);
	ck_assert_msg(!strcmp(run.rec.text, t->want), "%s: got\n%swant\n%s", t->name,
		run.rec.text, t->want);
	ck_assert_uint_eq(run.rec.npending, 0);
	run_free(&run);
}
END_TEST

/* A stream with a bit of everything: a silence, inhibition, a
 * duplicate, resolutions, continue, events that expire, reminders. */
static const struct step mixed[] = {
	{ 0, "silence product_id=p3 900" },
	{ 0, "fire l1 low_stock product_id=p1" },
	{ 0, "fire l2 low_stock product_id=p2" },
	{ 0, "fire l3 low_stock product_id=p3" },
	{ 5, "fire x1 anomaly user_id=u1 country=UK source=gm-txmon" },
	{ 10, "fire o1 out_of_stock product_id=p1" },
	{ 20, "fire x1 anomaly user_id=u1 country=UK source=gm-txmon" },
	{ 100, "resolve ro1 out_of_stock product_id=p1" },
	{ 200, "resolve r2 low_stock product_id=p2" },
	{ 400, "fire x2 anomaly user_id=u1 country=UK source=gm-txmon" },
	{ 4000, "fire l4 low_stock product_id=p1 name=n" },
	{ 8000, "tick" },
};
#define NMIXED (sizeof mixed / sizeof *mixed)

static const char mixed_want[] =
	"20 duplicate x1\n"
	"30 hook/webhook0 {}:{product_id=\"p1\"} #1 +o1\n"
	"30 hook/webhook0 {}:{product_id=\"p2\"} #1 +l2\n"
	"35 fraud/webhook0 {}/{kind=\"anomaly\"}:{user_id=\"u1\"} #1 +x1\n"
	"35 uk/webhook0 {}/{country=\"UK\",kind=\"anomaly\"}:{alertname=\"anomaly\", country=\"UK\", kind=\"anomaly\", "
	"severity=\"warning\", source=\"gm-txmon\", user_id=\"u1\"} #1 +x1\n"
	"330 hook/webhook0 {}:{product_id=\"p1\"} #2 +l1 -ro1\n"
	"330 hook/webhook0 {}:{product_id=\"p2\"} #2 -r2\n"
	"430 fraud/webhook0 {}/{kind=\"anomaly\"}:{user_id=\"u1\"} #1 +x2\n"
	"430 uk/webhook0 {}/{country=\"UK\",kind=\"anomaly\"}:{alertname=\"anomaly\", country=\"UK\", kind=\"anomaly\", "
	"severity=\"warning\", source=\"gm-txmon\", user_id=\"u1\"} #1 +x2\n"
	"930 hook/webhook0 {}:{product_id=\"p3\"} #1 +l3\n"
	"3630 hook/webhook0 {}:{product_id=\"p1\"} #3 reminder +l1\n"
	"4230 hook/webhook0 {}:{product_id=\"p1\"} #4 +l4\n"
	/* p3's clock runs from its first notification */
	"4530 hook/webhook0 {}:{product_id=\"p3\"} #2 reminder +l3\n"
	"7230 hook/webhook0 {}:{product_id=\"p1\"} #5 reminder +l1 +l4\n";

START_TEST(mixed_one_run)
{
	struct run run;
	run_init(&run, stock_yaml, true);
	play(&run, mixed, NMIXED);
	ck_assert_msg(!strcmp(run.rec.text, mixed_want), "got\n%swant\n%s", run.rec.text, mixed_want);
	struct group_stats st = group_stats(run.rec.e);
	ck_assert_uint_eq(st.taken[GROUP_FIRING], 7);
	ck_assert_uint_eq(st.taken[GROUP_RESOLVED], 2);
	ck_assert_uint_eq(st.taken[GROUP_DUPLICATE], 1);
	ck_assert_uint_eq(st.notes, st.delivered);
	ck_assert_uint_eq(st.in_flight, 0);
	run_free(&run);
}
END_TEST

/* Stopped after step _i, the notifications of that step not yet
 * delivered (a kill -9 mid-delivery), the state saved before and loaded
 * into a new engine, which resends those in flight: what reaches the
 * receivers is what one run sends, each once. */
START_TEST(mixed_restart)
{
	char state[256], sil[256];
	close(gm_test_temp(state, sizeof state, "state", false));
	close(gm_test_temp(sil, sizeof sil, "silences", false));
	struct run run;
	run_init(&run, stock_yaml, true);
	play(&run, mixed, NMIXED);
	struct rec one = run.rec;
	run_free(&run);
	run_init(&run, stock_yaml, true);
	size_t k = (size_t)_i;
	play(&run, mixed, k);
	step(&run, &mixed[k]);
	ck_assert(group_save(run.rec.e, state));
	ck_assert(silences_save(&run.sil, sil));
	/* The kill: what was sent but not reported delivered is lost. */
	struct rec before = run.rec;
	run_free(&run);

	run_init(&run, stock_yaml, true);
	struct group_engine *e = run.rec.e;
	run.rec = before;
	run.rec.e = e;
	run.rec.npending = 0;
	ck_assert(silences_load(&run.sil, sil));
	ck_assert(group_load(run.rec.e, state));
	group_resume(run.rec.e);
	deliver(&run.rec);
	play(&run, mixed + k + 1, NMIXED - k - 1);
	ck_assert_msg(!strcmp(run.rec.text, mixed_want), "stopped after %zu: got\n%swant\n%s", k,
		run.rec.text, mixed_want);
	/* The same notifications: the same ids. */
	ck_assert_uint_eq(run.rec.ndone, one.ndone);
	for (size_t i = 0; i < one.ndone; i++)
		ck_assert_uint_eq(run.rec.done[i], one.done[i]);
	run_free(&run);
	unlink(state);
	unlink(sil);
}
END_TEST


/* What one notification carries, field by field. */
struct captured {
	int n;
	char text[4][1024];
};

struct capture_run {
	struct captured c;        /* first: capture() is given the run */
	struct group_engine *e;
};

static void capture(void *ctx, const struct note *n)
{
	struct captured *c = ctx;
	ck_assert_int_lt(c->n, 4);
	char *t = c->text[c->n++];
	int len = snprintf(t, 1024, "at=%lld seq=%llu incident=%lld firing=%zu group={",
		(long long)n->at, (unsigned long long)n->seq, (long long)n->incident, n->nfiring);
	for (size_t i = 0; i < n->group_labels.n; i++)
		len += snprintf(t + len, 1024 - len, "%s=%s;", n->group_labels.v[i].name,
			n->group_labels.v[i].value);
	/* The pairs of the first alert's label set that every alert's set
	 * has: what a payload's commonLabels are made of (send.c). */
	len += snprintf(t + len, 1024 - len, "} common={");
	struct route_label first[16], other[16];
	size_t nfirst = note_label_set(&n->alerts[0], first);
	for (size_t i = 0; i < nfirst; i++) {
		bool all = true;
		for (size_t k = 1; k < n->nalerts && all; k++) {
			size_t nother = note_label_set(&n->alerts[k], other);
			bool has = false;
			for (size_t j = 0; j < nother && !has; j++)
				has = !strcmp(other[j].name, first[i].name) && !strcmp(other[j].value, first[i].value);
			all = has;
		}
		if (all)
			len += snprintf(t + len, 1024 - len, "%s=%s;", first[i].name, first[i].value);
	}
	len += snprintf(t + len, 1024 - len, "}");
	for (size_t i = 0; i < n->nalerts; i++) {
		const struct note_alert *a = &n->alerts[i];
		len += snprintf(t + len, 1024 - len, " [%s %s ts=%lld started=%lld fired=%s %s",
			a->resolved ? "resolved" : "firing", a->alert_id, (long long)a->ts,
			(long long)a->started, a->fired_id ? a->fired_id : "-", a->summary);
		for (size_t j = 0; j < a->nnumbers; j++)
			len += snprintf(t + len, 1024 - len, " %s:%s", a->numbers[j].name,
				a->numbers[j].value);
		len += snprintf(t + len, 1024 - len, "]");
	}
	ck_assert(group_done(((struct capture_run *)ctx)->e, n->id, true));
}

START_TEST(note_fields)
{
	struct conf *cf = parse(
		"route: {receiver: r, group_by: [category], group_wait: 1s, group_interval: 10s}\n"
		"receivers: [{name: r, webhook_configs: [{url: 'http://r/'}]}]\n");
	struct silences sil = { 0 };
	struct group_opts o = { .resolve_timeout = 60000, .resolvable = stock_kinds,
		.nresolvable = 2 };
	struct capture_run run = { 0 };
	run.e = group_new(cf, &sil, &o, &(struct group_out){ &run, capture });
	struct route_label l1[] = { { "product_id", "p1" }, { "category", "toys" } };
	struct route_label l2[] = { { "product_id", "p2" }, { "category", "toys" } };
	struct route_label n1[] = { { "on_hand", "3" } };
	struct route_label n2[] = { { "on_hand", "50" } };
	struct note_alert a = { .alert_id = "a1", .ts = 1000, .kind = "low_stock",
		.severity = "warning", .source = "gm-inventory", .summary = "p1 is low",
		.labels = l1, .nlabels = 2, .numbers = n1, .nnumbers = 1 };
	ck_assert_int_eq(group_take(run.e, &a, 1000), GROUP_FIRING);
	a.alert_id = "a2", a.labels = l2, a.summary = "p2 is low";
	ck_assert_int_eq(group_take(run.e, &a, 1500), GROUP_FIRING);
	ck_assert_int_eq(group_next(run.e), 2000);
	group_tick(run.e, 1999);
	ck_assert_int_eq(run.c.n, 0);
	group_tick(run.e, 2000);
	ck_assert_int_eq(run.c.n, 1);
	ck_assert_str_eq(run.c.text[0], "at=2000 seq=1 incident=2000 firing=2 group={category=toys;} "
		"common={alertname=low_stock;category=toys;kind=low_stock;severity=warning;source=gm-inventory;} "
		"[firing a1 ts=1000 started=1000 fired=- p1 is low on_hand:3] "
		"[firing a2 ts=1000 started=1000 fired=- p2 is low on_hand:3]");
	struct note_alert r = { .alert_id = "r1", .ts = 5000, .kind = "low_stock",
		.severity = "warning", .source = "gm-inventory", .summary = "p1 is back",
		.resolved = true, .labels = l1, .nlabels = 2, .numbers = n2, .nnumbers = 1 };
	ck_assert_int_eq(group_take(run.e, &r, 5000), GROUP_RESOLVED);
	ck_assert_int_eq(group_next(run.e), 12000);
	group_tick(run.e, 12000);
	ck_assert_int_eq(run.c.n, 2);
	ck_assert_str_eq(run.c.text[1], "at=12000 seq=2 incident=2000 firing=0 group={category=toys;} "
		"common={alertname=low_stock;category=toys;kind=low_stock;product_id=p1;severity=warning;"
		"source=gm-inventory;} "
		"[resolved r1 ts=5000 started=1000 fired=a1 p1 is back on_hand:50]");
	struct group_stats st = group_stats(run.e);
	ck_assert_uint_eq(st.firing, 1);
	ck_assert_uint_eq(st.groups, 1);
	ck_assert_uint_eq(st.notes, 2);
	ck_assert_uint_eq(st.delivered, 2);
	group_free(run.e);
	conf_free(cf);
}
END_TEST

/* At max_alerts firing, the first that came goes, unnotified, with its
 * group; past max_ids ids, the oldest id is forgotten. */
START_TEST(bounds)
{
	struct run run;
	memset(&run, 0, sizeof run);
	run.c = parse(stock_yaml);
	run.o = (struct group_opts){ .resolve_timeout = 300000, .max_alerts = 2, .max_ids = 3,
		.resolvable = stock_kinds, .nresolvable = 2 };
	run.rec.e = group_new(run.c, &run.sil, &run.o, &(struct group_out){ &run.rec, notified });
	static const struct step steps[] = {
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 1, "fire a2 low_stock product_id=p2" },
		{ 2, "fire a3 low_stock product_id=p3" },
		/* a1 was evicted unnotified, but its id is remembered, and
		 * seen again now, last */
		{ 3, "fire a1 low_stock product_id=p1" },
		/* a4 evicts a2, and its id a2's */
		{ 4, "fire a4 low_stock product_id=p4" },
		{ 5, "fire a1 low_stock product_id=p9" },
		/* a2's id forgotten: new; a3, the first still firing, goes */
		{ 6, "fire a2 low_stock product_id=p8" },
		{ 0, "finish" },
	};
	play(&run, steps, sizeof steps / sizeof *steps);
	ck_assert_str_eq(run.rec.text,
		"3 duplicate a1\n"
		"5 duplicate a1\n"
		"34 hook/webhook0 {}:{product_id=\"p4\"} #1 +a4\n"
		"36 hook/webhook0 {}:{product_id=\"p8\"} #1 +a2\n");
	struct group_stats st = group_stats(run.rec.e);
	ck_assert_uint_eq(st.evicted, 3);
	ck_assert_uint_eq(st.firing, 2);
	run_free(&run);
}
END_TEST

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

/* A damaged state file is an error naming its line; a file not there
 * is no state. */
START_TEST(state_errors)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "state", false));
	struct run run;
	run_init(&run, stock_yaml, true);
	write_file(path, "gm-notify-state\t1\nclock\t1\t2\t3\nalert\t0\n");
	ck_assert(!group_load(run.rec.e, path));
	run_free(&run);
	run_init(&run, stock_yaml, true);
	write_file(path, "gm-notify-state\t2\n");
	ck_assert(!group_load(run.rec.e, path));
	run_free(&run);
	run_init(&run, stock_yaml, true);
	unlink(path);
	ck_assert(group_load(run.rec.e, path));
	run_free(&run);
}
END_TEST

/* A group whose route is gone from the configuration is dropped when
 * the state is loaded; the others go on. */
START_TEST(state_route_gone)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "state", false));
	struct run run;
	run_init(&run, stock_yaml, true);
	static const struct step steps[] = {
		{ 0, "fire l1 low_stock product_id=p1" },
		{ 5, "fire x1 anomaly user_id=u1 country=UK source=gm-txmon" },
	};
	play(&run, steps, 2);
	ck_assert(group_save(run.rec.e, path));
	run_free(&run);
	run_init(&run,
		"route: {receiver: hook, group_by: [product_id], group_wait: 30s}\n"
		"receivers: [{name: hook, webhook_configs: [{url: 'http://hook/'}]}]\n", true);
	ck_assert(group_load(run.rec.e, path));
	group_finish(run.rec.e);
	deliver(&run.rec);
	ck_assert_str_eq(run.rec.text, "30 hook/webhook0 {}:{product_id=\"p1\"} #1 +l1\n");
	ck_assert_uint_eq(group_stats(run.rec.e).groups, 1);
	run_free(&run);
	unlink(path);
}
END_TEST

/* A receiver's file configs are notified too, after its other
 * integrations (note.h's order), leaving out resolutions where
 * send_resolved is off; a file's notification in flight is saved and
 * resent, or dropped when the configuration has that file config no
 * more. The configuration cannot name file configs yet, so they are
 * attached to its receiver here (and taken off before it is freed). */
static struct conf_file files[] = { { .send_resolved = true, .path = "-" }, { .path = "out" } };

static void files_attach(struct run *run, bool on)
{
	run->c->receivers[0].file = on ? files : NULL;
	run->c->receivers[0].nfile = on ? 2 : 0;
}

/* The first notifications of file_configs' run. */
#define FILES_FIRST \
	"30 r/webhook0 {}:{} #1 +a1\n" \
	"30 r/file0 {}:{} #1 +a1\n" \
	"30 r/file1 {}:{} #1 +a1\n"

/* Marks: which records are not settled (group_unsettled), as a sorted
 * list of marks, and forgetting the waiting ones (group_forget_marked). */
static void collect_mark(void *ctx, uint64_t mark)
{
	char *out = ctx;
	snprintf(out + strlen(out), 256 - strlen(out), "%s%llu", *out ? " " : "",
		(unsigned long long)mark);
}

static const char *unsettled_of(struct group_engine *e)
{
	static char out[256];
	out[0] = 0;
	group_unsettled(e, collect_mark, out);
	return out;
}

static bool odd_mark(void *ctx, uint64_t mark)
{
	(void)ctx;
	return mark % 2;
}

static enum group_took take_marked(struct run *run, const char *id, const char *product,
	bool resolved, int t, uint64_t mark)
{
	struct route_label label = { "product_id", product };
	struct note_alert a = { .alert_id = id, .kind = "low_stock", .severity = "warning",
		.source = "gm-inventory", .summary = "s", .resolved = resolved, .ts = (int64_t)t * S,
		.labels = &label, .nlabels = 1 };
	return group_take_marked(run->rec.e, &a, (int64_t)t * S, mark);
}

START_TEST(marks)
{
	struct run run;
	run_init(&run, stock_yaml, true);
	struct group_engine *e = run.rec.e;
	ck_assert_int_eq(take_marked(&run, "a1", "p1", false, 0, 1), GROUP_FIRING);
	ck_assert_int_eq(take_marked(&run, "a2", "p2", false, 0, 2), GROUP_FIRING);
	ck_assert_int_eq(take_marked(&run, "a2", "p2", false, 0, 3), GROUP_DUPLICATE);
	ck_assert_str_eq(unsettled_of(e), "1 2");       /* waiting for group_wait */
	group_tick(e, 30 * S);
	ck_assert_uint_eq(run.rec.npending, 2);
	ck_assert_str_eq(unsettled_of(e), "1 2");       /* in flight */
	deliver(&run.rec);
	ck_assert_str_eq(unsettled_of(e), "");          /* notified */
	ck_assert_int_eq(take_marked(&run, "r1", "p1", true, 40, 4), GROUP_RESOLVED);
	ck_assert_str_eq(unsettled_of(e), "4");         /* its resolution waits */
	group_tick(e, 330 * S);
	deliver(&run.rec);
	ck_assert_str_eq(unsettled_of(e), "");

	/* Forgetting: the waiting alerts of odd marks go, ids and all; a
	 * notified one stays. */
	ck_assert_int_eq(take_marked(&run, "a5", "p5", false, 400, 5), GROUP_FIRING);
	ck_assert_int_eq(take_marked(&run, "a6", "p6", false, 400, 6), GROUP_FIRING);
	ck_assert_int_eq(take_marked(&run, "a7", "p2", false, 400, 7), GROUP_REPEATED);
	ck_assert_str_eq(unsettled_of(e), "5 6");
	ck_assert_uint_eq(group_forget_marked(e, odd_mark, NULL), 1);
	ck_assert_str_eq(unsettled_of(e), "6");
	ck_assert_uint_eq(group_stats(e).firing, 2);   /* a2, a6 */
	ck_assert_int_eq(take_marked(&run, "a5", "p5", false, 401, 9), GROUP_FIRING);
	ck_assert_str_eq(unsettled_of(e), "6 9");
	run_free(&run);
}
END_TEST

/* Ids up to 16 bytes are kept as they are, longer ones as hashes: each
 * is seen once however long, ids that differ only after their 16th byte
 * are told apart, and a state file keeps them all. */
START_TEST(long_ids)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "state", false));
	static const char *const ids[] = {
		"0123456789abcdef", "0123456789abcdef0", "0123456789abcdef1",
		"6f1c0d3e-8b5a-4e21-9c7d-2a9e5b0f4c11-6f1c0d3e-8b5a-4e21-9c7d-2a9e5b0f4c11x",
		"6f1c0d3e-8b5a-4e21-9c7d-2a9e5b0f4c11-6f1c0d3e-8b5a-4e21-9c7d-2a9e5b0f4c11y",
	};
	const size_t n = sizeof ids / sizeof *ids;
	struct run run;
	run_init(&run, stock_yaml, true);
	char product[16];
	for (size_t i = 0; i < n; i++) {
		snprintf(product, sizeof product, "p%zu", i);
		ck_assert_int_eq(take_marked(&run, ids[i], product, false, 0, i), GROUP_FIRING);
	}
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(take_marked(&run, ids[i], "other", false, 1, i), GROUP_DUPLICATE);
	ck_assert(group_save(run.rec.e, path));
	run_free(&run);
	run_init(&run, stock_yaml, true);
	ck_assert(group_load(run.rec.e, path));
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(take_marked(&run, ids[i], "other", false, 2, i), GROUP_DUPLICATE);
	ck_assert_int_eq(take_marked(&run, "0123456789abcdef2", "p9", false, 2, 9), GROUP_FIRING);
	run_free(&run);
	unlink(path);
}
END_TEST

/* A notification given up on, handed to its receiver's fallback: one
 * notification for each of the fallback's configs, fallback set, in
 * flight under ids of their own, and the original done. */
START_TEST(fallback)
{
	struct run run;
	run_init(&run,
		"route: {receiver: hook, group_by: [product_id], group_wait: 0s}\n"
		"receivers:\n"
		"- name: hook\n"
		"  fallback: spare\n"
		"  webhook_configs: [{url: 'http://hook/'}]\n"
		"- name: spare\n"
		"  webhook_configs: [{url: 'http://spare/'}]\n"
		"  file_configs: [{path: spare.ndjson}]\n", true);
	struct group_engine *e = run.rec.e;
	ck_assert_int_eq(take_marked(&run, "a1", "p1", false, 0, 1), GROUP_FIRING);
	group_tick(e, 0);
	ck_assert_uint_eq(run.rec.npending, 1);
	uint64_t id = run.rec.pending[0];
	run.rec.npending = 0;
	ck_assert_uint_eq(group_fallback(e, id, 1), 2);
	ck_assert_uint_eq(run.rec.npending, 2);
	ck_assert_str_eq(run.rec.lines[0], "0 spare/webhook0 {}:{product_id=\"p1\"} #1 +a1");
	ck_assert_str_eq(run.rec.lines[1], "0 spare/file0 {}:{product_id=\"p1\"} #1 +a1");
	ck_assert(run.rec.pending[0] != id && run.rec.pending[1] != id &&
		run.rec.pending[0] != run.rec.pending[1]);
	ck_assert(!group_done(e, id, false));            /* the original is done */
	ck_assert_uint_eq(group_fallback(e, id, 1), 0);
	ck_assert_str_eq(unsettled_of(e), "1");         /* the fallbacks fly */
	struct group_stats st = group_stats(e);
	ck_assert_uint_eq(st.failed, 1);
	ck_assert_uint_eq(st.in_flight, 2);
	deliver(&run.rec);
	ck_assert_str_eq(unsettled_of(e), "");
	run_free(&run);
}
END_TEST

START_TEST(file_configs)
{
	static const char yaml[] =
		"route: {receiver: r, group_wait: 30s, group_interval: 5m}\n"
		"receivers: [{name: r, webhook_configs: [{url: 'http://a/'}]}]\n";
	static const struct step steps[] = {
		{ 0, "fire a1 low_stock product_id=p1" },
		{ 100, "resolve r1 low_stock product_id=p1" },
		{ 0, "finish" },
	};
	struct run run;
	run_init(&run, yaml, true);
	files_attach(&run, true);
	play(&run, steps, 3);
	ck_assert_str_eq(run.rec.text, FILES_FIRST
		"330 r/webhook0 {}:{} #2 -r1\n"
		"330 r/file0 {}:{} #2 -r1\n");
	files_attach(&run, false);
	run_free(&run);

	char state[256];
	close(gm_test_temp(state, sizeof state, "state", false));
	run_init(&run, yaml, true);
	files_attach(&run, true);
	step(&run, &steps[0]);
	group_tick(run.rec.e, 30 * S);
	ck_assert_uint_eq(run.rec.npending, 3);
	ck_assert(group_save(run.rec.e, state));
	files_attach(&run, false);
	run_free(&run);
	for (int with = 1; with >= 0; with--) {
		run_init(&run, yaml, true);
		files_attach(&run, with);
		ck_assert(group_load(run.rec.e, state));
		group_resume(run.rec.e);
		deliver(&run.rec);
		ck_assert_str_eq(run.rec.text, with ? FILES_FIRST : "30 r/webhook0 {}:{} #1 +a1\n");
		files_attach(&run, false);
		run_free(&run);
	}
	unlink(state);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify_group");
	TCase *t = tcase_create("group");
	tcase_add_loop_test(t, sequences, 0, sizeof tables / sizeof *tables);
	tcase_add_test(t, mixed_one_run);
	tcase_add_loop_test(t, mixed_restart, 0, NMIXED);
	tcase_add_test(t, note_fields);
	tcase_add_test(t, bounds);
	tcase_add_test(t, state_errors);
	tcase_add_test(t, state_route_gone);
	tcase_add_test(t, file_configs);
	tcase_add_test(t, marks);
	tcase_add_test(t, long_ids);
	tcase_add_test(t, fallback);
	suite_add_tcase(s, t);
	return s;
}

GM_CHECK_MAIN(suite)

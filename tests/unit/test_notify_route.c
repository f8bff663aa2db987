/* gm-notify's routing and inhibition on a table of label sets. */
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "../../gm-notify/conf.h"
#include "../../gm-notify/route.h"

static struct conf *parse(const char *text)
{
	struct conf_errors errs = { 0 };
	struct conf *c = conf_parse("t.yml", text, strlen(text), &errs);
	ck_assert_msg(c != NULL, "unexpected error: %s", errs.n ? errs.v[0] : "(none)");
	return c;
}

/* A label set written "name=value,name=value" (no commas in values),
 * split in place into l (room for 16). */
static struct route_labels labels(char *text, struct route_label *l)
{
	size_t n = 0;
	for (char *p = strtok(text, ","); p && n < 16; p = strtok(NULL, ",")) {
		char *eq = strchr(p, '=');
		ck_assert_ptr_nonnull(eq);
		*eq = 0;
		l[n++] = (struct route_label){ p, eq + 1 };
	}
	return (struct route_labels){ l, n };
}

static const char routing_yaml[] =
	"route:\n"
	"  receiver: default\n"
	"  routes:\n"
	"  - matchers: [kind=low_stock]\n"
	"    receiver: stock\n"
	"    continue: true\n"
	"  - matchers: ['severity=~\"warning|critical\"']\n"
	"    receiver: ops\n"
	"    routes:\n"
	"    - match: {source: gm-txmon}\n"
	"      receiver: fraud\n"
	"      continue: true\n"
	"    - match_re: {country: 'UK|France'}\n"
	"      receiver: europe\n"
	"  - matchers: [kind=low_stock]\n"
	"    receiver: stock2\n"
	"  - matchers: ['region=\"\"', 'user_id!=\"\"']\n"
	"    receiver: no_region\n"
	"receivers: [{name: default}, {name: stock}, {name: ops}, {name: fraud},\n"
	"  {name: europe}, {name: stock2}, {name: no_region}]\n";

/* Label sets and the receivers of the routes that take them, in order. */
static const struct { const char *labels, *receivers; } routing[] = {
	/* continue on the first child, then the next that matches ends it */
	{ "kind=low_stock,severity=info,source=gm-inventory", "stock stock2" },
	{ "kind=low_stock,severity=warning,source=gm-inventory", "stock ops" },
	/* down two levels; fraud continues to europe */
	{ "kind=anomaly,severity=critical,source=gm-txmon", "fraud" },
	{ "kind=anomaly,severity=critical,source=gm-txmon,country=UK", "fraud europe" },
	{ "kind=anomaly,severity=warning,source=gm-session,country=France", "europe" },
	/* anchored: "UKR" is not UK|France */
	{ "kind=anomaly,severity=warning,source=gm-session,country=UKR", "ops" },
	/* no child takes it: the root does */
	{ "kind=anomaly,severity=info,source=gm-txmon", "default" },
	{ "", "default" },
	/* a missing label matches as "" */
	{ "kind=cart_abandoned,severity=info,user_id=u1", "no_region" },
	{ "kind=cart_abandoned,severity=info,user_id=u1,region=eu", "default" },
	{ "kind=cart_abandoned,severity=info,user_id=", "default" },
};

START_TEST(route_table)
{
	struct conf *c = parse(routing_yaml);
	ck_assert_uint_eq(c->nroutes, 7);
	const struct conf_route *out[7];
	char text[256], got[256];
	struct route_label l[16];
	snprintf(text, sizeof text, "%s", routing[_i].labels);
	size_t n = route_match(c, labels(text, l), out);
	size_t len = 0;
	got[0] = 0;
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(got + len, sizeof got - len, "%s%s", i ? " " : "", out[i]->receiver);
	ck_assert_str_eq(got, routing[_i].receivers);
	conf_free(c);
}
END_TEST

/* The routes found carry their options: a child's own and inherited. */
START_TEST(route_options)
{
	struct conf *c = parse(
		"route: {receiver: a, group_by: [product_id], group_wait: 0,\n"
		"  routes: [{matchers: [kind=low_stock], group_interval: 1m}]}\n"
		"receivers: [{name: a}]\n");
	const struct conf_route *out[2];
	struct route_label l[] = { { "kind", "low_stock" }, { "product_id", "p1" } };
	ck_assert_uint_eq(route_match(c, (struct route_labels){ l, 2 }, out), 1);
	ck_assert_ptr_eq(out[0], &c->route.routes[0]);
	ck_assert_int_eq(out[0]->group_wait, 0);
	ck_assert_int_eq(out[0]->group_interval, 60000);
	ck_assert_int_eq(out[0]->repeat_interval, 4 * 3600000);
	ck_assert_str_eq(out[0]->group_by[0], "product_id");
	conf_free(c);
}
END_TEST

static const char inhibit_yaml[] =
	"route: {receiver: a}\n"
	"receivers: [{name: a}]\n"
	"inhibit_rules:\n"
	"- source_matchers: [kind=out_of_stock]\n"
	"  target_matchers: [kind=low_stock]\n"
	"  equal: [product_id]\n"
	"- source_match: {severity: critical}\n"
	"  target_match_re: {severity: 'warning|critical'}\n"
	"  equal: [user_id, country]\n";

/* Whether the source, firing, mutes the target. */
static const struct { const char *source, *target; bool muted; } inhibiting[] = {
	{ "kind=out_of_stock,product_id=p1", "kind=low_stock,product_id=p1", true },
	{ "kind=out_of_stock,product_id=p1", "kind=low_stock,product_id=p2", false },
	{ "kind=out_of_stock,product_id=p1", "kind=low_stock", false },
	/* equal labels missing from both are equal */
	{ "kind=out_of_stock", "kind=low_stock", true },
	{ "kind=out_of_stock,product_id=p1", "kind=anomaly,product_id=p1", false },
	{ "kind=low_stock,product_id=p1", "kind=out_of_stock,product_id=p1", false },
	/* second rule: a critical mutes a warning of the same user and country */
	{ "severity=critical,user_id=u1,country=UK", "severity=warning,user_id=u1,country=UK", true },
	{ "severity=critical,user_id=u1,country=UK", "severity=warning,user_id=u1,country=USA", false },
	{ "severity=critical,user_id=u1,country=UK", "severity=info,user_id=u1,country=UK", false },
	/* a critical target matches both sides: another critical, which
	 * does too, does not mute it, nor does it mute itself */
	{ "severity=critical,user_id=u1,country=UK", "severity=critical,user_id=u1,country=UK", false },
};

START_TEST(inhibit_table)
{
	struct conf *c = parse(inhibit_yaml);
	char s[256], t[256];
	struct route_label sl[16], tl[16];
	snprintf(s, sizeof s, "%s", inhibiting[_i].source);
	snprintf(t, sizeof t, "%s", inhibiting[_i].target);
	struct route_labels src = labels(s, sl), target = labels(t, tl);
	ck_assert_int_eq(route_inhibited(c, &src, 1, target), inhibiting[_i].muted);
	conf_free(c);
}
END_TEST

/* Among several firing alerts, one that mutes is enough; none, none. */
START_TEST(inhibit_among_several)
{
	struct conf *c = parse(inhibit_yaml);
	struct route_label a[] = { { "kind", "out_of_stock" }, { "product_id", "p9" } };
	struct route_label b[] = { { "kind", "out_of_stock" }, { "product_id", "p1" } };
	struct route_label t[] = { { "kind", "low_stock" }, { "product_id", "p1" } };
	struct route_labels sources[] = { { a, 2 }, { b, 2 } };
	ck_assert(route_inhibited(c, sources, 2, (struct route_labels){ t, 2 }));
	ck_assert(!route_inhibited(c, sources, 1, (struct route_labels){ t, 2 }));
	ck_assert(!route_inhibited(c, sources, 0, (struct route_labels){ t, 2 }));
	ck_assert(route_inhibits(&c->inhibit[0], sources[1], (struct route_labels){ t, 2 }));
	ck_assert(!route_inhibits(&c->inhibit[1], sources[1], (struct route_labels){ t, 2 }));
	conf_free(c);
}
END_TEST

/* A regex of words between |s is matched by comparing them, with what
 * the compiled regex gives; one with a special character by the regex. */
START_TEST(literal_regexes)
{
	struct conf *c = parse(
		"route:\n"
		"  receiver: a\n"
		"  routes:\n"
		"  - matchers: ['kind=~\"low_stock|out_of_stock|\"', 'kind!~\"ab|c-d\"',\n"
		"      'kind=~\"low.stock\"']\n"
		"    receiver: a\n"
		"receivers: [{name: a}]\n");
	const struct conf_matchers *ms = &c->route.routes[0].matchers;
	ck_assert_uint_eq(ms->n, 3);
	ck_assert(ms->v[0].literals);
	ck_assert(ms->v[1].literals);
	ck_assert(!ms->v[2].literals);
	static const char *const values[] = { "low_stock", "out_of_stock", "", "low", "stock",
		"low_stock|out_of_stock", "low_stockx", "xlow_stock", "ab", "c-d", "abc-d", "lowXstock" };
	static const char *const want[][3] = {
		{ "1", "1", "1" }, { "1", "1", "0" }, { "1", "1", "0" }, { "0", "1", "0" },
		{ "0", "1", "0" }, { "0", "1", "0" }, { "0", "1", "0" }, { "0", "1", "0" },
		{ "0", "0", "0" }, { "0", "0", "0" }, { "0", "1", "0" }, { "0", "1", "1" },
	};
	for (size_t i = 0; i < sizeof values / sizeof *values; i++)
		for (size_t k = 0; k < 3; k++) {
			struct route_label l = { "kind", values[i] };
			struct conf_matchers one = { &ms->v[k], 1 };
			bool got = route_matchers_match(&one, (struct route_labels){ &l, 1 });
			bool re = !regexec(&ms->v[k].re, values[i], 0, NULL, 0) == (ms->v[k].op == CONF_RE);
			ck_assert_msg(got == (want[i][k][0] == '1') && got == re, "%s, matcher %zu", values[i], k);
		}
	conf_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify_route");
	TCase *t = tcase_create("route");
	tcase_add_loop_test(t, route_table, 0, sizeof routing / sizeof *routing);
	tcase_add_test(t, route_options);
	tcase_add_loop_test(t, inhibit_table, 0, sizeof inhibiting / sizeof *inhibiting);
	tcase_add_test(t, inhibit_among_several);
	tcase_add_test(t, literal_regexes);
	suite_add_tcase(s, t);
	return s;
}

GM_CHECK_MAIN(suite)

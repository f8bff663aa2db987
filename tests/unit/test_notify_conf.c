/* gm-notify's configuration: each key, the defaults, inheritance down
 * the routing tree, matchers and durations, and every error with its
 * file:line:column. */
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "../../gm-notify/check.h"
#include "../../gm-notify/conf.h"
#include "../../gm-notify/route.h"

/* Parses text as "t.yml"; fails the test on any error. */
static struct conf *parse_ok(const char *text)
{
	struct conf_errors errs = { 0 };
	struct conf *c = conf_parse("t.yml", text, strlen(text), &errs);
	ck_assert_msg(c != NULL, "unexpected error: %s", errs.n ? errs.v[0] : "(none)");
	ck_assert_uint_eq(errs.n, 0);
	return c;
}

/* Parses text, which must fail, and returns its errors one a line. */
static char *parse_errors(const char *text)
{
	static char all[4096];
	struct conf_errors errs = { 0 };
	struct conf *c = conf_parse("t.yml", text, strlen(text), &errs);
	ck_assert_ptr_null(c);
	size_t n = 0;
	all[0] = 0;
	for (size_t i = 0; i < errs.n; i++)
		n += (size_t)snprintf(all + n, sizeof all - n, "%s\n", errs.v[i]);
	conf_errors_free(&errs);
	return all;
}

#define MINIMAL "route: {receiver: a}\nreceivers: [{name: a}]\n"

START_TEST(defaults)
{
	struct conf *c = parse_ok(MINIMAL);
	ck_assert_str_eq(c->route.receiver, "a");
	ck_assert_uint_eq(c->route.receiver_index, 0);
	ck_assert_int_eq(c->route.group_wait, 30000);
	ck_assert_int_eq(c->route.group_interval, 300000);
	ck_assert_int_eq(c->route.repeat_interval, 4 * 3600000);
	ck_assert_uint_eq(c->route.ngroup_by, 0);
	ck_assert(!c->route.group_by_all);
	ck_assert(!c->route.cont);
	ck_assert_uint_eq(c->route.matchers.n, 0);
	ck_assert_uint_eq(c->nroutes, 1);
	ck_assert_int_eq(c->global.resolve_timeout, 300000);
	ck_assert(c->global.smtp_require_tls);
	ck_assert_ptr_null(c->global.smtp_from);
	ck_assert_ptr_null(c->global.smtp_auth_password.file);
	ck_assert_str_eq(c->global.smtp_auth_password.env, "GM_SMTP_AUTH_PASSWORD");
	ck_assert_str_eq(c->global.slack_api_url.env, "GM_SLACK_API_URL");
	ck_assert_uint_eq(c->nreceivers, 1);
	ck_assert_uint_eq(c->receivers[0].nemail + c->receivers[0].nslack +
		c->receivers[0].nwebhook + c->receivers[0].nsms, 0);
	ck_assert_uint_eq(c->ninhibit, 0);
	conf_free(c);
}
END_TEST

START_TEST(every_key)
{
	struct conf *c = parse_ok(
		"global:\n"
		"  smtp_from: gm@example.com\n"
		"  smtp_smarthost: smtp.example.com:587\n"
		"  smtp_auth_username: gm\n"
		"  smtp_auth_password_file: /etc/gm/smtp\n"
		"  smtp_require_tls: false\n"
		"  slack_api_url_file: /etc/gm/slack\n"
		"  resolve_timeout: 1h30m\n"
		"route:\n"
		"  receiver: all\n"
		"receivers:\n"
		"- name: all\n"
		"  email_configs:\n"
		"  - to: ops@example.com\n"
		"  - to: b@example.com\n"
		"    from: other@example.com\n"
		"    smarthost: mail:465\n"
		"    auth_username: u\n"
		"    auth_password_file: /p\n"
		"    require_tls: true\n"
		"    send_resolved: true\n"
		"  slack_configs:\n"
		"  - channel: '#ops'\n"
		"    username: gm\n"
		"    send_resolved: true\n"
		"  - api_url_file: /s\n"
		"  webhook_configs:\n"
		"  - url: https://hooks.example.com/x\n"
		"  - url_file: /w\n"
		"    max_alerts: 5\n"
		"    send_resolved: false\n"
		"  sms_configs:\n"
		"  - account_sid: AC1\n"
		"    from: '+1555'\n"
		"    to: '+1666'\n"
		"  - url: http://127.0.0.1:8080/sms\n"
		"    account_sid: AC2\n"
		"    auth_token_file: /t\n"
		"    from: a\n"
		"    to: b\n"
		"    send_resolved: true\n");
	const struct conf_global *g = &c->global;
	ck_assert_str_eq(g->smtp_from, "gm@example.com");
	ck_assert_str_eq(g->smtp_smarthost, "smtp.example.com:587");
	ck_assert_str_eq(g->smtp_auth_username, "gm");
	ck_assert_str_eq(g->smtp_auth_password.file, "/etc/gm/smtp");
	ck_assert(!g->smtp_require_tls);
	ck_assert_str_eq(g->slack_api_url.file, "/etc/gm/slack");
	ck_assert_int_eq(g->resolve_timeout, 5400000);

	const struct conf_receiver *r = &c->receivers[0];
	ck_assert_uint_eq(r->nemail, 2);
	/* The first takes the global settings ... */
	ck_assert_str_eq(r->email[0].to, "ops@example.com");
	ck_assert_str_eq(r->email[0].from, "gm@example.com");
	ck_assert_str_eq(r->email[0].smarthost, "smtp.example.com:587");
	ck_assert_str_eq(r->email[0].auth_username, "gm");
	ck_assert_str_eq(r->email[0].auth_password.file, "/etc/gm/smtp");
	ck_assert(!r->email[0].require_tls);
	ck_assert(!r->email[0].send_resolved);
	/* ... the second its own. */
	ck_assert_str_eq(r->email[1].from, "other@example.com");
	ck_assert_str_eq(r->email[1].smarthost, "mail:465");
	ck_assert_str_eq(r->email[1].auth_username, "u");
	ck_assert_str_eq(r->email[1].auth_password.file, "/p");
	ck_assert(r->email[1].require_tls);
	ck_assert(r->email[1].send_resolved);

	ck_assert_uint_eq(r->nslack, 2);
	ck_assert_str_eq(r->slack[0].api_url.file, "/etc/gm/slack");
	ck_assert_str_eq(r->slack[0].channel, "#ops");
	ck_assert_str_eq(r->slack[0].username, "gm");
	ck_assert(r->slack[0].send_resolved);
	ck_assert_str_eq(r->slack[1].api_url.file, "/s");
	ck_assert_ptr_null(r->slack[1].channel);
	ck_assert(!r->slack[1].send_resolved);

	ck_assert_uint_eq(r->nwebhook, 2);
	ck_assert_str_eq(r->webhook[0].url, "https://hooks.example.com/x");
	ck_assert_ptr_null(r->webhook[0].url_file);
	ck_assert_uint_eq(r->webhook[0].max_alerts, 0);
	ck_assert(r->webhook[0].send_resolved);
	ck_assert_ptr_null(r->webhook[1].url);
	ck_assert_str_eq(r->webhook[1].url_file, "/w");
	ck_assert_uint_eq(r->webhook[1].max_alerts, 5);
	ck_assert(!r->webhook[1].send_resolved);

	ck_assert_uint_eq(r->nsms, 2);
	ck_assert_str_eq(r->sms[0].url, "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json");
	ck_assert_str_eq(r->sms[0].account_sid, "AC1");
	ck_assert_ptr_null(r->sms[0].auth_token.file);
	ck_assert_str_eq(r->sms[0].auth_token.env, "GM_SMS_AUTH_TOKEN");
	ck_assert_str_eq(r->sms[0].from, "+1555");
	ck_assert_str_eq(r->sms[0].to, "+1666");
	ck_assert(!r->sms[0].send_resolved);
	ck_assert_str_eq(r->sms[1].url, "http://127.0.0.1:8080/sms");
	ck_assert_str_eq(r->sms[1].auth_token.file, "/t");
	ck_assert(r->sms[1].send_resolved);
	conf_free(c);
}
END_TEST

/* Without files named, secrets come from the environment. */
START_TEST(secrets_from_environment)
{
	struct conf *c = parse_ok(
		"global: {smtp_smarthost: 'h:25', smtp_from: f, smtp_auth_username: u}\n"
		"route: {receiver: a}\n"
		"receivers: [{name: a, email_configs: [{to: t}], slack_configs: [{}]}]\n");
	ck_assert_ptr_null(c->receivers[0].email[0].auth_password.file);
	ck_assert_str_eq(c->receivers[0].email[0].auth_password.env, "GM_SMTP_AUTH_PASSWORD");
	ck_assert_ptr_null(c->receivers[0].slack[0].api_url.file);
	ck_assert_str_eq(c->receivers[0].slack[0].api_url.env, "GM_SLACK_API_URL");
	conf_free(c);
}
END_TEST

START_TEST(inheritance)
{
	struct conf *c = parse_ok(
		"route:\n"
		"  receiver: a\n"
		"  group_by: [kind, product_id]\n"
		"  group_wait: 1m\n"
		"  group_interval: 10m\n"
		"  repeat_interval: 1d\n"
		"  routes:\n"
		"  - matchers: [kind=low_stock]\n"
		"    continue: true\n"
		"    routes:\n"
		"    - receiver: b\n"
		"      group_wait: 0\n"
		"      routes:\n"
		"      - group_by: []\n"
		"  - receiver: b\n"
		"    group_by: ['...']\n"
		"    repeat_interval: 2h\n"
		"    routes: [{group_interval: 1h}]\n"
		"receivers: [{name: a}, {name: b}]\n");
	ck_assert_uint_eq(c->nroutes, 6);
	const struct conf_route *r = &c->route, *k = &r->routes[0];
	ck_assert_uint_eq(r->nroutes, 2);
	/* Everything but matchers and continue comes down. */
	ck_assert_str_eq(k->receiver, "a");
	ck_assert_uint_eq(k->ngroup_by, 2);
	ck_assert_str_eq(k->group_by[0], "kind");
	ck_assert_str_eq(k->group_by[1], "product_id");
	ck_assert_int_eq(k->group_wait, 60000);
	ck_assert_int_eq(k->group_interval, 600000);
	ck_assert_int_eq(k->repeat_interval, 86400000);
	ck_assert(k->cont);
	ck_assert_uint_eq(k->matchers.n, 1);
	const struct conf_route *g = &k->routes[0];
	ck_assert_str_eq(g->receiver, "b");
	ck_assert_uint_eq(g->receiver_index, 1);
	ck_assert_int_eq(g->group_wait, 0);
	ck_assert_uint_eq(g->ngroup_by, 2);
	ck_assert(!g->cont);
	ck_assert_uint_eq(g->matchers.n, 0);
	const struct conf_route *gg = &g->routes[0];
	ck_assert_uint_eq(gg->ngroup_by, 0);   /* an empty list is a setting */
	ck_assert_str_eq(gg->receiver, "b");
	ck_assert_int_eq(gg->group_wait, 0);
	const struct conf_route *s = &r->routes[1];
	ck_assert(s->group_by_all);
	ck_assert_uint_eq(s->ngroup_by, 0);
	ck_assert_int_eq(s->routes[0].repeat_interval, 7200000);
	ck_assert_int_eq(s->routes[0].group_interval, 3600000);
	ck_assert(s->routes[0].group_by_all);
	ck_assert_int_eq(s->routes[0].group_wait, 60000);
	conf_free(c);
}
END_TEST

START_TEST(durations)
{
	static const struct { const char *in; long long ms; } ok[] = {
		{ "0", 0 }, { "0s", 0 }, { "30s", 30000 }, { "5m", 300000 }, { "4h", 14400000 },
		{ "1d", 86400000 }, { "1w", 604800000 }, { "1y", 31536000000LL },
		{ "1h30m", 5400000 }, { "500ms", 500 }, { "1m500ms", 60500 },
		{ "1d2h3m4s5ms", 93784005 }, { "90s", 90000 },
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		long long ms = -1;
		ck_assert_msg(conf_parse_duration(ok[i].in, &ms), "%s refused", ok[i].in);
		ck_assert_int_eq(ms, ok[i].ms);
	}
	static const char *const bad[] = {
		"", "5", "1s1m", "1h1h", "1.5h", "-1s", "1S", "h", "1 h", "1hh", "1mss",
		"99999999999999999999y", "300000000y",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		long long ms;
		ck_assert_msg(!conf_parse_duration(bad[i], &ms), "%s taken", bad[i]);
	}
	char buf[CONF_DURATION_LEN];
	ck_assert_str_eq(conf_format_duration(0, buf), "0s");
	ck_assert_str_eq(conf_format_duration(5400000, buf), "1h30m");
	ck_assert_str_eq(conf_format_duration(86400000, buf), "1d");
	ck_assert_str_eq(conf_format_duration(604800000, buf), "1w");
	ck_assert_str_eq(conf_format_duration(93784005, buf), "1d2h3m4s5ms");
	ck_assert_str_eq(conf_format_duration(31536000000LL + 1000, buf), "1y1s");
}
END_TEST

/* One matcher string in a route, and how its first matchers read. */
static void check_matchers(const char *yaml_list, size_t n, const char *const *want)
{
	char text[1024];
	snprintf(text, sizeof text,
		"route: {receiver: a, routes: [{matchers: %s}]}\nreceivers: [{name: a}]\n", yaml_list);
	struct conf *c = parse_ok(text);
	const struct conf_matchers *ms = &c->route.routes[0].matchers;
	ck_assert_uint_eq(ms->n, n);
	static const char *const ops[] = { "=", "!=", "=~", "!~" };
	for (size_t i = 0; i < n; i++) {
		char got[256];
		snprintf(got, sizeof got, "%s%s[%s]", ms->v[i].name, ops[ms->v[i].op], ms->v[i].value);
		ck_assert_str_eq(got, want[i]);
	}
	conf_free(c);
}

START_TEST(matcher_forms)
{
	check_matchers("[a=b]", 1, (const char *[]){ "a=[b]" });
	check_matchers("[' a = b c ']", 1, (const char *[]){ "a=[b c]" });
	check_matchers("['a!=\"x,y\"', b=~c.*, 'c !~ d']", 3,
		(const char *[]){ "a!=[x,y]", "b=~[c.*]", "c!~[d]" });
	check_matchers("['{a=\"1\", b=~\"2|3\",}']", 2, (const char *[]){ "a=[1]", "b=~[2|3]" });
	check_matchers("['a=1, b!=2']", 2, (const char *[]){ "a=[1]", "b!=[2]" });
	check_matchers("['a=\"q\\\"\\\\\\n\"']", 1, (const char *[]){ "a=[q\"\\\n]" });
	check_matchers("['a=\"\"', 'b=']", 2, (const char *[]){ "a=[]", "b=[]" });
	/* The older maps, match first, then match_re, then matchers. */
	struct conf *c = parse_ok(
		"route: {receiver: a, routes: [{matchers: [z=1], match: {kind: low_stock},\n"
		"  match_re: {source: 'gm-.*'}}]}\nreceivers: [{name: a}]\n");
	const struct conf_matchers *ms = &c->route.routes[0].matchers;
	ck_assert_uint_eq(ms->n, 3);
	ck_assert_str_eq(ms->v[0].name, "kind");
	ck_assert_int_eq(ms->v[0].op, CONF_EQ);
	ck_assert_str_eq(ms->v[1].name, "source");
	ck_assert_int_eq(ms->v[1].op, CONF_RE);
	ck_assert_str_eq(ms->v[2].name, "z");
	conf_free(c);
}
END_TEST

/* Regexes are anchored at both ends, as Alertmanager's are. */
START_TEST(regex_anchored)
{
	struct conf *c = parse_ok(
		"route: {receiver: a, routes: [{matchers: ['k=~\"x.*\"', 'o=~\"a|b\"', 'n!~\"[[:digit:]]+\"']}]}\n"
		"receivers: [{name: a}]\n");
	const struct conf_matchers *ms = &c->route.routes[0].matchers;
	static const struct { const char *k, *o, *n; bool want; } cases[] = {
		{ "xyz", "a", "p1", true },
		{ "axy", "a", "p1", false },   /* k must start with x */
		{ "x", "ab", "p1", false },    /* a|b is ^(a|b)$, not ^a|b$ */
		{ "x", "b", "p1", true },
		{ "x", "b", "123", false },
		{ "x", "", "", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct route_label l[] = { { "k", cases[i].k }, { "o", cases[i].o }, { "n", cases[i].n } };
		ck_assert_msg(route_matchers_match(ms, (struct route_labels){ l, 3 }) == cases[i].want,
			"case %zu", i);
	}
	conf_free(c);
}
END_TEST

/* gm's delivery settings of a receiver: retry_for, fallback, rate,
 * burst, and its file configs. */
START_TEST(delivery_defaults)
{
	struct conf *c = parse_ok(
		"route: {receiver: a}\n"
		"receivers: [{name: a}, {name: b, slack_configs: [{}], webhook_configs: [{url: 'http://h/'}]},\n"
		"  {name: c, file_configs: [{path: '-'}]}]\n");
	const struct conf_receiver *a = &c->receivers[0], *b = &c->receivers[1], *r = &c->receivers[2];
	ck_assert_int_eq(a->retry_for, -1);
	ck_assert_ptr_null(a->fallback);
	ck_assert(a->rate == 0);
	ck_assert_uint_eq(a->burst, 1);
	ck_assert_uint_eq(a->nfile, 0);
	/* Slack's one message a second, over all the receiver's configs. */
	ck_assert(b->rate == 1);
	ck_assert_uint_eq(b->burst, 1);
	ck_assert_int_eq(b->retry_for, -1);
	ck_assert_uint_eq(r->nfile, 1);
	ck_assert_str_eq(r->file[0].path, "-");
	ck_assert(r->file[0].send_resolved);
	ck_assert(r->rate == 0);
	conf_free(c);
}
END_TEST

START_TEST(delivery_settings)
{
	struct conf *c = parse_ok(
		"route: {receiver: a}\n"
		"receivers:\n"
		"- name: a\n"
		"  retry_for: 10m\n"
		"  fallback: c\n"             /* named before it is defined */
		"  rate: 0.25\n"
		"  burst: 5\n"
		"  file_configs:\n"
		"  - path: /var/lib/gm/a.ndjson\n"
		"    send_resolved: false\n"
		"  - path: '-'\n"
		"- name: b\n"
		"  slack_configs: [{}]\n"
		"  rate: 0\n"                 /* no limit, Slack or not */
		"  retry_for: 0\n"
		"  fallback: a\n"
		"- name: c\n"
		"  slack_configs: [{}]\n"
		"  burst: 3\n"
		"  rate: 1e6\n"
		"  fallback: a\n");            /* a fallback's fallback is allowed */
	const struct conf_receiver *a = &c->receivers[0], *b = &c->receivers[1], *r = &c->receivers[2];
	ck_assert_int_eq(a->retry_for, 600000);
	ck_assert_ptr_eq(a->fallback, r->name);
	ck_assert_uint_eq(a->fallback_index, 2);
	ck_assert(a->rate == 0.25);
	ck_assert_uint_eq(a->burst, 5);
	ck_assert_uint_eq(a->nfile, 2);
	ck_assert_str_eq(a->file[0].path, "/var/lib/gm/a.ndjson");
	ck_assert(!a->file[0].send_resolved);
	ck_assert_str_eq(a->file[1].path, "-");
	ck_assert(a->file[1].send_resolved);
	ck_assert(b->rate == 0);
	ck_assert_int_eq(b->retry_for, 0);
	ck_assert_str_eq(b->fallback, "a");
	ck_assert_uint_eq(b->fallback_index, 0);
	ck_assert(r->rate == 1e6);
	ck_assert_uint_eq(r->burst, 3);
	ck_assert_uint_eq(r->fallback_index, 0);
	conf_free(c);
}
END_TEST

/* --check's lines for them: a receiver's settings where they are not
 * the defaults, its rate and burst whenever it has a limit, a line a
 * file config. */
START_TEST(delivery_check)
{
	struct conf *c = parse_ok(
		"route: {receiver: a}\n"
		"receivers:\n"
		"- {name: a, retry_for: 1h30m, fallback: b, rate: 0.1, burst: 2,\n"
		"   file_configs: [{path: /tmp/a b.ndjson, send_resolved: false}, {path: '-'}]}\n"
		"- {name: b, retry_for: 0, slack_configs: [{}]}\n"
		"- {name: c, rate: 1000000}\n"
		"- {name: d, rate: 0, slack_configs: [{}]}\n"
		"- {name: e, rate: 0.333}\n");
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(out);
	check_print(out, c);
	fclose(out);
	ck_assert_str_eq(text,
		"route receiver=a group_by=[] group_wait=30s group_interval=5m repeat_interval=4h\n"
		"receivers\n"
		"  a retry_for=1h30m fallback=b rate=0.1 burst=2\n"
		"    file path=\"/tmp/a b.ndjson\" send_resolved=false\n"
		"    file path=- send_resolved=true\n"
		"  b retry_for=0s rate=1 burst=1\n"
		"    slack api_url=env:GM_SLACK_API_URL send_resolved=false\n"
		"  c rate=1000000 burst=1\n"
		"  d\n"
		"    slack api_url=env:GM_SLACK_API_URL send_resolved=false\n"
		"  e rate=0.333 burst=1\n");
	free(text);
	conf_free(c);
}
END_TEST

/* Each error, where it is and what it says. */
static const struct { const char *yaml, *errors; } bad[] = {
	{ "", "t.yml:1:1: empty: a route and receivers are needed\n" },
	{ "[a]\n", "t.yml:1:1: the top level: expected a mapping, got a list\n" },
	{ "route: [\n", "t.yml:2:1: did not find expected node content, "
		"while parsing a flow node\n" },
	{ "receivers: [{name: a}]\n", "t.yml:1:1: no route: the root of the routing tree is needed\n" },
	{ MINIMAL "---\n" MINIMAL, "t.yml:4:1: a second YAML document: the configuration is one\n" },
	{ MINIMAL "templates: [a.tmpl]\ntime_intervals: []\n",
		"t.yml:3:1: unknown key \"templates\" at the top level\n"
		"t.yml:4:1: unknown key \"time_intervals\" at the top level\n" },
	{ MINIMAL "route: {receiver: a}\n", "t.yml:3:1: route: given twice in the top level\n" },
	{ MINIMAL "global: {smtp_hello: x, smtp_auth_password: pw, slack_api_url: u,\n"
		"  smtp_require_tls: yes, resolve_timeout: 5}\n",
		"t.yml:3:10: unknown key \"smtp_hello\" in global\n"
		"t.yml:3:25: smtp_auth_password: secrets are not written in the configuration: "
		"name a file with smtp_auth_password_file, or set GM_SMTP_AUTH_PASSWORD in the environment\n"
		"t.yml:3:49: slack_api_url: secrets are not written in the configuration: "
		"name a file with slack_api_url_file, or set GM_SLACK_API_URL in the environment\n"
		"t.yml:4:21: smtp_require_tls: expected true or false, got \"yes\"\n"
		"t.yml:4:43: resolve_timeout: expected a duration such as 30s, 5m, 4h, 1d or 1h30m, "
		"got \"5\"\n" },
	{ MINIMAL "global: {smtp_from: [a]}\n",
		"t.yml:3:21: smtp_from: expected a string, got a list\n" },
	{ "route: {receiver: b, matchers: [a=b], match: {a: b}, match_re: {a: b}, continue: false}\n"
		"receivers: [{name: a}]\n",
		"t.yml:1:19: receiver: \"b\" is not defined in receivers\n"
		"t.yml:1:22: matchers: the root route takes every alert: it has no matchers\n"
		"t.yml:1:39: match: the root route takes every alert: it has no match\n"
		"t.yml:1:54: match_re: the root route takes every alert: it has no match_re\n"
		"t.yml:1:72: continue: the root route takes every alert: it has no continue\n" },
	{ "route: {group_wait: 1m}\nreceivers: [{name: a}]\n",
		"t.yml:1:8: route: the root route needs a receiver\n" },
	{ "route:\n  receiver: a\n  group_by: [a, a, '...', 1x]\n  group_interval: 0\n"
		"  repeat_interval: 0\n  group_wait: 1h1h\n  mute_time_intervals: [x]\n"
		"  routes: {receiver: a}\nreceivers: [{name: a}]\n",
		"t.yml:3:17: group_by: \"a\" is listed twice\n"
		"t.yml:3:20: group_by: '...' (every label) must be alone in the list\n"
		"t.yml:3:27: group_by: \"1x\" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)\n"
		"t.yml:4:19: group_interval: must not be 0\n"
		"t.yml:5:20: repeat_interval: must not be 0\n"
		"t.yml:6:15: group_wait: expected a duration such as 30s, 5m, 4h, 1d or 1h30m, got \"1h1h\"\n"
		"t.yml:7:3: unknown key \"mute_time_intervals\" in route\n"
		"t.yml:8:11: routes: expected a list, got a mapping\n" },
	{ "route:\n  receiver: a\n  routes:\n  - matchers: ['a b', '{a=b', '1a=b', 'a=\"x', 'a=b,,c=d',\n"
		"      'a=x\"y', 'k=~\"\\\\d\"', 'k=~\"(?i)x\"', 'k=~\"x*?\"', 'k=~\"(\"', '', a=1]\n"
		"    match: {a-b: c, d: [e]}\n    match_re: {e: '+'}\n"
		"receivers: [{name: a}]\n",
		"t.yml:4:16: matchers: \"a b\": expected NAME OP VALUE, OP one of = != =~ !~\n"
		"t.yml:4:23: matchers: \"{a=b\": a brace without its pair\n"
		"t.yml:4:31: matchers: \"1a=b\": \"1a\" is not a label name ([a-zA-Z_][a-zA-Z0-9_]*)\n"
		"t.yml:4:39: matchers: \"a=\"x\": a quoted value without its closing quote\n"
		"t.yml:4:47: matchers: \"a=b,,c=d\": expected NAME OP VALUE, OP one of = != =~ !~\n"
		"t.yml:5:7: matchers: \"a=x\"y\": a quote inside an unquoted value\n"
		"t.yml:5:16: matchers: regex \"\\d\": a backslash before a letter or digit "
		"(write classes such as [0-9] or [[:space:]]) is not POSIX extended regex syntax\n"
		"t.yml:5:28: matchers: regex \"(?i)x\": \"(?\" (RE2's flags and groups) "
		"is not POSIX extended regex syntax\n"
		"t.yml:5:42: matchers: regex \"x*?\": a lazy quantifier is not POSIX extended regex syntax\n"
		"t.yml:5:54: matchers: regex \"(\": Unmatched ( or \\(\n"
		"t.yml:5:64: matchers: \"\": no matcher\n"
		"t.yml:6:13: match: expected a label name ([a-zA-Z_][a-zA-Z0-9_]*)\n"
		"t.yml:6:24: match: d: expected a string, got a list\n"
		"t.yml:7:19: match_re: regex \"+\": Invalid preceding regular expression\n" },
	{ "route: {receiver: a}\nreceivers:\n- name: a\n  pagerduty_configs: []\n- name: a\n- {}\n- x\n",
		"t.yml:4:3: unknown key \"pagerduty_configs\" in receivers\n"
		"t.yml:5:9: receivers: \"a\" is defined twice\n"
		"t.yml:6:3: receivers: a receiver needs a name\n"
		"t.yml:7:3: receivers: expected a mapping, got a string\n" },
	{ "route: {receiver: a}\nreceivers:\n- name: a\n  email_configs:\n  - html: x\n"
		"    auth_password: p\n    smarthost: nohost\n    from: f\n    to: t\n  - {}\n",
		"t.yml:5:5: unknown key \"html\" in email_configs\n"
		"t.yml:6:5: auth_password: secrets are not written in the configuration: name a file with "
		"auth_password_file, or set GM_SMTP_AUTH_PASSWORD in the environment\n"
		"t.yml:7:16: email_configs: smarthost \"nohost\": expected HOST:PORT\n"
		"t.yml:10:5: email_configs: no \"to\" address\n"
		"t.yml:10:5: email_configs: no \"from\" address, and no smtp_from in global\n"
		"t.yml:10:5: email_configs: no smarthost, and no smtp_smarthost in global\n" },
	{ "route: {receiver: a}\nreceivers:\n- name: a\n  slack_configs: [{api_url: 'https://x', title: t}]\n",
		"t.yml:4:20: api_url: secrets are not written in the configuration: name a file with "
		"api_url_file, or set GM_SLACK_API_URL in the environment\n"
		"t.yml:4:42: unknown key \"title\" in slack_configs\n" },
	{ "route: {receiver: a}\nreceivers:\n- name: a\n  webhook_configs:\n  - {url: 'http://u:p@h/', max_alerts: -1}\n"
		"  - {url: 'ftp://h/'}\n  - {}\n  - {url: 'http://h', url_file: f, http_config: {}}\n",
		"t.yml:5:11: url: a URL with a password is a secret: name a file that holds it with url_file\n"
		"t.yml:5:40: max_alerts: expected a whole number, got \"-1\"\n"
		"t.yml:6:11: url: \"ftp://h/\": expected an http:// or https:// URL\n"
		"t.yml:7:5: webhook_configs: no url, and no url_file\n"
		"t.yml:8:5: webhook_configs: url and url_file: one or the other, not both\n"
		"t.yml:8:36: unknown key \"http_config\" in webhook_configs\n" },
	{ "route: {receiver: a}\nreceivers:\n- name: a\n  sms_configs:\n  - {auth_token: x}\n",
		"t.yml:5:5: sms_configs: no account_sid\n"
		"t.yml:5:5: sms_configs: no \"from\" number\n"
		"t.yml:5:5: sms_configs: no \"to\" number\n"
		"t.yml:5:6: auth_token: secrets are not written in the configuration: name a file with "
		"auth_token_file, or set GM_SMS_AUTH_TOKEN in the environment\n" },
	{ "route: {receiver: a}\nreceivers:\n- name: a\n  fallback: nobody\n  retry_for: 1m1m\n"
		"  rate: x\n  burst: 0\n- name: b\n  fallback: b\n  rate: -1\n  burst: 1000001\n"
		"- {name: c, rate: 1e7, burst: x}\n- {name: d, rate: inf}\n- {name: e, rate: nan}\n"
		"- {name: f, rate: 0x10}\n- {name: g, rate: [1]}\n- {name: h, rate: 1e-400}\n"
		"- {name: i, rate: 0, burst: 2, slack_configs: [{}]}\n- {name: j, burst: 2}\n"
		"- {name: k, fallback: [a]}\n",
		"t.yml:4:13: fallback: \"nobody\" is not defined in receivers\n"
		"t.yml:5:14: retry_for: expected a duration such as 30s, 5m, 4h, 1d or 1h30m, got \"1m1m\"\n"
		"t.yml:6:9: rate: expected a number from 0 to 1000000, got \"x\"\n"
		"t.yml:7:10: burst: expected a whole number from 1 to 1000000, got \"0\"\n"
		"t.yml:9:13: fallback: \"b\" is the receiver itself\n"
		"t.yml:10:9: rate: expected a number from 0 to 1000000, got \"-1\"\n"
		"t.yml:11:10: burst: expected a whole number from 1 to 1000000, got \"1000001\"\n"
		"t.yml:12:19: rate: expected a number from 0 to 1000000, got \"1e7\"\n"
		"t.yml:12:31: burst: expected a whole number from 1 to 1000000, got \"x\"\n"
		"t.yml:13:19: rate: expected a number from 0 to 1000000, got \"inf\"\n"
		"t.yml:14:19: rate: expected a number from 0 to 1000000, got \"nan\"\n"
		"t.yml:15:19: rate: expected a number from 0 to 1000000, got \"0x10\"\n"
		"t.yml:16:19: rate: expected a string, got a list\n"
		"t.yml:17:19: rate: expected a number from 0 to 1000000, got \"1e-400\"\n"
		"t.yml:18:22: burst: no rate limit to go with (rate is 0)\n"
		"t.yml:19:13: burst: no rate limit to go with (rate is 0)\n"
		"t.yml:20:23: fallback: expected a string, got a list\n" },
	{ "route: {receiver: a}\nreceivers:\n- name: a\n  file_configs:\n  - {send_resolved: true}\n"
		"  - {path: ''}\n  - {path: x, mode: '0600'}\n  - {path: [x]}\n  - {path: x, send_resolved: 1}\n",
		"t.yml:5:5: file_configs: no path (\"-\" for standard output)\n"
		"t.yml:6:5: file_configs: no path (\"-\" for standard output)\n"
		"t.yml:7:15: unknown key \"mode\" in file_configs\n"
		"t.yml:8:12: path: expected a string, got a list\n"
		"t.yml:9:30: send_resolved: expected true or false, got \"1\"\n" },
	{ MINIMAL "inhibit_rules:\n- {source_match: [a], target_match_re: {a: '('}, equal: x}\n- {equal: [a, a]}\n",
		"t.yml:4:18: source_match: expected a mapping of label names to values, got a list\n"
		"t.yml:4:44: target_match_re: regex \"(\": Unmatched ( or \\(\n"
		"t.yml:4:57: equal: expected a list of label names, got a string\n"
		"t.yml:5:15: equal: \"a\" is listed twice\n" },
};

START_TEST(errors)
{
	ck_assert_str_eq(parse_errors(bad[_i].yaml), bad[_i].errors);
}
END_TEST

/* A routing tree deeper than the cap is an error, not a deep recursion. */
START_TEST(deep_tree)
{
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof text, "receivers: [{name: a}]\nroute: {receiver: a");
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, ", routes: [{continue: true");
	for (int i = 0; i < 70; i++)
		n += (size_t)snprintf(text + n, sizeof text - n, "}]");
	snprintf(text + n, sizeof text - n, "}\n");
	/* The 65th "routes" list, that of a route at depth 64: its '[' is
	 * at 19 + 64 * 26 + 10, from 0. */
	ck_assert_str_eq(parse_errors(text), "t.yml:2:1694: routes: more than 64 levels or 10000 routes\n");
}
END_TEST

START_TEST(load_file)
{
	char path[256];
	int fd = gm_test_temp(path, sizeof path, "conf", false);
	ck_assert_int_eq(write(fd, MINIMAL, strlen(MINIMAL)), (ssize_t)strlen(MINIMAL));
	close(fd);
	struct conf_errors errs = { 0 };
	struct conf *c = conf_load(path, &errs);
	ck_assert_ptr_nonnull(c);
	conf_free(c);
	unlink(path);
	ck_assert_ptr_null(conf_load(path, &errs));
	ck_assert_uint_eq(errs.n, 1);
	char want[300];
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	ck_assert_str_eq(errs.v[0], want);
	conf_errors_free(&errs);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify_conf");
	TCase *t = tcase_create("conf");
	tcase_add_test(t, defaults);
	tcase_add_test(t, every_key);
	tcase_add_test(t, secrets_from_environment);
	tcase_add_test(t, inheritance);
	tcase_add_test(t, durations);
	tcase_add_test(t, matcher_forms);
	tcase_add_test(t, regex_anchored);
	tcase_add_test(t, delivery_defaults);
	tcase_add_test(t, delivery_settings);
	tcase_add_test(t, delivery_check);
	tcase_add_loop_test(t, errors, 0, sizeof bad / sizeof *bad);
	tcase_add_test(t, deep_tree);
	tcase_add_test(t, load_file);
	suite_add_tcase(s, t);
	return s;
}

GM_CHECK_MAIN(suite)

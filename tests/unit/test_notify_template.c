/* gm-notify's body templates: what each action, function and trim
 * writes, exactly, over a fixed notification's data; Go's truthiness;
 * json escaping; and each template refused, with its line, column and
 * message. */
#include <string.h>

#include "check_util.h"
#include "../../gm-notify/check.h"
#include "../../gm-notify/conf.h"
#include "../../gm-notify/template.h"

static struct route_label labels0[] = {
	{ "alertname", "low_stock" }, { "country", "UK" }, { "kind", "low_stock" },
	{ "product_id", "P-001" }, { "severity", "warning" }, { "source", "gm-inventory" },
};
static struct route_label annotations0[] = {
	{ "alert_id", "a1b2c3d4e5f60718" }, { "on_hand", "3" }, { "reorder_point", "10" },
	{ "summary", "Stock of \"P-001\" is 3\n(caf\xc3\xa9)" },
};
static struct route_label labels1[] = {
	{ "alertname", "out_of_stock" }, { "country", "UK" }, { "kind", "out_of_stock" },
	{ "product_id", "P-002" }, { "severity", "critical" }, { "source", "gm-inventory" },
};
static struct route_label annotations1[] = {
	{ "alert_id", "0f1e2d3c4b5a6978" }, { "on_hand", "20" }, { "summary", "P-002 is back" },
};
static struct tmpl_alert alerts[] = {
	{ "firing", labels0, 6, annotations0, 4, "2026-11-24T10:00:00.123Z", "0001-01-01T00:00:00Z",
		"0123456789abcdef" },
	{ "resolved", labels1, 6, annotations1, 3, "2026-11-24T09:00:00Z", "2026-11-24T10:05:00Z",
		"fedcba9876543210" },
};
static const struct route_label group[] = { { "country", "UK" } };
static const struct route_label common[] = {
	{ "country", "UK" }, { "source", "gm-inventory" },
};
static const struct tmpl_data data = {
	.receiver = "stock\\.team", .status = "firing", .alerts = alerts, .nalerts = 2,
	.group_labels = { group, 1 }, .common_labels = { common, 2 },
	.common_annotations = { NULL, 0 }, .external_url = "",
	.group_key = "{}:{country=\"UK\"}", .truncated = 3,
};

/* What text writes over data; fails when it is refused. The string
 * is the caller's. */
static char *run(const char *text, const struct tmpl_data *d)
{
	struct tmpl_error e;
	struct tmpl *t = tmpl_parse(text, strlen(text), &e);
	ck_assert_msg(t != NULL, "%s: %zu:%zu: %s", text, e.line, e.column, e.msg);
	struct gm_text out = { 0 };
	tmpl_execute(t, d, &out);
	tmpl_free(t);
	return out.p;
}

static void expect(const char *text, const char *want)
{
	char *got = run(text, &data);
	ck_assert_msg(!strcmp(got, want), "%s\n got: [%s]\nwant: [%s]", text, got, want);
	free(got);
}

static const struct { const char *text, *want; } cases[] = {
	/* Text alone, and fields of the notification. */
	{ "plain {text}", "plain {text}" },
	{ "{{ .Receiver }} {{.Status}} {{ .GroupKey }} [{{ .ExternalURL }}] {{ .TruncatedAlerts }}",
	  "stock\\.team firing {}:{country=\"UK\"} [] 3" },
	{ "{{ .GroupLabels.country }}/{{ .CommonLabels.source }}/{{ .CommonLabels.missing }}/",
	  "UK/gm-inventory//" },
	{ "{{ $.CommonLabels.country }}", "UK" },
	/* range over alerts, their fields, $ inside. */
	{ "{{ range .Alerts }}{{ .Status }} {{ .Labels.product_id }} {{ .Annotations.alert_id }} "
	  "{{ .Annotations.on_hand }} {{ .StartsAt }} {{ .EndsAt }} {{ .Fingerprint }} "
	  "[{{ .GeneratorURL }}] {{ $.GroupLabels.country }};{{ end }}",
	  "firing P-001 a1b2c3d4e5f60718 3 2026-11-24T10:00:00.123Z 0001-01-01T00:00:00Z "
	  "0123456789abcdef [] UK;"
	  "resolved P-002 0f1e2d3c4b5a6978 20 2026-11-24T09:00:00Z 2026-11-24T10:05:00Z "
	  "fedcba9876543210 [] UK;" },
	{ "{{ range .Alerts.Firing }}F{{ .Labels.kind }}{{ end }}"
	  "{{ range .Alerts.Resolved }}R{{ .Labels.kind }}{{ end }}"
	  "{{ range .Alerts.Firing.Resolved }}none{{ else }}empty{{ end }}",
	  "Flow_stockRout_of_stockempty" },
	/* range over a map (its values, by name), Names, Values, SortedPairs. */
	{ "{{ range .GroupLabels }}<{{ . }}>{{ end }}", "<UK>" },
	{ "{{ range .CommonLabels.Names }}{{ . }},{{ end }}", "country,source," },
	{ "{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }};{{ end }}",
	  "country=UK;source=gm-inventory;" },
	{ "{{ range .CommonAnnotations }}x{{ else }}no annotations{{ end }}", "no annotations" },
	/* The range's variables: the index (a map's key) and the element. */
	{ "{{ range $i, $a := .Alerts }}{{ $i }}:{{ $a.Labels.kind }}/{{ .Status }} {{ end }}",
	  "0:low_stock/firing 1:out_of_stock/resolved " },
	{ "{{ range $k, $v := .CommonLabels }}{{ $k }}={{ $v }};{{ end }}"
	  "{{ range $a := .Alerts.Resolved }}{{ $a.Fingerprint }}{{ end }}",
	  "country=UK;source=gm-inventory;fedcba9876543210" },
	/* if, else if, else; Go's truthiness. */
	{ "{{ if .Alerts.Firing }}firing{{ else }}none{{ end }}", "firing" },
	{ "{{ if .CommonAnnotations }}a{{ else if .CommonLabels.nope }}b{{ else if "
	  ".CommonLabels }}c{{ else }}d{{ end }}", "c" },
	{ "{{ if .ExternalURL }}url{{ else }}no url{{ end }}", "no url" },
	{ "{{ if .TruncatedAlerts }}cut{{ end }}", "cut" },
	{ "{{ range .Alerts }}{{ if .EndsAt }}t{{ end }}{{ end }}", "tt" },
	{ "{{ if len .Alerts.Resolved }}some{{ end }}{{ if \"\" }}never{{ end }}", "some" },
	/* Functions, called and piped. */
	{ "{{ len .Alerts }} {{ len .Alerts.Firing }} {{ len .CommonLabels }} {{ len .Receiver }}",
	  "2 1 2 11" },
	{ "{{ .Status | toUpper }} {{ toLower \"MiXed\" }} {{ title \"out_of stock-now x\" }}",
	  "FIRING mixed Out_of Stock-Now X" },
	{ "{{ join \", \" .CommonLabels.Values }}|{{ .CommonLabels.Names | join \"+\" }}",
	  "UK, gm-inventory|country+source" },
	{ "{{ .CommonLabels.Names | join \"-\" | toUpper }}", "COUNTRY-SOURCE" },
	/* json: a value made safe inside JSON. */
	{ "{{ range .Alerts.Firing }}{\"s\":{{ .Annotations.summary | json }}}{{ end }}",
	  "{\"s\":\"Stock of \\\"P-001\\\" is 3\\n(caf\xc3\xa9)\"}" },
	{ "{{ json .TruncatedAlerts }} {{ .CommonLabels | json }} {{ .GroupLabels.Names | json }} "
	  "{{ range .Alerts.Firing }}{{ .StartsAt | json }}{{ end }}",
	  "3 {\"country\":\"UK\",\"source\":\"gm-inventory\"} [\"country\"] "
	  "\"2026-11-24T10:00:00.123Z\"" },
	/* The template writes raw text: nothing is escaped but by json. */
	{ "{{ range .Alerts.Firing }}{{ .Annotations.summary }}{{ end }}",
	  "Stock of \"P-001\" is 3\n(caf\xc3\xa9)" },
	/* Strings, escapes, comments. */
	{ "{{ \"a\\tb\\\"\\u00e9\\x41\" }}{{ `raw\\n` }}", "a\tb\"\xc3\xa9" "Araw\\n" },
	{ "a{{/* a comment */}}b{{- /* trimmed */ -}}  c", "abc" },
	/* Trimming: only the blanks beside the marked side. */
	{ "a  \n {{- .Status -}} \n\t b", "afiringb" },
	{ "a  {{- .Status }}  b", "afiring  b" },
	{ "a  {{ .Status -}}  b", "a  firingb" },
	{ "[\n{{- range .Alerts }}\n  {{ .Labels.kind }},\n{{- end }}\n]",
	  "[\n  low_stock,\n  out_of_stock,\n]" },
};

START_TEST(writes)
{
	expect(cases[_i].text, cases[_i].want);
}
END_TEST

/* Alertmanager's style of template, for a chat webhook's JSON: a
 * card with a section per alert, commas between them by the range's
 * index, every value through json. The exact bytes. */
START_TEST(am_style)
{
	expect(
		"{{- /* A Microsoft Teams-like card */ -}}\n"
		"{\n"
		"  \"@type\": \"MessageCard\",\n"
		"  \"themeColor\": \"{{ if .Alerts.Firing }}d63333{{ else }}2db34a{{ end }}\",\n"
		"  \"title\": {{ .Status | toUpper | json }},\n"
		"  \"text\": {{ .GroupLabels.Values | join \", \" | json }},\n"
		"  \"sections\": [\n"
		"    {{- range $i, $a := .Alerts }}{{ if $i }},{{ end }}\n"
		"    {\n"
		"      \"activityTitle\": {{ $a.Annotations.summary | json }},\n"
		"      \"facts\": [\n"
		"        {{- range $j, $p := .Labels.SortedPairs }}{{ if $j }},{{ end }}\n"
		"        {\"name\": {{ .Name | json }}, \"value\": {{ $p.Value | json }}}\n"
		"        {{- end }}\n"
		"      ]\n"
		"    }\n"
		"    {{- end }}\n"
		"  ]\n"
		"}\n",
		"{\n"
		"  \"@type\": \"MessageCard\",\n"
		"  \"themeColor\": \"d63333\",\n"
		"  \"title\": \"FIRING\",\n"
		"  \"text\": \"UK\",\n"
		"  \"sections\": [\n"
		"    {\n"
		"      \"activityTitle\": \"Stock of \\\"P-001\\\" is 3\\n(caf\xc3\xa9)\",\n"
		"      \"facts\": [\n"
		"        {\"name\": \"alertname\", \"value\": \"low_stock\"},\n"
		"        {\"name\": \"country\", \"value\": \"UK\"},\n"
		"        {\"name\": \"kind\", \"value\": \"low_stock\"},\n"
		"        {\"name\": \"product_id\", \"value\": \"P-001\"},\n"
		"        {\"name\": \"severity\", \"value\": \"warning\"},\n"
		"        {\"name\": \"source\", \"value\": \"gm-inventory\"}\n"
		"      ]\n"
		"    },\n"
		"    {\n"
		"      \"activityTitle\": \"P-002 is back\",\n"
		"      \"facts\": [\n"
		"        {\"name\": \"alertname\", \"value\": \"out_of_stock\"},\n"
		"        {\"name\": \"country\", \"value\": \"UK\"},\n"
		"        {\"name\": \"kind\", \"value\": \"out_of_stock\"},\n"
		"        {\"name\": \"product_id\", \"value\": \"P-002\"},\n"
		"        {\"name\": \"severity\", \"value\": \"critical\"},\n"
		"        {\"name\": \"source\", \"value\": \"gm-inventory\"}\n"
		"      ]\n"
		"    }\n"
		"  ]\n"
		"}\n");
}
END_TEST

/* A plain text body, each alert on a line. */
START_TEST(plain_text)
{
	expect(
		"[{{ .Status | toUpper }}{{ if .Alerts.Firing }}:{{ len .Alerts.Firing }}{{ end }}] "
		"{{ .GroupLabels.Values | join \" \" }}\n"
		"{{ range .Alerts -}}\n"
		"{{ .Labels.severity | toUpper }} {{ .Labels.kind }}: {{ .Annotations.summary }} "
		"(alert {{ .Annotations.alert_id }})\n"
		"{{ end -}}\n"
		"{{ if .TruncatedAlerts }}and {{ .TruncatedAlerts }} more\n{{ end }}",
		"[FIRING:1] UK\n"
		"WARNING low_stock: Stock of \"P-001\" is 3\n(caf\xc3\xa9) (alert a1b2c3d4e5f60718)\n"
		"CRITICAL out_of_stock: P-002 is back (alert 0f1e2d3c4b5a6978)\n"
		"and 3 more\n");
}
END_TEST

static const struct { const char *text, *error; } refused[] = {
	{ "{{ .Foo }}", "1:4: the notification has no field \"Foo\"" },
	{ "a\n  {{ range .Alerts }}{{ .Labels.x.y }}{{ end }}",
	  "2:34: a string has no field \"y\"" },
	{ "{{ .Alerts }}", "1:4: a list of alerts cannot be written: range over it, or use len, join or json" },
	{ "{{ . }}", "1:4: the notification cannot be written: range over it, or use len, join or json" },
	{ "{{ .Labels }}", "1:4: the notification has no field \"Labels\"" },
	{ "{{ gt 1 2 }}", "1:4: no function \"gt\": there are len, toUpper, toLower, title, join and json" },
	{ "{{ printf \"%s\" .Status }}", "1:4: no function \"printf\": there are len, toUpper, toLower, title, join and json" },
	{ "{{ with .Alerts }}{{ end }}", "1:4: \"with\" is not supported (if, else, range and end are)" },
	{ "{{ template \"x\" . }}", "1:4: \"template\" is not supported (if, else, range and end are)" },
	{ "{{ $x := .Status }}", "1:4: no variable $x here: a range declares them, {{ range $i, $a := .Alerts }}" },
	{ "{{ range $a := .Alerts }}{{ else }}{{ $a.Status }}{{ end }}",
	  "1:39: no variable $a here: a range declares them, {{ range $i, $a := .Alerts }}" },
	{ "{{ range $a .Alerts }}{{ end }}", "1:10: expected \":=\" after the range's variables" },
	{ "{{ if (len .Alerts) }}{{ end }}", "1:7: parentheses are not supported" },
	{ "{{ if .Status }}x", "1:4: {{if}} has no {{end}}" },
	{ "{{ range .Alerts }}x{{ else }}y{{ else }}z{{ end }}",
	  "1:35: {{range}} has a second {{else}}" },
	{ "{{ range .Alerts }}{{ else if .Status }}{{ end }}", "1:28: {{else}} takes nothing" },
	{ "x{{ end }}", "1:5: {{end}} without an if or range" },
	{ "{{ else }}", "1:4: {{else}} without an if or range" },
	{ "{{ range .Status }}{{ end }}", "1:4: range over a string: only lists and maps" },
	{ "{{ .Status", "1:1: an action does not end: no \"}}\"" },
	{ "{{ }}", "1:4: an action with no value" },
	{ "{{ | len }}", "1:4: expected a value: ., $, $var, .Field or a string" },
	{ "{{ \"abc }}", "1:4: a string does not end" },
	{ "{{ \"\\q\" }}", "1:5: a string: unknown escape (known: \\a \\b \\f \\n \\r \\t \\v \\\\ \\\" \\xHH below 80, \\uHHHH)" },
	{ "{{ toUpper .Alerts }}", "1:4: toUpper does not take a list of alerts" },
	{ "{{ join .CommonLabels.Names \",\" }}",
	  "1:4: join: its first argument is the separator, a string, not a list of strings" },
	{ "{{ join \",\" .CommonLabels }}", "1:4: join does not take a map of labels" },
	{ "{{ len }}", "1:4: len takes 1 argument, not 0" },
	{ "{{ .Status | len .Alerts }}", "1:14: len takes 1 argument, not 2" },
	{ "{{ .Status | .Receiver }}", "1:14: after \"|\" comes a function" },
	{ "{{ .Status .Receiver }}", "1:12: a value is not a function: it takes no arguments" },
	{ "{{ .Status}}{{.Receiver-}}", "1:24: expected a blank between the parts of an action" },
	{ "{{ .CommonLabels.Remove }}", "1:17: Remove takes arguments, which are not supported" },
	{ "{{ 1 }}", "1:4: numbers are not supported" },
	{ "{{/* open", "1:1: a comment does not end" },
	{ "caf\xc3\xa9 {{ .X }}", "1:9: the notification has no field \"X\"" },
	{ "ok\xff", "1:3: not UTF-8 text" },
};

START_TEST(refuses)
{
	struct tmpl_error e;
	const char *text = refused[_i].text;
	struct tmpl *t = tmpl_parse(text, strlen(text), &e);
	ck_assert_msg(t == NULL, "%s: not refused", text);
	char got[400];
	snprintf(got, sizeof got, "%zu:%zu: %s", e.line, e.column, e.msg);
	ck_assert_msg(!strcmp(got, refused[_i].error), "%s\n got: %s\nwant: %s", text, got,
		refused[_i].error);
}
END_TEST

/* if and range nest up to 64 deep. */
START_TEST(depth)
{
	char text[2000] = "", *p = text;
	for (int i = 0; i < 65; i++)
		p += sprintf(p, "{{if .Status}}");
	struct tmpl_error e;
	ck_assert_ptr_null(tmpl_parse(text, strlen(text), &e));
	ck_assert_str_eq(e.msg, "more than 64 if and range inside one another");
	ck_assert_uint_eq(e.column, 64 * 14 + 3);
}
END_TEST

/* ---- in the configuration ---- */

/* The errors of conf_parse() of text, one a line, or "ok". */
static char *conf_errors(const char *text)
{
	static char all[4096];
	struct conf_errors errs = { 0 };
	struct conf *c = conf_parse("t.yml", text, strlen(text), &errs);
	size_t n = 0;
	all[0] = 0;
	for (size_t i = 0; i < errs.n; i++)
		n += (size_t)snprintf(all + n, sizeof all - n, "%s\n", errs.v[i]);
	if (c) {
		ck_assert_uint_eq(errs.n, 0);
		snprintf(all, sizeof all, "ok");
	}
	conf_free(c);
	conf_errors_free(&errs);
	return all;
}

#define HEAD "route: {receiver: a}\nreceivers:\n- name: a\n  webhook_configs:\n"

/* An error points into the template where it is in the file: in a
 * literal block, or a scalar on one line without escapes; elsewhere
 * at the scalar, with the template's own line and column. */
START_TEST(conf_places)
{
	ck_assert_str_eq(conf_errors(HEAD
		"  - url: http://127.0.0.1:9/\n"
		"    body_template: |\n"
		"      {\"text\": {{ .Status | json }},\n"
		"       \"n\": {{ len .Alerts.Foo }}}\n"
		"  - url: http://127.0.0.1:9/\n"
		"    body_template: 'x {{ gt }}'\n"
		"  - url: http://127.0.0.1:9/\n"
		"    body_template: \"\\ty {{ .Nope }}\"\n"
		"  - {url: 'http://127.0.0.1:9/', body_template: {{ .x }}}\n"),
		"t.yml:8:27: body_template: a list of alerts has no field \"Foo\"\n"
		"t.yml:10:26: body_template: no function \"gt\": there are len, toUpper, toLower, "
		"title, join and json\n"
		"t.yml:12:20: body_template: line 1, column 7 of the template: the notification has "
		"no field \"Nope\"\n"
		"t.yml:13:49: body_template: expected a string, got a mapping\n");
}
END_TEST

START_TEST(conf_keys)
{
	char path[256];
	int fd = gm_test_temp(path, sizeof path, "tmpl", false);
	const char *body = "{{ .Status }}\n{{ range .Alerts }}{{ .Labels.x.y }}{{ end }}\n";
	ck_assert_int_eq(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	close(fd);
	char text[2048], want[2048];
	snprintf(text, sizeof text, HEAD
		"  - url: http://127.0.0.1:9/\n"
		"    body_template_file: %s\n"
		"  - url: http://127.0.0.1:9/\n"
		"    body_template_file: /nonexistent/t.tmpl\n"
		"  - url: http://127.0.0.1:9/\n"
		"    body_template: x\n"
		"    body_template_file: y\n"
		"    content_type: \"text/plain\\r\\nX-Evil: 1\"\n"
		"  - {url: 'http://127.0.0.1:9/', content_type: plain}\n", path);
	snprintf(want, sizeof want,
		"%s:2:32: a string has no field \"y\"\n"
		"t.yml:8:25: body_template_file: /nonexistent/t.tmpl: No such file or directory\n"
		"t.yml:11:5: webhook_configs: body_template and body_template_file: one or the other, "
		"not both\n"
		"t.yml:12:19: content_type: \"text/plain\r\nX-Evil: 1\": expected a media type such "
		"as text/plain; charset=utf-8\n"
		"t.yml:13:48: content_type: \"plain\": expected a media type such as text/plain; "
		"charset=utf-8\n", path);
	ck_assert_str_eq(conf_errors(text), want);

	/* Good ones, as --check shows them. */
	snprintf(text, sizeof text, HEAD
		"  - url: http://127.0.0.1:9/\n"
		"    body_template_file: %s\n"
		"    content_type: text/plain; charset=utf-8\n"
		"  - url: http://127.0.0.1:9/\n"
		"    body_template: ''\n"
		"  - url: http://127.0.0.1:9/\n", path);
	body = "{{ .Status }}\n";
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_eq(write(fd, body, strlen(body)), (ssize_t)strlen(body));
	close(fd);
	struct conf_errors errs = { 0 };
	struct conf *c = conf_parse("t.yml", text, strlen(text), &errs);
	ck_assert_msg(c != NULL, "%s", errs.n ? errs.v[0] : "");
	char *shown = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&shown, &len);
	check_print(out, c);
	fclose(out);
	snprintf(want, sizeof want,
		"route receiver=a group_by=[] group_wait=30s group_interval=5m repeat_interval=4h\n"
		"receivers\n"
		"  a\n"
		"    webhook url=http://127.0.0.1:9/ max_alerts=0 send_resolved=true "
		"body_template=file:%s content_type=\"text/plain; charset=utf-8\"\n"
		"    webhook url=http://127.0.0.1:9/ max_alerts=0 send_resolved=true "
		"body_template=inline\n"
		"    webhook url=http://127.0.0.1:9/ max_alerts=0 send_resolved=true\n", path);
	ck_assert_str_eq(shown, want);
	free(shown);
	conf_free(c);
	unlink(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify_template");
	TCase *t = tcase_create("template");
	tcase_add_loop_test(t, writes, 0, sizeof cases / sizeof *cases);
	tcase_add_test(t, am_style);
	tcase_add_test(t, plain_text);
	tcase_add_loop_test(t, refuses, 0, sizeof refused / sizeof *refused);
	tcase_add_test(t, depth);
	tcase_add_test(t, conf_places);
	tcase_add_test(t, conf_keys);
	suite_add_tcase(s, t);
	return s;
}

GM_CHECK_MAIN(suite)

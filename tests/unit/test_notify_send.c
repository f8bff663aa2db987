/* gm-notify's senders without a server: the exact bytes each kind sends
 * for a fixed notification, the Message-ID, Retry-After, the SMS cut,
 * the file receiver, and the failures that come before any network. */
#include <stdio.h>
#include <string.h>

#include "check_util.h"
#include "notify_fixture.h"
#include "../../gm-notify/template.h"

static struct conf_email email = {
	.to = "ops@shop.test, On Call <oncall@shop.test>",
	.from = "gm-notify <alerts@shop.test>",
	.smarthost = "127.0.0.1:25", .require_tls = true,
};
static struct conf_slack slack = { .channel = "#stock", .username = "gm" };
static struct conf_webhook webhook = { .url = "http://127.0.0.1:1/hook" };
static struct conf_sms sms = {
	.url = "http://127.0.0.1:1/sms", .account_sid = "AC0123",
	.from = "+15550100", .to = "+15550199",
};

static struct conf_file file = { .path = "-" };

/* A receiver named as the fixture's, whose one config of kind k is
 * config (the test's), or the one above. */
static struct conf_receiver receiver(enum note_kind k, void *config)
{
	struct conf_receiver r = { .name = "stock.team" };
	switch (k) {
	case NOTE_EMAIL: r.email = config ? config : &email, r.nemail = 1; break;
	case NOTE_SLACK: r.slack = config ? config : &slack, r.nslack = 1; break;
	case NOTE_WEBHOOK: r.webhook = config ? config : &webhook, r.nwebhook = 1; break;
	case NOTE_SMS: r.sms = config ? config : &sms, r.nsms = 1; break;
	default: r.file = config ? config : &file, r.nfile = 1; break;
	}
	return r;
}

/* The fixture, to r's first config of kind k. */
static struct note to(const struct conf_receiver *r, enum note_kind k)
{
	struct note n = fixture;
	n.receiver = r;
	n.kind = k;
	return n;
}

/* Fails unless send_payload() gives want, byte for byte. */
static void expect_payload(const struct note *n, const struct send_options *o, const char *want)
{
	size_t len;
	char *got = send_payload(n, o, &len);
	ck_assert_uint_eq(len, strlen(got));
	ck_assert_str_eq(got, want);
	free(got);
}

#define MAIL_HEAD \
	"From: gm-notify <alerts@shop.test>\r\n" \
	"To: ops@shop.test, On Call <oncall@shop.test>\r\n" \
	"Subject: [FIRING:1, RESOLVED:1] P-001\r\n" \
	"Date: Tue, 24 Nov 2026 10:06:00 +0000\r\n" \
	"Message-ID: <9e88056f7d14d8ee.1044258a49392904@shop.test>\r\n"
#define MAIL_TAIL \
	"Auto-Submitted: auto-generated\r\n" \
	"MIME-Version: 1.0\r\n" \
	"Content-Type: text/plain; charset=utf-8\r\n" \
	"Content-Transfer-Encoding: 8bit\r\n" \
	"\r\n" \
	"2 alerts for product_id=P-001: 1 firing, 1 resolved.\r\n" \
	"\r\n" \
	"[FIRING] warning low_stock from gm-inventory at 2026-11-24T10:00:00.123Z\r\n" \
	"Stock of P-001 is 3, under 10 (caf\xc3\xa9 beans)\r\n" \
	"  alert_id: a1b2c3d4e5f60718\r\n" \
	"  labels: product_id=P-001, country=UK\r\n" \
	"  numbers: on_hand=3, reorder_point=10\r\n" \
	"\r\n" \
	"[RESOLVED] critical out_of_stock from gm-inventory at 2026-11-24T10:05:00.000Z" \
	" (firing since 2026-11-24T09:00:00.000Z)\r\n" \
	"P-001 is back in stock\r\n" \
	"  alert_id: 0f1e2d3c4b5a6978\r\n" \
	"  labels: product_id=P-001, country=UK\r\n" \
	"  numbers: on_hand=20\r\n"

START_TEST(email_bytes)
{
	struct conf_receiver r = receiver(NOTE_EMAIL, NULL);
	struct note n = to(&r, NOTE_EMAIL);
	expect_payload(&n, NULL, MAIL_HEAD MAIL_TAIL);
	struct send_options o = { .in_reply_to = "<first.one@shop.test>" };
	expect_payload(&n, &o, MAIL_HEAD
		"In-Reply-To: <first.one@shop.test>\r\n"
		"References: <first.one@shop.test>\r\n" MAIL_TAIL);
}
END_TEST

/* A Subject that is not ASCII goes in encoded words; a line break in a
 * configured address or a label cannot start a header; a body line
 * over 998 bytes is broken. */
START_TEST(email_headers_safe)
{
	struct conf_email e = email;
	e.from = "alerts@shop.test\r\nBcc: thief@evil.test";
	struct conf_receiver r = receiver(NOTE_EMAIL, &e);
	struct route_label g[] = { { "product_id", "caf\xc3\xa9\nBcc: x" } };
	char summary[1500];
	memset(summary, 'x', sizeof summary - 1);
	summary[sizeof summary - 1] = 0;
	struct note_alert a = fixture_alerts[0];
	a.summary = summary;
	a.nlabels = 0;
	a.nnumbers = 0;
	struct note n = to(&r, NOTE_EMAIL);
	n.group_labels = (struct route_labels){ g, 1 };
	n.alerts = &a;
	n.nalerts = 1;
	size_t len;
	char *m = send_payload(&n, NULL, &len);
	ck_assert_msg(strstr(m, "From: alerts@shop.test  Bcc: thief@evil.test\r\n") != NULL, "%s", m);
	/* In the headers, no line starts with Bcc; in the body, the label's
	 * line break is a line break. */
	char *body = strstr(m, "\r\n\r\n");
	ck_assert_ptr_nonnull(body);
	ck_assert_ptr_null(memmem(m, (size_t)(body - m), "\nBcc", 4));
	ck_assert_msg(strstr(body, "\r\n1 alert for product_id=caf\xc3\xa9\r\nBcc: x: 1 firing, 0 resolved.\r\n")
		!= NULL, "%s", body);
	/* "[FIRING:1] café Bcc: x" in base64 */
	ck_assert_msg(strstr(m, "Subject: =?UTF-8?B?W0ZJUklORzoxXSBjYWbDqSBCY2M6IHg=?=\r\n") != NULL, "%s", m);
	for (char *line = body + 4, *end; *line; line = end + 2) {
		end = strstr(line, "\r\n");
		ck_assert_ptr_nonnull(end);
		ck_assert_uint_le((size_t)(end - line), 998);
	}
	ck_assert_ptr_nonnull(strstr(body, "\r\nxxx"));
	free(m);
}
END_TEST

START_TEST(email_subject_folded)
{
	/* 40 two-byte characters after 23 bytes of ASCII: words of at most
	 * 45 bytes, each character whole: 23 + 11 x 2, 22 x 2, 7 x 2. */
	char value[81] = { 0 };
	for (int i = 0; i < 40; i++)
		memcpy(value + 2 * i, "\xc3\xa9", 2);
	struct route_label g[] = { { "product_id", value } };
	struct conf_receiver r = receiver(NOTE_EMAIL, NULL);
	struct note n = to(&r, NOTE_EMAIL);
	n.group_labels = (struct route_labels){ g, 1 };
	size_t len;
	char *m = send_payload(&n, NULL, &len);
	const char *s = strstr(m, "Subject: ");
	ck_assert_ptr_nonnull(s);
	const char *end = strstr(s, "\r\nDate:");
	ck_assert_ptr_nonnull(end);
	char *subject = strndup(s, (size_t)(end - s));
	ck_assert_str_eq(subject,
		"Subject: =?UTF-8?B?W0ZJUklORzoxLCBSRVNPTFZFRDoxXSDDqcOpw6nDqcOpw6nDqcOpw6nDqcOp?=\r\n"
		" =?UTF-8?B?w6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6nDqcOpw6k=?=\r\n"
		" =?UTF-8?B?w6nDqcOpw6nDqcOpw6k=?=");
	free(subject);
	free(m);
}
END_TEST

START_TEST(message_id)
{
	char a[SEND_MESSAGE_ID_LEN], b[SEND_MESSAGE_ID_LEN];
	struct conf_receiver r = receiver(NOTE_EMAIL, NULL);
	const struct note f = to(&r, NOTE_EMAIL);
	ck_assert_str_eq(send_message_id(&f, "gm-notify <alerts@shop.test>", a),
		"<9e88056f7d14d8ee.1044258a49392904@shop.test>");
	/* The same notification again: the same id. */
	ck_assert_str_eq(send_message_id(&f, "alerts@shop.test", b), a);
	/* The group's next mail, another incident, another group: another. */
	struct note n = f;
	n.seq++;
	ck_assert_str_ne(send_message_id(&n, "alerts@shop.test", b), a);
	n = f;
	n.incident++;
	ck_assert_str_ne(send_message_id(&n, "alerts@shop.test", b), a);
	/* The group's next mail answers its first, in one thread. */
	n = f;
	n.seq = 2;
	size_t len;
	char *mail = send_payload(&n, NULL, &len);
	char want[2 * SEND_MESSAGE_ID_LEN + 64];
	snprintf(want, sizeof want, "\r\nIn-Reply-To: %s\r\nReferences: %s\r\n", a, a);
	ck_assert_msg(strstr(mail, want) != NULL, "no %s in %s", want, mail);
	free(mail);
	/* Outside an incident (seq 0): from its time and alerts. */
	n = f;
	n.seq = 0;
	send_message_id(&n, "alerts@shop.test", a);
	n.at++;
	ck_assert_str_ne(send_message_id(&n, "alerts@shop.test", b), a);
	n.at--;
	struct note_alert al[2] = { fixture_alerts[0], fixture_alerts[1] };
	al[1].resolved = false;
	al[1].fired_id = NULL;
	al[1].started = al[1].ts;
	n.alerts = al;
	n.nfiring = 2;
	ck_assert_str_ne(send_message_id(&n, "alerts@shop.test", b), a);
	send_message_id(&f, "alerts@shop.test", a);
	n = f;
	n.group_key = "{}:{}";
	send_message_id(&n, "alerts@shop.test", b);
	ck_assert_int_ne(strncmp(a, b, 17), 0);
	/* A from with no domain. */
	ck_assert_str_eq(send_message_id(&f, "root", b),
		"<9e88056f7d14d8ee.1044258a49392904@gm-notify.invalid>");
}
END_TEST

START_TEST(slack_bytes)
{
	struct conf_receiver r = receiver(NOTE_SLACK, NULL);
	struct note n = to(&r, NOTE_SLACK);
	expect_payload(&n, NULL,
		"{\"channel\":\"#stock\",\"username\":\"gm\",\"text\":\"*[FIRING:1, RESOLVED:1] P-001*\\n"
		":warning: *warning* low_stock: Stock of P-001 is 3, under 10 (caf\xc3\xa9 beans)"
		" (on_hand=3, reorder_point=10)\\n"
		":white_check_mark: *resolved* out_of_stock: P-001 is back in stock (on_hand=20)\"}\n");
	/* No channel nor username: the webhook's own; mrkdwn's &<> escaped. */
	struct conf_slack bare = { 0 };
	r = receiver(NOTE_SLACK, &bare);
	struct note_alert a = fixture_alerts[1];
	a.summary = "<b> & co";
	a.nnumbers = 0;
	n.alerts = &a;
	n.nalerts = 1;
	n.nfiring = 0;
	expect_payload(&n, NULL,
		"{\"text\":\"*[RESOLVED] P-001*\\n:white_check_mark: *resolved* out_of_stock: &lt;b&gt; &amp; co\"}\n");
}
END_TEST

#define WEBHOOK_FIRST \
	"{\"status\":\"firing\",\"labels\":{\"alertname\":\"low_stock\",\"country\":\"UK\"," \
	"\"kind\":\"low_stock\",\"product_id\":\"P-001\",\"severity\":\"warning\",\"source\":\"gm-inventory\"}," \
	"\"annotations\":{\"alert_id\":\"a1b2c3d4e5f60718\",\"on_hand\":\"3\",\"reorder_point\":\"10\"," \
	"\"summary\":\"Stock of P-001 is 3, under 10 (caf\xc3\xa9 beans)\"}," \
	"\"startsAt\":\"2026-11-24T10:00:00.123Z\",\"endsAt\":\"0001-01-01T00:00:00Z\"," \
	"\"generatorURL\":\"\",\"fingerprint\":\"2de9dc9cc14acaf6\"}"
#define WEBHOOK_SECOND \
	"{\"status\":\"resolved\",\"labels\":{\"alertname\":\"out_of_stock\",\"country\":\"UK\"," \
	"\"kind\":\"out_of_stock\",\"product_id\":\"P-001\",\"severity\":\"critical\",\"source\":\"gm-inventory\"}," \
	"\"annotations\":{\"alert_id\":\"0f1e2d3c4b5a6978\",\"on_hand\":\"20\",\"summary\":\"P-001 is back in stock\"}," \
	"\"startsAt\":\"2026-11-24T09:00:00Z\",\"endsAt\":\"2026-11-24T10:05:00Z\"," \
	"\"generatorURL\":\"\",\"fingerprint\":\"0edcd3a2f83b0865\"}"
#define WEBHOOK_TAIL \
	"\"externalURL\":\"\",\"version\":\"4\"," \
	"\"groupKey\":\"{}/{kind=~\\\"low_stock|out_of_stock\\\"}:{product_id=\\\"P-001\\\"}\","
#define WEBHOOK_ALL \
	"{\"receiver\":\"stock\\\\.team\",\"status\":\"firing\",\"alerts\":[" \
	WEBHOOK_FIRST "," WEBHOOK_SECOND "]," \
	"\"groupLabels\":{\"product_id\":\"P-001\"}," \
	"\"commonLabels\":{\"country\":\"UK\",\"product_id\":\"P-001\",\"source\":\"gm-inventory\"}," \
	"\"commonAnnotations\":{}," WEBHOOK_TAIL "\"truncatedAlerts\":0}\n"

/* Alertmanager's payload: its fields in its order, maps sorted, the
 * receiver as regexp.QuoteMeta() leaves it, Prometheus's fingerprints
 * (FNV-1a of the label set), firing alerts ending at Go's zero time;
 * common labels and annotations, the status and truncatedAlerts over
 * the alerts sent when max_alerts cuts. */
START_TEST(webhook_bytes)
{
	struct conf_receiver r = receiver(NOTE_WEBHOOK, NULL);
	struct note n = to(&r, NOTE_WEBHOOK);
	expect_payload(&n, NULL, WEBHOOK_ALL);
	struct conf_webhook one = webhook;
	one.max_alerts = 1;
	r = receiver(NOTE_WEBHOOK, &one);
	expect_payload(&n, NULL,
		"{\"receiver\":\"stock\\\\.team\",\"status\":\"firing\",\"alerts\":[" WEBHOOK_FIRST "],"
		"\"groupLabels\":{\"product_id\":\"P-001\"},"
		"\"commonLabels\":{\"alertname\":\"low_stock\",\"country\":\"UK\",\"kind\":\"low_stock\","
		"\"product_id\":\"P-001\",\"severity\":\"warning\",\"source\":\"gm-inventory\"},"
		"\"commonAnnotations\":{\"alert_id\":\"a1b2c3d4e5f60718\",\"on_hand\":\"3\",\"reorder_point\":\"10\","
		"\"summary\":\"Stock of P-001 is 3, under 10 (caf\xc3\xa9 beans)\"}," WEBHOOK_TAIL
		"\"truncatedAlerts\":1}\n");
	/* The file receiver writes the whole payload as its line. */
	r = receiver(NOTE_FILE, NULL);
	n = to(&r, NOTE_FILE);
	expect_payload(&n, NULL, WEBHOOK_ALL);
}
END_TEST

/* A label named as an alert field yields to the field; one named
 * alertname stays; a number named as an annotation yields to it. */
START_TEST(webhook_names_clash)
{
	struct route_label l[] = { { "severity", "low" }, { "alertname", "Stock" } };
	struct route_label num[] = { { "summary", "1" }, { "x", "null" } };
	struct note_alert a = fixture_alerts[0];
	a.labels = l;
	a.nlabels = 2;
	a.numbers = num;
	a.nnumbers = 2;
	a.ts = a.started = 1795514400000;
	struct conf_receiver r = receiver(NOTE_WEBHOOK, NULL);
	r.name = "r";
	struct note n = { .receiver = &r, .kind = NOTE_WEBHOOK, .group_key = "{}:{}", .alerts = &a,
		.nalerts = 1, .nfiring = 1, .at = 1 };
	size_t len;
	char *p = send_payload(&n, NULL, &len);
	ck_assert_msg(strstr(p, "\"labels\":{\"alertname\":\"Stock\",\"kind\":\"low_stock\","
		"\"severity\":\"warning\",\"source\":\"gm-inventory\"},") != NULL, "%s", p);
	ck_assert_msg(strstr(p, "\"annotations\":{\"alert_id\":\"a1b2c3d4e5f60718\","
		"\"summary\":\"Stock of P-001 is 3, under 10 (caf\xc3\xa9 beans)\",\"x\":\"null\"},"
		"\"startsAt\":\"2026-11-24T10:00:00Z\"") != NULL, "%s", p);
	ck_assert_msg(strstr(p, "\"groupLabels\":{},") != NULL, "%s", p);
	free(p);
}
END_TEST

/* A webhook with a body template: what it writes over the payload's
 * data (the same values: receiver, fingerprints, times, common labels,
 * max_alerts' cut), sent as its content_type; without one, JSON. */
START_TEST(webhook_template)
{
	static const char text[] =
		"{{ .Receiver }} {{ .Status }} {{ len .Alerts }}+{{ .TruncatedAlerts }} "
		"{{ .GroupLabels.product_id }} [{{ join \",\" .CommonLabels.Names }}]\n"
		"{{ range .Alerts }}{{ .Status }} {{ .Labels.alertname }} {{ .Annotations.alert_id }} "
		"{{ .Annotations.on_hand }} {{ .StartsAt }} {{ .EndsAt }} {{ .Fingerprint }} "
		"{{ .Annotations.summary | json }}\n{{ end }}";
	struct tmpl_error e;
	struct conf_webhook w = webhook;
	w.body_template = tmpl_parse(text, strlen(text), &e);
	ck_assert_ptr_nonnull(w.body_template);
	w.content_type = "text/plain; charset=utf-8";
	struct conf_receiver r = receiver(NOTE_WEBHOOK, &w);
	struct note n = to(&r, NOTE_WEBHOOK);
	expect_payload(&n, NULL,
		"stock\\.team firing 2+0 P-001 [country,product_id,source]\n"
		"firing low_stock a1b2c3d4e5f60718 3 2026-11-24T10:00:00.123Z 0001-01-01T00:00:00Z "
		"2de9dc9cc14acaf6 \"Stock of P-001 is 3, under 10 (caf\xc3\xa9 beans)\"\n"
		"resolved out_of_stock 0f1e2d3c4b5a6978 20 2026-11-24T09:00:00Z 2026-11-24T10:05:00Z "
		"0edcd3a2f83b0865 \"P-001 is back in stock\"\n");
	ck_assert_str_eq(send_content_type(&n), "text/plain; charset=utf-8");
	w.max_alerts = 1;
	expect_payload(&n, NULL,
		"stock\\.team firing 1+1 P-001 [alertname,country,kind,product_id,severity,source]\n"
		"firing low_stock a1b2c3d4e5f60718 3 2026-11-24T10:00:00.123Z 0001-01-01T00:00:00Z "
		"2de9dc9cc14acaf6 \"Stock of P-001 is 3, under 10 (caf\xc3\xa9 beans)\"\n");
	tmpl_free(w.body_template);
	n = to(&(struct conf_receiver){ .name = "x", .webhook = &webhook, .nwebhook = 1 }, NOTE_WEBHOOK);
	ck_assert_str_eq(send_content_type(&n), "application/json");
}
END_TEST

START_TEST(sms_bytes)
{
	struct conf_receiver r = receiver(NOTE_SMS, NULL);
	struct note n = to(&r, NOTE_SMS);
	expect_payload(&n, NULL,
		"To=%2B15550199&From=%2B15550100&Body=%5BFIRING%3A1%2C%20RESOLVED%3A1%5D%20P-001%0A"
		"WARNING%20low_stock%3A%20Stock%20of%20P-001%20is%203%2C%20under%2010%20%28caf%C3%A9%20beans%29%0A"
		"RESOLVED%20out_of_stock%3A%20P-001%20is%20back%20in%20stock");
}
END_TEST

/* A notification of n alerts, each of kind "k" and summary s. */
static struct note many(struct note_alert *v, size_t n, const char *s)
{
	static const struct conf_receiver r = { .name = "r", .sms = &sms, .nsms = 1 };
	for (size_t i = 0; i < n; i++)
		v[i] = (struct note_alert){ .alert_id = "x", .kind = "k", .severity = "info",
			.source = "t", .summary = s };
	return (struct note){ .receiver = &r, .kind = NOTE_SMS, .group_key = "{}:{}", .alerts = v,
		.nalerts = n, .nfiring = n };
}

static void expect_sms(const struct note *n, size_t limit, const char *want)
{
	char *got = send_sms_body(n, limit);
	ck_assert_str_eq(got, want);
	free(got);
}

/* Whole alerts while they fit with room for "+N more"; the first one
 * cut when even it does not; characters counted, not bytes. */
START_TEST(sms_cut)
{
	struct note_alert v[200];
	struct note n = many(v, 3, "abcdef");
	/* "[FIRING:3] k" is 12 characters, each line "\nINFO k: abcdef" 15,
	 * "\n+2 more" 8. */
	expect_sms(&n, 57, "[FIRING:3] k\nINFO k: abcdef\nINFO k: abcdef\nINFO k: abcdef");
	expect_sms(&n, 56, "[FIRING:3] k\nINFO k: abcdef\nINFO k: abcdef\n+1 more");
	expect_sms(&n, 49, "[FIRING:3] k\nINFO k: abcdef\n+2 more");
	/* Not even the first whole: it is cut, to its "..." */
	expect_sms(&n, 33, "[FIRING:3] k\nINFO k: a...\n+2 more");
	expect_sms(&n, 24, "[FIRING:3] k\n+3 more");
	/* Multi-byte characters count one each. */
	n = many(v, 2, "\xc3\xa9\xc3\xa9\xc3\xa9");
	expect_sms(&n, 36, "[FIRING:2] k\nINFO k: \xc3\xa9\xc3\xa9\xc3\xa9\nINFO k: \xc3\xa9\xc3\xa9\xc3\xa9");
	expect_sms(&n, 35, "[FIRING:2] k\nINFO k: \xc3\xa9\xc3\xa9\xc3\xa9\n+1 more");
	/* 200 alerts at Twilio's limit: a title of 14, 105 lines make 1589,
	 * and "\n+95 more" 1598; a 106th line would make 1613. */
	n = many(v, 200, "abcdef");
	char *body = send_sms_body(&n, SEND_SMS_LIMIT);
	char want[1700] = "[FIRING:200] k";
	for (int i = 0; i < 105; i++)
		strcat(want, "\nINFO k: abcdef");
	strcat(want, "\n+95 more");
	ck_assert_str_eq(body, want);
	ck_assert_uint_eq(strlen(body), 1598);
	free(body);
}
END_TEST

static const struct { const char *value; long long ms; } retry_after_ok[] = {
	{ "0", 0 },
	{ "2", 2000 },
	{ "120", 120000 },
	/* now is 1994-11-06T08:49:27Z, ten seconds before the date */
	{ "Sun, 06 Nov 1994 08:49:37 GMT", 10000 },
	{ "Sunday, 06-Nov-94 08:49:37 GMT", 10000 },
	{ "Sun Nov  6 08:49:37 1994", 10000 },
	{ "Sun, 06 Nov 1994 09:49:27 GMT", 3600000 },
	/* a date past: no wait */
	{ "Sun, 06 Nov 1994 08:49:00 GMT", 0 },
};

START_TEST(retry_after)
{
	int64_t now = 784111767000;
	long long ms = -1;
	ck_assert_msg(send_parse_retry_after(retry_after_ok[_i].value, now, &ms), "%s",
		retry_after_ok[_i].value);
	ck_assert_int_eq(ms, retry_after_ok[_i].ms);
}
END_TEST

START_TEST(retry_after_bad)
{
	static const char *const bad[] = {
		"", "1.5", "-1", " 2", "2 ", "soon", "Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT x",
	};
	long long ms;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!send_parse_retry_after(bad[i], 0, &ms), "[%s] taken", bad[i]);
}
END_TEST

/* The file receiver appends its line; a path it cannot open is FAIL,
 * naming the receiver. */
START_TEST(file_receiver)
{
	char path[256];
	close(gm_test_temp(path, sizeof path, "notify-file", false));
	struct conf_file files[] = { { .path = path }, { .path = "/nonexistent/dir/notifications" } };
	struct conf_receiver rcv = { .name = "stock.team", .file = files, .nfile = 2 };
	struct note note = to(&rcv, NOTE_FILE);
	struct send_result r;
	send_notification(&note, NULL, &r);
	ck_assert_int_eq(r.status, SEND_OK);
	send_notification(&note, NULL, &r);
	ck_assert_int_eq(r.status, SEND_OK);
	FILE *f = fopen(path, "r");
	char got[8192];
	size_t n = fread(got, 1, sizeof got - 1, f);
	got[n] = 0;
	fclose(f);
	ck_assert_str_eq(got, WEBHOOK_ALL WEBHOOK_ALL);
	unlink(path);
	note.index = 1;
	send_notification(&note, NULL, &r);
	ck_assert_int_eq(r.status, SEND_FAIL);
	ck_assert_str_eq(r.why, "receiver \"stock.team\" file 2: /nonexistent/dir/notifications: "
		"No such file or directory");
}
END_TEST

/* A secret that is not there fails before anything is sent, naming the
 * receiver and where the secret should be, nothing of what it holds. */
START_TEST(secret_missing)
{
	struct send_result r;
	unsetenv(CONF_ENV_SLACK_URL);
	struct conf_slack s = { .api_url = { .env = CONF_ENV_SLACK_URL } };
	struct conf_receiver rcv = receiver(NOTE_SLACK, &s);
	struct note n = to(&rcv, NOTE_SLACK);
	send_notification(&n, NULL, &r);
	ck_assert_int_eq(r.status, SEND_FAIL);
	ck_assert_str_eq(r.why, "receiver \"stock.team\" slack 1: api_url: GM_SLACK_API_URL is not set");

	char path[256];
	int fd = gm_test_temp(path, sizeof path, "notify-secret", false);
	ck_assert_int_eq(write(fd, "\n\n", 2), 2);
	close(fd);
	struct conf_sms m = sms;
	m.auth_token = (struct conf_secret){ .file = path, .env = CONF_ENV_SMS_TOKEN };
	rcv = receiver(NOTE_SMS, &m);
	n = to(&rcv, NOTE_SMS);
	send_notification(&n, NULL, &r);
	ck_assert_int_eq(r.status, SEND_FAIL);
	char want[512];
	snprintf(want, sizeof want, "receiver \"stock.team\" sms 1: auth_token %s: empty", path);
	ck_assert_str_eq(r.why, want);
	unlink(path);
	send_notification(&n, NULL, &r);
	ck_assert_int_eq(r.status, SEND_FAIL);
	snprintf(want, sizeof want, "receiver \"stock.team\" sms 1: auth_token %s: No such file or directory", path);
	ck_assert_str_eq(r.why, want);

	struct conf_webhook w = { .url_file = "/nonexistent/url" };
	rcv = receiver(NOTE_WEBHOOK, &w);
	n = to(&rcv, NOTE_WEBHOOK);
	send_notification(&n, NULL, &r);
	ck_assert_int_eq(r.status, SEND_FAIL);
	ck_assert_str_eq(r.why, "receiver \"stock.team\" webhook 1: url_file /nonexistent/url: "
		"No such file or directory");
}
END_TEST

/* A URL libcurl cannot take is FAIL, and its message holds no URL. */
START_TEST(bad_address)
{
	struct conf_webhook w = { .url = "htp://secret-token@x/" };
	struct conf_receiver rcv = receiver(NOTE_WEBHOOK, &w);
	struct note n = to(&rcv, NOTE_WEBHOOK);
	struct send_result r;
	send_notification(&n, NULL, &r);
	ck_assert_int_eq(r.status, SEND_FAIL);
	ck_assert_ptr_null(strstr(r.why, "secret"));
	ck_assert_msg(!strncmp(r.why, "receiver \"stock.team\" webhook 1: ", 33), "%s", r.why);
	struct conf_email e = email;
	e.to = " , ";
	rcv = receiver(NOTE_EMAIL, &e);
	n = to(&rcv, NOTE_EMAIL);
	send_notification(&n, NULL, &r);
	ck_assert_int_eq(r.status, SEND_FAIL);
	ck_assert_str_eq(r.why, "receiver \"stock.team\" email 1: no address in \"to\"");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("notify_send");
	TCase *t = tcase_create("send");
	tcase_add_test(t, email_bytes);
	tcase_add_test(t, email_headers_safe);
	tcase_add_test(t, email_subject_folded);
	tcase_add_test(t, message_id);
	tcase_add_test(t, slack_bytes);
	tcase_add_test(t, webhook_bytes);
	tcase_add_test(t, webhook_names_clash);
	tcase_add_test(t, webhook_template);
	tcase_add_test(t, sms_bytes);
	tcase_add_test(t, sms_cut);
	tcase_add_loop_test(t, retry_after, 0, sizeof retry_after_ok / sizeof *retry_after_ok);
	tcase_add_test(t, retry_after_bad);
	tcase_add_test(t, file_receiver);
	tcase_add_test(t, secret_missing);
	tcase_add_test(t, bad_address);
	suite_add_tcase(s, t);
	return s;
}

GM_CHECK_MAIN(suite)

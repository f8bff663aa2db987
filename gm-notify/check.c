/* check: the configuration as `gm-notify --check` prints it, as amtool
 * check-config does: the routing tree with each route's options in
 * effect, the receivers (where each secret comes from, never what it
 * is; an inline URL without its query; gm's delivery settings where
 * they are not the defaults, and a rate limit whenever there is one),
 * the inhibit rules. */
#include "check.h"

#include <stdlib.h>
#include <string.h>

/* s in double quotes, with \" \\ \n. */
static void put_quoted(FILE *out, const char *s)
{
	putc('"', out);
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			putc('\\', out);
		if (*p == '\n')
			fputs("\\n", out);
		else
			putc(*p, out);
	}
	putc('"', out);
}

/* A word as it is, or quoted when it holds anything but letters,
 * digits and _ . : @ / + # - (or is empty). */
static void put_word(FILE *out, const char *s)
{
	bool bare = *s != 0;
	for (const char *p = s; *p && bare; p++)
		bare = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			(*p >= '0' && *p <= '9') || strchr("_.:@/+#-", *p);
	if (bare)
		fputs(s, out);
	else
		put_quoted(out, s);
}

static void put_matchers(FILE *out, const struct conf_matchers *ms)
{
	static const char *const ops[] = { "=", "!=", "=~", "!~" };
	putc('{', out);
	for (size_t i = 0; i < ms->n; i++) {
		fprintf(out, "%s%s%s", i ? ", " : "", ms->v[i].name, ops[ms->v[i].op]);
		put_quoted(out, ms->v[i].value);
	}
	putc('}', out);
}

static void put_labels(FILE *out, char **v, size_t n, bool all)
{
	putc('[', out);
	if (all)
		fputs("...", out);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputs(", ", out);
		put_word(out, v[i]);
	}
	putc(']', out);
}

static void put_route(FILE *out, const struct conf_route *r, int depth)
{
	char a[CONF_DURATION_LEN], b[CONF_DURATION_LEN], c[CONF_DURATION_LEN];
	if (depth == 0)
		fputs("route", out);
	else {
		fprintf(out, "%*s", 2 * depth, "");
		put_matchers(out, &r->matchers);
	}
	fputs(" receiver=", out);
	put_word(out, r->receiver);
	fputs(" group_by=", out);
	put_labels(out, r->group_by, r->ngroup_by, r->group_by_all);
	fprintf(out, " group_wait=%s group_interval=%s repeat_interval=%s%s\n",
		conf_format_duration(r->group_wait, a), conf_format_duration(r->group_interval, b),
		conf_format_duration(r->repeat_interval, c), r->cont ? " continue" : "");
	for (size_t i = 0; i < r->nroutes; i++)
		put_route(out, &r->routes[i], depth + 1);
}

/* Where a secret is, never what. */
static void put_secret(FILE *out, const char *key, const struct conf_secret *s)
{
	fprintf(out, " %s=", key);
	if (s->file) {
		fputs("file:", out);
		put_word(out, s->file);
	} else
		fprintf(out, "env:%s", s->env);
}

static void put_option(FILE *out, const char *key, const char *value)
{
	if (!value)
		return;
	fprintf(out, " %s=", key);
	put_word(out, value);
}

/* An inline URL with its query (where tokens go) left out. */
static void put_url(FILE *out, const char *url)
{
	size_t keep = strcspn(url, "?#");
	char *shown = strndup(url, keep);
	put_option(out, "url", shown ? shown : "");
	if (url[keep])
		fputs("?...", out);
	free(shown);
}

/* A rate with the fewest significant digits that read back as it, and
 * never fewer than its whole part has, so that 1000000 is not 1e+06
 * (17 digits always read back). */
static void put_rate(FILE *out, double v)
{
	char buf[32];
	int digits = 1;
	for (double t = v; t >= 10; t /= 10)
		digits++;
	for (;; digits++) {
		snprintf(buf, sizeof buf, "%.*g", digits, v);
		if (digits >= 17 || strtod(buf, NULL) == v)
			break;
	}
	fprintf(out, " rate=%s", buf);
}

static void put_receiver(FILE *out, const struct conf_receiver *r)
{
	char d[CONF_DURATION_LEN];
	fputs("  ", out);
	put_word(out, r->name);
	if (r->retry_for >= 0)
		fprintf(out, " retry_for=%s", conf_format_duration(r->retry_for, d));
	put_option(out, "fallback", r->fallback);
	if (r->rate > 0) {
		put_rate(out, r->rate);
		fprintf(out, " burst=%u", r->burst);
	}
	putc('\n', out);
	for (size_t i = 0; i < r->nemail; i++) {
		const struct conf_email *e = &r->email[i];
		fputs("    email", out);
		put_option(out, "to", e->to);
		put_option(out, "from", e->from);
		put_option(out, "smarthost", e->smarthost);
		put_option(out, "auth_username", e->auth_username);
		if (e->auth_username)
			put_secret(out, "auth_password", &e->auth_password);
		fprintf(out, " require_tls=%s send_resolved=%s\n", e->require_tls ? "true" : "false",
			e->send_resolved ? "true" : "false");
	}
	for (size_t i = 0; i < r->nslack; i++) {
		const struct conf_slack *s = &r->slack[i];
		fputs("    slack", out);
		put_secret(out, "api_url", &s->api_url);
		put_option(out, "channel", s->channel);
		put_option(out, "username", s->username);
		fprintf(out, " send_resolved=%s\n", s->send_resolved ? "true" : "false");
	}
	for (size_t i = 0; i < r->nwebhook; i++) {
		const struct conf_webhook *w = &r->webhook[i];
		fputs("    webhook", out);
		if (w->url)
			put_url(out, w->url);
		else
			put_secret(out, "url", &(struct conf_secret){ .file = w->url_file });
		fprintf(out, " max_alerts=%u send_resolved=%s", w->max_alerts,
			w->send_resolved ? "true" : "false");
		/* A body template only where there is one, and where it is. */
		if (w->body_template_file) {
			fputs(" body_template=file:", out);
			put_word(out, w->body_template_file);
		} else if (w->body_template)
			fputs(" body_template=inline", out);
		put_option(out, "content_type", w->content_type);
		putc('\n', out);
	}
	for (size_t i = 0; i < r->nsms; i++) {
		const struct conf_sms *s = &r->sms[i];
		fputs("    sms", out);
		put_url(out, s->url);
		put_option(out, "account_sid", s->account_sid);
		put_secret(out, "auth_token", &s->auth_token);
		put_option(out, "from", s->from);
		put_option(out, "to", s->to);
		fprintf(out, " send_resolved=%s\n", s->send_resolved ? "true" : "false");
	}
	for (size_t i = 0; i < r->nfile; i++) {
		fputs("    file", out);
		put_option(out, "path", r->file[i].path);
		fprintf(out, " send_resolved=%s\n", r->file[i].send_resolved ? "true" : "false");
	}
}

void check_print(FILE *out, const struct conf *c)
{
	put_route(out, &c->route, 0);
	fputs("receivers\n", out);
	for (size_t i = 0; i < c->nreceivers; i++)
		put_receiver(out, &c->receivers[i]);
	if (c->ninhibit)
		fputs("inhibit_rules\n", out);
	for (size_t i = 0; i < c->ninhibit; i++) {
		const struct conf_inhibit *r = &c->inhibit[i];
		fputs("  source ", out);
		put_matchers(out, &r->source);
		fputs(" target ", out);
		put_matchers(out, &r->target);
		fputs(" equal ", out);
		put_labels(out, r->equal, r->nequal, false);
		putc('\n', out);
	}
}


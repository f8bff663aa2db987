/* conf: gm-notify's configuration, the subset of Alertmanager's YAML
 * that gm-notify.conf(5) lists (global, route, receivers with their
 * email, Slack, webhook and gm's SMS configs, inhibit_rules), loaded
 * with libyaml into the structures below, defaults and inheritance
 * applied. Anything outside the subset is an error at its file:line:
 * column, never ignored, and every error of a file is reported. */
#ifndef GM_NOTIFY_CONF_H
#define GM_NOTIFY_CONF_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

/* Every string is the structure's own copy, but a route's receiver and
 * a receiver's fallback, each the name of the receiver it points to. */

/* Where a secret comes from: the file named in the configuration, or,
 * when none is, the environment variable env (always set). The secret
 * itself is never in the configuration, never read by the loader. */
struct conf_secret {
	char *file;
	const char *env;
};

/* The environment variables secrets come from when no file is named. */
#define CONF_ENV_SMTP_PASSWORD "GM_SMTP_AUTH_PASSWORD"
#define CONF_ENV_SLACK_URL "GM_SLACK_API_URL"
#define CONF_ENV_SMS_TOKEN "GM_SMS_AUTH_TOKEN"

enum conf_op { CONF_EQ, CONF_NE, CONF_RE, CONF_NRE };  /* = != =~ !~ */

/* One label matcher. A regex (=~, !~) is POSIX extended, anchored at
 * both ends as Alertmanager anchors its own: re is ^(value)$. */
struct conf_matcher {
	char *name;
	enum conf_op op;
	char *value;
	regex_t re;           /* compiled for =~ and !~ only */
	bool literals;        /* a regex of literal words between |s ("a|b"):
	                         what re matches is one of them, compared */
};

struct conf_matchers {
	struct conf_matcher *v;
	size_t n;
};

/* A node of the routing tree, its options as in effect: those it does
 * not set are its parent's (the root's defaults: group_wait 30s,
 * group_interval 5m, repeat_interval 4h, group_by none). Durations are
 * in milliseconds. */
struct conf_route {
	const char *receiver;     /* a name of conf.receivers */
	size_t receiver_index;    /* its index there */
	char **group_by;          /* label names; none with group_by_all */
	size_t ngroup_by;
	bool group_by_all;        /* group_by: ['...'] */
	long long group_wait, group_interval, repeat_interval;
	struct conf_matchers matchers;  /* matchers, match and match_re */
	bool cont;                /* continue */
	struct conf_route *routes;      /* children, in order */
	size_t nroutes;
};

struct conf_email {
	bool send_resolved;       /* default false */
	char *to;
	char *from;               /* own or global smtp_from */
	char *smarthost;          /* own or global smtp_smarthost, host:port */
	char *auth_username;      /* own or global; NULL: no authentication */
	struct conf_secret auth_password;  /* own, global, or the environment */
	bool require_tls;         /* own or global smtp_require_tls (true) */
};

struct conf_slack {
	bool send_resolved;       /* default false */
	struct conf_secret api_url;  /* own, global, or the environment */
	char *channel;            /* NULL: the webhook's own */
	char *username;
};

struct tmpl;   /* template.h */

/* The URL is the configuration's (url) or in a file (url_file), one of
 * the two; an inline URL holds no password. The body is Alertmanager's
 * payload, or what body_template writes (gm's keys body_template, or
 * body_template_file read and parsed at load). */
struct conf_webhook {
	bool send_resolved;       /* default true */
	char *url;
	char *url_file;
	unsigned max_alerts;      /* 0: all */
	struct tmpl *body_template;   /* NULL: the payload */
	char *body_template_file; /* where it came from, or NULL: inline */
	char *content_type;       /* NULL: application/json */
};

/* gm's SMS config, an HTTP gateway in Twilio's Messages form. */
struct conf_sms {
	bool send_resolved;       /* default false */
	char *url;                /* default: Twilio's Messages URL for the account */
	char *account_sid;
	struct conf_secret auth_token;
	char *from;
	char *to;
};

/* gm's file config: each notification as a line of NDJSON, the
 * webhook's payload, appended to a file ("-": standard output). */
struct conf_file {
	bool send_resolved;       /* default true */
	char *path;
};

/* A receiver, with gm's delivery settings beside Alertmanager's
 * configs. */
struct conf_receiver {
	char *name;
	long long retry_for;      /* ms a notification is retried before it is
	                             given up on; -1: the command line's */
	const char *fallback;     /* the receiver a notification given up on
	                             goes to, or NULL */
	size_t fallback_index;    /* its index in conf.receivers */
	double rate;              /* notifications per second at most, over all
	                             its integrations; 0: no limit (default:
	                             1 when it has a slack config, else 0) */
	unsigned burst;           /* how many may go at once within the rate
	                             (default 1) */
	struct conf_email *email;
	size_t nemail;
	struct conf_slack *slack;
	size_t nslack;
	struct conf_webhook *webhook;
	size_t nwebhook;
	struct conf_sms *sms;
	size_t nsms;
	struct conf_file *file;
	size_t nfile;
};

struct conf_inhibit {
	struct conf_matchers source, target;  /* *_matchers, *_match, *_match_re */
	char **equal;
	size_t nequal;
};

struct conf_global {
	char *smtp_from;
	char *smtp_smarthost;
	char *smtp_auth_username;
	struct conf_secret smtp_auth_password;
	bool smtp_require_tls;    /* default true */
	struct conf_secret slack_api_url;
	long long resolve_timeout;  /* ms, default 5m */
};

struct conf {
	struct conf_global global;
	struct conf_route route;  /* the root */
	size_t nroutes;           /* nodes in the tree, root included */
	struct conf_receiver *receivers;
	size_t nreceivers;
	struct conf_inhibit *inhibit;
	size_t ninhibit;
};

/* The errors of a load, each "FILE:LINE:COLUMN: what", in file order
 * of discovery. Owned by the caller: conf_errors_free(). */
struct conf_errors {
	char **v;
	size_t n, cap;
};

/* Loads the configuration at path. Returns it (free with conf_free()),
 * or NULL when it has any error, each added to errs; a file that cannot
 * be read is one error "FILE: why". Dies only when memory is
 * exhausted. */
struct conf *conf_load(const char *path, struct conf_errors *errs);

/* As conf_load(), from len bytes of text, named name in messages. */
struct conf *conf_parse(const char *name, const char *text, size_t len,
	struct conf_errors *errs);

/* Frees c and all it holds; NULL is ignored. */
void conf_free(struct conf *c);

/* Frees the messages of errs and empties it. */
void conf_errors_free(struct conf_errors *errs);

/* Parses an Alertmanager duration, units from largest to smallest,
 * each at most once (1d, 1h30m, 90s, 500ms; y is 365d, w 7d), or "0",
 * into milliseconds. Returns false on anything else or overflow. */
bool conf_parse_duration(const char *s, long long *ms);

/* Writes ms as conf_parse_duration() reads it, largest units first
 * ("1h30m", "0s"), into buf; returns buf. */
#define CONF_DURATION_LEN 48
char *conf_format_duration(long long ms, char buf[CONF_DURATION_LEN]);

#endif

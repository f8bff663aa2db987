/* send: delivers one notification to one receiver config, by its
 * protocol: email over SMTP, a Slack incoming webhook, a generic webhook
 * with Alertmanager's payload (version "4") or the body its config's
 * template (template.h) writes over the same data, SMS in Twilio's Messages
 * form, or a line of NDJSON to a file. One call is one attempt: the
 * result says whether the receiver took it, whether to try again (and
 * after how long, when the server said), or whether trying again cannot
 * help. Retries, backoff, rate limits and the notification log are the
 * caller's.
 *
 * Secrets (the SMTP password, Slack's URL, a webhook's url_file, the SMS
 * token) are read from their file or the environment at each call, never
 * kept and never written anywhere but to the server: no message names a
 * secret or a URL, only the receiver and its config.
 *
 * TLS is always verified, against the system's CAs, or those of the PEM
 * file named by SEND_ENV_CA_FILE when it is set (a private CA; the
 * tests' throwaway one). */
#ifndef GM_NOTIFY_SEND_H
#define GM_NOTIFY_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "note.h"

#define SEND_ENV_CA_FILE "GM_NOTIFY_CA_FILE"

/* ---- what is sent, and where ---- */

/* What is sent is a struct note (note.h), the caller's for the call:
 * the alerts new or resolved since the group's last notification, each
 * once, the firing ones first. It goes to the integration n->kind,
 * n->index of n->receiver, its config read there (a file config's path
 * "-" is standard output); messages name n->receiver->name. The
 * webhook's status and common labels and annotations are derived from
 * the alerts it carries (as Alertmanager derives them), so that they
 * cannot disagree with them. */

struct send_options {
	long long timeout_ms;     /* the whole call's limit; 0: SEND_TIMEOUT_MS */
	const char *in_reply_to;  /* email: the Message-ID for In-Reply-To
	                             and References; NULL: for a later mail of
	                             an incident (seq > 1), its first mail's */
};
#define SEND_TIMEOUT_MS 10000

/* ---- the answer ---- */

enum send_status {
	SEND_OK,      /* the receiver took it */
	SEND_RETRY,   /* try again: 429, 5xx, an SMTP 4xx, a timeout, a
	                 connection refused or cut, a write that may succeed
	                 later */
	SEND_FAIL,    /* trying again cannot help: any other 4xx, an SMTP 5xx
	                 (a wrong password, a recipient refused), a bad
	                 address, a certificate not trusted, a secret that
	                 cannot be read */
};

struct send_result {
	enum send_status status;
	long long retry_after_ms; /* SEND_RETRY: the delay the server asked
	                             for (Retry-After of a 429 or 503), or -1
	                             when it asked for none (back off) */
	char why[256];            /* not OK: "receiver \"ops\" webhook 1: HTTP
	                             500", never a secret nor a URL */
};

/* Sets up libcurl. Call once, before any other call of this module and
 * before threads start; false (after gm_error()) when libcurl cannot
 * start. */
bool send_init(void);

/* Frees what send_init() set up, and the calling thread's as
 * send_thread_end() does; after every other thread's send_thread_end(). */
void send_cleanup(void);

/* Frees what sending kept for the calling thread (its HTTP handle, whose
 * connections stay shared): each thread that sent, before it ends. */
void send_thread_end(void);

/* Delivers n to its integration, one attempt, within o's timeout, and
 * says how it went in r. Reads the config's secrets now. Never prints;
 * the caller reports r->why. o may be NULL (the defaults). */
void send_notification(const struct note *n, const struct send_options *o,
	struct send_result *r);

/* The bytes send_notification() would send for n: the mail (headers
 * and body, CRLF line ends), the Slack or webhook JSON, the SMS form
 * (without the credentials, which go in the Authorization header), the
 * file's line. Needs no secret and no server. Returns a string the
 * caller frees, its length in *len. */
char *send_payload(const struct note *n, const struct send_options *o, size_t *len);

/* The Content-Type an HTTP kind sends send_payload()'s bytes with:
 * application/json for Slack and, unless its config says another, a
 * webhook; the form's for SMS; NULL for a mail (whose headers say it)
 * and a file's line. */
const char *send_content_type(const struct note *n);

/* Alertmanager's webhook payload for n, every alert in it, whatever
 * n's kind: what a file config writes, and what the dead-letter file
 * keeps of a notification given up on. A string the caller frees (a
 * line, its newline included), its length in *len. */
char *send_webhook_payload(const struct note *n, size_t *len);

/* The Message-ID (angle brackets included) of the mail for n from the
 * address from (its domain names the host part): derived from the
 * receiver, the group key, the config, the incident and n->seq (or,
 * for a note outside an incident, seq 0, from its alerts and n->at), so
 * that every attempt gives the same one, another notification another,
 * and a later mail of the incident can name its first. Writes it into
 * buf (SEND_MESSAGE_ID_LEN bytes, a longer domain is cut) and returns
 * buf. */
#define SEND_MESSAGE_ID_LEN 160
char *send_message_id(const struct note *n, const char *from, char buf[SEND_MESSAGE_ID_LEN]);

/* Parses a Retry-After value: delay-seconds, or an HTTP-date (IMF-fixdate,
 * RFC 850 or asctime form) taken relative to now_ms (a date past gives
 * 0). Returns false for anything else. */
bool send_parse_retry_after(const char *value, int64_t now_ms, long long *delay_ms);

/* The SMS body for n: a title line, then one line per alert, whole,
 * while they fit in limit characters (code points); those that do not
 * are counted in a last line "+N more". A first alert longer than the
 * room left is cut, ending in "...". Twilio's limit is SEND_SMS_LIMIT.
 * Returns a string the caller frees. */
#define SEND_SMS_LIMIT 1600
char *send_sms_body(const struct note *n, size_t limit);

#endif

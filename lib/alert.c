/* alert: see alert.h. */
#include "alert.h"

#include <string.h>

#include "hash.h"
#include "number.h"

#define NAME_MAX_HASHED 64
#define SUBJECT_CUT 22   /* gm-txmon's first ids hashed this much of it */

/* The bytes of s up to its first NUL, at most max, at p (as printf's
 * "%.*s" copies them); returns their end. */
static char *put_cut(char *p, const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	memcpy(p, s, n);
	return p + n;
}

void gm_alert_id(char *id, const char *source, const char *rule,
	const char *subject, size_t n, enum gm_alert_status status)
{
	/* "source/rule/[resolved/]subject", built by hand: snprintf() cost
	 * more than the rest of the alert's record. */
	char key[2 * NAME_MAX_HASHED + sizeof "//resolved/" + SUBJECT_CUT];
	char *p = put_cut(key, source, NAME_MAX_HASHED);
	*p++ = '/';
	p = put_cut(p, rule, NAME_MAX_HASHED);
	*p++ = '/';
	if (status == GM_ALERT_RESOLVED)
		p = put_cut(p, "resolved/", sizeof "resolved/");
	p = put_cut(p, subject, n > SUBJECT_CUT ? SUBJECT_CUT : n);
	uint64_t h = gm_hash(key, (size_t)(p - key)) ^ gm_hash(subject, n);
	gm_format_hex64(h, id);
	id[GM_ALERT_ID_LEN] = 0;
}

static const char *const severities[] = {
	[GM_ALERT_INFO] = "info",
	[GM_ALERT_WARNING] = "warning",
	[GM_ALERT_CRITICAL] = "critical",
};

struct gm_writer *gm_alert_begin(const struct gm_output *out, const struct gm_alert *a)
{
	char id[GM_ALERT_ID_LEN + 1];
	gm_alert_id(id, a->source, a->rule, a->subject.p, a->subject.n, a->status);
	struct gm_writer *w = out->begin(out->ctx);
	gm_w_obj_begin(w);
	GM_W_KLIT(w, "type", "alert");
	GM_W_KSTR(w, "alert_id", id, GM_ALERT_ID_LEN);
	GM_W_KTS(w, "ts", a->ts);
	GM_W_KCSTR(w, "kind", a->kind);
	GM_W_KCSTR(w, "severity", severities[a->severity]);
	if (a->status == GM_ALERT_RESOLVED)
		GM_W_KLIT(w, "status", "resolved");
	GM_W_KCSTR(w, "source", a->source);
	GM_W_KCSTR(w, "summary", a->summary);
	GM_W_KEY(w, "labels");
	gm_w_obj_begin(w);
	for (size_t i = 0; i < a->nlabels; i++) {
		gm_w_key(w, a->labels[i].name);
		gm_w_str(w, a->labels[i].value.p, a->labels[i].value.n);
	}
	gm_w_obj_end(w);
	return w;
}

void gm_alert_emit(const struct gm_output *out, struct gm_writer *w,
	const char *key, size_t klen)
{
	gm_w_end(w);
	out->emit(out->ctx, key, klen);
}

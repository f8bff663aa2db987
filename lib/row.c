/* row: see row.h. Each field's key is compared where the descriptor
 * says it comes, and its value read by its field's kind as it is
 * scanned: no generic view of the record is made, no name is looked
 * up, and no value is scanned twice. A value the usual checks would
 * not take as it is (rtype.h's gm_rfield_check()) makes the line the
 * parser's, so that every message about a row stays rtype.c's. */
#include "row.h"

#include <limits.h>
#include <string.h>

#include "jscan.h"
#include "money.h"
#include "ts.h"

/* s and its length, n, at text[*at..), moving *at past it; false when
 * it does not fit. */
static bool put(char *text, size_t *at, const char *s, size_t n)
{
	if (n > GM_ROW_MAX_TEXT - *at)
		return false;
	memcpy(text + *at, s, n);
	*at += n;
	return true;
}

void gm_row_reader_init(struct gm_row_reader *r, const struct gm_rtype *t)
{
	memset(r, 0, sizeof *r);
	r->t = t;
	size_t at = 0;
	bool fit = t->nfields <= GM_ROW_MAX_FIELDS && put(r->text, &at, "{\"type\":\"", 9) &&
		put(r->text, &at, t->name, strlen(t->name)) && put(r->text, &at, "\"", 1);
	r->head = (unsigned short)at;
	for (size_t i = 0; fit && i < t->nfields; i++) {
		size_t n = strlen(t->fields[i].name);
		r->at[i] = (unsigned short)at;
		fit = n + 4 <= GM_ROW_MAX_TEXT - at;
		if (fit) {
			gm_jscan_key_put(r->text + at, t->fields[i].name, n);
			at += n + 4;
		}
	}
	if (fit)
		r->at[t->nfields] = (unsigned short)at;
	r->usable = fit;
}

/* The value of field f from p into *v and *present, as
 * gm_rtype_decode() decodes it: the byte after it, or NULL when it is
 * not one of the usual good values of f's kind. */
static inline const char *value(const struct gm_rfield *f, const char *p, const char *end,
	union gm_rvalue *v, bool *present)
{
	*present = true;
	if (p < end && *p == 'n') {
		/* null stands for a field left out, which only an optional
		 * field may be */
		*present = false;
		return !f->required && gm_jscan_literal(p, end, "null", 4) ? p + 4 : NULL;
	}
	gm_str s;
	bool overflow;
	const char *q;
	switch (f->kind) {
	case GM_RK_STRING:
	case GM_RK_TIME: {
		if (!(q = gm_jscan_plain(p, end, &s)))
			return NULL;
		if (f->kind == GM_RK_TIME)
			return s.n && gm_ts_parse(s.p, s.n, &v->i) ? q : NULL;
		char why[1];
		if ((!s.n && f->required) || (f->one_of && !gm_rfield_allowed(f, s, why, sizeof why)))
			return NULL;
		v->s = s;
		return q;
	}
	case GM_RK_INT:
	case GM_RK_MONEY:
	case GM_RK_TOTAL:
	case GM_RK_NUMBER:
		if (!(q = gm_jscan_number(p, end)))
			return NULL;
		s = (gm_str){ p, (size_t)(q - p) };
		switch (f->kind) {
		case GM_RK_INT:
			return gm_rint_parse(s, &v->i, &overflow) && v->i >= f->lo && v->i <= f->hi ? q : NULL;
		case GM_RK_MONEY:
			return gm_money_parse_amount(s.p, s.n, GM_MONEY_MAX_CENTS, &v->i) ? q : NULL;
		case GM_RK_TOTAL:
			return gm_money_parse_amount(s.p, s.n, GM_MONEY_MAX_TOTAL, &v->i) ? q : NULL;
		default:
			v->s = s;
			return q;
		}
	case GM_RK_BOOL:
		if (gm_jscan_literal(p, end, "true", 4)) {
			v->b = true;
			return p + 4;
		}
		if (gm_jscan_literal(p, end, "false", 5)) {
			v->b = false;
			return p + 5;
		}
		return NULL;
	default:
		/* objects, arrays, labels: the parser's */
		return NULL;
	}
}

bool gm_row_read(const struct gm_row_reader *r, const char *line, size_t len,
	union gm_rvalue *vals, bool *present)
{
	const struct gm_rtype *t = r->t;
	const char *p = line, *end = line + len;
	if (!r->usable || !(p = gm_jscan_past(p, end, r->text, r->head)))
		return false;
	for (size_t i = 0; i < t->nfields; i++)
		if (!(p = gm_jscan_past(p, end, r->text + r->at[i], (size_t)(r->at[i + 1] - r->at[i]))) ||
		    !(p = value(&t->fields[i], p, end, &vals[i], &present[i])))
			return false;
	return p + 1 == end && *p == '}';
}

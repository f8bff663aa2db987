/* format: see format.h. */
#include "format.h"

#include <string.h>

#include "money.h"
#include "ts.h"

/* Appending to a line whose size is known to fit. LIT takes a string
 * literal, so its length is a constant and the copy a few moves. */
#define LIT(p, s) ((p) = (char *)memcpy((p), (s), sizeof(s) - 1) + sizeof(s) - 1)

static char *put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return p + n;
}

size_t format_id(char *buf, char prefix, int width, uint64_t v)
{
	char tmp[24], *end = tmp + sizeof tmp, *d = end;
	do {
		*--d = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (end - d < width)
		*--d = '0';
	buf[0] = prefix;
	memcpy(buf + 1, d, (size_t)(end - d));
	return 1 + (size_t)(end - d);
}

/* A quoted id: "<prefix><digits>" */
static char *put_id(char *p, char prefix, int width, uint64_t v)
{
	*p++ = '"';
	p += format_id(p, prefix, width, v);
	*p++ = '"';
	return p;
}

static char *put_i64(char *p, int64_t v)
{
	char tmp[24], *end = tmp + sizeof tmp, *d = end;
	uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
	do {
		*--d = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--d = '-';
	memcpy(p, d, (size_t)(end - d));
	return p + (end - d);
}

static char *put_money(char *p, int64_t cents)
{
	return p + gm_money_format(cents, p);
}

/* The fields every event starts with, up to the session id; the type
 * comes with its id key, e.g. "{\"type\":\"cart_event\",\"event_id\":". */
static char *put_head(char *p, const struct shop_event *ev)
{
	switch (ev->type) {
	case GM_PRODUCT_VIEW:
		LIT(p, "{\"type\":\"product_view\",\"event_id\":");
		p = put_id(p, 'e', 10, ev->seq);
		break;
	case GM_CART_EVENT:
		LIT(p, "{\"type\":\"cart_event\",\"event_id\":");
		p = put_id(p, 'e', 10, ev->seq);
		break;
	default:
		LIT(p, "{\"type\":\"transaction\",\"transaction_id\":");
		p = put_id(p, 't', 10, ev->seq);
		break;
	}
	LIT(p, ",\"ts\":\"");
	p += gm_ts_format(ev->ts, p);
	LIT(p, "\",\"user_id\":");
	p = put_id(p, 'u', 7, ev->user);
	LIT(p, ",\"session_id\":");
	return put_id(p, 's', 9, ev->session);
}

size_t format_event(char *buf, const struct shop_event *ev, bool truth)
{
	char *p = put_head(buf, ev);
	switch (ev->type) {
	case GM_PRODUCT_VIEW:
		LIT(p, ",\"product_id\":");
		p = put_id(p, 'p', 6, ev->product);
		LIT(p, ",\"category\":\"");
		p = put_str(p, category_name[ev->category]);
		LIT(p, "\",\"country\":\"");
		p = put_str(p, country_name[ev->country]);
		LIT(p, "\",\"duration_ms\":");
		p = put_i64(p, ev->duration_ms);
		break;
	case GM_CART_EVENT:
		LIT(p, ",\"product_id\":");
		p = put_id(p, 'p', 6, ev->product);
		LIT(p, ",\"category\":\"");
		p = put_str(p, category_name[ev->category]);
		if (ev->add)
			LIT(p, "\",\"action\":\"add\",\"quantity\":");
		else
			LIT(p, "\",\"action\":\"remove\",\"quantity\":");
		p = put_i64(p, ev->quantity);
		LIT(p, ",\"unit_price\":");
		p = put_money(p, ev->unit_price);
		break;
	default:
		LIT(p, ",\"country\":\"");
		p = put_str(p, country_name[ev->country]);
		LIT(p, "\",\"payment_method\":\"");
		p = put_str(p, payment_name[ev->payment]);
		LIT(p, "\",\"items\":[");
		for (int i = 0; i < ev->nitems; i++) {
			const struct cart_line *l = &ev->items[i];
			if (i > 0)
				*p++ = ',';
			LIT(p, "{\"product_id\":");
			p = put_id(p, 'p', 6, l->product);
			LIT(p, ",\"category\":\"");
			p = put_str(p, category_name[l->category]);
			LIT(p, "\",\"quantity\":");
			p = put_i64(p, l->quantity);
			LIT(p, ",\"unit_price\":");
			p = put_money(p, l->unit_price);
			*p++ = '}';
		}
		LIT(p, "],\"total_amount\":");
		p = put_money(p, ev->total);
		break;
	}
	if (truth) {
		LIT(p, ",\"anomaly\":\"");
		p = put_str(p, anomaly_name[ev->anomaly]);
		*p++ = '"';
	}
	*p++ = '}';
	return (size_t)(p - buf);
}

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

/* "00" to "99": two digits per step. */
static const char two_digits[201] =
	"0001020304050607080910111213141516171819"
	"2021222324252627282930313233343536373839"
	"4041424344454647484950515253545556575859"
	"6061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Writes v in decimal, zero-padded to at least width digits; returns
 * the end. */
static char *put_digits(char *p, uint64_t v, int width)
{
	int n = 1;
	for (uint64_t x = v; x >= 10; x /= 10)
		n++;
	if (n < width)
		n = width;
	char *end = p + n, *d = end;
	while (v >= 100) {
		d -= 2;
		memcpy(d, two_digits + 2 * (v % 100), 2);
		v /= 100;
	}
	if (v >= 10) {
		d -= 2;
		memcpy(d, two_digits + 2 * v, 2);
	} else {
		*--d = (char)('0' + v);
	}
	while (d > p)
		*--d = '0';
	return end;
}

size_t format_id(char *buf, char prefix, int width, uint64_t v)
{
	buf[0] = prefix;
	return (size_t)(put_digits(buf + 1, v, width) - buf);
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
	if (v < 0)
		*p++ = '-';
	return put_digits(p, v < 0 ? -(uint64_t)v : (uint64_t)v, 1);
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
		if (ev->end != END_NOT) {
			LIT(p, ",\"session_end\":\"");
			p = put_str(p, session_end_name[ev->end]);
			*p++ = '"';
		}
	}
	*p++ = '}';
	return (size_t)(p - buf);
}

size_t format_product(char *buf, const struct catalog_product *p, int64_t ts)
{
	char *q = buf;
	LIT(q, "{\"type\":\"product\",\"ts\":\"");
	q += gm_ts_format(ts, q);
	LIT(q, "\",\"product_id\":");
	q = put_id(q, 'p', 6, p->id);
	/* A name is letters, digits and spaces (model.h): no escapes. */
	LIT(q, ",\"name\":\"");
	memcpy(q, p->name, p->name_len);
	q += p->name_len;
	LIT(q, "\",\"category\":\"");
	q = put_str(q, category_name[p->category]);
	LIT(q, "\",\"unit_price\":");
	q = put_money(q, p->price);
	LIT(q, ",\"stock\":");
	q = put_i64(q, p->stock);
	LIT(q, ",\"reorder_point\":");
	q = put_i64(q, p->reorder_point);
	*q++ = '}';
	return (size_t)(q - buf);
}

size_t format_restock(char *buf, const struct restock *r)
{
	char *q = buf;
	LIT(q, "{\"type\":\"restock\",\"restock_id\":");
	q = put_id(q, 'r', 10, r->seq);
	LIT(q, ",\"ts\":\"");
	q += gm_ts_format(r->ts, q);
	LIT(q, "\",\"product_id\":");
	q = put_id(q, 'p', 6, r->product);
	LIT(q, ",\"quantity\":");
	q = put_i64(q, r->quantity);
	*q++ = '}';
	return (size_t)(q - buf);
}

/* rekey: see rekey.h. */
#include "rekey.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "number.h"

/* By product, then by place: a product's first line first. */
static int by_product(const void *a, const void *b)
{
	const struct rekey_line *x = a, *y = b;
	int c = gm_str_cmp(x->product_id, y->product_id);
	return c ? c : (x->first > y->first) - (x->first < y->first);
}

void rekey_lines(struct rekey *r, const struct gm_event *ev)
{
	r->lines = gm_grow(r->lines, &r->cap, ev->nitems, sizeof *r->lines, 16);
	for (size_t i = 0; i < ev->nitems; i++) {
		const struct gm_item *it = &ev->items[i];
		r->lines[i] = (struct rekey_line){
			it->product_id, it->category, it->quantity, it->unit_price, i,
		};
	}
	/* Most transactions have a few items: qsort's setup would cost more
	 * than sorting them. */
	if (ev->nitems > 16) {
		qsort(r->lines, ev->nitems, sizeof *r->lines, by_product);
	} else {
		for (size_t i = 1; i < ev->nitems; i++) {
			struct rekey_line x = r->lines[i];
			size_t j = i;
			for (; j > 0 && by_product(&r->lines[j - 1], &x) > 0; j--)
				r->lines[j] = r->lines[j - 1];
			r->lines[j] = x;
		}
	}
	/* Equal products are now together, the first line first. */
	size_t n = 0;
	for (size_t i = 0; i < ev->nitems; i++) {
		if (n > 0 && !gm_str_cmp(r->lines[i].product_id, r->lines[n - 1].product_id))
			r->lines[n - 1].quantity = gm_add_saturating(r->lines[n - 1].quantity, r->lines[i].quantity);
		else
			r->lines[n++] = r->lines[i];
	}
	r->n = n;
}

void rekey_write(struct rekey *r, const struct gm_output *out, const struct gm_event *ev)
{
	rekey_lines(r, ev);
	for (size_t i = 0; i < r->n; i++) {
		const struct rekey_line *l = &r->lines[i];
		struct gm_writer *w = out->begin(out->ctx);
		gm_w_obj_begin(w);
		GM_W_KLIT(w, "type", "sale");
		GM_W_KSTR(w, "transaction_id", ev->id.p, ev->id.n);
		GM_W_KTS(w, "ts", ev->ts);
		GM_W_KSTR(w, "user_id", ev->user_id.p, ev->user_id.n);
		GM_W_KSTR(w, "product_id", l->product_id.p, l->product_id.n);
		GM_W_KSTR(w, "category", l->category.p, l->category.n);
		GM_W_KI64(w, "quantity", l->quantity);
		GM_W_KMONEY(w, "unit_price", l->unit_price);
		gm_w_end(w);
		out->emit(out->ctx, l->product_id.p, l->product_id.n);
	}
}

void rekey_free(struct rekey *r)
{
	free(r->lines);
}

/* text: see text.h. */
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mem.h"

void gm_text_add(struct gm_text *t, const char *s, size_t n)
{
	t->p = gm_grow(t->p, &t->cap, t->n + n + 1, 1, 256);
	memcpy(t->p + t->n, s, n);
	t->n += n;
	t->p[t->n] = 0;
}

void gm_text_str(struct gm_text *t, const char *s)
{
	gm_text_add(t, s, strlen(s));
}

void gm_text_printf(struct gm_text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	t->p = gm_grow(t->p, &t->cap, t->n + (size_t)n + 1, 1, 256);
	va_start(ap, fmt);
	vsnprintf(t->p + t->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->n += (size_t)n;
}

size_t gm_escape_bytes(char *out, size_t len, size_t limit, const char *p, size_t n,
	const char *also, bool *cut)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	for (; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		bool plain = c >= 0x20 && c < 0x7f && !strchr(also, c);
		if (len + (plain ? 1 : 4) > limit)
			break;
		if (plain) {
			out[len++] = (char)c;
		} else {
			out[len++] = '\\';
			out[len++] = 'x';
			out[len++] = hex[c >> 4];
			out[len++] = hex[c & 15];
		}
	}
	out[len] = '\0';
	if (cut)
		*cut = i < n;
	return len;
}

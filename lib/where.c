/* where: see where.h. */
#include "where.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "number.h"

void gm_where_init(struct gm_where *w, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	size_t n = len < 0 ? 0 : (size_t)len < sizeof buf ? (size_t)len : sizeof buf - 1;
	size_t room = sizeof w->s - GM_I64_LEN - 1;
	const char *from = n > room ? buf + (n - room) : buf;
	w->n = n > room ? room : n;
	memcpy(w->s, from, w->n);
	w->s[w->n] = '\0';
}

const char *gm_where_at(struct gm_where *w, uint64_t n)
{
	w->s[w->n + gm_format_u64(n, w->s + w->n)] = '\0';
	return w->s;
}

/* where: a row's place for messages, a prefix and a number ("PATH:"
 * and a line; "SERVER: TABLE row " and a row), for the readers that give
 * every row's place whether or not it is reported: the prefix is written
 * once, the number per row with no printf. */
#ifndef GM_WHERE_H
#define GM_WHERE_H

#include <stddef.h>
#include <stdint.h>

struct gm_where {
	char s[512];
	size_t n;   /* of the prefix */
};

/* Sets the prefix, as printf(3) would write it; a prefix too long for
 * room to stay for a number is cut at its start, so that its end (the
 * ':' before a line) stays. */
void gm_where_init(struct gm_where *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The prefix and n, NUL-terminated: valid until the next call. */
const char *gm_where_at(struct gm_where *w, uint64_t n);

#endif

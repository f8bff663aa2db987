/* text: a growing, NUL-terminated string, for text built piece by piece
 * (a mail, a payload, a key) where the writer's JSON (writer.h) is not
 * what is built. */
#ifndef GM_TEXT_H
#define GM_TEXT_H

#include <stddef.h>

/* Zero-initialised it is the empty text; p is NULL until the first add,
 * then always NUL-terminated. The caller owns p: free() it, or take it. */
struct gm_text {
	char *p;
	size_t n, cap;
};

/* Appends n bytes of s. Dies (status 1) only when memory is exhausted;
 * so do the two below. */
void gm_text_add(struct gm_text *t, const char *s, size_t n);

/* Appends the NUL-terminated s. */
void gm_text_str(struct gm_text *t, const char *s);

/* Appends as printf(3) would write. */
void gm_text_printf(struct gm_text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

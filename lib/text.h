/* text: a growing, NUL-terminated string, for text built piece by piece
 * (a mail, a payload, a key) where the writer's JSON (writer.h) is not
 * what is built. */
#ifndef GM_TEXT_H
#define GM_TEXT_H

#include <stdbool.h>
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

/* Appends p[0..n) to out[len..] as a message or a log line shows bytes
 * that came from outside (a request): printable ASCII as it is, any
 * other byte, and those in also, as \xHH, so that what is shown is one
 * line and cannot forge an escape. Stops before a byte whose form would
 * pass limit bytes; out has room for limit + 1, and a NUL ends what is
 * written. Returns the new length; *cut (NULL: not asked) tells whether
 * bytes were left out. */
size_t gm_escape_bytes(char *out, size_t len, size_t limit, const char *p, size_t n,
	const char *also, bool *cut);

#endif

/* utf8: strict UTF-8 validation (no overlongs, no surrogates, nothing
 * above U+10FFFF), with an ASCII fast path. */
#ifndef GM_UTF8_H
#define GM_UTF8_H

#include <stddef.h>

/* Returns the offset of the first byte that is not part of valid UTF-8,
 * or len when all of p[0..len) is valid. */
size_t gm_utf8_invalid_at(const char *p, size_t len);

/* Returns the length of the longest prefix of p[0..len) made of ASCII
 * bytes other than NUL (len when the whole is): a line that passes needs
 * neither a NUL search nor gm_utf8_invalid_at(). */
size_t gm_utf8_ascii_prefix(const char *p, size_t len);

#endif

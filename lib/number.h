/* number: whole numbers, byte sizes and durations as a command line
 * writes them. */
#ifndef GM_NUMBER_H
#define GM_NUMBER_H

#include <stdbool.h>
#include <stddef.h>

/* Parses a non-negative decimal integer (no sign, no suffix) into *out.
 * Returns false on anything else or overflow. */
bool gm_parse_u64(const char *s, unsigned long long *out);

/* Parses a byte size with an optional k, M or G suffix (powers of 1024).
 * Returns false on a malformed or zero value. */
bool gm_parse_size(const char *s, size_t *out);

/* Parses a duration: a number with an optional ms, s, m, h or d suffix
 * (seconds when none) into milliseconds, at most GM_DURATION_MAX.
 * Returns false on error. */
bool gm_parse_duration(const char *s, long long *ms);
#define GM_DURATION_MAX 9000000000000000LL

#endif

/* number: whole numbers, byte sizes and durations as a command line
 * writes them, and whole numbers written as text. */
#ifndef GM_NUMBER_H
#define GM_NUMBER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/* Writes v in decimal (a minus first when negative) into buf, which
 * has room for GM_I64_LEN bytes; no NUL. Returns the length. What ids
 * and keys are built with, where snprintf() would cost ten times more. */
#define GM_I64_LEN 20
size_t gm_format_i64(int64_t v, char *buf);
size_t gm_format_u64(uint64_t v, char *buf);

#endif

/* rejects: what happens to a bad record. It is reported
 * ("prog: where: reason"), counted in gm_counts.rejected, and written
 * whole, as it came, plus a newline, to the rejects file when one was
 * named. In strict mode the first one is fatal. */
#ifndef GM_REJECTS_H
#define GM_REJECTS_H

#include <stdbool.h>
#include <stddef.h>

/* Opens the rejects output (path may be NULL: report and count only;
 * "-" is stdout). strict makes gm_reject() return false. Dies with
 * status 1 if the file cannot be opened. Process-wide: call once. */
void gm_rejects_open(const char *path, bool strict);

/* Reports, counts and keeps one bad record. Returns true to go on,
 * false in strict mode (the caller stops with status 1). */
bool gm_reject(const char *where, const char *reason,
	const char *rec, size_t len);

/* For a record too large to hold: gm_reject_part() appends its bytes to
 * the rejects file as they stream by, gm_reject_begin() reports and
 * counts it (before or after the parts), and gm_reject_end() writes the
 * newline. gm_reject_begin() returns as gm_reject(). */
bool gm_reject_begin(const char *where, const char *reason);
void gm_reject_part(const char *p, size_t n);
void gm_reject_end(void);

/* Flushes and closes the rejects file. Returns false if any write
 * failed (already reported): the run must then exit 1. */
bool gm_rejects_close(void);

#endif

/* progress: a batch tool's progress line on a terminal, as a long
 * copy shows it: bytes read of how many, records, rate, time left.
 * Written to stderr only when it is a terminal (someone is watching;
 * a log file gets the summary line alone), at most every 250 ms, over
 * itself (a carriage return), and cleared at the end. */
#ifndef GM_PROGRESS_H
#define GM_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct gm_progress;

/* A progress line for records called what (e.g. "events"); NULL when
 * quiet or stderr is no terminal, which every call below accepts. */
struct gm_progress *gm_progress_new(const char *what, bool quiet);

/* records so far, after done bytes of total (0: unknown). Cheap to call
 * for every record: it looks at the clock once in 4096 calls. */
void gm_progress_tick(struct gm_progress *p, uint64_t records, uint64_t done, uint64_t total);

/* Clears the line and frees p. */
void gm_progress_end(struct gm_progress *p);

#endif

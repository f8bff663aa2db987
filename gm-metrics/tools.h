/* tools: the gm tools as their stats records (gm-events(5)) show them:
 * for each tool and instance its last counts and values, and whether it
 * still reports. Rules only: records come in through tools_take(), the
 * samples go out through tools_collect(). */
#ifndef GM_METRICS_TOOLS_H
#define GM_METRICS_TOOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"

struct gm_event;

/* At most this many tool instances are kept; a new one past it takes
 * the place of the one that reported least recently. */
#define TOOLS_MAX 4096

struct tools;

struct tools *tools_new(void);
void tools_free(struct tools *t);

/* Takes one stats record (ev->rtype is gm_rtype_stats), checked here
 * against its descriptor; an older record of an instance than the one
 * it holds (a lower seq) changes nothing. Returns false, with why
 * (static, valid until the next call), for a record it cannot take: a
 * field missing or of the wrong kind, values not an object of at most
 * 16 integers. */
bool tools_take(struct tools *t, const struct gm_event *ev, const char **why);

/* The samples of every instance known, as of now_ms (the wall clock, ms
 * since the epoch): up (1 while its last record is not final and is
 * at most three of its intervals old), its counts, uptime, last report
 * and values; an instance's samples together, its gm_tool_up first. */
void tools_collect(const struct tools *t, struct sample_set *out, int64_t now_ms);

/* The instances known. */
size_t tools_count(const struct tools *t);

#endif

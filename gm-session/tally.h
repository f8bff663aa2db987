/* tally: what the rules (session.c, cart.c) tell the session metrics
 * (metrics.c): things that happened at one event time, in one country. */
#ifndef GM_SESSION_TALLY_H
#define GM_SESSION_TALLY_H

#include <stdint.h>

struct tally {
	int64_t at;               /* event time, ms */
	const char *country;      /* NUL-terminated */
	uint32_t sessions;        /* closed */
	uint32_t converted;       /* of those, with a transaction */
	uint32_t checkouts;       /* transactions that emptied a cart */
	uint32_t abandoned, recovered;   /* carts */
	int64_t duration_ms;      /* of the sessions closed */
	uint64_t views;           /* in them */
};

/* The input partition things happen in: its number (-1: files) and
 * how records name it ("topic/N", the first input topic's; NULL for
 * files), so that the records of a partition read from several topics
 * name it one way. */
struct part {
	int32_t number;
	const char *label;
};

/* Where the rules send their tallies, for the metrics of partition p. */
struct tally_output {
	void (*add)(void *ctx, const struct part *p, const struct tally *t);
	void *ctx;
};

#endif

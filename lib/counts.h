/* counts: records in, out, rejected and late, and the one-line summary
 * every tool prints on exit. Each counter has one thread that writes
 * it, through gm_counts_add() (the main thread's, or a reading thread's:
 * in and rejected), and stats.h's thread only reads them. */
#ifndef GM_COUNTS_H
#define GM_COUNTS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct gm_counts {
	_Atomic uint64_t in;       /* records read (good or bad) */
	_Atomic uint64_t out;      /* records written (Kafka: delivered) */
	_Atomic uint64_t undelivered; /* records a sink took but could not deliver */
	_Atomic uint64_t rejected; /* bad records: reported, kept in rejects */
	_Atomic uint64_t late;     /* records past the allowed lateness */
	double started;    /* gm_now_seconds() when the process started */
};

/* The global counters of this process. Input and output modules add to
 * them; a tool reads them for its summary. */
extern struct gm_counts gm_counts;

/* Adds n to a counter of gm_counts. One writer (a counter's thread) and
 * readers in other threads need no locked instruction: a relaxed load
 * and store, which cost what c += n costs. */
static inline void gm_counts_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n,
		memory_order_relaxed);
}

/* Prints "prog: N in, N out, N rejected, N late, S s, R/s" on stderr,
 * rate being records in (out, for a source) per second since
 * gm_counts.started; when some records were not delivered, ", N not
 * delivered" follows "N out". */
void gm_counts_summary(void);

/* A rate per second as the summary writes it, in buf (at least 16
 * bytes): three digits and a unit after rounding, "1M" for 999,900 and
 * never "1e+03k"; "999", "1k", "12.3k". Returns buf. */
char *gm_counts_rate(double per_second, char *buf, size_t n);

#endif

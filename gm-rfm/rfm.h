/* rfm: gm-rfm's rules, apart from I/O. Transactions come in whole
 * (rfm_txn) or line by line (rfm_line, fact_sales rows), or customers'
 * totals do (rfm_customer, dim_customer rows); rfm_finish()
 * measures and scores every customer and puts them in segments; then
 * rfm_write() hands the rows of customer_segment, segment_summary and
 * rfm_cuts to an rfm_out, and, against an earlier snapshot given row
 * by row, rfm_compare_*() those of segment_migration. The model never
 * sees a source, a sink or a warehouse. gm-rfm(1) states the
 * rules; each is written here once.
 *
 * Memory: 17 bytes per customer and its id, in an arena, an index of
 * 8 bytes a slot, and the transaction ids' set (idset.h) while reading;
 * scoring and the order of ids add 33 bytes a customer while they run,
 * the set freed, and 4 bytes of scores and segment stay (and 8 of place
 * from rfm_compare_begin() on). */
#ifndef GM_RFM_H
#define GM_RFM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "rtype.h"
#include "writer.h"

#define RFM_MAX_BINS 99
#define RFM_ID_MAX 64        /* a user or transaction id, bytes (gm-etl's limit) */
#define RFM_MAX_SEGMENTS 250 /* distinct names in a grid, "Others" included */
#define RFM_NONE "(none)"    /* the segment of a customer absent from a snapshot */
#define RFM_OTHERS "Others"  /* the segment of a customer no rule matches */

/* A grid: rules tried in order, the first whose three score ranges
 * (inclusive) hold a customer's R, F and M naming its segment; else
 * "Others". */
struct rfm_rule {
	uint8_t lo[3], hi[3];  /* R, F, M */
	uint8_t segment;       /* index into names */
};

struct rfm_grid {
	struct rfm_rule *rules;
	size_t nrules;
	char **names;          /* distinct, in order of first use; "Others" last
	                          unless a rule names it */
	size_t nnames;
	unsigned bins;         /* the scores' range the rules are written for */
};

/* The built-in grid called name ("rfm": R's rfm_segment(), for 5 bins),
 * or NULL. Static: never freed. */
const struct rfm_grid *rfm_grid_builtin(const char *name);

/* Parses a grid file's text[0..n) (gm-rfm(1) SEGMENTS: "R F M NAME" lines,
 * each score a number or a range a-b within 1..bins, '#' comments),
 * named file in messages. Returns the grid (rfm_grid_free() it), or
 * NULL after gm_error("FILE:LINE", ...) on the first bad line. */
struct rfm_grid *rfm_grid_parse(const char *text, size_t n, const char *file, unsigned bins);
void rfm_grid_free(struct rfm_grid *g);  /* NULL and built-ins allowed */

/* The segment index of the scores r, f, m under g. */
uint8_t rfm_grid_segment(const struct rfm_grid *g, unsigned r, unsigned f, unsigned m);

/* The score rule, on its own: given values[0..n), writes each one's
 * score into scores[0..n): 1 + floor(bins * below(v) / n), below(v) the
 * number of values strictly less than v. Sorts by radix, never by
 * comparison. keys are unsigned: a caller orders signed or reversed
 * measures into them. tmp: NULL, or room for 2 * n struct rfm_keyed
 * (reused by the caller across measures). */
struct rfm_keyed {
	uint64_t key;
	uint64_t val;  /* what the key sorts: here, a value's place */
};
void rfm_score(const uint64_t *values, size_t n, unsigned bins, uint8_t *scores,
	struct rfm_keyed *tmp);

/* Where rows go, as gm-etl's etl_out: begin() gives the writer for a
 * row of table t, put() hands the row over with its id (n bytes). Each
 * table's rows come in ascending order of id. replace() comes before a
 * table's rows, also when it has none: the rows of t whose ids start
 * with prefix[0..n) are to be exactly those put (the table's slice of
 * the run: its as-of day's, and for segment_migration the pair of
 * days'). */
struct rfm_out {
	struct gm_writer *(*begin)(void *ctx, const struct gm_rtype *t);
	void (*put)(void *ctx, const struct gm_rtype *t, const char *id, size_t n);
	void (*replace)(void *ctx, const struct gm_rtype *t, const char *prefix, size_t n);
	void *ctx;
};

struct rfm_opts {
	bool has_as_of;
	int32_t as_of;         /* the as-of day (days since 1970-01-01, UTC) */
	int64_t window_ms;     /* < 0: all history; else needs has_as_of */
	unsigned bins;         /* 2..RFM_MAX_BINS */
	const struct rfm_grid *grid;  /* its bins are bins; not owned */
};

struct rfm;

struct rfm *rfm_new(const struct rfm_opts *o, const struct rfm_out *out);
void rfm_free(struct rfm *m);

/* Takes one whole transaction: its id, customer, time (ms) and amount
 * (the sum of its lines, cents). Returns false, with why, when it is
 * refused: an id over RFM_ID_MAX bytes. Whether it counts (not a
 * duplicate of an earlier id, the first counting; inside the as-of
 * day's window) is settled four transactions later, or at rfm_finish(),
 * so that its id's and customer's places in memory load meanwhile;
 * rfm_counts() tells. */
bool rfm_txn(struct rfm *m, gm_str txn, gm_str user, int64_t ts, int64_t cents, const char **why);

/* Takes one line of a transaction (a fact_sales row, its line number
 * line): lines of one transaction come one after another, and its first
 * line's customer and time are the transaction's; a transaction id met
 * again after others is a duplicate, and so is a line number met again
 * within its transaction (the same row twice, counted in duplicates, its
 * amount not added again). Returns false, with why, when the line's
 * transaction is refused, as rfm_txn(). */
bool rfm_line(struct rfm *m, gm_str txn, int64_t line, gm_str user, int64_t ts, int64_t cents,
	const char **why);

/* What rfm_customer() did with a customer's totals. */
enum rfm_take {
	RFM_TAKEN,     /* counted */
	RFM_REFUSED,   /* a bad row, and why */
	RFM_UNSOUND,   /* good, but its totals are not the customer's
	                  measures as of the day, and why */
};

/* Whether customers' totals over all their history can be the
 * measures at all under o: not over a window. */
bool rfm_totals_sound(const struct rfm_opts *o);

/* Takes one customer's measures whole, a dim_customer row of gm-etl's
 * (gm-warehouse(5)): the time of its last purchase (ms), its orders and
 * the total of their lines (cents), as if its transactions had come one
 * by one. A model takes customers or transactions, never both.
 * Refused (why): an id over RFM_ID_MAX bytes, orders under 1 or over
 * UINT32_MAX, a customer taken before (a customer is one row).
 * RFM_UNSOUND (why): the totals may hold orders that the as-of day's
 * window leaves out: there is a window (rfm_totals_sound()), or the
 * last purchase is not before the as-of day. The model is then no use:
 * rfm_free() it, and give a new one the transactions. why is static,
 * valid until the next call. */
enum rfm_take rfm_customer(struct rfm *m, gm_str user, int64_t last_ts, int64_t orders,
	int64_t cents, const char **why);

/* Measures, scores and segments every customer. Call once, after the
 * input. Returns false when there is no as-of day (no transaction and
 * none given): then nothing is written. */
bool rfm_finish(struct rfm *m);

/* The as-of day (valid after rfm_finish() returned true). */
int32_t rfm_as_of(const struct rfm *m);

/* Writes the rows of customer_segment, segment_summary and rfm_cuts,
 * table after table, each after its slice. No customer: no row, and
 * the slices still. */
void rfm_write(struct rfm *m);

/* The migration against the snapshot of day since: each of its rows
 * (a customer's user_id and segment) once, then rfm_compare_end() puts
 * the segment_migration slice and rows, one per (from, to) pair that
 * some customer took. Customers absent from one side are RFM_NONE
 * there. */
void rfm_compare_begin(struct rfm *m, int32_t since);
void rfm_compare_row(struct rfm *m, gm_str user, gm_str segment);
void rfm_compare_end(struct rfm *m);

/* What the run did, for its summary. */
struct rfm_counts {
	uint64_t transactions;  /* distinct ids taken, counted or not; the
	                           customers' orders (rfm_customer) */
	uint64_t outside;       /* of those, outside the as-of day's window */
	uint64_t duplicates;
	uint64_t customers;
	uint64_t rows[4];       /* customer_segment, segment_summary, rfm_cuts,
	                           segment_migration */
};
const struct rfm_counts *rfm_counts(const struct rfm *m);

#endif

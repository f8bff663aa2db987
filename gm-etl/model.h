/* model: gm-etl's rules, apart from I/O. The run's records come in
 * (etl_load), then the warehouse's stored rows that the run's periods,
 * customers and products need (etl_stored), then etl_finish() writes
 * every row the run changes, table by table, through an etl_out: the
 * model never sees the warehouse. gm-warehouse(5) defines the tables;
 * this is where each of its rules is written once. */
#ifndef GM_ETL_MODEL_H
#define GM_ETL_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "rtype.h"
#include "writer.h"

/* The warehouse's record types, in the order their tables are written. */
extern const struct gm_rtype *const etl_fact_types[3];  /* sales, views, cart events */
extern const struct gm_rtype *const etl_derived_types[7];  /* dims, performance, trends, state */

/* Where rows go: begin() gives the writer for a row of table t, put()
 * hands the row over with its id (n bytes). Facts are put as loaded;
 * every other table's rows in ascending order of id. A fact row whose
 * id turns out to be a duplicate is dropped (gm_w_drop()), not put. */
struct etl_out {
	struct gm_writer *(*begin)(void *ctx, const struct gm_rtype *t);
	void (*put)(void *ctx, const struct gm_rtype *t, const char *id, size_t n);
	void *ctx;
};

struct etl_opts {
	int64_t lookback_ms;  /* a source event before the watermark less
	                         this is late; < 0: none is */
};

struct etl;

/* A model writing through out (copied). */
struct etl *etl_new(const struct etl_opts *o, const struct etl_out *out);
void etl_free(struct etl *m);

enum etl_take {
	ETL_LOADED,     /* its fact rows were put, it counts */
	ETL_DUPLICATE,  /* its id came earlier in the run: the first counts */
	ETL_LATE,       /* before the watermark less the lookback */
	ETL_IGNORED,    /* not a type the warehouse holds */
	ETL_REFUSED,    /* why says: an id or name over 64 bytes */
};

/* Takes one record of the run's input, as parsed: a transaction, a
 * product_view or a cart_event (its fact rows are put at once), or a
 * product (the catalog). why is set for ETL_REFUSED. */
enum etl_take etl_load(struct etl *m, const struct gm_event *ev, const char **why);

/* Takes one stored row of table t (a fact table, dim_product or
 * etl_state), its values v and has as gm_rtype_decode() gives them
 * (gm_wh_scan_row()). The state must come before any etl_load(): it
 * holds the watermark. Rows the run does not need are passed over; a
 * fact whose id the run loaded is the run's. The lines of a
 * transaction must come together (fact_sales keeps them so). Returns
 * false with why on a row the model cannot take (a damaged warehouse: a
 * field longer than 64 bytes, a line of a transaction apart from its
 * others, a transaction of more than 4096 lines). */
bool etl_stored(struct etl *m, const struct gm_rtype *t, const union gm_rvalue *v,
	const bool *has, const char **why);

/* The end of a table's stored rows: the last transaction read is
 * taken (etl_stored() judges each row, this never fails). */
void etl_stored_end(struct etl *m, const struct gm_rtype *t);

/* Which stored facts the run needs: those of the days [*lo, *hi]
 * (day numbers, calendar.h), and of the customers it loaded
 * (etl_stored takes every fact_sales row and keeps those). False when
 * the run loaded no fact: no stored fact is needed. */
bool etl_range(const struct etl *m, int32_t *lo, int32_t *hi);

/* The Kafka offsets the stored state holds (the object's JSON text,
 * owned by the model), or NULL: where a run reading Kafka starts. */
const char *etl_offsets(const struct etl *m);

/* The offsets to store with the run's state (JSON object text, copied);
 * NULL keeps the stored ones. */
void etl_set_offsets(struct etl *m, const char *json, size_t n);

/* The user_ids of the customers whose transactions the run loaded,
 * sorted (gm_str_cmp()): *users is one block, the strings after the
 * array, that the caller frees. Returns how many. */
size_t etl_customers(struct etl *m, gm_str **users);

/* Writes every derived row the run changes (see the top), and the
 * state with the new watermark. Call once, after the stored rows. */
void etl_finish(struct etl *m);

/* What the run did, for its summary. */
struct etl_counts {
	uint64_t transactions, lines, views, carts, products;  /* loaded */
	uint64_t duplicates, late, replaced;  /* replaced: stored facts the run loaded again */
	uint64_t days;                        /* days touched */
	uint64_t rows[7];                     /* derived rows, per etl_derived_types */
};
const struct etl_counts *etl_counts(const struct etl *m);

#endif

/* rfm: gm-rfm's rules; see rfm.h and gm-rfm(1). */
#include "rfm.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cli.h"
#include "hash.h"
#include "idset.h"
#include "radix.h"
#include "mem.h"
#include "money.h"
#include "number.h"
#include "ts.h"

/* ---- grids ---- */

/* R's rfm package, rfm_segment()'s default: tried in this order. */
static const struct {
	const char *name;
	uint8_t r[2], f[2], m[2];
} rfm_rows[] = {
	{ "Champions", { 5, 5 }, { 5, 5 }, { 5, 5 } },
	{ "Potential Loyalist", { 3, 5 }, { 3, 5 }, { 2, 5 } },
	{ "Loyal Customers", { 2, 4 }, { 2, 4 }, { 2, 4 } },
	{ "Promising", { 3, 4 }, { 1, 3 }, { 3, 5 } },
	{ "New Customers", { 4, 5 }, { 1, 3 }, { 1, 5 } },
	{ "Can't Lose Them", { 1, 2 }, { 3, 4 }, { 4, 5 } },
	{ "At Risk", { 1, 2 }, { 2, 5 }, { 4, 5 } },
	{ "Need Attention", { 1, 3 }, { 3, 5 }, { 3, 5 } },
	{ "About To Sleep", { 2, 3 }, { 1, 3 }, { 1, 4 } },
	{ "Lost", { 1, 1 }, { 1, 5 }, { 1, 5 } },
};
#define NRFM (sizeof rfm_rows / sizeof *rfm_rows)

/* The name's index in g, added when new. */
static uint8_t name_index(struct rfm_grid *g, const char *name, size_t n)
{
	for (size_t i = 0; i < g->nnames; i++)
		if (strlen(g->names[i]) == n && !memcmp(g->names[i], name, n))
			return (uint8_t)i;
	g->names = gm_xrealloc(g->names, (g->nnames + 1) * sizeof *g->names);
	g->names[g->nnames] = gm_xstrndup(name, n);
	return (uint8_t)g->nnames++;
}

static struct rfm_grid builtin_rfm;

const struct rfm_grid *rfm_grid_builtin(const char *name)
{
	if (strcmp(name, "rfm"))
		return NULL;
	struct rfm_grid *g = &builtin_rfm;
	if (!g->rules) {
		g->bins = 5;
		g->rules = gm_xcalloc(NRFM, sizeof *g->rules);
		for (size_t i = 0; i < NRFM; i++) {
			struct rfm_rule *r = &g->rules[i];
			for (int k = 0; k < 2; k++) {
				uint8_t *bound = k ? r->hi : r->lo;
				bound[0] = rfm_rows[i].r[k];
				bound[1] = rfm_rows[i].f[k];
				bound[2] = rfm_rows[i].m[k];
			}
			r->segment = name_index(g, rfm_rows[i].name, strlen(rfm_rows[i].name));
		}
		g->nrules = NRFM;
		name_index(g, RFM_OTHERS, strlen(RFM_OTHERS));
	}
	return g;
}

void rfm_grid_free(struct rfm_grid *g)
{
	if (!g || g == &builtin_rfm)
		return;
	for (size_t i = 0; i < g->nnames; i++)
		free(g->names[i]);
	free(g->names);
	free(g->rules);
	free(g);
}

uint8_t rfm_grid_segment(const struct rfm_grid *g, unsigned r, unsigned f, unsigned m)
{
	unsigned s[3] = { r, f, m };
	for (size_t i = 0; i < g->nrules; i++) {
		const struct rfm_rule *rule = &g->rules[i];
		bool in = true;
		for (int k = 0; k < 3 && in; k++)
			in = s[k] >= rule->lo[k] && s[k] <= rule->hi[k];
		if (in)
			return rule->segment;
	}
	/* "Others" is always a name of a grid (rfm_grid_parse adds it). */
	for (size_t i = 0; i < g->nnames; i++)
		if (!strcmp(g->names[i], RFM_OTHERS))
			return (uint8_t)i;
	return 0;
}

/* One score or range of a grid line's field, "3" or "2-4", within
 * 1..bins; false with why. */
static bool parse_range(const char *p, size_t n, unsigned bins, uint8_t *lo, uint8_t *hi,
	char *why, size_t whyn)
{
	unsigned long v[2] = { 0, 0 };
	int k = 0;
	size_t digits = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] >= '0' && p[i] <= '9' && digits < 3) {
			v[k] = v[k] * 10 + (unsigned long)(p[i] - '0');
			digits++;
		} else if (p[i] == '-' && k == 0 && digits) {
			k = 1;
			digits = 0;
		} else {
			digits = 0;
			break;
		}
	}
	if (!digits) {
		snprintf(why, whyn, "\"%.*s\" is not a score or a range a-b", (int)(n > 40 ? 40 : n), p);
		return false;
	}
	if (k == 0)
		v[1] = v[0];
	for (int j = 0; j < 2; j++)
		if (v[j] < 1 || v[j] > bins) {
			snprintf(why, whyn, "%lu is outside the scores 1 to %u", v[j], bins);
			return false;
		}
	if (v[0] > v[1]) {
		snprintf(why, whyn, "the range %lu-%lu runs backwards", v[0], v[1]);
		return false;
	}
	*lo = (uint8_t)v[0];
	*hi = (uint8_t)v[1];
	return true;
}

struct rfm_grid *rfm_grid_parse(const char *text, size_t n, const char *file, unsigned bins)
{
	struct rfm_grid *g = gm_xcalloc(1, sizeof *g);
	g->bins = bins;
	size_t cap = 0, lineno = 0;
	const char *p = text, *end = text + n;
	static const char *const what[3] = { "R", "F", "M" };
	char where[512], why[160];
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		const char *q = p, *lend = eol;
		p = eol + 1;
		lineno++;
		snprintf(where, sizeof where, "%s:%zu", file, lineno);
		while (lend > q && isspace((unsigned char)lend[-1]))
			lend--;
		while (q < lend && isspace((unsigned char)*q))
			q++;
		if (q == lend || *q == '#')
			continue;
		struct rfm_rule rule;
		bool ok = true;
		for (int k = 0; k < 3 && ok; k++) {
			const char *w = q;
			while (q < lend && !isspace((unsigned char)*q))
				q++;
			if (w == q) {
				gm_error(where, "expected \"R F M NAME\", the line ends after %d field%s",
					k, k == 1 ? "" : "s");
				ok = false;
			} else if (!parse_range(w, (size_t)(q - w), bins, &rule.lo[k], &rule.hi[k],
					why, sizeof why)) {
				gm_error(where, "%s: %s", what[k], why);
				ok = false;
			}
			while (q < lend && isspace((unsigned char)*q))
				q++;
		}
		size_t namen = (size_t)(lend - q);
		if (ok && namen == 0) {
			gm_error(where, "expected \"R F M NAME\", the line has no name");
			ok = false;
		} else if (ok && namen > RFM_ID_MAX) {
			gm_error(where, "a segment name longer than %d bytes", RFM_ID_MAX);
			ok = false;
		} else if (ok && memchr(q, '/', namen)) {
			gm_error(where, "a segment name may not hold \"/\", which separates the parts of its rows' ids");
			ok = false;
		} else if (ok && namen == strlen(RFM_NONE) && !memcmp(q, RFM_NONE, namen)) {
			gm_error(where, "\"" RFM_NONE "\" names a customer's absence, not a segment");
			ok = false;
		} else if (ok && g->nnames == RFM_MAX_SEGMENTS - 1) {
			gm_error(where, "more than %d segments", RFM_MAX_SEGMENTS - 1);
			ok = false;
		}
		if (!ok) {
			rfm_grid_free(g);
			return NULL;
		}
		rule.segment = name_index(g, q, namen);
		g->rules = gm_grow(g->rules, &cap, g->nrules + 1, sizeof *g->rules, 16);
		g->rules[g->nrules++] = rule;
	}
	if (!g->nrules) {
		gm_error(file, "no segment rules");
		rfm_grid_free(g);
		return NULL;
	}
	name_index(g, RFM_OTHERS, strlen(RFM_OTHERS));
	return g;
}

/* ---- the score rule ---- */

/* Sorts a[0..n) by key, stably, b[0..n) for room; returns the array
 * that holds the result (a or b). */
static struct rfm_keyed *radix_sort(struct rfm_keyed *a, struct rfm_keyed *b, size_t n)
{
	return gm_radix_sort(a, b, n, sizeof *a, offsetof(struct rfm_keyed, key));
}

/* Scores sorted s[0..n): each run of equal keys takes the score of
 * its first place i, 1 + floor(bins * i / n). */
static void score_sorted(const struct rfm_keyed *s, size_t n, unsigned bins, uint8_t *scores)
{
	for (size_t i = 0; i < n;) {
		size_t j = i;
		uint8_t score = (uint8_t)(1 + (uint64_t)bins * i / n);
		while (j < n && s[j].key == s[i].key)
			scores[s[j++].val] = score;
		i = j;
	}
}

void rfm_score(const uint64_t *values, size_t n, unsigned bins, uint8_t *scores,
	struct rfm_keyed *tmp)
{
	if (n == 0)
		return;
	struct rfm_keyed *a = tmp ? tmp : gm_xcalloc(2 * n, sizeof *a);
	for (size_t i = 0; i < n; i++)
		a[i] = (struct rfm_keyed){ values[i], i };
	score_sorted(radix_sort(a, a + n, n), n, bins, scores);
	if (!tmp)
		free(a);
}

/* ---- the model ---- */

/* A customer's measures so far, kept in the arena just before its id:
 * an entry is struct cust, the id's length (a byte), the id, so that
 * a lookup and the update it leads to read one place. */
struct cust {
	int64_t cents;
	int32_t last_day;
	uint32_t orders;
};
#define ENTRY_LEN (sizeof(struct cust) + 1)

/* An index slot holds a tag of the id's hash, its top 64 - SLOT_AT_BITS
 * bits, and where its entry is, plus one (0: empty), so that a lookup
 * reads the slot and the entry only. A slot's place is by the hash's
 * top bits, which the tag keeps: a doubling moves the slots in one pass
 * over them, reading no entry, while the index has up to 2^(64 -
 * SLOT_AT_BITS) slots (and a tag still tells apart the ids of a place
 * while up to 2^24). The arena is then at most 2^SLOT_AT_BITS bytes. */
#define SLOT_AT_BITS 36
#define SLOT_AT_MASK ((UINT64_C(1) << SLOT_AT_BITS) - 1)

/* Transactions in flight (a power of two): a slot prefetched is read
 * PENDING / 2 transactions later, the entry it leads to settled
 * PENDING / 2 after that, each load given a transaction's parsing of
 * time or more. */
#define PENDING 4

enum { M_RECENCY, M_FREQUENCY, M_MONETARY, M_N };
/* As in the rows and their ids, which sort so: frequency, monetary,
 * recency_days. */
static const char *const measure_names[M_N] = { "recency_days", "frequency", "monetary" };

struct cut {
	uint64_t customers;
	int64_t lo, hi;    /* the measure's values */
};

struct scored {
	uint8_t s[M_N];    /* by measure */
	uint8_t seg;       /* the grid's name index */
};

struct seg_sum {
	uint64_t customers, frequency;
	uint64_t recency;
	int64_t revenue;
};

struct rfm {
	struct rfm_opts o;
	struct rfm_out out;
	struct gm_idset *txns;
	size_t n;          /* customers, numbered as their entries come */
	char *ids;         /* the entries (struct cust, length, id) */
	size_t idlen, idcap;
	uint64_t *slots;   /* hash tag << SLOT_AT_BITS | entry + 1; 0 empty */
	size_t mask;       /* slots - 1, a power of two */
	unsigned shift;    /* 64 - log2(slots): a hash's place is h >> shift */
	uint64_t *at;      /* rfm_compare_*(): each customer's entry */
	int64_t max_ts;
	bool any;
	/* The transactions taken last, a ring of PENDING, each settled
	 * PENDING transactions later (rfm_txn, rfm_line): meanwhile its
	 * places in the set and the index load, then, read half way, its
	 * customer's entry. cur, the last, takes lines. */
	struct pending {
		bool active;
		bool whole;    /* rfm_txn's: no line follows */
		char txn[RFM_ID_MAX], user[RFM_ID_MAX];
		size_t txnlen, userlen;
		uint64_t txn_hash, user_hash;  /* hashed once, when taken (txn_hash
		                                  0 while the set needs none) */
		int64_t ts, cents;
	} pend[PENDING], *cur;
	size_t taken;      /* transactions taken: pend[taken % PENDING] is the oldest */
	int64_t *lines;    /* the line numbers cur took (rfm_line) */
	size_t nlines, linecap;
	/* after rfm_finish() */
	bool finished;
	int32_t as_of;
	/* as_of's two members of every row, as_of_key and as_of, each
	 * written once as JSON */
	char as_of_json[2][40];
	size_t as_of_len[2];
	struct scored *sc;  /* each customer's scores and segment */
	uint8_t *segment_of;  /* [r - 1][f - 1][m - 1]: the segment of R, F, M */
	struct rfm_keyed *keyed;  /* 2 n records: the scores' sorts, then the
	                             order of ids (one block, its pages made
	                             once), until rfm_write() */
	struct cut *cuts[M_N];
	struct seg_sum *sums;
	int64_t revenue;
	/* rfm_compare_*() */
	int32_t since;
	uint8_t *seen;
	char **from;       /* the snapshot's segment names */
	size_t nfrom;
	uint64_t *moves;   /* [from][to], from RFM_NONE last, to RFM_NONE at nnames */
	size_t movecap;
	struct rfm_counts k;
};

struct rfm *rfm_new(const struct rfm_opts *o, const struct rfm_out *out)
{
	struct rfm *m = gm_xcalloc(1, sizeof *m);
	m->o = *o;
	m->out = *out;
	m->txns = gm_idset_new();
	m->cur = &m->pend[0];
	m->mask = 1023;
	m->shift = 64 - 10;
	m->slots = gm_xmap((m->mask + 1) * sizeof *m->slots);
	return m;
}

void rfm_free(struct rfm *m)
{
	if (!m)
		return;
	gm_idset_free(m->txns);
	gm_unmap(m->ids, m->idcap);
	gm_unmap(m->slots, (m->mask + 1) * sizeof *m->slots);
	gm_unmap(m->at, m->n * sizeof *m->at);
	for (int i = 0; i < M_N; i++)
		free(m->cuts[i]);
	gm_unmap(m->sc, m->n * sizeof *m->sc);
	free(m->segment_of);
	gm_unmap(m->keyed, 2 * m->n * sizeof *m->keyed);
	free(m->sums);
	free(m->lines);
	free(m->seen);
	for (size_t i = 0; i < m->nfrom; i++)
		free(m->from[i]);
	free(m->from);
	free(m->moves);
	free(m);
}

static struct cust cust_at(const struct rfm *m, size_t at)
{
	struct cust c;
	memcpy(&c, m->ids + at, sizeof c);
	return c;
}

static gm_str id_at(const struct rfm *m, size_t at)
{
	const char *e = m->ids + at + sizeof(struct cust);
	return (gm_str){ e + 1, (unsigned char)e[0] };
}

/* The entry after the one at at: the arena holds them one after
 * another, in the customers' order, so that a walk of every customer
 * reads it in order. */
static size_t next_at(const struct rfm *m, size_t at)
{
	return at + ENTRY_LEN + (unsigned char)m->ids[at + sizeof(struct cust)];
}

/* Room for an entry of n bytes more in the arena: the mapping doubled
 * when full, its pages moved (gm_xmap_grow()); mapped, as the index,
 * the set and the arrays of the customers, on huge pages, where a
 * lookup in tables of hundreds of megabytes missed the TLB too, and a
 * walk in order of id missed it at each customer. */
static void arena_room(struct rfm *m, size_t n)
{
	/* An entry's place, plus one, fits a slot's SLOT_AT_BITS. */
	if (m->idlen + n > SLOT_AT_MASK)
		gm_die(GM_EXIT_FAIL, NULL, "more than %llu bytes of customers' ids and measures",
			(unsigned long long)SLOT_AT_MASK);
	m->ids = gm_xmap_grow(m->ids, &m->idcap, m->idlen + n, (size_t)1 << 21);
}

/* The entry of id user, whose hash is h, or SIZE_MAX (create: made,
 * zeroed, when absent). */
static size_t cust_find(struct rfm *m, gm_str user, uint64_t h, bool create)
{
	uint64_t tag = h >> SLOT_AT_BITS;
	for (size_t i = h >> m->shift;; i = (i + 1) & m->mask) {
		uint64_t s = m->slots[i];
		if (!s) {
			if (!create)
				return SIZE_MAX;
			arena_room(m, ENTRY_LEN + user.n);
			size_t at = m->idlen;
			memset(m->ids + at, 0, sizeof(struct cust));
			m->ids[at + sizeof(struct cust)] = (char)user.n;
			memcpy(m->ids + at + ENTRY_LEN, user.p, user.n);
			m->slots[i] = tag << SLOT_AT_BITS | (at + 1);
			m->idlen += ENTRY_LEN + user.n;
			m->n++;
			return at;
		}
		if (s >> SLOT_AT_BITS == tag) {
			size_t at = (s & SLOT_AT_MASK) - 1;
			const char *e = m->ids + at + sizeof(struct cust);
			if ((unsigned char)e[0] == user.n && !memcmp(e + 1, user.p, user.n))
				return at;
		}
	}
}

/* Doubles the index when it is 70% full. A slot's new place is its
 * tag's top bits (the hash's): slot i goes to about 2i, in one pass
 * over the old slots, in order, that writes the new in order; past
 * 2^(64 - SLOT_AT_BITS) slots, placed again from the entries, which the
 * arena holds one after another. */
static void index_room(struct rfm *m)
{
	if ((m->n + 1) * 10 < (m->mask + 1) * 7)
		return;
	size_t mask = m->mask * 2 + 1;
	unsigned shift = m->shift - 1;
	uint64_t *slots = gm_xmap((mask + 1) * sizeof *slots);
	if (shift >= SLOT_AT_BITS) {
		for (size_t i = 0; i <= m->mask; i++) {
			uint64_t s = m->slots[i];
			if (!s)
				continue;
			size_t j = (size_t)(s >> shift);
			while (slots[j])
				j = (j + 1) & mask;
			slots[j] = s;
		}
	} else {
		for (size_t at = 0; at < m->idlen;) {
			const char *e = m->ids + at + sizeof(struct cust);
			size_t n = (unsigned char)e[0];
			uint64_t h = gm_hash(e + 1, n);
			size_t j = (size_t)(h >> shift);
			while (slots[j])
				j = (j + 1) & mask;
			slots[j] = (h >> SLOT_AT_BITS) << SLOT_AT_BITS | (at + 1);
			at += ENTRY_LEN + n;
		}
	}
	gm_unmap(m->slots, (m->mask + 1) * sizeof *m->slots);
	m->slots = slots;
	m->mask = mask;
	m->shift = shift;
}

static void count_txn(struct rfm *m, gm_str user, uint64_t h, int64_t ts, int64_t cents)
{
	index_room(m);
	size_t at = cust_find(m, user, h, true);  /* which may move the arena */
	char *e = m->ids + at;
	struct cust c;
	memcpy(&c, e, sizeof c);
	int32_t day = day_of_ts(ts);
	if (!c.orders || day > c.last_day)
		c.last_day = day;
	c.orders++;
	c.cents = gm_add_saturating(c.cents, cents);
	memcpy(e, &c, sizeof c);
	if (!m->any || ts > m->max_ts)
		m->max_ts = ts;
	m->any = true;
}

/* Whether ts lies in the as-of day's window (any time, with no as-of
 * day given: the default day follows every transaction). */
static bool inside(const struct rfm *m, int64_t ts)
{
	if (!m->o.has_as_of)
		return true;
	int64_t end = (int64_t)m->o.as_of * 86400000;
	return ts < end && (m->o.window_ms < 0 || ts >= end - m->o.window_ms);
}

/* Settles a transaction taken earlier: a duplicate of an earlier id,
 * outside the window, or counted for its customer. */
static void settle(struct rfm *m, struct pending *p)
{
	if (!p->active)
		return;
	p->active = false;
	if (!gm_idset_add_hashed(m->txns, p->txn, p->txnlen, p->txn_hash)) {
		m->k.duplicates++;
		return;
	}
	m->k.transactions++;
	if (!inside(m, p->ts)) {
		m->k.outside++;
		return;
	}
	count_txn(m, (gm_str){ p->user, p->userlen }, p->user_hash, p->ts, p->cents);
}

/* Loads the entry the first slot of user's hash h that has its tag
 * points to (its slot loaded before: a look, no wait). */
static void prefetch_entry(const struct rfm *m, uint64_t h)
{
	uint64_t tag = h >> SLOT_AT_BITS;
	for (size_t i = h >> m->shift; m->slots[i]; i = (i + 1) & m->mask)
		if (m->slots[i] >> SLOT_AT_BITS == tag) {
			__builtin_prefetch(m->ids + (m->slots[i] & SLOT_AT_MASK) - 1);
			return;
		}
}

static const char *too_long(const char *field)
{
	static char why[96];
	snprintf(why, sizeof why, "field \"%s\" is longer than %d bytes", field, RFM_ID_MAX);
	return why;
}

/* A new transaction: the one PENDING before settled, the entry of the
 * one PENDING / 2 before loading, this one refused (false, with why) or
 * kept, its places in the set and the index loading. */
static bool take(struct rfm *m, gm_str txn, gm_str user, int64_t ts, int64_t cents, bool whole,
	const char **why)
{
	struct pending *p = &m->pend[m->taken % PENDING];
	settle(m, p);
	m->cur = p;
	const struct pending *half = &m->pend[(m->taken + PENDING / 2) % PENDING];
	m->taken++;
	if (half->active)
		prefetch_entry(m, half->user_hash);
	if (txn.n > RFM_ID_MAX)
		return *why = too_long("transaction_id"), false;
	if (user.n > RFM_ID_MAX)
		return *why = too_long("user_id"), false;
	p->txn_hash = gm_idset_prefetch(m->txns, txn.p, txn.n);
	uint64_t h = gm_hash(user.p, user.n);
	__builtin_prefetch(&m->slots[h >> m->shift]);
	p->active = true;
	p->whole = whole;
	memcpy(p->txn, txn.p, txn.n);
	p->txnlen = txn.n;
	memcpy(p->user, user.p, user.n);
	p->userlen = user.n;
	p->user_hash = h;
	p->ts = ts;
	p->cents = cents;
	return true;
}

bool rfm_txn(struct rfm *m, gm_str txn, gm_str user, int64_t ts, int64_t cents, const char **why)
{
	return take(m, txn, user, ts, cents, true, why);
}

/* Whether cur's lines hold line; if not, it is added. Lines come in
 * ascending order from gm-etl, so that the search is rare. */
static bool line_seen(struct rfm *m, int64_t line)
{
	if (!m->nlines || line > m->lines[m->nlines - 1]) {
		m->lines = gm_grow(m->lines, &m->linecap, m->nlines + 1, sizeof *m->lines, 16);
		m->lines[m->nlines++] = line;
		return false;
	}
	for (size_t i = 0; i < m->nlines; i++)
		if (m->lines[i] == line)
			return true;
	m->lines = gm_grow(m->lines, &m->linecap, m->nlines + 1, sizeof *m->lines, 16);
	m->lines[m->nlines++] = line;
	return false;
}

bool rfm_line(struct rfm *m, gm_str txn, int64_t line, gm_str user, int64_t ts, int64_t cents,
	const char **why)
{
	struct pending *c = m->cur;
	if (c->active && !c->whole && txn.n == c->txnlen && !memcmp(txn.p, c->txn, txn.n)) {
		if (line_seen(m, line))
			m->k.duplicates++;  /* the same row again: its sale_id came before */
		else
			c->cents = gm_add_saturating(c->cents, cents);
		return true;
	}
	m->nlines = 0;
	if (!take(m, txn, user, ts, cents, false, why))
		return false;
	line_seen(m, line);
	return true;
}

bool rfm_totals_sound(const struct rfm_opts *o)
{
	return o->window_ms < 0;
}

enum rfm_take rfm_customer(struct rfm *m, gm_str user, int64_t last_ts, int64_t orders,
	int64_t cents, const char **why)
{
	static char reason[160];
	if (!rfm_totals_sound(&m->o))
		return *why = "a window leaves out orders that the totals hold", RFM_UNSOUND;
	if (user.n > RFM_ID_MAX)
		return *why = too_long("user_id"), RFM_REFUSED;
	if (orders < 1 || orders > UINT32_MAX) {
		snprintf(reason, sizeof reason, "field \"orders\": %lld is out of range (1 to %lu)",
			(long long)orders, (unsigned long)UINT32_MAX);
		return *why = reason, RFM_REFUSED;
	}
	/* Every order is no later than the last: before the as-of day when
	 * that one is. */
	if (!inside(m, last_ts)) {
		char ts[GM_TS_LEN + 1], d[11];
		ts[gm_ts_format(last_ts, ts)] = '\0';
		format_day(m->o.as_of, d);
		snprintf(reason, sizeof reason, "the last purchase of \"%.*s\", %s, is not before the as-of day, %s",
			(int)user.n, user.p, ts, d);
		return *why = reason, RFM_UNSOUND;
	}
	index_room(m);
	size_t n = m->n;
	size_t at = cust_find(m, user, gm_hash(user.p, user.n), true);
	if (m->n == n) {
		snprintf(reason, sizeof reason, "user_id \"%.*s\" again: a customer's totals are one row",
			(int)user.n, user.p);
		return *why = reason, RFM_REFUSED;
	}
	struct cust c = { cents, day_of_ts(last_ts), (uint32_t)orders };
	memcpy(m->ids + at, &c, sizeof c);
	m->k.transactions += (uint64_t)orders;
	if (!m->any || last_ts > m->max_ts)
		m->max_ts = last_ts;
	m->any = true;
	return RFM_TAKEN;
}

/* The place of the scores r, f, m in segment_of. */
static size_t segment_place(unsigned bins, unsigned r, unsigned f, unsigned m)
{
	return ((size_t)(r - 1) * bins + f - 1) * bins + m - 1;
}

/* A customer's value of measure k, as its rows give it. */
static int64_t measure(const struct rfm *m, int k, const struct cust *c)
{
	return k == M_RECENCY ? (int64_t)m->as_of - c->last_day
		: k == M_FREQUENCY ? (int64_t)c->orders : c->cents;
}

bool rfm_finish(struct rfm *m)
{
	for (size_t k = 0; k < PENDING; k++)
		settle(m, &m->pend[(m->taken + k) % PENDING]);
	gm_idset_free(m->txns);
	m->txns = NULL;
	if (!m->o.has_as_of && !m->any)
		return false;
	m->finished = true;
	m->as_of = m->o.has_as_of ? m->o.as_of : day_of_ts(m->max_ts) + 1;
	size_t n = m->n;
	unsigned bins = m->o.bins;
	m->k.customers = n;
	const struct rfm_grid *g = m->o.grid;
	m->sums = gm_xcalloc(g->nnames, sizeof *m->sums);
	char d[11];
	format_day(m->as_of, d);
	m->as_of_len[0] = (size_t)snprintf(m->as_of_json[0], sizeof m->as_of_json[0],
		"\"as_of_key\":%ld", (long)date_key_of_day(m->as_of));
	m->as_of_len[1] = (size_t)snprintf(m->as_of_json[1], sizeof m->as_of_json[1],
		"\"as_of\":\"%s\"", d);
	if (n == 0)
		return true;
	/* Each measure as a key that orders as it does: recency_days
	 * grows as the last purchase day falls. Recency's score is then
	 * reversed, so that the most recent always score bins, as the
	 * least frequent always score 1. */
	struct rfm_keyed *a = m->keyed = gm_xmap(2 * n * sizeof *a);
	uint8_t *score = gm_xcalloc(n, 1);
	m->sc = gm_xmap(n * sizeof *m->sc);
	for (int k = 0; k < M_N; k++) {
		for (size_t i = 0, at = 0; i < n; i++, at = next_at(m, at)) {
			struct cust c = cust_at(m, at);
			uint64_t key = k == M_RECENCY ? (uint64_t)((int64_t)INT32_MAX - c.last_day)
				: k == M_FREQUENCY ? c.orders : (uint64_t)c.cents;
			a[i] = (struct rfm_keyed){ key, i };
		}
		score_sorted(radix_sort(a, a + n, n), n, bins, score);
		if (k == M_RECENCY)
			for (size_t i = 0; i < n; i++)
				score[i] = (uint8_t)(bins + 1 - score[i]);
		struct cut *cut = m->cuts[k] = gm_xcalloc(bins + 1, sizeof *cut);
		for (size_t i = 0, at = 0; i < n; i++, at = next_at(m, at)) {
			m->sc[i].s[k] = score[i];
			struct cut *ct = &cut[score[i]];
			struct cust c = cust_at(m, at);
			int64_t v = measure(m, k, &c);
			if (!ct->customers || v < ct->lo)
				ct->lo = v;
			if (!ct->customers || v > ct->hi)
				ct->hi = v;
			ct->customers++;
		}
	}
	free(score);
	/* The segment of every score triple, once. */
	uint8_t *of = m->segment_of = gm_xcalloc((size_t)bins * bins * bins, 1);
	for (unsigned r = 1; r <= bins; r++)
		for (unsigned f = 1; f <= bins; f++)
			for (unsigned s = 1; s <= bins; s++)
				of[segment_place(bins, r, f, s)] = rfm_grid_segment(g, r, f, s);
	for (size_t i = 0, at = 0; i < n; i++, at = next_at(m, at)) {
		const uint8_t *sc = m->sc[i].s;
		uint8_t s = m->sc[i].seg = of[segment_place(bins, sc[M_RECENCY], sc[M_FREQUENCY],
			sc[M_MONETARY])];
		struct seg_sum *t = &m->sums[s];
		struct cust c = cust_at(m, at);
		t->customers++;
		t->recency += (uint64_t)measure(m, M_RECENCY, &c);
		t->frequency += c.orders;
		t->revenue = gm_add_saturating(t->revenue, c.cents);
		m->revenue = gm_add_saturating(m->revenue, c.cents);
	}
	return true;
}

int32_t rfm_as_of(const struct rfm *m)
{
	return m->as_of;
}

/* ---- rows ---- */

static struct gm_writer *row_begin(struct rfm *m, const struct gm_rtype *t)
{
	struct gm_writer *w = m->out.begin(m->out.ctx, t);
	gm_w_typed_begin(w, t->name);
	return w;
}

static void row_put(struct rfm *m, const struct gm_rtype *t, struct gm_writer *w,
	const char *id, size_t n, int table)
{
	gm_w_end(w);
	m->out.put(m->out.ctx, t, id, n);
	m->k.rows[table]++;
}

/* "YYYY-MM-DD/" into id (12 bytes); returns 11. */
static size_t id_day(char *id, int32_t day)
{
	format_day(day, id);
	id[10] = '/';
	return 11;
}

static void write_as_of(const struct rfm *m, struct gm_writer *w)
{
	gm_w_json(w, m->as_of_json[0], m->as_of_len[0]);
	gm_w_json(w, m->as_of_json[1], m->as_of_len[1]);
}

/* The rfm_score of r, f, m: decimal digits for up to 9 bins, two
 * digits each beyond. */
static int64_t rfm_score_of(unsigned bins, unsigned r, unsigned f, unsigned s)
{
	int64_t base = bins <= 9 ? 10 : 100;
	return ((int64_t)r * base + f) * base + s;
}

/* Runs of ids this short are sorted by insertion. */
#define SMALL_RUN 32

/* A record of the order of ids holds, beside its key, all that the walk
 * in that order needs but the entry: the entry's place in the low
 * SLOT_AT_BITS bits (as an index slot does), and above them R, F and
 * M, a byte each (RFM_MAX_BINS < 256), so that each customer written
 * is one read in the arena, in an order that is the customers' in no
 * way: each would be a wait. */
static uint64_t id_record(size_t at, const struct scored *sc)
{
	return (uint64_t)at | (uint64_t)sc->s[M_RECENCY] << SLOT_AT_BITS
		| (uint64_t)sc->s[M_FREQUENCY] << (SLOT_AT_BITS + 8)
		| (uint64_t)sc->s[M_MONETARY] << (SLOT_AT_BITS + 16);
}

static size_t record_at(uint64_t val)
{
	return (size_t)(val & SLOT_AT_MASK);
}

static unsigned record_score(uint64_t val, int k)
{
	static const int shift[M_N] = { SLOT_AT_BITS, SLOT_AT_BITS + 8, SLOT_AT_BITS + 16 };
	return (unsigned)(val >> shift[k]) & 0xff;
}

/* Loads the entry at at, for a walk in an order not the arena's. */
static void prefetch_at(const struct rfm *m, size_t at)
{
	const char *e = m->ids + at;
	__builtin_prefetch(e);
	__builtin_prefetch(e + ENTRY_LEN + 15);
}

/* Bytes from..from + 8 of id, most significant first, NULs past its
 * end: keys that order as those bytes do. */
static uint64_t id_chunk(gm_str id, size_t from)
{
	uint64_t key = 0;
	for (size_t j = from; j < from + 8; j++)
		key = key << 8 | (j < id.n ? (unsigned char)id.p[j] : 0);
	return key;
}

/* Sorts the records a[0..n) in order of id (bytes, then length), ids
 * whose bytes before from are the same (NULs past an end): by 8-byte
 * chunks of their ids from there, radix-sorted, each run that shares a
 * chunk sorted again by the next. b holds n records for room. */
static void sort_ids(const struct rfm *m, struct rfm_keyed *a, struct rfm_keyed *b, size_t n,
	size_t from)
{
	if (n <= SMALL_RUN) {
		/* Their bytes compared (a prefix first) give the same order,
		 * without 8 passes of counting for a few. */
		for (size_t x = 1; x < n; x++)
			for (size_t y = x; y > 0 && gm_str_cmp(id_at(m, record_at(a[y - 1].val)),
					id_at(m, record_at(a[y].val))) > 0; y--) {
				struct rfm_keyed t = a[y];
				a[y] = a[y - 1];
				a[y - 1] = t;
			}
		return;
	}
	size_t longest = 0;
	for (size_t i = 0; i < n; i++) {
		if (i + 8 < n)
			prefetch_at(m, record_at(a[i + 8].val));
		gm_str id = id_at(m, record_at(a[i].val));
		longest = id.n > longest ? id.n : longest;
		a[i].key = id_chunk(id, from);
	}
	if (longest <= from) {
		/* The same bytes but for trailing NULs, one id a length: the
		 * shorter first. */
		for (size_t x = 1; x < n; x++)
			for (size_t y = x; y > 0 && id_at(m, record_at(a[y - 1].val)).n
					> id_at(m, record_at(a[y].val)).n; y--) {
				struct rfm_keyed t = a[y];
				a[y] = a[y - 1];
				a[y - 1] = t;
			}
		return;
	}
	struct rfm_keyed *s = radix_sort(a, b, n);
	if (s != a)
		memcpy(a, s, n * sizeof *a);
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		while (j < n && a[j].key == a[i].key)
			j++;
		if (j - i > 1)
			sort_ids(m, a + i, b + i, j - i, from + 8);
		i = j;
	}
}

/* The customers' rows in order of id. The records are made walking the
 * arena, in order, each keyed by the 8 bytes of its id after the
 * prefix every id shares; radix-sorted by those, in one sort for ids
 * of up to 8 bytes more; the runs that share them are sorted again
 * (sort_ids()) as the walk comes to them, their entries about to be
 * read for their rows. */
static void write_customers(struct rfm *m)
{
	size_t n = m->n;
	gm_str first = id_at(m, 0);
	size_t common = first.n;
	for (size_t at = 0; at < m->idlen; at = next_at(m, at)) {
		gm_str id = id_at(m, at);
		size_t j = 0;
		while (j < common && j < id.n && id.p[j] == first.p[j])
			j++;
		common = j;
	}
	struct rfm_keyed *a = m->keyed;
	for (size_t i = 0, at = 0; i < n; i++, at = next_at(m, at))
		a[i] = (struct rfm_keyed){ id_chunk(id_at(m, at), common), id_record(at, &m->sc[i]) };
	struct rfm_keyed *s = radix_sort(a, a + n, n), *room = s == a ? a + n : a;
	const struct rfm_grid *g = m->o.grid;
	unsigned bins = m->o.bins;
	char id[12 + RFM_ID_MAX];
	size_t day = id_day(id, m->as_of);
	for (size_t k = 0, run = 0; k < n; k++) {
		if (k == run) {
			run = k + 1;
			while (run < n && s[run].key == s[k].key)
				run++;
			if (run - k > 1)
				sort_ids(m, s + k, room + k, run - k, common + 8);
		}
		if (k + 16 < n)
			prefetch_at(m, record_at(s[k + 16].val));
		size_t at = record_at(s[k].val);
		gm_str user = id_at(m, at);
		memcpy(id + day, user.p, user.n);
		struct gm_writer *w = row_begin(m, &gm_rtype_customer_segment);
		GM_W_KSTR(w, "segment_id", id, day + user.n);
		write_as_of(m, w);
		GM_W_KSTR(w, "user_id", user.p, user.n);
		struct cust c = cust_at(m, at);
		GM_W_KI64(w, "recency_days", measure(m, M_RECENCY, &c));
		GM_W_KI64(w, "frequency", c.orders);
		GM_W_KMONEY(w, "monetary", c.cents);
		unsigned r = record_score(s[k].val, M_RECENCY), f = record_score(s[k].val, M_FREQUENCY),
			sm = record_score(s[k].val, M_MONETARY);
		GM_W_KI64(w, "r", r);
		GM_W_KI64(w, "f", f);
		GM_W_KI64(w, "m", sm);
		GM_W_KI64(w, "rfm_score", rfm_score_of(bins, r, f, sm));
		GM_W_KCSTR(w, "segment", g->names[m->segment_of[segment_place(bins, r, f, sm)]]);
		row_put(m, &gm_rtype_customer_segment, w, id, day + user.n, 0);
	}
	gm_unmap(a, 2 * n * sizeof *a);
	m->keyed = NULL;
}

static int cstr_cmp(const void *a, const void *b)
{
	const char *x = *(const char *const *)a, *y = *(const char *const *)b;
	return gm_str_cmp((gm_str){ x, strlen(x) }, (gm_str){ y, strlen(y) });
}

static void write_summary(struct rfm *m)
{
	const struct rfm_grid *g = m->o.grid;
	const char **names = gm_xcalloc(g->nnames, sizeof *names);
	memcpy(names, g->names, g->nnames * sizeof *names);
	qsort(names, g->nnames, sizeof *names, cstr_cmp);
	char id[12 + RFM_ID_MAX];
	size_t day = id_day(id, m->as_of);
	for (size_t k = 0; k < g->nnames; k++) {
		size_t s = 0;
		while (g->names[s] != names[k])
			s++;
		const struct seg_sum *t = &m->sums[s];
		size_t len = strlen(names[k]);
		memcpy(id + day, names[k], len);
		struct gm_writer *w = row_begin(m, &gm_rtype_segment_summary);
		GM_W_KSTR(w, "summary_id", id, day + len);
		write_as_of(m, w);
		GM_W_KSTR(w, "segment", names[k], len);
		GM_W_KI64(w, "customers", (int64_t)t->customers);
		GM_W_KEY(w, "share");
		gm_w_ratio(w, t->customers, m->n);
		GM_W_KEY(w, "avg_recency_days");
		gm_w_ratio(w, t->recency, t->customers);
		GM_W_KEY(w, "avg_frequency");
		gm_w_ratio(w, t->frequency, t->customers);
		if (t->customers)
			GM_W_KMONEY(w, "avg_monetary", gm_money_average(t->revenue, t->customers));
		GM_W_KMONEY(w, "revenue", t->revenue);
		GM_W_KEY(w, "revenue_share");
		gm_w_ratio(w, t->revenue, m->revenue);
		row_put(m, &gm_rtype_segment_summary, w, id, day + len, 1);
	}
	free(names);
}

static void write_value(struct gm_writer *w, int k, int64_t v)
{
	if (k == M_MONETARY)
		gm_w_money(w, v);
	else
		gm_w_i64(w, v);
}

static int score_text_cmp(const void *a, const void *b)
{
	char x[8], y[8];
	snprintf(x, sizeof x, "%u", *(const unsigned *)a);
	snprintf(y, sizeof y, "%u", *(const unsigned *)b);
	return strcmp(x, y);
}

static void write_cuts(struct rfm *m)
{
	static const int order[M_N] = { M_FREQUENCY, M_MONETARY, M_RECENCY };
	unsigned scores[RFM_MAX_BINS];
	for (unsigned s = 0; s < m->o.bins; s++)
		scores[s] = s + 1;
	qsort(scores, m->o.bins, sizeof *scores, score_text_cmp);
	char id[64];
	size_t day = id_day(id, m->as_of);
	for (int o = 0; o < M_N; o++) {
		int k = order[o];
		for (unsigned j = 0; j < m->o.bins; j++) {
			const struct cut *c = &m->cuts[k][scores[j]];
			int n = snprintf(id + day, sizeof id - day, "%s/%u", measure_names[k], scores[j]);
			struct gm_writer *w = row_begin(m, &gm_rtype_rfm_cuts);
			GM_W_KSTR(w, "cut_id", id, day + (size_t)n);
			write_as_of(m, w);
			GM_W_KCSTR(w, "measure", measure_names[k]);
			GM_W_KI64(w, "score", scores[j]);
			GM_W_KI64(w, "customers", (int64_t)c->customers);
			if (c->customers) {
				GM_W_KEY(w, "min_value");
				write_value(w, k, c->lo);
				GM_W_KEY(w, "max_value");
				write_value(w, k, c->hi);
			}
			row_put(m, &gm_rtype_rfm_cuts, w, id, day + (size_t)n, 2);
		}
	}
}

void rfm_write(struct rfm *m)
{
	if (!m->finished)
		return;
	char day[12];
	size_t n = id_day(day, m->as_of);
	m->out.replace(m->out.ctx, &gm_rtype_customer_segment, day, n);
	m->out.replace(m->out.ctx, &gm_rtype_segment_summary, day, n);
	m->out.replace(m->out.ctx, &gm_rtype_rfm_cuts, day, n);
	if (!m->n)
		return;
	write_customers(m);
	write_summary(m);
	write_cuts(m);
}

/* ---- migration ---- */

void rfm_compare_begin(struct rfm *m, int32_t since)
{
	m->since = since;
	m->seen = gm_xcalloc(m->n + 1, 1);
	if (m->n && !m->at) {
		m->at = gm_xmap(m->n * sizeof *m->at);
		for (size_t i = 0, at = 0; i < m->n; i++, at = next_at(m, at))
			m->at[i] = at;
	}
}

/* The place of a snapshot's segment name, added when new, the matrix
 * growing a row. */
static size_t from_index(struct rfm *m, gm_str name)
{
	for (size_t i = 0; i < m->nfrom; i++)
		if (!gm_str_cmp((gm_str){ m->from[i], strlen(m->from[i]) }, name))
			return i;
	m->from = gm_xrealloc(m->from, (m->nfrom + 1) * sizeof *m->from);
	m->from[m->nfrom++] = gm_xstrndup(name.p, name.n);
	size_t cols = m->o.grid->nnames + 1;
	m->moves = gm_xrealloc(m->moves, m->nfrom * cols * sizeof *m->moves);
	memset(m->moves + (m->nfrom - 1) * cols, 0, cols * sizeof *m->moves);
	return m->nfrom - 1;
}

/* The number of the customer whose entry is at: the entries come in
 * the customers' order. */
static size_t cust_number(const struct rfm *m, size_t at)
{
	size_t lo = 0, hi = m->n;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->at[mid] <= at)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

void rfm_compare_row(struct rfm *m, gm_str user, gm_str segment)
{
	size_t cols = m->o.grid->nnames + 1, from = from_index(m, segment), to = cols - 1;
	size_t at = user.n <= RFM_ID_MAX ? cust_find(m, user, gm_hash(user.p, user.n), false) : SIZE_MAX;
	size_t i = at == SIZE_MAX ? SIZE_MAX : cust_number(m, at);
	if (i != SIZE_MAX && !m->seen[i]) {
		m->seen[i] = 1;
		to = m->sc[i].seg;
	}
	m->moves[from * cols + to]++;
}

struct move {
	char *id;
	size_t idn;
	const char *from, *to;
	uint64_t customers;
};

static int move_cmp(const void *a, const void *b)
{
	const struct move *x = a, *y = b;
	return gm_str_cmp((gm_str){ x->id, x->idn }, (gm_str){ y->id, y->idn });
}

void rfm_compare_end(struct rfm *m)
{
	const struct rfm_grid *g = m->o.grid;
	size_t cols = g->nnames + 1;
	gm_str none = { RFM_NONE, strlen(RFM_NONE) };
	/* Customers the snapshot did not hold came from nowhere. */
	size_t fnone = SIZE_MAX;
	for (size_t i = 0; i < m->n; i++)
		if (!m->seen[i]) {
			if (fnone == SIZE_MAX)
				fnone = from_index(m, none);
			m->moves[fnone * cols + m->sc[i].seg]++;
		}
	struct move *mv = NULL;
	size_t n = 0, cap = 0;
	char head[32];
	size_t hn = id_day(head, m->as_of);
	hn += id_day(head + hn, m->since);
	m->out.replace(m->out.ctx, &gm_rtype_segment_migration, head, hn);
	for (size_t f = 0; f < m->nfrom; f++)
		for (size_t t = 0; t < cols; t++) {
			uint64_t c = m->moves[f * cols + t];
			if (!c)
				continue;
			const char *to = t == cols - 1 ? RFM_NONE : g->names[t];
			size_t fl = strlen(m->from[f]), tl = strlen(to);
			char *id = gm_xcalloc(1, hn + fl + 1 + tl + 1);
			memcpy(id, head, hn);
			memcpy(id + hn, m->from[f], fl);
			id[hn + fl] = '/';
			memcpy(id + hn + fl + 1, to, tl);
			mv = gm_grow(mv, &cap, n + 1, sizeof *mv, 64);
			mv[n++] = (struct move){ id, hn + fl + 1 + tl, m->from[f], to, c };
		}
	qsort(mv, n, sizeof *mv, move_cmp);
	char since[11];
	format_day(m->since, since);
	for (size_t i = 0; i < n; i++) {
		struct gm_writer *w = row_begin(m, &gm_rtype_segment_migration);
		GM_W_KSTR(w, "migration_id", mv[i].id, mv[i].idn);
		write_as_of(m, w);
		GM_W_KI64(w, "since_key", date_key_of_day(m->since));
		GM_W_KSTR(w, "since", since, 10);
		GM_W_KCSTR(w, "from_segment", mv[i].from);
		GM_W_KCSTR(w, "to_segment", mv[i].to);
		GM_W_KI64(w, "customers", (int64_t)mv[i].customers);
		row_put(m, &gm_rtype_segment_migration, w, mv[i].id, mv[i].idn, 3);
		free(mv[i].id);
	}
	free(mv);
}

const struct rfm_counts *rfm_counts(const struct rfm *m)
{
	return &m->k;
}

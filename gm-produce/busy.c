/* busy: an open-addressing table, user -> (busy until, purchases); see
 * busy.h. A user is remembered for `retain` after busy_until, so an
 * entry past that is stale: lookups pass it and inserts take it over.
 * When used slots fill half the table, it is rebuilt with the live
 * entries, doubled while they alone fill a quarter.
 *
 * The table is far bigger than the caches, so every lookup would wait
 * for memory. A claim's user is known early (busy_prefetch), and a
 * release is queued: its slot is fetched when it is queued and written
 * RELEASE_QUEUE releases later. That changes nothing a claim can see,
 * because a claim first applies every queued release whose pause has
 * ended by then, and a user with a release still queued is busy. */
#include "busy.h"

#include <stdlib.h>
#include <string.h>

#include "mem.h"

#define EMPTY UINT64_MAX
#define CLAIMED INT64_MAX       /* busy_until of a user in a session */
#define RELEASE_QUEUE 16        /* a power of two */

struct slot {
	uint64_t user;
	int64_t busy_until;
	int64_t purchases;
};

struct release {
	uint64_t user;
	int64_t busy_until;
	int64_t purchases;      /* made in the session that ended */
};

struct busy {
	struct slot *slots, *spare;   /* spare: the last table, same size */
	size_t cap, used;             /* used: slots not EMPTY */
	int64_t pause, retain;
	struct release queue[RELEASE_QUEUE];
	unsigned head, n;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static size_t slots_bytes(size_t cap)
{
	return cap * sizeof(struct slot);
}

/* A table of cap empty slots (gm_xmap: huge pages where the system has
 * them, fewer page faults and TLB misses). */
static struct slot *alloc_slots(size_t cap)
{
	struct slot *s = gm_xmap(slots_bytes(cap));
	memset(s, 0xff, slots_bytes(cap)); /* user == EMPTY everywhere */
	return s;
}

static void free_slots(struct slot *s, size_t cap)
{
	gm_unmap(s, slots_bytes(cap));
}

struct busy *busy_new(int64_t pause, int64_t retain)
{
	struct busy *b = gm_xcalloc(1, sizeof *b);
	b->cap = 4096;
	b->slots = alloc_slots(b->cap);
	b->pause = pause;
	b->retain = retain;
	return b;
}

void busy_free(struct busy *b)
{
	if (b) {
		free_slots(b->slots, b->cap);
		free_slots(b->spare, b->cap);
		free(b);
	}
}

static bool stale(const struct busy *b, const struct slot *s, int64_t now)
{
	return s->busy_until != CLAIMED && s->busy_until + b->retain <= now;
}

static struct slot *home(const struct busy *b, uint64_t user)
{
	return &b->slots[mix(user) & (b->cap - 1)];
}

/* The user's slot (*found), or the slot to put them in: the first stale
 * one met on the way, else the empty one ending the probe. */
static struct slot *find(struct busy *b, uint64_t user, int64_t now, bool *found)
{
	struct slot *reuse = NULL, *end = b->slots + b->cap;
	for (struct slot *s = home(b, user);; s = s + 1 == end ? b->slots : s + 1) {
		if (s->user == user) {
			*found = true;
			return s;
		}
		if (s->user == EMPTY) {
			*found = false;
			return reuse ? reuse : s;
		}
		if (!reuse && stale(b, s, now))
			reuse = s;
	}
}

static void rebuild(struct busy *b, int64_t now)
{
	size_t live = 0;
	for (size_t i = 0; i < b->cap; i++)
		live += b->slots[i].user != EMPTY && !stale(b, &b->slots[i], now);
	size_t cap = b->cap;
	while (live * 4 >= cap)
		cap *= 2;
	struct slot *old = b->slots;
	size_t old_cap = b->cap;
	if (cap == old_cap && b->spare) {
		b->slots = b->spare;
		memset(b->slots, 0xff, slots_bytes(cap));
	} else {
		free_slots(b->spare, old_cap);
		b->slots = alloc_slots(cap);
	}
	b->cap = cap;
	b->used = 0;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].user == EMPTY || stale(b, &old[i], now))
			continue;
		bool found;
		*find(b, old[i].user, now, &found) = old[i];
		b->used++;
	}
	if (cap == old_cap) {
		b->spare = old;
	} else {
		free_slots(old, old_cap);
		b->spare = NULL;
	}
}

/* Puts s in its slot, growing the table as needed. */
static void store(struct busy *b, struct slot *at, struct slot s, int64_t now)
{
	bool was_empty = at->user == EMPTY;
	*at = s;
	if (was_empty && ++b->used * 2 > b->cap)
		rebuild(b, now);
}

/* Writes the oldest queued release into the table; now is the shop's
 * time, which is never before the release's. */
static void apply_release(struct busy *b, int64_t now)
{
	struct release *r = &b->queue[b->head];
	b->head = (b->head + 1) % RELEASE_QUEUE;
	b->n--;
	bool found;
	struct slot *s = find(b, r->user, now, &found);
	int64_t before = found ? s->purchases : 0;
	store(b, s, (struct slot){ r->user, r->busy_until, before + r->purchases }, now);
}

void busy_prefetch(const struct busy *b, uint64_t user)
{
	__builtin_prefetch(home(b, user));
}

bool busy_claim(struct busy *b, uint64_t user, int64_t now, int *purchases)
{
	/* Releases are queued in time order, so the due ones come first; a
	 * user with one still queued is busy. (A session can go on with a
	 * busy user when every draw found one busy: see shop.c.) */
	while (b->n > 0 && b->queue[b->head].busy_until <= now)
		apply_release(b, now);
	for (unsigned i = 0; i < b->n; i++)
		if (b->queue[(b->head + i) % RELEASE_QUEUE].user == user)
			return false;
	bool found;
	struct slot *s = find(b, user, now, &found);
	if (found && s->busy_until > now)
		return false;
	int64_t p = found && !stale(b, s, now) ? s->purchases : 0;
	*purchases = p > 1000000 ? 1000000 : (int)p;
	store(b, s, (struct slot){ user, CLAIMED, p }, now);
	return true;
}

void busy_release(struct busy *b, uint64_t user, int64_t now, int purchases)
{
	if (b->n == RELEASE_QUEUE)
		apply_release(b, now);
	busy_prefetch(b, user);
	b->queue[(b->head + b->n++) % RELEASE_QUEUE] =
		(struct release){ user, now + b->pause, purchases };
}

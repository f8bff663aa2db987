/* busy: an open-addressing table, user -> (busy until, remembered until,
 * purchases); see busy.h. Entries past their memory stay in place for
 * lookups (a probe passes them) and are taken over by inserts; when
 * used slots fill half the table, it is rebuilt with the remembered
 * ones, doubled while they alone fill a quarter. */
#include "busy.h"

#include <stdlib.h>

#include "cli.h"

#define EMPTY UINT64_MAX

struct slot {
	uint64_t user;
	int64_t busy_until;
	int64_t keep_until;
	int32_t purchases;
};

struct busy {
	struct slot *slots;
	size_t cap, used;     /* used: slots not EMPTY */
	int64_t retain;
};

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static struct slot *alloc_slots(size_t cap)
{
	struct slot *s = malloc(cap * sizeof *s);
	if (!s)
		gm_die(GM_EXIT_FAIL, NULL, "out of memory");
	for (size_t i = 0; i < cap; i++)
		s[i].user = EMPTY;
	return s;
}

struct busy *busy_new(int64_t retain)
{
	struct busy *b = calloc(1, sizeof *b);
	if (!b)
		gm_die(GM_EXIT_FAIL, NULL, "out of memory");
	b->cap = 4096;
	b->slots = alloc_slots(b->cap);
	b->retain = retain;
	return b;
}

void busy_free(struct busy *b)
{
	if (b) {
		free(b->slots);
		free(b);
	}
}

/* The user's slot (*found), or the slot to put them in: the first one
 * past its memory met on the way, else the empty one ending the probe. */
static struct slot *find(struct busy *b, uint64_t user, int64_t now, bool *found)
{
	struct slot *reuse = NULL;
	for (size_t i = mix(user) & (b->cap - 1);; i = (i + 1) & (b->cap - 1)) {
		struct slot *s = &b->slots[i];
		if (s->user == user) {
			*found = true;
			return s;
		}
		if (s->user == EMPTY) {
			*found = false;
			return reuse ? reuse : s;
		}
		if (!reuse && s->keep_until <= now)
			reuse = s;
	}
}

static void rebuild(struct busy *b, int64_t now)
{
	size_t live = 0;
	for (size_t i = 0; i < b->cap; i++)
		live += b->slots[i].user != EMPTY && b->slots[i].keep_until > now;
	size_t cap = b->cap;
	while (live * 4 >= cap)
		cap *= 2;
	struct slot *old = b->slots;
	size_t old_cap = b->cap;
	b->slots = alloc_slots(cap);
	b->cap = cap;
	b->used = 0;
	for (size_t i = 0; i < old_cap; i++) {
		if (old[i].user == EMPTY || old[i].keep_until <= now)
			continue;
		bool found;
		*find(b, old[i].user, now, &found) = old[i];
		b->used++;
	}
	free(old);
}

/* Puts s in its slot, growing the table as needed. */
static void store(struct busy *b, struct slot *at, struct slot s, int64_t now)
{
	bool was_empty = at->user == EMPTY;
	*at = s;
	if (was_empty && ++b->used * 2 > b->cap)
		rebuild(b, now);
}

void busy_prefetch(const struct busy *b, uint64_t user)
{
	__builtin_prefetch(&b->slots[mix(user) & (b->cap - 1)]);
}

bool busy_claim(struct busy *b, uint64_t user, int64_t now, int *purchases)
{
	bool found;
	struct slot *s = find(b, user, now, &found);
	if (found && s->busy_until > now)
		return false;
	*purchases = found && s->keep_until > now ? s->purchases : 0;
	store(b, s, (struct slot){ user, INT64_MAX, INT64_MAX, *purchases }, now);
	return true;
}

void busy_release(struct busy *b, uint64_t user, int64_t now, int64_t pause,
	int purchases)
{
	bool found;
	struct slot *s = find(b, user, now, &found);
	int before = found ? s->purchases : 0;
	store(b, s, (struct slot){ user, now + pause, now + pause + b->retain,
		before + purchases }, now);
}

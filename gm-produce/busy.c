/* busy: an open-addressing table, user -> busy until; see busy.h.
 * Expired entries stay in place for lookups (a probe passes them) and
 * are taken over by inserts; when live and expired entries fill half the
 * table, it is rebuilt with the live ones, doubled if they alone fill a
 * quarter. */
#include "busy.h"

#include <stdlib.h>

#include "cli.h"

#define EMPTY UINT64_MAX

struct slot {
	uint64_t user;
	int64_t until;
};

struct busy {
	struct slot *slots;
	size_t cap, used;     /* used: slots not EMPTY */
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

struct busy *busy_new(void)
{
	struct busy *b = calloc(1, sizeof *b);
	if (!b)
		gm_die(GM_EXIT_FAIL, NULL, "out of memory");
	b->cap = 4096;
	b->slots = alloc_slots(b->cap);
	return b;
}

void busy_free(struct busy *b)
{
	if (b) {
		free(b->slots);
		free(b);
	}
}

static void set(struct busy *b, struct slot *s, uint64_t user, int64_t until, int64_t now);

static void rebuild(struct busy *b, int64_t now)
{
	size_t live = 0;
	for (size_t i = 0; i < b->cap; i++)
		live += b->slots[i].user != EMPTY && b->slots[i].until > now;
	size_t cap = b->cap;
	while (live * 4 >= cap)
		cap *= 2;
	struct slot *old = b->slots;
	size_t old_cap = b->cap;
	b->slots = alloc_slots(cap);
	b->cap = cap;
	b->used = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].user != EMPTY && old[i].until > now)
			busy_until(b, old[i].user, old[i].until, now);
	free(old);
}

/* Finds user's slot, or the slot to put them in: the first expired one
 * passed on the way, else the empty one that ended the probe. *found
 * says which. */
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
		if (!reuse && s->until <= now)
			reuse = s;
	}
}

static void set(struct busy *b, struct slot *s, uint64_t user, int64_t until, int64_t now)
{
	bool was_empty = s->user == EMPTY;
	s->user = user;
	s->until = until;
	if (was_empty && ++b->used * 2 > b->cap)
		rebuild(b, now);
}

bool busy_claim(struct busy *b, uint64_t user, int64_t now)
{
	bool found;
	struct slot *s = find(b, user, now, &found);
	if (found && s->until > now)
		return false;
	set(b, s, user, INT64_MAX, now);
	return true;
}

void busy_until(struct busy *b, uint64_t user, int64_t until, int64_t now)
{
	bool found;
	set(b, find(b, user, now, &found), user, until, now);
}

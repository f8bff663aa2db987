/* model: GlobalMart's users and products, derived from the seed and an
 * id by hashing, never stored; and the random streams that drive the
 * simulation. Everything here is deterministic for a seed. */
#ifndef GM_PRODUCE_MODEL_H
#define GM_PRODUCE_MODEL_H

#include <stddef.h>
#include <stdint.h>

enum { NCOUNTRIES = 5, NCATEGORIES = 10, NPAYMENTS = 5 };

extern const char *const country_name[NCOUNTRIES];
extern const char *const category_name[NCATEGORIES];
extern const char *const payment_name[NPAYMENTS];
/* How often each category is a user's favourite (model_user()). */
extern const double category_weight[NCATEGORIES];

/* A pseudo-random stream (xoshiro256**), seeded with splitmix64. */
struct rng {
	uint64_t s[4];
};

void rng_seed(struct rng *r, uint64_t seed);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, 1). */
double rng_unit(struct rng *r);
/* Uniform integer in [lo, hi]. */
int64_t rng_range(struct rng *r, int64_t lo, int64_t hi);
/* Exponential with the given mean. */
double rng_exp(struct rng *r, double mean);
/* An index drawn from weights w[0..n) that sum to 1. */
int rng_pick(struct rng *r, const double *w, int n);

struct model {
	uint64_t seed;
	uint64_t users;       /* ids 0 .. users-1 */
	uint64_t products;    /* ids 0 .. products-1 */
	uint64_t user_step;   /* coprime with users: rank -> id permutation */
	uint64_t user_offset;
	double user_span;     /* power-law sampling constants, see model.c */
	double product_span[NCATEGORIES];
	uint64_t per_category[NCATEGORIES];
};

/* Sets up a model; users and products must be >= 1. */
void model_init(struct model *m, uint64_t seed, uint64_t users, uint64_t products);

struct user {
	uint64_t id;
	int country;          /* home country */
	int fav[2];           /* the two categories the user mostly browses */
	int payment;          /* preferred payment method */
};

struct product {
	uint64_t id;
	int category;
	int64_t price;        /* cents */
};

void model_user(const struct model *m, uint64_t id, struct user *u);
void model_product(const struct model *m, uint64_t id, struct product *p);

/* A user drawn by activity: a few users are very active, most rarely
 * come (a power law over a seeded ranking of users). */
uint64_t model_pick_user(const struct model *m, struct rng *r);

/* A product of the category drawn by popularity (Zipf-like: with the
 * default 25,000 products a category, its most popular product gets
 * about a twentieth of its views). */
uint64_t model_pick_product(const struct model *m, struct rng *r, int category);

/* The chance that model_pick_product(m, r, category) draws product id. */
double model_pick_chance(const struct model *m, uint64_t id, int category);

/* The product's name, derived from the seed and its id: a brand, a word
 * and a noun of its category, and a model code, as "Corvel Compact
 * Blender K42": letters, digits and spaces only, fewer than
 * MODEL_NAME_MAX bytes with the NUL. Returns its length. */
#define MODEL_NAME_MAX 64
size_t model_product_name(const struct model *m, uint64_t id, char *buf);

#endif

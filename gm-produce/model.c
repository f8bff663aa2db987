/* model: see model.h. */
#include "model.h"

#include <math.h>

const char *const country_name[NCOUNTRIES] = { "USA", "UK", "Canada", "Germany", "France" };
static const double country_weight[NCOUNTRIES] = { 0.40, 0.20, 0.12, 0.15, 0.13 };

const char *const category_name[NCATEGORIES] = {
	"electronics", "clothing", "home", "books", "beauty",
	"sports", "toys", "grocery", "garden", "jewelry",
};
/* Median price of each category, in dollars; prices spread log-normally. */
static const double category_median[NCATEGORIES] = {
	220, 40, 65, 16, 25, 55, 30, 9, 35, 160,
};
const double category_weight[NCATEGORIES] = {
	0.14, 0.18, 0.12, 0.10, 0.09, 0.08, 0.08, 0.11, 0.05, 0.05,
};

const char *const payment_name[NPAYMENTS] = {
	"credit_card", "debit_card", "paypal", "apple_pay", "bank_transfer",
};
static const double payment_weight[NPAYMENTS] = { 0.45, 0.25, 0.15, 0.10, 0.05 };

#define USER_EXPONENT 0.7     /* activity: p(rank) ~ rank^-0.7 */
#define PRODUCT_EXPONENT 0.95 /* popularity within a category */
#define PRICE_SIGMA 0.55

/* splitmix64's finaliser: a good 64-bit mixing function. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* The hash of (seed, what, id): what separates the attributes. */
static uint64_t hash(uint64_t seed, uint64_t what, uint64_t id)
{
	return mix(seed ^ mix(what * 0x100000001b3ULL ^ mix(id)));
}

static double unit_of(uint64_t h)
{
	return (h >> 11) * 0x1.0p-53;
}

void rng_seed(struct rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = mix(seed + i * 0x632be59bd9b4e019ULL);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double rng_unit(struct rng *r)
{
	return unit_of(rng_next(r));
}

int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(rng_unit(r) * (double)(hi - lo + 1));
}

double rng_exp(struct rng *r, double mean)
{
	return -mean * log(1.0 - rng_unit(r));
}

static int pick_with(double u, const double *w, int n)
{
	for (int i = 0; i < n - 1; i++) {
		if (u < w[i])
			return i;
		u -= w[i];
	}
	return n - 1;
}

int rng_pick(struct rng *r, const double *w, int n)
{
	return pick_with(rng_unit(r), w, n);
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* A rank in [1, n] with p(rank) ~ rank^-s: the inverse of the continuous
 * power law's distribution function on [1, n + 1). span is
 * (n + 1)^(1 - s) - 1, computed once. */
static uint64_t power_rank(double u, uint64_t n, double s, double span)
{
	uint64_t r = (uint64_t)pow(1.0 + u * span, 1.0 / (1.0 - s));
	return r < 1 ? 1 : r > n ? n : r;
}

static double power_span(uint64_t n, double s)
{
	return pow((double)n + 1.0, 1.0 - s) - 1.0;
}

void model_init(struct model *m, uint64_t seed, uint64_t users, uint64_t products)
{
	m->seed = seed;
	m->users = users;
	m->products = products;
	/* A step near the golden ratio of the range, made coprime, so that
	 * consecutive activity ranks land on scattered user ids. */
	uint64_t step = (uint64_t)(users * 0.6180339887) | 1;
	while (users > 1 && gcd(step, users) != 1)
		step += 2;
	m->user_step = users > 1 ? step % users : 0;
	m->user_offset = hash(seed, 7, 0) % users;
	m->user_span = power_span(users, USER_EXPONENT);
	/* Category c holds the products c, c + 10, c + 20, ... */
	for (int c = 0; c < NCATEGORIES; c++) {
		m->per_category[c] = products > (uint64_t)c ? (products - c + NCATEGORIES - 1) / NCATEGORIES : 0;
		m->product_span[c] = power_span(m->per_category[c], PRODUCT_EXPONENT);
	}
}

void model_user(const struct model *m, uint64_t id, struct user *u)
{
	u->id = id;
	u->country = pick_with(unit_of(hash(m->seed, 1, id)), country_weight, NCOUNTRIES);
	u->fav[0] = pick_with(unit_of(hash(m->seed, 2, id)), category_weight, NCATEGORIES);
	u->fav[1] = pick_with(unit_of(hash(m->seed, 3, id)), category_weight, NCATEGORIES);
	u->payment = pick_with(unit_of(hash(m->seed, 4, id)), payment_weight, NPAYMENTS);
}

/* A standard normal deviate from two uniform hashes (Box-Muller). */
static double normal_of(uint64_t h1, uint64_t h2)
{
	double u1 = 1.0 - unit_of(h1), u2 = unit_of(h2);
	return sqrt(-2.0 * log(u1)) * cos(2 * M_PI * u2);
}

void model_product(const struct model *m, uint64_t id, struct product *p)
{
	p->id = id;
	p->category = (int)(id % NCATEGORIES);
	double dollars = category_median[p->category] *
		exp(PRICE_SIGMA * normal_of(hash(m->seed, 5, id), hash(m->seed, 6, id)));
	/* Shop prices end in .99: whole dollars less a cent, at least 0.99. */
	int64_t whole = (int64_t)llround(dollars);
	p->price = whole < 1 ? 99 : whole * 100 - 1;
}

uint64_t model_pick_user(const struct model *m, struct rng *r)
{
	uint64_t rank = power_rank(rng_unit(r), m->users, USER_EXPONENT, m->user_span) - 1;
	return (rank * m->user_step + m->user_offset) % m->users;
}

uint64_t model_pick_product(const struct model *m, struct rng *r, int category)
{
	uint64_t n = m->per_category[category];
	if (n == 0) /* fewer products than categories */
		return rng_next(r) % m->products;
	uint64_t rank = power_rank(rng_unit(r), n, PRODUCT_EXPONENT, m->product_span[category]) - 1;
	return rank * NCATEGORIES + category;
}

double model_pick_chance(const struct model *m, uint64_t id, int category)
{
	uint64_t n = m->per_category[category];
	if (n == 0)
		return 1.0 / (double)m->products;
	if (id % NCATEGORIES != (uint64_t)category)
		return 0;
	/* power_rank() gives rank r for u * span in [r^(1-s) - 1, (r+1)^(1-s) - 1). */
	double r = (double)(id / NCATEGORIES + 1), s = 1.0 - PRODUCT_EXPONENT;
	return (pow(r + 1, s) - pow(r, s)) / m->product_span[category];
}

/* Words of product names, by category: what such a shop sells. */
static const char *const noun[NCATEGORIES][8] = {
	{ "Headphones", "Speaker", "Tablet", "Camera", "Monitor", "Router", "Charger", "Keyboard" },
	{ "Jacket", "Sweater", "Shirt", "Jeans", "Scarf", "Dress", "Hoodie", "Coat" },
	{ "Lamp", "Blender", "Kettle", "Cushion", "Rug", "Skillet", "Vase", "Towel Set" },
	{ "Novel", "Cookbook", "Atlas", "Biography", "Poetry Book", "Field Guide", "Thriller", "Notebook" },
	{ "Face Cream", "Shampoo", "Lip Balm", "Perfume", "Serum", "Soap", "Hair Oil", "Nail Kit" },
	{ "Yoga Mat", "Football", "Racket", "Dumbbell", "Helmet", "Water Bottle", "Tent", "Bike Light" },
	{ "Puzzle", "Robot", "Doll", "Board Game", "Kite", "Train Set", "Plush Bear", "Building Kit" },
	{ "Coffee", "Olive Oil", "Pasta", "Tea", "Honey", "Granola", "Chocolate", "Rice" },
	{ "Trowel", "Hose", "Planter", "Seed Mix", "Pruner", "Watering Can", "Bird Feeder", "Rake" },
	{ "Ring", "Necklace", "Bracelet", "Earrings", "Pendant", "Watch", "Brooch", "Anklet" },
};
static const char *const adjective[16] = {
	"Classic", "Compact", "Deluxe", "Everyday", "Bright", "Sturdy", "Smart", "Soft",
	"Essential", "Premium", "Travel", "Modern", "Natural", "Pro", "Mini", "Vintage",
};
static const char *const brand_start[16] = {
	"Cor", "Vel", "Mar", "Ton", "Bri", "Lun", "Ast", "Nor",
	"Sol", "Pel", "Kav", "Dun", "Ember", "Fal", "Gal", "Hal",
};
static const char *const brand_end[8] = { "vel", "ora", "ix", "ano", "etto", "wick", "mont", "stead" };

static char *put_word(char *p, const char *w)
{
	while (*w)
		*p++ = *w++;
	return p;
}

size_t model_product_name(const struct model *m, uint64_t id, char *buf)
{
	uint64_t h = hash(m->seed, 8, id);
	char *p = buf;
	p = put_word(p, brand_start[h & 15]);
	p = put_word(p, brand_end[(h >> 4) & 7]);
	*p++ = ' ';
	p = put_word(p, adjective[(h >> 7) & 15]);
	*p++ = ' ';
	p = put_word(p, noun[id % NCATEGORIES][(h >> 11) & 7]);
	*p++ = ' ';
	uint64_t c = hash(m->seed, 9, id);
	*p++ = (char)('A' + c % 26);
	unsigned code = (unsigned)(c / 26 % 990) + 10;   /* two or three digits */
	if (code >= 100)
		*p++ = (char)('0' + code / 100);
	*p++ = (char)('0' + code / 10 % 10);
	*p++ = (char)('0' + code % 10);
	*p = 0;
	return (size_t)(p - buf);
}

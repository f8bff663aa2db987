/* shop: the simulated shop. Shopping sessions arrive as a Poisson
 * process in event time; each one views products, fills a cart, maybe
 * removes something, and checks out or abandons the cart. A heap keeps
 * the open sessions in order of their next event, so the events come
 * out in event-time order. A fraction of checkouts is made anomalous on
 * purpose (see enum anomaly). */
#ifndef GM_PRODUCE_SHOP_H
#define GM_PRODUCE_SHOP_H

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "model.h"

enum anomaly {
	ANOMALY_NONE,
	ANOMALY_AMOUNT,   /* quantities far above what the user buys */
	ANOMALY_BURST,    /* 5 to 7 checkouts 2 to 8 s apart, within a minute */
	ANOMALY_COUNTRY,  /* a session from a country not the user's home */
	NANOMALIES
};

extern const char *const anomaly_name[NANOMALIES];

/* The most units of one add of an amount anomaly. */
#define SHOP_BULK_MAX 100

/* How a session ended, on its last event: the ground truth of carts. */
enum session_end {
	END_NOT,          /* the session goes on after this event */
	END_CHECKOUT,     /* its last checkout */
	END_ABANDONED,    /* a cart event that left the cart holding units */
	END_EMPTIED,      /* a remove that emptied the cart: nothing to buy */
	END_BROWSED,      /* a view, in a session that never filled a cart */
	NENDS
};

extern const char *const session_end_name[NENDS];

#define MAX_CART 8

/* Small on purpose: thousands of sessions are open at once. */
struct cart_line {
	uint32_t product;
	uint8_t category;
	bool removed;         /* taken out: never bought in this session */
	int32_t quantity;
	int32_t unit_price;   /* cents */
};

struct shop_event {
	enum gm_type type;
	uint64_t seq;         /* the event's number: event_id / transaction_id */
	int64_t ts;           /* ms since the epoch */
	uint64_t user, session;
	int country;
	/* product_view and cart_event */
	uint64_t product;
	int category;
	int64_t duration_ms;
	bool add;             /* cart_event: add or remove */
	int64_t quantity, unit_price;
	/* transaction */
	int payment;
	const struct cart_line *items;   /* lines with removed == false */
	int nitems;
	int64_t total;
	enum anomaly anomaly; /* the session's ground truth */
	enum session_end end;
};

struct shop_options {
	uint64_t seed;
	uint64_t users, products;
	int64_t start;         /* event time of the first arrival, ms */
	double event_rate;     /* mean events per second of event time */
	double anomaly_rate;   /* fraction of transactions made anomalous */
	bool daily_cycle;      /* busier by day than by night */
};

struct shop;

/* Creates a shop. Dies (status 1) only when memory is exhausted. */
struct shop *shop_new(const struct shop_options *o);
void shop_free(struct shop *s);

/* The next event in event-time order. The event and its items stay valid
 * until the next call. */
void shop_next(struct shop *s, struct shop_event *ev);

/* The mean number of events per session, and the mix of types, that the
 * session plan gives: for the pages and the mix test. */
double shop_events_per_session(void);

/* The units of product the shop's sessions are expected to buy in a day
 * of event time, at its event rate, outside anomalies: the catalog's
 * stock is sized from it. */
double shop_daily_units(const struct shop *s, uint64_t product);

/* The shop's model of users and products. */
const struct model *shop_model(const struct shop *s);

#endif

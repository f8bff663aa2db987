/* probe: one source gm-metrics collects from (the host, Kafka,
 * PostgreSQL, MongoDB), behind one table of operations, each on its own
 * interval. The gm tools' stats records are not a probe: they come as
 * input (tools.h). A probe never stops the run: a target that does not
 * answer is reported once per change (up, then down) and shown by its
 * up metric. */
#ifndef GM_METRICS_PROBE_H
#define GM_METRICS_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"

struct gm_common;

struct probe_ops {
	const char *name;       /* the source label of gm_metrics_source_up */
	/* Collects once into out (cleared, its ts set, by the caller): the
	 * probe's samples, its up metric among them. Returns whether the
	 * target answered. now_ms: the wall clock, ms since the epoch. */
	bool (*collect)(void *state, struct sample_set *out, int64_t now_ms);
	void (*free)(void *state);
};

struct probe {
	const struct probe_ops *ops;
	void *state;
	int64_t every_ms;       /* its interval */
	int64_t due_ms;         /* monotonic: the next collection */
	bool was_up, said;      /* for the message on a change */
	double took;            /* seconds its last collection took */
	struct sample_set set;  /* its last collection */
};

/* The host (/proc and statvfs, shaped as node_exporter shapes them):
 * CPU seconds per CPU and mode, memory, the filesystems of mounts
 * (those of real devices and tmpfs: as node_exporter's defaults leave
 * out proc, sysfs, cgroup and the like), load. */
extern const struct probe_ops probe_host;
void *probe_host_new(void);

/* A Kafka cluster, at c's brokers with c's -X (lib/kafka.h's
 * gm_kwatch_new()): the brokers its metadata names, every partition's
 * high and low watermarks but those of internal topics ("__..."), each
 * topic's messages a second (from the second collection on), and for
 * each of groups[0..ngroups) (kept, not copied) its committed offsets,
 * lag in messages and lag in seconds (see kafka.c). A collection waits
 * 2 s for the cluster at most; one that gets no metadata shows 0
 * brokers and is down. Returns NULL after gm_error() when the client
 * cannot be made (no brokers). */
extern const struct probe_ops probe_kafka;
void *probe_kafka_new(const struct gm_common *c, const char *const *groups, size_t ngroups);

/* PostgreSQL (--pg): up, client connections and max_connections, the
 * connected database's size, commits and rollbacks, and for each gm
 * table (pg.h's registry) that the database has and that holds a row,
 * the age of the newest value of its time column (its column ts, or
 * where it has none its last time column), by the server's clock. One
 * connection kept between collections, made again when it broke; a
 * connection or query that takes longer than 3 s is a server down
 * (gm_pg_up 0), never a stop. The tables are read, never created.
 * conninfo: libpq's (a URI or key=value words; the rest from the PG*
 * variables and ~/.pgpass), copied. NULL with *why set when libpq
 * cannot read it or it holds a password, which the command line would
 * show to every user. */
extern const struct probe_ops probe_pg;
void *probe_pg_new(const char *conninfo, const char **why);

/* MongoDB (--mongo): up (a ping), connections (serverStatus's
 * connections.current, left out when the server does not give it), and
 * for each collection of the warehouse (warehouse.h) that the database
 * has, its documents and size (collStats's count and size). uri: a
 * mongodb:// URI, copied, whose database (the warehouse's default when
 * it names none) holds the warehouse; a password as lib/mongo.h takes
 * it. Each round asks once, waiting at most 2 s for the server; a
 * server that does not answer is down (gm_mongodb_up 0). NULL with *why
 * set when the URI is not one. */
extern const struct probe_ops probe_mongo;
void *probe_mongo_new(const char *uri, const char **why);

#endif

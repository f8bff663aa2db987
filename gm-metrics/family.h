/* family: every metric gm-metrics exposes, in one table: its name (under
 * gm_, in base units, counters ending in _total, as Prometheus names
 * them), its type, its HELP text and its labels. The exposition, the
 * textfile, the metric records and gm-metrics(1)'s list all come from
 * it (tests/sh/gm-metrics.sh checks the page against it). */
#ifndef GM_METRICS_FAMILY_H
#define GM_METRICS_FAMILY_H

#include <stddef.h>

enum family {
	/* the gm tools, from their stats records */
	F_TOOL_UP,
	F_TOOL_RECORDS_IN,
	F_TOOL_RECORDS_OUT,
	F_TOOL_RECORDS_UNDELIVERED,
	F_TOOL_RECORDS_REJECTED,
	F_TOOL_RECORDS_LATE,
	F_TOOL_UPTIME,
	F_TOOL_LAST_REPORT,
	F_TOOL_VALUE,            /* a tool's own level (stats values) */
	F_TOOL_VALUE_TOTAL,      /* a tool's own count (stats values _total) */
	/* Kafka */
	F_KAFKA_BROKERS,
	F_KAFKA_PARTITION_OFFSET,
	F_KAFKA_PARTITION_OLDEST,
	F_KAFKA_TOPIC_RATE,
	F_KAFKA_GROUP_OFFSET,
	F_KAFKA_GROUP_LAG,
	F_KAFKA_GROUP_LAG_SECONDS,
	/* PostgreSQL */
	F_PG_UP,
	F_PG_CONNECTIONS,
	F_PG_MAX_CONNECTIONS,
	F_PG_DATABASE_SIZE,
	F_PG_COMMITS,
	F_PG_ROLLBACKS,
	F_PG_TABLE_NEWEST_AGE,
	/* MongoDB */
	F_MONGO_UP,
	F_MONGO_CONNECTIONS,
	F_MONGO_COLLECTION_SIZE,
	F_MONGO_COLLECTION_DOCUMENTS,
	/* the host */
	F_HOST_CPU_SECONDS,
	F_HOST_MEMORY_TOTAL,
	F_HOST_MEMORY_AVAILABLE,
	F_HOST_FS_SIZE,
	F_HOST_FS_AVAIL,
	F_HOST_LOAD1,
	F_HOST_LOAD5,
	F_HOST_LOAD15,
	/* gm-metrics itself */
	F_SCRAPE_UP,
	F_SCRAPE_SECONDS,
	F_NFAMILIES
};

enum ftype { FT_COUNTER, FT_GAUGE };

#define FAMILY_MAX_LABELS 4

struct family_def {
	const char *name;
	enum ftype type;
	const char *help;
	const char *labels[FAMILY_MAX_LABELS + 1];   /* NULL-terminated, in order */
};

extern const struct family_def families[F_NFAMILIES];

#endif

/* mongo: MongoDB's health and the warehouse's collections; see
 * probe.h. Commands a real mongod and CongoDB (the tests' server) both
 * answer: ping, serverStatus (CongoDB gives connections.current too),
 * and collStats, whose count and size CongoDB computes (size as the
 * documents' JSON length, mongod as their BSON size) and which both
 * refuse for a collection that does not exist. */
#include <math.h>

#include "mongo.h"
#include "probe.h"
#include "rtype.h"

void *probe_mongo_new(const char *uri, const char **why)
{
	struct gm_mongo *m = gm_mongo_open_idle(uri, GM_MONGO_WAREHOUSE_DB);
	if (!m)
		*why = "not a MongoDB URI";
	return m;
}

static void mongo_free(void *state)
{
	gm_mongo_close(state);
}

static bool mongo_collect(void *state, struct sample_set *out, int64_t now_ms)
{
	(void)now_ms;
	struct gm_mongo *m = state;
	char why[256];
	double v[2];
	bool up = gm_mongo_command_values(m, "ping", NULL, NULL, v, 0, why, sizeof why) == 1;
	sample_add(out, F_MONGO_UP, up ? 1.0 : 0.0);
	if (!up)
		return false;
	static const char *const status_paths[] = { "connections.current" };
	if (gm_mongo_command_values(m, "serverStatus", NULL, status_paths, v, 1, why,
		sizeof why) == 1 && !isnan(v[0]))
		sample_add(out, F_MONGO_CONNECTIONS, v[0]);
	static const char *const coll_paths[] = { "count", "size" };
	for (size_t i = 0; i < gm_nrtypes; i++) {
		const struct gm_rtype *t = gm_rtypes[i];
		if (!t->warehouse || gm_mongo_command_values(m, "collStats", t->table, coll_paths,
			v, 2, why, sizeof why) != 1)
			continue;
		if (!isnan(v[0]))
			sample_add(out, F_MONGO_COLLECTION_DOCUMENTS, v[0], t->table);
		if (!isnan(v[1]))
			sample_add(out, F_MONGO_COLLECTION_SIZE, v[1], t->table);
	}
	return true;
}

const struct probe_ops probe_mongo = {
	.name = "mongo", .collect = mongo_collect, .free = mongo_free,
};

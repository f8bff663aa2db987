/* tools: the tools' stats records; see tools.h. */
#include "tools.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

#include "event.h"
#include "mem.h"
#include "rtype.h"

#define NAME_MAX_LEN 128
#define VALUES_MAX 16

struct instance {
	char tool[NAME_MAX_LEN], instance[NAME_MAX_LEN + 64];
	int64_t seq, ts, interval_ms;
	double uptime;
	bool final;
	uint64_t counts[5];            /* in, out, undelivered, rejected, late */
	size_t nvalues;
	struct { char name[64]; int64_t v; } values[VALUES_MAX];
};

struct tools {
	struct instance *v;
	size_t n, cap;
};

static const char *const count_names[5] = { "in", "out", "undelivered", "rejected", "late" };
static const enum family count_families[5] = {
	F_TOOL_RECORDS_IN, F_TOOL_RECORDS_OUT, F_TOOL_RECORDS_UNDELIVERED,
	F_TOOL_RECORDS_REJECTED, F_TOOL_RECORDS_LATE,
};

struct tools *tools_new(void)
{
	return gm_xcalloc(1, sizeof(struct tools));
}

void tools_free(struct tools *t)
{
	if (!t)
		return;
	free(t->v);
	free(t);
}

size_t tools_count(const struct tools *t)
{
	return t->n;
}

/* The value of t's field name in v (gm_rtype_decode()'s order). */
static const union gm_rvalue *val(const union gm_rvalue *v, const char *name)
{
	return &v[gm_rtype_field(&gm_rtype_stats, name) - gm_rtype_stats.fields];
}

/* The place of (tool, instance): found, new, or the least recent one's
 * when full. */
static struct instance *place(struct tools *t, const char *tool, const char *inst, bool *fresh)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].tool, tool) && !strcmp(t->v[i].instance, inst))
			return *fresh = false, &t->v[i];
	*fresh = true;
	if (t->n == TOOLS_MAX) {
		size_t old = 0;
		for (size_t i = 1; i < t->n; i++)
			if (t->v[i].ts < t->v[old].ts)
				old = i;
		return &t->v[old];
	}
	t->v = gm_grow(t->v, &t->cap, t->n + 1, sizeof *t->v, 16);
	return &t->v[t->n++];
}

bool tools_take(struct tools *t, const struct gm_event *ev, const char **why)
{
	static char reason[200];
	union gm_rvalue v[16];
	bool has[16];
	if (!gm_rtype_decode(&gm_rtype_stats, ev, v, has, reason, sizeof reason))
		return *why = reason, false;
	char tool[NAME_MAX_LEN], inst[sizeof ((struct instance *)0)->instance];
	gm_str_copy(val(v, "tool")->s, tool, sizeof tool);
	gm_str_copy(val(v, "instance")->s, inst, sizeof inst);
	gm_str vs = val(v, "values")->s;
	char *text = gm_xstrndup(vs.p, vs.n);
	char err[128] = "";
	yajl_val values = yajl_tree_parse(text, err, sizeof err);
	free(text);
	if (!YAJL_IS_OBJECT(values) || values->u.object.len > VALUES_MAX) {
		yajl_tree_free(values);
		snprintf(reason, sizeof reason, "field \"values\": expected an object of at most %d integers",
			VALUES_MAX);
		return *why = reason, false;
	}
	for (size_t i = 0; i < values->u.object.len; i++)
		if (!YAJL_IS_INTEGER(values->u.object.values[i])) {
			snprintf(reason, sizeof reason, "field \"values\": \"%.60s\" is not an integer",
				values->u.object.keys[i]);
			yajl_tree_free(values);
			return *why = reason, false;
		}
	int64_t seq = val(v, "seq")->i;
	bool fresh;
	struct instance *x = place(t, tool, inst, &fresh);
	if (!fresh && seq < x->seq) {
		yajl_tree_free(values);
		return true;
	}
	memset(x, 0, sizeof *x);
	snprintf(x->tool, sizeof x->tool, "%s", tool);
	snprintf(x->instance, sizeof x->instance, "%s", inst);
	x->seq = seq;
	x->ts = val(v, "ts")->i;
	x->interval_ms = (int64_t)(strtod(val(v, "interval_s")->s.p, NULL) * 1000);
	x->uptime = strtod(val(v, "uptime_s")->s.p, NULL);
	x->final = val(v, "final")->b;
	for (int k = 0; k < 5; k++)
		x->counts[k] = (uint64_t)val(v, count_names[k])->i;
	for (size_t i = 0; i < values->u.object.len; i++) {
		snprintf(x->values[i].name, sizeof x->values[i].name, "%s", values->u.object.keys[i]);
		x->values[i].v = YAJL_GET_INTEGER(values->u.object.values[i]);
	}
	x->nvalues = values->u.object.len;
	yajl_tree_free(values);
	return true;
}

void tools_collect(const struct tools *t, struct sample_set *out, int64_t now_ms)
{
	for (size_t i = 0; i < t->n; i++) {
		const struct instance *x = &t->v[i];
		bool up = !x->final && now_ms - x->ts <= 3 * x->interval_ms;
		sample_add(out, F_TOOL_UP, up ? 1 : 0, x->tool, x->instance);
		for (int k = 0; k < 5; k++)
			sample_add(out, count_families[k], (double)x->counts[k], x->tool, x->instance);
		sample_add(out, F_TOOL_UPTIME, x->uptime, x->tool, x->instance);
		sample_add(out, F_TOOL_LAST_REPORT, x->ts / 1e3, x->tool, x->instance);
		for (size_t v = 0; v < x->nvalues; v++) {
			char name[64];
			size_t n = strlen(x->values[v].name);
			bool total = n > 6 && !strcmp(x->values[v].name + n - 6, "_total");
			snprintf(name, sizeof name, "%.*s", (int)(total ? n - 6 : n), x->values[v].name);
			sample_add(out, total ? F_TOOL_VALUE_TOTAL : F_TOOL_VALUE, (double)x->values[v].v,
				x->tool, x->instance, name);
		}
	}
}

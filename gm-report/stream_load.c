/* stream_load: see stream_load.h. A file's records and a table's rows
 * meet in take(): a row comes back as the record it was made of (pg.h),
 * so that both are held to the same rules, and give the same page. */
#include "stream_load.h"

#include <stdlib.h>
#include <string.h>

#include "counts.h"
#include "event.h"
#include "mem.h"
#include "pg.h"
#include "rejects.h"
#include "rtype.h"
#include "source.h"

#define MAX_FIELDS 32

/* Where the fields that the sections need are among those
 * gm_rtype_decode() gives. */
struct places {
	size_t alert_id, alert_ts, kind, severity, source, summary, status;
	size_t product, inv_ts, category, on_hand, inv_status;
	size_t session_id, start, cart_adds, converted, transactions, revenue;
};

static struct places places(void)
{
	const struct gm_rtype *a = &gm_rtype_alert, *i = &gm_rtype_inventory_status,
		*s = &gm_rtype_session;
	return (struct places){
		.alert_id = GM_RFIELD_AT(a, "alert_id"), .alert_ts = GM_RFIELD_AT(a, "ts"),
		.kind = GM_RFIELD_AT(a, "kind"), .severity = GM_RFIELD_AT(a, "severity"),
		.source = GM_RFIELD_AT(a, "source"), .summary = GM_RFIELD_AT(a, "summary"),
		.status = GM_RFIELD_AT(a, "status"),
		.product = GM_RFIELD_AT(i, "product_id"), .inv_ts = GM_RFIELD_AT(i, "ts"),
		.category = GM_RFIELD_AT(i, "category"), .on_hand = GM_RFIELD_AT(i, "on_hand"),
		.inv_status = GM_RFIELD_AT(i, "status"),
		.session_id = GM_RFIELD_AT(s, "session_id"), .start = GM_RFIELD_AT(s, "start"),
		.cart_adds = GM_RFIELD_AT(s, "cart_adds"), .converted = GM_RFIELD_AT(s, "converted"),
		.transactions = GM_RFIELD_AT(s, "transactions"), .revenue = GM_RFIELD_AT(s, "revenue"),
	};
}

/* A read: the sections, the places, and room for one record's fields. */
struct load {
	struct stream *s;
	struct places at;
	struct gm_parser *ps;
	union gm_rvalue v[MAX_FIELDS];
	bool has[MAX_FIELDS];
	char reason[256];
	uint64_t *other;
};

enum taken { TAKEN, OTHER, BAD };

/* Gives ev to the sections when it is of theirs; *why for BAD. */
static enum taken take(struct load *l, const struct gm_event *ev, const char **why)
{
	const struct gm_rtype *t = ev->rtype;
	if (t != &gm_rtype_alert && t != &gm_rtype_inventory_status && t != &gm_rtype_session) {
		++*l->other;
		return OTHER;
	}
	if (!gm_rtype_decode(t, ev, l->v, l->has, l->reason, sizeof l->reason)) {
		*why = l->reason;
		return BAD;
	}
	const union gm_rvalue *v = l->v;
	const struct places *at = &l->at;
	if (t == &gm_rtype_alert) {
		struct stream_alert a = {
			.id = v[at->alert_id].s, .ts = v[at->alert_ts].i, .kind = v[at->kind].s,
			.severity = v[at->severity].s, .source = v[at->source].s,
			.summary = v[at->summary].s,
			.resolved = l->has[at->status] && GM_STR_EQ(v[at->status].s, "resolved"),
		};
		stream_alert(l->s, &a);
		return TAKEN;
	}
	bool ok;
	if (t == &gm_rtype_inventory_status) {
		gm_str category = l->has[at->category] ? v[at->category].s : (gm_str){ NULL, 0 };
		ok = stream_inventory(l->s, v[at->product].s, v[at->inv_ts].i, category,
			v[at->on_hand].i, v[at->inv_status].s, why);
	} else {
		ok = stream_session(l->s, v[at->session_id].s, v[at->start].i, v[at->cart_adds].i,
			v[at->converted].b, v[at->transactions].i, v[at->revenue].i, why);
	}
	return ok ? TAKEN : BAD;
}

/* One file's records; the exit status. */
static int load_file(struct load *l, const struct gm_common *c, char *path)
{
	char *files[1] = { path };
	struct gm_source *src = gm_source_open(c, files, 1, NULL, 0, false);
	if (!src)
		return GM_EXIT_FAIL;
	struct gm_record r;
	const struct gm_event *ev;
	while (gm_source_next_event(src, l->ps, &r, &ev, -1) == GM_NEXT_RECORD) {
		const char *why;
		if (take(l, ev, &why) == BAD && !gm_source_reject(src, &r, why))
			break;  /* --strict */
	}
	/* 1 for a file that could not be read, a line too long under
	 * --strict, or a record refused under it. */
	return gm_source_close(src);
}

/* The three tables of one server, in one transaction; the exit status. */
static int load_pg(struct load *l, const struct gm_common *c, const char *spec)
{
	int status;
	struct gm_pg *pg = gm_pg_open(gm_pg_conninfo(spec), c->retry_ms, &status);
	if (!pg)
		return status;
	static const struct gm_rtype *const types[] = {
		&gm_rtype_alert, &gm_rtype_inventory_status, &gm_rtype_session,
	};
	bool ok = gm_pg_begin(pg), stop = false;
	for (size_t i = 0; ok && !stop && i < sizeof types / sizeof *types; i++) {
		const struct gm_pg_table *t = gm_pg_table_for(types[i]->name, strlen(types[i]->name));
		/* NULL columns are left out, as the tools leave out an optional
		 * field: gm_parse() refuses null for one. */
		struct gm_pg_rows *rows = gm_pg_rows_open(pg, t, NULL, 0, NULL, true);
		if (!rows) {
			ok = false;
			break;
		}
		const char *row, *where;
		size_t len;
		while (!stop && gm_pg_rows_next(rows, &row, &len, &where)) {
			gm_counts_add(&gm_counts.in, 1);
			const char *why;
			const struct gm_event *ev = gm_parse(l->ps, row, len, &why);
			if ((!ev || take(l, ev, &why) == BAD) && !gm_reject(where, why, row, len)) {
				status = GM_EXIT_FAIL;  /* --strict */
				stop = true;
			}
			stop = stop || gm_stopping();
		}
		ok = gm_pg_rows_close(rows) && ok;
	}
	/* Nothing was written: the transaction ends with the connection. */
	int closed = gm_pg_close(pg);
	return gm_exit_worse(gm_exit_worse(status, ok ? GM_EXIT_OK : GM_EXIT_FAIL), closed);
}

void stream_source_check(const char *spec, const char *usage)
{
	const char *end = strstr(spec, "://");
	if (!gm_pg_conninfo(spec) && end)
		gm_usage_error(usage, "--stream %.*s://...: not supported; gm-report reads NDJSON "
			"files, -, postgresql://, postgres:// and pg:", (int)(end - spec), spec);
}

int stream_load(struct stream *s, const struct gm_common *c, char *const *sources, size_t n,
	uint64_t *other)
{
	struct load *l = gm_xcalloc(1, sizeof *l);
	*l = (struct load){ .s = s, .at = places(), .ps = gm_parser_new(), .other = other };
	int status = GM_EXIT_OK;
	for (size_t i = 0; i < n && status == GM_EXIT_OK && !gm_stopping(); i++)
		status = gm_pg_conninfo(sources[i]) ? load_pg(l, c, sources[i])
			: load_file(l, c, sources[i]);
	if (status == GM_EXIT_OK && gm_stopping()) {
		gm_warn(NULL, "stopped by a signal: nothing written");
		status = GM_EXIT_FAIL;
	}
	gm_parser_free(l->ps);
	free(l);
	return status;
}

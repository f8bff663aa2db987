/* wh-mongo: a warehouse in MongoDB as tests/sh/etl-mongo.sh sees it.
 *
 *   wh-mongo [-r MS] URI scan TYPE [range FIELD LO HI] [in FIELD V...]
 *       prints the rows of the table of record type TYPE (rtype.h:
 *       customer_segment's table is customer_segments) as gm_wh_scan()
 *       gives them (a dry-run open,
 *       which takes the lock), one a line; -r: how long to retry an
 *       unreachable server (default 60000 ms).
 *   wh-mongo URI count COLL     prints how many documents COLL holds.
 *   wh-mongo URI lock HOST PID  stores the warehouse's lock as a run of
 *       pid PID on HOST ("here": this host) would have, since now.
 *   wh-mongo URI unlock         removes the warehouse's lock.
 *   wh-mongo URI stage [--marker] FILE [TYPE PREFIX]...
 *       stages FILE's rows (each a row of the table its "type" names),
 *       and the slices of the tables of each TYPE whose ids start with
 *       PREFIX to replace, as a run that stopped before its commit point
 *       leaves them; with --marker, also its commit marker: as one that
 *       stopped after.
 *
 * The names and documents are those lib/wh_mongo.c writes (warehouse.h).
 * Exit status 0; 1 after a message; 75 when the server is unreachable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "event.h"
#include "mem.h"
#include "mongo.h"
#include "reader.h"
#include "rtype.h"
#include "ts.h"
#include "warehouse.h"
#include "writer.h"

static int scan(const struct gm_common *c, const char *uri, int argc, char **argv)
{
	if (argc < 1)
		return 2;
	const struct gm_rtype *t = gm_rtype_for(argv[0], strlen(argv[0]));
	if (!t || !t->id) {
		fprintf(stderr, "wh-mongo: %s: not the record type of a warehouse table\n", argv[0]);
		return 2;
	}
	struct gm_wh_filter f = { 0 };
	gm_str in[64];
	for (int i = 1; i < argc;) {
		if (!strcmp(argv[i], "range") && i + 3 < argc) {
			f.range_field = argv[i + 1];
			f.lo = strtoll(argv[i + 2], NULL, 10);
			f.hi = strtoll(argv[i + 3], NULL, 10);
			i += 4;
		} else if (!strcmp(argv[i], "in") && i + 1 < argc) {
			f.in_field = argv[i + 1];
			for (i += 2; i < argc && f.nin < 64 && strcmp(argv[i], "range"); i++)
				in[f.nin++] = (gm_str){ argv[i], strlen(argv[i]) };
			f.in = in;
		} else
			return 2;
	}
	struct gm_wh *wh = gm_wh_open(c, uri, true);
	if (!wh)
		return 1;
	struct gm_wh_scan *s = gm_wh_scan_open(wh, t, &f);
	const char *row, *where;
	size_t len;
	while (s && gm_wh_scan_next(s, &row, &len, &where))
		printf("%.*s\n", (int)len, row);
	int status = s && gm_wh_scan_close(s) ? 0 : 1;
	gm_wh_close(wh);
	return status;
}

static bool count_one(void *ctx, const char *line, size_t len)
{
	(void)line, (void)len;
	++*(long long *)ctx;
	return true;
}

static int stage(struct gm_mongo *m, const char *path, bool marker, int nslices,
	char **slices)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		perror(path);
		return 1;
	}
	struct gm_parser *ps = gm_parser_new();
	struct gm_writer *w = gm_writer_mem();
	char line[65536];
	long long seq = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof line, f)) {
		size_t n = strcspn(line, "\n");
		const char *why;
		const struct gm_event *ev = gm_parse(ps, line, n, &why);
		const struct gm_rtype *t = ev ? gm_rtype_for(ev->type_name.p, ev->type_name.n) : NULL;
		const struct gm_field *id = t && t->id ? gm_event_field(ev, t->id) : NULL;
		if (!id) {
			fprintf(stderr, "wh-mongo: %s: not a row of a table: %.*s\n", path, (int)n, line);
			ok = false;
			break;
		}
		char key[512];
		snprintf(key, sizeof key, "%s:%.*s", t->table, (int)id->value.n, id->value.p);
		gm_writer_reset(w);
		gm_w_obj_begin(w);
		GM_W_KCSTR(w, "type", "_gm_staged");
		GM_W_KCSTR(w, "table", t->table);
		GM_W_KSTR(w, "id", id->value.p, id->value.n);
		GM_W_KI64(w, "seq", seq++);
		GM_W_KEY(w, "row");
		gm_w_json(w, line, n);
		gm_w_end(w);
		size_t len;
		const char *doc = gm_writer_data(w, &len);
		ok = gm_mongo_upsert(m, "_gm_staging", key, strlen(key), doc, len - 1);
	}
	fclose(f);
	for (int i = 0; ok && i < nslices; i += 2) {
		const struct gm_rtype *t = gm_rtype_for(slices[i], strlen(slices[i]));
		if (!t || !t->id) {
			fprintf(stderr, "wh-mongo: %s: not the record type of a warehouse table\n",
				slices[i]);
			ok = false;
			break;
		}
		char key[512];
		snprintf(key, sizeof key, ":%s:%s", t->table, slices[i + 1]);
		gm_writer_reset(w);
		gm_w_obj_begin(w);
		GM_W_KCSTR(w, "type", "_gm_replace");
		GM_W_KCSTR(w, "table", t->table);
		GM_W_KCSTR(w, "field", t->id);
		GM_W_KCSTR(w, "prefix", slices[i + 1]);
		gm_w_end(w);
		size_t len;
		const char *doc = gm_writer_data(w, &len);
		ok = gm_mongo_upsert(m, "_gm_staging", key, strlen(key), doc, len - 1);
	}
	if (ok && marker) {
		char doc[200];
		int n = snprintf(doc, sizeof doc, "{\"type\":\"_gm_commit\",\"prog\":\"wh-mongo\","
			"\"host\":\"test\",\"pid\":1,"
			"\"started\":\"2026-01-01T00:00:00.000Z\",\"rows\":%lld}", seq);
		ok = gm_mongo_flush(m) && gm_mongo_put(m, "_gm_commit", "commit", doc, (size_t)n);
	}
	gm_writer_close(w);
	gm_parser_free(ps);
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	gm_cli_init(argv[0]);
	struct gm_common c;
	gm_common_init(&c);
	int i = 1;
	if (argc > 2 && !strcmp(argv[1], "-r")) {
		c.retry_ms = atoll(argv[2]);
		i = 3;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: wh-mongo [-r MS] URI scan|count|lock|unlock|stage ...\n");
		return 2;
	}
	const char *uri = argv[i], *cmd = argv[i + 1];
	if (!strcmp(cmd, "scan"))
		return scan(&c, uri, argc - i - 2, argv + i + 2);
	int status;
	struct gm_mongo *m = gm_mongo_open(uri, "globalmart_dw", c.retry_ms, 0, &status);
	if (!m)
		return status;
	int rc = 2;
	if (!strcmp(cmd, "count") && argc - i == 3) {
		long long n = 0;
		rc = gm_mongo_find(m, argv[i + 2], NULL, count_one, &n) ? 0 : 1;
		printf("%lld\n", n);
	} else if (!strcmp(cmd, "lock") && argc - i == 4) {
		char host[256] = "";
		if (!strcmp(argv[i + 2], "here"))
			gethostname(host, sizeof host - 1);
		else
			snprintf(host, sizeof host, "%s", argv[i + 2]);
		char started[GM_TS_LEN + 1] = "";
		gm_ts_format((int64_t)time(NULL) * 1000, started);
		char doc[512];
		int n = snprintf(doc, sizeof doc, "{\"type\":\"_gm_lock\",\"prog\":\"wh-mongo\","
			"\"host\":\"%s\",\"pid\":%s,"
			"\"started\":\"%s\"}", host, argv[i + 3], started);
		rc = gm_mongo_lock(m, "_gm_lock", "warehouse", doc, (size_t)n, NULL) == 1 ? 0 : 1;
	} else if (!strcmp(cmd, "unlock") && argc - i == 2) {
		rc = gm_mongo_unlock(m, "_gm_lock", "warehouse") ? 0 : 1;
	} else if (!strcmp(cmd, "stage") && argc - i >= 3) {
		bool marker = !strcmp(argv[i + 2], "--marker");
		int nslices = argc - i - 3 - marker;
		if (nslices >= 0 && nslices % 2 == 0)
			rc = stage(m, argv[i + 2 + marker], marker, nslices, argv + i + 3 + marker);
	}
	int st = gm_mongo_close(m);
	return rc ? rc : st;
}

/* wh-put: one warehouse run that puts rows and replaces slices, as a
 * tool would, for the tests of lib/warehouse's backends.
 *
 *   wh-put [-l] [-n] [-d | -D] SPEC TYPE [PREFIX...] <ROWS
 *       puts each line of stdin, a row of record type TYPE (rtype.h)
 *       whose id is its descriptor's id field, in TYPE's table of the
 *       warehouse SPEC (a folder, postgresql://, mongodb://); replaces
 *       the slices of the ids starting with each PREFIX; commits. Rows
 *       are put by id (GM_WH_BY_ID: give them in order) or, with -l, in
 *       load order (GM_WH_LOADED); -n: a dry run; -d: the table is
 *       done (gm_wh_done()) after the rows; -D: before them, so that
 *       the first is refused.
 *
 * Exit status 0; 1 after a message; 2 usage; 75 as gm_wh_open() says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "event.h"
#include "reader.h"
#include "rtype.h"
#include "warehouse.h"
#include "writer.h"

int main(int argc, char **argv)
{
	gm_cli_init(argv[0]);
	struct gm_common c;
	gm_common_init(&c);
	enum gm_wh_order order = GM_WH_BY_ID;
	bool dry_run = false;
	int opt, done = 0;  /* 'd', 'D' or 0 */
	while ((opt = getopt(argc, argv, "lndD")) != -1) {
		if (opt == 'l')
			order = GM_WH_LOADED;
		else if (opt == 'n')
			dry_run = true;
		else if (opt == 'd' || opt == 'D')
			done = opt;
		else
			return 2;
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: wh-put [-l] [-n] [-d | -D] SPEC TYPE [PREFIX...] <ROWS\n");
		return 2;
	}
	const char *type = argv[optind + 1];
	const struct gm_rtype *t = gm_rtype_for(type, strlen(type));
	if (!t || !t->id || !t->warehouse) {
		fprintf(stderr, "wh-put: %s: not the record type of a warehouse table\n", type);
		return 2;
	}
	struct gm_wh *wh = gm_wh_open(&c, argv[optind], dry_run);
	if (!wh)
		return 1;
	struct gm_wh_table *tb = gm_wh_begin(wh, t, order);
	bool ok = tb != NULL;
	for (int i = optind + 2; ok && i < argc; i++)
		ok = gm_wh_replace(tb, argv[i], strlen(argv[i]));
	struct gm_reader *r = ok ? gm_reader_fdopen(0, "stdin", c.max_line) : NULL;
	struct gm_parser *ps = gm_parser_new();
	struct gm_line l;
	if (ok && done == 'D')
		gm_wh_done(tb);
	while (ok && gm_reader_next(r, &l) == GM_READ_LINE) {
		const char *why;
		const struct gm_event *ev = gm_parse(ps, l.data, l.len, &why);
		const struct gm_field *id = ev ? gm_event_field(ev, t->id) : NULL;
		if (!id || id->kind != GM_JSON_STRING) {
			fprintf(stderr, "wh-put: stdin:%llu: no string \"%s\"\n",
				(unsigned long long)l.lineno, t->id);
			ok = false;
			break;
		}
		gm_w_record(gm_wh_writer(tb), l.data, l.len);
		ok = gm_wh_put(tb, id->value.p, id->value.n);
	}
	if (ok && done == 'd')
		gm_wh_done(tb);
	gm_reader_close(r);
	gm_parser_free(ps);
	ok = ok && gm_wh_commit(wh);
	gm_wh_close(wh);
	return ok ? 0 : 1;
}

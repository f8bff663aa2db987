/* sink-raw OUT FILE: hands every line of FILE, unparsed, to the sink OUT
 * with gm_sink_emit_raw(), as a tool does with a record it has not parsed
 * (gm-produce's lines); gm-cat hands over the event it parsed instead
 * (gm_sink_emit_event). tests/sh/pg-sink-parsed.sh compares the two.
 * Prints gm's summary line; exits with the sink's or the input's status. */
#include <stdio.h>

#include "cli.h"
#include "counts.h"
#include "sink.h"
#include "source.h"

int main(int argc, char **argv)
{
	gm_cli_init(argv[0]);
	if (argc != 3) {
		fputs("usage: sink-raw OUT FILE\n", stderr);
		return GM_EXIT_USAGE;
	}
	struct gm_common c;
	gm_common_init(&c);
	struct gm_source *src = gm_source_open(&c, argv + 2, 1, NULL, 0, false);
	struct gm_sink *sink = gm_sink_open(&c, argv[1]);
	if (!src || !sink) {
		gm_sink_close(sink);
		gm_source_close(src);
		return GM_EXIT_FAIL;
	}
	struct gm_record r;
	int status = GM_EXIT_OK;
	while (gm_source_next(src, &r, -1) == GM_NEXT_RECORD)
		if (!gm_sink_emit_raw(sink, "events", NULL, 0, r.data, r.len)) {
			status = GM_EXIT_FAIL;
			break;
		}
	status = gm_exit_worse(status, gm_sink_close(sink));
	status = gm_exit_worse(status, gm_source_close(src));
	gm_counts_summary();
	return status;
}

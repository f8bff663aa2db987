/* gm-cat: libgm end to end, for tests and benchmarks. Reads NDJSON files
 * or Kafka topics, parses and validates every record, and writes the
 * good ones unchanged to NDJSON, Kafka (keyed as their type says: rtype.h) or PostgreSQL
 * tables. Bad records go the way of every gm tool: reported, counted,
 * kept in --rejects. -f follows the files as tail -F does (gm-notify's
 * -f), until a signal. */
#include "cli.h"
#include "event.h"
#include "finish.h"
#include "rejects.h"
#include "rtype.h"
#include "sink.h"
#include "source.h"
#include "stats.h"

static const char usage[] =
	"usage: gm-cat [-fhnqu] [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"              [-b BROKERS] [-G GROUP] [-X KEY=VALUE]... [-t TOPIC]... [-e]\n"
	"              [--retry-for DURATION] [--stats OUT] [--stats-every DURATION]\n"
	"              [-o OUT] [FILE...]\n";

#define CHECKPOINT_EVERY 10000

/* A source event's default topic; "events" for any other record. */
static const char *topic_for(enum gm_type t)
{
	const struct gm_rtype *rt = gm_rtype_of(t);
	return rt ? rt->topic : "events";
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		GM_BASE_LONG_OPTIONS,
		GM_INPUT_LONG_OPTIONS,
		GM_KAFKA_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		{ "output", required_argument, 0, 'o' },
		{ "validate-only", no_argument, 0, 'n' },
		{ "follow", no_argument, 0, 'f' },
		{ 0 }
	};
	struct gm_common c;
	const char *out = NULL;
	bool validate_only = false, follow = false;
	int opt;

	gm_cli_init(argv[0]);
	gm_common_init(&c);
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS GM_INPUT_SHORT_OPTIONS GM_KAFKA_SHORT_OPTIONS "o:nf", longopts, usage)) != -1) {
		if (gm_common_option(&c, opt, optarg, usage))
			continue;
		switch (opt) {
		case 'o': out = optarg; break;
		case 'n': validate_only = true; break;
		case 'f': follow = true; break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}

	gm_input_check(&c, argc - optind, usage);
	gm_stats_start(&c, usage);
	follow = gm_input_follow(&c, follow, usage);
	gm_rejects_open(c.rejects, c.strict);
	struct gm_source *src = gm_source_open(&c, argv + optind, argc - optind,
		c.topics, c.ntopics, follow);
	struct gm_sink *sink = validate_only ? NULL : gm_sink_open(&c, out);
	if (!src || (!validate_only && !sink)) {
		gm_close_io(&sink, 1, src);
		return GM_EXIT_FAIL;
	}

	struct gm_parser *ps = gm_parser_new();
	struct gm_record r;
	const struct gm_event *ev;
	enum gm_next st;
	int status = GM_EXIT_OK;
	unsigned long since_checkpoint = 0;
	while ((st = gm_source_next_event(src, ps, &r, &ev, 500)) != GM_NEXT_END) {
		if (st == GM_NEXT_ERROR)
			break; /* gm_source_close() gives the status */
		if (st == GM_NEXT_IDLE) {
			if (sink)
				gm_checkpoint(src, sink);
			continue;
		}
		if (!sink)
			continue;
		gm_str key = gm_event_key(ev);
		if (!gm_sink_emit_event(sink, topic_for(ev->type), key.p, key.n, ev)) {
			status = GM_EXIT_FAIL;
			break;
		}
		if (++since_checkpoint == CHECKPOINT_EVERY) {
			since_checkpoint = 0;
			gm_checkpoint(src, sink);
		}
	}
	if (sink && status == GM_EXIT_OK)
		gm_checkpoint(src, sink);
	gm_parser_free(ps);
	return gm_finish(&c, status, &sink, 1, src);
}

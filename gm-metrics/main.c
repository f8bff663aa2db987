/* gm-metrics: the gm tools' stats records, the host (and Kafka,
 * PostgreSQL, MongoDB: probe.h), collected each on its own interval and
 * exposed as Prometheus reads them: over HTTP, as a node_exporter
 * textfile, and as metric records to any gm output. See gm-metrics(1).
 * This file is the I/O; the rules are in tools.c, the probes and
 * sample.c. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "event.h"
#include "finish.h"
#include "mem.h"
#include "pg.h"
#include "probe.h"
#include "rejects.h"
#include "rtype.h"
#include "sample.h"
#include "serve.h"
#include "sink.h"
#include "source.h"
#include "stats.h"
#include "tools.h"
#include "writer.h"

static const char usage[] =
	"usage: gm-metrics [-hqu] [--once] [--every [SOURCE=]DURATION]... [--listen ADDR]\n"
	"                  [--textfile FILE] [-o OUT] [--retention DURATION] [--no-host]\n"
	"                  [--pg CONNINFO] [--mongo URI]\n"
	"                  [--strict] [--rejects FILE] [--max-line BYTES]\n"
	"                  [-b BROKERS] [--watch-group GROUP]... [-G GROUP] [-X KEY=VALUE]...\n"
	"                  [-t TOPIC]... [-e]\n"
	"                  [--retry-for DURATION] [--stats OUT] [--stats-every DURATION]\n"
	"                  [FILE...]\n";

#define EVERY_MS 10000
#define MAX_PROBES 8

enum {
	OPT_ONCE = 0x2000,
	OPT_EVERY,
	OPT_LISTEN,
	OPT_TEXTFILE,
	OPT_NO_HOST,
	OPT_WATCH_GROUP,
	OPT_PG,
	OPT_MONGO,
	OPT_RETENTION,
};

struct run {
	struct gm_common c;
	bool once, no_host;
	const char *listen, *textfile, *out;
	const char **groups;              /* --watch-group: Kafka's probe's */
	size_t ngroups, groups_cap;
	int64_t every_ms;                 /* --every DURATION: every source's default */
	struct { const char *name; int64_t ms; } every[MAX_PROBES + 1];
	size_t nevery;
	struct probe probes[MAX_PROBES];
	size_t nprobes;
	struct tools *tools;
	struct sample_set tools_set, self;  /* the stats records'; gm-metrics's own */
	int64_t tools_due;
	struct serve *serve;
	struct gm_sink *sink;
	bool pg_out;                      /* -o is PostgreSQL: rows of the two tables */
	int64_t retention_ms;             /* --retention: 0 none */
	struct gm_pg *retention;          /* its connection */
	void *pg, *mongo;                 /* --pg's and --mongo's probes, until added */
	struct gm_writer *page;
	int status;
};


/* --every's interval for source name: its own, or the default. */
static int64_t every_of(const struct run *run, const char *name)
{
	for (size_t i = 0; i < run->nevery; i++)
		if (run->every[i].name && !strcmp(run->every[i].name, name))
			return run->every[i].ms;
	return run->every_ms;
}

static const char *const source_names[] = { "host", "kafka", "tools", "pg", "mongo", NULL };

static void every_option(struct run *run, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq) {
		run->every_ms = gm_opt_duration(usage, "--every", arg, false, GM_DURATION_MAX);
		return;
	}
	size_t n = (size_t)(eq - arg);
	const char *name = NULL;
	for (size_t i = 0; source_names[i]; i++)
		if (strlen(source_names[i]) == n && !strncmp(arg, source_names[i], n))
			name = source_names[i];
	if (!name) {
		char known[128] = "";
		for (size_t i = 0; source_names[i]; i++)
			snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
				i ? ", " : "", source_names[i]);
		gm_usage_error(usage, "--every %s: no source \"%.*s\" (%s)", arg, (int)n, arg, known);
	}
	if (run->nevery == MAX_PROBES)
		gm_usage_error(usage, "--every: at most %d", MAX_PROBES);
	run->every[run->nevery].name = name;
	run->every[run->nevery++].ms = gm_opt_duration(usage, "--every", eq + 1, false, GM_DURATION_MAX);
}

static void options(struct run *run, int argc, char **argv)
{
	static const struct option longopts[] = {
		GM_BASE_LONG_OPTIONS,
		GM_INPUT_LONG_OPTIONS,
		GM_KAFKA_LONG_OPTIONS,
		GM_OUTPUT_LONG_OPTIONS,
		{ "once", no_argument, 0, OPT_ONCE },
		{ "every", required_argument, 0, OPT_EVERY },
		{ "listen", required_argument, 0, OPT_LISTEN },
		{ "textfile", required_argument, 0, OPT_TEXTFILE },
		{ "no-host", no_argument, 0, OPT_NO_HOST },
		{ "watch-group", required_argument, 0, OPT_WATCH_GROUP },
		{ "pg", required_argument, 0, OPT_PG },
		{ "mongo", required_argument, 0, OPT_MONGO },
		{ "retention", required_argument, 0, OPT_RETENTION },
		{ "output", required_argument, 0, 'o' },
		{ 0 }
	};
	run->every_ms = EVERY_MS;
	const char *pg = NULL, *mongo = NULL, *why;
	int opt;
	while ((opt = gm_getopt(argc, argv, GM_BASE_SHORT_OPTIONS GM_INPUT_SHORT_OPTIONS
		GM_KAFKA_SHORT_OPTIONS "o:", longopts, usage)) != -1) {
		if (gm_common_option(&run->c, opt, optarg, usage))
			continue;
		switch (opt) {
		case OPT_ONCE: run->once = true; break;
		case OPT_EVERY: every_option(run, optarg); break;
		case OPT_LISTEN: run->listen = optarg; break;
		case OPT_TEXTFILE: run->textfile = optarg; break;
		case OPT_NO_HOST: run->no_host = true; break;
		case OPT_WATCH_GROUP:
			run->groups = gm_grow(run->groups, &run->groups_cap, run->ngroups + 1,
				sizeof *run->groups, 4);
			run->groups[run->ngroups++] = optarg;
			break;
		case OPT_PG: pg = optarg; break;
		case OPT_MONGO: mongo = optarg; break;
		case OPT_RETENTION:
			run->retention_ms = gm_opt_duration(usage, "--retention", optarg, false,
				GM_DURATION_MAX);
			break;
		case 'o': run->out = optarg; break;
		default: gm_usage_error(usage, "%s", "unknown option");
		}
	}
	gm_input_check(&run->c, (size_t)(argc - optind), usage);
	if (run->ngroups && !(run->c.brokers && *run->c.brokers))
		gm_usage_error(usage, "--watch-group goes with -b BROKERS (or GM_BROKERS)");
	/* One collection of everything: topics are read to their ends. */
	if (run->once)
		run->c.exit_eof = true;
	if (run->once && run->listen)
		gm_usage_error(usage, "--listen goes without --once: a page served for no time");
	if (!run->once && !run->listen && !run->textfile && !run->out)
		gm_usage_error(usage, "nothing to write: give --listen, --textfile or -o (or --once)");
	run->pg_out = run->out && gm_pg_conninfo(run->out);
	if (run->retention_ms && !run->pg_out)
		gm_usage_error(usage, "--retention goes with a PostgreSQL -o, whose tables it trims");
	if (pg && !(run->pg = probe_pg_new(pg, &why)))
		gm_usage_error(usage, "--pg: %s", why);
	if (mongo && !(run->mongo = probe_mongo_new(mongo, &why)))
		gm_usage_error(usage, "--mongo: %s", why);
	gm_stats_start(&run->c, usage);
}

static void add_probe(struct run *run, const struct probe_ops *ops, void *state)
{
	struct probe *p = &run->probes[run->nprobes++];
	p->ops = ops;
	p->state = state;
	p->every_ms = every_of(run, ops->name);
	p->due_ms = gm_now_ms();
	p->was_up = true;
}

/* Collects from p now; says so once when its target stops or starts
 * answering. */
static void collect(struct run *run, struct probe *p)
{
	sample_clear(&p->set);
	int64_t t0 = gm_now_ms();
	p->set.ts = gm_wall_ms();
	bool up = p->ops->collect(p->state, &p->set, p->set.ts);
	if (up != p->was_up || !p->said) {
		if (!up)
			gm_warn(p->ops->name, "does not answer: shown as down");
		else if (p->said)
			gm_warn(p->ops->name, "answers again");
		p->said = true;
	}
	p->was_up = up;
	p->took = (gm_now_ms() - t0) / 1e3;
	p->due_ms = t0 + p->every_ms;
	(void)run;
}

/* gm-metrics's own samples: each source's up and collection time. */
static void self_samples(struct run *run)
{
	sample_clear(&run->self);
	run->self.ts = gm_wall_ms();
	for (size_t i = 0; i < run->nprobes; i++) {
		const struct probe *p = &run->probes[i];
		sample_add(&run->self, F_SCRAPE_UP, p->was_up ? 1 : 0, p->ops->name);
		sample_add(&run->self, F_SCRAPE_SECONDS, p->took, p->ops->name);
	}
}

/* The textfile, written whole under a temporary name and renamed over
 * the old, so that node_exporter never reads half of it. */
static bool write_textfile(const char *path, const char *text, size_t n)
{
	size_t len = strlen(path) + 8;
	char *tmp = gm_xcalloc(1, len);
	snprintf(tmp, len, "%s.tmp", path);
	struct gm_writer *w = gm_writer_open(tmp, false);
	bool ok = w != NULL;
	if (ok) {
		gm_w_raw(w, text, n);
		ok = gm_writer_close(w);
	}
	if (ok && rename(tmp, path)) {
		gm_error(path, "cannot rename %s over it: %s", tmp, strerror(errno));
		ok = false;
	}
	if (!ok)
		unlink(tmp);
	free(tmp);
	return ok;
}

/* The id of sample x collected at ts, NAME{LABELS}@TS, in id[0..n)
 * (truncated): a metric record's and a table row's. Returns its length. */
static size_t sample_id(const struct sample *x, int64_t ts, char *id, size_t size)
{
	const struct family_def *d = &families[x->f];
	size_t n = (size_t)snprintf(id, size, "%s{", d->name);
	for (size_t k = 0; d->labels[k] && n < size; k++)
		n += (size_t)snprintf(id + n, size - n, "%s%s=\"%s\"", k ? "," : "", d->labels[k],
			x->labels[k]);
	if (n < size) {
		char t[GM_TS_LEN + 1];
		t[gm_ts_format(ts, t)] = '\0';
		n += (size_t)snprintf(id + n, size - n, "}@%s", t);
	}
	return n < size ? n : size - 1;
}

/* NaN and infinities have no JSON number: such a sample is not written. */
static bool finite(double v)
{
	return v == v && v - v == 0;
}

/* A sample's labels, as the object "labels" of its record. */
static void write_labels(struct gm_writer *w, const struct sample *x)
{
	const struct family_def *d = &families[x->f];
	GM_W_KEY(w, "labels");
	gm_w_obj_begin(w);
	for (size_t k = 0; d->labels[k]; k++)
		gm_w_kcstr(w, d->labels[k], x->labels[k]);
	gm_w_obj_end(w);
}

/* One metric record of sample x, collected at ts. */
static bool emit_record(struct gm_sink *s, const struct sample *x, int64_t ts)
{
	if (!finite(x->value))
		return true;
	const struct family_def *d = &families[x->f];
	char id[1024];
	size_t n = sample_id(x, ts, id, sizeof id);
	struct gm_writer *w = gm_sink_writer(s);
	gm_w_obj_begin(w);
	GM_W_KLIT(w, "type", "metric");
	GM_W_KSTR(w, "metric_id", id, n);
	GM_W_KTS(w, "ts", ts);
	GM_W_KCSTR(w, "name", d->name);
	write_labels(w, x);
	GM_W_KEY(w, "value");
	gm_w_double(w, x->value);
	gm_w_end(w);
	return gm_sink_emit(s, gm_rtype_metric.topic, d->name, strlen(d->name));
}

/* The value of x's label name, or NULL when its family has none. */
static const char *label_of(const struct sample *x, const char *name)
{
	const struct family_def *d = &families[x->f];
	for (size_t k = 0; d->labels[k]; k++)
		if (!strcmp(d->labels[k], name))
			return x->labels[k];
	return NULL;
}

/* One row of sample x of set for a PostgreSQL -o: a kafka_metric for
 * the Kafka families (gm_kafka_...), else a system_health_metric about
 * the tool it names or, for another, the source that collected it
 * (source); up: whether that tool, or that source's target, is up. */
static bool emit_row(struct gm_sink *s, const struct sample_set *set, const struct sample *x,
	const char *source, bool up)
{
	if (!finite(x->value))
		return true;
	const struct family_def *d = &families[x->f];
	char id[1024];
	size_t n = sample_id(x, set->ts, id, sizeof id);
	struct gm_writer *w = gm_sink_writer(s);
	const struct gm_rtype *t;
	gm_w_obj_begin(w);
	if (!strncmp(d->name, "gm_kafka_", 9)) {
		t = &gm_rtype_kafka_metric;
		GM_W_KLIT(w, "type", "kafka_metric");
		GM_W_KSTR(w, "metric_id", id, n);
		GM_W_KTS(w, "ts", set->ts);
		GM_W_KCSTR(w, "metric", d->name);
		const char *topic = label_of(x, "topic"), *part = label_of(x, "partition"),
			*group = label_of(x, "consumergroup");
		if (topic)
			GM_W_KCSTR(w, "topic", topic);
		if (part && *part && strspn(part, "0123456789") == strlen(part) && strlen(part) < 10)
			GM_W_KI64(w, "partition", strtoll(part, NULL, 10));
		if (group)
			GM_W_KCSTR(w, "consumer_group", group);
	} else {
		t = &gm_rtype_system_health_metric;
		const char *tool = label_of(x, "tool"), *instance = label_of(x, "instance");
		GM_W_KLIT(w, "type", "system_health_metric");
		GM_W_KSTR(w, "metric_id", id, n);
		GM_W_KTS(w, "ts", set->ts);
		GM_W_KCSTR(w, "component", tool ? tool : source);
		if (instance)
			GM_W_KCSTR(w, "instance", instance);
		GM_W_KCSTR(w, "status", up ? "up" : "down");
		GM_W_KCSTR(w, "metric", d->name);
		write_labels(w, x);
	}
	GM_W_KEY(w, "value");
	gm_w_double(w, x->value);
	gm_w_end(w);
	return gm_sink_emit(s, t->topic, d->name, strlen(d->name));
}

/* Writes set's samples to -o: metric records, or rows of the two
 * tables for PostgreSQL. */
static bool emit_set(struct run *run, const struct sample_set *set)
{
	const char *source = set == &run->self ? "gm-metrics" : "tools";
	bool up = true;
	for (size_t i = 0; i < run->nprobes; i++)
		if (set == &run->probes[i].set)
			source = run->probes[i].ops->name, up = run->probes[i].was_up;
	bool tool_up = false;   /* of the instance whose samples these are */
	for (size_t j = 0; j < set->n; j++) {
		const struct sample *x = &set->v[j];
		/* tools_collect() gives an instance's gm_tool_up first. */
		if (x->f == F_TOOL_UP)
			tool_up = x->value == 1;
		bool of_tool = set == &run->tools_set;
		if (!(run->pg_out ? emit_row(run->sink, set, x, source, of_tool ? tool_up : up) :
		      emit_record(run->sink, x, set->ts)))
			return false;
	}
	return true;
}

/* --retention: the rows of the two tables older than it, deleted. */
static bool trim(struct run *run)
{
	const struct gm_rtype *types[] = { &gm_rtype_kafka_metric, &gm_rtype_system_health_metric };
	int64_t before = gm_wall_ms() - run->retention_ms;
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		const struct gm_pg_table *t = gm_pg_table_for(types[i]->name, strlen(types[i]->name));
		if (!gm_pg_delete_before(run->retention, t, "ts", before, NULL))
			return false;
	}
	return true;
}

/* Every output, after a round that collected the sets fresh[0..nfresh):
 * the page and the textfile whole, the records of the fresh sets and of
 * gm-metrics's own. */
static void publish(struct run *run, const struct sample_set *const *fresh, size_t nfresh)
{
	self_samples(run);
	const struct sample_set *sets[MAX_PROBES + 2];
	size_t n = 0;
	for (size_t i = 0; i < run->nprobes; i++)
		sets[n++] = &run->probes[i].set;
	sets[n++] = &run->tools_set;
	sets[n++] = &run->self;
	gm_writer_reset(run->page);
	sample_expose(run->page, sets, n);
	size_t len;
	const char *text = gm_writer_data(run->page, &len);
	if (run->serve)
		serve_set(run->serve, text, len);
	if (run->textfile && !write_textfile(run->textfile, text, len))
		run->status = GM_EXIT_FAIL;
	if (!run->sink)
		return;
	for (size_t i = 0; i <= nfresh; i++)
		if (!emit_set(run, i < nfresh ? fresh[i] : &run->self)) {
			run->status = GM_EXIT_FAIL;
			return;
		}
	if (!gm_sink_flush(run->sink) || (run->retention && !trim(run)))
		run->status = GM_EXIT_FAIL;
}

static void collect_tools(struct run *run)
{
	sample_clear(&run->tools_set);
	run->tools_set.ts = gm_wall_ms();
	tools_collect(run->tools, &run->tools_set, run->tools_set.ts);
	run->tools_due = gm_now_ms() + every_of(run, "tools");
}

/* Takes a record of the input: a stats record, or a rejected one. */
static bool take(struct run *run, struct gm_source *src, const struct gm_record *r,
	const struct gm_event *ev)
{
	const char *why;
	if (!ev->rtype || ev->rtype != &gm_rtype_stats)
		return gm_source_reject(src, r, "not a stats record");
	if (!tools_take(run->tools, ev, &why))
		return gm_source_reject(src, r, why);
	return true;
}

/* The end of a run that could not open all it needs: what it made
 * freed, what it opened closed. Returns status. */
static int open_failed(struct run *run, struct gm_source *src, int status)
{
	for (size_t i = 0; i < run->nprobes; i++)
		run->probes[i].ops->free(run->probes[i].state);
	if (run->pg)
		probe_pg.free(run->pg);
	if (run->mongo)
		probe_mongo.free(run->mongo);
	serve_stop(run->serve);
	if (run->retention)
		gm_pg_close(run->retention);
	gm_close_io(&run->sink, run->sink ? 1 : 0, src);
	return status;
}

int main(int argc, char **argv)
{
	struct run run = { .status = GM_EXIT_OK };
	gm_cli_init(argv[0]);
	gm_common_init(&run.c);
	options(&run, argc, argv);
	gm_rejects_open(run.c.rejects, run.c.strict);

	size_t nfiles = (size_t)(argc - optind);
	struct gm_source *src = NULL;
	if (nfiles || run.c.ntopics) {
		src = gm_source_open(&run.c, argv + optind, nfiles, run.c.topics, run.c.ntopics,
			!run.once && !run.c.exit_eof);
		if (!src)
			return open_failed(&run, NULL, GM_EXIT_FAIL);
	}
	if (run.out) {
		run.sink = gm_sink_open(&run.c, run.out);
		if (!run.sink)
			return open_failed(&run, src, GM_EXIT_FAIL);
	}
	if (run.retention_ms) {
		int st;
		run.retention = gm_pg_open(gm_pg_conninfo(run.out), run.c.retry_ms, &st);
		if (!run.retention)
			return open_failed(&run, src, st);
	}
	if (run.listen) {
		run.serve = serve_start(run.listen);
		if (!run.serve)
			return open_failed(&run, src, GM_EXIT_FAIL);
	}

	/* Everything opened: what the run keeps. */
	if (!run.no_host)
		add_probe(&run, &probe_host, probe_host_new());
	if (run.c.brokers && *run.c.brokers) {
		void *kafka = probe_kafka_new(&run.c, run.groups, run.ngroups);
		if (!kafka)
			return open_failed(&run, src, GM_EXIT_FAIL);
		add_probe(&run, &probe_kafka, kafka);
	}
	if (run.pg)
		add_probe(&run, &probe_pg, run.pg);
	if (run.mongo)
		add_probe(&run, &probe_mongo, run.mongo);
	run.pg = run.mongo = NULL;   /* the probes' now */
	run.tools = tools_new();
	run.page = gm_writer_mem();
	struct gm_parser *ps = gm_parser_new();
	struct gm_record r;
	const struct gm_event *ev;
	bool reading = src != NULL;
	if (run.once) {
		enum gm_next st;
		while (reading && (st = gm_source_next_event(src, ps, &r, &ev, -1)) != GM_NEXT_END) {
			if (st == GM_NEXT_ERROR || (st == GM_NEXT_RECORD && !take(&run, src, &r, ev)))
				break;
		}
		const struct sample_set *fresh[MAX_PROBES + 1];
		for (size_t i = 0; i < run.nprobes; i++) {
			collect(&run, &run.probes[i]);
			fresh[i] = &run.probes[i].set;
		}
		collect_tools(&run);
		fresh[run.nprobes] = &run.tools_set;
		publish(&run, fresh, run.nprobes + 1);
	} else {
		run.tools_due = gm_now_ms();
		while (!gm_stopping()) {
			int64_t now = gm_now_ms(), due = run.tools_due;
			for (size_t i = 0; i < run.nprobes; i++)
				if (run.probes[i].due_ms < due)
					due = run.probes[i].due_ms;
			const struct sample_set *fresh[MAX_PROBES + 1];
			size_t nfresh = 0;
			if (due <= now) {
				for (size_t i = 0; i < run.nprobes; i++)
					if (run.probes[i].due_ms <= now) {
						collect(&run, &run.probes[i]);
						fresh[nfresh++] = &run.probes[i].set;
					}
				if (run.tools_due <= now) {
					collect_tools(&run);
					fresh[nfresh++] = &run.tools_set;
				}
				publish(&run, fresh, nfresh);
				continue;
			}
			int wait = (int)(due - now);
			if (!reading) {
				poll(NULL, 0, wait);   /* a signal ends it early */
				continue;
			}
			enum gm_next st = gm_source_next_event(src, ps, &r, &ev, wait);
			if (st == GM_NEXT_ERROR || (st == GM_NEXT_RECORD && !take(&run, src, &r, ev)))
				break;
			if (st == GM_NEXT_END)
				reading = false;   /* a pipe ended: the other sources go on */
		}
	}
	gm_parser_free(ps);
	serve_stop(run.serve);
	for (size_t i = 0; i < run.nprobes; i++) {
		run.probes[i].ops->free(run.probes[i].state);
		sample_free(&run.probes[i].set);
	}
	int trimmed = gm_pg_close(run.retention);
	if (trimmed != GM_EXIT_OK && run.status == GM_EXIT_OK)
		run.status = trimmed;
	sample_free(&run.tools_set);
	sample_free(&run.self);
	tools_free(run.tools);
	free(run.groups);
	gm_writer_close(run.page);
	return gm_finish(&run.c, run.status, &run.sink, 1, src);
}

/* notify-send [-t MS] [-r MESSAGE-ID] [-o DIR] CONFIG RECEIVER: sends
 * the notification of tests/unit/notify_fixture.h, as RECEIVER's, to
 * every config of RECEIVER in the gm-notify configuration CONFIG (its
 * integrations in note.h's order: email, Slack, webhook, SMS, then
 * file configs, each in order), one attempt
 * each with gm-notify's senders (gm-notify/send.c), and prints how each
 * went, one line each:
 *
 *   KIND N ok
 *   KIND N retry MS WHY     MS: the delay the server asked for, or -
 *   KIND N fail WHY
 *
 * -t: each call's timeout in ms; -r: the mail's In-Reply-To; -o: each
 * config's payload also written to DIR/KIND-N, to compare with what a
 * server received. For tests/sh/gm-notify-send.sh. Exit status 0, or 1
 * when CONFIG does not load, 2 for a bad command line. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../unit/notify_fixture.h"
#include "cli.h"

static void put_payload(const char *dir, const struct note *n, const struct send_options *o)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s-%zu", dir, note_kind_name(n->kind), n->index + 1);
	FILE *f = fopen(path, "w");
	if (!f)
		gm_die(GM_EXIT_FAIL, path, "cannot write");
	size_t len;
	char *p = send_payload(n, o, &len);
	fwrite(p, 1, len, f);
	free(p);
	if (fclose(f))
		gm_die(GM_EXIT_FAIL, path, "cannot write");
}

int main(int argc, char **argv)
{
	gm_cli_init(argv[0]);
	struct send_options o = { 0 };
	const char *dir = NULL;
	int c;
	while ((c = getopt(argc, argv, "t:r:o:")) != -1)
		switch (c) {
		case 't': o.timeout_ms = atoll(optarg); break;
		case 'r': o.in_reply_to = optarg; break;
		case 'o': dir = optarg; break;
		default: goto usage;
		}
	if (argc - optind != 2)
		goto usage;
	struct conf_errors errs = { 0 };
	struct conf *conf = conf_load(argv[optind], &errs);
	for (size_t i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i]);
	if (!conf)
		return GM_EXIT_FAIL;
	const struct conf_receiver *r = NULL;
	for (size_t i = 0; i < conf->nreceivers; i++)
		if (!strcmp(conf->receivers[i].name, argv[optind + 1]))
			r = &conf->receivers[i];
	if (!r)
		gm_die(GM_EXIT_FAIL, argv[optind], "no receiver %s", argv[optind + 1]);
	if (!send_init())
		return GM_EXIT_FAIL;
	struct note n = fixture;
	n.receiver = r;
	for (n.kind = NOTE_EMAIL; n.kind < NOTE_NKINDS; n.kind++)
		for (n.index = 0; n.index < note_integrations(r, n.kind); n.index++) {
			if (dir)
				put_payload(dir, &n, &o);
			struct send_result res;
			send_notification(&n, &o, &res);
			printf("%s %zu ", note_kind_name(n.kind), n.index + 1);
			if (res.status == SEND_OK)
				puts("ok");
			else if (res.status == SEND_FAIL)
				printf("fail %s\n", res.why);
			else if (res.retry_after_ms < 0)
				printf("retry - %s\n", res.why);
			else
				printf("retry %lld %s\n", res.retry_after_ms, res.why);
			fflush(stdout);
		}
	send_cleanup();
	conf_free(conf);
	return GM_EXIT_OK;
usage:
	fputs("usage: notify-send [-t MS] [-r MESSAGE-ID] [-o DIR] CONFIG RECEIVER\n", stderr);
	return GM_EXIT_USAGE;
}

/* notify-send [-t MS] [-r MESSAGE-ID] [-o DIR] CONFIG RECEIVER: sends
 * the notification of tests/unit/notify_fixture.h, as RECEIVER's, to
 * every config of RECEIVER in the gm-notify configuration CONFIG (its
 * email, Slack, webhook, then SMS configs, each in order), one attempt
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

static void put_payload(const char *dir, const char *kind, size_t i,
	const struct send_target *t, const struct notification *n, const struct send_options *o)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s-%zu", dir, kind, i + 1);
	FILE *f = fopen(path, "w");
	if (!f)
		gm_die(GM_EXIT_FAIL, path, "cannot write");
	size_t len;
	char *p = send_payload(t, n, o, &len);
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
	struct notification n = fixture;
	n.receiver = r->name;
	const size_t counts[] = { r->nemail, r->nslack, r->nwebhook, r->nsms };
	static const char *const kinds[] = { "email", "slack", "webhook", "sms" };
	for (int k = SEND_EMAIL; k <= SEND_SMS; k++)
		for (size_t i = 0; i < counts[k]; i++) {
			struct send_target t = { .kind = (enum send_kind)k, .receiver = r->name, .index = i };
			switch (k) {
			case SEND_EMAIL: t.email = &r->email[i]; break;
			case SEND_SLACK: t.slack = &r->slack[i]; break;
			case SEND_WEBHOOK: t.webhook = &r->webhook[i]; break;
			default: t.sms = &r->sms[i]; break;
			}
			if (dir)
				put_payload(dir, kinds[k], i, &t, &n, &o);
			struct send_result res;
			send_notification(&t, &n, &o, &res);
			printf("%s %zu ", kinds[k], i + 1);
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

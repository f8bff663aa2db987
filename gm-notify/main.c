/* gm-notify: delivers the alerts of the gm tools by email, Slack,
 * webhook and SMS, routed and grouped as Alertmanager does, from a
 * configuration in Alertmanager's terms (gm-notify.conf(5)). So far it
 * checks a configuration: --check loads it and prints the routing tree
 * and the receivers, as amtool check-config does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "check.h"
#include "conf.h"
#include "silence_cmd.h"

static const char usage[] = "usage: gm-notify [-h] -c FILE --check\n";

enum { OPT_CHECK = 0x2000 };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "version", no_argument, 0, GM_OPT_VERSION },
		{ "check", no_argument, 0, OPT_CHECK },
		{ 0 }
	};
	gm_cli_init(argv[0]);
	if (argc > 1 && !strcmp(argv[1], "silence"))
		return silence_main(argc - 1, argv + 1);
	struct gm_common common;
	gm_common_init(&common);
	const char *path = NULL;
	bool check = false;
	int opt;
	while ((opt = gm_getopt(argc, argv, ":hc:", longopts, usage)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case OPT_CHECK: check = true; break;
		default:
			if (!gm_common_option(&common, opt, optarg, usage))
				gm_usage_error(usage, "unknown option");
		}
	}
	if (optind < argc)
		gm_usage_error(usage, "unexpected argument %s", argv[optind]);
	if (!path)
		gm_usage_error(usage, "-c FILE is needed");
	if (!check)
		gm_usage_error(usage, "--check is needed: checking a configuration is all this version does");

	struct conf_errors errs = { 0 };
	struct conf *c = conf_load(path, &errs);
	for (size_t i = 0; i < errs.n; i++)
		gm_error(NULL, "%s", errs.v[i]);
	conf_errors_free(&errs);
	if (!c)
		return GM_EXIT_USAGE;
	check_print(stdout, c);
	conf_free(c);
	return fflush(stdout) == 0 ? GM_EXIT_OK : GM_EXIT_FAIL;
}

/* check: a configuration shown for `gm-notify --check`. */
#ifndef GM_NOTIFY_CHECK_H
#define GM_NOTIFY_CHECK_H

#include <stdio.h>

#include "conf.h"

/* Prints c to out, one line per route (indented by depth, with its
 * matchers and its options in effect), then the receivers and their
 * configs, then the inhibit rules. Never prints a secret. */
void check_print(FILE *out, const struct conf *c);

#endif

/* silence_cmd: `gm-notify silence add|list|expire`, the command line
 * over the silences file (silence.h), as amtool's silence commands are
 * over Alertmanager's API. */
#ifndef GM_NOTIFY_SILENCE_CMD_H
#define GM_NOTIFY_SILENCE_CMD_H

/* Runs `gm-notify silence ...`; argv[0] is "silence". Prints what the
 * command prints on stdout and errors ("gm-notify: FILE:LINE: what") on
 * stderr; a bad command line exits 2 from within, with the usage.
 * Returns the exit status: 0, or 1 when the file cannot be read or
 * written, is not a silences file, or an id to expire is not one
 * silence's. Uses getopt (resets optind). */
int silence_main(int argc, char **argv);

/* Its synopsis lines, for its usage and gm-notify's: "usage: " and the
 * indent before the other lines are both 7 wide, so that a continuation
 * lines up in either place. */
#define SYN_ADD "gm-notify silence add -s FILE [-d DURATION | --end TIME] [--start TIME]\n" \
	"           [-a AUTHOR] [-m COMMENT] MATCHER...\n"
#define SYN_LIST "gm-notify silence list -s FILE [--all] [-q]\n"
#define SYN_EXPIRE "gm-notify silence expire -s FILE ID...\n"

#endif

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

#endif

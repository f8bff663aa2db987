/* nlog: the line format of gm-notify's own files, the engine's state
 * (group.h) and the silences (silence.h): one record a line, fields
 * separated by tabs, each a string with \\ \t \n escaped (a NULL string
 * is \-), so that any label or summary survives the trip; and a file
 * written whole to a temporary name, synced and renamed over the old
 * one, so that a reader, or a run after a kill -9, sees either the old
 * file or the new one, never half of one. */
#ifndef GM_NOTIFY_NLOG_H
#define GM_NOTIFY_NLOG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* A file being written: nlog_create(), fields and line ends, then
 * nlog_commit(). The fields are the writer's. */
struct nlog_out {
	FILE *f;
	char *path, *tmp;
	bool first;          /* no field yet on this line */
};

/* Starts writing path through "path.tmpPID", its first line magic and
 * version, which tell the file's kind. Returns false, after reporting
 * "prog: path: cannot write: why", when the temporary file cannot be
 * made; nothing is left. */
bool nlog_create(struct nlog_out *o, const char *path, const char *magic, int version);

/* Adds a field to the current line: a string (NULL allowed), a number. */
void nlog_str(struct nlog_out *o, const char *s);
void nlog_int(struct nlog_out *o, int64_t v);

/* Ends the current line. */
void nlog_end(struct nlog_out *o);

/* Flushes, syncs and closes the temporary file and renames it to the
 * path. Returns true when all of it worked; otherwise reports
 * "prog: path: cannot write: why" (gm_error), removes the temporary
 * file and returns false, the old file untouched. Frees what o holds
 * either way. */
bool nlog_commit(struct nlog_out *o);

/* Appends len bytes of data to path (made when missing; "-": standard
 * output) in one O_APPEND write, so that lines of other writers never
 * cut into it, and syncs it to disk when sync is set. Returns 0, or the
 * errno of what failed; prints nothing. For gm-notify's NDJSON files: a
 * file config's lines, the dead-letter file. */
int nlog_append(const char *path, const char *data, size_t len, bool sync);

/* A file being read, a line at a time, each split into its fields. */
struct nlog_in {
	FILE *f;
	const char *path;    /* the caller's */
	unsigned long line;  /* the number of the line last read */
	char *buf;
	size_t cap;
	char **field;        /* the fields of the line last read, unescaped */
	size_t nfield, fcap;
};

/* Opens path for reading and reads its first line, which must be magic
 * and version. Returns 1 when it is; 0 when there is no file at path
 * (in then holds nothing); -1, after reporting "prog: path: why" or
 * "prog: path:1: not a MAGIC file of version VERSION", when it cannot be
 * read or is of another kind or version (in must still be closed). */
int nlog_open(struct nlog_in *in, const char *path, const char *magic, int version);

/* Reads the next line into in->field (NULL for \-). Returns the number
 * of fields (at least 1), 0 at the end of the file, or -1 on a bad
 * escape or a read error, after reporting "prog: path:line: what". The
 * fields stay valid until the next call. */
int nlog_next(struct nlog_in *in);

/* Reports "prog: path:line: what" for the line last read (gm_error). */
void nlog_bad(const struct nlog_in *in, const char *what);

/* Closes in and frees what it holds. */
void nlog_close(struct nlog_in *in);

/* Parses a whole decimal integer (a sign allowed) into *v; false on
 * anything else, NULL included. */
bool nlog_int_of(const char *s, int64_t *v);

#endif

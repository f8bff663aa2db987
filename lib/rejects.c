/* rejects: report, count and keep bad records; see rejects.h. */
#include "rejects.h"

#include <stdlib.h>

#include "cli.h"
#include "counts.h"
#include "writer.h"

static struct gm_writer *out;
static bool strict;

void gm_rejects_open(const char *path, bool strict_mode)
{
	strict = strict_mode;
	if (path && !(out = gm_writer_open(path, false)))
		exit(GM_EXIT_FAIL);
}

bool gm_reject_begin(const char *where, const char *reason)
{
	gm_record_error(where, "%s", reason);
	gm_counts_add(&gm_counts.rejected, 1);
	return !strict;
}

void gm_reject_part(const char *p, size_t n)
{
	if (out)
		gm_w_raw(out, p, n);
}

void gm_reject_end(void)
{
	if (out)
		gm_w_raw(out, "\n", 1);
}

bool gm_reject(const char *where, const char *reason,
	const char *rec, size_t len)
{
	bool go_on = gm_reject_begin(where, reason);
	gm_reject_part(rec, len);
	gm_reject_end();
	return go_on;
}

bool gm_rejects_close(void)
{
	bool ok = gm_writer_close(out);
	out = NULL;
	return ok;
}

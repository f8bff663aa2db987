/* finish: the end of a tool's run; see finish.h. */
#include "finish.h"

#include <stdlib.h>

#include "counts.h"
#include "rejects.h"
#include "sink.h"
#include "source.h"
#include "stats.h"

int gm_close_io(struct gm_sink *const *sinks, size_t n, struct gm_source *src)
{
	int status = GM_EXIT_OK;
	for (size_t i = n; i-- > 0;)
		if (!gm_sink_listed_before(sinks, i))
			status = gm_exit_worse(status, gm_sink_close(sinks[i]));
	return gm_exit_worse(status, gm_source_close(src));
}

int gm_finish(struct gm_common *c, int status, struct gm_sink *const *sinks,
	size_t n, struct gm_source *src)
{
	status = gm_exit_worse(status, gm_close_io(sinks, n, src));
	if (!gm_rejects_close())
		status = GM_EXIT_FAIL;
	status = gm_exit_worse(status, gm_stats_finish());
	if (!c->quiet)
		gm_counts_summary();
	free(c->props);
	c->props = NULL;
	c->nprops = 0;
	return status;
}

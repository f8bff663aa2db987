/* load: what the page shows, read from a warehouse (lib/warehouse.h,
 * any backend) into the model. */
#ifndef GM_REPORT_LOAD_H
#define GM_REPORT_LOAD_H

#include <stdbool.h>

#include "model.h"
#include "warehouse.h"

/* Reads into r, in model.h's order, segment_summary, the latest
 * snapshot of customer_segments, fact_sales, dim_geography,
 * product_performance's rows of grain "day" of the categories and the
 * top products, dim_product's names of the top products and
 * segment_migration. A table no run has written reads as empty. False
 * after a message (file:line: what) when a table cannot be read or
 * holds a row that is not one of it: nothing is to be written then. */
bool report_load(struct gm_wh *wh, struct report *r);

#endif

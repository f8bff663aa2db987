/* page: the dashboard, one self-contained HTML file: the template
 * (assets.h) whose marker lines, each alone on its line, are replaced:
 * @@CSS@@ by the style, @@CHARTJS@@ by Chart.js after its licence,
 * @@DATA@@ by the page's data (model.h), @@JS@@ by the script. Nothing
 * in it loads from the network. */
#ifndef GM_REPORT_PAGE_H
#define GM_REPORT_PAGE_H

#include <stddef.h>

#include "writer.h"

/* Writes the page to w, with data[0..n), the JSON of report_write(),
 * made safe inside a script element: each '<' (which JSON has only in
 * strings) written \u003c, so that no "</script>" or "<!--" in a name
 * can end or change it. */
void report_page(struct gm_writer *w, const char *data, size_t n);

#endif

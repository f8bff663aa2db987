/* page: see page.h. */
#include "page.h"

#include <string.h>

#include "assets.h"

static void put_data(struct gm_writer *w, const char *data, size_t n)
{
	const char *end = data + n;
	while (data < end) {
		const char *lt = memchr(data, '<', (size_t)(end - data));
		size_t run = lt ? (size_t)(lt - data) : (size_t)(end - data);
		gm_w_raw(w, data, run);
		data += run;
		if (lt) {
			gm_w_raw(w, "\\u003c", 6);
			data++;
		}
	}
}

static void put_chartjs(struct gm_writer *w)
{
	static const char open[] = "/* Chart.js, from Debian's libjs-chart.js; its licence:\n\n";
	gm_w_raw(w, open, sizeof open - 1);
	gm_w_raw(w, gm_report_chartjs_license, strlen(gm_report_chartjs_license));
	gm_w_raw(w, "*/\n", 3);
	gm_w_raw(w, gm_report_chartjs, strlen(gm_report_chartjs));
}

void report_page(struct gm_writer *w, const char *data, size_t n)
{
	const char *p = gm_report_html;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == 7 && !memcmp(p, "@@CSS@@", 7))
			gm_w_raw(w, gm_report_css, strlen(gm_report_css));
		else if (len == 11 && !memcmp(p, "@@CHARTJS@@", 11))
			put_chartjs(w);
		else if (len == 8 && !memcmp(p, "@@DATA@@", 8))
			put_data(w, data, n);
		else if (len == 6 && !memcmp(p, "@@JS@@", 6))
			gm_w_raw(w, gm_report_js, strlen(gm_report_js));
		else
			gm_w_raw(w, p, len);
		if (nl)
			gm_w_raw(w, "\n", 1);
		p += len + (nl != NULL);
	}
}

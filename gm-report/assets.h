/* assets: the page's parts, carried in the binary (the Makefile makes
 * them C strings, scripts/c-string): the template, its style and script
 * (gm-report/page/), and Chart.js with its licence, as Debian's
 * libjs-chart.js installs them when gm is built; and the OpenAPI
 * document of --listen's API (gm-report/page/openapi.json). */
#ifndef GM_REPORT_ASSETS_H
#define GM_REPORT_ASSETS_H

#include <stddef.h>

extern const char gm_report_html[];     /* with the marker lines of page.h */
extern const char gm_report_css[];
extern const char gm_report_js[];
extern const char gm_report_chartjs[];  /* chart.min.js, Chart.js 3 (UMD) */
extern const char gm_report_chartjs_license[];  /* its Expat licence */
extern const char report_openapi[];     /* /openapi.json, OpenAPI 3.0.3 */
extern const size_t report_openapi_len; /* its bytes, without the NUL */

#endif

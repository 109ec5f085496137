/*
 * outbound-chart.h - server-rendered SVG bar charts for the sending
 * reports (page-outbound.c).  Pure: no I/O, unit-tested
 * (tests/unit/test-policy-chart.c).
 */
#ifndef CASIER_MGMTD_OUTBOUND_CHART_H
#define CASIER_MGMTD_OUTBOUND_CHART_H

#include "str.h"

#define OUTBOUND_CHART_MAX_BARS 400

/*
 * Append an <svg> bar chart of n values (>= 0) with their labels to out.
 * Labels and title are HTML-escaped; the chart uses presentation
 * attributes only (no style, no script: the pages' CSP allows it inline).
 * Returns 0, or -1 (n too large, a negative value, out of memory).
 */
int outbound_chart_svg(struct str *out, const char *title,
		       const char *const *labels, const long long *values,
		       size_t n);

#endif

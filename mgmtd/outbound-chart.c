/*
 * outbound-chart.c - SVG bar charts for the sending reports of the web
 * manager (messages per day or per month).
 *
 * Called by page-outbound.c to inline a chart in the report pages; pure
 * string building, no privileges.  Untrusted text (labels, title) is
 * escaped with tmpl_html_escape(); numbers are formatted by us.  Fails
 * with -1 on bad input or when the output string is full.
 */
#include "outbound-chart.h"

#include "tmpl.h"

#include <string.h>

#define CHART_W	     720
#define CHART_H	     240
#define CHART_TOP    20
#define CHART_BOTTOM 40 /* room for labels */
#define CHART_LEFT   50

static int
chart_text(struct str *out, const char *text)
{
	return tmpl_html_escape(out, text, strlen(text));
}

int
outbound_chart_svg(struct str *out, const char *title,
		   const char *const *labels, const long long *values, size_t n)
{
	long long max = 0;
	int plot_h = CHART_H - CHART_TOP - CHART_BOTTOM;
	int plot_w = CHART_W - CHART_LEFT - 10;
	double slot;

	if (n > OUTBOUND_CHART_MAX_BARS)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (values[i] < 0)
			return -1;
		if (values[i] > max)
			max = values[i];
	}
	slot = n > 0 ? (double)plot_w / (double)n : plot_w;
	if (str_appendf(out,
			"<svg xmlns=\"http://www.w3.org/2000/svg\" "
			"class=\"chart\" role=\"img\" width=\"%d\" "
			"height=\"%d\" viewBox=\"0 0 %d %d\"><title>",
			CHART_W, CHART_H, CHART_W, CHART_H) < 0 ||
	    chart_text(out, title) < 0 || str_append(out, "</title>") < 0)
		return -1;
	/* axes and the maximum on the left */
	if (str_appendf(out,
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			"stroke=\"#555\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
			"y2=\"%d\" stroke=\"#555\"/>"
			"<text x=\"%d\" y=\"%d\" font-size=\"11\" "
			"text-anchor=\"end\">%lld</text>"
			"<text x=\"%d\" y=\"%d\" font-size=\"11\" "
			"text-anchor=\"end\">0</text>",
			CHART_LEFT, CHART_TOP, CHART_LEFT, CHART_TOP + plot_h,
			CHART_LEFT, CHART_TOP + plot_h, CHART_LEFT + plot_w,
			CHART_TOP + plot_h, CHART_LEFT - 4, CHART_TOP + 4, max,
			CHART_LEFT - 4, CHART_TOP + plot_h) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		/* max > 0 whenever a value is > 0; the product stays far
		 * below 2^63 because values are message counts scaled by at
		 * most plot_h (< 256). */
		long long h = max > 0 ? values[i] * plot_h / max : 0;
		double x = CHART_LEFT + slot * (double)i + slot * 0.15;
		double w = slot * 0.7;

		if (str_appendf(out,
				"<rect class=\"bar\" x=\"%.1f\" y=\"%lld\" "
				"width=\"%.1f\" height=\"%lld\" "
				"fill=\"#3b6ea5\"><title>",
				x, CHART_TOP + plot_h - h, w, h) < 0 ||
		    chart_text(out, labels[i]) < 0 ||
		    str_appendf(out, ": %lld</title></rect>", values[i]) < 0)
			return -1;
		/* a label under every bar when few, else every 5th */
		if (n <= 13 || i % 5 == 0 || i + 1 == n) {
			if (str_appendf(out,
					"<text x=\"%.1f\" y=\"%d\" "
					"font-size=\"10\" "
					"text-anchor=\"middle\">",
					x + w / 2,
					CHART_TOP + plot_h + 14) < 0 ||
			    chart_text(out, labels[i]) < 0 ||
			    str_append(out, "</text>") < 0)
				return -1;
		}
	}
	return str_append(out, "</svg>");
}

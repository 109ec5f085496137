/*
 * casier.c - outcome helpers shared by every component.
 *
 * Called by the daemons and the CLI to fill a struct casier_result.  No
 * privileges, no allocation; a text that does not fit is truncated (the
 * text is a short generic reply, truncation is harmless).
 */
#include "casier.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
casier_result_set(struct casier_result *res, enum casier_status status,
		  const char *dsn, const char *fmt, ...)
{
	va_list ap;
	int ret;

	res->status = status;
	if (dsn == NULL)
		dsn = status == CASIER_OK	  ? "2.0.0"
		      : status == CASIER_PERMFAIL ? "5.0.0"
						  : "4.0.0";
	ret = snprintf(res->dsn, sizeof(res->dsn), "%s", dsn);
	if (ret < 0 || (size_t)ret >= sizeof(res->dsn))
		res->dsn[0] = '\0';
	va_start(ap, fmt);
	ret = vsnprintf(res->text, sizeof(res->text), fmt, ap);
	va_end(ap);
	if (ret < 0)
		res->text[0] = '\0';
}

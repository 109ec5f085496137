/*
 * pages-default.c - weak, empty defaults for the HTML side (pages.h).
 *
 * Linked into casier-mgmtd always; a strong definition in a page-*.c file
 * overrides each function.  Without the HTML side the daemon serves only
 * the JSON API and answers 404 elsewhere.  No privileges, cannot fail.
 */
#include "pages.h"

__attribute__((weak)) int
pages_init(struct mgmtd_ctx *ctx, char *error_r, size_t errsize)
{
	(void)ctx;
	(void)error_r;
	(void)errsize;
	return 0;
}

__attribute__((weak)) void
pages_deinit(struct mgmtd_ctx *ctx)
{
	(void)ctx;
}

__attribute__((weak)) const struct route *
pages_routes(size_t *count_r)
{
	*count_r = 0;
	return NULL;
}

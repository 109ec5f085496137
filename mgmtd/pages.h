/*
 * pages.h - how the HTML side (page-*.c, owned by the pages engineer)
 * plugs into casier-mgmtd.
 *
 * main.c calls pages_init() once after the database pool and word list
 * are ready (ctx->pages may be set to the module's own state: templates,
 * catalogs), http.c asks pages_routes() for the HTML routes (tried after
 * the API routes), and main.c calls pages_deinit() at shutdown.
 *
 * pages-default.c holds weak empty defaults so casier-mgmtd builds and
 * serves the API before the HTML side lands; a strong definition in a
 * page-*.c file replaces them at link time.
 */
#ifndef CASIER_MGMTD_PAGES_H
#define CASIER_MGMTD_PAGES_H

#include "http.h"

/* 0 on success; -1 with error_r filled stops start-up. */
int pages_init(struct mgmtd_ctx *ctx, char *error_r, size_t errsize);
void pages_deinit(struct mgmtd_ctx *ctx);
/* The HTML route table and its length (static storage). */
const struct route *pages_routes(size_t *count_r);

#endif

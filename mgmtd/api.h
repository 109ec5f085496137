/*
 * api.h - the JSON API of casier-mgmtd (DESIGN section 9, docs/api.md).
 *
 * api-*.c turn HTTP requests into service-layer calls (service.h) and
 * service results into JSON; http.c asks api_routes() for the table.
 */
#ifndef CASIER_MGMTD_API_H
#define CASIER_MGMTD_API_H

#include "http.h"

const struct route *api_routes(size_t *count_r);

#endif

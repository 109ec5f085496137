/*
 * api-routes-none.c - an empty API route table for tests of the HTTP
 * core that do not link the API (test-http-route).
 */
#include "api.h"

const struct route *
api_routes(size_t *count_r)
{
	*count_r = 0;
	return NULL;
}

/*
 * api-vacation.h - JSON API handlers for vacation autoreplies, listed in
 * api-routes.c (api-vacation.c).
 */
#ifndef CASIER_MGMTD_API_VACATION_H
#define CASIER_MGMTD_API_VACATION_H

#include "http.h"

http_handler_fn api_vacation_get, api_vacation_put, api_vacation_delete;

#endif

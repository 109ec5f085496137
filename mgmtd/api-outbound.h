/*
 * api-outbound.h - JSON API handlers for outbound limits and relay
 * clients, listed in api-routes.c (api-outbound.c).
 */
#ifndef CASIER_MGMTD_API_OUTBOUND_H
#define CASIER_MGMTD_API_OUTBOUND_H

#include "http.h"

http_handler_fn api_account_unblock, api_account_report,
    api_bulk_request_create, api_bulk_request_list, api_bulk_request_approve,
    api_bulk_request_reject, api_relay_client_create, api_relay_client_list,
    api_relay_client_get, api_relay_client_patch, api_relay_client_delete,
    api_relay_contact_add, api_relay_contact_delete, api_relay_client_report,
    api_relay_request_create, api_relay_request_list, api_relay_request_approve,
    api_relay_request_reject;

#endif

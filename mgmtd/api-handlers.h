/*
 * api-handlers.h - the handlers of the JSON API, listed in api-routes.c.
 */
#ifndef CASIER_MGMTD_API_HANDLERS_H
#define CASIER_MGMTD_API_HANDLERS_H

#include "http.h"

http_handler_fn api_token_login, api_token_create_for, api_token_list,
    api_token_revoke;
http_handler_fn api_domain_create, api_domain_list, api_domain_get,
    api_domain_patch, api_domain_delete, api_alias_domain_add,
    api_alias_domain_delete, api_catchall_put, api_catchall_delete;
http_handler_fn api_account_create, api_account_list, api_account_get,
    api_account_patch, api_account_delete, api_redirect_get, api_redirect_put,
    api_redirect_delete;
http_handler_fn api_alias_create, api_alias_list, api_alias_get, api_alias_put,
    api_alias_delete;
http_handler_fn api_admin_create, api_admin_list, api_admin_get,
    api_admin_patch, api_admin_delete, api_audit_list;
http_handler_fn api_domain_export, api_domain_import;

#endif

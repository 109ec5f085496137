/*
 * api-routes.c - the route table of the JSON API (docs/api.md).
 * Read by http.c for every request; static data, no privileges.
 */
#include "api.h"

#include "api-handlers.h"
#include "api-outbound.h"
#include "api-archive.h"
#include "api-vacation.h"

static const struct route routes[] = {
    {HTTP_POST, "/api/v1/tokens", api_token_login},
    {HTTP_GET, "/api/v1/tokens", api_token_list},
    {HTTP_DELETE, "/api/v1/tokens/{id}", api_token_revoke},

    {HTTP_POST, "/api/v1/domains", api_domain_create},
    {HTTP_GET, "/api/v1/domains", api_domain_list},
    {HTTP_GET, "/api/v1/domains/{domain}", api_domain_get},
    {HTTP_PATCH, "/api/v1/domains/{domain}", api_domain_patch},
    {HTTP_DELETE, "/api/v1/domains/{domain}", api_domain_delete},
    {HTTP_POST, "/api/v1/domains/{domain}/alias-domains", api_alias_domain_add},
    {HTTP_DELETE, "/api/v1/domains/{domain}/alias-domains/{name}",
     api_alias_domain_delete},
    {HTTP_PUT, "/api/v1/domains/{domain}/catchall", api_catchall_put},
    {HTTP_DELETE, "/api/v1/domains/{domain}/catchall", api_catchall_delete},

    {HTTP_POST, "/api/v1/domains/{domain}/accounts", api_account_create},
    {HTTP_GET, "/api/v1/domains/{domain}/accounts", api_account_list},
    {HTTP_GET, "/api/v1/accounts/{username}", api_account_get},
    {HTTP_PATCH, "/api/v1/accounts/{username}", api_account_patch},
    {HTTP_DELETE, "/api/v1/accounts/{username}", api_account_delete},
    {HTTP_GET, "/api/v1/accounts/{username}/redirect", api_redirect_get},
    {HTTP_PUT, "/api/v1/accounts/{username}/redirect", api_redirect_put},
    {HTTP_DELETE, "/api/v1/accounts/{username}/redirect", api_redirect_delete},
    {HTTP_GET, "/api/v1/accounts/{username}/vacation", api_vacation_get},
    {HTTP_PUT, "/api/v1/accounts/{username}/vacation", api_vacation_put},
    {HTTP_DELETE, "/api/v1/accounts/{username}/vacation", api_vacation_delete},

    {HTTP_POST, "/api/v1/domains/{domain}/aliases", api_alias_create},
    {HTTP_GET, "/api/v1/domains/{domain}/aliases", api_alias_list},
    {HTTP_GET, "/api/v1/aliases/{address}", api_alias_get},
    {HTTP_PUT, "/api/v1/aliases/{address}", api_alias_put},
    {HTTP_DELETE, "/api/v1/aliases/{address}", api_alias_delete},

    {HTTP_POST, "/api/v1/admins", api_admin_create},
    {HTTP_GET, "/api/v1/admins", api_admin_list},
    {HTTP_GET, "/api/v1/admins/{login}", api_admin_get},
    {HTTP_PATCH, "/api/v1/admins/{login}", api_admin_patch},
    {HTTP_DELETE, "/api/v1/admins/{login}", api_admin_delete},
    {HTTP_POST, "/api/v1/admins/{login}/tokens", api_token_create_for},

    {HTTP_GET, "/api/v1/audit", api_audit_list},

    {HTTP_GET, "/api/v1/domains/{domain}/archive", api_archive_list},
    {HTTP_GET, "/api/v1/domains/{domain}/archive/{id}", api_archive_get},
    {HTTP_DELETE, "/api/v1/domains/{domain}/archive/{id}", api_archive_delete},
    {HTTP_POST, "/api/v1/domains/{domain}/archive/{id}/resend",
     api_archive_resend},
    {HTTP_GET, "/api/v1/domains/{domain}/archive-prefs", api_archive_prefs_get},
    {HTTP_PATCH, "/api/v1/domains/{domain}/archive-prefs",
     api_archive_prefs_patch},
    {HTTP_GET, "/api/v1/domains/{domain}/archive-whitelist",
     api_archive_whitelist_list},
    {HTTP_POST, "/api/v1/domains/{domain}/archive-whitelist",
     api_archive_whitelist_add},
    {HTTP_DELETE, "/api/v1/domains/{domain}/archive-whitelist/{name}",
     api_archive_whitelist_delete},
    {HTTP_GET, "/api/v1/domains/{domain}/archive-volumes",
     api_archive_volume_list},
    {HTTP_GET, "/api/v1/domains/{domain}/archive-volumes/{serial}/download",
     api_archive_volume_download},
    {HTTP_POST, "/api/v1/domains/{domain}/archive-volumes/{serial}/received",
     api_archive_volume_received},

    /* outbound limits and relay clients (api-outbound.c) */
    {HTTP_POST, "/api/v1/accounts/{username}/unblock", api_account_unblock},
    {HTTP_GET, "/api/v1/accounts/{username}/report", api_account_report},
    {HTTP_POST, "/api/v1/accounts/{username}/bulk-requests",
     api_bulk_request_create},
    {HTTP_GET, "/api/v1/bulk-requests", api_bulk_request_list},
    {HTTP_POST, "/api/v1/bulk-requests/{id}/approve", api_bulk_request_approve},
    {HTTP_POST, "/api/v1/bulk-requests/{id}/reject", api_bulk_request_reject},
    {HTTP_POST, "/api/v1/relay-clients", api_relay_client_create},
    {HTTP_GET, "/api/v1/relay-clients", api_relay_client_list},
    {HTTP_GET, "/api/v1/relay-clients/{id}", api_relay_client_get},
    {HTTP_PATCH, "/api/v1/relay-clients/{id}", api_relay_client_patch},
    {HTTP_DELETE, "/api/v1/relay-clients/{id}", api_relay_client_delete},
    {HTTP_POST, "/api/v1/relay-clients/{id}/contacts", api_relay_contact_add},
    {HTTP_DELETE, "/api/v1/relay-clients/{id}/contacts/{email}",
     api_relay_contact_delete},
    {HTTP_GET, "/api/v1/relay-clients/{id}/report", api_relay_client_report},
    {HTTP_POST, "/api/v1/relay-client-requests", api_relay_request_create},
    {HTTP_GET, "/api/v1/relay-client-requests", api_relay_request_list},
    {HTTP_POST, "/api/v1/relay-client-requests/{id}/approve",
     api_relay_request_approve},
    {HTTP_POST, "/api/v1/relay-client-requests/{id}/reject",
     api_relay_request_reject},
    {HTTP_GET, "/api/v1/domains/{domain}/export.csv", api_domain_export},
    {HTTP_POST, "/api/v1/domains/{domain}/import", api_domain_import},
};

const struct route *
api_routes(size_t *count_r)
{
	*count_r = CASIER_ARRAY_LEN(routes);
	return routes;
}

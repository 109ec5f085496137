/*
 * api-archive.h - the JSON API of the inbound mail archive (api-archive.c),
 * listed in api-routes.c.
 */
#ifndef CASIER_MGMTD_API_ARCHIVE_H
#define CASIER_MGMTD_API_ARCHIVE_H

#include "http.h"

http_handler_fn api_archive_list, api_archive_get, api_archive_resend,
    api_archive_delete, api_archive_prefs_get, api_archive_prefs_patch,
    api_archive_whitelist_list, api_archive_whitelist_add,
    api_archive_whitelist_delete, api_archive_volume_list,
    api_archive_volume_download, api_archive_volume_received;

#endif

/*
 * page-archive.h - the archive pages (page-archive.c), listed in the
 * HTML route table of page-common.c.
 */
#ifndef CASIER_MGMTD_PAGE_ARCHIVE_H
#define CASIER_MGMTD_PAGE_ARCHIVE_H

#include "http.h"

http_handler_fn page_archive_list, page_archive_message, page_archive_resend,
    page_archive_delete_form, page_archive_delete, page_archive_prefs_form,
    page_archive_prefs_save, page_archive_whitelist_add,
    page_archive_whitelist_remove, page_archive_volumes,
    page_archive_volume_download, page_archive_volume_received;

#endif

/*
 * page-outbound.h - the outbound and relay-client pages
 * (page-outbound.c), listed in the HTML route table of page-common.c.
 */
#ifndef CASIER_MGMTD_PAGE_OUTBOUND_H
#define CASIER_MGMTD_PAGE_OUTBOUND_H

#include "http.h"

http_handler_fn page_outbound_account, page_outbound_unblock,
    page_outbound_account_csv, page_relay_clients, page_relay_report,
    page_relay_report_csv, page_outbound_bulk_file, page_bulk_requests,
    page_bulk_approve, page_bulk_reject;

#endif

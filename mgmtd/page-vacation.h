/*
 * page-vacation.h - the vacation page of an account (page-vacation.c),
 * listed in the HTML route table of page-common.c.
 */
#ifndef CASIER_MGMTD_PAGE_VACATION_H
#define CASIER_MGMTD_PAGE_VACATION_H

#include "http.h"

http_handler_fn page_vacation_form, page_vacation_save, page_vacation_remove;

#endif

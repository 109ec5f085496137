/*
 * api-common.h - helpers shared by the api-*.c handlers: bearer-token
 * authentication, JSON bodies and answers, errors, paging, units.
 */
#ifndef CASIER_MGMTD_API_COMMON_H
#define CASIER_MGMTD_API_COMMON_H

#include "http.h"
#include "json.h"
#include "service.h"

/* The service context of a request. */
#define API_SVC(req) (&(req)->ctx->svc)

/* Authenticate "Authorization: Bearer ...": false after writing 401. */
bool api_auth(struct http_request *req, struct http_response *resp,
	      struct svc_identity *id_r);
/* Write {"error":{"code","message","field"}} with the mapped status. */
void api_error(struct http_response *resp, const struct svc_result *res);
/* Write a JSON answer (steals obj); NULL obj = 500. */
void api_json(struct http_response *resp, unsigned int status, json_t *obj);
/* 204 No Content. */
void api_no_content(struct http_response *resp);
/* Parse and check the body; false after writing 400/415/422. */
bool api_body(struct http_request *req, struct http_response *resp,
	      const struct json_field *fields, size_t nfields, json_t **obj_r);
/* ?limit, ?cursor, ?q; false after writing 400. */
bool api_page(struct http_request *req, struct http_response *resp,
	      struct svc_page *page_r);
/* {"items": items, "next_cursor": ..., "prev_cursor": ...} */
json_t *api_list(json_t *items, const struct svc_cursors *c);
/* MiB -> bytes with a range check (field for the 422). */
bool api_mb_to_bytes(long long mb, long long *bytes_r);
/* quota_mb as an integer when whole, else with two decimals. */
json_t *api_mb(long long bytes);
/* The standard objects. */
json_t *api_domain_json(const struct svc_domain *d);
json_t *api_account_json(const struct svc_account *a);
json_t *api_alias_json(const struct svc_alias *a);
json_t *api_admin_json(const struct svc_admin *a);
json_t *api_strings_json(char *const *items, size_t n);

#endif

/*
 * api-alias.c - JSON API for aliases (DESIGN section 9); the address
 * in /api/v1/aliases/{address} comes with a literal or %40 '@' (MHD
 * decodes the path).  Called through api_routes(); unprivileged.
 */
#include "api-common.h"
#include "api-handlers.h"

#include <stdlib.h>
#include <string.h>

static const struct json_field alias_create_fields[] = {
    {"local_part", JSON_FIELD_STRING, true},
    {"targets", JSON_FIELD_STRING_ARRAY, false},
};

static const struct json_field alias_put_fields[] = {
    {"targets", JSON_FIELD_STRING_ARRAY, true},
};

void
api_alias_create(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_domain d = {0};
	struct svc_alias a;
	struct svc_result res;
	const char **targets;
	size_t n;
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_domain_get(API_SVC(req), &id, http_request_param(req, "domain"),
			   &d, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	svc_domain_free(&d);
	if (!api_body(req, resp, alias_create_fields,
		      CASIER_ARRAY_LEN(alias_create_fields), &obj))
		return;
	targets = json_get_strings(obj, "targets", &n);
	if (svc_alias_create(
		API_SVC(req), &id, http_request_param(req, "domain"),
		json_get_string(obj, "local_part"), targets, n, &a, &res) < 0) {
		api_error(resp, &res);
	} else {
		api_json(resp, 201, api_alias_json(&a));
		svc_alias_free(&a);
	}
	free(targets);
	json_decref(obj);
}

void
api_alias_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_page page;
	struct svc_alias_list l;
	struct svc_result res;
	json_t *items;

	if (!api_auth(req, resp, &id) || !api_page(req, resp, &page))
		return;
	if (svc_alias_list(API_SVC(req), &id, http_request_param(req, "domain"),
			   &page, &l, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(items, api_alias_json(&l.items[i]));
	api_json(resp, 200, api_list(items, &l.cursors));
	svc_alias_list_free(&l);
}

void
api_alias_get(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_alias a;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_alias_get(API_SVC(req), &id, http_request_param(req, "address"),
			  &a, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	api_json(resp, 200, api_alias_json(&a));
	svc_alias_free(&a);
}

void
api_alias_put(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_alias a;
	struct svc_result res;
	const char **targets;
	size_t n;
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_alias_get(API_SVC(req), &id, http_request_param(req, "address"),
			  &a, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	svc_alias_free(&a);
	if (!api_body(req, resp, alias_put_fields,
		      CASIER_ARRAY_LEN(alias_put_fields), &obj))
		return;
	targets = json_get_strings(obj, "targets", &n);
	if (svc_alias_set_targets(API_SVC(req), &id,
				  http_request_param(req, "address"), targets,
				  n, &a, &res) < 0) {
		api_error(resp, &res);
	} else {
		api_json(resp, 200, api_alias_json(&a));
		svc_alias_free(&a);
	}
	free(targets);
	json_decref(obj);
}

void
api_alias_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_alias_delete(API_SVC(req), &id,
			     http_request_param(req, "address"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

/*
 * api-domain.c - JSON API for domains, alias domains and the catch-all
 * (DESIGN section 9).  Thin: parse, call service-domain.c, answer.
 * Called through api_routes() on MHD pool threads; unprivileged.
 */
#include "api-common.h"
#include "api-handlers.h"

#include <stdlib.h>
#include <string.h>

static const struct json_field domain_create_fields[] = {
    {"name", JSON_FIELD_STRING, true},
    {"prefix", JSON_FIELD_STRING, true},
    {"max_accounts", JSON_FIELD_INT, true},
    {"default_quota_mb", JSON_FIELD_INT, true},
    {"contact", JSON_FIELD_STRING_OR_NULL, false},
    {"send_limit_per_hour", JSON_FIELD_INT_OR_NULL, false},
};

static const struct json_field domain_patch_fields[] = {
    {"prefix", JSON_FIELD_STRING, false},
    {"max_accounts", JSON_FIELD_INT, false},
    {"default_quota_mb", JSON_FIELD_INT, false},
    {"contact", JSON_FIELD_STRING_OR_NULL, false},
    {"active", JSON_FIELD_BOOL, false},
    {"send_limit_per_hour", JSON_FIELD_INT_OR_NULL, false},
};

/* Body -> service input; false after writing 422. */
static bool
domain_input(json_t *obj, struct svc_domain_input *in,
	     struct http_response *resp)
{
	struct svc_result res;

	memset(in, 0, sizeof(*in));
	in->name = json_get_string(obj, "name");
	in->prefix = json_get_string(obj, "prefix");
	if ((in->has_max_accounts = json_has(obj, "max_accounts")))
		in->max_accounts = json_get_int(obj, "max_accounts", 0);
	if ((in->has_default_quota = json_has(obj, "default_quota_mb")) &&
	    !api_mb_to_bytes(json_get_int(obj, "default_quota_mb", 0),
			     &in->default_quota_bytes)) {
		svc_result_set(&res, SVC_INVALID, "default_quota_mb",
			       "out of range");
		api_error(resp, &res);
		return false;
	}
	if ((in->has_contact = json_has(obj, "contact")))
		in->contact = json_get_string(obj, "contact");
	if ((in->has_active = json_has(obj, "active")))
		in->active = json_get_bool(obj, "active", true);
	if ((in->has_send_limit = json_has(obj, "send_limit_per_hour")))
		in->send_limit_per_hour =
		    json_get_int(obj, "send_limit_per_hour", -1);
	return true;
}

void
api_domain_create(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_domain_input in;
	struct svc_domain d = {0};
	struct svc_result res;
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	if (!id.superuser) {
		svc_result_set(&res, SVC_FORBIDDEN, "",
			       "only the superuser creates domains");
		api_error(resp, &res);
		return;
	}
	if (!api_body(req, resp, domain_create_fields,
		      CASIER_ARRAY_LEN(domain_create_fields), &obj))
		return;
	if (domain_input(obj, &in, resp)) {
		if (svc_domain_create(API_SVC(req), &id, &in, &d, &res) < 0)
			api_error(resp, &res);
		else
			api_json(resp, 201, api_domain_json(&d));
	}
	svc_domain_free(&d);
	json_decref(obj);
}

void
api_domain_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_page page;
	struct svc_domain_list l;
	struct svc_result res;
	json_t *items;

	if (!api_auth(req, resp, &id) || !api_page(req, resp, &page))
		return;
	if (svc_domain_list(API_SVC(req), &id, &page, &l, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(items, api_domain_json(&l.items[i]));
	api_json(resp, 200, api_list(items, &l.cursors));
	svc_domain_list_free(&l);
}

void
api_domain_get(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_domain d = {0};
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_domain_get(API_SVC(req), &id, http_request_param(req, "domain"),
			   &d, &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 200, api_domain_json(&d));
	svc_domain_free(&d);
}

void
api_domain_patch(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_domain_input in;
	struct svc_domain d = {0};
	struct svc_result res;
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	if (!id.superuser) {
		/* 404 for a foreign domain, 403 for the admin's own */
		(void)svc_domain_update(API_SVC(req), &id,
					http_request_param(req, "domain"), NULL,
					NULL, &res);
		api_error(resp, &res);
		return;
	}
	if (!api_body(req, resp, domain_patch_fields,
		      CASIER_ARRAY_LEN(domain_patch_fields), &obj))
		return;
	if (domain_input(obj, &in, resp)) {
		if (svc_domain_update(API_SVC(req), &id,
				      http_request_param(req, "domain"), &in,
				      &d, &res) < 0)
			api_error(resp, &res);
		else
			api_json(resp, 200, api_domain_json(&d));
	}
	svc_domain_free(&d);
	json_decref(obj);
}

void
api_domain_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_domain_delete(API_SVC(req), &id,
			      http_request_param(req, "domain"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

static const struct json_field alias_domain_fields[] = {
    {"name", JSON_FIELD_STRING, true},
};

void
api_alias_domain_add(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	if (!id.superuser) {
		(void)svc_alias_domain_add(API_SVC(req), &id,
					   http_request_param(req, "domain"),
					   "", &res);
		api_error(resp, &res);
		return;
	}
	if (!api_body(req, resp, alias_domain_fields,
		      CASIER_ARRAY_LEN(alias_domain_fields), &obj))
		return;
	if (svc_alias_domain_add(API_SVC(req), &id,
				 http_request_param(req, "domain"),
				 json_get_string(obj, "name"), &res) < 0) {
		api_error(resp, &res);
	} else {
		struct svc_domain d = {0};

		if (svc_domain_get(API_SVC(req), &id,
				   http_request_param(req, "domain"), &d,
				   &res) < 0)
			api_error(resp, &res);
		else
			api_json(resp, 201, api_domain_json(&d));
		svc_domain_free(&d);
	}
	json_decref(obj);
}

void
api_alias_domain_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_alias_domain_remove(API_SVC(req), &id,
				    http_request_param(req, "domain"),
				    http_request_param(req, "name"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

static const struct json_field catchall_fields[] = {
    {"username", JSON_FIELD_STRING, true},
};

void
api_catchall_put(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	json_t *obj;

	if (!api_auth(req, resp, &id) ||
	    !api_body(req, resp, catchall_fields,
		      CASIER_ARRAY_LEN(catchall_fields), &obj))
		return;
	if (svc_catchall_set(API_SVC(req), &id,
			     http_request_param(req, "domain"),
			     json_get_string(obj, "username"), &res) < 0) {
		api_error(resp, &res);
	} else {
		struct svc_domain d = {0};

		if (svc_domain_get(API_SVC(req), &id,
				   http_request_param(req, "domain"), &d,
				   &res) < 0)
			api_error(resp, &res);
		else
			api_json(resp, 200,
				 json_pack("{s:s, s:s}", "domain", d.name,
					   "username", d.catchall));
		svc_domain_free(&d);
	}
	json_decref(obj);
}

void
api_catchall_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_catchall_set(API_SVC(req), &id,
			     http_request_param(req, "domain"), NULL, &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

/*
 * api-account.c - JSON API for accounts and their redirects (DESIGN
 * section 9).  Thin: parse, call service-account.c / service-alias.c,
 * answer.  Called through api_routes() on MHD pool threads; unprivileged.
 */
#include "api-common.h"
#include "api-handlers.h"

#include <stdlib.h>
#include <string.h>

static const struct json_field account_create_fields[] = {
    {"local_part", JSON_FIELD_STRING, true},
    {"password", JSON_FIELD_STRING, true},
    {"quota_mb", JSON_FIELD_INT, false},
    {"active", JSON_FIELD_BOOL, false},
    {"send_limit_per_hour", JSON_FIELD_INT_OR_NULL, false},
};

static const struct json_field account_patch_fields[] = {
    {"password", JSON_FIELD_STRING, false},
    {"quota_mb", JSON_FIELD_INT, false},
    {"active", JSON_FIELD_BOOL, false},
    {"send_limit_per_hour", JSON_FIELD_INT_OR_NULL, false},
};

static bool
account_input(json_t *obj, struct svc_account_input *in,
	      struct http_response *resp)
{
	struct svc_result res;

	memset(in, 0, sizeof(*in));
	in->local_part = json_get_string(obj, "local_part");
	in->password = json_get_string(obj, "password");
	if ((in->has_quota = json_has(obj, "quota_mb")) &&
	    !api_mb_to_bytes(json_get_int(obj, "quota_mb", 0),
			     &in->quota_bytes)) {
		svc_result_set(&res, SVC_INVALID, "quota_mb", "out of range");
		api_error(resp, &res);
		return false;
	}
	if ((in->has_active = json_has(obj, "active")))
		in->active = json_get_bool(obj, "active", true);
	if ((in->has_send_limit = json_has(obj, "send_limit_per_hour")))
		in->send_limit_per_hour =
		    json_get_int(obj, "send_limit_per_hour", -1);
	return true;
}

void
api_account_create(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_account_input in;
	struct svc_account a;
	struct svc_domain d = {0};
	struct svc_result res;
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	/* another domain's accounts: 404 before looking at the body */
	if (svc_domain_get(API_SVC(req), &id, http_request_param(req, "domain"),
			   &d, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	svc_domain_free(&d);
	if (!api_body(req, resp, account_create_fields,
		      CASIER_ARRAY_LEN(account_create_fields), &obj))
		return;
	if (account_input(obj, &in, resp)) {
		if (svc_account_create(API_SVC(req), &id,
				       http_request_param(req, "domain"), &in,
				       &a, &res) < 0)
			api_error(resp, &res);
		else
			api_json(resp, 201, api_account_json(&a));
	}
	json_decref(obj);
}

void
api_account_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_page page;
	struct svc_account_list l;
	struct svc_result res;
	json_t *items;

	if (!api_auth(req, resp, &id) || !api_page(req, resp, &page))
		return;
	if (svc_account_list(API_SVC(req), &id,
			     http_request_param(req, "domain"), &page, &l,
			     &res) < 0) {
		api_error(resp, &res);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(items, api_account_json(&l.items[i]));
	api_json(resp, 200, api_list(items, &l.cursors));
	svc_account_list_free(&l);
}

void
api_account_get(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_account a;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_account_get(API_SVC(req), &id,
			    http_request_param(req, "username"), &a, &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 200, api_account_json(&a));
}

void
api_account_patch(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_account_input in;
	struct svc_account a;
	struct svc_result res;
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_account_get(API_SVC(req), &id,
			    http_request_param(req, "username"), &a,
			    &res) < 0) {
		api_error(resp, &res);
		return;
	}
	if (!api_body(req, resp, account_patch_fields,
		      CASIER_ARRAY_LEN(account_patch_fields), &obj))
		return;
	if (account_input(obj, &in, resp)) {
		if (svc_account_update(API_SVC(req), &id,
				       http_request_param(req, "username"), &in,
				       &a, &res) < 0)
			api_error(resp, &res);
		else
			api_json(resp, 200, api_account_json(&a));
	}
	json_decref(obj);
}

void
api_account_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_account_delete(API_SVC(req), &id,
			       http_request_param(req, "username"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

static json_t *
redirect_json(const char *username, const struct svc_redirect *r)
{
	return json_pack("{s:s, s:o, s:b}", "username", username, "targets",
			 api_strings_json(r->targets.items, r->targets.n),
			 "keep_copy", r->keep_copy);
}

void
api_redirect_get(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_redirect r;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_redirect_get(API_SVC(req), &id,
			     http_request_param(req, "username"), &r,
			     &res) < 0) {
		api_error(resp, &res);
		return;
	}
	if (r.targets.n == 0) {
		svc_result_set(&res, SVC_NOT_FOUND, "",
			       "the account has no redirect");
		api_error(resp, &res);
	} else {
		api_json(
		    resp, 200,
		    redirect_json(http_request_param(req, "username"), &r));
	}
	svc_redirect_free(&r);
}

static const struct json_field redirect_fields[] = {
    {"targets", JSON_FIELD_STRING_ARRAY, true},
    {"keep_copy", JSON_FIELD_BOOL, false},
};

void
api_redirect_put(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_account a;
	struct svc_redirect r;
	struct svc_result res;
	const char **targets;
	size_t n;
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_account_get(API_SVC(req), &id,
			    http_request_param(req, "username"), &a,
			    &res) < 0) {
		api_error(resp, &res);
		return;
	}
	if (!api_body(req, resp, redirect_fields,
		      CASIER_ARRAY_LEN(redirect_fields), &obj))
		return;
	targets = json_get_strings(obj, "targets", &n);
	if (svc_redirect_set(API_SVC(req), &id, a.username, targets, n,
			     json_get_bool(obj, "keep_copy", false),
			     &res) < 0) {
		api_error(resp, &res);
	} else if (svc_redirect_get(API_SVC(req), &id, a.username, &r, &res) <
		   0) {
		api_error(resp, &res);
	} else {
		api_json(resp, 200, redirect_json(a.username, &r));
		svc_redirect_free(&r);
	}
	free(targets);
	json_decref(obj);
}

void
api_redirect_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_redirect_delete(API_SVC(req), &id,
				http_request_param(req, "username"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

/*
 * api-outbound.c - JSON API for outbound limits and relay clients
 * (DESIGN sections 6, 7 and 9, docs/policy.md):
 *   POST   /api/v1/accounts/{username}/unblock
 *   GET    /api/v1/accounts/{username}/report[?format=csv]
 *   POST   /api/v1/accounts/{username}/bulk-requests
 *          {justification, limit_per_hour, start, end}
 *   GET    /api/v1/bulk-requests[?status=pending|approved|rejected]
 *   POST   /api/v1/bulk-requests/{id}/approve {limit_per_hour?}
 *   POST   /api/v1/bulk-requests/{id}/reject
 *   POST   /api/v1/relay-clients {name, entity, kind, networks[],
 *          sender_domains[], send_limit_per_hour?, active?}
 *   GET    /api/v1/relay-clients, GET|PATCH|DELETE /api/v1/relay-clients/{id}
 *   POST   /api/v1/relay-clients/{id}/contacts {name?, email, role}
 *   DELETE /api/v1/relay-clients/{id}/contacts/{email}
 *   GET    /api/v1/relay-clients/{id}/report[?format=csv]
 *   POST   /api/v1/relay-client-requests {requested_by, kind, ...}
 *   GET    /api/v1/relay-client-requests[?status=]
 *   POST   /api/v1/relay-client-requests/{id}/approve, .../reject
 *
 * Called by http.c through api-routes.c, in casier-mgmtd (unprivileged).
 * Thin: parsing and answers only; rules and SQL are in
 * service-outbound.c, whose objects arrive as JSON text.
 */
#include "api-outbound.h"

#include "api-common.h"
#include "service-outbound.h"

#include <stdlib.h>
#include <string.h>

/* Answer with JSON text from the service (freed here). */
static void
outbound_answer(struct http_response *resp, unsigned int status, char *text)
{
	json_error_t jerr;
	json_t *obj = text != NULL ? json_loads(text, 0, &jerr) : NULL;

	free(text);
	api_json(resp, status, obj);
}

static void
outbound_list_answer(struct http_response *resp, char *items_text,
		     const struct svc_cursors *c)
{
	json_error_t jerr;
	json_t *items = json_loads(items_text, 0, &jerr);

	free(items_text);
	api_json(resp, 200, items != NULL ? api_list(items, c) : NULL);
}

static bool
outbound_want_csv(struct http_request *req, struct http_response *resp)
{
	const char *f = http_request_query(req, "format");
	struct svc_result res;

	if (f == NULL || strcmp(f, "json") == 0)
		return false;
	if (strcmp(f, "csv") == 0)
		return true;
	svc_result_set(&res, SVC_BAD_REQUEST, "format",
		       "format is json or csv");
	api_error(resp, &res);
	resp->status = 400;
	return false;
}

static void
outbound_report_answer(struct http_response *resp, bool csv, char *text,
		       const char *filename)
{
	char disp[128];

	if (!csv) {
		outbound_answer(resp, 200, text);
		return;
	}
	http_response_set_type(resp, "text/csv; charset=utf-8");
	str_clear(&resp->body);
	if (str_append(&resp->body, text) < 0)
		resp->status = 503;
	if (casier_snprintf(disp, sizeof(disp),
			    "attachment; filename=\"%s.csv\"", filename) >= 0)
		(void)http_response_header(resp, "Content-Disposition", disp);
	free(text);
}

void
api_account_unblock(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_account a;
	const char *username = http_request_param(req, "username");

	if (!api_auth(req, resp, &id))
		return;
	if (svc_outbound_unblock(API_SVC(req), &id, username, &res) < 0 ||
	    svc_account_get(API_SVC(req), &id, username, &a, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	api_json(resp, 200, api_account_json(&a));
}

void
api_account_report(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	const char *username = http_request_param(req, "username");
	char *out;
	bool csv;

	if (!api_auth(req, resp, &id))
		return;
	csv = outbound_want_csv(req, resp);
	if (resp->status == 400)
		return;
	if (svc_account_report(API_SVC(req), &id, username, csv, &out, &res) <
	    0) {
		api_error(resp, &res);
		return;
	}
	outbound_report_answer(resp, csv, out, "account-report");
}

static const struct json_field bulk_fields[] = {
    {"justification", JSON_FIELD_STRING, true},
    {"limit_per_hour", JSON_FIELD_INT, true},
    {"start", JSON_FIELD_STRING, true},
    {"end", JSON_FIELD_STRING, true},
};

void
api_bulk_request_create(struct http_request *req, struct http_response *resp)
{
	struct svc_bulk_input in = {0};
	struct svc_identity id;
	struct svc_account a;
	struct svc_result res;
	json_t *obj;
	char *out;

	if (!api_auth(req, resp, &id))
		return;
	/* another domain's account: 404 before looking at the body */
	if (svc_account_get(API_SVC(req), &id,
			    http_request_param(req, "username"), &a,
			    &res) < 0) {
		api_error(resp, &res);
		return;
	}
	if (!api_body(req, resp, bulk_fields, CASIER_ARRAY_LEN(bulk_fields),
		      &obj))
		return;
	in.justification = json_get_string(obj, "justification");
	in.limit_per_hour = json_get_int(obj, "limit_per_hour", 0);
	in.start = json_get_string(obj, "start");
	in.end = json_get_string(obj, "end");
	if (svc_bulk_request_create(API_SVC(req), &id,
				    http_request_param(req, "username"), &in,
				    &out, &res) < 0)
		api_error(resp, &res);
	else
		outbound_answer(resp, 201, out);
	json_decref(obj);
}

void
api_bulk_request_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_page page;
	struct svc_cursors c;
	char *items;

	if (!api_auth(req, resp, &id) || !api_page(req, resp, &page))
		return;
	if (svc_bulk_request_list(API_SVC(req), &id, &page,
				  http_request_query(req, "status"), &items, &c,
				  &res) < 0)
		api_error(resp, &res);
	else
		outbound_list_answer(resp, items, &c);
}

static const struct json_field approve_fields[] = {
    {"limit_per_hour", JSON_FIELD_INT_OR_NULL, false},
};

static void
bulk_decide(struct http_request *req, struct http_response *resp, bool approve)
{
	struct svc_identity id;
	struct svc_result res;
	long long limit = -1;
	json_t *obj = NULL;
	char *out;

	if (!api_auth(req, resp, &id))
		return;
	/* The body is optional for approve and ignored for reject. */
	if (approve && req->body_len > 0) {
		if (!api_body(req, resp, approve_fields,
			      CASIER_ARRAY_LEN(approve_fields), &obj))
			return;
		if (json_has(obj, "limit_per_hour") &&
		    !json_is_null_field(obj, "limit_per_hour"))
			limit = json_get_int(obj, "limit_per_hour", -1);
		if (limit == 0 || limit < -1) {
			svc_result_set(&res, SVC_INVALID, "limit_per_hour",
				       "limit must be at least 1");
			api_error(resp, &res);
			json_decref(obj);
			return;
		}
	}
	if (svc_bulk_request_decide(API_SVC(req), &id,
				    http_request_param(req, "id"), approve,
				    limit, &out, &res) < 0)
		api_error(resp, &res);
	else
		outbound_answer(resp, 200, out);
	json_decref(obj);
}

void
api_bulk_request_approve(struct http_request *req, struct http_response *resp)
{
	bulk_decide(req, resp, true);
}

void
api_bulk_request_reject(struct http_request *req, struct http_response *resp)
{
	bulk_decide(req, resp, false);
}

static const struct json_field relay_create_fields[] = {
    {"name", JSON_FIELD_STRING, true},
    {"entity", JSON_FIELD_STRING, true},
    {"kind", JSON_FIELD_STRING, true},
    {"networks", JSON_FIELD_STRING_ARRAY, true},
    {"sender_domains", JSON_FIELD_STRING_ARRAY, true},
    {"send_limit_per_hour", JSON_FIELD_INT_OR_NULL, false},
    {"active", JSON_FIELD_BOOL, false},
};

static const struct json_field relay_patch_fields[] = {
    {"name", JSON_FIELD_STRING, false},
    {"entity", JSON_FIELD_STRING, false},
    {"kind", JSON_FIELD_STRING, false},
    {"networks", JSON_FIELD_STRING_ARRAY, false},
    {"sender_domains", JSON_FIELD_STRING_ARRAY, false},
    {"send_limit_per_hour", JSON_FIELD_INT_OR_NULL, false},
    {"active", JSON_FIELD_BOOL, false},
};

static void
relay_input(json_t *obj, struct svc_relay_input *in)
{
	static const char *empty[1] = {NULL};

	memset(in, 0, sizeof(*in));
	in->name = json_get_string(obj, "name");
	in->entity = json_get_string(obj, "entity");
	in->kind = json_get_string(obj, "kind");
	if ((in->has_limit = json_has(obj, "send_limit_per_hour")))
		in->send_limit_per_hour =
		    json_is_null_field(obj, "send_limit_per_hour")
			? -1
			: json_get_int(obj, "send_limit_per_hour", -1);
	if ((in->has_active = json_has(obj, "active")))
		in->active = json_get_bool(obj, "active", true);
	if (json_has(obj, "networks")) {
		in->networks =
		    json_get_strings(obj, "networks", &in->nnetworks);
		if (in->networks == NULL)
			in->networks = empty; /* given but empty */
	}
	if (json_has(obj, "sender_domains")) {
		in->sender_domains = json_get_strings(obj, "sender_domains",
						      &in->nsender_domains);
		if (in->sender_domains == NULL)
			in->sender_domains = empty;
	}
}

static void
relay_input_free(struct svc_relay_input *in)
{
	if (in->networks != NULL && in->nnetworks > 0)
		free((void *)in->networks);
	if (in->sender_domains != NULL && in->nsender_domains > 0)
		free((void *)in->sender_domains);
}

void
api_relay_client_create(struct http_request *req, struct http_response *resp)
{
	struct svc_relay_input in;
	struct svc_identity id;
	struct svc_result res;
	json_t *obj;
	char *out;

	if (!api_auth(req, resp, &id))
		return;
	if (!api_body(req, resp, relay_create_fields,
		      CASIER_ARRAY_LEN(relay_create_fields), &obj))
		return;
	relay_input(obj, &in);
	if (svc_relay_client_create(API_SVC(req), &id, &in, &out, &res) < 0)
		api_error(resp, &res);
	else
		outbound_answer(resp, 201, out);
	relay_input_free(&in);
	json_decref(obj);
}

void
api_relay_client_patch(struct http_request *req, struct http_response *resp)
{
	struct svc_relay_input in;
	struct svc_identity id;
	struct svc_result res;
	json_t *obj;
	char *out;

	if (!api_auth(req, resp, &id))
		return;
	if (!api_body(req, resp, relay_patch_fields,
		      CASIER_ARRAY_LEN(relay_patch_fields), &obj))
		return;
	relay_input(obj, &in);
	if (svc_relay_client_update(API_SVC(req), &id,
				    http_request_param(req, "id"), &in, &out,
				    &res) < 0)
		api_error(resp, &res);
	else
		outbound_answer(resp, 200, out);
	relay_input_free(&in);
	json_decref(obj);
}

void
api_relay_client_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_page page;
	struct svc_cursors c;
	char *items;

	if (!api_auth(req, resp, &id) || !api_page(req, resp, &page))
		return;
	if (svc_relay_client_list(API_SVC(req), &id, &page, &items, &c, &res) <
	    0)
		api_error(resp, &res);
	else
		outbound_list_answer(resp, items, &c);
}

void
api_relay_client_get(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	char *out;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_relay_client_get(API_SVC(req), &id,
				 http_request_param(req, "id"), &out, &res) < 0)
		api_error(resp, &res);
	else
		outbound_answer(resp, 200, out);
}

void
api_relay_client_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_relay_client_delete(API_SVC(req), &id,
				    http_request_param(req, "id"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

static const struct json_field contact_fields[] = {
    {"name", JSON_FIELD_STRING_OR_NULL, false},
    {"email", JSON_FIELD_STRING, true},
    {"role", JSON_FIELD_STRING, true},
};

void
api_relay_contact_add(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	json_t *obj;
	char *out;

	if (!api_auth(req, resp, &id))
		return;
	if (!api_body(req, resp, contact_fields,
		      CASIER_ARRAY_LEN(contact_fields), &obj))
		return;
	if (svc_relay_contact_add(
		API_SVC(req), &id, http_request_param(req, "id"),
		json_get_string(obj, "name"), json_get_string(obj, "email"),
		json_get_string(obj, "role"), &out, &res) < 0)
		api_error(resp, &res);
	else
		outbound_answer(resp, 201, out);
	json_decref(obj);
}

void
api_relay_contact_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_relay_contact_remove(
		API_SVC(req), &id, http_request_param(req, "id"),
		http_request_param(req, "email"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

void
api_relay_client_report(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	char *out;
	bool csv;

	if (!api_auth(req, resp, &id))
		return;
	csv = outbound_want_csv(req, resp);
	if (resp->status == 400)
		return;
	if (svc_relay_report(API_SVC(req), &id, http_request_param(req, "id"),
			     csv, &out, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	outbound_report_answer(resp, csv, out, "relay-report");
}

static const struct json_field request_fields[] = {
    {"requested_by", JSON_FIELD_STRING, true},
    {"kind", JSON_FIELD_STRING, true},
    {"relay_client_id", JSON_FIELD_INT_OR_NULL, false},
    {"name", JSON_FIELD_STRING, false},
    {"entity", JSON_FIELD_STRING, false},
    {"client_kind", JSON_FIELD_STRING, false},
    {"networks", JSON_FIELD_STRING_ARRAY, false},
    {"sender_domains", JSON_FIELD_STRING_ARRAY, false},
    {"send_limit_per_hour", JSON_FIELD_INT_OR_NULL, false},
    {"contact_action", JSON_FIELD_STRING, false},
    {"contact_email", JSON_FIELD_STRING, false},
    {"contact_name", JSON_FIELD_STRING, false},
    {"contact_role", JSON_FIELD_STRING, false},
};

void
api_relay_request_create(struct http_request *req, struct http_response *resp)
{
	static const char *empty[1] = {NULL};
	struct svc_relay_request_input in;
	struct svc_identity id;
	struct svc_result res;
	char cid[24] = "";
	json_t *obj;
	char *out;

	if (!api_auth(req, resp, &id))
		return;
	if (!api_body(req, resp, request_fields,
		      CASIER_ARRAY_LEN(request_fields), &obj))
		return;
	memset(&in, 0, sizeof(in));
	in.requested_by = json_get_string(obj, "requested_by");
	in.kind = json_get_string(obj, "kind");
	if (json_has(obj, "relay_client_id") &&
	    !json_is_null_field(obj, "relay_client_id")) {
		(void)casier_snprintf(cid, sizeof(cid), "%lld",
				      json_get_int(obj, "relay_client_id", 0));
		in.relay_client_id = cid;
	}
	in.name = json_get_string(obj, "name");
	in.entity = json_get_string(obj, "entity");
	in.client_kind = json_get_string(obj, "client_kind");
	if ((in.has_limit = json_has(obj, "send_limit_per_hour")))
		in.send_limit_per_hour =
		    json_is_null_field(obj, "send_limit_per_hour")
			? -1
			: json_get_int(obj, "send_limit_per_hour", -1);
	if (json_has(obj, "networks")) {
		in.networks = json_get_strings(obj, "networks", &in.nnetworks);
		if (in.networks == NULL)
			in.networks = empty;
	}
	if (json_has(obj, "sender_domains")) {
		in.sender_domains = json_get_strings(obj, "sender_domains",
						     &in.nsender_domains);
		if (in.sender_domains == NULL)
			in.sender_domains = empty;
	}
	in.contact_action = json_get_string(obj, "contact_action");
	in.contact_email = json_get_string(obj, "contact_email");
	in.contact_name = json_get_string(obj, "contact_name");
	in.contact_role = json_get_string(obj, "contact_role");
	if (svc_relay_request_file(API_SVC(req), &id, &in, &out, &res) < 0)
		api_error(resp, &res);
	else
		outbound_answer(resp, 201, out);
	if (in.networks != NULL && in.nnetworks > 0)
		free((void *)in.networks);
	if (in.sender_domains != NULL && in.nsender_domains > 0)
		free((void *)in.sender_domains);
	json_decref(obj);
}

void
api_relay_request_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_page page;
	struct svc_cursors c;
	char *items;

	if (!api_auth(req, resp, &id) || !api_page(req, resp, &page))
		return;
	if (svc_relay_request_list(API_SVC(req), &id, &page,
				   http_request_query(req, "status"), &items,
				   &c, &res) < 0)
		api_error(resp, &res);
	else
		outbound_list_answer(resp, items, &c);
}

static void
relay_request_decide(struct http_request *req, struct http_response *resp,
		     bool approve)
{
	struct svc_identity id;
	struct svc_result res;
	char *out;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_relay_request_decide(API_SVC(req), &id,
				     http_request_param(req, "id"), approve,
				     &out, &res) < 0)
		api_error(resp, &res);
	else
		outbound_answer(resp, 200, out);
}

void
api_relay_request_approve(struct http_request *req, struct http_response *resp)
{
	relay_request_decide(req, resp, true);
}

void
api_relay_request_reject(struct http_request *req, struct http_response *resp)
{
	relay_request_decide(req, resp, false);
}

/*
 * api-vacation.c - JSON API for vacation autoreplies (DESIGN sections 5
 * and 9):
 *   GET    /api/v1/accounts/{username}/vacation
 *   PUT    /api/v1/accounts/{username}/vacation
 *          {subject, body, start?, end?, interval_days?}
 *   DELETE /api/v1/accounts/{username}/vacation
 *
 * Called by http.c through api-routes.c, in casier-mgmtd (unprivileged).
 * Thin: parsing and answers only; rules are in service-vacation.c.  The
 * answer carries "state" ("active", "scheduled", "expired"), so a client
 * sees when the end date has passed and no reply goes out any more.
 */
#include "api-vacation.h"

#include "api-common.h"
#include "service-vacation.h"

#include <stdlib.h>

static json_t *
vacation_json(const struct svc_vacation *v)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:I, s:b, s:s}",
			 "username", v->username, "address", v->address,
			 "subject", v->subject, "body", v->body, "start",
			 v->start[0] != '\0' ? v->start : NULL, "end",
			 v->end[0] != '\0' ? v->end : NULL, "interval_days",
			 (json_int_t)v->interval_days, "active", v->active,
			 "state", v->state);
}

/* Answer with the account's vacation, or 404 when it has none. */
static void
vacation_answer(struct http_request *req, struct http_response *resp,
		const struct svc_identity *id, const char *username)
{
	struct svc_vacation v;
	struct svc_result res;

	if (svc_vacation_get(API_SVC(req), id, username, &v, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	if (!v.exists) {
		svc_result_set(&res, SVC_NOT_FOUND, "",
			       "the account has no vacation");
		api_error(resp, &res);
	} else {
		api_json(resp, 200, vacation_json(&v));
	}
	svc_vacation_free(&v);
}

void
api_vacation_get(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;

	if (!api_auth(req, resp, &id))
		return;
	vacation_answer(req, resp, &id, http_request_param(req, "username"));
}

static const struct json_field vacation_fields[] = {
    {"subject", JSON_FIELD_STRING, true},
    {"body", JSON_FIELD_TEXT, true},
    {"start", JSON_FIELD_STRING_OR_NULL, false},
    {"end", JSON_FIELD_STRING_OR_NULL, false},
    {"interval_days", JSON_FIELD_INT_OR_NULL, false},
};

void
api_vacation_put(struct http_request *req, struct http_response *resp)
{
	struct svc_vacation_input in = {0};
	struct svc_identity id;
	struct svc_account a;
	struct svc_result res;
	const char *username = http_request_param(req, "username");
	json_t *obj;

	if (!api_auth(req, resp, &id))
		return;
	/* another domain's account: 404 before looking at the body */
	if (svc_account_get(API_SVC(req), &id, username, &a, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	if (!api_body(req, resp, vacation_fields,
		      CASIER_ARRAY_LEN(vacation_fields), &obj))
		return;
	in.subject = json_get_string(obj, "subject");
	in.body = json_get_string(obj, "body");
	in.start = json_get_string(obj, "start"); /* NULL when null/absent */
	in.end = json_get_string(obj, "end");
	if (json_has(obj, "interval_days") &&
	    !json_is_null_field(obj, "interval_days")) {
		in.has_interval = true;
		in.interval_days = json_get_int(obj, "interval_days", 0);
	}
	if (svc_vacation_set(API_SVC(req), &id, username, &in, &res) < 0)
		api_error(resp, &res);
	else
		vacation_answer(req, resp, &id, username);
	json_decref(obj);
}

void
api_vacation_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_vacation_delete(API_SVC(req), &id,
				http_request_param(req, "username"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

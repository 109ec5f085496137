/*
 * api-admin.c - JSON API for admins, API tokens and the audit log.
 * POST /api/v1/tokens is the only call without a bearer token: it takes
 * {login,password}.  Called through api_routes(); unprivileged.
 */
#include "api-common.h"
#include "api-handlers.h"

#include "log.h"
#include "session.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const struct json_field token_login_fields[] = {
    {"login", JSON_FIELD_STRING, true},
    {"password", JSON_FIELD_STRING, true},
    {"name", JSON_FIELD_STRING, false},
};

static const struct json_field token_fields[] = {
    {"name", JSON_FIELD_STRING, false},
};

void
api_token_login(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	char token[SVC_TOKEN_MAX + 1];
	json_t *obj;

	if (!api_body(req, resp, token_login_fields,
		      CASIER_ARRAY_LEN(token_login_fields), &obj))
		return;
	/* the same throttle as the login page (sql/025, session.c): the
	 * password is not even checked while the IP or login is over */
	switch (session_throttle_check(req->ctx->db, req->client_ip,
				       json_get_string(obj, "login"))) {
	case CASIER_FOUND:
		svc_result_set(&res, SVC_THROTTLED, "",
			       "too many failed logins, try again later");
		api_error(resp, &res);
		json_decref(obj);
		return;
	case CASIER_LOOKUP_ERROR:
		svc_result_set(&res, SVC_TEMPFAIL, "",
			       "database unavailable, try again");
		api_error(resp, &res);
		json_decref(obj);
		return;
	case CASIER_ABSENT:
		break;
	}
	if (svc_auth_password(API_SVC(req), json_get_string(obj, "login"),
			      json_get_string(obj, "password"), &id,
			      &res) < 0) {
		char l[80];
		const char *login = json_get_string(obj, "login");

		log_sanitize(l, sizeof(l), login, strlen(login));
		log_info("web: API login failed for %s from %s", l,
			 req->client_ip);
		if (res.status == SVC_UNAUTHORIZED)
			(void)session_throttle_fail(req->ctx->db,
						    req->client_ip, login);
		api_error(resp, &res);
	} else if (svc_token_create(API_SVC(req), &id, NULL,
				    json_get_string(obj, "name"), token,
				    &res) < 0) {
		api_error(resp, &res);
	} else {
		(void)session_throttle_success(req->ctx->db, id.login);
		(void)casier_snprintf(req->log_user, sizeof(req->log_user),
				      "%s", id.login);
		api_json(resp, 201, json_pack("{s:s}", "token", token));
		sodium_memzero(token, sizeof(token));
	}
	json_decref(obj);
}

void
api_token_create_for(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	char token[SVC_TOKEN_MAX + 1];
	json_t *obj = NULL;

	if (!api_auth(req, resp, &id))
		return;
	if (!id.superuser) {
		svc_result_set(&res, SVC_FORBIDDEN, "",
			       "only the superuser creates tokens for admins");
		api_error(resp, &res);
		return;
	}
	/* the body is optional: {"name": "..."} */
	if (req->body_len > 0 &&
	    !api_body(req, resp, token_fields, CASIER_ARRAY_LEN(token_fields),
		      &obj))
		return;
	if (svc_token_create(API_SVC(req), &id,
			     http_request_param(req, "login"),
			     obj != NULL ? json_get_string(obj, "name") : NULL,
			     token, &res) < 0) {
		api_error(resp, &res);
	} else {
		api_json(resp, 201, json_pack("{s:s}", "token", token));
		sodium_memzero(token, sizeof(token));
	}
	json_decref(obj);
}

void
api_token_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_token *t;
	size_t n;
	json_t *items;
	struct svc_cursors none = {{0}, {0}};

	if (!api_auth(req, resp, &id))
		return;
	if (svc_token_list(API_SVC(req), &id, NULL, &t, &n, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(
		    items,
		    json_pack("{s:I, s:s, s:s, s:o}", "id", (json_int_t)t[i].id,
			      "name", t[i].name, "created_at", t[i].created_at,
			      "last_used_at",
			      t[i].last_used_at[0] != '\0'
				  ? json_string(t[i].last_used_at)
				  : json_null()));
	free(t);
	api_json(resp, 200, api_list(items, &none));
}

void
api_token_revoke(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	const char *s = http_request_param(req, "id");
	char *end;
	long long tid;

	if (!api_auth(req, resp, &id))
		return;
	errno = 0;
	tid = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || tid <= 0) {
		svc_result_set(&res, SVC_NOT_FOUND, "", "no such token");
		api_error(resp, &res);
		return;
	}
	if (svc_token_revoke(API_SVC(req), &id, tid, &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

static const struct json_field admin_create_fields[] = {
    {"login", JSON_FIELD_STRING, true},
    {"password", JSON_FIELD_STRING, true},
    {"domains", JSON_FIELD_STRING_ARRAY, false},
    {"superuser", JSON_FIELD_BOOL, false},
    {"language", JSON_FIELD_STRING, false},
};

static const struct json_field admin_patch_fields[] = {
    {"password", JSON_FIELD_STRING, false},
    {"domains", JSON_FIELD_STRING_ARRAY, false},
    {"superuser", JSON_FIELD_BOOL, false},
    {"active", JSON_FIELD_BOOL, false},
    {"language", JSON_FIELD_STRING, false},
};

static void
admin_input(json_t *obj, struct svc_admin_input *in, const char ***doms)
{
	memset(in, 0, sizeof(*in));
	in->login = json_get_string(obj, "login");
	in->password = json_get_string(obj, "password");
	if ((in->has_superuser = json_has(obj, "superuser")))
		in->superuser = json_get_bool(obj, "superuser", false);
	if ((in->has_active = json_has(obj, "active")))
		in->active = json_get_bool(obj, "active", true);
	if ((in->has_domains = json_has(obj, "domains"))) {
		*doms = json_get_strings(obj, "domains", &in->ndomains);
		in->domains = *doms;
	}
	in->language = json_get_string(obj, "language");
}

static bool
api_superuser(const struct svc_identity *id, struct http_response *resp)
{
	struct svc_result res;

	if (id->superuser)
		return true;
	svc_result_set(&res, SVC_FORBIDDEN, "",
		       "only the superuser manages admins");
	api_error(resp, &res);
	return false;
}

void
api_admin_create(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_admin_input in;
	struct svc_admin a = {0};
	struct svc_result res;
	const char **doms = NULL;
	json_t *obj;

	if (!api_auth(req, resp, &id) || !api_superuser(&id, resp) ||
	    !api_body(req, resp, admin_create_fields,
		      CASIER_ARRAY_LEN(admin_create_fields), &obj))
		return;
	admin_input(obj, &in, &doms);
	if (svc_admin_create(API_SVC(req), &id, &in, &a, &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 201, api_admin_json(&a));
	svc_admin_free(&a);
	free(doms);
	json_decref(obj);
}

void
api_admin_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_page page;
	struct svc_admin_list l;
	struct svc_result res;
	json_t *items;

	if (!api_auth(req, resp, &id) || !api_superuser(&id, resp) ||
	    !api_page(req, resp, &page))
		return;
	if (svc_admin_list(API_SVC(req), &id, &page, &l, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < l.n; i++)
		json_array_append_new(items, api_admin_json(&l.items[i]));
	api_json(resp, 200, api_list(items, &l.cursors));
	svc_admin_list_free(&l);
}

void
api_admin_get(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_admin a = {0};
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_admin_get(API_SVC(req), &id, http_request_param(req, "login"),
			  &a, &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 200, api_admin_json(&a));
	svc_admin_free(&a);
}

void
api_admin_patch(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_admin_input in;
	struct svc_admin a = {0};
	struct svc_result res;
	const char **doms = NULL;
	json_t *obj;

	if (!api_auth(req, resp, &id) ||
	    !api_body(req, resp, admin_patch_fields,
		      CASIER_ARRAY_LEN(admin_patch_fields), &obj))
		return;
	admin_input(obj, &in, &doms);
	if (svc_admin_update(API_SVC(req), &id,
			     http_request_param(req, "login"), &in, &a,
			     &res) < 0)
		api_error(resp, &res);
	else
		api_json(resp, 200, api_admin_json(&a));
	svc_admin_free(&a);
	free(doms);
	json_decref(obj);
}

void
api_admin_delete(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;

	if (!api_auth(req, resp, &id))
		return;
	if (svc_admin_delete(API_SVC(req), &id,
			     http_request_param(req, "login"), &res) < 0)
		api_error(resp, &res);
	else
		api_no_content(resp);
}

void
api_audit_list(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_page page;
	struct svc_audit_list l;
	struct svc_result res;
	json_t *items;

	if (!api_auth(req, resp, &id) || !api_page(req, resp, &page))
		return;
	if (svc_audit_list(API_SVC(req), &id, http_request_query(req, "domain"),
			   &page, &l, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < l.n; i++) {
		const struct svc_audit_entry *e = &l.items[i];
		json_t *before =
		    e->before ? json_loads(e->before, 0, NULL) : NULL;
		json_t *after = e->after ? json_loads(e->after, 0, NULL) : NULL;

		json_array_append_new(
		    items, json_pack("{s:I, s:s, s:s, s:o, s:s, s:s, s:o, s:o}",
				     "id", (json_int_t)e->id, "at", e->at,
				     "actor", e->actor, "domain",
				     e->domain[0] ? json_string(e->domain)
						  : json_null(),
				     "action", e->action, "object", e->object,
				     "before", before ? before : json_null(),
				     "after", after ? after : json_null()));
	}
	api_json(resp, 200, api_list(items, &l.cursors));
	svc_audit_list_free(&l);
}

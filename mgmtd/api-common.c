/*
 * api-common.c - the plumbing of the JSON API: authentication with
 * bearer tokens, strict bodies, answers and errors, paging, units.
 *
 * Called by the api-*.c handlers on MHD pool threads.  Unprivileged.
 * Errors always answer {"error":{"code","message","field"}} with the
 * status from svc_status_http(), the only mapping.
 */
#include "api-common.h"

#include "str.h"

#include <stdlib.h>
#include <string.h>

#define API_DUMP_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

void
api_json(struct http_response *resp, unsigned int status, json_t *obj)
{
	char *text;

	http_response_set_type(resp, "application/json");
	str_clear(&resp->body);
	if (obj == NULL || (text = json_dumps(obj, API_DUMP_FLAGS)) == NULL) {
		json_decref(obj);
		resp->status = 503;
		(void)str_append(&resp->body,
				 "{\"error\":{\"code\":\"temporary_failure\","
				 "\"message\":\"out of memory\",\"field\":"
				 "null}}\n");
		return;
	}
	json_decref(obj);
	resp->status = status;
	if (str_append(&resp->body, text) < 0 ||
	    str_append_char(&resp->body, '\n') < 0) {
		str_clear(&resp->body);
		resp->status = 503;
	}
	free(text);
}

void
api_no_content(struct http_response *resp)
{
	resp->status = 204;
	resp->content_type[0] = '\0';
	str_clear(&resp->body);
}

void
api_error(struct http_response *resp, const struct svc_result *res)
{
	json_t *err = json_pack(
	    "{s:{s:s, s:s, s:o}}", "error", "code",
	    svc_status_code(res->status), "message",
	    res->message[0] != '\0' ? res->message
				    : svc_status_code(res->status),
	    "field",
	    res->field[0] != '\0' ? json_string(res->field) : json_null());

	/* json_string() of a field that is not UTF-8 returns NULL: "o"
	 * then fails the whole pack, and api_json answers 503; fields are
	 * our own names or keys jansson already checked. */
	api_json(resp, svc_status_http(res->status), err);
}

bool
api_auth(struct http_request *req, struct http_response *resp,
	 struct svc_identity *id_r)
{
	const char *h = http_request_header(req, "Authorization");
	struct svc_result res;

	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		svc_result_set(&res, SVC_UNAUTHORIZED, "",
			       "a bearer token is required");
		(void)http_response_header(resp, "WWW-Authenticate",
					   "Bearer realm=\"casier\"");
		api_error(resp, &res);
		return false;
	}
	h += 7;
	while (*h == ' ')
		h++;
	if (svc_auth_token(API_SVC(req), h, id_r, &res) < 0) {
		if (res.status == SVC_UNAUTHORIZED)
			(void)http_response_header(resp, "WWW-Authenticate",
						   "Bearer realm=\"casier\", "
						   "error=\"invalid_token\"");
		api_error(resp, &res);
		return false;
	}
	if (casier_snprintf(req->log_user, sizeof(req->log_user), "%s",
			    id_r->login) < 0)
		req->log_user[0] = '\0';
	return true;
}

bool
api_body(struct http_request *req, struct http_response *resp,
	 const struct json_field *fields, size_t nfields, json_t **obj_r)
{
	struct svc_result res;

	if (json_body_parse(req->content_type, req->body, req->body_len, obj_r,
			    &res) < 0 ||
	    json_fields_check(*obj_r, fields, nfields, &res) < 0) {
		json_decref(*obj_r);
		*obj_r = NULL;
		api_error(resp, &res);
		return false;
	}
	return true;
}

bool
api_page(struct http_request *req, struct http_response *resp,
	 struct svc_page *page_r)
{
	struct svc_result res;

	if (svc_page_parse(http_request_query(req, "limit"),
			   http_request_query(req, "cursor"),
			   http_request_query(req, "q"), SVC_LIMIT_DEFAULT,
			   page_r, &res) < 0) {
		api_error(resp, &res);
		return false;
	}
	return true;
}

json_t *
api_list(json_t *items, const struct svc_cursors *c)
{
	return json_pack(
	    "{s:o, s:o, s:o}", "items", items, "next_cursor",
	    c->next[0] != '\0' ? json_string(c->next) : json_null(),
	    "prev_cursor",
	    c->prev[0] != '\0' ? json_string(c->prev) : json_null());
}

bool
api_mb_to_bytes(long long mb, long long *bytes_r)
{
	/* SVC_QUOTA_MAX >> 20 keeps mb << 20 far from overflow */
	if (mb < 0 || mb > (SVC_QUOTA_MAX >> 20))
		return false;
	*bytes_r = mb * 1048576LL;
	return true;
}

json_t *
api_mb(long long bytes)
{
	if (bytes % 1048576LL == 0)
		return json_integer(bytes / 1048576LL);
	return json_real((double)(bytes * 100 / 1048576LL) / 100.0);
}

json_t *
api_strings_json(char *const *items, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		json_array_append_new(a, json_string(items[i]));
	return a;
}

static json_t *
api_opt_int(long long v)
{
	return v < 0 ? json_null() : json_integer(v);
}

static json_t *
api_opt_string(const char *s)
{
	return s[0] == '\0' ? json_null() : json_string(s);
}

json_t *
api_domain_json(const struct svc_domain *d)
{
	return json_pack("{s:s, s:s, s:I, s:I, s:o, s:o, s:b, s:o, s:o, s:o}",
			 "name", d->name, "prefix", d->prefix, "max_accounts",
			 (json_int_t)d->max_accounts, "accounts",
			 (json_int_t)d->accounts_used, "default_quota_mb",
			 api_mb(d->default_quota_bytes), "contact",
			 api_opt_string(d->contact), "active", d->active,
			 "send_limit_per_hour",
			 api_opt_int(d->send_limit_per_hour), "catchall",
			 api_opt_string(d->catchall), "alias_domains",
			 api_strings_json(d->alias_domains, d->nalias_domains));
}

json_t *
api_account_json(const struct svc_account *a)
{
	long long x10 = svc_usage_percent_x10(a->usage_bytes, a->quota_bytes);

	return json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:f, s:I, s:b, s:b, s:b, "
	    "s:b, s:o, s:o, s:o}",
	    "username", a->username, "address", a->address, "local_part",
	    a->local_part, "domain", a->domain, "quota_mb",
	    api_mb(a->quota_bytes), "quota_kb",
	    (json_int_t)(a->quota_bytes / 1024), "usage_kb",
	    (json_int_t)svc_usage_kb(a->usage_bytes), "usage_percent",
	    (double)x10 / 10.0, "usage_messages", (json_int_t)a->usage_messages,
	    "active", a->active, "redirect", a->has_redirect, "vacation",
	    a->has_vacation, "catchall", a->is_catchall, "send_limit_per_hour",
	    api_opt_int(a->send_limit_per_hour), "outbound_blocked_until",
	    api_opt_string(a->outbound_blocked_until), "outbound_block_reason",
	    api_opt_string(a->outbound_block_reason));
}

json_t *
api_alias_json(const struct svc_alias *a)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "address", a->address,
			 "local_part", a->local_part, "domain", a->domain,
			 "targets",
			 api_strings_json(a->targets.items, a->targets.n));
}

json_t *
api_admin_json(const struct svc_admin *a)
{
	return json_pack("{s:s, s:b, s:b, s:s, s:o}", "login", a->login,
			 "superuser", a->superuser, "active", a->active,
			 "language", a->language, "domains",
			 api_strings_json(a->domains, a->ndomains));
}

/*
 * api-csv.c - CSV export of a domain's accounts and aliases and CSV
 * import of accounts (dry run, per-line errors) on the JSON API.
 * Called through api_routes(); unprivileged.  Logic in service-csv.c.
 */
#include "api-common.h"
#include "api-handlers.h"

#include "str.h"

#include <stdlib.h>
#include <string.h>

void
api_domain_export(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	char disp[SVC_NAME_MAX + 64];

	if (!api_auth(req, resp, &id))
		return;
	str_clear(&resp->body);
	if (svc_domain_export_csv(API_SVC(req), &id,
				  http_request_param(req, "domain"),
				  &resp->body, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	resp->status = 200;
	http_response_set_type(resp, "text/csv; charset=utf-8");
	/* the domain name was checked by the service (A-label: no quotes) */
	if (casier_snprintf(disp, sizeof(disp),
			    "attachment; filename=\"casier-export.csv\"") >= 0)
		(void)http_response_header(resp, "Content-Disposition", disp);
}

void
api_domain_import(struct http_request *req, struct http_response *resp)
{
	struct svc_identity id;
	struct svc_result res;
	struct svc_import_report rep;
	const char *dr = http_request_query(req, "dry_run");
	bool dry_run =
	    dr != NULL && (strcmp(dr, "1") == 0 || strcmp(dr, "true") == 0);
	json_t *lines, *out;

	if (!api_auth(req, resp, &id))
		return;
	{
		/* another domain: 404 whatever the body */
		struct svc_domain d = {0};

		if (svc_domain_get(API_SVC(req), &id,
				   http_request_param(req, "domain"), &d,
				   &res) < 0) {
			api_error(resp, &res);
			return;
		}
		svc_domain_free(&d);
	}
	if (strcmp(req->content_type, "text/csv") != 0) {
		svc_result_set(&res, SVC_UNSUPPORTED, "",
			       "the body must be text/csv");
		api_error(resp, &res);
		return;
	}
	if (svc_account_import_csv(API_SVC(req), &id,
				   http_request_param(req, "domain"), req->body,
				   req->body_len, dry_run, &rep, &res) < 0) {
		api_error(resp, &res);
		return;
	}
	lines = json_array();
	for (size_t i = 0; i < rep.n; i++) {
		const struct svc_import_line *l = &rep.lines[i];

		json_array_append_new(
		    lines,
		    json_pack("{s:I, s:b, s:s, s:o, s:o, s:o}", "line",
			      (json_int_t)l->line, "ok", l->ok, "local_part",
			      l->local_part, "username",
			      l->username[0] ? json_string(l->username)
					     : json_null(),
			      "field",
			      !l->ok && l->field[0] ? json_string(l->field)
						    : json_null(),
			      "message",
			      l->ok ? json_null() : json_string(l->message)));
	}
	out = json_pack("{s:b, s:b, s:I, s:o}", "dry_run", dry_run, "created",
			rep.created, "errors", (json_int_t)rep.errors, "lines",
			lines);
	if (!dry_run && !rep.created && out != NULL) {
		json_object_set_new(
		    out, "error",
		    json_pack("{s:s, s:s, s:s}", "code", "invalid", "message",
			      "some lines were refused; nothing was created",
			      "field", "csv"));
		api_json(resp, 422, out);
	} else {
		api_json(resp, dry_run ? 200 : 201, out);
	}
	svc_import_report_free(&rep);
}

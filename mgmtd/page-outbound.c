/*
 * page-outbound.c - HTML pages for outbound mail (DESIGN sections 6, 7):
 *   GET  /accounts/{username}/outbound     limit, block, unblock button,
 *                                          report with an SVG chart
 *   POST /accounts/{username}/unblock
 *   GET  /accounts/{username}/report.csv
 *   POST /accounts/{username}/bulk-requests  a domain admin files one
 *   GET  /bulk-requests                    list; the superuser decides
 *   POST /bulk-requests/{id}/approve, /bulk-requests/{id}/reject
 *   GET  /relay-clients                    superuser: the relay clients
 *   GET  /relay-clients/{id}/report        report with an SVG chart
 *   GET  /relay-clients/{id}/report.csv
 *
 * Called by http.c through page-common.c's route table, in casier-mgmtd
 * (unprivileged).  No SQL here: service-outbound.c answers with JSON
 * text, which is turned into template data; the chart is built by
 * outbound-chart.c from numbers and escaped labels.  Service failures go
 * through page_svc_failed() (404, 403, 503 pages).
 */
#include "page-outbound.h"

#include "outbound-chart.h"
#include "page-common.h"
#include "service-outbound.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void
failed(struct page *p, const struct svc_result *res)
{
	if (!page_svc_failed(p, res))
		page_error(p, 400, "err.bad_request");
}

static void
set_json_value(struct tmpl_data *d, const char *name, json_t *v)
{
	if (json_is_string(v))
		(void)tmpl_data_set(d, name, json_string_value(v));
	else if (json_is_integer(v))
		(void)tmpl_data_setf(d, name, "%lld",
				     (long long)json_integer_value(v));
	else if (json_is_real(v))
		(void)tmpl_data_setf(d, name, "%+.1f %%", json_real_value(v));
}

/* Report JSON -> "has_report", "days", "months" and the "chart" SVG. */
static void
set_report(struct page *p, const char *json_text, const char *chart_title)
{
	json_error_t jerr;
	json_t *rep = json_loads(json_text, 0, &jerr);
	json_t *daily = json_object_get(rep, "daily");
	json_t *monthly = json_object_get(rep, "monthly");
	size_t nd = json_array_size(daily), nm = json_array_size(monthly);
	const char **labels = calloc(nd + 1, sizeof(*labels));
	long long *values = calloc(nd + 1, sizeof(*values));
	struct str svg;

	(void)tmpl_data_set_list(p->data, "days");
	(void)tmpl_data_set_list(p->data, "months");
	(void)tmpl_data_set_bool(p->data, "has_report", nd + nm > 0);
	for (size_t i = 0; i < nd && labels != NULL && values != NULL; i++) {
		json_t *row = json_array_get(daily, i);
		struct tmpl_data *r = tmpl_data_list_add(p->data, "days");

		labels[i] = json_string_value(json_object_get(row, "day"));
		if (labels[i] == NULL)
			labels[i] = "";
		values[i] =
		    json_integer_value(json_object_get(row, "messages"));
		if (r == NULL)
			continue;
		set_json_value(r, "day", json_object_get(row, "day"));
		set_json_value(r, "messages", json_object_get(row, "messages"));
		set_json_value(r, "recipients",
			       json_object_get(row, "recipients"));
	}
	for (size_t i = 0; i < nm; i++) {
		json_t *row = json_array_get(monthly, i);
		struct tmpl_data *r = tmpl_data_list_add(p->data, "months");

		if (r == NULL)
			continue;
		set_json_value(r, "month", json_object_get(row, "month"));
		set_json_value(r, "messages", json_object_get(row, "messages"));
		set_json_value(r, "recipients",
			       json_object_get(row, "recipients"));
		set_json_value(r, "trend",
			       json_object_get(row, "trend_percent"));
	}
	str_init(&svg, 1024 * 1024);
	if (nd > 0 && labels != NULL && values != NULL &&
	    outbound_chart_svg(&svg, chart_title, labels, values, nd) == 0)
		(void)tmpl_data_set_html(p->data, "chart", svg.data);
	str_free(&svg);
	free(labels);
	free(values);
	json_decref(rep);
}

static void
csv_answer(struct page *p, char *csv, const char *filename)
{
	char disp[128];

	http_response_set_type(p->resp, "text/csv; charset=utf-8");
	str_clear(&p->resp->body);
	if (str_append(&p->resp->body, csv) < 0)
		p->resp->status = 503;
	if (casier_snprintf(disp, sizeof(disp),
			    "attachment; filename=\"%s.csv\"", filename) >= 0)
		(void)http_response_header(p->resp, "Content-Disposition",
					   disp);
}

/* Template data of the account's outbound page; false after an error
 * page was set. */
static bool
outbound_account_fill(struct page *p, const char *username)
{
	struct svc_account a;
	struct svc_result res;
	char *report = NULL, chart_title[128];

	if (svc_account_get(p->svc, &p->id, username, &a, &res) < 0 ||
	    svc_account_report(p->svc, &p->id, username, false, &report, &res) <
		0) {
		failed(p, &res);
		return false;
	}
	(void)tmpl_data_set(p->data, "username", a.username);
	(void)tmpl_data_set(p->data, "address", a.address);
	page_set_url(p, p->data, "username_url", a.username);
	if (a.send_limit_per_hour >= 0)
		(void)tmpl_data_setf(p->data, "limit", "%lld",
				     a.send_limit_per_hour);
	(void)tmpl_data_set_bool(p->data, "blocked",
				 a.outbound_blocked_until[0] != '\0');
	(void)tmpl_data_set(p->data, "blocked_until", a.outbound_blocked_until);
	(void)tmpl_data_set(p->data, "block_reason", a.outbound_block_reason);
	page_text(p, "outbound.chart", NULL, chart_title, sizeof(chart_title));
	set_report(p, report, chart_title);
	free(report);
	return true;
}

void
page_outbound_account(struct http_request *req, struct http_response *resp)
{
	struct page p;
	const char *username = http_request_param(req, "username");

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (outbound_account_fill(&p, username))
		page_render(&p, "outbound-account", "title.outbound",
			    http_request_param(req, "username"));
out:
	page_end(&p);
}

/* POST /accounts/{username}/bulk-requests: a domain admin asks. */
void
page_outbound_bulk_file(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_bulk_input in = {0};
	struct svc_result res;
	const char *username = http_request_param(req, "username");
	char *out = NULL, enc[3 * 64 + 1], loc[256];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	in.justification = page_form(&p, "justification");
	in.start = page_form(&p, "start");
	in.end = page_form(&p, "end");
	if (!page_form_ll(&p, "limit_per_hour", SVC_BULK_LIMIT_MAX,
			  &in.limit_per_hour))
		in.limit_per_hour = 0; /* the service names the field */
	if (svc_bulk_request_create(p.svc, &p.id, username, &in, &out, &res) <
	    0) {
		if (page_svc_failed(&p, &res))
			goto out;
		(void)tmpl_data_set(p.data, "v_justification",
				    in.justification);
		(void)tmpl_data_set(p.data, "v_limit_per_hour",
				    page_form(&p, "limit_per_hour"));
		(void)tmpl_data_set(p.data, "v_start", in.start);
		(void)tmpl_data_set(p.data, "v_end", in.end);
		if (outbound_account_fill(&p, username))
			page_render(&p, "outbound-account", "title.outbound",
				    username);
		goto out;
	}
	if (page_url_encode(username, enc, sizeof(enc)) < 0 ||
	    casier_snprintf(loc, sizeof(loc), "/accounts/%s/outbound", enc) <
		0) {
		page_error(&p, 400, "err.bad_request");
		goto out;
	}
	page_redirect(&p, loc, "flash.bulk_filed", username);
out:
	free(out);
	page_end(&p);
}

/* GET /bulk-requests: the requests the admin may see; the superuser
 * decides the pending ones. */
void
page_bulk_requests(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	struct svc_page pg;
	struct svc_cursors c;
	const char *status = http_request_query(req, "status");
	char *items = NULL;
	json_error_t jerr;
	json_t *arr = NULL, *v;
	size_t i;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (svc_page_parse(NULL, http_request_query(req, "cursor"), NULL,
			   PAGE_ROWS, &pg, &res) < 0 ||
	    svc_bulk_request_list(p.svc, &p.id, &pg, status, &items, &c, &res) <
		0) {
		failed(&p, &res);
		goto out;
	}
	arr = json_loads(items, 0, &jerr);
	(void)tmpl_data_set_list(p.data, "requests");
	(void)tmpl_data_set_bool(p.data, "has_requests",
				 json_array_size(arr) > 0);
	json_array_foreach(arr, i, v)
	{
		struct tmpl_data *row = tmpl_data_list_add(p.data, "requests");
		const char *st =
		    json_string_value(json_object_get(v, "status"));

		if (row == NULL)
			continue;
		set_json_value(row, "id", json_object_get(v, "id"));
		set_json_value(row, "address", json_object_get(v, "address"));
		set_json_value(row, "justification",
			       json_object_get(v, "justification"));
		set_json_value(row, "limit",
			       json_object_get(v, "limit_per_hour"));
		set_json_value(row, "approved_limit",
			       json_object_get(v, "approved_limit"));
		set_json_value(row, "start", json_object_get(v, "start"));
		set_json_value(row, "end", json_object_get(v, "end"));
		set_json_value(row, "status", json_object_get(v, "status"));
		set_json_value(row, "requested_by",
			       json_object_get(v, "requested_by"));
		(void)tmpl_data_set_bool(row, "can_decide",
					 p.id.superuser && st != NULL &&
					     strcmp(st, "pending") == 0);
	}
	page_set_pager(&p, "/bulk-requests", NULL, &c);
	page_render(&p, "bulk-requests", "title.bulk_requests", NULL);
out:
	json_decref(arr);
	free(items);
	page_end(&p);
}

static void
bulk_decide_page(struct http_request *req, struct http_response *resp,
		 bool approve)
{
	struct page p;
	struct svc_result res;
	long long limit = -1;
	char *out = NULL;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (approve && page_form(&p, "limit_per_hour")[0] != '\0' &&
	    !page_form_ll(&p, "limit_per_hour", SVC_BULK_LIMIT_MAX, &limit)) {
		page_error(&p, 422, "err.invalid");
		goto out;
	}
	if (svc_bulk_request_decide(p.svc, &p.id, http_request_param(req, "id"),
				    approve, limit, &out, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	page_redirect(&p, "/bulk-requests",
		      approve ? "flash.bulk_approved" : "flash.bulk_rejected",
		      http_request_param(req, "id"));
out:
	free(out);
	page_end(&p);
}

void
page_bulk_approve(struct http_request *req, struct http_response *resp)
{
	bulk_decide_page(req, resp, true);
}

void
page_bulk_reject(struct http_request *req, struct http_response *resp)
{
	bulk_decide_page(req, resp, false);
}

void
page_outbound_unblock(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	const char *username = http_request_param(req, "username");
	char enc[3 * 64 + 1], loc[256];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (svc_outbound_unblock(p.svc, &p.id, username, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	if (page_url_encode(username, enc, sizeof(enc)) < 0 ||
	    casier_snprintf(loc, sizeof(loc), "/accounts/%s/outbound", enc) <
		0) {
		page_error(&p, 400, "err.bad_request");
		goto out;
	}
	page_redirect(&p, loc, "flash.outbound_unblocked", username);
out:
	page_end(&p);
}

void
page_outbound_account_csv(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	char *csv = NULL;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (svc_account_report(p.svc, &p.id,
			       http_request_param(req, "username"), true, &csv,
			       &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	csv_answer(&p, csv, "account-report");
out:
	free(csv);
	page_end(&p);
}

static void
set_strings(struct tmpl_data *row, const char *name, json_t *arr)
{
	struct str s;
	size_t i;
	json_t *v;

	str_init(&s, 64 * 1024);
	json_array_foreach(arr, i, v)
	{
		const char *t =
		    json_is_string(v)
			? json_string_value(v)
			: json_string_value(json_object_get(v, "email"));
		if (t == NULL || (i > 0 && str_append(&s, ", ") < 0) ||
		    str_append(&s, t) < 0)
			break;
		if (json_is_object(v)) {
			const char *role =
			    json_string_value(json_object_get(v, "role"));
			(void)str_appendf(&s, " (%s)",
					  role != NULL ? role : "");
		}
	}
	(void)tmpl_data_set(row, name, s.data != NULL ? s.data : "");
	str_free(&s);
}

void
page_relay_clients(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	struct svc_page pg;
	struct svc_cursors c;
	char *items = NULL;
	json_error_t jerr;
	json_t *arr = NULL, *v;
	size_t i;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (svc_page_parse(NULL, http_request_query(req, "cursor"),
			   http_request_query(req, "q"), PAGE_ROWS, &pg,
			   &res) < 0 ||
	    svc_relay_client_list(p.svc, &p.id, &pg, &items, &c, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	arr = json_loads(items, 0, &jerr);
	(void)tmpl_data_set_list(p.data, "clients");
	(void)tmpl_data_set_bool(p.data, "has_clients",
				 json_array_size(arr) > 0);
	json_array_foreach(arr, i, v)
	{
		struct tmpl_data *row = tmpl_data_list_add(p.data, "clients");

		if (row == NULL)
			continue;
		set_json_value(row, "id", json_object_get(v, "id"));
		set_json_value(row, "name", json_object_get(v, "name"));
		set_json_value(row, "entity", json_object_get(v, "entity"));
		set_json_value(row, "kind", json_object_get(v, "kind"));
		(void)tmpl_data_set_bool(
		    row, "active", json_is_true(json_object_get(v, "active")));
		set_strings(row, "networks", json_object_get(v, "networks"));
		set_strings(row, "sender_domains",
			    json_object_get(v, "sender_domains"));
		set_strings(row, "contacts", json_object_get(v, "contacts"));
		if (i == 0)
			set_json_value(p.data, "spf_record",
				       json_object_get(v, "spf_record"));
	}
	page_set_pager(&p, "/relay-clients", http_request_query(req, "q"), &c);
	page_render(&p, "relay-clients", "title.relay_clients", NULL);
out:
	json_decref(arr);
	free(items);
	page_end(&p);
}

void
page_relay_report(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	const char *rid = http_request_param(req, "id");
	char *client = NULL, *report = NULL, chart_title[128];
	json_error_t jerr;
	json_t *c = NULL;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (svc_relay_client_get(p.svc, &p.id, rid, &client, &res) < 0 ||
	    svc_relay_report(p.svc, &p.id, rid, false, &report, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	c = json_loads(client, 0, &jerr);
	set_json_value(p.data, "id", json_object_get(c, "id"));
	set_json_value(p.data, "name", json_object_get(c, "name"));
	set_json_value(p.data, "entity", json_object_get(c, "entity"));
	set_json_value(p.data, "spf_record", json_object_get(c, "spf_record"));
	set_strings(p.data, "networks", json_object_get(c, "networks"));
	set_strings(p.data, "sender_domains",
		    json_object_get(c, "sender_domains"));
	page_text(&p, "outbound.chart", NULL, chart_title, sizeof(chart_title));
	set_report(&p, report, chart_title);
	page_render(&p, "relay-report", "title.relay_report",
		    json_string_value(json_object_get(c, "name")));
out:
	json_decref(c);
	free(client);
	free(report);
	page_end(&p);
}

void
page_relay_report_csv(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	char *csv = NULL;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (svc_relay_report(p.svc, &p.id, http_request_param(req, "id"), true,
			     &csv, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	csv_answer(&p, csv, "relay-report");
out:
	free(csv);
	page_end(&p);
}

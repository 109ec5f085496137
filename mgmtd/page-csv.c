/*
 * page-csv.c - CSV export of a domain's accounts and aliases (the
 * address list the manual promises for migrations, section 5) and CSV
 * import of accounts with a dry run and per-line results.
 *
 * Called by casier-mgmtd's HTTP core (unprivileged).  Reading, checking
 * and creating are the service layer's (service-csv.c); this file only
 * moves the text between the browser and it.  The import form is a
 * textarea (urlencoded, so the strict form parser applies) with larger
 * limits than other forms.
 */
#include "page-common.h"

#include "str.h"

#include <stdlib.h>
#include <string.h>

/* 1000 lines of "local_part,password,quota" fit easily. */
static const struct form_limits import_limits = {
    .max_body = 512 * 1024,
    .max_fields = 8,
    .max_name = 32,
    .max_value = 256 * 1024,
};

void
page_domain_export(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	str_clear(&resp->body);
	if (svc_domain_export_csv(p.svc, &p.id,
				  http_request_param(req, "domain"),
				  &resp->body, &res) < 0) {
		str_clear(&resp->body);
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	http_response_set_type(resp, "text/csv; charset=utf-8");
	(void)http_response_header(
	    resp, "Content-Disposition",
	    "attachment; filename=\"casier-export.csv\"");
out:
	page_end(&p);
}

static bool
load_domain(struct page *p, const char *name, struct svc_domain *d)
{
	struct svc_result res;

	if (svc_domain_get(p->svc, &p->id, name, d, &res) == 0)
		return true;
	if (!page_svc_failed(p, &res))
		page_error(p, 400, "err.bad_request");
	return false;
}

static void
import_render(struct page *p, const struct svc_domain *d)
{
	unsigned int status = p->resp->status;

	(void)tmpl_data_set(p->data, "domain", d->name);
	page_set_url(p, p->data, "domain_url", d->name);
	page_render(p, "import", "title.import", d->name);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_import_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_domain(&p, http_request_param(req, "domain"), &d))
		goto out;
	(void)tmpl_data_set_bool(p.data, "v_dry_run", true);
	import_render(&p, &d);
out:
	svc_domain_free(&d);
	page_end(&p);
}

void
page_import(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};
	struct svc_import_report rep = {0};
	struct svc_result res;
	const char *csv;
	bool dry;

	if (!page_begin_limits(&p, req, resp, PAGE_AUTH, &import_limits))
		goto out;
	if (!load_domain(&p, http_request_param(req, "domain"), &d))
		goto out;
	csv = page_form(&p, "csv");
	dry = page_form(&p, "dry_run")[0] != '\0';
	(void)tmpl_data_set(p.data, "v_csv", csv);
	(void)tmpl_data_set_bool(p.data, "v_dry_run", dry);
	if (svc_account_import_csv(p.svc, &p.id, d.name, csv, strlen(csv), dry,
				   &rep, &res) < 0) {
		if (page_svc_failed(&p, &res))
			goto out;
		import_render(&p, &d);
		goto out;
	}
	(void)tmpl_data_set_bool(p.data, "has_report", true);
	(void)tmpl_data_set_list(p.data, "lines");
	for (size_t i = 0; i < rep.n; i++) {
		const struct svc_import_line *l = &rep.lines[i];
		struct tmpl_data *row = tmpl_data_list_add(p.data, "lines");

		if (row == NULL)
			continue;
		(void)tmpl_data_setf(row, "line", "%u", l->line);
		(void)tmpl_data_set(row, "local_part", l->local_part);
		(void)tmpl_data_set(row, "username", l->username);
		(void)tmpl_data_set_bool(row, "ok", l->ok);
		(void)tmpl_data_set(row, "field", l->field);
		(void)tmpl_data_set(row, "message", l->message);
	}
	(void)tmpl_data_setf(p.data, "nlines", "%zu", rep.n);
	(void)tmpl_data_setf(p.data, "nerrors", "%zu", rep.errors);
	if (rep.created) {
		page_set_text(&p, "report_summary", "import.created", NULL);
		(void)tmpl_data_set(p.data, "v_csv", "");
	} else if (rep.errors > 0) {
		page_set_text(&p, "report_summary", "import.has_errors", NULL);
		resp->status = 422;
	} else {
		page_set_text(&p, "report_summary", "import.dry_ok", NULL);
	}
	(void)tmpl_data_set_bool(p.data, "report_ok", rep.errors == 0);
	import_render(&p, &d);
out:
	svc_import_report_free(&rep);
	svc_domain_free(&d);
	page_end(&p);
}

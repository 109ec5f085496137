/*
 * page-vacation.c - the vacation page of an account (manual section 3.3,
 * DESIGN section 5): subject (prefilled with the localised "Absent" /
 * "On vacation"), message, optional start and end dates, interval in
 * days (7 by default), the state ("active", "scheduled", "expired") and
 * a button to remove the vacation.
 *
 *   GET  /accounts/{username}/vacation          the form
 *   POST /accounts/{username}/vacation          save (CSRF-checked)
 *   POST /accounts/{username}/vacation/delete   remove
 *
 * Called by http.c in casier-mgmtd (unprivileged).  Rules and SQL are in
 * service-vacation.c; a refused field is shown next to it (422).  Form
 * values are limited by form.h (8 KB per field; the API takes longer
 * messages).
 */
#include "page-vacation.h"

#include "page-common.h"
#include "service-vacation.h"

#include <string.h>

static bool
vacation_load_account(struct page *p, const char *username,
		      struct svc_account *a)
{
	struct svc_result res;

	if (svc_account_get(p->svc, &p->id, username, a, &res) == 0)
		return true;
	if (!page_svc_failed(p, &res))
		page_error(p, 400, "err.bad_request");
	return false;
}

/* Fill the form's values; v_* are what the inputs show. */
static void
vacation_render(struct page *p, const struct svc_account *a,
		const char *subject, const char *body, const char *start,
		const char *end, const char *interval, const char *state,
		bool exists)
{
	unsigned int status = p->resp->status;
	char key[64];

	(void)tmpl_data_set(p->data, "username", a->username);
	(void)tmpl_data_set(p->data, "address", a->address);
	(void)tmpl_data_set_bool(p->data, "has_vacation", exists);
	(void)tmpl_data_set(p->data, "v_subject", subject);
	(void)tmpl_data_set(p->data, "v_body", body);
	(void)tmpl_data_set(p->data, "v_start", start);
	(void)tmpl_data_set(p->data, "v_end", end);
	(void)tmpl_data_set(p->data, "v_interval_days", interval);
	if (exists && casier_snprintf(key, sizeof(key), "vacation.state_%s",
				      state) >= 0) {
		page_set_text(p, "state_text", key, NULL);
		(void)tmpl_data_set_bool(p->data, "expired",
					 strcmp(state, "expired") == 0);
	}
	page_render(p, "vacation", "title.vacation", a->username);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_vacation_form(struct http_request *req, struct http_response *resp)
{
	struct svc_vacation v = {0};
	struct svc_account a = {0};
	struct svc_result res;
	char subject[256], interval[24];
	struct page p;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!vacation_load_account(&p, http_request_param(req, "username"), &a))
		goto out;
	if (svc_vacation_get(p.svc, &p.id, a.username, &v, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	(void)casier_snprintf(interval, sizeof(interval), "%lld",
			      v.interval_days);
	if (v.exists) {
		vacation_render(&p, &a, v.subject, v.body, v.start, v.end,
				interval, v.state, true);
	} else {
		/* a new vacation: the localised "Absent" / "On vacation" */
		page_text(&p, "vacation.default_subject", NULL, subject,
			  sizeof(subject));
		vacation_render(&p, &a, subject, "", "", "", interval, "off",
				false);
	}
out:
	svc_vacation_free(&v);
	page_end(&p);
}

void
page_vacation_save(struct http_request *req, struct http_response *resp)
{
	struct svc_vacation_input in = {0};
	struct svc_account a = {0};
	struct svc_vacation v = {0};
	struct svc_result res;
	const char *interval;
	char back[1024];
	long long days;
	struct page p;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!vacation_load_account(&p, http_request_param(req, "username"), &a))
		goto out;
	in.subject = page_form(&p, "subject");
	in.body = page_form(&p, "body");
	in.start = page_form(&p, "start");
	in.end = page_form(&p, "end");
	interval = page_form(&p, "interval_days");
	if (interval[0] != '\0') {
		if (!page_form_ll(&p, "interval_days", 1000000, &days)) {
			page_field_error(&p, "interval_days", "err.invalid",
					 "a number of days");
			goto rerender;
		}
		in.has_interval = true;
		in.interval_days = days;
	}
	if (svc_vacation_set(p.svc, &p.id, a.username, &in, &res) == 0) {
		(void)casier_snprintf(back, sizeof(back),
				      "/accounts/%s/vacation", a.username);
		page_redirect(&p, back, "vacation_saved", a.username);
		goto out;
	}
	if (page_svc_failed(&p, &res))
		goto out;
rerender:
	if (p.resp->status == 200)
		p.resp->status = 422;
	/* the state shown is the stored one */
	if (svc_vacation_get(p.svc, &p.id, a.username, &v, &res) < 0)
		v.exists = false;
	vacation_render(&p, &a, in.subject, in.body, in.start, in.end, interval,
			v.exists ? v.state : "off", v.exists);
out:
	svc_vacation_free(&v);
	page_end(&p);
}

void
page_vacation_remove(struct http_request *req, struct http_response *resp)
{
	struct svc_account a = {0};
	struct svc_result res;
	char back[1024];
	struct page p;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!vacation_load_account(&p, http_request_param(req, "username"), &a))
		goto out;
	if (svc_vacation_delete(p.svc, &p.id, a.username, &res) < 0 &&
	    res.status != SVC_NOT_FOUND) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	(void)casier_snprintf(back, sizeof(back), "/accounts/%s/vacation",
			      a.username);
	page_redirect(&p, back, "vacation_removed", a.username);
out:
	page_end(&p);
}

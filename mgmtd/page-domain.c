/*
 * page-domain.c - the welcome page (the admin's domains) and the
 * superuser's domain pages: create, edit, delete with confirmation,
 * alias domains (manual sections 1 and 4).
 *
 * Called by casier-mgmtd's HTTP core (unprivileged).  Every rule and
 * permission check is the service layer's: a domain admin asking for
 * another domain gets its 404, a superuser-only page its 403.
 */
#include "page-common.h"

#include <stdlib.h>
#include <string.h>

#define KB 1024LL

static void
domain_row(struct page *p, struct tmpl_data *row, const struct svc_domain *d)
{
	(void)tmpl_data_set(row, "name", d->name);
	page_set_url(p, row, "name_url", d->name);
	(void)tmpl_data_set(row, "prefix", d->prefix);
	(void)tmpl_data_setf(row, "max_accounts", "%lld", d->max_accounts);
	(void)tmpl_data_setf(row, "accounts_used", "%lld", d->accounts_used);
	(void)tmpl_data_setf(row, "quota_kb", "%lld",
			     d->default_quota_bytes / KB);
	(void)tmpl_data_set_bool(row, "active", d->active);
}

void
page_home(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_page pg;
	struct svc_domain_list list = {0};
	struct svc_result res;
	const char *q = http_request_query(req, "q");

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (svc_page_parse(NULL, http_request_query(req, "cursor"), q, 50, &pg,
			   &res) < 0 ||
	    svc_domain_list(p.svc, &p.id, &pg, &list, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	(void)tmpl_data_set_list(p.data, "domains");
	(void)tmpl_data_set_bool(p.data, "has_domains", list.n > 0);
	for (size_t i = 0; i < list.n; i++) {
		struct tmpl_data *row = tmpl_data_list_add(p.data, "domains");

		if (row != NULL)
			domain_row(&p, row, &list.items[i]);
	}
	page_set_pager(&p, "/", pg.q, &list.cursors);
	page_render(&p, "home", "title.home", NULL);
out:
	svc_domain_list_free(&list);
	page_end(&p);
}

/* Values of the domain form: from the posted form. */
static void
domain_form_values_from_post(struct page *p)
{
	static const char *const fields[] = {"name", "prefix", "max_accounts",
					     "quota_kb", "contact"};

	for (size_t i = 0; i < CASIER_ARRAY_LEN(fields); i++) {
		char name[32];

		(void)casier_snprintf(name, sizeof(name), "v_%s", fields[i]);
		(void)tmpl_data_set(p->data, name, page_form(p, fields[i]));
	}
	(void)tmpl_data_set_bool(p->data, "v_active",
				 page_form(p, "active")[0] != '\0');
}

static void
domain_form_values_from(struct page *p, const struct svc_domain *d)
{
	(void)tmpl_data_set(p->data, "v_name", d->name);
	(void)tmpl_data_set(p->data, "v_prefix", d->prefix);
	(void)tmpl_data_setf(p->data, "v_max_accounts", "%lld",
			     d->max_accounts);
	(void)tmpl_data_setf(p->data, "v_quota_kb", "%lld",
			     d->default_quota_bytes / KB);
	(void)tmpl_data_set(p->data, "v_contact", d->contact);
	(void)tmpl_data_set_bool(p->data, "v_active", d->active);
}

/* Alias domains of d for the edit page. */
static void
domain_alias_list(struct page *p, const struct svc_domain *d)
{
	(void)tmpl_data_set_list(p->data, "alias_domains");
	(void)tmpl_data_set_bool(p->data, "has_alias_domains",
				 d->nalias_domains > 0);
	for (size_t i = 0; i < d->nalias_domains; i++) {
		struct tmpl_data *row =
		    tmpl_data_list_add(p->data, "alias_domains");

		if (row == NULL)
			continue;
		(void)tmpl_data_set(row, "alias", d->alias_domains[i]);
		page_set_url(p, row, "alias_url", d->alias_domains[i]);
	}
}

/* Parse the numeric fields of the domain form into in. */
static void
domain_form_input(struct page *p, struct svc_domain_input *in, bool creating)
{
	long long n;

	memset(in, 0, sizeof(*in));
	if (creating)
		in->name = page_form(p, "name");
	in->prefix = page_form(p, "prefix");
	if (page_form_ll(p, "max_accounts", 10000000, &n)) {
		in->has_max_accounts = true;
		in->max_accounts = n;
	} else {
		page_field_error(p, "max_accounts", "err.number", NULL);
	}
	if (page_form_ll(p, "quota_kb", SVC_QUOTA_MAX / KB, &n)) {
		in->has_default_quota = true;
		in->default_quota_bytes = n * KB;
	} else {
		page_field_error(p, "quota", "err.number", NULL);
	}
	in->has_contact = true;
	in->contact = page_form(p, "contact");
	if (!creating) {
		in->has_active = true;
		in->active = page_form(p, "active")[0] != '\0';
	}
}

void
page_domain_new_form(struct http_request *req, struct http_response *resp)
{
	struct page p;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	(void)tmpl_data_set_bool(p.data, "creating", true);
	(void)tmpl_data_set(p.data, "action", "/domains/new");
	(void)tmpl_data_set(p.data, "v_max_accounts", "10");
	(void)tmpl_data_set(p.data, "v_quota_kb", "25000");
	page_render(&p, "domain-form", "title.domain_new", NULL);
out:
	page_end(&p);
}

void
page_domain_new(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain_input in;
	struct svc_domain d = {0};
	struct svc_result res;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	domain_form_input(&p, &in, true);
	if (!p.errors) {
		if (svc_domain_create(p.svc, &p.id, &in, &d, &res) == 0) {
			page_redirect(&p, "/", "domain_created", d.name);
			goto out;
		}
		if (page_svc_failed(&p, &res))
			goto out;
	}
	(void)tmpl_data_set_bool(p.data, "creating", true);
	(void)tmpl_data_set(p.data, "action", "/domains/new");
	domain_form_values_from_post(&p);
	page_render(&p, "domain-form", "title.domain_new", NULL);
	if (resp->status == 200)
		resp->status = 422;
out:
	svc_domain_free(&d);
	page_end(&p);
}

/* Render the edit page of d; values from the post when from_post. */
static void
domain_edit_render(struct page *p, const struct svc_domain *d, bool from_post)
{
	char action[1024];
	unsigned int status = p->resp->status;

	(void)tmpl_data_set_bool(p->data, "creating", false);
	page_set_url(p, p->data, "domain_url", d->name);
	(void)casier_snprintf(action, sizeof(action), "/domains/%s/edit",
			      d->name);
	(void)tmpl_data_set(p->data, "action", action);
	domain_form_values_from(p, d);
	if (from_post)
		domain_form_values_from_post(p);
	(void)tmpl_data_set(p->data, "v_name", d->name);
	domain_alias_list(p, d);
	page_render(p, "domain-form", "title.domain_edit", d->name);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_domain_edit_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};
	struct svc_result res;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (svc_domain_get(p.svc, &p.id, http_request_param(req, "domain"), &d,
			   &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	domain_edit_render(&p, &d, false);
out:
	svc_domain_free(&d);
	page_end(&p);
}

void
page_domain_edit(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0}, nd = {0};
	struct svc_domain_input in;
	struct svc_result res;
	const char *name = http_request_param(req, "domain");

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (svc_domain_get(p.svc, &p.id, name, &d, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	domain_form_input(&p, &in, false);
	if (!p.errors) {
		if (svc_domain_update(p.svc, &p.id, d.name, &in, &nd, &res) ==
		    0) {
			page_redirect(&p, "/", "domain_updated", nd.name);
			goto out;
		}
		if (page_svc_failed(&p, &res))
			goto out;
	}
	if (resp->status == 200)
		resp->status = 422;
	domain_edit_render(&p, &d, true);
out:
	svc_domain_free(&d);
	svc_domain_free(&nd);
	page_end(&p);
}

void
page_domain_delete_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};
	struct svc_result res;
	char action[1024];

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (svc_domain_get(p.svc, &p.id, http_request_param(req, "domain"), &d,
			   &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	(void)casier_snprintf(action, sizeof(action), "/domains/%s/delete",
			      d.name);
	(void)tmpl_data_set(p.data, "action", action);
	(void)tmpl_data_set(p.data, "cancel_url", "/");
	page_set_text(&p, "question", "confirm.domain_delete", d.name);
	page_set_text(&p, "detail", "confirm.domain_delete_detail", NULL);
	page_set_text(&p, "confirm_label", "confirm.yes_delete", NULL);
	page_render(&p, "confirm", "title.domain_delete", d.name);
out:
	svc_domain_free(&d);
	page_end(&p);
}

void
page_domain_delete(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	const char *name = http_request_param(req, "domain");
	char copy[SVC_NAME_MAX + 1];

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (strcmp(page_form(&p, "confirm"), "yes") != 0) {
		page_error(&p, 400, "err.bad_request");
		goto out;
	}
	(void)casier_snprintf(copy, sizeof(copy), "%s", name);
	if (svc_domain_delete(p.svc, &p.id, name, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 409, "err.conflict");
		goto out;
	}
	page_redirect(&p, "/", "domain_deleted", copy);
out:
	page_end(&p);
}

void
page_alias_domain_add(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};
	struct svc_result res;
	const char *alias;
	char back[1024];

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (svc_domain_get(p.svc, &p.id, http_request_param(req, "domain"), &d,
			   &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	alias = page_form(&p, "alias_domain");
	if (svc_alias_domain_add(p.svc, &p.id, d.name, alias, &res) == 0) {
		(void)casier_snprintf(back, sizeof(back), "/domains/%s/edit",
				      d.name);
		page_redirect(&p, back, "aliasdomain_added", alias);
		goto out;
	}
	if (page_svc_failed(&p, &res))
		goto out;
	if (strcmp(res.field, "alias_domain") != 0 &&
	    strcmp(res.field, "alias_name") != 0 &&
	    strcmp(res.field, "name") != 0)
		page_field_error(&p, "alias_domain",
				 res.status == SVC_CONFLICT ? "err.conflict"
							    : "err.invalid",
				 res.message);
	else if (strcmp(res.field, "name") == 0)
		page_field_error(&p, "alias_domain",
				 res.status == SVC_CONFLICT
				     ? "err.conflict.alias_domain"
				     : "err.field.alias_domain",
				 NULL);
	(void)tmpl_data_set(p.data, "v_alias_domain", alias);
	domain_edit_render(&p, &d, false);
out:
	svc_domain_free(&d);
	page_end(&p);
}

void
page_alias_domain_remove(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	const char *domain = http_request_param(req, "domain");
	const char *alias = http_request_param(req, "alias");
	char back[1024];

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (svc_alias_domain_remove(p.svc, &p.id, domain, alias, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	{
		char enc[3 * SVC_NAME_MAX + 1];

		if (page_url_encode(domain, enc, sizeof(enc)) < 0)
			enc[0] = '\0';
		(void)casier_snprintf(back, sizeof(back), "/domains/%s/edit",
				      enc);
	}
	page_redirect(&p, back, "aliasdomain_removed", alias);
out:
	page_end(&p);
}

/*
 * page-admin.c - the superuser's administrator pages (admins and the
 * domains they manage), every admin's own API tokens, and the audit log
 * (superuser: everything; a domain admin: its domains -- the service
 * layer filters).
 *
 * Called by casier-mgmtd's HTTP core (unprivileged).  A new token is
 * shown once in the response to its creation and never stored in clear.
 */
#include "page-common.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_DOMAIN_CHOICES 500
#define AUDIT_ROWS	     20

static bool
load_admin(struct page *p, const char *login, struct svc_admin *a)
{
	struct svc_result res;

	if (svc_admin_get(p->svc, &p->id, login, a, &res) == 0)
		return true;
	if (!page_svc_failed(p, &res))
		page_error(p, 400, "err.bad_request");
	return false;
}

void
page_admins(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_page pg;
	struct svc_admin_list list = {0};
	struct svc_result res;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (svc_page_parse(NULL, http_request_query(req, "cursor"),
			   http_request_query(req, "q"), 50, &pg, &res) < 0 ||
	    svc_admin_list(p.svc, &p.id, &pg, &list, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	(void)tmpl_data_set_list(p.data, "admins");
	(void)tmpl_data_set_bool(p.data, "has_admins", list.n > 0);
	for (size_t i = 0; i < list.n; i++) {
		const struct svc_admin *a = &list.items[i];
		struct tmpl_data *row = tmpl_data_list_add(p.data, "admins");

		if (row == NULL)
			continue;
		(void)tmpl_data_set(row, "login", a->login);
		page_set_url(&p, row, "login_url", a->login);
		(void)tmpl_data_set_bool(row, "superuser", a->superuser);
		(void)tmpl_data_set_bool(row, "active", a->active);
		(void)tmpl_data_set_list(row, "domains");
		for (size_t k = 0; k < a->ndomains; k++) {
			struct tmpl_data *d =
			    tmpl_data_list_add(row, "domains");

			if (d != NULL)
				(void)tmpl_data_set(d, "domain", a->domains[k]);
		}
	}
	page_set_pager(&p, "/admins", pg.q, &list.cursors);
	page_render(&p, "admins", "title.admins", NULL);
out:
	svc_admin_list_free(&list);
	page_end(&p);
}

/* Checkboxes of every domain; checked when in the chosen list. */
static bool
domain_choices(struct page *p, const char *const *chosen, size_t nchosen)
{
	struct svc_page pg = {.limit = ADMIN_DOMAIN_CHOICES};
	struct svc_domain_list list = {0};
	struct svc_result res;

	if (svc_domain_list(p->svc, &p->id, &pg, &list, &res) < 0) {
		if (!page_svc_failed(p, &res))
			page_error(p, 400, "err.bad_request");
		return false;
	}
	(void)tmpl_data_set_list(p->data, "domain_choices");
	for (size_t i = 0; i < list.n; i++) {
		struct tmpl_data *row =
		    tmpl_data_list_add(p->data, "domain_choices");
		bool checked = false;

		if (row == NULL)
			continue;
		for (size_t k = 0; k < nchosen; k++)
			if (strcmp(chosen[k], list.items[i].name) == 0)
				checked = true;
		(void)tmpl_data_set(row, "name", list.items[i].name);
		(void)tmpl_data_setf(row, "index", "%zu", i);
		(void)tmpl_data_set_bool(row, "checked", checked);
	}
	svc_domain_list_free(&list);
	return true;
}

/* The posted "domain" checkboxes (pointers into the form). */
static size_t
posted_domains(const struct page *p, const char **out, size_t max)
{
	size_t n = form_count(&p->form, "domain");

	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = form_get_nth(&p->form, "domain", i);
	return n;
}

static void
admin_form_render(struct page *p, bool creating, const char *login,
		  const char *const *domains, size_t ndomains, bool superuser,
		  bool active)
{
	char action[512];
	unsigned int status = p->resp->status;

	(void)tmpl_data_set_bool(p->data, "creating", creating);
	(void)tmpl_data_set(p->data, "v_login", login);
	(void)tmpl_data_set_bool(p->data, "v_superuser", superuser);
	(void)tmpl_data_set_bool(p->data, "v_active", active);
	if (creating) {
		(void)tmpl_data_set(p->data, "action", "/admins/new");
	} else {
		char enc[3 * 64 + 1];

		if (page_url_encode(login, enc, sizeof(enc)) < 0)
			enc[0] = '\0';
		(void)casier_snprintf(action, sizeof(action), "/admins/%s",
				      enc);
		(void)tmpl_data_set(p->data, "action", action);
	}
	if (!domain_choices(p, domains, ndomains))
		return;
	if (creating)
		page_render(p, "admin-form", "title.admin_new", NULL);
	else
		page_render(p, "admin-form", "title.admin_edit", login);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_admin_new_form(struct http_request *req, struct http_response *resp)
{
	struct page p;

	if (page_begin(&p, req, resp, PAGE_SUPERUSER))
		admin_form_render(&p, true, "", NULL, 0, false, true);
	page_end(&p);
}

static bool
admin_passwords_agree(struct page *p)
{
	if (strcmp(page_form(p, "password"), page_form(p, "password2")) == 0)
		return true;
	page_field_error(p, "password2", "err.password_mismatch", NULL);
	p->resp->status = 422;
	return false;
}

void
page_admin_new(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_admin_input in = {0};
	struct svc_admin a = {0};
	struct svc_result res;
	const char *domains[ADMIN_DOMAIN_CHOICES];
	size_t nd;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	nd = posted_domains(&p, domains, CASIER_ARRAY_LEN(domains));
	in.login = page_form(&p, "login");
	in.password = page_form(&p, "password");
	in.has_superuser = true;
	in.superuser = page_form(&p, "superuser")[0] != '\0';
	in.has_domains = true;
	in.domains = domains;
	in.ndomains = nd;
	in.language = p.lang;
	if (admin_passwords_agree(&p)) {
		if (svc_admin_create(p.svc, &p.id, &in, &a, &res) == 0) {
			page_redirect(&p, "/admins", "admin_created", a.login);
			goto out;
		}
		if (page_svc_failed(&p, &res))
			goto out;
	}
	admin_form_render(&p, true, in.login, domains, nd, in.superuser, true);
out:
	svc_admin_free(&a);
	page_end(&p);
}

void
page_admin_edit_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_admin a = {0};

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (load_admin(&p, http_request_param(req, "login"), &a))
		admin_form_render(&p, false, a.login,
				  (const char *const *)a.domains, a.ndomains,
				  a.superuser, a.active);
out:
	svc_admin_free(&a);
	page_end(&p);
}

void
page_admin_edit(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_admin_input in = {0};
	struct svc_admin a = {0}, na = {0};
	struct svc_result res;
	const char *domains[ADMIN_DOMAIN_CHOICES];
	size_t nd;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (!load_admin(&p, http_request_param(req, "login"), &a))
		goto out;
	nd = posted_domains(&p, domains, CASIER_ARRAY_LEN(domains));
	if (page_form(&p, "password")[0] != '\0')
		in.password = page_form(&p, "password");
	in.has_superuser = true;
	in.superuser = page_form(&p, "superuser")[0] != '\0';
	in.has_active = true;
	in.active = page_form(&p, "active")[0] != '\0';
	in.has_domains = true;
	in.domains = domains;
	in.ndomains = nd;
	if (admin_passwords_agree(&p)) {
		if (svc_admin_update(p.svc, &p.id, a.login, &in, &na, &res) ==
		    0) {
			page_redirect(&p, "/admins", "admin_updated", a.login);
			goto out;
		}
		if (page_svc_failed(&p, &res))
			goto out;
	}
	admin_form_render(&p, false, a.login, domains, nd, in.superuser,
			  in.active);
out:
	svc_admin_free(&a);
	svc_admin_free(&na);
	page_end(&p);
}

void
page_admin_delete_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_admin a = {0};
	char buf[512], enc[3 * 64 + 1];

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (!load_admin(&p, http_request_param(req, "login"), &a))
		goto out;
	if (page_url_encode(a.login, enc, sizeof(enc)) < 0)
		enc[0] = '\0';
	(void)casier_snprintf(buf, sizeof(buf), "/admins/%s/delete", enc);
	(void)tmpl_data_set(p.data, "action", buf);
	(void)tmpl_data_set(p.data, "cancel_url", "/admins");
	page_set_text(&p, "question", "confirm.admin_delete", a.login);
	page_set_text(&p, "confirm_label", "confirm.yes_delete", NULL);
	page_render(&p, "confirm", "title.admin_delete", a.login);
out:
	svc_admin_free(&a);
	page_end(&p);
}

void
page_admin_delete(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_admin a = {0};
	struct svc_result res;

	if (!page_begin(&p, req, resp, PAGE_SUPERUSER))
		goto out;
	if (!load_admin(&p, http_request_param(req, "login"), &a))
		goto out;
	if (strcmp(page_form(&p, "confirm"), "yes") != 0) {
		page_error(&p, 400, "err.bad_request");
		goto out;
	}
	if (svc_admin_delete(p.svc, &p.id, a.login, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 409, "err.conflict");
		goto out;
	}
	page_redirect(&p, "/admins", "admin_deleted", a.login);
out:
	svc_admin_free(&a);
	page_end(&p);
}

/* ---- tokens (every admin, its own) ---- */

static void
tokens_render(struct page *p)
{
	struct svc_token *tokens = NULL;
	size_t n = 0;
	struct svc_result res;
	unsigned int status = p->resp->status;

	if (svc_token_list(p->svc, &p->id, NULL, &tokens, &n, &res) < 0) {
		if (!page_svc_failed(p, &res))
			page_error(p, 400, "err.bad_request");
		return;
	}
	(void)tmpl_data_set_list(p->data, "tokens");
	(void)tmpl_data_set_bool(p->data, "has_tokens", n > 0);
	for (size_t i = 0; i < n; i++) {
		struct tmpl_data *row = tmpl_data_list_add(p->data, "tokens");

		if (row == NULL)
			continue;
		(void)tmpl_data_setf(row, "id", "%lld", tokens[i].id);
		(void)tmpl_data_set(row, "name", tokens[i].name);
		(void)tmpl_data_set(row, "created_at", tokens[i].created_at);
		(void)tmpl_data_set(row, "last_used_at",
				    tokens[i].last_used_at);
	}
	free(tokens);
	page_render(p, "tokens", "title.tokens", NULL);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_tokens(struct http_request *req, struct http_response *resp)
{
	struct page p;

	if (page_begin(&p, req, resp, PAGE_AUTH))
		tokens_render(&p);
	page_end(&p);
}

void
page_token_create(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	char token[SVC_TOKEN_MAX + 1];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (svc_token_create(p.svc, &p.id, NULL, page_form(&p, "name"), token,
			     &res) == 0) {
		/* shown once, in this response only (Cache-Control:
		 * no-store is set by page_render) */
		(void)tmpl_data_set(p.data, "new_token", token);
		sodium_memzero(token, sizeof(token));
	} else {
		if (page_svc_failed(&p, &res))
			goto out;
		(void)tmpl_data_set(p.data, "v_name", page_form(&p, "name"));
	}
	tokens_render(&p);
out:
	page_end(&p);
}

void
page_token_revoke(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_result res;
	const char *idtext = http_request_param(req, "id");
	char *end = NULL;
	long long id;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	id = idtext == NULL ? 0 : strtoll(idtext, &end, 10);
	if (end == NULL || *end != '\0' || id <= 0) {
		page_error(&p, 404, "err.not_found");
		goto out;
	}
	if (svc_token_revoke(p.svc, &p.id, id, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	page_redirect(&p, "/tokens", "token_revoked", NULL);
out:
	page_end(&p);
}

/* ---- audit log ---- */

void
page_audit(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_page pg;
	struct svc_audit_list list = {0};
	struct svc_result res;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (svc_page_parse(NULL, http_request_query(req, "cursor"),
			   http_request_query(req, "q"), AUDIT_ROWS, &pg,
			   &res) < 0 ||
	    svc_audit_list(p.svc, &p.id, NULL, &pg, &list, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	(void)tmpl_data_set(p.data, "q", pg.q == NULL ? "" : pg.q);
	(void)tmpl_data_set_list(p.data, "entries");
	(void)tmpl_data_set_bool(p.data, "has_entries", list.n > 0);
	for (size_t i = 0; i < list.n; i++) {
		const struct svc_audit_entry *e = &list.items[i];
		struct tmpl_data *row = tmpl_data_list_add(p.data, "entries");

		if (row == NULL)
			continue;
		(void)tmpl_data_set(row, "at", e->at);
		(void)tmpl_data_set(row, "actor", e->actor);
		(void)tmpl_data_set(row, "domain", e->domain);
		(void)tmpl_data_set(row, "action", e->action);
		(void)tmpl_data_set(row, "object", e->object);
		(void)tmpl_data_set(row, "before",
				    e->before == NULL ? "" : e->before);
		(void)tmpl_data_set(row, "after",
				    e->after == NULL ? "" : e->after);
	}
	page_set_pager(&p, "/audit", pg.q, &list.cursors);
	page_render(&p, "audit", "title.audit", NULL);
out:
	svc_audit_list_free(&list);
	page_end(&p);
}

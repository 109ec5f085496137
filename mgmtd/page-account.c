/*
 * page-account.c - account pages (manual sections 1 and 3): the list of
 * a domain's accounts (10 a page, search, live usage), create, edit,
 * delete with confirmation, the redirect of an account and the
 * domain's catch-all.
 *
 * Called by casier-mgmtd's HTTP core (unprivileged; deleting an account
 * files a mail job through the service layer, this process never touches
 * the mail store).  Permissions and validation are the service layer's.
 */
#include "page-common.h"

#include <stdlib.h>
#include <string.h>

#define KB		    1024LL
#define REDIRECT_EMPTY_ROWS 3
#define CATCHALL_CHOICES    500

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

static bool
load_account(struct page *p, const char *username, struct svc_account *a)
{
	struct svc_result res;

	if (svc_account_get(p->svc, &p->id, username, a, &res) == 0)
		return true;
	if (!page_svc_failed(p, &res))
		page_error(p, 400, "err.bad_request");
	return false;
}

static void
domain_facts(struct page *p, const struct svc_domain *d)
{
	(void)tmpl_data_set(p->data, "domain", d->name);
	page_set_url(p, p->data, "domain_url", d->name);
	(void)tmpl_data_setf(p->data, "accounts_used", "%lld",
			     d->accounts_used);
	(void)tmpl_data_setf(p->data, "max_accounts", "%lld", d->max_accounts);
	(void)tmpl_data_setf(p->data, "quota_kb", "%lld",
			     d->default_quota_bytes / KB);
}

/* Usage columns shared by the list and the edit page. */
static void
usage_values(struct tmpl_data *d, const struct svc_account *a)
{
	long long x10 = svc_usage_percent_x10(a->usage_bytes, a->quota_bytes);
	long long bucket = x10 < 0 ? 0 : (x10 + 50) / 100;

	(void)tmpl_data_setf(d, "quota_kb", "%lld", a->quota_bytes / KB);
	(void)tmpl_data_setf(d, "usage_kb", "%lld",
			     svc_usage_kb(a->usage_bytes));
	(void)tmpl_data_setf(d, "usage_percent", "%lld.%lld",
			     x10 < 0 ? 0 : x10 / 10, x10 < 0 ? 0 : x10 % 10);
	(void)tmpl_data_setf(d, "bar_class", "w%lld",
			     bucket > 10 ? 10 : bucket);
	(void)tmpl_data_setf(d, "usage_messages", "%lld", a->usage_messages);
	(void)tmpl_data_set(d, "username", a->username);
	(void)tmpl_data_set(d, "address", a->address);
	(void)tmpl_data_set_bool(d, "active", a->active);
	(void)tmpl_data_set_bool(d, "has_redirect", a->has_redirect);
	(void)tmpl_data_set_bool(d, "has_vacation", a->has_vacation);
	(void)tmpl_data_set_bool(d, "is_catchall", a->is_catchall);
}

void
page_accounts(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};
	struct svc_page pg;
	struct svc_account_list list = {0};
	struct svc_result res;
	char base[1024];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_domain(&p, http_request_param(req, "domain"), &d))
		goto out;
	if (svc_page_parse(NULL, http_request_query(req, "cursor"),
			   http_request_query(req, "q"), PAGE_ROWS, &pg,
			   &res) < 0 ||
	    svc_account_list(p.svc, &p.id, d.name, &pg, &list, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	domain_facts(&p, &d);
	(void)tmpl_data_set(p.data, "q", pg.q == NULL ? "" : pg.q);
	(void)tmpl_data_set_list(p.data, "accounts");
	(void)tmpl_data_set_bool(p.data, "has_accounts", list.n > 0);
	for (size_t i = 0; i < list.n; i++) {
		struct tmpl_data *row = tmpl_data_list_add(p.data, "accounts");

		if (row != NULL)
			usage_values(row, &list.items[i]);
	}
	(void)casier_snprintf(base, sizeof(base), "/domains/%s/accounts",
			      d.name);
	page_set_pager(&p, base, pg.q, &list.cursors);
	page_render(&p, "accounts", "title.accounts", d.name);
out:
	svc_account_list_free(&list);
	svc_domain_free(&d);
	page_end(&p);
}

static void
account_new_render(struct page *p, const struct svc_domain *d)
{
	char next[SVC_USERNAME_MAX + 8] = "";
	struct svc_result res;
	unsigned int status = p->resp->status;

	domain_facts(p, d);
	if (svc_account_next_username(p->svc, &p->id, d->name, next,
				      sizeof(next), &res) < 0) {
		if (page_svc_failed(p, &res))
			return;
	}
	(void)tmpl_data_set(p->data, "next_username", next);
	page_render(p, "account-new", "title.account_new", d->name);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_account_new_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_domain(&p, http_request_param(req, "domain"), &d))
		goto out;
	/* the manual: quota prefilled with the domain's default */
	(void)tmpl_data_setf(p.data, "v_quota_kb", "%lld",
			     d.default_quota_bytes / KB);
	account_new_render(&p, &d);
out:
	svc_domain_free(&d);
	page_end(&p);
}

/* Both password fields must agree (a form matter, not a rule). */
static bool
passwords_agree(struct page *p)
{
	if (strcmp(page_form(p, "password"), page_form(p, "password2")) == 0)
		return true;
	page_field_error(p, "password2", "err.password_mismatch", NULL);
	return false;
}

void
page_account_new(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};
	struct svc_account a = {0};
	struct svc_account_input in = {0};
	struct svc_result res;
	long long kb;
	char back[1024];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_domain(&p, http_request_param(req, "domain"), &d))
		goto out;
	in.local_part = page_form(&p, "local_part");
	in.password = page_form(&p, "password");
	if (page_form_ll(&p, "quota_kb", SVC_QUOTA_MAX / KB, &kb)) {
		in.has_quota = true;
		in.quota_bytes = kb * KB;
	} else {
		page_field_error(&p, "quota", "err.number", NULL);
	}
	if (passwords_agree(&p) && !p.errors) {
		if (svc_account_create(p.svc, &p.id, d.name, &in, &a, &res) ==
		    0) {
			(void)casier_snprintf(back, sizeof(back),
					      "/domains/%s/accounts", d.name);
			page_redirect(&p, back, "account_created", a.username);
			goto out;
		}
		if (page_svc_failed(&p, &res))
			goto out;
	}
	(void)tmpl_data_set(p.data, "v_local_part", in.local_part);
	(void)tmpl_data_set(p.data, "v_quota_kb", page_form(&p, "quota_kb"));
	if (resp->status == 200)
		resp->status = 422;
	account_new_render(&p, &d);
out:
	svc_domain_free(&d);
	page_end(&p);
}

static void
account_edit_render(struct page *p, const struct svc_account *a, bool from_post)
{
	unsigned int status = p->resp->status;

	usage_values(p->data, a);
	page_set_url(p, p->data, "domain_url", a->domain);
	if (from_post) {
		(void)tmpl_data_set(p->data, "v_quota_kb",
				    page_form(p, "quota_kb"));
		(void)tmpl_data_set_bool(p->data, "v_active",
					 page_form(p, "active")[0] != '\0');
	} else {
		(void)tmpl_data_setf(p->data, "v_quota_kb", "%lld",
				     a->quota_bytes / KB);
		(void)tmpl_data_set_bool(p->data, "v_active", a->active);
	}
	page_render(p, "account-edit", "title.account_edit", a->username);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_account_edit_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_account a = {0};

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (load_account(&p, http_request_param(req, "username"), &a))
		account_edit_render(&p, &a, false);
out:
	page_end(&p);
}

void
page_account_edit(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_account a = {0}, na = {0};
	struct svc_account_input in = {0};
	struct svc_result res;
	long long kb;
	char back[1024];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_account(&p, http_request_param(req, "username"), &a))
		goto out;
	if (page_form(&p, "password")[0] != '\0')
		in.password = page_form(&p, "password");
	if (page_form_ll(&p, "quota_kb", SVC_QUOTA_MAX / KB, &kb)) {
		in.has_quota = true;
		in.quota_bytes = kb * KB;
	} else {
		page_field_error(&p, "quota", "err.number", NULL);
	}
	in.has_active = true;
	in.active = page_form(&p, "active")[0] != '\0';
	if (passwords_agree(&p) && !p.errors) {
		if (svc_account_update(p.svc, &p.id, a.username, &in, &na,
				       &res) == 0) {
			(void)casier_snprintf(back, sizeof(back),
					      "/domains/%s/accounts", a.domain);
			page_redirect(&p, back, "account_updated", a.username);
			goto out;
		}
		if (page_svc_failed(&p, &res))
			goto out;
	}
	if (resp->status == 200)
		resp->status = 422;
	account_edit_render(&p, &a, true);
out:
	page_end(&p);
}

void
page_account_delete_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_account a = {0};
	char buf[1024];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_account(&p, http_request_param(req, "username"), &a))
		goto out;
	(void)casier_snprintf(buf, sizeof(buf), "/accounts/%s/delete",
			      a.username);
	(void)tmpl_data_set(p.data, "action", buf);
	(void)casier_snprintf(buf, sizeof(buf), "/accounts/%s", a.username);
	(void)tmpl_data_set(p.data, "cancel_url", buf);
	(void)casier_snprintf(buf, sizeof(buf), "%s (%s)", a.username,
			      a.address);
	page_set_text(&p, "question", "confirm.account_delete", buf);
	page_set_text(&p, "detail", "confirm.account_delete_detail", NULL);
	page_set_text(&p, "confirm_label", "confirm.yes_delete", NULL);
	page_render(&p, "confirm", "title.account_delete", a.username);
out:
	page_end(&p);
}

void
page_account_delete(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_account a = {0};
	struct svc_result res;
	char back[1024];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_account(&p, http_request_param(req, "username"), &a))
		goto out;
	if (strcmp(page_form(&p, "confirm"), "yes") != 0) {
		page_error(&p, 400, "err.bad_request");
		goto out;
	}
	if (svc_account_delete(p.svc, &p.id, a.username, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 409, "err.conflict");
		goto out;
	}
	(void)casier_snprintf(back, sizeof(back), "/domains/%s/accounts",
			      a.domain);
	page_redirect(&p, back, "account_deleted", a.username);
out:
	page_end(&p);
}

/* ---- redirect ---- */

static void
redirect_render(struct page *p, const struct svc_account *a,
		const char *const *targets, size_t n, bool keep_copy,
		bool has_redirect)
{
	unsigned int status = p->resp->status;
	size_t rows = n + REDIRECT_EMPTY_ROWS;

	(void)tmpl_data_set(p->data, "username", a->username);
	(void)tmpl_data_set(p->data, "address", a->address);
	(void)tmpl_data_set_bool(p->data, "has_redirect", has_redirect);
	(void)tmpl_data_set_bool(p->data, "keep_copy", keep_copy);
	(void)tmpl_data_set_list(p->data, "targets");
	for (size_t i = 0; i < rows; i++) {
		struct tmpl_data *row = tmpl_data_list_add(p->data, "targets");

		if (row == NULL)
			continue;
		(void)tmpl_data_setf(row, "index", "%zu", i);
		(void)tmpl_data_setf(row, "number", "%zu", i + 1);
		(void)tmpl_data_set(row, "value", i < n ? targets[i] : "");
	}
	page_render(p, "redirect", "title.redirect", a->username);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_redirect_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_account a = {0};
	struct svc_redirect r = {0};
	struct svc_result res;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_account(&p, http_request_param(req, "username"), &a))
		goto out;
	if (svc_redirect_get(p.svc, &p.id, a.username, &r, &res) < 0 &&
	    res.status != SVC_NOT_FOUND) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	redirect_render(&p, &a, (const char *const *)r.targets.items,
			r.targets.n, r.keep_copy, r.targets.n > 0);
out:
	svc_redirect_free(&r);
	page_end(&p);
}

void
page_redirect_save(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_account a = {0};
	struct svc_result res;
	const char *targets[SVC_TARGETS_MAX + 1];
	size_t n = 0, total;
	bool keep;
	char back[1024];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_account(&p, http_request_param(req, "username"), &a))
		goto out;
	total = form_count(&p.form, "target");
	for (size_t i = 0; i < total; i++) {
		const char *t = form_get_nth(&p.form, "target", i);

		if (t[0] == '\0')
			continue; /* the empty rows of the form */
		if (n == CASIER_ARRAY_LEN(targets)) {
			page_error(&p, 413, "err.too_large");
			goto out;
		}
		targets[n++] = t;
	}
	keep = page_form(&p, "keep_copy")[0] != '\0';
	if (svc_redirect_set(p.svc, &p.id, a.username, targets, n, keep,
			     &res) == 0) {
		(void)casier_snprintf(back, sizeof(back),
				      "/accounts/%s/redirect", a.username);
		page_redirect(&p, back, "redirect_saved", a.username);
		goto out;
	}
	if (page_svc_failed(&p, &res))
		goto out;
	if (strcmp(res.field, "targets") != 0 &&
	    strcmp(res.field, "target") != 0) {
		/* keep_copy or another field: show it with the targets */
		page_field_error(&p, "targets", "err.invalid", res.message);
	}
	redirect_render(&p, &a, targets, n, keep, a.has_redirect);
out:
	page_end(&p);
}

void
page_redirect_remove(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_account a = {0};
	struct svc_result res;
	char back[1024];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_account(&p, http_request_param(req, "username"), &a))
		goto out;
	if (svc_redirect_delete(p.svc, &p.id, a.username, &res) < 0 &&
	    res.status != SVC_NOT_FOUND) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	(void)casier_snprintf(back, sizeof(back), "/accounts/%s/redirect",
			      a.username);
	page_redirect(&p, back, "redirect_removed", a.username);
out:
	page_end(&p);
}

/* ---- catch-all ---- */

static void
catchall_render(struct page *p, const struct svc_domain *d,
		const char *selected)
{
	struct svc_page pg = {.limit = CATCHALL_CHOICES};
	struct svc_account_list list = {0};
	struct svc_result res;
	unsigned int status = p->resp->status;

	if (svc_account_list(p->svc, &p->id, d->name, &pg, &list, &res) < 0) {
		if (!page_svc_failed(p, &res))
			page_error(p, 400, "err.bad_request");
		return;
	}
	domain_facts(p, d);
	(void)tmpl_data_set_list(p->data, "choices");
	for (size_t i = 0; i < list.n; i++) {
		struct tmpl_data *row = tmpl_data_list_add(p->data, "choices");

		if (row == NULL)
			continue;
		(void)tmpl_data_set(row, "username", list.items[i].username);
		(void)tmpl_data_set(row, "address", list.items[i].address);
		(void)tmpl_data_set_bool(
		    row, "selected",
		    strcmp(list.items[i].username, selected) == 0);
	}
	/* Beyond the first CATCHALL_CHOICES accounts the current catch-all
	 * must still be offered, or saving the form would drop it. */
	if (selected[0] != '\0') {
		bool listed = false;

		for (size_t i = 0; i < list.n; i++)
			if (strcmp(list.items[i].username, selected) == 0)
				listed = true;
		if (!listed) {
			struct tmpl_data *row =
			    tmpl_data_list_add(p->data, "choices");

			if (row != NULL) {
				(void)tmpl_data_set(row, "username", selected);
				(void)tmpl_data_set_bool(row, "selected", true);
			}
		}
	}
	svc_account_list_free(&list);
	page_render(p, "catchall", "title.catchall", d->name);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_catchall_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (load_domain(&p, http_request_param(req, "domain"), &d))
		catchall_render(&p, &d, d.catchall);
out:
	svc_domain_free(&d);
	page_end(&p);
}

void
page_catchall_save(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};
	struct svc_result res;
	const char *username;
	char back[1024];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_domain(&p, http_request_param(req, "domain"), &d))
		goto out;
	username = page_form(&p, "username");
	if (svc_catchall_set(p.svc, &p.id, d.name,
			     username[0] == '\0' ? NULL : username,
			     &res) == 0) {
		(void)casier_snprintf(back, sizeof(back),
				      "/domains/%s/accounts", d.name);
		page_redirect(&p, back, "catchall_saved", d.name);
		goto out;
	}
	if (page_svc_failed(&p, &res))
		goto out;
	if (strcmp(res.field, "username") != 0)
		page_field_error(&p, "username", "err.invalid", res.message);
	catchall_render(&p, &d, username);
out:
	svc_domain_free(&d);
	page_end(&p);
}

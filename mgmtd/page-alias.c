/*
 * page-alias.c - alias pages (manual section 2): the list of a domain's
 * aliases, create, add and remove destinations (an alias may have none:
 * "this alias has no destination"), delete with confirmation.
 *
 * Called by casier-mgmtd's HTTP core (unprivileged).  Targets are
 * validated and normalised by the service layer only.
 */
#include "page-common.h"

#include <stdlib.h>
#include <string.h>

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
load_alias(struct page *p, const char *address, struct svc_alias *a)
{
	struct svc_result res;

	if (svc_alias_get(p->svc, &p->id, address, a, &res) == 0)
		return true;
	if (!page_svc_failed(p, &res))
		page_error(p, 400, "err.bad_request");
	return false;
}

static void
alias_path(const struct svc_alias *a, const char *suffix, char *out,
	   size_t outsize)
{
	char enc[3 * SVC_ADDRESS_MAX + 1];

	if (page_url_encode(a->address, enc, sizeof(enc)) < 0)
		enc[0] = '\0';
	if (casier_snprintf(out, outsize, "/aliases/%s%s", enc, suffix) < 0)
		out[0] = '\0';
}

void
page_aliases(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};
	struct svc_page pg;
	struct svc_alias_list list = {0};
	struct svc_result res;
	char base[1024];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_domain(&p, http_request_param(req, "domain"), &d))
		goto out;
	if (svc_page_parse(NULL, http_request_query(req, "cursor"),
			   http_request_query(req, "q"), PAGE_ROWS, &pg,
			   &res) < 0 ||
	    svc_alias_list(p.svc, &p.id, d.name, &pg, &list, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 400, "err.bad_request");
		goto out;
	}
	(void)tmpl_data_set(p.data, "domain", d.name);
	page_set_url(&p, p.data, "domain_url", d.name);
	(void)tmpl_data_set(p.data, "q", pg.q == NULL ? "" : pg.q);
	(void)tmpl_data_set_list(p.data, "aliases");
	(void)tmpl_data_set_bool(p.data, "has_aliases", list.n > 0);
	(void)tmpl_data_setf(p.data, "total", "%zu", list.n);
	for (size_t i = 0; i < list.n; i++) {
		const struct svc_alias *a = &list.items[i];
		struct tmpl_data *row = tmpl_data_list_add(p.data, "aliases");

		if (row == NULL)
			continue;
		(void)tmpl_data_set(row, "address", a->address);
		page_set_url(&p, row, "address_url", a->address);
		(void)tmpl_data_set_list(row, "targets");
		for (size_t k = 0; k < a->targets.n; k++) {
			struct tmpl_data *t =
			    tmpl_data_list_add(row, "targets");

			if (t != NULL)
				(void)tmpl_data_set(t, "target",
						    a->targets.items[k]);
		}
	}
	(void)casier_snprintf(base, sizeof(base), "/domains/%s/aliases",
			      d.name);
	page_set_pager(&p, base, pg.q, &list.cursors);
	page_render(&p, "aliases", "title.aliases", d.name);
out:
	svc_alias_list_free(&list);
	svc_domain_free(&d);
	page_end(&p);
}

void
page_alias_new_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_domain(&p, http_request_param(req, "domain"), &d))
		goto out;
	(void)tmpl_data_set(p.data, "domain", d.name);
	page_set_url(&p, p.data, "domain_url", d.name);
	page_render(&p, "alias-new", "title.alias_new", d.name);
out:
	svc_domain_free(&d);
	page_end(&p);
}

void
page_alias_new(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_domain d = {0};
	struct svc_alias a = {0};
	struct svc_result res;
	const char *local;
	char back[3 * SVC_ADDRESS_MAX + 32];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_domain(&p, http_request_param(req, "domain"), &d))
		goto out;
	local = page_form(&p, "local_part");
	/* The manual's flow: create, then give it its destinations. */
	if (svc_alias_create(p.svc, &p.id, d.name, local, NULL, 0, &a, &res) ==
	    0) {
		alias_path(&a, "", back, sizeof(back));
		page_redirect(&p, back, "alias_created", a.address);
		goto out;
	}
	if (page_svc_failed(&p, &res))
		goto out;
	(void)tmpl_data_set(p.data, "domain", d.name);
	page_set_url(&p, p.data, "domain_url", d.name);
	(void)tmpl_data_set(p.data, "v_local_part", local);
	page_render(&p, "alias-new", "title.alias_new", d.name);
	resp->status = res.status == SVC_CONFLICT ? 409 : 422;
out:
	svc_alias_free(&a);
	svc_domain_free(&d);
	page_end(&p);
}

static void
alias_edit_render(struct page *p, const struct svc_alias *a)
{
	unsigned int status = p->resp->status;

	(void)tmpl_data_set(p->data, "address", a->address);
	page_set_url(p, p->data, "address_url", a->address);
	page_set_url(p, p->data, "domain_url", a->domain);
	(void)tmpl_data_set_list(p->data, "targets");
	(void)tmpl_data_set_bool(p->data, "has_targets", a->targets.n > 0);
	for (size_t i = 0; i < a->targets.n; i++) {
		struct tmpl_data *t = tmpl_data_list_add(p->data, "targets");

		if (t != NULL)
			(void)tmpl_data_set(t, "target", a->targets.items[i]);
	}
	page_render(p, "alias-edit", "title.alias_edit", a->address);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_alias_edit_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_alias a = {0};

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (load_alias(&p, http_request_param(req, "address"), &a))
		alias_edit_render(&p, &a);
out:
	svc_alias_free(&a);
	page_end(&p);
}

/* Replace the targets of a with list (n entries), then show the result. */
static void
alias_store(struct page *p, struct svc_alias *a, const char *const *list,
	    size_t n, const char *typed)
{
	struct svc_alias na = {0};
	struct svc_result res;
	char back[3 * SVC_ADDRESS_MAX + 32];

	if (svc_alias_set_targets(p->svc, &p->id, a->address, list, n, &na,
				  &res) == 0) {
		alias_path(a, "", back, sizeof(back));
		page_redirect(p, back, "alias_updated", a->address);
		svc_alias_free(&na);
		return;
	}
	if (res.status != SVC_INVALID && res.status != SVC_CONFLICT) {
		(void)page_svc_failed(p, &res);
		return;
	}
	if (strcmp(res.field, "targets") == 0 ||
	    strcmp(res.field, "target") == 0)
		page_field_error(p, "target", "err.field.targets", res.message);
	else
		page_field_error(p, "target", "err.invalid", res.message);
	p->resp->status = res.status == SVC_CONFLICT ? 409 : 422;
	(void)tmpl_data_set(p->data, "v_target", typed);
	alias_edit_render(p, a);
}

void
page_alias_target_add(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_alias a = {0};
	const char **list = NULL;
	const char *target;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_alias(&p, http_request_param(req, "address"), &a))
		goto out;
	target = page_form(&p, "target");
	list = calloc(a.targets.n + 1, sizeof(*list));
	if (list == NULL) {
		page_error(&p, 500, "err.internal");
		goto out;
	}
	for (size_t i = 0; i < a.targets.n; i++)
		list[i] = a.targets.items[i];
	list[a.targets.n] = target;
	alias_store(&p, &a, list, a.targets.n + 1, target);
out:
	free(list);
	svc_alias_free(&a);
	page_end(&p);
}

void
page_alias_target_remove(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_alias a = {0};
	const char **list = NULL;
	const char *target;
	size_t n = 0;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_alias(&p, http_request_param(req, "address"), &a))
		goto out;
	target = page_form(&p, "target");
	list = calloc(a.targets.n + 1, sizeof(*list));
	if (list == NULL) {
		page_error(&p, 500, "err.internal");
		goto out;
	}
	for (size_t i = 0; i < a.targets.n; i++)
		if (strcmp(a.targets.items[i], target) != 0)
			list[n++] = a.targets.items[i];
	alias_store(&p, &a, list, n, "");
out:
	free(list);
	svc_alias_free(&a);
	page_end(&p);
}

void
page_alias_delete_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_alias a = {0};
	char buf[3 * SVC_ADDRESS_MAX + 32];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_alias(&p, http_request_param(req, "address"), &a))
		goto out;
	alias_path(&a, "/delete", buf, sizeof(buf));
	(void)tmpl_data_set(p.data, "action", buf);
	alias_path(&a, "", buf, sizeof(buf));
	(void)tmpl_data_set(p.data, "cancel_url", buf);
	page_set_text(&p, "question", "confirm.alias_delete", a.address);
	page_set_text(&p, "confirm_label", "confirm.yes_delete", NULL);
	page_render(&p, "confirm", "title.alias_delete", a.address);
out:
	svc_alias_free(&a);
	page_end(&p);
}

void
page_alias_delete(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_alias a = {0};
	struct svc_result res;
	char back[3 * SVC_NAME_MAX + 32];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_alias(&p, http_request_param(req, "address"), &a))
		goto out;
	if (strcmp(page_form(&p, "confirm"), "yes") != 0) {
		page_error(&p, 400, "err.bad_request");
		goto out;
	}
	if (svc_alias_delete(p.svc, &p.id, a.address, &res) < 0) {
		if (!page_svc_failed(&p, &res))
			page_error(&p, 409, "err.conflict");
		goto out;
	}
	(void)casier_snprintf(back, sizeof(back), "/domains/%s/aliases",
			      a.domain);
	page_redirect(&p, back, "alias_deleted", a.address);
out:
	svc_alias_free(&a);
	page_end(&p);
}

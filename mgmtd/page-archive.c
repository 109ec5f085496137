/*
 * page-archive.c - the archive pages of a domain (DESIGN section 8, the
 * old Mail6M console: "le meuble", search, DVD dashboard, whitelist,
 * preferences):
 *
 *   GET  /domains/{domain}/archive                      list and search
 *   GET  /domains/{domain}/archive/{id}                 details (no content)
 *   POST /domains/{domain}/archive/{id}/resend          re-send
 *   GET  /domains/{domain}/archive/{id}/delete          confirmation
 *   POST /domains/{domain}/archive/{id}/delete          delete for good
 *   GET  /domains/{domain}/archive-prefs                preferences, whitelist
 *   POST /domains/{domain}/archive-prefs                save preferences
 *   POST /domains/{domain}/archive-whitelist            add a sender domain
 *   POST /domains/{domain}/archive-whitelist/{name}/delete
 *   GET  /domains/{domain}/archive-volumes              volume dashboard
 *   GET  /domains/{domain}/archive-volumes/{serial}/download
 *   POST /domains/{domain}/archive-volumes/{serial}/received
 *
 * Called by http.c in casier-mgmtd (unprivileged).  Rules and SQL are in
 * service-archive.c: another domain's archive is 404 there.  Every POST
 * is CSRF-checked by page_begin(); delete needs the confirmation form.
 */
#include "page-archive.h"

#include "page-common.h"
#include "service-archive.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* "2026-11-23T17:45:21Z" -> "2026-11-23 17:45:21" (UTC) */
static void
set_date(struct tmpl_data *d, const char *name, const char *iso)
{
	char buf[40];
	size_t n = strlen(iso);

	if (n == 0 || n >= sizeof(buf)) {
		(void)tmpl_data_set(d, name, "");
		return;
	}
	memcpy(buf, iso, n + 1);
	if (n > 10 && buf[10] == 'T')
		buf[10] = ' ';
	if (buf[n - 1] == 'Z')
		buf[n - 1] = '\0';
	(void)tmpl_data_set(d, name, buf);
}

static bool
msg_id(struct page *p, long long *id_r)
{
	const char *s = http_request_param(p->req, "id");
	char *end;
	long long v;

	errno = 0;
	v = s != NULL ? strtoll(s, &end, 10) : 0;
	if (s == NULL || *s < '0' || *s > '9' || *end != '\0' || errno != 0 ||
	    v <= 0) {
		page_error(p, 404, "err.not_found");
		return false;
	}
	*id_r = v;
	return true;
}

static void
failed(struct page *p, const struct svc_result *res)
{
	if (!page_svc_failed(p, res))
		page_error(p, 400, "err.bad_request");
}

/* The preferences of the domain (also checks that id may see it). */
static bool
load_prefs(struct page *p, struct svc_archive_prefs *pr)
{
	struct svc_result res;

	if (svc_archive_prefs_get(p->svc, &p->id,
				  http_request_param(p->req, "domain"), pr,
				  &res) == 0) {
		(void)tmpl_data_set(p->data, "domain", pr->domain);
		page_set_url(p, p->data, "domain_url", pr->domain);
		return true;
	}
	failed(p, &res);
	return false;
}

static void
add_query_value(struct page *p, struct str *url, const char *name,
		const char *v)
{
	char enc[3 * SVC_QUERY_MAX + 1];

	if (v == NULL || v[0] == '\0' ||
	    page_url_encode(v, enc, sizeof(enc)) < 0)
		return;
	(void)str_appendf(url, "&%s=%s", name, enc);
}

void
page_archive_list(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_archive_prefs pr;
	struct svc_archive_list l = {0};
	struct svc_result res;
	struct svc_archive_query q = {
	    .sender = http_request_query(req, "sender"),
	    .recipient = http_request_query(req, "recipient"),
	    .subject = http_request_query(req, "subject"),
	    .after = http_request_query(req, "after"),
	    .before = http_request_query(req, "before"),
	};
	bool search;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_prefs(&p, &pr))
		goto out;
	search = (q.sender != NULL && q.sender[0] != '\0') ||
		 (q.recipient != NULL && q.recipient[0] != '\0') ||
		 (q.subject != NULL && q.subject[0] != '\0') ||
		 (q.after != NULL && q.after[0] != '\0') ||
		 (q.before != NULL && q.before[0] != '\0');
	(void)tmpl_data_set(p.data, "v_sender", q.sender ? q.sender : "");
	(void)tmpl_data_set(p.data, "v_recipient",
			    q.recipient ? q.recipient : "");
	(void)tmpl_data_set(p.data, "v_subject", q.subject ? q.subject : "");
	(void)tmpl_data_set(p.data, "v_after", q.after ? q.after : "");
	(void)tmpl_data_set(p.data, "v_before", q.before ? q.before : "");
	(void)tmpl_data_set_bool(p.data, "search", search);
	(void)tmpl_data_set_bool(p.data, "enabled", pr.enabled);
	if (svc_archive_list(p.svc, &p.id, pr.domain, &q, 0,
			     http_request_query(req, "cursor"), &l, &res) < 0) {
		if (res.status == SVC_INVALID) {
			/* a bad date: show it next to the field */
			(void)page_svc_failed(&p, &res);
		} else {
			failed(&p, &res);
			goto out;
		}
	}
	(void)tmpl_data_set_list(p.data, "messages");
	(void)tmpl_data_set_bool(p.data, "has_messages", l.n > 0);
	for (size_t i = 0; i < l.n; i++) {
		const struct svc_archive_item *it = &l.items[i];
		struct tmpl_data *row = tmpl_data_list_add(p.data, "messages");

		if (row == NULL)
			continue;
		(void)tmpl_data_setf(row, "id", "%lld", it->id);
		set_date(row, "date", it->arrived_at);
		(void)tmpl_data_set(row, "sender",
				    it->sender[0] != '\0' ? it->sender : "<>");
		(void)tmpl_data_set(row, "subject", it->subject);
		(void)tmpl_data_set(row, "recipients", it->recipients);
	}
	if (l.next[0] != '\0') {
		struct str url;
		char ec[3 * SVC_CURSOR_MAX + 1];

		str_init(&url, 8192);
		/* an A-label: safe in a path as it is */
		if (page_url_encode(l.next, ec, sizeof(ec)) == 0 &&
		    str_appendf(&url, "/domains/%s/archive?cursor=%s",
				pr.domain, ec) == 0) {
			add_query_value(&p, &url, "sender", q.sender);
			add_query_value(&p, &url, "recipient", q.recipient);
			add_query_value(&p, &url, "subject", q.subject);
			add_query_value(&p, &url, "after", q.after);
			add_query_value(&p, &url, "before", q.before);
			(void)tmpl_data_set(p.data, "next_url", url.data);
		}
		str_free(&url);
	}
	page_render(&p, "archive", "title.archive", pr.domain);
out:
	svc_archive_list_free(&l);
	page_end(&p);
}

void
page_archive_message(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_archive_item it;
	struct svc_archive_prefs pr;
	struct svc_result res;
	long long id;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!msg_id(&p, &id) || !load_prefs(&p, &pr))
		goto out;
	if (svc_archive_get(p.svc, &p.id, pr.domain, id, &it, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	(void)tmpl_data_setf(p.data, "id", "%lld", it.id);
	set_date(p.data, "date", it.arrived_at);
	(void)tmpl_data_set(p.data, "sender",
			    it.sender[0] != '\0' ? it.sender : "<>");
	(void)tmpl_data_set(p.data, "from", it.from);
	(void)tmpl_data_set(p.data, "to", it.to);
	(void)tmpl_data_set(p.data, "subject", it.subject);
	(void)tmpl_data_set(p.data, "recipients", it.recipients);
	(void)tmpl_data_set(p.data, "message_id", it.message_id);
	(void)tmpl_data_setf(p.data, "size", "%lld", it.size_bytes);
	(void)tmpl_data_setf(p.data, "stored", "%lld", it.stored_bytes);
	(void)tmpl_data_set_bool(p.data, "spam", it.spam);
	page_render(&p, "archive-message", "title.archive_message", pr.domain);
out:
	page_end(&p);
}

void
page_archive_resend(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_archive_prefs pr;
	struct svc_result res;
	char back[3 * SVC_NAME_MAX + 64];
	long long id;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!msg_id(&p, &id) || !load_prefs(&p, &pr))
		goto out;
	if (svc_archive_resend(p.svc, &p.id, pr.domain, id, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	(void)casier_snprintf(back, sizeof(back), "/domains/%s/archive/%lld",
			      pr.domain, id);
	page_redirect(&p, back, "archive_resent", NULL);
out:
	page_end(&p);
}

void
page_archive_delete_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_archive_prefs pr;
	struct svc_archive_item it;
	struct svc_result res;
	char buf[3 * SVC_NAME_MAX + 64];
	long long id;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!msg_id(&p, &id) || !load_prefs(&p, &pr))
		goto out;
	if (svc_archive_get(p.svc, &p.id, pr.domain, id, &it, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	(void)casier_snprintf(buf, sizeof(buf),
			      "/domains/%s/archive/%lld/delete", pr.domain, id);
	(void)tmpl_data_set(p.data, "action", buf);
	(void)casier_snprintf(buf, sizeof(buf), "/domains/%s/archive/%lld",
			      pr.domain, id);
	(void)tmpl_data_set(p.data, "cancel_url", buf);
	page_set_text(&p, "question", "confirm.archive_delete", it.subject);
	page_set_text(&p, "detail", "confirm.archive_delete_detail", NULL);
	page_set_text(&p, "confirm_label", "confirm.yes_delete", NULL);
	page_render(&p, "confirm", "title.archive_delete", pr.domain);
out:
	page_end(&p);
}

void
page_archive_delete(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_archive_prefs pr;
	struct svc_result res;
	char back[3 * SVC_NAME_MAX + 64];
	long long id;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!msg_id(&p, &id) || !load_prefs(&p, &pr))
		goto out;
	if (strcmp(page_form(&p, "confirm"), "yes") != 0) {
		page_error(&p, 400, "err.bad_request");
		goto out;
	}
	if (svc_archive_delete(p.svc, &p.id, pr.domain, id, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	(void)casier_snprintf(back, sizeof(back), "/domains/%s/archive",
			      pr.domain);
	page_redirect(&p, back, "archive_deleted", NULL);
out:
	page_end(&p);
}

/* The preferences page with the values v_* (stored or submitted). */
static void
prefs_render(struct page *p, const struct svc_archive_prefs *pr,
	     const char *tier, const char *rows_list, const char *rows_search,
	     bool spam, bool enabled)
{
	struct svc_targets wl = {0};
	struct svc_result res;
	unsigned int status = p->resp->status;
	static const char *const tiers[] = {"2", "5", "10"};

	(void)tmpl_data_set_bool(p->data, "superuser", p->id.superuser);
	(void)tmpl_data_set_bool(p->data, "v_enabled", enabled);
	(void)tmpl_data_set_bool(p->data, "v_spam", spam);
	(void)tmpl_data_set(p->data, "v_rows_list", rows_list);
	(void)tmpl_data_set(p->data, "v_rows_search", rows_search);
	(void)tmpl_data_set_list(p->data, "tiers");
	for (size_t i = 0; i < CASIER_ARRAY_LEN(tiers); i++) {
		struct tmpl_data *t = tmpl_data_list_add(p->data, "tiers");
		char key[32];

		if (t == NULL)
			continue;
		(void)tmpl_data_set(t, "value", tiers[i]);
		(void)casier_snprintf(key, sizeof(key), "archive.tier_%s",
				      tiers[i]);
		{
			char text[128];

			page_text(p, key, NULL, text, sizeof(text));
			(void)tmpl_data_set(t, "label", text);
		}
		(void)tmpl_data_set_bool(t, "selected",
					 strcmp(tier, tiers[i]) == 0);
	}
	(void)tmpl_data_setf(p->data, "online_messages", "%lld",
			     pr->online_messages);
	(void)tmpl_data_setf(p->data, "online_kb", "%lld",
			     (pr->online_bytes + 1023) / 1024);
	(void)tmpl_data_setf(p->data, "cellar_messages", "%lld",
			     pr->cellar_messages);
	(void)tmpl_data_setf(p->data, "cellar_kb", "%lld",
			     (pr->cellar_bytes + 1023) / 1024);
	(void)tmpl_data_set_bool(p->data, "enabled", pr->enabled);
	(void)tmpl_data_set_list(p->data, "whitelist");
	if (svc_archive_whitelist_list(p->svc, &p->id, pr->domain, &wl, &res) ==
	    0) {
		for (size_t i = 0; i < wl.n; i++) {
			struct tmpl_data *t =
			    tmpl_data_list_add(p->data, "whitelist");

			if (t == NULL)
				continue;
			(void)tmpl_data_set(t, "name", wl.items[i]);
			page_set_url(p, t, "name_url", wl.items[i]);
		}
		(void)tmpl_data_set_bool(p->data, "has_whitelist", wl.n > 0);
		svc_targets_free(&wl);
	}
	page_render(p, "archive-prefs", "title.archive_prefs", pr->domain);
	if (status != 200 && p->resp->status == 200)
		p->resp->status = status;
}

void
page_archive_prefs_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_archive_prefs pr;
	char tier[8], rl[8], rs[8];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_prefs(&p, &pr))
		goto out;
	(void)casier_snprintf(tier, sizeof(tier), "%d", pr.tier_gb);
	(void)casier_snprintf(rl, sizeof(rl), "%d", pr.rows_list);
	(void)casier_snprintf(rs, sizeof(rs), "%d", pr.rows_search);
	prefs_render(&p, &pr, tier, rl, rs, pr.archive_spam, pr.enabled);
out:
	page_end(&p);
}

void
page_archive_prefs_save(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_archive_prefs pr, after;
	struct svc_archive_prefs_input in = {0};
	struct svc_result res;
	char back[3 * SVC_NAME_MAX + 64];
	long long v;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_prefs(&p, &pr))
		goto out;
	in.has_tier = true;
	in.has_rows_list = true;
	in.has_rows_search = true;
	in.has_archive_spam = true;
	in.archive_spam = strcmp(page_form(&p, "archive_spam"), "yes") == 0;
	if (p.id.superuser) {
		in.has_enabled = true;
		in.enabled = strcmp(page_form(&p, "enabled"), "yes") == 0;
	}
	if (!page_form_ll(&p, "tier_gb", 1000, &v)) {
		page_field_error(&p, "tier_gb", "err.number", NULL);
		goto rerender;
	}
	in.tier_gb = (int)v;
	if (!page_form_ll(&p, "rows_list", 100000, &v)) {
		page_field_error(&p, "rows_list", "err.number", NULL);
		goto rerender;
	}
	in.rows_list = (int)v;
	if (!page_form_ll(&p, "rows_search", 100000, &v)) {
		page_field_error(&p, "rows_search", "err.number", NULL);
		goto rerender;
	}
	in.rows_search = (int)v;
	if (svc_archive_prefs_set(p.svc, &p.id, pr.domain, &in, &after, &res) ==
	    0) {
		(void)casier_snprintf(back, sizeof(back),
				      "/domains/%s/archive-prefs", pr.domain);
		page_redirect(&p, back, "archive_prefs_saved", pr.domain);
		goto out;
	}
	if (page_svc_failed(&p, &res))
		goto out;
rerender:
	if (p.resp->status == 200)
		p.resp->status = 422;
	prefs_render(&p, &pr, page_form(&p, "tier_gb"),
		     page_form(&p, "rows_list"), page_form(&p, "rows_search"),
		     in.archive_spam, p.id.superuser ? in.enabled : pr.enabled);
out:
	page_end(&p);
}

static void
whitelist_change(struct http_request *req, struct http_response *resp, bool add)
{
	struct page p;
	struct svc_archive_prefs pr;
	struct svc_result res;
	char back[3 * SVC_NAME_MAX + 64];
	int r;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_prefs(&p, &pr))
		goto out;
	r = add ? svc_archive_whitelist_add(p.svc, &p.id, pr.domain,
					    page_form(&p, "sender_domain"),
					    &res)
		: svc_archive_whitelist_remove(p.svc, &p.id, pr.domain,
					       http_request_param(req, "name"),
					       &res);
	if (r < 0) {
		if (page_svc_failed(&p, &res))
			goto out;
		/* invalid or duplicate entry: the form again, with it */
		if (p.resp->status == 200)
			p.resp->status = 422;
		{
			char tier[8], rl[8], rs[8];

			(void)casier_snprintf(tier, sizeof(tier), "%d",
					      pr.tier_gb);
			(void)casier_snprintf(rl, sizeof(rl), "%d",
					      pr.rows_list);
			(void)casier_snprintf(rs, sizeof(rs), "%d",
					      pr.rows_search);
			(void)tmpl_data_set(p.data, "v_sender_domain",
					    page_form(&p, "sender_domain"));
			prefs_render(&p, &pr, tier, rl, rs, pr.archive_spam,
				     pr.enabled);
		}
		goto out;
	}
	(void)casier_snprintf(back, sizeof(back), "/domains/%s/archive-prefs",
			      pr.domain);
	page_redirect(&p, back,
		      add ? "archive_whitelist_added"
			  : "archive_whitelist_removed",
		      NULL);
out:
	page_end(&p);
}

void
page_archive_whitelist_add(struct http_request *req, struct http_response *resp)
{
	whitelist_change(req, resp, true);
}

void
page_archive_whitelist_remove(struct http_request *req,
			      struct http_response *resp)
{
	whitelist_change(req, resp, false);
}

void
page_archive_volumes(struct http_request *req, struct http_response *resp)
{
	struct page p;
	struct svc_archive_prefs pr;
	struct svc_archive_volume_list l = {0};
	struct svc_result res;

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_prefs(&p, &pr))
		goto out;
	if (svc_archive_volume_list(p.svc, &p.id, pr.domain, &l, &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	(void)tmpl_data_set_list(p.data, "volumes");
	(void)tmpl_data_set_bool(p.data, "has_volumes", l.n > 0);
	for (size_t i = 0; i < l.n; i++) {
		const struct svc_archive_volume *v = &l.items[i];
		struct tmpl_data *row = tmpl_data_list_add(p.data, "volumes");

		if (row == NULL)
			continue;
		(void)tmpl_data_set(row, "serial", v->serial);
		set_date(row, "created", v->created_at);
		set_date(row, "downloaded", v->downloaded_at);
		set_date(row, "received", v->received_at);
		(void)tmpl_data_setf(row, "messages", "%lld", v->messages);
		(void)tmpl_data_setf(row, "size_kb", "%lld",
				     (v->size_bytes + 1023) / 1024);
		(void)tmpl_data_set_bool(row, "available", v->available);
		(void)tmpl_data_set_bool(row, "can_receive",
					 v->received_at[0] == '\0');
	}
	page_render(&p, "archive-volumes", "title.archive_volumes", pr.domain);
out:
	svc_archive_volume_list_free(&l);
	page_end(&p);
}

void
page_archive_volume_download(struct http_request *req,
			     struct http_response *resp)
{
	struct page p;
	struct svc_archive_prefs pr;
	struct svc_result res;
	const char *serial = http_request_param(req, "serial");
	char path[4096], name[SVC_NAME_MAX + 64], disp[SVC_NAME_MAX + 128];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_prefs(&p, &pr))
		goto out;
	if (svc_archive_volume_download(p.svc, &p.id, pr.domain, serial, path,
					sizeof(path), &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	/* streamed from the file by http.c: no size limit, no copy */
	if (http_response_file(resp, path, "application/zstd") < 0) {
		page_error(&p, errno == ENOENT ? 404 : 503,
			   errno == ENOENT ? "err.not_found" : "err.tempfail");
		goto out;
	}
	svc_archive_volume_filename(name, sizeof(name), pr.domain, serial);
	if (casier_snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"",
			    name) >= 0)
		(void)http_response_header(resp, "Content-Disposition", disp);
out:
	page_end(&p);
}

void
page_archive_volume_received(struct http_request *req,
			     struct http_response *resp)
{
	struct page p;
	struct svc_archive_prefs pr;
	struct svc_result res;
	char back[3 * SVC_NAME_MAX + 64];

	if (!page_begin(&p, req, resp, PAGE_AUTH))
		goto out;
	if (!load_prefs(&p, &pr))
		goto out;
	if (svc_archive_volume_receive(p.svc, &p.id, pr.domain,
				       http_request_param(req, "serial"),
				       &res) < 0) {
		failed(&p, &res);
		goto out;
	}
	(void)casier_snprintf(back, sizeof(back), "/domains/%s/archive-volumes",
			      pr.domain);
	page_redirect(&p, back, "archive_volume_received",
		      http_request_param(req, "serial"));
out:
	page_end(&p);
}

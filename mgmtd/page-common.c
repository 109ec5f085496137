/*
 * page-common.c - the HTML side's plumbing: module start-up (templates
 * and catalogs), the route table, and the per-request steps every page
 * shares (page-common.h): session, language, access, form, CSRF,
 * rendering, error pages, redirects with a flash message, static files.
 *
 * Called by casier-mgmtd's HTTP core on its pool threads (unprivileged,
 * no access to the mail store).  Module state is read-only after
 * pages_init().  Database trouble gives 503 pages; a template failure
 * gives 500; neither changes anything.
 */
#include "page-common.h"

#include "log.h"
#include "page-archive.h"
#include "page-outbound.h"
#include "page-vacation.h"
#include "pages.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PAGE_BODY_MAX	(4 * 1024 * 1024)
#define PAGE_STATIC_MAX (1024 * 1024)
#define PAGE_QUERY_MAX	1000

static const struct route page_route_table[] = {
    {HTTP_GET, "/static/{file}", page_static},
    {HTTP_GET, "/lang/{lang}", page_lang},
    {HTTP_GET, "/login", page_login_form},
    {HTTP_POST, "/login", page_login},
    {HTTP_POST, "/logout", page_logout},
    {HTTP_GET, "/", page_home},
    {HTTP_GET, "/domains/new", page_domain_new_form},
    {HTTP_POST, "/domains/new", page_domain_new},
    {HTTP_GET, "/domains/{domain}/edit", page_domain_edit_form},
    {HTTP_POST, "/domains/{domain}/edit", page_domain_edit},
    {HTTP_GET, "/domains/{domain}/delete", page_domain_delete_form},
    {HTTP_POST, "/domains/{domain}/delete", page_domain_delete},
    {HTTP_POST, "/domains/{domain}/alias-domains", page_alias_domain_add},
    {HTTP_POST, "/domains/{domain}/alias-domains/{alias}/delete",
     page_alias_domain_remove},
    {HTTP_GET, "/domains/{domain}/accounts", page_accounts},
    {HTTP_GET, "/domains/{domain}/accounts/new", page_account_new_form},
    {HTTP_POST, "/domains/{domain}/accounts/new", page_account_new},
    {HTTP_GET, "/domains/{domain}/export.csv", page_domain_export},
    {HTTP_GET, "/domains/{domain}/import", page_import_form},
    {HTTP_POST, "/domains/{domain}/import", page_import},
    {HTTP_GET, "/domains/{domain}/catchall", page_catchall_form},
    {HTTP_POST, "/domains/{domain}/catchall", page_catchall_save},
    {HTTP_GET, "/domains/{domain}/aliases", page_aliases},
    {HTTP_GET, "/domains/{domain}/aliases/new", page_alias_new_form},
    {HTTP_POST, "/domains/{domain}/aliases/new", page_alias_new},
    {HTTP_GET, "/accounts/{username}", page_account_edit_form},
    {HTTP_POST, "/accounts/{username}", page_account_edit},
    {HTTP_GET, "/accounts/{username}/delete", page_account_delete_form},
    {HTTP_POST, "/accounts/{username}/delete", page_account_delete},
    {HTTP_GET, "/accounts/{username}/redirect", page_redirect_form},
    {HTTP_POST, "/accounts/{username}/redirect", page_redirect_save},
    {HTTP_POST, "/accounts/{username}/redirect/delete", page_redirect_remove},
    {HTTP_GET, "/accounts/{username}/vacation", page_vacation_form},
    {HTTP_POST, "/accounts/{username}/vacation", page_vacation_save},
    {HTTP_POST, "/accounts/{username}/vacation/delete", page_vacation_remove},
    {HTTP_GET, "/aliases/{address}", page_alias_edit_form},
    {HTTP_POST, "/aliases/{address}/targets", page_alias_target_add},
    {HTTP_POST, "/aliases/{address}/targets/remove", page_alias_target_remove},
    {HTTP_GET, "/aliases/{address}/delete", page_alias_delete_form},
    {HTTP_POST, "/aliases/{address}/delete", page_alias_delete},
    {HTTP_GET, "/admins", page_admins},
    {HTTP_GET, "/admins/new", page_admin_new_form},
    {HTTP_POST, "/admins/new", page_admin_new},
    {HTTP_GET, "/admins/{login}", page_admin_edit_form},
    {HTTP_POST, "/admins/{login}", page_admin_edit},
    {HTTP_GET, "/admins/{login}/delete", page_admin_delete_form},
    {HTTP_POST, "/admins/{login}/delete", page_admin_delete},
    {HTTP_GET, "/tokens", page_tokens},
    {HTTP_POST, "/tokens", page_token_create},
    {HTTP_POST, "/tokens/{id}/revoke", page_token_revoke},
    {HTTP_GET, "/audit", page_audit},
    {HTTP_GET, "/domains/{domain}/archive", page_archive_list},
    {HTTP_GET, "/domains/{domain}/archive/{id}", page_archive_message},
    {HTTP_POST, "/domains/{domain}/archive/{id}/resend", page_archive_resend},
    {HTTP_GET, "/domains/{domain}/archive/{id}/delete",
     page_archive_delete_form},
    {HTTP_POST, "/domains/{domain}/archive/{id}/delete", page_archive_delete},
    {HTTP_GET, "/domains/{domain}/archive-prefs", page_archive_prefs_form},
    {HTTP_POST, "/domains/{domain}/archive-prefs", page_archive_prefs_save},
    {HTTP_POST, "/domains/{domain}/archive-whitelist",
     page_archive_whitelist_add},
    {HTTP_POST, "/domains/{domain}/archive-whitelist/{name}/delete",
     page_archive_whitelist_remove},
    {HTTP_GET, "/domains/{domain}/archive-volumes", page_archive_volumes},
    {HTTP_GET, "/domains/{domain}/archive-volumes/{serial}/download",
     page_archive_volume_download},
    {HTTP_POST, "/domains/{domain}/archive-volumes/{serial}/received",
     page_archive_volume_received},
    {HTTP_GET, "/accounts/{username}/outbound", page_outbound_account},
    {HTTP_POST, "/accounts/{username}/unblock", page_outbound_unblock},
    {HTTP_GET, "/accounts/{username}/report.csv", page_outbound_account_csv},
    {HTTP_GET, "/relay-clients", page_relay_clients},
    {HTTP_GET, "/relay-clients/{id}/report", page_relay_report},
    {HTTP_GET, "/relay-clients/{id}/report.csv", page_relay_report_csv},
    {HTTP_POST, "/accounts/{username}/bulk-requests", page_outbound_bulk_file},
    {HTTP_GET, "/bulk-requests", page_bulk_requests},
    {HTTP_POST, "/bulk-requests/{id}/approve", page_bulk_approve},
    {HTTP_POST, "/bulk-requests/{id}/reject", page_bulk_reject},
};

const struct route *
pages_routes(size_t *count_r)
{
	*count_r = CASIER_ARRAY_LEN(page_route_table);
	return page_route_table;
}

int
pages_init(struct mgmtd_ctx *ctx, char *error_r, size_t errsize)
{
	const struct web_config *cfg = ctx->cfg;
	const char *tdir =
	    cfg->templates_dir != NULL && cfg->templates_dir[0] != '\0'
		? cfg->templates_dir
		: CASIER_DATADIR "/templates";
	char ldir[4096], path[4096];
	struct pages_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		(void)casier_snprintf(error_r, errsize, "out of memory");
		return -1;
	}
	/* Catalogs: locale_dir when it exists, else beside the templates. */
	if (cfg->locale_dir != NULL && cfg->locale_dir[0] != '\0' &&
	    access(cfg->locale_dir, R_OK | X_OK) == 0) {
		if (casier_snprintf(ldir, sizeof(ldir), "%s", cfg->locale_dir) <
		    0)
			goto toolong;
	} else if (casier_snprintf(ldir, sizeof(ldir), "%s/locale", tdir) < 0) {
		goto toolong;
	}
	if (casier_snprintf(st->static_dir, sizeof(st->static_dir), "%s/static",
			    tdir) < 0)
		goto toolong;
	st->templates = tmpl_set_load(tdir, error_r, errsize);
	if (st->templates == NULL)
		goto fail;
	if (casier_snprintf(path, sizeof(path), "%s/fr.cat", ldir) < 0)
		goto toolong;
	st->fr = i18n_catalog_load(path, error_r, errsize);
	if (st->fr == NULL)
		goto fail;
	if (casier_snprintf(path, sizeof(path), "%s/en.cat", ldir) < 0)
		goto toolong;
	st->en = i18n_catalog_load(path, error_r, errsize);
	if (st->en == NULL)
		goto fail;
	ctx->pages = st;
	return 0;
toolong:
	(void)casier_snprintf(error_r, errsize, "template path too long");
fail:
	tmpl_set_free(&st->templates);
	i18n_catalog_free(&st->fr);
	i18n_catalog_free(&st->en);
	free(st);
	return -1;
}

void
pages_deinit(struct mgmtd_ctx *ctx)
{
	struct pages_state *st = ctx->pages;

	if (st == NULL)
		return;
	tmpl_set_free(&st->templates);
	i18n_catalog_free(&st->fr);
	i18n_catalog_free(&st->en);
	free(st);
	ctx->pages = NULL;
}

/* ---- text helpers ---- */

void
page_text(const struct page *p, const char *key, const char *arg, char *out,
	  size_t outsize)
{
	const char *t = i18n_text(p->cat, key);
	const char *hole = strstr(t, "{}");

	if (hole == NULL || arg == NULL) {
		if (casier_snprintf(out, outsize, "%s", t) < 0)
			out[0] = '\0';
		return;
	}
	if (casier_snprintf(out, outsize, "%.*s%s%s", (int)(hole - t), t, arg,
			    hole + 2) < 0)
		out[0] = '\0';
}

void
page_set_text(struct page *p, const char *name, const char *key,
	      const char *arg)
{
	char buf[1024];

	page_text(p, key, arg, buf, sizeof(buf));
	(void)tmpl_data_set(p->data, name, buf);
}

int
page_url_encode(const char *s, char *out, size_t outsize)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' ||
			     c == '_' || c == '~' || c == '@';

		if (o + (plain ? 1 : 3) >= outsize)
			return -1;
		if (plain) {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	if (o >= outsize)
		return -1;
	out[o] = '\0';
	return 0;
}

void
page_set_url(struct page *p, struct tmpl_data *d, const char *name,
	     const char *s)
{
	char buf[3 * 1024 + 1];

	(void)p;
	if (page_url_encode(s, buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	(void)tmpl_data_set(d, name, buf);
}

void
page_set_pager(struct page *p, const char *base, const char *q,
	       const struct svc_cursors *cursors)
{
	char eq[3 * SVC_QUERY_MAX + 1] = "", ec[3 * SVC_CURSOR_MAX + 1];
	char url[8192];

	if (q != NULL && page_url_encode(q, eq, sizeof(eq)) < 0)
		eq[0] = '\0';
	if (cursors->prev[0] != '\0' &&
	    page_url_encode(cursors->prev, ec, sizeof(ec)) == 0 &&
	    casier_snprintf(url, sizeof(url), "%s?q=%s&cursor=%s", base, eq,
			    ec) >= 0)
		(void)tmpl_data_set(p->data, "prev_url", url);
	if (cursors->next[0] != '\0' &&
	    page_url_encode(cursors->next, ec, sizeof(ec)) == 0 &&
	    casier_snprintf(url, sizeof(url), "%s?q=%s&cursor=%s", base, eq,
			    ec) >= 0)
		(void)tmpl_data_set(p->data, "next_url", url);
}

const char *
page_form(const struct page *p, const char *name)
{
	const char *v = form_get(&p->form, name);

	return v == NULL ? "" : v;
}

bool
page_form_ll(const struct page *p, const char *name, long long max,
	     long long *out_r)
{
	const char *v = page_form(p, name);
	long long n = 0;

	while (*v == ' ')
		v++;
	if (*v == '\0')
		return false;
	for (; *v >= '0' && *v <= '9'; v++) {
		/* n <= max <= LLONG_MAX / 10 keeps this from overflowing */
		if (n > max / 10 + 1)
			return false;
		n = n * 10 + (*v - '0');
	}
	while (*v == ' ')
		v++;
	if (*v != '\0' || n > max)
		return false;
	*out_r = n;
	return true;
}

/* ---- cookies and language ---- */

static void
set_cookie(struct page *p, const char *name, const char *value,
	   long long max_age)
{
	char buf[256];

	if (session_cookie_format(buf, sizeof(buf), name, value,
				  p->req->is_https, max_age) == 0)
		(void)http_response_header(p->resp, "Set-Cookie", buf);
}

static void
choose_language(struct page *p)
{
	const char *explicit_lang = NULL;
	const char *cookie = http_request_cookie(p->req, PAGE_LANG_COOKIE);

	if (p->authed && i18n_supported(p->sess.language))
		explicit_lang = p->sess.language;
	else if (i18n_supported(cookie))
		explicit_lang = cookie;
	p->lang = i18n_negotiate(explicit_lang,
				 http_request_header(p->req, "Accept-Language"),
				 p->req->ctx->cfg->default_language);
	p->cat = strcmp(p->lang, "en") == 0 ? p->st->en : p->st->fr;
}

/* Untrusted query values: valid UTF-8, no control characters, capped. */
static const char *
query_value(const struct page *p, const char *name)
{
	const char *v = http_request_query(p->req, name);
	size_t n;

	if (v == NULL)
		return NULL;
	n = strlen(v);
	if (n > PAGE_QUERY_MAX || !form_utf8_valid(v, n))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return NULL;
	return v;
}

/* MHD iterator: count query arguments that are not clean text. */
static enum MHD_Result
query_arg_check(void *cls, enum MHD_ValueKind kind, const char *key,
		const char *value)
{
	unsigned int *bad = cls;
	const char *parts[] = {key, value};

	(void)kind;
	for (size_t k = 0; k < CASIER_ARRAY_LEN(parts); k++) {
		const char *v = parts[k];
		size_t n = v == NULL ? 0 : strlen(v);

		if (n > PAGE_QUERY_MAX || !form_utf8_valid(v, n)) {
			(*bad)++;
			continue;
		}
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f) {
				(*bad)++;
				break;
			}
	}
	return MHD_YES;
}

/* A local path for ?back=: "/..." but not "//host" (open redirect). */
static bool
local_path_ok(const char *s)
{
	if (s == NULL || s[0] != '/' || s[1] == '/' || s[1] == '\\')
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || *s == '\\' || *s == 0x7f)
			return false;
	return true;
}

static bool
flash_obj_ok(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++) {
		char c = *s;

		if (n >= 200 ||
		    !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '@' ||
		      c == '_' || c == '-' || c == '+' || c == '\''))
			return false;
	}
	return true;
}

static void
set_common_data(struct page *p)
{
	const char *done = query_value(p, "done");
	const char *obj = query_value(p, "obj");
	char key[96];

	(void)tmpl_data_set(p->data, "lang", p->lang);
	(void)tmpl_data_set(p->data, "lang_fr_class",
			    strcmp(p->lang, "fr") == 0 ? "current" : "");
	(void)tmpl_data_set(p->data, "lang_en_class",
			    strcmp(p->lang, "en") == 0 ? "current" : "");
	page_set_url(p, p->data, "back", p->req->path);
	if (p->authed) {
		(void)tmpl_data_set(p->data, "login", p->id.login);
		(void)tmpl_data_set_bool(p->data, "superuser", p->id.superuser);
		(void)tmpl_data_set(p->data, "csrf", p->sess.csrf);
	}
	/* flash messages only from the catalog, objects from a safe set */
	if (done != NULL && strlen(done) < 64 &&
	    casier_snprintf(key, sizeof(key), "flash.%s", done) >= 0 &&
	    i18n_get(p->cat, key) != NULL && (obj == NULL || flash_obj_ok(obj)))
		page_set_text(p, "flash", key, obj == NULL ? "" : obj);
}

/* ---- request life cycle ---- */

bool
page_begin(struct page *p, struct http_request *req, struct http_response *resp,
	   enum page_access access)
{
	return page_begin_limits(p, req, resp, access, NULL);
}

bool
page_begin_limits(struct page *p, struct http_request *req,
		  struct http_response *resp, enum page_access access,
		  const struct form_limits *limits)
{
	const char *cookie = http_request_cookie(req, SESSION_COOKIE);
	const struct web_config *cfg = req->ctx->cfg;

	memset(p, 0, sizeof(*p));
	p->req = req;
	p->resp = resp;
	p->st = req->ctx->pages;
	p->svc = &req->ctx->svc;
	p->lang = "fr";
	p->cat = p->st->fr;
	p->data = tmpl_data_new();
	if (p->data == NULL) {
		http_response_text(resp, 500, "out of memory\n");
		return false;
	}
	if (cookie != NULL) {
		enum casier_lookup lk = session_lookup(
		    req->ctx->db, cookie, cfg->session_idle, &p->sess);

		if (lk == CASIER_LOOKUP_ERROR) {
			choose_language(p);
			page_error(p, 503, "err.tempfail");
			return false;
		}
		if (lk == CASIER_FOUND) {
			struct svc_result res;

			if (svc_auth_admin_id(p->svc, p->sess.admin_id, &p->id,
					      &res) == 0) {
				p->authed = true;
				(void)casier_snprintf(req->log_user,
						      sizeof(req->log_user),
						      "%s", p->id.login);
			} else if (res.status == SVC_TEMPFAIL) {
				choose_language(p);
				page_error(p, 503, "err.tempfail");
				return false;
			}
		}
	}
	choose_language(p);
	set_common_data(p);
	if (access != PAGE_PUBLIC && !p->authed) {
		page_redirect(p, "/login", NULL, NULL);
		return false;
	}
	if (access == PAGE_SUPERUSER && !p->id.superuser) {
		page_error(p, 403, "err.forbidden");
		return false;
	}
	if (req->conn != NULL) {
		unsigned int bad = 0;

		(void)MHD_get_connection_values(
		    req->conn, MHD_GET_ARGUMENT_KIND, query_arg_check, &bad);
		if (bad > 0) {
			page_error(p, 400, "err.form");
			return false;
		}
	}
	if (req->method == HTTP_POST) {
		enum form_error fe;
		const char *token;

		if (strcmp(req->content_type,
			   "application/x-www-form-urlencoded") != 0) {
			page_error(p, 415, "err.form");
			return false;
		}
		fe = form_parse(req->body, req->body_len, limits, &p->form);
		if (fe != FORM_OK) {
			char ip[64];

			log_warning("pages: %s %s from %s: %s",
				    req->method_name, req->path,
				    log_sanitize(ip, sizeof(ip), req->client_ip,
						 strlen(req->client_ip)),
				    form_error_str(fe));
			page_error(
			    p,
			    fe == FORM_TOO_LARGE || fe == FORM_TOO_MANY ? 413
			    : fe == FORM_NOMEM				? 500
									: 400,
			    fe == FORM_NOMEM ? "err.internal" : "err.form");
			return false;
		}
		token = form_get(&p->form, "csrf_token");
		if (!session_token_equal(
			p->authed
			    ? p->sess.csrf
			    : http_request_cookie(req, PAGE_PRELOGIN_COOKIE),
			token)) {
			page_error(p, 403, "err.csrf");
			return false;
		}
	}
	return true;
}

void
page_end(struct page *p)
{
	tmpl_data_free(&p->data);
	form_free(&p->form);
	sodium_memzero(p, sizeof(*p));
}

/* ---- responses ---- */

void
page_render(struct page *p, const char *name, const char *title_key,
	    const char *title_arg)
{
	const struct tmpl *t = tmpl_set_get(p->st->templates, name);

	page_set_text(p, "title", title_key, title_arg);
	http_response_set_type(p->resp, "text/html; charset=utf-8");
	str_clear(&p->resp->body);
	if (t == NULL ||
	    tmpl_render(t, p->st->templates, p->data, i18n_translate, p->cat,
			&p->resp->body) < 0) {
		log_error("pages: rendering %s failed", name);
		http_response_text(p->resp, 500, "internal error\n");
		return;
	}
}

void
page_error(struct page *p, unsigned int status, const char *key)
{
	page_set_text(p, "message", key, NULL);
	page_render(p, "error", "title.error", NULL);
	if (p->resp->status != 500 || status == 500)
		p->resp->status = status;
}

void
page_field_error(struct page *p, const char *field, const char *key,
		 const char *arg)
{
	char name[96];

	if (casier_snprintf(name, sizeof(name), "err_%s", field) < 0)
		return;
	page_set_text(p, name, key, arg);
	p->errors = true;
}

/* Service field names that map onto another form field. */
static const char *
form_field_of(const char *svc_field)
{
	static const struct {
		const char *svc, *form;
	} map[] = {
	    {"quota_mb", "quota"},
	    {"quota_bytes", "quota"},
	    {"quota_kb", "quota"},
	    {"default_quota_mb", "quota"},
	    {"default_quota_bytes", "quota"},
	    {"default_quota", "quota"},
	    {"target", "targets"},
	    {"catchall", "username"},
	    {"alias_name", "alias_domain"},
	};

	for (size_t i = 0; i < CASIER_ARRAY_LEN(map); i++)
		if (strcmp(map[i].svc, svc_field) == 0)
			return map[i].form;
	return svc_field;
}

bool
page_svc_failed(struct page *p, const struct svc_result *res)
{
	char key[128];
	const char *field;

	switch (res->status) {
	case SVC_OK:
		return false;
	case SVC_INVALID:
	case SVC_CONFLICT:
		break;
	case SVC_NOT_FOUND:
		page_error(p, 404, "err.not_found");
		return true;
	case SVC_FORBIDDEN:
		page_error(p, 403, "err.forbidden");
		return true;
	case SVC_UNAUTHORIZED:
		page_redirect(p, "/login", NULL, NULL);
		return true;
	case SVC_TOO_LARGE:
		page_error(p, 413, "err.too_large");
		return true;
	case SVC_TEMPFAIL:
		page_error(p, 503, "err.tempfail");
		return true;
	case SVC_BAD_REQUEST:
	case SVC_UNSUPPORTED:
	default:
		page_error(p, 400, "err.bad_request");
		return true;
	}
	field = form_field_of(res->field[0] != '\0' ? res->field : "form");
	p->resp->status = res->status == SVC_CONFLICT ? 409 : 422;
	/* English pages show the service's own (English) text. */
	if (strcmp(p->lang, "en") == 0 && res->message[0] != '\0') {
		char name[96];

		if (casier_snprintf(name, sizeof(name), "err_%s", field) >= 0)
			(void)tmpl_data_set(p->data, name, res->message);
		if (strcmp(field, "form") == 0)
			(void)tmpl_data_set(p->data, "error", res->message);
		p->errors = true;
		return false;
	}
	if (casier_snprintf(key, sizeof(key), "err.%s.%s",
			    res->status == SVC_CONFLICT ? "conflict" : "field",
			    field) >= 0 &&
	    i18n_get(p->cat, key) != NULL)
		page_field_error(p, field, key, res->message);
	else
		page_field_error(p, field,
				 res->status == SVC_CONFLICT ? "err.conflict"
							     : "err.invalid",
				 res->message);
	if (strcmp(field, "form") == 0)
		page_set_text(p, "error",
			      res->status == SVC_CONFLICT ? "err.conflict"
							  : "err.invalid",
			      res->message);
	return false;
}

void
page_redirect(struct page *p, const char *location, const char *flash_key,
	      const char *flash_obj)
{
	char url[2048], eo[3 * 320 + 1];

	if (flash_key == NULL) {
		http_response_redirect(p->resp, 303, location);
		return;
	}
	if (flash_obj == NULL || page_url_encode(flash_obj, eo, sizeof(eo)) < 0)
		eo[0] = '\0';
	if (casier_snprintf(url, sizeof(url), "%s%sdone=%s&obj=%s", location,
			    strchr(location, '?') != NULL ? "&" : "?",
			    flash_key, eo) < 0) {
		http_response_redirect(p->resp, 303, location);
		return;
	}
	http_response_redirect(p->resp, 303, url);
}

/* ---- static files and the language switch ---- */

static const char *
static_type(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return NULL;
	if (strcmp(dot, ".css") == 0)
		return "text/css; charset=utf-8";
	if (strcmp(dot, ".js") == 0)
		return "text/javascript; charset=utf-8";
	if (strcmp(dot, ".png") == 0)
		return "image/png";
	if (strcmp(dot, ".svg") == 0)
		return "image/svg+xml";
	return NULL;
}

void
page_static(struct http_request *req, struct http_response *resp)
{
	const struct pages_state *st = req->ctx->pages;
	const char *name = http_request_param(req, "file");
	const char *type;
	char path[4096 + 64], buf[8192];
	ssize_t r;
	int fd;

	/* [a-z0-9-]+.ext only: no "..", no "/", no hidden files */
	for (const char *c = name; c != NULL && *c != '\0'; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		      *c == '-' || (*c == '.' && c != name))) {
			name = NULL;
			break;
		}
	type = name == NULL ? NULL : static_type(name);
	if (type == NULL || strchr(name, '.') != strrchr(name, '.') ||
	    casier_snprintf(path, sizeof(path), "%s/%s", st->static_dir, name) <
		0) {
		http_response_text(resp, 404, "not found\n");
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		http_response_text(resp, 404, "not found\n");
		return;
	}
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (resp->body.len + (size_t)r > PAGE_STATIC_MAX ||
		    str_append_mem(&resp->body, buf, (size_t)r) < 0) {
			r = -1;
			break;
		}
	(void)close(fd);
	if (r < 0) {
		http_response_text(resp, 500, "internal error\n");
		return;
	}
	http_response_set_type(resp, type);
	(void)http_response_header(resp, "Cache-Control", "max-age=3600");
}

/* GET /lang/{fr|en}?back=/path: remember the choice, go back. */
void
page_lang(struct http_request *req, struct http_response *resp)
{
	struct page p;
	const char *lang = http_request_param(req, "lang");
	const char *back;

	if (!page_begin(&p, req, resp, PAGE_PUBLIC)) {
		page_end(&p);
		return;
	}
	if (!i18n_supported(lang)) {
		page_error(&p, 404, "err.not_found");
		page_end(&p);
		return;
	}
	back = query_value(&p, "back");
	set_cookie(&p, PAGE_LANG_COOKIE, lang, 365LL * 24 * 3600);
	if (p.authed) {
		const char *cookie = http_request_cookie(req, SESSION_COOKIE);

		if (session_set_language(req->ctx->db, cookie, lang) < 0) {
			page_error(&p, 503, "err.tempfail");
			page_end(&p);
			return;
		}
	}
	page_redirect(&p, local_path_ok(back) ? back : "/", NULL, NULL);
	page_end(&p);
}

/* ---- login and logout ---- */

void
page_login_form(struct http_request *req, struct http_response *resp)
{
	struct page p;
	const char *pre;
	char token[SESSION_ID_LEN + 1];

	if (!page_begin(&p, req, resp, PAGE_PUBLIC)) {
		page_end(&p);
		return;
	}
	if (p.authed) {
		page_redirect(&p, "/", NULL, NULL);
		page_end(&p);
		return;
	}
	pre = http_request_cookie(req, PAGE_PRELOGIN_COOKIE);
	if (pre != NULL && strlen(pre) == SESSION_ID_LEN) {
		(void)casier_snprintf(token, sizeof(token), "%s", pre);
	} else {
		session_random_token(token);
		set_cookie(&p, PAGE_PRELOGIN_COOKIE, token, 3600);
	}
	(void)tmpl_data_set(p.data, "csrf", token);
	(void)tmpl_data_set(p.data, "main_class", "narrow");
	page_render(&p, "login", "title.login", NULL);
	page_end(&p);
}

void
page_login(struct http_request *req, struct http_response *resp)
{
	struct page p;
	const char *login, *password;
	struct svc_identity id;
	struct svc_result res;
	struct session sess;
	char sid[SESSION_ID_LEN + 1];
	enum casier_lookup lk;
	const struct web_config *cfg = req->ctx->cfg;

	if (!page_begin(&p, req, resp, PAGE_PUBLIC)) {
		page_end(&p);
		return;
	}
	login = page_form(&p, "login");
	password = page_form(&p, "password");
	(void)tmpl_data_set(p.data, "csrf",
			    page_form(&p, "csrf_token")); /* checked */
	(void)tmpl_data_set(p.data, "main_class", "narrow");
	(void)tmpl_data_set(p.data, "v_login", login);
	lk = session_throttle_check(req->ctx->db, req->client_ip, login);
	if (lk == CASIER_LOOKUP_ERROR) {
		page_error(&p, 503, "err.tempfail");
		page_end(&p);
		return;
	}
	if (lk == CASIER_FOUND) {
		page_set_text(&p, "error", "err.throttled", NULL);
		page_render(&p, "login", "title.login", NULL);
		resp->status = 429;
		page_end(&p);
		return;
	}
	if (svc_auth_password(p.svc, login, password, &id, &res) < 0) {
		if (res.status == SVC_TEMPFAIL) {
			page_error(&p, 503, "err.tempfail");
		} else {
			char l[80], ip[64];

			(void)session_throttle_fail(req->ctx->db,
						    req->client_ip, login);
			log_info(
			    "pages: failed login for %s from %s",
			    log_sanitize(l, sizeof(l), login, strlen(login)),
			    log_sanitize(ip, sizeof(ip), req->client_ip,
					 strlen(req->client_ip)));
			page_set_text(&p, "error", "err.login_failed", NULL);
			page_render(&p, "login", "title.login", NULL);
			resp->status = 401;
		}
		page_end(&p);
		return;
	}
	(void)session_throttle_success(req->ctx->db, login);
	if (session_create(
		req->ctx->db, id.admin_id,
		i18n_supported(http_request_cookie(req, PAGE_LANG_COOKIE))
		    ? http_request_cookie(req, PAGE_LANG_COOKIE)
		    : NULL,
		cfg->session_absolute, cfg->session_idle, sid, &sess) < 0) {
		page_error(&p, 503, "err.tempfail");
		page_end(&p);
		return;
	}
	set_cookie(&p, SESSION_COOKIE, sid, cfg->session_absolute);
	set_cookie(&p, PAGE_PRELOGIN_COOKIE, "", 0);
	sodium_memzero(sid, sizeof(sid));
	page_redirect(&p, "/", NULL, NULL);
	page_end(&p);
}

void
page_logout(struct http_request *req, struct http_response *resp)
{
	struct page p;

	if (!page_begin(&p, req, resp, PAGE_AUTH)) {
		page_end(&p);
		return;
	}
	if (session_destroy(req->ctx->db,
			    http_request_cookie(req, SESSION_COOKIE)) < 0) {
		page_error(&p, 503, "err.tempfail");
		page_end(&p);
		return;
	}
	set_cookie(&p, SESSION_COOKIE, "", 0);
	page_redirect(&p, "/login", "logged_out", NULL);
	page_end(&p);
}

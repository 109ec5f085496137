/*
 * page-common.h - what every HTML page handler (page-*.c) shares: the
 * per-request page state, authentication by session cookie, CSRF check
 * of every POST, form parsing, language choice, rendering and the one
 * mapping of service outcomes to HTML error pages and field messages.
 *
 * Handlers never run SQL and never validate business rules: they call
 * the service layer (service.h) with the identity built from the
 * session, and show what it answers.
 */
#ifndef CASIER_MGMTD_PAGE_COMMON_H
#define CASIER_MGMTD_PAGE_COMMON_H

#include "form.h"
#include "http.h"
#include "i18n.h"
#include "service.h"
#include "session.h"
#include "tmpl.h"

#define PAGE_ROWS	     10 /* rows per list page (DESIGN 9) */
#define PAGE_LANG_COOKIE     "casier_lang"
#define PAGE_PRELOGIN_COOKIE "casier_prelogin" /* CSRF of the login form */

/* The module state created by pages_init() (ctx->pages). */
struct pages_state {
	struct tmpl_set *templates;
	struct i18n_catalog *fr;
	struct i18n_catalog *en;
	char static_dir[4096];
};

enum page_access {
	PAGE_PUBLIC,	/* no session needed */
	PAGE_AUTH,	/* any logged-in admin */
	PAGE_SUPERUSER, /* superuser only: others get 403 */
};

struct page {
	struct http_request *req;
	struct http_response *resp;
	const struct pages_state *st;
	const struct svc *svc;
	bool authed;
	struct svc_identity id;
	struct session sess;
	const char *lang; /* "fr" / "en" */
	const struct i18n_catalog *cat;
	struct tmpl_data *data;
	struct form form; /* the POST body (query arguments: checked for
			   * clean UTF-8 text by page_begin, read with
			   * http_request_query) */
	bool errors;	  /* a field error was set */
};

/*
 * Start handling a request: language, session, access check, query
 * arguments (valid UTF-8, no control characters, else 400), the POST
 * body (form.h rules) and the CSRF check on POST.  Returns true when the
 * handler should go on; false when a response (redirect to /login, 400, 403,
 * 413, 503) is already set -- call page_end() and return.
 */
bool page_begin(struct page *p, struct http_request *req,
		struct http_response *resp, enum page_access access);
/* The same with other form limits (NULL: form_default_limits). */
bool page_begin_limits(struct page *p, struct http_request *req,
		       struct http_response *resp, enum page_access access,
		       const struct form_limits *limits);
void page_end(struct page *p);

/* Catalog text of key; "{}" in it replaced by arg (may be NULL). */
void page_text(const struct page *p, const char *key, const char *arg,
	       char *out, size_t outsize);
/* Set data name to the translated key with arg. */
void page_set_text(struct page *p, const char *name, const char *key,
		   const char *arg);

/* Render template name with title (key + arg) as the response. */
void page_render(struct page *p, const char *tmpl, const char *title_key,
		 const char *title_arg);
/* An error page with status and the message of key. */
void page_error(struct page *p, unsigned int status, const char *key);
/*
 * Show a service failure.  404/403/400/503/401 become error pages and
 * the function returns true (response done).  SVC_INVALID and
 * SVC_CONFLICT become a message next to the field (err_<field>, with
 * the service field name mapped to the form's) and it returns false:
 * the handler re-renders its form.
 */
bool page_svc_failed(struct page *p, const struct svc_result *res);
/* Mark a field error with a catalog key (arg for "{}"). */
void page_field_error(struct page *p, const char *field, const char *key,
		      const char *arg);

/* 303 to location with an optional flash message (key + object). */
void page_redirect(struct page *p, const char *location, const char *flash_key,
		   const char *flash_obj);

/* Form value or "" (never NULL). */
const char *page_form(const struct page *p, const char *name);
/* Parse a non-negative integer field; false when malformed. */
bool page_form_ll(const struct page *p, const char *name, long long max,
		  long long *out_r);

/* Percent-encode s for a path segment or a query value into out. */
int page_url_encode(const char *s, char *out, size_t outsize);
/* Set data name to the URL-encoded value of s. */
void page_set_url(struct page *p, struct tmpl_data *d, const char *name,
		  const char *s);
/* Previous/next links of a keyset page: base?q=..&cursor=.. */
void page_set_pager(struct page *p, const char *base, const char *q,
		    const struct svc_cursors *cursors);

/* Route handlers, one file per area. */
http_handler_fn page_static, page_lang, page_login_form, page_login,
    page_logout, page_home;
http_handler_fn page_domain_new_form, page_domain_new, page_domain_edit_form,
    page_domain_edit, page_domain_delete_form, page_domain_delete,
    page_alias_domain_add, page_alias_domain_remove;
http_handler_fn page_accounts, page_account_new_form, page_account_new,
    page_account_edit_form, page_account_edit, page_account_delete_form,
    page_account_delete, page_redirect_form, page_redirect_save,
    page_redirect_remove, page_catchall_form, page_catchall_save,
    page_domain_export, page_import_form, page_import;
http_handler_fn page_aliases, page_alias_new_form, page_alias_new,
    page_alias_edit_form, page_alias_target_add, page_alias_target_remove,
    page_alias_delete_form, page_alias_delete;
http_handler_fn page_admins, page_admin_new_form, page_admin_new,
    page_admin_edit_form, page_admin_edit, page_admin_delete_form,
    page_admin_delete, page_tokens, page_token_create, page_token_revoke,
    page_audit;

#endif

/*
 * service.h - the service layer of casier-mgmtd: every rule and every
 * SQL statement of the web manager, shared by the JSON API (api-*.c) and
 * the HTML pages (page-*.c).  One validation code path (DESIGN section 9).
 *
 * Conventions:
 * - Every function takes the acting identity and checks it: a domain
 *   admin asking for another domain's object gets SVC_NOT_FOUND, a
 *   superuser-only operation gets SVC_FORBIDDEN.
 * - Inputs are plain C strings in UTF-8 (NUL-free: the callers reject
 *   NULs before); optional fields use a has_ flag or NULL.
 * - Every change writes one audit_log row (before/after JSON) in the same
 *   transaction.
 * - The outcome is a struct svc_result; svc_status_http() is the one
 *   place that maps it to an HTTP status.
 * - Every int function returns 0 when res->status is SVC_OK, else -1;
 *   out_r structs are only filled on success (free them with the
 *   matching _free function, which also accepts a zeroed struct).
 * - Units: quotas are given and returned in bytes (the API converts
 *   MiB, the pages KB; 0 = unlimited, at most SVC_QUOTA_MAX); usage is
 *   reported in bytes (callers show KiB and percent with
 *   svc_usage_kb() / svc_usage_percent_x10()).
 */
#ifndef CASIER_MGMTD_SERVICE_H
#define CASIER_MGMTD_SERVICE_H

#include "casier.h"

#include <stdint.h>

struct db_pool;
struct wordlist;

/* What the service layer needs; filled by main.c (see struct mgmtd_ctx). */
struct svc {
	struct db_pool *db;
	const struct wordlist *words;
	/* Run after an account is deleted, deactivated or gets a new
	 * password, with the usernames appended, so Dovecot forgets cached
	 * logins ("doveadm -c FILE auth cache flush"); NULL = none.  It
	 * runs without a shell, as the daemon's user. */
	const char *auth_flush_command;
};

/* Who acts.  Built by svc_auth_*(); never trust one built elsewhere. */
struct svc_identity {
	long long admin_id;
	char login[65];
	bool superuser;
	char language[3]; /* "fr" / "en" (admin preference) */
};

enum svc_status {
	SVC_OK,		  /* 200 (201 for creations: the caller decides) */
	SVC_BAD_REQUEST,  /* 400 malformed request (JSON syntax, params) */
	SVC_UNAUTHORIZED, /* 401 no/bad token, bad login or password */
	SVC_FORBIDDEN,	  /* 403 role not allowed */
	SVC_NOT_FOUND,	  /* 404 unknown or another domain's object */
	SVC_CONFLICT,	  /* 409 duplicate, max accounts reached */
	SVC_TOO_LARGE,	  /* 413 body over the limit */
	SVC_UNSUPPORTED,  /* 415 not JSON */
	SVC_INVALID,	  /* 422 a field fails validation: field is set */
	SVC_THROTTLED,	  /* 429 too many failed logins; retry later */
	SVC_TEMPFAIL,	  /* 503 database trouble; retry */
};

struct svc_result {
	enum svc_status status;
	char field[64];	   /* the offending field for SVC_INVALID, else "" */
	char message[256]; /* English, generic, safe to show */
};

/* The one mapping from outcome to HTTP status. */
unsigned int svc_status_http(enum svc_status status);
/* Stable machine code for JSON errors: "invalid", "not_found", ... */
const char *svc_status_code(enum svc_status status);
void svc_result_ok(struct svc_result *res);
void svc_result_set(struct svc_result *res, enum svc_status status,
		    const char *field, const char *fmt, ...)
    CASIER_ATTR_PRINTF(4, 5);

/* ---- paging (keyset) ------------------------------------------------- */

#define SVC_LIMIT_DEFAULT 50
#define SVC_LIMIT_MAX	  500
#define SVC_CURSOR_MAX	  400 /* encoded cursor length */
#define SVC_QUERY_MAX	  200 /* search text length */

/*
 * A page request.  cursor is an opaque string from a previous answer
 * (next_cursor or prev_cursor) or NULL for the first page; q filters
 * (case-insensitive substring), NULL or "" = no filter.
 */
struct svc_page {
	unsigned int limit;
	const char *cursor;
	const char *q;
};

/* Opaque cursors handed back with every list. "" = no such page. */
struct svc_cursors {
	char next[SVC_CURSOR_MAX + 1];
	char prev[SVC_CURSOR_MAX + 1];
};

/*
 * Parse ?limit= (NULL = default; "1".."500"), ?cursor= and ?q= into a
 * page.  Bad values -> SVC_BAD_REQUEST with field set.  Pure.
 */
int svc_page_parse(const char *limit, const char *cursor, const char *q,
		   unsigned int default_limit, struct svc_page *page_r,
		   struct svc_result *res);

/* Encode / decode a cursor: direction ('n' or 'p') + key text. Pure. */
int svc_cursor_encode(char dir, const char *key, char *out, size_t outsize);
int svc_cursor_decode(const char *cursor, char *dir_r, char *key,
		      size_t keysize);

/* ---- authentication -------------------------------------------------- */

/* Login + password (Argon2id).  SVC_UNAUTHORIZED when wrong/inactive. */
int svc_auth_password(const struct svc *svc, const char *login,
		      const char *password, struct svc_identity *id_r,
		      struct svc_result *res);
/* "Authorization: Bearer cst_..." token, looked up by its SHA-256. */
int svc_auth_token(const struct svc *svc, const char *token,
		   struct svc_identity *id_r, struct svc_result *res);
/* An admin by id (sessions).  SVC_UNAUTHORIZED when gone or inactive. */
int svc_auth_admin_id(const struct svc *svc, long long admin_id,
		      struct svc_identity *id_r, struct svc_result *res);

/* ---- domains --------------------------------------------------------- */

#define SVC_NAME_MAX	 253
#define SVC_QUOTA_MAX	 (1LL << 50) /* 1 PiB */
#define SVC_ADDRESS_MAX	 320
#define SVC_USERNAME_MAX 32

struct svc_domain {
	long long id;
	char name[SVC_NAME_MAX + 1]; /* A-label */
	char prefix[17];
	long long max_accounts;
	long long accounts_used;
	long long default_quota_bytes;
	char contact[SVC_ADDRESS_MAX + 1]; /* "" = none */
	bool active;
	long long send_limit_per_hour;	     /* -1 = inherit (NULL) */
	char catchall[SVC_USERNAME_MAX + 1]; /* username or "" */
	char **alias_domains;		     /* NULL-terminated, may be NULL */
	size_t nalias_domains;
};

/* Create / patch: has_ flags say which fields were given. */
struct svc_domain_input {
	const char *name; /* UTF-8 or A-label; create only */
	const char *prefix;
	bool has_max_accounts;
	long long max_accounts;
	bool has_default_quota;
	long long default_quota_bytes;
	bool has_contact;
	const char *contact; /* NULL or "" clears */
	bool has_active;
	bool active;
	bool has_send_limit;
	long long send_limit_per_hour; /* -1 = inherit */
};

struct svc_domain_list {
	struct svc_domain *items;
	size_t n;
	struct svc_cursors cursors;
};

int svc_domain_create(const struct svc *svc, const struct svc_identity *id,
		      const struct svc_domain_input *in,
		      struct svc_domain *out_r, struct svc_result *res);
int svc_domain_get(const struct svc *svc, const struct svc_identity *id,
		   const char *name, struct svc_domain *out_r,
		   struct svc_result *res);
/* Superuser: all domains; a domain admin: its own.  q filters by name. */
int svc_domain_list(const struct svc *svc, const struct svc_identity *id,
		    const struct svc_page *page, struct svc_domain_list *out_r,
		    struct svc_result *res);
int svc_domain_update(const struct svc *svc, const struct svc_identity *id,
		      const char *name, const struct svc_domain_input *in,
		      struct svc_domain *out_r, struct svc_result *res);
/* Deletes the domain, its accounts (mail removed by mail jobs), aliases. */
int svc_domain_delete(const struct svc *svc, const struct svc_identity *id,
		      const char *name, struct svc_result *res);
void svc_domain_free(struct svc_domain *d);
void svc_domain_list_free(struct svc_domain_list *l);

/* Alias domains (superuser only). */
int svc_alias_domain_add(const struct svc *svc, const struct svc_identity *id,
			 const char *domain, const char *alias_name,
			 struct svc_result *res);
int svc_alias_domain_remove(const struct svc *svc,
			    const struct svc_identity *id, const char *domain,
			    const char *alias_name, struct svc_result *res);

/* Catch-all: username (or an address of the domain); NULL removes. */
int svc_catchall_set(const struct svc *svc, const struct svc_identity *id,
		     const char *domain, const char *username,
		     struct svc_result *res);

/* ---- accounts -------------------------------------------------------- */

struct svc_account {
	long long id;
	char username[SVC_USERNAME_MAX + 1];
	char local_part[65];
	char domain[SVC_NAME_MAX + 1];
	char address[SVC_ADDRESS_MAX + 1];
	long long quota_bytes;
	long long usage_bytes; /* from quota_usage; 0 when no row */
	long long usage_messages;
	bool active;
	bool has_redirect;
	bool has_vacation;
	bool is_catchall;
	long long send_limit_per_hour;	 /* -1 = inherit */
	char outbound_blocked_until[40]; /* ISO 8601 or "" */
	char outbound_block_reason[256];
};

struct svc_account_input {
	const char *local_part; /* create only */
	const char *password;	/* create: required; update: NULL = keep */
	bool has_quota;
	long long quota_bytes; /* create: absent = domain default */
	bool has_active;       /* create: has_active && !active = inactive */
	bool active;
	bool has_send_limit;
	long long send_limit_per_hour; /* -1 = inherit */
};

struct svc_account_list {
	struct svc_account *items;
	size_t n;
	struct svc_cursors cursors;
};

/* The username the next creation in this domain would get (forms). */
int svc_account_next_username(const struct svc *svc,
			      const struct svc_identity *id, const char *domain,
			      char *out, size_t outsize,
			      struct svc_result *res);
int svc_account_create(const struct svc *svc, const struct svc_identity *id,
		       const char *domain, const struct svc_account_input *in,
		       struct svc_account *out_r, struct svc_result *res);
/* By username, or by address (local@domain, alias domains resolved). */
int svc_account_get(const struct svc *svc, const struct svc_identity *id,
		    const char *username, struct svc_account *out_r,
		    struct svc_result *res);
/* Ordered by creation (username number); q matches local part/username. */
int svc_account_list(const struct svc *svc, const struct svc_identity *id,
		     const char *domain, const struct svc_page *page,
		     struct svc_account_list *out_r, struct svc_result *res);
int svc_account_update(const struct svc *svc, const struct svc_identity *id,
		       const char *username, const struct svc_account_input *in,
		       struct svc_account *out_r, struct svc_result *res);
/* Rows deleted + a mailbox.delete mail job; logins stop at once. */
int svc_account_delete(const struct svc *svc, const struct svc_identity *id,
		       const char *username, struct svc_result *res);
void svc_account_list_free(struct svc_account_list *l);

/* usage in KiB (rounded down) and percent x 10 (one decimal), pure. */
long long svc_usage_kb(long long usage_bytes);
long long svc_usage_percent_x10(long long usage_bytes, long long quota_bytes);

/* ---- redirects ------------------------------------------------------- */

#define SVC_TARGETS_MAX 100

struct svc_targets {
	char **items; /* normalised: "user@domain" (A-label) or username */
	size_t n;
};

struct svc_redirect {
	struct svc_targets targets; /* n == 0: no redirect */
	bool keep_copy;
};

int svc_redirect_get(const struct svc *svc, const struct svc_identity *id,
		     const char *username, struct svc_redirect *out_r,
		     struct svc_result *res);
/* targets given raw (as typed); validated and normalised here. */
int svc_redirect_set(const struct svc *svc, const struct svc_identity *id,
		     const char *username, const char *const *targets,
		     size_t ntargets, bool keep_copy, struct svc_result *res);
int svc_redirect_delete(const struct svc *svc, const struct svc_identity *id,
			const char *username, struct svc_result *res);
void svc_redirect_free(struct svc_redirect *r);
void svc_targets_free(struct svc_targets *t);

/* ---- aliases --------------------------------------------------------- */

struct svc_alias {
	long long id;
	char local_part[65];
	char domain[SVC_NAME_MAX + 1];
	char address[SVC_ADDRESS_MAX + 1];
	struct svc_targets targets; /* n == 0: "no destination" */
};

struct svc_alias_list {
	struct svc_alias *items;
	size_t n;
	struct svc_cursors cursors;
};

int svc_alias_create(const struct svc *svc, const struct svc_identity *id,
		     const char *domain, const char *local_part,
		     const char *const *targets, size_t ntargets,
		     struct svc_alias *out_r, struct svc_result *res);
/* address: "local@domain" (the domain may be an alias domain). */
int svc_alias_get(const struct svc *svc, const struct svc_identity *id,
		  const char *address, struct svc_alias *out_r,
		  struct svc_result *res);
int svc_alias_list(const struct svc *svc, const struct svc_identity *id,
		   const char *domain, const struct svc_page *page,
		   struct svc_alias_list *out_r, struct svc_result *res);
/* Replace the targets (n may be 0). */
int svc_alias_set_targets(const struct svc *svc, const struct svc_identity *id,
			  const char *address, const char *const *targets,
			  size_t ntargets, struct svc_alias *out_r,
			  struct svc_result *res);
int svc_alias_delete(const struct svc *svc, const struct svc_identity *id,
		     const char *address, struct svc_result *res);
void svc_alias_free(struct svc_alias *a);
void svc_alias_list_free(struct svc_alias_list *l);

/* ---- admins and tokens ---------------------------------------------- */

struct svc_admin {
	long long id;
	char login[65];
	bool superuser;
	bool active;
	char language[3];
	char **domains; /* NULL-terminated list of domain names */
	size_t ndomains;
};

struct svc_admin_input {
	const char *login; /* create only */
	const char *password;
	bool has_superuser;
	bool superuser;
	bool has_active;
	bool active;
	bool has_domains;
	const char *const *domains;
	size_t ndomains;
	const char *language; /* NULL = keep / default */
};

struct svc_admin_list {
	struct svc_admin *items;
	size_t n;
	struct svc_cursors cursors;
};

/* All superuser only, except svc_admin_set_password/language on self. */
int svc_admin_create(const struct svc *svc, const struct svc_identity *id,
		     const struct svc_admin_input *in, struct svc_admin *out_r,
		     struct svc_result *res);
int svc_admin_get(const struct svc *svc, const struct svc_identity *id,
		  const char *login, struct svc_admin *out_r,
		  struct svc_result *res);
int svc_admin_list(const struct svc *svc, const struct svc_identity *id,
		   const struct svc_page *page, struct svc_admin_list *out_r,
		   struct svc_result *res);
int svc_admin_update(const struct svc *svc, const struct svc_identity *id,
		     const char *login, const struct svc_admin_input *in,
		     struct svc_admin *out_r, struct svc_result *res);
int svc_admin_delete(const struct svc *svc, const struct svc_identity *id,
		     const char *login, struct svc_result *res);
void svc_admin_free(struct svc_admin *a);
void svc_admin_list_free(struct svc_admin_list *l);

#define SVC_TOKEN_MAX 64 /* "cst_" + 43 base64url characters */

struct svc_token {
	long long id;
	char name[65];
	char created_at[40];
	char last_used_at[40]; /* "" = never */
};

/* New token for login (NULL = the identity itself; other admins:
 * superuser only).  The printed token is returned once, never stored. */
int svc_token_create(const struct svc *svc, const struct svc_identity *id,
		     const char *login, const char *name,
		     char token_r[SVC_TOKEN_MAX + 1], struct svc_result *res);
/* Tokens of login (NULL = self); out_r malloc'd array (free()). */
int svc_token_list(const struct svc *svc, const struct svc_identity *id,
		   const char *login, struct svc_token **out_r, size_t *n_r,
		   struct svc_result *res);
int svc_token_revoke(const struct svc *svc, const struct svc_identity *id,
		     long long token_id, struct svc_result *res);

/* ---- audit log ------------------------------------------------------- */

struct svc_audit_entry {
	long long id;
	char at[40];
	char actor[65];
	char domain[SVC_NAME_MAX + 1];
	char action[64];
	char object[SVC_ADDRESS_MAX + 1];
	char *before; /* JSON text or NULL */
	char *after;  /* JSON text or NULL */
};

struct svc_audit_list {
	struct svc_audit_entry *items;
	size_t n;
	struct svc_cursors cursors;
};

/* Newest first.  Superuser: all; domain admin: its domains.  domain may
 * be NULL (all visible); q filters action/object/actor. */
int svc_audit_list(const struct svc *svc, const struct svc_identity *id,
		   const char *domain, const struct svc_page *page,
		   struct svc_audit_list *out_r, struct svc_result *res);
void svc_audit_list_free(struct svc_audit_list *l);

/* ---- CSV export and import (service-csv.c) ------------------------- */

struct str;

/*
 * The domain's accounts and aliases as CSV (RFC 4180, CRLF, header
 * "type,address,username,quota_kb,usage_kb,targets"): type "account" or
 * "alias"; targets space-separated (redirect targets for accounts).
 * Values are verbatim (a migration file, not a spreadsheet).
 */
int svc_domain_export_csv(const struct svc *svc, const struct svc_identity *id,
			  const char *domain, struct str *out,
			  struct svc_result *res);

#define SVC_IMPORT_MAX_LINES 1000

struct svc_import_line {
	unsigned int line; /* 1-based line number in the file */
	bool ok;
	char local_part[65];
	char username[SVC_USERNAME_MAX + 1]; /* assigned (real run) */
	char field[64];			     /* when !ok */
	char message[256];		     /* when !ok */
};

struct svc_import_report {
	struct svc_import_line *lines;
	size_t n;
	size_t errors;
	bool created; /* false for a dry run or when any line failed */
};

/*
 * Import accounts from CSV lines "local_part,password[,quota_mb]" (an
 * optional header line naming these columns is skipped).  Every line is
 * validated (syntax, local part, password policy, quota, duplicates in
 * the file and in the domain, max accounts); a dry run stops there.
 * Otherwise, when every line is valid, all accounts are created in one
 * transaction (all or nothing).  Per-line results in report_r either way;
 * res is SVC_OK when the file could be processed (even with line errors:
 * report_r->errors says so), SVC_INVALID for an unreadable file.
 */
int svc_account_import_csv(const struct svc *svc, const struct svc_identity *id,
			   const char *domain, const char *csv, size_t len,
			   bool dry_run, struct svc_import_report *report_r,
			   struct svc_result *res);
void svc_import_report_free(struct svc_import_report *r);

/*
 * Pure CSV reader (RFC 4180: quoted fields with "" escapes, CRLF or LF).
 * Reads one record at *pos into buf (fields NUL-separated, pointers in
 * fields).  Returns 1 (a record), 0 (end of data) or -1 (unterminated
 * quote, NUL byte, junk after a closing quote, too many fields, record
 * longer than bufsize).
 */
int svc_csv_record(const char *data, size_t len, size_t *pos, char *buf,
		   size_t bufsize, const char **fields, size_t maxfields,
		   size_t *nfields_r);
/* Append one CSV field (quoted when needed) to out; -1 when full. */
int svc_csv_field(struct str *out, const char *value);

#endif

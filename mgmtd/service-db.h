/*
 * service-db.h - database helpers shared by the service-*.c files
 * (internal to the service layer; pages and API use service.h).
 */
#ifndef CASIER_MGMTD_SERVICE_DB_H
#define CASIER_MGMTD_SERVICE_DB_H

#include "service.h"

#include "db.h"

/* The prepared statements of the service layer: main.c passes them to
 * db_pool_new() so svc_sql_named() finds them. */
extern const struct db_statement svc_statements[];
extern const size_t svc_nstatements;

/* A pooled connection, or NULL with SVC_TEMPFAIL. */
struct db_conn *svc_conn_get(const struct svc *svc, struct svc_result *res);
void svc_conn_put(const struct svc *svc, struct db_conn **conn);

/* Map a database error: temporary -> SVC_TEMPFAIL; unique violation ->
 * SVC_CONFLICT; check violation -> SVC_INVALID (field given); others ->
 * SVC_TEMPFAIL (logged: they are bugs or bad data, never the user's). */
void svc_db_error(const struct db_error *err, const char *field,
		  struct svc_result *res);

/*
 * Run parameterised SQL.  Returns 1 (rows or a command), 0 (no rows) or
 * -1 (res set from the error, *pg_r NULL).  PQclear(*pg_r) after >= 0.
 */
int svc_sql(struct db_conn *conn, const char *sql, int nparams,
	    const char *const *params, PGresult **pg_r, struct svc_result *res);
/* The same for a statement of svc_statements (service.h) by name. */
int svc_sql_named(struct db_conn *conn, const char *name, int nparams,
		  const char *const *params, PGresult **pg_r,
		  struct svc_result *res);
int svc_begin(struct db_conn *conn, struct svc_result *res);
int svc_commit(struct db_conn *conn, struct svc_result *res);

/* Append an audit row (in the caller's transaction).  before/after are
 * JSON texts or NULL; domain_id may be 0 (none). */
int svc_audit_add(struct db_conn *conn, const struct svc_identity *id,
		  long long domain_id, const char *domain_name,
		  const char *action, const char *object, const char *before,
		  const char *after, struct svc_result *res);

/*
 * Resolve a domain name (UTF-8 or A-label; an alias domain resolves to
 * its primary) that id may manage.  Unknown, or not id's -> SVC_NOT_FOUND.
 * lock: SELECT ... FOR UPDATE.
 */
int svc_domain_resolve(struct db_conn *conn, const struct svc_identity *id,
		       const char *name, bool lock, long long *domain_id_r,
		       char name_r[SVC_NAME_MAX + 1], struct svc_result *res);

/* SQL fragment true when admin $1 (bigint, text) / superuser $2 (bool)
 * may see domain alias "d". */
#define SVC_SQL_CAN_SEE(admin_param, super_param)                              \
	"(" super_param "::boolean OR EXISTS (SELECT 1 FROM admin_domain ad "  \
	"WHERE ad.admin_id = " admin_param                                     \
	"::bigint AND ad.domain_id = d.id))"

/* Text forms of the identity for SQL parameters. */
struct svc_id_params {
	char admin_id[24];
	const char *superuser; /* "t" / "f" */
};
void svc_id_params(const struct svc_identity *id, struct svc_id_params *p);

/*
 * Normalise targets (addresses or bare usernames) of an alias or a
 * redirect in the domain domain_id: addresses are IDNA-normalised and
 * lower-cased; a username must be an existing account of that domain,
 * and an address in a hosted domain other than this one is allowed only
 * when it is not someone else's username-as-address.  Errors -> 422 with
 * field "targets".  out_r: PostgreSQL array literal-free list.
 */
int svc_targets_normalize(struct db_conn *conn, long long domain_id,
			  const char *const *raw, size_t n, size_t max,
			  struct svc_targets *out_r, struct svc_result *res);
/* JSON array text of targets (for SQL text[] via json) into s. */
char *svc_targets_pg_array(const struct svc_targets *t);
/* Parse a PostgreSQL text[] output ("{a,b}") into targets. */
int svc_targets_from_pg(const char *text, struct svc_targets *out_r);

/* Copy helper: snprintf %s with truncation to an empty string. */
void svc_copy(char *dst, size_t size, const char *src);
/* PQgetvalue as long long (0 for NULL / bad). */
long long svc_ll(const PGresult *r, int row, int col);
bool svc_bool(const PGresult *r, int row, int col);

#endif

/* An account by username or address that id may see (lock: FOR
 * UPDATE); *domain_id_r may be NULL.  SVC_NOT_FOUND otherwise. */
int svc_account_find_internal(struct db_conn *conn,
			      const struct svc_identity *id, const char *key,
			      bool lock, struct svc_account *out_r,
			      long long *domain_id_r, struct svc_result *res);

/* Flush Dovecot's auth cache for these logins (NULL: everything). */
void svc_auth_flush(const struct svc *svc, const struct svc_targets *logins);
/* Every login form of an account (dovecot_login_forms()). */
int svc_login_forms(struct db_conn *conn, const char *username,
		    struct svc_targets *out_r, struct svc_result *res);

/* ---- keyset paging helpers ---- */
struct svc_keyset {
	char dir;	 /* 'n' (forward, also first page) or 'p' */
	bool has_cursor; /* key is set */
	char key[SVC_CURSOR_MAX];
	unsigned int limit;
	char limit_plus_one[16]; /* SQL parameter: fetch one more row */
};
void svc_keyset_init(const struct svc_page *page, struct svc_keyset *ks);
/* Items in a result fetched with LIMIT limit+1 in the keyset direction. */
size_t svc_keyset_count(const struct svc_keyset *ks, const PGresult *r);
/* Result row of the i-th item in ascending order. */
int svc_keyset_row(const struct svc_keyset *ks, size_t count, size_t i);
/* next/prev cursors from the key column. */
void svc_keyset_cursors(const struct svc_keyset *ks, const PGresult *r,
			size_t count, int key_col, struct svc_cursors *c);
/* LIKE pattern for a case-insensitive substring search ("%q%"),
 * metacharacters escaped; NULL q -> NULL.  Caller frees. */
char *svc_like_pattern(const char *q);

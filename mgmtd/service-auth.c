/*
 * service-auth.c - who is acting: admin login + password, API bearer
 * tokens, session admin ids; and token creation / listing / revocation.
 *
 * Called by the API (every request carries a token), the login page and
 * the session code.  Unprivileged.  Passwords are checked with Argon2id
 * (lib/password.h), also for unknown logins so that timing does not tell
 * which logins exist; tokens are looked up by their SHA-256.  Database
 * trouble -> SVC_TEMPFAIL, never an identity.
 */
#include "service-db.h"
#include "service-sql.h"

#include "log.h"
#include "password.h"
#include "str.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define TOKEN_PREFIX	   "cst_"
#define TOKEN_RANDOM_BYTES 32

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[PASSWORD_HASH_MAX];

static void
dummy_hash_init(void)
{
	if (password_hash("casier-dummy-password-1", dummy_hash) < 0)
		dummy_hash[0] = '\0';
}

static void
svc_identity_from_row(const PGresult *r, struct svc_identity *id_r)
{
	memset(id_r, 0, sizeof(*id_r));
	id_r->admin_id = svc_ll(r, 0, 0);
	svc_copy(id_r->login, sizeof(id_r->login), PQgetvalue(r, 0, 1));
	id_r->superuser = svc_bool(r, 0, 2);
	svc_copy(id_r->language, sizeof(id_r->language), PQgetvalue(r, 0, 3));
}

int
svc_auth_password(const struct svc *svc, const char *login,
		  const char *password, struct svc_identity *id_r,
		  struct svc_result *res)
{
	struct db_conn *conn;
	const char *p[1];
	PGresult *r;
	int n;
	enum password_check ok;

	if (login == NULL || password == NULL || login[0] == '\0' ||
	    strlen(login) > 64 || strlen(password) > PASSWORD_MAX_LEN) {
		svc_result_set(res, SVC_UNAUTHORIZED, "",
			       "wrong login or password");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	p[0] = login;
	n = svc_sql(conn,
		    "SELECT id, login, superuser, language, password_hash "
		    "FROM admin WHERE login = lower($1) AND active",
		    1, p, &r, res);
	svc_conn_put(svc, &conn);
	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		(void)pthread_once(&dummy_once, dummy_hash_init);
		if (dummy_hash[0] != '\0')
			(void)password_verify(dummy_hash, password);
		svc_result_set(res, SVC_UNAUTHORIZED, "",
			       "wrong login or password");
		return -1;
	}
	ok = password_verify(PQgetvalue(r, 0, 4), password);
	if (ok != PASSWORD_MATCH) {
		PQclear(r);
		if (ok == PASSWORD_ERROR) {
			log_error("web: cannot verify the password of an "
				  "admin (bad hash or out of memory)");
			svc_result_set(res, SVC_TEMPFAIL, "",
				       "cannot check the password now");
		} else {
			svc_result_set(res, SVC_UNAUTHORIZED, "",
				       "wrong login or password");
		}
		return -1;
	}
	svc_identity_from_row(r, id_r);
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

/* "\x" + hex of SHA-256(token): a bytea parameter in text form. */
static void
token_hash_param(const char *token, char out[2 + 64 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 65, h, sizeof(h));
}

int
svc_auth_token(const struct svc *svc, const char *token,
	       struct svc_identity *id_r, struct svc_result *res)
{
	struct db_conn *conn;
	char hash[2 + 64 + 1];
	const char *p[1];
	PGresult *r;
	int n;

	if (token == NULL || strncmp(token, TOKEN_PREFIX, 4) != 0 ||
	    strlen(token) > SVC_TOKEN_MAX) {
		svc_result_set(res, SVC_UNAUTHORIZED, "", "invalid token");
		return -1;
	}
	token_hash_param(token, hash);
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	p[0] = hash;
	n = svc_sql_named(conn, "svc_token", 1, p, &r, res);
	svc_conn_put(svc, &conn);
	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_UNAUTHORIZED, "", "invalid token");
		return -1;
	}
	svc_identity_from_row(r, id_r);
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

int
svc_auth_admin_id(const struct svc *svc, long long admin_id,
		  struct svc_identity *id_r, struct svc_result *res)
{
	struct db_conn *conn;
	char aid[24];
	const char *p[1];
	PGresult *r;
	int n;

	(void)casier_snprintf(aid, sizeof(aid), "%lld", admin_id);
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	p[0] = aid;
	n = svc_sql(conn,
		    "SELECT id, login, superuser, language FROM admin WHERE "
		    "id = $1::bigint AND active",
		    1, p, &r, res);
	svc_conn_put(svc, &conn);
	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_UNAUTHORIZED, "", "no such admin");
		return -1;
	}
	svc_identity_from_row(r, id_r);
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

/* The admin a token operation is about: self, or (superuser) another. */
static int
token_target_admin(struct db_conn *conn, const struct svc_identity *id,
		   const char *login, long long *admin_id_r, char *login_r,
		   size_t login_size, struct svc_result *res)
{
	const char *p[1];
	PGresult *r;
	int n;

	if (login == NULL || strcmp(login, id->login) == 0) {
		*admin_id_r = id->admin_id;
		svc_copy(login_r, login_size, id->login);
		return 0;
	}
	if (!id->superuser) {
		svc_result_set(res, SVC_FORBIDDEN, "",
			       "only the superuser manages other admins' "
			       "tokens");
		return -1;
	}
	p[0] = login;
	n = svc_sql(conn, "SELECT id, login FROM admin WHERE login = $1", 1, p,
		    &r, res);
	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "", "no such admin");
		return -1;
	}
	*admin_id_r = svc_ll(r, 0, 0);
	svc_copy(login_r, login_size, PQgetvalue(r, 0, 1));
	PQclear(r);
	return 0;
}

int
svc_token_create(const struct svc *svc, const struct svc_identity *id,
		 const char *login, const char *name,
		 char token_r[SVC_TOKEN_MAX + 1], struct svc_result *res)
{
	unsigned char rnd[TOKEN_RANDOM_BYTES];
	char b64[sodium_base64_ENCODED_LEN(
	    TOKEN_RANDOM_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char hash[2 + 64 + 1], aid[24], tlogin[65], after[160];
	struct db_conn *conn;
	long long admin_id;
	const char *p[3];
	PGresult *r;

	if (name != NULL && strlen(name) > 64) {
		svc_result_set(res, SVC_INVALID, "name", "at most 64 bytes");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (token_target_admin(conn, id, login, &admin_id, tlogin,
			       sizeof(tlogin), res) < 0)
		goto rollback;
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2base64(b64, sizeof(b64), rnd, sizeof(rnd),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
	if (casier_snprintf(token_r, SVC_TOKEN_MAX + 1, "%s%s", TOKEN_PREFIX,
			    b64) < 0) {
		svc_result_set(res, SVC_TEMPFAIL, "", "internal error");
		goto rollback;
	}
	token_hash_param(token_r, hash);
	(void)casier_snprintf(aid, sizeof(aid), "%lld", admin_id);
	p[0] = hash;
	p[1] = aid;
	p[2] = name != NULL ? name : "";
	if (svc_sql(conn,
		    "INSERT INTO api_token (token_hash, admin_id, name) VALUES "
		    "($1::bytea, $2::bigint, $3) RETURNING id",
		    3, p, &r, res) < 0)
		goto rollback;
	(void)casier_snprintf(after, sizeof(after), "{\"token_id\":%s}",
			      PQgetvalue(r, 0, 0));
	PQclear(r);
	if (svc_audit_add(conn, id, 0, NULL, "token.create", tlogin, NULL,
			  after, res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	sodium_memzero(token_r, SVC_TOKEN_MAX + 1);
	return -1;
}

int
svc_token_list(const struct svc *svc, const struct svc_identity *id,
	       const char *login, struct svc_token **out_r, size_t *n_r,
	       struct svc_result *res)
{
	struct db_conn *conn;
	char aid[24], tlogin[65];
	long long admin_id;
	const char *p[1];
	PGresult *r;
	int n;

	*out_r = NULL;
	*n_r = 0;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (token_target_admin(conn, id, login, &admin_id, tlogin,
			       sizeof(tlogin), res) < 0) {
		svc_conn_put(svc, &conn);
		return -1;
	}
	(void)casier_snprintf(aid, sizeof(aid), "%lld", admin_id);
	p[0] = aid;
	n = svc_sql(conn,
		    "SELECT id, name, to_char(created_at AT TIME ZONE 'UTC', "
		    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), coalesce(to_char("
		    "last_used_at AT TIME ZONE 'UTC', "
		    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '') FROM api_token "
		    "WHERE admin_id = $1::bigint AND revoked_at IS NULL "
		    "ORDER BY id",
		    1, p, &r, res);
	svc_conn_put(svc, &conn);
	if (n < 0)
		return -1;
	if (PQntuples(r) > 0) {
		*out_r = calloc((size_t)PQntuples(r), sizeof(**out_r));
		if (*out_r == NULL) {
			PQclear(r);
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			return -1;
		}
	}
	for (int i = 0; i < PQntuples(r); i++) {
		struct svc_token *t = &(*out_r)[i];

		t->id = svc_ll(r, i, 0);
		svc_copy(t->name, sizeof(t->name), PQgetvalue(r, i, 1));
		svc_copy(t->created_at, sizeof(t->created_at),
			 PQgetvalue(r, i, 2));
		svc_copy(t->last_used_at, sizeof(t->last_used_at),
			 PQgetvalue(r, i, 3));
	}
	*n_r = (size_t)PQntuples(r);
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

int
svc_token_revoke(const struct svc *svc, const struct svc_identity *id,
		 long long token_id, struct svc_result *res)
{
	struct db_conn *conn;
	char tid[24], aid[24];
	const char *p[3];
	PGresult *r;
	int n;

	(void)casier_snprintf(tid, sizeof(tid), "%lld", token_id);
	(void)casier_snprintf(aid, sizeof(aid), "%lld", id->admin_id);
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	p[0] = tid;
	p[1] = aid;
	p[2] = id->superuser ? "t" : "f";
	n = svc_sql(conn,
		    "UPDATE api_token t SET revoked_at = now() FROM admin a "
		    "WHERE t.id = $1::bigint AND a.id = t.admin_id AND "
		    "t.revoked_at IS NULL AND (t.admin_id = $2::bigint OR "
		    "$3::boolean) RETURNING a.login",
		    3, p, &r, res);
	if (n < 0)
		goto rollback;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "", "no such token");
		goto rollback;
	}
	{
		char before[64];

		(void)casier_snprintf(before, sizeof(before),
				      "{\"token_id\":%lld}", token_id);
		n = svc_audit_add(conn, id, 0, NULL, "token.revoke",
				  PQgetvalue(r, 0, 0), before, NULL, res);
		PQclear(r);
		if (n < 0)
			goto rollback;
	}
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	return -1;
}

/*
 * session.c - sessions, CSRF tokens and login throttling (session.h).
 *
 * Called by the page handlers of casier-mgmtd (unprivileged) on every
 * HTML request.  Randomness comes from libsodium (randombytes_buf, the
 * kernel CSPRNG); only SHA-256 hashes of session ids reach PostgreSQL.
 * Database trouble is reported as -1 / CASIER_LOOKUP_ERROR and the caller
 * answers 503 -- never "logged in" and never "logged out".
 */
#include "session.h"

#include "db.h"
#include "log.h"
#include "str.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
session_random_token(char out[SESSION_ID_LEN + 1])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, SESSION_ID_LEN + 1, raw, sizeof(raw),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

/* "\\x<64 hex>" bytea text of SHA-256(cookie); false when malformed. */
static bool
cookie_hash(const char *cookie, char out[2 + 64 + 1])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	size_t len;

	if (cookie == NULL)
		return false;
	len = strlen(cookie);
	if (len != SESSION_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = cookie[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	crypto_hash_sha256(h, (const unsigned char *)cookie, len);
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 65, h, sizeof(h));
	return true;
}

static void
log_db_error(const char *what, const struct db_error *err)
{
	log_error("session: %s: %s (%s)", what, err->message, err->sqlstate);
}

/* Run one statement on a pooled connection; res_r may be NULL. */
static enum casier_lookup
run(struct db_pool *db, const char *what, const char *sql, int nparams,
    const char *const *params, PGresult **res_r)
{
	struct db_error err;
	struct db_conn *conn = db_pool_get(db, &err);
	PGresult *res = NULL;
	enum casier_lookup lk;

	if (conn == NULL) {
		log_db_error(what, &err);
		return CASIER_LOOKUP_ERROR;
	}
	lk = db_exec_params(conn, sql, nparams, params, &res, &err);
	db_pool_put(db, &conn);
	if (lk == CASIER_LOOKUP_ERROR) {
		log_db_error(what, &err);
		return lk;
	}
	if (res_r != NULL)
		*res_r = res;
	else
		PQclear(res);
	return lk;
}

int
session_create(struct db_pool *db, long long admin_id, const char *language,
	       long long absolute_seconds, long long idle_seconds,
	       char id_r[SESSION_ID_LEN + 1], struct session *sess_r)
{
	char hash[67], admin[24], absolute[24], idle[24];
	const char *lang =
	    language != NULL && language[0] != '\0' ? language : NULL;

	session_random_token(id_r);
	memset(sess_r, 0, sizeof(*sess_r));
	session_random_token(sess_r->csrf);
	sess_r->admin_id = admin_id;
	if (lang != NULL)
		(void)casier_snprintf(sess_r->language,
				      sizeof(sess_r->language), "%s", lang);
	if (!cookie_hash(id_r, hash) ||
	    casier_snprintf(admin, sizeof(admin), "%lld", admin_id) < 0 ||
	    casier_snprintf(absolute, sizeof(absolute), "%lld",
			    absolute_seconds) < 0 ||
	    casier_snprintf(idle, sizeof(idle), "%lld", idle_seconds) < 0)
		return -1;
	{
		char window[24];
		const char *p[] = {idle};
		const char *pw[] = {window};

		(void)casier_snprintf(window, sizeof(window), "%d",
				      SESSION_THROTTLE_WINDOW);
		/* housekeeping; failure here is not fatal */
		(void)run(db, "expire",
			  "DELETE FROM admin_session WHERE expires_at < now() "
			  "OR last_seen_at < now() - make_interval(secs => "
			  "$1::bigint)",
			  1, p, NULL);
		(void)run(db, "expire failures",
			  "DELETE FROM web_login_failure WHERE window_start < "
			  "now() - make_interval(secs => 2 * $1::bigint)",
			  1, pw, NULL);
	}
	{
		const char *p[] = {hash, admin, sess_r->csrf, lang, absolute};

		if (run(db, "create",
			"INSERT INTO admin_session (id_hash, admin_id, "
			"csrf_token, language, expires_at) VALUES ($1::bytea, "
			"$2::bigint, $3, $4, now() + make_interval(secs => "
			"$5::bigint))",
			5, p, NULL) == CASIER_LOOKUP_ERROR)
			return -1;
	}
	return 0;
}

enum casier_lookup
session_lookup(struct db_pool *db, const char *cookie, long long idle_seconds,
	       struct session *sess_r)
{
	char hash[67], idle[24];
	PGresult *res = NULL;
	enum casier_lookup lk;

	memset(sess_r, 0, sizeof(*sess_r));
	if (!cookie_hash(cookie, hash))
		return CASIER_ABSENT;
	if (casier_snprintf(idle, sizeof(idle), "%lld", idle_seconds) < 0)
		return CASIER_LOOKUP_ERROR;
	const char *p[] = {hash, idle};

	lk = run(db, "lookup",
		 "UPDATE admin_session SET last_seen_at = now() "
		 "WHERE id_hash = $1::bytea AND expires_at > now() "
		 "AND last_seen_at > now() - make_interval(secs => $2::bigint) "
		 "RETURNING admin_id, csrf_token, coalesce(language, '')",
		 2, p, &res);
	if (lk != CASIER_FOUND) {
		PQclear(res);
		return lk;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		return CASIER_ABSENT;
	}
	sess_r->admin_id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	if (casier_snprintf(sess_r->csrf, sizeof(sess_r->csrf), "%s",
			    PQgetvalue(res, 0, 1)) < 0)
		sess_r->csrf[0] = '\0';
	if (casier_snprintf(sess_r->language, sizeof(sess_r->language), "%s",
			    PQgetvalue(res, 0, 2)) < 0)
		sess_r->language[0] = '\0';
	PQclear(res);
	return sess_r->csrf[0] == '\0' ? CASIER_LOOKUP_ERROR : CASIER_FOUND;
}

int
session_destroy(struct db_pool *db, const char *cookie)
{
	char hash[67];

	if (!cookie_hash(cookie, hash))
		return 0;
	const char *p[] = {hash};

	return run(db, "destroy",
		   "DELETE FROM admin_session WHERE id_hash = $1::bytea", 1, p,
		   NULL) == CASIER_LOOKUP_ERROR
		   ? -1
		   : 0;
}

int
session_set_language(struct db_pool *db, const char *cookie,
		     const char *language)
{
	char hash[67];

	if (!cookie_hash(cookie, hash))
		return 0;
	const char *p[] = {hash, language};

	return run(db, "language",
		   "UPDATE admin_session SET language = $2 "
		   "WHERE id_hash = $1::bytea",
		   2, p, NULL) == CASIER_LOOKUP_ERROR
		   ? -1
		   : 0;
}

bool
session_token_equal(const char *expected, const char *given)
{
	size_t n;

	if (expected == NULL || given == NULL)
		return false;
	n = strlen(expected);
	if (n == 0 || strlen(given) != n)
		return false;
	return sodium_memcmp(expected, given, n) == 0;
}

int
session_cookie_format(char *out, size_t outsize, const char *name,
		      const char *value, bool secure, long long max_age)
{
	return casier_snprintf(out, outsize,
			       "%s=%s; Path=/; Max-Age=%lld; HttpOnly; "
			       "SameSite=Strict%s",
			       name, value, max_age,
			       secure ? "; Secure" : "") < 0
		   ? -1
		   : 0;
}

enum casier_lookup
session_throttle_check(struct db_pool *db, const char *ip, const char *login)
{
	char window[24], per_ip[24], per_login[24];
	PGresult *res = NULL;
	enum casier_lookup lk;
	bool over;

	(void)casier_snprintf(window, sizeof(window), "%d",
			      SESSION_THROTTLE_WINDOW);
	(void)casier_snprintf(per_ip, sizeof(per_ip), "%d",
			      SESSION_THROTTLE_PER_IP);
	(void)casier_snprintf(per_login, sizeof(per_login), "%d",
			      SESSION_THROTTLE_PER_LOGIN);
	const char *p[] = {ip, login, window, per_ip, per_login};

	lk = run(db, "throttle check",
		 "SELECT EXISTS (SELECT 1 FROM web_login_failure WHERE "
		 "window_start > now() - make_interval(secs => $3::bigint) "
		 "AND ((kind = 'ip' AND key = $1 AND failures >= $4::int) "
		 "OR (kind = 'login' AND key = lower($2) "
		 "AND failures >= $5::int)))",
		 5, p, &res);
	if (lk == CASIER_LOOKUP_ERROR)
		return lk;
	over = lk == CASIER_FOUND && PQntuples(res) == 1 &&
	       strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	return over ? CASIER_FOUND : CASIER_ABSENT;
}

int
session_throttle_fail(struct db_pool *db, const char *ip, const char *login)
{
	char window[24];
	char keylogin[129];

	(void)casier_snprintf(window, sizeof(window), "%d",
			      SESSION_THROTTLE_WINDOW);
	/* cap what we store: a login is at most 64 bytes anyway */
	if (casier_snprintf(keylogin, sizeof(keylogin), "%s",
			    login[0] == '\0' ? "-" : login) < 0)
		keylogin[128] = '\0';
	const char *p[] = {ip, keylogin, window};

	return run(db, "throttle fail",
		   "INSERT INTO web_login_failure AS f (kind, key, failures) "
		   "VALUES ('ip', $1, 1), ('login', lower($2), 1) "
		   "ON CONFLICT (kind, key) DO UPDATE SET "
		   "failures = CASE WHEN f.window_start < now() - "
		   "make_interval(secs => $3::bigint) THEN 1 "
		   "ELSE f.failures + 1 END, "
		   "window_start = CASE WHEN f.window_start < now() - "
		   "make_interval(secs => $3::bigint) THEN now() "
		   "ELSE f.window_start END",
		   3, p, NULL) == CASIER_LOOKUP_ERROR
		   ? -1
		   : 0;
}

int
session_throttle_success(struct db_pool *db, const char *login)
{
	const char *p[] = {login};

	return run(db, "throttle reset",
		   "DELETE FROM web_login_failure WHERE kind = 'login' "
		   "AND key = lower($1)",
		   1, p, NULL) == CASIER_LOOKUP_ERROR
		   ? -1
		   : 0;
}

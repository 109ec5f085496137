/*
 * session.h - web manager sessions, CSRF tokens and login throttling.
 *
 * A session id is 256 random bits from libsodium, sent to the browser
 * base64url-encoded in the cookie "casier_session" (HttpOnly,
 * SameSite=Strict, Path=/, Secure on HTTPS).  Only its SHA-256 is stored
 * (table admin_session), with an absolute expiry (expires_at) and an
 * idle expiry (last_seen_at + idle seconds).  Each session has its own
 * random CSRF token that every POST must carry (compared in constant
 * time).  Failed logins are counted per IP and per login in SQL
 * (web_login_failure, sql/025) so throttling holds across processes.
 */
#ifndef CASIER_MGMTD_SESSION_H
#define CASIER_MGMTD_SESSION_H

#include "casier.h"

struct db_pool;

#define SESSION_COOKIE	  "casier_session"
#define SESSION_ID_LEN	  43 /* base64url of 32 bytes, no padding */
#define SESSION_TOKEN_MAX 64

/* Throttling: at most this many failures per window, then refused. */
#define SESSION_THROTTLE_WINDOW	   900 /* seconds */
#define SESSION_THROTTLE_PER_LOGIN 5
#define SESSION_THROTTLE_PER_IP	   30

struct session {
	long long admin_id;
	char csrf[SESSION_ID_LEN + 1];
	char language[3]; /* "" = none chosen in this session */
};

/* A new random token (session id, CSRF token): 43 base64url chars. */
void session_random_token(char out[SESSION_ID_LEN + 1]);

/*
 * Create a session for admin_id (language may be NULL); id_r gets the
 * cookie value.  Also removes expired sessions.  0, or -1 (database).
 */
int session_create(struct db_pool *db, long long admin_id, const char *language,
		   long long absolute_seconds, long long idle_seconds,
		   char id_r[SESSION_ID_LEN + 1], struct session *sess_r);
/*
 * Find the live session of a cookie value and refresh its idle timer.
 * CASIER_FOUND, CASIER_ABSENT (no cookie, malformed, unknown, expired)
 * or CASIER_LOOKUP_ERROR.
 */
enum casier_lookup session_lookup(struct db_pool *db, const char *cookie,
				  long long idle_seconds,
				  struct session *sess_r);
int session_destroy(struct db_pool *db, const char *cookie);
int session_set_language(struct db_pool *db, const char *cookie,
			 const char *language);
/* Constant-time comparison of the expected token with the one sent. */
bool session_token_equal(const char *expected, const char *given);

/* "casier_session=ID; Path=/; HttpOnly; SameSite=Strict[; Secure]";
 * id "" with max_age 0 clears the cookie.  0 or -1 (does not fit). */
int session_cookie_format(char *out, size_t outsize, const char *name,
			  const char *value, bool secure, long long max_age);

/*
 * Throttling.  session_throttle_check: CASIER_FOUND when the IP or the
 * login is over its limit (refuse the attempt without checking the
 * password), CASIER_ABSENT when allowed, CASIER_LOOKUP_ERROR.
 */
enum casier_lookup session_throttle_check(struct db_pool *db, const char *ip,
					  const char *login);
int session_throttle_fail(struct db_pool *db, const char *ip,
			  const char *login);
/* A successful login clears the per-login counter. */
int session_throttle_success(struct db_pool *db, const char *login);

#endif

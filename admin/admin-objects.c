/*
 * admin-objects.c - casier-admin commands that create or change objects:
 * superuser, admin-add, token, domain-add, alias-domain-add, account-add,
 * account-set, account-password.
 *
 * Each command validates its arguments first (exit 64/65 with the field
 * and the reason, before touching the database), then makes its change
 * and its audit_log row (actor 'cli') in one transaction, so a refused
 * change leaves nothing behind.  Passwords come from $CASIER_PASSWORD
 * or one line of standard input and are checked against the policy of
 * DESIGN section 9; only their Argon2id hash is stored.
 */
#include "address.h"
#include "admin.h"
#include "command.h"
#include "log.h"
#include "password.h"
#include "str.h"

#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define TOKEN_PREFIX	   "cst_"
#define TOKEN_RANDOM_BYTES 32
#define QUOTA_MB_MAX	   16777216LL /* 16 TiB, well inside bigint bytes */
#define MAX_ACCOUNTS_MAX   10000000LL
#define FLUSH_TIMEOUT_MS   10000

/* ---- small helpers ---------------------------------------------------- */

/* A non-negative decimal integer within [0, max]; -1 otherwise. */
static long long
parse_count(const char *s, long long max)
{
	long long v = 0;

	if (*s == '\0' || strlen(s) > 19)
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0'); /* <= 19 digits checked below */
		if (v > max)
			return -1;
	}
	return v;
}

/* Admin logins: the rule of the admin table, after lower-casing. */
static int
login_normalize(const char *in, char *out, size_t outsize)
{
	size_t len = strlen(in);

	if (len < 2 || len > 64 || len >= outsize)
		return -1;
	memcpy(out, in, len + 1);
	casier_ascii_lower(out);
	if (!((out[0] >= 'a' && out[0] <= 'z') ||
	      (out[0] >= '0' && out[0] <= '9')))
		return -1;
	for (size_t i = 1; i < len; i++) {
		char c = out[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '@' || c == '-'))
			return -1;
	}
	return 0;
}

/* Usernames: prefix [a-z][a-z0-9]{1,15} + at least 4 digits. */
static int
username_normalize(const char *in, char *out, size_t outsize)
{
	size_t len = strlen(in), digits = 0;

	if (len < 6 || len > 40 || len >= outsize)
		return -1;
	memcpy(out, in, len + 1);
	casier_ascii_lower(out);
	if (out[0] < 'a' || out[0] > 'z')
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = out[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			return -1;
	}
	while (digits < len && out[len - 1 - digits] >= '0' &&
	       out[len - 1 - digits] <= '9')
		digits++;
	return digits >= 4 && len - digits >= 2 ? 0 : -1;
}

static int
prefix_valid(const char *p)
{
	size_t len = strlen(p);

	if (len < 2 || len > 16 || p[0] < 'a' || p[0] > 'z')
		return -1;
	for (size_t i = 1; i < len; i++) {
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9')))
			return -1;
	}
	return 0;
}

/* A compact JSON text of obj (consumed); NULL on allocation failure. */
static char *
json_text(json_t *obj)
{
	char *s = NULL;

	if (obj != NULL) {
		s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
		json_decref(obj);
	}
	return s;
}

int
admin_audit(struct admin_ctx *ctx, const char *domain_id,
	    const char *domain_name, const char *action, const char *object,
	    const char *before_json, const char *after_json,
	    struct db_error *err_r)
{
	const char *params[] = {domain_id, domain_name, action,
				object,	   before_json, after_json};
	PGresult *res;

	if (db_exec_params(ctx->conn,
			   "INSERT INTO audit_log (actor, domain_id, "
			   "domain_name, action, object, before, after) "
			   "VALUES ('cli', $1::bigint, $2, $3, $4, $5::jsonb, "
			   "$6::jsonb)",
			   6, params, &res, err_r) == CASIER_LOOKUP_ERROR)
		return -1;
	PQclear(res);
	return 0;
}

/* Read one line without echo when standard input is a terminal. */
static ssize_t
read_password_line(char **line, size_t *cap, const char *prompt)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) == 1;
	ssize_t n;

	if (tty) {
		(void)fprintf(stderr, "%s", prompt);
		if (tcgetattr(STDIN_FILENO, &old) == 0) {
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
		} else {
			tty = false;
		}
	}
	n = getline(line, cap, stdin);
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		(void)fprintf(stderr, "\n");
	}
	if (n > 0 && (*line)[n - 1] == '\n')
		(*line)[--n] = '\0';
	if (n > 0 && (*line)[n - 1] == '\r')
		(*line)[--n] = '\0';
	return n;
}

int
admin_new_password(const struct admin_ctx *ctx, const char *local_part,
		   const char *username, char *hash, size_t hashsize)
{
	const char *env = getenv("CASIER_PASSWORD");
	char *line = NULL, *again = NULL, errbuf[512];
	size_t cap = 0, cap2 = 0;
	const char *password, *reason;
	struct wordlist *wl;
	int rc = 0;

	if (hashsize < PASSWORD_HASH_MAX)
		return EX_SOFTWARE;
	if (env != NULL) {
		password = env;
	} else {
		ssize_t n = read_password_line(&line, &cap, "Password: ");

		if (n < 0) {
			free(line);
			admin_err("password: none given (set CASIER_PASSWORD "
				  "or write it on standard input)");
			return EX_DATAERR;
		}
		if (strlen(line) != (size_t)n) {
			free(line);
			admin_err("password: contains a NUL byte");
			return EX_DATAERR;
		}
		if (isatty(STDIN_FILENO) == 1 &&
		    (read_password_line(&again, &cap2, "Again: ") < 0 ||
		     strcmp(line, again) != 0)) {
			admin_err("password: the two entries differ");
			rc = EX_DATAERR;
			goto out;
		}
		password = line;
	}
	wl = wordlist_load(ctx->cfg->wordlist, errbuf, sizeof(errbuf));
	if (wl == NULL) {
		admin_err("cannot load the word list ([web] wordlist): %s",
			  errbuf);
		rc = EX_CONFIG;
		goto out;
	}
	if (!password_policy_ok(password, local_part, username, wl, &reason)) {
		admin_err("password: %s", reason);
		rc = EX_DATAERR;
	} else if (password_hash(password, hash) < 0) {
		admin_err("password: hashing failed (out of memory?)");
		rc = EX_TEMPFAIL;
	}
	wordlist_free(&wl);
out:
	if (line != NULL)
		sodium_memzero(line, cap);
	if (again != NULL)
		sodium_memzero(again, cap2);
	free(line);
	free(again);
	return rc;
}

/* Run one parameterised statement; on error print and give the code. */
static int
exec_or_exit(struct admin_ctx *ctx, const char *what, const char *sql,
	     int nparams, const char *const *params, PGresult **res_r,
	     enum casier_lookup *found_r)
{
	struct db_error err;
	enum casier_lookup r;

	r = db_exec_params(ctx->conn, sql, nparams, params, res_r, &err);
	if (found_r != NULL)
		*found_r = r;
	if (r == CASIER_LOOKUP_ERROR)
		return admin_db_exit(&err, what);
	return 0;
}

static int
begin_or_exit(struct admin_ctx *ctx)
{
	struct db_error err;

	if (db_begin(ctx->conn, &err) < 0)
		return admin_db_exit(&err, "cannot start a transaction");
	return 0;
}

static int
commit_or_exit(struct admin_ctx *ctx)
{
	struct db_error err;

	if (db_commit(ctx->conn, &err) < 0)
		return admin_db_exit(&err, "commit failed");
	return 0;
}

static int
audit_or_exit(struct admin_ctx *ctx, const char *domain_id,
	      const char *domain_name, const char *action, const char *object,
	      json_t *before, json_t *after)
{
	char *b = json_text(before), *a = json_text(after);
	struct db_error err;
	int rc = 0;

	if ((before != NULL && b == NULL) || (after != NULL && a == NULL)) {
		admin_err("out of memory");
		rc = EX_TEMPFAIL;
	} else if (admin_audit(ctx, domain_id, domain_name, action, object, b,
			       a, &err) < 0) {
		rc = admin_db_exit(&err, "cannot write the audit log");
	}
	free(b);
	free(a);
	return rc;
}

/* Domain id of a primary domain name (normalised); 0 or exit code. */
static int
domain_lookup(struct admin_ctx *ctx, const char *name, char *id, size_t idsize)
{
	const char *params[] = {name};
	enum casier_lookup found;
	PGresult *res;
	int rc;

	rc = exec_or_exit(ctx, "domain lookup",
			  "SELECT id FROM domain WHERE name = $1", 1, params,
			  &res, &found);
	if (rc != 0)
		return rc;
	if (found == CASIER_ABSENT) {
		PQclear(res);
		admin_err("unknown domain %s", name);
		return EX_UNAVAILABLE;
	}
	(void)casier_snprintf(id, idsize, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* ---- admins and tokens ------------------------------------------------ */

int
admin_cmd_superuser(struct admin_ctx *ctx, int argc, char **argv)
{
	char login[80], hash[PASSWORD_HASH_MAX];
	const char *params[2];
	enum casier_lookup found;
	PGresult *res;
	bool existed;
	int rc;

	if (argc != 2)
		return EX_USAGE;
	if (login_normalize(argv[1], login, sizeof(login)) < 0) {
		admin_err("login: 2 to 64 of a-z 0-9 . _ @ -, starting with a "
			  "letter or digit");
		return EX_DATAERR;
	}
	rc = admin_new_password(ctx, NULL, login, hash, sizeof(hash));
	if (rc == 0)
		rc = admin_connect(ctx);
	if (rc == 0)
		rc = begin_or_exit(ctx);
	if (rc != 0)
		return rc;
	params[0] = login;
	params[1] = hash;
	rc = exec_or_exit(ctx, "superuser",
			  "UPDATE admin SET password_hash = $2, superuser = "
			  "true, active = true, updated_at = now() "
			  "WHERE login = $1 RETURNING id",
			  2, params, &res, &found);
	if (rc != 0)
		return rc;
	PQclear(res);
	existed = found == CASIER_FOUND;
	if (!existed) {
		rc = exec_or_exit(ctx, "superuser",
				  "INSERT INTO admin (login, password_hash, "
				  "superuser) VALUES ($1, $2, true)",
				  2, params, &res, NULL);
		if (rc != 0)
			return rc;
		PQclear(res);
	}
	rc = audit_or_exit(ctx, NULL, NULL,
			   existed ? "admin.password_reset" : "admin.create",
			   login, NULL,
			   json_pack("{s:s,s:b,s:b}", "login", login,
				     "superuser", 1, "active", 1));
	if (rc == 0)
		rc = commit_or_exit(ctx);
	if (rc == 0)
		(void)printf(existed ? "superuser %s: password reset\n"
				     : "superuser %s created\n",
			     login);
	return rc;
}

int
admin_cmd_admin_add(struct admin_ctx *ctx, int argc, char **argv)
{
	char login[80], hash[PASSWORD_HASH_MAX], id[32], admin_id[32];
	char(*domains)[ADDRESS_DOMAIN_MAX + 1] = NULL;
	const char *params[2], *error;
	json_t *names;
	PGresult *res;
	int rc, n = argc - 2;

	if (argc < 3)
		return EX_USAGE;
	if (login_normalize(argv[1], login, sizeof(login)) < 0) {
		admin_err("login: 2 to 64 of a-z 0-9 . _ @ -, starting with a "
			  "letter or digit");
		return EX_DATAERR;
	}
	domains = calloc((size_t)n, sizeof(*domains));
	names = json_array();
	if (domains == NULL || names == NULL) {
		free(domains);
		json_decref(names);
		admin_err("out of memory");
		return EX_TEMPFAIL;
	}
	for (int i = 0; i < n; i++) {
		if (address_domain_normalize(argv[i + 2], domains[i],
					     sizeof(domains[i]), &error) < 0) {
			admin_err("domain \"%s\": %s", argv[i + 2], error);
			rc = EX_DATAERR;
			goto out;
		}
		(void)json_array_append_new(names, json_string(domains[i]));
	}
	rc = admin_new_password(ctx, NULL, login, hash, sizeof(hash));
	if (rc == 0)
		rc = admin_connect(ctx);
	if (rc == 0)
		rc = begin_or_exit(ctx);
	if (rc != 0)
		goto out;
	params[0] = login;
	params[1] = hash;
	rc = exec_or_exit(ctx, "admin-add",
			  "INSERT INTO admin (login, password_hash) "
			  "VALUES ($1, $2) RETURNING id",
			  2, params, &res, NULL);
	if (rc != 0)
		goto out;
	(void)casier_snprintf(admin_id, sizeof(admin_id), "%s",
			      PQgetvalue(res, 0, 0));
	PQclear(res);
	for (int i = 0; i < n; i++) {
		rc = domain_lookup(ctx, domains[i], id, sizeof(id));
		if (rc != 0)
			goto out;
		params[0] = admin_id;
		params[1] = id;
		rc = exec_or_exit(ctx, "admin-add",
				  "INSERT INTO admin_domain (admin_id, "
				  "domain_id) VALUES ($1::bigint, $2::bigint) "
				  "ON CONFLICT DO NOTHING",
				  2, params, &res, NULL);
		if (rc != 0)
			goto out;
		PQclear(res);
	}
	rc = audit_or_exit(ctx, NULL, NULL, "admin.create", login, NULL,
			   json_pack("{s:s,s:b,s:O}", "login", login,
				     "superuser", 0, "domains", names));
	if (rc == 0)
		rc = commit_or_exit(ctx);
	if (rc == 0)
		(void)printf("admin %s created\n", login);
out:
	json_decref(names);
	free(domains);
	return rc;
}

int
admin_cmd_token(struct admin_ctx *ctx, int argc, char **argv)
{
	unsigned char raw[TOKEN_RANDOM_BYTES], digest[crypto_hash_sha256_BYTES];
	char token[sizeof(TOKEN_PREFIX) +
		   sodium_base64_ENCODED_LEN(
		       TOKEN_RANDOM_BYTES,
		       sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	char login[80], hexhash[2 + 2 * sizeof(digest) + 1];
	const char *name = argc == 3 ? argv[2] : "";
	const char *params[3];
	enum casier_lookup found;
	PGresult *res;
	int rc;

	if (argc != 2 && argc != 3)
		return EX_USAGE;
	if (login_normalize(argv[1], login, sizeof(login)) < 0) {
		admin_err("login: not a valid admin login");
		return EX_DATAERR;
	}
	if (strlen(name) > 100 || !casier_utf8_valid(name, strlen(name))) {
		admin_err("name: at most 100 characters of UTF-8");
		return EX_DATAERR;
	}
	/* cst_ + base64url(32 random bytes), no padding: 47 characters. */
	randombytes_buf(raw, sizeof(raw));
	memcpy(token, TOKEN_PREFIX, sizeof(TOKEN_PREFIX) - 1);
	(void)sodium_bin2base64(token + sizeof(TOKEN_PREFIX) - 1,
				sizeof(token) - (sizeof(TOKEN_PREFIX) - 1), raw,
				sizeof(raw),
				sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
	/* Stored: SHA-256 of the whole printed token (docs/admin-cli.md). */
	crypto_hash_sha256(digest, (const unsigned char *)token, strlen(token));
	memcpy(hexhash, "\\x", 2);
	(void)sodium_bin2hex(hexhash + 2, sizeof(hexhash) - 2, digest,
			     sizeof(digest));

	rc = admin_connect(ctx);
	if (rc == 0)
		rc = begin_or_exit(ctx);
	if (rc != 0)
		return rc;
	params[0] = login;
	params[1] = hexhash;
	params[2] = name;
	rc = exec_or_exit(ctx, "token",
			  "INSERT INTO api_token (token_hash, admin_id, name) "
			  "SELECT $2::bytea, id, $3 FROM admin "
			  "WHERE login = $1 AND active RETURNING id",
			  3, params, &res, &found);
	if (rc != 0)
		return rc;
	if (found == CASIER_ABSENT) {
		PQclear(res);
		admin_err("unknown or inactive admin %s", login);
		return EX_UNAVAILABLE;
	}
	rc = audit_or_exit(
	    ctx, NULL, NULL, "token.create", login, NULL,
	    json_pack("{s:s,s:s}", "name", name, "id", PQgetvalue(res, 0, 0)));
	PQclear(res);
	if (rc == 0)
		rc = commit_or_exit(ctx);
	if (rc == 0)
		(void)printf("%s\n", token);
	sodium_memzero(token, sizeof(token));
	return rc;
}

/* ---- domains ---------------------------------------------------------- */

int
admin_cmd_domain_add(struct admin_ctx *ctx, int argc, char **argv)
{
	char name[ADDRESS_DOMAIN_MAX + 1],
	    contact[ADDRESS_LOCAL_MAX + 2 + ADDRESS_DOMAIN_MAX];
	char quota_bytes[32], id[32];
	const char *params[5], *error;
	long long max_accounts, quota_mb;
	struct address addr;
	PGresult *res;
	int rc;

	if (argc != 5 && argc != 6)
		return EX_USAGE;
	if (address_domain_normalize(argv[1], name, sizeof(name), &error) < 0) {
		admin_err("name: %s", error);
		return EX_DATAERR;
	}
	if (prefix_valid(argv[2]) < 0) {
		admin_err("prefix: 2 to 16 lower-case letters and digits, "
			  "starting with a letter");
		return EX_DATAERR;
	}
	max_accounts = parse_count(argv[3], MAX_ACCOUNTS_MAX);
	if (max_accounts < 0) {
		admin_err("max_accounts: a whole number from 0 to %lld",
			  MAX_ACCOUNTS_MAX);
		return EX_DATAERR;
	}
	quota_mb = parse_count(argv[4], QUOTA_MB_MAX);
	if (quota_mb < 0) {
		admin_err("quota_mb: a whole number of MiB from 0 to %lld",
			  QUOTA_MB_MAX);
		return EX_DATAERR;
	}
	(void)casier_snprintf(quota_bytes, sizeof(quota_bytes), "%lld",
			      quota_mb * 1048576LL);
	if (argc == 6) {
		if (address_parse(argv[5], strlen(argv[5]), &addr, &error) <
			0 ||
		    address_format(&addr, contact, sizeof(contact)) < 0) {
			admin_err("contact: %s",
				  error != NULL ? error : "too long");
			return EX_DATAERR;
		}
	}
	rc = admin_connect(ctx);
	if (rc == 0)
		rc = begin_or_exit(ctx);
	if (rc != 0)
		return rc;
	params[0] = name;
	params[1] = argv[2];
	params[2] = argv[3];
	params[3] = quota_bytes;
	params[4] = argc == 6 ? contact : NULL;
	rc = exec_or_exit(ctx, "domain-add",
			  "INSERT INTO domain (name, prefix, max_accounts, "
			  "default_quota_bytes, contact) VALUES ($1, $2, "
			  "$3::integer, $4::bigint, $5) RETURNING id",
			  5, params, &res, NULL);
	if (rc != 0)
		return rc;
	(void)casier_snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	rc = audit_or_exit(
	    ctx, id, name, "domain.create", name, NULL,
	    json_pack("{s:s,s:s,s:I,s:I,s:s?}", "name", name, "prefix", argv[2],
		      "max_accounts", (json_int_t)max_accounts,
		      "default_quota_bytes", (json_int_t)(quota_mb * 1048576LL),
		      "contact", argc == 6 ? contact : NULL));
	if (rc == 0)
		rc = commit_or_exit(ctx);
	if (rc == 0)
		(void)printf("domain %s created\n", name);
	return rc;
}

int
admin_cmd_alias_domain_add(struct admin_ctx *ctx, int argc, char **argv)
{
	char alias[ADDRESS_DOMAIN_MAX + 1], name[ADDRESS_DOMAIN_MAX + 1];
	char id[32];
	const char *params[2], *error;
	PGresult *res;
	int rc;

	if (argc != 3)
		return EX_USAGE;
	if (address_domain_normalize(argv[1], alias, sizeof(alias), &error) <
	    0) {
		admin_err("alias name: %s", error);
		return EX_DATAERR;
	}
	if (address_domain_normalize(argv[2], name, sizeof(name), &error) < 0) {
		admin_err("domain: %s", error);
		return EX_DATAERR;
	}
	rc = admin_connect(ctx);
	if (rc == 0)
		rc = begin_or_exit(ctx);
	if (rc == 0)
		rc = domain_lookup(ctx, name, id, sizeof(id));
	if (rc != 0)
		return rc;
	params[0] = alias;
	params[1] = id;
	rc = exec_or_exit(ctx, "alias-domain-add",
			  "INSERT INTO alias_domain (name, domain_id) "
			  "VALUES ($1, $2::bigint)",
			  2, params, &res, NULL);
	if (rc != 0)
		return rc;
	PQclear(res);
	rc = audit_or_exit(
	    ctx, id, name, "alias_domain.create", alias, NULL,
	    json_pack("{s:s,s:s}", "name", alias, "domain", name));
	if (rc == 0)
		rc = commit_or_exit(ctx);
	if (rc == 0)
		(void)printf("alias domain %s -> %s created\n", alias, name);
	return rc;
}

/* ---- accounts --------------------------------------------------------- */

int
admin_cmd_account_add(struct admin_ctx *ctx, int argc, char **argv)
{
	char hash[PASSWORD_HASH_MAX], quota_bytes[32], username[64];
	char account_id[32], domain_id[32];
	char address[ADDRESS_LOCAL_MAX + 2 + ADDRESS_DOMAIN_MAX];
	const char *params[4], *error;
	enum casier_lookup found;
	struct address addr;
	long long quota_mb = -1;
	PGresult *res;
	int rc;

	if (argc != 2 && argc != 3)
		return EX_USAGE;
	if (address_parse(argv[1], strlen(argv[1]), &addr, &error) < 0) {
		admin_err("address: %s", error);
		return EX_DATAERR;
	}
	if (addr.tag[0] != '\0' || strchr(argv[1], '+') != NULL) {
		admin_err("address: the local part may not contain '+' (the "
			  "tag separator)");
		return EX_DATAERR;
	}
	if (address_format(&addr, address, sizeof(address)) < 0) {
		admin_err("address: too long");
		return EX_DATAERR;
	}
	if (argc == 3) {
		quota_mb = parse_count(argv[2], QUOTA_MB_MAX);
		if (quota_mb < 0) {
			admin_err("quota_mb: a whole number of MiB from 0 to "
				  "%lld",
				  QUOTA_MB_MAX);
			return EX_DATAERR;
		}
		(void)casier_snprintf(quota_bytes, sizeof(quota_bytes), "%lld",
				      quota_mb * 1048576LL);
	}
	rc = admin_new_password(ctx, addr.local, NULL, hash, sizeof(hash));
	if (rc == 0)
		rc = admin_connect(ctx);
	if (rc == 0)
		rc = begin_or_exit(ctx);
	if (rc != 0)
		return rc;
	params[0] = addr.domain;
	params[1] = addr.local;
	params[2] = hash;
	params[3] = argc == 3 ? quota_bytes : NULL;
	rc = exec_or_exit(ctx, "account-add",
			  "SELECT id, username FROM account_create($1, $2, $3, "
			  "$4::bigint)",
			  4, params, &res, &found);
	if (rc != 0)
		return rc;
	if (found != CASIER_FOUND) {
		PQclear(res);
		admin_err("account-add: account_create() returned no row");
		return EX_SOFTWARE;
	}
	(void)casier_snprintf(account_id, sizeof(account_id), "%s",
			      PQgetvalue(res, 0, 0));
	(void)casier_snprintf(username, sizeof(username), "%s",
			      PQgetvalue(res, 0, 1));
	PQclear(res);
	params[0] = account_id;
	rc = exec_or_exit(ctx, "account-add",
			  "SELECT a.quota_bytes, a.domain_id FROM account a "
			  "WHERE a.id = $1::bigint",
			  1, params, &res, &found);
	if (rc != 0)
		return rc;
	if (found != CASIER_FOUND) {
		PQclear(res);
		admin_err("account-add: the new account is not visible");
		return EX_SOFTWARE;
	}
	(void)casier_snprintf(domain_id, sizeof(domain_id), "%s",
			      PQgetvalue(res, 0, 1));
	rc = audit_or_exit(
	    ctx, domain_id, addr.domain, "account.create", username, NULL,
	    json_pack("{s:s,s:s,s:I,s:b}", "username", username, "address",
		      address, "quota_bytes",
		      (json_int_t)strtoll(PQgetvalue(res, 0, 0), NULL, 10),
		      "active", 1));
	PQclear(res);
	if (rc == 0)
		rc = commit_or_exit(ctx);
	if (rc == 0)
		(void)printf("%s\n", username);
	return rc;
}

/*
 * After a committed change of an account: flush Dovecot's auth cache for
 * every login form of the account (SQL dovecot_login_forms(), so the
 * address and alias-domain forms go too) by running [web]
 * auth_flush_command with the forms appended.  The change is already
 * made, so trouble here is a warning: the cache TTL bounds the window.
 */
static void
account_flush_auth_cache(struct admin_ctx *ctx, const char *username)
{
	const char *cmd = ctx->cfg->auth_flush_command;
	const char *params[] = {username};
	const char *forms[SPAWN_EXTRA_ARGS_MAX];
	size_t nforms = 0;
	PGresult *res = NULL;
	struct db_error err;
	char error[256];

	if (cmd == NULL || cmd[0] == '\0')
		return;
	if (db_exec_params(ctx->conn,
			   "SELECT login FROM dovecot_login_forms($1)", 1,
			   params, &res, &err) == CASIER_FOUND) {
		for (int i = 0;
		     i < PQntuples(res) && nforms < CASIER_ARRAY_LEN(forms);
		     i++)
			forms[nforms++] = PQgetvalue(res, i, 0);
	} else {
		forms[nforms++] = username;
	}
	if (casier_run_command(cmd, forms, nforms, FLUSH_TIMEOUT_MS, error,
			       sizeof(error)) < 0)
		admin_err("warning: auth cache flush for %s failed: %s",
			  username, error);
	PQclear(res);
}

/* Lock the account row; fill its domain id, name, local part. */
static int
account_lock(struct admin_ctx *ctx, const char *username, PGresult **res_r)
{
	const char *params[] = {username};
	enum casier_lookup found;
	int rc;

	rc = exec_or_exit(ctx, "account lookup",
			  "SELECT a.domain_id, d.name, a.local_part, a.active "
			  "FROM account a JOIN domain d ON d.id = a.domain_id "
			  "WHERE a.username = $1 FOR UPDATE OF a",
			  1, params, res_r, &found);
	if (rc != 0)
		return rc;
	if (found == CASIER_ABSENT) {
		PQclear(*res_r);
		*res_r = NULL;
		admin_err("unknown account %s", username);
		return EX_UNAVAILABLE;
	}
	return 0;
}

int
admin_cmd_account_set(struct admin_ctx *ctx, int argc, char **argv)
{
	char username[64];
	const char *params[2];
	PGresult *acct, *res;
	bool active, was;
	int rc;

	if (argc != 3)
		return EX_USAGE;
	if (username_normalize(argv[1], username, sizeof(username)) < 0) {
		admin_err("username: not a valid username (prefix + number)");
		return EX_DATAERR;
	}
	if (strcmp(argv[2], "active") == 0) {
		active = true;
	} else if (strcmp(argv[2], "inactive") == 0) {
		active = false;
	} else {
		admin_err("state: must be active or inactive");
		return EX_USAGE;
	}
	rc = admin_connect(ctx);
	if (rc == 0)
		rc = begin_or_exit(ctx);
	if (rc == 0)
		rc = account_lock(ctx, username, &acct);
	if (rc != 0)
		return rc;
	was = strcmp(PQgetvalue(acct, 0, 3), "t") == 0;
	params[0] = username;
	params[1] = active ? "true" : "false";
	rc = exec_or_exit(ctx, "account-set",
			  "UPDATE account SET active = $2::boolean "
			  "WHERE username = $1",
			  2, params, &res, NULL);
	if (rc == 0) {
		PQclear(res);
		rc = audit_or_exit(ctx, PQgetvalue(acct, 0, 0),
				   PQgetvalue(acct, 0, 1), "account.update",
				   username, json_pack("{s:b}", "active", was),
				   json_pack("{s:b}", "active", active));
	}
	PQclear(acct);
	if (rc == 0)
		rc = commit_or_exit(ctx);
	if (rc == 0) {
		account_flush_auth_cache(ctx, username);
		(void)printf("account %s %s\n", username, argv[2]);
	}
	return rc;
}

int
admin_cmd_account_password(struct admin_ctx *ctx, int argc, char **argv)
{
	char username[64], hash[PASSWORD_HASH_MAX],
	    local[ADDRESS_LOCAL_MAX + 1];
	const char *params[2];
	PGresult *acct, *res;
	int rc;

	if (argc != 2)
		return EX_USAGE;
	if (username_normalize(argv[1], username, sizeof(username)) < 0) {
		admin_err("username: not a valid username (prefix + number)");
		return EX_DATAERR;
	}
	rc = admin_connect(ctx);
	if (rc == 0)
		rc = begin_or_exit(ctx);
	if (rc == 0)
		rc = account_lock(ctx, username, &acct);
	if (rc != 0)
		return rc;
	(void)casier_snprintf(local, sizeof(local), "%s",
			      PQgetvalue(acct, 0, 2));
	rc = admin_new_password(ctx, local, username, hash, sizeof(hash));
	if (rc == 0) {
		params[0] = username;
		params[1] = hash;
		rc = exec_or_exit(ctx, "account-password",
				  "UPDATE account SET password_hash = $2 "
				  "WHERE username = $1",
				  2, params, &res, NULL);
		if (rc == 0)
			PQclear(res);
	}
	if (rc == 0)
		rc = audit_or_exit(ctx, PQgetvalue(acct, 0, 0),
				   PQgetvalue(acct, 0, 1), "account.password",
				   username, NULL, NULL);
	PQclear(acct);
	if (rc == 0)
		rc = commit_or_exit(ctx);
	if (rc == 0) {
		account_flush_auth_cache(ctx, username);
		(void)printf("account %s: password set\n", username);
	}
	return rc;
}

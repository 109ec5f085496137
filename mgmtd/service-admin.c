/*
 * service-admin.c - administrators (login, password, superuser flag,
 * the domains they manage).
 *
 * Called by the API and the pages.  Superuser only, except that an admin
 * may read itself and change its own password and language.
 * Unprivileged; passwords hashed with Argon2id (lib/password.h) and
 * checked against the policy.  Database trouble -> SVC_TEMPFAIL.
 */
#include "service-db.h"

#include "address.h"
#include "log.h"
#include "password.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>

#define ADMIN_COLUMNS                                                          \
	"a.id, a.login, a.superuser, a.active, a.language, (SELECT "           \
	"coalesce(array_to_json(array_agg(d.name ORDER BY d.name)), '[]') "    \
	"FROM admin_domain ad JOIN domain d ON d.id = ad.domain_id WHERE "     \
	"ad.admin_id = a.id)::text"
#define ADMIN_AUDIT_JSON                                                       \
	"SELECT json_build_object('login', a.login, 'superuser', "             \
	"a.superuser, 'active', a.active, 'language', a.language, "            \
	"'domains', (SELECT coalesce(array_agg(d.name ORDER BY d.name), "      \
	"'{}') FROM admin_domain ad JOIN domain d ON d.id = ad.domain_id "     \
	"WHERE ad.admin_id = a.id))::text FROM admin a WHERE a.id = "          \
	"$1::bigint"

void
svc_admin_free(struct svc_admin *a)
{
	for (size_t i = 0; i < a->ndomains; i++)
		free(a->domains[i]);
	free(a->domains);
	a->domains = NULL;
	a->ndomains = 0;
}

void
svc_admin_list_free(struct svc_admin_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		svc_admin_free(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static int
admin_from_row(const PGresult *r, int row, struct svc_admin *a)
{
	struct svc_targets t;

	memset(a, 0, sizeof(*a));
	a->id = svc_ll(r, row, 0);
	svc_copy(a->login, sizeof(a->login), PQgetvalue(r, row, 1));
	a->superuser = svc_bool(r, row, 2);
	a->active = svc_bool(r, row, 3);
	svc_copy(a->language, sizeof(a->language), PQgetvalue(r, row, 4));
	if (svc_targets_from_pg(PQgetvalue(r, row, 5), &t) < 0)
		return -1;
	a->domains = t.items;
	a->ndomains = t.n;
	return 0;
}

static int
admin_fetch(struct db_conn *conn, const char *by_login, long long by_id,
	    bool lock, struct svc_admin *a, struct svc_result *res)
{
	char id_s[24];
	const char *p[2];
	PGresult *r;
	int n;

	(void)casier_snprintf(id_s, sizeof(id_s), "%lld", by_id);
	p[0] = by_login;
	p[1] = by_login == NULL ? id_s : NULL;
	n = svc_sql(conn,
		    lock ? "SELECT " ADMIN_COLUMNS
			   " FROM admin a WHERE a.login = lower($1) OR a.id = "
			   "$2::bigint FOR UPDATE"
			 : "SELECT " ADMIN_COLUMNS
			   " FROM admin a WHERE a.login = lower($1) OR a.id = "
			   "$2::bigint",
		    2, p, &r, res);
	if (n < 0)
		return -1;
	if (n == 0 || admin_from_row(r, 0, a) < 0) {
		PQclear(r);
		svc_result_set(res, n == 0 ? SVC_NOT_FOUND : SVC_TEMPFAIL, "",
			       n == 0 ? "no such admin" : "out of memory");
		return -1;
	}
	PQclear(r);
	return 0;
}

static bool
login_ok(const char *l)
{
	size_t len = strlen(l);

	if (len < 2 || len > 64)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = l[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || strchr("._@-", c) == NULL))
			return false;
	}
	return true;
}

/* Replace the admin's domains with in->domains (names, checked). */
static int
admin_set_domains(struct db_conn *conn, long long admin_id,
		  const struct svc_admin_input *in, struct svc_result *res)
{
	char id_s[24];
	const char *p[2];
	PGresult *r;

	(void)casier_snprintf(id_s, sizeof(id_s), "%lld", admin_id);
	p[0] = id_s;
	if (svc_sql(conn,
		    "DELETE FROM admin_domain WHERE admin_id = $1::bigint", 1,
		    p, &r, res) < 0)
		return -1;
	PQclear(r);
	for (size_t i = 0; i < in->ndomains; i++) {
		char norm[SVC_NAME_MAX + 1];
		const char *error;
		int n;

		if (in->domains[i] == NULL ||
		    address_domain_normalize(in->domains[i], norm, sizeof(norm),
					     &error) < 0) {
			svc_result_set(res, SVC_INVALID, "domains",
				       "entry %zu is not a domain name", i + 1);
			return -1;
		}
		p[1] = norm;
		n = svc_sql(conn,
			    "INSERT INTO admin_domain (admin_id, domain_id) "
			    "SELECT $1::bigint, id FROM domain WHERE name = $2 "
			    "ON CONFLICT DO NOTHING RETURNING domain_id",
			    2, p, &r, res);
		if (n < 0)
			return -1;
		PQclear(r);
		if (n == 0) {
			/* either unknown or a duplicate in the list */
			n = svc_sql(conn,
				    "SELECT 1 FROM domain WHERE name = $2 AND "
				    "$1::bigint IS NOT NULL",
				    2, p, &r, res);
			if (n < 0)
				return -1;
			PQclear(r);
			if (n == 0) {
				svc_result_set(res, SVC_INVALID, "domains",
					       "entry %zu is not a hosted "
					       "domain",
					       i + 1);
				return -1;
			}
		}
	}
	return 0;
}

static int
admin_language_ok(const char *l, struct svc_result *res)
{
	if (l != NULL && strcmp(l, "fr") != 0 && strcmp(l, "en") != 0) {
		svc_result_set(res, SVC_INVALID, "language", "fr or en");
		return -1;
	}
	return 0;
}

int
svc_admin_create(const struct svc *svc, const struct svc_identity *id,
		 const struct svc_admin_input *in, struct svc_admin *out_r,
		 struct svc_result *res)
{
	char login[65], hash[PASSWORD_HASH_MAX], id_s[24];
	const char *reason, *p[4];
	struct db_conn *conn;
	struct db_error err;
	PGresult *r;
	long long admin_id;
	int n;

	if (!id->superuser) {
		svc_result_set(res, SVC_FORBIDDEN, "",
			       "only the superuser creates admins");
		return -1;
	}
	svc_copy(login, sizeof(login), in->login);
	casier_ascii_lower(login);
	if (in->login == NULL || strlen(in->login) > 64 || !login_ok(login)) {
		svc_result_set(res, SVC_INVALID, "login",
			       "2 to 64 of a-z 0-9 . _ @ -");
		return -1;
	}
	if (admin_language_ok(in->language, res) < 0)
		return -1;
	if (in->password == NULL) {
		svc_result_set(res, SVC_INVALID, "password", "is required");
		return -1;
	}
	if (!password_policy_ok(in->password, login, NULL, svc->words,
				&reason)) {
		svc_result_set(res, SVC_INVALID, "password", "%s", reason);
		return -1;
	}
	if (password_hash(in->password, hash) < 0) {
		svc_result_set(res, SVC_TEMPFAIL, "", "cannot hash now");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	p[0] = login;
	p[1] = hash;
	p[2] = in->has_superuser && in->superuser ? "t" : "f";
	p[3] = in->language != NULL ? in->language : "fr";
	if (db_exec_params(
		conn,
		"INSERT INTO admin (login, password_hash, superuser, "
		"language) VALUES ($1, $2, $3::boolean, $4) "
		"RETURNING id",
		4, p, &r, &err) == CASIER_LOOKUP_ERROR) {
		svc_db_error(&err, "login", res);
		goto rollback;
	}
	admin_id = svc_ll(r, 0, 0);
	PQclear(r);
	if (admin_set_domains(conn, admin_id, in, res) < 0)
		goto rollback;
	(void)casier_snprintf(id_s, sizeof(id_s), "%lld", admin_id);
	p[0] = id_s;
	if (svc_sql(conn, ADMIN_AUDIT_JSON, 1, p, &r, res) < 0)
		goto rollback;
	n = svc_audit_add(conn, id, 0, NULL, "admin.create", login, NULL,
			  PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (admin_fetch(conn, NULL, admin_id, false, out_r, res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0) {
		svc_admin_free(out_r);
		goto out;
	}
	svc_conn_put(svc, &conn);
	explicit_bzero(hash, sizeof(hash));
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	explicit_bzero(hash, sizeof(hash));
	return -1;
}

int
svc_admin_get(const struct svc *svc, const struct svc_identity *id,
	      const char *login, struct svc_admin *out_r,
	      struct svc_result *res)
{
	struct db_conn *conn;
	int ret;

	if (!id->superuser && (login == NULL || strcmp(login, id->login))) {
		svc_result_set(res, SVC_FORBIDDEN, "",
			       "only the superuser reads other admins");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	ret = admin_fetch(conn, login, 0, false, out_r, res);
	svc_conn_put(svc, &conn);
	if (ret == 0)
		svc_result_ok(res);
	return ret;
}

int
svc_admin_list(const struct svc *svc, const struct svc_identity *id,
	       const struct svc_page *page, struct svc_admin_list *out_r,
	       struct svc_result *res)
{
	struct svc_keyset ks;
	struct db_conn *conn;
	const char *p[3];
	char *like;
	PGresult *r;
	size_t count;
	int n;

	memset(out_r, 0, sizeof(*out_r));
	if (!id->superuser) {
		svc_result_set(res, SVC_FORBIDDEN, "",
			       "only the superuser lists admins");
		return -1;
	}
	svc_keyset_init(page, &ks);
	like = svc_like_pattern(page->q);
	p[0] = ks.has_cursor ? ks.key : NULL;
	p[1] = like;
	p[2] = ks.limit_plus_one;
	conn = svc_conn_get(svc, res);
	if (conn == NULL) {
		free(like);
		return -1;
	}
	n = svc_sql(conn,
		    ks.dir == 'p'
			? "SELECT " ADMIN_COLUMNS
			  " FROM admin a WHERE ($1::text IS NULL OR a.login "
			  "< $1) AND ($2::text IS NULL OR a.login ILIKE $2) "
			  "ORDER BY a.login DESC LIMIT $3::integer"
			: "SELECT " ADMIN_COLUMNS
			  " FROM admin a WHERE ($1::text IS NULL OR a.login "
			  "> $1) AND ($2::text IS NULL OR a.login ILIKE $2) "
			  "ORDER BY a.login LIMIT $3::integer",
		    3, p, &r, res);
	svc_conn_put(svc, &conn);
	free(like);
	if (n < 0)
		return -1;
	count = svc_keyset_count(&ks, r);
	if (count > 0) {
		out_r->items = calloc(count, sizeof(*out_r->items));
		if (out_r->items == NULL) {
			PQclear(r);
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			return -1;
		}
	}
	for (size_t i = 0; i < count; i++) {
		if (admin_from_row(r, svc_keyset_row(&ks, count, i),
				   &out_r->items[i]) < 0) {
			PQclear(r);
			svc_admin_list_free(out_r);
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			return -1;
		}
		out_r->n++;
	}
	svc_keyset_cursors(&ks, r, count, 1, &out_r->cursors);
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

int
svc_admin_update(const struct svc *svc, const struct svc_identity *id,
		 const char *login, const struct svc_admin_input *in,
		 struct svc_admin *out_r, struct svc_result *res)
{
	struct svc_admin cur = {0};
	char hash[PASSWORD_HASH_MAX], id_s[24];
	char *before = NULL;
	const char *reason, *p[5];
	struct db_conn *conn;
	PGresult *r;
	bool self = login != NULL && strcmp(login, id->login) == 0;
	int n;

	hash[0] = '\0';
	if (!id->superuser &&
	    (!self || in->has_superuser || in->has_active || in->has_domains)) {
		svc_result_set(res, SVC_FORBIDDEN, "",
			       "only the superuser changes admins");
		return -1;
	}
	if (in->login != NULL) {
		svc_result_set(res, SVC_INVALID, "login", "cannot be changed");
		return -1;
	}
	if (admin_language_ok(in->language, res) < 0)
		return -1;
	if (in->password != NULL) {
		if (!password_policy_ok(in->password, login, NULL, svc->words,
					&reason)) {
			svc_result_set(res, SVC_INVALID, "password", "%s",
				       reason);
			return -1;
		}
		if (password_hash(in->password, hash) < 0) {
			svc_result_set(res, SVC_TEMPFAIL, "",
				       "cannot hash now");
			return -1;
		}
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (admin_fetch(conn, login, 0, true, &cur, res) < 0)
		goto rollback;
	(void)casier_snprintf(id_s, sizeof(id_s), "%lld", cur.id);
	p[0] = id_s;
	if (svc_sql(conn, ADMIN_AUDIT_JSON, 1, p, &r, res) < 0)
		goto rollback;
	before = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	p[1] = hash[0] != '\0' ? hash : NULL;
	p[2] = in->has_superuser ? (in->superuser ? "t" : "f") : NULL;
	p[3] = in->has_active ? (in->active ? "t" : "f") : NULL;
	p[4] = in->language;
	if (svc_sql(conn,
		    "UPDATE admin SET password_hash = coalesce($2, "
		    "password_hash), superuser = coalesce($3::boolean, "
		    "superuser), active = coalesce($4::boolean, active), "
		    "language = coalesce($5, language), updated_at = now() "
		    "WHERE id = $1::bigint",
		    5, p, &r, res) < 0)
		goto rollback;
	PQclear(r);
	if (in->has_domains && admin_set_domains(conn, cur.id, in, res) < 0)
		goto rollback;
	if (svc_sql(conn, ADMIN_AUDIT_JSON, 1, p, &r, res) < 0)
		goto rollback;
	n = svc_audit_add(conn, id, 0, NULL, "admin.update", cur.login, before,
			  PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (admin_fetch(conn, NULL, cur.id, false, out_r, res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0) {
		svc_admin_free(out_r);
		goto out;
	}
	svc_conn_put(svc, &conn);
	svc_admin_free(&cur);
	free(before);
	explicit_bzero(hash, sizeof(hash));
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	svc_admin_free(&cur);
	free(before);
	explicit_bzero(hash, sizeof(hash));
	return -1;
}

int
svc_admin_delete(const struct svc *svc, const struct svc_identity *id,
		 const char *login, struct svc_result *res)
{
	struct svc_admin cur = {0};
	char id_s[24];
	const char *p[1];
	struct db_conn *conn;
	PGresult *r;
	int n;

	if (!id->superuser) {
		svc_result_set(res, SVC_FORBIDDEN, "",
			       "only the superuser deletes admins");
		return -1;
	}
	if (login != NULL && strcmp(login, id->login) == 0) {
		svc_result_set(res, SVC_CONFLICT, "",
			       "an admin cannot delete itself");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (admin_fetch(conn, login, 0, true, &cur, res) < 0)
		goto rollback;
	(void)casier_snprintf(id_s, sizeof(id_s), "%lld", cur.id);
	p[0] = id_s;
	if (svc_sql(conn, ADMIN_AUDIT_JSON, 1, p, &r, res) < 0)
		goto rollback;
	n = svc_audit_add(conn, id, 0, NULL, "admin.delete", cur.login,
			  PQgetvalue(r, 0, 0), NULL, res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (svc_sql(conn, "DELETE FROM admin WHERE id = $1::bigint", 1, p, &r,
		    res) < 0)
		goto rollback;
	PQclear(r);
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_conn_put(svc, &conn);
	svc_admin_free(&cur);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	svc_admin_free(&cur);
	return -1;
}

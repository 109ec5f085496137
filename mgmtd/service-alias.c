/*
 * service-alias.c - aliases (local part -> targets, possibly none) and
 * account redirects (targets + keep_copy).
 *
 * Called by the API and the pages.  Unprivileged.  Targets are
 * addresses or bare usernames of the same domain (another domain's
 * username -> 422), normalised by svc_targets_normalize().  Database
 * trouble -> SVC_TEMPFAIL.
 */
#include "service-db.h"

#include "address.h"
#include "log.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>

#define ALIAS_COLUMNS                                                          \
	"l.id, l.local_part, d.name, array_to_json(l.targets)::text"
#define ALIAS_AUDIT_JSON(alias)                                                \
	"(SELECT json_build_object('local_part', x.local_part, 'targets', "    \
	"x.targets)::text FROM alias x WHERE x.id = " alias ")"

void
svc_alias_free(struct svc_alias *a)
{
	svc_targets_free(&a->targets);
}

void
svc_alias_list_free(struct svc_alias_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		svc_alias_free(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void
svc_redirect_free(struct svc_redirect *r)
{
	svc_targets_free(&r->targets);
}

static int
alias_from_row(const PGresult *r, int row, struct svc_alias *a)
{
	memset(a, 0, sizeof(*a));
	a->id = svc_ll(r, row, 0);
	svc_copy(a->local_part, sizeof(a->local_part), PQgetvalue(r, row, 1));
	svc_copy(a->domain, sizeof(a->domain), PQgetvalue(r, row, 2));
	if (casier_snprintf(a->address, sizeof(a->address), "%s@%s",
			    a->local_part, a->domain) < 0)
		a->address[0] = '\0';
	return svc_targets_from_pg(PQgetvalue(r, row, 3), &a->targets);
}

static int
alias_fetch(struct db_conn *conn, long long alias_id, struct svc_alias *a,
	    struct svc_result *res)
{
	char id_s[24];
	const char *p[1];
	PGresult *r;
	int n;

	(void)casier_snprintf(id_s, sizeof(id_s), "%lld", alias_id);
	p[0] = id_s;
	n = svc_sql(conn,
		    "SELECT " ALIAS_COLUMNS " FROM alias l JOIN domain d ON "
		    "d.id = l.domain_id WHERE l.id = $1::bigint",
		    1, p, &r, res);
	if (n < 0)
		return -1;
	if (n == 0 || alias_from_row(r, 0, a) < 0) {
		PQclear(r);
		svc_result_set(res, n == 0 ? SVC_NOT_FOUND : SVC_TEMPFAIL, "",
			       n == 0 ? "no such alias" : "out of memory");
		return -1;
	}
	PQclear(r);
	return 0;
}

/* Split "local@domain", resolve the domain (authorised), find the alias. */
static int
alias_find(struct db_conn *conn, const struct svc_identity *id,
	   const char *address, bool lock, long long *alias_id_r,
	   long long *domain_id_r, char dname[SVC_NAME_MAX + 1],
	   struct svc_result *res)
{
	struct address a;
	const char *error, *p[2];
	char did_s[24];
	PGresult *r;
	int n;

	if (address == NULL || strlen(address) > SVC_ADDRESS_MAX ||
	    address_parse(address, strlen(address), &a, &error) < 0 ||
	    a.tag[0] != '\0') {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such alias");
		return -1;
	}
	if (svc_domain_resolve(conn, id, a.domain, lock, domain_id_r, dname,
			       res) < 0) {
		/* a database error stays temporary (503), never 404 */
		if (res->status == SVC_NOT_FOUND)
			svc_result_set(res, SVC_NOT_FOUND, "", "no such alias");
		return -1;
	}
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", *domain_id_r);
	p[0] = did_s;
	p[1] = a.local;
	n = svc_sql(conn,
		    lock ? "SELECT id FROM alias WHERE domain_id = $1::bigint "
			   "AND local_part = $2 FOR UPDATE"
			 : "SELECT id FROM alias WHERE domain_id = $1::bigint "
			   "AND local_part = $2",
		    2, p, &r, res);
	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "", "no such alias");
		return -1;
	}
	*alias_id_r = svc_ll(r, 0, 0);
	PQclear(r);
	return 0;
}

int
svc_alias_create(const struct svc *svc, const struct svc_identity *id,
		 const char *domain, const char *local_part,
		 const char *const *targets, size_t ntargets,
		 struct svc_alias *out_r, struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], local[65], did_s[24];
	struct svc_targets t = {0};
	char *arr = NULL;
	const char *error, *p[3];
	struct db_conn *conn;
	struct db_error err;
	PGresult *r;
	long long did, alias_id;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto rollback;
	if (local_part == NULL ||
	    address_local_normalize(local_part, local, sizeof(local), &error) <
		0) {
		svc_result_set(res, SVC_INVALID, "local_part",
			       "not a valid local part");
		goto rollback;
	}
	if (svc_targets_normalize(conn, did, targets, ntargets, 1000, &t, res) <
	    0)
		goto rollback;
	arr = svc_targets_pg_array(&t);
	if (arr == NULL) {
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		goto rollback;
	}
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = did_s;
	p[1] = local;
	p[2] = arr;
	if (db_exec_params(
		conn,
		"INSERT INTO alias (domain_id, local_part, targets) "
		"VALUES ($1::bigint, $2, ARRAY(SELECT "
		"jsonb_array_elements_text($3::jsonb))::mail_target[]) "
		"RETURNING id",
		3, p, &r, &err) == CASIER_LOOKUP_ERROR) {
		if (strcmp(err.constraint, "local_part_reserved") == 0)
			svc_result_set(res, SVC_INVALID, "local_part",
				       "reserved for usernames");
		else
			svc_db_error(&err, "local_part", res);
		goto rollback;
	}
	alias_id = svc_ll(r, 0, 0);
	PQclear(r);
	if (alias_fetch(conn, alias_id, out_r, res) < 0)
		goto rollback;
	p[0] = did_s;
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", alias_id);
	if (svc_sql(conn, "SELECT " ALIAS_AUDIT_JSON("$1::bigint"), 1, p, &r,
		    res) < 0) {
		svc_alias_free(out_r);
		goto rollback;
	}
	n = svc_audit_add(conn, id, did, dname, "alias.create", out_r->address,
			  NULL, PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (n < 0 || svc_commit(conn, res) < 0) {
		svc_alias_free(out_r);
		if (n < 0)
			goto rollback;
		goto out;
	}
	svc_conn_put(svc, &conn);
	svc_targets_free(&t);
	free(arr);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	svc_targets_free(&t);
	free(arr);
	return -1;
}

int
svc_alias_get(const struct svc *svc, const struct svc_identity *id,
	      const char *address, struct svc_alias *out_r,
	      struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1];
	struct db_conn *conn = svc_conn_get(svc, res);
	long long aid, did;
	int ret = -1;

	if (conn == NULL)
		return -1;
	if (alias_find(conn, id, address, false, &aid, &did, dname, res) == 0 &&
	    alias_fetch(conn, aid, out_r, res) == 0) {
		ret = 0;
		svc_result_ok(res);
	}
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_alias_list(const struct svc *svc, const struct svc_identity *id,
	       const char *domain, const struct svc_page *page,
	       struct svc_alias_list *out_r, struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], did_s[24];
	struct svc_keyset ks;
	struct db_conn *conn;
	const char *p[4];
	char *like;
	PGresult *r;
	long long did;
	size_t count;
	int n;

	memset(out_r, 0, sizeof(*out_r));
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0) {
		svc_conn_put(svc, &conn);
		return -1;
	}
	svc_keyset_init(page, &ks);
	like = svc_like_pattern(page->q);
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = did_s;
	p[1] = ks.has_cursor ? ks.key : NULL;
	p[2] = like;
	p[3] = ks.limit_plus_one;
	n = svc_sql(conn,
		    ks.dir == 'p'
			? "SELECT " ALIAS_COLUMNS
			  " FROM alias l JOIN domain d ON d.id = "
			  "l.domain_id WHERE l.domain_id = $1::bigint AND "
			  "($2::text IS NULL OR l.local_part < $2) AND "
			  "($3::text IS NULL OR l.local_part ILIKE $3 OR "
			  "array_to_string(l.targets, ' ') ILIKE $3) "
			  "ORDER BY l.local_part DESC LIMIT $4::integer"
			: "SELECT " ALIAS_COLUMNS
			  " FROM alias l JOIN domain d ON d.id = "
			  "l.domain_id WHERE l.domain_id = $1::bigint AND "
			  "($2::text IS NULL OR l.local_part > $2) AND "
			  "($3::text IS NULL OR l.local_part ILIKE $3 OR "
			  "array_to_string(l.targets, ' ') ILIKE $3) "
			  "ORDER BY l.local_part LIMIT $4::integer",
		    4, p, &r, res);
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
		if (alias_from_row(r, svc_keyset_row(&ks, count, i),
				   &out_r->items[i]) < 0) {
			PQclear(r);
			svc_alias_list_free(out_r);
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
svc_alias_set_targets(const struct svc *svc, const struct svc_identity *id,
		      const char *address, const char *const *targets,
		      size_t ntargets, struct svc_alias *out_r,
		      struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], aid_s[24];
	struct svc_targets t = {0};
	char *arr = NULL, *before = NULL;
	const char *p[2];
	struct db_conn *conn;
	PGresult *r;
	long long aid, did;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (alias_find(conn, id, address, true, &aid, &did, dname, res) < 0)
		goto rollback;
	if (svc_targets_normalize(conn, did, targets, ntargets, 1000, &t, res) <
	    0)
		goto rollback;
	arr = svc_targets_pg_array(&t);
	if (arr == NULL) {
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		goto rollback;
	}
	(void)casier_snprintf(aid_s, sizeof(aid_s), "%lld", aid);
	p[0] = aid_s;
	p[1] = arr;
	if (svc_sql(conn, "SELECT " ALIAS_AUDIT_JSON("$1::bigint"), 1, p, &r,
		    res) < 0)
		goto rollback;
	before = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (svc_sql(conn,
		    "UPDATE alias SET targets = ARRAY(SELECT "
		    "jsonb_array_elements_text($2::jsonb))::mail_target[], "
		    "updated_at = now() WHERE id = $1::bigint",
		    2, p, &r, res) < 0)
		goto rollback;
	PQclear(r);
	if (svc_sql(conn, "SELECT " ALIAS_AUDIT_JSON("$1::bigint"), 1, p, &r,
		    res) < 0)
		goto rollback;
	if (alias_fetch(conn, aid, out_r, res) < 0) {
		PQclear(r);
		goto rollback;
	}
	n = svc_audit_add(conn, id, did, dname, "alias.update", out_r->address,
			  before, PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (n < 0 || svc_commit(conn, res) < 0) {
		svc_alias_free(out_r);
		if (n < 0)
			goto rollback;
		goto out;
	}
	svc_conn_put(svc, &conn);
	svc_targets_free(&t);
	free(arr);
	free(before);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	svc_targets_free(&t);
	free(arr);
	free(before);
	return -1;
}

int
svc_alias_delete(const struct svc *svc, const struct svc_identity *id,
		 const char *address, struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], aid_s[24], obj[SVC_ADDRESS_MAX + 1];
	const char *p[1];
	struct db_conn *conn;
	PGresult *r;
	long long aid, did;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (alias_find(conn, id, address, true, &aid, &did, dname, res) < 0)
		goto rollback;
	(void)casier_snprintf(aid_s, sizeof(aid_s), "%lld", aid);
	p[0] = aid_s;
	if (svc_sql(conn,
		    "WITH x AS (DELETE FROM alias WHERE id = $1::bigint "
		    "RETURNING *) SELECT json_build_object('local_part', "
		    "x.local_part, 'targets', x.targets)::text, x.local_part "
		    "FROM x",
		    1, p, &r, res) < 0)
		goto rollback;
	if (casier_snprintf(obj, sizeof(obj), "%s@%s", PQgetvalue(r, 0, 1),
			    dname) < 0)
		obj[0] = '\0';
	n = svc_audit_add(conn, id, did, dname, "alias.delete", obj,
			  PQgetvalue(r, 0, 0), NULL, res);
	PQclear(r);
	if (n < 0)
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
	return -1;
}

/* ---- redirects ---- */

/* The account (id, domain) behind a username or address, authorised. */
static int
redirect_account(struct db_conn *conn, const struct svc_identity *id,
		 const char *username, bool lock, long long *account_id_r,
		 long long *domain_id_r, char uname[SVC_USERNAME_MAX + 1],
		 char dname[SVC_NAME_MAX + 1], struct svc_result *res)
{
	struct svc_account a;
	struct svc_result r2;

	/* reuse the account lookup through the public function's query */
	if (svc_account_find_internal(conn, id, username, lock, &a, domain_id_r,
				      &r2) < 0) {
		*res = r2;
		return -1;
	}
	*account_id_r = a.id;
	svc_copy(uname, SVC_USERNAME_MAX + 1, a.username);
	svc_copy(dname, SVC_NAME_MAX + 1, a.domain);
	return 0;
}

int
svc_redirect_get(const struct svc *svc, const struct svc_identity *id,
		 const char *username, struct svc_redirect *out_r,
		 struct svc_result *res)
{
	char uname[SVC_USERNAME_MAX + 1], dname[SVC_NAME_MAX + 1], aid_s[24];
	struct db_conn *conn;
	const char *p[1];
	PGresult *r;
	long long aid, did;
	int n;

	memset(out_r, 0, sizeof(*out_r));
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (redirect_account(conn, id, username, false, &aid, &did, uname,
			     dname, res) < 0) {
		svc_conn_put(svc, &conn);
		return -1;
	}
	(void)casier_snprintf(aid_s, sizeof(aid_s), "%lld", aid);
	p[0] = aid_s;
	n = svc_sql(conn,
		    "SELECT array_to_json(targets)::text, keep_copy FROM "
		    "redirect WHERE account_id = $1::bigint",
		    1, p, &r, res);
	svc_conn_put(svc, &conn);
	if (n < 0)
		return -1;
	if (n > 0) {
		if (svc_targets_from_pg(PQgetvalue(r, 0, 0), &out_r->targets) <
		    0) {
			PQclear(r);
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			return -1;
		}
		out_r->keep_copy = svc_bool(r, 0, 1);
	}
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

#define REDIRECT_AUDIT_JSON                                                    \
	"SELECT coalesce((SELECT json_build_object('targets', targets, "       \
	"'keep_copy', keep_copy)::text FROM redirect WHERE account_id = "      \
	"$1::bigint), NULL)"

int
svc_redirect_set(const struct svc *svc, const struct svc_identity *id,
		 const char *username, const char *const *targets,
		 size_t ntargets, bool keep_copy, struct svc_result *res)
{
	char uname[SVC_USERNAME_MAX + 1], dname[SVC_NAME_MAX + 1], aid_s[24];
	struct svc_targets t = {0};
	char *arr = NULL, *before = NULL;
	const char *p[3];
	struct db_conn *conn;
	PGresult *r;
	long long aid, did;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (redirect_account(conn, id, username, true, &aid, &did, uname, dname,
			     res) < 0)
		goto rollback;
	if (ntargets == 0) {
		svc_result_set(res, SVC_INVALID, "targets",
			       "at least one target");
		goto rollback;
	}
	if (svc_targets_normalize(conn, did, targets, ntargets, SVC_TARGETS_MAX,
				  &t, res) < 0)
		goto rollback;
	arr = svc_targets_pg_array(&t);
	if (arr == NULL) {
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		goto rollback;
	}
	(void)casier_snprintf(aid_s, sizeof(aid_s), "%lld", aid);
	p[0] = aid_s;
	p[1] = arr;
	p[2] = keep_copy ? "t" : "f";
	if (svc_sql(conn, REDIRECT_AUDIT_JSON, 1, p, &r, res) < 0)
		goto rollback;
	if (!PQgetisnull(r, 0, 0))
		before = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (svc_sql(conn,
		    "INSERT INTO redirect (account_id, targets, keep_copy) "
		    "VALUES ($1::bigint, ARRAY(SELECT "
		    "jsonb_array_elements_text($2::jsonb))::mail_target[], "
		    "$3::boolean) ON CONFLICT (account_id) DO UPDATE SET "
		    "targets = EXCLUDED.targets, keep_copy = "
		    "EXCLUDED.keep_copy, updated_at = now()",
		    3, p, &r, res) < 0)
		goto rollback;
	PQclear(r);
	if (svc_sql(conn, REDIRECT_AUDIT_JSON, 1, p, &r, res) < 0)
		goto rollback;
	n = svc_audit_add(conn, id, did, dname, "redirect.set", uname, before,
			  PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_conn_put(svc, &conn);
	svc_targets_free(&t);
	free(arr);
	free(before);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	svc_targets_free(&t);
	free(arr);
	free(before);
	return -1;
}

int
svc_redirect_delete(const struct svc *svc, const struct svc_identity *id,
		    const char *username, struct svc_result *res)
{
	char uname[SVC_USERNAME_MAX + 1], dname[SVC_NAME_MAX + 1], aid_s[24];
	const char *p[1];
	struct db_conn *conn;
	PGresult *r;
	long long aid, did;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (redirect_account(conn, id, username, true, &aid, &did, uname, dname,
			     res) < 0)
		goto rollback;
	(void)casier_snprintf(aid_s, sizeof(aid_s), "%lld", aid);
	p[0] = aid_s;
	n = svc_sql(conn,
		    "WITH x AS (DELETE FROM redirect WHERE account_id = "
		    "$1::bigint RETURNING *) SELECT json_build_object("
		    "'targets', targets, 'keep_copy', keep_copy)::text FROM x",
		    1, p, &r, res);
	if (n < 0)
		goto rollback;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "",
			       "the account has no redirect");
		goto rollback;
	}
	n = svc_audit_add(conn, id, did, dname, "redirect.delete", uname,
			  PQgetvalue(r, 0, 0), NULL, res);
	PQclear(r);
	if (n < 0)
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
	return -1;
}

/*
 * service-account.c - mail accounts: create (username assigned by the
 * SQL function account_create(), atomically, a refused creation
 * consumes no number), read, list (keyset), change, delete.
 *
 * Called by the API and the pages.  Unprivileged: deleting an account
 * deletes its rows and files a mailbox.delete mail job that the
 * privileged side (casier-deliverd) executes; logins stop at once
 * because Dovecot's passdb reads SQL and its auth cache is flushed
 * (svc->auth_flush_command).  Database trouble -> SVC_TEMPFAIL.
 */
#include "service-db.h"
#include "service-sql.h"

#include "address.h"
#include "command.h"
#include "log.h"
#include "password.h"
#include "str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


#define ACCOUNT_AUDIT_JSON(alias)                                              \
	"(SELECT (to_jsonb(x) - 'password_hash' - 'updated_at' - "             \
	"'created_at')::text FROM account x WHERE x.id = " alias ")"

static void
account_from_row(const PGresult *r, int row, struct svc_account *a)
{
	memset(a, 0, sizeof(*a));
	a->id = svc_ll(r, row, 0);
	svc_copy(a->username, sizeof(a->username), PQgetvalue(r, row, 1));
	svc_copy(a->local_part, sizeof(a->local_part), PQgetvalue(r, row, 2));
	svc_copy(a->domain, sizeof(a->domain), PQgetvalue(r, row, 3));
	if (casier_snprintf(a->address, sizeof(a->address), "%s@%s",
			    a->local_part, a->domain) < 0)
		a->address[0] = '\0';
	a->quota_bytes = svc_ll(r, row, 4);
	a->usage_bytes = svc_ll(r, row, 5);
	a->usage_messages = svc_ll(r, row, 6);
	a->active = svc_bool(r, row, 7);
	a->has_redirect = svc_bool(r, row, 8);
	a->has_vacation = svc_bool(r, row, 9);
	a->is_catchall = svc_bool(r, row, 10);
	a->send_limit_per_hour = svc_ll(r, row, 11);
	svc_copy(a->outbound_blocked_until, sizeof(a->outbound_blocked_until),
		 PQgetvalue(r, row, 12));
	svc_copy(a->outbound_block_reason, sizeof(a->outbound_block_reason),
		 PQgetvalue(r, row, 13));
}

void
svc_account_list_free(struct svc_account_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/*
 * Run the auth-cache flush command with the login forms appended (all
 * of them: username, address, through alias domains), or with none to
 * flush the whole cache.  Waits at most 5 s; a failure is logged (the
 * passdb still reads SQL on the next cache miss, and the cache TTL
 * bounds the window).
 */
void
svc_auth_flush(const struct svc *svc, const struct svc_targets *logins)
{
	char err[256];

	if (svc->auth_flush_command == NULL ||
	    svc->auth_flush_command[0] == '\0')
		return;
	if (logins != NULL && logins->n == 0)
		return;
	if (casier_run_command(
		svc->auth_flush_command,
		logins != NULL ? (const char *const *)logins->items : NULL,
		logins != NULL ? logins->n : 0, 5000, err, sizeof(err)) < 0)
		log_error("web: auth cache flush failed: %s", err);
}

int
svc_login_forms(struct db_conn *conn, const char *username,
		struct svc_targets *out_r, struct svc_result *res)
{
	const char *p[1];
	PGresult *r;
	int n;

	memset(out_r, 0, sizeof(*out_r));
	p[0] = username;
	n = svc_sql(conn,
		    "SELECT coalesce(array_to_json(array_agg(login)), "
		    "'[]')::text FROM dovecot_login_forms($1)",
		    1, p, &r, res);
	if (n < 0)
		return -1;
	n = n > 0 ? svc_targets_from_pg(PQgetvalue(r, 0, 0), out_r) : 0;
	PQclear(r);
	if (n < 0) {
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		return -1;
	}
	return 0;
}

/* Find an account by username or address that id may see. */
int
svc_account_find_internal(struct db_conn *conn, const struct svc_identity *id,
			  const char *key, bool lock, struct svc_account *out_r,
			  long long *domain_id_r, struct svc_result *res)
{
	struct svc_id_params ip;
	char uname[SVC_ADDRESS_MAX + 1];
	const char *p[4];
	PGresult *r;
	int n;

	if (key == NULL || strlen(key) > SVC_ADDRESS_MAX) {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such account");
		return -1;
	}
	svc_id_params(id, &ip);
	p[0] = ip.admin_id;
	p[1] = ip.superuser;
	if (strchr(key, '@') == NULL) {
		svc_copy(uname, sizeof(uname), key);
		casier_ascii_lower(uname);
		p[2] = uname;
		n = svc_sql(
		    conn,
		    lock ? "SELECT " ACCOUNT_COLUMNS ", d.id" ACCOUNT_FROM
			   "WHERE a.username = $3 AND " SVC_SQL_CAN_SEE(
			       "$1", "$2") " FOR UPDATE OF a"
			 : "SELECT " ACCOUNT_COLUMNS ", d.id" ACCOUNT_FROM
			   "WHERE a.username = $3 AND " SVC_SQL_CAN_SEE("$1",
									"$2"),
		    3, p, &r, res);
	} else {
		struct address addr;
		const char *error;

		if (address_parse(key, strlen(key), &addr, &error) < 0 ||
		    addr.tag[0] != '\0') {
			svc_result_set(res, SVC_NOT_FOUND, "",
				       "no such account");
			return -1;
		}
		p[2] = addr.local;
		p[3] = addr.domain;
		n = svc_sql(
		    conn,
		    lock ? "SELECT " ACCOUNT_COLUMNS ", d.id" ACCOUNT_FROM
			   "WHERE d.id = (SELECT coalesce((SELECT id FROM "
			   "domain WHERE name = $4), (SELECT domain_id FROM "
			   "alias_domain WHERE name = $4))) AND "
			   "(a.local_part = $3 OR a.username = $3) AND "
			   "" SVC_SQL_CAN_SEE("$1", "$2") " FOR UPDATE OF a"
			 : "SELECT " ACCOUNT_COLUMNS ", d.id" ACCOUNT_FROM
			   "WHERE d.id = (SELECT coalesce((SELECT id FROM "
			   "domain WHERE name = $4), (SELECT domain_id FROM "
			   "alias_domain WHERE name = $4))) AND "
			   "(a.local_part = $3 OR a.username = $3) AND "
			   "" SVC_SQL_CAN_SEE("$1", "$2"),
		    4, p, &r, res);
	}
	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "", "no such account");
		return -1;
	}
	account_from_row(r, 0, out_r);
	if (domain_id_r != NULL)
		*domain_id_r = svc_ll(r, 0, 14);
	PQclear(r);
	return 0;
}

static int
account_fetch_id(struct db_conn *conn, long long account_id,
		 struct svc_account *out_r, struct svc_result *res)
{
	char aid[24];
	const char *p[1];
	PGresult *r;
	int n;

	(void)casier_snprintf(aid, sizeof(aid), "%lld", account_id);
	p[0] = aid;
	n = svc_sql(conn,
		    "SELECT " ACCOUNT_COLUMNS ACCOUNT_FROM
		    "WHERE a.id = $1::bigint",
		    1, p, &r, res);
	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "", "no such account");
		return -1;
	}
	account_from_row(r, 0, out_r);
	PQclear(r);
	return 0;
}

static int
quota_check(const struct svc_account_input *in, struct svc_result *res)
{
	if (in->has_quota &&
	    (in->quota_bytes < 0 || in->quota_bytes > SVC_QUOTA_MAX)) {
		svc_result_set(res, SVC_INVALID, "quota_mb", "out of range");
		return -1;
	}
	if (in->has_send_limit && (in->send_limit_per_hour < -1 ||
				   in->send_limit_per_hour > 100000000)) {
		svc_result_set(res, SVC_INVALID, "send_limit_per_hour",
			       "out of range");
		return -1;
	}
	return 0;
}

int
svc_account_next_username(const struct svc *svc, const struct svc_identity *id,
			  const char *domain, char *out, size_t outsize,
			  struct svc_result *res)
{
	struct db_conn *conn = svc_conn_get(svc, res);
	char dname[SVC_NAME_MAX + 1], did_s[24];
	const char *p[1];
	PGresult *r;
	long long did;
	int n;

	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0) {
		svc_conn_put(svc, &conn);
		return -1;
	}
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = did_s;
	n = svc_sql(conn,
		    "SELECT prefix || CASE WHEN next_seq < 10000 THEN "
		    "lpad(next_seq::text, 4, '0') ELSE next_seq::text END "
		    "FROM domain WHERE id = $1::bigint",
		    1, p, &r, res);
	svc_conn_put(svc, &conn);
	if (n <= 0) {
		if (n == 0) {
			PQclear(r);
			svc_result_set(res, SVC_NOT_FOUND, "",
				       "no such domain");
		}
		return -1;
	}
	svc_copy(out, outsize, PQgetvalue(r, 0, 0));
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

int
svc_account_create(const struct svc *svc, const struct svc_identity *id,
		   const char *domain, const struct svc_account_input *in,
		   struct svc_account *out_r, struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], local[65], hash[PASSWORD_HASH_MAX];
	char quota[24], limit[24], aid_s[24];
	const char *error, *reason, *p[4];
	struct db_conn *conn;
	struct db_error err;
	PGresult *r;
	long long did, account_id;
	int n;

	/* authorisation first: another domain is 404 whatever the body */
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	n = svc_domain_resolve(conn, id, domain, false, &did, dname, res);
	svc_conn_put(svc, &conn);
	if (n < 0)
		return -1;
	if (in->local_part == NULL ||
	    address_local_normalize(in->local_part, local, sizeof(local),
				    &error) < 0) {
		svc_result_set(res, SVC_INVALID, "local_part",
			       "not a valid local part");
		return -1;
	}
	if (quota_check(in, res) < 0)
		return -1;
	if (in->password == NULL) {
		svc_result_set(res, SVC_INVALID, "password", "is required");
		return -1;
	}
	if (!password_policy_ok(in->password, local, NULL, svc->words,
				&reason)) {
		svc_result_set(res, SVC_INVALID, "password", "%s", reason);
		return -1;
	}
	/* hash outside the transaction: the domain row stays locked for
	 * as short a time as possible (account_create locks it) */
	if (password_hash(in->password, hash) < 0) {
		svc_result_set(res, SVC_TEMPFAIL, "", "cannot hash now");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	(void)casier_snprintf(quota, sizeof(quota), "%lld", in->quota_bytes);
	p[0] = dname;
	p[1] = local;
	p[2] = hash;
	p[3] = in->has_quota ? quota : NULL;
	if (db_exec_params(
		conn,
		"SELECT id, username FROM account_create($1, $2, $3, "
		"$4::bigint)",
		4, p, &r, &err) == CASIER_LOOKUP_ERROR) {
		if (strcmp(err.constraint, "local_part_reserved") == 0)
			svc_result_set(res, SVC_INVALID, "local_part",
				       "reserved for usernames");
		else
			svc_db_error(&err, "local_part", res);
		goto rollback;
	}
	account_id = svc_ll(r, 0, 0);
	if (!password_policy_ok(in->password, local, PQgetvalue(r, 0, 1),
				svc->words, &reason)) {
		PQclear(r);
		svc_result_set(res, SVC_INVALID, "password", "%s", reason);
		goto rollback; /* the number goes back with the rollback */
	}
	PQclear(r);
	(void)casier_snprintf(aid_s, sizeof(aid_s), "%lld", account_id);
	(void)casier_snprintf(limit, sizeof(limit), "%lld",
			      in->send_limit_per_hour);
	p[0] = aid_s;
	if (in->has_send_limit && in->send_limit_per_hour >= 0) {
		p[1] = limit;
		if (svc_sql(conn,
			    "UPDATE account SET send_limit_per_hour = "
			    "$2::integer WHERE id = $1::bigint",
			    2, p, &r, res) < 0)
			goto rollback;
		PQclear(r);
	}
	/* created inactive in the same transaction: never active, even
	 * for a moment, and nothing left behind when a step fails */
	if (in->has_active && !in->active) {
		if (svc_sql(conn,
			    "UPDATE account SET active = false WHERE id = "
			    "$1::bigint",
			    1, p, &r, res) < 0)
			goto rollback;
		PQclear(r);
	}
	if (svc_sql(conn, "SELECT " ACCOUNT_AUDIT_JSON("$1::bigint"), 1, p, &r,
		    res) < 0)
		goto rollback;
	if (account_fetch_id(conn, account_id, out_r, res) < 0) {
		PQclear(r);
		goto rollback;
	}
	n = svc_audit_add(conn, id, did, dname, "account.create",
			  out_r->username, NULL, PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
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
svc_account_get(const struct svc *svc, const struct svc_identity *id,
		const char *username, struct svc_account *out_r,
		struct svc_result *res)
{
	struct db_conn *conn = svc_conn_get(svc, res);
	int ret;

	if (conn == NULL)
		return -1;
	ret = svc_account_find_internal(conn, id, username, false, out_r, NULL,
					res);
	svc_conn_put(svc, &conn);
	if (ret == 0)
		svc_result_ok(res);
	return ret;
}

int
svc_account_list(const struct svc *svc, const struct svc_identity *id,
		 const char *domain, const struct svc_page *page,
		 struct svc_account_list *out_r, struct svc_result *res)
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
	if (ks.has_cursor) {
		char *end;

		errno = 0;
		(void)strtoll(ks.key, &end, 10);
		if (errno != 0 || *end != '\0' || end == ks.key) {
			svc_conn_put(svc, &conn);
			svc_result_set(res, SVC_BAD_REQUEST, "cursor",
				       "invalid cursor");
			return -1;
		}
	}
	like = svc_like_pattern(page->q);
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = did_s;
	/* no cursor: ids are >= 1, so "> 0" is the first page and the
	 * prepared statements need no "IS NULL OR" (a generic plan could not
	 * use the index for it) */
	p[1] = ks.has_cursor ? ks.key : "0";
	p[2] = like;
	p[3] = ks.limit_plus_one;
	/* keyset on (domain_id, id): the UNIQUE (domain_id, id) index; ids
	 * grow with the username number, so this is the username order */
	if (like == NULL) {
		n = svc_sql_named(conn,
				  ks.dir == 'p' ? "svc_account_list_p"
						: "svc_account_list_n",
				  4, p, &r, res);
	} else {
		/*
		 * A search: first probe the next ACCOUNT_PROBE_ROWS accounts
		 * in page order (cheap, and enough for a common term); when
		 * that does not fill the page, let the trigram indexes
		 * (sql/020) find the matches ("id + 0" keeps the planner
		 * from walking the id index over the whole domain for a
		 * rare term).  bench/web shows both plans.
		 */
		/* not prepared: a generic plan cannot see the pattern */
		n = svc_sql(conn,
			    ks.dir == 'p' ? ACCOUNT_PROBE_SQL("<", "DESC")
					  : ACCOUNT_PROBE_SQL(">", ""),
			    4, p, &r, res);
		if (n >= 0 && (size_t)PQntuples(r) <= ks.limit) {
			PQclear(r);
			n = svc_sql(conn,
				    ks.dir == 'p'
					? ACCOUNT_SEARCH_SQL("<", "DESC")
					: ACCOUNT_SEARCH_SQL(">", ""),
				    4, p, &r, res);
		}
	}
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
	for (size_t i = 0; i < count; i++)
		account_from_row(r, svc_keyset_row(&ks, count, i),
				 &out_r->items[i]);
	out_r->n = count;
	svc_keyset_cursors(&ks, r, count, 0, &out_r->cursors);
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

int
svc_account_update(const struct svc *svc, const struct svc_identity *id,
		   const char *username, const struct svc_account_input *in,
		   struct svc_account *out_r, struct svc_result *res)
{
	struct svc_account cur;
	char hash[PASSWORD_HASH_MAX], quota[24], limit[24], aid_s[24];
	char *before = NULL;
	const char *reason, *p[7];
	struct db_conn *conn;
	PGresult *r;
	long long did;
	bool flush;
	int n;

	hash[0] = '\0';
	if (in->local_part != NULL) {
		svc_result_set(res, SVC_INVALID, "local_part",
			       "cannot be changed");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_account_find_internal(conn, id, username, false, &cur, &did,
				      res) < 0)
		goto out;
	if (quota_check(in, res) < 0)
		goto out;
	if (in->password != NULL) {
		if (!password_policy_ok(in->password, cur.local_part,
					cur.username, svc->words, &reason)) {
			svc_result_set(res, SVC_INVALID, "password", "%s",
				       reason);
			goto out;
		}
		if (password_hash(in->password, hash) < 0) {
			svc_result_set(res, SVC_TEMPFAIL, "",
				       "cannot hash now");
			goto out;
		}
	}
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_account_find_internal(conn, id, username, true, &cur, &did,
				      res) < 0)
		goto rollback;
	(void)casier_snprintf(aid_s, sizeof(aid_s), "%lld", cur.id);
	p[0] = aid_s;
	if (svc_sql(conn, "SELECT " ACCOUNT_AUDIT_JSON("$1::bigint"), 1, p, &r,
		    res) < 0)
		goto rollback;
	before = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	(void)casier_snprintf(quota, sizeof(quota), "%lld", in->quota_bytes);
	(void)casier_snprintf(limit, sizeof(limit), "%lld",
			      in->send_limit_per_hour);
	p[1] = hash[0] != '\0' ? hash : NULL;
	p[2] = in->has_quota ? quota : NULL;
	p[3] = in->has_active ? (in->active ? "t" : "f") : NULL;
	p[4] = in->has_send_limit ? "t" : "f";
	p[5] =
	    in->has_send_limit && in->send_limit_per_hour >= 0 ? limit : NULL;
	if (svc_sql(conn,
		    "UPDATE account SET password_hash = coalesce($2, "
		    "password_hash), quota_bytes = coalesce($3::bigint, "
		    "quota_bytes), active = coalesce($4::boolean, active), "
		    "send_limit_per_hour = CASE WHEN $5::boolean THEN "
		    "$6::integer ELSE send_limit_per_hour END WHERE id = "
		    "$1::bigint",
		    6, p, &r, res) < 0)
		goto rollback;
	PQclear(r);
	if (svc_sql(conn, "SELECT " ACCOUNT_AUDIT_JSON("$1::bigint"), 1, p, &r,
		    res) < 0)
		goto rollback;
	{
		/* the audit shows that the password changed, never a hash */
		struct str after;

		str_init(&after, 65536);
		(void)str_append(&after, PQgetvalue(r, 0, 0));
		if (hash[0] != '\0' && after.len > 1 &&
		    after.data[after.len - 1] == '}') {
			after.len--;
			after.data[after.len] = '\0';
			(void)str_append(&after,
					 ", \"password\": \"changed\"}");
		}
		PQclear(r);
		n = svc_audit_add(conn, id, did, cur.domain, "account.update",
				  cur.username, before, after.data, res);
		str_free(&after);
		if (n < 0)
			goto rollback;
	}
	if (account_fetch_id(conn, cur.id, out_r, res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_conn_put(svc, &conn);
	free(before);
	flush = hash[0] != '\0' || (in->has_active && !in->active);
	explicit_bzero(hash, sizeof(hash));
	if (flush) {
		struct svc_targets forms;
		struct svc_result r2;

		conn = svc_conn_get(svc, &r2);
		if (conn != NULL &&
		    svc_login_forms(conn, out_r->username, &forms, &r2) == 0) {
			svc_auth_flush(svc, &forms);
			svc_targets_free(&forms);
		}
		svc_conn_put(svc, &conn);
	}
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	free(before);
	explicit_bzero(hash, sizeof(hash));
	return -1;
}

int
svc_account_delete(const struct svc *svc, const struct svc_identity *id,
		   const char *username, struct svc_result *res)
{
	struct svc_account cur;
	struct svc_targets forms = {0};
	char aid_s[24];
	const char *p[3];
	struct db_conn *conn;
	PGresult *r;
	long long did;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_account_find_internal(conn, id, username, true, &cur, &did,
				      res) < 0)
		goto rollback;
	/* every form Dovecot may have cached, computed before the rows go */
	if (svc_login_forms(conn, cur.username, &forms, res) < 0)
		goto rollback;
	(void)casier_snprintf(aid_s, sizeof(aid_s), "%lld", cur.id);
	p[0] = cur.username;
	p[1] = cur.domain;
	p[2] = aid_s;
	if (svc_sql(conn,
		    "INSERT INTO mail_job (kind, username, domain_name, "
		    "payload) VALUES ('mailbox.delete', $1, $2, "
		    "json_build_object('account_id', $3::bigint))",
		    3, p, &r, res) < 0)
		goto rollback;
	PQclear(r);
	p[0] = aid_s;
	if (svc_sql(conn,
		    "WITH x AS (DELETE FROM account WHERE id = $1::bigint "
		    "RETURNING *) SELECT (to_jsonb(x) - 'password_hash' - "
		    "'updated_at' - 'created_at')::text FROM x",
		    1, p, &r, res) < 0)
		goto rollback;
	n = svc_audit_add(conn, id, did, cur.domain, "account.delete",
			  cur.username, PQgetvalue(r, 0, 0), NULL, res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_conn_put(svc, &conn);
	svc_auth_flush(svc, &forms);
	svc_targets_free(&forms);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	svc_targets_free(&forms);
	return -1;
}

/*
 * service-domain.c - domains, alias domains and the catch-all.
 *
 * Called by the API and the pages.  Superuser only for creating,
 * changing and deleting domains and alias domains; a domain admin sees
 * and reads its own domains and sets their catch-all.  Unprivileged;
 * deleting a domain files one mailbox.delete mail job per account (the
 * privileged side removes the mail).  Database trouble -> SVC_TEMPFAIL.
 */
#include "service-db.h"

#include "address.h"
#include "log.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>

#define DOMAIN_COLUMNS                                                         \
	"d.id, d.name, d.prefix, d.max_accounts, d.account_count, "            \
	"d.default_quota_bytes, "                                              \
	"coalesce(d.contact, ''), d.active, coalesce(d.send_limit_per_hour, "  \
	"-1), coalesce((SELECT username FROM account c WHERE c.id = "          \
	"d.catchall_account_id), ''), (SELECT coalesce(array_to_json("         \
	"array_agg(ad.name ORDER BY ad.name)), '[]') FROM alias_domain ad "    \
	"WHERE ad.domain_id = d.id)"

#define DOMAIN_AUDIT_JSON(alias)                                               \
	"(SELECT (to_jsonb(x) - 'updated_at' - 'created_at')::text FROM "      \
	"domain x WHERE x.id = " alias ")"

void
svc_domain_free(struct svc_domain *d)
{
	for (size_t i = 0; i < d->nalias_domains; i++)
		free(d->alias_domains[i]);
	free(d->alias_domains);
	d->alias_domains = NULL;
	d->nalias_domains = 0;
}

void
svc_domain_list_free(struct svc_domain_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		svc_domain_free(&l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static int
domain_from_row(const PGresult *r, int row, struct svc_domain *d)
{
	struct svc_targets names;

	memset(d, 0, sizeof(*d));
	d->id = svc_ll(r, row, 0);
	svc_copy(d->name, sizeof(d->name), PQgetvalue(r, row, 1));
	svc_copy(d->prefix, sizeof(d->prefix), PQgetvalue(r, row, 2));
	d->max_accounts = svc_ll(r, row, 3);
	d->accounts_used = svc_ll(r, row, 4);
	d->default_quota_bytes = svc_ll(r, row, 5);
	svc_copy(d->contact, sizeof(d->contact), PQgetvalue(r, row, 6));
	d->active = svc_bool(r, row, 7);
	d->send_limit_per_hour = svc_ll(r, row, 8);
	svc_copy(d->catchall, sizeof(d->catchall), PQgetvalue(r, row, 9));
	if (svc_targets_from_pg(PQgetvalue(r, row, 10), &names) < 0)
		return -1;
	d->alias_domains = names.items;
	d->nalias_domains = names.n;
	return 0;
}

static int
domain_fetch(struct db_conn *conn, long long domain_id, struct svc_domain *d,
	     struct svc_result *res)
{
	char did[24];
	const char *p[1];
	PGresult *r;
	int n;

	(void)casier_snprintf(did, sizeof(did), "%lld", domain_id);
	p[0] = did;
	n = svc_sql(conn,
		    "SELECT " DOMAIN_COLUMNS
		    " FROM domain d WHERE d.id = $1::bigint",
		    1, p, &r, res);
	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "", "no such domain");
		return -1;
	}
	if (domain_from_row(r, 0, d) < 0) {
		PQclear(r);
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		return -1;
	}
	PQclear(r);
	return 0;
}

static bool
prefix_ok(const char *p)
{
	size_t len = strlen(p);

	if (len < 2 || len > 16 || p[0] < 'a' || p[0] > 'z')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9')))
			return false;
	return true;
}

/* Validate the fields common to create and update; fills text params. */
static int
domain_input_check(const struct svc_domain_input *in, char *contact,
		   size_t contact_size, struct svc_result *res)
{
	if (in->prefix != NULL && !prefix_ok(in->prefix)) {
		svc_result_set(res, SVC_INVALID, "prefix",
			       "2 to 16 lower-case letters and digits, "
			       "starting with a letter");
		return -1;
	}
	if (in->has_max_accounts &&
	    (in->max_accounts < 0 || in->max_accounts > 10000000)) {
		svc_result_set(res, SVC_INVALID, "max_accounts",
			       "must be between 0 and 10000000");
		return -1;
	}
	if (in->has_default_quota &&
	    (in->default_quota_bytes < 0 ||
	     in->default_quota_bytes > SVC_QUOTA_MAX)) {
		svc_result_set(res, SVC_INVALID, "default_quota_mb",
			       "out of range");
		return -1;
	}
	if (in->has_send_limit && (in->send_limit_per_hour < -1 ||
				   in->send_limit_per_hour > 100000000)) {
		svc_result_set(res, SVC_INVALID, "send_limit_per_hour",
			       "out of range");
		return -1;
	}
	contact[0] = '\0';
	if (in->has_contact && in->contact != NULL && in->contact[0] != '\0') {
		struct address a;
		const char *error;

		if (strlen(in->contact) > SVC_ADDRESS_MAX ||
		    address_parse(in->contact, strlen(in->contact), &a,
				  &error) < 0 ||
		    address_format(&a, contact, contact_size) < 0) {
			svc_result_set(res, SVC_INVALID, "contact",
				       "not a valid address");
			return -1;
		}
	}
	return 0;
}

static const char *
domain_conflict_field(const struct svc_result *res, const char *constraint)
{
	(void)res;
	if (strstr(constraint, "prefix") != NULL)
		return "prefix";
	return "name";
}

int
svc_domain_create(const struct svc *svc, const struct svc_identity *id,
		  const struct svc_domain_input *in, struct svc_domain *out_r,
		  struct svc_result *res)
{
	char name[SVC_NAME_MAX + 1], contact[SVC_ADDRESS_MAX + 1];
	char maxacc[24], quota[24], limit[24];
	const char *error, *p[6];
	struct db_conn *conn;
	struct db_error err;
	PGresult *r;
	long long domain_id;

	if (!id->superuser) {
		svc_result_set(res, SVC_FORBIDDEN, "",
			       "only the superuser creates domains");
		return -1;
	}
	if (in->name == NULL ||
	    address_domain_normalize(in->name, name, sizeof(name), &error) <
		0 ||
	    strchr(name, '.') == NULL) {
		svc_result_set(res, SVC_INVALID, "name",
			       "not a valid domain name");
		return -1;
	}
	if (in->prefix == NULL) {
		svc_result_set(res, SVC_INVALID, "prefix", "is required");
		return -1;
	}
	if (!in->has_max_accounts || !in->has_default_quota) {
		svc_result_set(res, SVC_INVALID,
			       in->has_max_accounts ? "default_quota_mb"
						    : "max_accounts",
			       "is required");
		return -1;
	}
	if (domain_input_check(in, contact, sizeof(contact), res) < 0)
		return -1;
	(void)casier_snprintf(maxacc, sizeof(maxacc), "%lld", in->max_accounts);
	(void)casier_snprintf(quota, sizeof(quota), "%lld",
			      in->default_quota_bytes);
	(void)casier_snprintf(limit, sizeof(limit), "%lld",
			      in->send_limit_per_hour);
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	p[0] = name;
	p[1] = in->prefix;
	p[2] = maxacc;
	p[3] = quota;
	p[4] = contact[0] != '\0' ? contact : NULL;
	p[5] =
	    in->has_send_limit && in->send_limit_per_hour >= 0 ? limit : NULL;
	switch (
	    db_exec_params(conn,
			   "INSERT INTO domain (name, prefix, max_accounts, "
			   "default_quota_bytes, contact, "
			   "send_limit_per_hour) VALUES ($1, $2, "
			   "$3::integer, $4::bigint, $5, $6::integer) "
			   "RETURNING id",
			   6, p, &r, &err)) {
	case CASIER_LOOKUP_ERROR:
		svc_db_error(&err, domain_conflict_field(res, err.constraint),
			     res);
		goto rollback;
	default:
		break;
	}
	domain_id = svc_ll(r, 0, 0);
	PQclear(r);
	{
		char did[24];
		const char *q[1];
		int n;

		(void)casier_snprintf(did, sizeof(did), "%lld", domain_id);
		q[0] = did;
		n = svc_sql(conn, "SELECT " DOMAIN_AUDIT_JSON("$1::bigint"), 1,
			    q, &r, res);
		if (n < 0)
			goto rollback;
		n = svc_audit_add(conn, id, domain_id, name, "domain.create",
				  name, NULL, PQgetvalue(r, 0, 0), res);
		PQclear(r);
		if (n < 0)
			goto rollback;
	}
	if (domain_fetch(conn, domain_id, out_r, res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0) {
		svc_domain_free(out_r);
		goto out;
	}
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_domain_get(const struct svc *svc, const struct svc_identity *id,
	       const char *name, struct svc_domain *out_r,
	       struct svc_result *res)
{
	struct db_conn *conn = svc_conn_get(svc, res);
	char dname[SVC_NAME_MAX + 1];
	long long did;
	int ret = -1;

	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, name, false, &did, dname, res) == 0 &&
	    domain_fetch(conn, did, out_r, res) == 0) {
		svc_result_ok(res);
		ret = 0;
	}
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_domain_list(const struct svc *svc, const struct svc_identity *id,
		const struct svc_page *page, struct svc_domain_list *out_r,
		struct svc_result *res)
{
	struct svc_keyset ks;
	struct svc_id_params ip;
	struct db_conn *conn;
	char *like;
	const char *p[5];
	PGresult *r;
	size_t count;
	int n;

	memset(out_r, 0, sizeof(*out_r));
	svc_keyset_init(page, &ks);
	svc_id_params(id, &ip);
	like = svc_like_pattern(page->q);
	p[0] = ip.admin_id;
	p[1] = ip.superuser;
	p[2] = ks.has_cursor ? ks.key : NULL;
	p[3] = like;
	p[4] = ks.limit_plus_one;
	conn = svc_conn_get(svc, res);
	if (conn == NULL) {
		free(like);
		return -1;
	}
	n = svc_sql(
	    conn,
	    ks.dir == 'p'
		? "SELECT " DOMAIN_COLUMNS
		  " FROM domain d WHERE " SVC_SQL_CAN_SEE(
		      "$1",
		      "$2") " AND ($3::text IS NULL OR d.name < $3) AND "
			    "($4::text IS NULL OR d.name ILIKE $4) ORDER BY "
			    "d.name DESC LIMIT $5::integer"
		: "SELECT " DOMAIN_COLUMNS
		  " FROM domain d WHERE " SVC_SQL_CAN_SEE(
		      "$1",
		      "$2") " AND ($3::text IS NULL OR d.name > $3) AND "
			    "($4::text IS NULL OR d.name ILIKE $4) ORDER BY "
			    "d.name LIMIT $5::integer",
	    5, p, &r, res);
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
		if (domain_from_row(r, svc_keyset_row(&ks, count, i),
				    &out_r->items[i]) < 0) {
			PQclear(r);
			svc_domain_list_free(out_r);
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
svc_domain_update(const struct svc *svc, const struct svc_identity *id,
		  const char *name, const struct svc_domain_input *in,
		  struct svc_domain *out_r, struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], contact[SVC_ADDRESS_MAX + 1];
	char did_s[24], maxacc[24], quota[24], limit[24];
	char *before = NULL;
	const char *p[11];
	struct db_conn *conn;
	struct db_error err;
	PGresult *r;
	long long did;
	int n;

	if (!id->superuser) {
		/* a domain admin may learn that its own domain exists, but
		 * another domain's name gives 404 first */
		conn = svc_conn_get(svc, res);
		if (conn == NULL)
			return -1;
		n = svc_domain_resolve(conn, id, name, false, &did, dname, res);
		svc_conn_put(svc, &conn);
		if (n == 0)
			svc_result_set(res, SVC_FORBIDDEN, "",
				       "only the superuser changes domains");
		return -1;
	}
	if (in->name != NULL) {
		svc_result_set(res, SVC_INVALID, "name",
			       "the name of a domain cannot change");
		return -1;
	}
	if (domain_input_check(in, contact, sizeof(contact), res) < 0)
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_domain_resolve(conn, id, name, true, &did, dname, res) < 0)
		goto rollback;
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = did_s;
	if (svc_sql(conn, "SELECT " DOMAIN_AUDIT_JSON("$1::bigint"), 1, p, &r,
		    res) < 0)
		goto rollback;
	before = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	(void)casier_snprintf(maxacc, sizeof(maxacc), "%lld", in->max_accounts);
	(void)casier_snprintf(quota, sizeof(quota), "%lld",
			      in->default_quota_bytes);
	(void)casier_snprintf(limit, sizeof(limit), "%lld",
			      in->send_limit_per_hour);
	p[1] = in->prefix;
	p[2] = in->has_max_accounts ? maxacc : NULL;
	p[3] = in->has_default_quota ? quota : NULL;
	p[4] = in->has_contact ? "t" : "f";
	p[5] = contact[0] != '\0' ? contact : NULL;
	p[6] = in->has_active ? (in->active ? "t" : "f") : NULL;
	p[7] = in->has_send_limit ? "t" : "f";
	p[8] =
	    in->has_send_limit && in->send_limit_per_hour >= 0 ? limit : NULL;
	if (db_exec_params(
		conn,
		"UPDATE domain SET prefix = coalesce($2, prefix), "
		"max_accounts = coalesce($3::integer, max_accounts), "
		"default_quota_bytes = coalesce($4::bigint, "
		"default_quota_bytes), contact = CASE WHEN $5::boolean "
		"THEN $6 ELSE contact END, active = coalesce($7::boolean, "
		"active), send_limit_per_hour = CASE WHEN $8::boolean THEN "
		"$9::integer ELSE send_limit_per_hour END WHERE id = "
		"$1::bigint",
		9, p, &r, &err) == CASIER_LOOKUP_ERROR) {
		svc_db_error(&err,
			     strstr(err.constraint, "prefix") ? "prefix" : "",
			     res);
		goto rollback;
	}
	PQclear(r);
	if (svc_sql(conn, "SELECT " DOMAIN_AUDIT_JSON("$1::bigint"), 1, p, &r,
		    res) < 0)
		goto rollback;
	n = svc_audit_add(conn, id, did, dname, "domain.update", dname, before,
			  PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (domain_fetch(conn, did, out_r, res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0) {
		svc_domain_free(out_r);
		goto out;
	}
	free(before);
	svc_conn_put(svc, &conn);
	if (in->has_active && !in->active)
		svc_auth_flush(svc, NULL);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	free(before);
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_domain_delete(const struct svc *svc, const struct svc_identity *id,
		  const char *name, struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], did_s[24];
	const char *p[1];
	struct db_conn *conn;
	PGresult *r;
	long long did;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (!id->superuser) {
		n = svc_domain_resolve(conn, id, name, false, &did, dname, res);
		svc_conn_put(svc, &conn);
		if (n == 0)
			svc_result_set(res, SVC_FORBIDDEN, "",
				       "only the superuser deletes domains");
		return -1;
	}
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_domain_resolve(conn, id, name, true, &did, dname, res) < 0)
		goto rollback;
	{
		/* an alias domain name resolves to its primary: deleting
		 * "it" here would take the primary domain and all its mail
		 * (alias domains go through .../alias-domains/{name}) */
		char norm[SVC_NAME_MAX + 1];
		const char *error;

		if (address_domain_normalize(name, norm, sizeof(norm), &error) <
			0 ||
		    strcmp(norm, dname) != 0) {
			svc_result_set(res, SVC_NOT_FOUND, "",
				       "no such domain (an alias domain of %s)",
				       dname);
			goto rollback;
		}
	}
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = did_s;
	/* the mail of every account goes through the privileged side */
	if (svc_sql(conn,
		    "INSERT INTO mail_job (kind, username, domain_name) SELECT "
		    "'mailbox.delete', a.username, d.name FROM account a JOIN "
		    "domain d ON d.id = a.domain_id WHERE d.id = $1::bigint",
		    1, p, &r, res) < 0)
		goto rollback;
	PQclear(r);
	if (svc_sql(conn,
		    "WITH x AS (DELETE FROM domain WHERE id = $1::bigint "
		    "RETURNING *) SELECT (to_jsonb(x) - 'updated_at' - "
		    "'created_at')::text FROM x",
		    1, p, &r, res) < 0)
		goto rollback;
	n = svc_audit_add(conn, id, did, dname, "domain.delete", dname,
			  PQgetvalue(r, 0, 0), NULL, res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_conn_put(svc, &conn);
	svc_auth_flush(svc, NULL); /* every account of the domain */
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_alias_domain_add(const struct svc *svc, const struct svc_identity *id,
		     const char *domain, const char *alias_name,
		     struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], aname[SVC_NAME_MAX + 1], did_s[24];
	char after[SVC_NAME_MAX * 2 + 64];
	const char *error, *p[2];
	struct db_conn *conn;
	struct db_error err;
	PGresult *r;
	long long did;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (!id->superuser) {
		if (svc_domain_resolve(conn, id, domain, false, &did, dname,
				       res) == 0)
			svc_result_set(res, SVC_FORBIDDEN, "",
				       "only the superuser manages alias "
				       "domains");
		svc_conn_put(svc, &conn);
		return -1;
	}
	if (alias_name == NULL ||
	    address_domain_normalize(alias_name, aname, sizeof(aname), &error) <
		0 ||
	    strchr(aname, '.') == NULL) {
		svc_result_set(res, SVC_INVALID, "name",
			       "not a valid domain name");
		goto out;
	}
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_domain_resolve(conn, id, domain, true, &did, dname, res) < 0)
		goto rollback;
	if (strcmp(dname, aname) == 0) {
		svc_result_set(res, SVC_CONFLICT, "name",
			       "already a domain name");
		goto rollback;
	}
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = aname;
	p[1] = did_s;
	if (db_exec_params(conn,
			   "INSERT INTO alias_domain (name, domain_id) VALUES "
			   "($1, $2::bigint)",
			   2, p, &r, &err) == CASIER_LOOKUP_ERROR) {
		svc_db_error(&err, "name", res);
		goto rollback;
	}
	PQclear(r);
	(void)casier_snprintf(after, sizeof(after),
			      "{\"name\":\"%s\",\"domain\":\"%s\"}", aname,
			      dname);
	if (svc_audit_add(conn, id, did, dname, "alias_domain.create", aname,
			  NULL, after, res) < 0)
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

int
svc_alias_domain_remove(const struct svc *svc, const struct svc_identity *id,
			const char *domain, const char *alias_name,
			struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], aname[SVC_NAME_MAX + 1], did_s[24];
	char before[SVC_NAME_MAX * 2 + 64];
	const char *error, *p[2];
	struct db_conn *conn;
	PGresult *r;
	long long did;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (!id->superuser) {
		if (svc_domain_resolve(conn, id, domain, false, &did, dname,
				       res) == 0)
			svc_result_set(res, SVC_FORBIDDEN, "",
				       "only the superuser manages alias "
				       "domains");
		svc_conn_put(svc, &conn);
		return -1;
	}
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_domain_resolve(conn, id, domain, true, &did, dname, res) < 0)
		goto rollback;
	if (alias_name == NULL ||
	    address_domain_normalize(alias_name, aname, sizeof(aname), &error) <
		0) {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such alias domain");
		goto rollback;
	}
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = aname;
	p[1] = did_s;
	n = svc_sql(conn,
		    "DELETE FROM alias_domain WHERE name = $1 AND domain_id = "
		    "$2::bigint RETURNING name",
		    2, p, &r, res);
	if (n < 0)
		goto rollback;
	PQclear(r);
	if (n == 0) {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such alias domain");
		goto rollback;
	}
	(void)casier_snprintf(before, sizeof(before),
			      "{\"name\":\"%s\",\"domain\":\"%s\"}", aname,
			      dname);
	if (svc_audit_add(conn, id, did, dname, "alias_domain.delete", aname,
			  before, NULL, res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_conn_put(svc, &conn);
	svc_auth_flush(svc, NULL); /* logins through the alias name */
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_catchall_set(const struct svc *svc, const struct svc_identity *id,
		 const char *domain, const char *username,
		 struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], did_s[24], uname[SVC_ADDRESS_MAX + 1];
	char *before = NULL;
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
	if (svc_domain_resolve(conn, id, domain, true, &did, dname, res) < 0)
		goto rollback;
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = did_s;
	if (svc_sql(conn,
		    "SELECT json_build_object('catchall', (SELECT username "
		    "FROM account WHERE id = d.catchall_account_id))::text "
		    "FROM domain d WHERE d.id = $1::bigint",
		    1, p, &r, res) < 0)
		goto rollback;
	before = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (username != NULL) {
		/* a username of this domain, or an address of it */
		svc_copy(uname, sizeof(uname), username);
		casier_ascii_lower(uname);
		p[1] = uname;
		n = svc_sql(conn,
			    "UPDATE domain d SET catchall_account_id = a.id "
			    "FROM account a WHERE d.id = $1::bigint AND "
			    "a.domain_id = d.id AND (a.username = $2 OR "
			    "a.local_part || '@' || d.name = $2 OR a.username "
			    "|| '@' || d.name = $2) RETURNING a.username",
			    2, p, &r, res);
		if (n < 0)
			goto rollback;
		PQclear(r);
		if (n == 0) {
			svc_result_set(res, SVC_INVALID, "username",
				       "not an account of this domain");
			goto rollback;
		}
	} else {
		if (svc_sql(conn,
			    "UPDATE domain SET catchall_account_id = NULL "
			    "WHERE id = $1::bigint",
			    1, p, &r, res) < 0)
			goto rollback;
		PQclear(r);
	}
	if (svc_sql(conn,
		    "SELECT json_build_object('catchall', (SELECT username "
		    "FROM account WHERE id = d.catchall_account_id))::text "
		    "FROM domain d WHERE d.id = $1::bigint",
		    1, p, &r, res) < 0)
		goto rollback;
	n = svc_audit_add(conn, id, did, dname,
			  username != NULL ? "catchall.set" : "catchall.delete",
			  dname, before, PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	free(before);
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	free(before);
	svc_conn_put(svc, &conn);
	return -1;
}

/*
 * service-outbound.c - outbound limits and relay clients in casier-
 * mgmtd's service layer (DESIGN sections 6, 7, 9; docs/policy.md).
 *
 * Called by api-outbound.c (and pages) as the unprivileged casier-mgmtd
 * user.  Every change runs in one transaction with its audit row; the
 * counters themselves belong to casier-policyd and are only read here
 * (reports) or reset by outbound_unblock().  Objects come back as JSON
 * text built by the SQL functions of sql/034_outbound_admin.sql.
 * Database trouble is SVC_TEMPFAIL; a bad field SVC_INVALID with the
 * field named; another domain's account SVC_NOT_FOUND; relay clients
 * and decisions on bulk requests are for the superuser (SVC_FORBIDDEN).
 */
#include "service-outbound.h"

#include "service-db.h"

#include "address.h"
#include "str.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static char *
outbound_strdup_or_tempfail(const char *s, struct svc_result *res)
{
	char *d = strdup(s);

	if (d == NULL)
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
	return d;
}

/* A positive decimal id from a path segment, else 404. */
static bool
outbound_parse_id(const char *s, char out[24], struct svc_result *res)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n == 0 || n > 18 || strspn(s, "0123456789") != n || s[0] == '0') {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such object");
		return false;
	}
	memcpy(out, s, n + 1);
	return true;
}

static bool
outbound_text_ok(const char *s, size_t max)
{
	size_t n;

	if (s == NULL)
		return false;
	n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
	}
	return true;
}

static int
outbound_need_superuser(const struct svc_identity *id, struct svc_result *res)
{
	if (!id->superuser) {
		svc_result_set(res, SVC_FORBIDDEN, "",
			       "only the superuser may do this");
		return -1;
	}
	return 0;
}

/* Run sql returning one text column in one row; *out_r malloc'ed. */
static int
outbound_sql_text(struct db_conn *conn, const char *sql, int nparams,
		  const char *const *params, char **out_r,
		  struct svc_result *res)
{
	PGresult *r;
	int n = svc_sql(conn, sql, nparams, params, &r, res);

	*out_r = NULL;
	if (n < 0)
		return -1;
	if (n == 0 || PQgetisnull(r, 0, 0)) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "", "no such object");
		return -1;
	}
	*out_r = outbound_strdup_or_tempfail(PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (*out_r == NULL)
		return -1;
	svc_result_ok(res);
	return 0;
}

/* ---- unblock ---------------------------------------------------------- */

int
svc_outbound_unblock(const struct svc *svc, const struct svc_identity *id,
		     const char *username, struct svc_result *res)
{
	struct db_conn *conn = svc_conn_get(svc, res);
	struct svc_account a;
	struct svc_targets forms = {0};
	const char *p[2];
	PGresult *r;

	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto fail;
	if (svc_account_find_internal(conn, id, username, true, &a, NULL, res) <
	    0) {
		db_rollback(conn);
		goto fail;
	}
	p[0] = a.username;
	p[1] = id->login;
	/* outbound_unblock() writes the audit row (actor = this admin). */
	if (svc_sql(conn, "SELECT outbound_unblock($1, $2)", 2, p, &r, res) <
	    0) {
		db_rollback(conn);
		goto fail;
	}
	PQclear(r);
	if (svc_commit(conn, res) < 0)
		goto fail;
	/* SMTP logins refused while blocked must work at once. */
	if (svc_login_forms(conn, a.username, &forms, res) == 0) {
		svc_auth_flush(svc, &forms);
		svc_targets_free(&forms);
	}
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
fail:
	svc_conn_put(svc, &conn);
	return -1;
}

/* ---- bulk requests ---------------------------------------------------- */

int
svc_bulk_request_create(const struct svc *svc, const struct svc_identity *id,
			const char *username, const struct svc_bulk_input *in,
			char **json_r, struct svc_result *res)
{
	struct db_conn *conn;
	struct svc_account a;
	long long domain_id;
	char limit[24], rid[24], did[24];
	const char *p[6];
	PGresult *r;
	int n;

	*json_r = NULL;
	if (in->justification == NULL || strlen(in->justification) == 0 ||
	    strlen(in->justification) > 4000) {
		svc_result_set(res, SVC_INVALID, "justification",
			       "a justification of 1 to 4000 characters is "
			       "required");
		return -1;
	}
	if (in->limit_per_hour < 1 || in->limit_per_hour > SVC_BULK_LIMIT_MAX) {
		svc_result_set(res, SVC_INVALID, "limit_per_hour",
			       "limit must be between 1 and %d",
			       SVC_BULK_LIMIT_MAX);
		return -1;
	}
	if (in->start == NULL || in->end == NULL) {
		svc_result_set(res, SVC_INVALID,
			       in->start == NULL ? "start" : "end",
			       "start and end are required");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	p[0] = in->start;
	p[1] = in->end;
	n = svc_sql(conn,
		    "SELECT casier_try_timestamptz($1) IS NOT NULL, "
		    "casier_try_timestamptz($2) IS NOT NULL, "
		    "casier_try_timestamptz($1) < casier_try_timestamptz($2), "
		    "casier_try_timestamptz($2) > now()",
		    2, p, &r, res);
	if (n < 0)
		goto fail;
	if (!svc_bool(r, 0, 0) || !svc_bool(r, 0, 1) || !svc_bool(r, 0, 2) ||
	    !svc_bool(r, 0, 3)) {
		const char *field = !svc_bool(r, 0, 0) ? "start" : "end";
		svc_result_set(res, SVC_INVALID, field,
			       !svc_bool(r, 0, 0) || !svc_bool(r, 0, 1)
				   ? "not an ISO 8601 date or date-time"
				   : "end must be after start and in the "
				     "future");
		PQclear(r);
		goto fail;
	}
	PQclear(r);
	if (svc_begin(conn, res) < 0)
		goto fail;
	if (svc_account_find_internal(conn, id, username, true, &a, &domain_id,
				      res) < 0)
		goto rollback;
	(void)casier_snprintf(limit, sizeof(limit), "%lld", in->limit_per_hour);
	(void)casier_snprintf(did, sizeof(did), "%lld", a.id);
	p[0] = did;
	p[1] = in->justification;
	p[2] = limit;
	p[3] = in->start;
	p[4] = in->end;
	p[5] = id->login;
	if (svc_sql(conn,
		    "INSERT INTO bulk_request (account_id, justification, "
		    "limit_per_hour, starts_at, ends_at, requested_by) VALUES "
		    "($1::bigint, $2, $3::integer, casier_try_timestamptz($4), "
		    "casier_try_timestamptz($5), $6) RETURNING id",
		    6, p, &r, res) <= 0)
		goto rollback;
	svc_copy(rid, sizeof(rid), PQgetvalue(r, 0, 0));
	PQclear(r);
	/* A separate statement: the function must see the new row. */
	p[0] = rid;
	if (outbound_sql_text(conn,
			      "SELECT bulk_request_json($1::bigint)::text", 1,
			      p, json_r, res) < 0 ||
	    svc_audit_add(conn, id, domain_id, a.domain, "bulk_request.create",
			  a.username, NULL, *json_r, res) < 0 ||
	    svc_commit(conn, res) < 0)
		goto rollback;
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
fail:
	free(*json_r);
	*json_r = NULL;
	svc_conn_put(svc, &conn);
	return -1;
}

/* A forward-only keyset page: items after the cursor's id. */
static int
outbound_page_after(const struct svc_page *page, char after[24], char limit[16],
		    struct svc_result *res)
{
	char dir, key[SVC_CURSOR_MAX];

	(void)casier_snprintf(limit, 16, "%u", page->limit);
	after[0] = '0';
	after[1] = '\0';
	if (page->cursor == NULL || page->cursor[0] == '\0')
		return 0;
	if (svc_cursor_decode(page->cursor, &dir, key, sizeof(key)) < 0 ||
	    dir != 'n' || strlen(key) > 18 || key[0] == '\0' ||
	    strspn(key, "0123456789") != strlen(key)) {
		svc_result_set(res, SVC_BAD_REQUEST, "cursor", "bad cursor");
		return -1;
	}
	memcpy(after, key, strlen(key) + 1);
	return 0;
}

/* Columns: json items text, last id, more (bool). */
static int
outbound_list_result(PGresult *r, char **json_items_r,
		     struct svc_cursors *cursors_r, struct svc_result *res)
{
	memset(cursors_r, 0, sizeof(*cursors_r));
	*json_items_r = outbound_strdup_or_tempfail(PQgetvalue(r, 0, 0), res);
	if (*json_items_r == NULL)
		return -1;
	if (svc_bool(r, 0, 2) &&
	    svc_cursor_encode('n', PQgetvalue(r, 0, 1), cursors_r->next,
			      sizeof(cursors_r->next)) < 0)
		cursors_r->next[0] = '\0';
	svc_result_ok(res);
	return 0;
}

#define OUTBOUND_PAGE_SQL(inner, json)                                         \
	"SELECT coalesce(json_agg(" json " ORDER BY x.id) FILTER (WHERE x.rn " \
	"<= $L::integer), '[]')::text, max(x.id) FILTER (WHERE x.rn <= "       \
	"$L::integer), count(*) > $L::integer FROM (SELECT i.*, row_number() " \
	"OVER (ORDER BY i.id) AS rn FROM (" inner ") i ORDER BY i.id LIMIT "   \
	"$L::integer + 1) x"

int
svc_bulk_request_list(const struct svc *svc, const struct svc_identity *id,
		      const struct svc_page *page, const char *status,
		      char **json_items_r, struct svc_cursors *cursors_r,
		      struct svc_result *res)
{
	struct svc_id_params ip;
	char after[24], limit[16];
	const char *p[5];
	struct db_conn *conn;
	PGresult *r;
	int ret = -1;

	*json_items_r = NULL;
	if (status != NULL && status[0] != '\0' &&
	    strcmp(status, "pending") != 0 && strcmp(status, "approved") != 0 &&
	    strcmp(status, "rejected") != 0) {
		svc_result_set(res, SVC_BAD_REQUEST, "status",
			       "status is pending, approved or rejected");
		return -1;
	}
	if (outbound_page_after(page, after, limit, res) < 0)
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	svc_id_params(id, &ip);
	p[0] = ip.admin_id;
	p[1] = ip.superuser;
	p[2] = after;
	p[3] = status != NULL ? status : "";
	p[4] = limit;
	/* $L is spelled $5 below. */
	if (svc_sql(conn,
		    "SELECT coalesce(json_agg(bulk_request_json(x.id) ORDER BY "
		    "x.id) FILTER (WHERE x.rn <= $5::integer), '[]')::text, "
		    "max(x.id) FILTER (WHERE x.rn <= $5::integer), count(*) > "
		    "$5::integer FROM (SELECT b.id, row_number() OVER (ORDER "
		    "BY b.id) AS rn FROM bulk_request b JOIN account a ON a.id "
		    "= b.account_id JOIN domain d ON d.id = a.domain_id WHERE "
		    "b.id > $3::bigint AND ($4 = '' OR b.status = $4) "
		    "AND " SVC_SQL_CAN_SEE("$1", "$2") " ORDER BY b.id LIMIT "
						       "$5::integer + 1) x",
		    5, p, &r, res) > 0) {
		ret = outbound_list_result(r, json_items_r, cursors_r, res);
		PQclear(r);
	}
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_bulk_request_decide(const struct svc *svc, const struct svc_identity *id,
			const char *req_id, bool approve, long long limit,
			char **json_r, struct svc_result *res)
{
	char rid[24], lim[24];
	const char *p[4];
	struct db_conn *conn;
	PGresult *r;
	int n;
	char *before = NULL;
	char domain_id[24], domain_name[SVC_NAME_MAX + 1], object[64];

	*json_r = NULL;
	if (outbound_need_superuser(id, res) < 0 ||
	    !outbound_parse_id(req_id, rid, res))
		return -1;
	if (limit != -1 && (limit < 1 || limit > SVC_BULK_LIMIT_MAX)) {
		svc_result_set(res, SVC_INVALID, "limit_per_hour",
			       "limit must be between 1 and %d",
			       SVC_BULK_LIMIT_MAX);
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto fail;
	p[0] = rid;
	/* res is not set by a query that finds no row: decide on n */
	n = svc_sql(conn,
		    "SELECT b.status, bulk_request_json(b.id)::text, d.id, "
		    "d.name, a.username FROM bulk_request b JOIN account a ON "
		    "a.id = b.account_id JOIN domain d ON d.id = a.domain_id "
		    "WHERE b.id = $1::bigint FOR UPDATE OF b",
		    1, p, &r, res);
	if (n <= 0) {
		if (n == 0) {
			PQclear(r);
			svc_result_set(res, SVC_NOT_FOUND, "",
				       "no such bulk request");
		}
		goto rollback;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "pending") != 0) {
		svc_result_set(res, SVC_CONFLICT, "",
			       "the request was already decided");
		PQclear(r);
		goto rollback;
	}
	before = outbound_strdup_or_tempfail(PQgetvalue(r, 0, 1), res);
	svc_copy(domain_id, sizeof(domain_id), PQgetvalue(r, 0, 2));
	svc_copy(domain_name, sizeof(domain_name), PQgetvalue(r, 0, 3));
	svc_copy(object, sizeof(object), PQgetvalue(r, 0, 4));
	PQclear(r);
	if (before == NULL)
		goto rollback;
	(void)casier_snprintf(lim, sizeof(lim), "%lld", limit);
	p[1] = approve ? "approved" : "rejected";
	p[2] = lim;
	p[3] = id->login;
	if (svc_sql(
		conn,
		"UPDATE bulk_request SET status = $2, approved_limit = "
		"CASE WHEN $2 = 'approved' THEN coalesce(nullif($3::integer, "
		"-1), limit_per_hour) END, decided_by = $4, decided_at = "
		"now() WHERE id = $1::bigint",
		4, p, &r, res) < 0)
		goto rollback;
	PQclear(r);
	if (outbound_sql_text(conn,
			      "SELECT bulk_request_json($1::bigint)::text", 1,
			      p, json_r, res) < 0 ||
	    svc_audit_add(conn, id, strtoll(domain_id, NULL, 10), domain_name,
			  approve ? "bulk_request.approve"
				  : "bulk_request.reject",
			  object, before, *json_r, res) < 0 ||
	    svc_commit(conn, res) < 0)
		goto rollback;
	free(before);
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
fail:
	free(before);
	free(*json_r);
	*json_r = NULL;
	svc_conn_put(svc, &conn);
	return -1;
}

/* ---- relay clients ---------------------------------------------------- */

/* JSON array text of strings (malloc'ed) or NULL on allocation failure. */
static char *
outbound_json_array(const char **items, size_t n)
{
	json_t *a = json_array();
	char *text;

	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (json_array_append_new(a, json_string(items[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	}
	text = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return text;
}

/* Validate networks (CIDR, IPv4/IPv6) with the database's own parser. */
static int
outbound_check_networks(struct db_conn *conn, const char *json,
			struct svc_result *res)
{
	const char *p[1] = {json};
	PGresult *r;
	int n = svc_sql(conn,
			"SELECT x FROM json_array_elements_text($1::json) x "
			"WHERE casier_try_cidr(x) IS NULL LIMIT 1",
			1, p, &r, res);

	if (n < 0)
		return -1;
	PQclear(r);
	if (n > 0) {
		svc_result_set(res, SVC_INVALID, "networks",
			       "every network must be an IPv4 or IPv6 address "
			       "or CIDR without host bits");
		return -1;
	}
	return 0;
}

/* Sender domains: normalised to A-labels into a new vector. */
static int
outbound_normalize_domains(const char **in, size_t n, char ***out_r,
			   struct svc_result *res)
{
	char **out = calloc(n + 1, sizeof(*out));

	*out_r = NULL;
	if (out == NULL) {
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char dom[ADDRESS_DOMAIN_MAX + 1];
		const char *error;

		if (address_domain_normalize(in[i], dom, sizeof(dom), &error) <
			0 ||
		    strchr(dom, '.') == NULL) {
			svc_result_set(res, SVC_INVALID, "sender_domains",
				       "not a domain name: %s", error);
			goto fail;
		}
		out[i] = strdup(dom);
		if (out[i] == NULL) {
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			goto fail;
		}
	}
	*out_r = out;
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		free(out[i]);
	free(out);
	return -1;
}

static void
outbound_free_vec(char **v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Replace networks and/or sender domains of client rid (in a txn). */
static int
outbound_relay_sets(struct db_conn *conn, const char *rid,
		    const struct svc_relay_input *in, struct svc_result *res)
{
	char *nets = NULL, *doms = NULL, **norm = NULL;
	const char *p[2];
	PGresult *r;
	int ret = -1;

	if (in->networks != NULL) {
		nets = outbound_json_array(in->networks, in->nnetworks);
		if (nets == NULL) {
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			goto out;
		}
		if (outbound_check_networks(conn, nets, res) < 0)
			goto out;
		p[0] = rid;
		p[1] = nets;
		if (svc_sql(conn,
			    "DELETE FROM relay_client_network WHERE "
			    "relay_client_id = $1::bigint",
			    1, p, &r, res) < 0)
			goto out;
		PQclear(r);
		if (svc_sql(conn,
			    "INSERT INTO relay_client_network SELECT "
			    "$1::bigint, casier_try_cidr(x) FROM "
			    "json_array_elements_text($2::json) x ON CONFLICT "
			    "DO NOTHING",
			    2, p, &r, res) < 0)
			goto out;
		PQclear(r);
	}
	if (in->sender_domains != NULL) {
		if (outbound_normalize_domains(in->sender_domains,
					       in->nsender_domains, &norm,
					       res) < 0)
			goto out;
		doms = outbound_json_array((const char **)norm,
					   in->nsender_domains);
		if (doms == NULL) {
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			goto out;
		}
		p[0] = rid;
		p[1] = doms;
		if (svc_sql(conn,
			    "DELETE FROM relay_client_sender_domain WHERE "
			    "relay_client_id = $1::bigint",
			    1, p, &r, res) < 0)
			goto out;
		PQclear(r);
		if (svc_sql(conn,
			    "INSERT INTO relay_client_sender_domain SELECT "
			    "$1::bigint, x FROM json_array_elements_text("
			    "$2::json) x ON CONFLICT DO NOTHING",
			    2, p, &r, res) < 0) {
			if (res->status == SVC_INVALID)
				svc_result_set(res, SVC_INVALID,
					       "sender_domains",
					       "not a domain name");
			goto out;
		}
		PQclear(r);
	}
	ret = 0;
out:
	free(nets);
	free(doms);
	outbound_free_vec(norm);
	return ret;
}

static int
outbound_relay_validate(const struct svc_relay_input *in, bool create,
			struct svc_result *res)
{
	if ((create || in->name != NULL) && !outbound_text_ok(in->name, 200)) {
		svc_result_set(res, SVC_INVALID, "name",
			       "a name of 1 to 200 characters is required");
		return -1;
	}
	if ((create || in->entity != NULL) &&
	    !outbound_text_ok(in->entity, 200)) {
		svc_result_set(res, SVC_INVALID, "entity",
			       "an entity of 1 to 200 characters is required");
		return -1;
	}
	if ((create || in->kind != NULL) &&
	    (in->kind == NULL || (strcmp(in->kind, "application") != 0 &&
				  strcmp(in->kind, "customer_mta") != 0))) {
		svc_result_set(res, SVC_INVALID, "kind",
			       "kind is application or customer_mta");
		return -1;
	}
	if (in->has_limit && (in->send_limit_per_hour < -1 ||
			      in->send_limit_per_hour > 100000000)) {
		svc_result_set(res, SVC_INVALID, "send_limit_per_hour",
			       "limit must be between 0 and 100000000, or "
			       "null");
		return -1;
	}
	if (create && (in->networks == NULL || in->nnetworks == 0)) {
		svc_result_set(res, SVC_INVALID, "networks",
			       "at least one network is required");
		return -1;
	}
	if (create &&
	    (in->sender_domains == NULL || in->nsender_domains == 0)) {
		svc_result_set(res, SVC_INVALID, "sender_domains",
			       "at least one sender domain is required");
		return -1;
	}
	return 0;
}

int
svc_relay_client_create(const struct svc *svc, const struct svc_identity *id,
			const struct svc_relay_input *in, char **json_r,
			struct svc_result *res)
{
	struct db_conn *conn;
	char rid[24], lim[24];
	const char *p[5];
	PGresult *r;

	*json_r = NULL;
	if (outbound_need_superuser(id, res) < 0 ||
	    outbound_relay_validate(in, true, res) < 0)
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto fail;
	(void)casier_snprintf(lim, sizeof(lim), "%lld",
			      in->has_limit ? in->send_limit_per_hour : -1);
	p[0] = in->name;
	p[1] = in->entity;
	p[2] = in->kind;
	p[3] = lim;
	p[4] = in->has_active && !in->active ? "f" : "t";
	if (svc_sql(conn,
		    "INSERT INTO relay_client (name, entity, kind, "
		    "send_limit_per_hour, active) VALUES ($1, $2, $3, "
		    "nullif($4::integer, -1), $5::boolean) RETURNING id",
		    5, p, &r, res) <= 0) {
		if (res->status == SVC_CONFLICT)
			svc_result_set(res, SVC_CONFLICT, "name",
				       "a relay client with this name exists");
		goto rollback;
	}
	svc_copy(rid, sizeof(rid), PQgetvalue(r, 0, 0));
	PQclear(r);
	if (outbound_relay_sets(conn, rid, in, res) < 0)
		goto rollback;
	p[0] = rid;
	if (outbound_sql_text(conn,
			      "SELECT relay_client_json($1::bigint)::text", 1,
			      p, json_r, res) < 0 ||
	    svc_audit_add(conn, id, 0, NULL, "relay_client.create", in->name,
			  NULL, *json_r, res) < 0 ||
	    svc_commit(conn, res) < 0)
		goto rollback;
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
fail:
	free(*json_r);
	*json_r = NULL;
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_relay_client_update(const struct svc *svc, const struct svc_identity *id,
			const char *rid_text, const struct svc_relay_input *in,
			char **json_r, struct svc_result *res)
{
	struct db_conn *conn;
	char rid[24], lim[24], *before = NULL;
	const char *p[8];
	PGresult *r;

	*json_r = NULL;
	if (outbound_need_superuser(id, res) < 0 ||
	    !outbound_parse_id(rid_text, rid, res) ||
	    outbound_relay_validate(in, false, res) < 0)
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto fail;
	p[0] = rid;
	if (outbound_sql_text(conn,
			      "SELECT relay_client_json(id)::text FROM "
			      "relay_client WHERE id = $1::bigint FOR UPDATE",
			      1, p, &before, res) < 0)
		goto rollback;
	(void)casier_snprintf(lim, sizeof(lim), "%lld",
			      in->send_limit_per_hour);
	p[1] = in->name;
	p[2] = in->entity;
	p[3] = in->kind;
	p[4] = in->has_limit ? "t" : "f";
	p[5] = lim;
	p[6] = in->has_active ? "t" : "f";
	p[7] = in->active ? "t" : "f";
	if (svc_sql(conn,
		    "UPDATE relay_client SET name = coalesce($2, name), entity "
		    "= coalesce($3, entity), kind = coalesce($4, kind), "
		    "send_limit_per_hour = CASE WHEN $5::boolean THEN "
		    "nullif($6::integer, -1) ELSE send_limit_per_hour END, "
		    "active = CASE WHEN $7::boolean THEN $8::boolean ELSE "
		    "active END, updated_at = now() WHERE id = $1::bigint",
		    8, p, &r, res) < 0) {
		if (res->status == SVC_CONFLICT)
			svc_result_set(res, SVC_CONFLICT, "name",
				       "a relay client with this name exists");
		goto rollback;
	}
	PQclear(r);
	if (outbound_relay_sets(conn, rid, in, res) < 0)
		goto rollback;
	if (outbound_sql_text(conn,
			      "SELECT relay_client_json($1::bigint)::text", 1,
			      p, json_r, res) < 0 ||
	    svc_audit_add(conn, id, 0, NULL, "relay_client.update", rid, before,
			  *json_r, res) < 0 ||
	    svc_commit(conn, res) < 0)
		goto rollback;
	free(before);
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
fail:
	free(before);
	free(*json_r);
	*json_r = NULL;
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_relay_client_get(const struct svc *svc, const struct svc_identity *id,
		     const char *rid_text, char **json_r,
		     struct svc_result *res)
{
	struct db_conn *conn;
	char rid[24];
	const char *p[1] = {rid};
	int ret;

	*json_r = NULL;
	if (outbound_need_superuser(id, res) < 0 ||
	    !outbound_parse_id(rid_text, rid, res))
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	ret = outbound_sql_text(conn,
				"SELECT relay_client_json($1::bigint)::text", 1,
				p, json_r, res);
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_relay_client_list(const struct svc *svc, const struct svc_identity *id,
		      const struct svc_page *page, char **json_items_r,
		      struct svc_cursors *cursors_r, struct svc_result *res)
{
	char after[24], limit[16];
	const char *p[3];
	struct db_conn *conn;
	PGresult *r;
	char *like = NULL;
	int ret = -1;

	*json_items_r = NULL;
	if (outbound_need_superuser(id, res) < 0 ||
	    outbound_page_after(page, after, limit, res) < 0)
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	like = svc_like_pattern(page->q);
	p[0] = after;
	p[1] = like;
	p[2] = limit;
	if (svc_sql(
		conn,
		"SELECT coalesce(json_agg(relay_client_json(x.id) ORDER BY "
		"x.id) FILTER (WHERE x.rn <= $3::integer), '[]')::text, "
		"max(x.id) FILTER (WHERE x.rn <= $3::integer), count(*) > "
		"$3::integer FROM (SELECT c.id, row_number() OVER (ORDER BY "
		"c.id) AS rn FROM relay_client c WHERE c.id > $1::bigint "
		"AND ($2::text IS NULL OR c.name ILIKE $2 OR c.entity "
		"ILIKE $2) ORDER BY c.id LIMIT $3::integer + 1) x",
		3, p, &r, res) > 0) {
		ret = outbound_list_result(r, json_items_r, cursors_r, res);
		PQclear(r);
	}
	free(like);
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_relay_client_delete(const struct svc *svc, const struct svc_identity *id,
			const char *rid_text, struct svc_result *res)
{
	struct db_conn *conn;
	char rid[24], *before = NULL;
	const char *p[1] = {rid};
	PGresult *r;

	if (outbound_need_superuser(id, res) < 0 ||
	    !outbound_parse_id(rid_text, rid, res))
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto fail;
	if (outbound_sql_text(conn,
			      "SELECT relay_client_json(id)::text FROM "
			      "relay_client WHERE id = $1::bigint FOR UPDATE",
			      1, p, &before, res) < 0)
		goto rollback;
	if (svc_sql(conn, "DELETE FROM relay_client WHERE id = $1::bigint", 1,
		    p, &r, res) < 0)
		goto rollback;
	PQclear(r);
	if (svc_audit_add(conn, id, 0, NULL, "relay_client.delete", rid, before,
			  NULL, res) < 0 ||
	    svc_commit(conn, res) < 0)
		goto rollback;
	free(before);
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
fail:
	free(before);
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_relay_contact_add(const struct svc *svc, const struct svc_identity *id,
		      const char *rid_text, const char *name, const char *email,
		      const char *role, char **json_r, struct svc_result *res)
{
	struct db_conn *conn;
	struct address addr;
	const char *error;
	char rid[24], norm[SVC_ADDRESS_MAX + 1];
	const char *p[4];
	PGresult *r;
	int n;

	*json_r = NULL;
	if (outbound_need_superuser(id, res) < 0 ||
	    !outbound_parse_id(rid_text, rid, res))
		return -1;
	if (email == NULL ||
	    address_parse(email, strlen(email), &addr, &error) < 0 ||
	    address_format(&addr, norm, sizeof(norm)) < 0) {
		svc_result_set(res, SVC_INVALID, "email", "not a mail address");
		return -1;
	}
	if (role == NULL || (strcmp(role, "responsible") != 0 &&
			     strcmp(role, "manager") != 0)) {
		svc_result_set(res, SVC_INVALID, "role",
			       "role is responsible or manager");
		return -1;
	}
	if (name != NULL && name[0] != '\0' && !outbound_text_ok(name, 200)) {
		svc_result_set(res, SVC_INVALID, "name",
			       "a name of at most 200 characters");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto fail;
	p[0] = rid;
	p[1] = name != NULL ? name : "";
	p[2] = norm;
	p[3] = role;
	/* res is not set by a query that finds no row: decide on n */
	n = svc_sql(conn,
		    "INSERT INTO relay_client_contact (relay_client_id, name, "
		    "email, role) SELECT id, $2, $3, $4 FROM relay_client "
		    "WHERE id = $1::bigint RETURNING id",
		    4, p, &r, res);
	if (n <= 0) {
		if (n == 0) {
			PQclear(r);
			svc_result_set(res, SVC_NOT_FOUND, "",
				       "no such relay client");
		} else if (res->status == SVC_CONFLICT)
			svc_result_set(res, SVC_CONFLICT, "email",
				       "this contact exists");
		goto rollback;
	}
	PQclear(r);
	if (outbound_sql_text(conn,
			      "SELECT relay_client_json($1::bigint)::text", 1,
			      p, json_r, res) < 0 ||
	    svc_audit_add(conn, id, 0, NULL, "relay_client.contact_add", norm,
			  NULL, *json_r, res) < 0 ||
	    svc_commit(conn, res) < 0)
		goto rollback;
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
fail:
	free(*json_r);
	*json_r = NULL;
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_relay_contact_remove(const struct svc *svc, const struct svc_identity *id,
			 const char *rid_text, const char *email,
			 struct svc_result *res)
{
	struct db_conn *conn;
	char rid[24];
	const char *p[2];
	PGresult *r;
	int n;

	if (outbound_need_superuser(id, res) < 0 ||
	    !outbound_parse_id(rid_text, rid, res))
		return -1;
	if (email == NULL || strlen(email) > SVC_ADDRESS_MAX) {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such contact");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto fail;
	p[0] = rid;
	p[1] = email;
	n = svc_sql(conn,
		    "DELETE FROM relay_client_contact WHERE relay_client_id = "
		    "$1::bigint AND lower(email) = lower($2) RETURNING email",
		    2, p, &r, res);
	if (n <= 0) {
		if (n == 0)
			svc_result_set(res, SVC_NOT_FOUND, "",
				       "no such contact");
		goto rollback;
	}
	PQclear(r);
	if (svc_audit_add(conn, id, 0, NULL, "relay_client.contact_remove",
			  email, NULL, NULL, res) < 0 ||
	    svc_commit(conn, res) < 0)
		goto rollback;
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
fail:
	svc_conn_put(svc, &conn);
	return -1;
}

/* ---- reports ---------------------------------------------------------- */

/*
 * $1 is the object id; daily and monthly views of the same shape
 * (day/month, messages, recipients, trend).  The CSV is built in SQL
 * too; no field can hold a comma or a quote (dates and numbers).
 */
#define REPORT_SQL(daily, monthly, idcol)                                      \
	"WITH d AS (SELECT day, messages, recipients FROM " daily              \
	" WHERE " idcol " = $1::bigint AND day > current_date - 31), "         \
	"m AS (SELECT month, messages, recipients, trend_percent "             \
	"FROM " monthly " WHERE " idcol                                        \
	" = $1::bigint AND month > current_date - "                            \
	"interval '13 months') SELECT CASE WHEN $2::boolean THEN "             \
	"'period,date,messages,recipients,trend_percent' || E'\\n' || "        \
	"coalesce((SELECT string_agg(concat_ws(',', 'day', day, messages, "    \
	"recipients, ''), E'\\n' ORDER BY day) || E'\\n' FROM d), '') || "     \
	"coalesce((SELECT string_agg(concat_ws(',', 'month', month, "          \
	"messages, recipients, coalesce(trend_percent::text, '')), E'\\n' "    \
	"ORDER BY month) || E'\\n' FROM m), '') ELSE json_build_object("       \
	"'daily', coalesce((SELECT json_agg(json_build_object('day', day, "    \
	"'messages', messages, 'recipients', recipients) ORDER BY day) FROM "  \
	"d), '[]'), 'monthly', coalesce((SELECT json_agg(json_build_object("   \
	"'month', month, 'messages', messages, 'recipients', recipients, "     \
	"'trend_percent', trend_percent) ORDER BY month) FROM m), '[]'))"      \
	"::text END"

int
svc_relay_report(const struct svc *svc, const struct svc_identity *id,
		 const char *rid_text, bool csv, char **out_r,
		 struct svc_result *res)
{
	struct db_conn *conn;
	char rid[24];
	const char *p[2] = {rid, csv ? "t" : "f"};
	PGresult *r;
	int ret = -1, n;

	*out_r = NULL;
	if (outbound_need_superuser(id, res) < 0 ||
	    !outbound_parse_id(rid_text, rid, res))
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	n = svc_sql(conn, "SELECT 1 FROM relay_client WHERE id = $1::bigint", 1,
		    p, &r, res);
	if (n >= 0)
		PQclear(r);
	if (n == 0)
		svc_result_set(res, SVC_NOT_FOUND, "", "no such relay client");
	if (n > 0)
		ret =
		    outbound_sql_text(conn,
				      REPORT_SQL("relay_daily", "relay_monthly",
						 "relay_client_id"),
				      2, p, out_r, res);
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_account_report(const struct svc *svc, const struct svc_identity *id,
		   const char *username, bool csv, char **out_r,
		   struct svc_result *res)
{
	struct db_conn *conn;
	struct svc_account a;
	char aid[24];
	const char *p[2] = {aid, csv ? "t" : "f"};
	int ret = -1;

	*out_r = NULL;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_account_find_internal(conn, id, username, false, &a, NULL,
				      res) == 0) {
		(void)casier_snprintf(aid, sizeof(aid), "%lld", a.id);
		ret = outbound_sql_text(conn,
					REPORT_SQL("outbound_daily",
						   "outbound_monthly",
						   "account_id"),
					2, p, out_r, res);
	}
	svc_conn_put(svc, &conn);
	return ret;
}

/* ---- requests from relay-client contacts ------------------------------ */

static bool
outbound_email_ok(const char *email, char out[SVC_ADDRESS_MAX + 1])
{
	struct address addr;
	const char *error;

	return email != NULL &&
	       address_parse(email, strlen(email), &addr, &error) == 0 &&
	       address_format(&addr, out, SVC_ADDRESS_MAX + 1) == 0;
}

/* Validate the input and build the payload object (new reference). */
static json_t *
outbound_request_payload(struct db_conn *conn,
			 const struct svc_relay_request_input *in,
			 struct svc_result *res)
{
	json_t *p = json_object();
	char email[SVC_ADDRESS_MAX + 1];
	bool add = strcmp(in->kind, "add") == 0;
	bool change = strcmp(in->kind, "change") == 0;

	if (p == NULL) {
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		return NULL;
	}
	if (add || change) {
		struct svc_relay_input ri = {
		    .name = in->name,
		    .entity = in->entity,
		    .kind = in->client_kind,
		    .has_limit = in->has_limit,
		    .send_limit_per_hour = in->send_limit_per_hour,
		    .networks = in->networks,
		    .nnetworks = in->nnetworks,
		    .sender_domains = in->sender_domains,
		    .nsender_domains = in->nsender_domains,
		};
		char **norm = NULL;
		char *nets;

		if (add && ri.kind == NULL)
			ri.kind = "application";
		if (outbound_relay_validate(&ri, add, res) < 0)
			goto fail;
		if (in->name != NULL)
			json_object_set_new(p, "name", json_string(in->name));
		if (in->entity != NULL)
			json_object_set_new(p, "entity",
					    json_string(in->entity));
		if (ri.kind != NULL)
			json_object_set_new(p, "client_kind",
					    json_string(ri.kind));
		if (in->has_limit)
			json_object_set_new(
			    p, "send_limit_per_hour",
			    in->send_limit_per_hour < 0
				? json_null()
				: json_integer(in->send_limit_per_hour));
		if (in->networks != NULL) {
			nets = outbound_json_array(in->networks, in->nnetworks);
			if (nets == NULL ||
			    outbound_check_networks(conn, nets, res) < 0) {
				if (nets == NULL)
					svc_result_set(res, SVC_TEMPFAIL, "",
						       "out of memory");
				free(nets);
				goto fail;
			}
			free(nets);
			json_object_set_new(p, "networks", json_array());
			for (size_t i = 0; i < in->nnetworks; i++)
				json_array_append_new(
				    json_object_get(p, "networks"),
				    json_string(in->networks[i]));
		}
		if (in->sender_domains != NULL) {
			if (outbound_normalize_domains(in->sender_domains,
						       in->nsender_domains,
						       &norm, res) < 0)
				goto fail;
			json_object_set_new(p, "sender_domains", json_array());
			for (size_t i = 0; i < in->nsender_domains; i++)
				json_array_append_new(
				    json_object_get(p, "sender_domains"),
				    json_string(norm[i]));
			outbound_free_vec(norm);
		}
	} else if (strcmp(in->kind, "contacts") == 0) {
		bool rm = in->contact_action != NULL &&
			  strcmp(in->contact_action, "remove") == 0;

		if (in->contact_action == NULL ||
		    (!rm && strcmp(in->contact_action, "add") != 0)) {
			svc_result_set(res, SVC_INVALID, "contact_action",
				       "contact_action is add or remove");
			goto fail;
		}
		if (!outbound_email_ok(in->contact_email, email)) {
			svc_result_set(res, SVC_INVALID, "contact_email",
				       "not a mail address");
			goto fail;
		}
		if (!rm && (in->contact_role == NULL ||
			    (strcmp(in->contact_role, "responsible") != 0 &&
			     strcmp(in->contact_role, "manager") != 0))) {
			svc_result_set(res, SVC_INVALID, "contact_role",
				       "role is responsible or manager");
			goto fail;
		}
		if (in->contact_name != NULL &&
		    !outbound_text_ok(in->contact_name, 200)) {
			svc_result_set(res, SVC_INVALID, "contact_name",
				       "a name of 1 to 200 characters");
			goto fail;
		}
		json_object_set_new(p, "contact_action",
				    json_string(in->contact_action));
		json_object_set_new(p, "contact_email", json_string(email));
		if (!rm)
			json_object_set_new(p, "contact_role",
					    json_string(in->contact_role));
		if (in->contact_name != NULL)
			json_object_set_new(p, "contact_name",
					    json_string(in->contact_name));
	} else if (strcmp(in->kind, "remove") != 0) {
		svc_result_set(res, SVC_INVALID, "kind",
			       "kind is add, change, remove or contacts");
		goto fail;
	}
	return p;
fail:
	json_decref(p);
	return NULL;
}

int
svc_relay_request_file(const struct svc *svc, const struct svc_identity *id,
		       const struct svc_relay_request_input *in, char **json_r,
		       struct svc_result *res)
{
	struct db_conn *conn;
	char who[SVC_ADDRESS_MAX + 1], cid[24] = "";
	const char *p[4];
	json_t *payload = NULL;
	char *ptext = NULL, rid[24];
	PGresult *r;
	int n;

	*json_r = NULL;
	if (in->kind == NULL) {
		svc_result_set(res, SVC_INVALID, "kind", "kind is required");
		return -1;
	}
	if (!outbound_email_ok(in->requested_by, who)) {
		svc_result_set(res, SVC_INVALID, "requested_by",
			       "the requester's mail address is required");
		return -1;
	}
	if (strcmp(in->kind, "add") != 0) {
		struct svc_result r404;
		if (!outbound_parse_id(in->relay_client_id, cid, &r404)) {
			svc_result_set(res, SVC_INVALID, "relay_client_id",
				       "the relay client is required");
			return -1;
		}
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	payload = outbound_request_payload(conn, in, res);
	if (payload == NULL ||
	    (ptext = json_dumps(payload, JSON_COMPACT)) == NULL) {
		if (payload != NULL)
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		goto fail;
	}
	if (svc_begin(conn, res) < 0)
		goto fail;
	p[0] = in->kind;
	p[1] = cid[0] != '\0' ? cid : NULL;
	p[2] = who;
	p[3] = ptext;
	n = svc_sql(conn,
		    "SELECT result, request_id FROM relay_request_file($1, "
		    "$2::bigint, $3, $4::jsonb)",
		    4, p, &r, res);
	if (n <= 0)
		goto rollback;
	if (strcmp(PQgetvalue(r, 0, 0), "ok") != 0) {
		if (strcmp(PQgetvalue(r, 0, 0), "not_found") == 0)
			svc_result_set(res, SVC_INVALID, "relay_client_id",
				       "no such relay client");
		else
			svc_result_set(res, SVC_INVALID, "requested_by",
				       "the requester is not in the security "
				       "list of this application");
		PQclear(r);
		goto rollback;
	}
	svc_copy(rid, sizeof(rid), PQgetvalue(r, 0, 1));
	PQclear(r);
	p[0] = rid;
	if (outbound_sql_text(conn,
			      "SELECT relay_request_json($1::bigint)::text", 1,
			      p, json_r, res) < 0 ||
	    svc_audit_add(conn, id, 0, NULL, "relay_request.create", who, NULL,
			  *json_r, res) < 0 ||
	    svc_commit(conn, res) < 0)
		goto rollback;
	free(ptext);
	json_decref(payload);
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
fail:
	free(ptext);
	json_decref(payload);
	free(*json_r);
	*json_r = NULL;
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_relay_request_list(const struct svc *svc, const struct svc_identity *id,
		       const struct svc_page *page, const char *status,
		       char **json_items_r, struct svc_cursors *cursors_r,
		       struct svc_result *res)
{
	char after[24], limit[16];
	const char *p[3];
	struct db_conn *conn;
	PGresult *r;
	int ret = -1;

	*json_items_r = NULL;
	if (outbound_need_superuser(id, res) < 0)
		return -1;
	if (status != NULL && status[0] != '\0' &&
	    strcmp(status, "pending") != 0 && strcmp(status, "approved") != 0 &&
	    strcmp(status, "rejected") != 0) {
		svc_result_set(res, SVC_BAD_REQUEST, "status",
			       "status is pending, approved or rejected");
		return -1;
	}
	if (outbound_page_after(page, after, limit, res) < 0)
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	p[0] = after;
	p[1] = status != NULL ? status : "";
	p[2] = limit;
	if (svc_sql(
		conn,
		"SELECT coalesce(json_agg(relay_request_json(x.id) ORDER BY "
		"x.id) FILTER (WHERE x.rn <= $3::integer), '[]')::text, "
		"max(x.id) FILTER (WHERE x.rn <= $3::integer), count(*) > "
		"$3::integer FROM (SELECT q.id, row_number() OVER (ORDER BY "
		"q.id) AS rn FROM relay_client_request q WHERE q.id > "
		"$1::bigint AND ($2 = '' OR q.status = $2) ORDER BY q.id "
		"LIMIT $3::integer + 1) x",
		3, p, &r, res) > 0) {
		ret = outbound_list_result(r, json_items_r, cursors_r, res);
		PQclear(r);
	}
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_relay_request_decide(const struct svc *svc, const struct svc_identity *id,
			 const char *req_id, bool approve, char **json_r,
			 struct svc_result *res)
{
	struct db_conn *conn;
	char rid[24], *before = NULL;
	const char *p[3];
	PGresult *r;
	const char *out;

	*json_r = NULL;
	if (outbound_need_superuser(id, res) < 0 ||
	    !outbound_parse_id(req_id, rid, res))
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto fail;
	p[0] = rid;
	if (outbound_sql_text(conn,
			      "SELECT relay_request_json($1::bigint)::text", 1,
			      p, &before, res) < 0)
		goto rollback;
	p[1] = approve ? "t" : "f";
	p[2] = id->login;
	if (svc_sql(conn,
		    "SELECT relay_request_decide($1::bigint, $2::boolean, $3)",
		    3, p, &r, res) <= 0)
		goto rollback;
	out = PQgetvalue(r, 0, 0);
	if (strcmp(out, "ok") != 0) {
		if (strcmp(out, "not_found") == 0)
			svc_result_set(res, SVC_NOT_FOUND, "",
				       "no such request");
		else if (strcmp(out, "conflict") == 0)
			svc_result_set(res, SVC_CONFLICT, "name",
				       "a relay client with this name exists");
		else
			svc_result_set(res, SVC_CONFLICT, "",
				       strcmp(out, "gone") == 0
					   ? "the relay client no longer exists"
					   : "the request was already decided");
		PQclear(r);
		goto rollback;
	}
	PQclear(r);
	if (outbound_sql_text(conn,
			      "SELECT relay_request_json($1::bigint)::text", 1,
			      p, json_r, res) < 0 ||
	    svc_audit_add(conn, id, 0, NULL,
			  approve ? "relay_request.approve"
				  : "relay_request.reject",
			  rid, before, *json_r, res) < 0 ||
	    svc_commit(conn, res) < 0)
		goto rollback;
	free(before);
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
fail:
	free(before);
	free(*json_r);
	*json_r = NULL;
	svc_conn_put(svc, &conn);
	return -1;
}

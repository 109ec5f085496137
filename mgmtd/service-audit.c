/*
 * service-audit.c - reading the audit log (newest first, keyset on id).
 *
 * Called by the API and the audit page.  The superuser sees everything;
 * a domain admin sees the entries of its domains.  Read-only,
 * unprivileged.  Database trouble -> SVC_TEMPFAIL.
 */
#include "service-db.h"

#include "str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void
svc_audit_list_free(struct svc_audit_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].before);
		free(l->items[i].after);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

int
svc_audit_list(const struct svc *svc, const struct svc_identity *id,
	       const char *domain, const struct svc_page *page,
	       struct svc_audit_list *out_r, struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], did_s[24];
	struct svc_id_params ip;
	struct svc_keyset ks;
	struct db_conn *conn;
	const char *p[6];
	char *like;
	PGresult *r;
	long long did = 0;
	size_t count;
	int n;

	memset(out_r, 0, sizeof(*out_r));
	svc_keyset_init(page, &ks);
	if (ks.has_cursor) {
		char *end;

		errno = 0;
		(void)strtoll(ks.key, &end, 10);
		if (errno != 0 || *end != '\0' || end == ks.key) {
			svc_result_set(res, SVC_BAD_REQUEST, "cursor",
				       "invalid cursor");
			return -1;
		}
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (domain != NULL &&
	    svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0) {
		svc_conn_put(svc, &conn);
		return -1;
	}
	svc_id_params(id, &ip);
	like = svc_like_pattern(page->q);
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = ip.admin_id;
	p[1] = ip.superuser;
	p[2] = domain != NULL ? did_s : NULL;
	p[3] = ks.has_cursor ? ks.key : NULL;
	p[4] = like;
	p[5] = ks.limit_plus_one;
	/* newest first: "next" goes to smaller ids */
	n = svc_sql(
	    conn,
	    ks.dir == 'p'
		? "SELECT l.id, to_char(l.at AT TIME ZONE 'UTC', "
		  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), l.actor, "
		  "coalesce(l.domain_name, ''), l.action, l.object, "
		  "l.before::text, l.after::text FROM audit_log l WHERE "
		  "($2::boolean OR l.domain_id IN (SELECT domain_id "
		  "FROM admin_domain WHERE admin_id = $1::bigint)) AND "
		  "($3::bigint IS NULL OR l.domain_id = $3::bigint) AND "
		  "($4::bigint IS NULL OR l.id > $4::bigint) AND "
		  "($5::text IS NULL OR l.action ILIKE $5 OR l.object "
		  "ILIKE $5 OR l.actor ILIKE $5) ORDER BY l.id LIMIT "
		  "$6::integer"
		: "SELECT l.id, to_char(l.at AT TIME ZONE 'UTC', "
		  "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), l.actor, "
		  "coalesce(l.domain_name, ''), l.action, l.object, "
		  "l.before::text, l.after::text FROM audit_log l WHERE "
		  "($2::boolean OR l.domain_id IN (SELECT domain_id "
		  "FROM admin_domain WHERE admin_id = $1::bigint)) AND "
		  "($3::bigint IS NULL OR l.domain_id = $3::bigint) AND "
		  "($4::bigint IS NULL OR l.id < $4::bigint) AND "
		  "($5::text IS NULL OR l.action ILIKE $5 OR l.object "
		  "ILIKE $5 OR l.actor ILIKE $5) ORDER BY l.id DESC "
		  "LIMIT $6::integer",
	    6, p, &r, res);
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
		struct svc_audit_entry *e = &out_r->items[i];
		int row = svc_keyset_row(&ks, count, i);

		e->id = svc_ll(r, row, 0);
		svc_copy(e->at, sizeof(e->at), PQgetvalue(r, row, 1));
		svc_copy(e->actor, sizeof(e->actor), PQgetvalue(r, row, 2));
		svc_copy(e->domain, sizeof(e->domain), PQgetvalue(r, row, 3));
		svc_copy(e->action, sizeof(e->action), PQgetvalue(r, row, 4));
		svc_copy(e->object, sizeof(e->object), PQgetvalue(r, row, 5));
		e->before = PQgetisnull(r, row, 6)
				? NULL
				: strdup(PQgetvalue(r, row, 6));
		e->after = PQgetisnull(r, row, 7)
			       ? NULL
			       : strdup(PQgetvalue(r, row, 7));
		out_r->n++;
	}
	svc_keyset_cursors(&ks, r, count, 0, &out_r->cursors);
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

/*
 * service-vacation.c - vacation autoreplies in casier-mgmtd's service
 * layer: read, set and remove an account's vacation (DESIGN section 5).
 *
 * Called by api-vacation.c and page-vacation.c as the unprivileged
 * casier-mgmtd user.  It only writes the vacation table (and the audit
 * log) in one transaction; the triggers of sql/040_vacation.sql file the
 * vacation.sync job that installs the Sieve script on the privileged
 * side.  Validation uses sieve-vacation/ so that a stored form always
 * renders.  Database trouble is SVC_TEMPFAIL; a bad field SVC_INVALID.
 */
#include "service-vacation.h"

#include "service-db.h"

#include "../sieve-vacation/sieve-vacation.h"

#include <stdlib.h>
#include <string.h>

void
svc_vacation_free(struct svc_vacation *v)
{
	free(v->body);
	v->body = NULL;
}

int
svc_vacation_validate(const struct svc_vacation_input *in, char **subject_r,
		      const char **body_r, struct svc_result *res)
{
	struct sieve_vacation vac;
	enum sieve_vacation_field field;
	const char *error, *body;
	char *subject;
	int found;

	*subject_r = NULL;
	*body_r = NULL;
	if (in->subject == NULL) {
		svc_result_set(res, SVC_INVALID, "subject",
			       "subject is required");
		return -1;
	}
	if (in->body == NULL) {
		svc_result_set(res, SVC_INVALID, "body", "body is required");
		return -1;
	}
	/* the old manager's "Subject: ..." first line (manual 3.3) */
	found = sieve_vacation_split_subject(in->body, &subject, &body);
	if (found < 0) {
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		return -1;
	}
	if (found == 0) {
		subject = strdup(in->subject);
		if (subject == NULL) {
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			return -1;
		}
	}
	if (subject[0] == '\0') {
		svc_result_set(res, SVC_INVALID, "subject",
			       "subject is required");
		goto fail;
	}
	if (in->has_interval &&
	    (in->interval_days < SIEVE_VACATION_INTERVAL_MIN ||
	     in->interval_days > SIEVE_VACATION_INTERVAL_MAX)) {
		svc_result_set(res, SVC_INVALID, "interval_days",
			       "interval must be between 1 and 365 days");
		goto fail;
	}
	memset(&vac, 0, sizeof(vac));
	vac.subject = subject;
	vac.body = body;
	vac.start_date =
	    in->start != NULL && in->start[0] != '\0' ? in->start : NULL;
	vac.end_date = in->end != NULL && in->end[0] != '\0' ? in->end : NULL;
	vac.interval_days = in->has_interval ? (unsigned int)in->interval_days
					     : SVC_VACATION_INTERVAL_DEFAULT;
	vac.from = "check@example.invalid"; /* the real one comes from SQL */
	if (sieve_vacation_check(&vac, &error, &field) < 0) {
		svc_result_set(res, SVC_INVALID,
			       sieve_vacation_field_name(field), "%s", error);
		goto fail;
	}
	*subject_r = subject;
	*body_r = body;
	svc_result_ok(res);
	return 0;
fail:
	free(subject);
	return -1;
}

/* The account id may see, locked when asked. */
static int
vacation_account(struct db_conn *conn, const struct svc_identity *id,
		 const char *username, bool lock, struct svc_account *a_r,
		 long long *domain_id_r, struct svc_result *res)
{
	struct svc_result r2;

	if (svc_account_find_internal(conn, id, username, lock, a_r,
				      domain_id_r, &r2) < 0) {
		*res = r2;
		return -1;
	}
	return 0;
}

#define VACATION_AUDIT_JSON                                                    \
	"SELECT (SELECT json_build_object('subject', subject, 'body', body, "  \
	"'start', start_date, 'end', end_date, 'interval_days', "              \
	"interval_days, 'active', active)::text FROM vacation WHERE "          \
	"account_id = $1::bigint)"

int
svc_vacation_get(const struct svc *svc, const struct svc_identity *id,
		 const char *username, struct svc_vacation *out_r,
		 struct svc_result *res)
{
	struct svc_account a;
	struct db_conn *conn;
	const char *p[1];
	char aid[24];
	PGresult *r;
	int n;

	memset(out_r, 0, sizeof(*out_r));
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (vacation_account(conn, id, username, false, &a, NULL, res) < 0)
		goto fail;
	(void)casier_snprintf(aid, sizeof(aid), "%lld", a.id);
	p[0] = aid;
	n = svc_sql(conn,
		    "SELECT subject, body, to_char(start_date, 'YYYY-MM-DD'), "
		    "to_char(end_date, 'YYYY-MM-DD'), interval_days, active, "
		    "vacation_state(active, start_date, end_date) "
		    "FROM vacation WHERE account_id = $1::bigint",
		    1, p, &r, res);
	if (n < 0)
		goto fail;
	svc_copy(out_r->username, sizeof(out_r->username), a.username);
	svc_copy(out_r->address, sizeof(out_r->address), a.address);
	if (n > 0) {
		out_r->body = strdup(PQgetvalue(r, 0, 1));
		if (out_r->body == NULL) {
			PQclear(r);
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			goto fail;
		}
		out_r->exists = true;
		svc_copy(out_r->subject, sizeof(out_r->subject),
			 PQgetvalue(r, 0, 0));
		svc_copy(out_r->start, sizeof(out_r->start),
			 PQgetvalue(r, 0, 2));
		svc_copy(out_r->end, sizeof(out_r->end), PQgetvalue(r, 0, 3));
		out_r->interval_days = svc_ll(r, 0, 4);
		out_r->active = svc_bool(r, 0, 5);
		svc_copy(out_r->state, sizeof(out_r->state),
			 PQgetvalue(r, 0, 6));
	} else {
		out_r->interval_days = SVC_VACATION_INTERVAL_DEFAULT;
		svc_copy(out_r->state, sizeof(out_r->state), "off");
	}
	PQclear(r);
	svc_conn_put(svc, &conn);
	svc_result_ok(res);
	return 0;
fail:
	svc_conn_put(svc, &conn);
	return -1;
}

int
svc_vacation_set(const struct svc *svc, const struct svc_identity *id,
		 const char *username, const struct svc_vacation_input *in,
		 struct svc_result *res)
{
	char aid[24], interval[24], *subject = NULL, *before = NULL;
	struct svc_account a;
	struct db_conn *conn;
	const char *p[6], *body;
	long long did;
	PGresult *r;
	int n;

	if (svc_vacation_validate(in, &subject, &body, res) < 0)
		return -1;
	conn = svc_conn_get(svc, res);
	if (conn == NULL) {
		free(subject);
		return -1;
	}
	if (svc_begin(conn, res) < 0)
		goto out;
	if (vacation_account(conn, id, username, true, &a, &did, res) < 0)
		goto rollback;
	(void)casier_snprintf(aid, sizeof(aid), "%lld", a.id);
	(void)casier_snprintf(interval, sizeof(interval), "%lld",
			      in->has_interval ? in->interval_days
					       : SVC_VACATION_INTERVAL_DEFAULT);
	p[0] = aid;
	p[1] = subject;
	p[2] = body;
	p[3] = in->start != NULL && in->start[0] != '\0' ? in->start : NULL;
	p[4] = in->end != NULL && in->end[0] != '\0' ? in->end : NULL;
	p[5] = interval;
	if (svc_sql(conn, VACATION_AUDIT_JSON, 1, p, &r, res) < 0)
		goto rollback;
	if (!PQgetisnull(r, 0, 0))
		before = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (svc_sql(conn,
		    "INSERT INTO vacation (account_id, subject, body, "
		    "start_date, end_date, interval_days, active) VALUES "
		    "($1::bigint, $2, $3, $4::date, $5::date, $6::integer, "
		    "true) ON CONFLICT (account_id) DO UPDATE SET subject = "
		    "EXCLUDED.subject, body = EXCLUDED.body, start_date = "
		    "EXCLUDED.start_date, end_date = EXCLUDED.end_date, "
		    "interval_days = EXCLUDED.interval_days, active = true, "
		    "updated_at = now()",
		    6, p, &r, res) < 0)
		goto rollback;
	PQclear(r);
	if (svc_sql(conn, VACATION_AUDIT_JSON, 1, p, &r, res) < 0)
		goto rollback;
	n = svc_audit_add(conn, id, did, a.domain, "vacation.set", a.username,
			  before, PQgetvalue(r, 0, 0), res);
	PQclear(r);
	if (n < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_conn_put(svc, &conn);
	free(subject);
	free(before);
	svc_result_ok(res);
	return 0;
rollback:
	db_rollback(conn);
out:
	svc_conn_put(svc, &conn);
	free(subject);
	free(before);
	return -1;
}

int
svc_vacation_delete(const struct svc *svc, const struct svc_identity *id,
		    const char *username, struct svc_result *res)
{
	struct svc_account a;
	struct db_conn *conn;
	const char *p[1];
	long long did;
	char aid[24];
	PGresult *r;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (vacation_account(conn, id, username, true, &a, &did, res) < 0)
		goto rollback;
	(void)casier_snprintf(aid, sizeof(aid), "%lld", a.id);
	p[0] = aid;
	n = svc_sql(conn,
		    "WITH x AS (DELETE FROM vacation WHERE account_id = "
		    "$1::bigint RETURNING *) SELECT json_build_object("
		    "'subject', subject, 'body', body, 'start', start_date, "
		    "'end', end_date, 'interval_days', interval_days, "
		    "'active', active)::text FROM x",
		    1, p, &r, res);
	if (n < 0)
		goto rollback;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "",
			       "the account has no vacation");
		goto rollback;
	}
	n = svc_audit_add(conn, id, did, a.domain, "vacation.delete",
			  a.username, PQgetvalue(r, 0, 0), NULL, res);
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

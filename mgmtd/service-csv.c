/*
 * service-csv.c - CSV export of a domain's accounts and aliases (the
 * address list the manual promises for migrations) and CSV import of
 * accounts with a dry run and per-line errors.
 *
 * Called by the API (and may be by the pages).  Unprivileged.  The
 * reader is pure and bounded (svc_csv_record); the import is all or
 * nothing: one transaction for every account, only when every line is
 * valid.  Database trouble -> SVC_TEMPFAIL.
 */
#include "service-db.h"

#include "address.h"
#include "log.h"
#include "password.h"
#include "str.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int
svc_domain_export_csv(const struct svc *svc, const struct svc_identity *id,
		      const char *domain, struct str *out,
		      struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], did_s[24];
	struct db_conn *conn;
	const char *p[1];
	PGresult *r;
	long long did;
	int n;

	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0) {
		svc_conn_put(svc, &conn);
		return -1;
	}
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);
	p[0] = did_s;
	/* one statement, one snapshot: accounts then aliases */
	n = svc_sql(conn,
		    "SELECT 'account', a.local_part || '@' || d.name, "
		    "a.username, (a.quota_bytes / 1024)::text, "
		    "(greatest(coalesce(q.bytes, 0), 0) / 1024)::text, "
		    "coalesce(array_to_string(r.targets, ' '), ''), a.id "
		    "FROM account a JOIN domain d ON d.id = a.domain_id "
		    "LEFT JOIN quota_usage q ON q.username = a.username "
		    "LEFT JOIN redirect r ON r.account_id = a.id "
		    "WHERE a.domain_id = $1::bigint "
		    "UNION ALL SELECT 'alias', l.local_part || '@' || d.name, "
		    "'', '', '', array_to_string(l.targets, ' '), l.id "
		    "FROM alias l JOIN domain d ON d.id = l.domain_id "
		    "WHERE l.domain_id = $1::bigint ORDER BY 1, 7",
		    1, p, &r, res);
	svc_conn_put(svc, &conn);
	if (n < 0)
		return -1;
	if (str_append(out, "type,address,username,quota_kb,usage_kb,"
			    "targets\r\n") < 0)
		goto full;
	for (int i = 0; i < PQntuples(r); i++) {
		for (int c = 0; c < 6; c++) {
			if ((c > 0 && str_append_char(out, ',') < 0) ||
			    svc_csv_field(out, PQgetvalue(r, i, c)) < 0)
				goto full;
		}
		if (str_append(out, "\r\n") < 0)
			goto full;
	}
	PQclear(r);
	svc_result_ok(res);
	return 0;
full:
	PQclear(r);
	svc_result_set(res, SVC_TEMPFAIL, "", "export too large");
	return -1;
}

void
svc_import_report_free(struct svc_import_report *r)
{
	free(r->lines);
	r->lines = NULL;
	r->n = 0;
}

/* Mark a line refused. */
static void
import_fail(struct svc_import_report *rep, struct svc_import_line *l,
	    const char *field, const char *message)
{
	if (l->ok)
		rep->errors++;
	l->ok = false;
	svc_copy(l->field, sizeof(l->field), field);
	svc_copy(l->message, sizeof(l->message), message);
}

struct import_row {
	char password[PASSWORD_MAX_LEN + 1];
	bool has_quota;
	long long quota_bytes;
	char hash[PASSWORD_HASH_MAX];
};

static bool
is_header(const char *const *f, size_t nf)
{
	return nf >= 2 && casier_streq_nocase(f[0], "local_part") &&
	       casier_streq_nocase(f[1], "password");
}

int
svc_account_import_csv(const struct svc *svc, const struct svc_identity *id,
		       const char *domain, const char *csv, size_t len,
		       bool dry_run, struct svc_import_report *rep,
		       struct svc_result *res)
{
	char dname[SVC_NAME_MAX + 1], did_s[24], buf[1024];
	struct import_row *rows = NULL;
	struct db_conn *conn = NULL;
	const char *f[4], *p[4];
	size_t pos = 0, nf, nlines = 0;
	unsigned int lineno = 0;
	long long did, free_slots;
	PGresult *r;
	int rr;

	memset(rep, 0, sizeof(*rep));
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto fail;
	rep->lines = calloc(SVC_IMPORT_MAX_LINES, sizeof(*rep->lines));
	rows = calloc(SVC_IMPORT_MAX_LINES, sizeof(*rows));
	if (rep->lines == NULL || rows == NULL) {
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		goto fail;
	}
	(void)casier_snprintf(did_s, sizeof(did_s), "%lld", did);

	/* pass 1: syntax and per-line rules */
	while ((rr = svc_csv_record(csv, len, &pos, buf, sizeof(buf), f, 4,
				    &nf)) != 0) {
		struct svc_import_line *l;
		struct import_row *row;
		const char *error, *reason;

		lineno++;
		if (rr > 0 && nf == 1 && f[0][0] == '\0')
			continue; /* empty line */
		if (rr > 0 && lineno == 1 && is_header(f, nf))
			continue;
		if (nlines >= SVC_IMPORT_MAX_LINES) {
			svc_result_set(res, SVC_INVALID, "csv",
				       "at most %d lines",
				       SVC_IMPORT_MAX_LINES);
			goto fail;
		}
		l = &rep->lines[nlines];
		row = &rows[nlines];
		nlines++;
		l->line = lineno;
		l->ok = true;
		if (rr < 0) {
			import_fail(rep, l, "csv", "malformed CSV line");
			/* resynchronise at the next line */
			while (pos < len && csv[pos] != '\n')
				pos++;
			if (pos < len)
				pos++;
			continue;
		}
		if (nf < 2 || nf > 3) {
			import_fail(rep, l, "csv",
				    "expected local_part,password[,quota_mb]");
			continue;
		}
		if (address_local_normalize(f[0], l->local_part,
					    sizeof(l->local_part),
					    &error) < 0) {
			import_fail(rep, l, "local_part", error);
			continue;
		}
		if (strlen(f[1]) > PASSWORD_MAX_LEN ||
		    !password_policy_ok(f[1], l->local_part, NULL, svc->words,
					&reason)) {
			import_fail(rep, l, "password",
				    strlen(f[1]) > PASSWORD_MAX_LEN ? "too long"
								    : reason);
			continue;
		}
		svc_copy(row->password, sizeof(row->password), f[1]);
		if (nf == 3 && f[2][0] != '\0') {
			char *end;
			long long mb;

			errno = 0;
			mb = strtoll(f[2], &end, 10);
			if (errno != 0 || *end != '\0' || f[2][0] == '-' ||
			    f[2][0] == '+' || mb < 0 ||
			    mb > (SVC_QUOTA_MAX >> 20)) {
				import_fail(rep, l, "quota_mb",
					    "not a quota in MiB");
				continue;
			}
			row->has_quota = true;
			row->quota_bytes = mb * 1048576LL;
		}
		for (size_t j = 0; j + 1 < nlines; j++) {
			if (strcmp(rep->lines[j].local_part, l->local_part) ==
			    0) {
				import_fail(rep, l, "local_part",
					    "twice in the file");
				break;
			}
		}
	}
	rep->n = nlines;
	if (nlines == 0) {
		svc_result_set(res, SVC_INVALID, "csv", "no account lines");
		goto fail;
	}

	/* pass 2: against the domain (read-only) */
	p[0] = did_s;
	if (svc_sql(conn,
		    "SELECT d.max_accounts - (SELECT count(*) FROM account a "
		    "WHERE a.domain_id = d.id), d.prefix FROM domain d WHERE "
		    "d.id = $1::bigint",
		    1, p, &r, res) < 0)
		goto fail;
	free_slots = svc_ll(r, 0, 0);
	{
		char pfx[17];

		svc_copy(pfx, sizeof(pfx), PQgetvalue(r, 0, 1));
		PQclear(r);
		for (size_t i = 0; i < nlines; i++) {
			struct svc_import_line *l = &rep->lines[i];
			size_t plen = strlen(pfx);
			int n;

			if (!l->ok)
				continue;
			/* local parts shaped like usernames are reserved */
			if (strncmp(l->local_part, pfx, plen) == 0 &&
			    strlen(l->local_part) >= plen + 4 &&
			    strspn(l->local_part + plen, "0123456789") ==
				strlen(l->local_part + plen)) {
				import_fail(rep, l, "local_part",
					    "reserved for usernames");
				continue;
			}
			p[1] = l->local_part;
			n = svc_sql(conn,
				    "SELECT 1 FROM account WHERE domain_id = "
				    "$1::bigint AND local_part = $2 UNION ALL "
				    "SELECT 1 FROM alias WHERE domain_id = "
				    "$1::bigint AND local_part = $2",
				    2, p, &r, res);
			if (n < 0)
				goto fail;
			PQclear(r);
			if (n > 0)
				import_fail(rep, l, "local_part",
					    "already exists");
		}
	}
	if (rep->errors == 0 && (long long)nlines > free_slots) {
		for (size_t i = (size_t)(free_slots < 0 ? 0 : free_slots);
		     i < nlines; i++)
			import_fail(rep, &rep->lines[i], "",
				    "the domain has reached its maximum "
				    "number of accounts");
	}
	if (dry_run || rep->errors > 0) {
		svc_conn_put(svc, &conn);
		goto done;
	}

	/* pass 3: hash outside the transaction, then create all at once */
	for (size_t i = 0; i < nlines; i++) {
		if (password_hash(rows[i].password, rows[i].hash) < 0) {
			svc_result_set(res, SVC_TEMPFAIL, "",
				       "cannot hash now");
			goto fail;
		}
	}
	if (svc_begin(conn, res) < 0)
		goto fail;
	for (size_t i = 0; i < nlines; i++) {
		struct svc_import_line *l = &rep->lines[i];
		const char *reason;
		char quota[24], after[160];
		struct db_error err;
		int n;

		(void)casier_snprintf(quota, sizeof(quota), "%lld",
				      rows[i].quota_bytes);
		p[0] = dname;
		p[1] = l->local_part;
		p[2] = rows[i].hash;
		p[3] = rows[i].has_quota ? quota : NULL;
		if (db_exec_params(
			conn,
			"SELECT username FROM account_create($1, $2, "
			"$3, $4::bigint)",
			4, p, &r, &err) == CASIER_LOOKUP_ERROR) {
			struct svc_result lr;

			svc_db_error(&err, "local_part", &lr);
			import_fail(rep, l, lr.field, lr.message);
			db_rollback(conn);
			if (lr.status == SVC_TEMPFAIL) {
				*res = lr;
				goto fail;
			}
			goto done_put;
		}
		svc_copy(l->username, sizeof(l->username), PQgetvalue(r, 0, 0));
		PQclear(r);
		if (!password_policy_ok(rows[i].password, l->local_part,
					l->username, svc->words, &reason)) {
			import_fail(rep, l, "password",
				    "must not contain the username");
			db_rollback(conn);
			goto done_put;
		}
		(void)casier_snprintf(after, sizeof(after),
				      "{\"username\":\"%s\",\"import\":true}",
				      l->username);
		n = svc_audit_add(conn, id, did, dname, "account.create",
				  l->username, NULL, after, res);
		if (n < 0) {
			db_rollback(conn);
			goto fail;
		}
	}
	if (svc_commit(conn, res) < 0)
		goto fail;
	rep->created = true;
done_put:
	if (!rep->created)
		for (size_t i = 0; i < nlines; i++)
			rep->lines[i].username[0] = '\0';
	svc_conn_put(svc, &conn);
done:
	for (size_t i = 0; i < nlines; i++)
		explicit_bzero(&rows[i], sizeof(rows[i]));
	free(rows);
	svc_result_ok(res);
	return 0;
fail:
	svc_conn_put(svc, &conn);
	if (rows != NULL)
		for (size_t i = 0; i < SVC_IMPORT_MAX_LINES; i++)
			explicit_bzero(&rows[i], sizeof(rows[i]));
	free(rows);
	svc_import_report_free(rep);
	return -1;
}

/*
 * service-archive.c - the archive's rules and SQL for casier-mgmtd
 * (service-archive.h): list and search the online archive, details,
 * re-send (queued), delete, preferences, whitelist, export volumes.
 *
 * Called by the API and page handlers, in casier-mgmtd (unprivileged, no
 * access to the mail store: messages live in PostgreSQL, re-sends are
 * queued in archive_outbox for casier-archive).  Every statement is
 * parameterised; every change writes an audit row in its transaction.
 * Database trouble is SVC_TEMPFAIL; another domain's objects, cellar and
 * volume messages are SVC_NOT_FOUND.
 */
#include "service-archive.h"
#include "service-db.h"

#include "address.h"
#include "str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ITEM_COLUMNS                                                           \
	"m.id, to_char(m.arrived_at AT TIME ZONE 'UTC', "                      \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), m.envelope_sender, "               \
	"left(m.header_from, 1000), left(m.header_to, 1000), "                 \
	"left(m.subject, 1000), left(m.recipients_text, 2000), "               \
	"left(m.message_id, 1000), m.size_bytes, m.stored_bytes, m.spam, "     \
	"to_char(m.arrived_at AT TIME ZONE 'UTC', "                            \
	"'YYYY-MM-DD HH24:MI:SS.US')"

static void
item_from_row(const PGresult *r, int row, struct svc_archive_item *it)
{
	it->id = svc_ll(r, row, 0);
	svc_copy(it->arrived_at, sizeof(it->arrived_at), PQgetvalue(r, row, 1));
	svc_copy(it->sender, sizeof(it->sender), PQgetvalue(r, row, 2));
	svc_copy(it->from, sizeof(it->from), PQgetvalue(r, row, 3));
	svc_copy(it->to, sizeof(it->to), PQgetvalue(r, row, 4));
	svc_copy(it->subject, sizeof(it->subject), PQgetvalue(r, row, 5));
	svc_copy(it->recipients, sizeof(it->recipients), PQgetvalue(r, row, 6));
	svc_copy(it->message_id, sizeof(it->message_id), PQgetvalue(r, row, 7));
	it->size_bytes = svc_ll(r, row, 8);
	it->stored_bytes = svc_ll(r, row, 9);
	it->spam = svc_bool(r, row, 10);
}

static bool
text_ok(const char *s)
{
	if (strlen(s) > SVC_QUERY_MAX)
		return false;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* "YYYY-MM-DD", "YYYY-MM-DD H:MM[:SS]", "YYYY-MM-DDTHH:MM[:SS][Z]" ->
 * "YYYY-MM-DD HH:MM:SS" (UTC); a bare date with end_of_day -> the next
 * day's midnight.  0 or -1. */
static int
date_parse(const char *s, bool end_of_day, char out[20])
{
	int y, mo, d, h = 0, mi = 0, se = 0, n = 0;
	size_t len = strlen(s);
	struct tm tm;
	time_t t;

	if (len < 10 || len > 20 ||
	    sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	if (len > 10) {
		const char *p = s + 10;

		if (*p != ' ' && *p != 'T')
			return -1;
		p++;
		/* H:MM or HH:MM (the old manual writes "9:30"), then :SS */
		if (p[0] < '0' || p[0] > '9')
			return -1;
		h = p[0] - '0';
		p++;
		if (*p >= '0' && *p <= '9')
			h = h * 10 + (*p++ - '0');
		if (p[0] != ':' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
		    p[2] > '9')
			return -1;
		mi = (p[1] - '0') * 10 + (p[2] - '0');
		p += 3;
		if (*p == ':') {
			if (p[1] < '0' || p[1] > '9' || p[2] < '0' ||
			    p[2] > '9')
				return -1;
			se = (p[1] - '0') * 10 + (p[2] - '0');
			p += 3;
		}
		if (*p == 'Z')
			p++;
		if (*p != '\0')
			return -1;
		end_of_day = false;
	}
	if (y < 1970 || y > 9998 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || se > 59 || h < 0 || mi < 0 || se < 0)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	/* timegm normalises 2026-02-31 to March: refuse it */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	if (end_of_day)
		t += 86400;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm) != 19)
		return -1;
	return 0;
}

int
svc_archive_query_check(const struct svc_archive_query *q, char after_r[20],
			char before_r[20], struct svc_result *res)
{
	after_r[0] = before_r[0] = '\0';
	if (q->sender != NULL && !text_ok(q->sender)) {
		svc_result_set(res, SVC_INVALID, "sender", "invalid sender");
		return -1;
	}
	if (q->recipient != NULL && !text_ok(q->recipient)) {
		svc_result_set(res, SVC_INVALID, "recipient",
			       "invalid recipient");
		return -1;
	}
	if (q->subject != NULL && !text_ok(q->subject)) {
		svc_result_set(res, SVC_INVALID, "subject", "invalid subject");
		return -1;
	}
	if (q->after != NULL && q->after[0] != '\0' &&
	    date_parse(q->after, false, after_r) < 0) {
		svc_result_set(res, SVC_INVALID, "after",
			       "dates are YYYY-MM-DD or YYYY-MM-DD HH:MM");
		return -1;
	}
	if (q->before != NULL && q->before[0] != '\0' &&
	    date_parse(q->before, true, before_r) < 0) {
		svc_result_set(res, SVC_INVALID, "before",
			       "dates are YYYY-MM-DD or YYYY-MM-DD HH:MM");
		return -1;
	}
	svc_result_ok(res);
	return 0;
}

static bool
given(const char *s)
{
	return s != NULL && s[0] != '\0';
}

static const char sql_list[] =
    "SELECT " ITEM_COLUMNS " FROM archive_message m "
    "WHERE m.domain_id = $1 AND m.state = 'online' "
    "AND ($2::text IS NULL OR m.envelope_sender ILIKE $2 "
    "OR m.header_from ILIKE $2) "
    "AND ($3::text IS NULL OR m.recipients_text ILIKE $3) "
    "AND ($4::text IS NULL OR m.subject ILIKE $4) "
    "AND ($5::timestamp IS NULL OR m.arrived_at >= ($5::timestamp AT TIME "
    "ZONE 'UTC')) "
    "AND ($6::timestamp IS NULL OR m.arrived_at < ($6::timestamp AT TIME "
    "ZONE 'UTC')) "
    "AND ($7::timestamp IS NULL OR (m.arrived_at, m.id) < (($7::timestamp "
    "AT TIME ZONE 'UTC'), $8::bigint)) "
    "ORDER BY m.arrived_at DESC, m.id DESC LIMIT $9";

int
svc_archive_list(const struct svc *svc, const struct svc_identity *id,
		 const char *domain, const struct svc_archive_query *q,
		 unsigned int limit, const char *cursor,
		 struct svc_archive_list *out_r, struct svc_result *res)
{
	struct db_conn *conn;
	char after[20], before[20], dname[SVC_NAME_MAX + 1], did_s[24], lim[16],
	    ckey[SVC_CURSOR_MAX], cts[40] = "", cid[24] = "";
	char *ps = NULL, *pr = NULL, *pj = NULL;
	bool search = given(q->sender) || given(q->recipient) ||
		      given(q->subject) || given(q->after) || given(q->before);
	long long did;
	PGresult *r = NULL;
	int n, ret = -1;

	memset(out_r, 0, sizeof(*out_r));
	if (svc_archive_query_check(q, after, before, res) < 0)
		return -1;
	if (limit > SVC_LIMIT_MAX) {
		svc_result_set(res, SVC_BAD_REQUEST, "limit", "bad limit");
		return -1;
	}
	if (cursor != NULL && cursor[0] != '\0') {
		char dir;
		long long cidv;
		char *bar;

		if (svc_cursor_decode(cursor, &dir, ckey, sizeof(ckey)) < 0 ||
		    dir != 'n' || (bar = strchr(ckey, '|')) == NULL ||
		    (size_t)(bar - ckey) >= sizeof(cts) ||
		    sscanf(bar + 1, "%lld", &cidv) != 1 || cidv <= 0) {
			svc_result_set(res, SVC_BAD_REQUEST, "cursor",
				       "bad cursor");
			return -1;
		}
		memcpy(cts, ckey, (size_t)(bar - ckey));
		cts[bar - ckey] = '\0';
		for (const char *c = cts; *c != '\0'; c++)
			if (!((*c >= '0' && *c <= '9') || *c == '-' ||
			      *c == ':' || *c == '.' || *c == ' ')) {
				svc_result_set(res, SVC_BAD_REQUEST, "cursor",
					       "bad cursor");
				return -1;
			}
		(void)snprintf(cid, sizeof(cid), "%lld", cidv);
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto out;
	(void)snprintf(did_s, sizeof(did_s), "%lld", did);
	if (limit == 0) {
		const char *p[1] = {did_s};

		n = svc_sql(conn,
			    "SELECT coalesce((SELECT CASE WHEN $2::boolean "
			    "THEN rows_search ELSE rows_list END FROM "
			    "archive_pref WHERE domain_id = $1), CASE WHEN "
			    "$2::boolean THEN 30 ELSE 20 END)",
			    2, (const char *const[]){p[0], search ? "t" : "f"},
			    &r, res);
		if (n < 0)
			goto out;
		limit = (unsigned int)svc_ll(r, 0, 0);
		PQclear(r);
		r = NULL;
	}
	out_r->limit = limit;
	(void)snprintf(lim, sizeof(lim), "%u", limit + 1);
	ps = given(q->sender) ? svc_like_pattern(q->sender) : NULL;
	pr = given(q->recipient) ? svc_like_pattern(q->recipient) : NULL;
	pj = given(q->subject) ? svc_like_pattern(q->subject) : NULL;
	{
		const char *p[9] = {did_s,
				    ps,
				    pr,
				    pj,
				    after[0] != '\0' ? after : NULL,
				    before[0] != '\0' ? before : NULL,
				    cts[0] != '\0' ? cts : NULL,
				    cid[0] != '\0' ? cid : NULL,
				    lim};

		n = svc_sql(conn, sql_list, 9, p, &r, res);
	}
	if (n < 0)
		goto out;
	n = PQntuples(r);
	if (n > 0) {
		size_t count = (size_t)n > limit ? limit : (size_t)n;

		out_r->items = calloc(count, sizeof(*out_r->items));
		if (out_r->items == NULL) {
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			goto out;
		}
		for (size_t i = 0; i < count; i++)
			item_from_row(r, (int)i, &out_r->items[i]);
		out_r->n = count;
		if ((size_t)n > limit) {
			char key[SVC_CURSOR_MAX];

			if (casier_snprintf(key, sizeof(key), "%s|%lld",
					    PQgetvalue(r, (int)count - 1, 11),
					    out_r->items[count - 1].id) < 0 ||
			    svc_cursor_encode('n', key, out_r->next,
					      sizeof(out_r->next)) < 0)
				out_r->next[0] = '\0';
		}
	}
	svc_result_ok(res);
	ret = 0;
out:
	PQclear(r);
	free(ps);
	free(pr);
	free(pj);
	svc_conn_put(svc, &conn);
	if (ret < 0)
		svc_archive_list_free(out_r);
	return ret;
}

void
svc_archive_list_free(struct svc_archive_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

int
svc_archive_get(const struct svc *svc, const struct svc_identity *id,
		const char *domain, long long msg_id,
		struct svc_archive_item *out_r, struct svc_result *res)
{
	struct db_conn *conn = svc_conn_get(svc, res);
	char dname[SVC_NAME_MAX + 1], did_s[24], mid[24];
	long long did;
	PGresult *r = NULL;
	int n, ret = -1;

	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto out;
	(void)snprintf(did_s, sizeof(did_s), "%lld", did);
	(void)snprintf(mid, sizeof(mid), "%lld", msg_id);
	n = svc_sql(conn,
		    "SELECT " ITEM_COLUMNS " FROM archive_message m WHERE "
		    "m.domain_id = $1 AND m.id = $2 AND m.state = 'online'",
		    2, (const char *const[]){did_s, mid}, &r, res);
	if (n < 0)
		goto out;
	if (n == 0) {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such message");
		goto out;
	}
	memset(out_r, 0, sizeof(*out_r));
	item_from_row(r, 0, out_r);
	svc_result_ok(res);
	ret = 0;
out:
	PQclear(r);
	svc_conn_put(svc, &conn);
	return ret;
}

/* Run a change on one online message with its audit row: sql takes
 * $1 domain id, $2 message id and returns one JSON text (the audit's
 * before or after) or no row (404). */
static int
message_change(const struct svc *svc, const struct svc_identity *id,
	       const char *domain, long long msg_id, const char *sql,
	       const char *action, bool audit_before, struct svc_result *res)
{
	struct db_conn *conn = svc_conn_get(svc, res);
	char dname[SVC_NAME_MAX + 1], did_s[24], mid[24], obj[40];
	long long did;
	PGresult *r = NULL;
	int n, ret = -1;

	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto rollback;
	(void)snprintf(did_s, sizeof(did_s), "%lld", did);
	(void)snprintf(mid, sizeof(mid), "%lld", msg_id);
	(void)snprintf(obj, sizeof(obj), "archive:%lld", msg_id);
	n = svc_sql(conn, sql, 2, (const char *const[]){did_s, mid}, &r, res);
	if (n < 0)
		goto rollback;
	if (n == 0) {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such message");
		goto rollback;
	}
	if (svc_audit_add(conn, id, did, dname, action, obj,
			  audit_before ? PQgetvalue(r, 0, 0) : NULL,
			  audit_before ? NULL : PQgetvalue(r, 0, 0), res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_result_ok(res);
	ret = 0;
	goto out;
rollback:
	db_rollback(conn);
out:
	PQclear(r);
	svc_conn_put(svc, &conn);
	return ret;
}

#define AUDIT_JSON                                                             \
	"json_build_object('id', m.id, 'arrived_at', m.arrived_at, "           \
	"'sender', m.envelope_sender, 'recipients', m.recipients, "            \
	"'subject', m.subject, 'message_id', m.message_id)::text"

int
svc_archive_resend(const struct svc *svc, const struct svc_identity *id,
		   const char *domain, long long msg_id, struct svc_result *res)
{
	return message_change(
	    svc, id, domain, msg_id,
	    "WITH m AS (SELECT * FROM archive_message WHERE domain_id = $1 "
	    "AND id = $2 AND state = 'online'), o AS (INSERT INTO "
	    "archive_outbox (domain_id, kind, message_id, envelope_sender, "
	    "recipients) SELECT domain_id, 'resend', id, envelope_sender, "
	    "recipients FROM m RETURNING id) SELECT " AUDIT_JSON " FROM m, o",
	    "archive.resend", false, res);
}

int
svc_archive_delete(const struct svc *svc, const struct svc_identity *id,
		   const char *domain, long long msg_id, struct svc_result *res)
{
	/* the blob and any queued re-send go with the row (ON DELETE
	 * CASCADE) */
	return message_change(svc, id, domain, msg_id,
			      "DELETE FROM archive_message m WHERE "
			      "m.domain_id = $1 AND m.id = $2 AND m.state = "
			      "'online' RETURNING " AUDIT_JSON,
			      "archive.delete", true, res);
}

static const char sql_prefs[] =
    "SELECT d.name, d.archive_enabled, coalesce(d.archive_tier_gb, 2), "
    "coalesce(p.rows_list, 20), coalesce(p.rows_search, 30), "
    "coalesce(p.archive_spam, false), "
    "(SELECT coalesce(sum(stored_bytes), 0) FROM archive_message WHERE "
    "domain_id = d.id AND state = 'online'), "
    "(SELECT count(*) FROM archive_message WHERE domain_id = d.id AND "
    "state = 'online'), "
    "(SELECT coalesce(sum(stored_bytes), 0) FROM archive_message WHERE "
    "domain_id = d.id AND state = 'cellar'), "
    "(SELECT count(*) FROM archive_message WHERE domain_id = d.id AND "
    "state = 'cellar'), "
    "json_build_object('enabled', d.archive_enabled, 'tier_gb', "
    "coalesce(d.archive_tier_gb, 2), 'rows_list', coalesce(p.rows_list, "
    "20), 'rows_search', coalesce(p.rows_search, 30), 'archive_spam', "
    "coalesce(p.archive_spam, false))::text "
    "FROM domain d LEFT JOIN archive_pref p ON p.domain_id = d.id "
    "WHERE d.id = $1";

static int
prefs_read(struct db_conn *conn, const char *did_s,
	   struct svc_archive_prefs *out_r, char **json_r,
	   struct svc_result *res)
{
	PGresult *r;
	int n =
	    svc_sql(conn, sql_prefs, 1, (const char *const[]){did_s}, &r, res);

	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "", "no such domain");
		return -1;
	}
	memset(out_r, 0, sizeof(*out_r));
	svc_copy(out_r->domain, sizeof(out_r->domain), PQgetvalue(r, 0, 0));
	out_r->enabled = svc_bool(r, 0, 1);
	out_r->tier_gb = (int)svc_ll(r, 0, 2);
	out_r->rows_list = (int)svc_ll(r, 0, 3);
	out_r->rows_search = (int)svc_ll(r, 0, 4);
	out_r->archive_spam = svc_bool(r, 0, 5);
	out_r->online_bytes = svc_ll(r, 0, 6);
	out_r->online_messages = svc_ll(r, 0, 7);
	out_r->cellar_bytes = svc_ll(r, 0, 8);
	out_r->cellar_messages = svc_ll(r, 0, 9);
	if (json_r != NULL)
		*json_r = strdup(PQgetvalue(r, 0, 10));
	PQclear(r);
	return 0;
}

int
svc_archive_prefs_get(const struct svc *svc, const struct svc_identity *id,
		      const char *domain, struct svc_archive_prefs *out_r,
		      struct svc_result *res)
{
	struct db_conn *conn = svc_conn_get(svc, res);
	char dname[SVC_NAME_MAX + 1], did_s[24];
	long long did;
	int ret = -1;

	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto out;
	(void)snprintf(did_s, sizeof(did_s), "%lld", did);
	if (prefs_read(conn, did_s, out_r, NULL, res) < 0)
		goto out;
	svc_result_ok(res);
	ret = 0;
out:
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_archive_prefs_set(const struct svc *svc, const struct svc_identity *id,
		      const char *domain,
		      const struct svc_archive_prefs_input *in,
		      struct svc_archive_prefs *out_r, struct svc_result *res)
{
	struct db_conn *conn;
	struct svc_archive_prefs before;
	char dname[SVC_NAME_MAX + 1], did_s[24], tier[8], rl[8], rs[8];
	char *bjson = NULL, *ajson = NULL;
	long long did;
	PGresult *r = NULL;
	int ret = -1;

	if (in->has_enabled && !id->superuser) {
		svc_result_set(res, SVC_FORBIDDEN, "enabled",
			       "only the superuser enables the archive");
		return -1;
	}
	if (in->has_tier && in->tier_gb != 2 && in->tier_gb != 5 &&
	    in->tier_gb != 10) {
		svc_result_set(res, SVC_INVALID, "tier_gb",
			       "the tier is 2, 5 or 10 (GB)");
		return -1;
	}
	if (in->has_rows_list && (in->rows_list < 5 || in->rows_list > 500)) {
		svc_result_set(res, SVC_INVALID, "rows_list",
			       "rows per page: 5 to 500");
		return -1;
	}
	if (in->has_rows_search &&
	    (in->rows_search < 5 || in->rows_search > 500)) {
		svc_result_set(res, SVC_INVALID, "rows_search",
			       "rows per page: 5 to 500");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_domain_resolve(conn, id, domain, true, &did, dname, res) < 0)
		goto rollback;
	(void)snprintf(did_s, sizeof(did_s), "%lld", did);
	if (prefs_read(conn, did_s, &before, &bjson, res) < 0)
		goto rollback;
	(void)snprintf(tier, sizeof(tier), "%d",
		       in->has_tier ? in->tier_gb : before.tier_gb);
	(void)snprintf(rl, sizeof(rl), "%d",
		       in->has_rows_list ? in->rows_list : before.rows_list);
	(void)snprintf(rs, sizeof(rs), "%d",
		       in->has_rows_search ? in->rows_search
					   : before.rows_search);
	{
		const char *p[4] = {
		    did_s, tier,
		    (in->has_enabled ? in->enabled : before.enabled) ? "t"
								     : "f",
		    NULL};

		if (svc_sql(conn,
			    "UPDATE domain SET archive_tier_gb = $2, "
			    "archive_enabled = $3, updated_at = now() "
			    "WHERE id = $1",
			    3, p, &r, res) < 0)
			goto rollback;
		PQclear(r);
		r = NULL;
	}
	{
		const char *p[4] = {did_s, rl, rs,
				    (in->has_archive_spam ? in->archive_spam
							  : before.archive_spam)
					? "t"
					: "f"};

		if (svc_sql(conn,
			    "INSERT INTO archive_pref (domain_id, rows_list, "
			    "rows_search, archive_spam) VALUES ($1, $2, $3, "
			    "$4) ON CONFLICT (domain_id) DO UPDATE SET "
			    "rows_list = $2, rows_search = $3, archive_spam = "
			    "$4, updated_at = now()",
			    4, p, &r, res) < 0)
			goto rollback;
		PQclear(r);
		r = NULL;
	}
	if (prefs_read(conn, did_s, out_r, &ajson, res) < 0 ||
	    svc_audit_add(conn, id, did, dname, "archive.prefs", dname, bjson,
			  ajson, res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_result_ok(res);
	ret = 0;
	goto out;
rollback:
	db_rollback(conn);
out:
	free(bjson);
	free(ajson);
	svc_conn_put(svc, &conn);
	return ret;
}

/* ---- whitelist ---- */

int
svc_archive_whitelist_list(const struct svc *svc, const struct svc_identity *id,
			   const char *domain, struct svc_targets *out_r,
			   struct svc_result *res)
{
	struct db_conn *conn = svc_conn_get(svc, res);
	char dname[SVC_NAME_MAX + 1], did_s[24];
	long long did;
	PGresult *r = NULL;
	int n, ret = -1;

	memset(out_r, 0, sizeof(*out_r));
	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto out;
	(void)snprintf(did_s, sizeof(did_s), "%lld", did);
	n = svc_sql(conn,
		    "SELECT sender_domain FROM archive_whitelist WHERE "
		    "domain_id = $1 ORDER BY sender_domain",
		    1, (const char *const[]){did_s}, &r, res);
	if (n < 0)
		goto out;
	n = PQntuples(r);
	if (n > 0) {
		out_r->items = calloc((size_t)n, sizeof(char *));
		if (out_r->items == NULL) {
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			goto out;
		}
		for (int i = 0; i < n; i++) {
			out_r->items[i] = strdup(PQgetvalue(r, i, 0));
			if (out_r->items[i] == NULL) {
				svc_targets_free(out_r);
				svc_result_set(res, SVC_TEMPFAIL, "",
					       "out of memory");
				goto out;
			}
			out_r->n++;
		}
	}
	svc_result_ok(res);
	ret = 0;
out:
	PQclear(r);
	svc_conn_put(svc, &conn);
	return ret;
}

static int
whitelist_change(const struct svc *svc, const struct svc_identity *id,
		 const char *domain, const char *sender_domain, bool add,
		 struct svc_result *res)
{
	struct db_conn *conn;
	char norm[SVC_NAME_MAX + 1], dname[SVC_NAME_MAX + 1], did_s[24];
	const char *error;
	long long did;
	PGresult *r = NULL;
	int n, ret = -1;

	if (sender_domain == NULL ||
	    address_domain_normalize(sender_domain, norm, sizeof(norm),
				     &error) < 0) {
		if (!add) {
			svc_result_set(res, SVC_NOT_FOUND, "",
				       "not in the whitelist");
			return -1;
		}
		svc_result_set(res, SVC_INVALID, "sender_domain",
			       "not a domain name");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto rollback;
	(void)snprintf(did_s, sizeof(did_s), "%lld", did);
	n = svc_sql(conn,
		    add ? "INSERT INTO archive_whitelist (domain_id, "
			  "sender_domain) VALUES ($1, $2) ON CONFLICT DO "
			  "NOTHING RETURNING sender_domain"
			: "DELETE FROM archive_whitelist WHERE domain_id = $1 "
			  "AND sender_domain = $2 RETURNING sender_domain",
		    2, (const char *const[]){did_s, norm}, &r, res);
	if (n < 0)
		goto rollback;
	if (n == 0) {
		svc_result_set(res, add ? SVC_CONFLICT : SVC_NOT_FOUND, "",
			       add ? "already in the whitelist"
				   : "not in the whitelist");
		goto rollback;
	}
	if (svc_audit_add(conn, id, did, dname,
			  add ? "archive.whitelist.add"
			      : "archive.whitelist.remove",
			  norm, NULL, NULL, res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_result_ok(res);
	ret = 0;
	goto out;
rollback:
	db_rollback(conn);
out:
	PQclear(r);
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_archive_whitelist_add(const struct svc *svc, const struct svc_identity *id,
			  const char *domain, const char *sender_domain,
			  struct svc_result *res)
{
	return whitelist_change(svc, id, domain, sender_domain, true, res);
}

int
svc_archive_whitelist_remove(const struct svc *svc,
			     const struct svc_identity *id, const char *domain,
			     const char *sender_domain, struct svc_result *res)
{
	return whitelist_change(svc, id, domain, sender_domain, false, res);
}

/* ---- volumes ---- */

#define TS(col_)                                                               \
	"coalesce(to_char(" col_ " AT TIME ZONE 'UTC', "                       \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"

int
svc_archive_volume_list(const struct svc *svc, const struct svc_identity *id,
			const char *domain,
			struct svc_archive_volume_list *out_r,
			struct svc_result *res)
{
	struct db_conn *conn = svc_conn_get(svc, res);
	char dname[SVC_NAME_MAX + 1], did_s[24];
	long long did;
	PGresult *r = NULL;
	int n, ret = -1;

	memset(out_r, 0, sizeof(*out_r));
	if (conn == NULL)
		return -1;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto out;
	(void)snprintf(did_s, sizeof(did_s), "%lld", did);
	n = svc_sql(
	    conn,
	    "SELECT id, serial, " TS("created_at") ", " TS(
		"downloaded_at") ", " TS("received_at") ", "
							"messages, size_bytes, "
							"purged_at IS NULL "
							"FROM archive_volume "
							"WHERE domain_id = $1 "
							"ORDER BY id DESC",
	    1, (const char *const[]){did_s}, &r, res);
	if (n < 0)
		goto out;
	n = PQntuples(r);
	if (n > 0) {
		out_r->items = calloc((size_t)n, sizeof(*out_r->items));
		if (out_r->items == NULL) {
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			goto out;
		}
		for (int i = 0; i < n; i++) {
			struct svc_archive_volume *v = &out_r->items[i];

			v->id = svc_ll(r, i, 0);
			svc_copy(v->serial, sizeof(v->serial),
				 PQgetvalue(r, i, 1));
			svc_copy(v->created_at, sizeof(v->created_at),
				 PQgetvalue(r, i, 2));
			svc_copy(v->downloaded_at, sizeof(v->downloaded_at),
				 PQgetvalue(r, i, 3));
			svc_copy(v->received_at, sizeof(v->received_at),
				 PQgetvalue(r, i, 4));
			v->messages = svc_ll(r, i, 5);
			v->size_bytes = svc_ll(r, i, 6);
			v->available = svc_bool(r, i, 7);
		}
		out_r->n = (size_t)n;
	}
	svc_result_ok(res);
	ret = 0;
out:
	PQclear(r);
	svc_conn_put(svc, &conn);
	return ret;
}

void
svc_archive_volume_list_free(struct svc_archive_volume_list *l)
{
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

static bool
serial_ok(const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (n < 6 || n > 16)
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9')))
			return false;
	return true;
}

/* A volume change with its audit row; sql: $1 domain id, $2 serial,
 * returns (file_path, audit JSON) or no row. */
static int
volume_change(const struct svc *svc, const struct svc_identity *id,
	      const char *domain, const char *serial, const char *sql,
	      const char *action, char *path_r, size_t pathsize,
	      struct svc_result *res)
{
	struct db_conn *conn;
	char dname[SVC_NAME_MAX + 1], did_s[24];
	long long did;
	PGresult *r = NULL;
	int n, ret = -1;

	if (!serial_ok(serial)) {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such volume");
		return -1;
	}
	conn = svc_conn_get(svc, res);
	if (conn == NULL)
		return -1;
	if (svc_begin(conn, res) < 0)
		goto out;
	if (svc_domain_resolve(conn, id, domain, false, &did, dname, res) < 0)
		goto rollback;
	(void)snprintf(did_s, sizeof(did_s), "%lld", did);
	n = svc_sql(conn, sql, 2, (const char *const[]){did_s, serial}, &r,
		    res);
	if (n < 0)
		goto rollback;
	if (n == 0) {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such volume");
		goto rollback;
	}
	if (path_r != NULL &&
	    casier_snprintf(path_r, pathsize, "%s", PQgetvalue(r, 0, 0)) < 0) {
		svc_result_set(res, SVC_TEMPFAIL, "", "path too long");
		goto rollback;
	}
	if (svc_audit_add(conn, id, did, dname, action, serial, NULL,
			  PQgetvalue(r, 0, 1), res) < 0)
		goto rollback;
	if (svc_commit(conn, res) < 0)
		goto out;
	svc_result_ok(res);
	ret = 0;
	goto out;
rollback:
	db_rollback(conn);
out:
	PQclear(r);
	svc_conn_put(svc, &conn);
	return ret;
}

int
svc_archive_volume_download(const struct svc *svc,
			    const struct svc_identity *id, const char *domain,
			    const char *serial, char *path_r, size_t pathsize,
			    struct svc_result *res)
{
	return volume_change(
	    svc, id, domain, serial,
	    "UPDATE archive_volume SET downloaded_at = coalesce(downloaded_at, "
	    "now()) WHERE domain_id = $1 AND serial = $2 AND purged_at IS NULL "
	    "AND file_path <> '' RETURNING file_path, json_build_object("
	    "'serial', serial, 'size_bytes', size_bytes)::text",
	    "archive.volume.download", path_r, pathsize, res);
}

void
svc_archive_volume_filename(char *out, size_t outsize, const char *domain,
			    const char *serial)
{
	const char *parts[] = {domain, "-", serial};
	size_t n = 0;

	if (outsize == 0)
		return;
	for (size_t i = 0; i < CASIER_ARRAY_LEN(parts); i++)
		for (const char *s = parts[i]; *s != '\0' && n + 1 < outsize;
		     s++) {
			char c = *s;

			if (i == 0 && c >= 'A' && c <= 'Z')
				c = (char)(c - 'A' + 'a');
			if (!((c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '.' || c == '-'))
				c = '_';
			out[n++] = c;
		}
	out[n] = '\0';
	if (casier_snprintf(out + n, outsize - n, "%s", ".tar.zst") < 0)
		out[0] = '\0';
}

int
svc_archive_volume_receive(const struct svc *svc, const struct svc_identity *id,
			   const char *domain, const char *serial,
			   struct svc_result *res)
{
	/* casier-archive removes the file at its next pass */
	return volume_change(
	    svc, id, domain, serial,
	    "WITH v AS (UPDATE archive_volume SET received_at = now() WHERE "
	    "domain_id = $1 AND serial = $2 AND received_at IS NULL RETURNING "
	    "id, serial, messages), d AS (DELETE FROM archive_message m USING "
	    "v WHERE m.volume_id = v.id RETURNING m.id) SELECT '', "
	    "json_build_object('serial', v.serial, 'messages', v.messages, "
	    "'deleted', (SELECT count(*) FROM d))::text FROM v",
	    "archive.volume.receive", NULL, 0, res);
}

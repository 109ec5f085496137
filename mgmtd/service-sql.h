/*
 * service-sql.h - SQL text of the service layer's hot paths, shared by
 * the code that runs it and the table of prepared statements
 * (service-db.c, registered with the pool by main.c).  Prepared
 * statements may get generic plans: none of these uses "$n IS NULL OR"
 * on an indexed column (the first page passes cursor 0 instead).
 */
#ifndef CASIER_MGMTD_SERVICE_SQL_H
#define CASIER_MGMTD_SERVICE_SQL_H

#define ACCOUNT_COLUMNS                                                        \
	"a.id, a.username, a.local_part, d.name, a.quota_bytes, "              \
	"coalesce(q.bytes, 0), coalesce(q.messages, 0), a.active, "            \
	"EXISTS (SELECT 1 FROM redirect r WHERE r.account_id = a.id), "        \
	"EXISTS (SELECT 1 FROM vacation v WHERE v.account_id = a.id AND "      \
	"v.active), d.catchall_account_id IS NOT DISTINCT FROM a.id, "         \
	"coalesce(a.send_limit_per_hour, -1), coalesce(to_char("               \
	"a.outbound_blocked_until AT TIME ZONE 'UTC', "                        \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ''), "                             \
	"coalesce(a.outbound_block_reason, '')"
#define ACCOUNT_FROM                                                           \
	" FROM account a JOIN domain d ON d.id = a.domain_id LEFT JOIN "       \
	"quota_usage q ON q.username = a.username "

/* A page of domain $1's accounts after (op ">") or before ("<", dir
 * "DESC") id $2, $4 rows; $3 is NULL (no search). */
#define ACCOUNT_LIST_SQL(op, dir)                                              \
	"SELECT " ACCOUNT_COLUMNS ACCOUNT_FROM                                 \
	"WHERE a.domain_id = $1::bigint AND a.id " op " $2::bigint AND "       \
	"$3::text IS NULL ORDER BY a.id " dir " LIMIT $4::integer"
/* The same with the LIKE pattern $3 through the trigram indexes: the
 * matching ids first (bitmap, top-N sort), then the columns of those
 * $4 rows only. */
#define ACCOUNT_SEARCH_SQL(op, dir)                                            \
	"SELECT " ACCOUNT_COLUMNS " FROM (SELECT id FROM account WHERE "       \
	"domain_id = $1::bigint AND id " op " $2::bigint AND (local_part "     \
	"ILIKE $3 OR username ILIKE $3) ORDER BY id + 0 " dir " LIMIT "        \
	"$4::integer) m JOIN account a ON a.id = m.id JOIN domain d ON d.id "  \
	"= a.domain_id LEFT JOIN quota_usage q ON q.username = a.username "    \
	"ORDER BY a.id " dir
/* The search over the next ACCOUNT_PROBE_ROWS accounts in page order. */
#define ACCOUNT_PROBE_ROWS "500"
#define ACCOUNT_PROBE_SQL(op, dir)                                             \
	"SELECT " ACCOUNT_COLUMNS " FROM (SELECT * FROM account WHERE "        \
	"domain_id = $1::bigint AND id " op " $2::bigint ORDER BY id " dir     \
	" LIMIT " ACCOUNT_PROBE_ROWS                                           \
	") a JOIN domain d ON d.id = a.domain_id "                             \
	"LEFT JOIN quota_usage q ON q.username = a.username WHERE "            \
	"a.local_part ILIKE $3 OR a.username ILIKE $3 ORDER BY a.id " dir      \
	" LIMIT $4::integer"

/* The admin behind a token hash $1; refreshes last_used_at at most once
 * a minute (a write per request would cost more than the request). */
#define TOKEN_AUTH_SQL                                                         \
	"WITH t AS (SELECT t.id, a.id AS admin_id, a.login, a.superuser, "     \
	"a.language, t.last_used_at FROM api_token t JOIN admin a ON a.id = "  \
	"t.admin_id WHERE t.token_hash = $1::bytea AND t.revoked_at IS NULL "  \
	"AND a.active), u AS (UPDATE api_token SET last_used_at = now() "      \
	"WHERE id = (SELECT id FROM t WHERE last_used_at IS NULL OR "          \
	"last_used_at < now() - interval '1 minute')) SELECT admin_id, "       \
	"login, "                                                              \
	"superuser, language FROM t"

/* Domain (or alias domain) $1 as its primary domain, when admin $2
 * (superuser $3) may see it. */
#define DOMAIN_RESOLVE_SQL                                                     \
	"SELECT d.id, d.name FROM domain d WHERE d.id = (SELECT coalesce("     \
	"(SELECT id FROM domain WHERE name = $1), (SELECT domain_id FROM "     \
	"alias_domain WHERE name = $1))) AND ($3::boolean OR EXISTS (SELECT "  \
	"1 FROM admin_domain ad WHERE ad.admin_id = $2::bigint AND "           \
	"ad.domain_id = d.id))"

#endif

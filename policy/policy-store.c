/*
 * policy-store.c - PostgreSQL implementation of struct policy_store.
 *
 * Called from the connection threads of policy-server.c through
 * policy_decide().  Each question is one prepared statement (a SQL
 * function that does the lookup, the counting and the block atomically),
 * run on a connection of the shared pool.  Any database trouble is
 * logged and returned as POLICY_OUT_ERROR, which policy_decide() turns
 * into a temporary refusal.
 */
#include "policy-store.h"

#include "log.h"
#include "str.h"

#include <stdlib.h>
#include <string.h>

#define UNTIL_SQL                                                              \
	"coalesce(to_char(blocked_until AT TIME ZONE 'UTC', "                  \
	"'YYYY-MM-DD HH24:MI \"UTC\"'), '')"

const struct db_statement policy_store_statements[] = {
    {"policy_sub_rcpt",
     "SELECT result, " UNTIL_SQL " FROM policy_submission_rcpt($1, $2, $3)", 3},
    {"policy_sub_eod",
     "SELECT result, used, send_limit, " UNTIL_SQL
     " FROM policy_submission_eod($1, $2, $3::integer, $4::integer, "
     "$5::integer, ARRAY(SELECT btrim(x) FROM "
     "unnest(string_to_array($6, ',')) AS x WHERE btrim(x) <> ''))",
     6},
    {"policy_relay_rcpt",
     "SELECT result, coalesce(relay_client, '') "
     "FROM policy_relay_rcpt($1::inet, $2, $3, $4)",
     4},
    {"policy_relay_eod",
     "SELECT result, coalesce(relay_client, ''), used, send_limit "
     "FROM policy_relay_eod($1, $2::integer)",
     2},
    {"policy_relay_check", "SELECT policy_relay_check($1::inet, $2, $3)", 3},
    {"policy_housekeeping", "SELECT policy_housekeeping()", 0},
};
const size_t policy_store_nstatements =
    CASIER_ARRAY_LEN(policy_store_statements);

/* Run one statement; returns the result (1 row) or NULL after logging. */
static PGresult *
policy_store_run(struct db_pool *pool, const char *name, int nparams,
		 const char *const *params, int ncols)
{
	struct db_error err;
	struct db_conn *conn;
	PGresult *res = NULL;
	enum casier_lookup lk;

	conn = db_pool_get(pool, &err);
	if (conn == NULL) {
		log_warning("policy store: no database connection: %s",
			    err.message);
		return NULL;
	}
	lk = db_exec_prepared(conn, name, nparams, params, &res, &err);
	db_pool_put(pool, &conn);
	if (lk == CASIER_LOOKUP_ERROR) {
		log_warning("policy store: %s failed: %s (%s)", name,
			    err.message, err.sqlstate);
		return NULL;
	}
	if (lk == CASIER_ABSENT || PQntuples(res) != 1 ||
	    PQnfields(res) < ncols) {
		log_error("policy store: %s: unexpected result shape", name);
		PQclear(res);
		return NULL;
	}
	return res;
}

static enum policy_outcome
policy_store_outcome(const char *result)
{
	static const struct {
		const char *name;
		enum policy_outcome out;
	} map[] = {
	    {"ok", POLICY_OUT_OK},	     {"unknown", POLICY_OUT_UNKNOWN},
	    {"blocked", POLICY_OUT_BLOCKED}, {"block", POLICY_OUT_BLOCK},
	    {"hosted", POLICY_OUT_HOSTED},   {"denied", POLICY_OUT_DENIED},
	    {"permit", POLICY_OUT_PERMIT},   {"over", POLICY_OUT_OVER},
	    {"none", POLICY_OUT_OK},
	};

	for (size_t i = 0; i < CASIER_ARRAY_LEN(map); i++) {
		if (strcmp(map[i].name, result) == 0)
			return map[i].out;
	}
	log_error("policy store: unexpected result '%.32s'", result);
	return POLICY_OUT_ERROR;
}

static void
policy_store_copy(char *dst, size_t size, const char *src)
{
	if (casier_snprintf(dst, size, "%s", src) < 0)
		dst[0] = '\0';
}

static enum policy_outcome
policy_pg_submission_rcpt(void *ctx, const char *login, const char *instance,
			  const char *rcpt_domain, struct policy_facts *facts_r)
{
	const char *params[] = {login, instance, rcpt_domain};
	PGresult *res = policy_store_run(ctx, "policy_sub_rcpt", 3, params, 2);
	enum policy_outcome out;

	if (res == NULL)
		return POLICY_OUT_ERROR;
	out = policy_store_outcome(PQgetvalue(res, 0, 0));
	policy_store_copy(facts_r->blocked_until,
			  sizeof(facts_r->blocked_until),
			  PQgetvalue(res, 0, 1));
	PQclear(res);
	return out;
}

static enum policy_outcome
policy_pg_submission_eod(void *ctx, const char *login, const char *instance,
			 long long recipient_count,
			 const struct policy_settings *set,
			 struct policy_facts *facts_r)
{
	char count[24], limit[24], block[24];
	const char *params[6];
	PGresult *res;
	enum policy_outcome out;

	if (casier_snprintf(count, sizeof(count), "%lld", recipient_count) <
		0 ||
	    casier_snprintf(limit, sizeof(limit), "%lld",
			    set->default_limit_per_hour) < 0 ||
	    casier_snprintf(block, sizeof(block), "%lld", set->block_seconds) <
		0)
		return POLICY_OUT_ERROR;
	params[0] = login;
	params[1] = instance;
	params[2] = count;
	params[3] = limit;
	params[4] = block;
	params[5] = set->superuser_notify != NULL ? set->superuser_notify : "";
	res = policy_store_run(ctx, "policy_sub_eod", 6, params, 4);
	if (res == NULL)
		return POLICY_OUT_ERROR;
	out = policy_store_outcome(PQgetvalue(res, 0, 0));
	facts_r->used = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
	facts_r->limit = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	policy_store_copy(facts_r->blocked_until,
			  sizeof(facts_r->blocked_until),
			  PQgetvalue(res, 0, 3));
	PQclear(res);
	return out;
}

static enum policy_outcome
policy_pg_relay_rcpt(void *ctx, const char *client_address,
		     const char *sender_domain, const char *rcpt_domain,
		     const char *instance, struct policy_facts *facts_r)
{
	const char *params[] = {client_address, sender_domain, rcpt_domain,
				instance};
	PGresult *res =
	    policy_store_run(ctx, "policy_relay_rcpt", 4, params, 2);
	enum policy_outcome out;

	if (res == NULL)
		return POLICY_OUT_ERROR;
	out = policy_store_outcome(PQgetvalue(res, 0, 0));
	policy_store_copy(facts_r->relay_client, sizeof(facts_r->relay_client),
			  PQgetvalue(res, 0, 1));
	PQclear(res);
	return out;
}

static enum policy_outcome
policy_pg_relay_check(void *ctx, const char *client_address,
		      const char *sender_domain, const char *rcpt_domain,
		      struct policy_facts *facts_r)
{
	const char *params[] = {client_address, sender_domain, rcpt_domain};
	PGresult *res =
	    policy_store_run(ctx, "policy_relay_check", 3, params, 1);
	enum policy_outcome out;

	(void)facts_r;
	if (res == NULL)
		return POLICY_OUT_ERROR;
	out = policy_store_outcome(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

static enum policy_outcome
policy_pg_relay_eod(void *ctx, const char *instance,
		    const struct policy_settings *set,
		    struct policy_facts *facts_r)
{
	char limit[24];
	const char *params[2];
	PGresult *res;
	enum policy_outcome out;

	if (casier_snprintf(limit, sizeof(limit), "%lld",
			    set->relay_default_limit_per_hour) < 0)
		return POLICY_OUT_ERROR;
	params[0] = instance;
	params[1] = limit;
	res = policy_store_run(ctx, "policy_relay_eod", 2, params, 4);
	if (res == NULL)
		return POLICY_OUT_ERROR;
	out = policy_store_outcome(PQgetvalue(res, 0, 0));
	policy_store_copy(facts_r->relay_client, sizeof(facts_r->relay_client),
			  PQgetvalue(res, 0, 1));
	facts_r->used = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
	facts_r->limit = strtoll(PQgetvalue(res, 0, 3), NULL, 10);
	PQclear(res);
	return out;
}

void
policy_store_pg_init(struct policy_store *store, struct db_pool *pool)
{
	store->ctx = pool;
	store->submission_rcpt = policy_pg_submission_rcpt;
	store->submission_eod = policy_pg_submission_eod;
	store->relay_rcpt = policy_pg_relay_rcpt;
	store->relay_check = policy_pg_relay_check;
	store->relay_eod = policy_pg_relay_eod;
}

int
policy_store_housekeeping(struct db_pool *pool)
{
	PGresult *res =
	    policy_store_run(pool, "policy_housekeeping", 0, NULL, 1);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

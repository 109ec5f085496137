/*
 * db.c - PostgreSQL access: a connection pool, lazily prepared named
 * statements, parameterised ad-hoc queries, error classification.
 *
 * Used by every daemon and by casier-admin, from any thread.  A pool
 * holds at most `size` connections, opened on first use; db_pool_get()
 * waits on a condition variable until one is free.  A connection found
 * broken is reconnected on its next use (its prepared statements are
 * then prepared again).  Errors never abort: they come back classified
 * as TEMPFAIL (connection trouble, SQLSTATE classes 08, 40, 53, 57, 58,
 * XX, anything unclassified) or PERMFAIL (everything else, e.g. 23505).
 */
#include "db.h"
#include "str.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct db_conn {
	struct db_pool *pool;
	PGconn *pg;
	bool *prepared; /* per pool statement: prepared on this connection */
	bool in_use;
};

struct db_pool {
	char *conninfo;
	const struct db_statement *stmts;
	size_t nstmts;
	unsigned int size;
	struct db_conn *conns;
	pthread_mutex_t lock;
	pthread_cond_t freed;
};

struct db_pool *
db_pool_new(const char *conninfo, unsigned int size,
	    const struct db_statement *stmts, size_t nstmts)
{
	struct db_pool *pool;

	if (size == 0)
		size = 1;
	pool = calloc(1, sizeof(*pool));
	if (pool == NULL)
		return NULL;
	pool->conninfo = strdup(conninfo);
	pool->conns = calloc(size, sizeof(*pool->conns));
	if (pool->conninfo == NULL || pool->conns == NULL)
		goto fail;
	pool->stmts = stmts;
	pool->nstmts = nstmts;
	pool->size = size;
	for (unsigned int i = 0; i < size; i++) {
		pool->conns[i].pool = pool;
		if (nstmts > 0) {
			pool->conns[i].prepared = calloc(nstmts, sizeof(bool));
			if (pool->conns[i].prepared == NULL)
				goto fail;
		}
	}
	if (pthread_mutex_init(&pool->lock, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&pool->freed, NULL) != 0) {
		(void)pthread_mutex_destroy(&pool->lock);
		goto fail;
	}
	return pool;
fail:
	if (pool->conns != NULL) {
		for (unsigned int i = 0; i < size; i++)
			free(pool->conns[i].prepared);
	}
	free(pool->conns);
	free(pool->conninfo);
	free(pool);
	return NULL;
}

void
db_pool_free(struct db_pool **poolp)
{
	struct db_pool *pool = *poolp;

	if (pool == NULL)
		return;
	*poolp = NULL;
	for (unsigned int i = 0; i < pool->size; i++) {
		if (pool->conns[i].pg != NULL)
			PQfinish(pool->conns[i].pg);
		free(pool->conns[i].prepared);
	}
	(void)pthread_cond_destroy(&pool->freed);
	(void)pthread_mutex_destroy(&pool->lock);
	free(pool->conns);
	free(pool->conninfo);
	free(pool);
}

static void
db_error_set(struct db_error *err, enum casier_status status,
	     const char *sqlstate, const char *message)
{
	size_t n;

	err->status = status;
	(void)casier_snprintf(err->sqlstate, sizeof(err->sqlstate), "%s",
			      sqlstate);
	err->constraint[0] = '\0';
	if (casier_snprintf(err->message, sizeof(err->message), "%s", message) <
	    0)
		err->message[sizeof(err->message) - 1] = '\0';
	/* libpq messages may span lines: make them one line. */
	for (char *p = err->message; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r')
			*p = ' ';
	}
	n = strlen(err->message);
	while (n > 0 &&
	       (err->message[n - 1] == '\n' || err->message[n - 1] == '\r' ||
		err->message[n - 1] == ' '))
		err->message[--n] = '\0';
}

/* (Re)open the connection when it is missing or broken. */
static int
db_conn_ensure(struct db_conn *conn, struct db_error *err_r)
{
	if (conn->pg != NULL && PQstatus(conn->pg) == CONNECTION_OK)
		return 0;
	if (conn->pg != NULL) {
		PQfinish(conn->pg);
		conn->pg = NULL;
	}
	if (conn->prepared != NULL)
		memset(conn->prepared, 0,
		       conn->pool->nstmts * sizeof(*conn->prepared));
	conn->pg = PQconnectdb(conn->pool->conninfo);
	if (conn->pg == NULL) {
		db_error_set(err_r, CASIER_TEMPFAIL, "",
			     "out of memory connecting to the database");
		return -1;
	}
	if (PQstatus(conn->pg) != CONNECTION_OK) {
		/* A bad conninfo is as unavailable as a down server: the
		 * operator fixes it, and mail meanwhile waits. */
		db_error_set(err_r, CASIER_TEMPFAIL, "08001",
			     PQerrorMessage(conn->pg));
		PQfinish(conn->pg);
		conn->pg = NULL;
		return -1;
	}
	return 0;
}

/*
 * Statements never reconnect: a connection lost inside a transaction
 * must not silently continue in a new session.  db_pool_get() reopens it.
 */
static int
db_conn_alive(struct db_conn *conn, struct db_error *err_r)
{
	if (conn->pg != NULL && PQstatus(conn->pg) == CONNECTION_OK)
		return 0;
	db_error_set(err_r, CASIER_TEMPFAIL, "08006",
		     "database connection lost");
	return -1;
}

struct db_conn *
db_pool_get(struct db_pool *pool, struct db_error *err_r)
{
	struct db_conn *conn = NULL;

	(void)pthread_mutex_lock(&pool->lock);
	for (;;) {
		/* Prefer a connection that is already open. */
		for (unsigned int i = 0; i < pool->size; i++) {
			if (!pool->conns[i].in_use &&
			    (conn == NULL || pool->conns[i].pg != NULL)) {
				conn = &pool->conns[i];
				if (conn->pg != NULL)
					break;
			}
		}
		if (conn != NULL)
			break;
		(void)pthread_cond_wait(&pool->freed, &pool->lock);
	}
	conn->in_use = true;
	(void)pthread_mutex_unlock(&pool->lock);

	/* Connecting may take long: do it outside the lock. */
	if (db_conn_ensure(conn, err_r) < 0) {
		db_pool_put(pool, &conn);
		return NULL;
	}
	return conn;
}

void
db_pool_put(struct db_pool *pool, struct db_conn **connp)
{
	struct db_conn *conn = *connp;

	if (conn == NULL)
		return;
	*connp = NULL;
	/* Never hand a connection inside a transaction to someone else. */
	if (conn->pg != NULL && PQstatus(conn->pg) == CONNECTION_OK &&
	    PQtransactionStatus(conn->pg) != PQTRANS_IDLE)
		db_rollback(conn);
	if (conn->pg != NULL &&
	    (PQstatus(conn->pg) != CONNECTION_OK ||
	     PQtransactionStatus(conn->pg) != PQTRANS_IDLE)) {
		PQfinish(conn->pg);
		conn->pg = NULL;
	}
	(void)pthread_mutex_lock(&pool->lock);
	conn->in_use = false;
	(void)pthread_cond_signal(&pool->freed);
	(void)pthread_mutex_unlock(&pool->lock);
}

PGconn *
db_conn_pg(struct db_conn *conn)
{
	return conn->pg;
}

/* Two characters of SQLSTATE name its class (PostgreSQL appendix A). */
static bool
db_sqlstate_temporary(const char *sqlstate)
{
	static const char *const classes[] = {"08", "40", "53",
					      "57", "58", "XX"};

	for (size_t i = 0; i < CASIER_ARRAY_LEN(classes); i++) {
		if (strncmp(sqlstate, classes[i], 2) == 0)
			return true;
	}
	return false;
}

void
db_error_classify(PGconn *pg, const PGresult *res, struct db_error *err_r)
{
	const char *sqlstate = NULL, *msg = NULL, *constraint = NULL;
	enum casier_status status;

	if (res != NULL) {
		sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	}
	if (msg == NULL && pg != NULL)
		msg = PQerrorMessage(pg);
	if (msg == NULL || msg[0] == '\0')
		msg = "unknown database error";
	if (pg != NULL && PQstatus(pg) != CONNECTION_OK)
		status = CASIER_TEMPFAIL;
	else if (sqlstate == NULL || strlen(sqlstate) != 5)
		status = CASIER_TEMPFAIL; /* unclassified: retry */
	else if (db_sqlstate_temporary(sqlstate))
		status = CASIER_TEMPFAIL;
	else
		status = CASIER_PERMFAIL;
	db_error_set(err_r, status, sqlstate != NULL ? sqlstate : "", msg);
	if (constraint != NULL &&
	    casier_snprintf(err_r->constraint, sizeof(err_r->constraint), "%s",
			    constraint) < 0)
		err_r->constraint[0] = '\0';
}

/* Turn a finished result into the three-way outcome. */
static enum casier_lookup
db_result(PGconn *pg, PGresult *res, PGresult **res_r, struct db_error *err_r)
{
	*res_r = NULL;
	if (res == NULL) {
		db_error_classify(pg, NULL, err_r);
		return CASIER_LOOKUP_ERROR;
	}
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_EMPTY_QUERY:
		*res_r = res;
		return CASIER_FOUND;
	case PGRES_TUPLES_OK:
		*res_r = res;
		return PQntuples(res) > 0 ? CASIER_FOUND : CASIER_ABSENT;
	default:
		db_error_classify(pg, res, err_r);
		PQclear(res);
		return CASIER_LOOKUP_ERROR;
	}
}

enum casier_lookup
db_exec_prepared(struct db_conn *conn, const char *name, int nparams,
		 const char *const *params, PGresult **res_r,
		 struct db_error *err_r)
{
	const struct db_pool *pool = conn->pool;
	size_t i;
	PGresult *res;

	*res_r = NULL;
	for (i = 0; i < pool->nstmts; i++) {
		if (strcmp(pool->stmts[i].name, name) == 0)
			break;
	}
	if (i == pool->nstmts) {
		db_error_set(err_r, CASIER_TEMPFAIL, "",
			     "internal error: unknown prepared statement");
		return CASIER_LOOKUP_ERROR;
	}
	if (nparams != pool->stmts[i].nparams) {
		db_error_set(err_r, CASIER_TEMPFAIL, "",
			     "internal error: wrong number of parameters");
		return CASIER_LOOKUP_ERROR;
	}
	if (db_conn_alive(conn, err_r) < 0)
		return CASIER_LOOKUP_ERROR;
	if (!conn->prepared[i]) {
		res = PQprepare(conn->pg, name, pool->stmts[i].sql, nparams,
				NULL);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
			db_error_classify(conn->pg, res, err_r);
			PQclear(res);
			return CASIER_LOOKUP_ERROR;
		}
		PQclear(res);
		conn->prepared[i] = true;
	}
	res = PQexecPrepared(conn->pg, name, nparams, params, NULL, NULL, 0);
	return db_result(conn->pg, res, res_r, err_r);
}

enum casier_lookup
db_exec_params(struct db_conn *conn, const char *sql, int nparams,
	       const char *const *params, PGresult **res_r,
	       struct db_error *err_r)
{
	PGresult *res;

	*res_r = NULL;
	if (db_conn_alive(conn, err_r) < 0)
		return CASIER_LOOKUP_ERROR;
	res = PQexecParams(conn->pg, sql, nparams, NULL, params, NULL, NULL, 0);
	return db_result(conn->pg, res, res_r, err_r);
}

static int
db_command(struct db_conn *conn, const char *sql, struct db_error *err_r)
{
	PGresult *res;
	enum casier_lookup r;

	if (db_conn_alive(conn, err_r) < 0)
		return -1;
	res = PQexecParams(conn->pg, sql, 0, NULL, NULL, NULL, NULL, 0);
	r = db_result(conn->pg, res, &res, err_r);
	if (r == CASIER_LOOKUP_ERROR)
		return -1;
	PQclear(res);
	return 0;
}

int
db_begin(struct db_conn *conn, struct db_error *err_r)
{
	if (db_conn_alive(conn, err_r) < 0)
		return -1;
	return db_command(conn, "BEGIN", err_r);
}

int
db_commit(struct db_conn *conn, struct db_error *err_r)
{
	PGresult *res;
	int rc = 0;

	if (db_conn_alive(conn, err_r) < 0)
		return -1;
	res = PQexecParams(conn->pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
	if (db_result(conn->pg, res, &res, err_r) == CASIER_LOOKUP_ERROR)
		return -1;
	/* COMMIT of a failed transaction answers ROLLBACK, not an error. */
	if (strcmp(PQcmdStatus(res), "COMMIT") != 0) {
		db_error_set(err_r, CASIER_PERMFAIL, "25P02",
			     "transaction was rolled back");
		rc = -1;
	}
	PQclear(res);
	return rc;
}

void
db_rollback(struct db_conn *conn)
{
	struct db_error err;

	if (conn->pg == NULL || PQstatus(conn->pg) != CONNECTION_OK)
		return;
	(void)db_command(conn, "ROLLBACK", &err);
}

int
db_exec_script(PGconn *pg, const char *script, struct db_error *err_r)
{
	PGresult *res, *last = NULL;
	int rc = 0;

	/*
	 * The one use of the simple protocol (STYLE.md rule 5): a trusted
	 * migration with many statements.  PQexec returns the last result,
	 * or the first failing one.
	 */
	res = PQexec(pg, script);
	if (res == NULL) {
		db_error_classify(pg, NULL, err_r);
		return -1;
	}
	switch (PQresultStatus(res)) {
	case PGRES_COMMAND_OK:
	case PGRES_TUPLES_OK:
	case PGRES_EMPTY_QUERY:
		break;
	default:
		db_error_classify(pg, res, err_r);
		rc = -1;
	}
	PQclear(res);
	/* Drain anything left (PQexec normally leaves nothing). */
	while ((last = PQgetResult(pg)) != NULL)
		PQclear(last);
	return rc;
}

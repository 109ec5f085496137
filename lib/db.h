/*
 * db.h - PostgreSQL access through libpq.
 *
 * SQL is always parameterised (PQexecParams or prepared statements,
 * STYLE.md rule 5).  Zero rows is ABSENT, never an error.  Errors are
 * classified: SQLSTATE classes 08, 40, 53, 57, 58, XX and a broken
 * connection are temporary; everything else (constraint violations,
 * syntax) is permanent and carries its SQLSTATE and constraint name so
 * callers can map it (23505 -> 409 in the API, for instance).
 *
 * A pool hands out connections to threads; a connection that failed is
 * reopened when db_pool_get() hands it out again (statements on a lost
 * connection fail TEMPFAIL and never reconnect by themselves, so a
 * transaction cannot silently continue in a new session).  Thread-safe.
 */
#ifndef CASIER_DB_H
#define CASIER_DB_H

#include "casier.h"

#include <libpq-fe.h>

struct db_pool;
struct db_conn;

struct db_error {
	enum casier_status status; /* TEMPFAIL or PERMFAIL */
	char sqlstate[6];
	char constraint[64];
	char message[256];
};

/* Named statements prepared lazily on each connection. */
struct db_statement {
	const char *name;
	const char *sql;
	int nparams;
};

struct db_pool *db_pool_new(const char *conninfo, unsigned int size,
			    const struct db_statement *stmts, size_t nstmts);
void db_pool_free(struct db_pool **pool);

/* Blocks until a connection is free.  NULL (and err) when none can be made. */
struct db_conn *db_pool_get(struct db_pool *pool, struct db_error *err_r);
void db_pool_put(struct db_pool *pool, struct db_conn **conn);

PGconn *db_conn_pg(struct db_conn *conn);

/*
 * Run a named statement (registered with the pool) or ad-hoc SQL with
 * parameters.  On success returns CASIER_FOUND (>= 1 row, or a command
 * that returns no rows) or CASIER_ABSENT (0 rows of a SELECT/RETURNING)
 * and *res_r holds the result (PQclear it).  On failure returns
 * CASIER_LOOKUP_ERROR, *res_r is NULL and err_r is filled.
 * params may contain NULL for SQL NULL.
 */
enum casier_lookup db_exec_prepared(struct db_conn *conn, const char *name,
				    int nparams, const char *const *params,
				    PGresult **res_r, struct db_error *err_r);
enum casier_lookup db_exec_params(struct db_conn *conn, const char *sql,
				  int nparams, const char *const *params,
				  PGresult **res_r, struct db_error *err_r);

/* Transactions on one connection. 0 on success, -1 and err_r on failure. */
int db_begin(struct db_conn *conn, struct db_error *err_r);
int db_commit(struct db_conn *conn, struct db_error *err_r);
void db_rollback(struct db_conn *conn);

/*
 * Run a trusted multi-statement script (a migration file shipped with
 * Casier; never anything holding user input) with the simple protocol.
 */
int db_exec_script(PGconn *pg, const char *script, struct db_error *err_r);

/* Fill err from a failed result (res may be NULL) and the connection. */
void db_error_classify(PGconn *pg, const PGresult *res, struct db_error *err_r);

#endif

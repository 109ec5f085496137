/*
 * policy-store.h - the PostgreSQL store behind policy_decide().
 *
 * Each decision is one prepared statement calling a SQL function of
 * sql/030_outbound.sql or sql/031_relay.sql, so every policyd instance
 * shares the same counters.
 */
#ifndef CASIER_POLICY_STORE_H
#define CASIER_POLICY_STORE_H

#include "db.h"
#include "policy-decide.h"

/* The statements the pool must prepare (policy_store_statements[]). */
extern const struct db_statement policy_store_statements[];
extern const size_t policy_store_nstatements;

/* Fill store with the PostgreSQL implementation over pool. */
void policy_store_pg_init(struct policy_store *store, struct db_pool *pool);

/* Drop stale transactions and old counters. 0 or -1 (logged). */
int policy_store_housekeeping(struct db_pool *pool);

#endif

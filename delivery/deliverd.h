/*
 * deliverd.h - casier-deliverd's configuration ([delivery], [srs] and
 * the shared [database] conninfo and [paths] mail_root) and the delivery
 * backend the LMTP sessions and the policy service use.
 */
#ifndef CASIER_DELIVERD_H
#define CASIER_DELIVERD_H

#include "casier.h"
#include "db.h"
#include "lmtp-server.h"
#include "resolve.h"
#include "srs.h"

#include <stdint.h>

struct deliverd_config {
	/* shared */
	char *db_conninfo;
	char *mail_root;
	/* [delivery] */
	char *socket;	     /* LMTP listener (UNIX socket path) */
	char *policy_socket; /* Postfix policy listener, optional */
	char *pid_file;
	char *hostname;
	char *spool_dir;
	char *dovecot_lmtp; /* "unix:/path" or "inet:host:port" */
	char *reinject;	    /* "inet:127.0.0.1:port" */
	unsigned long long max_message_size;
	unsigned long long spool_memory;
	long long max_recipients;
	long long max_connections;
	long long alias_depth;
	long long loop_max_hops;
	long long db_pool_size;
	long long db_timeout;	    /* seconds: statement_timeout */
	long long idle_timeout;	    /* seconds */
	long long next_hop_timeout; /* seconds */
	long long shutdown_grace;   /* seconds */
	long long job_interval;	    /* seconds between polls of mail_job */
	/* [srs] */
	char *srs_domain;
	char *srs_secret;
	long long srs_max_age; /* seconds */
	long long srs_hash_length;
};

struct deliver_ctx {
	const struct deliverd_config *cfg;
	struct db_pool *db;
	struct srs srs;
	bool srs_enabled;
};

/* Load the configuration file; 0, or -1 with error_r filled. */
int deliverd_config_load(const char *path, struct deliverd_config *cfg,
			 char *error_r, size_t errsize);
void deliverd_config_free(struct deliverd_config *cfg);

/* The prepared statements the pool registers. */
extern const struct db_statement deliverd_statements[];
extern const size_t deliverd_nstatements;

/* The SQL lookup (one round trip: casier_resolve()). ctx = deliver_ctx. */
enum casier_lookup deliver_sql_lookup(void *ctx, const char *key,
				      unsigned int max_depth,
				      struct resolve_facts *facts);

/* The plan for one recipient, decided at RCPT time. */
struct deliver_plan {
	struct resolve_result r; /* res + destinations */
	bool srs_bounce;	 /* a bounce to a reversed SRS address */
};

/*
 * Decide about one recipient: SRS reversal, then resolution and quota.
 * On OK, *plan_r holds the plan (free with deliver_plan_free).
 */
void deliver_rcpt_plan(struct deliver_ctx *dc, const char *rcpt, uint64_t size,
		       struct deliver_plan **plan_r,
		       struct casier_result *res_r);
void deliver_plan_free(struct deliver_plan *plan);

/* The LMTP backend of casier-deliverd. */
void deliver_backend_init(struct deliver_ctx *dc, struct lmtp_backend *be);

/* Count "Delivered-To: addr" header lines in the header part of head. */
unsigned int deliver_count_delivered_to(const char *head, size_t len,
					const char *addr);

#endif

/*
 * admin.h - casier-admin internals shared by its files.
 *
 * Every command returns a sysexits.h exit code (0, 64, 65, 69, 73, 75,
 * 78; 70 for an internal error) and prints its reason to stderr as
 * "casier-admin: reason".  Database errors are mapped to exit codes in
 * exactly one function, admin_db_exit().
 */
#ifndef CASIER_ADMIN_H
#define CASIER_ADMIN_H

#include "casier.h"
#include "db.h"

#include <sysexits.h>

struct wordlist;

struct admin_config {
	char *conninfo;
	long long pool_size;
	int log_level; /* enum log_level */
	bool log_syslog;
	char *wordlist; /* [web] wordlist, shared with casier-mgmtd */
	/* [web] auth_flush_command, shared with casier-mgmtd: argv
	 * (space-separated) to which the account's login forms are added. */
	char *auth_flush_command;
};

struct admin_ctx {
	const struct admin_config *cfg;
	struct db_pool *pool;
	struct db_conn *conn;
};

void admin_err(const char *fmt, ...) CASIER_ATTR_PRINTF(1, 2);

/* Connect (the pool of ctx). 0 or an exit code after a message. */
int admin_connect(struct admin_ctx *ctx);

/* The exit code for a database error, after printing "what: message". */
int admin_db_exit(const struct db_error *err, const char *what);

/* Commands: argv[0] is the command name.  Return an exit code. */
int admin_cmd_migrate(struct admin_ctx *ctx, int argc, char **argv);
int admin_cmd_superuser(struct admin_ctx *ctx, int argc, char **argv);
int admin_cmd_admin_add(struct admin_ctx *ctx, int argc, char **argv);
int admin_cmd_token(struct admin_ctx *ctx, int argc, char **argv);
int admin_cmd_domain_add(struct admin_ctx *ctx, int argc, char **argv);
int admin_cmd_alias_domain_add(struct admin_ctx *ctx, int argc, char **argv);
int admin_cmd_account_add(struct admin_ctx *ctx, int argc, char **argv);
int admin_cmd_account_set(struct admin_ctx *ctx, int argc, char **argv);
int admin_cmd_account_password(struct admin_ctx *ctx, int argc, char **argv);

/*
 * Read the new password ($CASIER_PASSWORD or one line of standard
 * input), check the policy for it (local_part/username may be NULL) and
 * hash it into hash.  0 or an exit code after a message.
 */
int admin_new_password(const struct admin_ctx *ctx, const char *local_part,
		       const char *username, char *hash, size_t hashsize);

/* Insert one audit_log row (actor 'cli') on conn; JSON texts may be NULL. */
int admin_audit(struct admin_ctx *ctx, const char *domain_id,
		const char *domain_name, const char *action, const char *object,
		const char *before_json, const char *after_json,
		struct db_error *err_r);

#endif

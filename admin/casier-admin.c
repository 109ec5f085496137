/*
 * casier-admin.c - the command-line tool of Casier: applies migrations,
 * creates the superuser, domain admins, API tokens, domains, alias
 * domains and accounts, for operators and scripts (docs/admin-cli.md).
 *
 * Run by an operator or by tools/up, with no privileges beyond reading
 * the configuration file and reaching PostgreSQL.  This file parses the
 * arguments, loads the configuration and dispatches; the commands live
 * in admin-migrate.c and admin-objects.c.  Failures print
 * "casier-admin: reason" on stderr and exit with a sysexits.h code:
 * 64 usage, 65 bad data, 69 unknown object, 73 already exists,
 * 75 temporary (database unreachable), 78 configuration.
 */
#include "admin.h"
#include "casier-config.h"
#include "log.h"
#include "password.h"
#include "str.h"

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CASIER_DATADIR
#define CASIER_DATADIR "/usr/share/casier"
#endif

static const char *const log_levels[] = {"debug", "info", "warning", "error",
					 NULL};

static const struct config_key admin_keys[] = {
    {.section = "database",
     .name = "conninfo",
     .type = CONFIG_STRING,
     .offset = offsetof(struct admin_config, conninfo),
     .required = true},
    {.section = "database",
     .name = "pool_size",
     .type = CONFIG_INT,
     .offset = offsetof(struct admin_config, pool_size),
     .default_value = "4",
     .min = 1,
     .max = 1000},
    {.section = "log",
     .name = "level",
     .type = CONFIG_ENUM,
     .offset = offsetof(struct admin_config, log_level),
     .default_value = "info",
     .choices = log_levels},
    {.section = "log",
     .name = "syslog",
     .type = CONFIG_BOOL,
     .offset = offsetof(struct admin_config, log_syslog),
     .default_value = "no"},
    {.section = "web",
     .name = "wordlist",
     .type = CONFIG_STRING,
     .offset = offsetof(struct admin_config, wordlist),
     .default_value = CASIER_DATADIR "/wordlist.txt",
     .shared = true},
    {.section = "web",
     .name = "auth_flush_command",
     .type = CONFIG_STRING,
     .offset = offsetof(struct admin_config, auth_flush_command),
     .shared = true},
};

struct admin_command {
	const char *name;
	int (*run)(struct admin_ctx *ctx, int argc, char **argv);
	const char *args;
	const char *help;
};

static const struct admin_command admin_commands[] = {
    {"migrate", admin_cmd_migrate, "[--dir DIR] | --status",
     "Apply the migrations DIR/NNN_name.sql not applied yet, each in one\n"
     "transaction, in numeric order (default DIR: " CASIER_DATADIR "/sql).\n"
     "--status lists the applied versions and the pending files."},
    {"superuser", admin_cmd_superuser, "LOGIN",
     "Create the superuser LOGIN, or reset its password (and make it an\n"
     "active superuser).  The password comes from $CASIER_PASSWORD or one\n"
     "line of standard input."},
    {"admin-add", admin_cmd_admin_add, "LOGIN DOMAIN...",
     "Create a domain administrator managing the given domains; password\n"
     "as for superuser."},
    {"token", admin_cmd_token, "LOGIN [NAME]",
     "Create an API token for the admin LOGIN and print it (it is shown\n"
     "only once; the database keeps its SHA-256)."},
    {"domain-add", admin_cmd_domain_add,
     "NAME PREFIX MAX_ACCOUNTS QUOTA_MB [CONTACT]",
     "Create a domain: username prefix, maximum number of accounts,\n"
     "default quota per account in MiB, optional contact address."},
    {"alias-domain-add", admin_cmd_alias_domain_add, "ALIASNAME DOMAIN",
     "Make ALIASNAME an alias domain of DOMAIN (x@ALIASNAME = x@DOMAIN)."},
    {"account-add", admin_cmd_account_add, "ADDRESS [QUOTA_MB]",
     "Create an account (quota in MiB, default: the domain's) and print\n"
     "its username; password as for superuser."},
    {"account-set", admin_cmd_account_set, "USERNAME active|inactive",
     "Activate or deactivate an account."},
    {"account-password", admin_cmd_account_password, "USERNAME",
     "Set the password of an account; password as for superuser."},
};

void
admin_err(const char *fmt, ...)
{
	char line[1024], clean[1024];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (ret < 0)
		return;
	/* Messages quote user input and server text: one clean line. */
	log_sanitize(clean, sizeof(clean), line, strlen(line));
	(void)fprintf(stderr, "casier-admin: %s\n", clean);
}

static void
usage(FILE *out)
{
	(void)fprintf(out,
		      "usage: casier-admin [-c FILE] COMMAND [ARGS]\n"
		      "       casier-admin --help | COMMAND --help\n"
		      "\n"
		      "  -c FILE  configuration file (default: $" CONFIG_ENV
		      ", else " CASIER_SYSCONFDIR "/casier.conf)\n"
		      "\n"
		      "commands:\n");
	for (size_t i = 0; i < CASIER_ARRAY_LEN(admin_commands); i++)
		(void)fprintf(out, "  %s %s\n", admin_commands[i].name,
			      admin_commands[i].args);
	(void)fprintf(out,
		      "\nexit codes: 0 ok, 64 usage, 65 bad data, 69 unknown "
		      "object,\n73 already exists, 75 temporary failure, 78 "
		      "configuration error\n");
}

static void
command_usage(const struct admin_command *cmd, FILE *out)
{
	(void)fprintf(out, "usage: casier-admin [-c FILE] %s %s\n\n%s\n",
		      cmd->name, cmd->args, cmd->help);
}

int
admin_connect(struct admin_ctx *ctx)
{
	struct db_error err;

	ctx->pool = db_pool_new(ctx->cfg->conninfo, 1, NULL, 0);
	if (ctx->pool == NULL) {
		admin_err("out of memory");
		return EX_TEMPFAIL;
	}
	ctx->conn = db_pool_get(ctx->pool, &err);
	if (ctx->conn == NULL) {
		admin_err("database unavailable: %s", err.message);
		return EX_TEMPFAIL;
	}
	return 0;
}

int
admin_db_exit(const struct db_error *err, const char *what)
{
	const char *st = err->sqlstate;

	/* Known constraints get a message naming the field. */
	static const struct {
		const char *constraint, *text;
	} known[] = {
	    {"domain_name_key", "name: the domain already exists"},
	    {"domain_prefix_key", "prefix: already used by another domain"},
	    {"hosted_name_unique", "name: already a domain or alias domain"},
	    {"alias_domain_pkey", "name: the alias domain already exists"},
	    {"admin_login_key", "login: the admin already exists"},
	    {"account_domain_id_local_part_key",
	     "address: the account already exists"},
	    {"local_part_unique", "address: already an alias"},
	    {"local_part_reserved",
	     "address: the local part looks like a username of the domain"},
	    {"domain_max_accounts",
	     "the domain has reached its maximum number of accounts"},
	    {"domain_unknown", "address: unknown domain"},
	};
	const char *text = NULL;

	for (size_t i = 0; i < CASIER_ARRAY_LEN(known); i++) {
		if (strcmp(err->constraint, known[i].constraint) == 0)
			text = known[i].text;
	}
	if (text != NULL)
		admin_err("%s: %s (%s)", what, text, err->message);
	else
		admin_err("%s: %s", what, err->message);
	if (err->status == CASIER_TEMPFAIL)
		return EX_TEMPFAIL;
	if (strcmp(st, "23505") == 0)
		return EX_CANTCREAT; /* 73: already exists */
	if (strcmp(err->constraint, "domain_max_accounts") == 0)
		return EX_CANTCREAT; /* a conflict with the domain's state */
	if (strcmp(st, "23503") == 0 || strcmp(st, "P0002") == 0)
		return EX_UNAVAILABLE;
	if (strncmp(st, "23", 2) == 0 || strncmp(st, "22", 2) == 0)
		return EX_DATAERR;
	if (strcmp(st, "42P01") == 0 || strcmp(st, "42883") == 0) {
		admin_err("is the database migrated? (casier-admin migrate)");
		return EX_UNAVAILABLE;
	}
	return EX_SOFTWARE;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"config", required_argument, NULL, 'c'},
	    {NULL, 0, NULL, 0},
	};
	const struct admin_command *cmd = NULL;
	struct admin_config cfg = {0};
	struct admin_ctx ctx = {.cfg = &cfg};
	const char *config_path = NULL;
	char err[1024];
	int opt, rc;

	/* '+': options end at the command name. */
	while ((opt = getopt_long(argc, argv, "+c:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	for (size_t i = 0; i < CASIER_ARRAY_LEN(admin_commands); i++) {
		if (strcmp(argv[optind], admin_commands[i].name) == 0)
			cmd = &admin_commands[i];
	}
	if (cmd == NULL) {
		admin_err("unknown command \"%s\" (see casier-admin --help)",
			  argv[optind]);
		return EX_USAGE;
	}
	for (int i = optind + 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			command_usage(cmd, stdout);
			return 0;
		}
	}

	if (config_path == NULL)
		config_path = config_default_path();
	if (config_load(config_path, admin_keys, CASIER_ARRAY_LEN(admin_keys),
			&cfg, err, sizeof(err)) < 0) {
		admin_err("%s", err);
		return EX_CONFIG;
	}
	log_open("casier-admin", cfg.log_syslog, true,
		 (enum log_level)cfg.log_level);
	if (password_init() < 0) {
		admin_err("cannot initialise libsodium");
		config_free(admin_keys, CASIER_ARRAY_LEN(admin_keys), &cfg);
		return EX_SOFTWARE;
	}

	rc = cmd->run(&ctx, argc - optind, argv + optind);
	if (rc == EX_USAGE)
		command_usage(cmd, stderr);

	db_pool_put(ctx.pool, &ctx.conn);
	db_pool_free(&ctx.pool);
	log_close();
	config_free(admin_keys, CASIER_ARRAY_LEN(admin_keys), &cfg);
	return rc;
}

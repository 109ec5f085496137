/*
 * main.c - casier-policyd: Postfix policy-delegation server for outbound
 * limits, account blocks and relay clients (DESIGN sections 6 and 7).
 *
 * Parses arguments, loads the [policy] section of the configuration,
 * writes the pid file and runs the server and the notifier thread until
 * SIGTERM/SIGINT.  Started by tools/stack/start.d/60-policyd.sh as the
 * unprivileged user casier; it needs no privileges at all.  Exits 1 on a
 * configuration or socket problem (logged to stderr); PostgreSQL being
 * down is not fatal: every request then gets a temporary refusal.
 */
#include "casier-config.h"
#include "command.h"
#include "db.h"
#include "log.h"
#include "policy-notify.h"
#include "policy-server.h"
#include "policy-store.h"
#include "str.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct policyd_config {
	char *conninfo;
	char *socket;
	long long max_connections;
	long long db_pool_size;
	long long request_timeout;
	long long idle_timeout;
	long long default_limit_per_hour;
	long long block_duration;
	long long relay_default_limit_per_hour;
	char *notify_from;
	char *notify_superuser;
	char *notify_smtp_host;
	long long notify_smtp_port;
	char *notify_helo;
	long long notify_interval;
	char *spf_record;
	bool debug;
	char *srs_domain;
	char *auth_flush_command;
};

#define K(n, t, field, def, lo, hi, req)                                       \
	{                                                                      \
		.section = "policy", .name = n, .type = t,                     \
		.offset = offsetof(struct policyd_config, field),              \
		.default_value = def, .min = lo, .max = hi, .required = req    \
	}

static const struct config_key policyd_keys[] = {
    K("socket", CONFIG_STRING, socket, NULL, 0, 0, true),
    K("max_connections", CONFIG_INT, max_connections, "256", 1, 10000, false),
    K("db_pool_size", CONFIG_INT, db_pool_size, "8", 1, 200, false),
    K("request_timeout", CONFIG_DURATION, request_timeout, "10s", 1, 3600,
      false),
    K("idle_timeout", CONFIG_DURATION, idle_timeout, "330s", 1, 86400, false),
    K("default_limit_per_hour", CONFIG_INT, default_limit_per_hour, "5000", 0,
      100000000, false),
    K("block_duration", CONFIG_DURATION, block_duration, "3d", 60, 86400 * 365,
      false),
    K("relay_default_limit_per_hour", CONFIG_INT, relay_default_limit_per_hour,
      "0", 0, 100000000, false),
    K("notify_from", CONFIG_STRING, notify_from, "postmaster@localhost", 0, 0,
      false),
    K("notify_superuser", CONFIG_STRING, notify_superuser, "", 0, 0, false),
    K("notify_smtp_host", CONFIG_STRING, notify_smtp_host, "127.0.0.1", 0, 0,
      false),
    K("notify_smtp_port", CONFIG_INT, notify_smtp_port, "25", 1, 65535, false),
    K("notify_helo", CONFIG_STRING, notify_helo, "localhost", 0, 0, false),
    K("notify_interval", CONFIG_DURATION, notify_interval, "2s", 1, 3600,
      false),
    /* Shown by the web manager to relay customers (DESIGN section 7). */
    K("spf_record", CONFIG_STRING, spf_record, "v=spf1 a mx ~all", 0, 0, false),
    K("debug", CONFIG_BOOL, debug, "no", 0, 0, false),
    /* Postfix delivers the SRS domain (bounces to rewritten senders);
     * it is not in the SQL tables: treat it as hosted. */
    {.section = "srs",
     .name = "domain",
     .type = CONFIG_STRING,
     .offset = offsetof(struct policyd_config, srs_domain),
     .shared = true},
    {.section = "database",
     .name = "conninfo",
     .type = CONFIG_STRING,
     .offset = offsetof(struct policyd_config, conninfo),
     .required = true,
     .shared = true},
    /* Flushes Dovecot's auth cache, so that the passdb's refusal of
     * service=smtp for a blocked account holds at the next AUTH. */
    {.section = "web",
     .name = "auth_flush_command",
     .type = CONFIG_STRING,
     .offset = offsetof(struct policyd_config, auth_flush_command),
     .shared = true},
};

static volatile sig_atomic_t stop_requested;
/* Set once before the server threads start; read by policyd_on_block. */
static struct policy_notifier *notifier;
static const char *auth_flush_command;
static struct db_pool *flush_pool;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/*
 * After the message that blocked an account: wake the notifier, and flush
 * every login form of the account from Dovecot's auth cache so that its
 * next SMTP AUTH reaches the passdb, which refuses a blocked account
 * (sql/032).  Runs in the connection's thread; blocks are rare.
 */
static void
policyd_on_block(const char *username)
{
	const char *params[1] = {username};
	const char *forms[SPAWN_EXTRA_ARGS_MAX];
	size_t nforms = 0;
	struct db_conn *conn;
	struct db_error err;
	PGresult *res = NULL;
	char error[256];

	if (notifier != NULL)
		policy_notifier_wake(notifier);
	if (auth_flush_command == NULL || auth_flush_command[0] == '\0' ||
	    username == NULL || username[0] == '\0')
		return;
	conn = db_pool_get(flush_pool, &err);
	if (conn != NULL &&
	    db_exec_params(conn, "SELECT login FROM dovecot_login_forms($1)", 1,
			   params, &res, &err) == CASIER_FOUND) {
		for (int i = 0;
		     i < PQntuples(res) && nforms < CASIER_ARRAY_LEN(forms);
		     i++)
			forms[nforms++] = PQgetvalue(res, i, 0);
	}
	if (nforms == 0)
		forms[nforms++] = username;
	if (casier_run_command(auth_flush_command, forms, nforms, 5000, error,
			       sizeof(error)) < 0)
		log_warning("auth cache flush after the block of %s failed: %s",
			    username, error);
	if (res != NULL)
		PQclear(res);
	db_pool_put(flush_pool, &conn);
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: casier-policyd [-c config] [-s socket] [-p pidfile] "
		"[-t]\n"
		"  -c FILE  configuration file (default $" CONFIG_ENV
		" or " CASIER_SYSCONFDIR "/casier.conf)\n"
		"  -s PATH  listen on PATH instead of [policy] socket\n"
		"  -p FILE  write the process id to FILE\n"
		"  -t       check the configuration and exit\n");
}

static int
write_pidfile(const char *path)
{
	FILE *f = fopen(path, "we");

	if (f == NULL || fprintf(f, "%ld\n", (long)getpid()) < 0 ||
	    fclose(f) != 0) {
		fprintf(stderr, "casier-policyd: cannot write %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct policyd_config cfg;
	const char *config_path = NULL, *socket_override = NULL;
	const char *pidfile = NULL;
	bool check_only = false;
	char error[512];
	struct db_pool *pool;
	struct policy_store store;
	struct policy_settings settings;
	struct policy_server_config scfg;
	struct policy_notify_config ncfg;
	struct sigaction sa;
	int opt, ret;

	while ((opt = getopt(argc, argv, "c:s:p:th")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 's':
			socket_override = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 't':
			check_only = true;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 1;
		}
	}
	if (optind != argc) {
		usage();
		return 1;
	}
	if (config_path == NULL)
		config_path = config_default_path();
	memset(&cfg, 0, sizeof(cfg));
	if (config_load(config_path, policyd_keys,
			CASIER_ARRAY_LEN(policyd_keys), &cfg, error,
			sizeof(error)) < 0) {
		fprintf(stderr, "casier-policyd: %s\n", error);
		return 1;
	}
	if (check_only) {
		config_free(policyd_keys, CASIER_ARRAY_LEN(policyd_keys), &cfg);
		return 0;
	}
	/* policyd needs no privilege at all: a root start is a set-up error. */
	if (geteuid() == 0 || getuid() == 0) {
		fprintf(stderr,
			"casier-policyd: refusing to run as root; start "
			"it as an unprivileged user (e.g. casier)\n");
		config_free(policyd_keys, CASIER_ARRAY_LEN(policyd_keys), &cfg);
		return 1;
	}
	log_open("casier-policyd", false, true,
		 cfg.debug ? LOG_LEVEL_DEBUG : LOG_LEVEL_INFO);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);

	pool = db_pool_new(cfg.conninfo, (unsigned int)cfg.db_pool_size,
			   policy_store_statements, policy_store_nstatements);
	if (pool == NULL) {
		log_error("cannot create the database pool");
		return 1;
	}
	policy_store_pg_init(&store, pool);
	flush_pool = pool;
	auth_flush_command = cfg.auth_flush_command;
	settings.default_limit_per_hour = cfg.default_limit_per_hour;
	settings.block_seconds = cfg.block_duration;
	settings.relay_default_limit_per_hour =
	    cfg.relay_default_limit_per_hour;
	settings.superuser_notify = cfg.notify_superuser;
	settings.extra_hosted_domain = cfg.srs_domain;

	ncfg.pool = pool;
	ncfg.smtp_host = cfg.notify_smtp_host;
	ncfg.smtp_port = (unsigned int)cfg.notify_smtp_port;
	ncfg.from = cfg.notify_from;
	ncfg.helo = cfg.notify_helo;
	ncfg.interval = cfg.notify_interval;
	ncfg.spf_record = cfg.spf_record;
	notifier = policy_notifier_start(&ncfg, &stop_requested);
	if (notifier == NULL)
		log_warning("running without the notifier thread");

	if (pidfile != NULL && write_pidfile(pidfile) < 0)
		stop_requested = 1;

	scfg.socket_path =
	    socket_override != NULL ? socket_override : cfg.socket;
	scfg.max_connections = (unsigned int)cfg.max_connections;
	scfg.request_timeout = cfg.request_timeout;
	scfg.idle_timeout = cfg.idle_timeout;
	scfg.settings = &settings;
	scfg.store = &store;
	scfg.on_block = policyd_on_block;
	ret = stop_requested ? -1 : policy_server_run(&scfg, &stop_requested);

	stop_requested = 1;
	policy_notifier_stop(&notifier);
	if (pidfile != NULL)
		(void)unlink(pidfile);
	log_info("stopped");
	/* Connection threads that did not finish may still use the pool:
	 * then the process exits without freeing it. */
	if (ret != 1)
		db_pool_free(&pool);
	config_free(policyd_keys, CASIER_ARRAY_LEN(policyd_keys), &cfg);
	return ret < 0 ? 1 : 0;
}

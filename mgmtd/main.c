/*
 * main.c - casier-mgmtd: the web manager and JSON API daemon.
 *
 * Started by tools/stack/start.d/40-mgmtd.sh (or an init system).  Parses
 * arguments, loads the [web] section of casier.conf, reads the TLS key
 * while still privileged, drops to the unprivileged user (refuses to keep
 * running as root), opens the PostgreSQL pool and runs the HTTP daemons
 * until SIGTERM/SIGINT.  It never touches the mail store: mailbox removal
 * goes through mail_job rows consumed by casier-deliverd.
 *
 * Exit codes: 0 after a clean stop, 1 on a start-up failure (logged).
 */
#include "http.h"
#include "pages.h"
#include "service-db.h"

#include "casier-config.h"
#include "db.h"
#include "log.h"
#include "password.h"
#include "str.h"

#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PEM_MAX (1024 * 1024)

#define WEB_KEY(key, ktype, field, def, lo, hi)                                \
	{                                                                      \
		.section = "web", .name = (key), .type = (ktype),              \
		.offset = offsetof(struct web_config, field),                  \
		.default_value = (def), .min = (lo), .max = (hi),              \
	}

static const struct config_key web_keys[] = {
    WEB_KEY("listen", CONFIG_STRING, listen, "127.0.0.1", 0, 0),
    WEB_KEY("http_port", CONFIG_INT, http_port, "20080", 0, 65535),
    WEB_KEY("https_port", CONFIG_INT, https_port, "20443", 0, 65535),
    WEB_KEY("tls_cert", CONFIG_STRING, tls_cert, NULL, 0, 0),
    WEB_KEY("tls_key", CONFIG_STRING, tls_key, NULL, 0, 0),
    WEB_KEY("user", CONFIG_STRING, user, "casier", 0, 0),
    WEB_KEY("threads", CONFIG_INT, threads, "4", 1, 256),
    WEB_KEY("db_pool_size", CONFIG_INT, db_pool_size, "8", 1, 256),
    WEB_KEY("max_connections", CONFIG_INT, max_connections, "512", 1, 65536),
    WEB_KEY("per_ip_connections", CONFIG_INT, per_ip_connections, "64", 1,
	    65536),
    WEB_KEY("connection_memory", CONFIG_SIZE, connection_memory, "64k", 8192,
	    16 * 1024 * 1024),
    WEB_KEY("connection_timeout", CONFIG_DURATION, connection_timeout, "30s", 1,
	    3600),
    WEB_KEY("max_body", CONFIG_SIZE, max_body, "1M", 1024, 256LL * 1024 * 1024),
    WEB_KEY("session_idle", CONFIG_DURATION, session_idle, "30m", 60,
	    86400 * 7),
    WEB_KEY("session_absolute", CONFIG_DURATION, session_absolute, "12h", 60,
	    86400 * 30),
    WEB_KEY("wordlist", CONFIG_STRING, wordlist, CASIER_DATADIR "/wordlist.txt",
	    0, 0),
    WEB_KEY("default_language", CONFIG_STRING, default_language, "fr", 0, 0),
    WEB_KEY("templates_dir", CONFIG_STRING, templates_dir,
	    CASIER_DATADIR "/templates", 0, 0),
    WEB_KEY("locale_dir", CONFIG_STRING, locale_dir, CASIER_DATADIR "/locale",
	    0, 0),
    WEB_KEY("auth_flush_command", CONFIG_STRING, auth_flush_command, NULL, 0,
	    0),
    {
	.section = "database",
	.name = "conninfo",
	.type = CONFIG_STRING,
	.offset = offsetof(struct web_config, db_conninfo),
	.required = true,
	.shared = true,
    },
};

static volatile sig_atomic_t stop_requested;

static void
usage(void)
{
	fprintf(stderr, "usage: casier-mgmtd [-c config] [-t]\n"
			"  -c FILE  configuration file (default $" CONFIG_ENV
			" or " CASIER_SYSCONFDIR "/casier.conf)\n"
			"  -t       check the configuration and exit\n");
}

/* Whole small file into a NUL-terminated buffer (PEM text). */
static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "re");
	struct str s;
	char buf[4096];
	size_t n;

	if (f == NULL) {
		log_error("web: cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	str_init(&s, PEM_MAX);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (str_append_mem(&s, buf, n) < 0) {
			log_error("web: %s is too large", path);
			fclose(f);
			str_free(&s);
			return NULL;
		}
	}
	if (ferror(f)) {
		log_error("web: cannot read %s", path);
		fclose(f);
		str_free(&s);
		return NULL;
	}
	fclose(f);
	if (s.len == 0) {
		log_error("web: %s is empty", path);
		str_free(&s);
		return NULL;
	}
	return str_steal(&s);
}

/* Become cfg->user when root; refuse to serve as root otherwise. */
static int
drop_privileges(const struct web_config *cfg)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(cfg->user);
	if (pw == NULL || pw->pw_uid == 0) {
		log_error(
		    "web: user %s unknown or root; refusing to run as root",
		    cfg->user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_error("web: cannot drop to %s: %s", cfg->user,
			  strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		log_error("web: still root after dropping privileges");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct web_config cfg;
	struct mgmtd_ctx ctx;
	struct http_server *srv = NULL;
	struct wordlist *words = NULL;
	char err[512], *cert = NULL, *key = NULL;
	const char *config_path = NULL;
	bool check_only = false;
	int opt, ret = 1;
	sigset_t set;
	int sig;

	while ((opt = getopt(argc, argv, "c:th")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 't':
			check_only = true;
			break;
		default:
			usage();
			return opt == 'h' ? 0 : 1;
		}
	}
	log_open("casier-mgmtd", false, true, LOG_LEVEL_INFO);
	if (config_path == NULL)
		config_path = config_default_path();
	memset(&cfg, 0, sizeof(cfg));
	if (config_load(config_path, web_keys, CASIER_ARRAY_LEN(web_keys), &cfg,
			err, sizeof(err)) < 0) {
		log_error("%s", err);
		return 1;
	}
	if (strcmp(cfg.default_language, "fr") != 0 &&
	    strcmp(cfg.default_language, "en") != 0) {
		log_error("%s: [web] default_language must be fr or en",
			  config_path);
		goto out;
	}
	if (cfg.https_port > 0 &&
	    (cfg.tls_cert == NULL || cfg.tls_key == NULL)) {
		log_error("%s: [web] https_port needs tls_cert and tls_key",
			  config_path);
		goto out;
	}
	if (password_init() < 0) {
		log_error("web: libsodium initialisation failed");
		goto out;
	}
	words = wordlist_load(cfg.wordlist, err, sizeof(err));
	if (words == NULL) {
		log_error("web: word list: %s", err);
		goto out;
	}
	if (cfg.https_port > 0) {
		cert = read_file(cfg.tls_cert);
		key = read_file(cfg.tls_key);
		if (cert == NULL || key == NULL)
			goto out;
	}
	if (check_only) {
		ret = 0;
		goto out;
	}
	if (drop_privileges(&cfg) < 0)
		goto out;

	memset(&ctx, 0, sizeof(ctx));
	ctx.cfg = &cfg;
	ctx.words = words;
	ctx.db = db_pool_new(cfg.db_conninfo, (unsigned int)cfg.db_pool_size,
			     svc_statements, svc_nstatements);
	if (ctx.db == NULL) {
		log_error("web: cannot create the database pool");
		goto out;
	}
	ctx.svc.db = ctx.db;
	ctx.svc.words = words;
	ctx.svc.auth_flush_command = cfg.auth_flush_command;
	if (pages_init(&ctx, err, sizeof(err)) < 0) {
		log_error("web: pages: %s", err);
		db_pool_free(&ctx.db);
		goto out;
	}

	/* Block the stop signals before the MHD threads start so that only
	 * sigwait() below receives them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	srv = http_server_start(&ctx, cert, key);
	if (srv != NULL) {
		log_info("casier-mgmtd started");
		while (!stop_requested) {
			if (sigwait(&set, &sig) != 0)
				break;
			if (sig == SIGTERM || sig == SIGINT)
				stop_requested = 1;
		}
		log_info("casier-mgmtd stopping");
		http_server_stop(&srv);
		ret = 0;
	}
	pages_deinit(&ctx);
	db_pool_free(&ctx.db);
out:
	if (key != NULL) {
		explicit_bzero(key, strlen(key));
	}
	free(cert);
	free(key);
	wordlist_free(&words);
	config_free(web_keys, CASIER_ARRAY_LEN(web_keys), &cfg);
	log_close();
	return ret;
}

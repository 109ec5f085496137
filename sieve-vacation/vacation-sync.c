/*
 * vacation-sync.c - casier-vacation-sync, run vacation.sync jobs by hand.
 *
 *   casier-vacation-sync [-c casier.conf] [-u user] --pending
 *   casier-vacation-sync [-c casier.conf] [-u user] USERNAME...
 *
 * --pending processes every pending 'vacation.sync' job of mail_job (the
 * same work casier-deliverd's job loop does; both may run at once, jobs
 * are claimed with SKIP LOCKED).  With usernames, it syncs those accounts
 * directly, without the job table.  For operators, tests, and stacks
 * where casier-deliverd does not run the job loop.
 *
 * Privileges: started as root it drops to the mail uid (-u, default
 * vmail) before touching anything, so the files it writes belong to the
 * mail store's owner; started as another user it runs as that user.
 * Exit status: 0 all done, 75 (EX_TEMPFAIL) temporary trouble, 65
 * (EX_DATAERR) a form was refused, 64 usage, 78 configuration.
 */
#include "casier-config.h"
#include "db.h"
#include "job-vacation.h"
#include "log.h"

#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sync_config {
	char *conninfo;
	struct job_vacation_settings vacation;
};

static const struct config_key sync_config_keys[] = {
    {.section = "database",
     .name = "conninfo",
     .type = CONFIG_STRING,
     .offset = offsetof(struct sync_config, conninfo),
     .required = true,
     .shared = true},
    JOB_VACATION_CONFIG_KEYS(struct sync_config, vacation),
};

static void
usage(void)
{
	fprintf(stderr, "usage: casier-vacation-sync [-c config] [-u user] "
			"--pending | USERNAME...\n");
	exit(64);
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw;

	if (geteuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL) {
		log_error("unknown user %s", user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		log_error("cannot become %s", user);
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		log_error("still root after dropping privileges");
		return -1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL, *user = "vmail";
	struct sync_config cfg;
	struct casier_result res;
	struct db_pool *pool;
	struct db_conn *conn;
	struct db_error err;
	char error[512];
	bool pending = false;
	int i, opt, ret = 0;

	memset(&cfg, 0, sizeof(cfg));
	log_open("casier-vacation-sync", false, true, LOG_LEVEL_INFO);
	static const struct option longopts[] = {
	    {"pending", no_argument, NULL, 'p'},
	    {NULL, 0, NULL, 0},
	};

	while ((opt = getopt_long(argc, argv, "c:u:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'p':
			pending = true;
			break;
		default:
			usage();
		}
	}
	if (pending == (optind < argc))
		usage();
	if (drop_privileges(user) < 0)
		return 75;
	if (path == NULL)
		path = config_default_path();
	if (config_load(path, sync_config_keys,
			CASIER_ARRAY_LEN(sync_config_keys), &cfg, error,
			sizeof(error)) < 0) {
		log_error("%s", error);
		return 78;
	}
	pool = db_pool_new(cfg.conninfo, 1, NULL, 0);
	if (pool == NULL) {
		log_error("cannot create the database pool");
		config_free(sync_config_keys,
			    CASIER_ARRAY_LEN(sync_config_keys), &cfg);
		return 75;
	}
	conn = db_pool_get(pool, &err);
	if (conn == NULL) {
		log_error("database: %s", err.message);
		ret = 75;
		goto out;
	}
	if (pending) {
		if (job_vacation_run_pending(conn, &cfg.vacation, 100000,
					     &res) < 0 ||
		    res.status != CASIER_OK)
			ret = 75;
		log_info("%s", res.text);
	}
	for (i = optind; !pending && i < argc; i++) {
		switch (
		    job_vacation_sync(conn, &cfg.vacation, argv[i], "", &res)) {
		case CASIER_OK:
			break;
		case CASIER_PERMFAIL:
			log_error("%s: %s", argv[i], res.text);
			if (ret == 0)
				ret = 65;
			break;
		case CASIER_TEMPFAIL:
			log_error("%s: %s", argv[i], res.text);
			ret = 75;
			break;
		}
	}
	db_pool_put(pool, &conn);
out:
	db_pool_free(&pool);
	config_free(sync_config_keys, CASIER_ARRAY_LEN(sync_config_keys), &cfg);
	log_close();
	return ret;
}

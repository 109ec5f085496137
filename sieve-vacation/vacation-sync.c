/*
 * vacation-sync.c - casier-vacation-sync, the consumer of vacation.sync
 * jobs (delivery/job-vacation.c) outside casier-deliverd.
 *
 *   casier-vacation-sync [-c conf] [-u user] --pending
 *       run every pending job once, then exit
 *   casier-vacation-sync [-c conf] [-u user] [-p pidfile] --listen
 *       stay up: LISTEN casier_mail_job and run jobs as they come (and
 *       every 5 s for retries), until SIGTERM
 *   casier-vacation-sync [-c conf] [-u user] USERNAME...
 *       sync those accounts directly, without the job table
 *
 * Jobs are claimed with FOR UPDATE SKIP LOCKED, so several consumers
 * (hosts, or casier-deliverd once its loop runs these jobs) may run.
 *
 * Privileges: started as root it writes the pid file, then drops to the
 * mail uid (-u, default vmail) before touching anything, so the files it
 * writes belong to the mail store's owner.  Exit status: 0 done, 75
 * (EX_TEMPFAIL) temporary trouble, 65 (EX_DATAERR) a stored form was
 * refused, 64 usage, 78 configuration.
 */
#include "casier-config.h"
#include "db.h"
#include "job-vacation.h"
#include "log.h"
#include "str.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LISTEN_INTERVAL_MS 5000

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

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: casier-vacation-sync [-c config] [-u user] "
			"[-p pidfile] --pending | --listen | USERNAME...\n");
	exit(64);
}

static int
write_pidfile(const char *path)
{
	char buf[32];
	FILE *f;

	if (casier_snprintf(buf, sizeof(buf), "%ld\n", (long)getpid()) < 0)
		return -1;
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	if (fputs(buf, f) == EOF) {
		(void)fclose(f);
		return -1;
	}
	return fclose(f);
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

static PGconn *
connect_db(const char *conninfo, bool listen)
{
	PGconn *pg = PQconnectdb(conninfo);
	PGresult *r;

	if (PQstatus(pg) != CONNECTION_OK) {
		log_warning("database unavailable: %s", PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	if (!listen)
		return pg;
	r = PQexecParams(pg, "LISTEN casier_mail_job", 0, NULL, NULL, NULL,
			 NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		log_warning("LISTEN failed: %s", PQerrorMessage(pg));
		PQclear(r);
		PQfinish(pg);
		return NULL;
	}
	PQclear(r);
	return pg;
}

/* Wait for a notification, the interval, or a stop request. */
static void
wait_notification(PGconn *pg)
{
	struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
	PGnotify *n;
	int waited;

	for (waited = 0; !stopping && waited < LISTEN_INTERVAL_MS;
	     waited += 1000) {
		if (poll(&pfd, 1, 1000) > 0) {
			if (PQconsumeInput(pg) == 0)
				return; /* broken: the caller reconnects */
			n = PQnotifies(pg);
			if (n != NULL) {
				while (n != NULL) {
					PQfreemem(n);
					n = PQnotifies(pg);
				}
				return;
			}
		}
	}
}

static int
run_listen(const struct sync_config *cfg)
{
	struct casier_result res;
	PGconn *pg = NULL;

	while (!stopping) {
		if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
			PQfinish(pg);
			pg = connect_db(cfg->conninfo, true);
			if (pg == NULL) {
				(void)sleep(1);
				continue;
			}
		}
		if (job_vacation_run_pending(pg, &cfg->vacation, 1000, &res) <
		    0) {
			PQfinish(pg);
			pg = NULL;
			(void)sleep(1);
			continue;
		}
		wait_notification(pg);
	}
	PQfinish(pg);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"pending", no_argument, NULL, 'P'},
	    {"listen", no_argument, NULL, 'L'},
	    {NULL, 0, NULL, 0},
	};
	const char *path = NULL, *user = "vmail", *pidfile = NULL;
	struct sync_config cfg;
	struct casier_result res;
	struct sigaction sa;
	char error[512];
	bool pending = false, listen = false;
	PGconn *pg = NULL;
	int i, opt, ret = 0;

	memset(&cfg, 0, sizeof(cfg));
	log_open("casier-vacation-sync", false, true, LOG_LEVEL_INFO);
	while ((opt = getopt_long(argc, argv, "c:u:p:", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'c':
			path = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'P':
			pending = true;
			break;
		case 'L':
			listen = true;
			break;
		default:
			usage();
		}
	}
	if ((int)pending + (int)listen + (int)(optind < argc) != 1)
		usage();
	if (pidfile != NULL && write_pidfile(pidfile) < 0) {
		log_error("cannot write %s: %s", pidfile, strerror(errno));
		return 75;
	}
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
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);

	if (listen) {
		log_info("listening for vacation.sync jobs");
		ret = run_listen(&cfg);
		goto out;
	}
	pg = connect_db(cfg.conninfo, false);
	if (pg == NULL) {
		ret = 75;
		goto out;
	}
	if (pending) {
		if (job_vacation_run_pending(pg, &cfg.vacation, 100000, &res) <
			0 ||
		    res.status != CASIER_OK)
			ret = 75;
		log_info("%s", res.text);
	}
	for (i = optind; !pending && i < argc; i++) {
		switch (
		    job_vacation_sync(pg, &cfg.vacation, argv[i], "", &res)) {
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
	PQfinish(pg);
out:
	config_free(sync_config_keys, CASIER_ARRAY_LEN(sync_config_keys), &cfg);
	log_close();
	return ret;
}

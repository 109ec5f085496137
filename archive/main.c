/*
 * casier-archive - the archive's periodic work and tools (issue 8,
 * docs/archive.md):
 *
 *   casier-archive [-c FILE] [-u USER] daemon     every [archive] interval:
 *                                                 maintenance pass; every
 *                                                 5 s: the outbox
 *   casier-archive [-c FILE] [-u USER] maintain   one maintenance pass
 *   casier-archive [-c FILE] [-u USER] outbox     send what is due once
 *   casier-archive [-c FILE] store -f SENDER -r RCPT [-r RCPT...]
 *                  [-a EPOCH] [-i] < MESSAGE      archive a message as
 *                                                 deliverd does (-i: only
 *                                                 with the inbound marker)
 *   casier-archive [-c FILE] -t                   check the configuration
 *
 * Started as root with -u casier (the daemon writes its pid file first),
 * or directly as an unprivileged user.  It needs the database and
 * [archive] volume_dir, never the mail store.  Exit 0 on success, 1 on
 * failure (logged on stderr), 64 on a usage error, 75 when "store" could
 * not archive (temporary: try again).
 */
#include "archive.h"
#include "casier-config.h"
#include "db.h"
#include "log.h"
#include "maint.h"
#include "str.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EX_USAGE_    64
#define EX_TEMPFAIL_ 75
#define MAX_MESSAGE  (64ULL << 20)

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
	fprintf(stderr,
		"usage: casier-archive [-c FILE] [-u USER] "
		"daemon|maintain|outbox\n"
		"       casier-archive [-c FILE] store -f SENDER -r RCPT... "
		"[-a EPOCH] [-i] < MESSAGE\n"
		"       casier-archive [-c FILE] -t\n");
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL || pw->pw_uid == 0) {
		fprintf(stderr, "casier-archive: bad user %s\n", user);
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0 || setuid(0) == 0) {
		fprintf(stderr, "casier-archive: cannot become %s: %s\n", user,
			strerror(errno));
		return -1;
	}
	return 0;
}

static void
print_stats(const struct archive_maint_stats *st)
{
	printf("expired=%llu cellared=%llu volumes=%llu capped=%llu "
	       "received=%llu purged=%llu\n",
	       st->expired, st->cellared, st->volumes, st->capped, st->received,
	       st->purged);
}

static int
run_daemon(struct db_pool *pool, const struct archive_maint_config *cfg)
{
	struct sigaction sa;
	time_t next_maint = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	log_info("archive: started (maintenance every %llds)", cfg->interval);
	while (!stopping) {
		unsigned int sent, failed;
		time_t now = time(NULL);

		if (now >= next_maint) {
			struct archive_maint_stats st;

			(void)archive_maint_run(pool, cfg, &st);
			if (st.expired + st.cellared + st.volumes + st.capped +
				st.received + st.purged >
			    0)
				log_info("archive: pass: expired=%llu "
					 "cellared=%llu volumes=%llu "
					 "capped=%llu received=%llu",
					 st.expired, st.cellared, st.volumes,
					 st.capped, st.received);
			next_maint = now + cfg->interval;
		}
		(void)archive_outbox_run(pool, cfg, &sent, &failed);
		for (int i = 0; i < 50 && !stopping; i++)
			(void)usleep(100000);
	}
	log_info("archive: stopped");
	return 0;
}

static int
run_store(struct db_pool *pool, const struct archive_maint_config *cfg,
	  const char *sender, const char *const *rcpts, size_t nrcpts,
	  long long arrival, bool inbound_only)
{
	struct str msg;
	char buf[65536];
	size_t n;
	struct archive_config acfg = {
	    .compression_level = (int)cfg->compression_level,
	    .require_inbound = inbound_only,
	};
	struct archive_envelope env = {
	    .sender = sender,
	    .rcpts = rcpts,
	    .nrcpts = nrcpts,
	    .arrival = (time_t)arrival,
	};
	struct archive_source src;
	struct archive_stats st;
	struct casier_result res;

	str_init(&msg, MAX_MESSAGE);
	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
		if (str_append_mem(&msg, buf, n) < 0) {
			fprintf(stderr, "casier-archive: message too large\n");
			str_free(&msg);
			return 1;
		}
	if (ferror(stdin) || msg.data == NULL) {
		fprintf(stderr, "casier-archive: cannot read the message\n");
		str_free(&msg);
		return 1;
	}
	archive_source_buffer(&src, msg.data, msg.len);
	archive_store(pool, &acfg, &env, &src, &st, &res);
	str_free(&msg);
	if (res.status != CASIER_OK) {
		fprintf(stderr, "casier-archive: %s %s\n", res.dsn, res.text);
		return EX_TEMPFAIL_;
	}
	printf("domains=%u stored=%u stored_bytes=%llu\n", st.domains,
	       st.stored, (unsigned long long)st.stored_bytes);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path = NULL, *user = NULL, *sender = NULL;
	const char **rcpts = calloc((size_t)argc + 1, sizeof(char *));
	size_t nrcpts = 0;
	long long arrival = 0;
	bool test = false, inbound_only = false;
	struct archive_maint_config cfg = {0};
	char err[512];
	struct db_pool *pool;
	const char *cmd;
	int c, ret = 1;

	if (rcpts == NULL)
		return 1;
	while ((c = getopt(argc, argv, "+c:u:t")) != -1) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 't':
			test = true;
			break;
		default:
			usage();
			ret = EX_USAGE_;
			goto done;
		}
	}
	if (!test && optind >= argc) {
		usage();
		ret = EX_USAGE_;
		goto done;
	}
	cmd = test ? "test" : argv[optind];
	if (strcmp(cmd, "store") == 0) {
		optind++;
		while ((c = getopt(argc, argv, "f:r:a:i")) != -1) {
			switch (c) {
			case 'f':
				sender = optarg;
				break;
			case 'r':
				rcpts[nrcpts++] = optarg;
				break;
			case 'a':
				arrival = strtoll(optarg, NULL, 10);
				break;
			case 'i':
				inbound_only = true;
				break;
			default:
				usage();
				ret = EX_USAGE_;
				goto done;
			}
		}
		if (sender == NULL || nrcpts == 0) {
			usage();
			ret = EX_USAGE_;
			goto done;
		}
	}
	if (path == NULL)
		path = config_default_path();
	log_open("casier-archive", false, true, LOG_LEVEL_INFO);
	if (config_load(path, archive_maint_keys, archive_maint_nkeys, &cfg,
			err, sizeof(err)) < 0) {
		fprintf(stderr, "casier-archive: %s\n", err);
		goto out;
	}
	if (test) {
		ret = 0;
		goto out;
	}
	if (strcmp(cmd, "daemon") == 0 && cfg.pid_file != NULL) {
		FILE *fp = fopen(cfg.pid_file, "w");

		if (fp == NULL || fprintf(fp, "%ld\n", (long)getpid()) < 0 ||
		    fclose(fp) != 0) {
			fprintf(stderr, "casier-archive: cannot write %s\n",
				cfg.pid_file);
			goto out;
		}
	}
	if (user != NULL && drop_privileges(user) < 0)
		goto out;
	if (user == NULL && geteuid() == 0 &&
	    (strcmp(cmd, "daemon") == 0 || strcmp(cmd, "maintain") == 0)) {
		/* volume files must belong to the user casier-mgmtd reads
		 * them as */
		fprintf(stderr, "casier-archive: as root, say which user "
				"to run as (-u casier)\n");
		goto out;
	}
	pool = db_pool_new(cfg.db_conninfo, 1, NULL, 0);
	if (pool == NULL) {
		fprintf(stderr, "casier-archive: cannot create the pool\n");
		goto out;
	}
	if (strcmp(cmd, "daemon") == 0) {
		ret = run_daemon(pool, &cfg);
	} else if (strcmp(cmd, "maintain") == 0) {
		struct archive_maint_stats st;

		ret = archive_maint_run(pool, &cfg, &st) < 0 ? 1 : 0;
		print_stats(&st);
	} else if (strcmp(cmd, "outbox") == 0) {
		unsigned int sent, failed;

		ret =
		    archive_outbox_run(pool, &cfg, &sent, &failed) < 0 ? 1 : 0;
		printf("sent=%u deferred=%u\n", sent, failed);
	} else if (strcmp(cmd, "store") == 0) {
		ret = run_store(pool, &cfg, sender, rcpts, nrcpts, arrival,
				inbound_only);
	} else {
		usage();
		ret = EX_USAGE_;
	}
	db_pool_free(&pool);
out:
	config_free(archive_maint_keys, archive_maint_nkeys, &cfg);
done:
	free(rcpts);
	return ret;
}

/*
 * main.c - casier-milter: virus scanning at SMTP time (DESIGN section 1).
 *
 * Started by tools/stack/start.d/50-milter.sh (as root, or directly as
 * user casier).  It reads the [scan] section of casier.conf, writes its
 * pid file, drops to the configured unprivileged user (it refuses to run
 * as root) and then splits in two processes:
 *
 *  - the supervisor (the pid in the pid file) holds no engine; it turns
 *    SIGHUP into a signature reload (SIGUSR1 to the worker), SIGTERM and
 *    SIGINT into a clean shutdown, and restarts a worker that died;
 *  - the worker loads the libclamav engine, starts the reload thread and
 *    runs libmilter.  libmilter's own signal thread owns SIGHUP, SIGTERM
 *    and SIGINT in its process (SIGHUP would stop it), which is why the
 *    reload signal reaching the worker is SIGUSR1.
 *
 * Exit status: 0 after SIGTERM, 1 when the configuration, the first
 * engine load or the socket fails (nothing is started then), 2 for usage.
 */
#define _GNU_SOURCE /* pipe2 */
#include "casier-config.h"
#include "log.h"
#include "scan-config.h"
#include "scan-engine.h"
#include "scan-milter.h"
#include "scan-reload.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void
usage(void)
{
	fprintf(stderr, "usage: casier-milter [-c config] [-t]\n"
			"  -c FILE  configuration file (default $" CONFIG_ENV
			" or " CASIER_SYSCONFDIR "/casier.conf)\n"
			"  -t       check the configuration and signatures, "
			"then exit\n");
}

static int
write_pid_file(const char *path)
{
	char line[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0644);
	if (fd < 0)
		return -1;
	n = casier_snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	if (n < 0 || write(fd, line, (size_t)n) != n) {
		(void)close(fd);
		return -1;
	}
	return close(fd);
}

/* Become cfg->user when root; never continue as root. */
static int
drop_privileges(const char *user, char *error_r, size_t errsize)
{
	struct passwd *pw;

	if (geteuid() != 0 && getuid() != 0)
		return 0;
	pw = getpwnam(user);
	if (pw == NULL || pw->pw_uid == 0) {
		(void)casier_snprintf(
		    error_r, errsize, "refusing to run as root: user %s %s",
		    user, pw == NULL ? "does not exist" : "has uid 0");
		return -1;
	}
	if (initgroups(user, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		(void)casier_snprintf(error_r, errsize,
				      "cannot switch to user %s: %s", user,
				      strerror(errno));
		return -1;
	}
	if (setuid(0) == 0 || geteuid() == 0) {
		(void)casier_snprintf(error_r, errsize,
				      "could regain root after dropping it");
		return -1;
	}
	return 0;
}

/*
 * The worker: load the engine, serve until libmilter stops (SIGTERM),
 * let open sessions finish, exit.  ready_fd gets one byte once the
 * socket is open.
 */
static int
worker_main(const struct scan_config *cfg, int ready_fd)
{
	struct scan_engines *engines;
	struct scan_engine *engine;
	struct scan_reload *reload;
	char error[512];
	sigset_t set;
	long long waited;
	int ret;

	/*
	 * Every thread created from here on inherits these blocked signals:
	 * SIGUSR1 is taken by the reload thread (sigtimedwait), SIGTERM,
	 * SIGINT and SIGHUP by libmilter's signal thread (sigwait).  Left
	 * unblocked, a SIGTERM could hit the reload thread and kill the
	 * process without the clean shutdown.
	 */
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGUSR1);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGHUP);
	(void)pthread_sigmask(SIG_SETMASK, &set, NULL);

	if (scan_engine_global_init(error, sizeof(error)) < 0) {
		log_error("%s", error);
		return 1;
	}
	engine = scan_engine_new(cfg, error, sizeof(error));
	if (engine == NULL) {
		log_error("signatures: %s", error);
		return 1;
	}
	log_info("%u signatures loaded from %s", scan_engine_signatures(engine),
		 cfg->signatures_dir);
	engines = scan_engines_new(engine);
	if (engines == NULL) {
		log_error("out of memory");
		scan_engine_release(&engine);
		return 1;
	}
	if (scan_milter_setup(cfg, engines, error, sizeof(error)) < 0) {
		log_error("%s", error);
		scan_engines_free(&engines);
		return 1;
	}
	reload = scan_reload_start(cfg, engines, error, sizeof(error));
	if (reload == NULL) {
		log_error("%s", error);
		scan_engines_free(&engines);
		return 1;
	}
	if (ready_fd >= 0) {
		/* If the supervisor is gone, nobody waits for the byte. */
		if (write(ready_fd, "R", 1) != 1)
			log_warning("could not report readiness");
		(void)close(ready_fd);
	}
	log_info("listening on %s (on_error=%s, on_oversize=%s, "
		 "max_message_size=%llu)",
		 cfg->socket, scan_policy_name(cfg->on_error),
		 scan_policy_name(cfg->on_oversize), cfg->max_message_size);
	ret = scan_milter_run();
	/* libmilter stopped accepting; sessions in progress go on. */
	for (waited = 0;
	     scan_milter_sessions() > 0 && waited < cfg->shutdown_grace * 10;
	     waited++) {
		const struct timespec tick = {.tv_sec = 0,
					      .tv_nsec = 100000000};

		(void)nanosleep(&tick, NULL);
	}
	if (scan_milter_sessions() > 0)
		log_warning("stopping with %u sessions still open; the MTA "
			    "will apply milter_default_action",
			    scan_milter_sessions());
	scan_reload_stop(&reload);
	scan_engines_free(&engines);
	log_info("stopped");
	return ret < 0 ? 1 : 0;
}

/*
 * Fork a worker.  With ready_r, return only once it serves (*ready_r
 * true) or has given up (*ready_r false).
 */
static pid_t
spawn_worker(const struct scan_config *cfg, const sigset_t *oldmask,
	     bool *ready_r)
{
	const bool wait_ready = ready_r != NULL;
	int fds[2] = {-1, -1};
	char byte;
	ssize_t n;
	pid_t pid;

	if (wait_ready && pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (fds[0] >= 0)
			(void)close(fds[0]);
		/* If the supervisor is killed, do not serve on unsupervised. */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		(void)sigprocmask(SIG_SETMASK, oldmask, NULL);
		(void)signal(SIGHUP, SIG_DFL);
		(void)signal(SIGTERM, SIG_DFL);
		(void)signal(SIGINT, SIG_DFL);
		_exit(worker_main(cfg, fds[1]));
	}
	if (!wait_ready)
		return pid;
	(void)close(fds[1]);
	while ((n = read(fds[0], &byte, 1)) < 0 && errno == EINTR)
		;
	(void)close(fds[0]);
	*ready_r = n == 1;
	return pid;
}

/* The supervisor loop; returns the exit status of the program. */
static int
supervise(const struct scan_config *cfg)
{
	sigset_t set, oldmask;
	bool stopping = false;
	time_t started;
	unsigned int backoff = 1;
	bool ready = false;
	pid_t child;
	int status;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGHUP);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGCHLD);
	(void)sigprocmask(SIG_BLOCK, &set, &oldmask);

	started = time(NULL);
	child = spawn_worker(cfg, &oldmask, &ready);
	if (child < 0) {
		log_error("fork: %s", strerror(errno));
		return 1;
	}
	/* A worker that closed the pipe without a byte failed to start. */
	if (!ready) {
		(void)waitpid(child, &status, 0);
		log_error("worker failed to start; exiting");
		return 1;
	}
	for (;;) {
		int sig = sigwaitinfo(&set, NULL);

		if (sig == SIGHUP && child > 0) {
			log_info("SIGHUP: reloading signatures");
			(void)kill(child, SIGUSR1);
		} else if ((sig == SIGTERM || sig == SIGINT) && !stopping) {
			log_info("shutting down");
			stopping = true;
			if (child > 0)
				(void)kill(child, SIGTERM);
			else
				return 0;
		} else if (sig == SIGCHLD) {
			pid_t pid;

			while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
				if (pid != child)
					continue;
				child = -1;
				if (stopping)
					return 0;
				log_error(
				    "worker exited unexpectedly (%s %d); "
				    "restarting",
				    WIFSIGNALED(status) ? "signal" : "status",
				    WIFSIGNALED(status) ? WTERMSIG(status)
							: WEXITSTATUS(status));
				/* Crash loop: back off up to 30 s. */
				if (time(NULL) - started < 10) {
					(void)sleep(backoff);
					backoff =
					    backoff < 16 ? backoff * 2 : 30;
				} else {
					backoff = 1;
				}
				started = time(NULL);
				child = spawn_worker(cfg, &oldmask, NULL);
				if (child < 0)
					log_error("fork: %s", strerror(errno));
			}
			if (stopping && child < 0)
				return 0;
		}
	}
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL;
	struct scan_config cfg;
	bool check_only = false;
	char error[512];
	int opt, ret;

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
			return 2;
		}
	}
	if (optind != argc) {
		usage();
		return 2;
	}
	log_open("casier-milter", false, true, LOG_LEVEL_INFO);
	if (config_path == NULL)
		config_path = config_default_path();
	if (scan_config_load(config_path, &cfg, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return 1;
	}
	log_close();
	log_open("casier-milter", cfg.log_syslog, true,
		 (enum log_level)cfg.log_level);
	if (!check_only && cfg.pid_file != NULL &&
	    write_pid_file(cfg.pid_file) < 0) {
		log_error("cannot write %s: %s", cfg.pid_file, strerror(errno));
		return 1;
	}
	if (drop_privileges(cfg.user, error, sizeof(error)) < 0) {
		log_error("%s", error);
		return 1;
	}
	if (check_only) {
		struct scan_engine *engine;

		if (scan_engine_global_init(error, sizeof(error)) < 0) {
			log_error("%s", error);
			return 1;
		}
		engine = scan_engine_new(&cfg, error, sizeof(error));
		if (engine == NULL) {
			log_error("signatures: %s", error);
			return 1;
		}
		log_info("configuration ok, %u signatures",
			 scan_engine_signatures(engine));
		scan_engine_release(&engine);
		scan_config_free(&cfg);
		return 0;
	}
	ret = supervise(&cfg);
	scan_config_free(&cfg);
	return ret;
}

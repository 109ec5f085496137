/*
 * main.c - casier-deliverd: the LMTP delivery agent (DESIGN sections 3,
 * 4), the inbound RCPT policy service and the mail_job consumer.
 *
 * Started by the stack (tools/stack/start.d/30-deliverd.sh) as root with
 * -u vmail, or directly as the mail uid.  As root it writes its pid file,
 * drops to the mail uid before opening anything else and refuses to go
 * on as root.  One thread per connection (bounded by max_connections),
 * one job thread.  SIGHUP re-reads the configuration (new connections
 * use it; sockets, database and SRS key need a restart); SIGTERM stops
 * accepting, lets transactions in flight finish (up to shutdown_grace)
 * and exits.  Start-up errors exit 1 with a message on stderr.
 */
#include "deliverd.h"
#include "casier-config.h"
#include "jobs.h"
#include "lmtp-server.h"
#include "log.h"
#include "policy.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static volatile sig_atomic_t stopping;
static volatile sig_atomic_t reload;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload = 1;
	else
		stopping = 1;
}

/* The daemon's shared state (not global: passed to every thread). */
struct daemon {
	pthread_mutex_t lock;
	pthread_cond_t idle;
	unsigned int active;
	struct deliverd_config *cfg; /* current; old ones kept until exit */
	struct deliverd_config **old;
	size_t nold;
	struct db_pool *db;
	struct srs srs;
	bool srs_enabled;
};

struct conn_arg {
	struct daemon *d;
	int fd;
	bool policy;
};

static void *
conn_thread(void *arg)
{
	struct conn_arg *ca = arg;
	struct daemon *d = ca->d;
	struct deliver_ctx dc;
	struct lmtp_backend be;
	struct lmtp_server_config sc;

	pthread_mutex_lock(&d->lock);
	dc.cfg = d->cfg;
	pthread_mutex_unlock(&d->lock);
	dc.db = d->db;
	dc.srs = d->srs;
	dc.srs_enabled = d->srs_enabled;
	if (ca->policy) {
		policy_session_run(ca->fd, &dc,
				   (int)dc.cfg->idle_timeout * 1000, &stopping);
	} else {
		deliver_backend_init(&dc, &be);
		sc.hostname = dc.cfg->hostname;
		sc.max_message_size = dc.cfg->max_message_size;
		sc.max_recipients = (unsigned int)dc.cfg->max_recipients;
		sc.spool_memory_max = dc.cfg->spool_memory;
		sc.spool_dir = dc.cfg->spool_dir;
		sc.idle_timeout_ms = (int)dc.cfg->idle_timeout * 1000;
		sc.stopping = &stopping;
		(void)lmtp_session_run(ca->fd, &sc, &be);
	}
	(void)close(ca->fd);
	pthread_mutex_lock(&d->lock);
	d->active--;
	pthread_cond_broadcast(&d->idle);
	pthread_mutex_unlock(&d->lock);
	free(ca);
	return NULL;
}

static int
listen_unix(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd;

	if (casier_snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) <
	    0) {
		fprintf(stderr, "casier-deliverd: socket path too long: %s\n",
			path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "casier-deliverd: cannot listen on %s: %s\n",
			path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	/* who may connect is decided by the socket directory */
	return fd;
}

static int
drop_privileges(const char *user)
{
	struct passwd *pw = getpwnam(user);

	if (pw == NULL) {
		fprintf(stderr, "casier-deliverd: unknown user %s\n", user);
		return -1;
	}
	if (pw->pw_uid == 0) {
		fprintf(stderr, "casier-deliverd: refusing to run as root\n");
		return -1;
	}
	if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		fprintf(stderr, "casier-deliverd: cannot become %s: %s\n", user,
			strerror(errno));
		return -1;
	}
	if (setuid(0) == 0) { /* must not be able to get root back */
		fprintf(stderr, "casier-deliverd: privileges not dropped\n");
		return -1;
	}
	return 0;
}

static int
write_pid_file(const char *path)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fprintf(fp, "%ld\n", (long)getpid()) < 0 ||
	    fclose(fp) != 0) {
		fprintf(stderr, "casier-deliverd: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

static char *
db_conninfo(const struct deliverd_config *cfg)
{
	struct str s;

	/* every statement is bounded: a slow database means 451, not a
	 * hung delivery (key=value conninfo only; a URI is used as is) */
	str_init(&s, 4096);
	if (str_append(&s, cfg->db_conninfo) < 0 ||
	    (strncmp(cfg->db_conninfo, "postgres", 8) != 0 &&
	     str_appendf(&s,
			 " options='-c statement_timeout=%lld'"
			 " connect_timeout=%lld",
			 cfg->db_timeout * 1000, cfg->db_timeout) < 0)) {
		str_free(&s);
		return NULL;
	}
	return str_steal(&s);
}

static void
usage(void)
{
	fprintf(stderr, "usage: casier-deliverd [-c config] [-u user] [-t]\n"
			"  -t  check the configuration and exit\n");
}

int
main(int argc, char **argv)
{
	const char *config_path = NULL, *user = NULL;
	bool test_only = false;
	struct daemon d;
	char err[512];
	struct sigaction sa;
	struct jobs_params jp;
	pthread_t jobs_tid;
	pthread_attr_t attr;
	int lfd = -1, pfd = -1, opt, ret = 1;
	unsigned int busy_left;
	char *conninfo = NULL;
	static const char busy[] = "421 4.3.2 Too many connections\r\n";

	while ((opt = getopt(argc, argv, "c:u:th")) != -1) {
		switch (opt) {
		case 'c':
			config_path = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 't':
			test_only = true;
			break;
		default:
			usage();
			return 1; /* nothing allocated yet */
		}
	}
	if (config_path == NULL)
		config_path = config_default_path();
	memset(&d, 0, sizeof(d));
	d.cfg = calloc(1, sizeof(*d.cfg));
	if (d.cfg == NULL ||
	    deliverd_config_load(config_path, d.cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "casier-deliverd: %s\n",
			d.cfg == NULL ? "out of memory" : err);
		free(d.cfg);
		return 1;
	}
	if (test_only) {
		printf("casier-deliverd: %s is valid\n", config_path);
		ret = 0;
		goto out;
	}
	if (geteuid() == 0) {
		if (user == NULL) {
			fprintf(stderr, "casier-deliverd: started as root "
					"without -u user; refusing\n");
			goto out;
		}
		if (d.cfg->pid_file != NULL &&
		    write_pid_file(d.cfg->pid_file) < 0)
			goto out;
		if (drop_privileges(user) < 0)
			goto out;
	} else if (d.cfg->pid_file != NULL &&
		   write_pid_file(d.cfg->pid_file) < 0) {
		goto out;
	}
	log_open("casier-deliverd", false, true, LOG_LEVEL_INFO);
	if (sodium_init() < 0) {
		fprintf(stderr, "casier-deliverd: libsodium init failed\n");
		goto out;
	}
	if (d.cfg->srs_domain != NULL) {
		d.srs.domain = d.cfg->srs_domain;
		d.srs.key = (const unsigned char *)d.cfg->srs_secret;
		d.srs.keylen = strlen(d.cfg->srs_secret);
		d.srs.hash_len = (unsigned int)d.cfg->srs_hash_length;
		d.srs.max_age_days = (unsigned int)(d.cfg->srs_max_age / 86400);
		d.srs_enabled = true;
	}
	conninfo = db_conninfo(d.cfg);
	if (conninfo == NULL)
		goto out;
	d.db = db_pool_new(conninfo, (unsigned int)d.cfg->db_pool_size,
			   deliverd_statements, deliverd_nstatements);
	if (d.db == NULL) {
		fprintf(stderr, "casier-deliverd: cannot create the pool\n");
		goto out;
	}
	lfd = listen_unix(d.cfg->socket);
	if (lfd < 0)
		goto out;
	if (d.cfg->policy_socket != NULL) {
		pfd = listen_unix(d.cfg->policy_socket);
		if (pfd < 0)
			goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() sees EINTR */
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);

	pthread_mutex_init(&d.lock, NULL);
	pthread_cond_init(&d.idle, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);

	jp.conninfo = conninfo;
	jp.mail_root = d.cfg->mail_root;
	jp.interval_s = (int)d.cfg->job_interval;
	jp.stopping = &stopping;
	if (pthread_create(&jobs_tid, NULL, jobs_thread, &jp) != 0) {
		fprintf(stderr,
			"casier-deliverd: cannot start the job thread\n");
		goto out;
	}
	log_info("ready: lmtp %s%s%s, uid %ld", d.cfg->socket,
		 pfd >= 0 ? ", policy " : "",
		 pfd >= 0 ? d.cfg->policy_socket : "", (long)getuid());

	while (!stopping) {
		struct pollfd fds[2] = {{.fd = lfd, .events = POLLIN},
					{.fd = pfd, .events = POLLIN}};
		int r = poll(fds, pfd >= 0 ? 2 : 1, 1000);

		if (reload) {
			struct deliverd_config *n = calloc(1, sizeof(*n));
			struct deliverd_config **o =
			    realloc(d.old, (d.nold + 1) * sizeof(*o));

			reload = 0;
			if (o != NULL)
				d.old = o;
			if (n == NULL || o == NULL ||
			    deliverd_config_load(config_path, n, err,
						 sizeof(err)) < 0) {
				log_error("reload failed, keeping the old "
					  "configuration: %s",
					  n == NULL ? "out of memory" : err);
				free(n);
			} else {
				pthread_mutex_lock(&d.lock);
				d.old[d.nold++] = d.cfg;
				d.cfg = n;
				pthread_mutex_unlock(&d.lock);
				log_info("configuration reloaded");
			}
		}
		if (r <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			struct conn_arg *ca;
			pthread_t tid;
			int cfd;

			if (i == 1 && pfd < 0)
				break;
			if (!(fds[i].revents & POLLIN))
				continue;
			cfd = accept(fds[i].fd, NULL, NULL);
			if (cfd < 0)
				continue;
			(void)fcntl(cfd, F_SETFD, FD_CLOEXEC);
			pthread_mutex_lock(&d.lock);
			if (d.active >= (unsigned int)d.cfg->max_connections) {
				pthread_mutex_unlock(&d.lock);
				if (i == 0 &&
				    write(cfd, busy, sizeof(busy) - 1) < 0)
					log_debug("cannot send 421");
				(void)close(cfd);
				continue;
			}
			d.active++;
			pthread_mutex_unlock(&d.lock);
			ca = malloc(sizeof(*ca));
			if (ca != NULL) {
				ca->d = &d;
				ca->fd = cfd;
				ca->policy = i == 1;
			}
			if (ca == NULL ||
			    pthread_create(&tid, &attr, conn_thread, ca) != 0) {
				(void)close(cfd);
				free(ca);
				pthread_mutex_lock(&d.lock);
				d.active--;
				pthread_mutex_unlock(&d.lock);
			}
		}
	}

	/* SIGTERM: no new connections; let transactions finish. */
	log_info("stopping: waiting for %u connection(s)", d.active);
	(void)close(lfd);
	lfd = -1;
	if (pfd >= 0)
		(void)close(pfd);
	pfd = -1;
	(void)unlink(d.cfg->socket);
	if (d.cfg->policy_socket != NULL)
		(void)unlink(d.cfg->policy_socket);
	{
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += d.cfg->shutdown_grace;
		pthread_mutex_lock(&d.lock);
		while (d.active > 0 &&
		       pthread_cond_timedwait(&d.idle, &d.lock, &until) == 0)
			;
		busy_left = d.active;
		pthread_mutex_unlock(&d.lock);
	}
	if (busy_left > 0) {
		/* sessions still use the pool and the configuration: exit
		 * without freeing them; their clients will retry */
		log_warning("stopping with %u connection(s) still open",
			    busy_left);
		return 0;
	}
	(void)pthread_join(jobs_tid, NULL);
	log_info("stopped");
	ret = 0;
out:
	if (lfd >= 0)
		(void)close(lfd);
	if (pfd >= 0)
		(void)close(pfd);
	db_pool_free(&d.db);
	free(conninfo);
	for (size_t i = 0; i < d.nold; i++) {
		deliverd_config_free(d.old[i]);
		free(d.old[i]);
	}
	free(d.old);
	deliverd_config_free(d.cfg);
	free(d.cfg);
	return ret;
}

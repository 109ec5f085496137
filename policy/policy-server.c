/*
 * policy-server.c - accepts Postfix policy connections on a UNIX socket.
 *
 * Called by main.c after configuration and privilege drop (runs as the
 * unprivileged casier user).  One detached thread per connection, at most
 * max_connections at once, each with a fixed-size parser (no allocation
 * driven by the peer): memory is bounded by max_connections.  A request
 * that is malformed, or that stays incomplete past request_timeout, is
 * logged and its connection closed, so Postfix applies
 * smtpd_policy_service_default_action (a 4xx).  An idle connection is
 * closed after idle_timeout; Postfix reconnects on its next request.
 */
#define _GNU_SOURCE /* accept4 */
#include "policy-server.h"

#include "log.h"
#include "str.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Connection accounting, shared by the accept loop and the threads. */
struct policy_slots {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned int active;
};

struct policy_conn {
	const struct policy_server_config *cfg;
	struct policy_slots *slots;
	volatile sig_atomic_t *stop;
	int fd;
	unsigned long id;
	struct policy_parser parser;
};

static int
policy_write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static const char *
policy_outcome_name(enum policy_outcome out)
{
	switch (out) {
	case POLICY_OUT_ERROR:
		return "tempfail";
	case POLICY_OUT_UNKNOWN:
		return "unknown-account";
	case POLICY_OUT_OK:
		return "ok";
	case POLICY_OUT_BLOCKED:
		return "blocked";
	case POLICY_OUT_BLOCK:
		return "block";
	case POLICY_OUT_HOSTED:
		return "hosted";
	case POLICY_OUT_DENIED:
		return "relay-denied";
	case POLICY_OUT_PERMIT:
		return "relay-permit";
	case POLICY_OUT_OVER:
		return "relay-over-limit";
	}
	return "?";
}

/* An attribute value, sanitised and capped, for a log line. */
static void
policy_log_value(char *dst, size_t size, const char *v)
{
	if (v == NULL)
		v = "";
	(void)log_sanitize(dst, size, v, strnlen(v, size));
}

static void
policy_log_decision(const struct policy_conn *c, enum policy_outcome out,
		    const char *action)
{
	const struct policy_request *req = &c->parser.req;
	char who[128], rcpt[128], state[32];
	const char *v;

	v = policy_request_get(req, "sasl_username");
	if (v == NULL || *v == '\0')
		v = policy_request_get(req, "client_address");
	policy_log_value(who, sizeof(who), v);
	policy_log_value(rcpt, sizeof(rcpt),
			 policy_request_get(req, "recipient"));
	policy_log_value(state, sizeof(state),
			 policy_request_get(req, "protocol_state"));
	if (out == POLICY_OUT_OK || out == POLICY_OUT_HOSTED)
		log_debug("conn %lu: %s %s rcpt=%s: %s", c->id, state, who,
			  rcpt, policy_outcome_name(out));
	else
		log_info("conn %lu: %s %s rcpt=%s: %s (%s)", c->id, state, who,
			 rcpt, policy_outcome_name(out), action);
}

/* Answer one complete request. 0, or -1 when the peer went away. */
static int
policy_conn_answer(struct policy_conn *c)
{
	char action[POLICY_ACTION_MAX + 2];
	enum policy_outcome out;
	size_t len;

	out = policy_decide(&c->parser.req, c->cfg->settings, c->cfg->store,
			    action);
	policy_log_decision(c, out, action);
	if (out == POLICY_OUT_BLOCK && c->cfg->on_block != NULL)
		c->cfg->on_block(
		    policy_request_get(&c->parser.req, "sasl_username"));
	/* action is at most POLICY_ACTION_MAX - 1 bytes plus its NUL; the
	 * two extra bytes hold the "\n\n" that ends the reply. */
	len = strlen(action);
	action[len++] = '\n';
	action[len++] = '\n';
	return policy_write_all(c->fd, action, len);
}

static long long
policy_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
policy_conn_serve(struct policy_conn *c)
{
	char buf[4096];
	long long last_activity = policy_now_ms();
	long long request_start = 0; /* 0: no request under way */

	policy_parser_init(&c->parser);
	while (!*c->stop) {
		long long now = policy_now_ms();
		long long deadline =
		    request_start != 0
			? request_start + c->cfg->request_timeout * 1000
			: last_activity + c->cfg->idle_timeout * 1000;
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		long long wait;
		ssize_t n;
		size_t off = 0;
		int ret;

		if (now >= deadline) {
			if (request_start != 0)
				log_warning("conn %lu: request not terminated "
					    "within %llds: closing",
					    c->id, c->cfg->request_timeout);
			return;
		}
		/* Wake up at least every second to notice a stop request. */
		wait = deadline - now < 1000 ? deadline - now : 1000;
		ret = poll(&pfd, 1, (int)wait);
		if (ret < 0 && errno != EINTR)
			return;
		if (ret <= 0)
			continue;
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (request_start != 0)
				log_warning(
				    "conn %lu: connection closed in the "
				    "middle of a request",
				    c->id);
			return;
		}
		last_activity = policy_now_ms();
		if (request_start == 0)
			request_start = last_activity;
		while (off < (size_t)n) {
			size_t used;
			enum policy_parse_status st = policy_parser_feed(
			    &c->parser, buf + off, (size_t)n - off, &used);
			off += used;
			if (st == POLICY_PARSE_ERROR) {
				log_warning("conn %lu: malformed policy "
					    "request (%s): closing",
					    c->id, c->parser.error);
				return;
			}
			if (st == POLICY_PARSE_DONE) {
				if (policy_conn_answer(c) < 0)
					return;
				policy_parser_reset(&c->parser);
				request_start = 0;
			}
		}
		if (request_start == 0 && policy_parser_pending(&c->parser))
			request_start = policy_now_ms();
	}
}

static void *
policy_conn_thread(void *arg)
{
	struct policy_conn *c = arg;
	struct policy_slots *slots = c->slots;

	policy_conn_serve(c);
	(void)close(c->fd);
	free(c);
	pthread_mutex_lock(&slots->lock);
	slots->active--;
	pthread_cond_signal(&slots->freed);
	pthread_mutex_unlock(&slots->lock);
	return NULL;
}

static int
policy_listen(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (casier_snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path) <
	    0) {
		log_error("socket path too long: %s", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		log_error("socket: %s", strerror(errno));
		return -1;
	}
	/* A socket left by a previous run; a live one would be a second
	 * instance on the same path, which the start script prevents. */
	(void)unlink(path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(path, 0666) < 0 || listen(fd, 256) < 0) {
		log_error("cannot listen on %s: %s", path, strerror(errno));
		(void)close(fd);
		return -1;
	}
	return fd;
}

int
policy_server_run(const struct policy_server_config *cfg,
		  volatile sig_atomic_t *stop)
{
	/* Static: detached threads may outlive this call by a little. */
	static struct policy_slots slots_store = {PTHREAD_MUTEX_INITIALIZER,
						  PTHREAD_COND_INITIALIZER, 0};
	struct policy_slots *slots = &slots_store;
	pthread_attr_t attr;
	unsigned long next_id = 1;
	bool drained;
	int lfd = policy_listen(cfg->socket_path);

	if (lfd < 0)
		return -1;
	if (pthread_attr_init(&attr) != 0) {
		(void)close(lfd);
		return -1;
	}
	(void)pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The parser lives on the heap; threads need little stack. */
	(void)pthread_attr_setstacksize(&attr, 256 * 1024);
	log_info("listening on %s (at most %u connections)", cfg->socket_path,
		 cfg->max_connections);
	while (!*stop) {
		struct pollfd pfd = {.fd = lfd, .events = POLLIN};
		struct policy_conn *c;
		pthread_t tid;
		int fd;

		pthread_mutex_lock(&slots->lock);
		while (slots->active >= cfg->max_connections && !*stop) {
			struct timespec ts;
			(void)clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			(void)pthread_cond_timedwait(&slots->freed,
						     &slots->lock, &ts);
		}
		pthread_mutex_unlock(&slots->lock);
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EINTR && errno != EAGAIN &&
			    errno != ECONNABORTED) {
				log_warning("accept: %s", strerror(errno));
				/* EMFILE and friends: do not spin. */
				(void)poll(NULL, 0, 100);
			}
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (c == NULL) {
			log_error("out of memory for a connection");
			(void)close(fd);
			continue;
		}
		c->cfg = cfg;
		c->slots = slots;
		c->stop = stop;
		c->fd = fd;
		c->id = next_id++;
		{
			struct timeval tv = {.tv_sec = cfg->request_timeout};
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
					 sizeof(tv));
		}
		pthread_mutex_lock(&slots->lock);
		slots->active++;
		pthread_mutex_unlock(&slots->lock);
		if (pthread_create(&tid, &attr, policy_conn_thread, c) != 0) {
			log_error("cannot start a connection thread");
			(void)close(fd);
			free(c);
			pthread_mutex_lock(&slots->lock);
			slots->active--;
			pthread_mutex_unlock(&slots->lock);
		}
	}
	(void)pthread_attr_destroy(&attr);
	(void)close(lfd);
	(void)unlink(cfg->socket_path);
	/* Let connection threads notice the stop flag and finish. */
	pthread_mutex_lock(&slots->lock);
	for (int i = 0; i < 30 && slots->active > 0; i++) {
		struct timespec ts;
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		(void)pthread_cond_timedwait(&slots->freed, &slots->lock, &ts);
	}
	pthread_mutex_unlock(&slots->lock);
	pthread_mutex_lock(&slots->lock);
	drained = slots->active == 0;
	pthread_mutex_unlock(&slots->lock);
	return drained ? 0 : 1;
}

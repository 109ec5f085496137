/*
 * policy-notify.c - block notifications and housekeeping for
 * casier-policyd.
 *
 * One thread per policyd instance.  The block itself and its
 * notification rows are written in one SQL transaction by
 * policy_submission_eod(); this thread claims pending rows (FOR UPDATE
 * SKIP LOCKED, so several instances share the work), sends each as a
 * plain-text mail through the configured SMTP server (Postfix's internal
 * re-injection smtpd, which delivers to hosted mailboxes or relays) and
 * marks it sent.  A failed send is retried later with a growing delay;
 * a crash between sending and marking sends the mail again
 * (at-least-once).  About once a minute it also deletes stale counters
 * and publishes [policy] spf_record in policy_setting for the web
 * manager.  Runs unprivileged; failures are logged, never fatal.
 */
#include "policy-notify.h"

#include "log.h"
#include "str.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define SMTP_TIMEOUT_SECONDS 30
#define SMTP_REPLY_MAX	     4096

struct policy_notifier {
	struct policy_notify_config cfg;
	volatile sig_atomic_t *stop;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool woken;
};

/* --- a minimal SMTP client (RFC 5321) --- */

struct smtp_conn {
	int fd;
	char buf[SMTP_REPLY_MAX];
	size_t len;
};

/* Read one (possibly multi-line) reply; returns its code or -1. */
static int
smtp_read_reply(struct smtp_conn *s)
{
	for (;;) {
		char *nl;
		ssize_t n;

		while ((nl = memchr(s->buf, '\n', s->len)) != NULL) {
			size_t linelen = (size_t)(nl - s->buf) + 1;
			bool last = linelen >= 4 && s->buf[3] != '-';
			int code = -1;

			if (linelen >= 4 && s->buf[0] >= '2' &&
			    s->buf[0] <= '5' && s->buf[1] >= '0' &&
			    s->buf[1] <= '9' && s->buf[2] >= '0' &&
			    s->buf[2] <= '9')
				code = (s->buf[0] - '0') * 100 +
				       (s->buf[1] - '0') * 10 +
				       (s->buf[2] - '0');
			memmove(s->buf, s->buf + linelen, s->len - linelen);
			s->len -= linelen;
			if (code < 0)
				return -1;
			if (last)
				return code;
		}
		if (s->len == sizeof(s->buf))
			return -1;
		n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s->len += (size_t)n;
	}
}

static int
smtp_write(struct smtp_conn *s, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(s->fd, data, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send a command line and expect a reply code class (2 or 3). */
static int
smtp_command(struct smtp_conn *s, const char *line, int want_class,
	     char *error_r, size_t errsize)
{
	int code;

	if (smtp_write(s, line, strlen(line)) < 0 ||
	    smtp_write(s, "\r\n", 2) < 0) {
		(void)casier_snprintf(error_r, errsize, "write failed: %s",
				      strerror(errno));
		return -1;
	}
	code = smtp_read_reply(s);
	if (code / 100 != want_class) {
		char safe[64];
		(void)log_sanitize(safe, sizeof(safe), line, strnlen(line, 40));
		(void)casier_snprintf(error_r, errsize, "'%s' answered %d",
				      safe, code);
		return -1;
	}
	return 0;
}

/* Addresses come from the database; refuse anything that could break
 * out of the SMTP command (CR, LF, spaces, angle brackets). */
static bool
smtp_address_safe(const char *a)
{
	if (*a == '\0' || strlen(a) > 320 || strchr(a, '@') == NULL)
		return false;
	for (; *a != '\0'; a++) {
		unsigned char c = (unsigned char)*a;
		if (c <= 0x20 || c == 0x7f || c == '<' || c == '>')
			return false;
	}
	return true;
}

int
policy_smtp_send(const char *host, unsigned int port, const char *helo,
		 const char *from, const char *rcpt, const char *message,
		 char *error_r, size_t errsize)
{
	struct smtp_conn s = {.fd = -1, .len = 0};
	struct sockaddr_storage ss;
	socklen_t sslen;
	struct timeval tv = {.tv_sec = SMTP_TIMEOUT_SECONDS};
	struct str data;
	char line[512];
	int ret = -1;

	memset(&ss, 0, sizeof(ss));
	if (!smtp_address_safe(from) || !smtp_address_safe(rcpt)) {
		(void)casier_snprintf(error_r, errsize, "unsafe address");
		return -1;
	}
	{
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
		if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons((uint16_t)port);
			sslen = sizeof(*sin);
		} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
			sin6->sin6_family = AF_INET6;
			sin6->sin6_port = htons((uint16_t)port);
			sslen = sizeof(*sin6);
		} else {
			(void)casier_snprintf(error_r, errsize,
					      "bad SMTP host %s", host);
			return -1;
		}
	}
	s.fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s.fd < 0) {
		(void)casier_snprintf(error_r, errsize, "socket: %s",
				      strerror(errno));
		return -1;
	}
	(void)setsockopt(s.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(s.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	str_init(&data, 1024 * 1024);
	if (connect(s.fd, (struct sockaddr *)&ss, sslen) < 0) {
		(void)casier_snprintf(error_r, errsize, "connect %s:%u: %s",
				      host, port, strerror(errno));
		goto out;
	}
	if (smtp_read_reply(&s) / 100 != 2) {
		(void)casier_snprintf(error_r, errsize, "bad greeting");
		goto out;
	}
	if (casier_snprintf(line, sizeof(line), "EHLO %s", helo) < 0 ||
	    smtp_command(&s, line, 2, error_r, errsize) < 0)
		goto out;
	if (casier_snprintf(line, sizeof(line), "MAIL FROM:<%s>", from) < 0 ||
	    smtp_command(&s, line, 2, error_r, errsize) < 0)
		goto out;
	if (casier_snprintf(line, sizeof(line), "RCPT TO:<%s>", rcpt) < 0 ||
	    smtp_command(&s, line, 2, error_r, errsize) < 0)
		goto out;
	if (smtp_command(&s, "DATA", 3, error_r, errsize) < 0)
		goto out;
	/* CRLF line ends and dot-stuffing (RFC 5321 section 4.5.2). */
	for (const char *p = message; *p != '\0';) {
		const char *nl = strchr(p, '\n');
		size_t n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if ((*p == '.' && str_append_char(&data, '.') < 0) ||
		    str_append_mem(&data, p, n) < 0 ||
		    str_append(&data, "\r\n") < 0) {
			(void)casier_snprintf(error_r, errsize,
					      "message too large");
			goto out;
		}
		p += n;
		if (*p == '\n')
			p++;
	}
	if (str_append(&data, ".") < 0 ||
	    smtp_command(&s, data.data, 2, error_r, errsize) < 0)
		goto out;
	(void)smtp_command(&s, "QUIT", 2, line, sizeof(line));
	ret = 0;
out:
	str_free(&data);
	(void)close(s.fd);
	return ret;
}

/* --- the outbox --- */

static const char notify_claim_sql[] =
    "UPDATE outbound_notification SET attempts = attempts + 1, "
    "not_before = now() + least(attempts + 1, 60) * interval '1 minute' "
    "WHERE id = (SELECT id FROM outbound_notification "
    "WHERE sent_at IS NULL AND not_before <= now() AND attempts < 100 "
    "ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, recipient, username, address, domain_name, "
    "to_char(blocked_until AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD HH24:MI \"UTC\"'), reason";

static const char publish_spf_sql[] =
    "INSERT INTO policy_setting (name, value) VALUES ('spf_record', $1) "
    "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, "
    "updated_at = now() WHERE policy_setting.value <> EXCLUDED.value";

static void
notify_format_date(char *out, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(out, size, "%a, %d %b %Y %H:%M:%S +0000", &tm) == 0)
		out[0] = '\0';
}

/* Claim and send one notification; 1 sent/failed, 0 none, -1 db error. */
static int
notify_one(struct policy_notifier *n)
{
	struct db_error err;
	struct db_conn *conn;
	PGresult *res = NULL;
	enum casier_lookup lk;
	struct str msg;
	char date[64], error[256];
	const char *params[2];
	PGresult *done = NULL;
	int sent;

	conn = db_pool_get(n->cfg.pool, &err);
	if (conn == NULL)
		return -1;
	lk = db_exec_params(conn, notify_claim_sql, 0, NULL, &res, &err);
	if (lk != CASIER_FOUND || PQntuples(res) != 1) {
		if (res != NULL)
			PQclear(res);
		db_pool_put(n->cfg.pool, &conn);
		if (lk == CASIER_LOOKUP_ERROR) {
			log_warning("notify: claim failed: %s", err.message);
			return -1;
		}
		return 0;
	}
	notify_format_date(date, sizeof(date));
	str_init(&msg, 64 * 1024);
	if (str_appendf(&msg,
			"From: Casier <%s>\n"
			"To: <%s>\n"
			"Subject: Outbound mail blocked for %s\n"
			"Date: %s\n"
			"Message-ID: <casier-block-%s-%ld@%s>\n"
			"Auto-Submitted: auto-generated\n"
			"MIME-Version: 1.0\n"
			"Content-Type: text/plain; charset=utf-8\n"
			"Content-Transfer-Encoding: 8bit\n"
			"\n"
			"The account %s (%s) of the domain %s has been "
			"blocked\n"
			"for outbound mail until %s.\n"
			"\n"
			"Reason: %s\n"
			"\n"
			"Reading mail (IMAP, POP3) still works. An account "
			"that suddenly\n"
			"sends this much is often compromised: check the "
			"device of its\n"
			"user and change the password, then unblock the "
			"account in the\n"
			"web manager (the block also ends by itself at the "
			"time above).\n",
			n->cfg.from, PQgetvalue(res, 0, 1),
			PQgetvalue(res, 0, 3), date, PQgetvalue(res, 0, 0),
			(long)time(NULL), n->cfg.helo, PQgetvalue(res, 0, 2),
			PQgetvalue(res, 0, 3), PQgetvalue(res, 0, 4),
			PQgetvalue(res, 0, 5), PQgetvalue(res, 0, 6)) < 0) {
		(void)casier_snprintf(error, sizeof(error),
				      "cannot compose message");
		sent = -1;
	} else {
		sent = policy_smtp_send(n->cfg.smtp_host, n->cfg.smtp_port,
					n->cfg.helo, n->cfg.from,
					PQgetvalue(res, 0, 1), msg.data, error,
					sizeof(error));
	}
	str_free(&msg);
	params[0] = PQgetvalue(res, 0, 0);
	if (sent == 0) {
		log_info("notify: block of %s notified to %s",
			 PQgetvalue(res, 0, 2), PQgetvalue(res, 0, 1));
		lk = db_exec_params(conn,
				    "UPDATE outbound_notification SET sent_at "
				    "= now(), last_error = NULL WHERE id = $1",
				    1, params, &done, &err);
	} else {
		log_warning("notify: sending to %s failed: %s (will retry)",
			    PQgetvalue(res, 0, 1), error);
		params[1] = error;
		lk = db_exec_params(conn,
				    "UPDATE outbound_notification SET "
				    "last_error = $2 WHERE id = $1",
				    2, params, &done, &err);
	}
	if (lk == CASIER_LOOKUP_ERROR)
		log_warning("notify: cannot record the outcome: %s",
			    err.message);
	else
		PQclear(done);
	PQclear(res);
	db_pool_put(n->cfg.pool, &conn);
	return 1;
}

static void *
notify_thread(void *arg)
{
	struct policy_notifier *n = arg;
	time_t last_housekeeping = 0;

	while (!*n->stop) {
		struct timespec ts;

		/* Bounded per round so a stop request is noticed. */
		for (int i = 0; i < 100 && !*n->stop; i++) {
			if (notify_one(n) <= 0)
				break;
		}
		if (time(NULL) - last_housekeeping >= 60) {
			PGresult *res = NULL;
			struct db_error err;
			struct db_conn *conn = db_pool_get(n->cfg.pool, &err);
			if (conn != NULL) {
				const char *params[] = {n->cfg.spf_record};
				if (db_exec_params(
					conn, "SELECT policy_housekeeping()", 0,
					NULL, &res,
					&err) == CASIER_LOOKUP_ERROR)
					log_warning("housekeeping failed: %s",
						    err.message);
				else
					PQclear(res);
				/* The web manager shows it to relay customers.
				 */
				if (n->cfg.spf_record != NULL &&
				    db_exec_params(conn, publish_spf_sql, 1,
						   params, &res,
						   &err) != CASIER_LOOKUP_ERROR)
					PQclear(res);
				db_pool_put(n->cfg.pool, &conn);
			}
			last_housekeeping = time(NULL);
		}
		pthread_mutex_lock(&n->lock);
		(void)clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += n->cfg.interval > 0 ? n->cfg.interval : 1;
		while (!n->woken && !*n->stop &&
		       pthread_cond_timedwait(&n->wake, &n->lock, &ts) == 0)
			;
		n->woken = false;
		pthread_mutex_unlock(&n->lock);
	}
	return NULL;
}

struct policy_notifier *
policy_notifier_start(const struct policy_notify_config *cfg,
		      volatile sig_atomic_t *stop)
{
	struct policy_notifier *n = calloc(1, sizeof(*n));

	if (n == NULL)
		return NULL;
	n->cfg = *cfg;
	n->stop = stop;
	if (pthread_mutex_init(&n->lock, NULL) != 0) {
		free(n);
		return NULL;
	}
	if (pthread_cond_init(&n->wake, NULL) != 0 ||
	    pthread_create(&n->thread, NULL, notify_thread, n) != 0) {
		log_error("notify: cannot start the notifier thread");
		(void)pthread_mutex_destroy(&n->lock);
		free(n);
		return NULL;
	}
	return n;
}

void
policy_notifier_wake(struct policy_notifier *n)
{
	pthread_mutex_lock(&n->lock);
	n->woken = true;
	pthread_cond_signal(&n->wake);
	pthread_mutex_unlock(&n->lock);
}

void
policy_notifier_stop(struct policy_notifier **np)
{
	struct policy_notifier *n = *np;

	if (n == NULL)
		return;
	policy_notifier_wake(n);
	(void)pthread_join(n->thread, NULL);
	(void)pthread_cond_destroy(&n->wake);
	(void)pthread_mutex_destroy(&n->lock);
	free(n);
	*np = NULL;
}

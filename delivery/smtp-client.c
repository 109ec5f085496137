/*
 * smtp-client.c - deliverd's client side: hands a spooled message to
 * Dovecot LMTP or to Postfix's re-injection smtpd.
 *
 * Called from the LMTP session threads of casier-deliverd (mail uid).
 * Blocking I/O with socket timeouts; no pipelining (the next hops are
 * local, and one command at a time keeps reply matching trivial).  Any
 * connection, timeout or protocol trouble makes every recipient without
 * a final answer TEMPFAIL 4.3.0, so the caller never acknowledges a
 * recipient the next hop did not accept.
 */
#include "smtp-client.h"
#include "log.h"
#include "str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

struct conn {
	int fd;
	char in[4096];
	size_t in_start, in_end;
	char out[8192];
	size_t out_len;
	bool failed;
	bool bol; /* writing message data: at the beginning of a line */
	char last[2];
};

struct reply {
	int code;
	char dsn[12];
	char text[200];
	/* EHLO/LHLO keywords seen */
	bool size, eightbit;
};

static int
client_connect(const char *target, int timeout_ms)
{
	struct timeval tv = {.tv_sec = timeout_ms / 1000,
			     .tv_usec = (timeout_ms % 1000) * 1000};
	int fd = -1;

	if (strncmp(target, "unix:", 5) == 0) {
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		if (casier_snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
				    target + 5) < 0)
			return -1;
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
			(void)close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(target, "inet:", 5) == 0) {
		char host[256];
		const char *colon = strrchr(target + 5, ':');
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM,
					 .ai_flags = AI_NUMERICSERV};
		struct addrinfo *ai, *a;

		if (colon == NULL ||
		    casier_snprintf(host, sizeof(host), "%.*s",
				    (int)(colon - target - 5), target + 5) < 0)
			return -1;
		if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
			return -1;
		for (a = ai; a != NULL; a = a->ai_next) {
			fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC,
				    a->ai_protocol);
			if (fd < 0)
				continue;
			(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv,
					 sizeof(tv));
			(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
					 sizeof(tv));
			if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
				break;
			(void)close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		return fd;
	}
	errno = EINVAL;
	return -1;
}

static void
conn_flush(struct conn *c)
{
	size_t off = 0;

	while (!c->failed && off < c->out_len) {
		ssize_t n = write(c->fd, c->out + off, c->out_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->failed = true;
			break;
		}
		off += (size_t)n;
	}
	c->out_len = 0;
}

static void
conn_write(struct conn *c, const char *data, size_t len)
{
	while (len > 0 && !c->failed) {
		size_t room = sizeof(c->out) - c->out_len;
		size_t n = len < room ? len : room;

		memcpy(c->out + c->out_len, data, n);
		c->out_len += n;
		data += n;
		len -= n;
		if (c->out_len == sizeof(c->out))
			conn_flush(c);
	}
}

static void CASIER_ATTR_PRINTF(2, 3)
    conn_cmd(struct conn *c, const char *fmt, ...)
{
	char line[1100];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		c->failed = true;
		return;
	}
	conn_write(c, line, (size_t)n);
	conn_flush(c);
}

/* Read one line into buf (CRLF removed). -1 on trouble. */
static int
conn_line(struct conn *c, char *buf, size_t size)
{
	size_t len = 0;

	for (;;) {
		if (c->in_start == c->in_end) {
			ssize_t n;

			do
				n = read(c->fd, c->in, sizeof(c->in));
			while (n < 0 && errno == EINTR);
			if (n <= 0) {
				c->failed = true;
				return -1;
			}
			c->in_start = 0;
			c->in_end = (size_t)n;
		}
		while (c->in_start < c->in_end) {
			char ch = c->in[c->in_start++];

			if (ch == '\n') {
				if (len > 0 && buf[len - 1] == '\r')
					len--;
				buf[len] = '\0';
				return 0;
			}
			if (len + 1 < size)
				buf[len++] =
				    (unsigned char)ch < ' ' && ch != '\r' ? '?'
									  : ch;
		}
	}
}

/* Read a (multi-line) reply. -1 on trouble. */
static int
conn_reply(struct conn *c, struct reply *r)
{
	char line[1024];

	memset(r, 0, sizeof(*r));
	for (;;) {
		const char *t;

		if (conn_line(c, line, sizeof(line)) < 0)
			return -1;
		if (strlen(line) < 3 || line[0] < '2' || line[0] > '5' ||
		    line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' ||
		    (line[3] != ' ' && line[3] != '-' && line[3] != '\0')) {
			c->failed = true;
			return -1;
		}
		t = line[3] != '\0' ? line + 4 : line + 3;
		if (strncasecmp(t, "SIZE", 4) == 0 &&
		    (t[4] == '\0' || t[4] == ' '))
			r->size = true;
		if (strcasecmp(t, "8BITMIME") == 0)
			r->eightbit = true;
		if (line[3] != '-') {
			size_t dl = 0;

			r->code = (line[0] - '0') * 100 + (line[1] - '0') * 10 +
				  (line[2] - '0');
			/* an enhanced status code "x.y.z " (RFC 2034) */
			while (t[dl] != '\0' && t[dl] != ' ' &&
			       (t[dl] == '.' || (t[dl] >= '0' && t[dl] <= '9')))
				dl++;
			if (dl >= 5 && dl < sizeof(r->dsn) &&
			    (t[dl] == ' ' || t[dl] == '\0') &&
			    t[0] == line[0]) {
				memcpy(r->dsn, t, dl);
				r->dsn[dl] = '\0';
				t += dl;
				while (*t == ' ')
					t++;
			}
			(void)casier_snprintf(r->text, sizeof(r->text), "%s",
					      t);
			return 0;
		}
	}
}

static void
reply_result(const struct reply *r, struct casier_result *res)
{
	enum casier_status st = r->code < 400	? CASIER_OK
				: r->code < 500 ? CASIER_TEMPFAIL
						: CASIER_PERMFAIL;
	const char *dsn = r->dsn[0] != '\0' ? r->dsn : NULL;

	casier_result_set(res, st, dsn, "%s", r->text);
}

/* Message data with dot-stuffing (RFC 5321 4.5.2). */
static void
conn_data(struct conn *c, const char *data, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		if (c->bol && data[i] == '.') {
			conn_write(c, data + start, i - start);
			conn_write(c, ".", 1);
			start = i;
		}
		c->bol = data[i] == '\n';
	}
	conn_write(c, data + start, len - start);
	if (len >= 2) {
		c->last[0] = data[len - 2];
		c->last[1] = data[len - 1];
	} else if (len == 1) {
		c->last[0] = c->last[1];
		c->last[1] = data[0];
	}
}

static void
send_message(struct conn *c, const char *prepend, struct spool *msg)
{
	char buf[16384];
	uint64_t off = 0;

	c->bol = true;
	c->last[0] = '\r';
	c->last[1] = '\n';
	if (prepend != NULL)
		conn_data(c, prepend, strlen(prepend));
	for (;;) {
		ssize_t n = spool_pread(msg, buf, sizeof(buf), off);

		if (n < 0) {
			log_error("smtp-client: cannot read the spool: %s",
				  strerror(errno));
			c->failed = true;
			return;
		}
		if (n == 0)
			break;
		conn_data(c, buf, (size_t)n);
		off += (uint64_t)n;
	}
	if (c->last[0] != '\r' || c->last[1] != '\n')
		conn_write(c, "\r\n", 2);
	conn_write(c, ".\r\n", 3);
	conn_flush(c);
}

void
smtp_client_send(const struct smtp_client_params *p, struct spool *msg,
		 struct smtp_rcpt_status *rcpts, size_t nrcpts)
{
	struct conn *c = calloc(1, sizeof(*c));
	struct reply r, hello;
	bool *accepted = calloc(nrcpts > 0 ? nrcpts : 1, sizeof(bool));
	size_t naccepted = 0;

	for (size_t i = 0; i < nrcpts; i++)
		casier_result_set(&rcpts[i].res, CASIER_TEMPFAIL, "4.3.0",
				  "Next hop unavailable, try again later");
	if (c == NULL || accepted == NULL)
		goto out;
	c->fd = -1;
	c->fd = client_connect(p->target, p->timeout_ms);
	if (c->fd < 0) {
		log_warning("smtp-client: cannot connect to %s: %s", p->target,
			    strerror(errno));
		goto out;
	}
	if (conn_reply(c, &r) < 0 || r.code != 220)
		goto fail;
	conn_cmd(c, "%s %s\r\n", p->lmtp ? "LHLO" : "EHLO", p->helo);
	if (conn_reply(c, &hello) < 0 || hello.code != 250)
		goto fail;
	conn_cmd(c, "MAIL FROM:<%s>%s%.0llu%s\r\n", p->sender,
		 p->size > 0 && hello.size ? " SIZE=" : "",
		 /* %.0llu prints nothing for 0 */
		 (unsigned long long)(p->size > 0 && hello.size ? p->size : 0),
		 p->body_8bitmime && hello.eightbit ? " BODY=8BITMIME" : "");
	if (conn_reply(c, &r) < 0)
		goto fail;
	if (r.code != 250) {
		for (size_t i = 0; i < nrcpts; i++)
			reply_result(&r, &rcpts[i].res);
		goto quit;
	}
	for (size_t i = 0; i < nrcpts; i++) {
		conn_cmd(c, "RCPT TO:<%s>\r\n", rcpts[i].address);
		if (conn_reply(c, &r) < 0)
			goto fail;
		reply_result(&r, &rcpts[i].res);
		if (r.code == 250 || r.code == 251) {
			/* not final until the data is accepted */
			casier_result_set(
			    &rcpts[i].res, CASIER_TEMPFAIL, "4.3.0",
			    "Next hop unavailable, try again later");
			accepted[i] = true;
			naccepted++;
		}
	}
	if (naccepted == 0)
		goto quit;
	conn_cmd(c, "DATA\r\n");
	if (conn_reply(c, &r) < 0)
		goto fail;
	if (r.code != 354) {
		for (size_t i = 0; i < nrcpts; i++)
			if (accepted[i])
				reply_result(&r, &rcpts[i].res);
		goto quit;
	}
	send_message(c, p->prepend, msg);
	if (c->failed)
		goto fail;
	if (p->lmtp) {
		/* RFC 2033 4.2: one reply per accepted recipient, in order */
		for (size_t i = 0; i < nrcpts; i++) {
			if (!accepted[i])
				continue;
			if (conn_reply(c, &r) < 0)
				goto fail;
			reply_result(&r, &rcpts[i].res);
		}
	} else {
		if (conn_reply(c, &r) < 0)
			goto fail;
		for (size_t i = 0; i < nrcpts; i++)
			if (accepted[i])
				reply_result(&r, &rcpts[i].res);
	}
quit:
	conn_cmd(c, "QUIT\r\n");
	(void)conn_reply(c, &r);
	goto out;
fail:
	log_warning("smtp-client: conversation with %s failed", p->target);
out:
	if (c != NULL && c->fd >= 0)
		(void)close(c->fd);
	free(c);
	free(accepted);
}

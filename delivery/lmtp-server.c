/*
 * lmtp-server.c - the LMTP session of casier-deliverd (RFC 2033).
 *
 * Called by deliverd's accept loop, one thread per connection, as the
 * mail uid.  Reads commands with a bounded line buffer, answers in
 * pipelined batches (RFC 2920), spools DATA through spool.c and gives
 * one reply per accepted recipient after the final dot (RFC 2033 4.2).
 * Protocol errors get a reply and the session continues; I/O errors,
 * the idle timeout and EOF end it without acknowledging anything that
 * was not delivered, so the client retries.
 */
#include "lmtp-server.h"
#include "log.h"
#include "str.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LMTP_INBUF   16384
#define LMTP_OUT_MAX (1024 * 1024)

struct session {
	int fd;
	const struct lmtp_server_config *cfg;
	const struct lmtp_backend *backend;
	char in[LMTP_INBUF];
	size_t in_start, in_end;
	struct str out;
	struct lmtp_linebuf line;
	bool lhlo_done;
	bool in_txn; /* MAIL accepted */
	struct lmtp_txn txn;
	bool io_error;
};

int
lmtp_reply_code(const struct casier_result *res)
{
	const char *d = res->dsn;

	switch (res->status) {
	case CASIER_OK:
		return 250;
	case CASIER_TEMPFAIL:
		/* RFC 5321 4.2.3: 452 insufficient storage / too many rcpts */
		if (strcmp(d, "4.2.2") == 0 || strcmp(d, "4.5.3") == 0)
			return 452;
		return 451;
	case CASIER_PERMFAIL:
		if (strncmp(d, "5.1.", 4) == 0 || strcmp(d, "5.2.1") == 0 ||
		    strcmp(d, "5.7.1") == 0)
			return 550;
		if (strcmp(d, "5.3.4") == 0 || strcmp(d, "5.2.2") == 0 ||
		    strcmp(d, "5.2.3") == 0)
			return 552;
		if (strncmp(d, "5.5.", 4) == 0)
			return 501;
		return 554;
	}
	return 451;
}

static void
reply(struct session *s, int code, const char *dsn, const char *text)
{
	if (str_appendf(&s->out, "%d %s %s\r\n", code, dsn, text) < 0)
		s->io_error = true; /* cannot happen below LMTP_OUT_MAX */
}

static void
reply_result(struct session *s, const struct casier_result *res)
{
	reply(s, lmtp_reply_code(res), res->dsn, res->text);
}

static int
flush_out(struct session *s)
{
	size_t off = 0;

	while (off < s->out.len) {
		ssize_t n = write(s->fd, s->out.data + off, s->out.len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->io_error = true;
			return -1;
		}
		off += (size_t)n;
	}
	str_clear(&s->out);
	return 0;
}

/* Fill the input buffer. 1 = data, 0 = EOF/timeout/stop, -1 error. */
static int
fill_in(struct session *s)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	int waited = 0;
	ssize_t n;

	if (flush_out(s) < 0)
		return -1;
	s->in_start = s->in_end = 0;
	for (;;) {
		int r;

		/* Wake up every second so a stop request is noticed
		 * between transactions. */
		r = poll(&pfd, 1, 1000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r > 0)
			break;
		waited += 1000;
		if (waited >= s->cfg->idle_timeout_ms)
			return 0;
		if (s->cfg->stopping != NULL && *s->cfg->stopping && !s->in_txn)
			return 0;
	}
	do
		n = read(s->fd, s->in, sizeof(s->in));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if (n == 0)
		return 0;
	s->in_end = (size_t)n;
	return 1;
}

static void
txn_reset(struct session *s)
{
	for (unsigned int i = 0; i < s->txn.nrcpts; i++) {
		if (s->txn.rcpts[i].plan != NULL &&
		    s->backend->plan_free != NULL)
			s->backend->plan_free(s->backend->ctx,
					      s->txn.rcpts[i].plan);
	}
	s->txn.nrcpts = 0;
	s->txn.mail_from[0] = '\0';
	s->txn.has_size = false;
	s->txn.size = 0;
	s->txn.body = LMTP_BODY_DEFAULT;
	spool_reset(s->txn.msg);
	s->in_txn = false;
}

static void
cmd_lhlo(struct session *s, const struct lmtp_command *cmd)
{
	txn_reset(s);
	s->lhlo_done = true;
	(void)str_appendf(
	    &s->out,
	    "250-%s\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"
	    "250-8BITMIME\r\n250 SIZE %llu\r\n",
	    s->cfg->hostname, (unsigned long long)s->cfg->max_message_size);
	(void)cmd;
}

static void
cmd_mail(struct session *s, const struct lmtp_command *cmd)
{
	if (!s->lhlo_done) {
		reply(s, 503, "5.5.1", "Send LHLO first");
		return;
	}
	if (s->in_txn) {
		reply(s, 503, "5.5.1", "Nested MAIL command");
		return;
	}
	if (cmd->has_size && cmd->size > s->cfg->max_message_size) {
		reply(s, 552, "5.3.4", "Message size exceeds fixed limit");
		return;
	}
	memcpy(s->txn.mail_from, cmd->arg, sizeof(s->txn.mail_from));
	s->txn.has_size = cmd->has_size;
	s->txn.size = cmd->size;
	s->txn.body = cmd->body;
	s->in_txn = true;
	reply(s, 250, "2.1.0", "Sender OK");
}

static void
cmd_rcpt(struct session *s, const struct lmtp_command *cmd)
{
	struct casier_result res;
	void *plan = NULL;
	struct lmtp_rcpt *r;

	if (!s->in_txn) {
		reply(s, 503, "5.5.1", "Need MAIL command first");
		return;
	}
	if (s->txn.nrcpts >= s->cfg->max_recipients) {
		reply(s, 452, "4.5.3", "Too many recipients");
		return;
	}
	casier_result_set(&res, CASIER_TEMPFAIL, "4.3.0", "Internal error");
	s->backend->rcpt(s->backend->ctx, &s->txn, cmd->arg, &plan, &res);
	if (res.status != CASIER_OK) {
		if (plan != NULL && s->backend->plan_free != NULL)
			s->backend->plan_free(s->backend->ctx, plan);
		reply_result(s, &res);
		return;
	}
	r = &s->txn.rcpts[s->txn.nrcpts++];
	memcpy(r->path, cmd->arg, sizeof(r->path));
	r->plan = plan;
	casier_result_set(&r->result, CASIER_TEMPFAIL, "4.3.0",
			  "Internal error");
	reply_result(s, &res);
}

/*
 * Read the message after 354.  Returns 0 when the final dot was seen,
 * -1 when the connection ended first (nothing is acknowledged then).
 */
static int
read_data(struct session *s, bool *too_big_r, bool *spool_error_r)
{
	struct lmtp_data d;
	char out[LMTP_INBUF + 1];

	lmtp_data_init(&d);
	*too_big_r = false;
	*spool_error_r = false;
	for (;;) {
		size_t outlen, used;

		if (s->in_start == s->in_end) {
			int r = fill_in(s);

			if (r <= 0)
				return -1;
		}
		used = lmtp_data_decode(&d, s->in + s->in_start,
					s->in_end - s->in_start, out, &outlen);
		s->in_start += used;
		if (!*too_big_r && !*spool_error_r) {
			if (spool_size(s->txn.msg) + outlen >
			    s->cfg->max_message_size)
				*too_big_r = true;
			else if (spool_write(s->txn.msg, out, outlen) < 0) {
				log_error("lmtp: cannot spool message: %s",
					  strerror(errno));
				*spool_error_r = true;
			}
		}
		if (d.state == LMTP_DATA_END)
			break;
	}
	if (d.has_nul && !*too_big_r && !*spool_error_r) {
		struct casier_result res;

		casier_result_set(&res, CASIER_PERMFAIL, "5.6.0",
				  "NUL bytes are not allowed in messages");
		for (unsigned int i = 0; i < s->txn.nrcpts; i++)
			s->txn.rcpts[i].result = res;
		return 1;
	}
	return 0;
}

static void
cmd_data(struct session *s)
{
	bool too_big, spool_error;
	struct casier_result res;
	int r;

	if (!s->in_txn) {
		reply(s, 503, "5.5.1", "Need MAIL command first");
		return;
	}
	if (s->txn.nrcpts == 0) {
		reply(s, 503, "5.5.1", "No valid recipients");
		return;
	}
	reply(s, 354, "2.0.0", "Start mail input; end with <CRLF>.<CRLF>");
	/* The 354 is flushed by fill_in() before blocking. */
	r = read_data(s, &too_big, &spool_error);
	if (r < 0) {
		s->io_error = true;
		return;
	}
	if (too_big)
		casier_result_set(&res, CASIER_PERMFAIL, "5.3.4",
				  "Message too big for system");
	else if (spool_error)
		casier_result_set(&res, CASIER_TEMPFAIL, "4.3.0",
				  "Temporary local problem, try again");
	if (too_big || spool_error) {
		for (unsigned int i = 0; i < s->txn.nrcpts; i++)
			reply_result(s, &res);
	} else {
		if (r == 0)
			s->backend->deliver(s->backend->ctx, &s->txn);
		/* RFC 2033 4.2: one reply per accepted recipient, in order */
		for (unsigned int i = 0; i < s->txn.nrcpts; i++)
			reply_result(s, &s->txn.rcpts[i].result);
	}
	txn_reset(s);
}

static bool
handle_line(struct session *s, const char *line, size_t len)
{
	struct lmtp_command cmd;
	struct casier_result res;
	int code;

	if (lmtp_command_parse(line, len, &cmd, &code, &res) < 0) {
		reply(s, code, res.dsn, res.text);
		return true;
	}
	switch (cmd.verb) {
	case LMTP_VERB_LHLO:
		cmd_lhlo(s, &cmd);
		break;
	case LMTP_VERB_MAIL:
		cmd_mail(s, &cmd);
		break;
	case LMTP_VERB_RCPT:
		cmd_rcpt(s, &cmd);
		break;
	case LMTP_VERB_DATA:
		cmd_data(s);
		break;
	case LMTP_VERB_RSET:
		txn_reset(s);
		reply(s, 250, "2.0.0", "OK");
		break;
	case LMTP_VERB_NOOP:
		reply(s, 250, "2.0.0", "OK");
		break;
	case LMTP_VERB_VRFY:
		reply(s, 252, "2.5.0", "Cannot VRFY, send some mail");
		break;
	case LMTP_VERB_QUIT:
		reply(s, 221, "2.0.0", "Bye");
		return false;
	case LMTP_VERB_HELO:
	case LMTP_VERB_UNKNOWN:
		reply(s, 500, "5.5.1", "Unknown command");
		break;
	}
	return true;
}

int
lmtp_session_run(int fd, const struct lmtp_server_config *cfg,
		 const struct lmtp_backend *backend)
{
	struct session *s = calloc(1, sizeof(*s));
	int ret = -1;

	if (s == NULL)
		return -1;
	s->fd = fd;
	s->cfg = cfg;
	s->backend = backend;
	str_init(&s->out, LMTP_OUT_MAX);
	lmtp_linebuf_init(&s->line);
	s->txn.rcpts = calloc(cfg->max_recipients > 0 ? cfg->max_recipients : 1,
			      sizeof(*s->txn.rcpts));
	s->txn.msg = spool_new(cfg->spool_dir, cfg->spool_memory_max);
	if (s->txn.rcpts == NULL || s->txn.msg == NULL)
		goto out;

	(void)str_appendf(&s->out, "220 %s LMTP casier-deliverd ready\r\n",
			  cfg->hostname);
	for (;;) {
		enum lmtp_line_status st;
		const char *line;
		size_t linelen, used;

		if (s->io_error)
			break;
		if (cfg->stopping != NULL && *cfg->stopping && !s->in_txn) {
			reply(s, 421, "4.3.2", "Service shutting down");
			(void)flush_out(s);
			ret = 0;
			break;
		}
		if (s->in_start == s->in_end) {
			int r = fill_in(s);

			if (r < 0)
				break;
			if (r == 0) {
				if (cfg->stopping != NULL && *cfg->stopping &&
				    !s->in_txn)
					continue; /* says 421 above */
				break;
			}
		}
		st = lmtp_linebuf_feed(&s->line, s->in + s->in_start,
				       s->in_end - s->in_start, &used, &line,
				       &linelen);
		s->in_start += used;
		if (st == LMTP_LINE_NONE)
			continue;
		if (st == LMTP_LINE_TOO_LONG) {
			reply(s, 500, "5.5.2", "Line too long");
			continue;
		}
		if (!handle_line(s, line, linelen)) {
			(void)flush_out(s);
			ret = 0;
			break;
		}
	}
out:
	if (s->txn.msg != NULL)
		txn_reset(s);
	spool_free(&s->txn.msg);
	free(s->txn.rcpts);
	str_free(&s->out);
	free(s);
	return ret;
}

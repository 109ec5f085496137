/*
 * test-lmtp.c - unit tests for the LMTP parser (delivery/lmtp-parse.c)
 * and the LMTP session (delivery/lmtp-server.c) with a fake backend over
 * a socketpair: line limits, command syntax, dot-unstuffing across
 * chunk boundaries, pipelining, one reply per recipient after DATA,
 * SIZE and max-recipient limits, NUL bytes, spooling to a file.
 * Run by `make check`.
 */
#include "lmtp-parse.h"
#include "lmtp-server.h"
#include "str.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- command parser ---- */

static const struct cmd_case {
	const char *line;
	int ret;
	enum lmtp_verb verb;
	const char *arg;
	int code;
	bool has_size;
	unsigned long long size;
	enum lmtp_body body;
} cmd_cases[] = {
    {.line = "LHLO mx.example",
     .ret = 0,
     .verb = LMTP_VERB_LHLO,
     .arg = "mx.example"},
    {.line = "lhlo  mx.example ",
     .ret = 0,
     .verb = LMTP_VERB_LHLO,
     .arg = "mx.example"},
    {.line = "LHLO", .ret = -1, .code = 501},
    {.line = "HELO mx.example", .ret = -1, .code = 500},
    {.line = "EHLO mx.example", .ret = -1, .code = 500},
    {.line = "MAIL FROM:<a@b.example>",
     .ret = 0,
     .verb = LMTP_VERB_MAIL,
     .arg = "a@b.example"},
    {.line = "mail from:<>", .ret = 0, .verb = LMTP_VERB_MAIL, .arg = ""},
    {.line = "MAIL FROM: <a@b.example>",
     .ret = 0,
     .verb = LMTP_VERB_MAIL,
     .arg = "a@b.example"},
    {.line = "MAIL FROM:<a@b.example> SIZE=12345 BODY=8BITMIME",
     .ret = 0,
     .verb = LMTP_VERB_MAIL,
     .arg = "a@b.example",
     .has_size = true,
     .size = 12345,
     .body = LMTP_BODY_8BITMIME},
    {.line = "MAIL FROM:<a@b.example> body=7bit",
     .ret = 0,
     .verb = LMTP_VERB_MAIL,
     .arg = "a@b.example",
     .body = LMTP_BODY_7BIT},
    {.line = "MAIL FROM:<a@b.example> SIZE=18446744073709551615",
     .ret = 0,
     .verb = LMTP_VERB_MAIL,
     .arg = "a@b.example",
     .has_size = true,
     .size = 18446744073709551615ULL},
    {.line = "MAIL FROM:<a@b.example> SIZE=18446744073709551616",
     .ret = -1,
     .code = 501},
    {.line = "MAIL FROM:<a@b.example> SIZE=", .ret = -1, .code = 501},
    {.line = "MAIL FROM:<a@b.example> SIZE=12x", .ret = -1, .code = 501},
    {.line = "MAIL FROM:<a@b.example> BODY=BINARYMIME", .ret = -1, .code = 501},
    {.line = "MAIL FROM:<a@b.example> SMTPUTF8", .ret = -1, .code = 555},
    {.line = "MAIL FROM:<a@b.example>junk", .ret = -1, .code = 501},
    {.line = "MAIL FROM:a@b.example", .ret = -1, .code = 501},
    {.line = "MAIL FROM:<a@b.example", .ret = -1, .code = 501},
    {.line = "MAIL TO:<a@b.example>", .ret = -1, .code = 501},
    {.line = "RCPT TO:<u+tag@d.example>",
     .ret = 0,
     .verb = LMTP_VERB_RCPT,
     .arg = "u+tag@d.example"},
    {.line = "RCPT TO:<>", .ret = -1, .code = 501},
    {.line = "RCPT TO:<@relay.example:u@d.example>", .ret = -1, .code = 501},
    {.line = "RCPT TO:<a b@d.example>", .ret = -1, .code = 501},
    {.line = "RCPT TO:<u@d.example> NOTIFY=NEVER", .ret = -1, .code = 555},
    {.line = "RCPT TO:<u@d.example> SIZE=10", .ret = -1, .code = 555},
    {.line = "DATA", .ret = 0, .verb = LMTP_VERB_DATA, .arg = ""},
    {.line = "DATA now", .ret = -1, .code = 501},
    {.line = "RSET", .ret = 0, .verb = LMTP_VERB_RSET, .arg = ""},
    {.line = "NOOP anything", .ret = 0, .verb = LMTP_VERB_NOOP, .arg = ""},
    {.line = "QUIT", .ret = 0, .verb = LMTP_VERB_QUIT, .arg = ""},
    {.line = "VRFY x", .ret = 0, .verb = LMTP_VERB_VRFY, .arg = ""},
    {.line = "DATAX", .ret = -1, .code = 500},
    {.line = "", .ret = -1, .code = 500},
    {.line = "XYZZY", .ret = -1, .code = 500},
};

START_TEST(test_command_table)
{
	const struct cmd_case *c = &cmd_cases[_i];
	struct lmtp_command cmd;
	struct casier_result res;
	int code = 0;
	int ret =
	    lmtp_command_parse(c->line, strlen(c->line), &cmd, &code, &res);

	ck_assert_msg(ret == c->ret, "%s: ret %d", c->line, ret);
	if (ret < 0) {
		ck_assert_msg(code == c->code, "%s: code %d", c->line, code);
		ck_assert_int_eq(res.dsn[0], c->code >= 500 ? '5' : '4');
		return;
	}
	ck_assert_int_eq(cmd.verb, c->verb);
	ck_assert_str_eq(cmd.arg, c->arg);
	ck_assert_int_eq(cmd.has_size, c->has_size);
	ck_assert_uint_eq(cmd.size, c->size);
	ck_assert_int_eq(cmd.body, c->body);
}
END_TEST

START_TEST(test_command_nul_and_long_path)
{
	struct lmtp_command cmd;
	struct casier_result res;
	char line[600];
	int code;

	ck_assert_int_eq(
	    lmtp_command_parse("RCPT TO:<a\0b@c.de>", 19, &cmd, &code, &res),
	    -1);
	ck_assert_int_eq(code, 500);
	ck_assert_str_eq(res.dsn, "5.5.2");

	memcpy(line, "RCPT TO:<", 9);
	memset(line + 9, 'a', 330);
	memcpy(line + 339, "@d.example>", 12);
	ck_assert_int_eq(
	    lmtp_command_parse(line, strlen(line), &cmd, &code, &res), -1);
	ck_assert_int_eq(code, 501);
	ck_assert_str_eq(res.dsn, "5.1.3");
}
END_TEST

/* ---- line splitter ---- */

START_TEST(test_linebuf)
{
	struct lmtp_linebuf lb;
	const char *line;
	size_t len, used;
	char big[LMTP_LINE_MAX + 10];

	lmtp_linebuf_init(&lb);
	/* split across feeds, CRLF removed */
	ck_assert_int_eq(lmtp_linebuf_feed(&lb, "NO", 2, &used, &line, &len),
			 LMTP_LINE_NONE);
	ck_assert_uint_eq(used, 2);
	ck_assert_int_eq(
	    lmtp_linebuf_feed(&lb, "OP\r\nQUIT\r\n", 10, &used, &line, &len),
	    LMTP_LINE_OK);
	ck_assert_uint_eq(used, 4);
	ck_assert_uint_eq(len, 4);
	ck_assert_int_eq(memcmp(line, "NOOP", 4), 0);
	/* bare LF tolerated */
	ck_assert_int_eq(
	    lmtp_linebuf_feed(&lb, "RSET\n", 5, &used, &line, &len),
	    LMTP_LINE_OK);
	ck_assert_uint_eq(len, 4);
	/* exactly LMTP_LINE_MAX is fine, one more is too long */
	memset(big, 'x', sizeof(big));
	big[LMTP_LINE_MAX] = '\n';
	ck_assert_int_eq(
	    lmtp_linebuf_feed(&lb, big, LMTP_LINE_MAX + 1, &used, &line, &len),
	    LMTP_LINE_OK);
	ck_assert_uint_eq(len, LMTP_LINE_MAX);
	big[LMTP_LINE_MAX] = 'x';
	big[LMTP_LINE_MAX + 1] = '\r';
	big[LMTP_LINE_MAX + 2] = '\n';
	ck_assert_int_eq(
	    lmtp_linebuf_feed(&lb, big, LMTP_LINE_MAX + 3, &used, &line, &len),
	    LMTP_LINE_TOO_LONG);
	ck_assert_uint_eq(used, LMTP_LINE_MAX + 3);
	/* and the next line is read normally */
	ck_assert_int_eq(
	    lmtp_linebuf_feed(&lb, "QUIT\r\n", 6, &used, &line, &len),
	    LMTP_LINE_OK);
	ck_assert_int_eq(memcmp(line, "QUIT", 4), 0);
}
END_TEST

/* ---- DATA decoder ---- */

static const struct data_case {
	const char *in;
	const char *out;
	size_t rest; /* bytes left after the end marker */
} data_cases[] = {
    {"Subject: x\r\n\r\nbody\r\n.\r\n", "Subject: x\r\n\r\nbody\r\n", 0},
    {".\r\n", "", 0},
    {"..leading dot\r\n.\r\n", ".leading dot\r\n", 0},
    {"...\r\n.\r\n", "..\r\n", 0},
    {"a\r\n.\r\nNOOP\r\n", "a\r\n", 6},
    {"a.\r\n.b\r\n.\r\n", "a.\r\nb\r\n", 0},
    {"line\n.\n", "line\n", 0},
    {"x\r\n.\rX\r\n.\r\n", "x\r\n\rX\r\n", 0},
    {"x\r\n.\r\r\n.\r\n", "x\r\n\r\r\n", 0},
    {"no end\r\n", "no end\r\n", 0},
};

START_TEST(test_data_table)
{
	const struct data_case *c = &data_cases[_i];
	size_t inlen = strlen(c->in);
	bool ends = strstr(c->in, "\n.\r\n") != NULL ||
		    strstr(c->in, "\n.\n") != NULL ||
		    strncmp(c->in, ".\r\n", 3) == 0;

	/* every split point of the input gives the same result */
	for (size_t split = 0; split <= inlen; split++) {
		struct lmtp_data d;
		char out[256];
		size_t o1 = 0, o2 = 0, used;

		lmtp_data_init(&d);
		used = lmtp_data_decode(&d, c->in, split, out, &o1);
		if (d.state != LMTP_DATA_END)
			used += lmtp_data_decode(&d, c->in + split,
						 inlen - split, out + o1, &o2);
		ck_assert_msg(o1 + o2 == strlen(c->out) &&
				  memcmp(out, c->out, o1 + o2) == 0,
			      "case %d split %zu", _i, split);
		ck_assert_int_eq(d.state == LMTP_DATA_END, ends);
		ck_assert_uint_eq(inlen - used, c->rest);
	}
}
END_TEST

START_TEST(test_data_nul)
{
	struct lmtp_data d;
	char out[16];
	size_t o;

	lmtp_data_init(&d);
	(void)lmtp_data_decode(&d, "a\0b\r\n.\r\n", 8, out, &o);
	ck_assert(d.has_nul);
	ck_assert_int_eq(d.state, LMTP_DATA_END);
	ck_assert_uint_eq(o, 5);
}
END_TEST

/* ---- session with a fake backend ---- */

struct fake {
	char delivered[8192];
	size_t delivered_len;
	unsigned int deliveries;
	char from[LMTP_PATH_MAX + 1];
	uint64_t size_seen;
};

/* ok* accepted; temp* 451; full* 452; everything else 550 5.1.1 */
static void
fake_rcpt(void *ctx, const struct lmtp_txn *txn, const char *path,
	  void **plan_r, struct casier_result *res_r)
{
	struct fake *f = ctx;

	f->size_seen = txn->size;
	if (strncmp(path, "ok", 2) == 0) {
		*plan_r = strdup(path);
		casier_result_set(res_r, CASIER_OK, "2.1.5", "OK");
	} else if (strncmp(path, "temp", 4) == 0)
		casier_result_set(res_r, CASIER_TEMPFAIL, "4.3.0", "Try later");
	else if (strncmp(path, "full", 4) == 0)
		casier_result_set(res_r, CASIER_TEMPFAIL, "4.2.2",
				  "Mailbox full: user overquota");
	else
		casier_result_set(res_r, CASIER_PERMFAIL, "5.1.1",
				  "User unknown");
}

/* okfail* gets a temporary failure at delivery, the others 250 */
static void
fake_deliver(void *ctx, struct lmtp_txn *txn)
{
	struct fake *f = ctx;
	ssize_t n;

	n = spool_pread(txn->msg, f->delivered, sizeof(f->delivered) - 1, 0);
	ck_assert_int_ge(n, 0);
	f->delivered_len = (size_t)n;
	f->delivered[n] = '\0';
	f->deliveries++;
	memcpy(f->from, txn->mail_from, sizeof(f->from));
	for (unsigned int i = 0; i < txn->nrcpts; i++) {
		ck_assert_str_eq(txn->rcpts[i].plan, txn->rcpts[i].path);
		if (strncmp(txn->rcpts[i].path, "okfail", 6) == 0)
			casier_result_set(&txn->rcpts[i].result,
					  CASIER_TEMPFAIL, "4.3.0",
					  "Next hop unavailable");
		else
			casier_result_set(&txn->rcpts[i].result, CASIER_OK,
					  "2.0.0", "Delivered");
	}
}

static void
fake_plan_free(void *ctx, void *plan)
{
	free(plan);
}

struct run {
	int fd;
	struct lmtp_server_config cfg;
	struct lmtp_backend be;
	int ret;
};

static void *
run_session(void *arg)
{
	struct run *r = arg;

	r->ret = lmtp_session_run(r->fd, &r->cfg, &r->be);
	(void)close(r->fd);
	return NULL;
}

/* Send script (pipelined, all at once); return everything the server said. */
static char *
converse(struct fake *f, const char *script, size_t scriptlen,
	 uint64_t max_size, unsigned int max_rcpts, size_t mem_max)
{
	int sv[2];
	pthread_t th;
	struct run r = {0};
	struct str out;
	char buf[4096];
	ssize_t n;
	size_t off = 0;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	r.fd = sv[1];
	r.cfg.hostname = "test.local";
	r.cfg.max_message_size = max_size;
	r.cfg.max_recipients = max_rcpts;
	r.cfg.spool_memory_max = mem_max;
	r.cfg.spool_dir = "/tmp";
	r.cfg.idle_timeout_ms = 5000;
	r.be.ctx = f;
	r.be.rcpt = fake_rcpt;
	r.be.deliver = fake_deliver;
	r.be.plan_free = fake_plan_free;
	ck_assert_int_eq(pthread_create(&th, NULL, run_session, &r), 0);
	while (off < scriptlen) {
		n = write(sv[0], script + off, scriptlen - off);
		ck_assert_int_gt(n, 0);
		off += (size_t)n;
	}
	(void)shutdown(sv[0], SHUT_WR);
	str_init(&out, 1 << 20);
	while ((n = read(sv[0], buf, sizeof(buf))) > 0)
		ck_assert_int_eq(str_append_mem(&out, buf, (size_t)n), 0);
	(void)pthread_join(th, NULL);
	(void)close(sv[0]);
	if (out.data == NULL)
		(void)str_append(&out, "");
	return str_steal(&out);
}

#define GREETING "220 test.local LMTP casier-deliverd ready\r\n"
#define LHLO_REPLY                                                             \
	"250-test.local\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"      \
	"250-8BITMIME\r\n250 SIZE 1000\r\n"
#define LHLO_REPLY40                                                           \
	"250-test.local\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n"      \
	"250-8BITMIME\r\n250 SIZE 40\r\n"

START_TEST(test_session_pipelined)
{
	struct fake f = {0};
	const char *script = "LHLO mx\r\n"
			     "MAIL FROM:<s@x.example> SIZE=100\r\n"
			     "RCPT TO:<ok1@d.example>\r\n"
			     "RCPT TO:<nobody@d.example>\r\n"
			     "RCPT TO:<temp@d.example>\r\n"
			     "RCPT TO:<full@d.example>\r\n"
			     "RCPT TO:<okfail@d.example>\r\n"
			     "RCPT TO:<ok2@d.example>\r\n"
			     "DATA\r\n"
			     "Subject: t\r\n\r\n..dot\r\nbody\r\n.\r\n"
			     "NOOP\r\nQUIT\r\n";
	char *out = converse(&f, script, strlen(script), 1000, 10, 1 << 16);

	ck_assert_str_eq(
	    out, GREETING LHLO_REPLY
	    "250 2.1.0 Sender OK\r\n"
	    "250 2.1.5 OK\r\n"
	    "550 5.1.1 User unknown\r\n"
	    "451 4.3.0 Try later\r\n"
	    "452 4.2.2 Mailbox full: user overquota\r\n"
	    "250 2.1.5 OK\r\n"
	    "250 2.1.5 OK\r\n"
	    "354 2.0.0 Start mail input; end with <CRLF>.<CRLF>\r\n"
	    /* one reply per accepted recipient, in order */
	    "250 2.0.0 Delivered\r\n"
	    "451 4.3.0 Next hop unavailable\r\n"
	    "250 2.0.0 Delivered\r\n"
	    "250 2.0.0 OK\r\n"
	    "221 2.0.0 Bye\r\n");
	ck_assert_str_eq(f.delivered, "Subject: t\r\n\r\n.dot\r\nbody\r\n");
	ck_assert_str_eq(f.from, "s@x.example");
	ck_assert_uint_eq(f.size_seen, 100);
	free(out);
}
END_TEST

static const struct session_case {
	const char *name;
	const char *script;
	const char *expect; /* after greeting */
	unsigned int deliveries;
} session_cases[] = {
    {"mail before lhlo", "MAIL FROM:<a@b.example>\r\nQUIT\r\n",
     "503 5.5.1 Send LHLO first\r\n221 2.0.0 Bye\r\n", 0},
    {"rcpt before mail", "LHLO x\r\nRCPT TO:<ok@d.example>\r\nQUIT\r\n",
     LHLO_REPLY40 "503 5.5.1 Need MAIL command first\r\n221 2.0.0 Bye\r\n", 0},
    {"data without rcpt",
     "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<no@d.example>\r\nDATA\r\nQUIT\r\n",
     LHLO_REPLY40 "250 2.1.0 Sender OK\r\n550 5.1.1 User unknown\r\n"
		  "503 5.5.1 No valid recipients\r\n221 2.0.0 Bye\r\n",
     0},
    {"nested mail", "LHLO x\r\nMAIL FROM:<>\r\nMAIL FROM:<>\r\nQUIT\r\n",
     LHLO_REPLY40 "250 2.1.0 Sender OK\r\n503 5.5.1 Nested MAIL command\r\n"
		  "221 2.0.0 Bye\r\n",
     0},
    {"rset clears the transaction",
     "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ok@d.example>\r\nRSET\r\n"
     "DATA\r\nQUIT\r\n",
     LHLO_REPLY40 "250 2.1.0 Sender OK\r\n250 2.1.5 OK\r\n250 2.0.0 OK\r\n"
		  "503 5.5.1 Need MAIL command first\r\n221 2.0.0 Bye\r\n",
     0},
    {"size announced too big", "LHLO x\r\nMAIL FROM:<> SIZE=41\r\nQUIT\r\n",
     LHLO_REPLY40 "552 5.3.4 Message size exceeds fixed limit\r\n"
		  "221 2.0.0 Bye\r\n",
     0},
    {"too many recipients",
     "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ok1@d.example>\r\n"
     "RCPT TO:<ok2@d.example>\r\nRCPT TO:<ok3@d.example>\r\nQUIT\r\n",
     LHLO_REPLY40 "250 2.1.0 Sender OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n"
		  "452 4.5.3 Too many recipients\r\n221 2.0.0 Bye\r\n",
     0},
    {"message over the limit",
     "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ok1@d.example>\r\n"
     "RCPT TO:<ok2@d.example>\r\nDATA\r\n"
     "0123456789012345678901234567890123456789\r\n.\r\nQUIT\r\n",
     LHLO_REPLY40 "250 2.1.0 Sender OK\r\n250 2.1.5 OK\r\n250 2.1.5 OK\r\n"
		  "354 2.0.0 Start mail input; end with <CRLF>.<CRLF>\r\n"
		  "552 5.3.4 Message too big for system\r\n"
		  "552 5.3.4 Message too big for system\r\n221 2.0.0 Bye\r\n",
     0},
    {"nul byte in message",
     "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ok1@d.example>\r\nDATA\r\n"
     "a\0b\r\n.\r\nQUIT\r\n",
     LHLO_REPLY40 "250 2.1.0 Sender OK\r\n250 2.1.5 OK\r\n"
		  "354 2.0.0 Start mail input; end with <CRLF>.<CRLF>\r\n"
		  "554 5.6.0 NUL bytes are not allowed in messages\r\n"
		  "221 2.0.0 Bye\r\n",
     0},
    {"helo refused", "HELO x\r\nQUIT\r\n",
     "500 5.5.1 This is LMTP: use LHLO (RFC 2033)\r\n221 2.0.0 Bye\r\n", 0},
    {"eof in data acknowledges nothing",
     "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ok1@d.example>\r\nDATA\r\nabc\r\n",
     LHLO_REPLY40 "250 2.1.0 Sender OK\r\n250 2.1.5 OK\r\n"
		  "354 2.0.0 Start mail input; end with <CRLF>.<CRLF>\r\n",
     0},
    {"two transactions",
     "LHLO x\r\nMAIL FROM:<>\r\nRCPT TO:<ok1@d.example>\r\nDATA\r\na\r\n.\r\n"
     "MAIL FROM:<>\r\nRCPT TO:<ok1@d.example>\r\nDATA\r\nb\r\n.\r\nQUIT\r\n",
     LHLO_REPLY40 "250 2.1.0 Sender OK\r\n250 2.1.5 OK\r\n"
		  "354 2.0.0 Start mail input; end with <CRLF>.<CRLF>\r\n"
		  "250 2.0.0 Delivered\r\n"
		  "250 2.1.0 Sender OK\r\n250 2.1.5 OK\r\n"
		  "354 2.0.0 Start mail input; end with <CRLF>.<CRLF>\r\n"
		  "250 2.0.0 Delivered\r\n221 2.0.0 Bye\r\n",
     2},
};

START_TEST(test_session_table)
{
	const struct session_case *c = &session_cases[_i];
	struct fake f = {0};
	size_t len = strlen(c->script);
	char *out, *expect;
	struct str e;

	/* the NUL case: the script literal has an embedded NUL */
	if (strcmp(c->name, "nul byte in message") == 0)
		len = len + 1 + strlen(c->script + len + 1);
	out = converse(&f, c->script, len, 40, 2, 16);
	str_init(&e, 1 << 16);
	ck_assert_int_eq(str_appendf(&e, "%s%s", GREETING, c->expect), 0);
	expect = str_steal(&e);
	ck_assert_msg(strcmp(out, expect) == 0, "%s: got\n%s", c->name, out);
	ck_assert_uint_eq(f.deliveries, c->deliveries);
	free(out);
	free(expect);
}
END_TEST

START_TEST(test_session_long_line_and_big_spool)
{
	struct fake f = {0};
	struct str s;
	char *out;

	str_init(&s, 1 << 20);
	ck_assert_int_eq(str_append(&s, "LHLO x\r\nNOOP "), 0);
	for (int i = 0; i < 5000; i++)
		ck_assert_int_eq(str_append_char(&s, 'x'), 0);
	/* message of 3000 bytes with memory threshold 16: spooled to a file */
	ck_assert_int_eq(str_append(&s, "\r\nMAIL FROM:<>\r\n"
					"RCPT TO:<ok@d.example>\r\nDATA\r\n"),
			 0);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(
		    str_append(&s, "..2345678901234567890123456789\r\n"), 0);
	ck_assert_int_eq(str_append(&s, ".\r\nQUIT\r\n"), 0);
	out = converse(&f, s.data, s.len, 10000, 2, 16);
	ck_assert_str_eq(
	    out,
	    GREETING "250-test.local\r\n250-PIPELINING\r\n"
		     "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n"
		     "250 SIZE 10000\r\n"
		     "500 5.5.2 Line too long\r\n"
		     "250 2.1.0 Sender OK\r\n250 2.1.5 OK\r\n"
		     "354 2.0.0 Start mail input; end with <CRLF>.<CRLF>\r\n"
		     "250 2.0.0 Delivered\r\n221 2.0.0 Bye\r\n");
	ck_assert_uint_eq(f.delivered_len, 3100);
	ck_assert_int_eq(memcmp(f.delivered,
				".2345678901234567890123456789\r\n."
				"23456789",
				39),
			 0);
	str_free(&s);
	free(out);
}
END_TEST

START_TEST(test_reply_codes)
{
	static const struct {
		enum casier_status st;
		const char *dsn;
		int code;
	} t[] = {
	    {CASIER_OK, "2.0.0", 250},	     {CASIER_TEMPFAIL, "4.3.0", 451},
	    {CASIER_TEMPFAIL, "4.2.2", 452}, {CASIER_TEMPFAIL, "4.5.3", 452},
	    {CASIER_PERMFAIL, "5.1.1", 550}, {CASIER_PERMFAIL, "5.1.2", 550},
	    {CASIER_PERMFAIL, "5.2.1", 550}, {CASIER_PERMFAIL, "5.3.4", 552},
	    {CASIER_PERMFAIL, "5.4.6", 554}, {CASIER_PERMFAIL, "5.6.0", 554},
	};
	for (size_t i = 0; i < CASIER_ARRAY_LEN(t); i++) {
		struct casier_result r;

		casier_result_set(&r, t[i].st, t[i].dsn, "x");
		ck_assert_int_eq(lmtp_reply_code(&r), t[i].code);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("lmtp");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_command_table, 0,
			    (int)CASIER_ARRAY_LEN(cmd_cases));
	tcase_add_test(tc, test_command_nul_and_long_path);
	tcase_add_test(tc, test_linebuf);
	tcase_add_loop_test(tc, test_data_table, 0,
			    (int)CASIER_ARRAY_LEN(data_cases));
	tcase_add_test(tc, test_data_nul);
	tcase_add_test(tc, test_session_pipelined);
	tcase_add_loop_test(tc, test_session_table, 0,
			    (int)CASIER_ARRAY_LEN(session_cases));
	tcase_add_test(tc, test_session_long_line_and_big_spool);
	tcase_add_test(tc, test_reply_codes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

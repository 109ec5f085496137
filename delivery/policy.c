/*
 * policy.c - Postfix policy delegation (SMTPD_POLICY_README) for the
 * inbound smtpd's RCPT check.
 *
 * Called by casier-deliverd's accept loop, one thread per connection
 * from Postfix, as the mail uid.  Each RCPT request costs one SQL round
 * trip through deliver_rcpt_plan().  A malformed request closes the
 * connection (Postfix answers with its default action, a 4xx); a lookup
 * error answers 451 4.3.0, never "unknown".
 */
#include "policy.h"
#include "deliverd.h"
#include "lmtp-parse.h"
#include "lmtp-server.h"
#include "log.h"
#include "str.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define POLICY_MAX_ATTRS 100

void
policy_request_init(struct policy_request *req)
{
	memset(req, 0, sizeof(*req));
}

static void
copy_value(char *dst, size_t dstsize, const char *v, size_t vlen)
{
	if (vlen >= dstsize)
		vlen = dstsize - 1;
	memcpy(dst, v, vlen);
	dst[vlen] = '\0';
}

int
policy_request_line(struct policy_request *req, const char *line, size_t len)
{
	const char *eq;
	size_t nlen, vlen;

	if (len == 0)
		return 1;
	if (memchr(line, '\0', len) != NULL)
		return -1;
	eq = memchr(line, '=', len);
	if (eq == NULL || eq == line || ++req->nattrs > POLICY_MAX_ATTRS)
		return -1;
	nlen = (size_t)(eq - line);
	vlen = len - nlen - 1;
	if (nlen == 7 && memcmp(line, "request", 7) == 0)
		copy_value(req->request, sizeof(req->request), eq + 1, vlen);
	else if (nlen == 14 && memcmp(line, "protocol_state", 14) == 0)
		copy_value(req->protocol_state, sizeof(req->protocol_state),
			   eq + 1, vlen);
	else if (nlen == 9 && memcmp(line, "recipient", 9) == 0) {
		if (vlen > POLICY_VALUE_MAX)
			return -1;
		copy_value(req->recipient, sizeof(req->recipient), eq + 1,
			   vlen);
	} else if (nlen == 4 && memcmp(line, "size", 4) == 0) {
		char buf[24];
		char *end;

		copy_value(buf, sizeof(buf), eq + 1, vlen);
		errno = 0;
		req->size = strtoull(buf, &end, 10);
		if (errno != 0 || *end != '\0')
			req->size = 0;
	}
	return 0;
}

static void
policy_answer(struct deliver_ctx *dc, const struct policy_request *req,
	      struct str *out)
{
	struct deliver_plan *plan;
	struct casier_result res;

	if (strcmp(req->request, "smtpd_access_policy") != 0 ||
	    strcmp(req->protocol_state, "RCPT") != 0 ||
	    req->recipient[0] == '\0') {
		(void)str_append(out, "action=DUNNO\n\n");
		return;
	}
	deliver_rcpt_plan(dc, req->recipient, req->size, &plan, &res);
	deliver_plan_free(plan);
	if (res.status == CASIER_OK)
		(void)str_append(out, "action=DUNNO\n\n");
	else
		(void)str_appendf(out, "action=%d %s %s\n\n",
				  lmtp_reply_code(&res), res.dsn, res.text);
}

void
policy_session_run(int fd, struct deliver_ctx *dc, int timeout_ms,
		   volatile sig_atomic_t *stopping)
{
	int idle = 0;

	struct lmtp_linebuf *lb = malloc(sizeof(*lb));
	struct policy_request req;
	struct str out;
	char in[4096];

	if (lb == NULL)
		return;
	lmtp_linebuf_init(lb);
	policy_request_init(&req);
	str_init(&out, 4096);
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;
		size_t off = 0;
		int r = poll(&pfd, 1, 1000);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || (stopping != NULL && *stopping))
			break;
		if (r == 0) {
			idle += 1000;
			if (idle >= timeout_ms)
				break;
			continue;
		}
		idle = 0;
		n = read(fd, in, sizeof(in));
		if (n <= 0)
			break;
		while (off < (size_t)n) {
			const char *line;
			size_t linelen, used;
			enum lmtp_line_status st =
			    lmtp_linebuf_feed(lb, in + off, (size_t)n - off,
					      &used, &line, &linelen);

			off += used;
			if (st == LMTP_LINE_NONE)
				break;
			r = st == LMTP_LINE_TOO_LONG
				? -1
				: policy_request_line(&req, line, linelen);
			if (r < 0) {
				log_warning("policy: malformed request, "
					    "closing");
				goto out;
			}
			if (r == 1) {
				str_clear(&out);
				policy_answer(dc, &req, &out);
				if (out.len == 0 ||
				    write(fd, out.data, out.len) !=
					(ssize_t)out.len)
					goto out;
				policy_request_init(&req);
			}
		}
	}
out:
	str_free(&out);
	free(lb);
}

/*
 * policy.h - the Postfix policy-delegation service of casier-deliverd:
 * the inbound smtpd asks at RCPT time, and gets the same resolution and
 * quota answer as LMTP would give (DESIGN sections 3 and 4).
 */
#ifndef CASIER_POLICY_H
#define CASIER_POLICY_H

#include "casier.h"

#include <signal.h>
#include <stdint.h>

#define POLICY_VALUE_MAX 512

struct policy_request {
	char request[64];
	char protocol_state[32];
	char recipient[POLICY_VALUE_MAX + 1];
	uint64_t size;
	unsigned int nattrs;
};

void policy_request_init(struct policy_request *req);
/*
 * Feed one line (without the newline).  Returns 1 when the request is
 * complete (the empty line), 0 to continue, -1 for a malformed line or
 * too many attributes (the caller closes the connection: Postfix then
 * applies its default action, a temporary failure).
 */
int policy_request_line(struct policy_request *req, const char *line,
			size_t len);

struct deliver_ctx;
/*
 * Serve policy requests on fd until EOF, the idle timeout or a stop
 * request (checked every second between requests); does not close fd.
 */
void policy_session_run(int fd, struct deliver_ctx *dc, int timeout_ms,
			volatile sig_atomic_t *stopping);

#endif

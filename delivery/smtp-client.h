/*
 * smtp-client.h - a small blocking SMTP/LMTP client for deliverd's next
 * hops: Dovecot LMTP (final delivery) and Postfix's re-injection smtpd
 * (forwards).  One transaction per call; every reply is kept so that
 * each recipient's fate is known exactly.
 */
#ifndef CASIER_SMTP_CLIENT_H
#define CASIER_SMTP_CLIENT_H

#include "casier.h"
#include "spool.h"

#include <stdint.h>

struct smtp_rcpt_status {
	const char *address;	  /* in: the forward-path */
	struct casier_result res; /* out */
};

struct smtp_client_params {
	const char *target; /* "unix:/path" or "inet:host:port" */
	bool lmtp;	    /* LHLO and one DATA reply per recipient */
	const char *helo;   /* our name */
	int timeout_ms;	    /* per read/write */
	const char *sender; /* reverse-path, may be "" */
	uint64_t size;	    /* SIZE= when > 0 and the server offers it */
	bool body_8bitmime; /* BODY=8BITMIME when the server offers it */
	/* prepended to the message (e.g. "Delivered-To: x\r\n"), or NULL */
	const char *prepend;
};

/*
 * Send msg to every recipient in one transaction.  Every rcpts[i].res is
 * set: OK after the server accepted the message for it, TEMPFAIL/PERMFAIL
 * with the server's DSN (or 4.4.x/4.3.0 for connection trouble, which is
 * always temporary).
 */
void smtp_client_send(const struct smtp_client_params *p, struct spool *msg,
		      struct smtp_rcpt_status *rcpts, size_t nrcpts);

#endif

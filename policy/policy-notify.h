/*
 * policy-notify.h - sends the block notifications queued in
 * outbound_notification, through an SMTP server (Postfix's internal
 * re-injection smtpd), and runs the periodic housekeeping.
 */
#ifndef CASIER_POLICY_NOTIFY_H
#define CASIER_POLICY_NOTIFY_H

#include "db.h"

#include <signal.h>

struct policy_notify_config {
	struct db_pool *pool;
	const char *smtp_host; /* numeric address */
	unsigned int smtp_port;
	const char *from;	/* envelope and header sender */
	const char *helo;	/* EHLO name */
	long long interval;	/* seconds between outbox scans */
	const char *spf_record; /* published in policy_setting for mgmtd */
};

struct policy_notifier;

/* Start the notifier thread; NULL on failure (logged). */
struct policy_notifier *
policy_notifier_start(const struct policy_notify_config *cfg,
		      volatile sig_atomic_t *stop);
/* Ask for a scan now (after a block); safe from any thread. */
void policy_notifier_wake(struct policy_notifier *n);
/* Wait for the thread to end (after *stop was set) and free it. */
void policy_notifier_stop(struct policy_notifier **n);

/*
 * Send one plain-text message (body lines separated by "\n", dot-stuffed
 * here) to one recipient.  0, or -1 with error_r filled.  Exposed for the
 * tests.
 */
int policy_smtp_send(const char *host, unsigned int port, const char *helo,
		     const char *from, const char *rcpt, const char *message,
		     char *error_r, size_t errsize);

#endif

/*
 * lmtp-server.h - one LMTP session (RFC 2033) on a connected socket.
 *
 * The session handles the protocol; what a recipient means and where
 * the message goes is decided by a backend (struct lmtp_backend), so
 * the protocol can be tested with a fake backend over a socketpair.
 */
#ifndef CASIER_LMTP_SERVER_H
#define CASIER_LMTP_SERVER_H

#include "casier.h"
#include "lmtp-parse.h"
#include "spool.h"

#include <signal.h>
#include <stdint.h>

struct lmtp_server_config {
	const char *hostname;	     /* in the greeting and LHLO reply */
	uint64_t max_message_size;   /* SIZE announced, DATA refused beyond */
	unsigned int max_recipients; /* per transaction */
	size_t spool_memory_max;     /* bytes kept in memory per message */
	const char *spool_dir;	     /* temporary files beyond that */
	int idle_timeout_ms; /* no command or data for this long: close */
	/* set by a signal handler: finish the transaction, then close */
	volatile sig_atomic_t *stopping;
};

struct lmtp_rcpt {
	char path[LMTP_PATH_MAX + 1];
	void *plan;		     /* what the backend decided at RCPT time */
	struct casier_result result; /* filled by backend->deliver */
};

struct lmtp_txn {
	char mail_from[LMTP_PATH_MAX + 1];
	bool has_size;
	uint64_t size;
	enum lmtp_body body;
	struct lmtp_rcpt *rcpts;
	unsigned int nrcpts;
	struct spool *msg; /* the unstuffed message, after DATA */
};

struct lmtp_backend {
	void *ctx;
	/*
	 * Decide about one recipient at RCPT time.  CASIER_OK accepts it
	 * and *plan_r (may stay NULL) is kept with the recipient.
	 */
	void (*rcpt)(void *ctx, const struct lmtp_txn *txn, const char *path,
		     void **plan_r, struct casier_result *res_r);
	/* Deliver txn->msg; set every txn->rcpts[i].result. */
	void (*deliver)(void *ctx, struct lmtp_txn *txn);
	void (*plan_free)(void *ctx, void *plan);
};

/* The one place an outcome becomes an SMTP/LMTP reply code. */
int lmtp_reply_code(const struct casier_result *res);

/*
 * Run a session on fd until QUIT, EOF, an I/O error, the idle timeout or
 * a stop request.  Does not close fd.  Returns 0 after QUIT or stop,
 * -1 otherwise (logged).
 */
int lmtp_session_run(int fd, const struct lmtp_server_config *cfg,
		     const struct lmtp_backend *backend);

#endif

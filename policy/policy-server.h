/*
 * policy-server.h - the UNIX-socket server of casier-policyd.
 */
#ifndef CASIER_POLICY_SERVER_H
#define CASIER_POLICY_SERVER_H

#include "policy-decide.h"

#include <signal.h>

struct policy_server_config {
	const char *socket_path;
	unsigned int max_connections;
	long long request_timeout; /* seconds for a started request */
	long long idle_timeout;	   /* seconds between requests */
	const struct policy_settings *settings;
	const struct policy_store *store;
	/* called after a BLOCK outcome with the request's sasl_username (may
	 * be NULL); the hook may be NULL */
	void (*on_block)(const char *sasl_username);
};

/*
 * Listen on cfg->socket_path (replacing a stale socket, mode 0666) and
 * serve until *stop becomes non-zero.  One thread per connection, at
 * most max_connections at once (further clients wait in the listen
 * backlog).  Returns 0 after a stop once every connection thread has
 * finished, 1 when some still run after 30 s, -1 when the socket cannot
 * be set up.
 */
int policy_server_run(const struct policy_server_config *cfg,
		      volatile sig_atomic_t *stop);

#endif

/*
 * jobs.h - the privileged-side job consumer (table mail_job): the web
 * manager never touches the mail store; it files jobs that deliverd,
 * running as the mail uid, carries out.
 */
#ifndef CASIER_JOBS_H
#define CASIER_JOBS_H

#include "casier.h"

#include <signal.h>

/*
 * Remove <root>/<domain>/<username>/ without following symbolic links
 * and without leaving the root: names are validated, every directory is
 * opened with O_NOFOLLOW relative to its parent.  0 when removed or
 * absent; -1 with *error_r (static text) otherwise.
 */
int jobs_mailbox_remove(const char *root, const char *domain,
			const char *username, const char **error_r);

struct jobs_params {
	const char *conninfo;
	const char *mail_root;
	int interval_s; /* poll even without a notification */
	volatile sig_atomic_t *stopping;
};

/* Thread body: LISTEN casier_mail_job and process jobs until stopping. */
void *jobs_thread(void *params);

#endif

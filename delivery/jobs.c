/*
 * jobs.c - carries out mail_job rows of kind 'mailbox.delete' (DESIGN
 * section 9: a deleted account's mail is gone within 10 s).
 *
 * Runs in a thread of casier-deliverd, as the mail uid that owns the
 * mail store, with its own PostgreSQL connection (LISTEN needs one).
 * A job is claimed with FOR UPDATE SKIP LOCKED and a lease (not_before
 * pushed out with exponential backoff), so several deliverd hosts can
 * share the table and a failed job is retried later; success sets
 * done_at, failure records last_error.  'vacation.sync' jobs are left
 * pending for their own consumer.  The removal never follows a symbolic
 * link and never leaves the mail root.
 */
#include "jobs.h"
#include "log.h"
#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define JOBS_MAX_DEPTH 32

static bool
name_ok(const char *s, bool domain)
{
	size_t len = strlen(s);

	if (len == 0 || len > 253 || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (domain && (c == '-' || c == '.') &&
		    !(c == '.' && s[i + 1] == '.'))
			continue;
		return false;
	}
	return true;
}

/* Remove everything inside the directory dfd (then closed), recursively. */
static int
remove_tree_fd(int dfd, unsigned int depth, const char **error_r)
{
	DIR *dir;
	struct dirent *de;
	int ret = 0;

	if (depth > JOBS_MAX_DEPTH) {
		(void)close(dfd);
		*error_r = "directory tree too deep";
		return -1;
	}
	dir = fdopendir(dfd);
	if (dir == NULL) {
		(void)close(dfd);
		*error_r = "cannot read a directory";
		return -1;
	}
	while ((de = readdir(dir)) != NULL) {
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) <
		    0) {
			if (errno == ENOENT)
				continue;
			*error_r = "cannot stat an entry";
			ret = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			int sub = openat(dirfd(dir), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					     O_CLOEXEC);

			if (sub < 0 ||
			    remove_tree_fd(sub, depth + 1, error_r) < 0) {
				if (sub < 0)
					*error_r = "cannot open a directory";
				ret = -1;
				break;
			}
			if (unlinkat(dirfd(dir), de->d_name, AT_REMOVEDIR) <
				0 &&
			    errno != ENOENT) {
				*error_r = "cannot remove a directory";
				ret = -1;
				break;
			}
		} else if (unlinkat(dirfd(dir), de->d_name, 0) < 0 &&
			   errno != ENOENT) {
			/* files and symlinks alike: the link itself goes */
			*error_r = "cannot remove a file";
			ret = -1;
			break;
		}
	}
	(void)closedir(dir);
	return ret;
}

int
jobs_mailbox_remove(const char *root, const char *domain, const char *username,
		    const char **error_r)
{
	int rootfd, domfd = -1, userfd;
	struct stat st;
	char tmpname[300];
	int ret = -1;

	*error_r = "";
	if (!name_ok(domain, true) || !name_ok(username, false)) {
		*error_r = "invalid domain or username";
		return -1;
	}
	rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		*error_r = "cannot open the mail root";
		return -1;
	}
	domfd = openat(rootfd, domain,
		       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (domfd < 0) {
		if (errno == ENOENT) {
			ret = 0; /* nothing was ever delivered */
		} else {
			*error_r = errno == ELOOP || errno == ENOTDIR
				       ? "domain directory is not a "
					 "directory"
				       : "cannot open the domain directory";
		}
		goto out;
	}
	if (fstatat(domfd, username, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			ret = 0;
		else
			*error_r = "cannot stat the mailbox";
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		/* a symlink or a file where the mailbox was: remove the
		 * entry itself, never what it points to */
		if (unlinkat(domfd, username, 0) < 0)
			*error_r = "cannot remove the mailbox entry";
		else
			ret = 0;
		goto out;
	}
	/* Take it out of Dovecot's sight first, then remove at leisure. */
	if (casier_snprintf(tmpname, sizeof(tmpname), ".deleting.%s",
			    username) < 0 ||
	    renameat(domfd, username, domfd, tmpname) < 0) {
		*error_r = "cannot rename the mailbox";
		goto out;
	}
	userfd = openat(domfd, tmpname,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (userfd < 0) {
		*error_r = "cannot open the mailbox";
		goto out;
	}
	if (remove_tree_fd(userfd, 0, error_r) < 0)
		goto out;
	if (unlinkat(domfd, tmpname, AT_REMOVEDIR) < 0) {
		*error_r = "cannot remove the mailbox directory";
		goto out;
	}
	ret = 0;
out:
	if (domfd >= 0)
		(void)close(domfd);
	(void)close(rootfd);
	return ret;
}

static const char claim_sql[] =
    "UPDATE mail_job SET attempts = attempts + 1,"
    " not_before = now() + least(interval '1 hour',"
    "   interval '5 seconds' * power(2, least(attempts, 20)))"
    " WHERE id = (SELECT id FROM mail_job WHERE done_at IS NULL"
    "   AND kind = 'mailbox.delete' AND not_before <= now()"
    "   ORDER BY id FOR UPDATE SKIP LOCKED LIMIT 1)"
    " RETURNING id, username, domain_name, attempts,"
    "   EXISTS (SELECT 1 FROM account a"
    "           WHERE a.username = mail_job.username)";

/* Claim and run one job. 1 = did one, 0 = none pending, -1 = db trouble */
static int
jobs_one(PGconn *pg, const char *mail_root)
{
	PGresult *res =
	    PQexecParams(pg, claim_sql, 0, NULL, NULL, NULL, NULL, 0);
	const char *params[2];
	const char *error = "";
	char id[24];
	int ok;

	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		log_error("jobs: claim failed: %s", PQerrorMessage(pg));
		PQclear(res);
		return -1;
	}
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	(void)casier_snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	if (PQgetvalue(res, 0, 4)[0] == 't') {
		/* never delete the mail of an account that exists */
		error = "the account still exists";
		ok = -1;
	} else {
		ok = jobs_mailbox_remove(mail_root, PQgetvalue(res, 0, 2),
					 PQgetvalue(res, 0, 1), &error);
	}
	if (ok == 0)
		log_info("jobs: job %s: removed mailbox of %s@%s", id,
			 PQgetvalue(res, 0, 1), PQgetvalue(res, 0, 2));
	else
		log_warning("jobs: job %s (attempt %s): %s; will retry", id,
			    PQgetvalue(res, 0, 3), error);
	PQclear(res);
	params[0] = id;
	params[1] = error;
	res = PQexecParams(pg,
			   ok == 0 ? "UPDATE mail_job SET done_at = now(),"
				     " last_error = NULL WHERE id = $1"
				   : "UPDATE mail_job SET last_error = $2"
				     " WHERE id = $1",
			   ok == 0 ? 1 : 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_error("jobs: cannot record job %s: %s", id,
			  PQerrorMessage(pg));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	return 1;
}

void *
jobs_thread(void *arg)
{
	const struct jobs_params *p = arg;
	PGconn *pg = NULL;

	while (!*p->stopping) {
		struct pollfd pfd;
		PGnotify *n;
		int r, waited = 0;

		if (pg == NULL || PQstatus(pg) != CONNECTION_OK) {
			PGresult *res;

			if (pg != NULL)
				PQfinish(pg);
			pg = PQconnectdb(p->conninfo);
			res = PQstatus(pg) == CONNECTION_OK
				  ? PQexecParams(pg, "LISTEN casier_mail_job",
						 0, NULL, NULL, NULL, NULL, 0)
				  : NULL;
			if (res == NULL ||
			    PQresultStatus(res) != PGRES_COMMAND_OK) {
				log_warning("jobs: database unavailable, "
					    "retrying: %s",
					    PQerrorMessage(pg));
				PQclear(res);
				PQfinish(pg);
				pg = NULL;
				for (int i = 0; i < 5 && !*p->stopping; i++)
					(void)sleep(1);
				continue;
			}
			PQclear(res);
		}
		while (!*p->stopping && (r = jobs_one(pg, p->mail_root)) > 0)
			;
		if (*p->stopping)
			break;
		/* wait for a notification or the interval, waking every
		 * second to notice a stop request */
		pfd.fd = PQsocket(pg);
		pfd.events = POLLIN;
		while (!*p->stopping && waited < p->interval_s * 1000) {
			r = poll(&pfd, 1, 1000);
			if (r > 0)
				break;
			waited += 1000;
		}
		if (PQconsumeInput(pg) == 0) {
			PQfinish(pg);
			pg = NULL;
			continue;
		}
		while ((n = PQnotifies(pg)) != NULL)
			PQfreemem(n);
	}
	if (pg != NULL)
		PQfinish(pg);
	return NULL;
}

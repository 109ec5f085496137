/*
 * job-vacation.c - install or remove an account's vacation Sieve script.
 *
 * Called by casier-deliverd's mail_job loop and by casier-vacation-sync
 * for 'vacation.sync' jobs (see job-vacation.h).  Runs as the mail uid
 * (vmail), which owns the mail store; it never runs as root (the CLI drops
 * privileges first) so every file it creates belongs to vmail.
 *
 * Failure handling: database and file-system errors are TEMPFAIL (the job
 * is retried and the old script, if any, stays in place).  A stored form
 * that cannot be rendered or does not compile is PERMFAIL; then the old
 * script is removed, so nobody receives a reply that no longer matches
 * the form.  The script is written to a temporary file in the same
 * directory, fsync'ed, validated and compiled with sievec (whose exit
 * status is not trusted alone: it exits 0 when saving the binary failed,
 * so the binary must exist), then the binary and the script are renamed
 * into place and the directory is fsync'ed.
 */
#include "job-vacation.h"

#include "log.h"
#include "sieve-vacation.h"
#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PATH_MAX_LEN 4096

struct vacation_paths {
	char domain_dir[PATH_MAX_LEN];
	char home[PATH_MAX_LEN];
	char dir[PATH_MAX_LEN];
	char script[PATH_MAX_LEN];
	char binary[PATH_MAX_LEN];
	char tmp_script[PATH_MAX_LEN];
	char tmp_binary[PATH_MAX_LEN];
};

/* Usernames per sql/001_core.sql: ^[a-z][a-z0-9]{1,15}[0-9]{4,}$. */
static bool
username_safe(const char *s)
{
	size_t i, len = strlen(s);

	if (len < 6 || len > 64 || s[0] < 'a' || s[0] > 'z')
		return false;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	}
	return true;
}

/* A lower-case DNS name: never '/', never a leading dot, no "..". */
static bool
domain_safe(const char *s)
{
	size_t i, len = strlen(s);

	if (len < 3 || len > 253 || s[0] == '.' || s[0] == '-' ||
	    strstr(s, "..") != NULL)
		return false;
	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '-'))
			return false;
	}
	return true;
}

static int
paths_make(struct vacation_paths *p, const char *mail_root, const char *domain,
	   const char *username)
{
	long pid = (long)getpid();

	if (casier_snprintf(p->domain_dir, sizeof(p->domain_dir), "%s/%s",
			    mail_root, domain) < 0 ||
	    casier_snprintf(p->home, sizeof(p->home), "%s/%s/%s", mail_root,
			    domain, username) < 0 ||
	    casier_snprintf(p->dir, sizeof(p->dir), "%s/" JOB_VACATION_DIR,
			    p->home) < 0 ||
	    casier_snprintf(p->script, sizeof(p->script),
			    "%s/" JOB_VACATION_SCRIPT, p->dir) < 0 ||
	    casier_snprintf(p->binary, sizeof(p->binary),
			    "%s/" JOB_VACATION_BINARY, p->dir) < 0 ||
	    casier_snprintf(p->tmp_script, sizeof(p->tmp_script),
			    "%s/.tmp-%ld-vacation.sieve", p->dir, pid) < 0 ||
	    casier_snprintf(p->tmp_binary, sizeof(p->tmp_binary),
			    "%s/.tmp-%ld-vacation.svbin", p->dir, pid) < 0)
		return -1;
	return 0;
}

static int
fsync_dir(const char *dir)
{
	int fd, ret;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	(void)close(fd);
	return ret;
}

static int
fsync_file(const char *path)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = fsync(fd);
	(void)close(fd);
	return ret;
}

static int
unlink_if_exists(const char *path)
{
	if (unlink(path) < 0 && errno != ENOENT)
		return -1;
	return 0;
}

/* Remove the script and its binary; absent files are fine. */
static enum casier_status
script_remove(const struct vacation_paths *p, struct casier_result *res,
	      const char *why)
{
	struct stat st;

	if (unlink_if_exists(p->script) < 0 ||
	    unlink_if_exists(p->binary) < 0) {
		log_error("vacation: cannot remove %s: %s", p->script,
			  strerror(errno));
		casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
				  "cannot remove the vacation script");
		return res->status;
	}
	if (stat(p->dir, &st) == 0 && fsync_dir(p->dir) < 0) {
		casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
				  "cannot sync the vacation directory");
		return res->status;
	}
	casier_result_set(res, CASIER_OK, NULL, "%s", why);
	return res->status;
}

static int
mkdir_if_missing(const char *path)
{
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
write_file(const char *path, const char *data, size_t len)
{
	size_t off = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	while (off < len) {
		n = write(fd, data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail;
	return close(fd);
fail:
	(void)close(fd);
	(void)unlink(path);
	return -1;
}

/*
 * Run sievec on the temporary script.  1 when it compiled (exit 0 AND a
 * non-empty binary exists), 0 when the script was refused, -1 when the
 * compiler could not be run.
 */
static int
sievec_run(const struct job_vacation_settings *set,
	   const struct vacation_paths *p)
{
	const char *argv[8];
	struct stat st;
	int status, devnull, i = 0;
	pid_t pid;

	argv[i++] = set->sievec;
	if (set->sievec_config != NULL && set->sievec_config[0] != '\0') {
		argv[i++] = "-c";
		argv[i++] = set->sievec_config;
	}
	argv[i++] = p->tmp_script;
	argv[i++] = p->tmp_binary;
	argv[i] = NULL;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		devnull = open("/dev/null", O_RDWR);
		if (devnull >= 0) {
			(void)dup2(devnull, STDIN_FILENO);
			(void)dup2(devnull, STDOUT_FILENO);
			(void)dup2(devnull, STDERR_FILENO);
		}
		execv(set->sievec, (char *const *)argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) == 127 ||
	    WEXITSTATUS(status) == 75)
		return -1; /* not run, crashed, or EX_TEMPFAIL */
	if (WEXITSTATUS(status) != 0)
		return 0;
	if (stat(p->tmp_binary, &st) < 0 || st.st_size == 0)
		return -1; /* compiled but not saved: I/O trouble */
	return 1;
}

/* Split the newline-separated address list in place. */
static size_t
split_addresses(char *list, const char **out, size_t max)
{
	size_t n = 0;
	char *p = list, *nl;

	while (*p != '\0' && n < max) {
		nl = strchr(p, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (*p != '\0')
			out[n++] = p;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return n;
}

static enum casier_status
script_install(const struct job_vacation_settings *set,
	       const struct vacation_paths *p, const struct str *script,
	       struct casier_result *res)
{
	int ret;

	if (mkdir_if_missing(p->domain_dir) < 0 ||
	    mkdir_if_missing(p->home) < 0 || mkdir_if_missing(p->dir) < 0) {
		log_error("vacation: cannot create %s: %s", p->dir,
			  strerror(errno));
		casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
				  "cannot create the vacation directory");
		return res->status;
	}
	/* leftovers of a crashed run of this pid */
	(void)unlink_if_exists(p->tmp_script);
	(void)unlink_if_exists(p->tmp_binary);
	if (write_file(p->tmp_script, script->data, script->len) < 0) {
		log_error("vacation: cannot write %s: %s", p->tmp_script,
			  strerror(errno));
		casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
				  "cannot write the vacation script");
		return res->status;
	}
	ret = sievec_run(set, p);
	if (ret <= 0) {
		(void)unlink(p->tmp_script);
		(void)unlink_if_exists(p->tmp_binary);
		if (ret < 0) {
			log_error("vacation: cannot run %s on %s", set->sievec,
				  p->tmp_script);
			casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
					  "cannot compile the vacation script");
			return res->status;
		}
		log_error("vacation: %s refused the script for %s", set->sievec,
			  p->home);
		(void)script_remove(p, res, "refused");
		if (res->status != CASIER_OK)
			return res->status;
		casier_result_set(res, CASIER_PERMFAIL, "5.3.0",
				  "the vacation script does not compile");
		return res->status;
	}
	/*
	 * Binary first: during the gap Dovecot sees the new binary, newer
	 * than the old script, and uses it -- the new text either way.
	 */
	if (fsync_file(p->tmp_binary) < 0 ||
	    rename(p->tmp_binary, p->binary) < 0 ||
	    rename(p->tmp_script, p->script) < 0 || fsync_dir(p->dir) < 0) {
		log_error("vacation: cannot install %s: %s", p->script,
			  strerror(errno));
		(void)unlink_if_exists(p->tmp_script);
		(void)unlink_if_exists(p->tmp_binary);
		casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
				  "cannot install the vacation script");
		return res->status;
	}
	casier_result_set(res, CASIER_OK, NULL, "installed");
	return res->status;
}

/* Parameterised SQL on a bare connection, classified as db.h does. */
static enum casier_lookup
job_sql(PGconn *pg, const char *sql, int nparams, const char *const *params,
	PGresult **res_r, struct db_error *err_r)
{
	ExecStatusType st;
	PGresult *r;

	r = PQexecParams(pg, sql, nparams, NULL, params, NULL, NULL, 0);
	st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		db_error_classify(pg, r, err_r);
		PQclear(r);
		*res_r = NULL;
		return CASIER_LOOKUP_ERROR;
	}
	*res_r = r;
	return st == PGRES_TUPLES_OK && PQntuples(r) == 0 ? CASIER_ABSENT
							  : CASIER_FOUND;
}

enum casier_status
job_vacation_sync(PGconn *pg, const struct job_vacation_settings *set,
		  const char *username, const char *domain,
		  struct casier_result *res)
{
	const char *params[1] = {username};
	const char *addresses[SIEVE_VACATION_ADDRESSES_MAX];
	struct sieve_vacation vac;
	struct vacation_paths *paths = NULL;
	enum sieve_vacation_field field;
	enum casier_lookup found;
	struct db_error err;
	struct str script;
	const char *error, *dname;
	char *list = NULL;
	PGresult *pres = NULL;
	long long interval;

	str_init(&script, SIEVE_VACATION_SCRIPT_MAX);
	if (!username_safe(username)) {
		casier_result_set(res, CASIER_PERMFAIL, "5.1.3",
				  "bad username in the job");
		goto out;
	}
	found = job_sql(pg,
			"SELECT domain_name, address, has_vacation, "
			"active, subject, body, start_date, end_date, "
			"interval_days, addresses "
			"FROM vacation_sync_info($1)",
			1, params, &pres, &err);
	if (found == CASIER_LOOKUP_ERROR) {
		log_error("vacation: %s: database: %s", username, err.message);
		casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
				  "database unavailable");
		goto out;
	}
	dname = found == CASIER_FOUND ? PQgetvalue(pres, 0, 0) : domain;
	if (dname == NULL || !domain_safe(dname)) {
		casier_result_set(res, CASIER_PERMFAIL, "5.1.2",
				  "bad domain in the job");
		goto out;
	}
	paths = malloc(sizeof(*paths));
	if (paths == NULL ||
	    paths_make(paths, set->mail_root, dname, username) < 0) {
		casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
				  "path too long or out of memory");
		goto out;
	}
	if (found == CASIER_ABSENT) {
		(void)script_remove(paths, res, "account gone");
		goto out;
	}
	if (strcmp(PQgetvalue(pres, 0, 2), "t") != 0 ||
	    strcmp(PQgetvalue(pres, 0, 3), "t") != 0) {
		(void)script_remove(paths, res, "no active vacation");
		goto out;
	}

	list = strdup(PQgetvalue(pres, 0, 9));
	if (list == NULL) {
		casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
				  "out of memory");
		goto out;
	}
	memset(&vac, 0, sizeof(vac));
	vac.subject = PQgetvalue(pres, 0, 4);
	vac.body = PQgetvalue(pres, 0, 5);
	vac.start_date =
	    PQgetisnull(pres, 0, 6) ? NULL : PQgetvalue(pres, 0, 6);
	vac.end_date = PQgetisnull(pres, 0, 7) ? NULL : PQgetvalue(pres, 0, 7);
	vac.interval_days =
	    (unsigned int)strtoul(PQgetvalue(pres, 0, 8), NULL, 10);
	if (set->seconds_per_day != 86400) {
		/* test mode; both factors are bounded (365 * 86400) */
		interval = (long long)vac.interval_days * set->seconds_per_day;
		vac.interval_seconds = (unsigned int)interval;
	}
	vac.from = PQgetvalue(pres, 0, 1);
	vac.addresses = addresses;
	vac.naddresses =
	    split_addresses(list, addresses, CASIER_ARRAY_LEN(addresses));

	if (sieve_vacation_script(&vac, &script, &error, &field) < 0) {
		log_error("vacation: %s: stored form refused (%s: %s)",
			  username, sieve_vacation_field_name(field), error);
		(void)script_remove(paths, res, "refused");
		if (res->status == CASIER_OK)
			casier_result_set(res, CASIER_PERMFAIL, "5.3.0",
					  "vacation form refused: %s", error);
		goto out;
	}
	(void)script_install(set, paths, &script, res);
out:
	if (res->status == CASIER_OK)
		log_info("vacation: %s: %s", username, res->text);
	PQclear(pres);
	free(list);
	free(paths);
	str_free(&script);
	return res->status;
}

static void
job_rollback(PGconn *pg)
{
	PQclear(PQexecParams(pg, "ROLLBACK", 0, NULL, NULL, NULL, NULL, 0));
}

int
job_vacation_run_pending(PGconn *pg, const struct job_vacation_settings *set,
			 unsigned int max, struct casier_result *res)
{
	struct casier_result jres;
	struct db_error err;
	PGresult *pres;
	enum casier_lookup found;
	unsigned int done = 0, retry = 0;
	const char *params[3];
	char *id, *username, *domain;

	while (done < max) {
		if (job_sql(pg, "BEGIN", 0, NULL, &pres, &err) ==
		    CASIER_LOOKUP_ERROR)
			goto db_fail;
		PQclear(pres);
		found =
		    job_sql(pg,
			    "SELECT id, username, domain_name FROM mail_job "
			    "WHERE kind = 'vacation.sync' AND done_at IS NULL "
			    "AND not_before <= now() ORDER BY id LIMIT 1 "
			    "FOR UPDATE SKIP LOCKED",
			    0, NULL, &pres, &err);
		if (found == CASIER_LOOKUP_ERROR) {
			job_rollback(pg);
			goto db_fail;
		}
		if (found == CASIER_ABSENT) {
			PQclear(pres);
			if (job_sql(pg, "COMMIT", 0, NULL, &pres, &err) ==
			    CASIER_LOOKUP_ERROR)
				goto db_fail;
			PQclear(pres);
			break;
		}
		id = strdup(PQgetvalue(pres, 0, 0));
		username = strdup(PQgetvalue(pres, 0, 1));
		domain = strdup(PQgetvalue(pres, 0, 2));
		PQclear(pres);
		if (id == NULL || username == NULL || domain == NULL) {
			free(id);
			free(username);
			free(domain);
			job_rollback(pg);
			casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
					  "out of memory");
			return -1;
		}
		if (job_vacation_sync(pg, set, username, domain, &jres) ==
		    CASIER_TEMPFAIL)
			retry++;
		params[0] = id;
		params[1] = jres.status == CASIER_OK ? NULL : jres.text;
		params[2] = jres.status == CASIER_TEMPFAIL ? "t" : "f";
		/* retry after 1, 2, ... 30 minutes on temporary trouble */
		found = job_sql(
		    pg,
		    "UPDATE mail_job SET attempts = attempts + 1, "
		    "last_error = $2, "
		    "done_at = CASE WHEN $3::boolean THEN NULL ELSE now() "
		    "END, "
		    "not_before = CASE WHEN $3::boolean THEN now() + "
		    "least(attempts + 1, 30) * interval '1 minute' "
		    "ELSE not_before END WHERE id = $1",
		    3, params, &pres, &err);
		free(id);
		free(username);
		free(domain);
		if (found == CASIER_LOOKUP_ERROR) {
			job_rollback(pg);
			goto db_fail;
		}
		PQclear(pres);
		if (job_sql(pg, "COMMIT", 0, NULL, &pres, &err) ==
		    CASIER_LOOKUP_ERROR)
			goto db_fail;
		PQclear(pres);
		done++;
	}
	if (retry > 0)
		casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
				  "%u jobs, %u to retry", done, retry);
	else
		casier_result_set(res, CASIER_OK, NULL, "%u jobs", done);
	return (int)done;
db_fail:
	log_error("vacation: job queue: %s", err.message);
	casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
			  "database unavailable");
	return -1;
}

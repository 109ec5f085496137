/*
 * job-vacation.h - the privileged side of vacation autoreplies.
 *
 * A 'vacation.sync' job in mail_job (filed by the triggers of
 * sql/040_vacation.sql on every vacation, alias, alias-domain or local
 * part change) asks to bring one account's vacation script in line with
 * the database.  job_vacation_sync() does it: it reads the state with
 * vacation_sync_info(), renders the script (sieve-vacation/), validates
 * it with sievec and installs it atomically as
 *   <mail_root>/<domain>/<username>/.casier/vacation.sieve
 * (plus its compiled .svbin), or removes it.  Dovecot runs that file
 * through `sieve_before = ~/.casier/vacation.sieve`, before and
 * independently of the user's own Sieve scripts, which are never touched.
 *
 * Runs as the mail uid (vmail): casier-deliverd's job loop, or the
 * stand-alone casier-vacation-sync (sieve-vacation/vacation-sync.c).
 *
 * Until casier-deliverd runs these jobs, casier-vacation-sync --listen
 * (started by tools/stack/start.d/45-vacation-sync.sh) consumes them.
 * DELIVERY ENGINEER, to take them over in delivery/jobs.c: claim kind
 * 'vacation.sync' too and call job_vacation_sync(pg, ...) with your
 * PGconn (the job's payload is unused: the job reads the current state,
 * so it is idempotent); mark the job done on CASIER_OK and
 * CASIER_PERMFAIL (keeping res.text in last_error), retry later on
 * CASIER_TEMPFAIL.  Add JOB_VACATION_CONFIG_KEYS() to your config table,
 * delivery/job-vacation.c to your sources, $(VACATION_CPPFLAGS) to your
 * CPPFLAGS and $(VACATION_LIBS) before libcasier.a in your LDADD; then
 * drop start.d/45-vacation-sync.sh.  Both may run at once meanwhile.
 */
#ifndef CASIER_JOB_VACATION_H
#define CASIER_JOB_VACATION_H

#include "casier.h"
#include "db.h"

/* Where the script lives, relative to the account's home. */
#define JOB_VACATION_DIR    ".casier"
#define JOB_VACATION_SCRIPT "vacation.sieve"
#define JOB_VACATION_BINARY "vacation.svbin"

struct job_vacation_settings {
	char *mail_root; /* [paths] mail_root */
	char *sievec;	 /* [vacation] sievec: compiler used to validate */
	char
	    *sievec_config; /* [vacation] sievec_config: its -c file, or NULL */
	/*
	 * [vacation] seconds_per_day: 86400 in production.  Test stacks set
	 * a small value: the interval then becomes ":seconds days * N"
	 * (Pigeonhole's vacation-seconds extension must be enabled).
	 */
	long long seconds_per_day;
};

/*
 * Config keys for struct job_vacation_settings stored as member `m` of the
 * caller's config struct `cfg_type` (see casier-config.h); mail_root is read
 * from [paths] as a shared key.
 */
#define JOB_VACATION_CONFIG_KEYS(cfg_type, m)                                  \
	{.section = "paths",                                                   \
	 .name = "mail_root",                                                  \
	 .type = CONFIG_STRING,                                                \
	 .offset = offsetof(cfg_type, m.mail_root),                            \
	 .required = true,                                                     \
	 .shared = true},                                                      \
	    {.section = "vacation",                                            \
	     .name = "sievec",                                                 \
	     .type = CONFIG_STRING,                                            \
	     .offset = offsetof(cfg_type, m.sievec),                           \
	     .default_value = "/usr/bin/sievec"},                              \
	    {.section = "vacation",                                            \
	     .name = "sievec_config",                                          \
	     .type = CONFIG_STRING,                                            \
	     .offset = offsetof(cfg_type, m.sievec_config)},                   \
	{                                                                      \
		.section = "vacation", .name = "seconds_per_day",              \
		.type = CONFIG_INT,                                            \
		.offset = offsetof(cfg_type, m.seconds_per_day),               \
		.default_value = "86400", .min = 1, .max = 86400               \
	}

/*
 * Make the account's vacation script match the database.  domain is the
 * job's domain_name, used only when the account no longer exists.
 * Returns res->status: CASIER_OK (done), CASIER_TEMPFAIL (database or
 * file-system trouble: retry later), CASIER_PERMFAIL (the stored form
 * cannot be rendered or does not compile; any old script was removed so
 * no stale reply goes out).  res->text says why.
 */
enum casier_status job_vacation_sync(PGconn *pg,
				     const struct job_vacation_settings *set,
				     const char *username, const char *domain,
				     struct casier_result *res);

/*
 * Process the pending 'vacation.sync' jobs one by one (each claimed with
 * FOR UPDATE SKIP LOCKED, so several workers may run), up to max jobs.
 * For casier-vacation-sync; casier-deliverd uses its own loop.  Returns
 * the number of jobs handled (res TEMPFAIL when some must be retried), or
 * -1 with res set on a database error.
 */
int job_vacation_run_pending(PGconn *pg,
			     const struct job_vacation_settings *set,
			     unsigned int max, struct casier_result *res);

#endif

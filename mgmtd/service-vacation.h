/*
 * service-vacation.h - vacation autoreplies in the service layer of
 * casier-mgmtd (DESIGN sections 5 and 9), shared by the JSON API
 * (api-vacation.c) and the page (page-vacation.c).
 *
 * The web manager only writes the vacation table; the triggers of
 * sql/040_vacation.sql file the vacation.sync job that the privileged
 * side (delivery/job-vacation.c) turns into the Sieve script.  Validation
 * is sieve-vacation/'s, so a form accepted here always renders.
 */
#ifndef CASIER_MGMTD_SERVICE_VACATION_H
#define CASIER_MGMTD_SERVICE_VACATION_H

#include "service.h"

#define SVC_VACATION_INTERVAL_DEFAULT 7

struct svc_vacation {
	bool exists; /* false: the account has no vacation */
	char username[SVC_USERNAME_MAX + 1];
	char address[SVC_ADDRESS_MAX + 1];
	char subject[1000];
	char *body;	/* malloc'ed; NULL when !exists */
	char start[11]; /* "YYYY-MM-DD" or "" */
	char end[11];
	long long interval_days;
	bool active;
	char state[12]; /* "active", "scheduled", "expired", "off" */
};

struct svc_vacation_input {
	const char *subject; /* required (the body's "Subject:" line wins) */
	const char *body;    /* required */
	const char *start;   /* "YYYY-MM-DD", NULL or "" = none */
	const char *end;
	bool has_interval;
	long long interval_days; /* 1..365, default 7 */
};

/* The account's vacation (exists false when none); 404 for the account. */
int svc_vacation_get(const struct svc *svc, const struct svc_identity *id,
		     const char *username, struct svc_vacation *out_r,
		     struct svc_result *res);
/*
 * Create or replace the account's vacation.  Compatibility with the old
 * manager (manual section 3.3): a body whose first line is "Subject: ..."
 * sets the subject and loses that line.  A field that fails -> 422 with
 * field "subject", "body", "start", "end" or "interval_days" (CR/LF or
 * another control character in the subject is such a failure).
 */
int svc_vacation_set(const struct svc *svc, const struct svc_identity *id,
		     const char *username, const struct svc_vacation_input *in,
		     struct svc_result *res);
/* Remove it (the script goes with it); 404 when there is none. */
int svc_vacation_delete(const struct svc *svc, const struct svc_identity *id,
			const char *username, struct svc_result *res);
void svc_vacation_free(struct svc_vacation *v);

/*
 * Validate and normalise a form without the database (pure; unit-tested):
 * fills *subject_r (malloc'ed) and *body_r (points into in->body).
 */
int svc_vacation_validate(const struct svc_vacation_input *in, char **subject_r,
			  const char **body_r, struct svc_result *res);

#endif

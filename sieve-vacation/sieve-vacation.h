/*
 * sieve-vacation.h - turn a vacation form into an RFC 5230 Sieve script.
 *
 * Pure logic, no I/O: the web manager validates a form with
 * sieve_vacation_check() (a failure is a 422 with the field named), and
 * the privileged job (delivery/job-vacation.c) renders the script with
 * sieve_vacation_script() and installs it as a sieve_before script.
 *
 * Every text that reaches the script is validated (UTF-8, no control
 * characters where a header is made from it) and escaped: quoted strings
 * escape '\' and '"' (RFC 5228 section 2.4.2), the body is a text: block
 * with dot-stuffing (RFC 5228 section 2.4.2, multi-line).
 */
#ifndef CASIER_SIEVE_VACATION_H
#define CASIER_SIEVE_VACATION_H

#include "casier.h"
#include "str.h"

/* Limits shared with the vacation table (sql/001_core.sql). */
#define SIEVE_VACATION_SUBJECT_MAX   998    /* bytes, RFC 5322 line limit */
#define SIEVE_VACATION_BODY_MAX	     100000 /* bytes */
#define SIEVE_VACATION_INTERVAL_MIN  1	    /* days */
#define SIEVE_VACATION_INTERVAL_MAX  365
#define SIEVE_VACATION_ADDRESSES_MAX 1000
#define SIEVE_VACATION_ADDRESS_MAX   320
/* Scripts stay far below this; it bounds a hostile input. */
#define SIEVE_VACATION_SCRIPT_MAX (2 * SIEVE_VACATION_BODY_MAX + 1024 * 1024)

/* Which input failed, for the API's error "field". */
enum sieve_vacation_field {
	SIEVE_VACATION_FIELD_NONE,
	SIEVE_VACATION_FIELD_SUBJECT,
	SIEVE_VACATION_FIELD_BODY,
	SIEVE_VACATION_FIELD_START,
	SIEVE_VACATION_FIELD_END,
	SIEVE_VACATION_FIELD_INTERVAL,
	SIEVE_VACATION_FIELD_FROM,
	SIEVE_VACATION_FIELD_ADDRESSES,
};

struct sieve_vacation {
	const char *subject;	/* UTF-8, one line; "" lets Pigeonhole choose */
	const char *body;	/* UTF-8 text, LF or CRLF line ends */
	const char *start_date; /* "YYYY-MM-DD" or NULL: from that day on */
	const char *end_date;	/* "YYYY-MM-DD" or NULL: through that day */
	unsigned int interval_days; /* 1..365 */
	/*
	 * Test mode: when > 0, use ":seconds N" (RFC 6131, Pigeonhole's
	 * vacation-seconds extension, which the Dovecot configuration must
	 * enable) instead of ":days".
	 */
	unsigned int interval_seconds;
	const char *from; /* the account's address: the reply's From */
	/* Every address of the account (RFC 5230 :addresses); may be 0. */
	const char *const *addresses;
	size_t naddresses;
};

/* The field's API name ("subject", "body", "start", ...); "" for NONE. */
const char *sieve_vacation_field_name(enum sieve_vacation_field field);

/*
 * Validate every input without rendering.  0 when the form is acceptable;
 * -1 with *error_r (static English text) and *field_r set otherwise.
 */
int sieve_vacation_check(const struct sieve_vacation *vac, const char **error_r,
			 enum sieve_vacation_field *field_r);

/*
 * Append the script to out (cleared first).  Same failures as
 * sieve_vacation_check(), plus "script too large" when out's maximum is
 * reached (field NONE).  On failure out is left empty.
 */
int sieve_vacation_script(const struct sieve_vacation *vac, struct str *out,
			  const char **error_r,
			  enum sieve_vacation_field *field_r);

/*
 * Compatibility with the old manager (manual section 3.3): a message
 * whose first line is "Subject: ..." (case-insensitive) carries its own
 * subject.  When body starts that way, returns 1, *subject_r is a
 * malloc'ed copy of the text after the colon (surrounding blanks
 * trimmed) and *rest_r points into body after that line (and after one
 * following empty line, the separator the old manager wrote).  Returns 0
 * when there is no such line (*subject_r NULL, *rest_r = body) and -1
 * when out of memory.  The extracted subject is not validated here.
 */
int sieve_vacation_split_subject(const char *body, char **subject_r,
				 const char **rest_r);

/* True when s is a real calendar date written "YYYY-MM-DD" (1970..9999). */
bool sieve_vacation_date_valid(const char *s);

/*
 * Status of a vacation on a given day (today as "YYYY-MM-DD"): "expired"
 * after end_date, "scheduled" before start_date, "active" otherwise.
 * Dates in this format compare as strings.
 */
const char *sieve_vacation_status(const char *start_date, const char *end_date,
				  const char *today);

#endif

/*
 * casier.h - shared outcome types for every Casier component.
 *
 * STYLE.md rule 4: every lookup has three outcomes and every operation
 * has OK / TEMPFAIL / PERMFAIL with a DSN and a text.  Anything that is
 * not a definite fact (database trouble, bad data, allocation failure)
 * is TEMPFAIL, so that mail is retried rather than bounced.
 */
#ifndef CASIER_H
#define CASIER_H

#include <stdbool.h>
#include <stddef.h>

#define CASIER_ATTR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define CASIER_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum casier_lookup {
	CASIER_FOUND,
	CASIER_ABSENT,
	CASIER_LOOKUP_ERROR,
};

enum casier_status {
	CASIER_OK,
	CASIER_TEMPFAIL,
	CASIER_PERMFAIL,
};

/* An outcome with its enhanced status code (RFC 3463) and a short text. */
struct casier_result {
	enum casier_status status;
	char dsn[12];	/* "2.0.0", "4.3.0", "5.1.1" */
	char text[256]; /* generic, safe to show to the peer */
};

void casier_result_set(struct casier_result *res, enum casier_status status,
		       const char *dsn, const char *fmt, ...)
	CASIER_ATTR_PRINTF(4, 5);

#endif

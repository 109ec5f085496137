/*
 * casier-config.h - the one INI-style configuration file (libinih).
 *
 * Each program describes the keys it reads with a table of struct
 * config_key that points into its own (const after load) struct.  All
 * programs share one file: sections that belong to other programs are
 * skipped (the list of known sections is in casier-config.c), but a section
 * name nobody knows, or an unknown key or a bad value in a section the
 * program owns, fails start-up with "file:line: reason".
 *
 * A program owns every section that appears in its key table, except
 * through keys marked .shared: those read one key of a section that
 * another program owns, without validating the rest of that section.
 * Known sections: database, log, paths, delivery, srs, policy, scan, web,
 * vacation, archive.
 */
#ifndef CASIER_CONFIG_H
#define CASIER_CONFIG_H

#include "casier.h"

enum config_type {
	CONFIG_STRING, /* char *, strdup'ed; default may be NULL */
	CONFIG_INT,    /* long long, within [min, max] */
	CONFIG_BOOL,   /* bool: yes/no/true/false/1/0/on/off */
	CONFIG_SIZE,   /* unsigned long long bytes: 10M, 4.7G (1024-based), 512k
			*/
	CONFIG_DURATION, /* long long seconds: 30s, 5m, 2h, 3d, plain = seconds
			  */
	CONFIG_ENUM,	 /* int: index of the value in .choices */
};

struct config_key {
	const char *section;
	const char *name;
	enum config_type type;
	size_t offset;		   /* offsetof(struct yours, field) */
	const char *default_value; /* parsed like a file value; NULL = none */
	long long min, max;	   /* INT/SIZE/DURATION bounds when min < max */
	bool required;
	bool shared; /* read from a section this program does not own */
	const char *const *choices; /* CONFIG_ENUM: NULL-terminated names */
};

/* Environment variable naming the configuration file. */
#define CONFIG_ENV "CASIER_CONFIG"

/*
 * The file to read when no -c option was given: $CASIER_CONFIG when set
 * and not empty, else CASIER_SYSCONFDIR "/casier.conf".
 */
const char *config_default_path(void);

/*
 * Apply defaults, then parse path.  Returns 0 on success; on failure -1
 * and error_r holds "path:line: reason" (line 0 for file-level trouble).
 */
int config_load(const char *path, const struct config_key *keys, size_t nkeys,
		void *target, char *error_r, size_t errsize);
/* Free the CONFIG_STRING fields of target. */
void config_free(const struct config_key *keys, size_t nkeys, void *target);

#endif

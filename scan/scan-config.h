/*
 * scan-config.h - the [scan] section of casier.conf for casier-milter.
 *
 * Loaded once at start-up into a struct that is const afterwards
 * (STYLE.md rule 3); see docs/scan.md for every key.
 */
#ifndef CASIER_SCAN_CONFIG_H
#define CASIER_SCAN_CONFIG_H

#include "casier.h"

/* What to do with a message the scanner could not give a verdict on. */
enum scan_policy {
	SCAN_POLICY_TEMPFAIL, /* 4xx: the client keeps the message, retries */
	SCAN_POLICY_REJECT,   /* 5xx: the client bounces it to its sender */
	SCAN_POLICY_ACCEPT,   /* deliver, marked as not scanned */
};

struct scan_config {
	/* raw values as read by config_load() */
	char *socket;	       /* libmilter connection spec */
	char *signatures_dir;  /* .ndb/.hdb/.cvd/... files for cl_load */
	char *tmp_dir;	       /* spill files and libclamav's own temp files */
	char *user;	       /* drop to this user when started as root */
	char *pid_file;	       /* written before dropping privileges */
	char *on_error_raw;    /* tempfail|reject|accept */
	char *on_oversize_raw; /* tempfail|reject|accept */
	char *header_value;    /* X-Virus-Scanned value on clean mail */
	bool add_header;
	bool heuristics; /* CL_SCAN_GENERAL_HEURISTICS (phishing, broken) */
	bool block_encrypted;		     /* alert on encrypted archives */
	unsigned long long max_message_size; /* larger: on_oversize */
	unsigned long long memory_buffer;    /* spill to a file beyond this */
	unsigned long long max_file_size;    /* per embedded file */
	long long max_recursion;
	long long max_files;
	long long max_scan_time;   /* seconds per message */
	long long reload_interval; /* seconds between mtime polls, 0 = off */
	long long milter_timeout;  /* seconds, smfi_settimeout */
	long long shutdown_grace;  /* seconds to let sessions finish */
	int log_level;		   /* [log] level: index of enum log_level */
	bool log_syslog;	   /* [log] syslog */

	/* derived by scan_config_finish() */
	enum scan_policy on_error;
	enum scan_policy on_oversize;
};

/* Apply defaults and read path.  0, or -1 with "file:line: reason". */
int scan_config_load(const char *path, struct scan_config *cfg, char *error_r,
		     size_t errsize);
/* Derive and cross-check fields after config_load(). 0 or -1 + reason. */
int scan_config_finish(struct scan_config *cfg, char *error_r, size_t errsize);
void scan_config_free(struct scan_config *cfg);

/* "tempfail" -> SCAN_POLICY_TEMPFAIL etc.  -1 when unknown. */
int scan_policy_parse(const char *text, enum scan_policy *policy_r);
const char *scan_policy_name(enum scan_policy policy);

#endif

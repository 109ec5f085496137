/*
 * scan-config.c - key table and checks for the [scan] section.
 *
 * Called once by casier-milter's main() (as root or as casier, before
 * any thread exists) and by the unit tests.  Fails with a
 * "file:line: reason" message; the caller exits non-zero, so a bad
 * configuration never runs a half-configured scanner.
 */
#include "scan-config.h"

#include "casier-config.h"
#include "str.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MIB "1048576"

/*
 * Defaults follow clamd/clamav-milter where that makes sense (25 MiB scan
 * size, 17 levels of recursion, 10000 files, 120 s) and the stack's
 * 50 MiB Postfix message_size_limit for max_message_size, so that the
 * oversize policy only matters when an operator raises the Postfix limit.
 */
/* The order of enum log_level (log.h). */
static const char *const log_levels[] = {"debug", "info", "warning", "error",
					 NULL};

static const struct config_key scan_keys[] = {
    /* [log] belongs to every program; read, not validated as a whole. */
    {.section = "log",
     .name = "level",
     .type = CONFIG_ENUM,
     .offset = offsetof(struct scan_config, log_level),
     .default_value = "info",
     .choices = log_levels,
     .shared = true},
    {.section = "log",
     .name = "syslog",
     .type = CONFIG_BOOL,
     .offset = offsetof(struct scan_config, log_syslog),
     .default_value = "no",
     .shared = true},
    {.section = "scan",
     .name = "socket",
     .type = CONFIG_STRING,
     .offset = offsetof(struct scan_config, socket),
     .required = true},
    {.section = "scan",
     .name = "signatures_dir",
     .type = CONFIG_STRING,
     .offset = offsetof(struct scan_config, signatures_dir),
     .default_value = "/var/lib/clamav"},
    {.section = "scan",
     .name = "tmp_dir",
     .type = CONFIG_STRING,
     .offset = offsetof(struct scan_config, tmp_dir),
     .default_value = "/var/tmp"},
    {.section = "scan",
     .name = "user",
     .type = CONFIG_STRING,
     .offset = offsetof(struct scan_config, user),
     .default_value = "casier"},
    {.section = "scan",
     .name = "pid_file",
     .type = CONFIG_STRING,
     .offset = offsetof(struct scan_config, pid_file)},
    {.section = "scan",
     .name = "on_error",
     .type = CONFIG_STRING,
     .offset = offsetof(struct scan_config, on_error_raw),
     .default_value = "tempfail"},
    {.section = "scan",
     .name = "on_oversize",
     .type = CONFIG_STRING,
     .offset = offsetof(struct scan_config, on_oversize_raw),
     .default_value = "accept"},
    {.section = "scan",
     .name = "add_header",
     .type = CONFIG_BOOL,
     .offset = offsetof(struct scan_config, add_header),
     .default_value = "yes"},
    {.section = "scan",
     .name = "header_value",
     .type = CONFIG_STRING,
     .offset = offsetof(struct scan_config, header_value),
     .default_value = "clean (casier-milter, libclamav)"},
    {.section = "scan",
     .name = "heuristics",
     .type = CONFIG_BOOL,
     .offset = offsetof(struct scan_config, heuristics),
     .default_value = "no"},
    {.section = "scan",
     .name = "block_encrypted",
     .type = CONFIG_BOOL,
     .offset = offsetof(struct scan_config, block_encrypted),
     .default_value = "no"},
    /* 4 GiB - 1: libclamav keeps several sizes in 32-bit fields. */
    {.section = "scan",
     .name = "max_message_size",
     .type = CONFIG_SIZE,
     .offset = offsetof(struct scan_config, max_message_size),
     .default_value = "50M",
     .min = 1024,
     .max = 4294967295LL},
    {.section = "scan",
     .name = "memory_buffer",
     .type = CONFIG_SIZE,
     .offset = offsetof(struct scan_config, memory_buffer),
     .default_value = "1M",
     .min = 0,
     .max = 4294967295LL},
    {.section = "scan",
     .name = "max_file_size",
     .type = CONFIG_SIZE,
     .offset = offsetof(struct scan_config, max_file_size),
     .default_value = "25M",
     .min = 1024,
     .max = 4294967295LL},
    {.section = "scan",
     .name = "max_recursion",
     .type = CONFIG_INT,
     .offset = offsetof(struct scan_config, max_recursion),
     .default_value = "17",
     .min = 1,
     .max = 100},
    {.section = "scan",
     .name = "max_files",
     .type = CONFIG_INT,
     .offset = offsetof(struct scan_config, max_files),
     .default_value = "10000",
     .min = 1,
     .max = 1000000},
    {.section = "scan",
     .name = "max_scan_time",
     .type = CONFIG_DURATION,
     .offset = offsetof(struct scan_config, max_scan_time),
     .default_value = "120s",
     .min = 1,
     .max = 3600},
    {.section = "scan",
     .name = "reload_interval",
     .type = CONFIG_DURATION,
     .offset = offsetof(struct scan_config, reload_interval),
     .default_value = "5s",
     .min = 0,
     .max = 3600},
    {.section = "scan",
     .name = "milter_timeout",
     .type = CONFIG_DURATION,
     .offset = offsetof(struct scan_config, milter_timeout),
     .default_value = "300s",
     .min = 1,
     .max = 3600},
    {.section = "scan",
     .name = "shutdown_grace",
     .type = CONFIG_DURATION,
     .offset = offsetof(struct scan_config, shutdown_grace),
     .default_value = "30s",
     .min = 0,
     .max = 600},
};

static const char *const policy_names[] = {
    [SCAN_POLICY_TEMPFAIL] = "tempfail",
    [SCAN_POLICY_REJECT] = "reject",
    [SCAN_POLICY_ACCEPT] = "accept",
};

int
scan_policy_parse(const char *text, enum scan_policy *policy_r)
{
	size_t i;

	if (text == NULL)
		return -1;
	for (i = 0; i < CASIER_ARRAY_LEN(policy_names); i++) {
		if (strcmp(text, policy_names[i]) == 0) {
			*policy_r = (enum scan_policy)i;
			return 0;
		}
	}
	return -1;
}

const char *
scan_policy_name(enum scan_policy policy)
{
	if ((size_t)policy >= CASIER_ARRAY_LEN(policy_names))
		return "?";
	return policy_names[policy];
}

static int
scan_config_fail(char *error_r, size_t errsize, const char *what,
		 const char *value)
{
	if (casier_snprintf(error_r, errsize, "[scan] %s: %s", what,
			    value != NULL ? value : "(unset)") < 0 &&
	    errsize > 0)
		error_r[0] = '\0';
	return -1;
}

/* Header values are folded by nobody: one printable ASCII line only. */
static bool
header_value_ok(const char *v)
{
	size_t n = 0;

	for (; *v != '\0'; v++, n++) {
		if ((unsigned char)*v < 0x20 || (unsigned char)*v > 0x7e)
			return false;
	}
	return n > 0 && n <= 200;
}

int
scan_config_finish(struct scan_config *cfg, char *error_r, size_t errsize)
{
	if (scan_policy_parse(cfg->on_error_raw, &cfg->on_error) < 0)
		return scan_config_fail(error_r, errsize,
					"on_error must be tempfail, reject or "
					"accept, not",
					cfg->on_error_raw);
	if (scan_policy_parse(cfg->on_oversize_raw, &cfg->on_oversize) < 0)
		return scan_config_fail(error_r, errsize,
					"on_oversize must be tempfail, reject "
					"or accept, not",
					cfg->on_oversize_raw);
	if (cfg->socket == NULL || cfg->socket[0] == '\0')
		return scan_config_fail(error_r, errsize, "socket is required",
					cfg->socket);
	if (strncmp(cfg->socket, "unix:", 5) != 0 &&
	    strncmp(cfg->socket, "local:", 6) != 0 &&
	    strncmp(cfg->socket, "inet:", 5) != 0 &&
	    strncmp(cfg->socket, "inet6:", 6) != 0)
		return scan_config_fail(error_r, errsize,
					"socket must start with unix:, inet: "
					"or inet6:, not",
					cfg->socket);
	if (cfg->signatures_dir == NULL || cfg->signatures_dir[0] != '/')
		return scan_config_fail(error_r, errsize,
					"signatures_dir must be absolute",
					cfg->signatures_dir);
	if (cfg->tmp_dir == NULL || cfg->tmp_dir[0] != '/')
		return scan_config_fail(
		    error_r, errsize, "tmp_dir must be absolute", cfg->tmp_dir);
	if (cfg->user == NULL || cfg->user[0] == '\0' ||
	    strcmp(cfg->user, "root") == 0)
		return scan_config_fail(error_r, errsize,
					"user must name an unprivileged user",
					cfg->user);
	if (cfg->header_value == NULL || !header_value_ok(cfg->header_value))
		return scan_config_fail(error_r, errsize,
					"header_value must be 1-200 printable "
					"ASCII characters",
					cfg->header_value);
	/* Memory beyond the scan size would never be used. */
	if (cfg->memory_buffer > cfg->max_message_size)
		cfg->memory_buffer = cfg->max_message_size;
	return 0;
}

int
scan_config_load(const char *path, struct scan_config *cfg, char *error_r,
		 size_t errsize)
{
	memset(cfg, 0, sizeof(*cfg));
	if (config_load(path, scan_keys, CASIER_ARRAY_LEN(scan_keys), cfg,
			error_r, errsize) < 0)
		return -1;
	return scan_config_finish(cfg, error_r, errsize);
}

void
scan_config_free(struct scan_config *cfg)
{
	config_free(scan_keys, CASIER_ARRAY_LEN(scan_keys), cfg);
}

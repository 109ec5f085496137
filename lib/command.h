/*
 * command.h - run an operator-configured command and wait for it.
 *
 * Used to flush Dovecot's auth cache after a change that must stop logins
 * at once (casier-admin, casier-mgmtd, casier-policyd): the command comes
 * from the configuration file (e.g. "[web] auth_flush_command"), split on
 * blanks (no shell, no quoting), and the caller's extra arguments are
 * appended (the login forms to flush).
 */
#ifndef CASIER_COMMAND_H
#define CASIER_COMMAND_H

#include "casier.h"

#define SPAWN_COMMAND_WORDS_MAX 16
#define SPAWN_EXTRA_ARGS_MAX	64

/*
 * Run command + extra[0..nextra) and wait at most timeout_ms for it.
 * Returns 0 when it exited with status 0; -1 otherwise, with error_r
 * saying why (cannot run, exit status, signal, timed out -- then the
 * child is killed and reaped).  Extra arguments beyond
 * SPAWN_EXTRA_ARGS_MAX, or an empty command, are an error.
 */
int casier_run_command(const char *command, const char *const *extra,
		       size_t nextra, int timeout_ms, char *error_r,
		       size_t errsize);

#endif

/*
 * command.c - run a configured command with extra arguments, bounded in
 * time.  Called from any thread of casier-admin, casier-mgmtd and
 * casier-policyd (unprivileged); posix_spawn() keeps it safe in threaded
 * programs.  Failures are reported, never fatal: callers treat them as
 * warnings because the change the command follows is already committed.
 */
#include "command.h"
#include "str.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static void spawn_error(char *error_r, size_t errsize, const char *fmt, ...)
    CASIER_ATTR_PRINTF(3, 4);

static void
spawn_error(char *error_r, size_t errsize, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (error_r == NULL || errsize == 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(error_r, errsize, fmt, ap);
	va_end(ap);
	if (n < 0)
		error_r[0] = '\0';
}

int
casier_run_command(const char *command, const char *const *extra, size_t nextra,
		   int timeout_ms, char *error_r, size_t errsize)
{
	char *argv[SPAWN_COMMAND_WORDS_MAX + SPAWN_EXTRA_ARGS_MAX + 1];
	char *copy, *save = NULL, *tok;
	size_t argc = 0;
	int status, err, ret = -1;
	pid_t pid;

	if (command == NULL || nextra > SPAWN_EXTRA_ARGS_MAX) {
		spawn_error(error_r, errsize,
			    "bad command (%zu extra arguments)", nextra);
		return -1;
	}
	copy = strdup(command);
	if (copy == NULL) {
		spawn_error(error_r, errsize, "out of memory");
		return -1;
	}
	for (tok = strtok_r(copy, " \t", &save);
	     tok != NULL && argc < SPAWN_COMMAND_WORDS_MAX;
	     tok = strtok_r(NULL, " \t", &save))
		argv[argc++] = tok;
	if (argc == 0 || tok != NULL) {
		spawn_error(error_r, errsize,
			    "empty or overlong command (%d words at most)",
			    SPAWN_COMMAND_WORDS_MAX);
		goto out;
	}
	for (size_t i = 0; i < nextra; i++)
		argv[argc++] =
		    (char *)extra[i]; /* posix_spawn's const-less argv */
	argv[argc] = NULL;

	err = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (err != 0) {
		spawn_error(error_r, errsize, "cannot run %s: %s", argv[0],
			    strerror(err));
		goto out;
	}
	for (int waited = 0;; waited += 10) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if ((w < 0 && errno != EINTR) || waited >= timeout_ms) {
			(void)kill(pid, SIGKILL);
			(void)waitpid(pid, &status, 0);
			spawn_error(error_r, errsize,
				    "%s timed out after %d ms", argv[0],
				    timeout_ms);
			goto out;
		}
		(void)nanosleep(&ts, NULL);
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ret = 0;
	else if (WIFEXITED(status))
		spawn_error(error_r, errsize, "%s exited with status %d",
			    argv[0], WEXITSTATUS(status));
	else
		spawn_error(error_r, errsize, "%s killed by signal %d", argv[0],
			    WIFSIGNALED(status) ? WTERMSIG(status) : -1);
out:
	free(copy);
	return ret;
}

/*
 * scan-reload.h - the signature reload thread of casier-milter.
 *
 * Reloads on SIGUSR1 (the supervisor turns SIGHUP into SIGUSR1, see
 * main.c) and when the fingerprint of the signature directory changes
 * (polled every reload_interval seconds).  A reload compiles a new
 * engine and swaps it in; a failed reload keeps the old engine and logs.
 */
#ifndef CASIER_SCAN_RELOAD_H
#define CASIER_SCAN_RELOAD_H

#include "scan-config.h"
#include "scan-engine.h"

struct scan_reload;

/*
 * SIGUSR1 must already be blocked in every thread (block it before
 * creating any thread).  NULL with error_r on failure.
 */
struct scan_reload *scan_reload_start(const struct scan_config *cfg,
				      struct scan_engines *engines,
				      char *error_r, size_t errsize);
/* Stop the thread (within about a second) and free. */
void scan_reload_stop(struct scan_reload **reload);

/* One reload now, in the caller's thread.  0 = swapped, -1 = kept old. */
int scan_reload_now(const struct scan_config *cfg, struct scan_engines *engines,
		    const char *why);

#endif

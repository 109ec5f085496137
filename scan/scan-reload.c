/*
 * scan-reload.c - reload signatures on SIGUSR1 or when the files change.
 *
 * One thread started by casier-milter's main() after the first engine
 * is loaded, running as user casier.  It waits for SIGUSR1 with a
 * one-second timeout, so it notices both the signal and the stop flag,
 * and polls the signature directory's fingerprint every reload_interval
 * seconds.  Building the new engine happens entirely in this thread
 * while sessions keep scanning with the old one; a failure (unreadable
 * or broken signatures, out of memory) is logged and the old engine stays.
 */
#include "scan-reload.h"

#include "log.h"
#include "str.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct scan_reload {
	const struct scan_config *cfg;
	struct scan_engines *engines;
	pthread_t thread;
	atomic_bool stop;
	uint64_t fingerprint;
	bool have_fingerprint;
};

int
scan_reload_now(const struct scan_config *cfg, struct scan_engines *engines,
		const char *why)
{
	struct scan_engine *engine;
	struct timespec t0, t1;
	char error[512];
	long ms;

	(void)clock_gettime(CLOCK_MONOTONIC, &t0);
	engine = scan_engine_new(cfg, error, sizeof(error));
	if (engine == NULL) {
		log_error("signature reload (%s) failed, keeping the current "
			  "engine: %s",
			  why, error);
		return -1;
	}
	scan_engines_swap(engines, engine);
	(void)clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	log_info("signatures reloaded (%s): %u signatures from %s in %ld ms, "
		 "engine generation %llu",
		 why, scan_engine_signatures(engine), cfg->signatures_dir, ms,
		 (unsigned long long)scan_engine_generation(engine));
	return 0;
}

static void *
scan_reload_main(void *arg)
{
	struct scan_reload *r = arg;
	const struct timespec one_second = {.tv_sec = 1, .tv_nsec = 0};
	long long since_poll = 0;
	sigset_t set;

	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGUSR1);
	while (!atomic_load(&r->stop)) {
		uint64_t fp;
		int sig = sigtimedwait(&set, NULL, &one_second);

		if (sig == SIGUSR1) {
			/* Record the state we load, so the poll below does
			 * not load the same files a second time. */
			if (scan_signatures_fingerprint(r->cfg->signatures_dir,
							&fp) == 0) {
				r->fingerprint = fp;
				r->have_fingerprint = true;
			}
			(void)scan_reload_now(r->cfg, r->engines, "signal");
			continue;
		}
		if (r->cfg->reload_interval <= 0 ||
		    ++since_poll < r->cfg->reload_interval)
			continue;
		since_poll = 0;
		if (scan_signatures_fingerprint(r->cfg->signatures_dir, &fp) <
		    0) {
			log_warning("cannot read %s: %s",
				    r->cfg->signatures_dir, strerror(errno));
			continue;
		}
		if (r->have_fingerprint && fp != r->fingerprint) {
			r->fingerprint = fp;
			(void)scan_reload_now(r->cfg, r->engines,
					      "files changed");
		}
		r->fingerprint = fp;
		r->have_fingerprint = true;
	}
	return NULL;
}

struct scan_reload *
scan_reload_start(const struct scan_config *cfg, struct scan_engines *engines,
		  char *error_r, size_t errsize)
{
	struct scan_reload *r = calloc(1, sizeof(*r));
	int ret;

	if (r == NULL) {
		(void)casier_snprintf(error_r, errsize, "out of memory");
		return NULL;
	}
	r->cfg = cfg;
	r->engines = engines;
	atomic_init(&r->stop, false);
	/* The engine just loaded matches the files as they are now. */
	if (scan_signatures_fingerprint(cfg->signatures_dir, &r->fingerprint) ==
	    0)
		r->have_fingerprint = true;
	ret = pthread_create(&r->thread, NULL, scan_reload_main, r);
	if (ret != 0) {
		(void)casier_snprintf(error_r, errsize, "pthread_create: %s",
				      strerror(ret));
		free(r);
		return NULL;
	}
	return r;
}

void
scan_reload_stop(struct scan_reload **reloadp)
{
	struct scan_reload *r = *reloadp;

	*reloadp = NULL;
	if (r == NULL)
		return;
	atomic_store(&r->stop, true);
	(void)pthread_join(r->thread, NULL);
	free(r);
}

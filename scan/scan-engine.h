/*
 * scan-engine.h - a compiled libclamav engine, shared and swappable.
 *
 * An engine is compiled once from a signature directory and then used
 * read-only by every session thread.  struct scan_engines holds the
 * current one; a reload compiles a new engine beside it and swaps the
 * pointer, and the old engine is freed when the last scan using it
 * returns (reference count), so no connection is ever dropped.
 */
#ifndef CASIER_SCAN_ENGINE_H
#define CASIER_SCAN_ENGINE_H

#include "casier.h"
#include "scan-config.h"

#include <stdint.h>

enum scan_verdict {
	SCAN_CLEAN,
	SCAN_INFECTED,
	SCAN_ERROR,    /* engine error, timeout, I/O: no verdict */
	SCAN_OVERSIZE, /* not scanned: larger than max_message_size */
};

struct scan_outcome {
	enum scan_verdict verdict;
	char name[128]; /* signature name (INFECTED) or error text (ERROR) */
};

struct scan_engine;
struct scan_engines;

/* cl_init() and libclamav's log callback.  Once per process. 0 / -1. */
int scan_engine_global_init(char *error_r, size_t errsize);

/* Load and compile.  NULL with error_r on failure. */
struct scan_engine *scan_engine_new(const struct scan_config *cfg,
				    char *error_r, size_t errsize);
unsigned int scan_engine_signatures(const struct scan_engine *engine);
uint64_t scan_engine_generation(const struct scan_engine *engine);

struct scan_engines *scan_engines_new(struct scan_engine *first);
void scan_engines_free(struct scan_engines **engines);
/* Take a reference to the current engine; give it back with _release. */
struct scan_engine *scan_engines_acquire(struct scan_engines *engines);
void scan_engine_release(struct scan_engine **engine);
/* Make engine current (takes ownership); the old one dies when unused. */
void scan_engines_swap(struct scan_engines *engines,
		       struct scan_engine *engine);

/* Scan a buffer or a file descriptor (from offset 0). */
void scan_engine_scan_mem(const struct scan_engine *engine,
			  const struct scan_config *cfg, const void *data,
			  size_t len, struct scan_outcome *out_r);
void scan_engine_scan_fd(const struct scan_engine *engine,
			 const struct scan_config *cfg, int fd,
			 struct scan_outcome *out_r);

/*
 * A fingerprint of the signature files in dir (names, sizes, mtimes,
 * inodes): a reload is due when it changes.  0 or -1 (dir unreadable).
 */
int scan_signatures_fingerprint(const char *dir, uint64_t *fp_r);

#endif

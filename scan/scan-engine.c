/*
 * scan-engine.c - libclamav engines: load, compile, share, swap, scan.
 *
 * Called by casier-milter's session threads (scan), its reload thread
 * (new + swap) and main() (global init), as user casier; the signature
 * directory only needs to be readable.  Every failure is reported to the
 * caller (NULL, -1 or SCAN_ERROR with a reason) and never turns into a
 * clean verdict: the milter maps SCAN_ERROR to its error policy.
 */
#include "scan-engine.h"

#include "log.h"
#include "str.h"

#include <clamav.h>
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct scan_engine {
	struct cl_engine *cl;
	atomic_uint refs;
	unsigned int signatures;
	uint64_t generation;
};

struct scan_engines {
	pthread_mutex_t lock; /* guards current and the refs taken under it */
	struct scan_engine *current;
	uint64_t next_generation;
};

static void
scan_clamav_log(enum cl_msg severity, const char *fullmsg, const char *msg,
		void *context)
{
	char clean[512];

	(void)fullmsg;
	(void)context;
	if (msg == NULL)
		return;
	log_sanitize(clean, sizeof(clean), msg, strcspn(msg, "\n"));
	if (severity == CL_MSG_ERROR)
		log_error("libclamav: %s", clean);
	else if (severity == CL_MSG_WARN)
		log_warning("libclamav: %s", clean);
	else
		log_debug("libclamav: %s", clean);
}

int
scan_engine_global_init(char *error_r, size_t errsize)
{
	cl_error_t ret;

	cl_set_clcb_msg(scan_clamav_log);
	ret = cl_init(CL_INIT_DEFAULT);
	if (ret != CL_SUCCESS) {
		(void)casier_snprintf(error_r, errsize, "cl_init: %s",
				      cl_strerror(ret));
		return -1;
	}
	return 0;
}

static int
engine_set(struct cl_engine *cl, enum cl_engine_field field, long long v,
	   const char *what, char *error_r, size_t errsize)
{
	cl_error_t ret = cl_engine_set_num(cl, field, v);

	if (ret != CL_SUCCESS) {
		(void)casier_snprintf(error_r, errsize, "setting %s: %s", what,
				      cl_strerror(ret));
		return -1;
	}
	return 0;
}

struct scan_engine *
scan_engine_new(const struct scan_config *cfg, char *error_r, size_t errsize)
{
	struct scan_engine *engine;
	unsigned int sigs = 0;
	cl_error_t ret;
	/* Limits are validated in scan-config.c to fit these types. */
	const long long scan_ms = cfg->max_scan_time * 1000;

	engine = calloc(1, sizeof(*engine));
	if (engine == NULL) {
		(void)casier_snprintf(error_r, errsize, "out of memory");
		return NULL;
	}
	engine->cl = cl_engine_new();
	if (engine->cl == NULL) {
		(void)casier_snprintf(error_r, errsize, "cl_engine_new failed");
		free(engine);
		return NULL;
	}
	ret = cl_engine_set_str(engine->cl, CL_ENGINE_TMPDIR, cfg->tmp_dir);
	if (ret != CL_SUCCESS) {
		(void)casier_snprintf(error_r, errsize, "setting tmp_dir: %s",
				      cl_strerror(ret));
		goto fail;
	}
	/*
	 * The whole message is one "file" for libclamav: the scan size must
	 * cover it, or libclamav would silently stop scanning part way.
	 */
	if (engine_set(engine->cl, CL_ENGINE_MAX_SCANSIZE,
		       (long long)cfg->max_message_size, "max scan size",
		       error_r, errsize) < 0 ||
	    engine_set(engine->cl, CL_ENGINE_MAX_FILESIZE,
		       (long long)(cfg->max_file_size > cfg->max_message_size
				       ? cfg->max_file_size
				       : cfg->max_message_size),
		       "max_file_size", error_r, errsize) < 0 ||
	    engine_set(engine->cl, CL_ENGINE_MAX_RECURSION, cfg->max_recursion,
		       "max_recursion", error_r, errsize) < 0 ||
	    engine_set(engine->cl, CL_ENGINE_MAX_FILES, cfg->max_files,
		       "max_files", error_r, errsize) < 0 ||
	    engine_set(engine->cl, CL_ENGINE_MAX_SCANTIME, scan_ms,
		       "max_scan_time", error_r, errsize) < 0)
		goto fail;
	ret = cl_load(cfg->signatures_dir, engine->cl, &sigs, CL_DB_STDOPT);
	if (ret != CL_SUCCESS) {
		(void)casier_snprintf(error_r, errsize, "loading %s: %s",
				      cfg->signatures_dir, cl_strerror(ret));
		goto fail;
	}
	if (sigs == 0) {
		(void)casier_snprintf(error_r, errsize, "no signatures in %s",
				      cfg->signatures_dir);
		goto fail;
	}
	ret = cl_engine_compile(engine->cl);
	if (ret != CL_SUCCESS) {
		(void)casier_snprintf(error_r, errsize, "compiling: %s",
				      cl_strerror(ret));
		goto fail;
	}
	engine->signatures = sigs;
	atomic_init(&engine->refs, 1);
	return engine;
fail:
	cl_engine_free(engine->cl);
	free(engine);
	return NULL;
}

unsigned int
scan_engine_signatures(const struct scan_engine *engine)
{
	return engine->signatures;
}

uint64_t
scan_engine_generation(const struct scan_engine *engine)
{
	return engine->generation;
}

struct scan_engines *
scan_engines_new(struct scan_engine *first)
{
	struct scan_engines *engines = calloc(1, sizeof(*engines));

	if (engines == NULL)
		return NULL;
	if (pthread_mutex_init(&engines->lock, NULL) != 0) {
		free(engines);
		return NULL;
	}
	first->generation = 1;
	engines->next_generation = 2;
	engines->current = first;
	return engines;
}

void
scan_engine_release(struct scan_engine **enginep)
{
	struct scan_engine *engine = *enginep;

	*enginep = NULL;
	if (engine == NULL)
		return;
	if (atomic_fetch_sub(&engine->refs, 1) == 1) {
		cl_engine_free(engine->cl);
		free(engine);
	}
}

void
scan_engines_free(struct scan_engines **enginesp)
{
	struct scan_engines *engines = *enginesp;

	*enginesp = NULL;
	if (engines == NULL)
		return;
	scan_engine_release(&engines->current);
	(void)pthread_mutex_destroy(&engines->lock);
	free(engines);
}

struct scan_engine *
scan_engines_acquire(struct scan_engines *engines)
{
	struct scan_engine *engine;

	/* The increment happens under the lock, so a concurrent swap cannot
	 * drop the last reference between the load and the increment. */
	(void)pthread_mutex_lock(&engines->lock);
	engine = engines->current;
	atomic_fetch_add(&engine->refs, 1);
	(void)pthread_mutex_unlock(&engines->lock);
	return engine;
}

void
scan_engines_swap(struct scan_engines *engines, struct scan_engine *engine)
{
	struct scan_engine *old;

	(void)pthread_mutex_lock(&engines->lock);
	old = engines->current;
	engine->generation = engines->next_generation++;
	engines->current = engine;
	(void)pthread_mutex_unlock(&engines->lock);
	scan_engine_release(&old);
}

static struct cl_scan_options
scan_options(const struct scan_config *cfg)
{
	struct cl_scan_options opts;

	memset(&opts, 0, sizeof(opts));
	/* Without parse bits libclamav does not decode MIME, base64 or
	 * archives, and an encoded EICAR scans clean. */
	opts.parse = ~0u;
	if (cfg->heuristics)
		opts.general |= CL_SCAN_GENERAL_HEURISTICS;
	if (cfg->block_encrypted)
		opts.heuristic |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE |
				  CL_SCAN_HEURISTIC_ENCRYPTED_DOC;
	return opts;
}

static void
scan_outcome_set(struct scan_outcome *out, cl_error_t ret, const char *virname)
{
	memset(out, 0, sizeof(*out));
	switch (ret) {
	case CL_CLEAN:
		out->verdict = SCAN_CLEAN;
		break;
	case CL_VIRUS:
		out->verdict = SCAN_INFECTED;
		/* virname points into the engine, which we still hold. */
		(void)casier_snprintf(out->name, sizeof(out->name), "%s",
				      virname != NULL ? virname : "unknown");
		break;
	default:
		out->verdict = SCAN_ERROR;
		(void)casier_snprintf(out->name, sizeof(out->name), "%s",
				      cl_strerror(ret));
		break;
	}
}

void
scan_engine_scan_mem(const struct scan_engine *engine,
		     const struct scan_config *cfg, const void *data,
		     size_t len, struct scan_outcome *out_r)
{
	struct cl_scan_options opts = scan_options(cfg);
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_fmap_t *map;
	cl_error_t ret;

	map = cl_fmap_open_memory(data, len);
	if (map == NULL) {
		scan_outcome_set(out_r, CL_EMEM, NULL);
		return;
	}
	ret = cl_scanmap_callback(map, NULL, &virname, &scanned, engine->cl,
				  &opts, NULL);
	scan_outcome_set(out_r, ret, virname);
	cl_fmap_close(map);
}

void
scan_engine_scan_fd(const struct scan_engine *engine,
		    const struct scan_config *cfg, int fd,
		    struct scan_outcome *out_r)
{
	struct cl_scan_options opts = scan_options(cfg);
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_error_t ret;

	ret = cl_scandesc(fd, NULL, &virname, &scanned, engine->cl, &opts);
	scan_outcome_set(out_r, ret, virname);
}

/* FNV-1a, order-independent over entries (sum of per-entry hashes). */
static uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n-- > 0) {
		h ^= *c++;
		h *= 1099511628211ULL;
	}
	return h;
}

int
scan_signatures_fingerprint(const char *dir, uint64_t *fp_r)
{
	struct dirent *de;
	uint64_t fp = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		struct stat st;
		uint64_t h = 14695981039346656037ULL;

		/* dot files and freshclam's download directories */
		if (de->d_name[0] == '.' || strncmp(de->d_name, "tmp", 3) == 0)
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) < 0)
			continue;
		h = fnv1a(h, de->d_name, strlen(de->d_name));
		h = fnv1a(h, &st.st_size, sizeof(st.st_size));
		h = fnv1a(h, &st.st_mtim, sizeof(st.st_mtim));
		h = fnv1a(h, &st.st_ino, sizeof(st.st_ino));
		fp += h;
	}
	(void)closedir(d);
	*fp_r = fp;
	return 0;
}

/*
 * maint.h - casier-archive's configuration ([archive] in casier.conf) and
 * the periodic work on the archive: tiers and cellar, export volumes,
 * the hard cap of the cellar, retention, and the outbox (re-sends and
 * notifications through Postfix's internal smtpd).
 */
#ifndef CASIER_ARCHIVE_MAINT_H
#define CASIER_ARCHIVE_MAINT_H

#include "casier-config.h"

#include <stdint.h>

struct db_pool;

struct archive_maint_config {
	char *db_conninfo; /* [database] conninfo (shared) */
	char *volume_dir;  /* where export volumes are written */
	char *reinject;	   /* Postfix internal smtpd, "inet:127.0.0.1:P" */
	char *hostname;	   /* HELO name */
	char *notify_from; /* sender of notifications (and Resent-From) */
	char *spool_dir;   /* temporary files of large re-sends */
	char *pid_file;
	unsigned long long tier_unit;	/* bytes per tier "GB" (1G) */
	unsigned long long volume_size; /* cellar bytes per volume (4.7G) */
	unsigned long long cellar_max;	/* hard cap of the cellar (20G) */
	long long max_age;		/* seconds; 0 = keep forever */
	long long interval;		/* seconds between passes */
	long long compression_level;	/* zstd, delivery and volumes */
	long long smtp_timeout;		/* seconds */
};

extern const struct config_key archive_maint_keys[];
extern const size_t archive_maint_nkeys;

struct archive_maint_stats {
	unsigned long long expired;  /* deleted by retention */
	unsigned long long cellared; /* moved online -> cellar */
	unsigned long long volumes;  /* volumes built */
	unsigned long long capped;   /* deleted by the cellar's hard cap */
	unsigned long long received; /* deleted after a confirmed receipt */
	unsigned long long purged;   /* volume files removed */
};

/*
 * One pass over every domain with an archive.  0 when every domain was
 * handled, -1 when one failed (logged; the pass goes on with the others
 * and the next pass retries: every step is idempotent).
 */
int archive_maint_run(struct db_pool *pool,
		      const struct archive_maint_config *cfg,
		      struct archive_maint_stats *st);

/*
 * Send what the outbox holds and is due.  *sent_r / *failed_r count rows
 * delivered / left for later.  0, or -1 when the database failed.
 */
int archive_outbox_run(struct db_pool *pool,
		       const struct archive_maint_config *cfg,
		       unsigned int *sent_r, unsigned int *failed_r);

/* Decompress a stored blob; NULL on failure.  *len_r gets the size. */
unsigned char *archive_blob_decompress(const void *z, size_t zlen,
				       size_t *len_r);

#endif

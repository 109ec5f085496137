/*
 * archive.h - the inbound mail archive at delivery time (DESIGN section 8,
 * docs/archive.md).
 *
 * casier-deliverd calls archive_store() once per LMTP transaction, after
 * DATA and BEFORE it delivers or acknowledges anything:
 *
 *	struct archive_source src;
 *	archive_source_spool(&src, txn->msg);
 *	archive_store(dc->db, &acfg, &env, &src, NULL, &res);
 *	if (res.status != CASIER_OK)  -> every recipient gets res (451 4.3.0)
 *
 * with env.rcpts = the accepted RCPT paths of the transaction.  Only
 * messages that came from the Internet are archived: Postfix's inbound
 * smtpd (+25) prepends "X-Casier-Inbound: yes" and every other entry
 * point (internal re-injection +26, submissions +465, pickup) strips that
 * header in cleanup (tools/stack/configure.d/90-archive.sh), so with
 * cfg->require_inbound the function archives only marked messages.
 *
 * A message is archived once per archived domain among the recipients
 * (alias domains count as their primary domain), whatever the number of
 * its recipients there, and once only when Postfix retries it (the raw
 * bytes' SHA-256 is unique per domain).
 */
#ifndef CASIER_ARCHIVE_H
#define CASIER_ARCHIVE_H

#include "casier.h"

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct db_pool;
struct spool;

struct archive_config {
	int compression_level; /* zstd level, 1..19 (3 = zstd's default) */
	bool require_inbound;  /* archive only messages with the marker */
};

struct archive_envelope {
	const char *sender;	  /* envelope sender, "" for <> */
	const char *const *rcpts; /* accepted recipients (addresses) */
	size_t nrcpts;
	time_t arrival; /* 0 = now (the database's clock) */
};

/* Where the message bytes come from (a spool, a buffer, a file). */
struct archive_source {
	ssize_t (*read)(void *ctx, void *buf, size_t len, uint64_t off);
	void *ctx;
	uint64_t size;
	const unsigned char *mem; /* archive_source_buffer() */
};

struct archive_stats {
	unsigned int domains;  /* archived domains among the recipients */
	unsigned int stored;   /* new archive rows (0 for a retry) */
	uint64_t stored_bytes; /* compressed size */
};

void archive_source_spool(struct archive_source *src, struct spool *sp);
/* buf must outlive the source. */
void archive_source_buffer(struct archive_source *src, const void *buf,
			   size_t len);

/*
 * Archive the message for every archived domain among the recipients.
 * res_r: OK (archived, or nothing to archive) or TEMPFAIL 4.3.0 (database
 * trouble, allocation or compression failure: nothing was stored, the
 * caller must not acknowledge).  stats_r may be NULL.
 */
void archive_store(struct db_pool *pool, const struct archive_config *cfg,
		   const struct archive_envelope *env,
		   const struct archive_source *src,
		   struct archive_stats *stats_r, struct casier_result *res_r);

#endif

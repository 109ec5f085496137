/*
 * archive.c - store an inbound message in the archive of every archived
 * domain among its recipients: one zstd-compressed copy (archive_blob)
 * and one metadata row (archive_message) per domain.
 *
 * Called by casier-deliverd's LMTP threads before they acknowledge a
 * message (as vmail), and by "casier-archive store" (tests, imports).
 * Needs only the database: the archive lives in PostgreSQL, never in the
 * mail store.  Any failure (database, memory, compression) is TEMPFAIL
 * 4.3.0 and nothing is stored: all rows of a message are written in one
 * transaction, so deliverd answers 451 and Postfix retries later.
 */
#include "archive.h"
#include "archive-header.h"
#include "db.h"
#include "log.h"
#include "spool.h"
#include "str.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

/* The header part parsed for the metadata (more is unusual and ignored). */
#define HEAD_MAX (256 * 1024)

static ssize_t
spool_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	return spool_pread(ctx, buf, len, off);
}

void
archive_source_spool(struct archive_source *src, struct spool *sp)
{
	src->read = spool_read;
	src->ctx = sp;
	src->size = spool_size(sp);
	src->mem = NULL;
}

static ssize_t
buffer_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct archive_source *src = ctx;
	size_t n;

	if (off >= src->size)
		return 0;
	n = (size_t)(src->size - off);
	if (n > len)
		n = len;
	memcpy(buf, src->mem + off, n);
	return (ssize_t)n;
}

void
archive_source_buffer(struct archive_source *src, const void *buf, size_t len)
{
	src->read = buffer_read;
	src->ctx = src;
	src->size = len;
	src->mem = buf;
}

/* The archived domains among the recipients, with their recipients. */
static const char sql_domains[] =
    "WITH r AS (SELECT u.addr, lower(substring(u.addr FROM '@([^@]*)$')) "
    "AS dom FROM unnest(string_to_array($1, E'\\n')) AS u(addr)) "
    "SELECT d.id, coalesce(p.archive_spam, false), "
    "string_agg(DISTINCT r.addr, E'\\n') "
    "FROM r LEFT JOIN alias_domain ad ON ad.name::text = r.dom "
    "JOIN domain d ON d.id = coalesce(ad.domain_id, "
    "(SELECT x.id FROM domain x WHERE x.name::text = r.dom)) "
    "LEFT JOIN archive_pref p ON p.domain_id = d.id "
    "WHERE d.archive_enabled AND d.active "
    "GROUP BY d.id, p.archive_spam ORDER BY d.id";

static const char sql_message[] =
    "INSERT INTO archive_message (domain_id, arrived_at, envelope_sender, "
    "recipients, recipients_text, header_from, header_to, subject, "
    "message_id, size_bytes, stored_bytes, spam, digest) VALUES ($1, "
    "coalesce(to_timestamp($2::double precision), now()), $3, "
    "string_to_array($4, E'\\n'), replace($4, E'\\n', ', '), $5, $6, $7, "
    "$8, $9, $10, $11, decode($12, 'hex')) "
    "ON CONFLICT (domain_id, digest) DO NOTHING RETURNING id";

static const char sql_blob[] =
    "INSERT INTO archive_blob (message_id, data) VALUES ($1, $2)";

/* Compress the whole message and hash it; 0 or -1 (logged). */
static int
compress_message(const struct archive_source *src, int level,
		 unsigned char **out_r, size_t *outlen_r,
		 unsigned char digest[crypto_hash_sha256_BYTES])
{
	crypto_hash_sha256_state sha;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound((size_t)src->size) + 64;
	unsigned char *out = malloc(cap);
	unsigned char *buf = malloc(65536);
	uint64_t off = 0;
	ZSTD_outBuffer ob = {.dst = out, .size = cap, .pos = 0};
	int ret = -1;

	if (cctx == NULL || out == NULL || buf == NULL) {
		log_error("archive: out of memory compressing a message");
		goto out;
	}
	crypto_hash_sha256_init(&sha);
	if (ZSTD_isError(
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level)) ||
	    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(
		cctx, (unsigned long long)src->size)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)))
		goto zerr;
	for (;;) {
		ssize_t n = src->read(src->ctx, buf, 65536, off);
		ZSTD_inBuffer ib = {.src = buf, .size = 0, .pos = 0};
		ZSTD_EndDirective mode;
		size_t r;

		if (n < 0) {
			log_error("archive: cannot read the message");
			goto out;
		}
		ib.size = (size_t)n;
		off += (uint64_t)n;
		if (n > 0)
			crypto_hash_sha256_update(&sha, buf,
						  (unsigned long long)n);
		mode = n == 0 ? ZSTD_e_end : ZSTD_e_continue;
		do {
			r = ZSTD_compressStream2(cctx, &ob, &ib, mode);
			if (ZSTD_isError(r))
				goto zerr;
		} while (ib.pos < ib.size || (mode == ZSTD_e_end && r != 0));
		if (n == 0)
			break;
	}
	if (off != src->size) {
		log_error("archive: message size changed while reading");
		goto out;
	}
	crypto_hash_sha256_final(&sha, digest);
	*out_r = out;
	*outlen_r = ob.pos;
	out = NULL;
	ret = 0;
	goto out;
zerr:
	log_error("archive: zstd compression failed");
out:
	free(out);
	free(buf);
	ZSTD_freeCCtx(cctx);
	return ret;
}

static void
hex(const unsigned char *in, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
tempfail(struct casier_result *res)
{
	casier_result_set(res, CASIER_TEMPFAIL, "4.3.0",
			  "Archive temporarily unavailable");
}

/* The recipients joined by newlines (LMTP paths cannot hold one). */
static int
join_rcpts(const struct archive_envelope *env, struct str *s)
{
	for (size_t i = 0; i < env->nrcpts; i++) {
		char clean[ARCHIVE_FIELD_MAX + 1];

		archive_text_clean(env->rcpts[i], strlen(env->rcpts[i]), clean,
				   sizeof(clean));
		if ((i > 0 && str_append(s, "\n") < 0) ||
		    str_append(s, clean) < 0)
			return -1;
	}
	return 0;
}

void
archive_store(struct db_pool *pool, const struct archive_config *cfg,
	      const struct archive_envelope *env,
	      const struct archive_source *src, struct archive_stats *stats_r,
	      struct casier_result *res_r)
{
	struct archive_header *h = calloc(1, sizeof(*h));
	struct archive_stats st = {0};
	struct str rcpts;
	struct db_conn *conn = NULL;
	struct db_error err;
	PGresult *doms = NULL, *r = NULL;
	unsigned char *head = malloc(HEAD_MAX), *z = NULL;
	unsigned char digest[crypto_hash_sha256_BYTES];
	char digest_hex[2 * crypto_hash_sha256_BYTES + 1];
	char sender[ARCHIVE_FIELD_MAX + 1];
	size_t zlen = 0, headlen = 0;
	int ndoms;
	bool in_txn = false;

	str_init(&rcpts, 1 << 20);
	tempfail(res_r);
	if (h == NULL || head == NULL)
		goto out;
	/* the header part, for the metadata and the inbound marker */
	while (headlen < HEAD_MAX) {
		ssize_t n = src->read(src->ctx, head + headlen,
				      HEAD_MAX - headlen, headlen);

		if (n < 0)
			goto out;
		if (n == 0)
			break;
		headlen += (size_t)n;
	}
	archive_header_parse((const char *)head, headlen, h);
	if (cfg->require_inbound && !h->inbound) {
		casier_result_set(res_r, CASIER_OK, "2.0.0",
				  "Not inbound: not archived");
		goto out;
	}
	if (env->nrcpts == 0 || join_rcpts(env, &rcpts) < 0) {
		if (env->nrcpts == 0)
			casier_result_set(res_r, CASIER_OK, "2.0.0",
					  "No recipient");
		goto out;
	}
	conn = db_pool_get(pool, &err);
	if (conn == NULL) {
		log_error("archive: database unavailable: %s", err.message);
		goto out;
	}
	{
		const char *p[1] = {rcpts.data};

		if (db_exec_params(conn, sql_domains, 1, p, &doms, &err) ==
		    CASIER_LOOKUP_ERROR) {
			log_error("archive: domain lookup: %s", err.message);
			goto out;
		}
	}
	ndoms = PQntuples(doms);
	for (int i = 0; i < ndoms; i++)
		if (!h->spam || strcmp(PQgetvalue(doms, i, 1), "t") == 0)
			st.domains++;
	if (st.domains == 0) {
		casier_result_set(res_r, CASIER_OK, "2.0.0",
				  "No archived domain");
		goto out;
	}
	if (compress_message(src, cfg->compression_level, &z, &zlen, digest) <
	    0)
		goto out;
	hex(digest, sizeof(digest), digest_hex);
	archive_text_clean(env->sender, strlen(env->sender), sender,
			   sizeof(sender));
	if (db_begin(conn, &err) < 0) {
		log_error("archive: begin: %s", err.message);
		goto out;
	}
	in_txn = true;
	for (int i = 0; i < ndoms; i++) {
		char arrival[32], size[24], zsize[24];
		const char *p[12];
		const char *bp[2];
		int bl[2] = {0, (int)zlen}, bf[2] = {0, 1};
		enum casier_lookup l;

		if (h->spam && strcmp(PQgetvalue(doms, i, 1), "t") != 0)
			continue; /* this domain does not archive spam */
		(void)snprintf(arrival, sizeof(arrival), "%lld",
			       (long long)env->arrival);
		(void)snprintf(size, sizeof(size), "%" PRIu64, src->size);
		(void)snprintf(zsize, sizeof(zsize), "%zu", zlen);
		p[0] = PQgetvalue(doms, i, 0);
		p[1] = env->arrival != 0 ? arrival : NULL;
		p[2] = sender;
		p[3] = PQgetvalue(doms, i, 2);
		p[4] = h->from;
		p[5] = h->to;
		p[6] = h->subject;
		p[7] = h->message_id;
		p[8] = size;
		p[9] = zsize;
		p[10] = h->spam ? "t" : "f";
		p[11] = digest_hex;
		l = db_exec_params(conn, sql_message, 12, p, &r, &err);
		if (l == CASIER_LOOKUP_ERROR) {
			log_error("archive: insert: %s", err.message);
			goto out;
		}
		if (l == CASIER_ABSENT) {
			/* already archived: Postfix retried this message */
			PQclear(r);
			r = NULL;
			continue;
		}
		bp[0] = PQgetvalue(r, 0, 0);
		bp[1] = (const char *)z;
		{
			PGresult *b = PQexecParams(db_conn_pg(conn), sql_blob,
						   2, NULL, bp, bl, bf, 0);

			if (PQresultStatus(b) != PGRES_COMMAND_OK) {
				db_error_classify(db_conn_pg(conn), b, &err);
				PQclear(b);
				log_error("archive: blob: %s", err.message);
				goto out;
			}
			PQclear(b);
		}
		PQclear(r);
		r = NULL;
		st.stored++;
		st.stored_bytes += zlen;
	}
	if (db_commit(conn, &err) < 0) {
		in_txn = false;
		log_error("archive: commit: %s", err.message);
		goto out;
	}
	in_txn = false;
	casier_result_set(res_r, CASIER_OK, "2.0.0", "Archived");
out:
	if (in_txn)
		db_rollback(conn);
	if (res_r->status != CASIER_OK)
		st.stored = 0;
	if (stats_r != NULL)
		*stats_r = st;
	PQclear(r);
	PQclear(doms);
	if (conn != NULL)
		db_pool_put(pool, &conn);
	str_free(&rcpts);
	free(z);
	free(head);
	free(h);
}

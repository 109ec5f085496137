/*
 * maint.c - the archive's maintenance pass, per domain: retention,
 * online -> cellar when the tier is exceeded, export volumes from the
 * cellar, deletion after a confirmed receipt, the cellar's hard cap.
 *
 * Called by casier-archive (as the casier user) every [archive] interval
 * and on demand ("casier-archive maintain").  Every step is one SQL
 * statement or one transaction and is idempotent, so a failure (logged)
 * leaves a consistent archive that the next pass continues.  A volume
 * file is written and fsync'ed before the transaction that moves its
 * messages; if that transaction fails the file is removed.
 */
#include "maint.h"
#include "archive-header.h"
#include "db.h"
#include "log.h"
#include "str.h"
#include "volume.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#define K(key_, type_, field_, def_, min_, max_)                               \
	{                                                                      \
		.section = "archive", .name = (key_), .type = (type_),         \
		.offset = offsetof(struct archive_maint_config, field_),       \
		.default_value = (def_), .min = (min_), .max = (max_)          \
	}

const struct config_key archive_maint_keys[] = {
    {.section = "database",
     .name = "conninfo",
     .type = CONFIG_STRING,
     .offset = offsetof(struct archive_maint_config, db_conninfo),
     .required = true,
     .shared = true},
    {.section = "archive",
     .name = "volume_dir",
     .type = CONFIG_STRING,
     .offset = offsetof(struct archive_maint_config, volume_dir),
     .required = true},
    {.section = "archive",
     .name = "reinject",
     .type = CONFIG_STRING,
     .offset = offsetof(struct archive_maint_config, reinject),
     .required = true},
    K("hostname", CONFIG_STRING, hostname, "localhost", 0, 0),
    K("notify_from", CONFIG_STRING, notify_from, "postmaster@localhost", 0, 0),
    K("spool_dir", CONFIG_STRING, spool_dir, "/tmp", 0, 0),
    K("pid_file", CONFIG_STRING, pid_file, NULL, 0, 0),
    K("tier_unit", CONFIG_SIZE, tier_unit, "1G", 1, 1LL << 40),
    K("volume_size", CONFIG_SIZE, volume_size, "4.7G", 1, 1LL << 40),
    K("cellar_max", CONFIG_SIZE, cellar_max, "20G", 1, 1LL << 50),
    K("max_age", CONFIG_DURATION, max_age, "0", 0, 100LL * 366 * 86400),
    K("interval", CONFIG_DURATION, interval, "10m", 1, 86400),
    K("compression_level", CONFIG_INT, compression_level, "3", 1, 19),
    K("smtp_timeout", CONFIG_DURATION, smtp_timeout, "60s", 1, 3600),
};
const size_t archive_maint_nkeys = CASIER_ARRAY_LEN(archive_maint_keys);

unsigned char *
archive_blob_decompress(const void *z, size_t zlen, size_t *len_r)
{
	unsigned long long n = ZSTD_getFrameContentSize(z, zlen);
	unsigned char *out;
	size_t r;

	/* archive.c pledges the size, so every frame records it */
	if (n == ZSTD_CONTENTSIZE_ERROR || n == ZSTD_CONTENTSIZE_UNKNOWN ||
	    n > (1ULL << 34))
		return NULL;
	out = malloc(n > 0 ? (size_t)n : 1);
	if (out == NULL)
		return NULL;
	r = ZSTD_decompress(out, (size_t)n, z, zlen);
	if (ZSTD_isError(r) || r != n) {
		free(out);
		return NULL;
	}
	*len_r = (size_t)n;
	return out;
}

/* Run one statement; the number of affected rows or -1 (logged). */
static long long
exec_count(struct db_conn *conn, const char *what, const char *sql, int n,
	   const char *const *p)
{
	PGresult *r = NULL;
	struct db_error err;
	long long count;

	if (db_exec_params(conn, sql, n, p, &r, &err) == CASIER_LOOKUP_ERROR) {
		log_error("archive: %s: %s", what, err.message);
		return -1;
	}
	count = strtoll(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return count;
}

static const char sql_expire[] =
    "DELETE FROM archive_message WHERE domain_id = $1 "
    "AND arrived_at < now() - make_interval(secs => $2::double precision)";

/* Keep the newest online messages that fit in the tier. */
static const char sql_cellar[] =
    "WITH o AS (SELECT id, sum(stored_bytes) OVER (ORDER BY arrived_at "
    "DESC, id DESC) AS cum FROM archive_message WHERE domain_id = $1 "
    "AND state = 'online') UPDATE archive_message m SET state = 'cellar', "
    "moved_at = now() FROM o WHERE m.id = o.id AND o.cum > $2::bigint";

static const char sql_cellar_size[] =
    "SELECT coalesce(sum(stored_bytes), 0) FROM archive_message "
    "WHERE domain_id = $1 AND state = 'cellar'";

/* The oldest cellar messages, up to the first that reaches the size. */
static const char sql_volume_pick[] =
    "SELECT id, extract(epoch FROM arrived_at)::bigint FROM (SELECT id, "
    "arrived_at, stored_bytes, sum(stored_bytes) OVER (ORDER BY arrived_at, "
    "id) AS cum FROM archive_message WHERE domain_id = $1 AND state = "
    "'cellar') s WHERE cum - stored_bytes < $2::bigint ORDER BY arrived_at, "
    "id";

static const char sql_blob_get[] =
    "SELECT data FROM archive_blob WHERE message_id = $1";

static const char sql_volume_new[] =
    "INSERT INTO archive_volume (domain_id, serial, messages, size_bytes, "
    "file_name, file_path) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id";

static const char sql_volume_move[] =
    "UPDATE archive_message SET state = 'volume', volume_id = $2, "
    "moved_at = now() WHERE domain_id = $1 AND state = 'cellar' "
    "AND id = ANY (string_to_array($3, ',')::bigint[])";

static const char sql_notify[] =
    "INSERT INTO archive_outbox (domain_id, kind, envelope_sender, "
    "recipients, body) VALUES ($1, 'notify', $2, ARRAY[$3], $4)";

/* Messages of received volumes go (mgmtd deletes them too, this is the
 * safety net). */
static const char sql_received[] =
    "DELETE FROM archive_message m USING archive_volume v "
    "WHERE m.volume_id = v.id AND v.domain_id = $1 "
    "AND v.received_at IS NOT NULL";

/* Hard cap: keep the newest offline messages that fit under the cap. */
static const char sql_cap[] =
    "DELETE FROM archive_message m USING (SELECT id, sum(stored_bytes) OVER "
    "(ORDER BY arrived_at DESC, id DESC) AS cum FROM archive_message WHERE "
    "domain_id = $1 AND state <> 'online') s WHERE m.id = s.id "
    "AND s.cum > $2::bigint";

/* Volume files that are received or hold no message any more. */
static const char sql_purge_pick[] =
    "SELECT v.id, v.file_name FROM archive_volume v WHERE v.domain_id = $1 "
    "AND v.purged_at IS NULL AND (v.received_at IS NOT NULL OR NOT EXISTS "
    "(SELECT 1 FROM archive_message m WHERE m.volume_id = v.id))";

static const char sql_purge_done[] =
    "UPDATE archive_volume SET purged_at = now() WHERE id = $1";

static void
volume_serial(char out[9])
{
	static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

	for (int i = 0; i < 8; i++)
		out[i] = alphabet[randombytes_uniform(sizeof(alphabet) - 1)];
	out[8] = '\0';
}

static int
build_notification(struct str *s, const struct archive_maint_config *cfg,
		   const char *domain, const char *contact, const char *serial,
		   long long nmsg, uint64_t size)
{
	char date[64], mid[9];
	time_t now = time(NULL);
	struct tm tm;

	volume_serial(mid);
	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm) ==
		0)
		return -1;
	return str_appendf(
	    s,
	    "From: %s\r\nTo: %s\r\nDate: %s\r\n"
	    "Message-ID: <archive-%s-%s@%s>\r\n"
	    "Subject: Archive volume %s is ready for %s\r\n"
	    "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding: 8bit\r\n\r\n"
	    "The archive of %s moved its oldest messages to export volume "
	    "%s\r\n(%lld messages, %" PRIu64 " bytes).\r\n\r\n"
	    "Download it from the archive's volume page of the web manager,\r\n"
	    "then confirm its receipt there: its messages are then deleted.\r\n"
	    "The file is a tar archive compressed with zstd: open it with\r\n"
	    "  tar --zstd -xf FILE   (or: zstd -dc FILE | tar -xf -)\r\n"
	    "Each message is one .eml file.\r\n\r\n"
	    "Le volume d'archive %s de %s est prêt (%lld messages).\r\n"
	    "Téléchargez-le depuis la page des volumes du gestionnaire, "
	    "puis\r\n"
	    "confirmez sa réception : ses messages seront alors supprimés.\r\n",
	    cfg->notify_from, contact, date, serial, mid, cfg->hostname, serial,
	    domain, domain, serial, nmsg, size, serial, domain, nmsg);
}

/* Build one volume from the oldest cellar messages.  1 built, 0 nothing
 * to do, -1 failure (logged; nothing changed). */
static int
build_volume(struct db_conn *conn, const struct archive_maint_config *cfg,
	     const char *domain_id, const char *domain, const char *contact)
{
	PGresult *pick = NULL, *r = NULL;
	struct db_error err;
	struct volume_writer *w = NULL;
	struct str ids, path, note;
	char serial[9], fname[300], vsize[24], nmsg[24], vs[24];
	uint64_t size = 0;
	int n, ret = -1;
	bool in_txn = false;

	str_init(&ids, 1 << 26);
	str_init(&path, 4096);
	str_init(&note, 65536);
	(void)snprintf(vs, sizeof(vs), "%llu", cfg->volume_size);
	{
		const char *p[2] = {domain_id, vs};

		if (db_exec_params(conn, sql_volume_pick, 2, p, &pick, &err) ==
		    CASIER_LOOKUP_ERROR) {
			log_error("archive: volume pick: %s", err.message);
			goto out;
		}
	}
	n = PQntuples(pick);
	if (n == 0) {
		ret = 0;
		goto out;
	}
	volume_serial(serial);
	if (casier_snprintf(fname, sizeof(fname), "%s-%s.tar.zst", domain,
			    serial) < 0 ||
	    str_appendf(&path, "%s/%s", cfg->volume_dir, fname) < 0)
		goto out;
	if (volume_open(path.data, (int)cfg->compression_level, &w) < 0) {
		log_error("archive: cannot create %s: %s", path.data,
			  strerror(errno));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const char *id = PQgetvalue(pick, i, 0);
		const char *p[1] = {id};
		unsigned char *raw;
		size_t rawlen;
		char name[100], stamp[32];
		time_t t = (time_t)strtoll(PQgetvalue(pick, i, 1), NULL, 10);
		struct tm tm;
		PGresult *b = PQexecParams(db_conn_pg(conn), sql_blob_get, 1,
					   NULL, p, NULL, NULL, 1);

		if (PQresultStatus(b) != PGRES_TUPLES_OK || PQntuples(b) != 1) {
			db_error_classify(db_conn_pg(conn), b, &err);
			PQclear(b);
			log_error("archive: blob %s: %s", id, err.message);
			goto out;
		}
		raw = archive_blob_decompress(
		    PQgetvalue(b, 0, 0), (size_t)PQgetlength(b, 0, 0), &rawlen);
		PQclear(b);
		if (raw == NULL) {
			log_error("archive: blob %s does not decompress", id);
			goto out;
		}
		if (gmtime_r(&t, &tm) == NULL ||
		    strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm) == 0 ||
		    casier_snprintf(name, sizeof(name), "%s/%s-%s.eml", serial,
				    stamp, id) < 0 ||
		    volume_add(w, name, raw, rawlen, t) < 0 ||
		    (i > 0 && str_append(&ids, ",") < 0) ||
		    str_append(&ids, id) < 0) {
			free(raw);
			log_error("archive: writing %s: %s", path.data,
				  strerror(errno));
			goto out;
		}
		free(raw);
	}
	if (volume_close(&w, &size) < 0) {
		log_error("archive: finishing %s: %s", path.data,
			  strerror(errno));
		goto out;
	}
	(void)snprintf(vsize, sizeof(vsize), "%" PRIu64, size);
	(void)snprintf(nmsg, sizeof(nmsg), "%d", n);
	if (db_begin(conn, &err) < 0)
		goto dberr;
	in_txn = true;
	{
		const char *p[6] = {domain_id, serial, nmsg,
				    vsize,     fname,  path.data};

		if (db_exec_params(conn, sql_volume_new, 6, p, &r, &err) ==
		    CASIER_LOOKUP_ERROR)
			goto dberr;
	}
	{
		const char *p[3] = {domain_id, PQgetvalue(r, 0, 0), ids.data};

		if (exec_count(conn, "volume move", sql_volume_move, 3, p) !=
		    n) {
			/* a message went meanwhile: try again next pass */
			log_warning("archive: cellar of %s changed while "
				    "building a volume",
				    domain);
			goto out;
		}
	}
	if (contact != NULL && contact[0] != '\0') {
		if (build_notification(&note, cfg, domain, contact, serial, n,
				       size) < 0)
			goto out;
		{
			const char *p[4] = {domain_id, "", contact, note.data};

			if (exec_count(conn, "notify", sql_notify, 4, p) < 0)
				goto out;
		}
	} else {
		log_warning("archive: %s has no contact address: volume %s "
			    "built without a notification",
			    domain, serial);
	}
	if (db_commit(conn, &err) < 0) {
		in_txn = false;
		goto dberr;
	}
	in_txn = false;
	log_info("archive: volume %s of %s: %d messages, %" PRIu64 " bytes",
		 serial, domain, n, size);
	ret = 1;
	goto out;
dberr:
	log_error("archive: volume of %s: %s", domain, err.message);
out:
	if (in_txn)
		db_rollback(conn);
	volume_abort(&w);
	if (ret < 0 && path.data != NULL && w == NULL && size > 0)
		(void)unlink(path.data); /* closed but not recorded */
	PQclear(pick);
	PQclear(r);
	str_free(&ids);
	str_free(&path);
	str_free(&note);
	return ret;
}

static int
purge_files(struct db_conn *conn, const struct archive_maint_config *cfg,
	    const char *domain_id, struct archive_maint_stats *st)
{
	PGresult *r = NULL;
	struct db_error err;
	const char *p[1] = {domain_id};
	int ret = 0;

	if (db_exec_params(conn, sql_purge_pick, 1, p, &r, &err) ==
	    CASIER_LOOKUP_ERROR) {
		log_error("archive: purge: %s", err.message);
		return -1;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		char path[4096];
		const char *q[1] = {PQgetvalue(r, i, 0)};

		if (casier_snprintf(path, sizeof(path), "%s/%s",
				    cfg->volume_dir, PQgetvalue(r, i, 1)) < 0)
			continue;
		if (unlink(path) < 0 && errno != ENOENT) {
			log_error("archive: cannot remove %s: %s", path,
				  strerror(errno));
			ret = -1;
			continue;
		}
		if (exec_count(conn, "purge", sql_purge_done, 1, q) < 0) {
			ret = -1;
			continue;
		}
		st->purged++;
	}
	PQclear(r);
	return ret;
}

static int
maint_domain(struct db_conn *conn, const struct archive_maint_config *cfg,
	     const char *id, const char *name, long long tier_gb,
	     const char *contact, struct archive_maint_stats *st)
{
	char num[32];
	long long c;
	int ret = 0;

	if (cfg->max_age > 0) {
		const char *p[2] = {id, num};

		(void)snprintf(num, sizeof(num), "%lld", cfg->max_age);
		c = exec_count(conn, "retention", sql_expire, 2, p);
		if (c < 0)
			ret = -1;
		else
			st->expired += (unsigned long long)c;
	}
	{
		const char *p[2] = {id, num};

		/* tier_gb <= 10 and tier_unit <= 2^40: no overflow */
		(void)snprintf(num, sizeof(num), "%llu",
			       (unsigned long long)tier_gb * cfg->tier_unit);
		c = exec_count(conn, "cellar", sql_cellar, 2, p);
		if (c < 0)
			ret = -1;
		else
			st->cellared += (unsigned long long)c;
	}
	/* volumes while the cellar holds at least a volume's worth */
	for (int guard = 0; guard < 1000; guard++) {
		PGresult *r = NULL;
		struct db_error err;
		const char *p[1] = {id};
		unsigned long long cellar;
		int b;

		if (db_exec_params(conn, sql_cellar_size, 1, p, &r, &err) ==
		    CASIER_LOOKUP_ERROR) {
			log_error("archive: cellar size: %s", err.message);
			ret = -1;
			break;
		}
		cellar = strtoull(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		if (cellar < cfg->volume_size)
			break;
		b = build_volume(conn, cfg, id, name, contact);
		if (b <= 0) {
			if (b < 0)
				ret = -1;
			break;
		}
		st->volumes++;
	}
	{
		const char *p[1] = {id};

		c = exec_count(conn, "received", sql_received, 1, p);
		if (c < 0)
			ret = -1;
		else
			st->received += (unsigned long long)c;
	}
	{
		const char *p[2] = {id, num};

		(void)snprintf(num, sizeof(num), "%llu", cfg->cellar_max);
		c = exec_count(conn, "cap", sql_cap, 2, p);
		if (c < 0)
			ret = -1;
		else
			st->capped += (unsigned long long)c;
	}
	if (purge_files(conn, cfg, id, st) < 0)
		ret = -1;
	return ret;
}

/* A volume file no row knows (its domain was deleted, with its archive
 * rows) is removed once it is an hour old: younger ones may be a volume
 * being built.  Data protection: nothing of a deleted domain stays. */
static int
sweep_orphans(struct db_conn *conn, const struct archive_maint_config *cfg,
	      struct archive_maint_stats *st)
{
	DIR *d = opendir(cfg->volume_dir);
	struct dirent *e;
	int ret = 0;

	if (d == NULL) {
		log_error("archive: cannot read %s: %s", cfg->volume_dir,
			  strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t n = strlen(e->d_name);
		char path[4096];
		struct stat sb;
		PGresult *r = NULL;
		struct db_error err;
		const char *p[1] = {e->d_name};
		enum casier_lookup l;

		if (n < 9 || strcmp(e->d_name + n - 8, ".tar.zst") != 0 ||
		    casier_snprintf(path, sizeof(path), "%s/%s",
				    cfg->volume_dir, e->d_name) < 0 ||
		    lstat(path, &sb) < 0 || !S_ISREG(sb.st_mode) ||
		    sb.st_mtime > time(NULL) - 3600)
			continue;
		l = db_exec_params(conn,
				   "SELECT 1 FROM archive_volume WHERE "
				   "file_name = $1 AND purged_at IS NULL",
				   1, p, &r, &err);
		PQclear(r);
		if (l == CASIER_LOOKUP_ERROR) {
			log_error("archive: sweep: %s", err.message);
			ret = -1;
			break;
		}
		if (l == CASIER_FOUND)
			continue;
		if (unlink(path) < 0) {
			log_error("archive: cannot remove %s: %s", path,
				  strerror(errno));
			ret = -1;
			continue;
		}
		log_info("archive: removed %s (no volume of it any more)",
			 path);
		st->purged++;
	}
	(void)closedir(d);
	return ret;
}

static const char sql_domains[] =
    "SELECT d.id, d.name, coalesce(d.archive_tier_gb, 2), "
    "coalesce(d.contact, '') FROM domain d WHERE d.archive_enabled OR "
    "EXISTS (SELECT 1 FROM archive_message m WHERE m.domain_id = d.id) OR "
    "EXISTS (SELECT 1 FROM archive_volume v WHERE v.domain_id = d.id AND "
    "v.purged_at IS NULL) ORDER BY d.id";

int
archive_maint_run(struct db_pool *pool, const struct archive_maint_config *cfg,
		  struct archive_maint_stats *st)
{
	struct db_error err;
	struct db_conn *conn = db_pool_get(pool, &err);
	PGresult *r = NULL;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	if (conn == NULL) {
		log_error("archive: database unavailable: %s", err.message);
		return -1;
	}
	if (db_exec_params(conn, sql_domains, 0, NULL, &r, &err) ==
	    CASIER_LOOKUP_ERROR) {
		log_error("archive: domains: %s", err.message);
		db_pool_put(pool, &conn);
		return -1;
	}
	for (int i = 0; i < PQntuples(r); i++)
		if (maint_domain(conn, cfg, PQgetvalue(r, i, 0),
				 PQgetvalue(r, i, 1),
				 strtoll(PQgetvalue(r, i, 2), NULL, 10),
				 PQgetvalue(r, i, 3), st) < 0)
			ret = -1;
	PQclear(r);
	if (sweep_orphans(conn, cfg, st) < 0)
		ret = -1;
	db_pool_put(pool, &conn);
	return ret;
}

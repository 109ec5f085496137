/*
 * admin-migrate.c - "casier-admin migrate": the migration runner.
 *
 * Applies sql/NNN_name.sql files in numeric order, each in its own
 * transaction together with its row in schema_migration, so a file is
 * either wholly applied and recorded or not at all.  A session-level
 * advisory lock serialises concurrent runners (two hosts starting at
 * once).  Re-running is a no-op.  A failing file is named, rolled back,
 * and stops the run with exit 65 (75 when the failure is temporary).
 * The files are trusted (shipped with Casier): they run through
 * db_exec_script(), the one use of the simple query protocol.
 */
#include "admin.h"
#include "log.h"
#include "str.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef CASIER_SQLDIR
#define CASIER_SQLDIR "/usr/share/casier/sql"
#endif

/* Arbitrary, fixed: the advisory lock key of the migration runner. */
#define MIGRATE_LOCK_KEY  "7071986371043"
#define MIGRATE_FILE_MAX  (16 * 1024 * 1024)
#define MIGRATE_MAX_FILES 1000

struct migration {
	int version;
	char name[256]; /* file name */
};

/* "NNN_[a-z0-9_]+.sql": the version, or -1 for any other name. */
static int
migration_version(const char *name)
{
	size_t len = strlen(name), i;

	if (len < 9 || len >= sizeof(((struct migration *)0)->name))
		return -1;
	for (i = 0; i < 3; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
	}
	if (name[3] != '_' || strcmp(name + len - 4, ".sql") != 0)
		return -1;
	for (i = 4; i < len - 4; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return -1;
	}
	return (name[0] - '0') * 100 + (name[1] - '0') * 10 + (name[2] - '0');
}

static int
migration_cmp(const void *a, const void *b)
{
	const struct migration *x = a, *y = b;

	if (x->version != y->version)
		return x->version < y->version ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* List and sort dir's migrations.  0 or an exit code after a message. */
static int
migration_scan(const char *dir, struct migration **list_r, size_t *count_r)
{
	struct migration *list;
	struct dirent *de;
	size_t count = 0;
	DIR *d;

	d = opendir(dir);
	if (d == NULL) {
		admin_err("cannot open migration directory %s: %s", dir,
			  strerror(errno));
		return EX_NOINPUT;
	}
	list = calloc(MIGRATE_MAX_FILES, sizeof(*list));
	if (list == NULL) {
		(void)closedir(d);
		admin_err("out of memory");
		return EX_TEMPFAIL;
	}
	while ((de = readdir(d)) != NULL) {
		int v = migration_version(de->d_name);

		if (v < 0) {
			if (de->d_name[0] != '.')
				log_debug("ignoring %s/%s (not NNN_name.sql)",
					  dir, de->d_name);
			continue;
		}
		if (count == MIGRATE_MAX_FILES) {
			(void)closedir(d);
			free(list);
			admin_err("too many migration files in %s", dir);
			return EX_DATAERR;
		}
		list[count].version = v;
		/* fits: migration_version() checked the length */
		(void)casier_snprintf(list[count].name,
				      sizeof(list[count].name), "%s",
				      de->d_name);
		count++;
	}
	(void)closedir(d);
	qsort(list, count, sizeof(*list), migration_cmp);
	for (size_t i = 1; i < count; i++) {
		if (list[i].version == list[i - 1].version) {
			admin_err("two migrations numbered %03d: %s and %s",
				  list[i].version, list[i - 1].name,
				  list[i].name);
			free(list);
			return EX_DATAERR;
		}
	}
	*list_r = list;
	*count_r = count;
	return 0;
}

/* Whole file into a NUL-terminated buffer.  0 or an exit code. */
static int
migration_read(const char *path, char **text_r)
{
	struct str s;
	char buf[65536];
	size_t n;
	FILE *fp;

	fp = fopen(path, "r");
	if (fp == NULL) {
		admin_err("cannot open %s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	str_init(&s, MIGRATE_FILE_MAX);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (str_append_mem(&s, buf, n) < 0) {
			admin_err("%s: larger than 16 MiB", path);
			str_free(&s);
			(void)fclose(fp);
			return EX_DATAERR;
		}
	}
	if (ferror(fp)) {
		admin_err("cannot read %s", path);
		str_free(&s);
		(void)fclose(fp);
		return EX_IOERR;
	}
	(void)fclose(fp);
	if (s.len != strlen(s.data != NULL ? s.data : "")) {
		admin_err("%s: contains a NUL byte", path);
		str_free(&s);
		return EX_DATAERR;
	}
	*text_r = str_steal(&s);
	return *text_r != NULL ? 0 : EX_TEMPFAIL;
}

/* Server notices (e.g. "already exists, skipping") are debug chatter. */
static void
migrate_notice(void *arg, const char *message)
{
	char clean[512];

	(void)arg;
	log_debug("%s", log_sanitize(clean, sizeof(clean), message,
				     strcspn(message, "\n")));
}

static int
migrate_prepare(struct admin_ctx *ctx)
{
	static const char *const lock_params[] = {MIGRATE_LOCK_KEY};
	struct db_error err;
	PGresult *res;

	(void)PQsetNoticeProcessor(db_conn_pg(ctx->conn), migrate_notice, NULL);
	/* Session lock: held across the per-file transactions. */
	if (db_exec_params(ctx->conn, "SELECT pg_advisory_lock($1::bigint)", 1,
			   lock_params, &res, &err) == CASIER_LOOKUP_ERROR)
		return admin_db_exit(&err, "cannot take the migration lock");
	PQclear(res);
	if (db_exec_params(ctx->conn,
			   "CREATE TABLE IF NOT EXISTS schema_migration ("
			   "version integer PRIMARY KEY, "
			   "name text NOT NULL, "
			   "applied_at timestamptz NOT NULL DEFAULT now())",
			   0, NULL, &res, &err) == CASIER_LOOKUP_ERROR)
		return admin_db_exit(&err, "cannot create schema_migration");
	PQclear(res);
	return 0;
}

static bool
migration_applied(const PGresult *applied, int version)
{
	for (int i = 0; i < PQntuples(applied); i++) {
		if (atoi(PQgetvalue(applied, i, 0)) == version)
			return true;
	}
	return false;
}

static int
migrate_status(struct admin_ctx *ctx, const char *dir, bool dir_given)
{
	struct migration *list = NULL;
	size_t count = 0;
	struct db_error err;
	PGresult *res;
	int rc;

	if (db_exec_params(ctx->conn,
			   "SELECT version, name, "
			   "to_char(applied_at AT TIME ZONE 'UTC', "
			   "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
			   "FROM schema_migration ORDER BY version",
			   0, NULL, &res, &err) == CASIER_LOOKUP_ERROR)
		return admin_db_exit(&err, "cannot read schema_migration");
	for (int i = 0; i < PQntuples(res); i++)
		(void)printf("%03d %s applied %s\n",
			     atoi(PQgetvalue(res, i, 0)), PQgetvalue(res, i, 1),
			     PQgetvalue(res, i, 2));
	/* Pending files, when the directory is there. */
	if (dir_given || access(dir, R_OK) == 0) {
		rc = migration_scan(dir, &list, &count);
		if (rc != 0) {
			PQclear(res);
			return rc;
		}
		for (size_t i = 0; i < count; i++) {
			if (!migration_applied(res, list[i].version))
				(void)printf("%03d %s pending\n",
					     list[i].version, list[i].name);
		}
		free(list);
	}
	PQclear(res);
	return 0;
}

static int
migrate_one(struct admin_ctx *ctx, const char *dir, const struct migration *m)
{
	char path[4096], version[16];
	const char *params[2];
	struct db_error err;
	char *text = NULL;
	PGresult *res;
	int rc;

	if (casier_snprintf(path, sizeof(path), "%s/%s", dir, m->name) < 0) {
		admin_err("path too long: %s", dir);
		return EX_DATAERR;
	}
	rc = migration_read(path, &text);
	if (rc != 0)
		return rc;
	(void)casier_snprintf(version, sizeof(version), "%d", m->version);
	params[0] = version;
	params[1] = m->name;
	if (db_begin(ctx->conn, &err) < 0 ||
	    db_exec_script(db_conn_pg(ctx->conn), text, &err) < 0)
		goto fail;
	if (PQtransactionStatus(db_conn_pg(ctx->conn)) != PQTRANS_INTRANS) {
		/* The file ended our transaction (COMMIT/ROLLBACK inside). */
		(void)casier_snprintf(err.message, sizeof(err.message),
				      "the file must not contain "
				      "transaction control statements");
		err.status = CASIER_PERMFAIL;
		err.sqlstate[0] = '\0';
		err.constraint[0] = '\0';
		goto fail;
	}
	if (db_exec_params(ctx->conn,
			   "INSERT INTO schema_migration (version, name) "
			   "VALUES ($1::integer, $2)",
			   2, params, &res, &err) == CASIER_LOOKUP_ERROR)
		goto fail;
	PQclear(res);
	if (db_commit(ctx->conn, &err) < 0)
		goto fail;
	free(text);
	(void)printf("applied %s\n", m->name);
	return 0;
fail:
	free(text);
	db_rollback(ctx->conn);
	admin_err("migration %s failed: %s", m->name, err.message);
	return err.status == CASIER_TEMPFAIL ? EX_TEMPFAIL : EX_DATAERR;
}

int
admin_cmd_migrate(struct admin_ctx *ctx, int argc, char **argv)
{
	const char *dir = CASIER_SQLDIR;
	bool status = false, dir_given = false;
	struct migration *list = NULL;
	size_t count = 0, applied_now = 0;
	struct db_error err;
	PGresult *applied;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--status") == 0) {
			status = true;
		} else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) {
			dir = argv[++i];
			dir_given = true;
		} else if (strncmp(argv[i], "--dir=", 6) == 0) {
			dir = argv[i] + 6;
			dir_given = true;
		} else {
			admin_err("migrate: unexpected argument \"%s\"",
				  argv[i]);
			return EX_USAGE;
		}
	}
	if (!status) {
		/* Check the files before touching the database. */
		rc = migration_scan(dir, &list, &count);
		if (rc != 0)
			return rc;
	}
	rc = admin_connect(ctx);
	if (rc == 0)
		rc = migrate_prepare(ctx);
	if (rc != 0) {
		free(list);
		return rc;
	}
	if (status)
		return migrate_status(ctx, dir, dir_given);

	/* Read under the lock: another runner may just have finished. */
	if (db_exec_params(ctx->conn, "SELECT version FROM schema_migration", 0,
			   NULL, &applied, &err) == CASIER_LOOKUP_ERROR) {
		free(list);
		return admin_db_exit(&err, "cannot read schema_migration");
	}
	for (size_t i = 0; i < count && rc == 0; i++) {
		if (migration_applied(applied, list[i].version))
			continue;
		rc = migrate_one(ctx, dir, &list[i]);
		if (rc == 0)
			applied_now++;
	}
	PQclear(applied);
	free(list);
	if (rc == 0 && applied_now == 0)
		(void)printf("database is up to date\n");
	/* The advisory lock goes with the session (db_pool_free). */
	return rc;
}

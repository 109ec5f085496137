/*
 * outbox.c - send the archive's outgoing mail (archive_outbox rows):
 * re-sends of archived messages asked for in the web manager, and volume
 * notifications.  Everything goes through Postfix's internal smtpd
 * ([archive] reinject, +26), which strips the inbound marker, so a
 * re-sent message is delivered again but never archived twice.
 *
 * Called by casier-archive (as the casier user).  A row is deleted only
 * when Postfix accepted the message for every recipient (or refused some
 * permanently: those are logged and dropped); otherwise it is retried
 * with a growing delay, for at most five days.
 */
#include "outbox.h"
#include "db.h"
#include "log.h"
#include "smtp-client.h"
#include "spool.h"
#include "str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char sql_due[] =
    "SELECT o.id, o.kind, o.message_id, o.envelope_sender, "
    "array_to_string(o.recipients, E'\\n'), o.body, o.attempts "
    "FROM archive_outbox o WHERE o.next_try <= now() ORDER BY o.id LIMIT 50";

static const char sql_blob[] =
    "SELECT data FROM archive_blob WHERE message_id = $1";

static const char sql_done[] = "DELETE FROM archive_outbox WHERE id = $1";

static const char sql_later[] =
    "UPDATE archive_outbox SET attempts = attempts + 1, next_try = now() + "
    "make_interval(secs => least(3600, 60 * power(2, attempts))), "
    "last_error = $2 WHERE id = $1";

static const char sql_expired[] =
    "DELETE FROM archive_outbox WHERE created_at < now() - interval '5 days'";

/* The message of a row into sp; 0, or -1 (logged). */
static int
row_message(struct db_conn *conn, const struct archive_maint_config *cfg,
	    PGresult *due, int i, struct spool *sp)
{
	const char *kind = PQgetvalue(due, i, 1);

	if (strcmp(kind, "notify") == 0) {
		const char *body = PQgetvalue(due, i, 5);

		return spool_write(sp, body, strlen(body));
	}
	{
		const char *p[1] = {PQgetvalue(due, i, 2)};
		PGresult *b = PQexecParams(db_conn_pg(conn), sql_blob, 1, NULL,
					   p, NULL, NULL, 1);
		unsigned char *raw;
		size_t len;
		char head[512], date[64];
		time_t now = time(NULL);
		struct tm tm;
		int ret;

		if (PQresultStatus(b) != PGRES_TUPLES_OK || PQntuples(b) != 1) {
			PQclear(b);
			log_error("archive: outbox: blob of message %s missing",
				  p[0]);
			return -1;
		}
		raw = archive_blob_decompress(
		    PQgetvalue(b, 0, 0), (size_t)PQgetlength(b, 0, 0), &len);
		PQclear(b);
		if (raw == NULL)
			return -1;
		/* RFC 5322 section 3.6.6: a re-sent message gets Resent-
		 * fields at the top */
		if (gmtime_r(&now, &tm) == NULL ||
		    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000",
			     &tm) == 0 ||
		    casier_snprintf(head, sizeof(head),
				    "Resent-Date: %s\r\nResent-From: %s\r\n",
				    date, cfg->notify_from) < 0) {
			free(raw);
			return -1;
		}
		ret = spool_write(sp, head, strlen(head)) < 0 ||
			      spool_write(sp, raw, len) < 0
			  ? -1
			  : 0;
		free(raw);
		return ret;
	}
}

int
archive_outbox_run(struct db_pool *pool, const struct archive_maint_config *cfg,
		   unsigned int *sent_r, unsigned int *failed_r)
{
	struct db_error err;
	struct db_conn *conn = db_pool_get(pool, &err);
	PGresult *due = NULL, *x = NULL;

	*sent_r = *failed_r = 0;
	if (conn == NULL) {
		log_error("archive: database unavailable: %s", err.message);
		return -1;
	}
	if (db_exec_params(conn, sql_expired, 0, NULL, &x, &err) !=
	    CASIER_LOOKUP_ERROR)
		PQclear(x);
	if (db_exec_params(conn, sql_due, 0, NULL, &due, &err) ==
	    CASIER_LOOKUP_ERROR) {
		log_error("archive: outbox: %s", err.message);
		db_pool_put(pool, &conn);
		return -1;
	}
	for (int i = 0; i < PQntuples(due); i++) {
		const char *id = PQgetvalue(due, i, 0);
		char *rlist = strdup(PQgetvalue(due, i, 4));
		struct smtp_rcpt_status *rs = NULL;
		size_t n = 0, cap = 1;
		struct spool *sp = spool_new(cfg->spool_dir, 1 << 20);
		struct smtp_client_params sp_params = {
		    .target = cfg->reinject,
		    .lmtp = false,
		    .helo = cfg->hostname,
		    .timeout_ms = (int)cfg->smtp_timeout * 1000,
		    .sender = PQgetvalue(due, i, 3),
		};
		char why[256] = "";
		bool again = false;

		if (rlist == NULL || sp == NULL ||
		    row_message(conn, cfg, due, i, sp) < 0) {
			again = true;
			(void)casier_snprintf(why, sizeof(why),
					      "cannot build the message");
			goto next;
		}
		for (const char *c = rlist; *c != '\0'; c++)
			cap += *c == '\n';
		rs = calloc(cap, sizeof(*rs));
		if (rs == NULL) {
			again = true;
			goto next;
		}
		for (char *save = NULL, *a = strtok_r(rlist, "\n", &save);
		     a != NULL && n < cap; a = strtok_r(NULL, "\n", &save))
			rs[n++].address = a;
		sp_params.size = spool_size(sp);
		smtp_client_send(&sp_params, sp, rs, n);
		for (size_t k = 0; k < n; k++) {
			if (rs[k].res.status == CASIER_TEMPFAIL) {
				again = true;
				(void)casier_snprintf(why, sizeof(why), "%s %s",
						      rs[k].res.dsn,
						      rs[k].res.text);
			} else if (rs[k].res.status == CASIER_PERMFAIL) {
				log_warning("archive: outbox %s: a recipient "
					    "was refused (%s)",
					    id, rs[k].res.dsn);
			}
		}
	next : {
		const char *p[2] = {id, why};

		if (db_exec_params(conn, again ? sql_later : sql_done,
				   again ? 2 : 1, p, &x,
				   &err) != CASIER_LOOKUP_ERROR)
			PQclear(x);
		else
			log_error("archive: outbox: %s", err.message);
	}
		/* a partial temporary failure re-sends to every recipient:
		 * a duplicate is better than a loss */
		if (again) {
			(*failed_r)++;
			log_warning("archive: outbox %s deferred: %s", id, why);
		} else {
			(*sent_r)++;
		}
		spool_free(&sp);
		free(rs);
		free(rlist);
	}
	PQclear(due);
	db_pool_put(pool, &conn);
	return 0;
}

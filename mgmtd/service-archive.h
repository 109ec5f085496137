/*
 * service-archive.h - the inbound mail archive in the service layer of
 * casier-mgmtd (DESIGN section 8, docs/archive.md), shared by the JSON
 * API (api-archive.c) and the pages (page-archive.c).
 *
 * A domain admin sees the online archive of its domains only: list
 * (newest first), search, details -- never the content --, re-send to
 * the original recipients (queued in archive_outbox, sent by
 * casier-archive through Postfix's internal smtpd), delete (definitive),
 * preferences, sender whitelist, export volumes (list, download, confirm
 * receipt).  Another domain's admin gets SVC_NOT_FOUND for everything,
 * and so does a message of the cellar or of a volume.  Every change is
 * audited.
 */
#ifndef CASIER_MGMTD_SERVICE_ARCHIVE_H
#define CASIER_MGMTD_SERVICE_ARCHIVE_H

#include "service.h"

#define SVC_ARCHIVE_TEXT_MAX 1000 /* decoded header fields (truncated) */
#define SVC_ARCHIVE_RCPT_MAX 2000 /* recipients, joined by ", " */

struct svc_archive_item {
	long long id;
	char arrived_at[40]; /* ISO 8601 UTC, "2026-11-23T17:45:00Z" */
	char sender[SVC_ADDRESS_MAX + 1]; /* envelope sender, "" for <> */
	char from[SVC_ARCHIVE_TEXT_MAX + 1];
	char to[SVC_ARCHIVE_TEXT_MAX + 1];
	char subject[SVC_ARCHIVE_TEXT_MAX + 1];
	char recipients[SVC_ARCHIVE_RCPT_MAX + 1];
	char message_id[SVC_ARCHIVE_TEXT_MAX + 1];
	long long size_bytes;
	long long stored_bytes;
	bool spam;
};

/* Search criteria; NULL or "" = not used.  Partial, case-insensitive;
 * sender matches the envelope sender or From.  Dates "YYYY-MM-DD",
 * "YYYY-MM-DD HH:MM[:SS]" or ISO 8601 with "T" (UTC); after <= arrival
 * < before (a bare date as "before" means the end of that day). */
struct svc_archive_query {
	const char *sender;
	const char *recipient;
	const char *subject;
	const char *after;
	const char *before;
};

struct svc_archive_list {
	struct svc_archive_item *items;
	size_t n;
	unsigned int limit;	       /* rows per page used */
	char next[SVC_CURSOR_MAX + 1]; /* older messages; "" = none */
};

struct svc_archive_prefs {
	char domain[SVC_NAME_MAX + 1];
	bool enabled;	 /* set by the superuser */
	int tier_gb;	 /* 2, 5 or 10 */
	int rows_list;	 /* 5..500 */
	int rows_search; /* 5..500 */
	bool archive_spam;
	long long online_bytes; /* compressed, online */
	long long online_messages;
	long long cellar_bytes;
	long long cellar_messages;
};

struct svc_archive_prefs_input {
	bool has_enabled; /* superuser only */
	bool enabled;
	bool has_tier;
	int tier_gb;
	bool has_rows_list;
	int rows_list;
	bool has_rows_search;
	int rows_search;
	bool has_archive_spam;
	bool archive_spam;
};

struct svc_archive_volume {
	long long id;
	char serial[17];
	char created_at[40];
	char downloaded_at[40]; /* "" = never */
	char received_at[40];	/* "" = not confirmed */
	long long messages;
	long long size_bytes;
	bool available; /* the file is still there */
};

struct svc_archive_volume_list {
	struct svc_archive_volume *items;
	size_t n;
};

/*
 * Validate criteria without the database (pure; unit-tested): texts at
 * most SVC_QUERY_MAX bytes without control characters, dates in one of
 * the forms above.  Fills after_r / before_r with "YYYY-MM-DD HH:MM:SS"
 * ("" when absent).  SVC_INVALID with field "sender", "recipient",
 * "subject", "after" or "before".
 */
int svc_archive_query_check(const struct svc_archive_query *q, char after_r[20],
			    char before_r[20], struct svc_result *res);

/*
 * List (no criteria) or search the online archive of domain, newest
 * first.  limit 0 = the domain's rows-per-page preference (list or
 * search); cursor from a previous answer's next, or NULL.
 */
int svc_archive_list(const struct svc *svc, const struct svc_identity *id,
		     const char *domain, const struct svc_archive_query *q,
		     unsigned int limit, const char *cursor,
		     struct svc_archive_list *out_r, struct svc_result *res);
void svc_archive_list_free(struct svc_archive_list *l);

/* Details of one online message (metadata only). */
int svc_archive_get(const struct svc *svc, const struct svc_identity *id,
		    const char *domain, long long msg_id,
		    struct svc_archive_item *out_r, struct svc_result *res);
/* Queue a re-send to the original recipients (audited). */
int svc_archive_resend(const struct svc *svc, const struct svc_identity *id,
		       const char *domain, long long msg_id,
		       struct svc_result *res);
/* Delete the message and its blob for good (audited). */
int svc_archive_delete(const struct svc *svc, const struct svc_identity *id,
		       const char *domain, long long msg_id,
		       struct svc_result *res);

int svc_archive_prefs_get(const struct svc *svc, const struct svc_identity *id,
			  const char *domain, struct svc_archive_prefs *out_r,
			  struct svc_result *res);
/* 422 fields: "tier_gb", "rows_list", "rows_search"; "enabled" by a
 * domain admin -> SVC_FORBIDDEN. */
int svc_archive_prefs_set(const struct svc *svc, const struct svc_identity *id,
			  const char *domain,
			  const struct svc_archive_prefs_input *in,
			  struct svc_archive_prefs *out_r,
			  struct svc_result *res);

/* The sender-domain whitelist (exempt from spam scoring). */
int svc_archive_whitelist_list(const struct svc *svc,
			       const struct svc_identity *id,
			       const char *domain, struct svc_targets *out_r,
			       struct svc_result *res);
int svc_archive_whitelist_add(const struct svc *svc,
			      const struct svc_identity *id, const char *domain,
			      const char *sender_domain,
			      struct svc_result *res);
int svc_archive_whitelist_remove(const struct svc *svc,
				 const struct svc_identity *id,
				 const char *domain, const char *sender_domain,
				 struct svc_result *res);

int svc_archive_volume_list(const struct svc *svc,
			    const struct svc_identity *id, const char *domain,
			    struct svc_archive_volume_list *out_r,
			    struct svc_result *res);
void svc_archive_volume_list_free(struct svc_archive_volume_list *l);
/*
 * The file of a volume for download: marks it downloaded (first time)
 * and audits the start of the download, before any byte is sent (see
 * docs/archive.md); path_r gets its absolute path.  SVC_NOT_FOUND when
 * purged.
 */
int svc_archive_volume_download(const struct svc *svc,
				const struct svc_identity *id,
				const char *domain, const char *serial,
				char *path_r, size_t pathsize,
				struct svc_result *res);
/*
 * The download file name "<domain>-<serial>.tar.zst" for
 * Content-Disposition: the domain lower-cased, the serial as is, any
 * byte outside [A-Za-z0-9.-] becomes '_' (the serial is [A-Z0-9],
 * checked by svc_archive_volume_download), so it never needs quoting. Truncated
 * to outsize (SVC_NAME_MAX + 64 always fits).
 */
void svc_archive_volume_filename(char *out, size_t outsize, const char *domain,
				 const char *serial);
/* Confirm receipt: the volume's messages are deleted (audited). */
int svc_archive_volume_receive(const struct svc *svc,
			       const struct svc_identity *id,
			       const char *domain, const char *serial,
			       struct svc_result *res);

#endif

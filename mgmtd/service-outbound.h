/*
 * service-outbound.h - outbound limits and relay clients in the service
 * layer of casier-mgmtd (DESIGN sections 6, 7 and 9): unblocking an
 * account, bulk-sending requests, relay clients with their networks,
 * sender domains and contacts, and the sending reports.
 *
 * Objects are returned as JSON text built by SQL (sql/034_outbound_admin
 * .sql), malloc'ed; the API parses and forwards it, the pages render it.
 * Conventions of service.h apply (identity checks, audit rows, one
 * svc_result per call, 0 / -1).
 */
#ifndef CASIER_MGMTD_SERVICE_OUTBOUND_H
#define CASIER_MGMTD_SERVICE_OUTBOUND_H

#include "service.h"

#define SVC_BULK_LIMIT_MAX 10000000

/* Lift the account's outbound block now (audited; works when not
 * blocked too).  Domain admins of the account's domain and superusers. */
int svc_outbound_unblock(const struct svc *svc, const struct svc_identity *id,
			 const char *username, struct svc_result *res);

struct svc_bulk_input {
	const char *justification; /* 1..4000 bytes */
	long long limit_per_hour;  /* 1..SVC_BULK_LIMIT_MAX */
	const char *start;	   /* ISO 8601 date or date-time */
	const char *end;	   /* after start and in the future */
};

/* A domain admin (or the superuser) files a request for an account. */
int svc_bulk_request_create(const struct svc *svc,
			    const struct svc_identity *id, const char *username,
			    const struct svc_bulk_input *in, char **json_r,
			    struct svc_result *res);
/* Requests id may see, oldest first; status "" or NULL = all. */
int svc_bulk_request_list(const struct svc *svc, const struct svc_identity *id,
			  const struct svc_page *page, const char *status,
			  char **json_items_r, struct svc_cursors *cursors_r,
			  struct svc_result *res);
/* Superuser: approve (limit -1 = as requested) or reject a pending one. */
int svc_bulk_request_decide(const struct svc *svc,
			    const struct svc_identity *id, const char *req_id,
			    bool approve, long long limit, char **json_r,
			    struct svc_result *res);

struct svc_relay_input {
	const char *name;   /* create: required */
	const char *entity; /* create: required */
	const char *kind;   /* "application" | "customer_mta" */
	bool has_limit;
	long long send_limit_per_hour; /* -1 = [policy] default */
	bool has_active;
	bool active;
	const char **networks; /* NULL = unchanged (update) */
	size_t nnetworks;
	const char **sender_domains; /* NULL = unchanged (update) */
	size_t nsender_domains;
};

/* Relay clients: superuser only (others get 403). */
int svc_relay_client_create(const struct svc *svc,
			    const struct svc_identity *id,
			    const struct svc_relay_input *in, char **json_r,
			    struct svc_result *res);
int svc_relay_client_update(const struct svc *svc,
			    const struct svc_identity *id, const char *rid,
			    const struct svc_relay_input *in, char **json_r,
			    struct svc_result *res);
int svc_relay_client_get(const struct svc *svc, const struct svc_identity *id,
			 const char *rid, char **json_r,
			 struct svc_result *res);
int svc_relay_client_list(const struct svc *svc, const struct svc_identity *id,
			  const struct svc_page *page, char **json_items_r,
			  struct svc_cursors *cursors_r,
			  struct svc_result *res);
int svc_relay_client_delete(const struct svc *svc,
			    const struct svc_identity *id, const char *rid,
			    struct svc_result *res);
/* Contacts: role "responsible" or "manager"; email unique per client. */
int svc_relay_contact_add(const struct svc *svc, const struct svc_identity *id,
			  const char *rid, const char *name, const char *email,
			  const char *role, char **json_r,
			  struct svc_result *res);
int svc_relay_contact_remove(const struct svc *svc,
			     const struct svc_identity *id, const char *rid,
			     const char *email, struct svc_result *res);

/*
 * Requests from relay-client contacts (seeds/003): kind "add", "change",
 * "remove" or "contacts".  Any admin may file one on behalf of a contact
 * (requested_by); it must be in the security list (a contact of that
 * client; a responsible for "contacts"; for "add" a contact of a client
 * of the same entity), else 422 field requested_by.  The superuser lists
 * and decides them; approving applies the change.
 */
struct svc_relay_request_input {
	const char *requested_by;
	const char *kind;
	const char *relay_client_id; /* change, remove, contacts */
	const char *name;	     /* add (required), change */
	const char *entity;	     /* add (required), change */
	const char *client_kind;     /* application | customer_mta */
	bool has_limit;
	long long send_limit_per_hour; /* -1 = default */
	const char **networks;	       /* NULL = not given */
	size_t nnetworks;
	const char **sender_domains;
	size_t nsender_domains;
	const char *contact_action; /* contacts: "add" | "remove" */
	const char *contact_email;
	const char *contact_name;
	const char *contact_role;
};

int svc_relay_request_file(const struct svc *svc, const struct svc_identity *id,
			   const struct svc_relay_request_input *in,
			   char **json_r, struct svc_result *res);
int svc_relay_request_list(const struct svc *svc, const struct svc_identity *id,
			   const struct svc_page *page, const char *status,
			   char **json_items_r, struct svc_cursors *cursors_r,
			   struct svc_result *res);
int svc_relay_request_decide(const struct svc *svc,
			     const struct svc_identity *id, const char *req_id,
			     bool approve, char **json_r,
			     struct svc_result *res);

/*
 * Reports: messages and recipients per day (last 31 days) and per month
 * (last 13) with the month-over-month trend in percent.  csv: text/csv
 * ("period,date,messages,recipients,trend_percent"), else JSON.  A relay
 * client's report is for the superuser; an account's for its admins.
 */
int svc_relay_report(const struct svc *svc, const struct svc_identity *id,
		     const char *rid, bool csv, char **out_r,
		     struct svc_result *res);
int svc_account_report(const struct svc *svc, const struct svc_identity *id,
		       const char *username, bool csv, char **out_r,
		       struct svc_result *res);

#endif

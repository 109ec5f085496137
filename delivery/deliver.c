/*
 * deliver.c - casier-deliverd's delivery backend: configuration, the SQL
 * lookup behind resolution, the RCPT-time plan and final delivery.
 *
 * Called by the LMTP session threads and the policy service, as the mail
 * uid.  Each recipient costs one SQL round trip (casier_resolve()).  A
 * recipient is acknowledged only when every next hop for it (Dovecot
 * LMTP for mailboxes, Postfix's re-injection smtpd for forwards)
 * accepted the message; any doubt is a temporary failure, so Postfix
 * keeps the message and retries.
 */
#include "deliverd.h"
#include "archive.h"
#include "casier-config.h"
#include "log.h"
#include "smtp-client.h"
#include "str.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define K(sec_, key_, type_, field_, def_, min_, max_)                         \
	{                                                                      \
		.section = (sec_), .name = (key_), .type = (type_),            \
		.offset = offsetof(struct deliverd_config, field_),            \
		.default_value = (def_), .min = (min_), .max = (max_)          \
	}

static const struct config_key deliverd_keys[] = {
    {.section = "database",
     .name = "conninfo",
     .type = CONFIG_STRING,
     .offset = offsetof(struct deliverd_config, db_conninfo),
     .required = true,
     .shared = true},
    {.section = "paths",
     .name = "mail_root",
     .type = CONFIG_STRING,
     .offset = offsetof(struct deliverd_config, mail_root),
     .required = true,
     .shared = true},
    {.section = "delivery",
     .name = "socket",
     .type = CONFIG_STRING,
     .offset = offsetof(struct deliverd_config, socket),
     .required = true},
    K("delivery", "policy_socket", CONFIG_STRING, policy_socket, NULL, 0, 0),
    K("delivery", "pid_file", CONFIG_STRING, pid_file, NULL, 0, 0),
    K("delivery", "hostname", CONFIG_STRING, hostname, "localhost", 0, 0),
    K("delivery", "spool_dir", CONFIG_STRING, spool_dir, "/tmp", 0, 0),
    {.section = "delivery",
     .name = "dovecot_lmtp",
     .type = CONFIG_STRING,
     .offset = offsetof(struct deliverd_config, dovecot_lmtp),
     .required = true},
    {.section = "delivery",
     .name = "reinject",
     .type = CONFIG_STRING,
     .offset = offsetof(struct deliverd_config, reinject),
     .required = true},
    K("delivery", "max_message_size", CONFIG_SIZE, max_message_size, "50M",
      1024, 1LL << 40),
    K("delivery", "spool_memory", CONFIG_SIZE, spool_memory, "256k", 1024,
      1LL << 30),
    K("delivery", "max_recipients", CONFIG_INT, max_recipients, "1000", 1,
      100000),
    K("delivery", "max_connections", CONFIG_INT, max_connections, "64", 1,
      10000),
    K("delivery", "alias_depth", CONFIG_INT, alias_depth, "8", 1, 32),
    K("delivery", "loop_max_hops", CONFIG_INT, loop_max_hops, "2", 1, 100),
    K("delivery", "db_pool_size", CONFIG_INT, db_pool_size, "4", 1, 100),
    K("delivery", "db_timeout", CONFIG_DURATION, db_timeout, "5s", 1, 300),
    K("delivery", "idle_timeout", CONFIG_DURATION, idle_timeout, "300s", 1,
      86400),
    K("delivery", "next_hop_timeout", CONFIG_DURATION, next_hop_timeout, "120s",
      1, 3600),
    K("delivery", "shutdown_grace", CONFIG_DURATION, shutdown_grace, "60s", 0,
      3600),
    K("delivery", "job_interval", CONFIG_DURATION, job_interval, "5s", 1, 3600),
    K("srs", "domain", CONFIG_STRING, srs_domain, NULL, 0, 0),
    K("srs", "secret", CONFIG_STRING, srs_secret, NULL, 0, 0),
    K("srs", "max_age", CONFIG_DURATION, srs_max_age, "21d", 86400,
      1000LL * 86400),
    K("srs", "hash_length", CONFIG_INT, srs_hash_length, "8", 4, 16),
};

int
deliverd_config_load(const char *path, struct deliverd_config *cfg,
		     char *error_r, size_t errsize)
{
	memset(cfg, 0, sizeof(*cfg));
	if (config_load(path, deliverd_keys, CASIER_ARRAY_LEN(deliverd_keys),
			cfg, error_r, errsize) < 0)
		return -1;
	if ((cfg->srs_domain != NULL) != (cfg->srs_secret != NULL)) {
		(void)casier_snprintf(error_r, errsize,
				      "%s: [srs] domain and secret go together",
				      path);
		deliverd_config_free(cfg);
		return -1;
	}
	if (cfg->srs_secret != NULL && strlen(cfg->srs_secret) < 16) {
		(void)casier_snprintf(
		    error_r, errsize,
		    "%s: [srs] secret: at least 16 characters", path);
		deliverd_config_free(cfg);
		return -1;
	}
	return 0;
}

void
deliverd_config_free(struct deliverd_config *cfg)
{
	config_free(deliverd_keys, CASIER_ARRAY_LEN(deliverd_keys), cfg);
}

const struct db_statement deliverd_statements[] = {
    {.name = "resolve",
     .sql = "SELECT node, kind, value, username, address, active,"
	    " quota_bytes, used_bytes, keep_copy"
	    " FROM casier_resolve($1, $2::integer)",
     .nparams = 2},
};
const size_t deliverd_nstatements = CASIER_ARRAY_LEN(deliverd_statements);

/* ---- the SQL lookup ---- */

enum {
	C_NODE,
	C_KIND,
	C_VALUE,
	C_USER,
	C_ADDR,
	C_ACTIVE,
	C_QUOTA,
	C_USED,
	C_KEEP
};

struct arena {
	char *p;
	size_t left;
};

static const char *
arena_copy(struct arena *a, const PGresult *res, int row, int col)
{
	size_t n;
	char *s;

	if (PQgetisnull(res, row, col))
		return NULL;
	n = (size_t)PQgetlength(res, row, col);
	if (n + 1 > a->left)
		return NULL; /* cannot happen: sized from the same lengths */
	s = a->p;
	memcpy(s, PQgetvalue(res, row, col), n);
	s[n] = '\0';
	a->p += n + 1;
	a->left -= n + 1;
	return s;
}

static bool
col_bool(const PGresult *res, int row, int col)
{
	return !PQgetisnull(res, row, col) &&
	       PQgetvalue(res, row, col)[0] == 't';
}

static int64_t
col_int(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col)
		   ? 0
		   : strtoll(PQgetvalue(res, row, col), NULL, 10);
}

static int
facts_from_result(const PGresult *res, struct resolve_facts *facts)
{
	int nrows = PQntuples(res);
	size_t total = 0, nt = 0;
	struct arena a;
	const char **targets;
	char *mem;

	if (PQnfields(res) != 9)
		return -1;
	for (int i = 0; i < nrows; i++) {
		static const int cols[] = {C_NODE, C_VALUE, C_USER, C_ADDR};

		for (size_t c = 0; c < CASIER_ARRAY_LEN(cols); c++)
			total += (size_t)PQgetlength(res, i, cols[c]) + 1;
	}
	mem = malloc(total + 1);
	targets = calloc((size_t)nrows + 1, sizeof(*targets));
	if (resolve_facts_own(facts, mem) < 0 ||
	    resolve_facts_own(facts, targets) < 0)
		return -1;
	a.p = mem;
	a.left = total + 1;
	for (int i = 0; i < nrows; i++) {
		const char *key = PQgetvalue(res, i, C_NODE);
		const char *kind = PQgetvalue(res, i, C_KIND);
		struct resolve_node *n;

		n = facts->nnodes > 0 ? &facts->nodes[facts->nnodes - 1] : NULL;
		if (n == NULL || strcmp(n->key, key) != 0) {
			n = resolve_facts_add(facts);
			if (n == NULL)
				return -1;
			n->key = arena_copy(&a, res, i, C_NODE);
			if (n->key == NULL)
				return -1;
		}
		if (strcmp(kind, "domain") == 0) {
			const char *v = PQgetvalue(res, i, C_VALUE);

			n->domain_state = strcmp(v, "active") == 0
					      ? RESOLVE_DOMAIN_ACTIVE
					  : strcmp(v, "inactive") == 0
					      ? RESOLVE_DOMAIN_INACTIVE
					      : RESOLVE_DOMAIN_UNKNOWN;
		} else if (strcmp(kind, "account") == 0 ||
			   strcmp(kind, "catchall") == 0) {
			bool acct = kind[0] == 'a';
			struct resolve_account *ac =
			    acct ? &n->account : &n->catchall;

			ac->username = arena_copy(&a, res, i, C_USER);
			ac->address = arena_copy(&a, res, i, C_ADDR);
			if (ac->username == NULL || ac->address == NULL)
				return -1; /* bad data: temporary */
			ac->active = col_bool(res, i, C_ACTIVE);
			ac->quota_bytes = col_int(res, i, C_QUOTA);
			ac->used_bytes = col_int(res, i, C_USED);
			if (acct) {
				n->has_account = true;
				if (!PQgetisnull(res, i, C_KEEP)) {
					n->has_redirect = true;
					n->keep_copy = col_bool(res, i, C_KEEP);
				}
			} else {
				n->has_catchall = true;
			}
		} else if (strcmp(kind, "redirect") == 0 ||
			   strcmp(kind, "alias_target") == 0) {
			bool redir = kind[0] == 'r';
			const char *v = arena_copy(&a, res, i, C_VALUE);

			if (v == NULL)
				return -1;
			if (redir) {
				if (n->nredirect == 0)
					n->redirect = &targets[nt];
				n->nredirect++;
				n->has_redirect = true;
			} else {
				if (n->nalias == 0)
					n->alias_targets = &targets[nt];
				n->nalias++;
				n->has_alias = true;
			}
			/* rows of one list are consecutive (one RETURN QUERY)
			 */
			targets[nt++] = v;
		} else if (strcmp(kind, "alias") == 0) {
			n->has_alias = true;
		} else {
			return -1;
		}
	}
	return 0;
}

enum casier_lookup
deliver_sql_lookup(void *ctx, const char *key, unsigned int max_depth,
		   struct resolve_facts *facts)
{
	struct deliver_ctx *dc = ctx;
	struct db_error err;
	struct db_conn *conn;
	PGresult *res = NULL;
	char depth[16];
	const char *params[2] = {key, depth};
	enum casier_lookup lk;

	(void)casier_snprintf(depth, sizeof(depth), "%u", max_depth);
	conn = db_pool_get(dc->db, &err);
	if (conn == NULL) {
		log_error("resolve: database unavailable: %s", err.message);
		return CASIER_LOOKUP_ERROR;
	}
	lk = db_exec_prepared(conn, "resolve", 2, params, &res, &err);
	db_pool_put(dc->db, &conn);
	if (lk == CASIER_LOOKUP_ERROR) {
		log_error("resolve: query failed (%s): %s", err.sqlstate,
			  err.message);
		return CASIER_LOOKUP_ERROR;
	}
	if (res != NULL && facts_from_result(res, facts) < 0) {
		log_error("resolve: unexpected result for %s", key);
		PQclear(res);
		return CASIER_LOOKUP_ERROR;
	}
	PQclear(res);
	return CASIER_FOUND;
}

/* ---- RCPT ---- */

void
deliver_plan_free(struct deliver_plan *plan)
{
	if (plan == NULL)
		return;
	resolve_result_free(&plan->r);
	free(plan);
}

void
deliver_rcpt_plan(struct deliver_ctx *dc, const char *rcpt, uint64_t size,
		  struct deliver_plan **plan_r, struct casier_result *res_r)
{
	struct deliver_plan *plan = calloc(1, sizeof(*plan));
	struct resolve_lookup lk = {.ctx = dc, .lookup = deliver_sql_lookup};
	const char *at = strrchr(rcpt, '@');

	*plan_r = NULL;
	if (plan == NULL) {
		casier_result_set(res_r, CASIER_TEMPFAIL, "4.3.0",
				  "Temporary local problem");
		return;
	}
	if (dc->srs_enabled && at != NULL &&
	    strcasecmp(at + 1, dc->srs.domain) == 0) {
		char orig[SRS_ADDRESS_MAX];
		const char *error;
		int r = srs_reverse(&dc->srs, rcpt, time(NULL), orig,
				    sizeof(orig), &error);

		if (r <= 0 || strlen(orig) > RESOLVE_ADDRESS_MAX) {
			log_info("rcpt: refused SRS address: %s",
				 r < 0 ? error : "not an SRS address");
			casier_result_set(res_r, CASIER_PERMFAIL, "5.1.1",
					  "User unknown");
			free(plan);
			return;
		}
		plan->r.dests = calloc(1, sizeof(*plan->r.dests));
		if (plan->r.dests == NULL) {
			casier_result_set(res_r, CASIER_TEMPFAIL, "4.3.0",
					  "Temporary local problem");
			free(plan);
			return;
		}
		plan->r.ndests = 1;
		plan->r.dests[0].kind = RESOLVE_DEST_REMOTE;
		memcpy(plan->r.dests[0].address, orig, strlen(orig) + 1);
		plan->srs_bounce = true;
		casier_result_set(&plan->r.res, CASIER_OK, "2.1.5",
				  "Recipient OK");
	} else {
		resolve_recipient(&lk, rcpt, (unsigned int)dc->cfg->alias_depth,
				  size, &plan->r);
	}
	*res_r = plan->r.res;
	if (plan->r.res.status != CASIER_OK) {
		deliver_plan_free(plan);
		return;
	}
	*plan_r = plan;
}

static void
backend_rcpt(void *ctx, const struct lmtp_txn *txn, const char *path,
	     void **plan_r, struct casier_result *res_r)
{
	struct deliver_plan *plan;

	deliver_rcpt_plan(ctx, path, txn->has_size ? txn->size : 0, &plan,
			  res_r);
	*plan_r = plan;
}

static void
backend_plan_free(void *ctx, void *plan)
{
	deliver_plan_free(plan);
}

/* ---- DATA ---- */

unsigned int
deliver_count_delivered_to(const char *head, size_t len, const char *addr)
{
	static const char name[] = "delivered-to:";
	const char *p = head, *end = head + len;
	size_t alen = strlen(addr);
	unsigned int count = 0;

	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol != NULL ? eol : end;

		if (le == p || (le == p + 1 && *p == '\r'))
			break; /* the empty line ends the header */
		if ((size_t)(le - p) > sizeof(name) - 1 &&
		    strncasecmp(p, name, sizeof(name) - 1) == 0) {
			const char *v = p + sizeof(name) - 1;
			const char *ve = le;

			while (v < ve && (*v == ' ' || *v == '\t' || *v == '<'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' ||
					  ve[-1] == '\t' || ve[-1] == '>'))
				ve--;
			if ((size_t)(ve - v) == alen &&
			    strncasecmp(v, addr, alen) == 0)
				count++;
		}
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	return count;
}

/* Worst outcome of a recipient's next hops: TEMPFAIL > PERMFAIL > OK. */
static void
merge_result(struct casier_result *acc, const struct casier_result *r)
{
	if (r->status == CASIER_OK)
		return;
	if (acc->status == CASIER_OK ||
	    (acc->status == CASIER_PERMFAIL && r->status == CASIER_TEMPFAIL))
		*acc = *r;
}

/*
 * DESIGN section 8: archive a message that came from the Internet (the
 * marker Postfix's inbound smtpd adds) for every archived domain among
 * the recipients, before anything is delivered or acknowledged.  -1 when
 * it could not be archived: every recipient then stays TEMPFAIL 4.3.0
 * (451), Postfix keeps the message and retries, nothing is lost.
 */
static int
deliver_archive(struct deliver_ctx *dc, struct lmtp_txn *txn)
{
	const char **addrs = calloc(txn->nrcpts, sizeof(*addrs));
	struct archive_config acfg = {.compression_level = 3,
				      .require_inbound = true};
	struct archive_envelope env = {.sender = txn->mail_from,
				       .nrcpts = txn->nrcpts};
	struct archive_source src;
	struct casier_result res;

	if (addrs == NULL)
		return -1;
	for (unsigned int i = 0; i < txn->nrcpts; i++)
		addrs[i] = txn->rcpts[i].path;
	env.rcpts = addrs;
	archive_source_spool(&src, txn->msg);
	archive_store(dc->db, &acfg, &env, &src, NULL, &res);
	free(addrs);
	return res.status == CASIER_OK ? 0 : -1;
}

static void
backend_deliver(void *ctx, struct lmtp_txn *txn)
{
	struct deliver_ctx *dc = ctx;
	const struct deliverd_config *cfg = dc->cfg;
	struct smtp_rcpt_status *mb = NULL;
	size_t nmb = 0, cap = 0, headlen = 0;
	char *head = spool_head(txn->msg, 65536, &headlen);
	bool *looped = calloc(txn->nrcpts, sizeof(bool));
	struct smtp_client_params p = {
	    .helo = cfg->hostname,
	    .timeout_ms = (int)cfg->next_hop_timeout * 1000,
	    .sender = txn->mail_from,
	    .size = spool_size(txn->msg),
	    .body_8bitmime = txn->body == LMTP_BODY_8BITMIME,
	};

	if (head == NULL || looped == NULL)
		goto out; /* results stay TEMPFAIL 4.3.0 */
	if (deliver_archive(dc, txn) < 0)
		goto out; /* results stay TEMPFAIL 4.3.0 */

	/* Mailboxes of every recipient, once each, in one LMTP transaction */
	for (unsigned int i = 0; i < txn->nrcpts; i++) {
		struct deliver_plan *plan = txn->rcpts[i].plan;

		if (deliver_count_delivered_to(head, headlen,
					       txn->rcpts[i].path) >=
		    (unsigned int)cfg->loop_max_hops) {
			looped[i] = true;
			continue;
		}
		for (size_t d = 0; d < plan->r.ndests; d++) {
			const struct resolve_dest *dest = &plan->r.dests[d];
			bool dup = false;

			if (dest->kind != RESOLVE_DEST_MAILBOX)
				continue;
			for (size_t k = 0; k < nmb && !dup; k++)
				dup = strcmp(mb[k].address, dest->address) == 0;
			if (dup)
				continue;
			if (nmb == cap) {
				/* cap grows to at most nrcpts * 1000 */
				size_t ncap = cap == 0 ? 8 : cap * 2;
				struct smtp_rcpt_status *n =
				    realloc(mb, ncap * sizeof(*n));

				if (n == NULL)
					goto out;
				mb = n;
				cap = ncap;
			}
			mb[nmb].address = dest->address;
			nmb++;
		}
	}
	if (nmb > 0) {
		p.target = cfg->dovecot_lmtp;
		p.lmtp = true;
		smtp_client_send(&p, txn->msg, mb, nmb);
		/* DESIGN section 4: a full mailbox is a temporary condition
		 * (the sender's server retries), whatever Dovecot says */
		for (size_t k = 0; k < nmb; k++)
			if (mb[k].res.status == CASIER_PERMFAIL &&
			    strcmp(mb[k].res.dsn, "5.2.2") == 0)
				casier_result_set(
				    &mb[k].res, CASIER_TEMPFAIL, "4.2.2",
				    "Mailbox full: user overquota");
	}

	for (unsigned int i = 0; i < txn->nrcpts; i++) {
		struct deliver_plan *plan = txn->rcpts[i].plan;
		struct casier_result acc;
		struct smtp_rcpt_status *rs = NULL;
		size_t nrs = 0;
		char sender[SRS_ADDRESS_MAX], prepend[LMTP_PATH_MAX + 32];

		if (looped[i]) {
			casier_result_set(&txn->rcpts[i].result,
					  CASIER_PERMFAIL, "5.4.6",
					  "Mail forwarding loop");
			log_warning("deliver: forwarding loop for a recipient "
				    "(%u Delivered-To headers)",
				    (unsigned int)cfg->loop_max_hops);
			continue;
		}
		casier_result_set(&acc, CASIER_OK, "2.0.0", "Delivered");
		for (size_t d = 0; d < plan->r.ndests; d++) {
			const struct resolve_dest *dest = &plan->r.dests[d];

			if (dest->kind == RESOLVE_DEST_MAILBOX) {
				for (size_t k = 0; k < nmb; k++)
					if (strcmp(mb[k].address,
						   dest->address) == 0)
						merge_result(&acc, &mb[k].res);
			} else {
				nrs++;
			}
		}
		if (nrs > 0 && acc.status != CASIER_OK) {
			/* the recipient will be retried anyway: forwarding
			 * now would only duplicate the copies sent then */
			nrs = 0;
		}
		if (nrs > 0) {
			/* forwards: re-injected with an SRS sender */
			size_t k = 0;

			rs = calloc(nrs, sizeof(*rs));
			if (rs == NULL) {
				casier_result_set(&acc, CASIER_TEMPFAIL,
						  "4.3.0",
						  "Temporary local problem");
				goto set;
			}
			for (size_t d = 0; d < plan->r.ndests; d++)
				if (plan->r.dests[d].kind ==
				    RESOLVE_DEST_REMOTE)
					rs[k++].address =
					    plan->r.dests[d].address;
			p.target = cfg->reinject;
			p.lmtp = false;
			p.sender = txn->mail_from;
			if (dc->srs_enabled && !plan->srs_bounce) {
				if (srs_forward(&dc->srs, txn->mail_from,
						time(NULL), sender,
						sizeof(sender)) < 0 ||
				    strlen(sender) > LMTP_PATH_MAX) {
					/* unrewritable: forward as a bounce
					 * would; never lose the message */
					sender[0] = '\0';
				}
				p.sender = sender;
			}
			if (casier_snprintf(prepend, sizeof(prepend),
					    "Delivered-To: %s\r\n",
					    txn->rcpts[i].path) < 0)
				prepend[0] = '\0';
			p.prepend = prepend;
			smtp_client_send(&p, txn->msg, rs, nrs);
			p.prepend = NULL;
			p.sender = txn->mail_from;
			for (k = 0; k < nrs; k++)
				merge_result(&acc, &rs[k].res);
			free(rs);
		}
	set:
		txn->rcpts[i].result = acc;
	}
out:
	free(mb);
	free(head);
	free(looped);
}

void
deliver_backend_init(struct deliver_ctx *dc, struct lmtp_backend *be)
{
	be->ctx = dc;
	be->rcpt = backend_rcpt;
	be->deliver = backend_deliver;
	be->plan_free = backend_plan_free;
}

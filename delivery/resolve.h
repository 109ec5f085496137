/*
 * resolve.h - recipient resolution (DESIGN section 3) and the RCPT-time
 * quota check (section 4).
 *
 * The split: a lookup (one SQL round trip in deliverd, a table in the
 * unit tests) reports every fact reachable from the recipient -- one
 * node per address or username -- and resolve_recipient() applies the
 * rules to those facts: precedence account > alias > catch-all, redirects
 * with or without a copy, nested aliases depth-limited and loop-safe,
 * de-duplication and quota.
 */
#ifndef CASIER_RESOLVE_H
#define CASIER_RESOLVE_H

#include "casier.h"

#include <stdint.h>

#define RESOLVE_DEFAULT_DEPTH 8
#define RESOLVE_ADDRESS_MAX   320

enum resolve_domain {
	RESOLVE_DOMAIN_UNKNOWN, /* not hosted here: a remote address */
	RESOLVE_DOMAIN_INACTIVE,
	RESOLVE_DOMAIN_ACTIVE,
};

struct resolve_account {
	const char *username;
	const char *address; /* local_part@primary-domain */
	bool active;
	int64_t quota_bytes; /* 0 = unlimited */
	int64_t used_bytes;
};

/* Facts about one key: "local@domain" (lower-case, tag removed) or a
 * bare username. */
struct resolve_node {
	const char *key;
	enum resolve_domain domain_state;
	bool has_account; /* local part or username of the domain matches */
	struct resolve_account account;
	bool has_redirect;
	bool keep_copy;
	const char *const *redirect;
	size_t nredirect;
	bool has_alias;
	const char *const *alias_targets;
	size_t nalias;
	bool has_catchall;
	struct resolve_account catchall;
};

struct resolve_facts {
	struct resolve_node *nodes;
	size_t nnodes;
	/* memory owned by the facts (freed by resolve_facts_clear) */
	void **allocs;
	size_t nallocs, allocs_cap;
};

struct resolve_lookup {
	void *ctx;
	/*
	 * Fill facts with the node for key and every node reachable from
	 * it within max_depth levels.  CASIER_FOUND, or CASIER_LOOKUP_ERROR
	 * (database trouble: the caller answers 451 4.3.0).
	 */
	enum casier_lookup (*lookup)(void *ctx, const char *key,
				     unsigned int max_depth,
				     struct resolve_facts *facts);
};

enum resolve_dest_kind {
	RESOLVE_DEST_MAILBOX, /* a local account: Dovecot LMTP */
	RESOLVE_DEST_REMOTE,  /* an outside address: re-injected with SRS */
};

struct resolve_dest {
	enum resolve_dest_kind kind;
	/* MAILBOX: the account's address (with +tag when it was asked for
	 * directly); REMOTE: the target address */
	char address[RESOLVE_ADDRESS_MAX + 1];
	char username[64]; /* MAILBOX only */
};

struct resolve_result {
	struct casier_result res; /* OK, or the reply for the recipient */
	struct resolve_dest *dests;
	size_t ndests;
};

/* facts helpers (used by lookups) */
void resolve_facts_init(struct resolve_facts *facts);
void resolve_facts_clear(struct resolve_facts *facts);
struct resolve_node *resolve_facts_add(struct resolve_facts *facts);
/* Keep p (malloc'ed) until resolve_facts_clear; -1 (p freed) on failure. */
int resolve_facts_own(struct resolve_facts *facts, void *p);
const struct resolve_node *resolve_facts_find(const struct resolve_facts *facts,
					      const char *key);

/*
 * The node key of a target or address: lower-case, "+tag" removed from
 * the local part; a bare username stays as it is.  -1 when it does not
 * fit.
 */
int resolve_key(const char *target, char *out, size_t outsize);

/*
 * Resolve one recipient (a path from RCPT TO) announcing size bytes (0 =
 * unknown).  Always fills out: out->res says the outcome; on OK,
 * out->dests lists the final destinations (free with
 * resolve_result_free).
 */
void resolve_recipient(const struct resolve_lookup *lookup, const char *rcpt,
		       unsigned int max_depth, uint64_t size,
		       struct resolve_result *out);
void resolve_result_free(struct resolve_result *out);

#endif

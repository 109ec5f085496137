/*
 * policy-decide.h - what casier-policyd answers to one policy request.
 *
 * The decision logic is separate from the store (PostgreSQL in
 * policy-store.c, a table of fakes in the unit tests): policy_decide()
 * validates the request, asks the store one question and maps the
 * outcome to one Postfix access(5) action in exactly one place.
 */
#ifndef CASIER_POLICY_DECIDE_H
#define CASIER_POLICY_DECIDE_H

#include "casier.h"
#include "policy-request.h"

#define POLICY_ACTION_MAX 512

struct policy_settings {
	long long default_limit_per_hour;	/* accounts, default 5000 */
	long long block_seconds;		/* default 3 days */
	long long relay_default_limit_per_hour; /* 0 = unlimited */
	const char *superuser_notify;		/* comma list, may be "" */
	/* A domain Postfix delivers that is not in the SQL tables (the SRS
	 * domain of [srs] domain): treated as hosted; NULL = none. */
	const char *extra_hosted_domain;
};

enum policy_outcome {
	POLICY_OUT_ERROR,   /* store trouble: temporary answer */
	POLICY_OUT_UNKNOWN, /* the SASL login names no account */
	POLICY_OUT_OK,	    /* nothing to say: other restrictions decide */
	POLICY_OUT_BLOCKED, /* account already blocked for outbound mail */
	POLICY_OUT_BLOCK,   /* this message crossed the limit: blocked now */
	POLICY_OUT_HOSTED,  /* relay role: recipient is hosted here */
	POLICY_OUT_DENIED,  /* relay role: not an authorised relay client */
	POLICY_OUT_PERMIT,  /* relay role: authorised relay client */
	POLICY_OUT_OVER,    /* relay role: relay client over its hourly limit */
};

/* Extra facts a store returns for logging and reply texts. */
struct policy_facts {
	long long used;
	long long limit;
	char blocked_until[64]; /* as PostgreSQL prints it, or "" */
	char relay_client[128];
};

struct policy_store {
	void *ctx;
	enum policy_outcome (*submission_rcpt)(void *ctx, const char *login,
					       const char *instance,
					       const char *rcpt_domain,
					       struct policy_facts *facts_r);
	enum policy_outcome (*submission_eod)(void *ctx, const char *login,
					      const char *instance,
					      long long recipient_count,
					      const struct policy_settings *set,
					      struct policy_facts *facts_r);
	enum policy_outcome (*relay_rcpt)(void *ctx, const char *client_address,
					  const char *sender_domain,
					  const char *rcpt_domain,
					  const char *instance,
					  struct policy_facts *facts_r);
	/* Read-only: is this an authorised relay (nothing counted)? */
	enum policy_outcome (*relay_check)(void *ctx,
					   const char *client_address,
					   const char *sender_domain,
					   const char *rcpt_domain,
					   struct policy_facts *facts_r);
	enum policy_outcome (*relay_eod)(void *ctx, const char *instance,
					 const struct policy_settings *set,
					 struct policy_facts *facts_r);
};

/*
 * Decide.  Writes "action=..." without the terminating newlines into
 * action (POLICY_ACTION_MAX bytes) and returns the outcome, for logging.
 */
enum policy_outcome policy_decide(const struct policy_request *req,
				  const struct policy_settings *set,
				  const struct policy_store *store,
				  char action[POLICY_ACTION_MAX]);

/*
 * The domain of an envelope address ("user@Dom.Example" -> "dom.example"),
 * lower-cased ASCII; false when there is no '@', the domain is empty or
 * longer than outsize - 1, or holds bytes that cannot be in a domain.
 */
bool policy_address_domain(const char *address, char *out, size_t outsize);

#endif

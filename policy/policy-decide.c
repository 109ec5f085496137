/*
 * policy-decide.c - the decisions of casier-policyd (DESIGN sections 6, 7).
 *
 * Called by policy-server.c once per complete request, from any of its
 * threads, and by the unit tests with a fake store.  No I/O of its own:
 * the store does the SQL.  Role of the request:
 *   - sasl_username set (the submissions smtpd): RCPT refuses a blocked
 *     account and remembers outside recipients; END-OF-MESSAGE commits
 *     them against the hourly limit, or refuses the message that crosses
 *     it and blocks the account.
 *   - no SASL (the inbound smtpd): a recipient outside the hosted domains
 *     is permitted only for an authorised relay client (client network
 *     and sender domain); END-OF-MESSAGE counts relayed messages.  With
 *     policy_context=relay_check (the recipient restrictions that follow
 *     the relay restrictions) the same question is asked read-only.
 * Every store failure and every request we cannot make sense of gives a
 * temporary refusal: never unlimited sending, never an open relay.
 */
#include "policy-decide.h"

#include "address.h"
#include "str.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

bool
policy_address_domain(const char *address, char *out, size_t outsize)
{
	const char *at = strrchr(address, '@');
	size_t len;
	bool ascii = true;

	if (at == NULL)
		return false;
	at++;
	len = strlen(at);
	if (len == 0 || len >= outsize)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)at[i];
		if (c >= 0x80) {
			ascii = false;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		      c == '_' || c == '[' || c == ']' || c == ':'))
			return false;
	}
	if (!ascii) {
		/* An SMTPUTF8 domain: compare in its A-label form. */
		const char *error;
		return address_domain_normalize(at, out, outsize, &error) == 0;
	}
	memcpy(out, at, len + 1);
	casier_ascii_lower(out);
	return true;
}

static bool
policy_client_address_valid(const char *addr)
{
	unsigned char buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, addr, buf) == 1 ||
	       inet_pton(AF_INET6, addr, buf) == 1;
}

static bool
policy_parse_count(const char *s, long long *count_r)
{
	long long n = 0;

	if (s == NULL || *s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		n = n * 10 + (*s - '0');
		if (n > 100000000) /* far above smtpd_recipient_limit */
			return false;
	}
	*count_r = n;
	return true;
}

/* The single place where outcomes become SMTP replies. */
static void
policy_action_format(enum policy_outcome out, const struct policy_facts *f,
		     char action[POLICY_ACTION_MAX])
{
	int ret = 0;

	switch (out) {
	case POLICY_OUT_OK:
	case POLICY_OUT_HOSTED:
		ret =
		    casier_snprintf(action, POLICY_ACTION_MAX, "action=DUNNO");
		break;
	case POLICY_OUT_PERMIT:
		ret = casier_snprintf(action, POLICY_ACTION_MAX, "action=OK");
		break;
	case POLICY_OUT_BLOCKED:
		ret = casier_snprintf(
		    action, POLICY_ACTION_MAX,
		    "action=554 5.7.1 This account is blocked for sending "
		    "mail%s%s (hourly limit exceeded); contact your "
		    "administrator",
		    f->blocked_until[0] != '\0' ? " until " : "",
		    f->blocked_until);
		break;
	case POLICY_OUT_BLOCK:
		ret = casier_snprintf(
		    action, POLICY_ACTION_MAX,
		    "action=554 5.7.1 Hourly sending limit of %lld "
		    "recipients exceeded: this account is now blocked for "
		    "sending mail; contact your administrator",
		    f->limit);
		break;
	case POLICY_OUT_DENIED:
		ret = casier_snprintf(action, POLICY_ACTION_MAX,
				      "action=554 5.7.1 Relay access denied");
		break;
	case POLICY_OUT_OVER:
		ret = casier_snprintf(action, POLICY_ACTION_MAX,
				      "action=450 4.7.1 Relay client over its "
				      "hourly limit, try again later");
		break;
	case POLICY_OUT_UNKNOWN:
		ret = casier_snprintf(action, POLICY_ACTION_MAX,
				      "action=451 4.7.1 Sending account not "
				      "known to the policy service, try again "
				      "later");
		break;
	case POLICY_OUT_ERROR:
	default:
		ret = -1;
		break;
	}
	if (ret < 0)
		(void)casier_snprintf(action, POLICY_ACTION_MAX,
				      "action=451 4.3.0 Temporary policy "
				      "service failure, try again later");
}

static enum policy_outcome
policy_decide_submission(const struct policy_request *req, const char *state,
			 const char *login, const struct policy_settings *set,
			 const struct policy_store *store,
			 struct policy_facts *facts)
{
	const char *instance = policy_request_get(req, "instance");
	char domain[ADDRESS_DOMAIN_MAX + 1];
	long long count;

	if (instance == NULL || *instance == '\0')
		return POLICY_OUT_ERROR;
	if (strcmp(state, "RCPT") == 0) {
		const char *rcpt = policy_request_get(req, "recipient");
		if (rcpt == NULL ||
		    !policy_address_domain(rcpt, domain, sizeof(domain)))
			return POLICY_OUT_ERROR;
		return store->submission_rcpt(store->ctx, login, instance,
					      domain, facts);
	}
	if (strcmp(state, "END-OF-MESSAGE") == 0) {
		if (!policy_parse_count(
			policy_request_get(req, "recipient_count"), &count))
			return POLICY_OUT_ERROR;
		return store->submission_eod(store->ctx, login, instance, count,
					     set, facts);
	}
	return POLICY_OUT_OK;
}

static enum policy_outcome
policy_decide_relay(const struct policy_request *req, const char *state,
		    bool check_only, const struct policy_settings *set,
		    const struct policy_store *store,
		    struct policy_facts *facts)
{
	const char *instance = policy_request_get(req, "instance");
	char rdomain[ADDRESS_DOMAIN_MAX + 1];
	char sdomain[ADDRESS_DOMAIN_MAX + 1];

	if (instance == NULL || *instance == '\0')
		return POLICY_OUT_ERROR;
	if (strcmp(state, "RCPT") == 0) {
		const char *client = policy_request_get(req, "client_address");
		const char *sender = policy_request_get(req, "sender");
		const char *rcpt = policy_request_get(req, "recipient");

		if (rcpt == NULL ||
		    !policy_address_domain(rcpt, rdomain, sizeof(rdomain)))
			return POLICY_OUT_ERROR;
		/* Bounces to SRS addresses: delivery's checks decide. */
		if (set->extra_hosted_domain != NULL &&
		    casier_streq_nocase(rdomain, set->extra_hosted_domain))
			return POLICY_OUT_HOSTED;
		if (client == NULL || !policy_client_address_valid(client))
			return POLICY_OUT_ERROR;
		/* The null sender or a sender without a usable domain can
		 * match no relay client; hosted recipients are still fine. */
		if (sender == NULL ||
		    !policy_address_domain(sender, sdomain, sizeof(sdomain)))
			sdomain[0] = '\0';
		if (check_only)
			return store->relay_check(store->ctx, client, sdomain,
						  rdomain, facts);
		return store->relay_rcpt(store->ctx, client, sdomain, rdomain,
					 instance, facts);
	}
	if (strcmp(state, "END-OF-MESSAGE") == 0 && !check_only)
		return store->relay_eod(store->ctx, instance, set, facts);
	return POLICY_OUT_OK;
}

enum policy_outcome
policy_decide(const struct policy_request *req,
	      const struct policy_settings *set,
	      const struct policy_store *store, char action[POLICY_ACTION_MAX])
{
	const char *request = policy_request_get(req, "request");
	const char *state = policy_request_get(req, "protocol_state");
	const char *login = policy_request_get(req, "sasl_username");
	const char *context = policy_request_get(req, "policy_context");
	struct policy_facts facts;
	enum policy_outcome out;

	memset(&facts, 0, sizeof(facts));
	if (request == NULL || strcmp(request, "smtpd_access_policy") != 0 ||
	    state == NULL)
		out = POLICY_OUT_ERROR;
	else if (login != NULL && *login != '\0')
		out = policy_decide_submission(req, state, login, set, store,
					       &facts);
	else if (context != NULL && strcmp(context, "submission") == 0)
		/* Not authenticated on the submission port: its own relay
		 * restrictions (permit_sasl_authenticated, reject) refuse. */
		out = POLICY_OUT_OK;
	else
		out = policy_decide_relay(
		    req, state,
		    context != NULL && strcmp(context, "relay_check") == 0, set,
		    store, &facts);
	policy_action_format(out, &facts, action);
	return out;
}

/*
 * fuzz-policy.c - libFuzzer target for the policy-protocol parser and
 * the decision logic above it (policy/policy-request.c,
 * policy/policy-decide.c), with a fake store whose answer comes from the
 * input.  The first byte chooses the chunk size the input is fed in, so
 * requests split across reads are covered too.  Built by tools/fuzz.
 *
 * fuzz-sources: policy/policy-request.c policy/policy-decide.c lib/str.c
 * lib/address.c fuzz-libs: -lidn2
 */
#include "policy-decide.h"
#include "policy-request.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum policy_outcome fuzz_answer;

static enum policy_outcome
fuzz_sub_rcpt(void *ctx, const char *login, const char *instance,
	      const char *rcpt_domain, struct policy_facts *facts_r)
{
	(void)ctx;
	/* The store must get NUL-terminated, bounded strings. */
	if (strlen(login) + strlen(instance) + strlen(rcpt_domain) >
	    3 * POLICY_LINE_MAX)
		abort();
	memcpy(facts_r->blocked_until, "2030-01-01 00:00 UTC", 21);
	return fuzz_answer;
}

static enum policy_outcome
fuzz_sub_eod(void *ctx, const char *login, const char *instance,
	     long long recipient_count, const struct policy_settings *set,
	     struct policy_facts *facts_r)
{
	(void)ctx;
	(void)login;
	(void)instance;
	(void)set;
	if (recipient_count < 0)
		abort();
	facts_r->limit = recipient_count;
	return fuzz_answer;
}

static enum policy_outcome
fuzz_relay_rcpt(void *ctx, const char *client_address,
		const char *sender_domain, const char *rcpt_domain,
		const char *instance, struct policy_facts *facts_r)
{
	(void)ctx;
	(void)instance;
	(void)facts_r;
	if (strlen(client_address) > POLICY_LINE_MAX ||
	    strlen(sender_domain) > 253 || strlen(rcpt_domain) > 253)
		abort();
	return fuzz_answer;
}

static enum policy_outcome
fuzz_relay_check(void *ctx, const char *client_address,
		 const char *sender_domain, const char *rcpt_domain,
		 struct policy_facts *facts_r)
{
	return fuzz_relay_rcpt(ctx, client_address, sender_domain, rcpt_domain,
			       "", facts_r);
}

static enum policy_outcome
fuzz_relay_eod(void *ctx, const char *instance,
	       const struct policy_settings *set, struct policy_facts *facts_r)
{
	(void)ctx;
	(void)instance;
	(void)set;
	(void)facts_r;
	return fuzz_answer;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct policy_parser parser;
	struct policy_settings set = {.default_limit_per_hour = 5000,
				      .block_seconds = 3600,
				      .superuser_notify = ""};
	struct policy_store store = {.submission_rcpt = fuzz_sub_rcpt,
				     .submission_eod = fuzz_sub_eod,
				     .relay_rcpt = fuzz_relay_rcpt,
				     .relay_check = fuzz_relay_check,
				     .relay_eod = fuzz_relay_eod};
	char action[POLICY_ACTION_MAX];
	size_t chunk, off;

	if (size < 2)
		return 0;
	chunk = (size_t)data[0] % 64 + 1;
	fuzz_answer = (enum policy_outcome)(data[1] % 9);
	data += 2;
	size -= 2;
	policy_parser_init(&parser);
	for (off = 0; off < size;) {
		size_t n = size - off < chunk ? size - off : chunk;
		size_t used = 0;
		enum policy_parse_status st = policy_parser_feed(
		    &parser, (const char *)data + off, n, &used);

		if (used == 0 || used > n)
			abort();
		off += used;
		if (st == POLICY_PARSE_ERROR)
			break;
		if (st == POLICY_PARSE_DONE) {
			(void)policy_decide(&parser.req, &set, &store, action);
			if (strncmp(action, "action=", 7) != 0 ||
			    strchr(action, '\n') != NULL)
				abort();
			policy_parser_reset(&parser);
		}
	}
	return 0;
}

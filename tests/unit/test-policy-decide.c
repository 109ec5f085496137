/*
 * test-policy-decide.c - unit tests for policy_decide()
 * (policy/policy-decide.c) with a fake store: which question each request
 * asks (role, protocol state, domains passed), and the mapping of every
 * outcome to a Postfix action, including the temporary answer when the
 * store fails or the request lacks what the decision needs.
 * Run by `make check`.
 */
#include "policy-decide.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum fake_call {
	CALL_NONE,
	CALL_SUB_RCPT,
	CALL_SUB_EOD,
	CALL_RELAY_RCPT,
	CALL_RELAY_EOD,
	CALL_RELAY_CHECK,
};

struct fake {
	enum policy_outcome answer;
	enum fake_call call;
	char login[128], instance[128], domain[256], sender_domain[256],
	    client[64];
	long long count;
};

static void
fake_copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src);
}

static enum policy_outcome
fake_sub_rcpt(void *ctx, const char *login, const char *instance,
	      const char *rcpt_domain, struct policy_facts *facts_r)
{
	struct fake *f = ctx;
	f->call = CALL_SUB_RCPT;
	fake_copy(f->login, sizeof(f->login), login);
	fake_copy(f->instance, sizeof(f->instance), instance);
	fake_copy(f->domain, sizeof(f->domain), rcpt_domain);
	if (f->answer == POLICY_OUT_BLOCKED)
		fake_copy(facts_r->blocked_until,
			  sizeof(facts_r->blocked_until),
			  "2030-01-02 03:04 UTC");
	return f->answer;
}

static enum policy_outcome
fake_sub_eod(void *ctx, const char *login, const char *instance,
	     long long recipient_count, const struct policy_settings *set,
	     struct policy_facts *facts_r)
{
	struct fake *f = ctx;
	f->call = CALL_SUB_EOD;
	fake_copy(f->login, sizeof(f->login), login);
	fake_copy(f->instance, sizeof(f->instance), instance);
	f->count = recipient_count;
	facts_r->limit = set->default_limit_per_hour;
	return f->answer;
}

static enum policy_outcome
fake_relay_rcpt(void *ctx, const char *client_address,
		const char *sender_domain, const char *rcpt_domain,
		const char *instance, struct policy_facts *facts_r)
{
	struct fake *f = ctx;
	(void)facts_r;
	f->call = CALL_RELAY_RCPT;
	fake_copy(f->client, sizeof(f->client), client_address);
	fake_copy(f->sender_domain, sizeof(f->sender_domain), sender_domain);
	fake_copy(f->domain, sizeof(f->domain), rcpt_domain);
	fake_copy(f->instance, sizeof(f->instance), instance);
	return f->answer;
}

static enum policy_outcome
fake_relay_check(void *ctx, const char *client_address,
		 const char *sender_domain, const char *rcpt_domain,
		 struct policy_facts *facts_r)
{
	struct fake *f = ctx;
	(void)facts_r;
	f->call = CALL_RELAY_CHECK;
	fake_copy(f->client, sizeof(f->client), client_address);
	fake_copy(f->sender_domain, sizeof(f->sender_domain), sender_domain);
	fake_copy(f->domain, sizeof(f->domain), rcpt_domain);
	return f->answer;
}

static enum policy_outcome
fake_relay_eod(void *ctx, const char *instance,
	       const struct policy_settings *set, struct policy_facts *facts_r)
{
	struct fake *f = ctx;
	(void)set;
	(void)facts_r;
	f->call = CALL_RELAY_EOD;
	fake_copy(f->instance, sizeof(f->instance), instance);
	return f->answer;
}

#define SUB_RCPT(rcpt)                                                         \
	"request=smtpd_access_policy\nprotocol_state=RCPT\n"                   \
	"sasl_username=exemple0001\nclient_address=192.0.2.7\n"                \
	"sender=gugus@exemple.be\nrecipient=" rcpt "\ninstance=ab.cd.1\n\n"
#define SUB_EOD(count)                                                         \
	"request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE\n"         \
	"sasl_username=exemple0001\nclient_address=192.0.2.7\n"                \
	"recipient=\nrecipient_count=" count "\ninstance=ab.cd.1\n\n"
#define RELAY_RCPT(client, sender, rcpt)                                       \
	"request=smtpd_access_policy\nprotocol_state=RCPT\n"                   \
	"sasl_username=\nclient_address=" client "\nsender=" sender            \
	"\nrecipient=" rcpt "\ninstance=77.88.2\n\n"

static const struct decide_case {
	const char *name;
	const char *request;
	enum policy_outcome answer; /* what the fake store says */
	enum fake_call want_call;
	const char *want_action; /* prefix */
	const char *want_domain; /* NULL: not checked */
	const char *want_sender_domain;
	long long want_count;
} decide_cases[] = {
    {.name = "submission rcpt outside, ok",
     .request = SUB_RCPT("Friend@Remote.EXAMPLE"),
     .answer = POLICY_OUT_OK,
     .want_call = CALL_SUB_RCPT,
     .want_action = "action=DUNNO",
     .want_domain = "remote.example"},
    {.name = "submission rcpt, account blocked",
     .request = SUB_RCPT("friend@remote.example"),
     .answer = POLICY_OUT_BLOCKED,
     .want_call = CALL_SUB_RCPT,
     .want_action = "action=554 5.7.1 This account is blocked for sending "
		    "mail until 2030-01-02 03:04 UTC"},
    {.name = "submission rcpt, database down",
     .request = SUB_RCPT("friend@remote.example"),
     .answer = POLICY_OUT_ERROR,
     .want_call = CALL_SUB_RCPT,
     .want_action = "action=451 4.3.0 "},
    {.name = "submission rcpt, unknown login",
     .request = SUB_RCPT("friend@remote.example"),
     .answer = POLICY_OUT_UNKNOWN,
     .want_call = CALL_SUB_RCPT,
     .want_action = "action=451 4.7.1 "},
    {.name = "submission rcpt without domain",
     .request = SUB_RCPT("postmaster"),
     .answer = POLICY_OUT_OK,
     .want_call = CALL_NONE,
     .want_action = "action=451 4.3.0 "},
    {.name = "submission rcpt with bad domain bytes",
     .request = SUB_RCPT("x@a b.example"),
     .answer = POLICY_OUT_OK,
     .want_call = CALL_NONE,
     .want_action = "action=451 4.3.0 "},
    {.name = "submission end of data, ok",
     .request = SUB_EOD("3"),
     .answer = POLICY_OUT_OK,
     .want_call = CALL_SUB_EOD,
     .want_action = "action=DUNNO",
     .want_count = 3},
    {.name = "submission end of data crosses the limit",
     .request = SUB_EOD("1"),
     .answer = POLICY_OUT_BLOCK,
     .want_call = CALL_SUB_EOD,
     .want_action = "action=554 5.7.1 Hourly sending limit of 5000 "
		    "recipients exceeded: this account is now blocked for "
		    "sending mail; contact your administrator",
     .want_count = 1},
    {.name = "submission end of data, bad count",
     .request = SUB_EOD("-1"),
     .answer = POLICY_OUT_OK,
     .want_call = CALL_NONE,
     .want_action = "action=451 4.3.0 "},
    {.name = "submission end of data, database down",
     .request = SUB_EOD("2"),
     .answer = POLICY_OUT_ERROR,
     .want_call = CALL_SUB_EOD,
     .want_action = "action=451 4.3.0 "},
    {.name = "submission other state",
     .request = "request=smtpd_access_policy\nprotocol_state=DATA\n"
		"sasl_username=exemple0001\ninstance=1\n\n",
     .answer = POLICY_OUT_ERROR,
     .want_call = CALL_NONE,
     .want_action = "action=DUNNO"},
    {.name = "submission without instance",
     .request = "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		"sasl_username=exemple0001\nrecipient=a@b.example\n\n",
     .answer = POLICY_OUT_OK,
     .want_call = CALL_NONE,
     .want_action = "action=451 4.3.0 "},
    {.name = "relay permitted",
     .request = RELAY_RCPT("127.0.0.2", "app@App.Example", "x@remote.example"),
     .answer = POLICY_OUT_PERMIT,
     .want_call = CALL_RELAY_RCPT,
     .want_action = "action=OK",
     .want_domain = "remote.example",
     .want_sender_domain = "app.example"},
    {.name = "relay denied",
     .request = RELAY_RCPT("192.0.2.9", "a@other.example", "x@remote.example"),
     .answer = POLICY_OUT_DENIED,
     .want_call = CALL_RELAY_RCPT,
     .want_action = "action=554 5.7.1 Relay access denied"},
    {.name = "relay null sender asks with empty sender domain",
     .request = RELAY_RCPT("2001:db8::1", "", "x@remote.example"),
     .answer = POLICY_OUT_DENIED,
     .want_call = CALL_RELAY_RCPT,
     .want_action = "action=554 5.7.1 Relay access denied",
     .want_sender_domain = ""},
    {.name = "relay to hosted domain",
     .request = RELAY_RCPT("192.0.2.9", "a@other.example", "gugus@exemple.be"),
     .answer = POLICY_OUT_HOSTED,
     .want_call = CALL_RELAY_RCPT,
     .want_action = "action=DUNNO"},
    {.name = "relay to the SRS domain: delivery decides",
     .request =
	 RELAY_RCPT("192.0.2.9", "", "SRS0=ab=cd=x.example=u@srs.casier.test"),
     .answer = POLICY_OUT_DENIED,
     .want_call = CALL_NONE,
     .want_action = "action=DUNNO"},
    {.name = "relay with bad client address",
     .request = RELAY_RCPT("unknown", "a@app.example", "x@remote.example"),
     .answer = POLICY_OUT_PERMIT,
     .want_call = CALL_NONE,
     .want_action = "action=451 4.3.0 "},
    {.name = "relay database down is not an open relay",
     .request = RELAY_RCPT("127.0.0.2", "a@app.example", "x@remote.example"),
     .answer = POLICY_OUT_ERROR,
     .want_call = CALL_RELAY_RCPT,
     .want_action = "action=451 4.3.0 "},
    {.name = "relay end of data over limit",
     .request = "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE"
		"\nclient_address=127.0.0.2\ninstance=77.88.2\n"
		"recipient_count=1\n\n",
     .answer = POLICY_OUT_OVER,
     .want_call = CALL_RELAY_EOD,
     .want_action = "action=450 4.7.1 "},
    {.name = "relay end of data nothing relayed",
     .request = "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE"
		"\nclient_address=192.0.2.1\ninstance=77.88.2\n"
		"recipient_count=1\n\n",
     .answer = POLICY_OUT_OK,
     .want_call = CALL_RELAY_EOD,
     .want_action = "action=DUNNO"},
    {.name = "unauthenticated on the submission port",
     .request = "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		"policy_context=submission\nclient_address=127.0.0.1\n"
		"recipient=x@remote.example\ninstance=1\n\n",
     .answer = POLICY_OUT_PERMIT,
     .want_call = CALL_NONE,
     .want_action = "action=DUNNO"},
    {.name = "relay check permits without counting",
     .request = "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		"policy_context=relay_check\nclient_address=127.0.0.2\n"
		"sender=a@App.example\nrecipient=x@remote.example\n"
		"instance=5\n\n",
     .answer = POLICY_OUT_PERMIT,
     .want_call = CALL_RELAY_CHECK,
     .want_action = "action=OK",
     .want_domain = "remote.example",
     .want_sender_domain = "app.example"},
    {.name = "relay check for a stranger",
     .request = "request=smtpd_access_policy\nprotocol_state=RCPT\n"
		"policy_context=relay_check\nclient_address=192.0.2.3\n"
		"sender=a@b.example\nrecipient=x@remote.example\n"
		"instance=5\n\n",
     .answer = POLICY_OUT_DENIED,
     .want_call = CALL_RELAY_CHECK,
     .want_action = "action=554 5.7.1 Relay access denied"},
    {.name = "relay check does not count at end of data",
     .request = "request=smtpd_access_policy\nprotocol_state=END-OF-MESSAGE"
		"\npolicy_context=relay_check\nclient_address=127.0.0.2\n"
		"instance=5\nrecipient_count=1\n\n",
     .answer = POLICY_OUT_OVER,
     .want_call = CALL_NONE,
     .want_action = "action=DUNNO"},
    {.name = "not a policy request",
     .request = "request=something_else\nprotocol_state=RCPT\n\n",
     .answer = POLICY_OUT_PERMIT,
     .want_call = CALL_NONE,
     .want_action = "action=451 4.3.0 "},
};

START_TEST(test_decide_table)
{
	const struct decide_case *tc = &decide_cases[_i];
	struct policy_parser *p = malloc(sizeof(*p));
	struct policy_settings set = {.default_limit_per_hour = 5000,
				      .block_seconds = 259200,
				      .relay_default_limit_per_hour = 0,
				      .superuser_notify = "",
				      .extra_hosted_domain = "srs.casier.test"};
	struct fake f;
	struct policy_store store = {
	    .ctx = &f,
	    .submission_rcpt = fake_sub_rcpt,
	    .submission_eod = fake_sub_eod,
	    .relay_rcpt = fake_relay_rcpt,
	    .relay_check = fake_relay_check,
	    .relay_eod = fake_relay_eod,
	};
	char action[POLICY_ACTION_MAX];
	size_t used;

	ck_assert_ptr_nonnull(p);
	memset(&f, 0, sizeof(f));
	f.answer = tc->answer;
	policy_parser_init(p);
	ck_assert_int_eq(
	    policy_parser_feed(p, tc->request, strlen(tc->request), &used),
	    POLICY_PARSE_DONE);
	(void)policy_decide(&p->req, &set, &store, action);
	ck_assert_msg(f.call == tc->want_call, "%s: call %d, want %d", tc->name,
		      (int)f.call, (int)tc->want_call);
	ck_assert_msg(
	    strncmp(action, tc->want_action, strlen(tc->want_action)) == 0,
	    "%s: action '%s'", tc->name, action);
	if (tc->want_domain != NULL)
		ck_assert_str_eq(f.domain, tc->want_domain);
	if (tc->want_sender_domain != NULL)
		ck_assert_str_eq(f.sender_domain, tc->want_sender_domain);
	if (tc->want_count != 0)
		ck_assert_int_eq(f.count, tc->want_count);
	if (tc->want_call == CALL_SUB_RCPT || tc->want_call == CALL_SUB_EOD)
		ck_assert_str_eq(f.login, "exemple0001");
	free(p);
}
END_TEST

static const struct domain_case {
	const char *address;
	bool ok;
	const char *want;
} domain_cases[] = {
    {"a@B.Example", true, "b.example"},
    {"\"odd@local\"@x.example", true, "x.example"},
    {"a@[192.0.2.1]", true, "[192.0.2.1]"},
    {"nodomain", false, NULL},
    {"a@", false, NULL},
    {"a@x y.example", false, NULL},
    {"a@x\"y.example", false, NULL},
};

START_TEST(test_domain_table)
{
	const struct domain_case *tc = &domain_cases[_i];
	char out[64];
	bool ok = policy_address_domain(tc->address, out, sizeof(out));

	ck_assert_msg(ok == tc->ok, "%s", tc->address);
	if (ok)
		ck_assert_str_eq(out, tc->want);
}
END_TEST

START_TEST(test_domain_too_long)
{
	char addr[400], out[254];

	memset(addr, 'a', sizeof(addr));
	addr[0] = 'x';
	addr[1] = '@';
	addr[sizeof(addr) - 1] = '\0';
	ck_assert(!policy_address_domain(addr, out, sizeof(out)));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy-decide");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(
	    tc, test_decide_table, 0,
	    (int)(sizeof(decide_cases) / sizeof(decide_cases[0])));
	tcase_add_loop_test(
	    tc, test_domain_table, 0,
	    (int)(sizeof(domain_cases) / sizeof(domain_cases[0])));
	tcase_add_test(tc, test_domain_too_long);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

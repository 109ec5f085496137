/*
 * test-deliver.c - unit tests for the pure parts of casier-deliverd's
 * backend and policy service: counting Delivered-To headers (the
 * forwarding-loop guard) and parsing Postfix policy requests.  Run by
 * `make check`.
 */
#include "deliverd.h"
#include "policy.h"

#include <check.h>
#include <string.h>

static const struct {
	const char *head;
	const char *addr;
	unsigned int count;
} dt_cases[] = {
    {"Delivered-To: a@b.example\r\nSubject: x\r\n\r\nbody", "a@b.example", 1},
    {"delivered-to:   <A@B.Example>  \r\nDelivered-To: a@b.example\r\n\r\n",
     "a@b.example", 2},
    {"Delivered-To: other@b.example\r\n\r\n", "a@b.example", 0},
    {"Delivered-To: a@b.example.org\r\n\r\n", "a@b.example", 0},
    {"X-Delivered-To: a@b.example\r\n\r\n", "a@b.example", 0},
    /* only the header counts, not the body */
    {"Subject: x\r\n\r\nDelivered-To: a@b.example\r\n", "a@b.example", 0},
    {"Subject: x\n\nDelivered-To: a@b.example\n", "a@b.example", 0},
    {"Delivered-To: a@b.example", "a@b.example", 1},
    {"", "a@b.example", 0},
};

START_TEST(test_delivered_to)
{
	const char *h = dt_cases[_i].head;

	ck_assert_uint_eq(
	    deliver_count_delivered_to(h, strlen(h), dt_cases[_i].addr),
	    dt_cases[_i].count);
}
END_TEST

START_TEST(test_policy_request)
{
	static const char *const lines[] = {
	    "request=smtpd_access_policy",
	    "protocol_state=RCPT",
	    "protocol_name=ESMTP",
	    "recipient=user@d.example",
	    "size=12345",
	    "sender=",
	    "instance=123.456",
	};
	struct policy_request req;

	policy_request_init(&req);
	for (size_t i = 0; i < CASIER_ARRAY_LEN(lines); i++)
		ck_assert_int_eq(
		    policy_request_line(&req, lines[i], strlen(lines[i])), 0);
	ck_assert_int_eq(policy_request_line(&req, "", 0), 1);
	ck_assert_str_eq(req.request, "smtpd_access_policy");
	ck_assert_str_eq(req.protocol_state, "RCPT");
	ck_assert_str_eq(req.recipient, "user@d.example");
	ck_assert_uint_eq(req.size, 12345);
}
END_TEST

START_TEST(test_policy_refusals)
{
	struct policy_request req;
	char big[POLICY_VALUE_MAX + 20];

	policy_request_init(&req);
	ck_assert_int_eq(policy_request_line(&req, "no equals sign", 14), -1);
	ck_assert_int_eq(policy_request_line(&req, "=value", 6), -1);
	ck_assert_int_eq(policy_request_line(&req, "a=b\0c", 5), -1);
	memcpy(big, "recipient=", 10);
	memset(big + 10, 'x', sizeof(big) - 10);
	ck_assert_int_eq(policy_request_line(&req, big, sizeof(big)), -1);
	/* a bad size is ignored (0 = unknown), not an error */
	ck_assert_int_eq(policy_request_line(&req, "size=12x", 8), 0);
	ck_assert_uint_eq(req.size, 0);
	/* at most 100 attributes per request */
	policy_request_init(&req);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(policy_request_line(&req, "x=y", 3), 0);
	ck_assert_int_eq(policy_request_line(&req, "x=y", 3), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("deliver");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_delivered_to, 0,
			    (int)CASIER_ARRAY_LEN(dt_cases));
	tcase_add_test(tc, test_policy_request);
	tcase_add_test(tc, test_policy_refusals);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

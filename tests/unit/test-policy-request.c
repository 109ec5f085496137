/*
 * test-policy-request.c - unit tests for the policy-protocol parser
 * (policy/policy-request.c): well-formed requests, requests split across
 * reads, pipelined requests, and hostile input (1 MB attribute, binary
 * bytes, no terminating empty line, too many attributes).  Run by
 * `make check`.
 */
#include "policy-request.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char good_request[] = "request=smtpd_access_policy\n"
				   "protocol_state=RCPT\n"
				   "protocol_name=ESMTP\n"
				   "client_address=192.0.2.1\n"
				   "sasl_username=exemple0001\n"
				   "sender=gugus@exemple.be\n"
				   "recipient=friend@remote.example\n"
				   "recipient_count=0\n"
				   "instance=1a2b.5f3e4d.0\n"
				   "ccert_subject=\n"
				   "\n";

static const struct parse_case {
	const char *name;
	const char *input;
	size_t len; /* 0: strlen(input) */
	enum policy_parse_status want;
	const char *want_error; /* substring, for ERROR */
} parse_cases[] = {
    {.name = "simple",
     .input = "request=smtpd_access_policy\n\n",
     .want = POLICY_PARSE_DONE},
    {.name = "no terminating empty line",
     .input = "request=smtpd_access_policy\nsender=a@b.example\n",
     .want = POLICY_PARSE_MORE},
    {.name = "unfinished line",
     .input = "request=smtpd_acc",
     .want = POLICY_PARSE_MORE},
    {.name = "empty request",
     .input = "\n",
     .want = POLICY_PARSE_ERROR,
     .want_error = "empty request"},
    {.name = "line without =",
     .input = "garbage\n\n",
     .want = POLICY_PARSE_ERROR,
     .want_error = "without '='"},
    {.name = "empty name",
     .input = "=value\n\n",
     .want = POLICY_PARSE_ERROR,
     .want_error = "invalid attribute name"},
    {.name = "upper-case name",
     .input = "Request=x\n\n",
     .want = POLICY_PARSE_ERROR,
     .want_error = "invalid attribute name"},
    {.name = "NUL byte",
     .input = "request=smtpd\0access\n\n",
     .len = 23,
     .want = POLICY_PARSE_ERROR,
     .want_error = "control character"},
    {.name = "CR LF line ends",
     .input = "request=smtpd_access_policy\r\n\r\n",
     .want = POLICY_PARSE_ERROR,
     .want_error = "control character"},
    {.name = "escape sequence",
     .input = "sender=\x1b[2Jx@y\n\n",
     .want = POLICY_PARSE_ERROR,
     .want_error = "control character"},
    {.name = "binary high bytes only (UTF-8 kept)",
     .input = "sender=j\xc3\xa9r\xc3\xb4me@exemple.be\n\n",
     .want = POLICY_PARSE_DONE},
    {.name = "tab in value",
     .input = "ccert_subject=a\tb\n\n",
     .want = POLICY_PARSE_DONE},
    {.name = "repeated attribute",
     .input = "sender=a@b.example\nsender=c@d.example\n\n",
     .want = POLICY_PARSE_ERROR,
     .want_error = "repeated"},
    {.name = "empty value",
     .input = "sasl_username=\n\n",
     .want = POLICY_PARSE_DONE},
    {.name = "value with =",
     .input = "ccert_subject=CN=a,O=b\n\n",
     .want = POLICY_PARSE_DONE},
};

START_TEST(test_parse_table)
{
	const struct parse_case *tc = &parse_cases[_i];
	size_t len = tc->len != 0 ? tc->len : strlen(tc->input);
	struct policy_parser *p = malloc(sizeof(*p));
	size_t used = 0;
	enum policy_parse_status st;

	ck_assert_ptr_nonnull(p);
	policy_parser_init(p);
	st = policy_parser_feed(p, tc->input, len, &used);
	ck_assert_msg(st == tc->want, "%s: status %d, want %d", tc->name,
		      (int)st, (int)tc->want);
	if (tc->want == POLICY_PARSE_ERROR) {
		ck_assert_ptr_nonnull(p->error);
		ck_assert_msg(strstr(p->error, tc->want_error) != NULL,
			      "%s: error '%s'", tc->name, p->error);
	}
	if (tc->want == POLICY_PARSE_MORE) {
		ck_assert_uint_eq(used, len);
		ck_assert(policy_parser_pending(p));
	}
	free(p);
}
END_TEST

START_TEST(test_attributes)
{
	struct policy_parser *p = malloc(sizeof(*p));
	size_t used;

	ck_assert_ptr_nonnull(p);
	policy_parser_init(p);
	ck_assert_int_eq(
	    policy_parser_feed(p, good_request, strlen(good_request), &used),
	    POLICY_PARSE_DONE);
	ck_assert_uint_eq(used, strlen(good_request));
	ck_assert_uint_eq(p->req.nattrs, 10);
	ck_assert_str_eq(policy_request_get(&p->req, "sasl_username"),
			 "exemple0001");
	ck_assert_str_eq(policy_request_get(&p->req, "recipient"),
			 "friend@remote.example");
	ck_assert_str_eq(policy_request_get(&p->req, "ccert_subject"), "");
	ck_assert_ptr_null(policy_request_get(&p->req, "queue_id"));
	free(p);
}
END_TEST

/* Byte-by-byte feeding gives the same result as one chunk. */
START_TEST(test_split_reads)
{
	struct policy_parser *p = malloc(sizeof(*p));
	size_t n = strlen(good_request), used;
	enum policy_parse_status st = POLICY_PARSE_MORE;

	ck_assert_ptr_nonnull(p);
	policy_parser_init(p);
	for (size_t i = 0; i < n; i++) {
		st = policy_parser_feed(p, good_request + i, 1, &used);
		ck_assert_uint_eq(used, 1);
		if (i + 1 < n)
			ck_assert_int_eq(st, POLICY_PARSE_MORE);
	}
	ck_assert_int_eq(st, POLICY_PARSE_DONE);
	ck_assert_str_eq(policy_request_get(&p->req, "instance"),
			 "1a2b.5f3e4d.0");
	free(p);
}
END_TEST

/* Two requests in one read: the second is parsed after a reset. */
START_TEST(test_pipelined)
{
	static const char two[] = "sender=a@b.example\n\nsender=c@d.example\n"
				  "recipient=e@f.example\n\n";
	struct policy_parser *p = malloc(sizeof(*p));
	size_t used, total = strlen(two);

	ck_assert_ptr_nonnull(p);
	policy_parser_init(p);
	ck_assert_int_eq(policy_parser_feed(p, two, total, &used),
			 POLICY_PARSE_DONE);
	ck_assert_uint_eq(used, strlen("sender=a@b.example\n\n"));
	ck_assert_str_eq(policy_request_get(&p->req, "sender"), "a@b.example");
	policy_parser_reset(p);
	ck_assert(!policy_parser_pending(p));
	size_t used2;
	ck_assert_int_eq(
	    policy_parser_feed(p, two + used, total - used, &used2),
	    POLICY_PARSE_DONE);
	ck_assert_uint_eq(used + used2, total);
	ck_assert_str_eq(policy_request_get(&p->req, "sender"), "c@d.example");
	ck_assert_str_eq(policy_request_get(&p->req, "recipient"),
			 "e@f.example");
	free(p);
}
END_TEST

/* A 1 MB attribute is refused after POLICY_LINE_MAX bytes. */
START_TEST(test_huge_attribute)
{
	size_t big = 1024 * 1024;
	char *buf = malloc(big);
	struct policy_parser *p = malloc(sizeof(*p));
	size_t used;

	ck_assert_ptr_nonnull(buf);
	ck_assert_ptr_nonnull(p);
	memcpy(buf, "sender=", 7);
	memset(buf + 7, 'a', big - 7);
	policy_parser_init(p);
	ck_assert_int_eq(policy_parser_feed(p, buf, big, &used),
			 POLICY_PARSE_ERROR);
	ck_assert_str_eq(p->error, "line too long");
	ck_assert_uint_eq(used, POLICY_LINE_MAX + 1);
	free(buf);
	free(p);
}
END_TEST

/* Many short lines: too many attributes, or a request over the total. */
START_TEST(test_too_many_attributes)
{
	struct policy_parser *p = malloc(sizeof(*p));
	char line[32];
	size_t used;
	enum policy_parse_status st = POLICY_PARSE_MORE;
	int i;

	ck_assert_ptr_nonnull(p);
	policy_parser_init(p);
	for (i = 0; i < POLICY_ATTRS_MAX + 5 && st == POLICY_PARSE_MORE; i++) {
		int n = snprintf(line, sizeof(line), "a%d=x\n", i);
		st = policy_parser_feed(p, line, (size_t)n, &used);
	}
	ck_assert_int_eq(st, POLICY_PARSE_ERROR);
	ck_assert_str_eq(p->error, "too many attributes");
	ck_assert_int_eq(i, POLICY_ATTRS_MAX + 1);
	free(p);
}
END_TEST

START_TEST(test_request_too_long)
{
	struct policy_parser *p = malloc(sizeof(*p));
	char line[POLICY_LINE_MAX];
	size_t used;
	enum policy_parse_status st = POLICY_PARSE_MORE;
	int i;

	ck_assert_ptr_nonnull(p);
	/* Lines of about 4000 bytes: the fifth crosses 16 KiB. */
	memset(line, 'v', sizeof(line));
	policy_parser_init(p);
	for (i = 0; i < 10 && st == POLICY_PARSE_MORE; i++) {
		int n = snprintf(line, 8, "n%d=", i);
		line[n] = 'v';
		line[4000] = '\n';
		st = policy_parser_feed(p, line, 4001, &used);
	}
	ck_assert_int_eq(st, POLICY_PARSE_ERROR);
	ck_assert_str_eq(p->error, "request too long");
	ck_assert_int_eq(i, 5);
	free(p);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy-request");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_parse_table, 0,
			    (int)ARRAY_LEN(parse_cases));
	tcase_add_test(tc, test_attributes);
	tcase_add_test(tc, test_split_reads);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_huge_attribute);
	tcase_add_test(tc, test_too_many_attributes);
	tcase_add_test(tc, test_request_too_long);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

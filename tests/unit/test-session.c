/*
 * test-session.c - unit tests of the pure parts of mgmtd/session.c:
 * random tokens, the constant-time token comparison and the cookie
 * attributes.  The database parts (create, lookup, expiry, throttling)
 * are covered by tests/integration/51-web-session.sh.
 */
#include "session.h"

#include <check.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_random_tokens)
{
	char a[SESSION_ID_LEN + 1], b[SESSION_ID_LEN + 1];

	ck_assert_int_ge(sodium_init(), 0);
	session_random_token(a);
	session_random_token(b);
	ck_assert_uint_eq(strlen(a), SESSION_ID_LEN);
	ck_assert_str_ne(a, b);
	for (size_t i = 0; i < SESSION_ID_LEN; i++)
		ck_assert_msg(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
				     "opqrstuvwxyz0123456789-_",
				     a[i]) != NULL,
			      "char %c", a[i]);
}
END_TEST

struct eq_case {
	const char *expected;
	const char *given;
	bool want;
};

static const struct eq_case eq_cases[] = {
    {.expected = "abc", .given = "abc", .want = true},
    {.expected = "abc", .given = "abd", .want = false},
    {.expected = "abc", .given = "abcd", .want = false},
    {.expected = "abc", .given = "ab", .want = false},
    {.expected = "abc", .given = "", .want = false},
    {.expected = "abc", .given = NULL, .want = false},
    {.expected = "", .given = "", .want = false}, /* no token: refuse */
    {.expected = NULL, .given = "x", .want = false},
};

START_TEST(test_token_equal)
{
	const struct eq_case *c = &eq_cases[_i];

	ck_assert(session_token_equal(c->expected, c->given) == c->want);
}
END_TEST

START_TEST(test_cookie_format)
{
	char buf[256];

	ck_assert_int_eq(session_cookie_format(buf, sizeof(buf), SESSION_COOKIE,
					       "ID", true, 3600),
			 0);
	ck_assert_str_eq(buf, "casier_session=ID; Path=/; Max-Age=3600; "
			      "HttpOnly; SameSite=Strict; Secure");
	ck_assert_int_eq(session_cookie_format(buf, sizeof(buf), SESSION_COOKIE,
					       "", false, 0),
			 0);
	ck_assert_str_eq(buf, "casier_session=; Path=/; Max-Age=0; HttpOnly; "
			      "SameSite=Strict");
	ck_assert_int_eq(
	    session_cookie_format(buf, 20, SESSION_COOKIE, "ID", false, 1), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("session");
	TCase *tc = tcase_create("session");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_random_tokens);
	tcase_add_loop_test(tc, test_token_equal, 0,
			    (int)CASIER_ARRAY_LEN(eq_cases));
	tcase_add_test(tc, test_cookie_format);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

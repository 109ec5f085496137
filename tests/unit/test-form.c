/*
 * test-form.c - unit tests of the urlencoded form parser (mgmtd/form.c):
 * decoding, repeated fields, and every refusal (limits, escapes, NUL,
 * control characters, invalid UTF-8) returning nothing.
 */
#include "form.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

struct ok_case {
	const char *in;
	size_t len; /* 0 = strlen(in) */
	const char *name;
	const char *want; /* NULL: field absent */
	size_t nfields;
};

static const struct ok_case ok_cases[] = {
    {.in = "a=1", .name = "a", .want = "1", .nfields = 1},
    {.in = "", .name = "a", .want = NULL, .nfields = 0},
    {.in = "a=", .name = "a", .want = "", .nfields = 1},
    {.in = "a", .name = "a", .want = "", .nfields = 1},
    {.in = "a=x+y", .name = "a", .want = "x y", .nfields = 1},
    {.in = "a=%3Cb%3E%26", .name = "a", .want = "<b>&", .nfields = 1},
    {.in = "a=%c3%a9t%C3%A9",
     .name = "a",
     .want = "\xc3\xa9t\xc3\xa9",
     .nfields = 1},
    {.in = "a=1&&b=2&", .name = "b", .want = "2", .nfields = 2},
    {.in = "a=1&b=x%3Dy", .name = "b", .want = "x=y", .nfields = 2},
    {.in = "a=line1%0D%0Aline2%09",
     .name = "a",
     .want = "line1\r\nline2\t",
     .nfields = 1},
    {.in = "csrf_token=abc&local_part=gugus.dupont",
     .name = "local_part",
     .want = "gugus.dupont",
     .nfields = 2},
    /* 4-byte UTF-8 (U+1F600) and the highest code point U+10FFFF */
    {.in = "a=%F0%9F%98%80%F4%8F%BF%BF",
     .name = "a",
     .want = "\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf",
     .nfields = 1},
    {.in = "a=' OR 1=1; --", .name = "a", .want = "' OR 1=1; --", .nfields = 1},
};

START_TEST(test_ok)
{
	const struct ok_case *c = &ok_cases[_i];
	struct form f;
	const char *v;

	ck_assert_int_eq(
	    form_parse(c->in, c->len ? c->len : strlen(c->in), NULL, &f),
	    FORM_OK);
	ck_assert_uint_eq(f.n, c->nfields);
	v = form_get(&f, c->name);
	if (c->want == NULL)
		ck_assert_ptr_null(v);
	else
		ck_assert_str_eq(v, c->want);
	form_free(&f);
	ck_assert_uint_eq(f.n, 0);
}
END_TEST

static const struct form_limits small = {
    .max_body = 40, .max_fields = 3, .max_name = 8, .max_value = 10};

struct bad_case {
	const char *in;
	size_t len;
	enum form_error want;
};

static const struct bad_case bad_cases[] = {
    {.in = "a=%", .want = FORM_BAD_ESCAPE},
    {.in = "a=%4", .want = FORM_BAD_ESCAPE},
    {.in = "a=%zz", .want = FORM_BAD_ESCAPE},
    {.in = "a=%00", .want = FORM_NUL},
    {.in = "a%00=1", .want = FORM_NUL},
    {.in = "a=x\0y", .len = 5, .want = FORM_NUL},
    {.in = "a=%01", .want = FORM_CONTROL},
    {.in = "a=%7F", .want = FORM_CONTROL},
    {.in = "a=%1B[31m", .want = FORM_CONTROL},
    {.in = "a=%FF", .want = FORM_BAD_UTF8},
    {.in = "a=%C3", .want = FORM_BAD_UTF8},	     /* truncated */
    {.in = "a=%C0%AF", .want = FORM_BAD_UTF8},	     /* overlong '/' */
    {.in = "a=%E0%80%AF", .want = FORM_BAD_UTF8},    /* overlong */
    {.in = "a=%ED%A0%80", .want = FORM_BAD_UTF8},    /* surrogate */
    {.in = "a=%F4%90%80%80", .want = FORM_BAD_UTF8}, /* > U+10FFFF */
    {.in = "a=%80", .want = FORM_BAD_UTF8},	     /* lone continuation */
    {.in = "=1", .want = FORM_BAD_NAME},
    {.in = "a%20b=1", .want = FORM_BAD_NAME},
    {.in = "a<b=1", .want = FORM_BAD_NAME},
    /* limits (small): value 10 bytes ok, 11 not; name 8 ok, 9 not */
    {.in = "a=12345678901", .want = FORM_TOO_LARGE},
    {.in = "abcdefghi=1", .want = FORM_TOO_LARGE},
    {.in = "a=1&b=2&c=3&d=4", .want = FORM_TOO_MANY},
    /* 41 bytes: over max_body even though every field is fine */
    {.in = "a=1234567890&&&&&&&&&&&&&&&&&&&&&&&&&&&&&", .want = FORM_TOO_LARGE},
};

START_TEST(test_bad)
{
	const struct bad_case *c = &bad_cases[_i];
	struct form f = {.n = 99};

	ck_assert_int_eq(
	    form_parse(c->in, c->len ? c->len : strlen(c->in), &small, &f),
	    c->want);
	ck_assert_uint_eq(f.n, 0);
	ck_assert_ptr_null(f.fields);
	ck_assert_str_ne(form_error_str(c->want), "unknown form error");
}
END_TEST

START_TEST(test_limits_boundary_ok)
{
	struct form f;

	ck_assert_int_eq(form_parse("abcdefgh=1234567890", 19, &small, &f),
			 FORM_OK);
	ck_assert_str_eq(form_get(&f, "abcdefgh"), "1234567890");
	form_free(&f);
	/* an escape counts as one decoded byte: 10 decoded bytes fit */
	ck_assert_int_eq(
	    form_parse("a=%41%41%41%41%41%41%41%41%41%41", 32, &small, &f),
	    FORM_OK);
	ck_assert_str_eq(form_get(&f, "a"), "AAAAAAAAAA");
	form_free(&f);
}
END_TEST

START_TEST(test_repeated)
{
	struct form f;
	const char *in = "target=a%40x.be&keep=1&target=exemple0001&target=";

	ck_assert_int_eq(form_parse(in, strlen(in), NULL, &f), FORM_OK);
	ck_assert_uint_eq(form_count(&f, "target"), 3);
	ck_assert_str_eq(form_get_nth(&f, "target", 0), "a@x.be");
	ck_assert_str_eq(form_get_nth(&f, "target", 1), "exemple0001");
	ck_assert_str_eq(form_get_nth(&f, "target", 2), "");
	ck_assert_ptr_null(form_get_nth(&f, "target", 3));
	ck_assert_uint_eq(form_count(&f, "nope"), 0);
	form_free(&f);
}
END_TEST

START_TEST(test_default_limits)
{
	size_t n = form_default_limits.max_value + 3;
	char *big = malloc(n + 1);
	struct form f;

	big[0] = 'a';
	big[1] = '=';
	memset(big + 2, 'x', n - 2);
	big[n] = '\0';
	ck_assert_int_eq(form_parse(big, n - 1, NULL, &f), FORM_OK);
	form_free(&f);
	ck_assert_int_eq(form_parse(big, n, NULL, &f), FORM_TOO_LARGE);
	free(big);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("form");
	TCase *tc = tcase_create("form");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_ok, 0, (int)CASIER_ARRAY_LEN(ok_cases));
	tcase_add_loop_test(tc, test_bad, 0, (int)CASIER_ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_limits_boundary_ok);
	tcase_add_test(tc, test_repeated);
	tcase_add_test(tc, test_default_limits);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test-service.c - unit tests for the pure parts of the mgmtd service
 * layer (mgmtd/service-common.c): the outcome -> HTTP status mapping,
 * paging parameters, keyset cursors and usage units.  Run by make check.
 */
#include "service.h"
#include "str.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static const struct status_case {
	enum svc_status status;
	unsigned int http;
	const char *code;
} status_cases[] = {
    {.status = SVC_OK, .http = 200, .code = "ok"},
    {.status = SVC_BAD_REQUEST, .http = 400, .code = "bad_request"},
    {.status = SVC_UNAUTHORIZED, .http = 401, .code = "unauthorized"},
    {.status = SVC_FORBIDDEN, .http = 403, .code = "forbidden"},
    {.status = SVC_NOT_FOUND, .http = 404, .code = "not_found"},
    {.status = SVC_CONFLICT, .http = 409, .code = "conflict"},
    {.status = SVC_TOO_LARGE, .http = 413, .code = "too_large"},
    {.status = SVC_UNSUPPORTED, .http = 415, .code = "unsupported_media_type"},
    {.status = SVC_INVALID, .http = 422, .code = "invalid"},
    {.status = SVC_THROTTLED, .http = 429, .code = "too_many_requests"},
    {.status = SVC_TEMPFAIL, .http = 503, .code = "temporary_failure"},
};

START_TEST(test_status_table)
{
	const struct status_case *c = &status_cases[_i];

	ck_assert_uint_eq(svc_status_http(c->status), c->http);
	ck_assert_str_eq(svc_status_code(c->status), c->code);
}
END_TEST

static const struct page_case {
	const char *name;
	const char *limit, *cursor, *q;
	int ret;
	unsigned int limit_r;
	const char *field; /* of the error */
} page_cases[] = {
    {.name = "defaults", .ret = 0, .limit_r = 50},
    {.name = "limit 1", .limit = "1", .ret = 0, .limit_r = 1},
    {.name = "limit 500", .limit = "500", .ret = 0, .limit_r = 500},
    {.name = "limit 501", .limit = "501", .ret = -1, .field = "limit"},
    {.name = "limit 0", .limit = "0", .ret = -1, .field = "limit"},
    {.name = "limit negative", .limit = "-5", .ret = -1, .field = "limit"},
    {.name = "limit plus", .limit = "+5", .ret = -1, .field = "limit"},
    {.name = "limit junk", .limit = "10x", .ret = -1, .field = "limit"},
    {.name = "limit empty", .limit = "", .ret = -1, .field = "limit"},
    {.name = "limit huge",
     .limit = "99999999999999999999999",
     .ret = -1,
     .field = "limit"},
    {.name = "bad cursor", .cursor = "!!!", .ret = -1, .field = "cursor"},
    {.name = "cursor without direction",
     .cursor = "YWJj", /* "abc" */
     .ret = -1,
     .field = "cursor"},
    {.name = "good cursor", .cursor = "bjox", .ret = 0, .limit_r = 50},
    {.name = "empty cursor = first page",
     .cursor = "",
     .ret = 0,
     .limit_r = 50},
    {.name = "q invalid UTF-8", .q = "\xc3\x28", .ret = -1, .field = "q"},
    {.name = "q overlong UTF-8", .q = "\xc0\xaf", .ret = -1, .field = "q"},
    {.name = "q ok", .q = "dupont", .ret = 0, .limit_r = 50},
};

START_TEST(test_page_table)
{
	const struct page_case *c = &page_cases[_i];
	struct svc_page page;
	struct svc_result res;
	int ret;

	ret = svc_page_parse(c->limit, c->cursor, c->q, SVC_LIMIT_DEFAULT,
			     &page, &res);
	ck_assert_msg(ret == c->ret, "%s: ret %d", c->name, ret);
	if (ret == 0) {
		ck_assert_uint_eq(page.limit, c->limit_r);
		ck_assert_int_eq(res.status, SVC_OK);
	} else {
		ck_assert_int_eq(res.status, SVC_BAD_REQUEST);
		ck_assert_str_eq(res.field, c->field);
	}
}
END_TEST

START_TEST(test_page_query_too_long)
{
	char q[SVC_QUERY_MAX + 2];
	struct svc_page page;
	struct svc_result res;

	memset(q, 'a', sizeof(q) - 1);
	q[sizeof(q) - 1] = '\0';
	ck_assert_int_eq(svc_page_parse(NULL, NULL, q, 10, &page, &res), -1);
	ck_assert_str_eq(res.field, "q");
	q[SVC_QUERY_MAX] = '\0';
	ck_assert_int_eq(svc_page_parse(NULL, NULL, q, 10, &page, &res), 0);
	ck_assert_uint_eq(page.limit, 10);
	ck_assert_ptr_eq(page.q, q);
}
END_TEST

START_TEST(test_cursor_roundtrip)
{
	static const char *const keys[] = {"", "42", "exemple.be",
					   "weird\"key with spaces/+="};
	char enc[SVC_CURSOR_MAX + 1], key[SVC_CURSOR_MAX], dir;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		ck_assert_int_eq(
		    svc_cursor_encode('n', keys[i], enc, sizeof(enc)), 0);
		/* URL-safe: no characters that need escaping in a query */
		ck_assert_ptr_null(strpbrk(enc, "+/=&?# "));
		ck_assert_int_eq(svc_cursor_decode(enc, &dir, key, sizeof(key)),
				 0);
		ck_assert_int_eq(dir, 'n');
		ck_assert_str_eq(key, keys[i]);
	}
	ck_assert_int_eq(svc_cursor_encode('p', "7", enc, sizeof(enc)), 0);
	ck_assert_int_eq(svc_cursor_decode(enc, &dir, key, sizeof(key)), 0);
	ck_assert_int_eq(dir, 'p');
	ck_assert_str_eq(key, "7");
	/* bad direction, too small output, too long key */
	ck_assert_int_eq(svc_cursor_encode('x', "7", enc, sizeof(enc)), -1);
	ck_assert_int_eq(svc_cursor_encode('n', "1234567", enc, 4), -1);
	{
		char big[SVC_CURSOR_MAX + 10];

		memset(big, 'k', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		ck_assert_int_eq(svc_cursor_encode('n', big, enc, sizeof(enc)),
				 -1);
	}
}
END_TEST

START_TEST(test_cursor_decode_hostile)
{
	char key[16], dir;
	/* "n:" + NUL + "x" in base64url */
	ck_assert_int_eq(svc_cursor_decode("bjoAeA", &dir, key, sizeof(key)),
			 -1);
	/* key longer than the output buffer */
	ck_assert_int_eq(svc_cursor_decode("bjphYWFhYWFhYWFhYWFhYWFhYWFhYQ",
					   &dir, key, sizeof(key)),
			 -1);
	/* standard base64 characters are not base64url */
	ck_assert_int_eq(svc_cursor_decode("bjo+Lw==", &dir, key, sizeof(key)),
			 -1);
	ck_assert_int_eq(svc_cursor_decode("", &dir, key, sizeof(key)), -1);
	/* libsodium stops at a foreign byte; the cursor must be refused, not
	 * read as its prefix "bjo" ("n:") (found by fuzz-json) */
	ck_assert_int_eq(svc_cursor_decode("bjo\xb6", &dir, key, sizeof(key)),
			 -1);
	ck_assert_int_eq(svc_cursor_decode("bjo.", &dir, key, sizeof(key)), -1);
	ck_assert_int_eq(svc_cursor_decode("bjo", &dir, key, sizeof(key)), 0);
}
END_TEST

static const struct usage_case {
	long long used, quota, kb, x10;
} usage_cases[] = {
    {.used = 0, .quota = 1048576, .kb = 0, .x10 = 0},
    {.used = 1023, .quota = 1048576, .kb = 0, .x10 = 1},
    {.used = 1024, .quota = 1048576, .kb = 1, .x10 = 1},
    {.used = 524288, .quota = 1048576, .kb = 512, .x10 = 500},
    {.used = 1048576, .quota = 1048576, .kb = 1024, .x10 = 1000},
    /* over quota shows more than 100 % */
    {.used = 2097152, .quota = 1048576, .kb = 2048, .x10 = 2000},
    /* 1/3 -> 33.3 */
    {.used = 1, .quota = 3, .kb = 0, .x10 = 333},
    /* 2/3 -> 66.7 (rounded half up) */
    {.used = 2, .quota = 3, .kb = 0, .x10 = 667},
    /* unlimited quota: 0 % */
    {.used = 5000, .quota = 0, .kb = 4, .x10 = 0},
    /* a negative usage (Dovecot recalculating) counts as 0 */
    {.used = -10, .quota = 100, .kb = 0, .x10 = 0},
    /* near 2^62 without overflow */
    {.used = 4611686018427387904LL,
     .quota = 4611686018427387904LL,
     .kb = 4503599627370496LL,
     .x10 = 1000},
};

START_TEST(test_usage_table)
{
	const struct usage_case *c = &usage_cases[_i];

	ck_assert_int_eq(svc_usage_kb(c->used), c->kb);
	ck_assert_int_eq(svc_usage_percent_x10(c->used, c->quota), c->x10);
}
END_TEST

START_TEST(test_result_set)
{
	struct svc_result res;
	char longfield[200];

	svc_result_set(&res, SVC_INVALID, "quota_mb", "out of %s", "range");
	ck_assert_int_eq(res.status, SVC_INVALID);
	ck_assert_str_eq(res.field, "quota_mb");
	ck_assert_str_eq(res.message, "out of range");
	memset(longfield, 'f', sizeof(longfield) - 1);
	longfield[sizeof(longfield) - 1] = '\0';
	svc_result_set(&res, SVC_INVALID, longfield, "x");
	ck_assert_str_eq(res.field, ""); /* truncated -> empty, not cut */
	svc_result_ok(&res);
	ck_assert_int_eq(res.status, SVC_OK);
	ck_assert_str_eq(res.message, "");
}
END_TEST

static const struct csv_case {
	const char *name;
	const char *data;
	int ret;
	size_t nfields;
	const char *f0, *f1, *f2;
	size_t next; /* position after the record */
} csv_cases[] = {
    {.name = "plain",
     .data = "a,b,c\nx",
     .ret = 1,
     .nfields = 3,
     .f0 = "a",
     .f1 = "b",
     .f2 = "c",
     .next = 6},
    {.name = "crlf",
     .data = "a,b\r\nx",
     .ret = 1,
     .nfields = 2,
     .f0 = "a",
     .f1 = "b",
     .next = 5},
    {.name = "last line without newline",
     .data = "a,b",
     .ret = 1,
     .nfields = 2,
     .f0 = "a",
     .f1 = "b",
     .next = 3},
    {.name = "quoted comma",
     .data = "\"a,b\",c",
     .ret = 1,
     .nfields = 2,
     .f0 = "a,b",
     .f1 = "c",
     .next = 7},
    {.name = "escaped quote",
     .data = "\"a\"\"b\",c",
     .ret = 1,
     .nfields = 2,
     .f0 = "a\"b",
     .f1 = "c",
     .next = 8},
    {.name = "quoted newline",
     .data = "\"a\nb\",c\n",
     .ret = 1,
     .nfields = 2,
     .f0 = "a\nb",
     .f1 = "c",
     .next = 8},
    {.name = "empty fields",
     .data = ",,\n",
     .ret = 1,
     .nfields = 3,
     .f0 = "",
     .f1 = "",
     .f2 = "",
     .next = 3},
    {.name = "empty data", .data = "", .ret = 0},
    {.name = "unterminated quote", .data = "\"abc,d", .ret = -1},
    {.name = "junk after quote", .data = "\"a\"b,c", .ret = -1},
    {.name = "quote inside a field", .data = "a\"b,c", .ret = -1},
    {.name = "too many fields", .data = "a,b,c,d,e", .ret = -1},
};

START_TEST(test_csv_table)
{
	const struct csv_case *c = &csv_cases[_i];
	char buf[64];
	const char *f[4];
	size_t pos = 0, nf = 0;
	int ret;

	ret = svc_csv_record(c->data, strlen(c->data), &pos, buf, sizeof(buf),
			     f, 4, &nf);
	ck_assert_msg(ret == c->ret, "%s: ret %d", c->name, ret);
	if (ret != 1)
		return;
	ck_assert_uint_eq(nf, c->nfields);
	ck_assert_str_eq(f[0], c->f0);
	if (nf > 1)
		ck_assert_str_eq(f[1], c->f1);
	if (nf > 2)
		ck_assert_str_eq(f[2], c->f2);
	ck_assert_uint_eq(pos, c->next);
}
END_TEST

START_TEST(test_csv_limits)
{
	char buf[8];
	const char *f[4];
	size_t pos = 0, nf;
	static const char nul[] = {'a', '\0', 'b', '\n'};

	/* a record longer than the buffer is refused, not cut */
	ck_assert_int_eq(svc_csv_record("abcdefghij\n", 11, &pos, buf,
					sizeof(buf), f, 4, &nf),
			 -1);
	pos = 0;
	ck_assert_int_eq(
	    svc_csv_record(nul, sizeof(nul), &pos, buf, sizeof(buf), f, 4, &nf),
	    -1);
}
END_TEST

START_TEST(test_csv_field_roundtrip)
{
	static const char *const values[] = {
	    "plain", "with,comma", "with \"quote\"", "multi\nline", ""};
	struct str s;
	char buf[256];
	const char *f[8];
	size_t pos = 0, nf;

	str_init(&s, 1024);
	for (size_t i = 0; i < 5; i++) {
		if (i > 0)
			ck_assert_int_eq(str_append_char(&s, ','), 0);
		ck_assert_int_eq(svc_csv_field(&s, values[i]), 0);
	}
	ck_assert_int_eq(
	    svc_csv_record(s.data, s.len, &pos, buf, sizeof(buf), f, 8, &nf),
	    1);
	ck_assert_uint_eq(nf, 5);
	for (size_t i = 0; i < 5; i++)
		ck_assert_str_eq(f[i], values[i]);
	str_free(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("service");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_status_table, 0,
			    (int)CASIER_ARRAY_LEN(status_cases));
	tcase_add_loop_test(tc, test_page_table, 0,
			    (int)CASIER_ARRAY_LEN(page_cases));
	tcase_add_test(tc, test_page_query_too_long);
	tcase_add_test(tc, test_cursor_roundtrip);
	tcase_add_test(tc, test_cursor_decode_hostile);
	tcase_add_loop_test(tc, test_usage_table, 0,
			    (int)CASIER_ARRAY_LEN(usage_cases));
	tcase_add_test(tc, test_result_set);
	tcase_add_loop_test(tc, test_csv_table, 0,
			    (int)CASIER_ARRAY_LEN(csv_cases));
	tcase_add_test(tc, test_csv_limits);
	tcase_add_test(tc, test_csv_field_roundtrip);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

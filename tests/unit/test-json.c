/*
 * test-json.c - unit tests for mgmtd/json.c: strict API bodies
 * (content type, malformed JSON, invalid UTF-8, NUL, duplicates,
 * non-objects) and field checks (unknown/immutable fields, types,
 * required fields, sizes).  Run by make check.
 */
#include "json.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const struct body_case {
	const char *name;
	const char *ctype;
	const char *body;
	size_t len; /* 0: strlen(body) */
	enum svc_status status;
} body_cases[] = {
    {.name = "object",
     .ctype = "application/json",
     .body = "{\"a\":1}",
     .status = SVC_OK},
    {.name = "empty object",
     .ctype = "application/json",
     .body = "{}",
     .status = SVC_OK},
    {.name = "form content type",
     .ctype = "application/x-www-form-urlencoded",
     .body = "{}",
     .status = SVC_UNSUPPORTED},
    {.name = "text/plain",
     .ctype = "text/plain",
     .body = "{}",
     .status = SVC_UNSUPPORTED},
    {.name = "no content type",
     .ctype = NULL,
     .body = "{}",
     .status = SVC_UNSUPPORTED},
    {.name = "empty body",
     .ctype = "application/json",
     .body = "",
     .status = SVC_BAD_REQUEST},
    {.name = "truncated",
     .ctype = "application/json",
     .body = "{\"a\":",
     .status = SVC_BAD_REQUEST},
    {.name = "array",
     .ctype = "application/json",
     .body = "[1,2]",
     .status = SVC_BAD_REQUEST},
    {.name = "string",
     .ctype = "application/json",
     .body = "\"x\"",
     .status = SVC_BAD_REQUEST},
    {.name = "trailing garbage",
     .ctype = "application/json",
     .body = "{} x",
     .status = SVC_BAD_REQUEST},
    {.name = "two objects",
     .ctype = "application/json",
     .body = "{}{}",
     .status = SVC_BAD_REQUEST},
    {.name = "duplicate key",
     .ctype = "application/json",
     .body = "{\"a\":1,\"a\":2}",
     .status = SVC_BAD_REQUEST},
    {.name = "invalid UTF-8 in string",
     .ctype = "application/json",
     .body = "{\"a\":\"\xc3\x28\"}",
     .status = SVC_BAD_REQUEST},
    {.name = "overlong UTF-8",
     .ctype = "application/json",
     .body = "{\"a\":\"\xc0\xaf\"}",
     .status = SVC_BAD_REQUEST},
    {.name = "escaped NUL",
     .ctype = "application/json",
     .body = "{\"a\":\"x\\u0000y\"}",
     .status = SVC_BAD_REQUEST},
    {.name = "raw NUL byte",
     .ctype = "application/json",
     .body = "{\"a\":\"x\0y\"}",
     .len = 11,
     .status = SVC_BAD_REQUEST},
    {.name = "NUL after the object",
     .ctype = "application/json",
     .body = "{}\0",
     .len = 3,
     .status = SVC_BAD_REQUEST},
    {.name = "lone surrogate",
     .ctype = "application/json",
     .body = "{\"a\":\"\\ud800\"}",
     .status = SVC_BAD_REQUEST},
    {.name = "valid UTF-8 kept",
     .ctype = "application/json",
     .body = "{\"a\":\"\xc3\xa9t\xc3\xa9 <script>\"}",
     .status = SVC_OK},
    {.name = "huge integer",
     .ctype = "application/json",
     .body = "{\"a\":123456789012345678901234567890}",
     .status = SVC_BAD_REQUEST},
};

START_TEST(test_body_table)
{
	const struct body_case *c = &body_cases[_i];
	struct svc_result res;
	json_t *obj = NULL;
	int ret;

	ret = json_body_parse(c->ctype, c->body,
			      c->len ? c->len : strlen(c->body), &obj, &res);
	ck_assert_msg(res.status == c->status, "%s: status %d", c->name,
		      res.status);
	ck_assert_int_eq(ret, c->status == SVC_OK ? 0 : -1);
	if (ret == 0)
		ck_assert(json_is_object(obj));
	else
		ck_assert_ptr_null(obj);
	json_decref(obj);
}
END_TEST

static const struct json_field account_fields[] = {
    {"local_part", JSON_FIELD_STRING, true},
    {"password", JSON_FIELD_STRING, true},
    {"quota_mb", JSON_FIELD_INT, false},
    {"active", JSON_FIELD_BOOL, false},
    {"contact", JSON_FIELD_STRING_OR_NULL, false},
    {"limit", JSON_FIELD_INT_OR_NULL, false},
    {"targets", JSON_FIELD_STRING_ARRAY, false},
};

static const struct field_case {
	const char *name;
	const char *body;
	enum svc_status status;
	const char *field;
} field_cases[] = {
    {.name = "minimal",
     .body = "{\"local_part\":\"a\",\"password\":\"b\"}",
     .status = SVC_OK,
     .field = ""},
    {.name = "all",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"quota_mb\":5,"
	     "\"active\":false,\"contact\":null,\"limit\":null,"
	     "\"targets\":[\"x@y.example\",\"exemple0001\"]}",
     .status = SVC_OK,
     .field = ""},
    {.name = "missing required",
     .body = "{\"local_part\":\"a\"}",
     .status = SVC_INVALID,
     .field = "password"},
    {.name = "immutable username",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"username\":"
	     "\"exemple0001\"}",
     .status = SVC_INVALID,
     .field = "username"},
    {.name = "unknown field",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"zzz\":1}",
     .status = SVC_INVALID,
     .field = "zzz"},
    {.name = "string as int",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"quota_mb\":\"5\"}",
     .status = SVC_INVALID,
     .field = "quota_mb"},
    {.name = "negative int",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"quota_mb\":-1}",
     .status = SVC_INVALID,
     .field = "quota_mb"},
    {.name = "real as int",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"quota_mb\":1.5}",
     .status = SVC_INVALID,
     .field = "quota_mb"},
    {.name = "null for int",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"quota_mb\":null}",
     .status = SVC_INVALID,
     .field = "quota_mb"},
    {.name = "int as bool",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"active\":1}",
     .status = SVC_INVALID,
     .field = "active"},
    {.name = "number as string",
     .body = "{\"local_part\":5,\"password\":\"b\"}",
     .status = SVC_INVALID,
     .field = "local_part"},
    {.name = "array of non-strings",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"targets\":[1]}",
     .status = SVC_INVALID,
     .field = "targets"},
    {.name = "object as array",
     .body = "{\"local_part\":\"a\",\"password\":\"b\",\"targets\":{}}",
     .status = SVC_INVALID,
     .field = "targets"},
};

START_TEST(test_field_table)
{
	const struct field_case *c = &field_cases[_i];
	struct svc_result res;
	json_t *obj = json_loads(c->body, JSON_REJECT_DUPLICATES, NULL);

	ck_assert_ptr_nonnull(obj);
	(void)json_fields_check(obj, account_fields,
				CASIER_ARRAY_LEN(account_fields), &res);
	ck_assert_msg(res.status == c->status, "%s: status %d", c->name,
		      res.status);
	ck_assert_str_eq(res.field, c->field);
	json_decref(obj);
}
END_TEST

START_TEST(test_string_too_long)
{
	static const struct json_field f[] = {{"s", JSON_FIELD_STRING, true}};
	struct svc_result res;
	json_t *obj;
	char *big = malloc(JSON_STRING_MAX + 2);

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', JSON_STRING_MAX + 1);
	big[JSON_STRING_MAX + 1] = '\0';
	obj = json_pack("{s:s}", "s", big);
	ck_assert_int_eq(json_fields_check(obj, f, 1, &res), -1);
	ck_assert_str_eq(res.field, "s");
	json_decref(obj);
	big[JSON_STRING_MAX] = '\0';
	obj = json_pack("{s:s}", "s", big);
	ck_assert_int_eq(json_fields_check(obj, f, 1, &res), 0);
	json_decref(obj);
	free(big);
}
END_TEST

START_TEST(test_too_many_targets)
{
	static const struct json_field f[] = {
	    {"t", JSON_FIELD_STRING_ARRAY, true}};
	struct svc_result res;
	json_t *obj = json_object(), *a = json_array();

	for (int i = 0; i < 1001; i++)
		json_array_append_new(a, json_string("x@y.example"));
	json_object_set_new(obj, "t", a);
	ck_assert_int_eq(json_fields_check(obj, f, 1, &res), -1);
	ck_assert_str_eq(res.field, "t");
	json_array_remove(a, 0);
	ck_assert_int_eq(json_fields_check(obj, f, 1, &res), 0);
	json_decref(obj);
}
END_TEST

START_TEST(test_accessors)
{
	json_t *obj = json_loads("{\"s\":\"v\",\"n\":7,\"b\":false,\"z\":null,"
				 "\"a\":[\"x\",\"y\"]}",
				 0, NULL);
	const char **v;
	size_t n;

	ck_assert_str_eq(json_get_string(obj, "s"), "v");
	ck_assert_ptr_null(json_get_string(obj, "missing"));
	ck_assert_int_eq(json_get_int(obj, "n", -1), 7);
	ck_assert_int_eq(json_get_int(obj, "missing", -1), -1);
	ck_assert(!json_get_bool(obj, "b", true));
	ck_assert(json_is_null_field(obj, "z"));
	ck_assert(json_has(obj, "z"));
	ck_assert(!json_has(obj, "missing"));
	v = json_get_strings(obj, "a", &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(v[0], "x");
	ck_assert_str_eq(v[1], "y");
	free(v);
	ck_assert_ptr_null(json_get_strings(obj, "missing", &n));
	ck_assert_uint_eq(n, 0);
	json_decref(obj);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("json");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_body_table, 0,
			    (int)CASIER_ARRAY_LEN(body_cases));
	tcase_add_loop_test(tc, test_field_table, 0,
			    (int)CASIER_ARRAY_LEN(field_cases));
	tcase_add_test(tc, test_string_too_long);
	tcase_add_test(tc, test_too_many_targets);
	tcase_add_test(tc, test_accessors);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

/*
 * test-str.c - unit tests for lib/str.c: the hard maximum, binary data,
 * formatting, the snprintf truncation check, ASCII case helpers and
 * UTF-8 validation.  Run by `make check`.
 */
#include "str.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_append_within_max)
{
	struct str s;

	str_init(&s, 10);
	ck_assert_int_eq(str_append(&s, "hello"), 0);
	ck_assert_int_eq(str_append(&s, "world"), 0);
	ck_assert_uint_eq(s.len, 10);
	ck_assert_str_eq(s.data, "helloworld");
	str_free(&s);
}
END_TEST

START_TEST(test_append_past_max_unchanged)
{
	struct str s;

	str_init(&s, 10);
	ck_assert_int_eq(str_append(&s, "hello"), 0);
	ck_assert_int_eq(str_append(&s, "world!"), -1);
	ck_assert_uint_eq(s.len, 5);
	ck_assert_str_eq(s.data, "hello");
	ck_assert_int_eq(str_append_char(&s, 'x'), 0);
	ck_assert_int_eq(str_appendf(&s, "%d", 12345), -1);
	ck_assert_str_eq(s.data, "hellox");
	ck_assert_int_eq(str_appendf(&s, "%d", 1234), 0);
	ck_assert_str_eq(s.data, "hellox1234");
	ck_assert_int_eq(str_append_char(&s, 'y'), -1);
	str_free(&s);
}
END_TEST

START_TEST(test_max_zero)
{
	struct str s;

	str_init(&s, 0);
	ck_assert_int_eq(str_append(&s, ""), 0);
	ck_assert_int_eq(str_append(&s, "a"), -1);
	ck_assert_uint_eq(s.len, 0);
	str_free(&s);
}
END_TEST

START_TEST(test_max_size_max_refused)
{
	struct str s;

	/* SIZE_MAX works as "no limit" for ordinary sizes ... */
	str_init(&s, SIZE_MAX);
	ck_assert_int_eq(str_append(&s, "a"), 0);
	/* ... and a length that would wrap size_t is refused. */
	ck_assert_int_eq(str_append_mem(&s, "b", SIZE_MAX), -1);
	ck_assert_str_eq(s.data, "a");
	str_free(&s);
}
END_TEST

START_TEST(test_binary_with_nul)
{
	struct str s;

	str_init(&s, 100);
	ck_assert_int_eq(str_append_mem(&s, "a\0b", 3), 0);
	ck_assert_uint_eq(s.len, 3);
	ck_assert_int_eq(memcmp(s.data, "a\0b", 4), 0);
	str_free(&s);
}
END_TEST

START_TEST(test_grow_large)
{
	struct str s;

	str_init(&s, 100000);
	for (int i = 0; i < 10000; i++)
		ck_assert_int_eq(str_append(&s, "0123456789"), 0);
	ck_assert_uint_eq(s.len, 100000);
	ck_assert_int_eq(str_append_char(&s, 'x'), -1);
	ck_assert_int_eq(s.data[99999], '9');
	ck_assert_int_eq(s.data[100000], '\0');
	str_free(&s);
}
END_TEST

START_TEST(test_steal_and_clear)
{
	struct str s;
	char *p;

	str_init(&s, 20);
	ck_assert_int_eq(str_appendf(&s, "%s-%d", "x", 7), 0);
	str_clear(&s);
	ck_assert_uint_eq(s.len, 0);
	ck_assert_str_eq(s.data, "");
	ck_assert_int_eq(str_append(&s, "kept"), 0);
	p = str_steal(&s);
	ck_assert_str_eq(p, "kept");
	ck_assert_ptr_null(s.data);
	ck_assert_uint_eq(s.len, 0);
	free(p);
	p = str_steal(&s); /* empty str: an empty string, not NULL */
	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p, "");
	free(p);
}
END_TEST

START_TEST(test_snprintf_truncation)
{
	char buf[6];

	ck_assert_int_eq(casier_snprintf(buf, sizeof(buf), "%s", "12345"), 5);
	ck_assert_str_eq(buf, "12345");
	ck_assert_int_eq(casier_snprintf(buf, sizeof(buf), "%s", "123456"), -1);
}
END_TEST

START_TEST(test_ascii_case)
{
	char s[] = "AbC-ÉZ@Example.COM";

	casier_ascii_lower(s);
	ck_assert_str_eq(s, "abc-Éz@example.com");
	ck_assert(casier_streq_nocase("Example.COM", "example.com"));
	ck_assert(!casier_streq_nocase("example.co", "example.com"));
	ck_assert(!casier_streq_nocase("example.com", "example.co"));
	ck_assert(casier_streq_nocase("", ""));
}
END_TEST

static const struct utf8_case {
	const char *name;
	const char *bytes;
	size_t len;
	bool valid;
} utf8_cases[] = {
    {.name = "ascii", .bytes = "hello", .len = 5, .valid = true},
    {.name = "empty", .bytes = "", .len = 0, .valid = true},
    {.name = "two-byte", .bytes = "caf\xc3\xa9", .len = 5, .valid = true},
    {.name = "four-byte", .bytes = "\xf0\x9f\x98\x80", .len = 4, .valid = true},
    {.name = "lone continuation", .bytes = "a\x80", .len = 2, .valid = false},
    {.name = "overlong slash", .bytes = "\xc0\xaf", .len = 2, .valid = false},
    {.name = "overlong 3-byte",
     .bytes = "\xe0\x80\xaf",
     .len = 3,
     .valid = false},
    {.name = "surrogate", .bytes = "\xed\xa0\x80", .len = 3, .valid = false},
    {.name = "above U+10FFFF",
     .bytes = "\xf4\x90\x80\x80",
     .len = 4,
     .valid = false},
    {.name = "truncated", .bytes = "\xc3", .len = 1, .valid = false},
    {.name = "0xff", .bytes = "\xff", .len = 1, .valid = false},
};

START_TEST(test_utf8_table)
{
	const struct utf8_case *c = &utf8_cases[_i];

	ck_assert_msg(casier_utf8_valid(c->bytes, c->len) == c->valid, "%s",
		      c->name);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("str");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_append_within_max);
	tcase_add_test(tc, test_append_past_max_unchanged);
	tcase_add_test(tc, test_max_zero);
	tcase_add_test(tc, test_max_size_max_refused);
	tcase_add_test(tc, test_binary_with_nul);
	tcase_add_test(tc, test_grow_large);
	tcase_add_test(tc, test_steal_and_clear);
	tcase_add_test(tc, test_snprintf_truncation);
	tcase_add_test(tc, test_ascii_case);
	tcase_add_loop_test(tc, test_utf8_table, 0,
			    (int)CASIER_ARRAY_LEN(utf8_cases));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

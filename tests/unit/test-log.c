/*
 * test-log.c - unit tests for log_sanitize() (lib/log.c): control
 * characters, invalid UTF-8, NUL bytes and truncation with "...".
 * Also checks that a log line cannot be split by an embedded newline.
 * Run by `make check`.
 */
#include "log.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct sanitize_case {
	const char *name;
	const char *src;
	size_t len;
	size_t dstsize;
	const char *want;
} sanitize_cases[] = {
    {.name = "plain", .src = "hello", .len = 5, .dstsize = 64, .want = "hello"},
    {.name = "empty", .src = "", .len = 0, .dstsize = 64, .want = ""},
    {.name = "newline injection",
     .src = "a\r\nfake: line",
     .len = 13,
     .dstsize = 64,
     .want = "a??fake: line"},
    {.name = "NUL inside",
     .src = "a\0b",
     .len = 3,
     .dstsize = 64,
     .want = "a?b"},
    {.name = "escape and DEL",
     .src = "\x1b[31m\x7f",
     .len = 6,
     .dstsize = 64,
     .want = "?[31m?"},
    {.name = "tab", .src = "a\tb", .len = 3, .dstsize = 64, .want = "a?b"},
    {.name = "valid UTF-8 kept",
     .src = "caf\xc3\xa9",
     .len = 5,
     .dstsize = 64,
     .want = "caf\xc3\xa9"},
    {.name = "invalid UTF-8",
     .src = "a\xff\xc3(b",
     .len = 5,
     .dstsize = 64,
     .want = "a?\?(b"},
    {.name = "overlong encoding",
     .src = "\xc0\x8a",
     .len = 2,
     .dstsize = 64,
     .want = "??"},
    {.name = "C1 control",
     .src = "x\xc2\x85y",
     .len = 4,
     .dstsize = 64,
     .want = "x?y"},
    {.name = "len stops early",
     .src = "abcdef",
     .len = 3,
     .dstsize = 64,
     .want = "abc"},
    {.name = "exact fit",
     .src = "abcdefg",
     .len = 7,
     .dstsize = 8,
     .want = "abcdefg"},
    {.name = "truncated",
     .src = "abcdefgh",
     .len = 8,
     .dstsize = 8,
     .want = "abcd..."},
    {.name = "truncation keeps UTF-8 whole",
     .src = "ab\xc3\xa9\xc3\xa9zz",
     .len = 8,
     .dstsize = 8,
     .want = "ab\xc3\xa9..."},
    {.name = "truncation between a split char",
     .src = "abc\xc3\xa9zzzz",
     .len = 9,
     .dstsize = 8,
     .want = "abc..."},
    {.name = "tiny buffer",
     .src = "abcdef",
     .len = 6,
     .dstsize = 3,
     .want = ".."},
    {.name = "size one", .src = "abc", .len = 3, .dstsize = 1, .want = ""},
};

START_TEST(test_sanitize_table)
{
	const struct sanitize_case *c = &sanitize_cases[_i];
	char dst[128];

	memset(dst, 'Z', sizeof(dst));
	ck_assert_ptr_eq(log_sanitize(dst, c->dstsize, c->src, c->len), dst);
	ck_assert_msg(strcmp(dst, c->want) == 0, "%s: got \"%s\" want \"%s\"",
		      c->name, dst, c->want);
	ck_assert_msg(strlen(dst) < c->dstsize, "%s: overflow", c->name);
	/* Nothing written past dstsize. */
	ck_assert_int_eq(dst[c->dstsize], 'Z');
}
END_TEST

START_TEST(test_overlong_input)
{
	size_t n = 1 << 20;
	char *big = malloc(n);
	char dst[256];

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', n);
	log_sanitize(dst, sizeof(dst), big, n);
	ck_assert_uint_eq(strlen(dst), sizeof(dst) - 1);
	ck_assert_str_eq(dst + sizeof(dst) - 4, "...");
	free(big);
}
END_TEST

/* A message with an embedded newline comes out as one stderr line. */
START_TEST(test_log_line_single)
{
	int fds[2], saved;
	char buf[512];
	ssize_t n;

	ck_assert_int_eq(pipe(fds), 0);
	saved = dup(STDERR_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_ge(dup2(fds[1], STDERR_FILENO), 0);
	log_open("test-log", false, true, LOG_LEVEL_INFO);
	log_debug("hidden %d", 1);
	log_warning("user said %s", "hi\nforged: line");
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "test-log: warning: user said hi?forged: line\n");
	close(fds[0]);
	close(saved);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_sanitize_table, 0,
			    (int)CASIER_ARRAY_LEN(sanitize_cases));
	tcase_add_test(tc, test_overlong_input);
	tcase_add_test(tc, test_log_line_single);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

/*
 * test-archive-query.c - unit tests for svc_archive_query_check()
 * (mgmtd/service-archive.c): the search criteria the archive pages and
 * API accept, without the database.  Dates in their three forms, UTC,
 * "before" as a bare date meaning the end of that day, impossible dates,
 * control characters and over-long texts.  Run by `make check`.
 */
#include "service-archive.h"

#include <check.h>
#include <string.h>

struct qcase {
	struct svc_archive_query q;
	int ret;
	const char *field; /* on failure */
	const char *after, *before;
};

static char longtext[SVC_QUERY_MAX + 2];

static const struct qcase cases[] = {
    {.q = {0}, .ret = 0, .after = "", .before = ""},
    {.q = {.sender = "belga.com", .subject = "facturation"},
     .ret = 0,
     .after = "",
     .before = ""},
    {.q = {.after = "2005-07-01", .before = "2005-07-08"},
     .ret = 0,
     .after = "2005-07-01 00:00:00",
     .before = "2005-07-09 00:00:00"},
    {.q = {.after = "2005-07-01 9:30", .before = "2005-07-08 17:30"},
     .ret = 0,
     .after = "2005-07-01 09:30:00",
     .before = "2005-07-08 17:30:00"},
    {.q = {.after = "2005-07-01 9:3"}, .ret = -1, .field = "after"},
    {.q = {.after = "2005-07-01 123:30"}, .ret = -1, .field = "after"},
    {.q = {.after = "2005-07-01 09:30", .before = "2005-07-08 17:30"},
     .ret = 0,
     .after = "2005-07-01 09:30:00",
     .before = "2005-07-08 17:30:00"},
    {.q = {.after = "2005-07-01T09:30:15Z", .before = "2005-12-31"},
     .ret = 0,
     .after = "2005-07-01 09:30:15",
     .before = "2006-01-01 00:00:00"},
    {.q = {.after = "2024-02-29"},
     .ret = 0,
     .after = "2024-02-29 00:00:00",
     .before = ""},
    {.q = {.after = "2025-02-29"}, .ret = -1, .field = "after"},
    {.q = {.before = "2025-13-01"}, .ret = -1, .field = "before"},
    {.q = {.before = "2025-01-01 24:00"}, .ret = -1, .field = "before"},
    {.q = {.after = "yesterday"}, .ret = -1, .field = "after"},
    {.q = {.after = "2025-01-01x"}, .ret = -1, .field = "after"},
    {.q = {.after = "1969-12-31"}, .ret = -1, .field = "after"},
    {.q = {.after = ""}, .ret = 0, .after = "", .before = ""},
    {.q = {.sender = "a\nb"}, .ret = -1, .field = "sender"},
    {.q = {.recipient = "x\x7f"}, .ret = -1, .field = "recipient"},
    {.q = {.subject = longtext}, .ret = -1, .field = "subject"},
};

START_TEST(test_query)
{
	const struct qcase *c = &cases[_i];
	struct svc_result res;
	char after[20] = "x", before[20] = "x";
	int ret = svc_archive_query_check(&c->q, after, before, &res);

	ck_assert_int_eq(ret, c->ret);
	if (ret == 0) {
		ck_assert_int_eq(res.status, SVC_OK);
		ck_assert_str_eq(after, c->after);
		ck_assert_str_eq(before, c->before);
	} else {
		ck_assert_int_eq(res.status, SVC_INVALID);
		ck_assert_str_eq(res.field, c->field);
	}
}
END_TEST

START_TEST(test_longest_text_accepted)
{
	char text[SVC_QUERY_MAX + 1];
	struct svc_archive_query q = {.subject = text};
	struct svc_result res;
	char after[20], before[20];

	memset(text, 'a', SVC_QUERY_MAX);
	text[SVC_QUERY_MAX] = '\0';
	ck_assert_int_eq(svc_archive_query_check(&q, after, before, &res), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("archive-query");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	memset(longtext, 'a', sizeof(longtext) - 1);
	tcase_add_loop_test(tc, test_query, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_longest_text_accepted);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

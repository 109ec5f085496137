/*
 * test-policy-chart.c - unit tests for the report charts
 * (mgmtd/outbound-chart.c): one bar per value, heights proportional to
 * the values, labels and title escaped, empty and all-zero series, bad
 * input refused.  Run by `make check`.
 */
#include "outbound-chart.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* The height attribute of the i-th bar. */
static long long
bar_height(const char *svg, size_t i)
{
	const char *p = svg;

	for (size_t k = 0; k <= i; k++) {
		p = strstr(p, "<rect class=\"bar\"");
		if (p == NULL)
			return -1;
		p++;
	}
	p = strstr(p, "height=\"");
	return p != NULL ? strtoll(p + 8, NULL, 10) : -1;
}

START_TEST(test_bars_proportional)
{
	const char *labels[] = {"2026-09", "2026-10", "2026-11"};
	long long values[] = {10, 5, 0};
	struct str s;

	str_init(&s, 1 << 20);
	ck_assert_int_eq(outbound_chart_svg(&s, "Messages", labels, values, 3),
			 0);
	ck_assert_ptr_nonnull(strstr(s.data, "<svg "));
	ck_assert_ptr_nonnull(strstr(s.data, "</svg>"));
	ck_assert_uint_eq(count(s.data, "<rect class=\"bar\""), 3);
	ck_assert_int_eq(bar_height(s.data, 0), 180); /* full plot height */
	ck_assert_int_eq(bar_height(s.data, 1), 90);
	ck_assert_int_eq(bar_height(s.data, 2), 0);
	ck_assert_ptr_nonnull(strstr(s.data, "2026-10: 5</title>"));
	ck_assert_ptr_null(strstr(s.data, "<script"));
	ck_assert_ptr_null(strstr(s.data, "style="));
	str_free(&s);
}
END_TEST

START_TEST(test_escaping)
{
	const char *labels[] = {"<b>&\"x\""};
	long long values[] = {1};
	struct str s;

	str_init(&s, 1 << 20);
	ck_assert_int_eq(
	    outbound_chart_svg(&s, "</title><script>", labels, values, 1), 0);
	ck_assert_ptr_null(strstr(s.data, "<script>"));
	ck_assert_ptr_null(strstr(s.data, "<b>"));
	ck_assert_ptr_nonnull(strstr(s.data, "&lt;b&gt;&amp;"));
	str_free(&s);
}
END_TEST

START_TEST(test_empty_and_zero)
{
	long long zeros[] = {0, 0};
	const char *labels[] = {"a", "b"};
	struct str s;

	str_init(&s, 1 << 20);
	ck_assert_int_eq(outbound_chart_svg(&s, "t", NULL, NULL, 0), 0);
	ck_assert_uint_eq(count(s.data, "<rect"), 0);
	str_clear(&s);
	ck_assert_int_eq(outbound_chart_svg(&s, "t", labels, zeros, 2), 0);
	ck_assert_int_eq(bar_height(s.data, 0), 0);
	ck_assert_int_eq(bar_height(s.data, 1), 0);
	str_free(&s);
}
END_TEST

START_TEST(test_bad_input)
{
	long long neg[] = {-1};
	const char *labels[] = {"a"};
	struct str s;

	str_init(&s, 1 << 20);
	ck_assert_int_eq(outbound_chart_svg(&s, "t", labels, neg, 1), -1);
	ck_assert_int_eq(outbound_chart_svg(&s, "t", labels, neg,
					    OUTBOUND_CHART_MAX_BARS + 1),
			 -1);
	str_free(&s);
	/* an output cap too small fails instead of truncating */
	str_init(&s, 64);
	long long one[] = {1};
	ck_assert_int_eq(outbound_chart_svg(&s, "t", labels, one, 1), -1);
	str_free(&s);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy-chart");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_bars_proportional);
	tcase_add_test(tc, test_escaping);
	tcase_add_test(tc, test_empty_and_zero);
	tcase_add_test(tc, test_bad_input);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

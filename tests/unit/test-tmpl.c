/*
 * test-tmpl.c - unit tests of the template engine (mgmtd/tmpl.c):
 * escaping by default, raw only for code-made fragments, sections,
 * inverted sections, scope chain, translations, partials, and syntax
 * errors refused at parse time.
 */
#include "tmpl.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static const char *
fake_translate(const void *ctx, const char *key)
{
	(void)ctx;
	if (strcmp(key, "hello") == 0)
		return "Bonjour";
	if (strcmp(key, "evil") == 0)
		return "<b>&</b>";
	return NULL;
}

/* The data every render case sees. */
static struct tmpl_data *
make_data(void)
{
	struct tmpl_data *d = tmpl_data_new();
	struct tmpl_data *it;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(tmpl_data_set(d, "name", "gugus"), 0);
	ck_assert_int_eq(
	    tmpl_data_set(d, "xss", "<script>alert('x')</script>&\"`"), 0);
	ck_assert_int_eq(tmpl_data_set_html(d, "frag", "<em>ok</em>"), 0);
	ck_assert_int_eq(tmpl_data_set_bool(d, "yes", true), 0);
	ck_assert_int_eq(tmpl_data_set_bool(d, "no", false), 0);
	ck_assert_int_eq(tmpl_data_set(d, "empty", ""), 0);
	ck_assert_int_eq(tmpl_data_set_list(d, "none"), 0);
	it = tmpl_data_list_add(d, "rows");
	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(tmpl_data_set(it, "u", "a1"), 0);
	it = tmpl_data_list_add(d, "rows");
	ck_assert_ptr_nonnull(it);
	ck_assert_int_eq(tmpl_data_set(it, "u", "<b2>"), 0);
	ck_assert_int_eq(tmpl_data_set_bool(it, "mark", true), 0);
	return d;
}

struct render_case {
	const char *src;
	const char *want;
};

static const struct render_case render_cases[] = {
    {.src = "plain text", .want = "plain text"},
    {.src = "", .want = ""},
    {.src = "Hi {{name}}!", .want = "Hi gugus!"},
    {.src = "{{ name }}", .want = "gugus"},
    {.src = "{{xss}}",
     .want = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
	     "&#96;"},
    /* triple braces do not make a plain text value raw */
    {.src = "{{{xss}}}",
     .want = "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
	     "&#96;"},
    {.src = "{{{frag}}}", .want = "<em>ok</em>"},
    {.src = "{{frag}}", .want = "&lt;em&gt;ok&lt;/em&gt;"},
    {.src = "[{{missing}}]", .want = "[]"},
    {.src = "{{#yes}}Y{{/yes}}{{#no}}N{{/no}}", .want = "Y"},
    {.src = "{{^yes}}Y{{/yes}}{{^no}}N{{/no}}", .want = "N"},
    {.src = "{{#name}}has {{name}}{{/name}}", .want = "has gugus"},
    {.src = "{{#empty}}E{{/empty}}{{^empty}}not{{/empty}}", .want = "not"},
    {.src = "{{#missing}}M{{/missing}}{{^missing}}absent{{/missing}}",
     .want = "absent"},
    {.src = "{{#rows}}<{{u}}>{{/rows}}", .want = "<a1><&lt;b2&gt;>"},
    /* the scope chain: name comes from the top inside each row */
    {.src = "{{#rows}}{{u}}-{{name}};{{/rows}}",
     .want = "a1-gugus;&lt;b2&gt;-gugus;"},
    {.src = "{{#rows}}{{#mark}}*{{/mark}}{{/rows}}", .want = "*"},
    {.src = "{{#none}}x{{/none}}{{^none}}Pas de compte{{/none}}",
     .want = "Pas de compte"},
    {.src = "{{^rows}}none{{/rows}}", .want = ""},
    {.src = "{{t \"hello\"}}", .want = "Bonjour"},
    {.src = "{{t \"evil\"}}", .want = "&lt;b&gt;&amp;&lt;/b&gt;"},
    {.src = "{{t \"unknown.key\"}}", .want = "unknown.key"},
    {.src = "a{{! a comment }}b", .want = "ab"},
    {.src = "{{> part}}", .want = "[part gugus]"},
    {.src = "{ {name} }", .want = "{ {name} }"},
};

START_TEST(test_render)
{
	const struct render_case *c = &render_cases[_i];
	char err[256] = "";
	struct tmpl_set *set = tmpl_set_new();
	struct tmpl *part =
	    tmpl_parse("[part {{name}}]", 15, "part", err, sizeof(err));
	struct tmpl *t =
	    tmpl_parse(c->src, strlen(c->src), "case", err, sizeof(err));
	struct tmpl_data *d = make_data();
	struct str out;

	ck_assert_msg(t != NULL, "parse %s: %s", c->src, err);
	ck_assert_ptr_nonnull(part);
	ck_assert_int_eq(tmpl_set_add(set, part), 0);
	str_init(&out, 4096);
	ck_assert_int_eq(tmpl_render(t, set, d, fake_translate, NULL, &out), 0);
	ck_assert_str_eq(out.data == NULL ? "" : out.data, c->want);
	str_free(&out);
	tmpl_data_free(&d);
	ck_assert_ptr_null(d);
	tmpl_free(&t);
	ck_assert_ptr_null(t);
	tmpl_set_free(&set);
}
END_TEST

struct bad_case {
	const char *src;
	const char *error_part;
};

static const struct bad_case bad_cases[] = {
    {.src = "{{#a}}x", .error_part = ":1: unclosed section"},
    {.src = "x\n{{/a}}", .error_part = ":2: closing tag without"},
    {.src = "{{#a}}{{/b}}", .error_part = "closing tag without"},
    {.src = "{{name", .error_part = "unterminated tag"},
    {.src = "{{{name}}", .error_part = "unterminated tag"},
    {.src = "{{}}", .error_part = "bad name"},
    {.src = "{{na me}}", .error_part = "bad name"},
    {.src = "{{<script>}}", .error_part = "bad name"},
    {.src = "{{t hello}}", .error_part = "quoted"},
    {.src = "{{t \"a b\"}}", .error_part = "bad translation key"},
    {.src = "{{t \"a\" x}}", .error_part = "bad translation tag"},
};

START_TEST(test_parse_errors)
{
	const struct bad_case *c = &bad_cases[_i];
	char err[256] = "";
	struct tmpl *t =
	    tmpl_parse(c->src, strlen(c->src), "bad", err, sizeof(err));

	ck_assert_msg(t == NULL, "%s parsed", c->src);
	ck_assert_msg(strstr(err, c->error_part) != NULL, "%s: got '%s'",
		      c->src, err);
	ck_assert_msg(strncmp(err, "bad:", 4) == 0, "no file name: %s", err);
}
END_TEST

START_TEST(test_nul_refused)
{
	char err[128];

	ck_assert_ptr_null(tmpl_parse("a\0b", 3, "nul", err, sizeof(err)));
}
END_TEST

START_TEST(test_deep_nesting_refused)
{
	struct str src;
	char err[128];

	str_init(&src, 100000);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(str_append(&src, "{{#a}}"), 0);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(str_append(&src, "{{/a}}"), 0);
	ck_assert_ptr_null(
	    tmpl_parse(src.data, src.len, "deep", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "nested too deeply"));
	str_free(&src);
}
END_TEST

START_TEST(test_partial_recursion_fails)
{
	char err[128];
	struct tmpl_set *set = tmpl_set_new();
	struct tmpl *self =
	    tmpl_parse("x{{> loop}}", 11, "loop", err, sizeof(err));
	struct str out;

	ck_assert_ptr_nonnull(self);
	ck_assert_int_eq(tmpl_set_add(set, self), 0);
	str_init(&out, 4096);
	ck_assert_int_eq(tmpl_render(self, set, NULL, NULL, NULL, &out), -1);
	str_free(&out);
	tmpl_set_free(&set);
}
END_TEST

START_TEST(test_unknown_partial_reported)
{
	char err[128] = "";
	struct tmpl_set *set = tmpl_set_new();
	struct tmpl *t = tmpl_parse("{{> nope}}", 10, "page", err, sizeof(err));

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tmpl_set_add(set, t), 0);
	ck_assert_int_eq(tmpl_set_check(set, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unknown partial \"nope\""));
	tmpl_set_free(&set);
}
END_TEST

START_TEST(test_output_cap)
{
	char err[128];
	struct tmpl *t =
	    tmpl_parse("{{name}}{{name}}", 16, "cap", err, sizeof(err));
	struct tmpl_data *d = make_data();
	struct str out;

	str_init(&out, 6); /* "gugus" fits, the second does not */
	ck_assert_int_eq(tmpl_render(t, NULL, d, NULL, NULL, &out), -1);
	str_free(&out);
	tmpl_data_free(&d);
	tmpl_free(&t);
}
END_TEST

START_TEST(test_set_replaces_value)
{
	char err[128];
	struct tmpl *t = tmpl_parse("{{{v}}}", 7, "r", err, sizeof(err));
	struct tmpl_data *d = tmpl_data_new();
	struct str out;

	/* an html value overwritten by text must lose its raw status */
	ck_assert_int_eq(tmpl_data_set_html(d, "v", "<i>"), 0);
	ck_assert_int_eq(tmpl_data_set(d, "v", "<i>"), 0);
	str_init(&out, 100);
	ck_assert_int_eq(tmpl_render(t, NULL, d, NULL, NULL, &out), 0);
	ck_assert_str_eq(out.data, "&lt;i&gt;");
	str_free(&out);
	tmpl_data_free(&d);
	tmpl_free(&t);
}
END_TEST

START_TEST(test_setf)
{
	char err[128];
	struct tmpl *t = tmpl_parse("{{n}}", 5, "f", err, sizeof(err));
	struct tmpl_data *d = tmpl_data_new();
	struct str out;

	ck_assert_int_eq(tmpl_data_setf(d, "n", "%s%04d", "exemple", 1), 0);
	str_init(&out, 100);
	ck_assert_int_eq(tmpl_render(t, NULL, d, NULL, NULL, &out), 0);
	ck_assert_str_eq(out.data, "exemple0001");
	str_free(&out);
	tmpl_data_free(&d);
	tmpl_free(&t);
}
END_TEST

/* The shipped templates must all parse and their partials resolve. */
START_TEST(test_shipped_templates_load)
{
	const char *srcdir = getenv("CASIER_SRCDIR");
	char dir[4096], err[512] = "";
	struct tmpl_set *set;

	ck_assert_int_ge(casier_snprintf(dir, sizeof(dir), "%s/templates",
					 srcdir == NULL ? "." : srcdir),
			 0);
	set = tmpl_set_load(dir, err, sizeof(err));
	ck_assert_msg(set != NULL, "%s", err);
	ck_assert_ptr_nonnull(tmpl_set_get(set, "layout-top"));
	ck_assert_ptr_nonnull(tmpl_set_get(set, "login"));
	ck_assert_ptr_nonnull(tmpl_set_get(set, "accounts"));
	tmpl_set_free(&set);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("tmpl");
	TCase *tc = tcase_create("tmpl");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_render, 0,
			    (int)CASIER_ARRAY_LEN(render_cases));
	tcase_add_loop_test(tc, test_parse_errors, 0,
			    (int)CASIER_ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_nul_refused);
	tcase_add_test(tc, test_deep_nesting_refused);
	tcase_add_test(tc, test_partial_recursion_fails);
	tcase_add_test(tc, test_unknown_partial_reported);
	tcase_add_test(tc, test_output_cap);
	tcase_add_test(tc, test_set_replaces_value);
	tcase_add_test(tc, test_setf);
	tcase_add_test(tc, test_shipped_templates_load);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

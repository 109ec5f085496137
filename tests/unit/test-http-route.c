/*
 * test-http-route.c - unit tests for the route matcher of mgmtd/http.c
 * (literal segments, {param} segments, trailing slashes, empty
 * segments, buffer limits) and the response helpers (header
 * injection refused).  Run by make check.
 */
#include "http.h"

#include <check.h>
#include <string.h>

static const struct route_case {
	const char *name;
	const char *pattern, *path;
	bool match;
	const char *p1, *v1, *p2, *v2;
} route_cases[] = {
    {.name = "literal",
     .pattern = "/api/v1/domains",
     .path = "/api/v1/domains",
     .match = true},
    {.name = "literal mismatch",
     .pattern = "/api/v1/domains",
     .path = "/api/v1/domain",
     .match = false},
    {.name = "prefix is not a match",
     .pattern = "/api/v1/domains",
     .path = "/api/v1/domains/x",
     .match = false},
    {.name = "longer pattern",
     .pattern = "/api/v1/domains/{domain}",
     .path = "/api/v1/domains",
     .match = false},
    {.name = "trailing slash",
     .pattern = "/api/v1/domains",
     .path = "/api/v1/domains/",
     .match = false},
    {.name = "one param",
     .pattern = "/api/v1/domains/{domain}",
     .path = "/api/v1/domains/exemple.be",
     .match = true,
     .p1 = "domain",
     .v1 = "exemple.be"},
    {.name = "empty param",
     .pattern = "/api/v1/domains/{domain}",
     .path = "/api/v1/domains/",
     .match = false},
    {.name = "two params",
     .pattern = "/api/v1/domains/{domain}/alias-domains/{name}",
     .path = "/api/v1/domains/exemple.be/alias-domains/exemple.com",
     .match = true,
     .p1 = "domain",
     .v1 = "exemple.be",
     .p2 = "name",
     .v2 = "exemple.com"},
    {.name = "address param",
     .pattern = "/api/v1/aliases/{address}",
     .path = "/api/v1/aliases/gugus@exemple.be",
     .match = true,
     .p1 = "address",
     .v1 = "gugus@exemple.be"},
    {.name = "param does not span slashes",
     .pattern = "/api/v1/aliases/{address}",
     .path = "/api/v1/aliases/a/b",
     .match = false},
    {.name = "root", .pattern = "/", .path = "/", .match = true},
    {.name = "no leading slash", .pattern = "/x", .path = "x", .match = false},
    {.name = "double slash",
     .pattern = "/api/{x}",
     .path = "/api//",
     .match = false},
};

START_TEST(test_route_table)
{
	const struct route_case *c = &route_cases[_i];
	struct http_param params[HTTP_MAX_PATH_PARAMS];
	char buf[256];
	size_t n = 99;
	bool m;

	m = http_route_match(c->pattern, c->path, buf, sizeof(buf), params, &n);
	ck_assert_msg(m == c->match, "%s", c->name);
	if (!m)
		return;
	ck_assert_uint_eq(n, (c->p1 != NULL) + (c->p2 != NULL));
	if (c->p1 != NULL) {
		ck_assert_str_eq(params[0].name, c->p1);
		ck_assert_str_eq(params[0].value, c->v1);
	}
	if (c->p2 != NULL) {
		ck_assert_str_eq(params[1].name, c->p2);
		ck_assert_str_eq(params[1].value, c->v2);
	}
}
END_TEST

START_TEST(test_route_buffer_limit)
{
	struct http_param params[HTTP_MAX_PATH_PARAMS];
	char buf[16];
	size_t n;

	/* "domain\0" + "exemple.be\0" = 18 bytes > 16: refused, no overflow */
	ck_assert(!http_route_match("/d/{domain}", "/d/exemple.be", buf,
				    sizeof(buf), params, &n));
	ck_assert(http_route_match("/d/{domain}", "/d/ex.be", buf, sizeof(buf),
				   params, &n));
	ck_assert_str_eq(params[0].value, "ex.be");
}
END_TEST

START_TEST(test_response_headers)
{
	struct http_response r;

	http_response_init(&r);
	ck_assert_uint_eq(r.status, 200);
	ck_assert_int_eq(http_response_header(&r, "Set-Cookie", "a=b"), 0);
	/* response splitting is refused */
	ck_assert_int_eq(http_response_header(&r, "Location", "/x\r\nEvil: 1"),
			 -1);
	ck_assert_uint_eq(r.nheaders, 1);
	for (int i = 1; i < HTTP_MAX_HEADERS; i++)
		ck_assert_int_eq(http_response_header(&r, "X-A", "v"), 0);
	ck_assert_int_eq(http_response_header(&r, "X-A", "v"), -1);
	http_response_redirect(&r, 303, "/next");
	ck_assert_uint_eq(r.status, 500); /* table full: no silent redirect */
	http_response_free(&r);

	http_response_init(&r);
	http_response_redirect(&r, 303, "/next");
	ck_assert_uint_eq(r.status, 303);
	ck_assert_str_eq(r.header_values[0], "/next");
	http_response_text(&r, 404, "nope");
	ck_assert_uint_eq(r.status, 404);
	ck_assert_str_eq(r.body.data, "nope\n");
	ck_assert_str_eq(r.content_type, "text/plain; charset=utf-8");
	http_response_free(&r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("http-route");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_route_table, 0,
			    (int)CASIER_ARRAY_LEN(route_cases));
	tcase_add_test(tc, test_route_buffer_limit);
	tcase_add_test(tc, test_response_headers);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

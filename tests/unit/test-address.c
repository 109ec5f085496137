/*
 * test-address.c - unit tests for lib/address.c with hostile input:
 * empty, NUL bytes, invalid UTF-8, overlong parts, several '@', dots in
 * the wrong places, IDN conversion, upper case, the "+tag" split.
 * Run by `make check`.
 */
#include "address.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

static const struct parse_case {
	const char *name;
	const char *input;
	size_t len;	   /* 0: strlen(input) */
	const char *local; /* NULL: must be refused */
	const char *tag;
	const char *domain;
	const char *reason; /* substring of the refusal */
} parse_cases[] = {
    {.name = "simple",
     .input = "gugus@exemple.be",
     .local = "gugus",
     .tag = "",
     .domain = "exemple.be"},
    {.name = "upper case",
     .input = "Jean.Dupont@EXEMPLE.BE",
     .local = "jean.dupont",
     .tag = "",
     .domain = "exemple.be"},
    {.name = "angle brackets",
     .input = "<a@b.example>",
     .local = "a",
     .tag = "",
     .domain = "b.example"},
    {.name = "plus tag",
     .input = "local+News@exemple.be",
     .local = "local",
     .tag = "News",
     .domain = "exemple.be"},
    {.name = "second plus stays in tag",
     .input = "a+b+c@x.example",
     .local = "a",
     .tag = "b+c",
     .domain = "x.example"},
    {.name = "empty tag",
     .input = "a+@x.example",
     .local = "a",
     .tag = "",
     .domain = "x.example"},
    {.name = "IDN",
     .input = "info@b\xc3\xbc"
	      "cher.example",
     .local = "info",
     .tag = "",
     .domain = "xn--bcher-kva.example"},
    {.name = "IDN upper case",
     .input = "info@B\xc3\x9c"
	      "CHER.example",
     .local = "info",
     .tag = "",
     .domain = "xn--bcher-kva.example"},
    {.name = "A-label kept",
     .input = "info@XN--BCHER-KVA.example",
     .local = "info",
     .tag = "",
     .domain = "xn--bcher-kva.example"},
    {.name = "sharp s non-transitional",
     .input = "a@stra\xc3\x9f"
	      "e.de",
     .local = "a",
     .tag = "",
     .domain = "xn--strae-oqa.de"},
    {.name = "atext specials",
     .input = "o'neil_x-y=z@x.example",
     .local = "o'neil_x-y=z",
     .tag = "",
     .domain = "x.example"},
    {.name = "empty", .input = "", .reason = "empty address"},
    {.name = "empty brackets", .input = "<>", .reason = "empty address"},
    {.name = "no at", .input = "gugus.exemple.be", .reason = "missing '@'"},
    {.name = "two at", .input = "a@b@c.example", .reason = "more than one '@'"},
    {.name = "a@b@c", .input = "a@b@c", .reason = "more than one '@'"},
    {.name = "empty local",
     .input = "@exemple.be",
     .reason = "empty local part"},
    {.name = "empty domain", .input = "a@", .reason = "empty domain"},
    {.name = "NUL in local",
     .input = "a\0b@exemple.be",
     .len = 14,
     .reason = "NUL byte"},
    {.name = "NUL in domain",
     .input = "ab@exem\0ple.be",
     .len = 14,
     .reason = "NUL byte"},
    {.name = "trailing dot",
     .input = "a@exemple.be.",
     .reason = "ends with a dot"},
    {.name = "leading dot domain",
     .input = "a@.exemple.be",
     .reason = "empty label"},
    {.name = "double dot domain",
     .input = "a@exemple..be",
     .reason = "empty label"},
    {.name = "single label",
     .input = "root@localhost",
     .reason = "at least two labels"},
    {.name = "dot first in local",
     .input = ".a@x.example",
     .reason = "starts or ends with a dot"},
    {.name = "dot last in local",
     .input = "a.@x.example",
     .reason = "starts or ends with a dot"},
    {.name = "two dots local",
     .input = "a..b@x.example",
     .reason = "two dots in a row"},
    {.name = "dot before plus",
     .input = "a.+tag@x.example",
     .reason = "ends with a dot before '+'"},
    {.name = "plus first",
     .input = "+tag@x.example",
     .reason = "empty local part before '+'"},
    {.name = "space in local",
     .input = "a b@x.example",
     .reason = "invalid character in local part"},
    {.name = "quoted local",
     .input = "\"a b\"@x.example",
     .reason = "invalid character in local part"},
    {.name = "non-ASCII local",
     .input = "j\xc3\xa9r\xc3\xb4me@x.example",
     .reason = "must be ASCII"},
    {.name = "invalid UTF-8 domain",
     .input = "a@b\xff\xfe.example",
     .reason = "not valid UTF-8"},
    {.name = "overlong UTF-8 domain",
     .input = "a@b\xc0\xae.example",
     .reason = "not valid UTF-8"},
    {.name = "underscore domain",
     .input = "a@my_host.example",
     .reason = "invalid character in domain"},
    {.name = "hyphen label start",
     .input = "a@-bad.example",
     .reason = "hyphen"},
    {.name = "address literal",
     .input = "a@[192.0.2.1]",
     .reason = "address literals"},
    {.name = "control char domain",
     .input = "a@exa\rmple.be",
     .reason = "domain"},
    {.name = "unbalanced bracket",
     .input = "<a@x.example",
     .reason = "invalid character in local part"},
};

START_TEST(test_parse_table)
{
	const struct parse_case *c = &parse_cases[_i];
	size_t len = c->len != 0 ? c->len : strlen(c->input);
	struct address addr;
	const char *error = NULL;
	int rc;

	rc = address_parse(c->input, len, &addr, &error);
	if (c->local == NULL) {
		ck_assert_msg(rc == -1, "%s: accepted as %s@%s", c->name,
			      addr.local, addr.domain);
		ck_assert_ptr_nonnull(error);
		ck_assert_msg(strstr(error, c->reason) != NULL,
			      "%s: reason \"%s\", want \"%s\"", c->name, error,
			      c->reason);
		/* nothing half-parsed is left */
		ck_assert_str_eq(addr.local, "");
		ck_assert_str_eq(addr.domain, "");
		return;
	}
	ck_assert_msg(rc == 0, "%s: refused: %s", c->name, error);
	ck_assert_str_eq(addr.local, c->local);
	ck_assert_str_eq(addr.tag, c->tag);
	ck_assert_str_eq(addr.domain, c->domain);
}
END_TEST

/* Build a string of n copies of ch. */
static void
fill(char *buf, char ch, size_t n)
{
	memset(buf, ch, n);
	buf[n] = '\0';
}

START_TEST(test_local_part_limits)
{
	char local[100], input[200];
	struct address addr;
	const char *error;

	fill(local, 'a', 64);
	snprintf(input, sizeof(input), "%s@x.example", local);
	ck_assert_int_eq(address_parse(input, strlen(input), &addr, &error), 0);
	ck_assert_uint_eq(strlen(addr.local), 64);

	fill(local, 'a', 65);
	snprintf(input, sizeof(input), "%s@x.example", local);
	ck_assert_int_eq(address_parse(input, strlen(input), &addr, &error),
			 -1);
	ck_assert_str_eq(error, "local part longer than 64 characters");

	/* The tag counts towards the 64 octets (RFC 5321 4.5.3.1.1). */
	fill(local, 'a', 60);
	snprintf(input, sizeof(input), "%s+abcde@x.example", local);
	ck_assert_int_eq(address_parse(input, strlen(input), &addr, &error),
			 -1);
}
END_TEST

START_TEST(test_domain_limits)
{
	char label[100], input[600], domain[300];
	struct address addr;
	const char *error;
	size_t n;

	fill(label, 'b', 63);
	snprintf(input, sizeof(input), "a@%s.example", label);
	ck_assert_int_eq(address_parse(input, strlen(input), &addr, &error), 0);

	fill(label, 'b', 64);
	snprintf(input, sizeof(input), "a@%s.example", label);
	ck_assert_int_eq(address_parse(input, strlen(input), &addr, &error),
			 -1);
	ck_assert_msg(strstr(error, "63") != NULL, "%s", error);

	/* 253 octets accepted, 254 refused: labels of 49 + dot. */
	n = 0;
	while (n + 50 <= 250) {
		fill(domain + n, 'c', 49);
		domain[n + 49] = '.';
		n += 50;
	}
	fill(domain + n, 'd', 253 - n); /* 250 + "ddd" = 253 */
	ck_assert_uint_eq(strlen(domain), 253);
	snprintf(input, sizeof(input), "a@%s", domain);
	ck_assert_int_eq(address_parse(input, strlen(input), &addr, &error), 0);
	ck_assert_str_eq(addr.domain, domain);
	fill(domain + n, 'd', 254 - n);
	snprintf(input, sizeof(input), "a@%s", domain);
	ck_assert_int_eq(address_parse(input, strlen(input), &addr, &error),
			 -1);
}
END_TEST

START_TEST(test_overlong_input)
{
	static char input[100000];
	struct address addr;
	const char *error;

	memset(input, 'a', sizeof(input));
	input[10] = '@';
	ck_assert_int_eq(address_parse(input, sizeof(input), &addr, &error),
			 -1);
	ck_assert_str_eq(error, "address too long");
}
END_TEST

START_TEST(test_local_and_format)
{
	char out[ADDRESS_LOCAL_MAX + 1], buf[32];
	struct address addr;
	const char *error;

	ck_assert_int_eq(
	    address_local_normalize("Jean.Dupont", out, sizeof(out), &error),
	    0);
	ck_assert_str_eq(out, "jean.dupont");
	ck_assert_int_eq(
	    address_local_normalize("a+b", out, sizeof(out), &error), -1);
	ck_assert_int_eq(address_local_normalize("", out, sizeof(out), &error),
			 -1);
	ck_assert_int_eq(
	    address_local_normalize("a..b", out, sizeof(out), &error), -1);

	ck_assert_int_eq(address_parse("X+y@Ex.Example", 14, &addr, &error), 0);
	ck_assert_int_eq(address_format(&addr, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "x@ex.example");
	ck_assert_int_eq(address_format(&addr, buf, 5), -1);
}
END_TEST

START_TEST(test_domain_normalize)
{
	char out[ADDRESS_DOMAIN_MAX + 1];
	const char *error;

	ck_assert_int_eq(address_domain_normalize("B\xc3\xbc"
						  "cher.Example",
						  out, sizeof(out), &error),
			 0);
	ck_assert_str_eq(out, "xn--bcher-kva.example");
	/* Too small an output buffer is an error, not a truncation. */
	ck_assert_int_eq(address_domain_normalize("exemple.be", out, 5, &error),
			 -1);
	/* A bogus A-label (bad punycode) is refused by libidn2. */
	ck_assert_int_eq(address_domain_normalize("xn--zz-.example", out,
						  sizeof(out), &error),
			 -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("address");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_parse_table, 0,
			    (int)CASIER_ARRAY_LEN(parse_cases));
	tcase_add_test(tc, test_local_part_limits);
	tcase_add_test(tc, test_domain_limits);
	tcase_add_test(tc, test_overlong_input);
	tcase_add_test(tc, test_local_and_format);
	tcase_add_test(tc, test_domain_normalize);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

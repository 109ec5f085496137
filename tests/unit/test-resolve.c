/*
 * test-resolve.c - unit tests for delivery/resolve.c: every rule of
 * DESIGN section 3 and the RCPT quota check of section 4, against a fake
 * lookup that serves a fixed table of facts (the role the SQL function
 * casier_resolve() plays in the daemon).  Run by `make check`.
 */
#include "resolve.h"
#include "str.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define ACCT(u, a, act, q, used)                                               \
	{                                                                      \
		.username = (u), .address = (a), .active = (act),              \
		.quota_bytes = (q), .used_bytes = (used)                       \
	}
#define ACTIVE .domain_state = RESOLVE_DOMAIN_ACTIVE
#define T(...)                                                                 \
	(const char *const[])                                                  \
	{                                                                      \
		__VA_ARGS__                                                    \
	}
#define N(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(char *))

static const struct resolve_account alice =
    ACCT("d0001", "alice@d.example", true, 1000, 0);
static const struct resolve_account catchme =
    ACCT("c0001", "catchme@c.example", true, 0, 0);

static const struct resolve_node world[] = {
    {.key = "alice@d.example", ACTIVE, .has_account = true, .account = alice},
    {.key = "alice@a.example",
     ACTIVE,
     .has_account = true,
     .account = alice}, /* a.example is an alias domain of d.example */
    {.key = "d0001@d.example", ACTIVE, .has_account = true, .account = alice},
    {.key = "d0001", ACTIVE, .has_account = true, .account = alice},
    {.key = "bob@d.example",
     ACTIVE,
     .has_account = true,
     .account = ACCT("d0002", "bob@d.example", false, 0, 0)},
    {.key = "d0002",
     ACTIVE,
     .has_account = true,
     .account = ACCT("d0002", "bob@d.example", false, 0, 0)},
    {.key = "carol@d.example",
     ACTIVE,
     .has_account = true,
     .account = ACCT("d0003", "carol@d.example", true, 0, 0),
     .has_redirect = true,
     .redirect = T("x@remote.example"),
     .nredirect = 1},
    {.key = "dave@d.example",
     ACTIVE,
     .has_account = true,
     .account = ACCT("d0004", "dave@d.example", true, 0, 0),
     .has_redirect = true,
     .keep_copy = true,
     .redirect = T("x@remote.example", "alice@d.example"),
     .nredirect = 2},
    {.key = "team@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("alice@d.example", "d0001", "eve@d.example",
			"x@remote.example", "team2@d.example"),
     .nalias = 5},
    {.key = "team2@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("team@d.example", "y@remote.example"),
     .nalias = 2},
    {.key = "empty@d.example", ACTIVE, .has_alias = true, .nalias = 0},
    {.key = "x@remote.example", .domain_state = RESOLVE_DOMAIN_UNKNOWN},
    {.key = "y@remote.example", .domain_state = RESOLVE_DOMAIN_UNKNOWN},
    {.key = "eve@d.example", ACTIVE},
    {.key = "nobody@d.example", ACTIVE},
    {.key = "someone@unknown.example", .domain_state = RESOLVE_DOMAIN_UNKNOWN},
    {.key = "x@off.example", .domain_state = RESOLVE_DOMAIN_INACTIVE},
    {.key = "anything@c.example",
     ACTIVE,
     .has_catchall = true,
     .catchall = catchme},
    {.key = "empty@c.example",
     ACTIVE,
     .has_alias = true,
     .nalias = 0,
     .has_catchall = true,
     .catchall = catchme},
    {.key = "offcatch@e.example",
     ACTIVE,
     .has_catchall = true,
     .catchall = ACCT("e0001", "x@e.example", false, 0, 0)},
    {.key = "info@c.example",
     ACTIVE,
     .has_account = true,
     .account = ACCT("c0002", "info@c.example", true, 0, 0)},
    {.key = "list@c.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("info@c.example"),
     .nalias = 1},
    {.key = "loop1@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("loop2@d.example"),
     .nalias = 1},
    {.key = "loop2@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("loop1@d.example"),
     .nalias = 1},
    {.key = "r1@d.example",
     ACTIVE,
     .has_account = true,
     .account = ACCT("d0005", "r1@d.example", true, 0, 0),
     .has_redirect = true,
     .redirect = T("r2@d.example"),
     .nredirect = 1},
    {.key = "r2@d.example",
     ACTIVE,
     .has_account = true,
     .account = ACCT("d0006", "r2@d.example", true, 0, 0),
     .has_redirect = true,
     .redirect = T("r1@d.example"),
     .nredirect = 1},
    {.key = "self@d.example",
     ACTIVE,
     .has_account = true,
     .account = ACCT("d0007", "self@d.example", true, 0, 0),
     .has_redirect = true,
     .keep_copy = true,
     .redirect = T("self@d.example"),
     .nredirect = 1},
    {.key = "full@d.example",
     ACTIVE,
     .has_account = true,
     .account = ACCT("d0008", "full@d.example", true, 1000, 990)},
    {.key = "unl@d.example",
     ACTIVE,
     .has_account = true,
     .account = ACCT("d0009", "unl@d.example", true, 0, 1LL << 40)},
    {.key = "fwdfull@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("full@d.example"),
     .nalias = 1},
    {.key = "fullcatch@f.example",
     ACTIVE,
     .has_catchall = true,
     .catchall = ACCT("f0001", "c@f.example", true, 100, 100)},
    {.key = "dupes@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets =
	 T("alice@d.example", "d0001", "ALICE@d.example", "alice+x@d.example",
	   "x@remote.example", "X@Remote.example"),
     .nalias = 6},
    {.key = "ghost@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("d9999", "d0002"),
     .nalias = 2},
    {.key = "d9999", ACTIVE},
    {.key = "deep0@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("deep1@d.example"),
     .nalias = 1},
    {.key = "deep1@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("deep2@d.example"),
     .nalias = 1},
    {.key = "deep2@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("deep3@d.example"),
     .nalias = 1},
    {.key = "deep3@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("alice@d.example"),
     .nalias = 1},
    {.key = "diamond@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("left@d.example", "right@d.example"),
     .nalias = 2},
    {.key = "left@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("alice@d.example"),
     .nalias = 1},
    {.key = "right@d.example",
     ACTIVE,
     .has_alias = true,
     .alias_targets = T("alice@d.example"),
     .nalias = 1},
};

struct fake_ctx {
	bool fail;
	unsigned int calls;
	char last_key[400];
};

static enum casier_lookup
fake_lookup(void *ctx, const char *key, unsigned int max_depth,
	    struct resolve_facts *facts)
{
	struct fake_ctx *f = ctx;

	f->calls++;
	(void)casier_snprintf(f->last_key, sizeof(f->last_key), "%s", key);
	if (f->fail)
		return CASIER_LOOKUP_ERROR;
	/* the whole world: a superset of what is reachable */
	for (size_t i = 0; i < CASIER_ARRAY_LEN(world); i++) {
		struct resolve_node *n = resolve_facts_add(facts);

		ck_assert_ptr_nonnull(n);
		*n = world[i];
	}
	return CASIER_FOUND;
}

static const struct rcase {
	const char *name;
	const char *rcpt;
	unsigned int depth; /* 0 = RESOLVE_DEFAULT_DEPTH */
	uint64_t size;
	enum casier_status status;
	const char *dsn;
	const char *dests; /* "M:addr/user R:addr ..." in order */
	const char *key;   /* what the lookup was asked */
} cases[] = {
    {"account", "alice@d.example", .status = CASIER_OK,
     .dests = "M:alice@d.example/d0001"},
    {"case-insensitive", "<ALICE@D.Example>", .status = CASIER_OK,
     .dests = "M:alice@d.example/d0001", .key = "alice@d.example"},
    {"tag passed on", "alice+news@d.example", .status = CASIER_OK,
     .dests = "M:alice+news@d.example/d0001", .key = "alice@d.example"},
    {"alias domain", "Alice+x@A.example", .status = CASIER_OK,
     .dests = "M:alice+x@d.example/d0001", .key = "alice@a.example"},
    {"username as address", "d0001@d.example", .status = CASIER_OK,
     .dests = "M:alice@d.example/d0001"},
    {"inactive account", "bob@d.example", .status = CASIER_PERMFAIL,
     .dsn = "5.2.1"},
    {"unknown domain", "someone@unknown.example", .status = CASIER_PERMFAIL,
     .dsn = "5.1.2"},
    {"inactive domain", "x@off.example", .status = CASIER_PERMFAIL,
     .dsn = "5.1.2"},
    {"unknown user", "nobody@d.example", .status = CASIER_PERMFAIL,
     .dsn = "5.1.1"},
    {"bad syntax", "not an address", .status = CASIER_PERMFAIL, .dsn = "5.1.3"},
    {"redirect without copy", "carol@d.example", .status = CASIER_OK,
     .dests = "R:x@remote.example"},
    {"redirect with copy", "dave@d.example", .status = CASIER_OK,
     .dests = "R:x@remote.example M:alice@d.example/d0001 "
	      "M:dave@d.example/d0004"},
    {"redirect to self with copy", "self@d.example", .status = CASIER_OK,
     .dests = "M:self@d.example/d0007"},
    {"alias nested, loop-safe, deduplicated", "team@d.example",
     .status = CASIER_OK,
     .dests = "M:alice@d.example/d0001 R:x@remote.example "
	      "R:y@remote.example"},
    {"alias without target is absent", "empty@d.example",
     .status = CASIER_PERMFAIL, .dsn = "5.1.1"},
    {"alias without target falls to catch-all", "empty@c.example",
     .status = CASIER_OK, .dests = "M:catchme@c.example/c0001"},
    {"catch-all", "anything+t@c.example", .status = CASIER_OK,
     .dests = "M:catchme@c.example/c0001"},
    {"inactive catch-all is no catch-all", "offcatch@e.example",
     .status = CASIER_PERMFAIL, .dsn = "5.1.1"},
    {"account before catch-all", "info@c.example", .status = CASIER_OK,
     .dests = "M:info@c.example/c0002"},
    {"alias before catch-all", "list@c.example", .status = CASIER_OK,
     .dests = "M:info@c.example/c0002"},
    {"alias loop", "loop1@d.example", .status = CASIER_PERMFAIL,
     .dsn = "5.4.6"},
    {"redirect loop", "r1@d.example", .status = CASIER_PERMFAIL,
     .dsn = "5.4.6"},
    {"dead targets only", "ghost@d.example", .status = CASIER_PERMFAIL,
     .dsn = "5.1.1"},
    {"duplicates removed", "dupes@d.example", .status = CASIER_OK,
     .dests = "M:alice@d.example/d0001 R:x@remote.example"},
    {"diamond is not a loop", "diamond@d.example", .status = CASIER_OK,
     .dests = "M:alice@d.example/d0001"},
    {"depth within limit", "deep0@d.example", .depth = 4, .status = CASIER_OK,
     .dests = "M:alice@d.example/d0001"},
    {"depth over limit", "deep0@d.example", .depth = 3,
     .status = CASIER_PERMFAIL, .dsn = "5.4.6"},
    {"quota fits", "full@d.example", .size = 10, .status = CASIER_OK,
     .dests = "M:full@d.example/d0008"},
    {"quota exceeded by size", "full@d.example", .size = 11,
     .status = CASIER_TEMPFAIL, .dsn = "4.2.2"},
    {"quota unlimited", "unl@d.example", .size = 1000000, .status = CASIER_OK,
     .dests = "M:unl@d.example/d0009"},
    {"quota through alias", "fwdfull@d.example", .size = 11,
     .status = CASIER_TEMPFAIL, .dsn = "4.2.2"},
    {"quota full, size unknown", "fullcatch@f.example", .size = 0,
     .status = CASIER_TEMPFAIL, .dsn = "4.2.2"},
};

static void
format_dests(const struct resolve_result *r, struct str *s)
{
	for (size_t i = 0; i < r->ndests; i++) {
		const struct resolve_dest *d = &r->dests[i];

		if (i > 0)
			ck_assert_int_eq(str_append(s, " "), 0);
		if (d->kind == RESOLVE_DEST_MAILBOX)
			ck_assert_int_eq(
			    str_appendf(s, "M:%s/%s", d->address, d->username),
			    0);
		else
			ck_assert_int_eq(str_appendf(s, "R:%s", d->address), 0);
	}
	if (s->data == NULL)
		ck_assert_int_eq(str_append(s, ""), 0);
}

START_TEST(test_rules)
{
	const struct rcase *c = &cases[_i];
	struct fake_ctx f = {0};
	struct resolve_lookup lk = {.ctx = &f, .lookup = fake_lookup};
	struct resolve_result r;
	struct str s;

	resolve_recipient(&lk, c->rcpt,
			  c->depth != 0 ? c->depth : RESOLVE_DEFAULT_DEPTH,
			  c->size, &r);
	ck_assert_msg(r.res.status == c->status, "%s: status %d (%s %s)",
		      c->name, r.res.status, r.res.dsn, r.res.text);
	if (c->dsn != NULL)
		ck_assert_msg(strcmp(r.res.dsn, c->dsn) == 0, "%s: dsn %s",
			      c->name, r.res.dsn);
	if (c->key != NULL)
		ck_assert_str_eq(f.last_key, c->key);
	/* one lookup (one SQL round trip) per recipient, none for junk */
	ck_assert_uint_eq(
	    f.calls, c->dsn != NULL && strcmp(c->dsn, "5.1.3") == 0 ? 0 : 1);
	str_init(&s, 1 << 16);
	format_dests(&r, &s);
	if (c->status == CASIER_OK)
		ck_assert_msg(strcmp(s.data, c->dests) == 0, "%s: dests %s",
			      c->name, s.data);
	else
		ck_assert_uint_eq(r.ndests, 0);
	str_free(&s);
	resolve_result_free(&r);
}
END_TEST

START_TEST(test_lookup_error)
{
	struct fake_ctx f = {.fail = true};
	struct resolve_lookup lk = {.ctx = &f, .lookup = fake_lookup};
	struct resolve_result r;

	resolve_recipient(&lk, "alice@d.example", 8, 0, &r);
	ck_assert_int_eq(r.res.status, CASIER_TEMPFAIL);
	ck_assert_str_eq(r.res.dsn, "4.3.0");
	ck_assert_uint_eq(r.ndests, 0);
}
END_TEST

static enum casier_lookup
empty_lookup(void *ctx, const char *key, unsigned int max_depth,
	     struct resolve_facts *facts)
{
	return CASIER_FOUND; /* no node for the key: bad data */
}

START_TEST(test_missing_root_is_temporary)
{
	struct resolve_lookup lk = {.lookup = empty_lookup};
	struct resolve_result r;

	resolve_recipient(&lk, "alice@d.example", 8, 0, &r);
	ck_assert_int_eq(r.res.status, CASIER_TEMPFAIL);
	ck_assert_str_eq(r.res.dsn, "4.3.0");
}
END_TEST

static const struct {
	const char *in, *key;
} key_cases[] = {
    {"Alice@D.Example", "alice@d.example"},
    {"alice+tag+more@d.example", "alice@d.example"},
    {"D0001", "d0001"},
    {"x+y@remote.example", "x@remote.example"},
};

START_TEST(test_keys)
{
	char out[400];

	ck_assert_int_eq(resolve_key(key_cases[_i].in, out, sizeof(out)), 0);
	ck_assert_str_eq(out, key_cases[_i].key);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("resolve");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_rules, 0, (int)CASIER_ARRAY_LEN(cases));
	tcase_add_test(tc, test_lookup_error);
	tcase_add_test(tc, test_missing_root_is_temporary);
	tcase_add_loop_test(tc, test_keys, 0, (int)CASIER_ARRAY_LEN(key_cases));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

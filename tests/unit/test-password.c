/*
 * test-password.c - unit tests for lib/password.c: hash and verify round
 * trip in Dovecot's {ARGON2ID} format, malformed stored hashes, the
 * shipped word list and the password policy table (DESIGN section 9
 * examples included).  Needs $CASIER_SRCDIR (set by `make check`) to find
 * data/wordlist.txt.
 */
#include "password.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct wordlist *shipped;

static void
load_shipped(void)
{
	const char *srcdir = getenv("CASIER_SRCDIR");
	char path[4096], err[512];

	ck_assert_int_eq(password_init(), 0);
	snprintf(path, sizeof(path), "%s/data/wordlist.txt",
		 srcdir != NULL ? srcdir : ".");
	shipped = wordlist_load(path, err, sizeof(err));
	ck_assert_msg(shipped != NULL, "%s", err);
}

static void
free_shipped(void)
{
	wordlist_free(&shipped);
}

START_TEST(test_hash_round_trip)
{
	char hash[PASSWORD_HASH_MAX], hash2[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash("Tr4vel-Blue-92", hash), 0);
	ck_assert_msg(strncmp(hash, "{ARGON2ID}$argon2id$v=19$", 25) == 0, "%s",
		      hash);
	ck_assert_int_eq(password_verify(hash, "Tr4vel-Blue-92"),
			 PASSWORD_MATCH);
	ck_assert_int_eq(password_verify(hash, "Tr4vel-Blue-93"),
			 PASSWORD_MISMATCH);
	ck_assert_int_eq(password_verify(hash, ""), PASSWORD_MISMATCH);
	ck_assert_int_eq(password_verify(hash, "tr4vel-blue-92"),
			 PASSWORD_MISMATCH);
	/* Salted: the same password hashes differently. */
	ck_assert_int_eq(password_hash("Tr4vel-Blue-92", hash2), 0);
	ck_assert_str_ne(hash, hash2);
	ck_assert_int_eq(password_verify(hash2, "Tr4vel-Blue-92"),
			 PASSWORD_MATCH);
}
END_TEST

START_TEST(test_hash_utf8_and_limits)
{
	char hash[PASSWORD_HASH_MAX], big[PASSWORD_MAX_LEN + 2];

	ck_assert_int_eq(password_hash("h\xc3\xa9t\xc3\xa9-2024-soir", hash),
			 0);
	ck_assert_int_eq(password_verify(hash, "h\xc3\xa9t\xc3\xa9-2024-soir"),
			 PASSWORD_MATCH);
	ck_assert_int_eq(password_verify(hash, "hete-2024-soir"),
			 PASSWORD_MISMATCH);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(password_hash(big, hash), -1);
	big[PASSWORD_MAX_LEN] = '\0';
	ck_assert_int_eq(password_hash(big, hash), 0);
	ck_assert_int_eq(password_verify(hash, big), PASSWORD_MATCH);
}
END_TEST

static const struct stored_case {
	const char *name;
	const char *stored;
} bad_stored[] = {
    {.name = "empty", .stored = ""},
    {.name = "no prefix",
     .stored = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$aGFzaA"},
    {.name = "other scheme", .stored = "{SHA512-CRYPT}$6$abc$def"},
    {.name = "argon2i",
     .stored = "{ARGON2ID}$argon2i$v=19$m=65536,t=2,p=1$"
	       "c29tZXNhbHQ$aGFzaA"},
    {.name = "garbage params", .stored = "{ARGON2ID}$argon2id$v=19$m=x"},
    {.name = "prefix only", .stored = "{ARGON2ID}"},
};

START_TEST(test_malformed_stored)
{
	const struct stored_case *c = &bad_stored[_i];

	ck_assert_msg(password_verify(c->stored, "whatever1") == PASSWORD_ERROR,
		      "%s", c->name);
}
END_TEST

START_TEST(test_prefix_case_insensitive)
{
	char hash[PASSWORD_HASH_MAX];

	ck_assert_int_eq(password_hash("Tr4vel-Blue-92", hash), 0);
	memcpy(hash, "{argon2id}", 10);
	ck_assert_int_eq(password_verify(hash, "Tr4vel-Blue-92"),
			 PASSWORD_MATCH);
}
END_TEST

START_TEST(test_wordlist)
{
	/* Classic weak passwords, English and French words. */
	ck_assert(wordlist_contains(shipped, "password"));
	ck_assert(wordlist_contains(shipped, "azerty"));
	ck_assert(wordlist_contains(shipped, "motdepasse"));
	ck_assert(wordlist_contains(shipped, "soleil"));
	ck_assert(wordlist_contains(shipped, "letmein"));
	ck_assert(wordlist_contains(shipped, "mountain"));
	ck_assert(wordlist_contains(shipped, "fromage"));
	ck_assert(!wordlist_contains(shipped, "tr4vel-blue-92"));
	ck_assert(!wordlist_contains(shipped, ""));
	ck_assert(!wordlist_contains(NULL, "password"));
}
END_TEST

START_TEST(test_wordlist_unsorted_and_errors)
{
	char path[] = "/tmp/test-wordlist-XXXXXX", err[256];
	static const char content[] = "zebra\n# comment\n\nApple\r\nmango  \n";
	struct wordlist *wl;
	int fd;

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, sizeof(content) - 1),
			 (ssize_t)sizeof(content) - 1);
	close(fd);
	wl = wordlist_load(path, err, sizeof(err));
	unlink(path);
	ck_assert_ptr_nonnull(wl);
	ck_assert(wordlist_contains(wl, "zebra"));
	ck_assert(wordlist_contains(wl, "apple"));
	ck_assert(wordlist_contains(wl, "mango"));
	ck_assert(!wordlist_contains(wl, "comment"));
	ck_assert(!wordlist_contains(wl, "# comment"));
	wordlist_free(&wl);
	ck_assert_ptr_null(wl);

	ck_assert_ptr_null(
	    wordlist_load("/nonexistent/words", err, sizeof(err)));
	ck_assert_str_eq(err, "/nonexistent/words: No such file or directory");
}
END_TEST

static const struct policy_case {
	const char *name;
	const char *password;
	const char *local_part;
	const char *username;
	bool ok;
	const char *reason; /* substring when refused */
} policy_cases[] = {
    {.name = "DESIGN example accepted",
     .password = "Tr4vel-Blue-92",
     .local_part = "jean",
     .username = "exemple0001",
     .ok = true},
    {.name = "DESIGN password1",
     .password = "password1",
     .ok = false,
     .reason = "common"},
    {.name = "DESIGN 123soleil",
     .password = "123soleil",
     .ok = false,
     .reason = "common"},
    {.name = "word with digits both sides",
     .password = "12azerty34",
     .ok = false,
     .reason = "common"},
    {.name = "word ignoring case",
     .password = "PassWord2024",
     .ok = false,
     .reason = "common"},
    {.name = "french word",
     .password = "motdepasse1",
     .ok = false,
     .reason = "common"},
    {.name = "english word",
     .password = "mountain77",
     .ok = false,
     .reason = "common"},
    {.name = "two words not in list",
     .password = "soleil-42-azerty",
     .ok = true},
    {.name = "word plus symbol not only digits",
     .password = "password1!",
     .ok = true},
    {.name = "too short",
     .password = "ab1cd2e",
     .ok = false,
     .reason = "too short"},
    {.name = "exactly eight", .password = "xq7vb2mz", .ok = true},
    {.name = "eight multibyte characters",
     .password = "\xc3\xa9t\xc3\xa9"
		 "2x9q7k",
     .ok = true},
    {.name = "no digit",
     .password = "Xqvbmzkwtr",
     .ok = false,
     .reason = "letters and digits"},
    {.name = "no letter",
     .password = "1234567890",
     .ok = false,
     .reason = "letters and digits"},
    {.name = "symbols and digits only",
     .password = "!!--1234..",
     .ok = false,
     .reason = "letters and digits"},
    {.name = "empty", .password = "", .ok = false, .reason = "too short"},
    {.name = "contains local part",
     .password = "xx-Jean-42-zz",
     .local_part = "jean",
     .ok = false,
     .reason = "address"},
    {.name = "contains username",
     .password = "EXEMPLE0001zz",
     .local_part = "jean",
     .username = "exemple0001",
     .ok = false,
     .reason = "username"},
    {.name = "short local part not checked",
     .password = "xq7vb2mzjo",
     .local_part = "jo",
     .ok = true},
    {.name = "invalid UTF-8",
     .password = "abc\xff"
		 "defg12",
     .ok = false,
     .reason = "UTF-8"},
    {.name = "control character",
     .password = "abc\ndefg12",
     .ok = false,
     .reason = "control"},
};

START_TEST(test_policy_table)
{
	const struct policy_case *c = &policy_cases[_i];
	const char *reason = NULL;
	bool ok;

	ok = password_policy_ok(c->password, c->local_part, c->username,
				shipped, &reason);
	if (c->ok) {
		ck_assert_msg(ok, "%s: refused: %s", c->name, reason);
		return;
	}
	ck_assert_msg(!ok, "%s: accepted", c->name);
	ck_assert_msg(strstr(reason, c->reason) != NULL,
		      "%s: reason \"%s\", want \"%s\"", c->name, reason,
		      c->reason);
}
END_TEST

START_TEST(test_policy_too_long)
{
	char big[PASSWORD_MAX_LEN + 10];
	const char *reason;

	for (size_t i = 0; i < sizeof(big) - 1; i++)
		big[i] = (char)(i % 2 ? 'q' : '7');
	big[sizeof(big) - 1] = '\0';
	ck_assert(!password_policy_ok(big, NULL, NULL, shipped, &reason));
	ck_assert_msg(strstr(reason, "too long") != NULL, "%s", reason);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("password");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, load_shipped, free_shipped);
	tcase_add_test(tc, test_hash_round_trip);
	tcase_add_test(tc, test_hash_utf8_and_limits);
	tcase_add_loop_test(tc, test_malformed_stored, 0,
			    (int)CASIER_ARRAY_LEN(bad_stored));
	tcase_add_test(tc, test_prefix_case_insensitive);
	tcase_add_test(tc, test_wordlist);
	tcase_add_test(tc, test_wordlist_unsorted_and_errors);
	tcase_add_loop_test(tc, test_policy_table, 0,
			    (int)CASIER_ARRAY_LEN(policy_cases));
	tcase_add_test(tc, test_policy_too_long);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

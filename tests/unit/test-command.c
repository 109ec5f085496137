/*
 * test-command.c - casier_run_command(): exit status, extra arguments,
 * refusals and the time limit.
 */
#include "command.h"

#include <check.h>
#include <string.h>

struct spawn_case {
	const char *name;
	const char *command;
	const char *extra[4];
	size_t nextra;
	int timeout_ms;
	int want;
	const char *want_error; /* substring, or NULL */
};

static const struct spawn_case cases[] = {
    {.name = "success", .command = "/bin/true", .timeout_ms = 5000, .want = 0},
    {.name = "non-zero exit",
     .command = "/bin/false",
     .timeout_ms = 5000,
     .want = -1,
     .want_error = "exited with status 1"},
    {.name = "extra arguments reach the command",
     .command = "/usr/bin/test",
     .extra = {"flush", "=", "flush"},
     .nextra = 3,
     .timeout_ms = 5000,
     .want = 0},
    {.name = "extra arguments are not a shell string",
     .command = "/usr/bin/test",
     .extra = {"a b", "=", "a"},
     .nextra = 3,
     .timeout_ms = 5000,
     .want = -1,
     .want_error = "status 1"},
    {.name = "command words split on blanks",
     .command = "/usr/bin/test  x\t= x",
     .timeout_ms = 5000,
     .want = 0},
    {.name = "missing program",
     .command = "/nonexistent/flush",
     .timeout_ms = 5000,
     .want = -1,
     .want_error = "nonexistent"},
    {.name = "empty command",
     .command = " \t ",
     .timeout_ms = 5000,
     .want = -1,
     .want_error = "empty"},
    {.name = "too many words",
     .command = "/bin/true 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
     .timeout_ms = 5000,
     .want = -1,
     .want_error = "overlong"},
    {.name = "time limit kills the child",
     .command = "/bin/sleep 30",
     .timeout_ms = 100,
     .want = -1,
     .want_error = "timed out"},
};

START_TEST(test_spawn_case)
{
	const struct spawn_case *c = &cases[_i];
	char err[256] = "";
	int rc;

	rc = casier_run_command(c->command, c->extra, c->nextra, c->timeout_ms,
				err, sizeof(err));
	ck_assert_msg(rc == c->want, "%s: got %d (%s)", c->name, rc, err);
	if (c->want_error != NULL)
		ck_assert_msg(strstr(err, c->want_error) != NULL,
			      "%s: error '%s' lacks '%s'", c->name, err,
			      c->want_error);
}
END_TEST

START_TEST(test_spawn_too_many_extra)
{
	const char *extra[SPAWN_EXTRA_ARGS_MAX + 1];
	char err[256] = "";

	for (size_t i = 0; i < SPAWN_EXTRA_ARGS_MAX + 1; i++)
		extra[i] = "x";
	ck_assert_int_eq(casier_run_command("/bin/true", extra,
					    SPAWN_EXTRA_ARGS_MAX + 1, 5000, err,
					    sizeof(err)),
			 -1);
	/* the maximum itself is fine */
	ck_assert_int_eq(casier_run_command("/bin/true", extra,
					    SPAWN_EXTRA_ARGS_MAX, 5000, err,
					    sizeof(err)),
			 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("spawn");
	TCase *tc = tcase_create("run_command");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_spawn_case, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_spawn_too_many_extra);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

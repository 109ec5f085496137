/*
 * test-config.c - unit tests for lib/casier-config.c: values of every
 * type, defaults, sizes and durations, and every refusal with its
 * "file:line: reason" (unknown section, unknown key in an owned section,
 * bad value, missing file, syntax error, NUL byte, over-long line,
 * duplicate key, missing required key).  Run by `make check`.
 */
#include "casier-config.h"

#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct test_cfg {
	char *conninfo;
	long long pool_size;
	char *level;
	bool syslog;
	unsigned long long max_size;
	long long timeout;
	char *mail_root;
	int color;
};

static const char *const colors[] = {"red", "green", "blue", NULL};

static const struct config_key test_keys[] = {
    {.section = "database",
     .name = "conninfo",
     .type = CONFIG_STRING,
     .offset = offsetof(struct test_cfg, conninfo),
     .required = true},
    {.section = "database",
     .name = "pool_size",
     .type = CONFIG_INT,
     .offset = offsetof(struct test_cfg, pool_size),
     .default_value = "4",
     .min = 1,
     .max = 100},
    {.section = "log",
     .name = "level",
     .type = CONFIG_STRING,
     .offset = offsetof(struct test_cfg, level),
     .default_value = "info"},
    {.section = "log",
     .name = "syslog",
     .type = CONFIG_BOOL,
     .offset = offsetof(struct test_cfg, syslog),
     .default_value = "no"},
    {.section = "delivery",
     .name = "max_size",
     .type = CONFIG_SIZE,
     .offset = offsetof(struct test_cfg, max_size),
     .default_value = "10M"},
    {.section = "delivery",
     .name = "timeout",
     .type = CONFIG_DURATION,
     .offset = offsetof(struct test_cfg, timeout),
     .default_value = "5m",
     .min = 1,
     .max = 86400},
    {.section = "log",
     .name = "color",
     .type = CONFIG_ENUM,
     .offset = offsetof(struct test_cfg, color),
     .default_value = "green",
     .choices = colors},
    {.section = "paths",
     .name = "mail_root",
     .type = CONFIG_STRING,
     .offset = offsetof(struct test_cfg, mail_root),
     .shared = true},
};

static char tmp_path[64];

/* Write content (len bytes) to a fresh temporary file. */
static const char *
write_tmp(const char *content, size_t len)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test-config-XXXXXX");
	fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, len), (ssize_t)len);
	close(fd);
	return tmp_path;
}

static int
load(const char *content, struct test_cfg *cfg, char *err, size_t errsize)
{
	const char *path = write_tmp(content, strlen(content));
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	rc = config_load(path, test_keys, CASIER_ARRAY_LEN(test_keys), cfg, err,
			 errsize);
	unlink(path);
	return rc;
}

START_TEST(test_values_and_defaults)
{
	struct test_cfg cfg;
	char err[512];

	ck_assert_int_eq(load("# comment\n"
			      "[database]\n"
			      "conninfo = host=/tmp dbname=casier\n"
			      "\n"
			      "; another comment\n"
			      "[log]\n"
			      "syslog = Yes\n"
			      "color = blue\n"
			      "[delivery]\n"
			      "max_size = 4.7G\n"
			      "[web]\n"
			      "listen = 127.0.0.1:8080\n"
			      "[paths]\n"
			      "mail_root = /srv/mail\n"
			      "sock_dir = /run/casier\n",
			      &cfg, err, sizeof(err)),
			 0);
	ck_assert_str_eq(cfg.conninfo, "host=/tmp dbname=casier");
	ck_assert_int_eq(cfg.pool_size, 4); /* default */
	ck_assert_str_eq(cfg.level, "info");
	ck_assert(cfg.syslog);
	/* 4.7 * 2^30 rounded down */
	ck_assert_uint_eq(cfg.max_size, 5046586572ULL);
	ck_assert_int_eq(cfg.timeout, 300);
	ck_assert_str_eq(cfg.mail_root, "/srv/mail");
	ck_assert_int_eq(cfg.color, 2); /* "blue" */
	config_free(test_keys, CASIER_ARRAY_LEN(test_keys), &cfg);
	ck_assert_ptr_null(cfg.conninfo);
	ck_assert_ptr_null(cfg.level);
}
END_TEST

static const struct value_case {
	const char *name;
	const char *line; /* in [delivery] */
	bool ok;
	unsigned long long size;
	long long seconds;
} value_cases[] = {
    {.name = "size plain",
     .line = "max_size = 512",
     .ok = true,
     .size = 512,
     .seconds = 300},
    {.name = "size k",
     .line = "max_size = 512k",
     .ok = true,
     .size = 524288,
     .seconds = 300},
    {.name = "size KiB",
     .line = "max_size = 2KiB",
     .ok = true,
     .size = 2048,
     .seconds = 300},
    {.name = "size M",
     .line = "max_size = 10M",
     .ok = true,
     .size = 10485760,
     .seconds = 300},
    {.name = "size MB",
     .line = "max_size = 1MB",
     .ok = true,
     .size = 1048576,
     .seconds = 300},
    {.name = "size 1.5k",
     .line = "max_size = 1.5k",
     .ok = true,
     .size = 1536,
     .seconds = 300},
    {.name = "size T",
     .line = "max_size = 1T",
     .ok = true,
     .size = 1099511627776ULL,
     .seconds = 300},
    {.name = "size negative", .line = "max_size = -1", .ok = false},
    {.name = "size unit only", .line = "max_size = M", .ok = false},
    {.name = "size bad unit", .line = "max_size = 10X", .ok = false},
    {.name = "size empty", .line = "max_size =", .ok = false},
    {.name = "size fraction of bytes", .line = "max_size = 1.5", .ok = false},
    {.name = "size overflow",
     .line = "max_size = 99999999999999999999",
     .ok = false},
    {.name = "size overflow by unit",
     .line = "max_size = 20000000T",
     .ok = false},
    {.name = "size trailing junk", .line = "max_size = 10M5", .ok = false},
    {.name = "duration plain",
     .line = "timeout = 45",
     .ok = true,
     .size = 10485760,
     .seconds = 45},
    {.name = "duration s",
     .line = "timeout = 30s",
     .ok = true,
     .size = 10485760,
     .seconds = 30},
    {.name = "duration h",
     .line = "timeout = 2h",
     .ok = true,
     .size = 10485760,
     .seconds = 7200},
    {.name = "duration d",
     .line = "timeout = 1d",
     .ok = true,
     .size = 10485760,
     .seconds = 86400},
    {.name = "duration above max", .line = "timeout = 2d", .ok = false},
    {.name = "duration zero below min", .line = "timeout = 0", .ok = false},
    {.name = "duration bad unit", .line = "timeout = 5y", .ok = false},
    {.name = "duration negative", .line = "timeout = -5s", .ok = false},
    {.name = "duration decimal", .line = "timeout = 1.5h", .ok = false},
};

START_TEST(test_value_table)
{
	const struct value_case *c = &value_cases[_i];
	struct test_cfg cfg;
	char content[256], err[512];
	int rc;

	snprintf(content, sizeof(content),
		 "[database]\nconninfo = x\n[delivery]\n%s\n", c->line);
	rc = load(content, &cfg, err, sizeof(err));
	if (!c->ok) {
		ck_assert_msg(rc == -1, "%s: accepted", c->name);
		/* the error names line 4 */
		ck_assert_msg(strstr(err, ":4: [delivery] ") != NULL,
			      "%s: error \"%s\"", c->name, err);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s", c->name, err);
	ck_assert_uint_eq(cfg.max_size, c->size);
	ck_assert_int_eq(cfg.timeout, c->seconds);
	config_free(test_keys, CASIER_ARRAY_LEN(test_keys), &cfg);
}
END_TEST

static const struct error_case {
	const char *name;
	const char *content;
	int line;
	const char *reason;
} error_cases[] = {
    {.name = "unknown section",
     .content = "[database]\nconninfo = x\n[databse]\nconninfo = y\n",
     .line = 3,
     .reason = "unknown section [databse]"},
    {.name = "unknown empty section",
     .content = "[database]\nconninfo = x\n\n[nosuch]\n",
     .line = 4,
     .reason = "unknown section [nosuch]"},
    {.name = "unknown key in owned section",
     .content = "[database]\nconninfo = x\npoolsize = 3\n",
     .line = 3,
     .reason = "unknown key \"poolsize\" in section [database]"},
    {.name = "bad int",
     .content = "[database]\nconninfo = x\npool_size = many\n",
     .line = 3,
     .reason = "[database] pool_size: expected an integer"},
    {.name = "int out of range",
     .content = "[database]\nconninfo = x\npool_size = 101\n",
     .line = 3,
     .reason = "[database] pool_size: must be between 1 and 100"},
    {.name = "int with junk",
     .content = "[database]\nconninfo = x\npool_size = 4x\n",
     .line = 3,
     .reason = "[database] pool_size: expected an integer"},
    {.name = "bad enum",
     .content = "[database]\nconninfo = x\n[log]\ncolor = Red\n",
     .line = 4,
     .reason = "[log] color: expected one of: red, green, blue"},
    {.name = "bad bool",
     .content = "[database]\nconninfo = x\n[log]\nsyslog = maybe\n",
     .line = 4,
     .reason = "[log] syslog: expected yes or no"},
    {.name = "syntax error",
     .content = "[database]\nconninfo = x\nthis line has no equals\n",
     .line = 3,
     .reason = "syntax error"},
    {.name = "syntax error before handler error",
     .content = "[database]\nbroken\nconninfo = x\nnope = 1\n",
     .line = 2,
     .reason = "syntax error"},
    {.name = "key outside section",
     .content = "conninfo = x\n",
     .line = 1,
     .reason = "key \"conninfo\" outside of a section"},
    {.name = "duplicate key",
     .content = "[database]\nconninfo = x\nconninfo = y\n",
     .line = 3,
     .reason = "[database] conninfo given twice"},
    {.name = "indented continuation",
     .content = "[database]\nconninfo = x\n  dbname=y\n",
     .line = 3,
     .reason = "indented line"},
    {.name = "missing required key",
     .content = "[log]\nsyslog = no\n",
     .line = 0,
     .reason = "missing required key [database] conninfo"},
    {.name = "first error wins",
     .content = "[database]\nconninfo = x\n\n\nbad = 1\nworse = 2\n",
     .line = 5,
     .reason = "unknown key \"bad\""},
    {.name = "unknown key in shared section is not ours",
     .content = "[database]\nconninfo = x\n[paths]\nwhatever = 1\n"
		"[scan]\nanything = 2\n[log]\nlevel = debug\nfoo = 1\n",
     .line = 9,
     .reason = "unknown key \"foo\" in section [log]"},
};

START_TEST(test_error_table)
{
	const struct error_case *c = &error_cases[_i];
	struct test_cfg cfg;
	char err[512], want[128];

	ck_assert_msg(load(c->content, &cfg, err, sizeof(err)) == -1,
		      "%s: accepted", c->name);
	snprintf(want, sizeof(want), "%s:%d: %s", tmp_path, c->line, c->reason);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
		      "%s: got \"%s\" want \"%s...\"", c->name, err, want);
	/* A failed load leaves no string behind. */
	ck_assert_ptr_null(cfg.conninfo);
	ck_assert_ptr_null(cfg.level);
}
END_TEST

START_TEST(test_missing_file)
{
	struct test_cfg cfg = {0};
	char err[512];

	ck_assert_int_eq(config_load("/nonexistent/casier.conf", test_keys,
				     CASIER_ARRAY_LEN(test_keys), &cfg, err,
				     sizeof(err)),
			 -1);
	ck_assert_str_eq(err, "/nonexistent/casier.conf:0: cannot open: No "
			      "such file or directory");
}
END_TEST

START_TEST(test_nul_byte)
{
	static const char content[] = "[database]\nconninfo = a\0b\n";
	struct test_cfg cfg = {0};
	const char *path = write_tmp(content, sizeof(content) - 1);
	char err[512], want[128];

	ck_assert_int_eq(config_load(path, test_keys,
				     CASIER_ARRAY_LEN(test_keys), &cfg, err,
				     sizeof(err)),
			 -1);
	unlink(path);
	snprintf(want, sizeof(want), "%s:2: NUL byte in line", path);
	ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(test_overlong_line)
{
	char content[2048], err[512], want[128];
	struct test_cfg cfg;
	int n;

	n = snprintf(content, sizeof(content), "[database]\nconninfo = ");
	memset(content + n, 'a', 1000);
	snprintf(content + n + 1000, sizeof(content) - (size_t)n - 1000,
		 "\n[log]\nsyslog = yes\n");
	ck_assert_int_eq(load(content, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than", tmp_path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got \"%s\"", err);
}
END_TEST

START_TEST(test_default_path)
{
	setenv(CONFIG_ENV, "/tmp/x.conf", 1);
	ck_assert_str_eq(config_default_path(), "/tmp/x.conf");
	setenv(CONFIG_ENV, "", 1);
	ck_assert_str_eq(config_default_path(),
			 CASIER_SYSCONFDIR "/casier.conf");
	unsetenv(CONFIG_ENV);
	ck_assert_str_eq(config_default_path(),
			 CASIER_SYSCONFDIR "/casier.conf");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_values_and_defaults);
	tcase_add_loop_test(tc, test_value_table, 0,
			    (int)CASIER_ARRAY_LEN(value_cases));
	tcase_add_loop_test(tc, test_error_table, 0,
			    (int)CASIER_ARRAY_LEN(error_cases));
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_nul_byte);
	tcase_add_test(tc, test_overlong_line);
	tcase_add_test(tc, test_default_path);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

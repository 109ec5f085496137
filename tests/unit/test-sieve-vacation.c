/*
 * test-sieve-vacation.c - unit tests of the vacation script generator.
 *
 * A table of forms (hostile ones included) is rendered; every accepted
 * form's script is compiled with Pigeonhole's sievec and run through
 * sieve-test, and the subject, From, interval and body that Pigeonhole
 * sees are compared with the form's, so escaping is checked by the real
 * parser rather than by string matching.  Refused forms must name the
 * right field.  Needs sievec and sieve-test (dovecot-sieve) on PATH.
 */
#include "sieve-vacation.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const addrs_two[] = {"jean@exemple.be", "info@exemple.be",
					"JEAN@exemple.be"};
static const char *const addrs_bad[] = {"jean@exemple.be", "x\"@y.z"};

struct script_case {
	const char *name;
	struct sieve_vacation in;
	enum sieve_vacation_field fail_field; /* NONE: must succeed */
	/* what Pigeonhole must see (body with LF ends and a final LF) */
	const char *expect_subject; /* NULL: none given (Pigeonhole's own) */
	const char *expect_body;
	bool expect_reply;	/* the dates let it reply today */
	const char *script_has; /* a fragment the script must contain */
};

#define FROM "jean@exemple.be"

static const struct script_case cases[] = {
    {.name = "plain",
     .in = {.subject = "Absent",
	    .body = "I am away.\nBack on Monday.",
	    .interval_days = 7,
	    .from = FROM},
     .expect_subject = "Absent",
     .expect_body = "I am away.\nBack on Monday.\n",
     .expect_reply = true,
     .script_has = ":days 7"},
    {.name = "quotes and backslashes",
     .in = {.subject = "say \"hi\" \\ C:\\temp\\",
	    .body = "a \"quoted\" \\ body\\\n\"\n\\",
	    .interval_days = 1,
	    .from = FROM},
     .expect_subject = "say \"hi\" \\ C:\\temp\\",
     .expect_body = "a \"quoted\" \\ body\\\n\"\n\\\n",
     .expect_reply = true,
     .script_has = "\"say \\\"hi\\\" \\\\ C:\\\\temp\\\\\""},
    {.name = "lone dots and dot lines",
     .in = {.subject = ".",
	    .body = ".\n..\n.hidden\nmid . dot\n.\n",
	    .interval_days = 7,
	    .from = FROM},
     .expect_subject = ".",
     .expect_body = ".\n..\n.hidden\nmid . dot\n.\n",
     .expect_reply = true,
     .script_has = "\r\n..\r\n...\r\n..hidden\r\n"},
    {.name = "CRLF body",
     .in = {.subject = "x",
	    .body = "line one\r\n.\r\nline three\r\n",
	    .interval_days = 7,
	    .from = FROM},
     .expect_subject = "x",
     .expect_body = "line one\n.\nline three\n",
     .expect_reply = true},
    {.name = "UTF-8 subject and body",
     .in = {.subject = "Absent \xc3\xa9t\xc3\xa9 \xe2\x82\xac "
		       "\xf0\x9f\x8c\xb4",
	    .body = "Je suis en cong\xc3\xa9.\n\xe6\x97\xa5\xe6\x9c\xac",
	    .interval_days = 7,
	    .from = FROM},
     .expect_subject = "Absent \xc3\xa9t\xc3\xa9 \xe2\x82\xac "
		       "\xf0\x9f\x8c\xb4",
     .expect_body = "Je suis en cong\xc3\xa9.\n\xe6\x97\xa5\xe6\x9c\xac\n",
     .expect_reply = true},
    {.name = "Sieve syntax inside the texts",
     .in = {.subject = "\"; discard; #",
	    .body = "text:\n}\nvacation \"x\";\n/* not a comment */\n"
		    "${variable}\n",
	    .interval_days = 7,
	    .from = FROM},
     .expect_subject = "\"; discard; #",
     .expect_body = "text:\n}\nvacation \"x\";\n/* not a comment */\n"
		    "${variable}\n",
     .expect_reply = true},
    {.name = "empty subject lets Pigeonhole choose",
     .in = {.subject = "", .body = "away", .interval_days = 7, .from = FROM},
     .expect_subject = NULL,
     .expect_body = "away\n",
     .expect_reply = true},
    {.name = "empty body",
     .in = {.subject = "s", .body = "", .interval_days = 7, .from = FROM},
     .expect_subject = "s",
     .expect_body = "",
     .expect_reply = true},
    {.name = "addresses deduplicated ignoring case",
     .in = {.subject = "s",
	    .body = "b",
	    .interval_days = 30,
	    .from = FROM,
	    .addresses = addrs_two,
	    .naddresses = 3},
     .expect_subject = "s",
     .expect_body = "b\n",
     .expect_reply = true,
     .script_has = ":addresses [\"jean@exemple.be\",\r\n    "
		   "\"info@exemple.be\"]"},
    {.name = "seconds in test mode",
     .in = {.subject = "s",
	    .body = "b",
	    .interval_days = 7,
	    .interval_seconds = 5,
	    .from = FROM},
     .expect_subject = "s",
     .expect_body = "b\n",
     .expect_reply = true,
     .script_has = ":seconds 5"},
    {.name = "inside the dates",
     .in = {.subject = "s",
	    .body = "b",
	    .start_date = "2000-01-01",
	    .end_date = "9999-12-31",
	    .interval_days = 7,
	    .from = FROM},
     .expect_subject = "s",
     .expect_body = "b\n",
     .expect_reply = true,
     .script_has = "currentdate :value \"ge\" \"date\" \"2000-01-01\""},
    {.name = "start in the future",
     .in = {.subject = "s",
	    .body = "b",
	    .start_date = "9999-01-01",
	    .interval_days = 7,
	    .from = FROM},
     .expect_reply = false},
    {.name = "end passed",
     .in = {.subject = "s",
	    .body = "b",
	    .end_date = "2001-02-28",
	    .interval_days = 7,
	    .from = FROM},
     .expect_reply = false},
    /* refused forms */
    {.name = "LF in subject",
     .in = {.subject = "a\nBcc: victim@example.com",
	    .body = "b",
	    .interval_days = 7,
	    .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_SUBJECT},
    {.name = "CR in subject",
     .in = {.subject = "a\rb", .body = "b", .interval_days = 7, .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_SUBJECT},
    {.name = "CRLF in subject",
     .in = {.subject = "a\r\n", .body = "b", .interval_days = 7, .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_SUBJECT},
    {.name = "tab in subject",
     .in = {.subject = "a\tb", .body = "b", .interval_days = 7, .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_SUBJECT},
    {.name = "C1 control in subject",
     .in = {.subject = "a\xc2\x85",
	    .body = "b",
	    .interval_days = 7,
	    .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_SUBJECT},
    {.name = "invalid UTF-8 subject",
     .in =
	 {.subject = "caf\xe9", .body = "b", .interval_days = 7, .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_SUBJECT},
    {.name = "overlong UTF-8 subject",
     .in =
	 {.subject = "\xc0\xaf", .body = "b", .interval_days = 7, .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_SUBJECT},
    {.name = "surrogate in body",
     .in = {.subject = "s",
	    .body = "\xed\xa0\x80",
	    .interval_days = 7,
	    .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_BODY},
    {.name = "bare CR in body",
     .in = {.subject = "s", .body = "a\rb", .interval_days = 7, .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_BODY},
    {.name = "escape character in body",
     .in = {.subject = "s",
	    .body = "a\x1b[31m",
	    .interval_days = 7,
	    .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_BODY},
    {.name = "interval 0",
     .in = {.subject = "s", .body = "b", .interval_days = 0, .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_INTERVAL},
    {.name = "interval 366",
     .in = {.subject = "s", .body = "b", .interval_days = 366, .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_INTERVAL},
    {.name = "interval 365 is fine",
     .in = {.subject = "s", .body = "b", .interval_days = 365, .from = FROM},
     .expect_subject = "s",
     .expect_body = "b\n",
     .expect_reply = true,
     .script_has = ":days 365"},
    {.name = "start not a date",
     .in = {.subject = "s",
	    .body = "b",
	    .start_date = "2026-02-30",
	    .interval_days = 7,
	    .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_START},
    {.name = "end with injection",
     .in = {.subject = "s",
	    .body = "b",
	    .end_date = "2026\"; }",
	    .interval_days = 7,
	    .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_END},
    {.name = "end before start",
     .in = {.subject = "s",
	    .body = "b",
	    .start_date = "2026-05-02",
	    .end_date = "2026-05-01",
	    .interval_days = 7,
	    .from = FROM},
     .fail_field = SIEVE_VACATION_FIELD_END},
    {.name = "from with a quote",
     .in = {.subject = "s", .body = "b", .interval_days = 7, .from = "a\"@b.c"},
     .fail_field = SIEVE_VACATION_FIELD_FROM},
    {.name = "from without domain",
     .in = {.subject = "s", .body = "b", .interval_days = 7, .from = "jean@"},
     .fail_field = SIEVE_VACATION_FIELD_FROM},
    {.name = "bad address in the list",
     .in = {.subject = "s",
	    .body = "b",
	    .interval_days = 7,
	    .from = FROM,
	    .addresses = addrs_bad,
	    .naddresses = 2},
     .fail_field = SIEVE_VACATION_FIELD_ADDRESSES},
};

static char tmpdir[64];

static void
setup_tmpdir(void)
{
	FILE *f;
	char path[128];

	ck_assert_int_ge(casier_snprintf(tmpdir, sizeof(tmpdir),
					 "/tmp/test-sieve-vacation.XXXXXX"),
			 0);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	/* sieve-test drops to mail_uid; let it read the files */
	ck_assert_int_eq(chmod(tmpdir, 0755), 0);
	ck_assert_int_ge(
	    casier_snprintf(path, sizeof(path), "%s/test.conf", tmpdir), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	if (getuid() == 0)
		fprintf(f, "mail_uid = nobody\nmail_gid = nogroup\n");
	else
		fprintf(f, "mail_uid = %u\nmail_gid = %u\n",
			(unsigned int)getuid(), (unsigned int)getgid());
	fprintf(f,
		"mail_location = maildir:%s/Maildir\n"
		"plugin {\n  sieve_extensions = +vacation-seconds\n"
		"  sieve_vacation_min_period = 0\n}\n",
		tmpdir);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_ge(
	    casier_snprintf(path, sizeof(path), "%s/m.eml", tmpdir), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "From: someone@remote.example\nTo: " FROM
		   "\nSubject: hello\nMessage-ID: <1@remote.example>\n\nhi\n");
	ck_assert_int_eq(fclose(f), 0);
}

static void
teardown_tmpdir(void)
{
	char cmd[128];

	if (tmpdir[0] != '\0') {
		ck_assert_int_ge(
		    casier_snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir),
		    0);
		ck_assert_int_eq(system(cmd), 0);
	}
	tmpdir[0] = '\0';
}

static void
write_script(const struct str *script)
{
	char path[128];
	FILE *f;

	ck_assert_int_ge(
	    casier_snprintf(path, sizeof(path), "%s/s.sieve", tmpdir), 0);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(script->data, 1, script->len, f), script->len);
	ck_assert_int_eq(fclose(f), 0);
}

/* sievec must succeed AND leave a binary (it exits 0 when saving fails). */
static void
assert_compiles(void)
{
	char cmd[512], bin[128];
	struct stat st;

	ck_assert_int_ge(
	    casier_snprintf(bin, sizeof(bin), "%s/s.svbin", tmpdir), 0);
	(void)unlink(bin);
	ck_assert_int_ge(casier_snprintf(cmd, sizeof(cmd),
					 "sievec -c %s/test.conf %s/s.sieve "
					 "%s >%s/sievec.out 2>&1",
					 tmpdir, tmpdir, bin, tmpdir),
			 0);
	ck_assert_msg(system(cmd) == 0, "sievec failed, see %s/sievec.out",
		      tmpdir);
	ck_assert_msg(stat(bin, &st) == 0 && st.st_size > 0,
		      "sievec wrote no binary");
	(void)unlink(bin);
}

/* Run sieve-test; returns its stdout (malloc'ed, CRs removed). */
static char *
run_sieve_test(void)
{
	char cmd[512];
	struct str out;
	char buf[4096];
	size_t n, i;
	FILE *p;

	ck_assert_int_ge(casier_snprintf(cmd, sizeof(cmd),
					 "sieve-test -c %s/test.conf "
					 "-f someone@remote.example -r " FROM
					 " %s/s.sieve %s/m.eml 2>/dev/null",
					 tmpdir, tmpdir, tmpdir),
			 0);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	str_init(&out, 16 * 1024 * 1024);
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] != '\r')
				ck_assert_int_eq(str_append_char(&out, buf[i]),
						 0);
		}
	}
	ck_assert_int_eq(pclose(p), 0);
	ck_assert_int_eq(str_append(&out, ""), 0);
	return str_steal(&out);
}

/* The text after "=> key : " up to the end of that line, or NULL. */
static char *
action_field(const char *out, const char *key)
{
	char pat[64];
	const char *p, *e;

	ck_assert_int_ge(casier_snprintf(pat, sizeof(pat), "=> %-7s : ", key),
			 0);
	p = strstr(out, pat);
	if (p == NULL)
		return NULL;
	p += strlen(pat);
	e = strchr(p, '\n');
	ck_assert_ptr_nonnull(e);
	return strndup(p, (size_t)(e - p));
}

static char *
action_body(const char *out)
{
	const char *p, *e;

	p = strstr(out, "START MESSAGE\n");
	ck_assert_ptr_nonnull(p);
	p += strlen("START MESSAGE\n");
	e = strstr(p, "\nEND MESSAGE\n");
	ck_assert_ptr_nonnull(e);
	return strndup(p, (size_t)(e - p));
}

START_TEST(test_script_table)
{
	const struct script_case *c = &cases[_i];
	enum sieve_vacation_field field;
	const char *error = NULL;
	struct str script;
	char *out, *v;
	int ret;

	str_init(&script, SIEVE_VACATION_SCRIPT_MAX);
	ret = sieve_vacation_script(&c->in, &script, &error, &field);
	if (c->fail_field != SIEVE_VACATION_FIELD_NONE) {
		ck_assert_msg(ret == -1, "%s: accepted", c->name);
		ck_assert_msg(field == c->fail_field, "%s: field %s", c->name,
			      sieve_vacation_field_name(field));
		ck_assert_ptr_nonnull(error);
		ck_assert_uint_eq(script.len, 0);
		ck_assert_int_eq(sieve_vacation_check(&c->in, &error, &field),
				 -1);
		str_free(&script);
		return;
	}
	ck_assert_msg(ret == 0, "%s: refused: %s", c->name, error);
	ck_assert_int_eq(sieve_vacation_check(&c->in, &error, &field), 0);
	if (c->script_has != NULL)
		ck_assert_msg(strstr(script.data, c->script_has) != NULL,
			      "%s: script lacks %s:\n%s", c->name,
			      c->script_has, script.data);

	setup_tmpdir();
	write_script(&script);
	assert_compiles();
	out = run_sieve_test();
	if (!c->expect_reply) {
		ck_assert_msg(strstr(out, "send vacation message") == NULL,
			      "%s: replied:\n%s", c->name, out);
	} else {
		ck_assert_msg(strstr(out, "send vacation message") != NULL,
			      "%s: no reply:\n%s", c->name, out);
		v = action_field(out, "from");
		ck_assert_ptr_nonnull(v);
		ck_assert_str_eq(v, c->in.from);
		free(v);
		v = action_field(out, "subject");
		if (c->expect_subject == NULL) {
			ck_assert_ptr_null(v);
		} else {
			ck_assert_ptr_nonnull(v);
			ck_assert_str_eq(v, c->expect_subject);
		}
		free(v);
		/* Pigeonhole keeps the period in seconds */
		v = action_field(out, "seconds");
		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(strtoul(v, NULL, 10),
				  c->in.interval_seconds > 0
				      ? c->in.interval_seconds
				      : c->in.interval_days * 86400UL);
		free(v);
		v = action_body(out);
		ck_assert_str_eq(v, c->expect_body);
		free(v);
	}
	free(out);
	teardown_tmpdir();
	str_free(&script);
}
END_TEST

/* A 10 KB body made of hostile lines survives the round trip intact. */
START_TEST(test_big_hostile_body)
{
	static const char *const lines[] = {
	    ".", "..", "\"\\", ".x", "text:", "\xc3\xa9t\xc3\xa9", ""};
	struct sieve_vacation vac = {
	    .subject = "big", .interval_days = 7, .from = FROM};
	enum sieve_vacation_field field;
	const char *error;
	struct str body, script;
	char *out, *got;
	size_t i;

	str_init(&body, SIEVE_VACATION_BODY_MAX);
	for (i = 0; body.len < 10 * 1024; i++)
		ck_assert_int_eq(
		    str_appendf(&body, "%s\n",
				lines[i % CASIER_ARRAY_LEN(lines)]),
		    0);
	vac.body = body.data;
	str_init(&script, SIEVE_VACATION_SCRIPT_MAX);
	ck_assert_int_eq(sieve_vacation_script(&vac, &script, &error, &field),
			 0);
	setup_tmpdir();
	write_script(&script);
	assert_compiles();
	out = run_sieve_test();
	got = action_body(out);
	ck_assert_str_eq(got, body.data);
	free(got);
	free(out);
	teardown_tmpdir();
	str_free(&script);
	str_free(&body);
}
END_TEST

START_TEST(test_body_too_large)
{
	struct sieve_vacation vac = {
	    .subject = "big", .interval_days = 7, .from = FROM};
	enum sieve_vacation_field field;
	const char *error;
	struct str script;
	char *body;

	body = malloc(SIEVE_VACATION_BODY_MAX + 2);
	ck_assert_ptr_nonnull(body);
	memset(body, 'a', SIEVE_VACATION_BODY_MAX + 1);
	body[SIEVE_VACATION_BODY_MAX + 1] = '\0';
	vac.body = body;
	str_init(&script, SIEVE_VACATION_SCRIPT_MAX);
	ck_assert_int_eq(sieve_vacation_script(&vac, &script, &error, &field),
			 -1);
	ck_assert_int_eq(field, SIEVE_VACATION_FIELD_BODY);
	body[SIEVE_VACATION_BODY_MAX] = '\0';
	ck_assert_int_eq(sieve_vacation_script(&vac, &script, &error, &field),
			 0);
	free(body);
	str_free(&script);
}
END_TEST

START_TEST(test_subject_length)
{
	struct sieve_vacation vac = {
	    .body = "b", .interval_days = 7, .from = FROM};
	enum sieve_vacation_field field;
	const char *error;
	char subject[SIEVE_VACATION_SUBJECT_MAX + 2];

	memset(subject, 's', sizeof(subject) - 1);
	subject[sizeof(subject) - 1] = '\0';
	vac.subject = subject;
	ck_assert_int_eq(sieve_vacation_check(&vac, &error, &field), -1);
	ck_assert_int_eq(field, SIEVE_VACATION_FIELD_SUBJECT);
	subject[SIEVE_VACATION_SUBJECT_MAX] = '\0';
	ck_assert_int_eq(sieve_vacation_check(&vac, &error, &field), 0);
}
END_TEST

struct split_case {
	const char *body;
	int ret;
	const char *subject;
	const char *rest;
};

static const struct split_case split_cases[] = {
    {.body = "Subject: On vacation messages\n\nI am away.\n",
     .ret = 1,
     .subject = "On vacation messages",
     .rest = "I am away.\n"},
    {.body = "subject:Absent\r\nline\r\n",
     .ret = 1,
     .subject = "Absent",
     .rest = "line\r\n"},
    {.body = "SUBJECT:   padded  \t\nx",
     .ret = 1,
     .subject = "padded",
     .rest = "x"},
    {.body = "Subject: only", .ret = 1, .subject = "only", .rest = ""},
    {.body = "Subject:\n\n\nkeep one",
     .ret = 1,
     .subject = "",
     .rest = "\nkeep one"},
    {.body = "Hello\nSubject: not first\n", .ret = 0},
    {.body = " Subject: indented", .ret = 0},
    {.body = "Subjects: x", .ret = 0},
    {.body = "", .ret = 0},
};

START_TEST(test_split_subject)
{
	const struct split_case *c = &split_cases[_i];
	char *subject;
	const char *rest;

	ck_assert_int_eq(sieve_vacation_split_subject(c->body, &subject, &rest),
			 c->ret);
	if (c->ret == 0) {
		ck_assert_ptr_null(subject);
		ck_assert_ptr_eq(rest, c->body);
		return;
	}
	ck_assert_str_eq(subject, c->subject);
	ck_assert_str_eq(rest, c->rest);
	free(subject);
}
END_TEST

struct date_case {
	const char *s;
	bool valid;
};

static const struct date_case date_cases[] = {
    {"2026-01-31", true},   {"2024-02-29", true},
    {"2000-02-29", true},   {"1900-02-28", false},
    {"2100-02-29", false},  {"2026-02-29", false},
    {"2026-04-31", false},  {"2026-13-01", false},
    {"2026-00-10", false},  {"2026-1-01", false},
    {"2026-01-01x", false}, {"20260101", false},
    {"2026/01/01", false},  {"", false},
    {"1969-12-31", false},  {"9999-12-31", true},
};

START_TEST(test_date_valid)
{
	ck_assert_msg(sieve_vacation_date_valid(date_cases[_i].s) ==
			  date_cases[_i].valid,
		      "%s", date_cases[_i].s);
}
END_TEST

START_TEST(test_status)
{
	ck_assert_str_eq(sieve_vacation_status(NULL, NULL, "2026-05-05"),
			 "active");
	ck_assert_str_eq(
	    sieve_vacation_status("2026-05-01", "2026-05-05", "2026-05-05"),
	    "active");
	ck_assert_str_eq(
	    sieve_vacation_status("2026-05-01", "2026-05-05", "2026-05-01"),
	    "active");
	ck_assert_str_eq(
	    sieve_vacation_status(NULL, "2026-05-05", "2026-05-06"), "expired");
	ck_assert_str_eq(
	    sieve_vacation_status("2026-05-01", NULL, "2026-04-30"),
	    "scheduled");
}
END_TEST

static Suite *
vacation_suite(void)
{
	Suite *s = suite_create("sieve-vacation");
	TCase *tc = tcase_create("script");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_script_table, 0,
			    (int)CASIER_ARRAY_LEN(cases));
	tcase_add_test(tc, test_big_hostile_body);
	tcase_add_test(tc, test_body_too_large);
	tcase_add_test(tc, test_subject_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("helpers");
	tcase_add_loop_test(tc, test_split_subject, 0,
			    (int)CASIER_ARRAY_LEN(split_cases));
	tcase_add_loop_test(tc, test_date_valid, 0,
			    (int)CASIER_ARRAY_LEN(date_cases));
	tcase_add_test(tc, test_status);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(vacation_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

/*
 * test-policy-notify.c - unit tests for policy_smtp_send()
 * (policy/policy-notify.c), the SMTP client of the block notifications,
 * against a scripted fake SMTP server on a loopback port: the exchange
 * and the dot-stuffed data of a delivery, and the exact error text when
 * the server refuses a command.  Run by `make check`.
 */
#include "policy-notify.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct smtp_case {
	const char *name;
	const char *from, *rcpt;
	const char *refuse;	  /* command prefix the server refuses */
	const char *refuse_reply; /* its reply line */
	int ret;
	const char *error; /* exact error text when ret < 0 */
} cases[] = {
    {.name = "delivered",
     .from = "casier@test.example",
     .rcpt = "boss@test.example",
     .ret = 0},
    {.name = "RCPT refused",
     .from = "casier@test.example",
     .rcpt = "boss@test.example",
     .refuse = "RCPT",
     .refuse_reply = "550 5.1.1 no such user\r\n",
     .ret = -1,
     .error = "'RCPT TO:<boss@test.example>' answered 550"},
    {.name = "DATA refused",
     .from = "casier@test.example",
     .rcpt = "boss@test.example",
     .refuse = "DATA",
     .refuse_reply = "554 5.5.1 no valid recipients\r\n",
     .ret = -1,
     .error = "'DATA' answered 554"},
    {.name = "unsafe recipient",
     .from = "casier@test.example",
     .rcpt = "boss@test.example>\r\nRCPT TO:<x@evil.example",
     .ret = -1,
     .error = "unsafe address"},
};

struct fake_server {
	int lfd;
	const struct smtp_case *tc;
	char data[4096]; /* what arrived between DATA and "." */
	size_t data_len;
	bool connected;
};

/* Read one CRLF line (without it) into line; false at EOF. */
static bool
read_line(int fd, char *line, size_t size)
{
	size_t n = 0;
	char c;

	while (read(fd, &c, 1) == 1) {
		if (c == '\n') {
			if (n > 0 && line[n - 1] == '\r')
				n--;
			line[n] = '\0';
			return true;
		}
		if (n + 1 < size)
			line[n++] = c;
	}
	return false;
}

static void
say(int fd, const char *s)
{
	(void)!write(fd, s, strlen(s));
}

static void *
fake_serve(void *arg)
{
	struct fake_server *f = arg;
	char line[1024];
	bool in_data = false;
	int fd = accept(f->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	f->connected = true;
	say(fd, "220 fake ESMTP\r\n");
	while (read_line(fd, line, sizeof(line))) {
		if (in_data) {
			if (strcmp(line, ".") == 0) {
				in_data = false;
				say(fd, "250 2.0.0 queued\r\n");
			} else if (f->data_len + strlen(line) + 2 <
				   sizeof(f->data)) {
				memcpy(f->data + f->data_len, line,
				       strlen(line));
				f->data_len += strlen(line);
				f->data[f->data_len++] = '\n';
				f->data[f->data_len] = '\0';
			}
			continue;
		}
		if (f->tc->refuse != NULL &&
		    strncmp(line, f->tc->refuse, strlen(f->tc->refuse)) == 0) {
			say(fd, f->tc->refuse_reply);
			continue;
		}
		if (strncmp(line, "EHLO", 4) == 0)
			say(fd, "250-fake\r\n250 8BITMIME\r\n");
		else if (strcmp(line, "DATA") == 0) {
			say(fd, "354 go ahead\r\n");
			in_data = true;
		} else if (strcmp(line, "QUIT") == 0) {
			say(fd, "221 bye\r\n");
			break;
		} else
			say(fd, "250 2.1.0 ok\r\n");
	}
	(void)close(fd);
	return NULL;
}

START_TEST(test_smtp_send)
{
	const struct smtp_case *tc = &cases[_i];
	struct fake_server f = {.tc = tc};
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t len = sizeof(sin);
	char error[256] = "";
	pthread_t th;
	int ret;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f.lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(f.lfd, 0);
	ck_assert_int_eq(bind(f.lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(f.lfd, 1), 0);
	ck_assert_int_eq(getsockname(f.lfd, (struct sockaddr *)&sin, &len), 0);
	ck_assert_int_eq(pthread_create(&th, NULL, fake_serve, &f), 0);

	ret = policy_smtp_send("127.0.0.1", ntohs(sin.sin_port), "test.example",
			       tc->from, tc->rcpt,
			       "Subject: blocked\n\n.leading dot\nend\n", error,
			       sizeof(error));
	/* an unsafe address never connects: let the server thread go */
	if (!f.connected)
		(void)shutdown(f.lfd, SHUT_RDWR);
	(void)pthread_join(th, NULL);
	(void)close(f.lfd);

	ck_assert_msg(ret == tc->ret, "%s: ret %d (%s)", tc->name, ret, error);
	if (tc->ret < 0) {
		ck_assert_str_eq(error, tc->error);
	} else {
		/* RFC 5321 section 4.5.2: the leading dot is doubled */
		ck_assert_str_eq(f.data, "Subject: blocked\n\n..leading dot\n"
					 "end\n");
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("policy-notify");
	TCase *tc = tcase_create("smtp");
	SRunner *sr;
	int failed;

	tcase_add_loop_test(tc, test_smtp_send, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

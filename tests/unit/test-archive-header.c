/*
 * test-archive-header.c - unit tests for delivery/archive-header.c: RFC
 * 2047 decoding (B and Q, utf-8, iso-8859-1/15, windows-1252, adjacent
 * words, split characters, malformed words, raw 8-bit text, truncation,
 * controls) and header parsing (folding, first occurrence, spam flag,
 * inbound marker, end of header).  Run by `make check`.
 */
#include "archive-header.h"

#include <check.h>
#include <string.h>

struct dcase {
	const char *in;
	const char *out;
};

static const struct dcase dcases[] = {
    {.in = "plain text", .out = "plain text"},
    {.in = "=?UTF-8?B?w6l0w6k=?=", .out = "été"},
    {.in = "=?utf-8?q?caf=C3=A9_cr=C3=A8me?=", .out = "café crème"},
    {.in = "=?ISO-8859-1?Q?R=E9union_du_13?=", .out = "Réunion du 13"},
    /* iso-8859-15 has the euro sign at 0xA4, iso-8859-1 the currency sign */
    {.in = "=?iso-8859-15?q?100_=A4?=", .out = "100 €"},
    {.in = "=?iso-8859-1?q?100_=A4?=", .out = "100 ¤"},
    {.in = "=?windows-1252?Q?=93quoted=94_=80?=", .out = "“quoted” €"},
    /* RFC 2047 section 8 examples: whitespace between words is dropped */
    {.in = "=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=", .out = "ab"},
    {.in = "=?ISO-8859-1?Q?a?=  \t =?ISO-8859-1?Q?b?=", .out = "ab"},
    {.in = "=?ISO-8859-1?Q?a?= b", .out = "a b"},
    {.in = "a =?ISO-8859-1?Q?b?=", .out = "a b"},
    {.in = "=?ISO-8859-1?Q?a_b?=", .out = "a b"},
    /* a UTF-8 character split across two B words */
    {.in = "=?UTF-8?B?w6k=?= =?UTF-8?B?w6k=?=", .out = "éé"},
    {.in = "=?UTF-8?Q?=C3?= =?UTF-8?Q?=A9?=", .out = "é"},
    /* two charsets next to each other */
    {.in = "=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", .out = "éé"},
    /* RFC 2231 language suffix */
    {.in = "=?US-ASCII*EN?Q?Keith_Moore?=", .out = "Keith Moore"},
    /* lower-case b, padding-free base64 */
    {.in = "=?utf-8?b?Zm9v?=", .out = "foo"},
    /* malformed: stays as it is */
    {.in = "=?utf-8?X?abc?=", .out = "=?utf-8?X?abc?="},
    {.in = "=?utf-8?Q?no end", .out = "=?utf-8?Q?no end"},
    {.in = "=??Q?x?=", .out = "=??Q?x?="},
    {.in = "a=?b", .out = "a=?b"},
    /* bad Q escape kept literally */
    {.in = "=?utf-8?Q?=ZZ?=", .out = "=ZZ"},
    /* unknown charset: bytes taken as UTF-8 / windows-1252 */
    {.in = "=?x-unknown?Q?ok?=", .out = "ok"},
    /* invalid UTF-8 inside a UTF-8 word: read as windows-1252 */
    {.in = "=?utf-8?Q?=E9t=E9?=", .out = "été"},
    /* raw 8-bit latin-1 header text */
    {.in = "caf\xe9", .out = "café"},
    /* raw UTF-8 header text (RFC 6532) */
    {.in = "caf\xc3\xa9", .out = "café"},
    /* controls become spaces, including encoded ones */
    {.in = "a\x01"
	   "b",
     .out = "a b"},
    {.in = "=?utf-8?Q?a=00b=0Dc?=", .out = "a b c"},
    {.in = "", .out = ""},
};

START_TEST(test_decode)
{
	const struct dcase *c = &dcases[_i];
	char out[256];

	archive_rfc2047_decode(c->in, strlen(c->in), out, sizeof(out));
	ck_assert_msg(strcmp(out, c->out) == 0,
		      "case %d: [%s] -> [%s], "
		      "want [%s]",
		      _i, c->in, out, c->out);
	ck_assert(archive_utf8_clean(out));
}
END_TEST

START_TEST(test_truncate_on_boundary)
{
	char out[6];

	/* "ééé" is 6 bytes: only two fit in 5 bytes + NUL */
	archive_rfc2047_decode("=?utf-8?q?=C3=A9=C3=A9=C3=A9?=", 30, out,
			       sizeof(out));
	ck_assert_str_eq(out, "éé");
	archive_rfc2047_decode("abcdefgh", 8, out, sizeof(out));
	ck_assert_str_eq(out, "abcde");
	archive_rfc2047_decode("abc", 3, out, 1);
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(test_utf8_clean)
{
	ck_assert(archive_utf8_clean("été"));
	ck_assert(!archive_utf8_clean("a\tb"));
	ck_assert(!archive_utf8_clean("\xc3"));
	ck_assert(!archive_utf8_clean("\xed\xa0\x80")); /* surrogate */
	ck_assert(!archive_utf8_clean("\xc0\xaf"));	/* overlong */
}
END_TEST

static const char msg1[] =
    "Received: from x by y\r\n"
    "Subject: =?iso-8859-1?q?Notes_de_frais?=\r\n"
    " =?utf-8?q?_d=C3=A9cembre?=\r\n"
    "From: =?utf-8?q?J=C3=A9r=C3=B4me?= <jerome@vermeulen.example>\r\n"
    "To: celine@mondomaine.example,\r\n\tvalerie@mondomaine.example\r\n"
    "Message-ID:  <abc.123@vermeulen.example> \r\n"
    "Subject: second subject ignored\r\n"
    "X-Casier-Spam: yes\r\n"
    "X-Casier-Inbound: yes\r\n"
    "\r\n"
    "Subject: in the body, not a header\r\n";

START_TEST(test_parse)
{
	struct archive_header h;

	archive_header_parse(msg1, sizeof(msg1) - 1, &h);
	ck_assert_str_eq(h.subject, "Notes de frais décembre");
	ck_assert_str_eq(h.from, "Jérôme <jerome@vermeulen.example>");
	ck_assert_str_eq(h.to, "celine@mondomaine.example, valerie@"
			       "mondomaine.example");
}
END_TEST

START_TEST(test_parse_flags)
{
	struct archive_header h;
	static const char plain[] = "Subject: hi\nX-Casier-Spam: no\n"
				    "X-Spam-Flag: YES\n\n"
				    "X-Casier-Inbound: yes\n";
	static const char status[] = "X-Casier-Spam: YES\n\n";

	archive_header_parse(msg1, sizeof(msg1) - 1, &h);
	ck_assert_str_eq(h.message_id, "<abc.123@vermeulen.example>");
	ck_assert(h.spam);
	ck_assert(h.inbound);
	/* LF-only line ends; the marker in the body does not count; an
	 * upstream X-Spam-Flag is not trusted */
	archive_header_parse(plain, sizeof(plain) - 1, &h);
	ck_assert_str_eq(h.subject, "hi");
	ck_assert(!h.spam);
	ck_assert(!h.inbound);
	archive_header_parse(status, sizeof(status) - 1, &h);
	ck_assert(h.spam);
	ck_assert_str_eq(h.subject, "");
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("archive-header");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_decode, 0,
			    (int)(sizeof(dcases) / sizeof(dcases[0])));
	tcase_add_test(tc, test_truncate_on_boundary);
	tcase_add_test(tc, test_utf8_clean);
	tcase_add_test(tc, test_parse);
	tcase_add_test(tc, test_parse_flags);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

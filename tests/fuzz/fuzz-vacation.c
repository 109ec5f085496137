/*
 * fuzz-vacation.c - libFuzzer target for the vacation form handling
 * (sieve-vacation/sieve-vacation.c): the "Subject: ..." first-line split
 * and the script generator, which read what an admin typed into a form.
 *
 * fuzz-sources: sieve-vacation/sieve-vacation.c lib/str.c
 * fuzz-libs:
 *
 * Checks, beyond "no crash": when the form is accepted, reading the
 * script back (RFC 5228 quoted-string unescaping, text: block
 * un-dot-stuffing) gives exactly the subject and the body (line ends
 * normalised) that went in, so no input can end a string early.
 */
#include "sieve-vacation.h"
#include "str.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Unescape the quoted string starting at p (just after '"'). */
static void
read_quoted(const char *p, struct str *out)
{
	for (; *p != '"'; p++) {
		if (*p == '\0')
			abort();
		if (*p == '\\')
			p++;
		if (*p == '\0' || str_append_char(out, *p) < 0)
			abort();
	}
}

/* Read the text: block starting at p (just after "text:\r\n"). */
static void
read_text(const char *p, struct str *out)
{
	const char *e;

	for (;;) {
		e = strstr(p, "\r\n");
		if (e == NULL)
			abort();
		if (e - p == 1 && p[0] == '.')
			return;
		if (p[0] == '.')
			p++; /* dot-stuffed: the generator must have doubled it
			      */
		if (str_append_mem(out, p, (size_t)(e - p)) < 0 ||
		    str_append_char(out, '\n') < 0)
			abort();
		p = e + 2;
	}
}

/* The body as Pigeonhole will see it: LF line ends, a final LF. */
static void
normalise(const char *body, struct str *out)
{
	const char *p = body, *nl;
	size_t n;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (str_append_mem(out, p, n) < 0 ||
		    str_append_char(out, '\n') < 0)
			abort();
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const addrs[] = {"a@b.example", "c@d.example"};
	struct sieve_vacation vac = {.interval_days = 7,
				     .from = "a@b.example",
				     .addresses = addrs,
				     .naddresses = 2};
	enum sieve_vacation_field field;
	struct str script, got, want;
	const char *error, *rest, *p;
	char *input, *subject = NULL;

	input = malloc(size + 1);
	if (input == NULL)
		return 0;
	memcpy(input, data, size);
	input[size] = '\0'; /* forms never hold NUL: cut there */

	if (sieve_vacation_split_subject(input, &subject, &rest) < 0)
		abort();
	vac.subject = subject != NULL ? subject : "Absent";
	vac.body = rest;
	str_init(&script, SIEVE_VACATION_SCRIPT_MAX);
	str_init(&got, SIEVE_VACATION_SCRIPT_MAX);
	str_init(&want, SIEVE_VACATION_SCRIPT_MAX);
	if (sieve_vacation_script(&vac, &script, &error, &field) < 0) {
		if (error == NULL || script.len != 0)
			abort();
		goto out;
	}
	if (vac.subject[0] != '\0') {
		p = strstr(script.data, ":subject \"");
		if (p == NULL)
			abort();
		read_quoted(p + strlen(":subject \""), &got);
		if (got.len != strlen(vac.subject) ||
		    memcmp(got.data, vac.subject, got.len) != 0)
			abort();
		str_clear(&got);
	}
	p = strstr(script.data, "text:\r\n");
	if (p == NULL)
		abort();
	read_text(p + strlen("text:\r\n"), &got);
	normalise(vac.body, &want);
	if (got.len != want.len ||
	    (got.len > 0 && memcmp(got.data, want.data, got.len) != 0))
		abort();
out:
	str_free(&script);
	str_free(&got);
	str_free(&want);
	free(subject);
	free(input);
	return 0;
}

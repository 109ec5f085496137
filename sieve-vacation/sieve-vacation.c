/*
 * sieve-vacation.c - render a vacation form as an RFC 5230 Sieve script.
 *
 * Called by the web manager (validation, mgmtd/service-vacation.c) and by
 * the privileged vacation job (delivery/job-vacation.c) that writes the
 * script.  Pure logic: no I/O, no privileges, no global state.  Fails
 * with -1 and a static English reason naming the bad field; nothing is
 * ever half-rendered (the output is cleared on failure).
 *
 * Why validation is strict: the subject becomes a header of a mail sent
 * to a stranger, so CR/LF or other control characters there would let a
 * form inject headers; invalid UTF-8 would make the script fail to
 * compile (RFC 5228 section 2.2: scripts are UTF-8), and a script that
 * does not compile silently disables the autoreply at delivery.
 */
#include "sieve-vacation.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
sieve_vacation_field_name(enum sieve_vacation_field field)
{
	switch (field) {
	case SIEVE_VACATION_FIELD_NONE:
		return "";
	case SIEVE_VACATION_FIELD_SUBJECT:
		return "subject";
	case SIEVE_VACATION_FIELD_BODY:
		return "body";
	case SIEVE_VACATION_FIELD_START:
		return "start";
	case SIEVE_VACATION_FIELD_END:
		return "end";
	case SIEVE_VACATION_FIELD_INTERVAL:
		return "interval_days";
	case SIEVE_VACATION_FIELD_FROM:
		return "from";
	case SIEVE_VACATION_FIELD_ADDRESSES:
		return "addresses";
	}
	return "";
}

/*
 * Decode one UTF-8 sequence at s[*i] (len bytes in all) into *cp and
 * advance *i.  -1 on an invalid, overlong or truncated sequence, on a
 * surrogate and above U+10FFFF (RFC 3629 section 4).
 */
static int
utf8_next(const unsigned char *s, size_t len, size_t *i, uint32_t *cp)
{
	unsigned char c = s[*i];
	uint32_t v, min;
	size_t n, k;

	if (c < 0x80) {
		*cp = c;
		*i += 1;
		return 0;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		v = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		v = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	/* *i < len, so len - *i - 1 cannot wrap. */
	if (n > len - *i - 1)
		return -1;
	for (k = 1; k <= n; k++) {
		unsigned char cc = s[*i + k];
		if ((cc & 0xc0) != 0x80)
			return -1;
		v = (v << 6) | (cc & 0x3f);
	}
	if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*cp = v;
	*i += n + 1;
	return 0;
}

static bool
is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
}

static int
check_subject(const char *subject, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)subject;
	size_t len = strlen(subject), i = 0;
	uint32_t cp;

	if (len > SIEVE_VACATION_SUBJECT_MAX) {
		*error_r = "subject is longer than 998 bytes";
		return -1;
	}
	while (i < len) {
		if (utf8_next(s, len, &i, &cp) < 0) {
			*error_r = "subject is not valid UTF-8";
			return -1;
		}
		if (cp == '\r' || cp == '\n') {
			*error_r = "subject must be a single line";
			return -1;
		}
		if (is_control(cp)) {
			*error_r = "subject contains a control character";
			return -1;
		}
	}
	return 0;
}

static int
check_body(const char *body, const char **error_r)
{
	const unsigned char *s = (const unsigned char *)body;
	size_t len = strlen(body), i = 0;
	uint32_t cp;

	if (len > SIEVE_VACATION_BODY_MAX) {
		*error_r = "message is longer than 100000 bytes";
		return -1;
	}
	while (i < len) {
		if (utf8_next(s, len, &i, &cp) < 0) {
			*error_r = "message is not valid UTF-8";
			return -1;
		}
		if (cp == '\r') {
			/* only as part of CRLF; a bare CR is no line end */
			if (i >= len || s[i] != '\n') {
				*error_r = "message contains a bare CR";
				return -1;
			}
			continue;
		}
		if (cp != '\n' && cp != '\t' && is_control(cp)) {
			*error_r = "message contains a control character";
			return -1;
		}
	}
	return 0;
}

/*
 * A plain "local@domain" of printable ASCII without the characters that
 * would need quoting in a header (RFC 5322 specials) or break a Sieve
 * string.  Addresses come from the database, already normalised.
 */
static bool
address_ok(const char *addr)
{
	size_t len = strlen(addr), i, at = 0, nat = 0;

	if (len < 3 || len > SIEVE_VACATION_ADDRESS_MAX)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)addr[i];
		if (c <= 0x20 || c >= 0x7f || strchr("\"(),:;<>[\\]", c))
			return false;
		if (c == '@') {
			at = i;
			nat++;
		}
	}
	return nat == 1 && at > 0 && at < len - 1;
}

bool
sieve_vacation_date_valid(const char *s)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
				      31, 31, 30, 31, 30, 31};
	int y, m, d, i, dim;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (i = 0; i < 10; i++) {
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	}
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    (s[3] - '0');
	m = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return false;
	dim = mdays[m - 1];
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	return d <= dim;
}

const char *
sieve_vacation_status(const char *start_date, const char *end_date,
		      const char *today)
{
	if (end_date != NULL && strcmp(today, end_date) > 0)
		return "expired";
	if (start_date != NULL && strcmp(today, start_date) < 0)
		return "scheduled";
	return "active";
}

static int
fail(const char **error_r, enum sieve_vacation_field *field_r,
     enum sieve_vacation_field field, const char *error)
{
	*error_r = error;
	*field_r = field;
	return -1;
}

int
sieve_vacation_check(const struct sieve_vacation *vac, const char **error_r,
		     enum sieve_vacation_field *field_r)
{
	const char *err;
	size_t i;

	*field_r = SIEVE_VACATION_FIELD_NONE;
	if (vac->subject == NULL)
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_SUBJECT,
			    "subject is missing");
	if (check_subject(vac->subject, &err) < 0)
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_SUBJECT,
			    err);
	if (vac->body == NULL)
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_BODY,
			    "message is missing");
	if (check_body(vac->body, &err) < 0)
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_BODY, err);
	if (vac->start_date != NULL &&
	    !sieve_vacation_date_valid(vac->start_date))
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_START,
			    "start is not a date (YYYY-MM-DD)");
	if (vac->end_date != NULL && !sieve_vacation_date_valid(vac->end_date))
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_END,
			    "end is not a date (YYYY-MM-DD)");
	if (vac->start_date != NULL && vac->end_date != NULL &&
	    strcmp(vac->start_date, vac->end_date) > 0)
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_END,
			    "end is before start");
	if (vac->interval_days < SIEVE_VACATION_INTERVAL_MIN ||
	    vac->interval_days > SIEVE_VACATION_INTERVAL_MAX)
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_INTERVAL,
			    "interval must be between 1 and 365 days");
	if (vac->from == NULL || !address_ok(vac->from))
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_FROM,
			    "from is not a plain address");
	if (vac->naddresses > SIEVE_VACATION_ADDRESSES_MAX)
		return fail(error_r, field_r, SIEVE_VACATION_FIELD_ADDRESSES,
			    "too many addresses");
	for (i = 0; i < vac->naddresses; i++) {
		if (vac->addresses[i] == NULL || !address_ok(vac->addresses[i]))
			return fail(error_r, field_r,
				    SIEVE_VACATION_FIELD_ADDRESSES,
				    "an address is not a plain address");
	}
	return 0;
}

/* A quoted string, RFC 5228 section 2.4.2: escape '\' and '"'. */
static int
append_quoted(struct str *out, const char *s)
{
	size_t start = 0, i;

	if (str_append_char(out, '"') < 0)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] != '\\' && s[i] != '"')
			continue;
		if (str_append_mem(out, s + start, i - start) < 0 ||
		    str_append_char(out, '\\') < 0 ||
		    str_append_char(out, s[i]) < 0)
			return -1;
		start = i + 1;
	}
	if (str_append_mem(out, s + start, i - start) < 0)
		return -1;
	return str_append_char(out, '"');
}

/*
 * A multi-line string, RFC 5228 section 2.4.2: "text:" CRLF, the lines,
 * "." CRLF; a line that starts with "." gets one more.  CRLF and LF
 * input line ends both become CRLF; a last line without an end gets one.
 */
static int
append_text_block(struct str *out, const char *body)
{
	const char *p = body, *nl;
	size_t n;

	if (str_append(out, "text:\r\n") < 0)
		return -1;
	while (*p != '\0') {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (p[0] == '.' && str_append_char(out, '.') < 0)
			return -1;
		if (str_append_mem(out, p, n) < 0 ||
		    str_append(out, "\r\n") < 0)
			return -1;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return str_append(out, ".\r\n");
}

static bool
seen_before(const struct sieve_vacation *vac, size_t idx)
{
	size_t i;

	for (i = 0; i < idx; i++) {
		if (casier_streq_nocase(vac->addresses[i], vac->addresses[idx]))
			return true;
	}
	return false;
}

static int
render(const struct sieve_vacation *vac, struct str *out)
{
	bool dated = vac->start_date != NULL || vac->end_date != NULL;
	bool first;
	size_t i;

	if (str_append(out,
		       "# Casier vacation autoreply, generated from the "
		       "web manager's form.\r\n"
		       "# Do not edit: it is rewritten on every change.\r\n"
		       "require [\"vacation\"") < 0)
		return -1;
	if (vac->interval_seconds > 0 &&
	    str_append(out, ", \"vacation-seconds\"") < 0)
		return -1;
	if (dated && str_append(out, ", \"date\", \"relational\"") < 0)
		return -1;
	if (str_append(out, "];\r\n") < 0)
		return -1;

	if (dated) {
		/* RFC 5260 section 5: currentdate in the server's zone. */
		if (str_append(out, "if allof (") < 0)
			return -1;
		if (vac->start_date != NULL &&
		    str_appendf(out,
				"currentdate :value \"ge\" \"date\" \"%s\"%s",
				vac->start_date,
				vac->end_date != NULL ? ",\r\n\t  " : "") < 0)
			return -1;
		if (vac->end_date != NULL &&
		    str_appendf(out,
				"currentdate :value \"le\" \"date\" \"%s\"",
				vac->end_date) < 0)
			return -1;
		if (str_append(out, ") {\r\n") < 0)
			return -1;
	}

	if (str_append(out, "vacation") < 0)
		return -1;
	if (vac->interval_seconds > 0) {
		if (str_appendf(out, " :seconds %u", vac->interval_seconds) < 0)
			return -1;
	} else if (str_appendf(out, " :days %u", vac->interval_days) < 0) {
		return -1;
	}
	if (str_append(out, "\r\n  :from ") < 0 ||
	    append_quoted(out, vac->from) < 0)
		return -1;
	if (vac->subject[0] != '\0' &&
	    (str_append(out, "\r\n  :subject ") < 0 ||
	     append_quoted(out, vac->subject) < 0))
		return -1;
	if (vac->naddresses > 0) {
		if (str_append(out, "\r\n  :addresses [") < 0)
			return -1;
		first = true;
		for (i = 0; i < vac->naddresses; i++) {
			if (seen_before(vac, i))
				continue;
			if ((!first && str_append(out, ",\r\n    ") < 0) ||
			    append_quoted(out, vac->addresses[i]) < 0)
				return -1;
			first = false;
		}
		if (str_append(out, "]") < 0)
			return -1;
	}
	if (str_append(out, "\r\n  ") < 0 ||
	    append_text_block(out, vac->body) < 0 ||
	    str_append(out, ";\r\n") < 0)
		return -1;
	if (dated && str_append(out, "}\r\n") < 0)
		return -1;
	return 0;
}

int
sieve_vacation_script(const struct sieve_vacation *vac, struct str *out,
		      const char **error_r, enum sieve_vacation_field *field_r)
{
	str_clear(out);
	if (sieve_vacation_check(vac, error_r, field_r) < 0)
		return -1;
	if (render(vac, out) < 0) {
		str_clear(out);
		*error_r = "script too large or out of memory";
		*field_r = SIEVE_VACATION_FIELD_NONE;
		return -1;
	}
	return 0;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

int
sieve_vacation_split_subject(const char *body, char **subject_r,
			     const char **rest_r)
{
	const char *p, *end, *nl;
	size_t n;

	*subject_r = NULL;
	*rest_r = body;
	if (strncasecmp(body, "Subject:", 8) != 0)
		return 0;
	p = body + 8;
	nl = strchr(p, '\n');
	end = nl != NULL ? nl : p + strlen(p);
	if (end > p && end[-1] == '\r')
		end--;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	/* end >= p by the loops above */
	n = (size_t)(end - p);
	*subject_r = malloc(n + 1);
	if (*subject_r == NULL)
		return -1;
	memcpy(*subject_r, p, n);
	(*subject_r)[n] = '\0';

	if (nl == NULL) {
		*rest_r = body + strlen(body);
		return 1;
	}
	p = nl + 1;
	/* one empty separator line, as the old manager wrote it */
	if (p[0] == '\n')
		p += 1;
	else if (p[0] == '\r' && p[1] == '\n')
		p += 2;
	*rest_r = p;
	return 1;
}

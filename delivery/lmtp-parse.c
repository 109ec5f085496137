/*
 * lmtp-parse.c - LMTP line splitting, command parsing and DATA decoding.
 *
 * Called by lmtp-server.c (and the fuzz target) with untrusted bytes
 * from the LMTP client.  Pure functions on caller-owned state: no I/O,
 * no allocation, no privileges.  Malformed input never fails hard: it
 * yields the reply the server must send (RFC 5321 4.2, RFC 3463 codes).
 */
#include "lmtp-parse.h"

#include <string.h>

void
lmtp_linebuf_init(struct lmtp_linebuf *lb)
{
	lb->len = 0;
	lb->overflow = false;
	lb->buf[0] = '\0';
}

enum lmtp_line_status
lmtp_linebuf_feed(struct lmtp_linebuf *lb, const char *in, size_t inlen,
		  size_t *consumed_r, const char **line_r, size_t *linelen_r)
{
	size_t i;

	for (i = 0; i < inlen; i++) {
		char c = in[i];

		if (c == '\n') {
			*consumed_r = i + 1;
			if (lb->overflow) {
				lmtp_linebuf_init(lb);
				return LMTP_LINE_TOO_LONG;
			}
			/* CRLF is the standard ending; a bare LF is
			 * tolerated (RFC 5321 2.3.8 allows servers to). */
			if (lb->len > 0 && lb->buf[lb->len - 1] == '\r')
				lb->len--;
			lb->buf[lb->len] = '\0';
			*line_r = lb->buf;
			*linelen_r = lb->len;
			lb->len = 0;
			return LMTP_LINE_OK;
		}
		if (lb->overflow)
			continue;
		if (lb->len >= LMTP_LINE_MAX) {
			lb->overflow = true;
			continue;
		}
		lb->buf[lb->len++] = c;
	}
	*consumed_r = inlen;
	return LMTP_LINE_NONE;
}

static bool
verb_is(const char *line, size_t len, const char *verb)
{
	size_t n = strlen(verb);
	size_t i;

	if (len < n || (len > n && line[n] != ' '))
		return false;
	for (i = 0; i < n; i++) {
		char c = line[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != verb[i])
			return false;
	}
	return true;
}

static bool
prefix_nocase(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	size_t i;

	if (len < n)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (c >= 'a' && c <= 'z')
			c = (char)(c - 'a' + 'A');
		if (c != prefix[i])
			return false;
	}
	return true;
}

static int
fail(int *code_r, struct casier_result *res_r, int code, const char *dsn,
     const char *text)
{
	*code_r = code;
	casier_result_set(res_r,
			  code >= 500 ? CASIER_PERMFAIL : CASIER_TEMPFAIL, dsn,
			  "%s", text);
	return -1;
}

/* Parse a decimal SIZE value; false on overflow or junk. */
static bool
parse_u64(const char *s, size_t len, uint64_t *val_r)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		uint64_t digit = (uint64_t)(s[i] - '0');

		/* checked before multiplying so v * 10 + digit cannot wrap */
		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*val_r = v;
	return true;
}

/*
 * Parse "<path> [params]" after "FROM:" / "TO:".  A path is a
 * Reverse-path or Forward-path (RFC 5321 4.1.2) without source routes;
 * characters that cannot appear in an address are refused.
 */
static int
parse_path_params(const char *p, size_t len, struct lmtp_command *cmd,
		  int *code_r, struct casier_result *res_r)
{
	const char *end = p + len;
	const char *close;
	size_t plen;

	while (p < end && *p == ' ') /* "FROM: <x>" is common enough */
		p++;
	if (p >= end || *p != '<')
		return fail(code_r, res_r, 501, "5.5.4",
			    "Syntax: path must be <...>");
	p++;
	close = memchr(p, '>', (size_t)(end - p));
	if (close == NULL)
		return fail(code_r, res_r, 501, "5.5.4", "Syntax: missing '>'");
	plen = (size_t)(close - p);
	if (plen > LMTP_PATH_MAX)
		return fail(code_r, res_r, 501, "5.1.3", "Address too long");
	for (size_t i = 0; i < plen; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c == 0x7f || c == '<' || c == '(' || c == ')' ||
		    c == ',' || c == ';' || c == '\\' || c == '"' || c == '[')
			return fail(code_r, res_r, 501, "5.1.3",
				    "Bad address syntax");
	}
	if (plen > 0 && p[0] == '@')
		return fail(code_r, res_r, 501, "5.1.3",
			    "Source routes are not supported");
	memcpy(cmd->arg, p, plen);
	cmd->arg[plen] = '\0';

	/* parameters: " KEY[=VALUE]" repeated (RFC 5321 4.1.2) */
	p = close + 1;
	while (p < end) {
		const char *kw, *eq, *val;
		size_t kwlen, vallen;

		if (*p != ' ')
			return fail(code_r, res_r, 501, "5.5.4",
				    "Syntax error in parameters");
		while (p < end && *p == ' ')
			p++;
		if (p >= end)
			break;
		kw = p;
		while (p < end && *p != ' ')
			p++;
		eq = memchr(kw, '=', (size_t)(p - kw));
		kwlen = (size_t)((eq != NULL ? eq : p) - kw);
		val = eq != NULL ? eq + 1 : p;
		vallen = (size_t)(p - val);

		if (cmd->verb == LMTP_VERB_MAIL && kwlen == 4 &&
		    prefix_nocase(kw, kwlen, "SIZE")) {
			if (eq == NULL || !parse_u64(val, vallen, &cmd->size))
				return fail(code_r, res_r, 501, "5.5.4",
					    "Bad SIZE parameter");
			cmd->has_size = true;
		} else if (cmd->verb == LMTP_VERB_MAIL && kwlen == 4 &&
			   prefix_nocase(kw, kwlen, "BODY")) {
			if (eq != NULL && vallen == 4 &&
			    prefix_nocase(val, vallen, "7BIT"))
				cmd->body = LMTP_BODY_7BIT;
			else if (eq != NULL && vallen == 8 &&
				 prefix_nocase(val, vallen, "8BITMIME"))
				cmd->body = LMTP_BODY_8BITMIME;
			else
				return fail(code_r, res_r, 501, "5.5.4",
					    "Bad BODY parameter");
		} else {
			return fail(code_r, res_r, 555, "5.5.4",
				    "Unsupported parameter");
		}
	}
	return 0;
}

int
lmtp_command_parse(const char *line, size_t len, struct lmtp_command *cmd_r,
		   int *code_r, struct casier_result *res_r)
{
	static const struct {
		const char *name;
		enum lmtp_verb verb;
	} verbs[] = {
	    {"LHLO", LMTP_VERB_LHLO}, {"MAIL", LMTP_VERB_MAIL},
	    {"RCPT", LMTP_VERB_RCPT}, {"DATA", LMTP_VERB_DATA},
	    {"RSET", LMTP_VERB_RSET}, {"NOOP", LMTP_VERB_NOOP},
	    {"QUIT", LMTP_VERB_QUIT}, {"VRFY", LMTP_VERB_VRFY},
	    {"HELO", LMTP_VERB_HELO}, {"EHLO", LMTP_VERB_HELO},
	};
	const char *args;
	size_t argslen;

	memset(cmd_r, 0, sizeof(*cmd_r));
	cmd_r->verb = LMTP_VERB_UNKNOWN;
	*code_r = 0;
	if (memchr(line, '\0', len) != NULL)
		return fail(code_r, res_r, 500, "5.5.2",
			    "Syntax error: NUL byte in command");
	for (size_t i = 0; i < CASIER_ARRAY_LEN(verbs); i++) {
		if (verb_is(line, len, verbs[i].name)) {
			cmd_r->verb = verbs[i].verb;
			break;
		}
	}
	args = len > 4 ? line + 5 : line + len;
	argslen = len > 4 ? len - 5 : 0;

	switch (cmd_r->verb) {
	case LMTP_VERB_UNKNOWN:
		return fail(code_r, res_r, 500, "5.5.1", "Unknown command");
	case LMTP_VERB_HELO:
		return fail(code_r, res_r, 500, "5.5.1",
			    "This is LMTP: use LHLO (RFC 2033)");
	case LMTP_VERB_LHLO:
		while (argslen > 0 && *args == ' ') {
			args++;
			argslen--;
		}
		while (argslen > 0 && args[argslen - 1] == ' ')
			argslen--;
		if (argslen == 0 || argslen > LMTP_PATH_MAX)
			return fail(code_r, res_r, 501, "5.5.4",
				    "Syntax: LHLO hostname");
		memcpy(cmd_r->arg, args, argslen);
		cmd_r->arg[argslen] = '\0';
		return 0;
	case LMTP_VERB_MAIL:
		if (!prefix_nocase(args, argslen, "FROM:"))
			return fail(code_r, res_r, 501, "5.5.4",
				    "Syntax: MAIL FROM:<address>");
		return parse_path_params(args + 5, argslen - 5, cmd_r, code_r,
					 res_r);
	case LMTP_VERB_RCPT:
		if (!prefix_nocase(args, argslen, "TO:"))
			return fail(code_r, res_r, 501, "5.5.4",
				    "Syntax: RCPT TO:<address>");
		if (parse_path_params(args + 3, argslen - 3, cmd_r, code_r,
				      res_r) < 0)
			return -1;
		if (cmd_r->arg[0] == '\0')
			return fail(code_r, res_r, 501, "5.1.3",
				    "Empty recipient");
		return 0;
	case LMTP_VERB_DATA:
	case LMTP_VERB_RSET:
	case LMTP_VERB_QUIT:
		if (argslen > 0)
			return fail(code_r, res_r, 501, "5.5.4",
				    "Syntax: no arguments allowed");
		return 0;
	case LMTP_VERB_NOOP:
	case LMTP_VERB_VRFY:
		return 0;
	}
	return fail(code_r, res_r, 500, "5.5.1", "Unknown command");
}

void
lmtp_data_init(struct lmtp_data *d)
{
	d->state = LMTP_DATA_BOL;
	d->has_nul = false;
}

size_t
lmtp_data_decode(struct lmtp_data *d, const char *in, size_t inlen, char *out,
		 size_t *outlen_r)
{
	size_t o = 0, i;

	for (i = 0; i < inlen && d->state != LMTP_DATA_END; i++) {
		char c = in[i];

		if (c == '\0')
			d->has_nul = true;
		switch (d->state) {
		case LMTP_DATA_DOT:
			if (c == '\r') {
				d->state = LMTP_DATA_DOTCR;
				continue;
			}
			if (c == '\n') { /* ".\n": tolerate a bare LF */
				d->state = LMTP_DATA_END;
				continue;
			}
			/* a stuffed dot: drop it and keep c (RFC 5321 4.5.2) */
			out[o++] = c;
			d->state = c == '\r' ? LMTP_DATA_CR : LMTP_DATA_MID;
			continue;
		case LMTP_DATA_DOTCR:
			if (c == '\n') {
				d->state = LMTP_DATA_END;
				continue;
			}
			/* ".\r" then something else: the dot was stuffing */
			out[o++] = '\r';
			d->state = LMTP_DATA_CR;
			break; /* process c in state CR below */
		case LMTP_DATA_BOL:
			if (c == '.') {
				d->state = LMTP_DATA_DOT;
				continue;
			}
			break;
		default:
			break;
		}
		out[o++] = c;
		if (c == '\n')
			d->state = LMTP_DATA_BOL;
		else if (c == '\r')
			d->state = LMTP_DATA_CR;
		else
			d->state = LMTP_DATA_MID;
	}
	*outlen_r = o;
	return i;
}

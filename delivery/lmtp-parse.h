/*
 * lmtp-parse.h - the LMTP (RFC 2033) wire format without any I/O.
 *
 * Three pieces the server (lmtp-server.c) feeds with bytes it read:
 * a bounded line splitter for the command phase, a command parser, and
 * an incremental DATA decoder that removes dot-stuffing (RFC 5321
 * section 4.5.2) and finds the terminating "<CRLF>.<CRLF>".  Everything
 * here is pure and is what the fuzz target exercises.
 */
#ifndef CASIER_LMTP_PARSE_H
#define CASIER_LMTP_PARSE_H

#include "casier.h"

#include <stdint.h>

/* RFC 5321 4.5.3.1.4: command lines are at most 512 octets with CRLF;
 * ESMTP parameters may add more, so commands get 2048. */
#define LMTP_LINE_MAX 2048
#define LMTP_PATH_MAX 320

/* ---- line splitter ---- */

enum lmtp_line_status {
	LMTP_LINE_NONE,	    /* need more input */
	LMTP_LINE_OK,	    /* a complete line (without CRLF) */
	LMTP_LINE_TOO_LONG, /* a line exceeded the maximum; it was skipped */
};

struct lmtp_linebuf {
	char buf[LMTP_LINE_MAX + 1];
	size_t len;
	bool overflow; /* discarding the rest of an over-long line */
};

void lmtp_linebuf_init(struct lmtp_linebuf *lb);
/*
 * Consume bytes from in (at most inlen) until a line ends.  Returns the
 * status and sets *consumed_r.  With LMTP_LINE_OK, line_r and linelen_r
 * point at the line inside lb (valid until the next call); the line may
 * contain NUL bytes.
 */
enum lmtp_line_status lmtp_linebuf_feed(struct lmtp_linebuf *lb, const char *in,
					size_t inlen, size_t *consumed_r,
					const char **line_r, size_t *linelen_r);

/* ---- commands ---- */

enum lmtp_verb {
	LMTP_VERB_LHLO,
	LMTP_VERB_MAIL,
	LMTP_VERB_RCPT,
	LMTP_VERB_DATA,
	LMTP_VERB_RSET,
	LMTP_VERB_NOOP,
	LMTP_VERB_QUIT,
	LMTP_VERB_VRFY,
	LMTP_VERB_HELO, /* HELO/EHLO: not valid in LMTP (RFC 2033 4.1) */
	LMTP_VERB_UNKNOWN,
};

enum lmtp_body {
	LMTP_BODY_DEFAULT,
	LMTP_BODY_7BIT,
	LMTP_BODY_8BITMIME,
};

struct lmtp_command {
	enum lmtp_verb verb;
	/* LHLO: the host name; MAIL/RCPT: the path without <>; may be "" */
	char arg[LMTP_PATH_MAX + 1];
	/* MAIL parameters (RFC 1870 SIZE, RFC 6152 BODY) */
	bool has_size;
	uint64_t size;
	enum lmtp_body body;
};

/*
 * Parse one command line (without CRLF).  Returns 0, or -1 with *res_r
 * holding the reply to send (500/501/504/555 with its DSN); the session
 * state is not changed by a refused command.
 */
int lmtp_command_parse(const char *line, size_t len, struct lmtp_command *cmd_r,
		       int *code_r, struct casier_result *res_r);

/* ---- DATA ---- */

enum lmtp_data_state {
	LMTP_DATA_BOL, /* at the beginning of a line */
	LMTP_DATA_MID,
	LMTP_DATA_CR,
	LMTP_DATA_DOT,	 /* a '.' at the beginning of a line */
	LMTP_DATA_DOTCR, /* ".\r" at the beginning of a line */
	LMTP_DATA_END,
};

struct lmtp_data {
	enum lmtp_data_state state;
	bool has_nul;
};

void lmtp_data_init(struct lmtp_data *d);
/*
 * Decode input: unstuffed message bytes are appended to out (which
 * must hold at least inlen + 1 bytes; *outlen_r is set).  Returns the
 * number of input bytes consumed: less than inlen only when the end of
 * data was reached (then d->state == LMTP_DATA_END and the remaining
 * bytes belong to the next command, RFC 2920 pipelining).
 */
size_t lmtp_data_decode(struct lmtp_data *d, const char *in, size_t inlen,
			char *out, size_t *outlen_r);

#endif

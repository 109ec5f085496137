/*
 * policy-request.h - the Postfix policy-delegation protocol, without I/O.
 *
 * A request is a sequence of "name=value" lines ended by an empty line
 * (Postfix SMTPD_POLICY_README).  The parser is fed bytes as they arrive
 * and keeps at most POLICY_REQUEST_MAX bytes of one request, so a hostile
 * peer cannot make it allocate: an over-long line, too many attributes, a
 * NUL or other control byte, a line without '=' or a repeated name is an
 * error, after which the caller closes the connection.
 */
#ifndef CASIER_POLICY_REQUEST_H
#define CASIER_POLICY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#define POLICY_NAME_MAX	   64
#define POLICY_LINE_MAX	   4096	 /* one "name=value" line without '\n' */
#define POLICY_ATTRS_MAX   64	 /* Postfix 3.7 sends about 35 */
#define POLICY_REQUEST_MAX 16384 /* all lines of one request */

struct policy_attr {
	const char *name;  /* points into policy_request.buf */
	const char *value; /* NUL-terminated, may be "" */
};

struct policy_request {
	char buf[POLICY_REQUEST_MAX];
	size_t used;
	struct policy_attr attrs[POLICY_ATTRS_MAX];
	size_t nattrs;
};

enum policy_parse_status {
	POLICY_PARSE_MORE,  /* all input consumed, request not complete */
	POLICY_PARSE_DONE,  /* a complete request is in parser->req */
	POLICY_PARSE_ERROR, /* malformed: parser->error says why */
};

struct policy_parser {
	struct policy_request req;
	size_t line_start; /* offset in req.buf of the current line */
	size_t line_len;   /* bytes of the current line so far */
	bool started;	   /* some byte of this request was seen */
	const char *error; /* static English text after an ERROR */
};

void policy_parser_init(struct policy_parser *p);
/* Forget the finished request and prepare for the next one. */
void policy_parser_reset(struct policy_parser *p);

/*
 * Feed len bytes.  *consumed_r is how many were used: on DONE the bytes
 * after the terminating empty line belong to the next request (feed them
 * again after policy_parser_reset()); on MORE it is len.  After ERROR the
 * parser must not be fed again.
 */
enum policy_parse_status policy_parser_feed(struct policy_parser *p,
					    const char *data, size_t len,
					    size_t *consumed_r);

/* True when some bytes of an unfinished request are buffered. */
bool policy_parser_pending(const struct policy_parser *p);

/* The value of attribute name, or NULL when absent. */
const char *policy_request_get(const struct policy_request *req,
			       const char *name);

#endif

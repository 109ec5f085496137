/*
 * policy-request.c - incremental parser for Postfix policy requests.
 *
 * Called by policy-server.c for every chunk read from a connection and by
 * the unit and fuzz tests.  Pure computation: no allocation, no I/O, no
 * privileges.  Fails by returning POLICY_PARSE_ERROR with a static
 * reason; the caller logs it and closes the connection, so Postfix applies
 * smtpd_policy_service_default_action.
 */
#include "policy-request.h"

#include <string.h>

void
policy_parser_init(struct policy_parser *p)
{
	p->req.used = 0;
	p->req.nattrs = 0;
	p->line_start = 0;
	p->line_len = 0;
	p->started = false;
	p->error = NULL;
}

void
policy_parser_reset(struct policy_parser *p)
{
	policy_parser_init(p);
}

bool
policy_parser_pending(const struct policy_parser *p)
{
	return p->started;
}

static bool
policy_name_valid(const char *name, size_t len)
{
	/* Postfix attribute names are lower-case words with underscores. */
	if (len == 0 || len > POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '_'))
			return false;
	}
	return true;
}

/* Turn the finished line into an attribute; 0 or -1 with p->error. */
static int
policy_line_finish(struct policy_parser *p)
{
	struct policy_request *req = &p->req;
	char *line = req->buf + p->line_start;
	char *eq = memchr(line, '=', p->line_len);

	if (eq == NULL) {
		p->error = "line without '='";
		return -1;
	}
	if (!policy_name_valid(line, (size_t)(eq - line))) {
		p->error = "invalid attribute name";
		return -1;
	}
	if (req->nattrs >= POLICY_ATTRS_MAX) {
		p->error = "too many attributes";
		return -1;
	}
	/* feed() kept one byte free after every line for this NUL. */
	*eq = '\0';
	req->buf[req->used++] = '\0';
	if (policy_request_get(req, line) != NULL) {
		p->error = "repeated attribute";
		return -1;
	}
	req->attrs[req->nattrs].name = line;
	req->attrs[req->nattrs].value = eq + 1;
	req->nattrs++;
	p->line_start = req->used;
	p->line_len = 0;
	return 0;
}

enum policy_parse_status
policy_parser_feed(struct policy_parser *p, const char *data, size_t len,
		   size_t *consumed_r)
{
	struct policy_request *req = &p->req;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		p->started = true;
		if (c == '\n') {
			if (p->line_len > 0) {
				if (policy_line_finish(p) < 0) {
					*consumed_r = i + 1;
					return POLICY_PARSE_ERROR;
				}
				continue;
			}
			*consumed_r = i + 1;
			if (req->nattrs == 0) {
				p->error = "empty request";
				return POLICY_PARSE_ERROR;
			}
			return POLICY_PARSE_DONE;
		}
		/* Binary garbage: NUL, CR and other controls (TAB is text). */
		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			p->error = "control character in request";
			*consumed_r = i + 1;
			return POLICY_PARSE_ERROR;
		}
		if (p->line_len >= POLICY_LINE_MAX) {
			p->error = "line too long";
			*consumed_r = i + 1;
			return POLICY_PARSE_ERROR;
		}
		/* Keep one byte for the line's NUL: used + 1 < size. */
		if (req->used + 2 > sizeof(req->buf)) {
			p->error = "request too long";
			*consumed_r = i + 1;
			return POLICY_PARSE_ERROR;
		}
		req->buf[req->used++] = (char)c;
		p->line_len++;
	}
	*consumed_r = len;
	return POLICY_PARSE_MORE;
}

const char *
policy_request_get(const struct policy_request *req, const char *name)
{
	for (size_t i = 0; i < req->nattrs; i++) {
		if (strcmp(req->attrs[i].name, name) == 0)
			return req->attrs[i].value;
	}
	return NULL;
}

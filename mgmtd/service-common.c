/*
 * service-common.c - the pure parts of the service layer: outcome to
 * HTTP status mapping (the only place that does it), results, paging
 * parameters, keyset cursors, usage units.
 *
 * Called by every service-*.c, api-*.c and page-*.c.  No I/O, no
 * privileges; cannot fail except on bad input, reported in the result.
 * Also the bounded CSV reader/writer used by service-csv.c.
 */
#include "service.h"

#include "str.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned int
svc_status_http(enum svc_status status)
{
	switch (status) {
	case SVC_OK:
		return 200;
	case SVC_BAD_REQUEST:
		return 400;
	case SVC_UNAUTHORIZED:
		return 401;
	case SVC_FORBIDDEN:
		return 403;
	case SVC_NOT_FOUND:
		return 404;
	case SVC_CONFLICT:
		return 409;
	case SVC_TOO_LARGE:
		return 413;
	case SVC_UNSUPPORTED:
		return 415;
	case SVC_INVALID:
		return 422;
	case SVC_THROTTLED:
		return 429;
	case SVC_TEMPFAIL:
		return 503;
	}
	return 500;
}

const char *
svc_status_code(enum svc_status status)
{
	switch (status) {
	case SVC_OK:
		return "ok";
	case SVC_BAD_REQUEST:
		return "bad_request";
	case SVC_UNAUTHORIZED:
		return "unauthorized";
	case SVC_FORBIDDEN:
		return "forbidden";
	case SVC_NOT_FOUND:
		return "not_found";
	case SVC_CONFLICT:
		return "conflict";
	case SVC_TOO_LARGE:
		return "too_large";
	case SVC_UNSUPPORTED:
		return "unsupported_media_type";
	case SVC_INVALID:
		return "invalid";
	case SVC_THROTTLED:
		return "too_many_requests";
	case SVC_TEMPFAIL:
		return "temporary_failure";
	}
	return "internal";
}

void
svc_result_ok(struct svc_result *res)
{
	res->status = SVC_OK;
	res->field[0] = '\0';
	res->message[0] = '\0';
}

void
svc_result_set(struct svc_result *res, enum svc_status status,
	       const char *field, const char *fmt, ...)
{
	va_list ap;
	int ret;

	res->status = status;
	if (casier_snprintf(res->field, sizeof(res->field), "%s",
			    field != NULL ? field : "") < 0)
		res->field[0] = '\0';
	va_start(ap, fmt);
	ret = vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	if (ret < 0)
		res->message[0] = '\0';
	/* a truncated message is still a useful message */
}

int
svc_page_parse(const char *limit, const char *cursor, const char *q,
	       unsigned int default_limit, struct svc_page *page_r,
	       struct svc_result *res)
{
	memset(page_r, 0, sizeof(*page_r));
	page_r->limit = default_limit;
	if (limit != NULL) {
		char *end;
		unsigned long v;

		errno = 0;
		if (limit[0] < '0' || limit[0] > '9')
			goto bad_limit;
		v = strtoul(limit, &end, 10);
		if (errno != 0 || *end != '\0' || v < 1 || v > SVC_LIMIT_MAX)
			goto bad_limit;
		page_r->limit = (unsigned int)v;
	}
	if (cursor != NULL && cursor[0] != '\0') {
		char dir, key[SVC_CURSOR_MAX];

		if (svc_cursor_decode(cursor, &dir, key, sizeof(key)) < 0) {
			svc_result_set(res, SVC_BAD_REQUEST, "cursor",
				       "invalid cursor");
			return -1;
		}
		page_r->cursor = cursor;
	}
	if (q != NULL && q[0] != '\0') {
		if (strlen(q) > SVC_QUERY_MAX) {
			svc_result_set(res, SVC_BAD_REQUEST, "q",
				       "search text too long");
			return -1;
		}
		if (!casier_utf8_valid(q, strlen(q))) {
			svc_result_set(res, SVC_BAD_REQUEST, "q",
				       "search text is not valid UTF-8");
			return -1;
		}
		page_r->q = q;
	}
	svc_result_ok(res);
	return 0;
bad_limit:
	svc_result_set(res, SVC_BAD_REQUEST, "limit",
		       "limit must be an integer from 1 to %d", SVC_LIMIT_MAX);
	return -1;
}

/* A cursor is base64url("n:" or "p:" + key), key being the sort key of
 * the last (next) or first (prev) row shown. */
int
svc_cursor_encode(char dir, const char *key, char *out, size_t outsize)
{
	char raw[SVC_CURSOR_MAX];
	size_t klen = strlen(key);

	if ((dir != 'n' && dir != 'p') || klen + 2 > sizeof(raw))
		return -1;
	raw[0] = dir;
	raw[1] = ':';
	memcpy(raw + 2, key, klen);
	if (outsize < sodium_base64_ENCODED_LEN(
			  klen + 2, sodium_base64_VARIANT_URLSAFE_NO_PADDING))
		return -1;
	sodium_bin2base64(out, outsize, (const unsigned char *)raw, klen + 2,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return 0;
}

int
svc_cursor_decode(const char *cursor, char *dir_r, char *key, size_t keysize)
{
	unsigned char raw[SVC_CURSOR_MAX];
	size_t len, clen = strlen(cursor);
	const char *end = NULL;

	/* only the base64url alphabet, all of it consumed: one text per
	 * cursor (libsodium stops quietly at a foreign character) */
	if (clen > SVC_CURSOR_MAX ||
	    strspn(cursor,
		   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789-_") != clen ||
	    sodium_base642bin(raw, sizeof(raw), cursor, clen, NULL, &len, &end,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    end != cursor + clen)
		return -1;
	if (len < 2 || (raw[0] != 'n' && raw[0] != 'p') || raw[1] != ':' ||
	    len - 2 >= keysize || memchr(raw + 2, '\0', len - 2) != NULL)
		return -1;
	*dir_r = (char)raw[0];
	memcpy(key, raw + 2, len - 2);
	key[len - 2] = '\0';
	return 0;
}

long long
svc_usage_kb(long long usage_bytes)
{
	return usage_bytes <= 0 ? 0 : usage_bytes / 1024;
}

long long
svc_usage_percent_x10(long long usage_bytes, long long quota_bytes)
{
	long double p;

	if (usage_bytes <= 0 || quota_bytes <= 0)
		return 0;
	/* 1000 * used / quota, rounded half up; long double avoids the
	 * overflow of 1000 * bytes near 2^63 */
	p = (long double)usage_bytes * 1000.0L / (long double)quota_bytes;
	return (long long)(p + 0.5L);
}

/* ---- CSV (RFC 4180) ---- */

int
svc_csv_record(const char *data, size_t len, size_t *pos, char *buf,
	       size_t bufsize, const char **fields, size_t maxfields,
	       size_t *nfields_r)
{
	size_t i = *pos, used = 0, nf = 0;
	bool in_quotes = false, was_quoted = false;

	*nfields_r = 0;
	if (i >= len || bufsize == 0 || maxfields == 0)
		return 0;
	fields[nf++] = buf;
	for (;;) {
		char c;

		if (i >= len) {
			if (in_quotes)
				return -1; /* unterminated quote */
			break;
		}
		c = data[i++];
		if (c == '\0')
			return -1;
		if (in_quotes) {
			if (c == '"') {
				if (i < len && data[i] == '"') {
					i++; /* "" is one quote */
				} else {
					in_quotes = false;
					continue;
				}
			}
		} else if (c == '"') {
			/* a quote opens a field only at its start */
			if (used > 0 && buf[used - 1] != '\0')
				return -1;
			if (was_quoted)
				return -1;
			in_quotes = was_quoted = true;
			continue;
		} else if (c == ',') {
			if (used >= bufsize || nf >= maxfields)
				return -1;
			buf[used++] = '\0';
			fields[nf++] = buf + used;
			was_quoted = false;
			continue;
		} else if (c == '\n' || c == '\r') {
			if (c == '\r' && i < len && data[i] == '\n')
				i++;
			break;
		} else if (was_quoted) {
			return -1; /* junk after a closing quote */
		}
		if (used + 1 >= bufsize)
			return -1;
		buf[used++] = c;
	}
	if (used >= bufsize)
		return -1;
	buf[used] = '\0';
	*pos = i;
	*nfields_r = nf;
	return 1;
}

int
svc_csv_field(struct str *out, const char *value)
{
	if (strpbrk(value, ",\"\r\n") == NULL)
		return str_append(out, value);
	if (str_append_char(out, '"') < 0)
		return -1;
	for (; *value != '\0'; value++) {
		if (*value == '"' && str_append_char(out, '"') < 0)
			return -1;
		if (str_append_char(out, *value) < 0)
			return -1;
	}
	return str_append_char(out, '"');
}

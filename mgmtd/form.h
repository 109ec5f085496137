/*
 * form.h - application/x-www-form-urlencoded bodies and query strings
 * (HTML 5 "application/x-www-form-urlencoded parsing", RFC 3986 %XX).
 *
 * The parser is strict because what it returns goes straight into the
 * service layer: it refuses (and returns nothing) on a body over the
 * limit, too many fields, a name or value over its limit, a bad %XX
 * escape, a decoded NUL byte, any other control character except TAB,
 * CR and LF in values, and invalid UTF-8 (overlongs, surrogates, values
 * above U+10FFFF).  Names must be [A-Za-z0-9_.-].
 */
#ifndef CASIER_FORM_H
#define CASIER_FORM_H

#include "casier.h"

struct form_limits {
	size_t max_body; /* bytes of the encoded input */
	size_t max_fields;
	size_t max_name;  /* decoded bytes */
	size_t max_value; /* decoded bytes */
};

/* 64 KiB body, 200 fields, 64-byte names, 8 KiB values. */
extern const struct form_limits form_default_limits;

enum form_error {
	FORM_OK,
	FORM_TOO_LARGE,	 /* body, a name or a value over its limit */
	FORM_TOO_MANY,	 /* more fields than max_fields */
	FORM_BAD_ESCAPE, /* malformed %XX */
	FORM_BAD_NAME,	 /* empty or unexpected characters in a name */
	FORM_NUL,	 /* %00 in a name or value */
	FORM_CONTROL,	 /* another control character */
	FORM_BAD_UTF8,
	FORM_NOMEM,
};

struct form_field {
	char *name;
	char *value;
};

struct form {
	struct form_field *fields;
	size_t n;
};

/*
 * Parse len bytes of input (which may contain NUL bytes; they are an
 * error) into form_r.  On error nothing is returned (form_r is empty and
 * needs no form_free).
 */
enum form_error form_parse(const char *input, size_t len,
			   const struct form_limits *limits,
			   struct form *form_r);
void form_free(struct form *form);

/* The first value of name, or NULL. */
const char *form_get(const struct form *form, const char *name);
/* The n-th (0-based) value of name, or NULL: for repeated fields. */
const char *form_get_nth(const struct form *form, const char *name, size_t n);
size_t form_count(const struct form *form, const char *name);

/* A short English text for an error (logs). */
const char *form_error_str(enum form_error err);

/* True when s[0..len) is valid UTF-8 (RFC 3629). */
bool form_utf8_valid(const char *s, size_t len);

#endif

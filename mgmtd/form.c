/*
 * form.c - strict urlencoded form and query-string parsing (form.h).
 *
 * Called by casier-mgmtd's page handlers (unprivileged) for every POST
 * body and query string before anything reaches the service layer.
 * All-or-nothing: on any error the whole input is refused, the caller
 * answers 400/413 and nothing changes.  Allocation failure is FORM_NOMEM
 * (the caller answers 500).
 */
#include "form.h"

#include <stdlib.h>
#include <string.h>

const struct form_limits form_default_limits = {
    .max_body = 64 * 1024,
    .max_fields = 200,
    .max_name = 64,
    .max_value = 8 * 1024,
};

bool
form_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		unsigned char c = p[i];
		size_t need;
		unsigned int cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return false; /* continuation byte, C0/C1, F5..FF */
		}
		if (len - i <= need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (p[i + k] & 0x3f);
		}
		/* RFC 3629 section 3: no overlongs, surrogates, > U+10FFFF */
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += need + 1;
	}
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode [s, s+len) into a new string (decoded length <= len). */
static enum form_error
decode(const char *s, size_t len, size_t max, bool is_name, char **out_r)
{
	char *out = malloc(len + 1);
	size_t o = 0;

	if (out == NULL)
		return FORM_NOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi, lo;

			if (len - i < 3 || (hi = hexval(s[i + 1])) < 0 ||
			    (lo = hexval(s[i + 2])) < 0) {
				free(out);
				return FORM_BAD_ESCAPE;
			}
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
		}
		if (c == '\0') {
			free(out);
			return FORM_NUL;
		}
		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
		    c == 0x7f) {
			free(out);
			return FORM_CONTROL;
		}
		if (o >= max) {
			free(out);
			return FORM_TOO_LARGE;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (!form_utf8_valid(out, o)) {
		free(out);
		return FORM_BAD_UTF8;
	}
	if (is_name) {
		if (o == 0) {
			free(out);
			return FORM_BAD_NAME;
		}
		for (size_t i = 0; i < o; i++) {
			char c = out[i];

			if (!((c >= 'a' && c <= 'z') ||
			      (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
			      c == '-')) {
				free(out);
				return FORM_BAD_NAME;
			}
		}
	}
	*out_r = out;
	return FORM_OK;
}

void
form_free(struct form *form)
{
	for (size_t i = 0; i < form->n; i++) {
		free(form->fields[i].name);
		free(form->fields[i].value);
	}
	free(form->fields);
	form->fields = NULL;
	form->n = 0;
}

enum form_error
form_parse(const char *input, size_t len, const struct form_limits *limits,
	   struct form *form_r)
{
	struct form f = {0};
	size_t cap = 0, pos = 0;
	enum form_error err = FORM_OK;

	if (limits == NULL)
		limits = &form_default_limits;
	form_r->fields = NULL;
	form_r->n = 0;
	if (len > limits->max_body)
		return FORM_TOO_LARGE;
	while (pos < len) {
		const char *seg = input + pos;
		const char *amp = memchr(seg, '&', len - pos);
		size_t seglen = amp == NULL ? len - pos : (size_t)(amp - seg);
		const char *eq;
		size_t nlen;
		struct form_field fld = {0};

		pos += seglen + (amp != NULL ? 1 : 0);
		if (seglen == 0)
			continue; /* "a=1&&b=2" as browsers do */
		if (f.n >= limits->max_fields) {
			err = FORM_TOO_MANY;
			break;
		}
		eq = memchr(seg, '=', seglen);
		nlen = eq == NULL ? seglen : (size_t)(eq - seg);
		err = decode(seg, nlen, limits->max_name, true, &fld.name);
		if (err != FORM_OK)
			break;
		err = eq == NULL
			  ? decode("", 0, limits->max_value, false, &fld.value)
			  : decode(eq + 1, seglen - nlen - 1, limits->max_value,
				   false, &fld.value);
		if (err != FORM_OK) {
			free(fld.name);
			break;
		}
		if (f.n == cap) {
			size_t ncap = cap == 0 ? 8 : cap * 2;
			struct form_field *nf =
			    realloc(f.fields, ncap * sizeof(*nf));

			if (nf == NULL) {
				free(fld.name);
				free(fld.value);
				err = FORM_NOMEM;
				break;
			}
			f.fields = nf;
			cap = ncap;
		}
		f.fields[f.n++] = fld;
	}
	if (err != FORM_OK) {
		form_free(&f);
		return err;
	}
	*form_r = f;
	return FORM_OK;
}

const char *
form_get_nth(const struct form *form, const char *name, size_t n)
{
	for (size_t i = 0; i < form->n; i++)
		if (strcmp(form->fields[i].name, name) == 0 && n-- == 0)
			return form->fields[i].value;
	return NULL;
}

const char *
form_get(const struct form *form, const char *name)
{
	return form_get_nth(form, name, 0);
}

size_t
form_count(const struct form *form, const char *name)
{
	size_t c = 0;

	for (size_t i = 0; i < form->n; i++)
		if (strcmp(form->fields[i].name, name) == 0)
			c++;
	return c;
}

const char *
form_error_str(enum form_error err)
{
	switch (err) {
	case FORM_OK:
		return "ok";
	case FORM_TOO_LARGE:
		return "form too large";
	case FORM_TOO_MANY:
		return "too many form fields";
	case FORM_BAD_ESCAPE:
		return "malformed percent escape";
	case FORM_BAD_NAME:
		return "bad field name";
	case FORM_NUL:
		return "NUL byte in form";
	case FORM_CONTROL:
		return "control character in form";
	case FORM_BAD_UTF8:
		return "invalid UTF-8 in form";
	case FORM_NOMEM:
		return "out of memory";
	}
	return "unknown form error";
}

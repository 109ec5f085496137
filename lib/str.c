/*
 * str.c - growing strings with a hard maximum, snprintf with the
 * truncation check, ASCII case helpers (STYLE.md rule 6).
 *
 * Used by every component.  Failures (maximum reached, out of memory)
 * return -1 and leave the string as it was.
 */
#include "str.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
str_init(struct str *s, size_t max)
{
	s->data = NULL;
	s->len = 0;
	s->cap = 0;
	s->max = max;
}

void
str_free(struct str *s)
{
	free(s->data);
	s->data = NULL;
	s->len = 0;
	s->cap = 0;
}

void
str_clear(struct str *s)
{
	s->len = 0;
	if (s->data != NULL)
		s->data[0] = '\0';
}

/* Make room for n more bytes plus the terminating NUL. */
static int
str_reserve(struct str *s, size_t n)
{
	size_t need, newcap;
	char *p;

	/* s->len <= s->max, so max - len cannot wrap. */
	if (n > s->max - s->len || s->len + n == SIZE_MAX)
		return -1;
	need = s->len + n + 1; /* cannot wrap: len + n < SIZE_MAX */
	if (need <= s->cap)
		return 0;
	newcap = s->cap < 64 ? 64 : s->cap;
	while (newcap < need) {
		if (newcap > SIZE_MAX / 2) {
			newcap = need;
			break;
		}
		newcap *= 2;
	}
	/* Never allocate past max + 1; need <= max + 1 still fits. */
	if (s->max < SIZE_MAX && newcap > s->max + 1)
		newcap = s->max + 1;
	p = realloc(s->data, newcap);
	if (p == NULL)
		return -1;
	s->data = p;
	s->cap = newcap;
	return 0;
}

int
str_append_mem(struct str *s, const void *mem, size_t n)
{
	if (str_reserve(s, n) < 0)
		return -1;
	if (n > 0)
		memcpy(s->data + s->len, mem, n);
	s->len += n;
	s->data[s->len] = '\0';
	return 0;
}

int
str_append(struct str *s, const char *cstr)
{
	return str_append_mem(s, cstr, strlen(cstr));
}

int
str_append_char(struct str *s, char c)
{
	return str_append_mem(s, &c, 1);
}

int
str_vappendf(struct str *s, const char *fmt, va_list ap)
{
	va_list ap2;
	int ret;
	size_t n;

	va_copy(ap2, ap);
	ret = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (ret < 0)
		return -1;
	n = (size_t)ret;
	if (str_reserve(s, n) < 0)
		return -1;
	/* str_reserve guaranteed len + n + 1 <= cap. */
	ret = vsnprintf(s->data + s->len, s->cap - s->len, fmt, ap);
	if (ret < 0 || (size_t)ret != n) {
		s->data[s->len] = '\0';
		return -1;
	}
	s->len += n;
	return 0;
}

int
str_appendf(struct str *s, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = str_vappendf(s, fmt, ap);
	va_end(ap);
	return ret;
}

char *
str_steal(struct str *s)
{
	char *p = s->data;

	if (p == NULL)
		p = calloc(1, 1);
	s->data = NULL;
	s->len = 0;
	s->cap = 0;
	return p;
}

int
casier_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (ret < 0 || (size_t)ret >= size)
		return -1;
	return ret;
}

void
casier_ascii_lower(char *s)
{
	for (; *s != '\0'; s++) {
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
	}
}

static char
ascii_lower_char(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool
casier_streq_nocase(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		if (ascii_lower_char(*a) != ascii_lower_char(*b))
			return false;
	}
	return *a == *b;
}

size_t
casier_utf8_char_len(const char *str, size_t n, unsigned int *cp_r)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len;
	unsigned int cp;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		len = 1;
		cp = s[0];
		goto out;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
out:
	if (cp_r != NULL)
		*cp_r = cp;
	return len;
}

bool
casier_utf8_valid(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		n = casier_utf8_char_len(s + i, len - i, NULL);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

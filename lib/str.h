/*
 * str.h - a growing string with a hard maximum (STYLE.md rule 6).
 *
 * Appending past the maximum fails (returns -1) and leaves the string
 * unchanged; allocation failure also returns -1.  The buffer is always
 * NUL-terminated, but may contain NUL bytes before len when binary data
 * was appended with str_append_mem().  data is NULL until the first
 * successful append (appending "" is enough to get an empty string).
 */
#ifndef CASIER_STR_H
#define CASIER_STR_H

#include "casier.h"

#include <stdarg.h>

struct str {
	char *data;
	size_t len;
	size_t cap;
	size_t max; /* hard maximum of len */
};

void str_init(struct str *s, size_t max);
void str_free(struct str *s);
void str_clear(struct str *s);
int str_append(struct str *s, const char *cstr);
int str_append_mem(struct str *s, const void *mem, size_t n);
int str_append_char(struct str *s, char c);
int str_appendf(struct str *s, const char *fmt, ...) CASIER_ATTR_PRINTF(2, 3);
int str_vappendf(struct str *s, const char *fmt, va_list ap)
    CASIER_ATTR_PRINTF(2, 0);
/* Detach the buffer (caller frees it); the str is left empty. */
char *str_steal(struct str *s);

/* snprintf with the truncation check: -1 when it did not fit. */
int casier_snprintf(char *buf, size_t size, const char *fmt, ...)
    CASIER_ATTR_PRINTF(3, 4);

/* ASCII case helpers (mail addresses are ASCII after IDNA). */
void casier_ascii_lower(char *s);
bool casier_streq_nocase(const char *a, const char *b);

/*
 * Length (1-4) of the valid UTF-8 character at s, reading at most n > 0
 * bytes, or 0 when the bytes there are not valid UTF-8 (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF).  *cp_r gets
 * the code point when not NULL.
 */
size_t casier_utf8_char_len(const char *s, size_t n, unsigned int *cp_r);
/* Whether the len bytes at s are valid UTF-8 (NUL bytes count as valid). */
bool casier_utf8_valid(const char *s, size_t len);

#endif

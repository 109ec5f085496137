/*
 * casier-config.c - load the one INI-style configuration file (libinih).
 *
 * Every program calls config_load() once at start-up with a table of the
 * keys it reads; the result is a plain struct the program treats as
 * const afterwards.  No privileges needed beyond reading the file.  Any
 * problem (missing file, syntax error, unknown section, unknown key or
 * bad value in an owned section, missing required key) fails the whole
 * load with "path:line: reason" so the program refuses to start.
 */
#include "casier-config.h"
#include "str.h"

#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef CASIER_SYSCONFDIR
#define CASIER_SYSCONFDIR "/etc/casier"
#endif

/* Every section any Casier program reads; anything else is a typo. */
static const char *const config_known_sections[] = {
    "database", "log",	"paths", "delivery", "srs",
    "policy",	"scan", "web",	 "vacation", "archive",
};

struct config_ctx {
	const char *path;
	FILE *fp;
	const struct config_key *keys;
	size_t nkeys;
	void *target;
	bool *seen;   /* per key: given in the file */
	int lineno;   /* line most recently handed to inih */
	int err_line; /* first error found by us, 0 = none */
	char err_reason[256];
};

const char *
config_default_path(void)
{
	const char *env = getenv(CONFIG_ENV);

	if (env != NULL && env[0] != '\0')
		return env;
	return CASIER_SYSCONFDIR "/casier.conf";
}

static void CASIER_ATTR_PRINTF(2, 3)
    config_error(struct config_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (ctx->err_line != 0 && ctx->err_line <= ctx->lineno)
		return; /* keep the first one */
	ctx->err_line = ctx->lineno;
	va_start(ap, fmt);
	if (vsnprintf(ctx->err_reason, sizeof(ctx->err_reason), fmt, ap) < 0)
		ctx->err_reason[0] = '\0';
	va_end(ap);
}

static bool
config_section_known(const char *name)
{
	for (size_t i = 0; i < CASIER_ARRAY_LEN(config_known_sections); i++) {
		if (strcmp(config_known_sections[i], name) == 0)
			return true;
	}
	return false;
}

/* Owned: at least one non-shared key of the table is in that section. */
static bool
config_section_owned(const struct config_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->nkeys; i++) {
		if (!ctx->keys[i].shared &&
		    strcmp(ctx->keys[i].section, name) == 0)
			return true;
	}
	return false;
}

/*
 * The line reader handed to inih: counts lines so handler errors carry
 * the right number, and catches what inih would silently accept in a
 * surprising way (over-long lines, indented continuation lines, section
 * names nobody knows even when the section is empty).
 */
static char *
config_reader(char *buf, int num, void *stream)
{
	struct config_ctx *ctx = stream;
	size_t len = 0, max = num > 1 ? (size_t)num - 1 : 0;
	bool nul = false, toolong = false;
	const char *p;
	int c;

	while ((c = fgetc(ctx->fp)) != EOF) {
		if (c == '\0') {
			nul = true;
			c = '?';
		}
		if (len < max)
			buf[len++] = (char)c;
		else if (c != '\n')
			toolong = true;
		if (c == '\n')
			break;
	}
	if (len == 0 && c == EOF)
		return NULL;
	buf[len] = '\0';
	ctx->lineno++;
	if (toolong || nul) {
		if (toolong)
			config_error(ctx, "line longer than %zu characters",
				     max);
		else
			config_error(ctx, "NUL byte in line");
		buf[0] = '\0';
		return buf;
	}
	p = buf;
	if (ctx->lineno == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	if ((*p == ' ' || *p == '\t') && p[strspn(p, " \t\r\n")] != '\0' &&
	    p[strspn(p, " \t")] != '#' && p[strspn(p, " \t")] != ';') {
		config_error(ctx, "indented line (continuation lines are not "
				  "supported)");
		buf[0] = '\0';
		return buf;
	}
	if (*p == '[') {
		const char *end = strchr(p, ']');
		char name[64];
		size_t n;

		if (end != NULL) {
			n = (size_t)(end - p - 1);
			if (n >= sizeof(name)) {
				config_error(ctx, "section name too long");
			} else {
				memcpy(name, p + 1, n);
				name[n] = '\0';
				if (!config_section_known(name))
					config_error(
					    ctx, "unknown section [%s]", name);
			}
		}
	}
	return buf;
}

static int
config_parse_bool(const char *value, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < CASIER_ARRAY_LEN(yes); i++) {
		if (casier_streq_nocase(value, yes[i])) {
			*out = true;
			return 0;
		}
		if (casier_streq_nocase(value, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

static int
config_parse_ll(const char *value, long long *out)
{
	char *end;

	if (value[0] == '\0')
		return -1;
	errno = 0;
	*out = strtoll(value, &end, 10);
	if (errno != 0 || *end != '\0')
		return -1;
	return 0;
}

/*
 * A size: "512", "512k", "10M", "4.7G", "1T" (1024-based; an optional
 * trailing "B" or "iB" is accepted).  Up to 9 decimals; the result is
 * rounded down to whole bytes.  Overflow is an error.
 */
static int
config_parse_size(const char *value, unsigned long long *out)
{
	unsigned long long whole = 0, frac = 0, fracdiv = 1, mult = 1, res;
	const char *p = value;
	int ndigits = 0, nfrac = 0;

	for (; *p >= '0' && *p <= '9'; p++, ndigits++) {
		if (__builtin_mul_overflow(whole, 10ULL, &whole) ||
		    __builtin_add_overflow(whole, (unsigned)(*p - '0'), &whole))
			return -1;
	}
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, nfrac++) {
			if (nfrac >= 9)
				return -1;
			frac = frac * 10 + (unsigned)(*p - '0');
			fracdiv *= 10;
		}
		if (nfrac == 0)
			return -1;
	}
	if (ndigits == 0)
		return -1;
	switch (*p) {
	case '\0':
		break;
	case 'b':
	case 'B':
		p++;
		break;
	case 'k':
	case 'K':
		mult = 1ULL << 10;
		p++;
		break;
	case 'm':
	case 'M':
		mult = 1ULL << 20;
		p++;
		break;
	case 'g':
	case 'G':
		mult = 1ULL << 30;
		p++;
		break;
	case 't':
	case 'T':
		mult = 1ULL << 40;
		p++;
		break;
	default:
		return -1;
	}
	if (mult > 1 && (*p == 'i' || *p == 'I') &&
	    (p[1] == 'b' || p[1] == 'B'))
		p += 2;
	else if (mult > 1 && (*p == 'b' || *p == 'B'))
		p++;
	if (*p != '\0')
		return -1;
	if (nfrac > 0 && mult == 1)
		return -1; /* "1.5" bytes makes no sense */
	if (__builtin_mul_overflow(whole, mult, &res))
		return -1;
	/* frac < 10^9 and mult <= 2^40: the product fits in 2^70?  No:
	 * compute in two steps to stay within 64 bits. */
	if (nfrac > 0) {
		unsigned long long part = (mult / fracdiv) * frac +
					  ((mult % fracdiv) * frac) / fracdiv;
		if (__builtin_add_overflow(res, part, &res))
			return -1;
	}
	*out = res;
	return 0;
}

/* A duration: plain seconds, or a number with s, m, h, d or w. */
static int
config_parse_duration(const char *value, long long *out)
{
	long long n = 0, mult = 1;
	const char *p = value;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (__builtin_mul_overflow(n, 10LL, &n) ||
		    __builtin_add_overflow(n, (long long)(*p - '0'), &n))
			return -1;
	}
	switch (*p) {
	case '\0':
		break;
	case 's':
		p++;
		break;
	case 'm':
		mult = 60;
		p++;
		break;
	case 'h':
		mult = 3600;
		p++;
		break;
	case 'd':
		mult = 86400;
		p++;
		break;
	case 'w':
		mult = 7 * 86400;
		p++;
		break;
	default:
		return -1;
	}
	if (*p != '\0' || __builtin_mul_overflow(n, mult, &n))
		return -1;
	*out = n;
	return 0;
}

/*
 * Parse value for key into target.  Returns 0, or -1 with reason (a
 * static or buffer-held text) describing what was expected.
 */
static int
config_set(const struct config_key *key, void *target, const char *value,
	   char *reason, size_t reasonsize)
{
	char *field = (char *)target + key->offset;
	bool bounded = key->min < key->max;

	switch (key->type) {
	case CONFIG_STRING: {
		char *copy = NULL;

		if (value != NULL) {
			copy = strdup(value);
			if (copy == NULL) {
				(void)casier_snprintf(reason, reasonsize,
						      "out of memory");
				return -1;
			}
		}
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	}
	case CONFIG_INT: {
		long long v;

		if (config_parse_ll(value, &v) < 0) {
			(void)casier_snprintf(reason, reasonsize,
					      "expected an integer");
			return -1;
		}
		if (bounded && (v < key->min || v > key->max)) {
			(void)casier_snprintf(reason, reasonsize,
					      "must be between %lld and %lld",
					      key->min, key->max);
			return -1;
		}
		*(long long *)field = v;
		return 0;
	}
	case CONFIG_BOOL: {
		bool v;

		if (config_parse_bool(value, &v) < 0) {
			(void)casier_snprintf(reason, reasonsize,
					      "expected yes or no");
			return -1;
		}
		*(bool *)field = v;
		return 0;
	}
	case CONFIG_SIZE: {
		unsigned long long v;

		if (config_parse_size(value, &v) < 0) {
			(void)casier_snprintf(reason, reasonsize,
					      "expected a size such as 512k, "
					      "10M or 4.7G");
			return -1;
		}
		if (bounded &&
		    (v < (unsigned long long)(key->min < 0 ? 0 : key->min) ||
		     v > (unsigned long long)key->max)) {
			(void)casier_snprintf(reason, reasonsize,
					      "must be between %lld and %lld "
					      "bytes",
					      key->min, key->max);
			return -1;
		}
		*(unsigned long long *)field = v;
		return 0;
	}
	case CONFIG_DURATION: {
		long long v;

		if (config_parse_duration(value, &v) < 0) {
			(void)casier_snprintf(reason, reasonsize,
					      "expected a duration such as "
					      "30s, 5m, 2h or 3d");
			return -1;
		}
		if (bounded && (v < key->min || v > key->max)) {
			(void)casier_snprintf(reason, reasonsize,
					      "must be between %lld and %lld "
					      "seconds",
					      key->min, key->max);
			return -1;
		}
		*(long long *)field = v;
		return 0;
	}
	case CONFIG_ENUM: {
		struct str names;

		for (int i = 0; key->choices != NULL && key->choices[i] != NULL;
		     i++) {
			if (strcmp(value, key->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		str_init(&names, reasonsize);
		for (int i = 0; key->choices != NULL && key->choices[i] != NULL;
		     i++)
			(void)str_appendf(&names, "%s%s", i > 0 ? ", " : "",
					  key->choices[i]);
		(void)casier_snprintf(reason, reasonsize, "expected one of: %s",
				      names.data != NULL ? names.data : "");
		str_free(&names);
		return -1;
	}
	}
	(void)casier_snprintf(reason, reasonsize, "internal: bad key type");
	return -1;
}

static int
config_handler(void *user, const char *section, const char *name,
	       const char *value)
{
	struct config_ctx *ctx = user;
	char reason[160];

	if (section[0] == '\0') {
		config_error(ctx, "key \"%s\" outside of a section", name);
		return 0;
	}
	if (!config_section_known(section))
		return 0; /* reported by the reader */
	for (size_t i = 0; i < ctx->nkeys; i++) {
		const struct config_key *key = &ctx->keys[i];

		if (strcmp(key->section, section) != 0 ||
		    strcmp(key->name, name) != 0)
			continue;
		if (ctx->seen[i]) {
			config_error(ctx, "[%s] %s given twice", section, name);
			return 0;
		}
		ctx->seen[i] = true;
		if (config_set(key, ctx->target, value, reason,
			       sizeof(reason)) < 0) {
			config_error(ctx, "[%s] %s: %s", section, name, reason);
			return 0;
		}
		return 1;
	}
	if (config_section_owned(ctx, section)) {
		config_error(ctx, "unknown key \"%s\" in section [%s]", name,
			     section);
		return 0;
	}
	return 1; /* another program's section */
}

int
config_load(const char *path, const struct config_key *keys, size_t nkeys,
	    void *target, char *error_r, size_t errsize)
{
	struct config_ctx ctx = {
	    .path = path,
	    .keys = keys,
	    .nkeys = nkeys,
	    .target = target,
	};
	char reason[160];
	int ret, rc = -1;

	/* Defaults first (they are parsed like file values). */
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].type == CONFIG_STRING)
			*(char **)((char *)target + keys[i].offset) = NULL;
		if (keys[i].default_value == NULL)
			continue;
		if (config_set(&keys[i], target, keys[i].default_value, reason,
			       sizeof(reason)) < 0) {
			(void)casier_snprintf(
			    error_r, errsize, "%s:0: default of [%s] %s: %s",
			    path, keys[i].section, keys[i].name, reason);
			return -1;
		}
	}
	ctx.seen = calloc(nkeys > 0 ? nkeys : 1, sizeof(*ctx.seen));
	if (ctx.seen == NULL) {
		(void)casier_snprintf(error_r, errsize, "%s:0: out of memory",
				      path);
		return -1;
	}
	ctx.fp = fopen(path, "r");
	if (ctx.fp == NULL) {
		(void)casier_snprintf(error_r, errsize, "%s:0: cannot open: %s",
				      path, strerror(errno));
		goto out;
	}
	ret = ini_parse_stream(config_reader, &ctx, config_handler, &ctx);
	if (ferror(ctx.fp)) {
		(void)casier_snprintf(error_r, errsize, "%s:0: read error: %s",
				      path, strerror(errno));
		goto out;
	}
	if (ret < 0) {
		(void)casier_snprintf(error_r, errsize, "%s:0: out of memory",
				      path);
		goto out;
	}
	if (ret > 0 && (ctx.err_line == 0 || ret < ctx.err_line)) {
		/* inih found a line it could not parse before any of ours. */
		(void)casier_snprintf(error_r, errsize,
				      "%s:%d: syntax error (expected "
				      "[section] or key = value)",
				      path, ret);
		goto out;
	}
	if (ctx.err_line != 0) {
		(void)casier_snprintf(error_r, errsize, "%s:%d: %s", path,
				      ctx.err_line, ctx.err_reason);
		goto out;
	}
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].required && !ctx.seen[i]) {
			(void)casier_snprintf(error_r, errsize,
					      "%s:0: missing required key "
					      "[%s] %s",
					      path, keys[i].section,
					      keys[i].name);
			goto out;
		}
	}
	rc = 0;
out:
	if (ctx.fp != NULL)
		(void)fclose(ctx.fp);
	free(ctx.seen);
	if (rc < 0)
		config_free(keys, nkeys, target);
	return rc;
}

void
config_free(const struct config_key *keys, size_t nkeys, void *target)
{
	for (size_t i = 0; i < nkeys; i++) {
		if (keys[i].type == CONFIG_STRING) {
			char **field =
			    (char **)((char *)target + keys[i].offset);
			free(*field);
			*field = NULL;
		}
	}
}

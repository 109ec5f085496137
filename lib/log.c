/*
 * log.c - logging to stderr and/or syslog, and sanitising untrusted text.
 *
 * Every program calls log_open() once at start-up, before it starts
 * threads; after that the settings are only read, so logging is
 * thread-safe (syslog(3) and one fprintf per line).  The final line is
 * also stripped of control characters, so a caller that forgot
 * log_sanitize() cannot forge log lines.  Logging never fails visibly.
 */
#include "log.h"
#include "str.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#define LOG_LINE_MAX 2048

/*
 * The logging settings: written once by log_open() before threads start
 * (the documented exception to "no mutable global state").
 */
static struct {
	char ident[64];
	bool to_syslog;
	bool to_stderr;
	enum log_level min_level;
} log_settings = {
    .ident = "casier",
    .to_syslog = false,
    .to_stderr = true,
    .min_level = LOG_LEVEL_INFO,
};

void
log_open(const char *ident, bool to_syslog, bool to_stderr,
	 enum log_level min_level)
{
	if (casier_snprintf(log_settings.ident, sizeof(log_settings.ident),
			    "%s", ident) < 0)
		log_settings.ident[sizeof(log_settings.ident) - 1] = '\0';
	log_settings.to_syslog = to_syslog;
	log_settings.to_stderr = to_stderr;
	log_settings.min_level = min_level;
	if (to_syslog)
		openlog(log_settings.ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void
log_close(void)
{
	if (log_settings.to_syslog)
		closelog();
	log_settings.to_syslog = false;
}

static void CASIER_ATTR_PRINTF(2, 0)
    log_vlog(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const prefixes[] = {
	    [LOG_LEVEL_DEBUG] = "debug: ",
	    [LOG_LEVEL_INFO] = "",
	    [LOG_LEVEL_WARNING] = "warning: ",
	    [LOG_LEVEL_ERROR] = "error: ",
	};
	static const int priorities[] = {
	    [LOG_LEVEL_DEBUG] = LOG_DEBUG,
	    [LOG_LEVEL_INFO] = LOG_INFO,
	    [LOG_LEVEL_WARNING] = LOG_WARNING,
	    [LOG_LEVEL_ERROR] = LOG_ERR,
	};
	char line[LOG_LINE_MAX];
	int ret;

	if (level < log_settings.min_level)
		return;
	ret = vsnprintf(line, sizeof(line), fmt, ap);
	if (ret < 0)
		return;
	if ((size_t)ret >= sizeof(line))
		memcpy(line + sizeof(line) - 4, "...", 4);
	/* Defence in depth: no control character reaches a log line. */
	for (char *p = line; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	if (log_settings.to_syslog)
		syslog(priorities[level], "%s%s", prefixes[level], line);
	if (log_settings.to_stderr)
		(void)fprintf(stderr, "%s: %s%s\n", log_settings.ident,
			      prefixes[level], line);
}

#define LOG_DEFINE(fname, level)                                               \
	void fname(const char *fmt, ...)                                       \
	{                                                                      \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		log_vlog((level), fmt, ap);                                    \
		va_end(ap);                                                    \
	}

LOG_DEFINE(log_debug, LOG_LEVEL_DEBUG)
LOG_DEFINE(log_info, LOG_LEVEL_INFO)
LOG_DEFINE(log_warning, LOG_LEVEL_WARNING)
LOG_DEFINE(log_error, LOG_LEVEL_ERROR)

/*
 * Copy src into dst replacing what must go, stopping before the output
 * would exceed limit bytes.  Returns the number of input bytes consumed;
 * *outlen_r is the output length.
 */
static size_t
sanitize_copy(char *dst, size_t limit, const unsigned char *src, size_t len,
	      size_t *outlen_r)
{
	size_t i = 0, o = 0, n;

	while (i < len) {
		unsigned int cp = 0;

		n = casier_utf8_char_len((const char *)src + i, len - i, &cp);
		/* Invalid bytes one by one; a control character (C0, DEL,
		 * C1) as a whole: each becomes one '?'. */
		if (n == 0 || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp <= 0x9f)) {
			if (o + 1 > limit)
				break;
			if (dst != NULL)
				dst[o] = '?';
			o++;
			i += n == 0 ? 1 : n;
			continue;
		}
		if (o + n > limit)
			break;
		if (dst != NULL)
			memcpy(dst + o, src + i, n);
		o += n;
		i += n;
	}
	*outlen_r = o;
	return i;
}

const char *
log_sanitize(char *dst, size_t dstsize, const char *src, size_t len)
{
	const unsigned char *in = (const unsigned char *)src;
	size_t outlen, used;

	if (dstsize == 0)
		return dst;
	/* Does everything fit? */
	used = sanitize_copy(dst, dstsize - 1, in, len, &outlen);
	if (used < len) {
		/* No: keep what fits before a "..." marker. */
		size_t room = dstsize - 1 >= 3 ? dstsize - 1 - 3 : 0;

		(void)sanitize_copy(dst, room, in, len, &outlen);
		for (size_t k = 0; k < 3 && outlen < dstsize - 1; k++)
			dst[outlen++] = '.';
	}
	dst[outlen] = '\0';
	return dst;
}

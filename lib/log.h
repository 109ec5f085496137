/*
 * log.h - logging to stderr and/or syslog.
 *
 * Untrusted text must go through log_sanitize() (or the %s of a value that
 * was sanitised) before it reaches a log line: control characters become
 * '?', and the text is capped.  Replies to peers stay generic; detail goes
 * to the log (STYLE.md rule 8).
 */
#ifndef CASIER_LOG_H
#define CASIER_LOG_H

#include "casier.h"

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR,
};

/* ident: program name; to_syslog / to_stderr choose the sinks. */
void log_open(const char *ident, bool to_syslog, bool to_stderr,
	      enum log_level min_level);
void log_close(void);

void log_debug(const char *fmt, ...) CASIER_ATTR_PRINTF(1, 2);
void log_info(const char *fmt, ...) CASIER_ATTR_PRINTF(1, 2);
void log_warning(const char *fmt, ...) CASIER_ATTR_PRINTF(1, 2);
void log_error(const char *fmt, ...) CASIER_ATTR_PRINTF(1, 2);

/*
 * Copy at most len bytes of untrusted src into dst (size dstsize),
 * replacing control characters and invalid UTF-8 with '?', and marking
 * truncation with "...".  Returns dst.
 */
const char *log_sanitize(char *dst, size_t dstsize, const char *src,
			 size_t len);

#endif

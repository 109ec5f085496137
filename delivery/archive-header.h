/*
 * archive-header.h - what the archive keeps of a message header: the
 * decoded Subject, From and To (RFC 2047 encoded-words to UTF-8), the
 * Message-ID, the spam flag and the inbound marker.  Pure functions on
 * untrusted bytes, fuzzed (tests/fuzz/fuzz-rfc2047.c).
 */
#ifndef CASIER_ARCHIVE_HEADER_H
#define CASIER_ARCHIVE_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/* Longest decoded field kept (bytes of UTF-8, NUL excluded). */
#define ARCHIVE_FIELD_MAX 998

/*
 * The header Postfix's inbound smtpd (the MX role, +25) prepends and every
 * other entry point (internal re-injection +26, submissions +465, pickup)
 * strips in cleanup: its presence means "came from the Internet".
 */
#define ARCHIVE_INBOUND_HEADER "X-Casier-Inbound"

/*
 * The spam verdict of Casier's own scoring (a milter adds it after
 * cleanup's header_checks, which strip it from incoming mail).  Upstream
 * X-Spam-Flag / X-Spam-Status headers are not trusted: a sender could
 * otherwise keep its mail out of the archive.
 */
#define ARCHIVE_SPAM_HEADER "X-Casier-Spam"

struct archive_header {
	char subject[ARCHIVE_FIELD_MAX + 1];
	char from[ARCHIVE_FIELD_MAX + 1];
	char to[ARCHIVE_FIELD_MAX + 1];
	char message_id[ARCHIVE_FIELD_MAX + 1];
	bool spam;    /* ARCHIVE_SPAM_HEADER: yes */
	bool inbound; /* ARCHIVE_INBOUND_HEADER present */
};

/*
 * Decode an unstructured header value (RFC 2047 section 5 (1), also used
 * for the display parts of From/To) into NUL-ended UTF-8 in out.  B and Q
 * encodings, any charset iconv knows (utf-8, iso-8859-1/15, windows-1252,
 * ...); whitespace between adjacent encoded-words is dropped (section
 * 6.2); malformed words stay as they are; bytes that are not valid UTF-8
 * are read as windows-1252; control characters become spaces; the result
 * is cut at outsize - 1 bytes on a character boundary.  The output is
 * always valid UTF-8 without NUL or C0 controls.  outsize >= 1.
 */
void archive_rfc2047_decode(const char *in, size_t len, char *out,
			    size_t outsize);

/*
 * Parse the header part of a message (head..head+len, stops at the empty
 * line): unfolds lines and fills *h (missing fields are "").
 */
void archive_header_parse(const char *head, size_t len,
			  struct archive_header *h);

/*
 * Copy text (len bytes, expected UTF-8; other bytes read as windows-1252)
 * into out as clean UTF-8 like archive_rfc2047_decode, without decoding.
 */
void archive_text_clean(const char *in, size_t len, char *out, size_t outsize);

/* True when s (NUL-ended) is valid UTF-8 without C0 controls or DEL. */
bool archive_utf8_clean(const char *s);

#endif

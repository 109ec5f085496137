/*
 * archive-header.c - the header fields the archive keeps, decoded from
 * RFC 2047 encoded-words to clean UTF-8.
 *
 * Called by archive.c in casier-deliverd (as vmail) and by casier-archive,
 * on the header of untrusted mail.  Pure: no I/O apart from iconv(3),
 * whose descriptors are opened and closed per call (thread-safe).  It
 * cannot fail: whatever the input, the output is valid UTF-8 (what
 * PostgreSQL accepts in a text column), possibly with U+FFFD where bytes
 * could not be converted, cut on a character boundary.
 */
#include "archive-header.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REPLACEMENT 0xFFFDu
/* An encoded-word is at most 75 characters (RFC 2047 section 2); mail in
 * the wild exceeds that, so accept longer ones, up to this. */
#define WORD_MAX    2048
#define CHARSET_MAX 40
/* Longest unfolded header value decoded (longer ones are cut first). */
#define VALUE_MAX 16384

struct out {
	char *p;
	size_t size; /* >= 1; room for the NUL */
	size_t len;
	bool full;
};

static void
out_cp(struct out *o, uint32_t cp)
{
	unsigned char b[4];
	size_t n;

	if (o->full)
		return;
	/* C0, DEL and C1 controls (and NUL) never reach the database */
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		cp = ' ';
	if (cp < 0x80) {
		b[0] = (unsigned char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (unsigned char)(0xc0 | (cp >> 6));
		b[1] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (unsigned char)(0xe0 | (cp >> 12));
		b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xf0 | (cp >> 18));
		b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (unsigned char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	/* o->len <= o->size - 1 always holds, so no underflow */
	if (n > o->size - 1 - o->len) {
		o->full = true; /* cut on a character boundary */
		return;
	}
	memcpy(o->p + o->len, b, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* windows-1252 0x80..0x9f; 0 = undefined */
static const uint16_t cp1252_high[32] = {
    0x20ac, 0,	    0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
    0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,	    0x017d, 0,
    0,	    0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
    0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0,	    0x017e, 0x0178,
};

/*
 * One UTF-8 sequence at s (n bytes available): its length and code
 * point, or 0 when it is not valid (overlong, surrogate, > U+10FFFF,
 * truncated).
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, uint32_t *cp_r)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80) {
		*cp_r = s[0];
		return 1;
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
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	*cp_r = cp;
	return len;
}

/* Bytes that should be UTF-8; anything else is read as windows-1252. */
static void
out_text(struct out *o, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0;

	while (i < n && !o->full) {
		uint32_t cp;
		size_t len = utf8_seq(s + i, n - i, &cp);

		if (len == 0) {
			if (s[i] >= 0x80 && s[i] < 0xa0)
				cp = cp1252_high[s[i] - 0x80];
			else
				cp = s[i];
			if (cp == 0)
				cp = REPLACEMENT;
			len = 1;
		}
		out_cp(o, cp);
		i += len;
	}
}

static bool
charset_is_utf8(const char *cs)
{
	return strcasecmp(cs, "utf-8") == 0 || strcasecmp(cs, "utf8") == 0 ||
	       strcasecmp(cs, "us-ascii") == 0 || strcasecmp(cs, "ascii") == 0;
}

/* Bytes in charset cs, converted to UTF-8 through iconv. */
static void
out_charset(struct out *o, const char *cs, const char *bytes, size_t n)
{
	iconv_t cd;
	char buf[1024];
	char *in = (char *)bytes; /* iconv's prototype; not written to */
	size_t inleft = n;

	if (n == 0)
		return;
	if (charset_is_utf8(cs)) {
		out_text(o, bytes, n);
		return;
	}
	cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1) {
		out_text(o, bytes, n); /* unknown charset: best effort */
		return;
	}
	while (inleft > 0 && !o->full) {
		char *op = buf;
		size_t outleft = sizeof(buf);
		size_t r = iconv(cd, &in, &inleft, &op, &outleft);
		int e = errno;

		/* iconv output is UTF-8; out_text still filters controls */
		out_text(o, buf, sizeof(buf) - outleft);
		if (r == (size_t)-1) {
			if (e == E2BIG)
				continue;
			/* EILSEQ / EINVAL: one bad byte, then go on */
			out_cp(o, REPLACEMENT);
			in++;
			inleft--;
			(void)iconv(cd, NULL, NULL, NULL, NULL);
		}
	}
	(void)iconv(cd, NULL, NULL, NULL, NULL);
	iconv_close(cd);
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode the text of an encoded-word; appends to dst (room: n bytes,
 * decoding never grows the data).  Returns the bytes written. */
static size_t
word_decode(char enc, const char *t, size_t n, char *dst)
{
	size_t w = 0;

	if (enc == 'B' || enc == 'b') {
		uint32_t acc = 0;
		int bits = 0;

		for (size_t i = 0; i < n; i++) {
			int v = b64val((unsigned char)t[i]);

			if (v < 0)
				continue; /* padding or junk */
			acc = (acc << 6) | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				dst[w++] = (char)((acc >> bits) & 0xff);
			}
		}
		return w;
	}
	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (t[i] == '_') {
			dst[w++] = ' ';
		} else if (t[i] == '=' && i + 2 < n &&
			   (hi = hexval((unsigned char)t[i + 1])) >= 0 &&
			   (lo = hexval((unsigned char)t[i + 2])) >= 0) {
			dst[w++] = (char)(hi * 16 + lo);
			i += 2;
		} else {
			dst[w++] = t[i];
		}
	}
	return w;
}

struct word {
	char charset[CHARSET_MAX + 1];
	char enc;
	const char *text;
	size_t textlen;
	size_t total; /* bytes of the whole =?...?= */
};

/* An encoded-word at s (n bytes)?  RFC 2047 section 2, and RFC 2231
 * section 5 for the "*language" suffix of the charset. */
static bool
word_parse(const char *s, size_t n, struct word *w)
{
	size_t i = 2, cs = 0;

	if (n < 8 || s[0] != '=' || s[1] != '?')
		return false;
	while (i < n && s[i] != '?') {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || cs >= CHARSET_MAX)
			return false;
		w->charset[cs++] = (char)c;
		i++;
	}
	w->charset[cs] = '\0';
	if (cs == 0 || i + 3 >= n || s[i + 2] != '?')
		return false;
	w->enc = s[i + 1];
	if (w->enc != 'B' && w->enc != 'b' && w->enc != 'Q' && w->enc != 'q')
		return false;
	{
		char *star = strchr(w->charset, '*');

		if (star != NULL)
			*star = '\0';
		if (w->charset[0] == '\0')
			return false;
	}
	i += 3;
	w->text = s + i;
	while (i + 1 < n && !(s[i] == '?' && s[i + 1] == '=')) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c >= 0x7f || c == '?' || i > WORD_MAX)
			return false;
		i++;
	}
	if (i + 1 >= n)
		return false;
	w->textlen = (size_t)(s + i - w->text);
	w->total = i + 2;
	return true;
}

void
archive_rfc2047_decode(const char *in, size_t len, char *out, size_t outsize)
{
	struct out o = {.p = out, .size = outsize};
	/* decoded bytes of adjacent encoded-words in one charset, converted
	 * together so that a character split across words survives */
	char *pend = NULL, pend_cs[CHARSET_MAX + 1] = "";
	size_t npend = 0, i = 0, lit = 0;

	out[0] = '\0';
	if (len > VALUE_MAX)
		len = VALUE_MAX;
	pend = calloc(1, len + 1);
	if (pend == NULL) {
		out_text(&o, in, len); /* undecoded, still clean */
		return;
	}
	while (i < len && !o.full) {
		struct word w;

		if (in[i] == '=' && word_parse(in + i, len - i, &w)) {
			/* literal text before this word */
			if (lit < i) {
				bool only_ws = npend > 0;

				for (size_t k = lit; k < i && only_ws; k++)
					only_ws = in[k] == ' ' || in[k] == '\t';
				if (!only_ws) {
					out_charset(&o, pend_cs, pend, npend);
					npend = 0;
					out_text(&o, in + lit, i - lit);
				}
			}
			if (npend > 0 && strcasecmp(pend_cs, w.charset) != 0) {
				out_charset(&o, pend_cs, pend, npend);
				npend = 0;
			}
			memcpy(pend_cs, w.charset, sizeof(pend_cs));
			/* decoded length <= text length, and the texts of all
			 * words together are shorter than len */
			npend +=
			    word_decode(w.enc, w.text, w.textlen, pend + npend);
			/* whitespace up to a following word is dropped when
			 * that word comes (section 6.2), kept otherwise */
			i += w.total;
			lit = i;
			continue;
		}
		i++;
	}
	out_charset(&o, pend_cs, pend, npend);
	if (lit < len)
		out_text(&o, in + lit, len - lit);
	free(pend);
}

void
archive_text_clean(const char *in, size_t len, char *out, size_t outsize)
{
	struct out o = {.p = out, .size = outsize};

	out[0] = '\0';
	out_text(&o, in, len);
}

bool
archive_utf8_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;

	while (i < n) {
		uint32_t cp;
		size_t l = utf8_seq(p + i, n - i, &cp);

		if (l == 0 || cp < 0x20 || cp == 0x7f ||
		    (cp >= 0x80 && cp < 0xa0))
			return false;
		i += l;
	}
	return true;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* One unfolded field: name (without ':') and value. */
static void
field_take(struct archive_header *h, const char *name, size_t nlen,
	   const char *value, size_t vlen)
{
#define IS(lit_)                                                               \
	(nlen == sizeof(lit_) - 1 && strncasecmp(name, lit_, nlen) == 0)
	trim(&value, &vlen);
	if (IS("subject") && h->subject[0] == '\0') {
		archive_rfc2047_decode(value, vlen, h->subject,
				       sizeof(h->subject));
	} else if (IS("from") && h->from[0] == '\0') {
		archive_rfc2047_decode(value, vlen, h->from, sizeof(h->from));
	} else if (IS("to") && h->to[0] == '\0') {
		archive_rfc2047_decode(value, vlen, h->to, sizeof(h->to));
	} else if (IS("message-id") && h->message_id[0] == '\0') {
		struct out o = {.p = h->message_id,
				.size = sizeof(h->message_id)};

		out_text(&o, value, vlen);
	} else if (IS(ARCHIVE_SPAM_HEADER)) {
		/* only Casier's own scanner sets it: Postfix strips it from
		 * every incoming message, so a sender cannot use it (or an
		 * X-Spam-Flag of its own) to keep mail out of the archive */
		if (vlen >= 3 && strncasecmp(value, "yes", 3) == 0)
			h->spam = true;
	} else if (IS(ARCHIVE_INBOUND_HEADER)) {
		h->inbound = true;
	}
#undef IS
}

void
archive_header_parse(const char *head, size_t len, struct archive_header *h)
{
	const char *p = head, *end = head + len;
	char *value = malloc(VALUE_MAX);

	memset(h, 0, sizeof(*h));
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *le = eol != NULL ? eol : end;
		const char *colon;
		size_t vlen = 0;

		if (le == p || (le == p + 1 && *p == '\r'))
			break; /* the empty line ends the header */
		colon = memchr(p, ':', (size_t)(le - p));
		if (colon == NULL || *p == ' ' || *p == '\t') {
			/* not a field (or a stray continuation): skip */
			p = eol != NULL ? eol + 1 : end;
			continue;
		}
		/* the value: this line, then continuation lines, without
		 * the CRLFs (RFC 5322 section 2.2.3 unfolding) */
		for (const char *q = colon + 1;;) {
			const char *qe = q;

			while (qe < end && *qe != '\n')
				qe++;
			for (const char *c = q; c < qe; c++)
				if (*c != '\r' && value != NULL &&
				    vlen < VALUE_MAX)
					value[vlen++] = *c;
			if (qe >= end || qe + 1 >= end ||
			    (qe[1] != ' ' && qe[1] != '\t')) {
				eol = qe < end ? qe : NULL;
				break;
			}
			q = qe + 1;
		}
		if (value != NULL)
			field_take(h, p, (size_t)(colon - p), value, vlen);
		if (eol == NULL)
			break;
		p = eol + 1;
	}
	free(value);
}

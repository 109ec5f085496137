/*
 * address.c - parse and normalise mail addresses (DESIGN sections 2, 3).
 *
 * Called by delivery (RCPT), the policy server, the web manager and the
 * CLI on untrusted input.  Pure functions apart from libidn2; no
 * privileges.  Every refusal returns -1 with a static English reason
 * and leaves nothing half-done that the caller could mistake for a
 * result.
 *
 * Accepted: "local[+tag]@domain", optionally inside one pair of angle
 * brackets.  The local part is an ASCII dot-atom (RFC 5322 section 3.4.1,
 * no quoted strings) of at most 64 octets including the tag (RFC 5321
 * section 4.5.3.1.1); it is lower-cased.  The domain may be UTF-8 or
 * ASCII; it becomes lower-case IDNA2008 A-labels (with UTS #46
 * non-transitional mapping, so "Straße" keeps its sharp s), at most
 * 253 octets, labels of at most 63 letters, digits and hyphens, at
 * least two labels.  Address literals ([192.0.2.1]) are refused: no
 * hosted domain or sensible target uses one.
 */
#include "address.h"
#include "str.h"

#include <idn2.h>
#include <stdlib.h>
#include <string.h>

/* Far above any valid address; refuse before doing any work. */
#define ADDRESS_INPUT_MAX 1024

/* RFC 5322 atext: the characters of a dot-atom besides the dots. */
static bool
address_atext(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Dot-atom check on s[0..len): atext runs separated by single dots. */
static int
address_dot_atom_check(const char *s, size_t len, const char **error_r)
{
	if (len == 0) {
		*error_r = "empty local part";
		return -1;
	}
	if (s[0] == '.' || s[len - 1] == '.') {
		*error_r = "local part starts or ends with a dot";
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.') {
				*error_r = "local part has two dots in a row";
				return -1;
			}
			continue;
		}
		if ((unsigned char)s[i] >= 0x80) {
			*error_r = "local part must be ASCII";
			return -1;
		}
		if (!address_atext(s[i])) {
			*error_r = "invalid character in local part";
			return -1;
		}
	}
	return 0;
}

int
address_local_normalize(const char *input, char *out, size_t outsize,
			const char **error_r)
{
	size_t len = strlen(input);

	if (len > ADDRESS_LOCAL_MAX) {
		*error_r = "local part longer than 64 characters";
		return -1;
	}
	if (address_dot_atom_check(input, len, error_r) < 0)
		return -1;
	if (memchr(input, '+', len) != NULL) {
		*error_r = "local part may not contain '+'";
		return -1;
	}
	if (len >= outsize) {
		*error_r = "local part too long";
		return -1;
	}
	memcpy(out, input, len + 1);
	casier_ascii_lower(out);
	return 0;
}

/* Letters, digits, hyphens; not starting or ending with a hyphen. */
static int
address_ldh_check(const char *domain, const char **error_r)
{
	const char *label = domain;
	size_t nlabels = 0;

	for (;;) {
		size_t n = strcspn(label, ".");

		if (n == 0) {
			*error_r = "domain has an empty label";
			return -1;
		}
		if (n > 63) {
			*error_r = "domain label longer than 63 characters";
			return -1;
		}
		if (label[0] == '-' || label[n - 1] == '-') {
			*error_r = "domain label starts or ends with a hyphen";
			return -1;
		}
		for (size_t i = 0; i < n; i++) {
			char c = label[i];

			if (!((c >= 'a' && c <= 'z') ||
			      (c >= '0' && c <= '9') || c == '-')) {
				*error_r = "invalid character in domain";
				return -1;
			}
		}
		nlabels++;
		if (label[n] == '\0')
			break;
		label += n + 1;
	}
	if (nlabels < 2) {
		*error_r = "domain needs at least two labels";
		return -1;
	}
	return 0;
}

static bool
address_ascii_only(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return false;
	}
	return true;
}

int
address_domain_normalize(const char *input, char *out, size_t outsize,
			 const char **error_r)
{
	size_t len = strlen(input);
	char *ascii = NULL;
	int rc;

	if (len == 0) {
		*error_r = "empty domain";
		return -1;
	}
	if (len > ADDRESS_INPUT_MAX) {
		*error_r = "domain too long";
		return -1;
	}
	if (input[0] == '[') {
		*error_r = "address literals are not accepted";
		return -1;
	}
	if (input[len - 1] == '.') {
		*error_r = "domain ends with a dot";
		return -1;
	}
	if (input[0] == '.' || strstr(input, "..") != NULL) {
		*error_r = "domain has an empty label";
		return -1;
	}
	if (!casier_utf8_valid(input, len)) {
		*error_r = "domain is not valid UTF-8";
		return -1;
	}
	if (address_ascii_only(input)) {
		/* Plain ASCII: check it here for precise reasons; libidn2
		 * below still validates any "xn--" label. */
		char lower[ADDRESS_INPUT_MAX + 1];

		memcpy(lower, input, len + 1);
		casier_ascii_lower(lower);
		if (len > ADDRESS_DOMAIN_MAX) {
			*error_r = "domain longer than 253 characters";
			return -1;
		}
		if (address_ldh_check(lower, error_r) < 0)
			return -1;
	}
	rc = idn2_to_ascii_8z(input, &ascii,
			      IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
	if (rc != IDN2_OK) {
		*error_r = rc == IDN2_TOO_BIG_LABEL
			       ? "domain label longer than 63 characters"
			   : rc == IDN2_TOO_BIG_DOMAIN
			       ? "domain longer than 253 characters"
			       : "invalid international domain name";
		return -1;
	}
	casier_ascii_lower(ascii);
	len = strlen(ascii);
	if (len > ADDRESS_DOMAIN_MAX) {
		*error_r = "domain longer than 253 characters";
		rc = -1;
	} else if (address_ldh_check(ascii, error_r) < 0) {
		rc = -1;
	} else if (len >= outsize) {
		*error_r = "domain too long";
		rc = -1;
	} else {
		memcpy(out, ascii, len + 1);
		rc = 0;
	}
	idn2_free(ascii);
	return rc;
}

int
address_parse(const char *input, size_t len, struct address *addr_r,
	      const char **error_r)
{
	char buf[ADDRESS_INPUT_MAX + 1];
	const char *at, *plus;
	size_t local_len, base_len;

	memset(addr_r, 0, sizeof(*addr_r));
	if (len == 0) {
		*error_r = "empty address";
		return -1;
	}
	if (memchr(input, '\0', len) != NULL) {
		*error_r = "NUL byte in address";
		return -1;
	}
	if (len >= 2 && input[0] == '<' && input[len - 1] == '>') {
		input++;
		len -= 2;
		if (len == 0) {
			*error_r = "empty address";
			return -1;
		}
	}
	if (len > ADDRESS_INPUT_MAX) {
		*error_r = "address too long";
		return -1;
	}
	memcpy(buf, input, len);
	buf[len] = '\0';

	at = memchr(buf, '@', len);
	if (at == NULL) {
		*error_r = "missing '@'";
		return -1;
	}
	if (strchr(at + 1, '@') != NULL) {
		*error_r = "more than one '@'";
		return -1;
	}
	local_len = (size_t)(at - buf);
	if (local_len == 0) {
		*error_r = "empty local part";
		return -1;
	}
	if (local_len > ADDRESS_LOCAL_MAX) {
		*error_r = "local part longer than 64 characters";
		return -1;
	}
	if (address_dot_atom_check(buf, local_len, error_r) < 0)
		return -1;

	/* "local+tag": the tag is everything after the first '+'. */
	plus = memchr(buf, '+', local_len);
	base_len = plus != NULL ? (size_t)(plus - buf) : local_len;
	if (base_len == 0) {
		*error_r = "empty local part before '+'";
		return -1;
	}
	if (buf[base_len - 1] == '.') {
		*error_r = "local part ends with a dot before '+'";
		return -1;
	}
	/* Both fit: base_len, tag length < local_len <= 64. */
	memcpy(addr_r->local, buf, base_len);
	addr_r->local[base_len] = '\0';
	casier_ascii_lower(addr_r->local);
	if (plus != NULL) {
		size_t tag_len = local_len - base_len - 1;

		memcpy(addr_r->tag, plus + 1, tag_len);
		addr_r->tag[tag_len] = '\0'; /* case kept: folder names */
	}
	if (address_domain_normalize(at + 1, addr_r->domain,
				     sizeof(addr_r->domain), error_r) < 0) {
		memset(addr_r, 0, sizeof(*addr_r));
		return -1;
	}
	return 0;
}

int
address_format(const struct address *addr, char *out, size_t outsize)
{
	return casier_snprintf(out, outsize, "%s@%s", addr->local,
			       addr->domain) < 0
		   ? -1
		   : 0;
}

/*
 * address.h - parsing and normalising mail addresses.
 *
 * Local parts are case-insensitive in Casier and stored lower-case; a
 * "+tag" suffix is split off (DESIGN section 3).  Domains are lower-cased
 * and converted to IDNA A-labels with libidn2 (IDNA2008 + TR46).  Only
 * dot-atom local parts are accepted (no quoted strings), at most 64
 * octets; domains at most 253 octets with labels of at most 63.
 */
#ifndef CASIER_ADDRESS_H
#define CASIER_ADDRESS_H

#include "casier.h"

#define ADDRESS_LOCAL_MAX 64
#define ADDRESS_DOMAIN_MAX 253

struct address {
	char local[ADDRESS_LOCAL_MAX + 1];  /* without the tag, lower-case */
	char tag[ADDRESS_LOCAL_MAX + 1];    /* after the first '+', or "" */
	char domain[ADDRESS_DOMAIN_MAX + 1]; /* A-label, lower-case */
};

/*
 * Parse "local[+tag]@domain" (optionally within <>) of length len (the
 * input may contain NUL bytes: they are an error).  Returns 0, or -1 with
 * *error_r set to a static English reason.
 */
int address_parse(const char *input, size_t len, struct address *addr_r,
		  const char **error_r);
/* Normalise a domain (UTF-8 or A-label) into out. 0 or -1 + error_r. */
int address_domain_normalize(const char *input, char *out, size_t outsize,
			     const char **error_r);
/* Validate and lower-case a local part (no '+', dot-atom). 0 or -1. */
int address_local_normalize(const char *input, char *out, size_t outsize,
			    const char **error_r);
/* "local@domain" (tag dropped) into out; -1 when it does not fit. */
int address_format(const struct address *addr, char *out, size_t outsize);

#endif

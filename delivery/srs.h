/*
 * srs.h - Sender Rewriting Scheme for forwarded mail.
 *
 * Forwarding re-sends a message from our servers; the original envelope
 * sender's SPF would fail, so it is rewritten into our SRS domain
 * (SRS0=HASH=TT=domain=local@srs.example), and bounces to such
 * addresses are reversed.  The hash is HMAC-SHA256 (libsodium) over
 * the lower-cased timestamp, domain and local part, base32, truncated;
 * the timestamp is days modulo 1024 in two base32 characters.
 * Forwarding an SRS0 address again gives SRS1 (the first forwarder's
 * host kept), as in Shevek's scheme used by libsrs2 and postsrsd.
 */
#ifndef CASIER_SRS_H
#define CASIER_SRS_H

#include "casier.h"

#include <time.h>

#define SRS_ADDRESS_MAX 512

struct srs {
	const char *domain; /* our SRS domain */
	const unsigned char *key;
	size_t keylen;
	unsigned int hash_len; /* base32 characters, 4..16 */
	unsigned int max_age_days;
};

/*
 * Rewrite sender (without <>) for forwarding at time now.  An empty
 * sender (bounce) and a sender already in our SRS domain are copied
 * unchanged.  0, or -1 when it does not fit or is malformed.
 */
int srs_forward(const struct srs *srs, const char *sender, time_t now,
		char *out, size_t outsize);

/*
 * Reverse an address in our SRS domain (local part "SRS0=..." or
 * "SRS1=...") at time now.  1 = reversed into out; 0 = not an SRS
 * address; -1 = an SRS address with a bad hash, an expired timestamp
 * or bad syntax (*error_r says which).
 */
int srs_reverse(const struct srs *srs, const char *address, time_t now,
		char *out, size_t outsize, const char **error_r);

#endif

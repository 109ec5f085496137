/*
 * srs.c - SRS0/SRS1 rewriting and reversal (see srs.h).
 *
 * Called by deliverd when it re-injects a forward (srs_forward) and
 * when a bounce arrives for an address in the SRS domain (srs_reverse).
 * Pure computation with libsodium's HMAC-SHA256; no privileges.  Any
 * doubt (bad hash, expired, malformed) makes srs_reverse fail, and the
 * caller refuses the recipient: forged bounces are not relayed.
 */
#include "srs.h"
#include "str.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void
srs_hash(const struct srs *srs, const char *const *parts, size_t nparts,
	 char *out)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	unsigned int bits = 0, nbits = 0, o = 0;

	crypto_auth_hmacsha256_init(&st, srs->key, srs->keylen);
	for (size_t i = 0; i < nparts; i++) {
		/* hash lower-case: bounces may come back re-cased */
		for (const char *p = parts[i]; *p != '\0'; p++) {
			unsigned char c = (unsigned char)*p;

			if (c >= 'A' && c <= 'Z')
				c = (unsigned char)(c - 'A' + 'a');
			crypto_auth_hmacsha256_update(&st, &c, 1);
		}
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)"=",
					      1);
	}
	crypto_auth_hmacsha256_final(&st, mac);
	for (size_t i = 0; i < sizeof(mac) && o < srs->hash_len; i++) {
		bits = (bits << 8) | mac[i];
		nbits += 8;
		while (nbits >= 5 && o < srs->hash_len) {
			out[o++] = b32[(bits >> (nbits - 5)) & 31];
			nbits -= 5;
		}
	}
	out[o] = '\0';
}

static unsigned int
srs_today(time_t now)
{
	return (unsigned int)((now / 86400) % 1024);
}

static void
srs_timestamp(time_t now, char out[3])
{
	unsigned int t = srs_today(now);

	out[0] = b32[(t >> 5) & 31];
	out[1] = b32[t & 31];
	out[2] = '\0';
}

static int
b32_value(char c)
{
	const char *p;

	if (c >= 'a' && c <= 'z')
		c = (char)(c - 'a' + 'A');
	p = c != '\0' ? strchr(b32, c) : NULL;
	return p == NULL ? -1 : (int)(p - b32);
}

static bool
hash_equal(const char *a, const char *b, size_t n)
{
	unsigned char diff = 0;

	if (strlen(a) != n || strlen(b) != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'a' && x <= 'z')
			x = (unsigned char)(x - 'a' + 'A');
		if (y >= 'a' && y <= 'z')
			y = (unsigned char)(y - 'a' + 'A');
		diff |= (unsigned char)(x ^ y);
	}
	return diff == 0;
}

static int
srs_forward_fmt(const struct srs *srs, const char *sender, time_t now,
		char *out, size_t outsize)
{
	char local[SRS_ADDRESS_MAX], hash[17], ts[3];
	const char *at, *domain;
	size_t llen;

	if (sender[0] == '\0')
		return casier_snprintf(out, outsize, "%s", "");
	at = strrchr(sender, '@');
	if (at == NULL || at == sender || at[1] == '\0')
		return -1;
	domain = at + 1;
	if (strcasecmp(domain, srs->domain) == 0)
		return casier_snprintf(out, outsize, "%s", sender);
	llen = (size_t)(at - sender);
	if (llen >= sizeof(local))
		return -1;
	memcpy(local, sender, llen);
	local[llen] = '\0';

	if (strncasecmp(local, "SRS0=", 5) == 0 ||
	    strncasecmp(local, "SRS1=", 5) == 0) {
		/* SRS1=HASH=firsthost==rest: keep the first forwarder */
		const char *host = domain, *tail = local + 4;
		char hostbuf[SRS_ADDRESS_MAX];
		const char *parts[2];

		if (strncasecmp(local, "SRS1=", 5) == 0) {
			const char *h = strchr(local + 5, '=');
			const char *sep =
			    h != NULL ? strstr(h + 1, "==") : NULL;

			if (h == NULL || sep == NULL ||
			    (size_t)(sep - h - 1) >= sizeof(hostbuf))
				return -1;
			memcpy(hostbuf, h + 1, (size_t)(sep - h - 1));
			hostbuf[sep - h - 1] = '\0';
			host = hostbuf;
			tail = sep + 1; /* "=HASH=TT=..." */
		}
		parts[0] = host;
		parts[1] = tail;
		srs_hash(srs, parts, 2, hash);
		return casier_snprintf(out, outsize, "SRS1=%s=%s=%s@%s", hash,
				       host, tail, srs->domain);
	}
	{
		const char *parts[3];

		srs_timestamp(now, ts);
		parts[0] = ts;
		parts[1] = domain;
		parts[2] = local;
		srs_hash(srs, parts, 3, hash);
		return casier_snprintf(out, outsize, "SRS0=%s=%s=%s=%s@%s",
				       hash, ts, domain, local, srs->domain);
	}
}

int
srs_forward(const struct srs *srs, const char *sender, time_t now, char *out,
	    size_t outsize)
{
	/* casier_snprintf returns the length; callers want 0 or -1 */
	return srs_forward_fmt(srs, sender, now, out, outsize) < 0 ? -1 : 0;
}

int
srs_reverse(const struct srs *srs, const char *address, time_t now, char *out,
	    size_t outsize, const char **error_r)
{
	char local[SRS_ADDRESS_MAX], hash[17];
	const char *at = strrchr(address, '@');
	size_t llen;

	*error_r = "";
	if (at == NULL || strcasecmp(at + 1, srs->domain) != 0)
		return 0;
	llen = (size_t)(at - address);
	if (llen >= sizeof(local))
		return 0;
	memcpy(local, address, llen);
	local[llen] = '\0';

	if (strncasecmp(local, "SRS0=", 5) == 0) {
		/* SRS0=HASH=TT=domain=local */
		char *f[4];
		char *p = local + 5;
		const char *parts[3];
		int t0, t1;
		unsigned int ts, today, age;

		for (int i = 0; i < 3; i++) {
			char *eq = strchr(p, '=');

			if (eq == NULL) {
				*error_r = "malformed SRS0 address";
				return -1;
			}
			*eq = '\0';
			f[i] = p;
			p = eq + 1;
		}
		f[3] = p;
		if (f[2][0] == '\0' || f[3][0] == '\0' || strlen(f[1]) != 2) {
			*error_r = "malformed SRS0 address";
			return -1;
		}
		parts[0] = f[1];
		parts[1] = f[2];
		parts[2] = f[3];
		srs_hash(srs, parts, 3, hash);
		if (!hash_equal(hash, f[0], srs->hash_len)) {
			*error_r = "bad SRS hash";
			return -1;
		}
		t0 = b32_value(f[1][0]);
		t1 = b32_value(f[1][1]);
		if (t0 < 0 || t1 < 0) {
			*error_r = "malformed SRS timestamp";
			return -1;
		}
		ts = (unsigned int)(t0 * 32 + t1);
		today = srs_today(now);
		age = (today + 1024 - ts) % 1024;
		if (age > srs->max_age_days) {
			*error_r = "expired SRS address";
			return -1;
		}
		return casier_snprintf(out, outsize, "%s@%s", f[3], f[2]) < 0
			   ? (*error_r = "address too long", -1)
			   : 1;
	}
	if (strncasecmp(local, "SRS1=", 5) == 0) {
		/* SRS1=HASH=host==HASH0=TT=domain=local */
		char *h = strchr(local + 5, '=');
		char *sep = h != NULL ? strstr(h + 1, "==") : NULL;
		const char *parts[2];

		if (h == NULL || sep == NULL || sep == h + 1) {
			*error_r = "malformed SRS1 address";
			return -1;
		}
		*h = '\0';
		*sep = '\0';
		parts[0] = h + 1;
		parts[1] = sep + 1;
		srs_hash(srs, parts, 2, hash);
		if (!hash_equal(hash, local + 5, srs->hash_len)) {
			*error_r = "bad SRS hash";
			return -1;
		}
		return casier_snprintf(out, outsize, "SRS0%s@%s", sep + 1,
				       h + 1) < 0
			   ? (*error_r = "address too long", -1)
			   : 1;
	}
	return 0;
}

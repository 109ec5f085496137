/*
 * fuzz-address.c - libFuzzer target for address_parse() (lib/address.c),
 * which reads untrusted RCPT/MAIL addresses and form input.
 *
 * fuzz-sources: lib/address.c lib/str.c
 * fuzz-libs: -lidn2
 *
 * Checks, beyond "no crash": a parsed address is within the documented
 * limits, lower-case, and parsing its own formatted form gives the same
 * result (normalisation is idempotent).
 */
#include "address.h"
#include "str.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct address addr, again;
	char formatted[ADDRESS_LOCAL_MAX + 2 + ADDRESS_DOMAIN_MAX + 1];
	const char *error;

	if (address_parse((const char *)data, size, &addr, &error) < 0) {
		if (error == NULL)
			abort();
		return 0;
	}
	if (strlen(addr.local) == 0 || strlen(addr.local) > ADDRESS_LOCAL_MAX ||
	    strlen(addr.domain) > ADDRESS_DOMAIN_MAX)
		abort();
	for (const char *p = addr.local; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || *p == '+' || *p == '@')
			abort();
	}
	for (const char *p = addr.domain; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '.'))
			abort();
	}
	if (address_format(&addr, formatted, sizeof(formatted)) < 0)
		abort();
	if (address_parse(formatted, strlen(formatted), &again, &error) < 0 ||
	    strcmp(again.local, addr.local) != 0 ||
	    strcmp(again.domain, addr.domain) != 0 || again.tag[0] != '\0')
		abort();
	return 0;
}

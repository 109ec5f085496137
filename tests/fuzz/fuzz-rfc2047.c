/*
 * fuzz-rfc2047.c - libFuzzer target for the archive's header decoding
 * (delivery/archive-header.c), which reads the header of untrusted mail:
 * archive_rfc2047_decode() and archive_header_parse().
 *
 * fuzz-sources: delivery/archive-header.c
 * fuzz-libs:
 *
 * Checks, beyond "no crash": every output is NUL-terminated within its
 * buffer and is clean UTF-8 (what PostgreSQL accepts in a text column),
 * for several output sizes including the smallest.
 */
#include "archive-header.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_clean(const char *s, size_t bufsize)
{
	if (memchr(s, '\0', bufsize) == NULL || !archive_utf8_clean(s))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = {1, 2, 3, 4, 7, 64, 1000};
	struct archive_header h;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *out = malloc(sizes[i]);

		if (out == NULL)
			return 0;
		archive_rfc2047_decode((const char *)data, size, out, sizes[i]);
		check_clean(out, sizes[i]);
		free(out);
	}
	archive_header_parse((const char *)data, size, &h);
	check_clean(h.subject, sizeof(h.subject));
	check_clean(h.from, sizeof(h.from));
	check_clean(h.to, sizeof(h.to));
	check_clean(h.message_id, sizeof(h.message_id));
	return 0;
}

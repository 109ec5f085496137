/*
 * fuzz-form.c - libFuzzer target for form_parse() (mgmtd/form.c), which
 * reads every POST body and query string of the web manager.
 *
 * fuzz-sources: mgmtd/form.c lib/str.c lib/casier.c
 * fuzz-libs:
 *
 * Checks, beyond "no crash": on success every name and value is valid
 * UTF-8 without NUL or control characters (TAB, CR, LF allowed in
 * values), within the limits; on failure nothing is returned.
 */
#include "form.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct form_limits lim = {.max_body = 4096,
					       .max_fields = 16,
					       .max_name = 16,
					       .max_value = 256};
	struct form f;
	enum form_error err = form_parse((const char *)data, size, &lim, &f);

	if (err != FORM_OK) {
		if (f.n != 0 || f.fields != NULL)
			abort();
		return 0;
	}
	if (f.n > lim.max_fields)
		abort();
	for (size_t i = 0; i < f.n; i++) {
		const char *n = f.fields[i].name, *v = f.fields[i].value;
		size_t nl = strlen(n), vl = strlen(v);

		if (nl == 0 || nl > lim.max_name || vl > lim.max_value ||
		    !form_utf8_valid(n, nl) || !form_utf8_valid(v, vl))
			abort();
		for (size_t k = 0; k < vl; k++) {
			unsigned char c = (unsigned char)v[k];

			if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') ||
			    c == 0x7f)
				abort();
		}
		if (form_get(&f, n) == NULL)
			abort();
	}
	form_free(&f);
	return 0;
}

/*
 * fuzz-tmpl.c - libFuzzer target for the template engine (mgmtd/tmpl.c):
 * parses the input as a template and renders it with data holding
 * hostile values.
 *
 * fuzz-sources: mgmtd/tmpl.c lib/str.c lib/casier.c
 * fuzz-libs:
 *
 * Checks, beyond "no crash": no value ever reaches the output unescaped.
 * The template is rendered twice with the same structure (same names,
 * same truthiness): once with values full of '<' '>' '&' quotes, once
 * with plain "x" values.  Escaping works iff both outputs hold the same
 * number of '<' and '>' (all of them come from the template text).
 */
#include "tmpl.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *
translate(const void *ctx, const char *key)
{
	(void)ctx;
	return strcmp(key, "k") == 0 ? "<x>\"'" : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct tmpl *t =
	    tmpl_parse((const char *)data, size, "fuzz", err, sizeof(err));
	struct tmpl_set *set;

	if (t == NULL)
		return 0;
	set = tmpl_set_new();
	if (set == NULL || tmpl_set_add(set, t) < 0)
		abort();
	/* the template may include itself: depth-limited, must not crash */
	size_t lt[2] = {0, 0};
	int ok[2];

	for (int pass = 0; pass < 2; pass++) {
		const char *v = pass == 0 ? "<x>&\"'`" : "x";
		struct tmpl_data *d = tmpl_data_new();
		struct str out;

		if (d == NULL)
			abort();
		(void)tmpl_data_set(d, "a", v);
		(void)tmpl_data_set(d, "b", v);
		(void)tmpl_data_set_bool(d, "yes", true);
		for (int i = 0; i < 3; i++) {
			struct tmpl_data *it = tmpl_data_list_add(d, "l");

			if (it == NULL)
				abort();
			(void)tmpl_data_set(it, "a", v);
		}
		str_init(&out, 1 << 20);
		ok[pass] = tmpl_render(t, set, d, translate, NULL, &out);
		for (size_t i = 0; ok[pass] == 0 && i < out.len; i++)
			if (out.data[i] == '<' || out.data[i] == '>')
				lt[pass]++;
		str_free(&out);
		tmpl_data_free(&d);
	}
	if (ok[0] == 0 && ok[1] == 0 && lt[0] != lt[1])
		abort();
	tmpl_set_free(&set);
	return 0;
}

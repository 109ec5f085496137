/*
 * fuzz-json.c - libFuzzer target for the API body parser and field
 * checker (mgmtd/json.c) and the paging/cursor parser
 * (mgmtd/service-common.c), which read every untrusted API request.
 *
 * fuzz-sources: mgmtd/json.c mgmtd/service-common.c lib/str.c lib/casier.c
 * fuzz-libs: -ljansson -lsodium
 *
 * Checks, beyond "no crash": an accepted body is a JSON object; after a
 * successful field check every listed field has its declared type; a
 * refused body always carries a 4xx status; a cursor that decodes
 * re-encodes to the same text.
 */
#include "json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct json_field fields[] = {
    {"local_part", JSON_FIELD_STRING, true},
    {"password", JSON_FIELD_STRING, false},
    {"quota_mb", JSON_FIELD_INT, false},
    {"contact", JSON_FIELD_STRING_OR_NULL, false},
    {"limit", JSON_FIELD_INT_OR_NULL, false},
    {"active", JSON_FIELD_BOOL, false},
    {"targets", JSON_FIELD_STRING_ARRAY, false},
};

static void
check_types(json_t *obj)
{
	json_t *v;
	size_t n;
	const char **s;

	v = json_object_get(obj, "local_part");
	if (!json_is_string(v) || json_string_length(v) > JSON_STRING_MAX ||
	    strlen(json_string_value(v)) != json_string_length(v))
		abort();
	v = json_object_get(obj, "quota_mb");
	if (v != NULL && (!json_is_integer(v) || json_integer_value(v) < 0))
		abort();
	v = json_object_get(obj, "active");
	if (v != NULL && !json_is_boolean(v))
		abort();
	s = json_get_strings(obj, "targets", &n);
	for (size_t i = 0; i < n; i++)
		if (s[i] == NULL)
			abort();
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct svc_result res;
	json_t *obj = NULL;
	char *text;

	if (json_body_parse("application/json", (const char *)data, size, &obj,
			    &res) == 0) {
		if (!json_is_object(obj))
			abort();
		if (json_fields_check(obj, fields,
				      sizeof(fields) / sizeof(fields[0]),
				      &res) == 0)
			check_types(obj);
		else if (res.status != SVC_INVALID)
			abort();
		json_decref(obj);
	} else if (svc_status_http(res.status) < 400 ||
		   svc_status_http(res.status) > 499 || obj != NULL) {
		abort();
	}

	/* the same bytes as a cursor / paging parameters */
	text = malloc(size + 1);
	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	{
		struct svc_page page;
		char key[SVC_CURSOR_MAX], dir, again[SVC_CURSOR_MAX + 1];

		if (svc_page_parse(text, text, text, 10, &page, &res) == 0 &&
		    (page.limit < 1 || page.limit > SVC_LIMIT_MAX))
			abort();
		if (svc_cursor_decode(text, &dir, key, sizeof(key)) == 0) {
			if (svc_cursor_encode(dir, key, again, sizeof(again)) <
				0 ||
			    strcmp(again, text) != 0)
				abort();
		}
	}
	free(text);
	return 0;
}

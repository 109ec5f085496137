/*
 * json.c - strict parsing and field checking of API request bodies.
 *
 * Called by api-*.c for every POST/PUT/PATCH body.  Pure: no I/O, no
 * privileges.  Fails with a struct svc_result (400, 415 or 422); never
 * crashes on hostile input (fuzzed by tests/fuzz/fuzz-json.c).
 */
#include "json.h"

#include "str.h"

#include <stdlib.h>
#include <string.h>

int
json_body_parse(const char *content_type, const char *body, size_t len,
		json_t **obj_r, struct svc_result *res)
{
	json_error_t jerr;
	json_t *root;

	*obj_r = NULL;
	if (content_type == NULL ||
	    strcmp(content_type, "application/json") != 0) {
		svc_result_set(res, SVC_UNSUPPORTED, "",
			       "the body must be application/json");
		return -1;
	}
	if (len == 0) {
		svc_result_set(res, SVC_BAD_REQUEST, "", "empty body");
		return -1;
	}
	/* jansson rejects invalid UTF-8 and (without JSON_ALLOW_NUL) the
	 * \u0000 escape; a raw NUL byte ends the text early and fails as
	 * trailing garbage because the length is given. */
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		svc_result_set(res, SVC_BAD_REQUEST, "",
			       "malformed JSON at offset %d", jerr.position);
		return -1;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		svc_result_set(res, SVC_BAD_REQUEST, "",
			       "the body must be a JSON object");
		return -1;
	}
	*obj_r = root;
	svc_result_ok(res);
	return 0;
}

static const struct json_field *
json_field_find(const struct json_field *fields, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fields[i].name, name) == 0)
			return &fields[i];
	return NULL;
}

static bool
json_string_ok(json_t *v)
{
	size_t len = json_string_length(v);

	return len <= JSON_STRING_MAX &&
	       memchr(json_string_value(v), '\0', len) == NULL;
}

static bool
json_value_ok(json_t *v, enum json_field_type type, const char **why_r)
{
	switch (type) {
	case JSON_FIELD_STRING_OR_NULL:
		if (json_is_null(v))
			return true;
		/* fall through */
	case JSON_FIELD_STRING:
		*why_r = "must be a string";
		if (!json_is_string(v))
			return false;
		*why_r = "too long";
		return json_string_ok(v);
	case JSON_FIELD_INT_OR_NULL:
		if (json_is_null(v))
			return true;
		/* fall through */
	case JSON_FIELD_INT:
		*why_r = "must be a non-negative integer";
		return json_is_integer(v) && json_integer_value(v) >= 0;
	case JSON_FIELD_TEXT:
		*why_r = "must be a string";
		if (!json_is_string(v))
			return false;
		*why_r = "too long";
		return json_string_length(v) <= JSON_TEXT_MAX &&
		       memchr(json_string_value(v), '\0',
			      json_string_length(v)) == NULL;
	case JSON_FIELD_BOOL:
		*why_r = "must be true or false";
		return json_is_boolean(v);
	case JSON_FIELD_STRING_ARRAY: {
		size_t i;
		json_t *e;

		*why_r = "must be an array of strings";
		if (!json_is_array(v))
			return false;
		if (json_array_size(v) > 1000) {
			*why_r = "too many entries";
			return false;
		}
		json_array_foreach(v, i, e)
		{
			if (!json_is_string(e) || !json_string_ok(e))
				return false;
		}
		return true;
	}
	}
	return false;
}

int
json_fields_check(json_t *obj, const struct json_field *fields, size_t nfields,
		  struct svc_result *res)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		const struct json_field *f =
		    json_field_find(fields, nfields, key);
		const char *why = "invalid";

		if (f == NULL) {
			/* the key is valid UTF-8 (jansson checked it); cap it
			 */
			svc_result_set(res, SVC_INVALID, "", "unknown field");
			if (casier_snprintf(res->field, sizeof(res->field),
					    "%s", key) < 0)
				res->field[0] = '\0';
			return -1;
		}
		if (!json_value_ok(v, f->type, &why)) {
			svc_result_set(res, SVC_INVALID, f->name, "%s", why);
			return -1;
		}
	}
	for (size_t i = 0; i < nfields; i++) {
		if (fields[i].required &&
		    json_object_get(obj, fields[i].name) == NULL) {
			svc_result_set(res, SVC_INVALID, fields[i].name,
				       "is required");
			return -1;
		}
	}
	svc_result_ok(res);
	return 0;
}

const char *
json_get_string(json_t *obj, const char *name)
{
	return json_string_value(json_object_get(obj, name));
}

bool
json_has(json_t *obj, const char *name)
{
	return json_object_get(obj, name) != NULL;
}

bool
json_is_null_field(json_t *obj, const char *name)
{
	return json_is_null(json_object_get(obj, name));
}

long long
json_get_int(json_t *obj, const char *name, long long def)
{
	json_t *v = json_object_get(obj, name);

	return json_is_integer(v) ? (long long)json_integer_value(v) : def;
}

bool
json_get_bool(json_t *obj, const char *name, bool def)
{
	json_t *v = json_object_get(obj, name);

	return json_is_boolean(v) ? json_is_true(v) : def;
}

const char **
json_get_strings(json_t *obj, const char *name, size_t *n_r)
{
	json_t *v = json_object_get(obj, name), *e;
	const char **out;
	size_t i;

	*n_r = 0;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return NULL;
	out = calloc(json_array_size(v), sizeof(*out));
	if (out == NULL)
		return NULL;
	json_array_foreach(v, i, e) out[i] = json_string_value(e);
	*n_r = json_array_size(v);
	return out;
}

/*
 * json.h - strict JSON request bodies for the API (jansson).
 *
 * Pure functions (no I/O, no database): unit-tested and fuzzed
 * (tests/unit/test-json.c, tests/fuzz/fuzz-json.c).
 */
#ifndef CASIER_MGMTD_JSON_H
#define CASIER_MGMTD_JSON_H

#include "service.h"

#include <jansson.h>

#define JSON_STRING_MAX 4096   /* bytes of any one string field */
#define JSON_TEXT_MAX	100000 /* bytes of a JSON_FIELD_TEXT field */

/*
 * Parse a request body: content_type must be application/json (else
 * SVC_UNSUPPORTED, 415); the body must be one JSON object in valid UTF-8
 * without NUL characters and without duplicate keys (else
 * SVC_BAD_REQUEST, 400).  On success *obj_r is a new reference.
 */
int json_body_parse(const char *content_type, const char *body, size_t len,
		    json_t **obj_r, struct svc_result *res);

enum json_field_type {
	JSON_FIELD_STRING, /* string, 1..JSON_STRING_MAX bytes */
	JSON_FIELD_STRING_OR_NULL,
	JSON_FIELD_INT, /* integer >= 0 */
	JSON_FIELD_INT_OR_NULL,
	JSON_FIELD_BOOL,
	JSON_FIELD_STRING_ARRAY, /* array of strings, at most 1000 */
	JSON_FIELD_TEXT,	 /* string, 0..JSON_TEXT_MAX bytes (vacation) */
};

struct json_field {
	const char *name;
	enum json_field_type type;
	bool required;
};

/*
 * Check obj against the allowed fields: an unknown field (including an
 * immutable one like "username"), a missing required field or a value of
 * the wrong type -> SVC_INVALID (422) with field set.
 */
int json_fields_check(json_t *obj, const struct json_field *fields,
		      size_t nfields, struct svc_result *res);

/* Accessors after json_fields_check(): absent -> default / NULL. */
const char *json_get_string(json_t *obj, const char *name);
bool json_has(json_t *obj, const char *name);
bool json_is_null_field(json_t *obj, const char *name);
long long json_get_int(json_t *obj, const char *name, long long def);
bool json_get_bool(json_t *obj, const char *name, bool def);
/* Strings of an array field into a malloc'd vector (free() the vector
 * only: the strings belong to obj). NULL + *n_r = 0 when absent/empty. */
const char **json_get_strings(json_t *obj, const char *name, size_t *n_r);

#endif

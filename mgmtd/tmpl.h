/*
 * tmpl.h - a small logic-less template engine for the web manager
 * (STYLE.md rule 7).
 *
 * Syntax (a subset of Mustache):
 *   {{name}}            value of name, HTML-escaped
 *   {{{name}}}          raw insertion; only values the code stored with
 *                       tmpl_data_set_html() (fragments it already
 *                       escaped) are inserted raw -- a plain text value
 *                       is escaped even here
 *   {{#name}}..{{/name}} a list: once per item; a true flag or non-empty
 *                       value: once; otherwise skipped
 *   {{^name}}..{{/name}} inverted: only when name is absent, false, empty
 *                       or an empty list
 *   {{t "key"}}         the translation of key in the request's catalog,
 *                       HTML-escaped
 *   {{> name}}          include the template "name" of the same set
 *   {{! comment }}      nothing
 * Names are [A-Za-z0-9_.-]; a name is looked up in the current item,
 * then in the enclosing ones.  Templates never query anything: all data
 * is put into a struct tmpl_data by the page code before rendering.
 *
 * Templates are parsed once at load time; syntax errors (unbalanced
 * sections, unknown tags, missing partials) fail loading with
 * "file:line: reason".  Rendering fails only on allocation failure, on
 * the output cap of the struct str, or on partial recursion deeper than
 * TMPL_MAX_DEPTH.
 */
#ifndef CASIER_TMPL_H
#define CASIER_TMPL_H

#include "casier.h"
#include "str.h"

#define TMPL_MAX_DEPTH 16
#define TMPL_NAME_MAX  64

struct tmpl;	  /* one parsed template */
struct tmpl_set;  /* templates by name (file name without ".html") */
struct tmpl_data; /* the values a page renders */

/* Translation hook used by {{t "key"}}; returns text or NULL. */
typedef const char *tmpl_translate_fn(const void *ctx, const char *key);

/* Parse one template from memory. NULL and error_r on a syntax error. */
struct tmpl *tmpl_parse(const char *src, size_t len, const char *name,
			char *error_r, size_t errsize);
void tmpl_free(struct tmpl **t);

/* Load every *.html file of dir.  NULL and error_r on failure. */
struct tmpl_set *tmpl_set_load(const char *dir, char *error_r, size_t errsize);
/* An empty set; tmpl_set_add() takes ownership of t (0, or -1 on ENOMEM). */
struct tmpl_set *tmpl_set_new(void);
int tmpl_set_add(struct tmpl_set *set, struct tmpl *t);
const struct tmpl *tmpl_set_get(const struct tmpl_set *set, const char *name);
/* Check that every {{> partial}} names a template of the set. */
int tmpl_set_check(const struct tmpl_set *set, char *error_r, size_t errsize);
void tmpl_set_free(struct tmpl_set **set);

/*
 * Render t (partials resolved in set, which may be NULL) with data into
 * out.  translate may be NULL (then {{t "key"}} prints the key).
 * Returns 0, or -1 (out may hold a partial rendering; discard it).
 */
int tmpl_render(const struct tmpl *t, const struct tmpl_set *set,
		const struct tmpl_data *data, tmpl_translate_fn *translate,
		const void *translate_ctx, struct str *out);

/* Data: every setter copies its arguments; they return 0 or -1 (ENOMEM). */
struct tmpl_data *tmpl_data_new(void);
void tmpl_data_free(struct tmpl_data **d);
int tmpl_data_set(struct tmpl_data *d, const char *name, const char *text);
int tmpl_data_setf(struct tmpl_data *d, const char *name, const char *fmt, ...)
    CASIER_ATTR_PRINTF(3, 4);
/* A fragment of HTML the caller built and escaped itself. */
int tmpl_data_set_html(struct tmpl_data *d, const char *name, const char *html);
int tmpl_data_set_bool(struct tmpl_data *d, const char *name, bool value);
/*
 * Append an item to the list called name (created on first use) and
 * return it; the item belongs to d.  NULL on ENOMEM.
 */
struct tmpl_data *tmpl_data_list_add(struct tmpl_data *d, const char *name);
/* Mark name as an (empty) list so {{^name}} renders. 0 or -1. */
int tmpl_data_set_list(struct tmpl_data *d, const char *name);

/* Append text to out with &<>"'` escaped.  0 or -1. */
int tmpl_html_escape(struct str *out, const char *text, size_t len);

#endif

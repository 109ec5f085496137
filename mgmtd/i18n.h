/*
 * i18n.h - French and English message catalogs of the web manager.
 *
 * A catalog is a UTF-8 text file per language (templates/locale/fr.cat,
 * en.cat): one "key = text" per line, '#' comments and blank lines
 * ignored, keys [A-Za-z0-9_.-].  Templates use {{t "key"}}; page code
 * uses i18n_get() for messages it builds (validation errors).  The
 * language comes from the explicit switch (cookie / session) first,
 * then Accept-Language (RFC 9110 section 12.5.4), then the configured
 * default; French is the fallback of last resort.
 */
#ifndef CASIER_I18N_H
#define CASIER_I18N_H

#include "casier.h"

struct i18n_catalog;

struct i18n_catalog *i18n_catalog_load(const char *path, char *error_r,
				       size_t errsize);
/* Parse a catalog from memory (name is used in error messages). */
struct i18n_catalog *i18n_catalog_parse(const char *src, size_t len,
					const char *name, char *error_r,
					size_t errsize);
void i18n_catalog_free(struct i18n_catalog **cat);
/* The text for key, or NULL. */
const char *i18n_get(const struct i18n_catalog *cat, const char *key);
/* The text for key, or the key itself (never NULL). */
const char *i18n_text(const struct i18n_catalog *cat, const char *key);
size_t i18n_catalog_size(const struct i18n_catalog *cat);
/* The i-th key in sorted order (i < size). */
const char *i18n_catalog_key(const struct i18n_catalog *cat, size_t i);

/* Matches tmpl_translate_fn: ctx is a const struct i18n_catalog *. */
const char *i18n_translate(const void *ctx, const char *key);

/* True for the languages we ship: "fr", "en". */
bool i18n_supported(const char *lang);
/*
 * "fr" or "en" (static strings): explicit when supported, else the best
 * supported language of accept_language (may be NULL), else
 * default_lang when supported, else "fr".
 */
const char *i18n_negotiate(const char *explicit_lang,
			   const char *accept_language,
			   const char *default_lang);

#endif

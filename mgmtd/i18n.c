/*
 * i18n.c - message catalogs and language negotiation (i18n.h).
 *
 * Called by the page module of casier-mgmtd (unprivileged): catalogs are
 * loaded once at start-up (a malformed line fails start-up with
 * "file:line: reason"), then read concurrently by request threads
 * without locks (they are immutable after loading).
 */
#include "i18n.h"

#include "str.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define I18N_FILE_MAX (1024 * 1024)
#define I18N_KEY_MAX  64

struct i18n_pair {
	char *key;
	char *text;
};

struct i18n_catalog {
	struct i18n_pair *pairs;
	size_t n;
};

static int
pair_cmp(const void *a, const void *b)
{
	return strcmp(((const struct i18n_pair *)a)->key,
		      ((const struct i18n_pair *)b)->key);
}

void
i18n_catalog_free(struct i18n_catalog **cat)
{
	if (*cat == NULL)
		return;
	for (size_t i = 0; i < (*cat)->n; i++) {
		free((*cat)->pairs[i].key);
		free((*cat)->pairs[i].text);
	}
	free((*cat)->pairs);
	free(*cat);
	*cat = NULL;
}

static bool
key_ok(const char *s, size_t n)
{
	if (n == 0 || n > I18N_KEY_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
		      c == '-'))
			return false;
	}
	return true;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' ||
			  (*s)[*n - 1] == '\r'))
		(*n)--;
}

struct i18n_catalog *
i18n_catalog_parse(const char *src, size_t len, const char *name, char *error_r,
		   size_t errsize)
{
	struct i18n_catalog *cat = calloc(1, sizeof(*cat));
	size_t cap = 0, pos = 0;
	unsigned int line = 0;

	if (cat == NULL)
		goto nomem;
	while (pos < len) {
		const char *l = src + pos;
		const char *nl = memchr(l, '\n', len - pos);
		size_t llen = nl == NULL ? len - pos : (size_t)(nl - l);
		const char *eq, *k, *v;
		size_t klen, vlen;

		pos += llen + (nl != NULL ? 1 : 0);
		line++;
		trim(&l, &llen);
		if (llen == 0 || l[0] == '#')
			continue;
		if (memchr(l, '\0', llen) != NULL) {
			(void)casier_snprintf(error_r, errsize,
					      "%s:%u: NUL byte", name, line);
			goto fail;
		}
		eq = memchr(l, '=', llen);
		if (eq == NULL) {
			(void)casier_snprintf(error_r, errsize,
					      "%s:%u: expected key = text",
					      name, line);
			goto fail;
		}
		k = l;
		klen = (size_t)(eq - l);
		v = eq + 1;
		vlen = llen - klen - 1;
		trim(&k, &klen);
		trim(&v, &vlen);
		if (!key_ok(k, klen)) {
			(void)casier_snprintf(error_r, errsize,
					      "%s:%u: bad key", name, line);
			goto fail;
		}
		if (cat->n == cap) {
			size_t ncap = cap == 0 ? 64 : cap * 2;
			struct i18n_pair *np =
			    realloc(cat->pairs, ncap * sizeof(*np));

			if (np == NULL)
				goto nomem;
			cat->pairs = np;
			cap = ncap;
		}
		cat->pairs[cat->n].key = strndup(k, klen);
		cat->pairs[cat->n].text = strndup(v, vlen);
		if (cat->pairs[cat->n].key == NULL ||
		    cat->pairs[cat->n].text == NULL) {
			free(cat->pairs[cat->n].key);
			free(cat->pairs[cat->n].text);
			goto nomem;
		}
		cat->n++;
	}
	qsort(cat->pairs, cat->n, sizeof(*cat->pairs), pair_cmp);
	for (size_t i = 1; i < cat->n; i++) {
		if (strcmp(cat->pairs[i - 1].key, cat->pairs[i].key) == 0) {
			(void)casier_snprintf(error_r, errsize,
					      "%s: duplicate key %s", name,
					      cat->pairs[i].key);
			goto fail;
		}
	}
	return cat;
nomem:
	(void)casier_snprintf(error_r, errsize, "%s: out of memory", name);
fail:
	i18n_catalog_free(&cat);
	return NULL;
}

struct i18n_catalog *
i18n_catalog_load(const char *path, char *error_r, size_t errsize)
{
	struct str src;
	char buf[8192];
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct i18n_catalog *cat;

	if (fd < 0) {
		(void)casier_snprintf(error_r, errsize, "%s: %s", path,
				      strerror(errno));
		return NULL;
	}
	str_init(&src, I18N_FILE_MAX);
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (str_append_mem(&src, buf, (size_t)r) < 0) {
			r = -1;
			errno = EFBIG;
			break;
		}
	}
	(void)close(fd);
	if (r < 0) {
		(void)casier_snprintf(error_r, errsize, "%s: %s", path,
				      strerror(errno));
		str_free(&src);
		return NULL;
	}
	cat = i18n_catalog_parse(src.data == NULL ? "" : src.data, src.len,
				 path, error_r, errsize);
	str_free(&src);
	return cat;
}

const char *
i18n_get(const struct i18n_catalog *cat, const char *key)
{
	struct i18n_pair probe = {.key = (char *)key};
	const struct i18n_pair *p;

	if (cat == NULL || key == NULL)
		return NULL;
	p = bsearch(&probe, cat->pairs, cat->n, sizeof(*cat->pairs), pair_cmp);
	return p == NULL ? NULL : p->text;
}

const char *
i18n_text(const struct i18n_catalog *cat, const char *key)
{
	const char *t = i18n_get(cat, key);

	return t == NULL ? key : t;
}

size_t
i18n_catalog_size(const struct i18n_catalog *cat)
{
	return cat->n;
}

const char *
i18n_catalog_key(const struct i18n_catalog *cat, size_t i)
{
	return i < cat->n ? cat->pairs[i].key : NULL;
}

const char *
i18n_translate(const void *ctx, const char *key)
{
	return i18n_get(ctx, key);
}

bool
i18n_supported(const char *lang)
{
	return lang != NULL &&
	       (strcmp(lang, "fr") == 0 || strcmp(lang, "en") == 0);
}

static const char *
static_lang(const char *lang)
{
	return strcmp(lang, "en") == 0 ? "en" : "fr";
}

/* q-value of an Accept-Language parameter list ";q=0.5"; 1000 = 1.0. */
static int
parse_q(const char *s, size_t n)
{
	const char *q = NULL;

	for (size_t i = 0; i + 1 < n; i++)
		if ((s[i] == 'q' || s[i] == 'Q') && s[i + 1] == '=') {
			q = s + i + 2;
			n -= i + 2;
			break;
		}
	if (q == NULL)
		return 1000;
	if (n == 0 || (q[0] != '0' && q[0] != '1'))
		return -1;
	int val = (q[0] - '0') * 1000, scale = 100;

	for (size_t i = 1; i < n && q[i] != ' ' && q[i] != ';'; i++) {
		if (i == 1 && q[i] == '.')
			continue;
		if (i == 1 || q[i] < '0' || q[i] > '9' || scale == 0)
			return -1;
		val += (q[i] - '0') * scale;
		scale /= 10;
	}
	return val > 1000 ? -1 : val;
}

const char *
i18n_negotiate(const char *explicit_lang, const char *accept_language,
	       const char *default_lang)
{
	const char *best = NULL;
	int best_q = 0;

	if (i18n_supported(explicit_lang))
		return static_lang(explicit_lang);
	for (const char *p = accept_language; p != NULL && *p != '\0';) {
		const char *comma = strchr(p, ',');
		size_t n = comma == NULL ? strlen(p) : (size_t)(comma - p);
		const char *item = p;
		size_t tlen = 0;
		int q;

		p = comma == NULL ? NULL : comma + 1;
		while (n > 0 && (*item == ' ' || *item == '\t')) {
			item++;
			n--;
		}
		while (tlen < n && item[tlen] != ';' && item[tlen] != '-' &&
		       item[tlen] != ' ')
			tlen++;
		q = parse_q(item, n);
		if (q <= best_q || tlen != 2)
			continue;
		if ((item[0] == 'f' || item[0] == 'F') &&
		    (item[1] == 'r' || item[1] == 'R')) {
			best = "fr";
			best_q = q;
		} else if ((item[0] == 'e' || item[0] == 'E') &&
			   (item[1] == 'n' || item[1] == 'N')) {
			best = "en";
			best_q = q;
		}
	}
	if (best != NULL)
		return best;
	if (i18n_supported(default_lang))
		return static_lang(default_lang);
	return "fr";
}

/*
 * tmpl.c - the logic-less template engine of the web manager (tmpl.h).
 *
 * Called by casier-mgmtd's page handlers (unprivileged) at start-up to
 * parse templates/ and for every HTML response to render one.  Parsing
 * turns the source into a tree once; rendering walks it with a chain of
 * data scopes.  Escaping is the default and the only way around it is a
 * value the code marked as an HTML fragment (tmpl_data_set_html), so a
 * template author cannot make user input raw by writing {{{x}}}.
 * Failures: syntax errors at load time ("name:line: reason"); ENOMEM or
 * the output cap at render time (-1; the caller answers 500).
 */
#include "tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMPL_MAX_NESTING 32
#define TMPL_FILE_MAX	 (1024 * 1024)

enum node_kind {
	NODE_TEXT,
	NODE_VAR,
	NODE_RAW,
	NODE_SECTION,
	NODE_INVERTED,
	NODE_TRANSLATE,
	NODE_PARTIAL,
};

struct node {
	enum node_kind kind;
	char *text; /* TEXT: the text; others: name, key or partial */
	size_t len; /* TEXT only */
	struct node *children; /* SECTION / INVERTED */
	size_t nchildren;
};

struct tmpl {
	char *name;
	struct node *nodes;
	size_t nnodes;
};

struct tmpl_set {
	struct tmpl **items;
	size_t n, cap;
};

enum value_kind {
	VALUE_TEXT,
	VALUE_HTML,
	VALUE_BOOL,
	VALUE_LIST,
};

struct entry {
	char *name;
	enum value_kind kind;
	char *s;
	bool b;
	struct tmpl_data **items;
	size_t nitems, capitems;
};

struct tmpl_data {
	struct entry *entries;
	size_t n, cap;
};

/* ---- parsing ---- */

struct parser {
	const char *src;
	size_t len;
	size_t pos;
	const char *name;
	char *error;
	size_t errsize;
};

static void
node_free_array(struct node *nodes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(nodes[i].text);
		node_free_array(nodes[i].children, nodes[i].nchildren);
	}
	free(nodes);
}

static unsigned int
parser_line(const struct parser *p, size_t pos)
{
	unsigned int line = 1;

	for (size_t i = 0; i < pos && i < p->len; i++)
		if (p->src[i] == '\n')
			line++;
	return line;
}

static void
parser_fail(struct parser *p, size_t pos, const char *reason)
{
	if (p->error != NULL && p->errsize > 0)
		(void)casier_snprintf(p->error, p->errsize, "%s:%u: %s",
				      p->name, parser_line(p, pos), reason);
}

static bool
name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Trim spaces of [*s, *s + *n) and check the name characters. */
static bool
name_ok(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
	if (*n == 0 || *n > TMPL_NAME_MAX)
		return false;
	for (size_t i = 0; i < *n; i++)
		if (!name_char_ok((*s)[i]))
			return false;
	return true;
}

static int
nodes_push(struct node **nodes, size_t *n, size_t *cap, struct node nd)
{
	if (*n == *cap) {
		size_t ncap = *cap == 0 ? 8 : *cap * 2;
		struct node *nn = realloc(*nodes, ncap * sizeof(*nn));

		if (nn == NULL)
			return -1;
		*nodes = nn;
		*cap = ncap;
	}
	(*nodes)[(*n)++] = nd;
	return 0;
}

static const char *
find_str(const char *hay, size_t haylen, const char *needle)
{
	size_t nlen = strlen(needle);

	if (haylen < nlen)
		return NULL;
	for (size_t i = 0; i + nlen <= haylen; i++)
		if (memcmp(hay + i, needle, nlen) == 0)
			return hay + i;
	return NULL;
}

/*
 * Parse nodes until the end or until {{/close}} (close NULL at top
 * level).  On success nodes_r and n_r hold the children.
 */
static int
parse_nodes(struct parser *p, const char *close, unsigned int depth,
	    struct node **nodes_r, size_t *n_r)
{
	struct node *nodes = NULL;
	size_t n = 0, cap = 0;
	size_t open_pos = p->pos;

	if (depth > TMPL_MAX_NESTING) {
		parser_fail(p, p->pos, "sections nested too deeply");
		return -1;
	}
	for (;;) {
		const char *rest = p->src + p->pos;
		size_t restlen = p->len - p->pos;
		const char *tag = find_str(rest, restlen, "{{");
		size_t textlen = tag == NULL ? restlen : (size_t)(tag - rest);
		struct node nd = {0};

		if (textlen > 0) {
			nd.kind = NODE_TEXT;
			nd.text = malloc(textlen + 1);
			if (nd.text == NULL)
				goto nomem;
			memcpy(nd.text, rest, textlen);
			nd.text[textlen] = '\0';
			nd.len = textlen;
			if (nodes_push(&nodes, &n, &cap, nd) < 0) {
				free(nd.text);
				goto nomem;
			}
			memset(&nd, 0, sizeof(nd));
		}
		if (tag == NULL) {
			p->pos = p->len;
			if (close != NULL) {
				parser_fail(p, open_pos, "unclosed section");
				goto fail;
			}
			break;
		}
		size_t tag_pos = (size_t)(tag - p->src);
		const char *body = tag + 2;
		size_t avail = p->len - tag_pos - 2;
		bool triple = avail > 0 && body[0] == '{';
		const char *end = find_str(body, avail, triple ? "}}}" : "}}");

		if (end == NULL) {
			parser_fail(p, tag_pos, "unterminated tag");
			goto fail;
		}
		const char *in = body + (triple ? 1 : 0);
		size_t inlen = (size_t)(end - in);
		p->pos = (size_t)(end - p->src) + (triple ? 3 : 2);

		if (triple) {
			nd.kind = NODE_RAW;
		} else if (inlen > 0 && in[0] == '!') {
			continue;
		} else if (inlen > 0 && (in[0] == '#' || in[0] == '^')) {
			nd.kind = in[0] == '#' ? NODE_SECTION : NODE_INVERTED;
			in++;
			inlen--;
		} else if (inlen > 0 && in[0] == '/') {
			in++;
			inlen--;
			if (!name_ok(&in, &inlen)) {
				parser_fail(p, tag_pos, "bad name in tag");
				goto fail;
			}
			if (close == NULL || strlen(close) != inlen ||
			    memcmp(close, in, inlen) != 0) {
				parser_fail(p, tag_pos,
					    "closing tag without its section");
				goto fail;
			}
			break;
		} else if (inlen > 0 && in[0] == '>') {
			nd.kind = NODE_PARTIAL;
			in++;
			inlen--;
		} else if (inlen >= 2 && in[0] == 't' &&
			   (in[1] == ' ' || in[1] == '\t')) {
			const char *q1 = memchr(in, '"', inlen);
			const char *q2 =
			    q1 == NULL ? NULL
				       : memchr(q1 + 1, '"',
						inlen - (size_t)(q1 + 1 - in));
			const char *k;
			size_t klen;

			if (q1 == NULL || q2 == NULL) {
				parser_fail(p, tag_pos,
					    "translation key must be quoted");
				goto fail;
			}
			for (const char *c = in + 1; c < q1; c++)
				if (*c != ' ' && *c != '\t')
					q2 = NULL;
			for (const char *c = q2 == NULL ? in : q2 + 1;
			     q2 != NULL && c < in + inlen; c++)
				if (*c != ' ' && *c != '\t')
					q2 = NULL;
			if (q2 == NULL) {
				parser_fail(p, tag_pos, "bad translation tag");
				goto fail;
			}
			k = q1 + 1;
			klen = (size_t)(q2 - k);
			if (!name_ok(&k, &klen)) {
				parser_fail(p, tag_pos, "bad translation key");
				goto fail;
			}
			nd.kind = NODE_TRANSLATE;
			in = k;
			inlen = klen;
		} else {
			nd.kind = NODE_VAR;
		}
		if (!name_ok(&in, &inlen)) {
			parser_fail(p, tag_pos, "bad name in tag");
			goto fail;
		}
		nd.text = strndup(in, inlen);
		if (nd.text == NULL)
			goto nomem;
		if (nd.kind == NODE_SECTION || nd.kind == NODE_INVERTED) {
			if (parse_nodes(p, nd.text, depth + 1, &nd.children,
					&nd.nchildren) < 0) {
				free(nd.text);
				goto fail;
			}
		}
		if (nodes_push(&nodes, &n, &cap, nd) < 0) {
			free(nd.text);
			node_free_array(nd.children, nd.nchildren);
			goto nomem;
		}
	}
	*nodes_r = nodes;
	*n_r = n;
	return 0;
nomem:
	parser_fail(p, p->pos, "out of memory");
fail:
	node_free_array(nodes, n);
	return -1;
}

struct tmpl *
tmpl_parse(const char *src, size_t len, const char *name, char *error_r,
	   size_t errsize)
{
	struct parser p = {.src = src,
			   .len = len,
			   .name = name,
			   .error = error_r,
			   .errsize = errsize};
	struct tmpl *t;

	if (memchr(src, '\0', len) != NULL) {
		parser_fail(&p, 0, "NUL byte in template");
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || (t->name = strdup(name)) == NULL) {
		free(t);
		parser_fail(&p, 0, "out of memory");
		return NULL;
	}
	if (parse_nodes(&p, NULL, 0, &t->nodes, &t->nnodes) < 0) {
		free(t->name);
		free(t);
		return NULL;
	}
	return t;
}

void
tmpl_free(struct tmpl **t)
{
	if (*t == NULL)
		return;
	node_free_array((*t)->nodes, (*t)->nnodes);
	free((*t)->name);
	free(*t);
	*t = NULL;
}

/* ---- sets ---- */

struct tmpl_set *
tmpl_set_new(void)
{
	return calloc(1, sizeof(struct tmpl_set));
}

int
tmpl_set_add(struct tmpl_set *set, struct tmpl *t)
{
	if (set->n == set->cap) {
		size_t ncap = set->cap == 0 ? 16 : set->cap * 2;
		struct tmpl **ni = realloc(set->items, ncap * sizeof(*ni));

		if (ni == NULL)
			return -1;
		set->items = ni;
		set->cap = ncap;
	}
	set->items[set->n++] = t;
	return 0;
}

const struct tmpl *
tmpl_set_get(const struct tmpl_set *set, const char *name)
{
	if (set == NULL)
		return NULL;
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->items[i]->name, name) == 0)
			return set->items[i];
	return NULL;
}

static int
check_nodes(const struct tmpl_set *set, const struct tmpl *t,
	    const struct node *nodes, size_t n, char *error_r, size_t errsize)
{
	for (size_t i = 0; i < n; i++) {
		if (nodes[i].kind == NODE_PARTIAL &&
		    tmpl_set_get(set, nodes[i].text) == NULL) {
			(void)casier_snprintf(error_r, errsize,
					      "%s: unknown partial \"%s\"",
					      t->name, nodes[i].text);
			return -1;
		}
		if (check_nodes(set, t, nodes[i].children, nodes[i].nchildren,
				error_r, errsize) < 0)
			return -1;
	}
	return 0;
}

int
tmpl_set_check(const struct tmpl_set *set, char *error_r, size_t errsize)
{
	for (size_t i = 0; i < set->n; i++)
		if (check_nodes(set, set->items[i], set->items[i]->nodes,
				set->items[i]->nnodes, error_r, errsize) < 0)
			return -1;
	return 0;
}

void
tmpl_set_free(struct tmpl_set **set)
{
	if (*set == NULL)
		return;
	for (size_t i = 0; i < (*set)->n; i++)
		tmpl_free(&(*set)->items[i]);
	free((*set)->items);
	free(*set);
	*set = NULL;
}

static int
read_file(const char *path, struct str *out)
{
	char buf[8192];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0)
		return -1;
	while ((r = read(fd, buf, sizeof(buf))) > 0) {
		if (str_append_mem(out, buf, (size_t)r) < 0) {
			(void)close(fd);
			errno = EFBIG;
			return -1;
		}
	}
	(void)close(fd);
	return r < 0 ? -1 : 0;
}

struct tmpl_set *
tmpl_set_load(const char *dir, char *error_r, size_t errsize)
{
	struct tmpl_set *set = tmpl_set_new();
	DIR *d;
	struct dirent *de;

	if (set == NULL) {
		(void)casier_snprintf(error_r, errsize, "out of memory");
		return NULL;
	}
	d = opendir(dir);
	if (d == NULL) {
		(void)casier_snprintf(error_r, errsize, "%s: %s", dir,
				      strerror(errno));
		tmpl_set_free(&set);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		size_t nlen = strlen(de->d_name);
		char path[4096], name[TMPL_NAME_MAX + 1];
		struct str src;
		struct tmpl *t;

		if (nlen <= 5 || strcmp(de->d_name + nlen - 5, ".html") != 0 ||
		    de->d_name[0] == '.')
			continue;
		if (nlen - 5 > TMPL_NAME_MAX ||
		    casier_snprintf(path, sizeof(path), "%s/%s", dir,
				    de->d_name) < 0) {
			(void)casier_snprintf(error_r, errsize,
					      "%s: name too long", de->d_name);
			goto fail;
		}
		memcpy(name, de->d_name, nlen - 5);
		name[nlen - 5] = '\0';
		str_init(&src, TMPL_FILE_MAX);
		if (read_file(path, &src) < 0) {
			(void)casier_snprintf(error_r, errsize, "%s: %s", path,
					      strerror(errno));
			str_free(&src);
			goto fail;
		}
		t = tmpl_parse(src.data == NULL ? "" : src.data, src.len, name,
			       error_r, errsize);
		str_free(&src);
		if (t == NULL)
			goto fail;
		if (tmpl_set_add(set, t) < 0) {
			tmpl_free(&t);
			(void)casier_snprintf(error_r, errsize,
					      "out of memory");
			goto fail;
		}
	}
	(void)closedir(d);
	if (tmpl_set_check(set, error_r, errsize) < 0) {
		tmpl_set_free(&set);
		return NULL;
	}
	return set;
fail:
	(void)closedir(d);
	tmpl_set_free(&set);
	return NULL;
}

/* ---- data ---- */

struct tmpl_data *
tmpl_data_new(void)
{
	return calloc(1, sizeof(struct tmpl_data));
}

static void
entry_clear(struct entry *e)
{
	free(e->s);
	e->s = NULL;
	for (size_t i = 0; i < e->nitems; i++)
		tmpl_data_free(&e->items[i]);
	free(e->items);
	e->items = NULL;
	e->nitems = e->capitems = 0;
}

void
tmpl_data_free(struct tmpl_data **d)
{
	if (*d == NULL)
		return;
	for (size_t i = 0; i < (*d)->n; i++) {
		entry_clear(&(*d)->entries[i]);
		free((*d)->entries[i].name);
	}
	free((*d)->entries);
	free(*d);
	*d = NULL;
}

static struct entry *
data_find(const struct tmpl_data *d, const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->entries[i].name, name) == 0)
			return &d->entries[i];
	return NULL;
}

/* The entry called name, cleared, or a new one.  NULL on ENOMEM. */
static struct entry *
data_slot(struct tmpl_data *d, const char *name)
{
	struct entry *e = data_find(d, name);

	if (e != NULL) {
		entry_clear(e);
		return e;
	}
	if (d->n == d->cap) {
		size_t ncap = d->cap == 0 ? 8 : d->cap * 2;
		struct entry *ne = realloc(d->entries, ncap * sizeof(*ne));

		if (ne == NULL)
			return NULL;
		d->entries = ne;
		d->cap = ncap;
	}
	e = &d->entries[d->n];
	memset(e, 0, sizeof(*e));
	e->name = strdup(name);
	if (e->name == NULL)
		return NULL;
	d->n++;
	return e;
}

static int
data_set_string(struct tmpl_data *d, const char *name, const char *s,
		enum value_kind kind)
{
	char *copy = strdup(s == NULL ? "" : s);
	struct entry *e;

	if (copy == NULL)
		return -1;
	e = data_slot(d, name);
	if (e == NULL) {
		free(copy);
		return -1;
	}
	e->kind = kind;
	e->s = copy;
	return 0;
}

int
tmpl_data_set(struct tmpl_data *d, const char *name, const char *text)
{
	return data_set_string(d, name, text, VALUE_TEXT);
}

int
tmpl_data_set_html(struct tmpl_data *d, const char *name, const char *html)
{
	return data_set_string(d, name, html, VALUE_HTML);
}

int
tmpl_data_setf(struct tmpl_data *d, const char *name, const char *fmt, ...)
{
	struct str s;
	va_list ap;
	int ret;

	str_init(&s, 64 * 1024);
	va_start(ap, fmt);
	ret = str_vappendf(&s, fmt, ap);
	va_end(ap);
	if (ret == 0)
		ret = data_set_string(d, name, s.data == NULL ? "" : s.data,
				      VALUE_TEXT);
	str_free(&s);
	return ret;
}

int
tmpl_data_set_bool(struct tmpl_data *d, const char *name, bool value)
{
	struct entry *e = data_slot(d, name);

	if (e == NULL)
		return -1;
	e->kind = VALUE_BOOL;
	e->b = value;
	return 0;
}

int
tmpl_data_set_list(struct tmpl_data *d, const char *name)
{
	struct entry *e = data_find(d, name);

	if (e != NULL && e->kind == VALUE_LIST)
		return 0;
	e = data_slot(d, name);
	if (e == NULL)
		return -1;
	e->kind = VALUE_LIST;
	return 0;
}

struct tmpl_data *
tmpl_data_list_add(struct tmpl_data *d, const char *name)
{
	struct entry *e;
	struct tmpl_data *item;

	if (tmpl_data_set_list(d, name) < 0)
		return NULL;
	e = data_find(d, name);
	if (e->nitems == e->capitems) {
		size_t ncap = e->capitems == 0 ? 8 : e->capitems * 2;
		struct tmpl_data **ni = realloc(e->items, ncap * sizeof(*ni));

		if (ni == NULL)
			return NULL;
		e->items = ni;
		e->capitems = ncap;
	}
	item = tmpl_data_new();
	if (item == NULL)
		return NULL;
	e->items[e->nitems++] = item;
	return item;
}

/* ---- rendering ---- */

int
tmpl_html_escape(struct str *out, const char *text, size_t len)
{
	size_t start = 0;

	for (size_t i = 0; i < len; i++) {
		const char *rep;

		switch (text[i]) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		case '`':
			rep = "&#96;";
			break;
		default:
			continue;
		}
		if (str_append_mem(out, text + start, i - start) < 0 ||
		    str_append(out, rep) < 0)
			return -1;
		start = i + 1;
	}
	return str_append_mem(out, text + start, len - start);
}

struct scope {
	const struct tmpl_data *data;
	const struct scope *up;
};

struct render {
	const struct tmpl_set *set;
	tmpl_translate_fn *translate;
	const void *translate_ctx;
	struct str *out;
	unsigned int partial_depth;
};

static const struct entry *
scope_lookup(const struct scope *sc, const char *name)
{
	for (; sc != NULL; sc = sc->up) {
		const struct entry *e;

		if (sc->data == NULL)
			continue;
		e = data_find(sc->data, name);
		if (e != NULL)
			return e;
	}
	return NULL;
}

static bool
entry_truthy(const struct entry *e)
{
	if (e == NULL)
		return false;
	switch (e->kind) {
	case VALUE_BOOL:
		return e->b;
	case VALUE_LIST:
		return e->nitems > 0;
	case VALUE_TEXT:
	case VALUE_HTML:
		return e->s != NULL && e->s[0] != '\0';
	}
	return false;
}

static int render_nodes(struct render *r, const struct node *nodes, size_t n,
			const struct scope *sc);

static int
render_node(struct render *r, const struct node *nd, const struct scope *sc)
{
	const struct entry *e;

	switch (nd->kind) {
	case NODE_TEXT:
		return str_append_mem(r->out, nd->text, nd->len);
	case NODE_VAR:
	case NODE_RAW:
		e = scope_lookup(sc, nd->text);
		if (e == NULL || e->s == NULL)
			return 0;
		/* Raw only for fragments the code escaped itself. */
		if (nd->kind == NODE_RAW && e->kind == VALUE_HTML)
			return str_append(r->out, e->s);
		return tmpl_html_escape(r->out, e->s, strlen(e->s));
	case NODE_TRANSLATE: {
		const char *txt =
		    r->translate == NULL
			? NULL
			: r->translate(r->translate_ctx, nd->text);

		if (txt == NULL)
			txt = nd->text;
		return tmpl_html_escape(r->out, txt, strlen(txt));
	}
	case NODE_SECTION:
		e = scope_lookup(sc, nd->text);
		if (!entry_truthy(e))
			return 0;
		if (e->kind == VALUE_LIST) {
			for (size_t i = 0; i < e->nitems; i++) {
				struct scope inner = {.data = e->items[i],
						      .up = sc};

				if (render_nodes(r, nd->children, nd->nchildren,
						 &inner) < 0)
					return -1;
			}
			return 0;
		}
		return render_nodes(r, nd->children, nd->nchildren, sc);
	case NODE_INVERTED:
		e = scope_lookup(sc, nd->text);
		if (entry_truthy(e))
			return 0;
		return render_nodes(r, nd->children, nd->nchildren, sc);
	case NODE_PARTIAL: {
		const struct tmpl *t = tmpl_set_get(r->set, nd->text);
		int ret;

		if (t == NULL)
			return 0; /* tmpl_set_check reports these at load */
		if (r->partial_depth >= TMPL_MAX_DEPTH)
			return -1;
		r->partial_depth++;
		ret = render_nodes(r, t->nodes, t->nnodes, sc);
		r->partial_depth--;
		return ret;
	}
	}
	return -1;
}

static int
render_nodes(struct render *r, const struct node *nodes, size_t n,
	     const struct scope *sc)
{
	for (size_t i = 0; i < n; i++)
		if (render_node(r, &nodes[i], sc) < 0)
			return -1;
	return 0;
}

int
tmpl_render(const struct tmpl *t, const struct tmpl_set *set,
	    const struct tmpl_data *data, tmpl_translate_fn *translate,
	    const void *translate_ctx, struct str *out)
{
	struct render r = {.set = set,
			   .translate = translate,
			   .translate_ctx = translate_ctx,
			   .out = out};
	struct scope top = {.data = data, .up = NULL};

	return render_nodes(&r, t->nodes, t->nnodes, &top);
}

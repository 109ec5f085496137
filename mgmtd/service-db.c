/*
 * service-db.c - database plumbing of the service layer: connections,
 * error mapping, audit rows, domain resolution with authorisation, and
 * target normalisation for aliases and redirects.
 *
 * Called by service-*.c on MHD pool threads.  Unprivileged.  Database
 * trouble becomes SVC_TEMPFAIL (503) and is logged; constraint
 * violations become 409/422 for the user.
 */
#include "service-db.h"
#include "service-sql.h"

#include "address.h"
#include "log.h"
#include "str.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void
svc_copy(char *dst, size_t size, const char *src)
{
	if (casier_snprintf(dst, size, "%s", src != NULL ? src : "") < 0)
		dst[0] = '\0';
}

long long
svc_ll(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

bool
svc_bool(const PGresult *r, int row, int col)
{
	return !PQgetisnull(r, row, col) && PQgetvalue(r, row, col)[0] == 't';
}

void
svc_id_params(const struct svc_identity *id, struct svc_id_params *p)
{
	(void)casier_snprintf(p->admin_id, sizeof(p->admin_id), "%lld",
			      id->admin_id);
	p->superuser = id->superuser ? "t" : "f";
}

struct db_conn *
svc_conn_get(const struct svc *svc, struct svc_result *res)
{
	struct db_error err;
	struct db_conn *conn = db_pool_get(svc->db, &err);

	if (conn == NULL) {
		log_error("web: database unavailable: %s", err.message);
		svc_result_set(res, SVC_TEMPFAIL, "",
			       "database unavailable, try again");
	}
	return conn;
}

void
svc_conn_put(const struct svc *svc, struct db_conn **conn)
{
	if (*conn != NULL)
		db_pool_put(svc->db, conn);
}

void
svc_db_error(const struct db_error *err, const char *field,
	     struct svc_result *res)
{
	if (err->status == CASIER_PERMFAIL &&
	    strcmp(err->sqlstate, "23505") == 0) {
		svc_result_set(res, SVC_CONFLICT, field, "already exists");
		return;
	}
	if (err->status == CASIER_PERMFAIL &&
	    strcmp(err->constraint, "domain_max_accounts") == 0) {
		svc_result_set(res, SVC_CONFLICT, "",
			       "the domain has reached its maximum number of "
			       "accounts");
		return;
	}
	if (err->status == CASIER_PERMFAIL &&
	    (strcmp(err->sqlstate, "23514") == 0 ||
	     strcmp(err->sqlstate, "23502") == 0 ||
	     strncmp(err->sqlstate, "22", 2) == 0)) {
		char c[80];

		log_sanitize(c, sizeof(c), err->constraint,
			     strlen(err->constraint));
		log_info("web: rejected by constraint %s: %s", c, err->message);
		svc_result_set(res, SVC_INVALID, field, "invalid value");
		return;
	}
	log_error("web: database error %s: %s", err->sqlstate, err->message);
	svc_result_set(res, SVC_TEMPFAIL, "", "database error, try again");
}

int
svc_sql(struct db_conn *conn, const char *sql, int nparams,
	const char *const *params, PGresult **pg_r, struct svc_result *res)
{
	struct db_error err;

	switch (db_exec_params(conn, sql, nparams, params, pg_r, &err)) {
	case CASIER_FOUND:
		return 1;
	case CASIER_ABSENT:
		return 0;
	case CASIER_LOOKUP_ERROR:
		break;
	}
	*pg_r = NULL;
	svc_db_error(&err, "", res);
	return -1;
}

const struct db_statement svc_statements[] = {
    {"svc_token", TOKEN_AUTH_SQL, 1},
    {"svc_domain_resolve", DOMAIN_RESOLVE_SQL, 3},
    {"svc_account_list_n", ACCOUNT_LIST_SQL(">", ""), 4},
    {"svc_account_list_p", ACCOUNT_LIST_SQL("<", "DESC"), 4},
};
const size_t svc_nstatements = CASIER_ARRAY_LEN(svc_statements);

int
svc_sql_named(struct db_conn *conn, const char *name, int nparams,
	      const char *const *params, PGresult **pg_r,
	      struct svc_result *res)
{
	struct db_error err;

	switch (db_exec_prepared(conn, name, nparams, params, pg_r, &err)) {
	case CASIER_FOUND:
		return 1;
	case CASIER_ABSENT:
		return 0;
	case CASIER_LOOKUP_ERROR:
		break;
	}
	*pg_r = NULL;
	svc_db_error(&err, "", res);
	return -1;
}

int
svc_begin(struct db_conn *conn, struct svc_result *res)
{
	struct db_error err;

	if (db_begin(conn, &err) < 0) {
		svc_db_error(&err, "", res);
		return -1;
	}
	return 0;
}

int
svc_commit(struct db_conn *conn, struct svc_result *res)
{
	struct db_error err;

	if (db_commit(conn, &err) < 0) {
		svc_db_error(&err, "", res);
		db_rollback(conn);
		return -1;
	}
	return 0;
}

int
svc_audit_add(struct db_conn *conn, const struct svc_identity *id,
	      long long domain_id, const char *domain_name, const char *action,
	      const char *object, const char *before, const char *after,
	      struct svc_result *res)
{
	char did[24];
	const char *p[7];
	PGresult *r;

	(void)casier_snprintf(did, sizeof(did), "%lld", domain_id);
	p[0] = id->login;
	p[1] = domain_id > 0 ? did : NULL;
	p[2] = domain_name;
	p[3] = action;
	p[4] = object;
	p[5] = before;
	p[6] = after;
	if (svc_sql(conn,
		    "INSERT INTO audit_log (actor, domain_id, domain_name, "
		    "action, object, before, after) VALUES ($1, $2::bigint, "
		    "$3, $4, $5, $6::jsonb, $7::jsonb)",
		    7, p, &r, res) < 0)
		return -1;
	PQclear(r);
	return 0;
}

int
svc_domain_resolve(struct db_conn *conn, const struct svc_identity *id,
		   const char *name, bool lock, long long *domain_id_r,
		   char name_r[SVC_NAME_MAX + 1], struct svc_result *res)
{
	char norm[SVC_NAME_MAX + 1];
	const char *error;
	struct svc_id_params ip;
	const char *p[3];
	PGresult *r;
	int n;

	if (name == NULL ||
	    address_domain_normalize(name, norm, sizeof(norm), &error) < 0) {
		svc_result_set(res, SVC_NOT_FOUND, "", "no such domain");
		return -1;
	}
	svc_id_params(id, &ip);
	p[0] = norm;
	p[1] = ip.admin_id;
	p[2] = ip.superuser;
	n = lock ? svc_sql(conn, DOMAIN_RESOLVE_SQL " FOR UPDATE OF d", 3, p,
			   &r, res)
		 : svc_sql_named(conn, "svc_domain_resolve", 3, p, &r, res);
	if (n < 0)
		return -1;
	if (n == 0) {
		PQclear(r);
		svc_result_set(res, SVC_NOT_FOUND, "", "no such domain");
		return -1;
	}
	*domain_id_r = svc_ll(r, 0, 0);
	svc_copy(name_r, SVC_NAME_MAX + 1, PQgetvalue(r, 0, 1));
	PQclear(r);
	svc_result_ok(res);
	return 0;
}

static bool
svc_is_username(const char *s)
{
	size_t i = 0, len = strlen(s), digits = 0;

	if (len < 6 || len > SVC_USERNAME_MAX || s[0] < 'a' || s[0] > 'z')
		return false;
	/* ^[a-z][a-z0-9]{1,15}[0-9]{4,}$ */
	while (len - digits > 0 && s[len - 1 - digits] >= '0' &&
	       s[len - 1 - digits] <= '9')
		digits++;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9')))
			return false;
	return digits >= 4 && len >= 6;
}

void
svc_targets_free(struct svc_targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->items[i]);
	free(t->items);
	t->items = NULL;
	t->n = 0;
}

int
svc_targets_normalize(struct db_conn *conn, long long domain_id,
		      const char *const *raw, size_t n, size_t max,
		      struct svc_targets *out_r, struct svc_result *res)
{
	char did[24];

	memset(out_r, 0, sizeof(*out_r));
	if (n > max) {
		svc_result_set(res, SVC_INVALID, "targets",
			       "at most %zu targets", max);
		return -1;
	}
	if (n == 0)
		return 0;
	out_r->items = calloc(n, sizeof(char *));
	if (out_r->items == NULL) {
		svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
		return -1;
	}
	(void)casier_snprintf(did, sizeof(did), "%lld", domain_id);
	for (size_t i = 0; i < n; i++) {
		char buf[SVC_ADDRESS_MAX + 2];
		const char *s = raw[i];
		char *item = NULL;

		while (*s == ' ' || *s == '\t')
			s++;
		svc_copy(buf, sizeof(buf), s);
		buf[strcspn(buf, " \t")] = '\0';
		if (strchr(buf, '@') == NULL) {
			const char *p[2];
			PGresult *r;
			int found;

			casier_ascii_lower(buf);
			if (!svc_is_username(buf)) {
				svc_result_set(res, SVC_INVALID, "targets",
					       "target %zu is neither an "
					       "address nor a username",
					       i + 1);
				goto fail;
			}
			p[0] = buf;
			p[1] = did;
			found = svc_sql(conn,
					"SELECT 1 FROM account WHERE username "
					"= $1 AND domain_id = $2::bigint",
					2, p, &r, res);
			if (found < 0)
				goto fail;
			PQclear(r);
			if (found == 0) {
				svc_result_set(res, SVC_INVALID, "targets",
					       "target %zu is not an account "
					       "of this domain",
					       i + 1);
				goto fail;
			}
			item = strdup(buf);
		} else {
			struct address a;
			const char *error;
			char full[SVC_ADDRESS_MAX + 2];

			if (strlen(s) > SVC_ADDRESS_MAX ||
			    address_parse(s, strlen(s), &a, &error) < 0 ||
			    casier_snprintf(full, sizeof(full), "%s%s%s@%s",
					    a.local, a.tag[0] ? "+" : "", a.tag,
					    a.domain) < 0) {
				svc_result_set(res, SVC_INVALID, "targets",
					       "target %zu is not a valid "
					       "address",
					       i + 1);
				goto fail;
			}
			item = strdup(full);
		}
		if (item == NULL) {
			svc_result_set(res, SVC_TEMPFAIL, "", "out of memory");
			goto fail;
		}
		/* drop duplicates quietly */
		for (size_t j = 0; j < out_r->n; j++) {
			if (strcmp(out_r->items[j], item) == 0) {
				free(item);
				item = NULL;
				break;
			}
		}
		if (item != NULL)
			out_r->items[out_r->n++] = item;
	}
	return 0;
fail:
	svc_targets_free(out_r);
	return -1;
}

char *
svc_targets_pg_array(const struct svc_targets *t)
{
	json_t *a = json_array();
	char *s;

	if (a == NULL)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		json_array_append_new(a, json_string(t->items[i]));
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	return s;
}

int
svc_targets_from_pg(const char *text, struct svc_targets *out_r)
{
	json_t *a = json_loads(text, 0, NULL), *e;
	size_t i;

	memset(out_r, 0, sizeof(*out_r));
	if (!json_is_array(a)) {
		json_decref(a);
		return -1;
	}
	if (json_array_size(a) > 0) {
		out_r->items = calloc(json_array_size(a), sizeof(char *));
		if (out_r->items == NULL) {
			json_decref(a);
			return -1;
		}
	}
	json_array_foreach(a, i, e)
	{
		char *s =
		    strdup(json_string_value(e) ? json_string_value(e) : "");
		if (s == NULL) {
			json_decref(a);
			svc_targets_free(out_r);
			return -1;
		}
		out_r->items[out_r->n++] = s;
	}
	json_decref(a);
	return 0;
}

void
svc_keyset_init(const struct svc_page *page, struct svc_keyset *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->dir = 'n';
	ks->limit = page->limit > 0 ? page->limit : SVC_LIMIT_DEFAULT;
	if (page->cursor != NULL &&
	    svc_cursor_decode(page->cursor, &ks->dir, ks->key,
			      sizeof(ks->key)) == 0)
		ks->has_cursor = true;
	else
		ks->dir = 'n';
	(void)casier_snprintf(ks->limit_plus_one, sizeof(ks->limit_plus_one),
			      "%u", ks->limit + 1);
}

size_t
svc_keyset_count(const struct svc_keyset *ks, const PGresult *r)
{
	size_t n = (size_t)PQntuples(r);

	return n > ks->limit ? ks->limit : n;
}

int
svc_keyset_row(const struct svc_keyset *ks, size_t count, size_t i)
{
	/* backwards pages come in descending order */
	return (int)(ks->dir == 'p' ? count - 1 - i : i);
}

void
svc_keyset_cursors(const struct svc_keyset *ks, const PGresult *r, size_t count,
		   int key_col, struct svc_cursors *c)
{
	bool more = (size_t)PQntuples(r) > ks->limit;
	bool has_next, has_prev;

	c->next[0] = '\0';
	c->prev[0] = '\0';
	if (count == 0)
		return;
	if (ks->dir == 'p') {
		has_prev = more;
		has_next = true;
	} else {
		has_next = more;
		has_prev = ks->has_cursor;
	}
	if (has_next &&
	    svc_cursor_encode(
		'n',
		PQgetvalue(r, svc_keyset_row(ks, count, count - 1), key_col),
		c->next, sizeof(c->next)) < 0)
		c->next[0] = '\0';
	if (has_prev &&
	    svc_cursor_encode(
		'p', PQgetvalue(r, svc_keyset_row(ks, count, 0), key_col),
		c->prev, sizeof(c->prev)) < 0)
		c->prev[0] = '\0';
}

char *
svc_like_pattern(const char *q)
{
	struct str s;

	if (q == NULL || q[0] == '\0')
		return NULL;
	str_init(&s, 4 * SVC_QUERY_MAX + 8);
	(void)str_append_char(&s, '%');
	for (; *q != '\0'; q++) {
		if ((*q == '%' || *q == '_' || *q == '\\') &&
		    str_append_char(&s, '\\') < 0)
			break;
		if (str_append_char(&s, *q) < 0)
			break;
	}
	if (str_append_char(&s, '%') < 0) {
		str_free(&s);
		return NULL;
	}
	return str_steal(&s);
}

/*
 * http.h - casier-mgmtd's HTTP core: requests, responses, routes.
 *
 * http.c runs two libmicrohttpd daemons (HTTP on loopback, HTTPS with
 * GnuTLS) in one process.  For every request it reads the whole body (up
 * to the configured limit, else 413), finds the route by method and path,
 * fills a struct http_request and calls the route's handler with an empty
 * struct http_response.  The handler sets status, content type, headers
 * and body (in memory, or an open file for downloads: http_response_file);
 * http.c adds the security headers (CSP without inline script,
 * frame-ancestors 'none', nosniff, Referrer-Policy, HSTS on HTTPS), sends
 * it and writes one access-log line.
 *
 * Handlers run on MHD's pool threads and may block on PostgreSQL.  They
 * must not keep pointers into the request after returning.
 *
 * Page modules (HTML, owned by the pages side) register their routes in
 * mgmtd/pages.h; the JSON API registers its routes in api.h.
 */
#ifndef CASIER_MGMTD_HTTP_H
#define CASIER_MGMTD_HTTP_H

#include "casier.h"
#include "service.h"
#include "str.h"

#include <stdint.h>

struct MHD_Connection;
struct db_pool;
struct wordlist;

/* [web] section of casier.conf (docs/web.md lists every key). */
struct web_config {
	char *listen;		/* address for both daemons, 127.0.0.1 */
	long long http_port;	/* 0 = no plain HTTP daemon */
	long long https_port;	/* 0 = no HTTPS daemon */
	char *tls_cert;		/* PEM certificate (chain) file */
	char *tls_key;		/* PEM private key file */
	char *user;		/* drop to this user when started as root */
	long long threads;	/* MHD thread pool size per daemon */
	long long db_pool_size; /* PostgreSQL connections */
	long long max_connections;
	long long per_ip_connections;
	unsigned long long connection_memory; /* bytes per connection */
	long long connection_timeout;	      /* seconds */
	unsigned long long max_body;	      /* bytes; larger -> 413 */
	long long session_idle;		      /* seconds (pages) */
	long long session_absolute;	      /* seconds (pages) */
	char *wordlist;			      /* password word list file */
	char *default_language;		      /* "fr" or "en" */
	char *templates_dir;		      /* HTML templates (pages) */
	char *locale_dir;		      /* message catalogs (pages) */
	char *auth_flush_command; /* argv (space-separated) + usernames */
	char *db_conninfo;	  /* [database] conninfo (shared) */
};

/* Everything a handler may use; created once by main.c, read-only after. */
struct mgmtd_ctx {
	const struct web_config *cfg;
	struct db_pool *db;
	const struct wordlist *words;
	struct svc svc; /* the service layer: &req->ctx->svc */
	void *pages;	/* owned by pages_init()/pages_deinit() */
};

enum http_method {
	HTTP_GET,
	HTTP_HEAD,
	HTTP_POST,
	HTTP_PUT,
	HTTP_PATCH,
	HTTP_DELETE,
	HTTP_OTHER,
};

#define HTTP_MAX_PATH_PARAMS 4

struct http_param {
	const char *name;  /* as written in the route pattern, without {} */
	const char *value; /* percent-decoded path segment */
};

struct http_request {
	const struct mgmtd_ctx *ctx;
	struct MHD_Connection *conn; /* for http_request_query() & co */
	enum http_method method;
	const char *method_name; /* "GET", ... */
	const char *path;	 /* decoded path, no query string */
	struct http_param params[HTTP_MAX_PATH_PARAMS];
	size_t nparams;
	const char *body; /* NUL-terminated copy; may contain NULs */
	size_t body_len;
	const char *content_type; /* media type, lower-case, no params; "" */
	char client_ip[46];	  /* textual IPv4/IPv6 */
	bool is_https;
	/* Optional: a handler may name the authenticated admin for the
	 * access log (copied, at most 64 bytes). */
	char log_user[65];
};

/* A path parameter by name ({domain} -> "domain"); NULL when absent. */
const char *http_request_param(const struct http_request *req,
			       const char *name);
/* The first value of a query-string argument (decoded); NULL if absent. */
const char *http_request_query(const struct http_request *req,
			       const char *name);
/* A request header (case-insensitive name); NULL when absent. */
const char *http_request_header(const struct http_request *req,
				const char *name);
/* A cookie value; NULL when absent. */
const char *http_request_cookie(const struct http_request *req,
				const char *name);

#define HTTP_MAX_HEADERS 8

struct http_response {
	unsigned int status;   /* 200 by default */
	char content_type[96]; /* "text/html; charset=utf-8" by default */
	struct str body;       /* hard maximum 64 MiB */
	size_t nheaders;
	char *header_names[HTTP_MAX_HEADERS];
	char *header_values[HTTP_MAX_HEADERS];
	/* A file body (downloads, http_response_file): -1 = none.  Sent by
	 * MHD straight from the descriptor (sendfile on HTTP, read + TLS on
	 * HTTPS), so its size is not bounded by the in-memory limit. */
	int file_fd;
	uint64_t file_size;
};

void http_response_init(struct http_response *resp);
void http_response_free(struct http_response *resp);
void http_response_set_type(struct http_response *resp, const char *type);
/* Add a header (Set-Cookie may repeat).  -1 when the table is full. */
int http_response_header(struct http_response *resp, const char *name,
			 const char *value);
/*
 * Answer with the regular file at path as the body (a download):
 * opened O_RDONLY | O_NOFOLLOW | O_CLOEXEC (a symbolic link is
 * refused), fstat()ed (anything but a
 * regular file is refused with EINVAL).  The response owns the
 * descriptor: http.c hands it to MHD (MHD_create_response_from_fd64),
 * which closes it after sending; http_response_free() closes it when
 * it was never sent.  Sets status 200 and content type; the in-memory
 * body is dropped.  -1 with errno on failure (nothing changed).
 */
int http_response_file(struct http_response *resp, const char *path,
		       const char *type);
/* A redirect (303 See Other for POST-redirect-GET) to a local path. */
void http_response_redirect(struct http_response *resp, unsigned int status,
			    const char *location);
/* A plain-text body with the given status (errors of the HTML side). */
void http_response_text(struct http_response *resp, unsigned int status,
			const char *text);

typedef void http_handler_fn(struct http_request *req,
			     struct http_response *resp);

/*
 * A route: method and a pattern of '/'-separated literal segments and
 * "{name}" segments (each matches one non-empty segment).  The first
 * matching route wins; a path that matches a pattern with another method
 * gets 405.  A trailing "/{*}" is not supported on purpose.
 */
struct route {
	enum http_method method;
	const char *pattern;
	http_handler_fn *handler;
};

/*
 * Match path against pattern; on success fills params (pointers into
 * the copy buf of size bufsize) and returns true.  Exposed for tests.
 */
bool http_route_match(const char *pattern, const char *path, char *buf,
		      size_t bufsize, struct http_param *params,
		      size_t *nparams_r);

struct http_server;

/*
 * Start the daemons (HTTP and/or HTTPS).  cert_pem/key_pem: PEM text
 * read by main.c before dropping privileges (NULL when https_port is 0).
 * NULL + log line on failure.
 */
struct http_server *http_server_start(const struct mgmtd_ctx *ctx,
				      const char *cert_pem,
				      const char *key_pem);
void http_server_stop(struct http_server **srv);

#endif

/*
 * http.c - casier-mgmtd's HTTP core on libmicrohttpd.
 *
 * Called by main.c (http_server_start/stop); runs handlers from api.h and
 * pages.h on MHD's pool threads.  Two daemons share one access handler:
 * plain HTTP (loopback) and HTTPS (GnuTLS, the stack's certificate).
 * Limits: connections, connections per IP, memory per connection (also
 * caps the header size), idle timeout, request body size (413).  Every
 * response gets the security headers and one access-log line.  Bodies
 * are in memory (at most 64 MiB) or, for downloads, an open file that
 * MHD streams from its descriptor (http_response_file).
 *
 * Runs unprivileged (main.c dropped to the casier user before starting
 * the daemons).  Failures: allocation failure answers 500 or drops the
 * connection; a failed start returns NULL after logging why.
 */
#include "http.h"

#include "api.h"
#include "log.h"
#include "pages.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HTTP_BODY_MAX_RESPONSE (64u * 1024u * 1024u)

struct http_daemon {
	struct http_server *srv;
	struct MHD_Daemon *mhd;
	bool https;
};

struct http_server {
	const struct mgmtd_ctx *ctx;
	struct http_daemon plain;
	struct http_daemon tls;
};

/* Per-request state, MHD's *req_cls (created on the first callback). */
struct http_conn_state {
	struct str body;
	bool headers_done; /* the first access callback ran */
	bool too_large;
	bool bad_uri;  /* the raw URI encodes a NUL (%00) */
	bool answered; /* a response was queued (maybe before the body) */
	unsigned long long discarded; /* body bytes dropped after the limit */
	struct timespec started;
};

static const char security_csp[] =
    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'; object-src 'none'";

/* ---- requests ------------------------------------------------------- */

const char *
http_request_param(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nparams; i++)
		if (strcmp(req->params[i].name, name) == 0)
			return req->params[i].value;
	return NULL;
}

const char *
http_request_query(const struct http_request *req, const char *name)
{
	if (req->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND,
					   name);
}

const char *
http_request_header(const struct http_request *req, const char *name)
{
	if (req->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *
http_request_cookie(const struct http_request *req, const char *name)
{
	if (req->conn == NULL)
		return NULL;
	return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

/* ---- responses ------------------------------------------------------ */

void
http_response_init(struct http_response *resp)
{
	memset(resp, 0, sizeof(*resp));
	resp->status = 200;
	(void)casier_snprintf(resp->content_type, sizeof(resp->content_type),
			      "%s", "text/html; charset=utf-8");
	str_init(&resp->body, HTTP_BODY_MAX_RESPONSE);
	resp->file_fd = -1;
}

void
http_response_free(struct http_response *resp)
{
	str_free(&resp->body);
	if (resp->file_fd >= 0)
		(void)close(resp->file_fd);
	resp->file_fd = -1;
	for (size_t i = 0; i < resp->nheaders; i++) {
		free(resp->header_names[i]);
		free(resp->header_values[i]);
	}
	resp->nheaders = 0;
}

void
http_response_set_type(struct http_response *resp, const char *type)
{
	if (casier_snprintf(resp->content_type, sizeof(resp->content_type),
			    "%s", type) < 0)
		resp->content_type[0] = '\0';
}

int
http_response_header(struct http_response *resp, const char *name,
		     const char *value)
{
	char *n, *v;

	/* A header value never carries CR/LF (response splitting). */
	if (resp->nheaders >= HTTP_MAX_HEADERS || strpbrk(value, "\r\n"))
		return -1;
	n = strdup(name);
	v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return -1;
	}
	resp->header_names[resp->nheaders] = n;
	resp->header_values[resp->nheaders] = v;
	resp->nheaders++;
	return 0;
}

int
http_response_file(struct http_response *resp, const char *path,
		   const char *type)
{
	struct stat sb;
	int fd, e, flags;

	/* O_NONBLOCK: opening a FIFO must not wait for a writer; it is
	 * cleared again for the regular file (MHD wants blocking reads) */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &sb) < 0)
		e = errno;
	else if (!S_ISREG(sb.st_mode) || sb.st_size < 0)
		e = EINVAL; /* a FIFO or device would block or never end */
	else if ((flags = fcntl(fd, F_GETFL)) < 0 ||
		 fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		e = errno;
	else
		e = 0;
	if (e != 0) {
		(void)close(fd);
		errno = e;
		return -1;
	}
	if (resp->file_fd >= 0)
		(void)close(resp->file_fd);
	resp->file_fd = fd;
	resp->file_size = (uint64_t)sb.st_size;
	resp->status = 200;
	str_clear(&resp->body);
	http_response_set_type(resp, type);
	return 0;
}

void
http_response_redirect(struct http_response *resp, unsigned int status,
		       const char *location)
{
	resp->status = status;
	str_clear(&resp->body);
	if (http_response_header(resp, "Location", location) < 0)
		resp->status = 500;
}

void
http_response_text(struct http_response *resp, unsigned int status,
		   const char *text)
{
	resp->status = status;
	http_response_set_type(resp, "text/plain; charset=utf-8");
	str_clear(&resp->body);
	(void)str_append(&resp->body, text);
	(void)str_append_char(&resp->body, '\n');
}

/* Errors raised by the core itself: JSON under /api/, text elsewhere. */
static void
http_core_error(const char *path, struct http_response *resp,
		unsigned int status, const char *code, const char *message)
{
	if (strncmp(path, "/api/", 5) == 0) {
		resp->status = status;
		http_response_set_type(resp, "application/json");
		str_clear(&resp->body);
		/* code and message are constants without quotes. */
		(void)str_appendf(&resp->body,
				  "{\"error\":{\"code\":\"%s\",\"message\":"
				  "\"%s\",\"field\":null}}\n",
				  code, message);
	} else {
		http_response_text(resp, status, message);
	}
}

/* ---- routing -------------------------------------------------------- */

bool
http_route_match(const char *pattern, const char *path, char *buf,
		 size_t bufsize, struct http_param *params, size_t *nparams_r)
{
	size_t np = 0, used = 0;
	const char *p = pattern, *s = path;

	*nparams_r = 0;
	while (*p != '\0' || *s != '\0') {
		size_t plen, slen;
		const char *pe, *se;

		if (*p != '/' || *s != '/')
			return false;
		p++;
		s++;
		pe = strchr(p, '/');
		plen = pe != NULL ? (size_t)(pe - p) : strlen(p);
		se = strchr(s, '/');
		slen = se != NULL ? (size_t)(se - s) : strlen(s);
		if (plen >= 2 && p[0] == '{' && p[plen - 1] == '}') {
			if (slen == 0 || np >= HTTP_MAX_PATH_PARAMS)
				return false;
			/* name and value both copied into buf;
			 * used + plen + slen + 2 <= bufsize is checked */
			if (plen + slen + 2 > bufsize - used)
				return false;
			memcpy(buf + used, p + 1, plen - 2);
			buf[used + plen - 2] = '\0';
			params[np].name = buf + used;
			used += plen - 1;
			memcpy(buf + used, s, slen);
			buf[used + slen] = '\0';
			params[np].value = buf + used;
			used += slen + 1;
			np++;
		} else if (plen != slen || memcmp(p, s, plen) != 0) {
			return false;
		}
		p += plen;
		s += slen;
	}
	*nparams_r = np;
	return true;
}

static enum http_method
http_method_parse(const char *m)
{
	static const struct {
		const char *name;
		enum http_method method;
	} methods[] = {
	    {"GET", HTTP_GET}, {"HEAD", HTTP_HEAD},   {"POST", HTTP_POST},
	    {"PUT", HTTP_PUT}, {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE},
	};

	for (size_t i = 0; i < CASIER_ARRAY_LEN(methods); i++)
		if (strcmp(m, methods[i].name) == 0)
			return methods[i].method;
	return HTTP_OTHER;
}

/*
 * Find the handler.  Returns the handler, or NULL with *status_r 404 (no
 * pattern matches) or 405 (a pattern matches with another method).
 */
static http_handler_fn *
http_route_find(const struct route *routes, size_t n, struct http_request *req,
		char *buf, size_t bufsize, unsigned int *status_r)
{
	enum http_method m = req->method == HTTP_HEAD ? HTTP_GET : req->method;

	for (size_t i = 0; i < n; i++) {
		struct http_param params[HTTP_MAX_PATH_PARAMS];
		size_t np;

		if (!http_route_match(routes[i].pattern, req->path, buf,
				      bufsize, params, &np))
			continue;
		if (routes[i].method != m) {
			*status_r = 405;
			continue;
		}
		memcpy(req->params, params, sizeof(params));
		req->nparams = np;
		return routes[i].handler;
	}
	return NULL;
}

/* ---- MHD glue ------------------------------------------------------- */

static void
http_client_ip(struct MHD_Connection *conn, char *out, size_t outsize)
{
	const union MHD_ConnectionInfo *ci;

	(void)casier_snprintf(out, outsize, "%s", "-");
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (getnameinfo(ci->client_addr,
			ci->client_addr->sa_family == AF_INET6
			    ? sizeof(struct sockaddr_in6)
			    : sizeof(struct sockaddr_in),
			out, (socklen_t)outsize, NULL, 0, NI_NUMERICHOST) != 0)
		(void)casier_snprintf(out, outsize, "%s", "-");
}

static void
http_content_type(const char *header, char *out, size_t outsize)
{
	size_t i = 0;

	out[0] = '\0';
	if (header == NULL)
		return;
	while (*header == ' ' || *header == '\t')
		header++;
	for (; header[i] != '\0' && header[i] != ';' && header[i] != ' ' &&
	       i + 1 < outsize;
	     i++) {
		char c = header[i];
		out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	out[i] = '\0';
}

static void
http_access_log(const struct http_request *req, unsigned int status,
		uint64_t bytes, const struct timespec *started)
{
	struct timespec now;
	char path[256];
	long long us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (long long)(now.tv_sec - started->tv_sec) * 1000000LL +
	     (now.tv_nsec - started->tv_nsec) / 1000;
	log_sanitize(path, sizeof(path), req->path, strlen(req->path));
	log_info("access: %s %s %s %s %u %llu %lld.%03lldms user=%s",
		 req->client_ip, req->is_https ? "https" : "http",
		 req->method_name, path, status, (unsigned long long)bytes,
		 us / 1000, us % 1000,
		 req->log_user[0] != '\0' ? req->log_user : "-");
}

static enum MHD_Result
http_send(struct MHD_Connection *conn, const struct http_request *req,
	  struct http_response *resp, const struct timespec *started)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	uint64_t len = resp->body.len;

	if (resp->file_fd >= 0) {
		/* MHD reads the file while sending (sendfile() on plain
		 * HTTP, pread() + gnutls on HTTPS) and sets Content-Length;
		 * it owns the descriptor from here on and closes it when the
		 * response is destroyed.  On failure it stays ours
		 * (http_response_free closes it). */
		len = resp->file_size;
		r = MHD_create_response_from_fd64(len, resp->file_fd);
		if (r != NULL)
			resp->file_fd = -1;
	} else {
		r = MHD_create_response_from_buffer(
		    (size_t)len,
		    resp->body.data != NULL ? resp->body.data : (char *)"",
		    MHD_RESPMEM_MUST_COPY);
	}
	if (r == NULL) {
		log_error("web: cannot create a response (out of memory)");
		return MHD_NO;
	}
	if (resp->content_type[0] != '\0')
		(void)MHD_add_response_header(r, "Content-Type",
					      resp->content_type);
	for (size_t i = 0; i < resp->nheaders; i++)
		(void)MHD_add_response_header(r, resp->header_names[i],
					      resp->header_values[i]);
	(void)MHD_add_response_header(r, "Content-Security-Policy",
				      security_csp);
	(void)MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	(void)MHD_add_response_header(r, "X-Frame-Options", "DENY");
	(void)MHD_add_response_header(r, "Referrer-Policy", "same-origin");
	(void)MHD_add_response_header(r, "Cache-Control", "no-store");
	if (req->is_https)
		(void)MHD_add_response_header(r, "Strict-Transport-Security",
					      "max-age=31536000");
	ret = MHD_queue_response(conn, resp->status, r);
	MHD_destroy_response(r);
	/* logged when queued: a file's transfer is not part of the time */
	http_access_log(req, resp->status, len, started);
	return ret;
}

static void
http_dispatch(const struct mgmtd_ctx *ctx, struct http_request *req,
	      struct http_response *resp)
{
	char buf[2048];
	unsigned int status = 404;
	http_handler_fn *h = NULL;
	const struct route *routes;
	size_t n;

	if (req->method == HTTP_OTHER) {
		http_core_error(req->path, resp, 405, "method_not_allowed",
				"method not allowed");
		return;
	}
	routes = api_routes(&n);
	h = http_route_find(routes, n, req, buf, sizeof(buf), &status);
	if (h == NULL) {
		routes = pages_routes(&n);
		if (routes != NULL)
			h = http_route_find(routes, n, req, buf, sizeof(buf),
					    &status);
	}
	if (h == NULL) {
		http_core_error(
		    req->path, resp, status,
		    status == 405 ? "method_not_allowed" : "not_found",
		    status == 405 ? "method not allowed" : "not found");
		return;
	}
	(void)ctx;
	h(req, resp);
	if (req->method == HTTP_HEAD)
		str_clear(&resp->body);
}

static enum MHD_Result
http_access(void *cls, struct MHD_Connection *conn, const char *url,
	    const char *method, const char *version, const char *upload_data,
	    size_t *upload_data_size, void **req_cls)
{
	struct http_daemon *d = cls;
	const struct mgmtd_ctx *ctx = d->srv->ctx;
	struct http_conn_state *st = *req_cls;
	struct http_request req;
	struct http_response resp;
	char ctype[96];
	enum MHD_Result ret;

	(void)version;
	if (st == NULL)
		return MHD_NO; /* http_uri_start() ran out of memory */
	if (!st->headers_done) {
		const char *cl;

		st->headers_done = true;
		/* one byte more than the limit tells "too large" apart */
		str_init(&st->body, (size_t)ctx->cfg->max_body + 1);
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 "Content-Length");
		if (cl != NULL && strtoull(cl, NULL, 10) > ctx->cfg->max_body)
			st->too_large = true;
		/* refuse before reading the body (no "100 Continue"); MHD
		 * closes the connection after the answer */
		if (!st->too_large && !st->bad_uri)
			return MHD_YES;
	} else if (*upload_data_size != 0) {
		if (!st->too_large && str_append_mem(&st->body, upload_data,
						     *upload_data_size) < 0)
			st->too_large = true;
		if (st->body.len > ctx->cfg->max_body)
			st->too_large = true;
		if (st->too_large) {
			/* a body without Content-Length grew past the limit:
			 * drop it and answer 413 at its end; an endless
			 * stream is cut (the connection closes) after 16
			 * times the limit.  16 * max_body (<= 256 MiB)
			 * cannot overflow. */
			str_free(&st->body);
			st->discarded += *upload_data_size;
			if (st->discarded > 16 * ctx->cfg->max_body) {
				char ip[46];

				http_client_ip(conn, ip, sizeof(ip));
				log_info("web: %s: request body without end, "
					 "closing the connection",
					 ip);
				return MHD_NO;
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	} else if (st->answered) {
		return MHD_YES;
	}

	memset(&req, 0, sizeof(req));
	req.ctx = ctx;
	req.conn = conn;
	req.method_name = method;
	req.method = http_method_parse(method);
	req.path = url;
	req.body = st->body.data != NULL ? st->body.data : "";
	req.body_len = st->body.len;
	req.is_https = d->https;
	http_client_ip(conn, req.client_ip, sizeof(req.client_ip));
	http_content_type(
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type"),
	    ctype, sizeof(ctype));
	req.content_type = ctype;

	http_response_init(&resp);
	/* a NUL (%00) or bytes that are not UTF-8 in the decoded path: no
	 * name of ours looks like that, and the database would refuse it */
	if (st->bad_uri || !casier_utf8_valid(url, strlen(url)))
		http_core_error(url, &resp, 400, "bad_request",
				"bad request path");
	else if (st->too_large)
		http_core_error(url, &resp, 413, "too_large",
				"request body too large");
	else
		http_dispatch(ctx, &req, &resp);
	ret = http_send(conn, &req, &resp, &st->started);
	http_response_free(&resp);
	st->answered = true;
	return ret;
}

/*
 * MHD's URI log callback: runs before MHD decodes the path, so it sees
 * the raw URI.  Its result becomes *req_cls: the per-request state.  A
 * %00 would be decoded into a NUL that silently cuts the path short.
 */
static void *
http_uri_start(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_conn_state *st = calloc(1, sizeof(*st));

	(void)cls;
	(void)conn;
	if (st == NULL)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &st->started);
	st->bad_uri = uri != NULL && strstr(uri, "%00") != NULL;
	return st;
}

static void
http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
	       enum MHD_RequestTerminationCode toe)
{
	struct http_conn_state *st = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (st == NULL)
		return;
	str_free(&st->body);
	free(st);
	*req_cls = NULL;
}

static void http_mhd_log(void *cls, const char *fmt, va_list ap)
    CASIER_ATTR_PRINTF(2, 0);

static void
http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	if (vsnprintf(line, sizeof(line), fmt, ap) < 0)
		return;
	line[strcspn(line, "\r\n")] = '\0';
	log_warning("libmicrohttpd: %s", line);
}

static int
http_daemon_start(struct http_daemon *d, const struct mgmtd_ctx *ctx,
		  long long port, const char *cert, const char *key)
{
	const struct web_config *cfg = ctx->cfg;
	struct sockaddr_in sin;
	unsigned int flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, cfg->listen, &sin.sin_addr) != 1) {
		log_error("web: listen address %s is not an IPv4 address",
			  cfg->listen);
		return -1;
	}
	if (d->https)
		flags |= MHD_USE_TLS;
	d->mhd = MHD_start_daemon(
	    flags, (uint16_t)port, NULL, NULL, http_access, d,
	    MHD_OPTION_EXTERNAL_LOGGER, http_mhd_log, NULL,
	    MHD_OPTION_URI_LOG_CALLBACK, http_uri_start, NULL,
	    MHD_OPTION_SOCK_ADDR, (const struct sockaddr *)&sin,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->threads,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->max_connections,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (unsigned int)cfg->per_ip_connections,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)cfg->connection_memory,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)cfg->connection_timeout, MHD_OPTION_NOTIFY_COMPLETED,
	    http_completed, NULL,
	    d->https ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cert,
	    MHD_OPTION_HTTPS_MEM_KEY, key, MHD_OPTION_END);
	if (d->mhd == NULL) {
		log_error("web: cannot start %s daemon on %s:%lld",
			  d->https ? "HTTPS" : "HTTP", cfg->listen, port);
		return -1;
	}
	log_info("web: %s listening on %s:%lld", d->https ? "https" : "http",
		 cfg->listen, port);
	return 0;
}

struct http_server *
http_server_start(const struct mgmtd_ctx *ctx, const char *cert_pem,
		  const char *key_pem)
{
	struct http_server *srv = calloc(1, sizeof(*srv));

	if (srv == NULL)
		return NULL;
	srv->ctx = ctx;
	srv->plain.srv = srv;
	srv->tls.srv = srv;
	srv->tls.https = true;
	if (ctx->cfg->http_port > 0 &&
	    http_daemon_start(&srv->plain, ctx, ctx->cfg->http_port, NULL,
			      NULL) < 0)
		goto fail;
	if (ctx->cfg->https_port > 0) {
		if (cert_pem == NULL || key_pem == NULL) {
			log_error("web: HTTPS needs tls_cert and tls_key");
			goto fail;
		}
		if (http_daemon_start(&srv->tls, ctx, ctx->cfg->https_port,
				      cert_pem, key_pem) < 0)
			goto fail;
	}
	return srv;
fail:
	http_server_stop(&srv);
	return NULL;
}

void
http_server_stop(struct http_server **srvp)
{
	struct http_server *srv = *srvp;

	if (srv == NULL)
		return;
	if (srv->plain.mhd != NULL)
		MHD_stop_daemon(srv->plain.mhd);
	if (srv->tls.mhd != NULL)
		MHD_stop_daemon(srv->tls.mhd);
	free(srv);
	*srvp = NULL;
}

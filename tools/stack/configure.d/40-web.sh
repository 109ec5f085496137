#!/bin/bash
# tools/stack/configure.d/40-web.sh - the [web] section for casier-mgmtd
# (issue 4, docs/web.md).
#
# Run by tools/up (as root) after casier.conf is written: appends the
# web manager's keys to $CASIER_CONFIG (tools/up already wrote [web]
# wordlist, shared with casier-admin; a second [web] header is fine, a
# key may appear once).  HTTP on +80 and HTTPS on +443, loopback only,
# with the stack's certificate.
set -euo pipefail
. "$CASIER_SRC_DIR/tools/stack/lib.sh"
CASIER_PROG=configure-web

cat >>"$CASIER_CONFIG" <<CONF

[web]
listen = 127.0.0.1
http_port = $CASIER_HTTP_PORT
https_port = $CASIER_HTTPS_PORT
tls_cert = $CASIER_TLS_CERT
tls_key = $CASIER_TLS_KEY
user = casier
threads = 4
db_pool_size = 8
max_connections = 256
per_ip_connections = 64
connection_memory = 64k
connection_timeout = 30s
max_body = 1M
session_idle = 30m
session_absolute = 12h
default_language = fr
templates_dir = $CASIER_SRC_DIR/templates
locale_dir = $CASIER_SRC_DIR/templates/locale
auth_flush_command = /usr/bin/doveadm -O auth cache flush -a $DOVECOT_BASE_DIR/auth-master
CONF

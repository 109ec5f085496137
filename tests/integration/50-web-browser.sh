#!/bin/bash
# 50-web-browser.sh - runs the browser tests of the web manager
# (tests/browser/run.mjs: Debian's Chromium driven by playwright-core)
# against the stack and passes their PASS:/FAIL: lines through.
# Installs playwright-core into tests/browser/node_modules with npm ci
# (package-lock.json) when it is missing.  Screenshots are kept in
# tests/browser/artifacts/.
# Needs CASIER_WEB_URL, CASIER_SUPERUSER, CASIER_SUPERUSER_PASSWORD,
# CASIER_API_TOKEN and CASIER_TLS_CA (run/stack.env).

set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
dir=$src/tests/browser
chromium=${CASIER_CHROMIUM:-/usr/bin/chromium}

for v in CASIER_WEB_URL CASIER_SUPERUSER CASIER_SUPERUSER_PASSWORD CASIER_API_TOKEN; do
	if [ -z "${!v:-}" ]; then
		echo "FAIL: web-browser: $v not set (source run/stack.env)"
		exit 1
	fi
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "FAIL: web-browser: node and npm are needed (tools/packages: nodejs npm)"
	exit 1
fi
if [ ! -x "$chromium" ]; then
	echo "FAIL: web-browser: $chromium not found (tools/packages: chromium)"
	exit 1
fi
if [ ! -f "$dir/node_modules/playwright-core/package.json" ]; then
	if ! (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error) >/tmp/casier-npm-$$.log 2>&1; then
		echo "FAIL: web-browser: npm ci failed: $(tail -3 /tmp/casier-npm-$$.log | tr '\n' ' ')"
		rm -f /tmp/casier-npm-$$.log
		exit 1
	fi
	rm -f /tmp/casier-npm-$$.log
fi

export CASIER_CHROMIUM=$chromium
if [ -n "${CASIER_TLS_CA:-}" ]; then
	export NODE_EXTRA_CA_CERTS=$CASIER_TLS_CA
fi
cd "$dir" && exec node run.mjs

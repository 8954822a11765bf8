#!/usr/bin/env bash
# Runs a command with Node.js 22 or later first on PATH. Switchyard supports Node 22+ (what its Lambda functions run:
# nodejs22.x; aws-local-stepfunctions needs it, and so does the AWS SDK from January 2027). When the machine's
# `node` is older, Node 22 is fetched once from the npm registry (the `node` package, which carries the official
# binaries) into the user's cache and used from there: `bash scripts/node22.sh npx switchyard local`.
set -euo pipefail

NODE_PACKAGE="node@22.23.3"
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge 22 ]; then
  exec "$@"
fi

cache="${XDG_CACHE_HOME:-$HOME/.cache}/switchyard/${NODE_PACKAGE/@/-}"
bin="$cache/node_modules/node/bin"
if [ ! -x "$bin/node" ] || [ "$(major "$bin/node")" -lt 22 ]; then
  command -v npm >/dev/null 2>&1 || { echo "node22.sh: npm is missing; install Node.js 22+ from https://nodejs.org" >&2; exit 1; }
  echo "node22.sh: $(node --version 2>/dev/null || echo 'no node') is older than Switchyard supports (22+); fetching $NODE_PACKAGE from the npm registry into $cache" >&2
  mkdir -p "$cache"
  chmod 700 "$cache"
  npm install --silent --no-audit --no-fund --no-save --prefix "$cache" "$NODE_PACKAGE" >&2
  [ "$(major "$bin/node")" -ge 22 ] || { echo "node22.sh: $NODE_PACKAGE did not install a working node in $bin" >&2; exit 1; }
fi
export PATH="$bin:$PATH"
exec "$@"

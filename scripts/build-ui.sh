#!/usr/bin/env bash
# Builds the web console (ui/) into OUT_DIR for embedding in the binary (src/ui):
#   index.html, favicon.svg, app.css (minified) and app.js (ui/src/app.js with
#   chart.js, bundled and minified by esbuild into one ES module).
# Runs `npm ci` in ui/ only when node_modules is missing or package-lock.json
# changed since the last install. Several build trees may run it at once: the
# install is serialised with a lock on the ui/ folder.
set -euo pipefail
out="${1:?usage: scripts/build-ui.sh OUT_DIR}"
ui="$(cd "$(dirname "$0")/../ui" && pwd)"
command -v npm >/dev/null 2>&1 || { echo "build-ui: Node.js and npm are needed (scripts/install-deps.sh)" >&2; exit 1; }

exec 9<"$ui"
flock 9
stamp="$ui/node_modules/.passgate-installed-lock"
if [ ! -x "$ui/node_modules/.bin/esbuild" ] || ! cmp -s "$ui/package-lock.json" "$stamp"; then
  (cd "$ui" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$ui/package-lock.json" "$stamp"
fi

mkdir -p "$out"
esbuild="$ui/node_modules/.bin/esbuild"
# chart.js's licence comment is kept at the end of the bundle.
"$esbuild" "$ui/src/app.js" --bundle --minify --format=esm --target=es2020 --legal-comments=eof \
  --log-level=warning --outfile="$out/app.js"
"$esbuild" "$ui/src/app.css" --minify --log-level=warning --outfile="$out/app.css"
cp "$ui/src/index.html" "$ui/src/favicon.svg" "$out/"

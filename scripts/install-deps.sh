#!/usr/bin/env bash
# Installs the Debian 12 packages passgate builds and tests with, when missing.
# Needs root (or sudo) only if something is missing.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libyaml-cpp-dev libspdlog-dev libcli11-dev libsqlite3-dev
  zlib1g-dev libbrotli-dev libpq-dev libhiredis-dev
)
# The web console (ui/) is built with npm and esbuild as part of the build.
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [ "${1:-}" = "--tests" ]; then
  # The fleet tests start throwaway PostgreSQL and Redis servers of their own.
  # The console's browser test drives Debian's chromium (tests/ui).
  packages+=(libgtest-dev libgmock-dev libbenchmark-dev postgresql-15 redis-server chromium)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "passgate: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"

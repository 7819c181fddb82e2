#!/usr/bin/env bash
# Installs the Debian 12 packages hybridgw needs to build, test, run the demo
# and the benchmarks (DESIGN.md §7), and clang for the sanitizer and fuzz
# builds. Installs only what is missing.
set -euo pipefail

packages=(
  g++ cmake make ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-system1.81-dev
  libssl-dev openssl ca-certificates
  libyaml-cpp-dev prometheus-cpp-dev catch2 libre2-dev
  libsqlite3-dev libhiredis-dev redis-server libicu-dev libjemalloc-dev
  curl python3 nginx-light wrk
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null

#!/usr/bin/env bash
# Puts Debian 12's prometheus and promtool binaries into .cache/prometheus/
# (unpacked from the package, not installed: no service starts, nothing
# listens). The tests use promtool on deploy/prometheus/ and prometheus on
# loopback. Does nothing when they are already there.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${PROMETHEUS_DIR:-$(pwd)/.cache/prometheus}
[ -x "$dest/usr/bin/promtool" ] && [ -x "$dest/usr/bin/prometheus" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! (cd "$tmp" && apt-get download -qq prometheus 2>/dev/null); then
  $SUDO apt-get update -qq
  (cd "$tmp" && apt-get download -qq prometheus)
fi
mkdir -p "$dest"
dpkg-deb -x "$tmp"/prometheus_*.deb "$dest"
echo "prometheus and promtool unpacked into $dest"

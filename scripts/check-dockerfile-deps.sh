#!/usr/bin/env bash
# Checks that deploy/Dockerfile installs what the built binary needs: for each
# shared library hybridgw links against, the runtime stage installs its Debian
# package and the build stage the -dev package that owns its link-time .so —
# so that a dependency added to CMakeLists.txt cannot leave the image unable to
# build or start. The toolchain's own libraries (libc, libstdc++, libgcc) are
# in every Debian image and skipped.
# usage: scripts/check-dockerfile-deps.sh BINARY
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${1:?usage: check-dockerfile-deps.sh BINARY}
DOCKERFILE="$ROOT/deploy/Dockerfile"
build_stage=$(awk '/^FROM .* AS build/{on=1} /^FROM .* AS runtime/{on=0} on' "$DOCKERFILE")
runtime_stage=$(awk '/^FROM .* AS runtime/{on=1} on' "$DOCKERFILE")
# dpkg knows a file by the path its package installed (/lib or /usr/lib on a merged /usr).
owner() { { dpkg -S "$(readlink -f "$1")" 2>/dev/null || dpkg -S "$1" 2>/dev/null || true; } | head -1 | cut -d: -f1; }
failed=0
while read -r lib <&3; do  # fd 3: nothing in the loop can eat the list
  pkg=$(owner "$lib")
  [ -n "$pkg" ] || { echo "cannot tell which package holds $lib (dpkg -S)"; failed=1; continue; }
  case "$pkg" in libc6 | libstdc++6 | libgcc-s1) continue ;; esac
  if ! grep -qw -- "$pkg" <<<"$runtime_stage"; then
    echo "deploy/Dockerfile: the runtime stage does not install $pkg (for $lib)"
    failed=1
  fi
  dev_so="$(readlink -f "$(dirname "$lib")")/$(basename "$lib" | sed 's/\.so\..*$/.so/')"
  dev=""
  # The .so link itself (not the library it points to) belongs to the -dev package.
  [ -e "$dev_so" ] && dev=$({ dpkg -S "$dev_so" 2>/dev/null || true; } | head -1 | cut -d: -f1)
  if [ -n "$dev" ] && ! grep -qw -- "$dev" <<<"$build_stage"; then
    echo "deploy/Dockerfile: the build stage does not install $dev (for $dev_so)"
    failed=1
  fi
done 3< <(ldd "$BIN" | awk '/=>/ && $3 ~ /^\// {print $3}')
[ "$failed" = 0 ] && echo "deploy/Dockerfile installs every library $(basename "$BIN") links against"
exit "$failed"

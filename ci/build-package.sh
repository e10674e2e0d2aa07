#!/usr/bin/env bash
# Builds tcpcheck's Debian package, tcpcheck_VERSION_ARCH.deb.
#
#   ci/build-package.sh [--build DIR] [--out DIR]
#
# --build DIR  the build tree to package (default build/package). One that is
#              not configured yet is configured with the `package` preset
#              (release, without tcpcheck's own tests and benchmarks).
# --out DIR    where the .deb goes (default: the build tree's packages/)
#
# Run ci/install-deps.sh first on a fresh machine. The Dockerfile builds its
# image with this script; the package test (tests/debian_package_test.sh)
# packages the test build tree with the same cpack call.
set -euo pipefail

build=""
out=""
while (($#)); do
  case "$1" in
    # Relative to where the script is called from.
    --build) build="$(realpath -m "$2")"; shift 2 ;;
    --out) out="$(realpath -m "$2")"; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-package: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
cd "$(dirname "${BASH_SOURCE[0]}")/.."
build="${build:-$PWD/build/package}"
out="${out:-$build/packages}"

if [ ! -f "$build/CMakeCache.txt" ]; then
  if [ "$build" != "$PWD/build/package" ]; then
    echo "build-package: $build is not a configured build tree" >&2
    exit 2
  fi
  cmake --preset package
fi
cmake --build "$build"
cpack --config "$build/CPackConfig.cmake" -B "$out"
rm -rf "$out/_CPack_Packages"
ls "$out"/tcpcheck_*.deb
